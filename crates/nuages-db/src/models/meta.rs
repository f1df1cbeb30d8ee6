//! `ModelMeta`: Django's `Model._meta`, as static data.
//!
//! `#[derive(Model)]` writes one `static` [`ModelMeta`] per model. Everything is `'static`
//! and `const`-constructible so the metadata costs nothing at run time and can be read from
//! anywhere (the query compiler, migrations, admin, serializers, fixtures).
//!
//! ```
//! use nuages_db::models::meta::{Field, FieldType, ModelMeta};
//! static FIELDS: [Field; 2] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field::new("name", FieldType::CharField).max_length(100),
//! ];
//! static META: ModelMeta = ModelMeta::new("bookstore", "Genre", "genre", "bookstore_genre", &FIELDS);
//! assert_eq!(META.pk().name, "id");
//! assert_eq!(META.field("name").unwrap().max_length, Some(100));
//! assert_eq!(META.label(), "bookstore.Genre");
//! ```

use crate::models::indexes::IndexType;
use crate::value::Value;

/// Django's field classes. Relation fields carry a [`Relation`] on the [`Field`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    AutoField,
    BigAutoField,
    SmallAutoField,
    SmallIntegerField,
    IntegerField,
    BigIntegerField,
    PositiveSmallIntegerField,
    PositiveIntegerField,
    PositiveBigIntegerField,
    FloatField,
    DecimalField,
    CharField,
    TextField,
    EmailField,
    SlugField,
    URLField,
    UUIDField,
    BooleanField,
    DateField,
    DateTimeField,
    TimeField,
    DurationField,
    BinaryField,
    JSONField,
    ForeignKey,
    OneToOneField,
    ManyToManyField,
    /// `django.contrib.postgres` fields (PostgreSQL only; other backends refuse them
    /// with `NotSupportedError`). `ArrayField`'s element type is [`Field::base_field`].
    ArrayField,
    IntegerRangeField,
    BigIntegerRangeField,
    DecimalRangeField,
    DateRangeField,
    DateTimeRangeField,
    SearchVectorField,
    /// The output type of `SearchQuery` (not a model field).
    SearchQueryField,
}

impl FieldType {
    /// An integer column of its own (the auto and integer fields, not relations), as
    /// Django's `IntegerField` subclasses: what integer lookups and conversions key on.
    pub fn is_integer(self) -> bool {
        use FieldType::*;
        matches!(
            self,
            AutoField
                | BigAutoField
                | SmallAutoField
                | SmallIntegerField
                | IntegerField
                | BigIntegerField
                | PositiveSmallIntegerField
                | PositiveIntegerField
                | PositiveBigIntegerField
        )
    }

    /// Django's class name, as used in messages and migrations (`"CharField"`).
    pub fn name(self) -> &'static str {
        match self {
            FieldType::AutoField => "AutoField",
            FieldType::BigAutoField => "BigAutoField",
            FieldType::SmallAutoField => "SmallAutoField",
            FieldType::SmallIntegerField => "SmallIntegerField",
            FieldType::IntegerField => "IntegerField",
            FieldType::BigIntegerField => "BigIntegerField",
            FieldType::PositiveSmallIntegerField => "PositiveSmallIntegerField",
            FieldType::PositiveIntegerField => "PositiveIntegerField",
            FieldType::PositiveBigIntegerField => "PositiveBigIntegerField",
            FieldType::FloatField => "FloatField",
            FieldType::DecimalField => "DecimalField",
            FieldType::CharField => "CharField",
            FieldType::TextField => "TextField",
            FieldType::EmailField => "EmailField",
            FieldType::SlugField => "SlugField",
            FieldType::URLField => "URLField",
            FieldType::UUIDField => "UUIDField",
            FieldType::BooleanField => "BooleanField",
            FieldType::DateField => "DateField",
            FieldType::DateTimeField => "DateTimeField",
            FieldType::TimeField => "TimeField",
            FieldType::DurationField => "DurationField",
            FieldType::BinaryField => "BinaryField",
            FieldType::JSONField => "JSONField",
            FieldType::ForeignKey => "ForeignKey",
            FieldType::OneToOneField => "OneToOneField",
            FieldType::ManyToManyField => "ManyToManyField",
            FieldType::ArrayField => "ArrayField",
            FieldType::IntegerRangeField => "IntegerRangeField",
            FieldType::BigIntegerRangeField => "BigIntegerRangeField",
            FieldType::DecimalRangeField => "DecimalRangeField",
            FieldType::DateRangeField => "DateRangeField",
            FieldType::DateTimeRangeField => "DateTimeRangeField",
            FieldType::SearchVectorField => "SearchVectorField",
            FieldType::SearchQueryField => "SearchQueryField",
        }
    }

    /// Auto-incrementing primary key types.
    pub fn is_auto(self) -> bool {
        matches!(
            self,
            FieldType::AutoField | FieldType::BigAutoField | FieldType::SmallAutoField
        )
    }

    /// Relation fields (`ForeignKey`, `OneToOneField`, `ManyToManyField`).
    pub fn is_relation(self) -> bool {
        matches!(
            self,
            FieldType::ForeignKey | FieldType::OneToOneField | FieldType::ManyToManyField
        )
    }
}

