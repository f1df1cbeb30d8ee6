//! Owned, editable model states: Django's `ModelState` / `ProjectState`.
//!
//! Compiled models are `'static` metadata that cannot change, but migrations must describe
//! the schema as it was at every point of history. These owned mirrors of [`ModelMeta`]
//! are what operations mutate, what the schema editor renders DDL from, and what the
//! autodetector diffs.

use crate::error::{DbError, Result};
use crate::models::indexes::IndexType;
use crate::models::manager::ManagerMeta;
use crate::models::meta::{
    ConstValue, Constraint, Field, FieldType, Index, ModelMeta, OnDelete, RelationKind, StaticQ,
};
use crate::value::{IntoValue, Value};

/// A constant in a constraint or index condition (owned [`ConstValue`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// `F("field")`: a reference to another column of the same row.
    F(String),
}

impl From<ConstValue> for Literal {
    fn from(v: ConstValue) -> Self {
        match v {
            ConstValue::Null => Literal::Null,
            ConstValue::Bool(b) => Literal::Bool(b),
            ConstValue::Int(i) => Literal::Int(i),
            ConstValue::Float(f) => Literal::Float(f),
            ConstValue::Str(s) => Literal::Str(s.to_owned()),
            ConstValue::F(s) => Literal::F(s.to_owned()),
        }
    }
}

/// An owned `Q` tree ([`StaticQ`]) of a check constraint or a partial index.
#[derive(Debug, Clone, PartialEq)]
pub enum QState {
    /// `("price__gte", 0)`.
    Lookup(String, Literal),
    And(Vec<QState>),
    Or(Vec<QState>),
    Not(Box<QState>),
}

impl From<&StaticQ> for QState {
    fn from(q: &StaticQ) -> Self {
        match q {
            StaticQ::Lookup(path, v) => QState::Lookup((*path).to_owned(), (*v).into()),
            StaticQ::And(qs) => QState::And(qs.iter().map(QState::from).collect()),
            StaticQ::Or(qs) => QState::Or(qs.iter().map(QState::from).collect()),
            StaticQ::Not(q) => QState::Not(Box::new(QState::from(*q))),
        }
    }
}

/// `Meta.indexes` entry; field names may start with `-` (descending). Generated
/// migrations build it with [`IndexState::new`] and the option setters, so options added
/// later do not break existing migration files.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexState {
    pub name: String,
    pub fields: Vec<String>,
    pub condition: Option<QState>,
    /// `opclasses=`, one per field.
    pub opclasses: Vec<String>,
    /// `include=`: the covering index's non-key fields.
    pub include: Vec<String>,
    /// `Index` or a `django.contrib.postgres.indexes` class with its options.
    pub index_type: IndexType,
}

impl IndexState {
    /// `Index(fields=[...], name="...")`.
    ///
    /// ```
    /// use nuages_db::migrations::state::IndexState;
    /// use nuages_db::models::indexes::IndexType;
    /// let gin = IndexState::new("doc_search_gin", ["search"])
    ///     .index_type(IndexType::GinIndex { fastupdate: Some(false), gin_pending_list_limit: None });
    /// assert_eq!(gin.index_type.class_name(), "GinIndex");
    /// ```
    pub fn new<S: Into<String>>(name: impl Into<String>, fields: impl IntoIterator<Item = S>) -> IndexState {
        IndexState {
            name: name.into(),
            fields: fields.into_iter().map(Into::into).collect(),
            ..IndexState::default()
        }
    }

    /// `condition=`: makes it a partial index.
    pub fn condition(mut self, condition: QState) -> IndexState {
        self.condition = Some(condition);
        self
    }

    /// `opclasses=`.
    pub fn opclasses<S: Into<String>>(mut self, opclasses: impl IntoIterator<Item = S>) -> IndexState {
        self.opclasses = opclasses.into_iter().map(Into::into).collect();
        self
    }

    /// `include=`.
    pub fn include<S: Into<String>>(mut self, include: impl IntoIterator<Item = S>) -> IndexState {
        self.include = include.into_iter().map(Into::into).collect();
        self
    }

    /// The index class (`GinIndex(...)` and the other PostgreSQL indexes).
    pub fn index_type(mut self, index_type: IndexType) -> IndexState {
        self.index_type = index_type;
        self
    }

