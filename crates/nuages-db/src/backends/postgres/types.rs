//! [`Value`] <-> PostgreSQL wire values.
//!
//! Binding is directed by the parameter type PostgreSQL inferred when the statement was
//! prepared, so a `Value::Int` binds to `int2`, `int4`, `int8`, `numeric` or `float8`, and
//! a `Value::Float` to `float4`, `float8` or `numeric`, as psycopg's untyped parameters
//! let Django do. `NULL` binds to any type. Reading gives the natural [`Value`] per column
//! type (native `numeric`, `timestamptz`, `uuid`, `interval`, `jsonb`).

use std::error::Error;

use bytes::{BufMut, BytesMut};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use postgres_types::{FromSql, IsNull, Kind, ToSql, Type};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::value::{parse_datetime, Value, ValueRef};

type BoxError = Box<dyn Error + Sync + Send>;

/// A [`Value`] bound to a PostgreSQL parameter.
#[derive(Debug)]
pub(super) struct PgParam<'a>(pub(super) &'a Value);

fn is_text(ty: &Type) -> bool {
    matches!(
        ty.name(),
        "text" | "varchar" | "bpchar" | "name" | "unknown" | "citext" | "char"
    ) || matches!(ty.kind(), Kind::Enum(_))
}

fn cannot(v: &Value, ty: &Type) -> BoxError {
    format!(
        "cannot bind a {} value to a parameter of type {}",
        v.type_name(),
        ty.name()
    )
    .into()
}

/// Types whose binary form nuages does not build: text is sent in PostgreSQL's text
/// format and parsed by the server (`'english'` for a `regconfig`, `'[1,5)'` for a
/// range), as psycopg's untyped parameters let Django do.
fn sent_as_text(v: &Value, ty: &Type) -> bool {
    matches!(v, Value::Text(_))
        && (matches!(ty.name(), "regconfig" | "tsquery" | "tsvector" | "hstore")
            || matches!(ty.kind(), Kind::Range(_)))
}

