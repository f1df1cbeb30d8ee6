//! The field types of `django.contrib.postgres`: their column types and value forms.

use crate::backends::Vendor;
use crate::error::Result;
use crate::migrations::state::FieldState;
use crate::models::meta::{Field, FieldType};
use crate::models::relations::FieldKind;
use crate::value::Value;

/// Django's `db_type` for the PostgreSQL field types; other backends refuse them.
pub(crate) fn db_type(vendor: Vendor, field: &FieldState) -> Result<String> {
    let t = field.field_type;
    super::require_postgres(vendor, t.name())?;
    Ok(match t {
        FieldType::IntegerRangeField => "int4range".into(),
        FieldType::BigIntegerRangeField => "int8range".into(),
        FieldType::DecimalRangeField => "numrange".into(),
        FieldType::DateRangeField => "daterange".into(),
        FieldType::DateTimeRangeField => "tstzrange".into(),
        FieldType::SearchVectorField => "tsvector".into(),
        FieldType::ArrayField => {
            let base = field.base_field.as_deref().ok_or_else(|| {
                crate::DbError::ValueError(format!("ArrayField '{}' needs a base_field.", field.name))
            })?;
            let base = crate::schema::dialect::data_type(vendor, base)?.ok_or_else(|| {
                crate::DbError::ValueError(format!(
                    "Base field for array cannot be a related field ('{}').",
                    field.name
                ))
            })?;
            match field.size {
                Some(n) => format!("{base}[{n}]"),
                None => format!("{base}[]"),
            }
        }
        other => {
            return Err(crate::DbError::ValueError(format!(
                "no column type for {}",
                other.name()
            )))
        }
    })
}

/// A value as a JSON array element (arrays travel as JSON arrays).
pub(crate) fn value_to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => J::from(*f),
        Value::Decimal(d) => J::String(d.to_string()),
        Value::Text(s) => J::String(s.clone()),
        Value::Bytes(b) => J::Array(b.iter().map(|x| J::from(*x)).collect()),
        Value::Date(d) => J::String(d.format("%Y-%m-%d").to_string()),
        Value::Time(t) => J::String(t.format("%H:%M:%S%.f").to_string()),
        Value::DateTime(dt) => J::String(dt.to_rfc3339()),
        Value::Duration(d) => J::from(d.num_microseconds().unwrap_or(i64::MAX)),
        Value::Uuid(u) => J::String(u.hyphenated().to_string()),
        Value::Json(j) => (**j).clone(),
    }
}

/// A JSON array element as the [`Value`] it stands for (numbers, text, booleans).
pub(crate) fn json_to_value(j: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match j {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::Text(s.clone()),
        other => Value::json(other.clone()),
    }
}

/// `Vec<T>` for an `ArrayField(base_field)` value or an `ArrayAgg` result: arrays travel
/// as JSON arrays (PostgreSQL's arrays are read into that form and bound from it).
macro_rules! array_value {
    ($($t:ty),*) => {$(
        impl crate::value::IntoValue for Vec<$t> {
            fn into_value(self) -> Value {
                Value::json(serde_json::Value::Array(
                    self.into_iter().map(|x| value_to_json(&crate::value::IntoValue::into_value(x))).collect(),
                ))
            }
        }
        impl crate::value::FromValue for Vec<$t> {
            fn from_value(value: Value) -> Result<Self> {
                match value {
                    Value::Json(j) if j.is_array() => j
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|j| <$t as crate::value::FromValue>::from_value(json_to_value(j)))
                        .collect(),
                    other => Err(crate::DbError::ValueError(format!(
                        "expected an array value from the database, got {} ({other:?})",
                        other.type_name()
                    ))),
                }
            }
        }
    )*};
}
array_value!(
    i16,
    i32,
    i64,
    f32,
    f64,
    bool,
    String,
    rust_decimal::Decimal,
    chrono::NaiveDate,
    chrono::NaiveTime,
    chrono::DateTime<chrono::Utc>,
    uuid::Uuid,
    Option<i16>,
    Option<i32>,
    Option<i64>,
    Option<f64>,
    Option<bool>,
    Option<String>
);

