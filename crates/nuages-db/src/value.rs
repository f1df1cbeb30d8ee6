//! [`Value`]: one database value, the currency between models, the query compiler and the
//! drivers.
//!
//! Every value that reaches SQL travels as a `Value` bound parameter, never as text spliced
//! into a statement. [`IntoValue`] and [`FromValue`] convert between Rust field types and
//! `Value`; `Option<T>` maps to `NULL`.
//!
//! ```
//! use nuages_db::{FromValue, IntoValue, Value};
//! assert_eq!(5_i32.into_value(), Value::Int(5));
//! assert_eq!(Option::<String>::from_value(Value::Null).unwrap(), None);
//! assert_eq!(i64::from_value(Value::Int(7)).unwrap(), 7);
//! ```

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::{DbError, Result};

/// One database value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// SQL `NULL` (Python `None`).
    #[default]
    Null,
    Bool(bool),
    /// Every integer field type, widened.
    Int(i64),
    Float(f64),
    Decimal(Decimal),
    Text(String),
    Bytes(Vec<u8>),
    Date(NaiveDate),
    Time(NaiveTime),
    /// An aware datetime, always UTC (Django's `USE_TZ=True`).
    DateTime(DateTime<Utc>),
    Duration(TimeDelta),
    Uuid(Uuid),
    /// A JSON document, boxed: `serde_json::Value` (with key order preserved) is 72
    /// bytes, and inline it made every `Value` that size, in every parameter list and
    /// row. Build one with [`Value::json`].
    Json(Box<serde_json::Value>),
}

impl Value {
    /// A [`Value::Json`] of `json`.
    ///
    /// ```
    /// use nuages_db::Value;
    ///
    /// let v = Value::json(serde_json::json!({"a": 1}));
    /// assert_eq!(v.type_name(), "JSON");
    /// ```
    pub fn json(json: serde_json::Value) -> Value {
        Value::Json(Box::new(json))
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The name of the variant, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Decimal(_) => "Decimal",
            Value::Text(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::Date(_) => "date",
            Value::Time(_) => "time",
            Value::DateTime(_) => "datetime",
            Value::Duration(_) => "timedelta",
            Value::Uuid(_) => "UUID",
            Value::Json(_) => "JSON",
        }
    }
}

/// Converts a Rust value into a [`Value`].
pub trait IntoValue {
    /// The database value of `self` (what is bound as a parameter).
    fn into_value(self) -> Value;
}

/// A cell of a result row as the driver holds it, borrowed: what the ORM reads model
/// fields from without building a [`Value`] per cell (no enum round trip, and text is
/// copied once, straight into the field's `String`).
///
/// ```
/// use nuages_db::{FromValue, Value, ValueRef};
/// assert_eq!(String::from_value_ref(ValueRef::Text("abc")), Some("abc".to_owned()));
/// assert_eq!(ValueRef::Int(3).to_value(), Value::Int(3));
/// // A type without a borrowed form goes through `Value`.
/// assert_eq!(i32::from_value_ref(ValueRef::Text("3")), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ValueRef<'a> {
    /// `NULL`.
    Null,
    /// An integer.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// Text (valid UTF-8).
    Text(&'a str),
}

impl ValueRef<'_> {
    /// The owned [`Value`] the driver would have decoded.
    pub fn to_value(self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Int(i) => Value::Int(i),
            ValueRef::Float(f) => Value::Float(f),
            ValueRef::Text(s) => Value::Text(s.to_owned()),
        }
    }
}

/// Converts a [`Value`] read from the database into a Rust value.
pub trait FromValue: Sized {
    /// Reads `value`; a value of another kind is an error saying what was expected.
    fn from_value(value: Value) -> Result<Self>;

    /// Converts a borrowed cell when that is cheaper than going through [`Value`];
    /// `None` means "use [`from_value`](FromValue::from_value)". When it gives
    /// `Some(x)`, `from_value(value.to_value())` must give `Ok(x)`.
    #[inline]
    fn from_value_ref(value: ValueRef<'_>) -> Option<Self> {
        let _ = value;
        None
    }
}

impl IntoValue for Value {
    fn into_value(self) -> Value {
        self
    }
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self> {
        Ok(value)
    }

    #[inline]
    fn from_value_ref(value: ValueRef<'_>) -> Option<Self> {
        Some(value.to_value())
    }
}

fn mismatch<T>(expected: &str, got: &Value) -> Result<T> {
    Err(DbError::ValueError(format!(
        "expected a {expected} value from the database, got {} ({got:?})",
        got.type_name()
    )))
}

