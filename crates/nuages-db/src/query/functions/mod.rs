//! Database functions: Django's `django.db.models.functions` (comparison, text,
//! date/time and math functions), built on [`Func`].
//!
//! Each constructor returns an [`Expression`] (or a [`Func`] where options follow), so
//! functions nest and combine with `F` arithmetic. The SQL is Django's per backend;
//! SQLite uses the functions Django registers on its connections (see
//! `backends/sqlite/functions.rs`).
//!
//! ```
//! use nuages_db::query::functions::{Arg, Coalesce, Lower, Length, Round};
//! use nuages_db::query::{DynQuerySet, F};
//! # use nuages_db::{Field, FieldType, ModelMeta, Vendor};
//! # static FIELDS: [Field; 3] = [
//! #     Field::new("id", FieldType::BigAutoField).primary_key(),
//! #     Field::new("title", FieldType::CharField).max_length(200),
//! #     Field::new("rating", FieldType::FloatField),
//! # ];
//! # static BOOK: ModelMeta = ModelMeta::new("shop", "Book", "book", "shop_book", &FIELDS);
//! let qs = DynQuerySet::new(&BOOK).annotate([
//!     ("lower", Lower::new("title")),
//!     ("n", Length::new("title")),
//!     ("r", Round::new(Coalesce::new([Arg::from(F::new("rating")), Arg::from(0.0)]), 1)),
//! ]);
//! let sql = qs.sql(Vendor::Postgres).unwrap().unwrap().sql;
//! assert!(sql.contains(r#"LOWER("shop_book"."title") AS "lower""#));
//! ```

pub mod comparison;
pub mod datetime;
pub mod math;
pub mod text;
pub mod window;

pub use comparison::{Cast, Coalesce, Greatest, Least, NullIf};
pub use datetime::{
    Extract, ExtractDay, ExtractHour, ExtractIsoWeekDay, ExtractIsoYear, ExtractMinute, ExtractMonth,
    ExtractQuarter, ExtractSecond, ExtractWeek, ExtractWeekDay, ExtractYear, Now, Trunc, TruncDate, TruncDay,
    TruncHour, TruncMinute, TruncMonth, TruncQuarter, TruncSecond, TruncTime, TruncWeek, TruncYear,
};
pub use math::{
    ACos, ASin, ATan, ATan2, Abs, Ceil, Cos, Cot, Degrees, Exp, Floor, Ln, Log, Mod, Pi, Power, Radians,
    Random, Round, Sign, Sin, Sqrt, Tan,
};
pub use text::{
    Concat, LPad, LTrim, Left, Length, Lower, RPad, RTrim, Repeat, Replace, Reverse, Right, StrIndex, Substr,
    Trim, Upper, MD5, SHA1, SHA224, SHA256, SHA384, SHA512,
};
pub use window::{
    CumeDist, DenseRank, FirstValue, Lag, LastValue, Lead, NTile, NthValue, Ntile, PercentRank, Rank,
    RowNumber,
};

use sea_query::Expr as SExpr;

use crate::backends::Vendor;
use crate::error::{DbError, Result};
use crate::models::meta::FieldType;
use crate::value::Value;

use super::annotate::ResolvedFunc;
use super::compiler::Compiler;
use super::expressions::Expression;
use super::func::{FuncKind, OutputField};
use super::query::Query;
use super::where_::SqlExpr;

/// A function argument: a field path (`"title"`), an `F`, a value or any expression.
/// Strings are field paths, as in Django (`Lower("title")`); use
/// [`Value`](super::conditional::Value) for a string constant.
pub struct Arg(pub(crate) Expression);

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg(Expression::F(s.to_owned()))
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg(Expression::F(s))
    }
}
impl From<super::F> for Arg {
    fn from(f: super::F) -> Arg {
        Arg(f.into())
    }
}
impl From<Expression> for Arg {
    fn from(e: Expression) -> Arg {
        Arg(e)
    }
}
impl From<super::Func> for Arg {
    fn from(f: super::Func) -> Arg {
        Arg(f.into())
    }
}
macro_rules! arg_from_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                Arg(Expression::from(v))
            }
        }
    )*};
}
arg_from_value!(
    i32,
    i64,
    f64,
    bool,
    Value,
    rust_decimal::Decimal,
    chrono::TimeDelta
);