/// `Vec<T>` model fields are `ArrayField(base_field)` whose base is `T`'s field class.
macro_rules! array_kind {
    ($($t:ty => $base:ident),* $(,)?) => {$(
        impl FieldKind for Vec<$t> {
            const FIELD_TYPE: FieldType = FieldType::ArrayField;
            const BASE_FIELD: Option<&'static Field> = Some(&Field::new("", FieldType::$base));
        }
    )*};
}
array_kind! {
    i16 => SmallIntegerField,
    i32 => IntegerField,
    i64 => BigIntegerField,
    f64 => FloatField,
    bool => BooleanField,
    String => CharField,
    rust_decimal::Decimal => DecimalField,
    chrono::NaiveDate => DateField,
    chrono::DateTime<chrono::Utc> => DateTimeField,
    uuid::Uuid => UUIDField,
    Option<i16> => SmallIntegerField,
    Option<i32> => IntegerField,
    Option<i64> => BigIntegerField,
    Option<f64> => FloatField,
    Option<bool> => BooleanField,
    Option<String> => CharField,
}

/// The element field of an array expression: a column's `base_field`, through slices.
pub(crate) fn array_base(e: &crate::query::where_::SqlExpr) -> Option<&'static Field> {
    use crate::query::where_::SqlExpr;
    match e {
        SqlExpr::Col { field, .. } | SqlExpr::OuterCol { field, .. } => field.base_field,
        SqlExpr::Func(f) if f.def.name() == "SliceTransform" => f.args.first().and_then(array_base),
        _ => None,
    }
}

/// Python's `isoformat()` of an aware UTC datetime (Django's `value_to_string`).
fn isoformat(dt: &chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    if dt.nanosecond() / 1000 == 0 {
        dt.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        dt.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
}

/// Django's `Field.value_to_string` for an array element or a range bound.
pub(crate) fn value_to_string(v: &Value) -> String {
    match v {
        Value::DateTime(dt) => isoformat(dt),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        other => crate::query::lookups_py_str(other),
    }
}

/// Django's `ArrayField.value_to_string` for fixtures: `json.dumps` of the elements'
/// `value_to_string` (`'["1", "2"]'`).
pub(crate) fn array_to_fixture(field: &Field, j: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    let J::Array(items) = j else {
        return J::String(j.to_string());
    };
    let base = field.base_field.map(|b| b.field_type);
    let out: Vec<J> = items
        .iter()
        .map(|e| {
            if e.is_null() {
                return J::Null;
            }
            let v = crate::query::convert_value(json_to_value(e), base, field.base_field);
            J::String(value_to_string(&v))
        })
        .collect();
    J::String(crate::serializers::encode::dumps(&J::Array(out), None))
}

/// Django's `ArrayField.to_python` for fixtures: the JSON list (or its `json.dumps`
/// text), each element through the base field.
pub(crate) fn array_from_fixture(field: &Field, j: &serde_json::Value) -> Result<Value> {
    use serde_json::Value as J;
    let parsed;
    let items = match j {
        J::Array(items) => items,
        J::String(s) => {
            parsed = serde_json::from_str::<J>(s)
                .map_err(|e| crate::DbError::ValueError(format!("invalid array value \"{s}\": {e}")))?;
            match &parsed {
                J::Array(items) => items,
                _ => return Err(crate::DbError::ValueError(format!("invalid array value \"{s}\""))),
            }
        }
        other => return Err(crate::DbError::ValueError(format!("invalid array value {other}"))),
    };
    let base = field.base_field.ok_or_else(|| {
        crate::DbError::ValueError(format!("ArrayField '{}' needs a base_field.", field.name))
    })?;
    // Django names the base field after the array field (`set_attributes_from_name`).
    let mut base = *base;
    base.name = field.name;
    let mut out = Vec::with_capacity(items.len());
    for e in items {
        let v = crate::serializers::encode::decode_value(&base, e)?;
        out.push(value_to_json(&v));
    }
    Ok(Value::json(serde_json::Value::Array(out)))
}