impl<T: IntoValue> IntoValue for Option<T> {
    fn into_value(self) -> Value {
        match self {
            Some(v) => v.into_value(),
            None => Value::Null,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }

    #[inline]
    fn from_value_ref(value: ValueRef<'_>) -> Option<Self> {
        match value {
            ValueRef::Null => Some(None),
            v => T::from_value_ref(v).map(Some),
        }
    }
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl IntoValue for $t {
            fn into_value(self) -> Value {
                Value::Int(self as i64)
            }
        }
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<Self> {
                match value {
                    Value::Int(i) => <$t>::try_from(i).map_err(|_| {
                        DbError::ValueError(format!("{i} is out of range for {}", stringify!($t)))
                    }),
                    Value::Bool(b) => Ok(b as $t),
                    // Some drivers return integers as text or decimals (MySQL aggregates).
                    Value::Decimal(d) if d.fract().is_zero() => d
                        .to_string()
                        .parse()
                        .map_err(|_| DbError::ValueError(format!("{d} is out of range for {}", stringify!($t)))),
                    Value::Text(ref s) => s.parse().or_else(|_| mismatch("integer", &value)),
                    other => mismatch("integer", &other),
                }
            }

            #[inline]
    fn from_value_ref(value: ValueRef<'_>) -> Option<Self> {
                match value {
                    ValueRef::Int(i) => <$t>::try_from(i).ok(),
                    _ => None,
                }
            }
        }
    )*};
}
int_value!(i8, i16, i32, i64, u8, u16, u32, u64, isize, usize);

impl IntoValue for f64 {
    fn into_value(self) -> Value {
        Value::Float(self)
    }
}
impl IntoValue for f32 {
    fn into_value(self) -> Value {
        Value::Float(self as f64)
    }
}
impl FromValue for f64 {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Float(f) => Ok(f),
            Value::Int(i) => Ok(i as f64),
            Value::Decimal(d) => Ok(rust_decimal::prelude::ToPrimitive::to_f64(&d).unwrap_or(f64::NAN)),
            Value::Text(ref s) => s.parse().or_else(|_| mismatch("float", &value)),
            other => mismatch("float", &other),
        }
    }

    #[inline]
    fn from_value_ref(value: ValueRef<'_>) -> Option<Self> {
        match value {
            ValueRef::Float(f) => Some(f),
            ValueRef::Int(i) => Some(i as f64),
            _ => None,
        }
    }
}
impl FromValue for f32 {
    fn from_value(value: Value) -> Result<Self> {
        f64::from_value(value).map(|f| f as f32)
    }
}

impl IntoValue for bool {
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}
impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Bool(b) => Ok(b),
            Value::Int(i) => Ok(i != 0),
            other => mismatch("boolean", &other),
        }
    }

    #[inline]
    fn from_value_ref(value: ValueRef<'_>) -> Option<Self> {
        match value {
            ValueRef::Int(i) => Some(i != 0),
            _ => None,
        }
    }
}

impl IntoValue for String {
    fn into_value(self) -> Value {
        Value::Text(self)
    }
}
impl IntoValue for &str {
    fn into_value(self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl FromValue for String {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Text(s) => Ok(s),
            Value::Bytes(b) => String::from_utf8(b).map_err(|e| DbError::ValueError(e.to_string())),
            other => mismatch("text", &other),
        }
    }

    #[inline]
    fn from_value_ref(value: ValueRef<'_>) -> Option<Self> {
        match value {
            ValueRef::Text(s) => Some(s.to_owned()),
            _ => None,
        }
    }
}

impl IntoValue for Vec<u8> {
    fn into_value(self) -> Value {
        Value::Bytes(self)
    }
}
impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Bytes(b) => Ok(b),
            Value::Text(s) => Ok(s.into_bytes()),
            other => mismatch("binary", &other),
        }
    }
}

impl IntoValue for Decimal {
    fn into_value(self) -> Value {
        Value::Decimal(self)
    }
}
impl FromValue for Decimal {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Decimal(d) => Ok(d),
            Value::Int(i) => Ok(Decimal::from(i)),
            Value::Float(f) => Decimal::try_from(f).map_err(|e| DbError::ValueError(e.to_string())),
            // SQLite stores decimals as TEXT (or REAL after arithmetic), as Django does.
            Value::Text(ref s) => s
                .parse::<Decimal>()
                .or_else(|_| Decimal::from_scientific(s))
                .or_else(|_| mismatch("decimal", &value)),
            other => mismatch("decimal", &other),
        }
    }
}

