//! The spec language's values and the result normalisation of `conformance/README.md`.

use chrono::{NaiveDate, NaiveTime, Timelike};
use nuages_db::query::{ArithOp, Expression, Rhs, F};
use nuages_db::value::parse_datetime;
use nuages_db::Value;
use serde_json::{json, Map, Value as Json};

/// Why a spec could not produce a result.
pub enum Failure {
    /// A Django-equivalent error (`stage` build or eval).
    Db(nuages_db::DbError, &'static str),
    /// The runner cannot express the spec (a feature of a later issue).
    Spec(String),
}

impl From<nuages_db::DbError> for Failure {
    fn from(e: nuages_db::DbError) -> Self {
        Failure::Db(e, "eval")
    }
}

pub type Res<T> = Result<T, Failure>;

pub fn spec_err<T>(msg: impl Into<String>) -> Res<T> {
    Err(Failure::Spec(msg.into()))
}

/// A JSON scalar or wrapper (`$date`, `$decimal`, ...) as a [`Value`]; `None` for `$F`
/// and other expressions.
pub fn scalar(v: &Json) -> Res<Option<Value>> {
    Ok(Some(match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Text(s.clone()),
        Json::Object(o) => {
            if let Some(Json::String(s)) = o.get("$date") {
                match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    Ok(d) => Value::Date(d),
                    Err(_) => return spec_err(format!("bad $date {s}")),
                }
            } else if let Some(Json::String(s)) = o.get("$datetime") {
                match parse_datetime(s) {
                    Some(dt) => Value::DateTime(dt),
                    None => return spec_err(format!("bad $datetime {s}")),
                }
            } else if let Some(Json::String(s)) = o.get("$time") {
                match NaiveTime::parse_from_str(s, "%H:%M:%S%.f") {
                    Ok(t) => Value::Time(t),
                    Err(_) => return spec_err(format!("bad $time {s}")),
                }
            } else if let Some(Json::String(s)) = o.get("$decimal") {
                match s.parse() {
                    Ok(d) => Value::Decimal(d),
                    Err(_) => return spec_err(format!("bad $decimal {s}")),
                }
            } else if let Some(Json::Array(r)) = o.get("$ref") {
                match r.get(1).and_then(Json::as_i64) {
                    Some(pk) => Value::Int(pk),
                    None => return spec_err("bad $ref"),
                }
            } else {
                return Ok(None);
            }
        }
        Json::Array(_) => return Ok(None),
    }))
}

/// A value or `$F` expression.
pub fn expression(v: &Json) -> Res<Expression> {
    if let Some(s) = scalar(v)? {
        return Ok(Expression::Value(s));
    }
    let Json::Object(o) = v else {
        return spec_err(format!("unsupported value {v}"));
    };
    let Some(Json::String(path)) = o.get("$F") else {
        return spec_err(format!("unsupported value {v}"));
    };
    let mut e = Expression::from(F::new(path.clone()));
    for (k, arg) in o {
        let op = match k.trim_start_matches('r') {
            "add" => ArithOp::Add,
            "sub" => ArithOp::Sub,
            "mul" => ArithOp::Mul,
            "div" => ArithOp::Div,
            "mod" => ArithOp::Mod,
            "pow" => ArithOp::Pow,
            _ => continue,
        };
        let arg = expression(arg)?;
        e = if k.starts_with('r') {
            arg.combine(op, e)
        } else {
            e.combine(op, arg)
        };
    }
    Ok(e)
}

/// A lookup's right-hand side: a value, an expression, a list, or a `$qs` subquery.
pub fn rhs(v: &Json, subquery: &dyn Fn(&Json) -> Res<nuages_db::query::DynQuerySet>) -> Res<Rhs> {
    match v {
        Json::Array(items) => Ok(Rhs::List(items.iter().map(expression).collect::<Res<Vec<_>>>()?)),
        Json::Object(o) if o.contains_key("$qs") => Ok(Rhs::from(subquery(&o["$qs"])?)),
        Json::Object(o) if o.contains_key("$OuterRef") => match o.get("$OuterRef") {
            Some(Json::String(name)) => Ok(Rhs::Expr(nuages_db::query::OuterRef::new(name.as_str()).into())),
            _ => spec_err("$OuterRef needs a path"),
        },
        Json::Object(o) if o.contains_key("$expr") => spec_err("$expr is read by the runner"),
        other => Ok(Rhs::Expr(expression(other)?)),
    }
}

/// Python's `float('%.6g' % x)`.
fn round6(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{x:.5e}").parse().unwrap_or(x)
}

/// A decimal as the README writes it: with its scale when known (fields), else (more
/// than 12 significant digits: `Avg`, divisions) rounded to 12 significant digits
/// without trailing zeros.
fn decimal_string(d: &rust_decimal::Decimal) -> String {
    let digits = d
        .mantissa()
        .unsigned_abs()
        .to_string()
        .trim_start_matches('0')
        .len();
    if digits > 12 {
        let r = d.round_sf(12).unwrap_or(*d).normalize();
        return r.to_string();
    }
    d.to_string()
}

/// A result value, normalised as the README says.
pub fn normalise(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => json!(i),
        Value::Float(f) => serde_json::Number::from_f64(round6(*f))
            .map(Json::Number)
            .unwrap_or(Json::Null),
        Value::Decimal(d) => Json::String(decimal_string(d)),
        Value::Text(s) => Json::String(s.clone()),
        Value::Bytes(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        Value::Date(d) => Json::String(d.format("%Y-%m-%d").to_string()),
        Value::Time(t) => Json::String(if t.nanosecond() / 1000 != 0 {
            t.format("%H:%M:%S%.6f").to_string()
        } else {
            t.format("%H:%M:%S").to_string()
        }),
        Value::DateTime(dt) => Json::String(if dt.nanosecond() / 1000 != 0 {
            dt.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
        } else {
            dt.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
        }),
        Value::Duration(d) => {
            json!({"$duration_s": d.num_microseconds().map(|us| us as f64 / 1e6).unwrap_or(0.0)})
        }
        Value::Uuid(u) => Json::String(u.to_string()),
        Value::Json(j) => (**j).clone(),
    }
}

/// A row as a JSON object keyed by column name.
pub fn row_object(row: &nuages_db::Row) -> Json {
    let mut m = Map::new();
    for (name, v) in row.columns().iter().zip(row.values()) {
        m.insert(name.clone(), normalise(v));
    }
    Json::Object(m)
}

/// A row as a JSON list.
pub fn row_list(row: &nuages_db::Row) -> Json {
    Json::Array(row.values().iter().map(normalise).collect())
}
