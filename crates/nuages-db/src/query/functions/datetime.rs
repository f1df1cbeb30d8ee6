//! Date and time functions: Django's `Now`, `Extract` and its `Extract<Part>`
//! shortcuts, `Trunc` and its `Trunc<Kind>` shortcuts (`TruncDate`, `TruncTime`).
//! Date arithmetic with durations is `F` arithmetic (`Now() - TimeDelta::days(7)`).
//!
//! ```
//! use nuages_db::query::functions::{ExtractYear, Now, TruncMonth};
//! let _ = ExtractYear::new("publication_date");
//! let _ = TruncMonth::new("created_at");
//! let week_ago = Now::new() - chrono::TimeDelta::days(7);
//! # let _ = week_ago;
//! ```

use crate::error::{DbError, Result};
use crate::models::meta::FieldType;

use super::Arg;
use crate::query::expressions::Expression;
use crate::query::func::{Func, FuncKind, Output, OutputField};
use crate::query::lookups::Transform;

/// `Now()`: the current date and time (the statement's timestamp on PostgreSQL).
pub struct Now;

impl Now {
    /// `Now()`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> Expression {
        Func::new("CURRENT_TIMESTAMP", Vec::<Expression>::new())
            .named("Now")
            .kind(FuncKind::Now)
            .output(Output::Field(OutputField::new(FieldType::DateTimeField)))
            .into()
    }
}

const LOOKUPS: [(&str, Transform); 11] = [
    ("year", Transform::Year),
    ("iso_year", Transform::IsoYear),
    ("quarter", Transform::Quarter),
    ("month", Transform::Month),
    ("week", Transform::Week),
    ("week_day", Transform::WeekDay),
    ("iso_week_day", Transform::IsoWeekDay),
    ("day", Transform::Day),
    ("hour", Transform::Hour),
    ("minute", Transform::Minute),
    ("second", Transform::Second),
];

/// `Extract(expression, lookup_name)`: an integer part of a date, datetime or time.
pub struct Extract;

impl Extract {
    /// `Extract(expr, "year")`; an unknown part is Django's ValueError.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(arg: impl Into<Arg>, lookup_name: &str) -> Result<Expression> {
        let Some((_, t)) = LOOKUPS.iter().find(|(n, _)| *n == lookup_name) else {
            return Err(DbError::ValueError("lookup_name must be provided".into()));
        };
        Ok(extract(*t, arg.into()))
    }
}

fn extract(t: Transform, arg: Arg) -> Expression {
    Func::new("EXTRACT", [arg.0])
        .named("Extract")
        .kind(FuncKind::Extract(t))
        .output(Output::Field(OutputField::new(FieldType::IntegerField)))
        .into()
}

macro_rules! extracts {
    ($($(#[$doc:meta])* $name:ident => $t:expr;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl $name {
            /// The part of `arg`.
            #[allow(clippy::new_ret_no_self)]
            pub fn new(arg: impl Into<Arg>) -> Expression {
                extract($t, arg.into())
            }
        }
    )*};
}

extracts! {
    /// `ExtractYear(expr)`.
    ExtractYear => Transform::Year;
    /// `ExtractIsoYear(expr)`: the ISO-8601 week-numbering year.
    ExtractIsoYear => Transform::IsoYear;
    /// `ExtractQuarter(expr)`.
    ExtractQuarter => Transform::Quarter;
    /// `ExtractMonth(expr)`.
    ExtractMonth => Transform::Month;
    /// `ExtractWeek(expr)`: the ISO-8601 week number.
    ExtractWeek => Transform::Week;
    /// `ExtractWeekDay(expr)`: 1 (Sunday) to 7 (Saturday).
    ExtractWeekDay => Transform::WeekDay;
    /// `ExtractIsoWeekDay(expr)`: 1 (Monday) to 7 (Sunday).
    ExtractIsoWeekDay => Transform::IsoWeekDay;
    /// `ExtractDay(expr)`.
    ExtractDay => Transform::Day;
    /// `ExtractHour(expr)`.
    ExtractHour => Transform::Hour;
    /// `ExtractMinute(expr)`.
    ExtractMinute => Transform::Minute;
    /// `ExtractSecond(expr)`.
    ExtractSecond => Transform::Second;
}

const KINDS: [&str; 8] = [
    "year", "quarter", "month", "week", "day", "hour", "minute", "second",
];

/// `Trunc(expression, kind, output_field=None)`: truncates to a unit; the output type
/// is the input's unless given.
pub struct Trunc;

impl Trunc {
    /// `Trunc(expr, "month")`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(arg: impl Into<Arg>, kind: &str, output: Option<OutputField>) -> Result<Expression> {
        let Some(k) = KINDS.iter().find(|k| **k == kind) else {
            return Err(DbError::ValueError(format!(
                "Unsupported kind '{kind}' for Trunc"
            )));
        };
        Ok(trunc(k, arg.into(), output))
    }
}

fn trunc(kind: &'static str, arg: Arg, output: Option<OutputField>) -> Expression {
    let f = Func::new("DATE_TRUNC", [arg.0])
        .named("Trunc")
        .kind(FuncKind::Trunc(kind));
    match output {
        Some(o) => f.output_field(o).into(),
        None => f.into(),
    }
}

