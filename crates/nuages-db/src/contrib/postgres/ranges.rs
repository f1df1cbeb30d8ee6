//! Django's `django.contrib.postgres.fields.ranges`: `IntegerRangeField`,
//! `BigIntegerRangeField`, `DecimalRangeField`, `DateRangeField`, `DateTimeRangeField`,
//! their value type [`Range`] (psycopg's `Range(lower, upper, bounds="[)")`), and the
//! range lookups and transforms.
//!
//! A range travels as PostgreSQL's literal (`[1,10)`, `empty`, `(,5]`) in a text
//! [`Value`]: it is sent in the text format for the server to parse, and read back in the
//! same form from the binary one, so `Range<T>` converts both ways.
//!
//! ```
//! use nuages_db::contrib::postgres::ranges::Range;
//! use nuages_db::{FromValue, IntoValue, Value};
//! let seats = Range::new(Some(1), Some(10));
//! assert_eq!(seats.clone().into_value(), Value::Text("[1,10)".into()));
//! let back: Range<i32> = Range::from_value(Value::Text("[1,10)".into())).unwrap();
//! assert_eq!(back, seats);
//! let open: Range<i64> = Range::with_bounds(None, Some(5), "(]").unwrap();
//! assert_eq!(open.into_value(), Value::Text("(,5]".into()));
//! assert!(Range::<i32>::with_bounds(Some(1), Some(2), "<>").is_err());
//! ```

use crate::error::{DbError, Result};
use crate::models::meta::FieldType;
use crate::models::relations::FieldKind;
use crate::query::query::ResolvedRhs;
use crate::query::where_::SqlExpr;
use crate::value::{FromValue, IntoValue, Value};

use super::search::{pg_func, resolved};

/// A range value: psycopg's `Range` (Django's `NumericRange`, `DateRange`,
/// `DateTimeTZRange`). `None` bounds are infinite.
#[derive(Debug, Clone, PartialEq)]
pub struct Range<T> {
    pub lower: Option<T>,
    pub upper: Option<T>,
    pub lower_inc: bool,
    pub upper_inc: bool,
    /// PostgreSQL's `empty` range.
    pub empty: bool,
}

/// psycopg's `NumericRange` (integer and decimal ranges).
pub type NumericRange<T> = Range<T>;
/// psycopg's `DateRange`.
pub type DateRange = Range<chrono::NaiveDate>;
/// psycopg's `DateTimeTZRange`.
pub type DateTimeTZRange = Range<chrono::DateTime<chrono::Utc>>;

impl<T> Range<T> {
    /// `Range(lower, upper)`: bounds `[)`, as psycopg's default.
    pub fn new(lower: Option<T>, upper: Option<T>) -> Range<T> {
        Range {
            lower,
            upper,
            lower_inc: true,
            upper_inc: false,
            empty: false,
        }
    }

    /// `Range(lower, upper, bounds)` with `bounds` one of `[)`, `(]`, `()`, `[]`.
    pub fn with_bounds(lower: Option<T>, upper: Option<T>, bounds: &str) -> Result<Range<T>> {
        let (li, ui) = match bounds {
            "[)" => (true, false),
            "(]" => (false, true),
            "()" => (false, false),
            "[]" => (true, true),
            other => return Err(DbError::ValueError(format!("bound flags not valid: '{other}'"))),
        };
        Ok(Range {
            lower,
            upper,
            lower_inc: li,
            upper_inc: ui,
            empty: false,
        })
    }

    /// `Range(empty=True)`.
    pub fn empty() -> Range<T> {
        Range {
            lower: None,
            upper: None,
            lower_inc: false,
            upper_inc: false,
            empty: true,
        }
    }
}

/// A bound as it appears in a range literal, double-quoted when it is not a plain number.
fn bound_text(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        Value::DateTime(dt) => format!("\"{}\"", dt.to_rfc3339()),
        Value::Text(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
        other => format!("\"{}\"", crate::query::lookups_py_str(other)),
    }
}

/// PostgreSQL's literal of a range of bound values.
pub(crate) fn literal(lower: Option<&Value>, upper: Option<&Value>, li: bool, ui: bool) -> String {
    let l = lower.filter(|v| !v.is_null()).map(bound_text).unwrap_or_default();
    let u = upper.filter(|v| !v.is_null()).map(bound_text).unwrap_or_default();
    // An infinite bound is always exclusive.
    let li = li && !l.is_empty();
    let ui = ui && !u.is_empty();
    format!(
        "{}{l},{u}{}",
        if li { '[' } else { '(' },
        if ui { ']' } else { ')' }
    )
}

impl<T: IntoValue> IntoValue for Range<T> {
    fn into_value(self) -> Value {
        if self.empty {
            return Value::Text("empty".into());
        }
        let l = self.lower.map(IntoValue::into_value);
        let u = self.upper.map(IntoValue::into_value);
        Value::Text(literal(l.as_ref(), u.as_ref(), self.lower_inc, self.upper_inc))
    }
}