impl ToSql for PgParam<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        if let (true, Value::Text(s)) = (sent_as_text(self.0, ty), self.0) {
            out.extend_from_slice(s.as_bytes());
            return Ok(IsNull::No);
        }
        encode(self.0, ty, out)
    }

    fn encode_format(&self, ty: &Type) -> postgres_types::Format {
        if sent_as_text(self.0, ty) {
            postgres_types::Format::Text
        } else {
            postgres_types::Format::Binary
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres_types::to_sql_checked!();
}

fn encode(v: &Value, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    match v {
        Value::Null => Ok(IsNull::Yes),
        Value::Bool(b) => match ty.name() {
            "bool" => b.to_sql(ty, out),
            _ if is_text(ty) => (if *b { "true" } else { "false" }).to_sql(ty, out),
            _ => encode_int(i64::from(*b), v, ty, out),
        },
        Value::Int(i) => encode_int(*i, v, ty, out),
        Value::Float(f) => encode_float(*f, v, ty, out),
        Value::Decimal(d) => encode_decimal(d, v, ty, out),
        Value::Text(s) => encode_text(s, v, ty, out),
        Value::Bytes(b) => match ty.name() {
            "bytea" => b.as_slice().to_sql(ty, out),
            _ => Err(cannot(v, ty)),
        },
        Value::Date(d) => match ty.name() {
            "date" => d.to_sql(ty, out),
            "timestamp" => d.and_time(NaiveTime::MIN).to_sql(ty, out),
            "timestamptz" => d.and_time(NaiveTime::MIN).and_utc().to_sql(ty, out),
            _ if is_text(ty) => d.format("%Y-%m-%d").to_string().to_sql(ty, out),
            _ => Err(cannot(v, ty)),
        },
        Value::Time(t) => match ty.name() {
            "time" => t.to_sql(ty, out),
            _ if is_text(ty) => super::super::format_time(t).to_sql(ty, out),
            _ => Err(cannot(v, ty)),
        },
        Value::DateTime(dt) => match ty.name() {
            "timestamptz" => dt.to_sql(ty, out),
            "timestamp" => dt.naive_utc().to_sql(ty, out),
            "date" => dt.date_naive().to_sql(ty, out),
            _ if is_text(ty) => dt.to_rfc3339().to_sql(ty, out),
            _ => Err(cannot(v, ty)),
        },
        Value::Duration(d) => match ty.name() {
            "interval" => {
                let days = d.num_days();
                let rest = *d - TimeDelta::days(days);
                let micros = rest.num_microseconds().ok_or_else(|| cannot(v, ty))?;
                let days = i32::try_from(days).map_err(|_| cannot(v, ty))?;
                out.put_i64(micros);
                out.put_i32(days);
                out.put_i32(0);
                Ok(IsNull::No)
            }
            "int8" => d.num_microseconds().ok_or_else(|| cannot(v, ty))?.to_sql(ty, out),
            _ => Err(cannot(v, ty)),
        },
        Value::Uuid(u) => match ty.name() {
            "uuid" => u.to_sql(ty, out),
            _ if is_text(ty) => u.hyphenated().to_string().to_sql(ty, out),
            _ => Err(cannot(v, ty)),
        },
        Value::Json(j) if matches!((&**j, ty.kind()), (serde_json::Value::Array(_), Kind::Array(_))) => {
            let (serde_json::Value::Array(items), Kind::Array(member)) = (&**j, ty.kind()) else {
                return Err(cannot(v, ty));
            };
            let values: Vec<Value> = items.iter().map(|j| json_element(j, member)).collect();
            let params: Vec<PgParam<'_>> = values.iter().map(PgParam).collect();
            params.to_sql(ty, out)
        }
        Value::Json(j) => match ty.name() {
            "json" | "jsonb" => postgres_types::Json(&**j).to_sql(ty, out),
            _ if is_text(ty) => j.to_string().to_sql(ty, out),
            _ => Err(cannot(v, ty)),
        },
    }
}

/// An element of a JSON array bound to an array parameter, as the element type's value.
fn json_element(j: &serde_json::Value, member: &Type) -> Value {
    use serde_json::Value as J;
    match j {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match (n.as_i64(), member.name()) {
            (Some(i), _) => Value::Int(i),
            (None, "numeric") => n
                .to_string()
                .parse::<Decimal>()
                .map(Value::Decimal)
                .unwrap_or(Value::Float(n.as_f64().unwrap_or(f64::NAN))),
            (None, _) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::Text(s.clone()),
        other => Value::json(other.clone()),
    }
}

fn encode_int(i: i64, v: &Value, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    let range = || -> BoxError { format!("{i} is out of range for type {}", ty.name()).into() };
    match ty.name() {
        "int2" => i16::try_from(i).map_err(|_| range())?.to_sql(ty, out),
        "int4" => i32::try_from(i).map_err(|_| range())?.to_sql(ty, out),
        "int8" => i.to_sql(ty, out),
        "oid" => u32::try_from(i).map_err(|_| range())?.to_sql(ty, out),
        "float4" => (i as f32).to_sql(ty, out),
        "float8" => (i as f64).to_sql(ty, out),
        "numeric" => Decimal::from(i).to_sql(ty, out),
        "bool" => (i != 0).to_sql(ty, out),
        "json" | "jsonb" => postgres_types::Json(serde_json::Value::from(i)).to_sql(ty, out),
        _ if is_text(ty) => i.to_string().to_sql(ty, out),
        _ => Err(cannot(v, ty)),
    }
}

fn encode_float(f: f64, v: &Value, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    match ty.name() {
        "float4" => (f as f32).to_sql(ty, out),
        "float8" => f.to_sql(ty, out),
        "numeric" => Decimal::try_from(f)
            .map_err(|e| -> BoxError { e.to_string().into() })?
            .to_sql(ty, out),
        "int2" | "int4" | "int8" if f.fract() == 0.0 && f.abs() < 9.2e18 => encode_int(f as i64, v, ty, out),
        "json" | "jsonb" => postgres_types::Json(serde_json::Value::from(f)).to_sql(ty, out),
        _ if is_text(ty) => f.to_string().to_sql(ty, out),
        _ => Err(cannot(v, ty)),
    }
}

fn encode_decimal(d: &Decimal, v: &Value, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    match ty.name() {
        "numeric" => d.to_sql(ty, out),
        "float4" | "float8" => encode_float(d.to_f64().ok_or_else(|| cannot(v, ty))?, v, ty, out),
        "int2" | "int4" | "int8" if d.fract().is_zero() => {
            encode_int(d.to_i64().ok_or_else(|| cannot(v, ty))?, v, ty, out)
        }
        _ if is_text(ty) => d.to_string().to_sql(ty, out),
        _ => Err(cannot(v, ty)),
    }
}

/// Text for a typed parameter is parsed as PostgreSQL would parse the literal.
fn encode_text(s: &str, v: &Value, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    if is_text(ty) {
        out.extend_from_slice(s.as_bytes());
        return Ok(IsNull::No);
    }
    let invalid = || -> BoxError { format!("invalid input syntax for type {}: \"{s}\"", ty.name()).into() };
    match ty.name() {
        "int2" | "int4" | "int8" | "oid" => encode_int(s.trim().parse().map_err(|_| invalid())?, v, ty, out),
        "float4" | "float8" => encode_float(s.trim().parse().map_err(|_| invalid())?, v, ty, out),
        "numeric" => s
            .trim()
            .parse::<Decimal>()
            .map_err(|_| invalid())?
            .to_sql(ty, out),
        "bool" => match s.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "1" | "yes" | "on" | "y" => true.to_sql(ty, out),
            "f" | "false" | "0" | "no" | "off" | "n" => false.to_sql(ty, out),
            _ => Err(invalid()),
        },
        "date" => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| invalid())?
            .to_sql(ty, out),
        "time" => NaiveTime::parse_from_str(s.trim(), "%H:%M:%S%.f")
            .map_err(|_| invalid())?
            .to_sql(ty, out),
        "timestamptz" => parse_datetime(s.trim()).ok_or_else(invalid)?.to_sql(ty, out),
        "timestamp" => parse_datetime(s.trim())
            .ok_or_else(invalid)?
            .naive_utc()
            .to_sql(ty, out),
        "uuid" => Uuid::parse_str(s.trim()).map_err(|_| invalid())?.to_sql(ty, out),
        "json" | "jsonb" => {
            let j: serde_json::Value = serde_json::from_str(s).map_err(|_| invalid())?;
            postgres_types::Json(j).to_sql(ty, out)
        }
        "bytea" => s.as_bytes().to_sql(ty, out),
        _ => Err(cannot(v, ty)),
    }
}

