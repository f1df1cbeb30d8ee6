//! Django's lookups and transforms: which names exist for which field class, how a
//! right-hand value is prepared for a field (`get_prep_value`, with Django's error
//! messages), LIKE escaping, year bounds, and `difflib`'s suggestions for unknown
//! lookups.

use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone, Utc};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

use crate::error::{DbError, Result};
use crate::models::meta::{Field, FieldType};
use crate::value::{parse_datetime, Value};

/// The comparison lookups (`field__<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupName {
    Exact,
    IExact,
    Contains,
    IContains,
    In,
    Gt,
    Gte,
    Lt,
    Lte,
    StartsWith,
    IStartsWith,
    EndsWith,
    IEndsWith,
    Range,
    IsNull,
    Regex,
    IRegex,
}

const BASE_LOOKUPS: [(&str, LookupName); 17] = [
    ("exact", LookupName::Exact),
    ("iexact", LookupName::IExact),
    ("gt", LookupName::Gt),
    ("gte", LookupName::Gte),
    ("lt", LookupName::Lt),
    ("lte", LookupName::Lte),
    ("in", LookupName::In),
    ("contains", LookupName::Contains),
    ("icontains", LookupName::IContains),
    ("startswith", LookupName::StartsWith),
    ("istartswith", LookupName::IStartsWith),
    ("endswith", LookupName::EndsWith),
    ("iendswith", LookupName::IEndsWith),
    ("range", LookupName::Range),
    ("isnull", LookupName::IsNull),
    ("regex", LookupName::Regex),
    ("iregex", LookupName::IRegex),
];

const RELATED_LOOKUPS: [&str; 7] = ["in", "exact", "lt", "gt", "gte", "lte", "isnull"];

impl LookupName {
    /// Django's lookup name.
    pub fn name(self) -> &'static str {
        BASE_LOOKUPS
            .iter()
            .find(|(_, l)| *l == self)
            .map(|(n, _)| *n)
            .unwrap_or("exact")
    }

    /// True for the LIKE-based lookups.
    pub fn is_pattern(self) -> bool {
        use LookupName::*;
        matches!(
            self,
            IExact | Contains | IContains | StartsWith | IStartsWith | EndsWith | IEndsWith
        )
    }
}

/// Transforms (`publication_date__year`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    Year,
    IsoYear,
    Month,
    Day,
    Week,
    WeekDay,
    IsoWeekDay,
    Quarter,
    Date,
    Time,
    Hour,
    Minute,
    Second,
}

const DATE_TRANSFORMS: [(&str, Transform); 8] = [
    ("year", Transform::Year),
    ("iso_year", Transform::IsoYear),
    ("month", Transform::Month),
    ("day", Transform::Day),
    ("week", Transform::Week),
    ("week_day", Transform::WeekDay),
    ("iso_week_day", Transform::IsoWeekDay),
    ("quarter", Transform::Quarter),
];
const TIME_TRANSFORMS: [(&str, Transform); 3] = [
    ("hour", Transform::Hour),
    ("minute", Transform::Minute),
    ("second", Transform::Second),
];

impl Transform {
    /// The field type the transform outputs.
    pub fn output_type(self) -> FieldType {
        match self {
            Transform::Date => FieldType::DateField,
            Transform::Time => FieldType::TimeField,
            _ => FieldType::IntegerField,
        }
    }

    /// Django's transform name.
    pub fn name(self) -> &'static str {
        match self {
            Transform::Date => "date",
            Transform::Time => "time",
            t => DATE_TRANSFORMS
                .iter()
                .chain(TIME_TRANSFORMS.iter())
                .find(|(_, x)| *x == t)
                .map(|(n, _)| *n)
                .unwrap_or("year"),
        }
    }
}

/// What the left-hand side of a lookup is, for choosing lookups and transforms.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LhsKind {
    Field(FieldType),
    /// A relation: only the related lookups apply; `class_name` is Django's field class.
    Relation(&'static str),
}