/// Django's `cast_db_type` of an output field per backend.
pub(crate) fn cast_type(vendor: Vendor, o: &OutputField) -> String {
    use FieldType::*;
    let chars = |base: &str| match o.max_length {
        Some(n) => format!("{base}({n})"),
        None => base.to_owned(),
    };
    let decimal = |base: &str| match (o.max_digits, o.decimal_places) {
        (Some(m), Some(d)) => format!("{base}({m}, {d})"),
        _ => base.to_owned(),
    };
    match vendor {
        Vendor::Postgres => match o.ty {
            AutoField | IntegerField | PositiveIntegerField => "integer".into(),
            BigAutoField | BigIntegerField | PositiveBigIntegerField => "bigint".into(),
            SmallAutoField | SmallIntegerField | PositiveSmallIntegerField => "smallint".into(),
            FloatField => "double precision".into(),
            DecimalField => decimal("numeric"),
            CharField | EmailField | SlugField | URLField => chars("varchar"),
            TextField => "text".into(),
            BooleanField => "boolean".into(),
            DateField => "date".into(),
            DateTimeField => "timestamp with time zone".into(),
            TimeField => "time".into(),
            DurationField => "interval".into(),
            UUIDField => "uuid".into(),
            JSONField => "jsonb".into(),
            BinaryField => "bytea".into(),
            _ => "bigint".into(),
        },
        Vendor::Sqlite => match o.ty {
            AutoField | IntegerField => "integer".into(),
            BigAutoField | BigIntegerField => "bigint".into(),
            SmallAutoField | SmallIntegerField => "smallint".into(),
            PositiveIntegerField => "integer unsigned".into(),
            PositiveBigIntegerField => "bigint unsigned".into(),
            PositiveSmallIntegerField => "smallint unsigned".into(),
            FloatField => "real".into(),
            DecimalField => "decimal".into(),
            CharField | EmailField | SlugField | URLField => chars("varchar"),
            TextField | JSONField => "text".into(),
            BooleanField => "bool".into(),
            DateField => "date".into(),
            DateTimeField => "datetime".into(),
            TimeField => "time".into(),
            DurationField => "bigint".into(),
            UUIDField => "char(32)".into(),
            BinaryField => "BLOB".into(),
            _ => "integer".into(),
        },
        Vendor::MySql => match o.ty {
            AutoField | BigAutoField | SmallAutoField | IntegerField | BigIntegerField
            | SmallIntegerField | DurationField => "signed integer".into(),
            PositiveIntegerField | PositiveBigIntegerField | PositiveSmallIntegerField => {
                "unsigned integer".into()
            }
            DecimalField => decimal("decimal"),
            CharField | EmailField | SlugField | URLField => chars("char"),
            TextField => "char".into(),
            BooleanField => "bool".into(),
            DateField => "date".into(),
            DateTimeField => "datetime(6)".into(),
            TimeField => "time(6)".into(),
            UUIDField => "char(32)".into(),
            JSONField => "json".into(),
            FloatField => "double precision".into(),
            BinaryField => "binary".into(),
            _ => "signed integer".into(),
        },
    }
}

/// The field type of a function's first argument (for input-dependent SQL).
fn arg_type(f: &ResolvedFunc, i: usize) -> Option<FieldType> {
    f.args.get(i).and_then(|a| match a {
        SqlExpr::Param(v) => OutputField::of_value(v).map(|o| o.ty),
        other => other.output_field().map(|o| o.ty),
    })
}

