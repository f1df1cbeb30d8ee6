//! Column changes: Django's `add_field`, `remove_field`, `alter_field` and SQLite's
//! `_remake_table`.
//!
//! PostgreSQL and MySQL alter columns in place, in the order Django's `_alter_field`
//! does (drop foreign key, drop unique/index, rename, change type, change nullability
//! with the four-step default dance, add unique/index, add foreign key back). SQLite can
//! only add, drop and rename simple columns; everything else rebuilds the table (create
//! `new__<table>`, copy the rows, drop the old table, rename, recreate the indexes).

use super::dialect::{self, quote_value};
use super::editor::{ConstraintKind, SchemaEditor};
use super::Vendor;
use crate::error::Result;
use crate::migrations::state::{FieldState, ModelState, ProjectState};
use crate::models::meta::{FieldType, RelationKind};

/// The attributes that change a column (Django's `_field_should_be_altered` ignores
/// `blank`, `choices`, `on_delete`, `related_name`, validators, labels...). `db_comment`
/// counts, as in Django, even on SQLite, which rebuilds the table for it.
fn db_signature(f: &FieldState) -> impl PartialEq + '_ {
    (
        &f.db_comment,
        (
            &f.column,
            f.field_type,
            f.null,
            f.primary_key,
            f.unique,
            f.db_index,
        ),
        (f.max_length, f.max_digits, f.decimal_places, &f.default),
        f.relation.as_ref().map(|r| {
            (
                r.kind,
                &r.to,
                &r.to_field,
                r.db_constraint,
                &r.through,
                &r.m2m_db_table,
            )
        }),
    )
}

/// `model` as it is without the field `name` (the other side of adding or removing it).
fn without_field(model: &ModelState, name: &str) -> ModelState {
    let mut m = model.clone();
    m.fields.retain(|f| f.name != name);
    m
}

fn type_family(f: &FieldState) -> FieldType {
    match f.field_type {
        FieldType::EmailField | FieldType::URLField => FieldType::CharField,
        t => t,
    }
}

impl SchemaEditor {
    /// Django's `add_field`: the column with its default, then `DROP DEFAULT` (Django keeps
    /// defaults out of the database); auto-created many-to-many fields create their table.
    /// `model` is the state that already has the field.
    pub fn add_field(
        &mut self,
        project: &ProjectState,
        model: &ModelState,
        field: &FieldState,
    ) -> Result<()> {
        if let Some(through) = self.auto_m2m_model(project, model, field)? {
            return self.create_model(project, &through);
        }
        if !field.is_concrete() {
            return Ok(());
        }
        if self.vendor == Vendor::Sqlite
            && (field.primary_key || field.unique || !field.null || self.effective_default(field).is_some())
        {
            return self.remake_table(project, &without_field(model, &field.name), model, &[]);
        }
        let Some(mut definition) = self.column_sql(project, field, true)? else {
            return Ok(());
        };
        if let Some(suffix) = dialect::data_type_suffix(self.vendor, field.field_type) {
            definition = format!("{definition} {suffix}");
        }
        if let Some(check) = dialect::data_type_check(self.vendor, field) {
            definition = format!("{definition} CHECK ({check})");
        }
        let table = model.db_table.clone();
        let mut after = Vec::new();
        if let Some(rel) = field
            .relation
            .as_ref()
            .filter(|r| r.db_constraint && r.kind != RelationKind::ManyToMany)
        {
            let (target, to_field) = project.target_field(rel)?;
            let name = self.fk_name(&table, &field.column, &target.db_table, &to_field.column);
            match self.vendor {
                Vendor::Postgres => {
                    definition = format!(
                        "{definition} CONSTRAINT {} REFERENCES {}({}){}",
                        self.q(&name),
                        self.q(&target.db_table),
                        self.q(&to_field.column),
                        dialect::deferrable_sql(self.vendor)
                    );
                    after.push(format!("SET CONSTRAINTS {} IMMEDIATE", self.q(&name)));
                }
                Vendor::MySql => {
                    definition = format!(
                        "{definition} , ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {}({})",
                        self.q(&name),
                        self.q(&field.column),
                        self.q(&target.db_table),
                        self.q(&to_field.column)
                    );
                }
                Vendor::Sqlite => {
                    definition = format!(
                        "{definition} REFERENCES {} ({}) DEFERRABLE INITIALLY DEFERRED",
                        self.q(&target.db_table),
                        self.q(&to_field.column)
                    );
                }
            }
        }
        let sql = format!(
            "ALTER TABLE {} ADD COLUMN {} {definition}",
            self.q(&table),
            self.q(&field.column)
        );
        self.execute(sql);
        for s in after {
            self.execute(s);
        }
        let keeps_default = self.vendor == Vendor::MySql && dialect::is_limited_data_type(self.vendor, field);
        if self.vendor != Vendor::Sqlite && !keeps_default && self.effective_default(field).is_some() {
            let sql = format!(
                "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
                self.q(&table),
                self.q(&field.column)
            );
            self.execute(sql);
        }
        if let Some(c) = &field.db_comment {
            self.alter_column_comment(&table, field, Some(c))?;
        }
        for sql in self.field_indexes_sql(project, model, field)? {
            self.defer(&table, sql);
        }
        Ok(())
    }