    /// True when `other` is the same index under another name (Django's autodetector
    /// turns that into a `RenameIndex`).
    pub fn same_definition(&self, other: &IndexState) -> bool {
        IndexState {
            name: other.name.clone(),
            ..self.clone()
        } == *other
    }
}

impl From<&Index> for IndexState {
    fn from(i: &Index) -> Self {
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        IndexState {
            name: i.name.to_owned(),
            fields: strings(i.fields),
            condition: i.condition.as_ref().map(QState::from),
            opclasses: strings(i.opclasses),
            include: strings(i.include),
            index_type: i.index_type,
        }
    }
}

/// `Meta.constraints` entry.
#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintState {
    Unique {
        name: String,
        fields: Vec<String>,
        condition: Option<QState>,
    },
    Check {
        name: String,
        condition: QState,
    },
}

impl ConstraintState {
    /// The constraint's name.
    pub fn name(&self) -> &str {
        match self {
            ConstraintState::Unique { name, .. } | ConstraintState::Check { name, .. } => name,
        }
    }
}

impl From<&Constraint> for ConstraintState {
    fn from(c: &Constraint) -> Self {
        match c {
            Constraint::Unique {
                name,
                fields,
                condition,
            } => ConstraintState::Unique {
                name: (*name).to_owned(),
                fields: fields.iter().map(|s| (*s).to_owned()).collect(),
                condition: condition.as_ref().map(QState::from),
            },
            Constraint::Check { name, condition } => ConstraintState::Check {
                name: (*name).to_owned(),
                condition: condition.into(),
            },
        }
    }
}

/// Django's `on_delete` as it is written in a migration (`SET(...)` keeps no value: it
/// only matters to the ORM, never to the schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDeleteState {
    Cascade,
    Protect,
    Restrict,
    SetNull,
    SetDefault,
    Set,
    DoNothing,
}

impl From<OnDelete> for OnDeleteState {
    fn from(o: OnDelete) -> Self {
        match o {
            OnDelete::Cascade => OnDeleteState::Cascade,
            OnDelete::Protect => OnDeleteState::Protect,
            OnDelete::Restrict => OnDeleteState::Restrict,
            OnDelete::SetNull => OnDeleteState::SetNull,
            OnDelete::SetDefault => OnDeleteState::SetDefault,
            OnDelete::Set(_) => OnDeleteState::Set,
            OnDelete::DoNothing => OnDeleteState::DoNothing,
        }
    }
}

/// What a relation field points at, by lower-cased model label (`"bookstore.author"`).
#[derive(Debug, Clone, PartialEq)]
pub struct RelationState {
    pub kind: RelationKind,
    /// Lower-cased label of the target model (`app_label.model_name`).
    pub to: String,
    pub to_field: Option<String>,
    pub on_delete: OnDeleteState,
    pub db_constraint: bool,
    /// Lower-cased label of an explicit `through` model.
    pub through: Option<String>,
    /// `db_table` of the auto-created many-to-many table.
    pub m2m_db_table: Option<String>,
    pub related_name: Option<String>,
    /// Django's `parent_link=True` (the `<parent>_ptr` of a multi-table child).
    pub parent_link: bool,
}

/// One field of a [`ModelState`].
#[derive(Debug, Clone, PartialEq)]
pub struct FieldState {
    pub name: String,
    pub column: String,
    pub field_type: FieldType,
    pub null: bool,
    pub blank: bool,
    pub primary_key: bool,
    pub unique: bool,
    pub db_index: bool,
    pub max_length: Option<u32>,
    pub max_digits: Option<u32>,
    pub decimal_places: Option<u32>,
    /// The `default`, evaluated (Django's `effective_default`).
    pub default: Option<Value>,
    pub relation: Option<RelationState>,
    /// `ArrayField(base_field)`: the element field.
    pub base_field: Option<Box<FieldState>>,
    /// `ArrayField(size=)`.
    pub size: Option<u32>,
    /// `db_comment`: the column's comment in the database (PostgreSQL and MySQL; SQLite
    /// has no comments, as Django's `supports_comments = False` there).
    pub db_comment: Option<String>,
}

