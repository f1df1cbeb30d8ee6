//! Relation field types a model struct holds ([`ManyToMany`], [`OneToOne`]) and
//! [`FieldKind`], which tells `#[derive(Model)]` which Django field class a Rust type is.
//!
//! The derive reads field classes from this trait instead of from the type's spelling, so
//! type aliases, choices enums and `Option<T>` (Django's `null=True`) all work without the
//! macro having to recognise them.
//!
//! ```
//! use nuages_db::models::relations::FieldKind;
//! use nuages_db::FieldType;
//! assert_eq!(<Option<i32> as FieldKind>::FIELD_TYPE, FieldType::IntegerField);
//! assert!(<Option<i32> as FieldKind>::NULL);
//! assert_eq!(<String as FieldKind>::FIELD_TYPE, FieldType::CharField);
//! ```

use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::models::meta::{Choice, FieldType};
use crate::models::model::ForeignKey;

/// A `OneToOneField`: holds the key and the loaded object exactly like a [`ForeignKey`].
/// `#[derive(Model)]` recognises the name `OneToOne` (or `#[field(one_to_one)]` on a
/// `ForeignKey`) and records a `OneToOneField`.
pub type OneToOne<T> = ForeignKey<T>;

/// A `ManyToManyField`. It has no column in the model's table (the pairs live in the
/// through table), so the struct field holds no data; the related objects are always
/// fetched through a query, never implicitly.
pub struct ManyToMany<T> {
    _target: PhantomData<fn() -> T>,
}

impl<T> ManyToMany<T> {
    /// The (empty) handle.
    pub const fn new() -> Self {
        ManyToMany { _target: PhantomData }
    }
}

impl<T> Default for ManyToMany<T> {
    fn default() -> Self {
        ManyToMany::new()
    }
}

impl<T> Clone for ManyToMany<T> {
    fn clone(&self) -> Self {
        ManyToMany::new()
    }
}

impl<T> PartialEq for ManyToMany<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> fmt::Debug for ManyToMany<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ManyToMany")
    }
}

/// The Django field class of a Rust field type, read by `#[derive(Model)]`.
///
/// Implement it (or derive `TextChoices`/`IntegerChoices`) for a custom field type.
pub trait FieldKind {
    /// The field class (`String` is a `CharField`; attributes such as `text` or `email`
    /// override it).
    const FIELD_TYPE: FieldType;
    /// `null=True`: true for `Option<T>`.
    const NULL: bool = false;
    /// Choices the type itself carries (a choices enum).
    const CHOICES: &'static [Choice] = &[];
    /// A `max_length` the type implies when the field gives none (a text choices enum's
    /// longest value).
    const MAX_LENGTH: Option<u32> = None;
    /// The custom field class of the type ([`CustomField`](super::custom::CustomField)):
    /// `FIELD_TYPE` is then its base class.
    const CUSTOM: Option<&'static super::custom::CustomField> = None;
    /// `ArrayField`'s element field (`Vec<i32>`: an `IntegerField`).
    const BASE_FIELD: Option<&'static crate::models::meta::Field> = None;
}

macro_rules! field_kind {
    ($($t:ty => $ft:ident),* $(,)?) => {$(
        impl FieldKind for $t {
            const FIELD_TYPE: FieldType = FieldType::$ft;
        }
    )*};
}

field_kind! {
    i16 => SmallIntegerField,
    i32 => IntegerField,
    i64 => BigIntegerField,
    f64 => FloatField,
    Decimal => DecimalField,
    String => CharField,
    bool => BooleanField,
    NaiveDate => DateField,
    DateTime<Utc> => DateTimeField,
    NaiveTime => TimeField,
    TimeDelta => DurationField,
    Uuid => UUIDField,
    Vec<u8> => BinaryField,
    serde_json::Value => JSONField,
}

impl<T> FieldKind for ForeignKey<T> {
    const FIELD_TYPE: FieldType = FieldType::ForeignKey;
}

impl<T> FieldKind for ManyToMany<T> {
    const FIELD_TYPE: FieldType = FieldType::ManyToManyField;
}

impl<T: FieldKind> FieldKind for Option<T> {
    const FIELD_TYPE: FieldType = T::FIELD_TYPE;
    const NULL: bool = true;
    const CHOICES: &'static [Choice] = T::CHOICES;
    const MAX_LENGTH: Option<u32> = T::MAX_LENGTH;
    const CUSTOM: Option<&'static super::custom::CustomField> = T::CUSTOM;
    const BASE_FIELD: Option<&'static crate::models::meta::Field> = T::BASE_FIELD;
}

/// The `Positive*` variant of an integer field class (`positive` attribute); other classes
/// are returned unchanged.
pub const fn positive(field_type: FieldType) -> FieldType {
    match field_type {
        FieldType::SmallIntegerField => FieldType::PositiveSmallIntegerField,
        FieldType::IntegerField => FieldType::PositiveIntegerField,
        FieldType::BigIntegerField => FieldType::PositiveBigIntegerField,
        other => other,
    }
}

/// The auto-incrementing variant of an integer field class (an implicit or `auto` key).
pub const fn auto(field_type: FieldType) -> FieldType {
    match field_type {
        FieldType::SmallIntegerField => FieldType::SmallAutoField,
        FieldType::IntegerField => FieldType::AutoField,
        FieldType::BigIntegerField => FieldType::BigAutoField,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_variants() {
        assert_eq!(
            positive(<i16 as FieldKind>::FIELD_TYPE),
            FieldType::PositiveSmallIntegerField
        );
        assert_eq!(auto(<i64 as FieldKind>::FIELD_TYPE), FieldType::BigAutoField);
        assert_eq!(positive(FieldType::CharField), FieldType::CharField);
        let nulls = [
            <ForeignKey<i32> as FieldKind>::NULL,
            <Option<ForeignKey<i32>> as FieldKind>::NULL,
        ];
        assert_eq!(nulls, [false, true]);
    }
}