    /// ` COMMENT '...'` for a MySQL `MODIFY`, which would otherwise drop the column's
    /// comment; empty elsewhere.
    fn modify_comment(&self, field: &FieldState) -> Result<String> {
        Ok(self
            .inline_comment_sql(field)?
            .map(|c| format!(" {c}"))
            .unwrap_or_default())
    }

    /// Django's `remove_field`. `model` is the state that still has the field.
    pub fn remove_field(
        &mut self,
        project: &ProjectState,
        model: &ModelState,
        field: &FieldState,
    ) -> Result<()> {
        if let Some(through) = self.auto_m2m_model(project, model, field)? {
            return self.delete_model(project, &through);
        }
        if !field.is_concrete() {
            return Ok(());
        }
        let table = model.db_table.clone();
        if self.vendor == Vendor::Sqlite {
            let has_fk = field.relation.as_ref().is_some_and(|r| r.db_constraint);
            if field.primary_key || field.unique || field.db_index || has_fk {
                return self.remake_table(project, model, &without_field(model, &field.name), &[]);
            }
        }
        if self.vendor != Vendor::Sqlite {
            if let Some(rel) = field.relation.as_ref().filter(|r| r.db_constraint) {
                let (target, to_field) = project.target_field(rel)?;
                let computed = self.fk_name(&table, &field.column, &target.db_table, &to_field.column);
                for name in self.constraint_names(
                    &table,
                    &[field.column.as_str()],
                    ConstraintKind::ForeignKey,
                    computed,
                ) {
                    self.drop_fk(&table, &name);
                }
            }
        }
        let sql = match self.vendor {
            Vendor::Postgres => format!(
                "ALTER TABLE {} DROP COLUMN {} CASCADE",
                self.q(&table),
                self.q(&field.column)
            ),
            _ => format!(
                "ALTER TABLE {} DROP COLUMN {}",
                self.q(&table),
                self.q(&field.column)
            ),
        };
        self.execute(sql);
        let col = self.q(&field.column);
        self.deferred
            .retain(|d| !(d.table == table && d.sql.contains(&col)));
        Ok(())
    }

    fn drop_fk(&mut self, table: &str, name: &str) {
        match self.vendor {
            Vendor::Postgres => {
                let set = format!("SET CONSTRAINTS {} IMMEDIATE", self.q(name));
                self.execute(set);
                let sql = format!("ALTER TABLE {} DROP CONSTRAINT {}", self.q(table), self.q(name));
                self.execute(sql);
            }
            Vendor::MySql => {
                let sql = format!("ALTER TABLE {} DROP FOREIGN KEY {}", self.q(table), self.q(name));
                self.execute(sql);
            }
            Vendor::Sqlite => {}
        }
    }