/// Django's `on_delete` behaviours.
#[derive(Debug, Clone, Copy)]
pub enum OnDelete {
    Cascade,
    Protect,
    Restrict,
    SetNull,
    SetDefault,
    /// `SET(value)` or `SET(callable)`: the function gives the value.
    Set(fn() -> Value),
    DoNothing,
}

/// The kind of a relation field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    ForeignKey,
    OneToOne,
    ManyToMany,
}

/// What a relation field points at. Targets are functions so models can refer to each
/// other (and to themselves) without initialisation-order problems.
#[derive(Debug, Clone, Copy)]
pub struct Relation {
    pub kind: RelationKind,
    pub to: fn() -> &'static ModelMeta,
    pub on_delete: OnDelete,
    /// `related_name`; `None` means Django's default (`<model>_set`, or `<model>` for
    /// one-to-one), `Some("+")` means no reverse relation.
    pub related_name: Option<&'static str>,
    /// `related_query_name`; defaults to `related_name`, then to the model name.
    pub related_query_name: Option<&'static str>,
    /// `to_field`; `None` means the target's primary key.
    pub to_field: Option<&'static str>,
    pub db_constraint: bool,
    /// `through` model of a many-to-many relation; `None` means the auto-created table.
    pub through: Option<fn() -> &'static ModelMeta>,
    /// `db_table` of the auto-created many-to-many table.
    pub m2m_db_table: Option<&'static str>,
    pub symmetrical: bool,
    /// Django's `parent_link=True`: the one-to-one key of a multi-table child
    /// (`<parent>_ptr`), which is also its primary key.
    pub parent_link: bool,
}

impl Relation {
    /// A relation with Django's defaults for `kind` (`on_delete=CASCADE`, constraint on).
    pub const fn new(kind: RelationKind, to: fn() -> &'static ModelMeta) -> Relation {
        Relation {
            kind,
            to,
            on_delete: OnDelete::Cascade,
            related_name: None,
            related_query_name: None,
            to_field: None,
            db_constraint: true,
            through: None,
            m2m_db_table: None,
            symmetrical: false,
            parent_link: false,
        }
    }
}

/// A constant value usable in static metadata (validators, constraints, choices).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConstValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'static str),
    /// `F("field")` inside a constraint condition.
    F(&'static str),
}

impl ConstValue {
    /// The runtime [`Value`] (an `F` reference has none and gives `NULL`).
    pub fn to_value(self) -> Value {
        match self {
            ConstValue::Null | ConstValue::F(_) => Value::Null,
            ConstValue::Bool(b) => Value::Bool(b),
            ConstValue::Int(i) => Value::Int(i),
            ConstValue::Float(f) => Value::Float(f),
            ConstValue::Str(s) => Value::Text(s.to_owned()),
        }
    }
}