impl FieldState {
    /// A field with Django's defaults; its column is its name (`<name>_id` for a
    /// foreign key, set by [`FieldState::relation`]).
    pub fn new(name: impl Into<String>, field_type: FieldType) -> FieldState {
        let name = name.into();
        FieldState {
            column: name.clone(),
            name,
            field_type,
            null: false,
            blank: false,
            primary_key: false,
            unique: false,
            db_index: false,
            max_length: None,
            max_digits: None,
            decimal_places: None,
            default: None,
            relation: None,
            base_field: None,
            size: None,
            db_comment: None,
        }
    }

    /// `ArrayField(base_field)`: an array of `base`.
    pub fn array_of(mut self, base: FieldState) -> FieldState {
        self.field_type = FieldType::ArrayField;
        self.base_field = Some(Box::new(base));
        self
    }

    /// `ArrayField(size=)`.
    pub fn size(mut self, size: u32) -> FieldState {
        self.size = Some(size);
        self
    }

    /// Makes this a relation to `to` (a lower-cased label); foreign keys get Django's
    /// `<name>_id` column and `db_index=True`.
    pub fn relation(mut self, kind: RelationKind, to: impl Into<String>) -> FieldState {
        if kind != RelationKind::ManyToMany {
            self.column = format!("{}_id", self.name);
            self.db_index = true;
        }
        if kind == RelationKind::OneToOne {
            self.unique = true;
        }
        self.relation = Some(RelationState {
            kind,
            to: to.into().to_lowercase(),
            to_field: None,
            on_delete: OnDeleteState::Cascade,
            db_constraint: true,
            through: None,
            m2m_db_table: None,
            related_name: None,
            parent_link: false,
        });
        self
    }

    /// Sets `primary_key=True` (which implies unique).
    pub fn primary_key(mut self) -> FieldState {
        self.primary_key = true;
        self.unique = true;
        self
    }

    /// Sets `max_length`.
    pub fn max_length(mut self, n: u32) -> FieldState {
        self.max_length = Some(n);
        self
    }

    /// Sets `null=True`.
    pub fn null(mut self) -> FieldState {
        self.null = true;
        self
    }

    /// Sets `unique=True`.
    pub fn unique(mut self) -> FieldState {
        self.unique = true;
        self
    }

    /// Sets `db_index`.
    pub fn db_index(mut self, on: bool) -> FieldState {
        self.db_index = on;
        self
    }

    /// Sets `max_digits` and `decimal_places`.
    pub fn decimal(mut self, max_digits: u32, decimal_places: u32) -> FieldState {
        self.max_digits = Some(max_digits);
        self.decimal_places = Some(decimal_places);
        self
    }

    /// Sets the `default`.
    pub fn default(mut self, value: impl IntoValue) -> FieldState {
        self.default = Some(value.into_value());
        self
    }

    /// Sets `db_column`.
    pub fn db_column(mut self, column: impl Into<String>) -> FieldState {
        self.column = column.into();
        self
    }

    /// Sets `blank=True`.
    pub fn blank(mut self) -> FieldState {
        self.blank = true;
        self
    }

    /// Sets `db_comment`.
    ///
    /// ```
    /// use nuages_db::migrations::state::FieldState;
    /// use nuages_db::FieldType;
    /// let f = FieldState::new("isbn", FieldType::CharField).max_length(13).db_comment("ISBN-13");
    /// assert_eq!(f.db_comment.as_deref(), Some("ISBN-13"));
    /// ```
    pub fn db_comment(mut self, comment: impl Into<String>) -> FieldState {
        self.db_comment = Some(comment.into());
        self
    }

    fn rel_mut(&mut self) -> Option<&mut RelationState> {
        self.relation.as_mut()
    }

    /// Sets the relation's `on_delete` (after [`FieldState::relation`]).
    pub fn on_delete(mut self, on_delete: OnDeleteState) -> FieldState {
        if let Some(r) = self.rel_mut() {
            r.on_delete = on_delete;
        }
        self
    }

    /// Sets the relation's `to_field`.
    pub fn to_field(mut self, name: impl Into<String>) -> FieldState {
        if let Some(r) = self.rel_mut() {
            r.to_field = Some(name.into());
        }
        self
    }

    /// Sets the relation's `db_constraint`.
    pub fn db_constraint(mut self, on: bool) -> FieldState {
        if let Some(r) = self.rel_mut() {
            r.db_constraint = on;
        }
        self
    }