impl LhsKind {
    pub fn class_name(self) -> &'static str {
        match self {
            LhsKind::Field(t) => t.name(),
            LhsKind::Relation(c) => c,
        }
    }

    pub fn get_lookup(self, name: &str) -> Option<LookupName> {
        if let LhsKind::Relation(_) = self {
            if !RELATED_LOOKUPS.contains(&name) {
                return None;
            }
        }
        BASE_LOOKUPS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
    }

    pub fn get_transform(self, name: &str) -> Option<Transform> {
        let LhsKind::Field(t) = self else { return None };
        let date = DATE_TRANSFORMS.iter().find(|(n, _)| *n == name).map(|(_, x)| *x);
        let time = TIME_TRANSFORMS.iter().find(|(n, _)| *n == name).map(|(_, x)| *x);
        match t {
            FieldType::DateField => date,
            FieldType::DateTimeField => match name {
                "date" => Some(Transform::Date),
                "time" => Some(Transform::Time),
                _ => date.or(time),
            },
            FieldType::TimeField => time,
            _ => None,
        }
    }

    /// Every lookup and transform name registered for this class (`get_lookups()`).
    fn all_names(self) -> Vec<&'static str> {
        match self {
            LhsKind::Relation(_) => RELATED_LOOKUPS.to_vec(),
            LhsKind::Field(t) => {
                let mut v: Vec<&'static str> = BASE_LOOKUPS.iter().map(|(n, _)| *n).collect();
                match t {
                    FieldType::DateField => v.extend(DATE_TRANSFORMS.iter().map(|(n, _)| *n)),
                    FieldType::DateTimeField => {
                        v.extend(DATE_TRANSFORMS.iter().map(|(n, _)| *n));
                        v.extend(["date", "time"]);
                        v.extend(TIME_TRANSFORMS.iter().map(|(n, _)| *n));
                    }
                    FieldType::TimeField => v.extend(TIME_TRANSFORMS.iter().map(|(n, _)| *n)),
                    _ => {}
                }
                v.extend(super::custom_lookups::registered_names(self, None));
                v
            }
        }
    }

    /// Django's "Unsupported lookup" error, with `difflib` suggestions.
    pub fn unsupported(self, lookups: &[String], index: usize) -> DbError {
        self.unsupported_of(None, lookups, index)
    }

    /// [`LhsKind::unsupported`] for a column of a custom field class (`custom`: its
    /// class name, shown in the message; its registrations are suggested too).
    pub fn unsupported_of(self, custom: Option<&'static str>, lookups: &[String], index: usize) -> DbError {
        let name = &lookups[index];
        let mut names = self.all_names();
        if custom.is_some() {
            names.extend(super::custom_lookups::registered_names(self, custom));
            names.sort_unstable();
            names.dedup();
        }
        let suggestions = close_matches(name, &names);
        let suggestion = if suggestions.is_empty() {
            ".".to_owned()
        } else {
            format!(", perhaps you meant {}?", suggestions.join(" or "))
        };
        DbError::FieldError(format!(
            "Unsupported lookup '{}' for {} or join on the field not permitted{}",
            lookups[index..].join("__"),
            custom.unwrap_or(self.class_name()),
            suggestion
        ))
    }
}