/// How to read one result column.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Decoder {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float4,
    Float8,
    Numeric,
    Text,
    Bytes,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    Json,
    IntArray,
    TextArray,
    /// Any other one-dimensional array, read element by element.
    Array,
    /// A range, read into PostgreSQL's literal (`[1,10)`).
    Range,
    /// A `tsvector`, read into its text form.
    TsVector,
    Other,
}

impl Decoder {
    pub(super) fn for_type(ty: &Type) -> Decoder {
        match ty.name() {
            "bool" => Decoder::Bool,
            "int2" => Decoder::Int2,
            "int4" => Decoder::Int4,
            "int8" => Decoder::Int8,
            "oid" => Decoder::Oid,
            "float4" => Decoder::Float4,
            "float8" => Decoder::Float8,
            "numeric" => Decoder::Numeric,
            "text" | "varchar" | "bpchar" | "name" | "unknown" => Decoder::Text,
            "bytea" => Decoder::Bytes,
            "date" => Decoder::Date,
            "time" => Decoder::Time,
            "timestamp" => Decoder::Timestamp,
            "timestamptz" => Decoder::TimestampTz,
            "interval" => Decoder::Interval,
            "uuid" => Decoder::Uuid,
            "json" | "jsonb" => Decoder::Json,
            "_int2" | "_int4" | "_int8" => Decoder::IntArray,
            "_text" | "_varchar" | "_bpchar" => Decoder::TextArray,
            "tsvector" => Decoder::TsVector,
            _ if matches!(ty.kind(), Kind::Array(_)) => Decoder::Array,
            _ if matches!(ty.kind(), Kind::Range(_)) => Decoder::Range,
            _ => Decoder::Other,
        }
    }
}

/// An `interval` as a duration (a month counts 30 days, as psycopg reads it).
struct Interval(TimeDelta);