    /// Sets a many-to-many field's `through` model (a lower-cased label).
    pub fn through(mut self, label: impl Into<String>) -> FieldState {
        if let Some(r) = self.rel_mut() {
            r.through = Some(label.into().to_lowercase());
        }
        self
    }

    /// Sets a many-to-many field's `db_table`.
    pub fn m2m_db_table(mut self, table: impl Into<String>) -> FieldState {
        if let Some(r) = self.rel_mut() {
            r.m2m_db_table = Some(table.into());
        }
        self
    }

    /// Marks the relation as a multi-table child's parent link (`parent_link=True`).
    pub fn parent_link(mut self) -> FieldState {
        if let Some(r) = self.rel_mut() {
            r.parent_link = true;
        }
        self
    }

    /// Sets the relation's `related_name`.
    pub fn related_name(mut self, name: impl Into<String>) -> FieldState {
        if let Some(r) = self.rel_mut() {
            r.related_name = Some(name.into());
        }
        self
    }

    /// True for fields with a column in their model's table.
    pub fn is_concrete(&self) -> bool {
        self.field_type != FieldType::ManyToManyField
    }

    /// True for `ForeignKey` / `OneToOneField`.
    pub fn is_foreign_key(&self) -> bool {
        matches!(self.field_type, FieldType::ForeignKey | FieldType::OneToOneField)
    }

    /// Converts compiled field metadata.
    pub fn from_field(f: &Field) -> FieldState {
        let relation = f.relation.as_ref().map(|r| {
            let to = (r.to)();
            RelationState {
                kind: r.kind,
                to: label_lower(to.app_label, to.model_name),
                to_field: r.to_field.map(str::to_owned),
                on_delete: r.on_delete.into(),
                db_constraint: r.db_constraint,
                through: r.through.map(|t| {
                    let t = t();
                    label_lower(t.app_label, t.model_name)
                }),
                m2m_db_table: r.m2m_db_table.map(str::to_owned),
                related_name: r.related_name.map(str::to_owned),
                parent_link: r.parent_link,
            }
        });
        FieldState {
            name: f.name.to_owned(),
            column: f.column.to_owned(),
            field_type: f.field_type,
            null: f.null,
            blank: f.blank,
            primary_key: f.primary_key,
            unique: f.unique || f.primary_key,
            db_index: f.db_index,
            max_length: f.max_length,
            max_digits: f.max_digits,
            decimal_places: f.decimal_places,
            default: f.default.map(|d| d()),
            relation,
            base_field: f.base_field.map(|b| Box::new(FieldState::from_field(b))),
            size: f.size,
            db_comment: f.db_comment.map(str::to_owned),
        }
    }
}

/// Options of a model that do not change its table layout (`AlterModelOptions`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelOptions {
    pub ordering: Vec<String>,
    pub verbose_name: Option<String>,
    pub verbose_name_plural: Option<String>,
    pub permissions: Vec<(String, String)>,
    pub default_related_name: Option<String>,
    pub get_latest_by: Vec<String>,
}

/// A manager recorded in migrations (an entry of Django's `ModelState.managers`):
/// managers whose class has `use_in_migrations`, and a custom default manager, which
/// Django keeps as a plain `models.Manager()` under its name.
///
/// ```
/// use nuages_db::migrations::state::ManagerState;
/// let m = ManagerState::new("published", "managers::PublishedManager");
/// assert_eq!(m.class.as_deref(), Some("managers::PublishedManager"));
/// assert_eq!(ManagerState::plain("books").class, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerState {
    /// The attribute name (`objects`, `published`).
    pub name: String,
    /// The manager class's path as declared on the model; `None` is Django's plain
    /// `models.Manager()` (the shim of a default manager not used in migrations).
    pub class: Option<String>,
}

impl ManagerState {
    /// A manager of a custom class (one with `use_in_migrations`).
    pub fn new(name: impl Into<String>, class: impl Into<String>) -> ManagerState {
        ManagerState {
            name: name.into(),
            class: Some(class.into()),
        }
    }

    /// A plain `models.Manager()` under `name`.
    pub fn plain(name: impl Into<String>) -> ManagerState {
        ManagerState {
            name: name.into(),
            class: None,
        }
    }
}

