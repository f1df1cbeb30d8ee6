//! Custom field types: Django's `Field` subclasses that convert values on their way to
//! and from the database (`from_db_value`, `get_prep_value`, `to_python`).
//!
//! A [`CustomField`] names a class (`EncryptedTextField`) and the built-in class it
//! extends (`TextField`): the column, migrations, fixtures and the lookups come from the
//! base class (plus lookups registered on the custom class itself,
//! [`FieldClass::Custom`](crate::query::custom_lookups::FieldClass)), and the three
//! conversions run where Django calls them:
//!
//! * `get_prep_value`: values written by `save()`, `create()`, `bulk_create()`,
//!   `bulk_update()`, `update()` and `loaddata`, and the right-hand sides of
//!   non-pattern lookups (`exact`, `in`, `gt`, ...), as Django's `get_prep_lookup`;
//! * `from_db_value`: every value read from the column (instances, `values()`,
//!   `values_list()`, `raw()`, related objects);
//! * `to_python`: values read from fixtures (`loaddata`) and model validation input.
//!
//! A Rust type declares itself a custom field for `#[derive(Model)]` through
//! [`FieldKind::CUSTOM`](crate::models::relations::FieldKind).
//!
//! ```
//! use nuages_db::models::custom::CustomField;
//! use nuages_db::{Field, FieldType, Value};
//!
//! fn encrypt(v: Value) -> nuages_db::Result<Value> {
//!     Ok(match v {
//!         Value::Text(s) => Value::Text(s.chars().rev().collect()),   // a toy cipher
//!         other => other,
//!     })
//! }
//! fn decrypt(v: Value) -> nuages_db::Result<Value> {
//!     encrypt(v)
//! }
//! static ENCRYPTED: CustomField = CustomField::new("EncryptedTextField", FieldType::TextField)
//!     .get_prep_value(encrypt)
//!     .from_db_value(decrypt);
//! static SECRET: Field = Field::new("secret", FieldType::TextField).custom(&ENCRYPTED);
//! assert_eq!(SECRET.field_type, FieldType::TextField);
//! assert_eq!(ENCRYPTED.prep(Value::Text("abc".into())).unwrap(), Value::Text("cba".into()));
//! ```

use crate::error::Result;
use crate::models::meta::FieldType;
use crate::value::Value;

/// A conversion of one value (`NULL` is never passed: it stays `NULL`, as Django's
/// conversions return `None` for `None`).
pub type Conversion = fn(Value) -> Result<Value>;

/// Django's custom `Field` subclass, as static metadata.
#[derive(Debug, Clone, Copy)]
pub struct CustomField {
    /// The class name (`EncryptedTextField`), used in messages and lookup registration.
    pub name: &'static str,
    /// The built-in class it extends: its column type, serialization and lookups.
    pub base: FieldType,
    from_db_value: Option<Conversion>,
    get_prep_value: Option<Conversion>,
    to_python: Option<Conversion>,
}

impl CustomField {
    /// A custom field class `name` extending `base`, with no conversions yet.
    pub const fn new(name: &'static str, base: FieldType) -> CustomField {
        CustomField {
            name,
            base,
            from_db_value: None,
            get_prep_value: None,
            to_python: None,
        }
    }

    /// Django's `from_db_value`: a value read from the database to the Python value.
    pub const fn from_db_value(mut self, f: Conversion) -> CustomField {
        self.from_db_value = Some(f);
        self
    }

    /// Django's `get_prep_value`: a Python value to the value stored (and compared).
    pub const fn get_prep_value(mut self, f: Conversion) -> CustomField {
        self.get_prep_value = Some(f);
        self
    }

    /// Django's `to_python`: any input (a fixture, a form value) to the Python value.
    pub const fn to_python(mut self, f: Conversion) -> CustomField {
        self.to_python = Some(f);
        self
    }

    fn apply(f: Option<Conversion>, v: Value) -> Result<Value> {
        match f {
            Some(f) if !v.is_null() => f(v),
            _ => Ok(v),
        }
    }

    /// Runs `get_prep_value` (the identity without one).
    pub fn prep(&self, v: Value) -> Result<Value> {
        Self::apply(self.get_prep_value, v)
    }

    /// Runs `from_db_value` (the identity without one).
    pub fn from_db(&self, v: Value) -> Result<Value> {
        Self::apply(self.from_db_value, v)
    }

    /// Runs `to_python` (the identity without one).
    pub fn python(&self, v: Value) -> Result<Value> {
        Self::apply(self.to_python, v)
    }
}