impl Compiler {
    /// The functions whose SQL depends on the backend beyond a template.
    pub(crate) fn special_func(&mut self, q: &Query, f: &ResolvedFunc) -> Result<SExpr> {
        let vendor = self.vendor;
        let mut args = self.func_args(q, f)?;
        match f.def.kind {
            FuncKind::Template | FuncKind::Postgres(_) => {
                self.render_template(f, None, args, &[], Vec::new())
            }
            FuncKind::Cast => {
                let Some(out) = f.output else {
                    return Err(DbError::FieldError("Cast needs an output field".into()));
                };
                let ty = cast_type(vendor, &out);
                let arg = args.remove(0);
                Ok(match (vendor, out.ty) {
                    (Vendor::Postgres, _) => self.template(&format!("({{}})::{ty}"), vec![arg]),
                    (Vendor::Sqlite, FieldType::DateField) => self.template("date({})", vec![arg]),
                    (Vendor::Sqlite, FieldType::DateTimeField) => {
                        let fmt = self.bind(Value::Text("%Y-%m-%d %H:%M:%f".into()));
                        self.template("strftime({}, {})", vec![fmt, arg])
                    }
                    (Vendor::Sqlite, FieldType::TimeField) => {
                        let fmt = self.bind(Value::Text("%H:%M:%f".into()));
                        self.template("strftime({}, {})", vec![fmt, arg])
                    }
                    (Vendor::MySql, FieldType::FloatField) => self.template("({} + 0.0)", vec![arg]),
                    (Vendor::MySql, FieldType::JSONField) => {
                        self.template("JSON_EXTRACT({}, '$')", vec![arg])
                    }
                    _ => self.template(&format!("CAST({{}} AS {ty})"), vec![arg]),
                })
            }
            FuncKind::Concat => {
                // Concat(a, b, c) is ConcatPair(a, ConcatPair(b, c)).
                let types: Vec<Option<FieldType>> = (0..f.args.len()).map(|i| arg_type(f, i)).collect();
                let mut pair: Option<SExpr> = None;
                for (i, a) in args.into_iter().enumerate().rev() {
                    let a = if vendor == Vendor::Postgres
                        && !matches!(
                            types[i],
                            Some(
                                FieldType::CharField
                                    | FieldType::TextField
                                    | FieldType::EmailField
                                    | FieldType::SlugField
                                    | FieldType::URLField
                            )
                        ) {
                        self.template("({})::text", vec![a])
                    } else {
                        a
                    };
                    pair = Some(match pair {
                        None => a,
                        Some(rhs) => match vendor {
                            Vendor::MySql => self.template("CONCAT_WS('', {}, {})", vec![a, rhs]),
                            _ => {
                                let (e1, e2) = (
                                    self.bind(Value::Text(String::new())),
                                    self.bind(Value::Text(String::new())),
                                );
                                self.template("(COALESCE({}, {}) || COALESCE({}, {}))", vec![a, e1, rhs, e2])
                            }
                        },
                    });
                }
                pair.ok_or_else(|| DbError::ValueError("Concat must take at least two expressions".into()))
            }
            FuncKind::Extract(t) => {
                let input = arg_type(f, 0).unwrap_or(FieldType::DateTimeField);
                Ok(self.transform(t, args.remove(0), input))
            }
            FuncKind::Trunc(kind) => {
                let input = arg_type(f, 0).unwrap_or(FieldType::DateTimeField);
                let arg = args.remove(0);
                Ok(self.trunc(kind, arg, input))
            }
            FuncKind::Now => Ok(SExpr::cust(match vendor {
                Vendor::Postgres => "STATEMENT_TIMESTAMP()",
                Vendor::MySql => "CURRENT_TIMESTAMP(6)",
                Vendor::Sqlite => "STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')",
            })),
            FuncKind::Left if vendor == Vendor::Sqlite => Ok(self.template("SUBSTR({}, 1, {})", args)),
            FuncKind::Right if vendor == Vendor::Sqlite => Ok(self.template("SUBSTR({}, ({} * -1))", args)),
            FuncKind::Left | FuncKind::Right => self.render_template(f, None, args, &[], Vec::new()),
            FuncKind::FixDecimal => {
                if vendor == Vendor::Sqlite && f.def.name == "Round" {
                    if let Some(SqlExpr::Param(Value::Int(p))) = f.args.get(1) {
                        if *p < 0 {
                            return Err(DbError::ValueError(
                                "SQLite does not support negative precision.".into(),
                            ));
                        }
                    }
                }
                if vendor == Vendor::Postgres {
                    for (i, a) in args.iter_mut().enumerate() {
                        if arg_type(f, i) == Some(FieldType::FloatField) {
                            *a = self.template("({})::numeric(1000, 15)", vec![a.clone()]);
                        }
                    }
                }
                self.render_template(f, None, args, &[], Vec::new())
            }
            FuncKind::Sha(bits) => {
                let arg = args.remove(0);
                let name = if bits == 1 {
                    "sha1".to_owned()
                } else {
                    format!("sha{bits}")
                };
                Ok(match vendor {
                    Vendor::Postgres => {
                        self.template(&format!("ENCODE(DIGEST({{}}, '{name}'), 'hex')"), vec![arg])
                    }
                    Vendor::MySql if bits == 1 => self.template("SHA1({})", vec![arg]),
                    Vendor::MySql => self.template(&format!("SHA2({{}}, {bits})"), vec![arg]),
                    Vendor::Sqlite => self.template(&format!("{}({{}})", name.to_uppercase()), vec![arg]),
                })
            }
        }
    }

