//! The schema editor: Django's `BaseDatabaseSchemaEditor` and its per-backend subclasses.
//!
//! It is pure: every method appends SQL statements to the editor instead of running them,
//! so the same code serves `sqlmigrate` (print), `migrate` (run) and snapshot tests.
//! As in Django, statements that must wait until every table of a migration exists
//! (foreign keys, indexes, unique-together constraints) go to a deferred list that
//! [`SchemaEditor::finish`] appends at the end.

use super::check::condition_sql;
use super::dialect::{self, quote_name, quote_value};
use super::names::{create_index_name, truncate_name};
use super::Vendor;
use std::collections::HashMap;

use crate::contrib::postgres::require_postgres;
use crate::error::Result;
use crate::migrations::state::{
    ConstraintState, FieldState, IndexState, ModelState, ProjectState, QState, RelationState,
};
use crate::models::meta::{FieldType, RelationKind};
use crate::value::Value;

/// A statement waiting for the end of the migration, with the table it belongs to (so
/// dropping that table drops it too, as Django does).
#[derive(Debug, Clone)]
pub(crate) struct Deferred {
    pub(crate) table: String,
    pub(crate) sql: String,
}

/// Generates DDL for one backend. See the module docs.
///
/// ```
/// use nuages_db::migrations::state::{FieldState, ModelState, ProjectState};
/// use nuages_db::schema::{SchemaEditor, Vendor};
/// use nuages_db::FieldType;
///
/// let genre = ModelState::new("bookstore", "Genre", vec![
///     FieldState::new("id", FieldType::BigAutoField).primary_key(),
///     FieldState::new("name", FieldType::CharField).max_length(100),
/// ]);
/// let mut project = ProjectState::new();
/// project.add_model(genre.clone());
/// let mut editor = SchemaEditor::new(Vendor::Sqlite);
/// editor.create_model(&project, &genre).unwrap();
/// assert_eq!(editor.finish(), vec![
///     "CREATE TABLE \"bookstore_genre\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"name\" varchar(100) NOT NULL)".to_string(),
/// ]);
/// ```
#[derive(Debug, Clone)]
pub struct SchemaEditor {
    pub(crate) vendor: Vendor,
    pub(crate) collected: Vec<String>,
    pub(crate) deferred: Vec<Deferred>,
    /// Constraints read from the database, per table (Django's `_constraint_names`).
    pub(crate) introspected: HashMap<String, Vec<ConstraintInfo>>,
}

/// What kind of constraint an introspected [`ConstraintInfo`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    /// A plain (non-unique) index.
    Index,
}

/// One constraint or index of a table as the database reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintInfo {
    pub name: String,
    pub columns: Vec<String>,
    pub kind: ConstraintKind,
}

impl SchemaEditor {
    /// An editor for `vendor` with nothing collected.
    pub fn new(vendor: Vendor) -> SchemaEditor {
        SchemaEditor {
            vendor,
            collected: Vec::new(),
            deferred: Vec::new(),
            introspected: HashMap::new(),
        }
    }

    /// Tells the editor the constraints `table` really has, so drops use their real names
    /// (the executor reads them before altering a table on PostgreSQL and MySQL). Without
    /// it, Django's computed names are used.
    pub fn set_introspected(&mut self, table: &str, constraints: Vec<ConstraintInfo>) {
        self.introspected.insert(table.to_owned(), constraints);
    }

    /// The names of `table`'s constraints of `kind` on exactly `columns`, or `fallback`
    /// when the table was not introspected.
    pub(crate) fn constraint_names(
        &self,
        table: &str,
        columns: &[&str],
        kind: ConstraintKind,
        fallback: String,
    ) -> Vec<String> {
        match self.introspected.get(table) {
            Some(infos) => infos
                .iter()
                .filter(|c| {
                    c.kind == kind && c.columns.iter().map(String::as_str).eq(columns.iter().copied())
                })
                .filter(|c| !(kind == ConstraintKind::Index && c.name.ends_with("_like")))
                .map(|c| c.name.clone())
                .collect(),
            None => vec![fallback],
        }
    }

    /// The backend this editor writes for.
    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// Takes the statements collected so far (not the deferred ones).
    pub fn take_statements(&mut self) -> Vec<String> {
        std::mem::take(&mut self.collected)
    }

