//! Field values to and from fixture JSON, as Django's serializers write them: the
//! python serializer keeps "protected" types (`None`, numbers, `Decimal`, dates and
//! times) and turns the rest into strings with `Field.value_to_string`, then
//! `DjangoJSONEncoder` encodes dates, times and decimals. Output bytes match
//! `json.dumps(..., cls=DjangoJSONEncoder, ensure_ascii=False)`, floats included
//! (Python's `repr`), through [`PyFormatter`].

use std::io;

use base64::Engine;
use chrono::{DateTime, NaiveTime, TimeDelta, Timelike, Utc};
use rust_decimal::Decimal;
use serde_json::Value as Json;

use crate::error::{DbError, Result};
use crate::models::meta::{Field, FieldType};
use crate::query::lookups::prep_value;
use crate::value::Value;

/// `DjangoJSONEncoder` for an aware datetime: ISO 8601, microseconds cut to
/// milliseconds, UTC written `Z`.
///
/// ```
/// use chrono::TimeZone;
/// use nuages_db::serializers::encode::encode_datetime;
/// let dt = chrono::Utc.with_ymd_and_hms(2015, 3, 26, 13, 37, 21).unwrap();
/// assert_eq!(encode_datetime(&dt), "2015-03-26T13:37:21Z");
/// let dt = dt + chrono::TimeDelta::microseconds(123_456);
/// assert_eq!(encode_datetime(&dt), "2015-03-26T13:37:21.123Z");
/// ```
pub fn encode_datetime(dt: &DateTime<Utc>) -> String {
    let micros = dt.nanosecond() / 1_000 % 1_000_000;
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    if micros == 0 {
        format!("{base}Z")
    } else {
        format!("{base}.{:03}Z", micros / 1_000)
    }
}

/// `DjangoJSONEncoder` for a time: `HH:MM:SS`, or `HH:MM:SS.mmm` with microseconds.
pub fn encode_time(t: &NaiveTime) -> String {
    let micros = t.nanosecond() / 1_000 % 1_000_000;
    let base = t.format("%H:%M:%S").to_string();
    if micros == 0 {
        base
    } else {
        format!("{base}.{:03}", micros / 1_000)
    }
}

/// Python's `str(Decimal)`: plain notation unless the adjusted exponent is below -6.
///
/// ```
/// use nuages_db::serializers::encode::decimal_str;
/// assert_eq!(decimal_str(&"63.50".parse().unwrap()), "63.50");
/// assert_eq!(decimal_str(&"0.00000010".parse().unwrap()), "1.0E-7");
/// ```
pub fn decimal_str(d: &Decimal) -> String {
    let digits = d.mantissa().unsigned_abs().to_string();
    let scale = d.scale() as i64;
    let sign = if d.is_sign_negative() { "-" } else { "" };
    let adjusted = -scale + digits.len() as i64 - 1;
    if adjusted >= -6 {
        if scale == 0 {
            return format!("{sign}{digits}");
        }
        let len = digits.len() as i64;
        return if len > scale {
            let (a, b) = digits.split_at((len - scale) as usize);
            format!("{sign}{a}.{b}")
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((scale - len) as usize))
        };
    }
    let (first, rest) = digits.split_at(1);
    let dot = if rest.is_empty() {
        String::new()
    } else {
        format!(".{rest}")
    };
    format!("{sign}{first}{dot}E{adjusted:+}")
}

/// Python's `repr(float)` (what `json.dumps` writes): the shortest round-trip digits,
/// fixed notation for exponents from -4 to 15, `1e+16` style beyond.
///
/// ```
/// use nuages_db::serializers::encode::py_float_repr;
/// assert_eq!(py_float_repr(3.0), "3.0");
/// assert_eq!(py_float_repr(1e16), "1e+16");
/// assert_eq!(py_float_repr(0.0001), "0.0001");
/// assert_eq!(py_float_repr(1.5e-5), "1.5e-05");
/// ```
pub fn py_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // `{:e}` gives the shortest round-trip digits: `-1.2345e3`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let body = if exp < 0 {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else if exp + 1 >= n {
            format!("{digits}{}.0", "0".repeat((exp + 1 - n) as usize))
        } else {
            let (a, b) = digits.split_at((exp + 1) as usize);
            format!("{a}.{b}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{dot}e{esign}{:02}", exp.abs())
    }
}

/// Django's `duration_string`: `[D ]HH:MM:SS[.ffffff]`, days carrying the sign as in
/// Python's `timedelta`.
///
/// ```
/// use chrono::TimeDelta;
/// use nuages_db::serializers::encode::duration_string;
/// assert_eq!(duration_string(&TimeDelta::seconds(93_784)), "1 02:03:04");
/// assert_eq!(duration_string(&TimeDelta::microseconds(-1)), "-1 23:59:59.999999");
/// ```
pub fn duration_string(d: &TimeDelta) -> String {
    let total_us: i128 = d.num_seconds() as i128 * 1_000_000 + d.subsec_nanos() as i128 / 1_000;
    let day_us: i128 = 86_400 * 1_000_000;
    let days = total_us.div_euclid(day_us);
    let rest = total_us.rem_euclid(day_us);
    let (secs, micros) = (rest / 1_000_000, rest % 1_000_000);
    let mut s = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if days != 0 {
        s = format!("{days} {s}");
    }
    if micros != 0 {
        s.push_str(&format!(".{micros:06}"));
    }
    s
}

