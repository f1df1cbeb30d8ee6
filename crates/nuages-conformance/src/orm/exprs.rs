//! The spec language's expressions (`conformance/README.md`, "Expressions"):
//! aggregates, `F`/`Value`, a `Q` as a boolean, and database functions, as nuages
//! [`Expression`]s.

use nuages_db::query::aggregates::{AggArg, Aggregate, Avg, Count, Max, Min, StdDev, Sum, Variance};
use nuages_db::query::functions::{self as fx, Arg};
use nuages_db::query::{Expression, OutputField, F, Q};
use nuages_db::{FieldType, Value};
use serde_json::Value as Json;

use super::values::{expression as value_expression, spec_err, Res};

/// Parses a `Q` tree (given by the runner, which knows subqueries).
pub type QParser<'a> = &'a dyn Fn(&Json) -> Res<Q>;

fn arg(v: &Json, q: QParser) -> Res<Expression> {
    match v {
        Json::String(s) => Ok(Expression::F(s.clone())),
        other => expr(other, q),
    }
}

fn args(items: &[Json], q: QParser) -> Res<Vec<Arg>> {
    items.iter().map(|i| Ok(Arg::from(arg(i, q)?))).collect()
}

fn aggregate(name: &str, items: &[Json], q: QParser) -> Res<Expression> {
    let target: AggArg = match items.first() {
        Some(Json::String(s)) => AggArg::from(s.as_str()),
        Some(other) => AggArg::from(expr(other, q)?),
        None => return spec_err(format!("{name} needs an argument")),
    };
    let opts = items.get(1).and_then(Json::as_object);
    let mut a: Aggregate = match name {
        "Count" => Count::new(target),
        "Sum" => Sum::new(target),
        "Avg" => Avg::new(target),
        "Min" => Min::new(target),
        "Max" => Max::new(target),
        "StdDev" => StdDev::with_sample(
            target,
            opts.and_then(|o| o.get("sample"))
                .and_then(Json::as_bool)
                .unwrap_or(false),
        ),
        _ => Variance::with_sample(
            target,
            opts.and_then(|o| o.get("sample"))
                .and_then(Json::as_bool)
                .unwrap_or(false),
        ),
    };
    if let Some(o) = opts {
        if o.get("distinct").and_then(Json::as_bool) == Some(true) {
            a = a.distinct();
        }
        if let Some(f) = o.get("filter") {
            a = a.filter(q(f)?);
        }
        if let Some(d) = o.get("default") {
            a = a.default(value_expression(d)?);
        }
    }
    Ok(a.into())
}

fn cast_field(name: &str) -> Res<OutputField> {
    Ok(OutputField::new(match name {
        "int" => FieldType::IntegerField,
        "float" => FieldType::FloatField,
        "text" => FieldType::TextField,
        "date" => FieldType::DateField,
        "datetime" => FieldType::DateTimeField,
        "time" => FieldType::TimeField,
        "bool" => FieldType::BooleanField,
        "decimal" => return Ok(OutputField::decimal(12, 2)),
        other => return spec_err(format!("unknown cast type {other}")),
    }))
}