/// A `Q` tree in static metadata (`CheckConstraint(condition=...)`, `UniqueConstraint(condition=...)`).
#[derive(Debug, Clone, Copy)]
pub enum StaticQ {
    /// `("price__gte", 0)`: a lookup path and its right-hand side.
    Lookup(&'static str, ConstValue),
    And(&'static [StaticQ]),
    Or(&'static [StaticQ]),
    Not(&'static StaticQ),
}

/// One of a field's `choices`.
#[derive(Debug, Clone, Copy)]
pub struct Choice {
    pub value: ConstValue,
    pub label: &'static str,
}

/// Built-in validators (`django.core.validators`) plus user functions.
#[derive(Debug, Clone, Copy)]
pub enum Validator {
    MinValue(ConstValue),
    MaxValue(ConstValue),
    MinLength(usize),
    MaxLength(usize),
    /// `RegexValidator(regex, message, inverse_match)`.
    Regex {
        pattern: &'static str,
        message: &'static str,
        inverse_match: bool,
    },
    Email,
    Url,
    /// A user function; `Err` carries the message.
    Custom(fn(&Value) -> Result<(), String>),
}

/// `Meta.indexes` entry (Django's `Index` or a `django.contrib.postgres.indexes` class).
/// Field names may start with `-` for a descending column.
#[derive(Debug, Clone, Copy)]
pub struct Index {
    pub name: &'static str,
    pub fields: &'static [&'static str],
    /// `condition=`: a partial index.
    pub condition: Option<StaticQ>,
    /// `opclasses=`: one PostgreSQL operator class per field (ignored elsewhere, as
    /// Django's base schema editor does).
    pub opclasses: &'static [&'static str],
    /// `include=`: non-key columns of a covering index (PostgreSQL only; other
    /// backends leave them out, as Django does).
    pub include: &'static [&'static str],
    /// The index class and its options.
    pub index_type: IndexType,
}

impl Index {
    /// A plain `Index(fields=..., name=...)`, for hand-written metadata; the other
    /// options are set with struct update syntax.
    ///
    /// ```
    /// use nuages_db::models::indexes::IndexType;
    /// use nuages_db::models::meta::Index;
    /// const GIN: Index = Index {
    ///     index_type: IndexType::GinIndex { fastupdate: None, gin_pending_list_limit: None },
    ///     ..Index::new("doc_search_gin", &["search"])
    /// };
    /// assert_eq!(GIN.index_type.suffix(), "gin");
    /// ```
    pub const fn new(name: &'static str, fields: &'static [&'static str]) -> Index {
        Index {
            name,
            fields,
            condition: None,
            opclasses: &[],
            include: &[],
            index_type: IndexType::Index,
        }
    }
}

/// `Meta.constraints` entry.
#[derive(Debug, Clone, Copy)]
pub enum Constraint {
    Unique {
        name: &'static str,
        fields: &'static [&'static str],
        condition: Option<StaticQ>,
    },
    Check {
        name: &'static str,
        condition: StaticQ,
    },
}

impl Constraint {
    /// The constraint's name.
    pub fn name(&self) -> &'static str {
        match self {
            Constraint::Unique { name, .. } | Constraint::Check { name, .. } => name,
        }
    }
}

/// One field of a model: Django's `Field` instance attributes.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The field name used in lookups (`author`).
    pub name: &'static str,
    /// The attribute holding the raw value (`author_id` for a foreign key).
    pub attname: &'static str,
    /// The database column (`db_column`, else `attname`).
    pub column: &'static str,
    pub field_type: FieldType,
    pub null: bool,
    pub blank: bool,
    pub primary_key: bool,
    pub unique: bool,
    pub db_index: bool,
    pub editable: bool,
    pub auto_now: bool,
    pub auto_now_add: bool,
    pub max_length: Option<u32>,
    pub max_digits: Option<u32>,
    pub decimal_places: Option<u32>,
    /// `default`: a constant or a function, both as a function.
    pub default: Option<fn() -> Value>,
    pub choices: &'static [Choice],
    pub validators: &'static [Validator],
    pub verbose_name: &'static str,
    pub help_text: &'static str,
    /// Django's `db_comment`: the column's comment, written by migrations on PostgreSQL
    /// and MySQL (SQLite has none).
    pub db_comment: Option<&'static str>,
    pub relation: Option<Relation>,
    /// A custom field class (Django's `Field` subclass) with its conversions; the
    /// `field_type` is then its base class.
    pub custom: Option<&'static super::custom::CustomField>,
    /// `ArrayField(base_field)`: the element field (PostgreSQL).
    pub base_field: Option<&'static Field>,
    /// `ArrayField(size=)`: the declared length (PostgreSQL does not enforce it).
    pub size: Option<u32>,
}