/// Splits a range literal into its bounds' texts (unquoted) and inclusivity.
fn parse_literal(s: &str) -> Option<(Option<String>, Option<String>, bool, bool)> {
    let s = s.trim();
    let li = match s.chars().next()? {
        '[' => true,
        '(' => false,
        _ => return None,
    };
    let ui = match s.chars().last()? {
        ']' => true,
        ')' => false,
        _ => return None,
    };
    let inner = s.get(1..s.len() - 1)?;
    let mut parts = Vec::with_capacity(2);
    let mut cur = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            '\\' if quoted => cur.extend(chars.next()),
            ',' if !quoted => {
                parts.push((std::mem::take(&mut cur), was_quoted));
                was_quoted = false;
            }
            c => cur.push(c),
        }
    }
    parts.push((cur, was_quoted));
    if parts.len() != 2 {
        return None;
    }
    let mut it = parts.into_iter().map(|(p, q)| (q || !p.is_empty()).then_some(p));
    Some((it.next()?, it.next()?, li, ui))
}

impl<T: FromValue> FromValue for Range<T> {
    fn from_value(value: Value) -> Result<Self> {
        let Value::Text(s) = &value else {
            return Err(DbError::ValueError(format!(
                "expected a range value from the database, got {} ({value:?})",
                value.type_name()
            )));
        };
        if s.trim().eq_ignore_ascii_case("empty") {
            return Ok(Range::empty());
        }
        let (l, u, li, ui) = parse_literal(s)
            .ok_or_else(|| DbError::ValueError(format!("malformed range literal: \"{s}\"")))?;
        let conv = |b: Option<String>| b.map(|t| T::from_value(Value::Text(t))).transpose();
        Ok(Range {
            lower: conv(l)?,
            upper: conv(u)?,
            lower_inc: li,
            upper_inc: ui,
            empty: false,
        })
    }
}

macro_rules! range_kind {
    ($($t:ty => $ft:ident),* $(,)?) => {$(
        impl FieldKind for Range<$t> {
            const FIELD_TYPE: FieldType = FieldType::$ft;
        }
    )*};
}
range_kind! {
    i32 => IntegerRangeField,
    i64 => BigIntegerRangeField,
    rust_decimal::Decimal => DecimalRangeField,
    chrono::NaiveDate => DateRangeField,
    chrono::DateTime<chrono::Utc> => DateTimeRangeField,
}

/// True for the range field types.
pub(crate) fn is_range(t: FieldType) -> bool {
    use FieldType::*;
    matches!(
        t,
        IntegerRangeField | BigIntegerRangeField | DecimalRangeField | DateRangeField | DateTimeRangeField
    )
}

/// The PostgreSQL range type and element type of a range field type.
fn types(t: FieldType) -> (&'static str, &'static str, FieldType) {
    use FieldType::*;
    match t {
        IntegerRangeField => ("int4range", "integer", IntegerField),
        BigIntegerRangeField => ("int8range", "bigint", BigIntegerField),
        DecimalRangeField => ("numrange", "numeric", DecimalField),
        DateRangeField => ("daterange", "date", DateField),
        _ => ("tstzrange", "timestamp with time zone", DateTimeField),
    }
}

/// Django's `RangeField.get_prep_value`: a `(lower, upper)` pair becomes a range.
fn range_rhs(rhs: &ResolvedRhs) -> Result<SqlExpr> {
    Ok(match rhs {
        ResolvedRhs::List(items) if items.len() == 2 => {
            let bound = |r: &ResolvedRhs| match r {
                ResolvedRhs::Value(v) => Ok(v.clone()),
                _ => Err(DbError::TypeError("a range's bounds must be values".into())),
            };
            let (l, u) = (bound(&items[0])?, bound(&items[1])?);
            SqlExpr::Param(Value::Text(literal(Some(&l), Some(&u), true, false)))
        }
        other => super::lookups::rhs_expr(other)?,
    })
}