/// Python's `difflib.get_close_matches(word, possibilities)` (n=3, cutoff=0.6).
pub(crate) fn close_matches(word: &str, possibilities: &[&'static str]) -> Vec<&'static str> {
    let a: Vec<char> = word.chars().collect();
    let mut scored: Vec<(f64, &'static str)> = possibilities
        .iter()
        .filter_map(|p| {
            let b: Vec<char> = p.chars().collect();
            let r = ratio(&a, &b);
            (r >= 0.6).then_some((r, *p))
        })
        .collect();
    scored.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| y.1.cmp(x.1)));
    scored.into_iter().take(3).map(|(_, p)| p).collect()
}

/// `SequenceMatcher(None, a, b).ratio()`: 2 * matches / total, matches found by
/// recursively taking the longest common block.
fn ratio(a: &[char], b: &[char]) -> f64 {
    fn matches(a: &[char], b: &[char]) -> usize {
        let (mut best, mut bi, mut bj) = (0, 0, 0);
        for i in 0..a.len() {
            for j in 0..b.len() {
                let mut k = 0;
                while i + k < a.len() && j + k < b.len() && a[i + k] == b[j + k] {
                    k += 1;
                }
                if k > best {
                    (best, bi, bj) = (k, i, j);
                }
            }
        }
        if best == 0 {
            return 0;
        }
        best + matches(&a[..bi], &b[..bj]) + matches(&a[bi + best..], &b[bj + best..])
    }
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    2.0 * matches(a, b) as f64 / total as f64
}

/// Python's `repr()` of a value, as Django's messages show it.
pub(crate) fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => py_float(*f),
        Value::Decimal(d) => format!("Decimal('{d}')"),
        Value::Text(s) => nuages_core::pyrepr::repr_str(s),
        Value::Date(d) => format!("datetime.date({}, {}, {})", d.year(), d.month(), d.day()),
        other => format!("{other:?}"),
    }
}

/// Python's `str(float)`.
pub(crate) fn py_float(f: f64) -> String {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// Python's `str(v)` (used when a non-text value meets a text lookup).
pub(crate) fn py_str(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => py_float(*f),
        Value::Decimal(d) => d.to_string(),
        Value::Date(d) => d.to_string(),
        Value::Time(t) => t.to_string(),
        Value::DateTime(dt) => dt.format("%Y-%m-%d %H:%M:%S%.f+00:00").to_string(),
        Value::Uuid(u) => u.to_string(),
        Value::Null => "None".to_owned(),
        other => format!("{other:?}"),
    }
}

/// `connection.ops.prep_for_like_query`: escapes `\`, `%` and `_`.
pub(crate) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// True for the text field types.
pub(crate) fn is_text_type(t: FieldType) -> bool {
    use FieldType::*;
    matches!(t, CharField | TextField | EmailField | SlugField | URLField)
}