    /// Django's `alter_field`: `old_model` has `old`, `new_model` has `new` (same table).
    /// Only database-relevant changes emit SQL. Renaming a column is an `alter_field`
    /// whose `column` differs.
    pub fn alter_field(
        &mut self,
        project: &ProjectState,
        old_model: &ModelState,
        new_model: &ModelState,
        old: &FieldState,
        new: &FieldState,
    ) -> Result<()> {
        if db_signature(old) == db_signature(new) {
            return Ok(());
        }
        if !old.is_concrete() || !new.is_concrete() {
            // Many-to-many: renaming the field renames the auto-created table.
            let old_t = self.auto_m2m_model(project, old_model, old)?;
            let new_t = self.auto_m2m_model(project, new_model, new)?;
            if let (Some(o), Some(n)) = (old_t, new_t) {
                self.alter_db_table(&o.db_table, &n.db_table);
            }
            return Ok(());
        }
        if self.vendor == Vendor::Sqlite {
            let only_rename = old.column != new.column && {
                let mut o = old.clone();
                o.column = new.column.clone();
                o.name = new.name.clone();
                let same = db_signature(&o) == db_signature(new);
                same
            };
            let has_fk = |f: &FieldState| f.relation.as_ref().is_some_and(|r| r.db_constraint);
            if only_rename && !has_fk(old) && !has_fk(new) {
                let sql = format!(
                    "ALTER TABLE {} RENAME COLUMN {} TO {}",
                    self.q(&new_model.db_table),
                    self.q(&old.column),
                    self.q(&new.column)
                );
                self.execute(sql);
                return Ok(());
            }
            return self.remake_table(
                project,
                old_model,
                new_model,
                &[(old.column.clone(), new.column.clone())],
            );
        }
        self.alter_field_in_place(project, new_model, old, new)
    }