    /// Django's `date_trunc_sql` / `datetime_trunc_sql` / `time_trunc_sql`.
    fn trunc(&mut self, kind: &'static str, e: SExpr, input: FieldType) -> SExpr {
        match self.vendor {
            Vendor::Sqlite => match input {
                FieldType::DateField => {
                    self.template(&format!("django_date_trunc('{kind}', {{}}, NULL, NULL)"), vec![e])
                }
                FieldType::TimeField => {
                    self.template(&format!("django_time_trunc('{kind}', {{}}, NULL, NULL)"), vec![e])
                }
                _ => self.template(
                    &format!("django_datetime_trunc('{kind}', {{}}, 'UTC', 'UTC')"),
                    vec![e],
                ),
            },
            Vendor::Postgres => match input {
                FieldType::DateField => self.template(&format!("DATE_TRUNC('{kind}', {{}})"), vec![e]),
                FieldType::TimeField => self.template(&format!("DATE_TRUNC('{kind}', {{}})::time"), vec![e]),
                _ => self.template(&format!("DATE_TRUNC('{kind}', {{}} AT TIME ZONE 'UTC')"), vec![e]),
            },
            Vendor::MySql => match input {
                FieldType::DateField => match kind {
                    "year" | "month" => {
                        let fmt = self.bind(Value::Text(
                            if kind == "year" { "%Y-01-01" } else { "%Y-%m-01" }.into(),
                        ));
                        self.template("CAST(DATE_FORMAT({}, {}) AS DATE)", vec![e, fmt])
                    }
                    "quarter" => self.template(
                        "MAKEDATE(YEAR({}), 1) + INTERVAL QUARTER({}) QUARTER - INTERVAL 1 QUARTER",
                        vec![e.clone(), e],
                    ),
                    "week" => self.template("DATE_SUB({}, INTERVAL WEEKDAY({}) DAY)", vec![e.clone(), e]),
                    _ => self.template("DATE({})", vec![e]),
                },
                FieldType::TimeField => {
                    let fmt = match kind {
                        "hour" => "%H:00:00",
                        "minute" => "%H:%i:00",
                        "second" => "%H:%i:%s",
                        _ => return self.template("TIME({})", vec![e]),
                    };
                    let fmt = self.bind(Value::Text(fmt.into()));
                    self.template("CAST(DATE_FORMAT({}, {}) AS TIME)", vec![e, fmt])
                }
                _ => {
                    let fields = ["year", "month", "day", "hour", "minute", "second"];
                    let format = ["%Y-", "%m", "-%d", " %H:", "%i", ":%s"];
                    let format_def = ["0000-", "01", "-01", " 00:", "00", ":00"];
                    match kind {
                        "quarter" => {
                            let fmt = self.bind(Value::Text("%Y-%m-01 00:00:00".into()));
                            self.template(
                                "CAST(DATE_FORMAT(MAKEDATE(YEAR({}), 1) + INTERVAL QUARTER({}) QUARTER - INTERVAL 1 QUARTER, {}) AS DATETIME)",
                                vec![e.clone(), e, fmt],
                            )
                        }
                        "week" => {
                            let fmt = self.bind(Value::Text("%Y-%m-%d 00:00:00".into()));
                            self.template(
                                "CAST(DATE_FORMAT(DATE_SUB({}, INTERVAL WEEKDAY({}) DAY), {}) AS DATETIME)",
                                vec![e.clone(), e, fmt],
                            )
                        }
                        k => match fields.iter().position(|f| *f == k) {
                            Some(i) => {
                                let s: String = format[..=i].concat() + &format_def[i + 1..].concat();
                                let fmt = self.bind(Value::Text(s));
                                self.template("CAST(DATE_FORMAT({}, {}) AS DATETIME)", vec![e, fmt])
                            }
                            None => e,
                        },
                    }
                }
            },
        }
    }
}