impl<'a> FromSql<'a> for Interval {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        if raw.len() != 16 {
            return Err("invalid interval".into());
        }
        let mut b8 = [0u8; 8];
        b8.copy_from_slice(&raw[..8]);
        let micros = i64::from_be_bytes(b8);
        let mut b4 = [0u8; 4];
        b4.copy_from_slice(&raw[8..12]);
        let days = i32::from_be_bytes(b4);
        b4.copy_from_slice(&raw[12..16]);
        let months = i32::from_be_bytes(b4);
        Ok(Interval(
            TimeDelta::microseconds(micros) + TimeDelta::days(i64::from(days) + 30 * i64::from(months)),
        ))
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "interval"
    }
}

/// Any other type, read as its binary form: text for enums, `citext` and the like.
struct Raw(Value);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(Raw(match std::str::from_utf8(raw) {
            Ok(s) => Value::Text(s.to_owned()),
            Err(_) => Value::Bytes(raw.to_vec()),
        }))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// One element of an array, decoded by its element type.
struct Element(Value);

impl<'a> FromSql<'a> for Element {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(Element(match ty.name() {
            "bool" => Value::Bool(bool::from_sql(ty, raw)?),
            "int2" => Value::Int(i16::from_sql(ty, raw)?.into()),
            "int4" => Value::Int(i32::from_sql(ty, raw)?.into()),
            "int8" => Value::Int(i64::from_sql(ty, raw)?),
            "float4" => Value::Float(f32::from_sql(ty, raw)?.into()),
            "float8" => Value::Float(f64::from_sql(ty, raw)?),
            "numeric" => Value::Decimal(Decimal::from_sql(ty, raw)?),
            "date" => Value::Date(NaiveDate::from_sql(ty, raw)?),
            "time" => Value::Time(NaiveTime::from_sql(ty, raw)?),
            "timestamp" => Value::DateTime(NaiveDateTime::from_sql(ty, raw)?.and_utc()),
            "timestamptz" => Value::DateTime(DateTime::<Utc>::from_sql(ty, raw)?),
            "interval" => Value::Duration(Interval::from_sql(ty, raw)?.0),
            "uuid" => Value::Uuid(Uuid::from_sql(ty, raw)?),
            "json" | "jsonb" => Value::json(serde_json::Value::from_sql(ty, raw)?),
            _ => Raw::from_sql(ty, raw)?.0,
        }))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A range value as PostgreSQL's literal (`[1,10)`, `empty`), decoded from the binary
/// form with the range's element type.
struct RangeText(String);

impl<'a> FromSql<'a> for RangeText {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        use postgres_protocol::types::{range_from_sql, Range, RangeBound};
        let Kind::Range(elem) = ty.kind() else {
            return Err(format!("{} is not a range type", ty.name()).into());
        };
        let bound = |b: RangeBound<Option<&[u8]>>| -> Result<(Option<Value>, bool), BoxError> {
            Ok(match b {
                RangeBound::Inclusive(Some(raw)) => (Some(Element::from_sql(elem, raw)?.0), true),
                RangeBound::Exclusive(Some(raw)) => (Some(Element::from_sql(elem, raw)?.0), false),
                _ => (None, false),
            })
        };
        Ok(RangeText(match range_from_sql(raw)? {
            Range::Empty => "empty".to_owned(),
            Range::Nonempty(l, u) => {
                let (l, li) = bound(l)?;
                let (u, ui) = bound(u)?;
                crate::contrib::postgres::ranges::literal(l.as_ref(), u.as_ref(), li, ui)
            }
        }))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), Kind::Range(_))
    }
}

/// An array element in the JSON form arrays are read as (decimals and dates as text).
fn element_json(v: Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(b),
        Value::Int(i) => J::from(i),
        Value::Float(f) => J::from(f),
        Value::Decimal(d) => J::String(d.to_string()),
        Value::Text(s) => J::String(s),
        Value::Bytes(b) => J::Array(b.into_iter().map(J::from).collect()),
        Value::Date(d) => J::String(d.format("%Y-%m-%d").to_string()),
        Value::Time(t) => J::String(t.format("%H:%M:%S%.f").to_string()),
        Value::DateTime(dt) => J::String(dt.to_rfc3339()),
        Value::Duration(d) => J::from(d.num_microseconds().unwrap_or(i64::MAX)),
        Value::Uuid(u) => J::String(u.hyphenated().to_string()),
        Value::Json(j) => *j,
    }
}

fn get<'a, T: FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    i: usize,
    f: impl FnOnce(T) -> Value,
) -> Result<Value, tokio_postgres::Error> {
    Ok(row.try_get::<_, Option<T>>(i)?.map(f).unwrap_or(Value::Null))
}