    fn alter_field_in_place(
        &mut self,
        project: &ProjectState,
        model: &ModelState,
        old: &FieldState,
        new: &FieldState,
    ) -> Result<()> {
        let table = model.db_table.clone();
        let t = self.q(&table);
        let old_type = self.db_type(project, old)?.unwrap_or_default();
        let new_type = self.db_type(project, new)?.unwrap_or_default();
        // 1. Foreign key constraint out.
        let mut fk_dropped = false;
        if let Some(rel) = old.relation.as_ref().filter(|r| r.db_constraint) {
            let (target, to_field) = project.target_field(rel)?;
            let computed = self.fk_name(&table, &old.column, &target.db_table, &to_field.column);
            for name in self.constraint_names(
                &table,
                &[old.column.as_str()],
                ConstraintKind::ForeignKey,
                computed,
            ) {
                self.drop_fk(&table, &name);
                fk_dropped = true;
            }
        }
        // 2. Unique constraint out. Django finds its name by introspection; a column
        // declared unique at creation has the database's own name (PostgreSQL
        // `<table>_<column>_key`, MySQL the column name).
        if old.unique && !old.primary_key && !new.unique {
            let default = match self.vendor {
                Vendor::MySql => old.column.clone(),
                _ => dialect::pg_object_name(&table, &old.column, "key"),
            };
            for name in self.constraint_names(&table, &[old.column.as_str()], ConstraintKind::Unique, default)
            {
                let sql = self.delete_unique_sql(&table, &name);
                self.execute(sql);
            }
        }
        // 3. Indexes out.
        let old_indexed = old.db_index && !old.unique;
        let new_indexed = new.db_index && !new.unique;
        if old_indexed && (!new_indexed || old.column != new.column) && self.field_indexed(old) {
            let computed = self.index_name(&table, &[old.column.as_str()], "");
            for name in self.constraint_names(&table, &[old.column.as_str()], ConstraintKind::Index, computed)
            {
                let sql = self.delete_index_sql(&table, &name);
                self.execute(sql);
            }
        }
        let old_like = self.like_index_sql(project, model, old)?.is_some();
        let new_like = self.like_index_sql(project, model, new)?.is_some();
        let like_changes = old_like && (!new_like || old_type != new_type || old.column != new.column);
        if like_changes {
            let name = self.index_name(&table, &[old.column.as_str()], "_like");
            let sql = self.delete_index_sql(&table, &name);
            self.execute(sql);
        }
        // 3b. Foreign keys of other columns pointing at this one go while its type changes.
        let incoming = if old_type != new_type && (old.primary_key || old.unique) {
            self.incoming_fks(project, model, new)?
        } else {
            Vec::new()
        };
        for (rel_table, rel_field) in &incoming {
            let name = self.fk_name(rel_table, &rel_field.column, &table, &old.column);
            self.drop_fk(rel_table, &name);
        }
        // 4. Rename.
        if old.column != new.column {
            let sql = format!(
                "ALTER TABLE {t} RENAME COLUMN {} TO {}",
                self.q(&old.column),
                self.q(&new.column)
            );
            self.execute(sql);
        }
        let col = self.q(&new.column);
        // 5. Type, or comment: Django's `_alter_column_type_sql` runs for either (MySQL
        // rewrites the comment with the definition; PostgreSQL repeats the type and sets
        // the comment in step 6b).
        let comment_changed = self.supports_comments() && old.db_comment != new.db_comment;
        if old_type != new_type || comment_changed {
            let change = match self.vendor {
                Vendor::Postgres if type_family(old) != type_family(new) => {
                    format!("ALTER COLUMN {col} TYPE {new_type} USING {col}::{new_type}")
                }
                Vendor::Postgres => format!("ALTER COLUMN {col} TYPE {new_type}"),
                _ => format!(
                    "MODIFY {col} {new_type} {}{}",
                    if old.null { "NULL" } else { "NOT NULL" },
                    self.modify_comment(new)?
                ),
            };
            self.execute(format!("ALTER TABLE {t} {change}"));
        }
        if old_type != new_type {
            // Django's PostgreSQL editor retypes an auto field's sequence, if it has one.
            if self.vendor == Vendor::Postgres && old.field_type.is_auto() && new.field_type.is_auto() {
                let seq = self.q(&format!("{}_{}_seq", table, new.column));
                let base = new_type.split(' ').next().unwrap_or("bigint").to_owned();
                self.execute(format!("ALTER SEQUENCE IF EXISTS {seq} AS {base}"));
            }
            // Referencing columns follow the new type.
            let rel_type = dialect::rel_db_type(self.vendor, new)?.unwrap_or_default();
            for (rel_table, rel_field) in &incoming {
                let rc = self.q(&rel_field.column);
                let change = match self.vendor {
                    Vendor::Postgres => format!("ALTER COLUMN {rc} TYPE {rel_type} USING {rc}::{rel_type}"),
                    _ => format!(
                        "MODIFY {rc} {rel_type} {}{}",
                        if rel_field.null { "NULL" } else { "NOT NULL" },
                        self.modify_comment(rel_field)?
                    ),
                };
                self.execute(format!("ALTER TABLE {} {change}", self.q(rel_table)));
            }
        }
        // 6. Nullability, with Django's four-way default alteration.
        if old.null != new.null {
            let null_sql = match self.vendor {
                Vendor::Postgres if new.null => format!("ALTER COLUMN {col} DROP NOT NULL"),
                Vendor::Postgres => format!("ALTER COLUMN {col} SET NOT NULL"),
                _ => format!(
                    "MODIFY {col} {new_type} {}{}",
                    if new.null { "NULL" } else { "NOT NULL" },
                    self.modify_comment(new)?
                ),
            };
            let default = self.effective_default(new);
            match default.filter(|_| !new.null) {
                Some(d) => {
                    let lit = self.default_sql(new, &d)?;
                    self.execute(format!("ALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT {lit}"));
                    self.execute(format!(
                        "UPDATE {t} SET {col} = {} WHERE {col} IS NULL",
                        quote_value(self.vendor, &d)?
                    ));
                    if self.vendor == Vendor::Postgres {
                        self.execute("SET CONSTRAINTS ALL IMMEDIATE".into());
                    }
                    self.execute(format!("ALTER TABLE {t} {null_sql}"));
                    self.execute(format!("ALTER TABLE {t} ALTER COLUMN {col} DROP DEFAULT"));
                }
                None => self.execute(format!("ALTER TABLE {t} {null_sql}")),
            }
        }
        // 6b. Comment (PostgreSQL: `COMMENT ON COLUMN`, after the column changes).
        if comment_changed {
            self.alter_column_comment(&table, new, new.db_comment.as_deref())?;
        }
        // 7. Unique and indexes in.
        if new.unique && !new.primary_key && !old.unique {
            let name = self.index_name(&table, &[new.column.as_str()], "_uniq");
            let sql = self.unique_sql(&table, &name, &[new.column.as_str()]);
            self.execute(sql);
        }
        if new_indexed && (!old_indexed || old.column != new.column) && self.field_indexed(new) {
            let sql = self.create_index_sql(&table, None, &[new.column.as_str()], "", &[], &[], None)?;
            self.execute(sql);
        }
        if new_like && (!old_like || like_changes) {
            if let Some(sql) = self.like_index_sql(project, model, new)? {
                self.execute(sql);
            }
        }
        // 8. Positive-integer check constraint added (named as Django's `_check`).
        if let (Some(check), None) = (
            dialect::data_type_check(self.vendor, new),
            dialect::data_type_check(self.vendor, old),
        ) {
            let name = self.index_name(&table, &[new.column.as_str()], "_check");
            self.execute(format!(
                "ALTER TABLE {t} ADD CONSTRAINT {} CHECK ({check})",
                self.q(&name)
            ));
        }
        // 9. Foreign keys back.
        if let Some(rel) = new.relation.as_ref().filter(|r| r.db_constraint) {
            if fk_dropped || old.relation.as_ref().is_none_or(|r| !r.db_constraint) {
                let (target, to_field) = project.target_field(rel)?;
                let sql = self.create_fk_sql(&table, &new.column, &target.db_table, &to_field.column);
                self.execute(sql);
            }
        }
        for (rel_table, rel_field) in &incoming {
            let sql = self.create_fk_sql(rel_table, &rel_field.column, &table, &new.column);
            self.execute(sql);
        }
        Ok(())
    }