impl Field {
    /// A field with Django's defaults (not null, not blank, editable), whose column and
    /// attname are its name.
    pub const fn new(name: &'static str, field_type: FieldType) -> Field {
        Field {
            name,
            attname: name,
            column: name,
            field_type,
            null: false,
            blank: false,
            primary_key: false,
            unique: false,
            db_index: false,
            editable: true,
            auto_now: false,
            auto_now_add: false,
            max_length: None,
            max_digits: None,
            decimal_places: None,
            default: None,
            choices: &[],
            validators: &[],
            verbose_name: name,
            help_text: "",
            db_comment: None,
            relation: None,
            custom: None,
            base_field: None,
            size: None,
        }
    }

    /// Makes the field an instance of a custom field class (its `field_type` becomes
    /// the class's base).
    pub const fn custom(mut self, class: &'static super::custom::CustomField) -> Field {
        self.field_type = class.base;
        self.custom = Some(class);
        self
    }

    /// Django's field class name: the custom class's, else the built-in one's.
    pub fn class_name(&self) -> &'static str {
        match self.custom {
            Some(c) => c.name,
            None => self.field_type.name(),
        }
    }

    /// `ArrayField(base_field)`: makes this an array of `base` (its name is not used).
    pub const fn base_field(mut self, base: &'static Field) -> Field {
        self.field_type = FieldType::ArrayField;
        self.base_field = Some(base);
        self
    }

    /// `ArrayField(size=)`.
    pub const fn size(mut self, size: u32) -> Field {
        self.size = Some(size);
        self
    }

    /// Marks the field as the primary key (which implies unique).
    pub const fn primary_key(mut self) -> Field {
        self.primary_key = true;
        self.unique = true;
        self
    }

    /// Sets `max_length`.
    pub const fn max_length(mut self, n: u32) -> Field {
        self.max_length = Some(n);
        self
    }

    /// Sets `null=True`.
    pub const fn null(mut self) -> Field {
        self.null = true;
        self
    }

    /// Sets `db_comment`: the column's comment in the database (PostgreSQL, MySQL).
    pub const fn db_comment(mut self, comment: &'static str) -> Field {
        self.db_comment = Some(comment);
        self
    }

    /// True for fields that have a column in the model's table (not many-to-many).
    pub fn is_concrete(&self) -> bool {
        self.field_type != FieldType::ManyToManyField
    }

    /// True for `ForeignKey` and `OneToOneField`.
    pub fn is_foreign_key(&self) -> bool {
        matches!(self.field_type, FieldType::ForeignKey | FieldType::OneToOneField)
    }
}