/// `Field.get_prep_value` + `to_python` for lookup values: coerces `v` to the field's
/// type with Django's error messages. `name` is the field name used in messages.
pub(crate) fn prep_value(
    field_type: FieldType,
    name: &str,
    field: Option<&Field>,
    v: Value,
) -> Result<Value> {
    if v.is_null() {
        return Ok(v);
    }
    let number_error = |v: &Value, type_error: bool| {
        let msg = format!("Field '{name}' expected a number but got {}.", py_repr(v));
        if type_error {
            DbError::TypeError(msg)
        } else {
            DbError::ValueError(msg)
        }
    };
    use FieldType::*;
    Ok(match field_type {
        t if t.is_integer() => match v {
            Value::Int(_) => v,
            Value::Bool(b) => Value::Int(b as i64),
            Value::Float(f) if f.is_finite() => Value::Int(f.trunc() as i64),
            Value::Decimal(d) => Value::Int(d.trunc().to_i64().ok_or_else(|| number_error(&v, false))?),
            Value::Text(ref s) => match s.trim().replace('_', "").parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => return Err(number_error(&v, false)),
            },
            _ => return Err(number_error(&v, true)),
        },
        FloatField => match v {
            Value::Float(_) => v,
            Value::Int(i) => Value::Float(i as f64),
            Value::Bool(b) => Value::Float(b as i64 as f64),
            Value::Decimal(d) => Value::Float(d.to_f64().unwrap_or(f64::NAN)),
            Value::Text(ref s) => match s.trim().parse::<f64>() {
                Ok(f) => Value::Float(f),
                Err(_) => return Err(number_error(&v, false)),
            },
            _ => return Err(number_error(&v, true)),
        },
        DecimalField => match v {
            Value::Decimal(_) => v,
            Value::Int(i) => Value::Decimal(Decimal::from(i)),
            Value::Bool(b) => Value::Decimal(Decimal::from(b as i64)),
            Value::Float(f) => {
                let digits = field.and_then(|f| f.max_digits).unwrap_or(28);
                let d = Decimal::from_f64_retain(f).ok_or_else(|| invalid_decimal(&v))?;
                Value::Decimal(d.round_sf(digits).unwrap_or(d).normalize())
            }
            Value::Text(ref s) => match s.trim().parse::<Decimal>() {
                Ok(d) => Value::Decimal(d),
                Err(_) => return Err(invalid_decimal(&v)),
            },
            _ => return Err(invalid_decimal(&v)),
        },
        CharField | TextField | EmailField | SlugField | URLField => match v {
            Value::Text(_) => v,
            other => Value::Text(py_str(&other)),
        },
        BooleanField => match v {
            Value::Bool(_) => v,
            Value::Int(0) => Value::Bool(false),
            Value::Int(1) => Value::Bool(true),
            Value::Text(ref s) if matches!(s.as_str(), "t" | "True" | "1") => Value::Bool(true),
            Value::Text(ref s) if matches!(s.as_str(), "f" | "False" | "0") => Value::Bool(false),
            other => {
                return Err(DbError::ValueError(format!(
                    "“{}” value must be either True or False.",
                    py_str(&other)
                )))
            }
        },
        DateField => match v {
            Value::Date(_) => v,
            Value::DateTime(dt) => Value::Date(dt.date_naive()),
            Value::Text(ref s) => match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
                Ok(d) => Value::Date(d),
                Err(_) => match parse_datetime(s) {
                    Some(dt) => Value::Date(dt.date_naive()),
                    None => return Err(invalid_date(s)),
                },
            },
            other => return Err(invalid_date(&py_str(&other))),
        },
        DateTimeField => match v {
            Value::DateTime(_) => v,
            Value::Date(d) => Value::DateTime(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN))),
            Value::Text(ref s) => match parse_datetime(s.trim()) {
                Some(dt) => Value::DateTime(dt),
                None => match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
                    Ok(d) => Value::DateTime(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN))),
                    Err(_) => {
                        return Err(DbError::ValueError(format!(
                            "“{s}” value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format."
                        )))
                    }
                },
            },
            other => return Err(DbError::TypeError(format!("expected string or bytes-like object, got '{}'", other.type_name()))),
        },
        TimeField => match v {
            Value::Time(_) => v,
            Value::DateTime(dt) => Value::Time(dt.time()),
            Value::Text(ref s) => match NaiveTime::parse_from_str(s.trim(), "%H:%M:%S%.f")
                .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M"))
            {
                Ok(t) => Value::Time(t),
                Err(_) => {
                    return Err(DbError::ValueError(format!(
                        "“{s}” value has an invalid format. It must be in HH:MM[:ss[.uuuuuu]] format."
                    )))
                }
            },
            other => return Err(DbError::TypeError(format!("expected string or bytes-like object, got '{}'", other.type_name()))),
        },
        UUIDField => match v {
            Value::Uuid(_) => v,
            Value::Text(ref s) => match uuid::Uuid::parse_str(s.trim()) {
                Ok(u) => Value::Uuid(u),
                Err(_) => return Err(DbError::ValueError(format!("“{s}” is not a valid UUID."))),
            },
            Value::Int(i) if i >= 0 => Value::Uuid(uuid::Uuid::from_u128(i as u128)),
            other => return Err(DbError::ValueError(format!("“{}” is not a valid UUID.", py_str(&other)))),
        },
        _ => v,
    })
}