    /// Constrained foreign keys of the project pointing at `field` of `model`:
    /// `(table, field)` pairs (Django's `_related_non_m2m_objects`).
    fn incoming_fks(
        &self,
        project: &ProjectState,
        model: &ModelState,
        field: &FieldState,
    ) -> Result<Vec<(String, FieldState)>> {
        let label = model.label_lower();
        let mut out = Vec::new();
        let mut models: Vec<ModelState> = project.models.clone();
        for m in &project.models {
            for f in &m.fields {
                if let Some(through) = self.auto_m2m_model(project, m, f)? {
                    models.push(through);
                }
            }
        }
        for m in &models {
            for f in m.fields.iter().filter(|f| f.is_foreign_key()) {
                let Some(rel) = f.relation.as_ref().filter(|r| r.db_constraint && r.to == label) else {
                    continue;
                };
                let points_here = match &rel.to_field {
                    Some(name) => *name == field.name,
                    None => field.primary_key,
                };
                if points_here {
                    out.push((m.db_table.clone(), f.clone()));
                }
            }
        }
        Ok(out)
    }

    fn field_indexed(&self, f: &FieldState) -> bool {
        // MySQL/InnoDB indexes constrained foreign keys itself; TEXT/BLOB are not indexed.
        !(self.vendor == Vendor::MySql
            && (f.field_type == FieldType::ForeignKey
                && f.relation.as_ref().is_some_and(|r| r.db_constraint)
                || dialect::is_limited_data_type(self.vendor, f)))
    }

    /// SQLite's `_remake_table`: rebuilds `old` as `new`, copying every column the two
    /// share (by column name, or through `renames` of `(old_column, new_column)`); new
    /// columns get their default, columns becoming NOT NULL get `coalesce(col, default)`.
    /// Runs every pending deferred statement afterwards, as Django does.
    pub fn remake_table(
        &mut self,
        project: &ProjectState,
        old: &ModelState,
        new: &ModelState,
        renames: &[(String, String)],
    ) -> Result<()> {
        let temp = format!("new__{}", new.db_table);
        let create = self.table_sql(project, new, &temp)?;
        self.execute(create);
        let mut targets = Vec::new();
        let mut sources = Vec::new();
        for field in new.fields.iter().filter(|f| f.is_concrete()) {
            let old_column = renames
                .iter()
                .find(|(_, n)| *n == field.column)
                .map(|(o, _)| o.as_str())
                .unwrap_or(field.column.as_str());
            let old_field = old
                .fields
                .iter()
                .find(|f| f.is_concrete() && f.column == old_column);
            let default = self.effective_default(field);
            let expr = match (old_field, default) {
                (Some(of), Some(d)) if of.null && !field.null => {
                    format!(
                        "coalesce({}, {})",
                        self.q(&of.column),
                        quote_value(self.vendor, &d)?
                    )
                }
                (Some(of), _) => self.q(&of.column),
                (None, Some(d)) => quote_value(self.vendor, &d)?,
                (None, None) => continue,
            };
            targets.push(self.q(&field.column));
            sources.push(expr);
        }
        self.execute(format!(
            "INSERT INTO {} ({}) SELECT {} FROM {}",
            self.q(&temp),
            targets.join(", "),
            sources.join(", "),
            self.q(&old.db_table)
        ));
        self.execute(format!("DROP TABLE {}", self.q(&old.db_table)));
        self.execute(format!(
            "ALTER TABLE {} RENAME TO {}",
            self.q(&temp),
            self.q(&new.db_table)
        ));
        for sql in self.model_indexes_sql(project, new)? {
            self.defer(&new.db_table, sql);
        }
        let pending = self.take_deferred();
        self.collected.extend(pending);
        Ok(())
    }
}