/// The managers of a model, own ones first and then those inherited from its parent (or
/// the concrete model of a proxy) that it does not override: Django's `_meta.managers`.
fn declared_managers(meta: &ModelMeta) -> Vec<ManagerMeta> {
    let mut out: Vec<ManagerMeta> = meta.managers.to_vec();
    let inherited = meta.proxy_for.map(|c| c()).or_else(|| meta.parent_meta());
    if let Some(base) = inherited {
        for m in declared_managers(base) {
            if !out.iter().any(|o| o.name == m.name) {
                out.push(m);
            }
        }
    }
    out
}

/// Django's `ModelState.from_model` managers: managers with `use_in_migrations`, the
/// default (first) manager as a plain `Manager()` otherwise, and nothing when that
/// leaves only a plain `objects`.
fn managers_of(meta: &ModelMeta) -> Vec<ManagerState> {
    let mut out = Vec::new();
    for (i, m) in declared_managers(meta).iter().enumerate() {
        if m.use_in_migrations {
            out.push(ManagerState::new(m.name, m.class));
        } else if i == 0 {
            out.push(ManagerState::plain(m.name));
        }
    }
    if out == [ManagerState::plain("objects")] {
        out.clear();
    }
    out
}

/// Django's `ModelState`: one model at one point of the migration history.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelState {
    pub app_label: String,
    /// The class name (`Book`).
    pub name: String,
    pub db_table: String,
    /// `Meta.db_table_comment` (Django keeps it in `options`; it is separate here because
    /// `AlterModelOptions` replaces the options and must not touch it, as in Django,
    /// where `AlterModelTableComment` alone changes it).
    pub db_table_comment: Option<String>,
    pub fields: Vec<FieldState>,
    pub unique_together: Vec<Vec<String>>,
    pub indexes: Vec<IndexState>,
    pub constraints: Vec<ConstraintState>,
    pub managed: bool,
    pub options: ModelOptions,
    /// True for Django's auto-created many-to-many tables (never in migrations).
    pub auto_created: bool,
    /// `bases` of `CreateModel`: the lower-cased labels of the multi-table parents (or of
    /// the concrete model of a proxy); empty for `models.Model`.
    pub bases: Vec<String>,
    /// `Meta.proxy`: the model has no table of its own (and no fields in migrations).
    pub proxy: bool,
    /// The managers migrations keep (`CreateModel(managers=...)`, `AlterModelManagers`).
    pub managers: Vec<ManagerState>,
}

/// `app_label.model_name`, lower-cased: the key of a model in a [`ProjectState`].
pub fn label_lower(app_label: &str, model: &str) -> String {
    format!("{}.{}", app_label, model).to_lowercase()
}

impl ModelState {
    /// A managed model with Django's default table name `<app_label>_<model_name>`.
    pub fn new(app_label: impl Into<String>, name: impl Into<String>, fields: Vec<FieldState>) -> ModelState {
        let app_label = app_label.into();
        let name = name.into();
        ModelState {
            db_table: format!("{}_{}", app_label, name.to_lowercase()),
            app_label,
            name,
            db_table_comment: None,
            fields,
            unique_together: Vec::new(),
            indexes: Vec::new(),
            constraints: Vec::new(),
            managed: true,
            options: ModelOptions::default(),
            auto_created: false,
            bases: Vec::new(),
            proxy: false,
            managers: Vec::new(),
        }
    }

    /// Sets the managers (`CreateModel(managers=[...])`).
    pub fn managers(mut self, managers: Vec<ManagerState>) -> ModelState {
        self.managers = managers;
        self
    }

    /// A recorded manager by name: what a data migration sees on the historical model.
    pub fn manager(&self, name: &str) -> Option<&ManagerState> {
        self.managers.iter().find(|m| m.name == name)
    }

    /// Sets `db_table`.
    pub fn db_table(mut self, table: impl Into<String>) -> ModelState {
        self.db_table = table.into();
        self
    }

    /// Sets `Meta.db_table_comment`.
    ///
    /// ```
    /// use nuages_db::migrations::state::ModelState;
    /// let m = ModelState::new("shop", "Book", vec![]).db_table_comment("Books on sale");
    /// assert_eq!(m.db_table_comment.as_deref(), Some("Books on sale"));
    /// ```
    pub fn db_table_comment(mut self, comment: impl Into<String>) -> ModelState {
        self.db_table_comment = Some(comment.into());
        self
    }