/// Django's integer lookups (`IntegerFieldExact`, `IntegerGreaterThan`, ... over
/// `IntegerFieldFloatRounding`): the bound value of `exact`, `gt`, `gte`, `lt` or `lte`
/// on an integer column. A float is rounded up for `gte` and `lt` (so `gte=4.5` is
/// `>= 5`); a whole number beyond 64 bits (Python's `int` has no bound) is kept as a
/// `Decimal` rather than refused, so that the compiler compares it with the backend's
/// range ([`integer_overflow`]) as Django's `IntegerFieldOverflow` does. Anything else
/// goes through `prep` (the field's `get_prep_value`).
pub(crate) fn prep_integer_lookup(
    lookup: LookupName,
    v: Value,
    prep: &dyn Fn(Value) -> Result<Value>,
) -> Result<Value> {
    use LookupName::*;
    let v = match (lookup, v) {
        (Gte | Lt, Value::Float(f)) if f.is_finite() => Value::Float(f.ceil()),
        (_, v) => v,
    };
    match beyond_i64(&v) {
        Some(big) => Ok(Value::Decimal(big)),
        None => prep(v),
    }
}

/// The whole number `v` stands for when it does not fit an `i64` (saturated at
/// `Decimal`'s bounds, which are past every integer column's anyway).
fn beyond_i64(v: &Value) -> Option<Decimal> {
    let saturate = |negative: bool| if negative { Decimal::MIN } else { Decimal::MAX };
    match v {
        Value::Float(f) if f.is_finite() => {
            let t = f.trunc();
            // 2^63: the first float past `i64::MAX` (and `-2^63` is `i64::MIN`).
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            if (-LIMIT..LIMIT).contains(&t) {
                return None;
            }
            Some(Decimal::from_f64(t).unwrap_or_else(|| saturate(t < 0.0)))
        }
        Value::Decimal(d) => {
            let t = d.trunc();
            t.to_i64().is_none().then_some(t)
        }
        Value::Text(s) => {
            let s = s.trim().replace('_', "");
            let digits = s.strip_prefix(['-', '+']).unwrap_or(&s);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || s.parse::<i64>().is_ok() {
                return None;
            }
            Some(
                s.parse::<Decimal>()
                    .unwrap_or_else(|_| saturate(s.starts_with('-'))),
            )
        }
        _ => None,
    }
}

/// Django's `IntegerFieldOverflow.process_rhs`: an integer lookup whose value lies
/// outside what the backend's column holds ([`integer_field_range`]) is decided without
/// the database: `Some(false)` matches no row (`EmptyResultSet`: `exact`, and `gt`/`gte`
/// above the maximum, `lt`/`lte` below the minimum), `Some(true)` every row
/// (`FullResultSet`: `lt`/`lte` above the maximum, `gt`/`gte` below the minimum).
///
/// [`integer_field_range`]: crate::backends::operations::integer_field_range
pub(crate) fn integer_overflow(
    vendor: crate::Vendor,
    field_type: FieldType,
    lookup: LookupName,
    v: &Value,
) -> Option<bool> {
    use LookupName::*;
    let (underflow, overflow) = match lookup {
        Exact => (false, false),
        Gt | Gte => (true, false),
        Lt | Lte => (false, true),
        _ => return None,
    };
    let n: i128 = match v {
        Value::Int(i) => i128::from(*i),
        Value::Decimal(d) => d.to_i128()?,
        _ => return None,
    };
    let (min, max) = crate::backends::operations::integer_field_range(vendor, field_type)?;
    if n < min {
        Some(underflow)
    } else if n > max {
        Some(overflow)
    } else {
        None
    }
}

fn invalid_decimal(v: &Value) -> DbError {
    DbError::ValueError(format!("“{}” value must be a decimal number.", py_str(v)))
}

fn invalid_date(s: &str) -> DbError {
    DbError::ValueError(format!(
        "“{s}” value has an invalid date format. It must be in YYYY-MM-DD format."
    ))
}