impl IntoValue for NaiveDate {
    fn into_value(self) -> Value {
        Value::Date(self)
    }
}
impl FromValue for NaiveDate {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Date(d) => Ok(d),
            Value::DateTime(dt) => Ok(dt.date_naive()),
            Value::Text(ref s) => {
                NaiveDate::parse_from_str(s, "%Y-%m-%d").or_else(|_| mismatch("date", &value))
            }
            other => mismatch("date", &other),
        }
    }
}

impl IntoValue for NaiveTime {
    fn into_value(self) -> Value {
        Value::Time(self)
    }
}
impl FromValue for NaiveTime {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Time(t) => Ok(t),
            Value::Text(ref s) => {
                NaiveTime::parse_from_str(s, "%H:%M:%S%.f").or_else(|_| mismatch("time", &value))
            }
            other => mismatch("time", &other),
        }
    }
}

impl IntoValue for DateTime<Utc> {
    fn into_value(self) -> Value {
        Value::DateTime(self)
    }
}
impl FromValue for DateTime<Utc> {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::DateTime(dt) => Ok(dt),
            Value::Text(ref s) => parse_datetime(s)
                .ok_or(())
                .or_else(|_| mismatch("datetime", &value)),
            other => mismatch("datetime", &other),
        }
    }
}

/// Parses the datetime text forms the backends store (`2024-01-02 03:04:05.123456`,
/// with `T` or a space, with or without an offset); a value without an offset is UTC.
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc());
        }
    }
    None
}

impl IntoValue for TimeDelta {
    fn into_value(self) -> Value {
        Value::Duration(self)
    }
}
impl FromValue for TimeDelta {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Duration(d) => Ok(d),
            // SQLite and MySQL store durations as microseconds in a BIGINT, as Django does.
            Value::Int(us) => Ok(TimeDelta::microseconds(us)),
            other => mismatch("duration", &other),
        }
    }
}

impl IntoValue for Uuid {
    fn into_value(self) -> Value {
        Value::Uuid(self)
    }
}
impl FromValue for Uuid {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Uuid(u) => Ok(u),
            Value::Text(ref s) => Uuid::parse_str(s).or_else(|_| mismatch("uuid", &value)),
            Value::Bytes(ref b) => Uuid::from_slice(b).or_else(|_| mismatch("uuid", &value)),
            other => mismatch("uuid", &other),
        }
    }
}

impl IntoValue for serde_json::Value {
    fn into_value(self) -> Value {
        Value::json(self)
    }
}
impl FromValue for serde_json::Value {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Json(j) => Ok(*j),
            Value::Null => Ok(serde_json::Value::Null),
            Value::Text(s) => serde_json::from_str(&s).map_err(|e| DbError::ValueError(e.to_string())),
            Value::Bytes(b) => serde_json::from_slice(&b).map_err(|e| DbError::ValueError(e.to_string())),
            other => mismatch("JSON", &other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every parameter list and decoded row is made of `Value`s: an unboxed JSON
    /// document once made each one 72 bytes.
    #[test]
    fn a_value_stays_small() {
        assert!(
            std::mem::size_of::<Value>() <= 32,
            "{}",
            std::mem::size_of::<Value>()
        );
        let json = serde_json::json!({"b": 1, "a": [true]});
        assert_eq!(Value::json(json.clone()), json.clone().into_value());
        assert_eq!(
            serde_json::Value::from_value(Value::json(json.clone())).unwrap(),
            json
        );
    }

    #[test]
    fn integers_round_trip_and_check_range() {
        assert_eq!(i16::from_value(Value::Int(300)).unwrap(), 300);
        assert!(i8::from_value(Value::Int(300)).is_err());
        assert!(u32::from_value(Value::Int(-1)).is_err());
    }

    #[test]
    fn sqlite_text_forms_decode() {
        let d = Decimal::from_value(Value::Text("12.50".into())).unwrap();
        assert_eq!(d.to_string(), "12.50");
        let dt = DateTime::<Utc>::from_value(Value::Text("2022-02-02 17:56:59.638122".into())).unwrap();
        assert_eq!(dt.to_rfc3339(), "2022-02-02T17:56:59.638122+00:00");
        let date = NaiveDate::from_value(Value::Text("2000-02-29".into())).unwrap();
        assert_eq!(date.to_string(), "2000-02-29");
    }

    #[test]
    fn wrong_types_are_value_errors() {
        let err = bool::from_value(Value::Text("x".into())).unwrap_err();
        assert!(err.to_string().contains("expected a boolean"));
    }
}