    /// Sets `unique_together`.
    pub fn unique_together(mut self, sets: Vec<Vec<String>>) -> ModelState {
        self.unique_together = sets;
        self
    }

    /// Sets `Meta.indexes`.
    pub fn indexes(mut self, indexes: Vec<IndexState>) -> ModelState {
        self.indexes = indexes;
        self
    }

    /// Sets `Meta.constraints`.
    pub fn constraints(mut self, constraints: Vec<ConstraintState>) -> ModelState {
        self.constraints = constraints;
        self
    }

    /// Sets `bases` (lower-cased labels of the parents).
    pub fn bases(mut self, bases: Vec<String>) -> ModelState {
        self.bases = bases.into_iter().map(|b| b.to_lowercase()).collect();
        self
    }

    /// Makes this a proxy model (`options={"proxy": True}`).
    pub fn proxy(mut self) -> ModelState {
        self.proxy = true;
        self
    }

    /// True when migrations create, alter and drop this model's table (Django's
    /// `can_migrate`: managed and not a proxy).
    pub fn has_table(&self) -> bool {
        self.managed && !self.proxy
    }

    /// Sets `managed`.
    pub fn managed(mut self, managed: bool) -> ModelState {
        self.managed = managed;
        self
    }

    /// Sets the options without a schema effect.
    pub fn options(mut self, options: ModelOptions) -> ModelState {
        self.options = options;
        self
    }

    /// The lower-cased model name (`book`).
    pub fn name_lower(&self) -> String {
        self.name.to_lowercase()
    }

    /// The key of this model in a [`ProjectState`] (`bookstore.book`).
    pub fn label_lower(&self) -> String {
        label_lower(&self.app_label, &self.name)
    }

    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&FieldState> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// A field by name, or Django's `FieldDoesNotExist` as a `FieldError`.
    pub fn get_field(&self, name: &str) -> Result<&FieldState> {
        self.field(name)
            .ok_or_else(|| DbError::FieldDoesNotExist(format!("{} has no field named '{}'", self.name, name)))
    }

    /// The primary key field.
    pub fn pk(&self) -> Result<&FieldState> {
        self.fields.iter().find(|f| f.primary_key).ok_or_else(|| {
            DbError::FieldError(format!("{}.{} has no primary key", self.app_label, self.name))
        })
    }

    /// The options of compiled metadata that have no schema effect.
    fn options_of(meta: &ModelMeta) -> ModelOptions {
        ModelOptions {
            ordering: meta.ordering.iter().map(|s| (*s).to_owned()).collect(),
            verbose_name: (meta.verbose_name != meta.model_name).then(|| meta.verbose_name.to_owned()),
            verbose_name_plural: (meta.verbose_name_plural != meta.model_name)
                .then(|| meta.verbose_name_plural.to_owned()),
            permissions: meta
                .permissions
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
            default_related_name: meta.default_related_name.map(str::to_owned),
            get_latest_by: meta.get_latest_by.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// Converts compiled metadata.
    pub fn from_meta(meta: &ModelMeta) -> ModelState {
        if let Some(concrete) = meta.proxy_for {
            // Django's proxy `CreateModel`: no fields, the concrete model as base.
            let c = concrete();
            let mut state = ModelState::from_meta(c);
            state.name = meta.object_name.to_owned();
            state.fields = Vec::new();
            state.unique_together = Vec::new();
            state.indexes = Vec::new();
            state.constraints = Vec::new();
            state.managed = meta.managed;
            state.db_table_comment = meta.db_table_comment.map(str::to_owned);
            state.bases = vec![label_lower(c.app_label, c.model_name)];
            state.proxy = true;
            state.managers = managers_of(meta);
            state.options = ModelState::options_of(meta);
            if state
                .options
                .ordering
                .iter()
                .map(String::as_str)
                .eq(c.ordering.iter().copied())
            {
                state.options.ordering = Vec::new();
            }
            state.app_label = meta.app_label.to_owned();
            return state;
        }
        let parent = meta.parent_meta();
        let mut options = ModelState::options_of(meta);
        // A child inherits its parent's ordering and get_latest_by without declaring them.
        if let Some(p) = parent {
            if options
                .ordering
                .iter()
                .map(String::as_str)
                .eq(p.ordering.iter().copied())
            {
                options.ordering = Vec::new();
            }
            if options
                .get_latest_by
                .iter()
                .map(String::as_str)
                .eq(p.get_latest_by.iter().copied())
            {
                options.get_latest_by = Vec::new();
            }
        }
        ModelState {
            bases: parent
                .map(|p| vec![label_lower(p.app_label, p.model_name)])
                .unwrap_or_default(),
            proxy: false,
            app_label: meta.app_label.to_owned(),
            name: meta.object_name.to_owned(),
            db_table: meta.db_table.to_owned(),
            db_table_comment: meta.db_table_comment.map(str::to_owned),
            fields: meta.local_fields().iter().map(FieldState::from_field).collect(),
            unique_together: meta
                .unique_together
                .iter()
                .map(|ut| ut.iter().map(|s| (*s).to_owned()).collect())
                .collect(),
            indexes: meta.indexes.iter().map(IndexState::from).collect(),
            constraints: meta.constraints.iter().map(ConstraintState::from).collect(),
            managed: meta.managed,
            options,
            auto_created: false,
            managers: managers_of(meta),
        }
    }
}

/// Django's `ProjectState`: every model at one point of the history, in insertion order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectState {
    pub models: Vec<ModelState>,
}

impl ProjectState {
    /// An empty state.
    pub fn new() -> ProjectState {
        ProjectState::default()
    }