/// Django's `year_lookup_bounds`: the first and last value of `year` (an ISO year when
/// `iso`) for a date or datetime column.
pub(crate) fn year_bounds(year: i64, iso: bool, datetime: bool) -> Result<(Value, Value)> {
    let y = i32::try_from(year).map_err(|_| DbError::ValueError(format!("year {year} is out of range")))?;
    let out_of_range = || DbError::ValueError(format!("year {year} is out of range"));
    let (start, end) = if iso {
        let s = NaiveDate::from_isoywd_opt(y, 1, chrono::Weekday::Mon).ok_or_else(out_of_range)?;
        let e = NaiveDate::from_isoywd_opt(y + 1, 1, chrono::Weekday::Mon)
            .and_then(|d| d.pred_opt())
            .ok_or_else(out_of_range)?;
        (s, e)
    } else {
        (
            NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(out_of_range)?,
            NaiveDate::from_ymd_opt(y, 12, 31).ok_or_else(out_of_range)?,
        )
    };
    if datetime {
        let end_time = NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).ok_or_else(out_of_range)?;
        Ok((
            Value::DateTime(Utc.from_utc_datetime(&start.and_time(NaiveTime::MIN))),
            Value::DateTime(Utc.from_utc_datetime(&end.and_time(end_time))),
        ))
    } else {
        Ok((Value::Date(start), Value::Date(end)))
    }
}

/// Rounds a float read from a decimal column the way Django's converter does: to
/// `max_digits` significant digits, then to `decimal_places`, half-even.
pub(crate) fn float_to_decimal(f: f64, max_digits: Option<u32>, places: Option<u32>) -> Option<Decimal> {
    let d = Decimal::from_f64_retain(f).or_else(|| Decimal::from_f64(f))?;
    let d = match max_digits {
        Some(m) => d.round_sf(m).unwrap_or(d),
        None => d,
    };
    Some(match places {
        Some(p) => d.round_dp_with_strategy(p, rust_decimal::RoundingStrategy::MidpointNearestEven),
        None => d,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_follow_difflib() {
        let kind = LhsKind::Field(FieldType::BooleanField);
        let err = kind.unsupported(&["gt".into(), "lt".into()], 0);
        assert_eq!(
            err.to_string(),
            "Unsupported lookup 'gt__lt' for BooleanField or join on the field not permitted, perhaps you meant gt or gte?"
        );
        let err = LhsKind::Relation("ForeignKey").unsupported(&["nope".into()], 0);
        assert_eq!(
            err.to_string(),
            "Unsupported lookup 'nope' for ForeignKey or join on the field not permitted."
        );
        assert_eq!(
            close_matches("icontain", &["icontains", "contains", "exact"]),
            vec!["icontains", "contains"]
        );
    }

    #[test]
    fn integer_prep_reports_like_django() {
        let err = prep_value(FieldType::IntegerField, "pages", None, Value::Text("abc".into())).unwrap_err();
        assert_eq!(err.class_name(), "ValueError");
        assert_eq!(err.to_string(), "Field 'pages' expected a number but got 'abc'.");
        assert_eq!(
            prep_value(FieldType::IntegerField, "pages", None, Value::Float(4.7)).unwrap(),
            Value::Int(4)
        );
        let err = prep_value(FieldType::IntegerField, "x", None, Value::Text("it's".into())).unwrap_err();
        assert_eq!(err.to_string(), "Field 'x' expected a number but got \"it's\".");
    }

    #[test]
    fn like_escaping_and_bounds() {
        assert_eq!(escape_like(r"_100%\"), r"\_100\%\\");
        let (s, e) = year_bounds(1999, true, false).unwrap();
        assert_eq!(s, Value::Date(NaiveDate::from_ymd_opt(1999, 1, 4).unwrap()));
        assert_eq!(e, Value::Date(NaiveDate::from_ymd_opt(2000, 1, 2).unwrap()));
        let (_, e) = year_bounds(2000, false, true).unwrap();
        assert!(format!("{e:?}").contains("23:59:59.999999"));
    }
}