macro_rules! truncs {
    ($($(#[$doc:meta])* $name:ident => $kind:expr;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl $name {
            /// `arg` truncated.
            #[allow(clippy::new_ret_no_self)]
            pub fn new(arg: impl Into<Arg>) -> Expression {
                trunc($kind, arg.into(), None)
            }
        }
    )*};
}

truncs! {
    /// `TruncYear(expr)`.
    TruncYear => "year";
    /// `TruncQuarter(expr)`.
    TruncQuarter => "quarter";
    /// `TruncMonth(expr)`.
    TruncMonth => "month";
    /// `TruncWeek(expr)`: the Monday of the week.
    TruncWeek => "week";
    /// `TruncDay(expr)`.
    TruncDay => "day";
    /// `TruncHour(expr)`.
    TruncHour => "hour";
    /// `TruncMinute(expr)`.
    TruncMinute => "minute";
    /// `TruncSecond(expr)`.
    TruncSecond => "second";
}

/// `TruncDate(expr)`: the date of a datetime (in UTC).
pub struct TruncDate;

impl TruncDate {
    /// The date part.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(arg: impl Into<Arg>) -> Expression {
        Func::new("DATE", [arg.into().0])
            .named("TruncDate")
            .kind(FuncKind::Extract(Transform::Date))
            .output(Output::Field(OutputField::new(FieldType::DateField)))
            .into()
    }
}

/// `TruncTime(expr)`: the time of a datetime (in UTC).
pub struct TruncTime;

impl TruncTime {
    /// The time part.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(arg: impl Into<Arg>) -> Expression {
        Func::new("TIME", [arg.into().0])
            .named("TruncTime")
            .kind(FuncKind::Extract(Transform::Time))
            .output(Output::Field(OutputField::new(FieldType::TimeField)))
            .into()
    }
}

/// Django's `Extract.resolve_expression` and `TruncBase.resolve_expression` checks on
/// the resolved input (`input`, the first argument): a function of dates and times
/// refuses an input of another type, and a date input refuses a time component (and a
/// time input a date component), as a mistake rather than a silent NULL or SQL error.
/// An input without a known type (a bound value) is not checked, as in Django.
pub(crate) fn check_input(f: &Func, input: Option<&crate::query::where_::SqlExpr>) -> Result<()> {
    let Some(input) = input else { return Ok(()) };
    let Some(ty) = input.output_field().map(|o| o.ty) else {
        return Ok(());
    };
    let name = input.field().map_or("None", |field| field.name);
    let explicit_output = match f.output {
        Output::Field(o) => Some(o.ty),
        _ => None,
    };
    // Django's `class_output_field` (TruncDate, TruncTime) or the explicit output field.
    let (kind, class_output) = match f.kind {
        FuncKind::Extract(Transform::Date) => ("date", Some(FieldType::DateField)),
        FuncKind::Extract(Transform::Time) => ("time", Some(FieldType::TimeField)),
        FuncKind::Extract(t) => return check_extract(t.name(), ty, name),
        FuncKind::Trunc(kind) => (kind, None),
        _ => return Ok(()),
    };
    if !matches!(
        ty,
        FieldType::DateField | FieldType::DateTimeField | FieldType::TimeField
    ) {
        return Err(DbError::TypeError(format!(
            "'{name}' isn't a DateField, TimeField, or DateTimeField."
        )));
    }
    let output = class_output.or(explicit_output).unwrap_or(ty);
    if !matches!(
        output,
        FieldType::DateField | FieldType::DateTimeField | FieldType::TimeField
    ) {
        return Err(DbError::ValueError(
            "output_field must be either DateField, TimeField, or DateTimeField".into(),
        ));
    }
    let refused = match ty {
        FieldType::DateField => {
            output == FieldType::DateTimeField || ["hour", "minute", "second", "time"].contains(&kind)
        }
        FieldType::TimeField => {
            output == FieldType::DateTimeField
                || ["year", "quarter", "month", "week", "day", "date"].contains(&kind)
        }
        _ => false,
    };
    if refused {
        let has_explicit_output = class_output.is_some() || output != ty;
        let to = if has_explicit_output {
            format!("{output:?}")
        } else {
            "DateTimeField".to_owned()
        };
        return Err(DbError::ValueError(format!(
            "Cannot truncate {ty:?} '{name}' to {to}."
        )));
    }
    Ok(())
}

fn check_extract(lookup: &str, ty: FieldType, name: &str) -> Result<()> {
    match ty {
        FieldType::DateField if ["hour", "minute", "second"].contains(&lookup) => Err(DbError::ValueError(
            format!("Cannot extract time component '{lookup}' from DateField '{name}'."),
        )),
        FieldType::DateField | FieldType::DateTimeField | FieldType::TimeField => Ok(()),
        FieldType::DurationField => Err(DbError::NotSupportedError(format!(
            "Extract of a DurationField ('{lookup}' from '{name}') is not supported."
        ))),
        _ => Err(DbError::ValueError(
            "Extract input expression must be DateField, DateTimeField, TimeField, or DurationField.".into(),
        )),
    }
}