    /// The state of compiled models, with every model they relate to (transitively).
    pub fn from_metas(metas: &[&'static ModelMeta]) -> ProjectState {
        let mut state = ProjectState::new();
        let mut stack: Vec<&'static ModelMeta> = metas.to_vec();
        stack.reverse();
        while let Some(meta) = stack.pop() {
            if state.get(&label_lower(meta.app_label, meta.model_name)).is_some() {
                continue;
            }
            state.models.push(ModelState::from_meta(meta));
            if let Some(c) = meta.proxy_for {
                stack.push(c());
            }
            for f in meta.fields {
                if let Some(r) = &f.relation {
                    stack.push((r.to)());
                    if let Some(t) = r.through {
                        stack.push(t());
                    }
                }
            }
        }
        state
    }

    /// A model by lower-cased label (`bookstore.book`), case-insensitively.
    pub fn get(&self, label: &str) -> Option<&ModelState> {
        let label = label.to_lowercase();
        self.models.iter().find(|m| m.label_lower() == label)
    }

    /// A mutable model by label.
    pub fn get_mut(&mut self, label: &str) -> Option<&mut ModelState> {
        let label = label.to_lowercase();
        self.models.iter_mut().find(|m| m.label_lower() == label)
    }

    /// A model by label, or Django's `LookupError` message as a `FieldError`.
    pub fn model(&self, label: &str) -> Result<&ModelState> {
        self.get(label)
            .ok_or_else(|| DbError::FieldError(format!("No installed model with label '{label}'.")))
    }

    /// A mutable model by label, or an error.
    pub fn model_mut(&mut self, label: &str) -> Result<&mut ModelState> {
        self.get_mut(label)
            .ok_or_else(|| DbError::FieldError(format!("No installed model with label '{label}'.")))
    }

    /// Adds (or replaces) a model.
    pub fn add_model(&mut self, model: ModelState) {
        let label = model.label_lower();
        if let Some(m) = self.get_mut(&label) {
            *m = model;
        } else {
            self.models.push(model);
        }
    }

    /// Removes a model, returning it.
    pub fn remove_model(&mut self, label: &str) -> Option<ModelState> {
        let label = label.to_lowercase();
        let pos = self.models.iter().position(|m| m.label_lower() == label)?;
        Some(self.models.remove(pos))
    }

    /// The field a relation points at (its `to_field`, else the target's primary key),
    /// with the target model.
    pub fn target_field<'a>(&'a self, rel: &RelationState) -> Result<(&'a ModelState, &'a FieldState)> {
        let target = self.model(&rel.to)?;
        let field = match &rel.to_field {
            Some(name) => target.get_field(name)?,
            None => target.pk()?,
        };
        Ok((target, field))
    }
}