    /// Takes the deferred statements (Django runs them when the editor exits).
    pub fn take_deferred(&mut self) -> Vec<String> {
        std::mem::take(&mut self.deferred)
            .into_iter()
            .map(|d| d.sql)
            .collect()
    }

    /// Every statement, deferred ones last, emptying the editor.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = self.take_statements();
        out.extend(self.take_deferred());
        out
    }

    pub(crate) fn q(&self, name: &str) -> String {
        quote_name(self.vendor, name)
    }

    pub(crate) fn execute(&mut self, sql: String) {
        self.collected.push(sql);
    }

    pub(crate) fn defer(&mut self, table: &str, sql: String) {
        self.deferred.push(Deferred {
            table: table.to_owned(),
            sql,
        });
    }

    pub(crate) fn index_name(&self, table: &str, columns: &[&str], suffix: &str) -> String {
        create_index_name(table, columns, suffix, dialect::max_name_length(self.vendor))
    }

    /// The column type of a field (a foreign key takes its target's `rel_db_type`).
    pub fn db_type(&self, project: &ProjectState, field: &FieldState) -> Result<Option<String>> {
        match &field.relation {
            Some(rel) if rel.kind != RelationKind::ManyToMany => {
                let (_, mut target) = project.target_field(rel)?;
                // A key to a multi-table child's key (itself a one-to-one) takes the
                // type at the end of the chain, as Django's `rel_db_type` recursion.
                while let Some(r) = target
                    .relation
                    .as_ref()
                    .filter(|r| r.kind != RelationKind::ManyToMany)
                {
                    target = project.target_field(r)?.1;
                }
                dialect::rel_db_type(self.vendor, target)
            }
            _ => dialect::data_type(self.vendor, field),
        }
    }

    /// Django's `effective_default(field)` as a value for the database.
    pub fn effective_default(&self, field: &FieldState) -> Option<Value> {
        if let Some(d) = &field.default {
            return (!d.is_null()).then(|| d.clone());
        }
        let empty_strings_allowed = matches!(
            field.field_type,
            FieldType::CharField
                | FieldType::TextField
                | FieldType::EmailField
                | FieldType::SlugField
                | FieldType::URLField
                | FieldType::BinaryField
        );
        if !field.null && field.blank && empty_strings_allowed {
            return Some(if field.field_type == FieldType::BinaryField {
                Value::Bytes(Vec::new())
            } else {
                Value::Text(String::new())
            });
        }
        None
    }

    /// Django's MySQL `skip_default`: MySQL cannot give TEXT/BLOB/JSON an empty default.
    fn skip_default(&self, field: &FieldState) -> bool {
        dialect::is_limited_data_type(self.vendor, field)
            && matches!(self.effective_default(field), Some(Value::Text(ref s)) if s.is_empty())
            || dialect::is_limited_data_type(self.vendor, field)
                && matches!(self.effective_default(field), Some(Value::Bytes(ref b)) if b.is_empty())
    }

    /// The `DEFAULT ...` clause value (MySQL wraps TEXT/BLOB/JSON defaults in parentheses).
    pub(crate) fn default_sql(&self, field: &FieldState, value: &Value) -> Result<String> {
        let lit = quote_value(self.vendor, value)?;
        Ok(if dialect::is_limited_data_type(self.vendor, field) {
            format!("({lit})")
        } else {
            lit
        })
    }

    /// Django's `column_sql`: type, inline comment (MySQL), default, NULL/NOT NULL,
    /// PRIMARY KEY/UNIQUE (no name, no check, no suffix, no foreign key).
    pub fn column_sql(
        &self,
        project: &ProjectState,
        field: &FieldState,
        include_default: bool,
    ) -> Result<Option<String>> {
        let Some(db_type) = self.db_type(project, field)? else {
            return Ok(None);
        };
        let mut parts = vec![db_type];
        parts.extend(self.inline_comment_sql(field)?);
        if include_default && !self.skip_default(field) {
            if let Some(d) = self.effective_default(field) {
                parts.push(format!("DEFAULT {}", self.default_sql(field, &d)?));
            }
        }
        parts.push(if field.null {
            "NULL".into()
        } else {
            "NOT NULL".into()
        });
        if field.primary_key {
            parts.push("PRIMARY KEY".into());
        } else if field.unique {
            parts.push("UNIQUE".into());
        }
        Ok(Some(parts.join(" ")))
    }

    /// The full column definition used by CREATE TABLE (check, suffix, SQLite's inline
    /// REFERENCES); foreign keys of other backends are deferred.
    fn table_column_sql(
        &mut self,
        project: &ProjectState,
        model: &ModelState,
        field: &FieldState,
    ) -> Result<Option<String>> {
        let Some(mut definition) = self.column_sql(project, field, false)? else {
            return Ok(None);
        };
        if let Some(check) = dialect::data_type_check(self.vendor, field) {
            definition.push_str(&format!(" CHECK ({check})"));
        }
        if let Some(suffix) = dialect::data_type_suffix(self.vendor, field.field_type) {
            definition.push(' ');
            definition.push_str(suffix);
        }
        if let Some(rel) = field.relation.as_ref().filter(|r| r.db_constraint) {
            let (target, to_field) = project.target_field(rel)?;
            if self.vendor == Vendor::Sqlite {
                definition.push_str(&format!(
                    " REFERENCES {} ({}) DEFERRABLE INITIALLY DEFERRED",
                    self.q(&target.db_table),
                    self.q(&to_field.column)
                ));
            } else {
                let sql =
                    self.create_fk_sql(&model.db_table, &field.column, &target.db_table, &to_field.column);
                self.defer(&model.db_table, sql);
            }
        }
        Ok(Some(format!("{} {}", self.q(&field.column), definition)))
    }

    /// Django's `_create_fk_sql`.
    pub(crate) fn create_fk_sql(&self, table: &str, column: &str, to_table: &str, to_column: &str) -> String {
        let name = self.fk_name(table, column, to_table, to_column);
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}){}",
            self.q(table),
            self.q(&name),
            self.q(column),
            self.q(to_table),
            self.q(to_column),
            dialect::deferrable_sql(self.vendor)
        )
    }

    /// Django's foreign key constraint name: `<table>_<column>_<hash>_fk_<to_table>_<to_column>`.
    pub fn fk_name(&self, table: &str, column: &str, to_table: &str, to_column: &str) -> String {
        self.index_name(table, &[column], &format!("_fk_{to_table}_{to_column}"))
    }

    /// Django's `table_sql` with another table name (SQLite's rebuild uses `new__<table>`).
    pub(crate) fn table_sql(
        &mut self,
        project: &ProjectState,
        model: &ModelState,
        table: &str,
    ) -> Result<String> {
        for fields in model.unique_together.clone() {
            let sql = self.unique_together_sql(model, &fields)?;
            self.defer(&model.db_table, sql);
        }
        let mut definitions = Vec::new();
        for field in &model.fields {
            if let Some(def) = self.table_column_sql(project, model, field)? {
                definitions.push(def);
            }
        }
        for constraint in &model.constraints {
            if let Some(def) = self.constraint_inline_sql(model, constraint)? {
                definitions.push(def);
            }
        }
        Ok(format!(
            "CREATE TABLE {} ({})",
            self.q(table),
            definitions.join(", ")
        ))
    }

    /// `CREATE TABLE` and the table and column comments, with deferred foreign keys and
    /// indexes, then the auto-created many-to-many tables (Django's `create_model`).
    pub fn create_model(&mut self, project: &ProjectState, model: &ModelState) -> Result<()> {
        let sql = self.table_sql(project, model, &model.db_table)?;
        self.execute(sql);
        self.model_comments(model)?;
        for sql in self.model_indexes_sql(project, model)? {
            self.defer(&model.db_table, sql);
        }
        for field in &model.fields {
            if let Some(through) = self.auto_m2m_model(project, model, field)? {
                self.create_model(project, &through)?;
            }
        }
        Ok(())
    }

    /// `DROP TABLE` of the model and its auto-created many-to-many tables (Django's
    /// `delete_model`), forgetting deferred statements on them.
    pub fn delete_model(&mut self, project: &ProjectState, model: &ModelState) -> Result<()> {
        for field in &model.fields {
            if let Some(through) = self.auto_m2m_model(project, model, field)? {
                self.delete_model(project, &through)?;
            }
        }
        let sql = match self.vendor {
            Vendor::Sqlite => format!("DROP TABLE {}", self.q(&model.db_table)),
            _ => format!("DROP TABLE {} CASCADE", self.q(&model.db_table)),
        };
        self.execute(sql);
        let table = model.db_table.clone();
        self.deferred.retain(|d| d.table != table);
        Ok(())
    }

    /// The auto-created through model of a many-to-many field (Django's
    /// `create_many_to_many_intermediary_model`), or `None` for other fields and for
    /// explicit `through` models.
    pub fn auto_m2m_model(
        &self,
        project: &ProjectState,
        model: &ModelState,
        field: &FieldState,
    ) -> Result<Option<ModelState>> {
        let Some(rel) = field.relation.as_ref() else {
            return Ok(None);
        };
        if rel.kind != RelationKind::ManyToMany || rel.through.is_some() {
            return Ok(None);
        }
        let target = project.model(&rel.to)?;
        let table = match &rel.m2m_db_table {
            Some(t) => t.clone(),
            None => truncate_name(
                &format!("{}_{}", model.db_table, field.name),
                dialect::max_name_length(self.vendor),
            ),
        };
        let (from, to) = if target.label_lower() == model.label_lower() {
            (
                format!("from_{}", model.name_lower()),
                format!("to_{}", target.name_lower()),
            )
        } else {
            (model.name_lower(), target.name_lower())
        };
        let pk_type = match model.pk()?.field_type {
            FieldType::AutoField => FieldType::AutoField,
            _ => FieldType::BigAutoField,
        };
        let fk = |name: &str, to_label: String| {
            let mut f =
                FieldState::new(name, FieldType::ForeignKey).relation(RelationKind::ForeignKey, to_label);
            if let Some(r) = f.relation.as_mut() {
                r.db_constraint = rel.db_constraint;
            }
            f
        };
        let mut through = ModelState::new(
            model.app_label.clone(),
            format!("{}_{}", model.name, field.name),
            vec![
                FieldState::new("id", pk_type).primary_key(),
                fk(&from, model.label_lower()),
                fk(&to, target.label_lower()),
            ],
        );
        through.db_table = table;
        through.unique_together = vec![vec![from, to]];
        through.auto_created = true;
        Ok(Some(through))
    }

    /// Whether Django creates an index for the field's `db_index` (MySQL/InnoDB indexes
    /// foreign keys itself and cannot index TEXT/BLOB without a prefix).
    fn field_should_be_indexed(&self, field: &FieldState) -> bool {
        if !field.db_index || field.unique || !field.is_concrete() {
            return false;
        }
        if self.vendor == Vendor::MySql {
            let constrained_fk = field.field_type == FieldType::ForeignKey
                && field
                    .relation
                    .as_ref()
                    .is_some_and(|r: &RelationState| r.db_constraint);
            return !constrained_fk && !dialect::is_limited_data_type(self.vendor, field);
        }
        true
    }

    /// Django's `_field_indexes_sql` (plus PostgreSQL's `_like` pattern-ops index).
    pub fn field_indexes_sql(
        &self,
        project: &ProjectState,
        model: &ModelState,
        field: &FieldState,
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        if self.field_should_be_indexed(field) {
            out.push(self.create_index_sql(
                &model.db_table,
                None,
                &[field.column.as_str()],
                "",
                &[],
                &[],
                None,
            )?);
        }
        if let Some(like) = self.like_index_sql(project, model, field)? {
            out.push(like);
        }
        Ok(out)
    }

    /// PostgreSQL's `_create_like_index_sql`: varchar/text columns with an index get a
    /// second `*_pattern_ops` index for LIKE outside the C locale.
    pub(crate) fn like_index_sql(
        &self,
        project: &ProjectState,
        model: &ModelState,
        field: &FieldState,
    ) -> Result<Option<String>> {
        if self.vendor != Vendor::Postgres || !(field.db_index || field.unique) {
            return Ok(None);
        }
        let Some(db_type) = self.db_type(project, field)? else {
            return Ok(None);
        };
        let opclass = if db_type.starts_with("varchar") {
            "varchar_pattern_ops"
        } else if db_type.starts_with("text") {
            "text_pattern_ops"
        } else {
            return Ok(None);
        };
        Ok(Some(self.create_index_sql(
            &model.db_table,
            None,
            &[field.column.as_str()],
            "_like",
            &[],
            &[opclass],
            None,
        )?))
    }

    /// Django's `_create_index_sql`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn create_index_sql(
        &self,
        table: &str,
        name: Option<&str>,
        columns: &[&str],
        suffix: &str,
        col_suffixes: &[&str],
        opclasses: &[&str],
        condition: Option<String>,
    ) -> Result<String> {
        let name = match name {
            Some(n) => n.to_owned(),
            None => self.index_name(table, columns, suffix),
        };
        Ok(self.index_statement(
            &name,
            table,
            &IndexParts {
                columns: self.index_columns(columns, col_suffixes, opclasses),
                condition,
                ..IndexParts::default()
            },
        ))
    }

    /// Django's `sql_create_index`:
    /// `CREATE INDEX name ON table%(using)s (columns)%(include)s%(extra)s%(condition)s`.
    fn index_statement(&self, name: &str, table: &str, parts: &IndexParts) -> String {
        format!(
            "CREATE INDEX {} ON {}{} ({}){}{}{}",
            self.q(name),
            self.q(table),
            parts.using,
            parts.columns,
            parts.include,
            parts.extra,
            parts
                .condition
                .as_deref()
                .map(|c| format!(" WHERE {c}"))
                .unwrap_or_default()
        )
    }

    fn index_columns(&self, columns: &[&str], col_suffixes: &[&str], opclasses: &[&str]) -> String {
        columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut s = self.q(c);
                if let Some(op) = opclasses.get(i) {
                    s = format!("{s} {op}");
                }
                if let Some(suf) = col_suffixes.get(i).filter(|s| !s.is_empty()) {
                    s = format!("{s} {suf}");
                }
                s
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Django's `_model_indexes_sql`: field indexes then `Meta.indexes`.
    pub fn model_indexes_sql(&self, project: &ProjectState, model: &ModelState) -> Result<Vec<String>> {
        if !model.has_table() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for field in &model.fields {
            out.extend(self.field_indexes_sql(project, model, field)?);
        }
        for index in &model.indexes {
            if let Some(sql) = self.index_sql(model, index)? {
                out.push(sql);
            }
        }
        Ok(out)
    }

    /// `Index.create_sql` (`None` when the backend cannot create it: partial indexes on
    /// MySQL are skipped, as Django does). The `django.contrib.postgres` index classes
    /// are refused on other backends; `opclasses` and `include` are left out where the
    /// backend has no such thing, as Django's base schema editor does.
    pub fn index_sql(&self, model: &ModelState, index: &IndexState) -> Result<Option<String>> {
        if !self.index_supported(index)? {
            return Ok(None);
        }
        let mut columns = Vec::new();
        let mut suffixes = Vec::new();
        for f in &index.fields {
            let (name, desc) = match f.strip_prefix('-') {
                Some(n) => (n, "DESC"),
                None => (f.as_str(), ""),
            };
            columns.push(model.get_field(name)?.column.as_str());
            suffixes.push(desc);
        }
        // Operator classes and covering columns exist on PostgreSQL only; Django's base
        // schema editor leaves them out elsewhere.
        let postgres = self.vendor == Vendor::Postgres;
        let opclasses: Vec<&str> = match postgres {
            true => index.opclasses.iter().map(String::as_str).collect(),
            false => Vec::new(),
        };
        let include = match postgres && !index.include.is_empty() {
            true => {
                let include = Self::columns_of(model, &index.include)?;
                let cols: Vec<&str> = include.iter().map(String::as_str).collect();
                format!(" INCLUDE ({})", self.index_columns(&cols, &[], &[]))
            }
            false => String::new(),
        };
        let with = index.index_type.with_params();
        let parts = IndexParts {
            using: match index.index_type.is_postgres() {
                true => format!(" USING {}", index.index_type.suffix()),
                false => String::new(),
            },
            columns: self.index_columns(&columns, &suffixes, &opclasses),
            include,
            extra: match with.is_empty() {
                true => String::new(),
                false => format!(" WITH ({})", with.join(", ")),
            },
            condition: self.condition(model, index.condition.as_ref())?,
        };
        Ok(Some(self.index_statement(&index.name, &model.db_table, &parts)))
    }

    /// Whether `index` can be created here: `Ok(false)` for a partial index on a backend
    /// without them (skipped, as Django does), an error for a PostgreSQL index class on
    /// another backend or invalid options.
    pub(crate) fn index_supported(&self, index: &IndexState) -> Result<bool> {
        index.index_type.validate()?;
        if index.index_type.is_postgres() {
            require_postgres(self.vendor, index.index_type.class_name())?;
        }
        Ok(index.condition.is_none() || dialect::supports_partial_indexes(self.vendor))
    }

    pub(crate) fn condition(&self, model: &ModelState, q: Option<&QState>) -> Result<Option<String>> {
        q.map(|q| condition_sql(self.vendor, model, q)).transpose()
    }

    pub(crate) fn columns_of(model: &ModelState, fields: &[String]) -> Result<Vec<String>> {
        fields
            .iter()
            .map(|f| Ok(model.get_field(f)?.column.clone()))
            .collect()
    }

    /// Django's `_create_unique_sql` for `unique_together` (name `<table>_<cols>_<hash>_uniq`).
    pub(crate) fn unique_together_sql(&self, model: &ModelState, fields: &[String]) -> Result<String> {
        let columns = Self::columns_of(model, fields)?;
        let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
        let name = self.index_name(&model.db_table, &cols, "_uniq");
        Ok(self.unique_sql(&model.db_table, &name, &cols))
    }

    pub(crate) fn unique_sql(&self, table: &str, name: &str, columns: &[&str]) -> String {
        let cols = self.index_columns(columns, &[], &[]);
        match self.vendor {
            Vendor::Sqlite => format!(
                "CREATE UNIQUE INDEX {} ON {} ({cols})",
                self.q(name),
                self.q(table)
            ),
            _ => format!(
                "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({cols})",
                self.q(table),
                self.q(name)
            ),
        }
    }

    /// A constraint inside CREATE TABLE; conditional unique constraints become deferred
    /// partial unique indexes (skipped on MySQL, as Django does).
    fn constraint_inline_sql(&mut self, model: &ModelState, c: &ConstraintState) -> Result<Option<String>> {
        match c {
            ConstraintState::Unique {
                name,
                fields,
                condition: Some(cond),
            } => {
                if dialect::supports_partial_indexes(self.vendor) {
                    let sql = self.partial_unique_sql(model, name, fields, cond)?;
                    self.defer(&model.db_table, sql);
                }
                Ok(None)
            }
            ConstraintState::Unique {
                name,
                fields,
                condition: None,
            } => {
                let columns = Self::columns_of(model, fields)?;
                let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
                Ok(Some(format!(
                    "CONSTRAINT {} UNIQUE ({})",
                    self.q(name),
                    self.index_columns(&cols, &[], &[])
                )))
            }
            ConstraintState::Check { name, condition } => {
                let check = condition_sql(self.vendor, model, condition)?;
                Ok(Some(format!("CONSTRAINT {} CHECK ({check})", self.q(name))))
            }
        }
    }

    pub(crate) fn partial_unique_sql(
        &self,
        model: &ModelState,
        name: &str,
        fields: &[String],
        cond: &QState,
    ) -> Result<String> {
        let columns = Self::columns_of(model, fields)?;
        let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
        Ok(format!(
            "CREATE UNIQUE INDEX {} ON {} ({}) WHERE {}",
            self.q(name),
            self.q(&model.db_table),
            self.index_columns(&cols, &[], &[]),
            condition_sql(self.vendor, model, cond)?
        ))
    }

    /// Django's `alter_db_table`; deferred statements on the table follow the rename.
    pub fn alter_db_table(&mut self, old_table: &str, new_table: &str) {
        if old_table == new_table {
            return;
        }
        let sql = match self.vendor {
            Vendor::MySql => format!("RENAME TABLE {} TO {}", self.q(old_table), self.q(new_table)),
            _ => format!(
                "ALTER TABLE {} RENAME TO {}",
                self.q(old_table),
                self.q(new_table)
            ),
        };
        self.execute(sql);
        for d in &mut self.deferred {
            if d.table == old_table {
                d.table = new_table.to_owned();
                d.sql = d.sql.replace(
                    &quote_name(self.vendor, old_table),
                    &quote_name(self.vendor, new_table),
                );
            }
        }
    }
}

/// The optional parts of Django's `sql_create_index`, each with its leading space.
#[derive(Default)]
struct IndexParts {
    /// ` USING gin`.
    using: String,
    /// The rendered index columns.
    columns: String,
    /// ` INCLUDE (...)`.
    include: String,
    /// ` WITH (...)`.
    extra: String,
    /// The partial index's condition, without `WHERE`.
    condition: Option<String>,
}