/// An expression of the spec language.
pub fn expr(v: &Json, q: QParser) -> Res<Expression> {
    let Json::Array(items) = v else {
        return value_expression(v);
    };
    let Some(name) = items.first().and_then(Json::as_str) else {
        return spec_err("an expression list starts with its name");
    };
    let rest = &items[1..];
    let one = |i: usize| -> Res<Arg> {
        match rest.get(i) {
            Some(v) => Ok(Arg::from(arg(v, q)?)),
            None => spec_err(format!("{name} needs an argument")),
        }
    };
    let int = |i: usize| rest.get(i).and_then(Json::as_i64);
    // An optional argument (`Substr`'s length, `LPad`'s fill, `Replace`'s replacement).
    let optional = |i: usize| -> Res<Option<Arg>> {
        match rest.get(i) {
            Some(v) => Ok(Some(Arg::from(arg(v, q)?))),
            None => Ok(None),
        }
    };
    Ok(match name {
        "Count" | "Sum" | "Avg" | "Min" | "Max" | "StdDev" | "Variance" => return aggregate(name, rest, q),
        "F" => match rest.first().and_then(Json::as_str) {
            Some(p) => F::new(p).into(),
            None => return spec_err("F needs a path"),
        },
        "Value" => match rest.first() {
            Some(v) => value_expression(v)?,
            None => Expression::Value(Value::Null),
        },
        "Q" => match rest.first() {
            Some(v) => q(v)?.into(),
            None => return spec_err("Q needs lookups"),
        },
        "Lower" => fx::Lower::new(one(0)?),
        "Upper" => fx::Upper::new(one(0)?),
        "Length" => fx::Length::new(one(0)?),
        "Abs" => fx::Abs::new(one(0)?),
        "Trim" => fx::Trim::new(one(0)?),
        "Reverse" => fx::Reverse::new(one(0)?),
        "Coalesce" => fx::Coalesce::new(args(rest, q)?),
        "Greatest" => fx::Greatest::new(args(rest, q)?),
        "Least" => fx::Least::new(args(rest, q)?),
        "Concat" => fx::Concat::new(args(rest, q)?),
        "NullIf" => fx::NullIf::new(one(0)?, one(1)?),
        "Round" => fx::Round::new(one(0)?, int(1).unwrap_or(0)),
        "LTrim" => fx::LTrim::new(one(0)?),
        "RTrim" => fx::RTrim::new(one(0)?),
        "MD5" => fx::MD5::new(one(0)?),
        "SHA1" => fx::SHA1::new(one(0)?),
        "SHA224" => fx::SHA224::new(one(0)?),
        "SHA256" => fx::SHA256::new(one(0)?),
        "SHA384" => fx::SHA384::new(one(0)?),
        "SHA512" => fx::SHA512::new(one(0)?),
        "Substr" => fx::Substr::new(one(0)?, one(1)?, int(2)),
        "Left" => fx::Left::new(one(0)?, one(1)?),
        "Right" => fx::Right::new(one(0)?, one(1)?),
        "Replace" => fx::Replace::new(one(0)?, one(1)?, optional(2)?),
        "StrIndex" => fx::StrIndex::new(one(0)?, one(1)?),
        "LPad" => fx::LPad::new(one(0)?, one(1)?, optional(2)?),
        "RPad" => fx::RPad::new(one(0)?, one(1)?, optional(2)?),
        "Repeat" => fx::Repeat::new(one(0)?, one(1)?),
        "Ceil" => fx::Ceil::new(one(0)?),
        "Floor" => fx::Floor::new(one(0)?),
        "Sign" => fx::Sign::new(one(0)?),
        "Sqrt" => fx::Sqrt::new(one(0)?),
        "Exp" => fx::Exp::new(one(0)?),
        "Ln" => fx::Ln::new(one(0)?),
        "ACos" => fx::ACos::new(one(0)?),
        "ASin" => fx::ASin::new(one(0)?),
        "ATan" => fx::ATan::new(one(0)?),
        "Cos" => fx::Cos::new(one(0)?),
        "Cot" => fx::Cot::new(one(0)?),
        "Sin" => fx::Sin::new(one(0)?),
        "Tan" => fx::Tan::new(one(0)?),
        "Degrees" => fx::Degrees::new(one(0)?),
        "Radians" => fx::Radians::new(one(0)?),
        "ATan2" => fx::ATan2::new(one(0)?, one(1)?),
        "Log" => fx::Log::new(one(0)?, one(1)?),
        "Mod" => fx::Mod::new(one(0)?, one(1)?),
        "Power" => fx::Power::new(one(0)?, one(1)?),
        "Pi" => fx::Pi::new(),
        "Cast" => {
            let t = rest.get(1).and_then(Json::as_str).unwrap_or_default();
            fx::Cast::new(one(0)?, cast_field(t)?)
        }
        "Extract" => {
            let part = rest.get(1).and_then(Json::as_str).unwrap_or_default();
            fx::Extract::new(one(0)?, part)?
        }
        "Trunc" => {
            let kind = rest.get(1).and_then(Json::as_str).unwrap_or_default();
            fx::Trunc::new(one(0)?, kind, None)?
        }
        n if n.starts_with("Extract") => {
            let part = match &n[7..] {
                "IsoYear" => "iso_year".to_owned(),
                "WeekDay" => "week_day".to_owned(),
                "IsoWeekDay" => "iso_week_day".to_owned(),
                p => p.to_lowercase(),
            };
            fx::Extract::new(one(0)?, &part)?
        }
        n if n.starts_with("Trunc") => match &n[5..] {
            "Date" => fx::TruncDate::new(one(0)?),
            "Time" => fx::TruncTime::new(one(0)?),
            k => fx::Trunc::new(one(0)?, &k.to_lowercase(), None)?,
        },
        other => return spec_err(format!("'{other}' arrives with a later issue")),
    })
}