/// The range lookups (`contains`, `contained_by`, `overlap`, `fully_lt`, `fully_gt`,
/// `not_lt`, `not_gt`, `adjacent_to`, `exact`) on a range column of type `t`.
pub(crate) fn lookup(t: FieldType, name: &str, lhs: &SqlExpr, rhs: &ResolvedRhs) -> Result<Option<SqlExpr>> {
    let (op, class) = match name {
        "contains" => ("@>", "RangeContains"),
        "contained_by" => ("<@", "RangeContainedBy"),
        "overlap" => ("&&", "RangeOverlap"),
        "fully_lt" => ("<<", "FullyLessThan"),
        "fully_gt" => (">>", "FullGreaterThan"),
        "not_lt" => ("&>", "NotLessThan"),
        "not_gt" => ("&<", "NotGreaterThan"),
        "adjacent_to" => ("-|-", "AdjacentToLookup"),
        "exact" => ("=", "RangeExact"),
        _ => return Ok(None),
    };
    if matches!(rhs, ResolvedRhs::Value(Value::Null)) {
        if name == "exact" {
            return Ok(None);
        }
        return Err(DbError::ValueError("Cannot use None as a query value".into()));
    }
    let (range_type, elem_type, _) = types(t);
    let rhs = range_rhs(rhs)?;
    // `contains` takes a range or one element (Django casts to the matching type).
    let cast = match &rhs {
        SqlExpr::Param(Value::Text(_)) => range_type,
        SqlExpr::Param(_) if name == "contains" => elem_type,
        SqlExpr::Param(_) => range_type,
        _ => "",
    };
    let template = if cast.is_empty() {
        format!("%(0)s {op} %(1)s")
    } else {
        format!("%(0)s {op} %(1)s::{cast}")
    };
    let def = pg_func(class, "", Vec::new(), FieldType::BooleanField).template(template);
    Ok(Some(resolved(def, vec![lhs.clone(), rhs])))
}

/// The range transforms: `startswith` (`lower()`), `endswith` (`upper()`), `isempty`,
/// `lower_inc`, `lower_inf`, `upper_inc`, `upper_inf`.
pub(crate) fn transform(t: FieldType, name: &str, lhs: &SqlExpr) -> Option<(SqlExpr, FieldType)> {
    let (_, _, elem) = types(t);
    let (function, class, out) = match name {
        "startswith" => ("lower", "RangeStartsWith", elem),
        "endswith" => ("upper", "RangeEndsWith", elem),
        "isempty" => ("isempty", "IsEmpty", FieldType::BooleanField),
        "lower_inc" => ("LOWER_INC", "LowerInclusive", FieldType::BooleanField),
        "lower_inf" => ("LOWER_INF", "LowerInfinite", FieldType::BooleanField),
        "upper_inc" => ("UPPER_INC", "UpperInclusive", FieldType::BooleanField),
        "upper_inf" => ("UPPER_INF", "UpperInfinite", FieldType::BooleanField),
        _ => return None,
    };
    let def = pg_func(class, function, Vec::new(), out);
    Some((resolved(def, vec![lhs.clone()]), out))
}

/// Django's `RangeField.value_to_string` for fixtures:
/// `'{"bounds": "[)", "lower": "1", "upper": "10"}'` (or `'{"empty": true}'`).
pub(crate) fn range_to_fixture(literal_text: &str) -> serde_json::Value {
    use serde_json::{json, Value as J};
    if literal_text.trim().eq_ignore_ascii_case("empty") {
        return J::String(crate::serializers::encode::dumps(&json!({"empty": true}), None));
    }
    let Some((l, u, li, ui)) = parse_literal(literal_text) else {
        return J::String(literal_text.to_owned());
    };
    let bounds = format!("{}{}", if li { '[' } else { '(' }, if ui { ']' } else { ')' });
    let obj = json!({"bounds": bounds, "lower": l, "upper": u});
    J::String(crate::serializers::encode::dumps(&obj, None))
}

/// Django's `RangeField.to_python` for fixtures: the JSON object (or its text) as a
/// range literal, each bound through the element field's conversion.
pub(crate) fn range_from_fixture(t: FieldType, j: &serde_json::Value) -> Result<Value> {
    use serde_json::Value as J;
    let parsed;
    let obj = match j {
        J::Object(_) => j,
        J::String(s) => {
            parsed = serde_json::from_str::<J>(s)
                .map_err(|e| DbError::ValueError(format!("invalid range value \"{s}\": {e}")))?;
            &parsed
        }
        other => return Err(DbError::ValueError(format!("invalid range value {other}"))),
    };
    if obj.get("empty").and_then(J::as_bool) == Some(true) {
        return Ok(Value::Text("empty".into()));
    }
    let (_, _, elem) = types(t);
    let bound = |k: &str| -> Result<Option<Value>> {
        match obj.get(k) {
            None | Some(J::Null) => Ok(None),
            Some(J::String(s)) => {
                crate::query::lookups::prep_value(elem, k, None, Value::Text(s.clone())).map(Some)
            }
            Some(J::Number(n)) => Ok(Some(match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            })),
            Some(other) => Err(DbError::ValueError(format!("invalid range bound {other}"))),
        }
    };
    let bounds = obj.get("bounds").and_then(J::as_str).unwrap_or("[)");
    let r = Range::with_bounds(bound("lower")?, bound("upper")?, bounds)?;
    Ok(Value::Text(literal(
        r.lower.as_ref(),
        r.upper.as_ref(),
        r.lower_inc,
        r.upper_inc,
    )))
}