/// Django's `Model._meta`.
#[derive(Debug)]
pub struct ModelMeta {
    pub app_label: &'static str,
    /// The class name (`Book`).
    pub object_name: &'static str,
    /// The lower-cased class name (`book`).
    pub model_name: &'static str,
    pub db_table: &'static str,
    /// All fields in declaration order, primary key included (an implicit `id` first).
    pub fields: &'static [Field],
    pub ordering: &'static [&'static str],
    pub unique_together: &'static [&'static [&'static str]],
    pub indexes: &'static [Index],
    pub constraints: &'static [Constraint],
    pub verbose_name: &'static str,
    pub verbose_name_plural: &'static str,
    pub managed: bool,
    /// Extra permissions: `(codename, name)`.
    pub permissions: &'static [(&'static str, &'static str)],
    pub default_related_name: Option<&'static str>,
    pub get_latest_by: &'static [&'static str],
    /// Django's `Meta.db_table_comment`: the table's comment, written by migrations on
    /// PostgreSQL and MySQL (SQLite has none).
    pub db_table_comment: Option<&'static str>,
    /// `GenericForeignKey`s (Django's private fields): no column, described by the two
    /// concrete fields they combine.
    pub generic_foreign_keys: &'static [GenericForeignKeyMeta],
    /// `GenericRelation`s: the reverse side of another model's generic foreign key,
    /// declared on the target (no column either).
    pub generic_relations: &'static [GenericRelationMeta],
    /// Multi-table inheritance: the parent model and the name of the parent link
    /// (`publication_ptr`). The parent's fields are listed first in `fields`, as in
    /// Django's `_meta.fields`, but live in the parent's table.
    pub parent: Option<ParentLink>,
    /// `Meta.proxy`: the concrete model whose table and fields a proxy model shares.
    pub proxy_for: Option<fn() -> &'static ModelMeta>,
    /// Managers declared with `#[model(managers = [...])]` (Django's `_meta.managers`);
    /// empty for the implicit `objects`.
    pub managers: &'static [crate::models::manager::ManagerMeta],
    /// The `get_queryset()` of the default manager (the first of [`ModelMeta::managers`],
    /// Django's `_meta.default_manager`), set by the derive when managers are declared;
    /// `None` is the implicit `objects` over every row. Read it through
    /// [`ModelMeta::default_manager_queryset`].
    pub default_manager: Option<fn() -> crate::query::DynQuerySet>,
}

/// The link of a multi-table child to its parent (Django's `_meta.parents` entry).
#[derive(Debug, Clone, Copy)]
pub struct ParentLink {
    pub parent: fn() -> &'static ModelMeta,
    /// The one-to-one field of the child pointing at the parent (its primary key).
    pub field: &'static str,
}

/// A `GenericForeignKey(ct_field, fk_field)`: the `content_type` foreign key and the
/// `object_id` field that together point at a row of any model.
#[derive(Debug, Clone, Copy)]
pub struct GenericForeignKeyMeta {
    /// The attribute name (`content_object`).
    pub name: &'static str,
    /// The foreign key to `ContentType` (`content_type`).
    pub ct_field: &'static str,
    /// The field holding the related object's primary key (`object_id`).
    pub fk_field: &'static str,
    /// Django's `for_concrete_model` (default true): setting a proxy instance stores its
    /// concrete model's content type; false stores the proxy's own.
    pub for_concrete_model: bool,
}

/// A `GenericRelation(to, object_id_field, content_type_field, related_query_name)`.
#[derive(Debug, Clone, Copy)]
pub struct GenericRelationMeta {
    /// The attribute and lookup name (`votes`).
    pub name: &'static str,
    /// The model holding the generic foreign key (`Vote`).
    pub to: fn() -> &'static ModelMeta,
    /// `object_id_field` on `to`.
    pub object_id_field: &'static str,
    /// `content_type_field` on `to`.
    pub content_type_field: &'static str,
    /// `related_query_name`: the lookup from `to` back to this model.
    pub related_query_name: Option<&'static str>,
}

impl ModelMeta {
    /// Metadata with Django's defaults for everything but the names, table and fields.
    pub const fn new(
        app_label: &'static str,
        object_name: &'static str,
        model_name: &'static str,
        db_table: &'static str,
        fields: &'static [Field],
    ) -> ModelMeta {
        ModelMeta {
            app_label,
            object_name,
            model_name,
            db_table,
            fields,
            ordering: &[],
            unique_together: &[],
            indexes: &[],
            constraints: &[],
            verbose_name: model_name,
            verbose_name_plural: model_name,
            managed: true,
            permissions: &[],
            default_related_name: None,
            get_latest_by: &[],
            db_table_comment: None,
            generic_foreign_keys: &[],
            generic_relations: &[],
            parent: None,
            proxy_for: None,
            managers: &[],
            default_manager: None,
        }
    }