fn int_array(v: Vec<Option<i64>>) -> Value {
    Value::json(
        v.into_iter()
            .map(|x| x.map_or(serde_json::Value::Null, Into::into))
            .collect(),
    )
}

/// Column `i` borrowed from the row, for the column types whose [`decode`]d value is
/// one of [`ValueRef`]'s forms; `None` for the others.
pub(super) fn peek<'a>(
    row: &'a tokio_postgres::Row,
    i: usize,
    d: Decoder,
) -> Result<Option<ValueRef<'a>>, tokio_postgres::Error> {
    fn cell<'a, T: FromSql<'a>>(
        row: &'a tokio_postgres::Row,
        i: usize,
        f: impl FnOnce(T) -> ValueRef<'a>,
    ) -> Result<Option<ValueRef<'a>>, tokio_postgres::Error> {
        Ok(Some(row.try_get::<_, Option<T>>(i)?.map_or(ValueRef::Null, f)))
    }
    match d {
        Decoder::Int2 => cell(row, i, |v: i16| ValueRef::Int(v.into())),
        Decoder::Int4 => cell(row, i, |v: i32| ValueRef::Int(v.into())),
        Decoder::Int8 => cell(row, i, ValueRef::Int),
        Decoder::Float4 => cell(row, i, |v: f32| ValueRef::Float(v.into())),
        Decoder::Float8 => cell(row, i, ValueRef::Float),
        Decoder::Text => cell(row, i, ValueRef::Text),
        _ => Ok(None),
    }
}

pub(super) fn decode(
    row: &tokio_postgres::Row,
    i: usize,
    d: Decoder,
) -> Result<Value, tokio_postgres::Error> {
    match d {
        Decoder::Bool => get(row, i, Value::Bool),
        Decoder::Int2 => get(row, i, |v: i16| Value::Int(v.into())),
        Decoder::Int4 => get(row, i, |v: i32| Value::Int(v.into())),
        Decoder::Int8 => get(row, i, Value::Int),
        Decoder::Oid => get(row, i, |v: u32| Value::Int(v.into())),
        Decoder::Float4 => get(row, i, |v: f32| Value::Float(v.into())),
        Decoder::Float8 => get(row, i, Value::Float),
        Decoder::Numeric => get(row, i, Value::Decimal),
        Decoder::Text => get(row, i, Value::Text),
        Decoder::Bytes => get(row, i, Value::Bytes),
        Decoder::Date => get(row, i, Value::Date),
        Decoder::Time => get(row, i, Value::Time),
        Decoder::Timestamp => get(row, i, |v: NaiveDateTime| Value::DateTime(v.and_utc())),
        Decoder::TimestampTz => get(row, i, |v: DateTime<Utc>| Value::DateTime(v)),
        Decoder::Interval => get(row, i, |v: Interval| Value::Duration(v.0)),
        Decoder::Uuid => get(row, i, Value::Uuid),
        Decoder::Json => get(row, i, Value::json),
        Decoder::IntArray => match row.columns()[i].type_().name() {
            "_int2" => get(row, i, |v: Vec<Option<i16>>| {
                int_array(v.into_iter().map(|x| x.map(i64::from)).collect())
            }),
            "_int4" => get(row, i, |v: Vec<Option<i32>>| {
                int_array(v.into_iter().map(|x| x.map(i64::from)).collect())
            }),
            _ => get(row, i, int_array),
        },
        Decoder::TextArray => get(row, i, |v: Vec<Option<String>>| {
            Value::json(
                v.into_iter()
                    .map(|x| x.map_or(serde_json::Value::Null, Into::into))
                    .collect(),
            )
        }),
        Decoder::Array => get(row, i, |v: Vec<Option<Element>>| {
            Value::json(
                v.into_iter()
                    .map(|x| x.map_or(serde_json::Value::Null, |e| element_json(e.0)))
                    .collect(),
            )
        }),
        Decoder::Range => get(row, i, |v: RangeText| Value::Text(v.0)),
        Decoder::TsVector => get(row, i, |v: super::tsvector::TsVectorText| Value::Text(v.0)),
        Decoder::Other => get(row, i, |v: Raw| v.0),
    }
}