/// Django's `parse_duration` for the standard format (`[D [days, ]][-][[HH:]MM:]SS[.ffffff]`).
pub fn parse_duration(s: &str) -> Option<TimeDelta> {
    let s = s.trim();
    let (days, rest) = match s.split_once(' ') {
        Some((d, r)) => {
            let r = r
                .strip_prefix("days, ")
                .or_else(|| r.strip_prefix("day, "))
                .unwrap_or(r);
            (d.parse::<i64>().ok()?, r)
        }
        None => (0, s),
    };
    let (negative, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (clock, frac) = match rest.split_once(['.', ',']) {
        Some((c, f)) => (c, Some(f)),
        None => (rest, None),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut secs: i64 = 0;
    for p in &parts {
        secs = secs.checked_mul(60)?.checked_add(p.parse::<i64>().ok()?)?;
    }
    let micros: i64 = match frac {
        Some(f) if !f.is_empty() && f.len() <= 12 && f.bytes().all(|b| b.is_ascii_digit()) => {
            let six: String = f.chars().take(6).collect();
            format!("{six:0<6}").parse().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    let mut time = TimeDelta::try_seconds(secs)? + TimeDelta::microseconds(micros);
    if negative {
        time = -time;
    }
    Some(TimeDelta::try_days(days)? + time)
}

/// The fixture JSON of one field value (`_value_from_field` plus `DjangoJSONEncoder`).
pub fn encode_value(field: &Field, value: &Value) -> Json {
    // django.contrib.postgres: ArrayField and the range fields dump `value_to_string`.
    match (field.field_type, value) {
        (FieldType::ArrayField, Value::Json(j)) => {
            return crate::contrib::postgres::fields::array_to_fixture(field, j)
        }
        (t, Value::Text(s)) if crate::contrib::postgres::ranges::is_range(t) => {
            return crate::contrib::postgres::ranges::range_to_fixture(s)
        }
        _ => {}
    }
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or_else(|| Json::String(py_float_repr(*f))),
        Value::Decimal(d) => Json::String(decimal_str(d)),
        Value::Text(s) => Json::String(s.clone()),
        Value::Bytes(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Value::Date(d) => Json::String(d.format("%Y-%m-%d").to_string()),
        Value::Time(t) => Json::String(encode_time(t)),
        Value::DateTime(dt) => Json::String(encode_datetime(dt)),
        Value::Duration(d) => Json::String(duration_string(d)),
        Value::Uuid(u) => Json::String(u.hyphenated().to_string()),
        Value::Json(j) => {
            if field.field_type == FieldType::JSONField {
                (**j).clone()
            } else {
                Json::String(j.to_string())
            }
        }
    }
}

fn json_to_value(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Text(s.clone()),
        other => Value::json(other.clone()),
    }
}

fn py_json_str(j: &Json) -> String {
    match j {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `field.to_python(value)` for a value read from fixture JSON: the [`Value`] a column
/// of `field` stores. Errors carry Django's validation messages.
pub fn decode_value(field: &Field, j: &Json) -> Result<Value> {
    let v = decode_base(field, j)?;
    match field.custom {
        Some(c) => c.python(v),
        None => Ok(v),
    }
}

/// [`decode_value`] for the field's built-in class.
fn decode_base(field: &Field, j: &Json) -> Result<Value> {
    if j.is_null() {
        return Ok(Value::Null);
    }
    match field.field_type {
        FieldType::JSONField => Ok(Value::json(j.clone())),
        FieldType::DurationField => match j {
            Json::Number(n) => Ok(Value::Duration(TimeDelta::microseconds(
                (n.as_f64().unwrap_or(0.0) * 1e6) as i64,
            ))),
            other => {
                let s = py_json_str(other);
                parse_duration(&s).map(Value::Duration).ok_or_else(|| {
                    DbError::ValueError(format!(
                        "“{s}” value has an invalid format. It must be in [DD] [[HH:]MM:]ss[.uuuuuu] format."
                    ))
                })
            }
        },
        FieldType::BinaryField => match j {
            Json::String(s) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map(Value::Bytes)
                .map_err(|e| DbError::ValueError(e.to_string())),
            other => Err(DbError::ValueError(format!(
                "a BinaryField value must be a base64 string, not {other}"
            ))),
        },
        FieldType::ForeignKey | FieldType::OneToOneField | FieldType::ManyToManyField => {
            let rel = field.relation.ok_or_else(|| {
                DbError::ValueError(format!("relation field '{}' has no target", field.name))
            })?;
            let to = (rel.to)();
            let target = rel.to_field.and_then(|n| to.field(n)).unwrap_or_else(|| to.pk());
            if matches!(j, Json::Array(_) | Json::Object(_)) {
                return Err(DbError::ValueError(format!(
                    "natural keys are not supported: {} has no natural key; use its primary key",
                    to.label()
                )));
            }
            decode_value(target, j)
        }
        FieldType::ArrayField => crate::contrib::postgres::fields::array_from_fixture(field, j),
        t if crate::contrib::postgres::ranges::is_range(t) => {
            crate::contrib::postgres::ranges::range_from_fixture(t, j)
        }
        ty => prep_value(ty, field.name, Some(field), json_to_value(j)),
    }
}

/// A `serde_json` formatter writing what Python's `json.dump` writes: `", "` and
/// `": "` without indent; with `indent`, newlines and that many spaces per level
/// (`indent=0`: newlines only) and `","` between items; floats as Python's `repr`.
#[derive(Debug, Clone)]
pub struct PyFormatter {
    indent: Option<usize>,
    item_separator: &'static [u8],
    level: usize,
    has_value: bool,
}

impl PyFormatter {
    /// A formatter for `json.dumps(indent=indent)`.
    pub fn new(indent: Option<usize>) -> PyFormatter {
        PyFormatter {
            indent,
            item_separator: if indent.is_some() { b"," } else { b", " },
            level: 0,
            has_value: false,
        }
    }

    /// `separators=(",", ": ")` without indent (the `jsonl` serializer's).
    pub fn tight() -> PyFormatter {
        PyFormatter {
            item_separator: b",",
            ..PyFormatter::new(None)
        }
    }

    fn newline<W: ?Sized + io::Write>(&self, w: &mut W) -> io::Result<()> {
        if let Some(n) = self.indent {
            w.write_all(b"\n")?;
            w.write_all(" ".repeat(n * self.level).as_bytes())?;
        }
        Ok(())
    }

    fn item<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(self.item_separator)?;
        }
        self.newline(w)
    }

    fn open<W: ?Sized + io::Write>(&mut self, w: &mut W, c: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(c)
    }

    fn close<W: ?Sized + io::Write>(&mut self, w: &mut W, c: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        self.has_value = true;
        w.write_all(c)
    }
}

impl serde_json::ser::Formatter for PyFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(py_float_repr(value).as_bytes())
    }
    fn write_f32<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f32) -> io::Result<()> {
        w.write_all(py_float_repr(value as f64).as_bytes())
    }
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `json.dumps(value, indent=indent, ensure_ascii=False)` with Django's separators.
///
/// ```
/// use nuages_db::serializers::encode::dumps;
/// let v = serde_json::json!({"model": "shop.book", "pk": 1, "fields": {"price": 2.0}});
/// assert_eq!(dumps(&v, None), r#"{"model": "shop.book", "pk": 1, "fields": {"price": 2.0}}"#);
/// assert_eq!(dumps(&serde_json::json!({"a": [1]}), Some(2)), "{\n  \"a\": [\n    1\n  ]\n}");
/// ```
pub fn dumps(value: &Json, indent: Option<usize>) -> String {
    dumps_with(value, PyFormatter::new(indent))
}

/// `json.dumps` with the given formatter.
pub fn dumps_with(value: &Json, formatter: PyFormatter) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    // Serialising a `serde_json::Value` into memory cannot fail.
    let _ = value.serialize(&mut ser);
    String::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_python() {
        for (f, s) in [
            (3.4, "3.4"),
            (100.0, "100.0"),
            (1e15, "1000000000000000.0"),
            (1.5e20, "1.5e+20"),
            (-0.5, "-0.5"),
            (0.00012, "0.00012"),
            (1e-5, "1e-05"),
            (123.456, "123.456"),
        ] {
            assert_eq!(py_float_repr(f), s);
        }
    }

    #[test]
    fn decimals_like_python() {
        for s in ["0.00", "-1.50", "12345", "0.000001"] {
            assert_eq!(decimal_str(&s.parse().unwrap()), s);
        }
    }

    #[test]
    fn durations_round_trip() {
        for us in [0_i64, 1, -1, 93_784_000_005, -86_400_000_000, 3_600_000_000] {
            let d = TimeDelta::microseconds(us);
            assert_eq!(parse_duration(&duration_string(&d)), Some(d), "{us}");
        }
        assert_eq!(
            parse_duration("1 days, 0:00:01"),
            Some(TimeDelta::seconds(86_401))
        );
        assert_eq!(parse_duration("nope"), None);
    }

    #[test]
    fn indent_zero_writes_newlines_only() {
        let v = serde_json::json!({"a": {}, "b": []});
        assert_eq!(dumps(&v, Some(0)), "{\n\"a\": {},\n\"b\": []\n}");
    }
}