    /// `Model._default_manager.all()`: the rows the default manager shows, which is what
    /// Django's `dumpdata` serializes unless given `--all`. A custom first manager's
    /// filter applies; without declared managers it is every row (Django's
    /// `_base_manager`, which is `DynQuerySet::new(meta)`).
    ///
    /// ```
    /// use nuages_db::{Field, FieldType, ModelMeta, Vendor};
    /// static FIELDS: [Field; 1] = [Field::new("id", FieldType::BigAutoField).primary_key()];
    /// static META: ModelMeta = ModelMeta::new("shop", "Book", "book", "shop_book", &FIELDS);
    /// let sql = META.default_manager_queryset().sql(Vendor::Sqlite).unwrap().unwrap().sql;
    /// assert!(!sql.contains("WHERE"));
    /// ```
    pub fn default_manager_queryset(&'static self) -> crate::query::DynQuerySet {
        match self.default_manager {
            Some(get_queryset) => get_queryset(),
            None => crate::query::DynQuerySet::new(self),
        }
    }

    /// `app_label.ObjectName`, Django's `_meta.label` (used in `delete()` counts).
    pub fn label(&self) -> String {
        format!("{}.{}", self.app_label, self.object_name)
    }

    /// The primary key field (a multi-table child's is its parent link).
    ///
    /// # Panics
    /// When the metadata has no primary key, which `#[derive(Model)]` never produces.
    pub fn pk(&self) -> &'static Field {
        self.local_fields()
            .iter()
            .find(|f| f.primary_key)
            .expect("ModelMeta without a primary key: #[derive(Model)] always adds one")
    }

    /// The parent of a multi-table child (Django's `_meta.get_parent_list()[0]`).
    pub fn parent_meta(&self) -> Option<&'static ModelMeta> {
        self.parent.map(|p| (p.parent)())
    }

    /// The model owning the table: a proxy's concrete model, else the model itself
    /// (Django's `_meta.concrete_model`).
    pub fn concrete_model(&'static self) -> &'static ModelMeta {
        match self.proxy_for {
            Some(f) => f().concrete_model(),
            None => self,
        }
    }

    /// The concrete model's metadata without requiring a `'static` borrow of `self`.
    pub fn concrete_model_of(&self) -> &ModelMeta {
        match self.proxy_for {
            Some(f) => f().concrete_model(),
            None => self,
        }
    }

    /// True for `Meta.proxy` models (same table as their concrete model).
    pub fn is_proxy(&self) -> bool {
        self.proxy_for.is_some()
    }

    /// The fields stored in this model's own table (Django's `_meta.local_fields` plus
    /// local many-to-many fields): all fields but those inherited from a multi-table
    /// parent.
    pub fn local_fields(&self) -> &'static [Field] {
        match self.parent_meta() {
            Some(p) => self.fields.get(p.fields.len()..).unwrap_or(&[]),
            None => self.fields,
        }
    }

    /// The local fields with a column (the row layout of this model's own table).
    pub fn local_concrete_fields(&self) -> impl Iterator<Item = &'static Field> {
        self.local_fields().iter().filter(|f| f.is_concrete())
    }

    /// True when `field` (one of `fields`) comes from a multi-table parent and so lives
    /// in the parent's table.
    pub fn is_inherited(&self, field: &Field) -> bool {
        let local = self.local_fields();
        !local.iter().any(|f| std::ptr::eq(f, field)) && !local.iter().any(|f| f.name == field.name)
    }

    /// A field by name or attname (`author` or `author_id`).
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name || f.attname == name)
    }

    /// Fields with a column in this table, in declaration order: the row layout of
    /// [`Model::from_db`](crate::Model::from_db).
    pub fn concrete_fields(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| f.is_concrete())
    }

    /// A `GenericRelation` declared on this model, by name.
    pub fn generic_relation(&self, name: &str) -> Option<&'static GenericRelationMeta> {
        self.generic_relations.iter().find(|g| g.name == name)
    }

    /// A `GenericForeignKey` of this model, by name.
    pub fn generic_foreign_key(&self, name: &str) -> Option<&'static GenericForeignKeyMeta> {
        self.generic_foreign_keys.iter().find(|g| g.name == name)
    }
}
