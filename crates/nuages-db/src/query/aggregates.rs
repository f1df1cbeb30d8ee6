//! Aggregates: Django's `django.db.models.aggregates` (`Count`, `Sum`, `Avg`, `Min`,
//! `Max`, `StdDev`, `Variance`) and the base to write custom ones.
//!
//! An aggregate is a [`Func`] with [`AggregateOpts`]: `distinct=`, `filter=Q(...)`
//! (`FILTER (WHERE ...)` on PostgreSQL and SQLite, `CASE WHEN` on MySQL/MariaDB, as
//! Django renders it) and `default=` (a `COALESCE` around the aggregate). Result types
//! follow Django: `Count` is an integer, `Avg`/`StdDev`/`Variance` of integers are floats
//! and of decimals decimals, `Sum`/`Min`/`Max` keep the source type.
//!
//! ```
//! use nuages_db::query::aggregates::{Avg, Count, Sum};
//! use nuages_db::query::Q;
//! let n = Count::new("reviews").distinct();
//! let good = Count::new("reviews").filter(Q::lookup("reviews__rating__gte", 4));
//! let pages = Sum::new("pages").default(0);
//! let avg = Avg::new("rating");
//! assert_eq!(n.name(), "Count");
//! # let _ = (good, pages, avg);
//! ```

use std::borrow::Cow;

use crate::error::{DbError, Result};
use crate::models::meta::FieldType;
use crate::value::Value;

use super::expressions::{Expression, F};
use super::func::{AggregateOpts, Func, Output, OutputField};
use super::q::Q;

/// An argument of an aggregate: a field path (`"books__price"`), `"*"` for `Count`, or
/// any expression.
pub struct AggArg(Expression);

impl From<&str> for AggArg {
    fn from(s: &str) -> AggArg {
        AggArg(if s == "*" {
            Expression::Star
        } else {
            Expression::F(s.to_owned())
        })
    }
}

impl From<String> for AggArg {
    fn from(s: String) -> AggArg {
        AggArg::from(s.as_str())
    }
}

impl From<F> for AggArg {
    fn from(f: F) -> AggArg {
        AggArg(Expression::F(f.name))
    }
}

impl From<Expression> for AggArg {
    fn from(e: Expression) -> AggArg {
        AggArg(e)
    }
}

impl From<Func> for AggArg {
    fn from(f: Func) -> AggArg {
        AggArg(Expression::Func(Box::new(f)))
    }
}

/// Django's `Aggregate`: the base of every aggregate, also for custom ones
/// (`Aggregate::new("Sum", "SUM", ...)`).
#[derive(Debug, Clone)]
pub struct Aggregate(pub(crate) Func);

impl Aggregate {
    /// An aggregate `function(expr)` named `name` (Django's class name), rendered with
    /// Django's aggregate template `%(function)s(%(distinct)s%(expressions)s)`.
    pub fn new(
        name: &'static str,
        function: impl Into<Cow<'static, str>>,
        arg: impl Into<AggArg>,
    ) -> Aggregate {
        let mut f = Func::new(function, [arg.into().0])
            .named(name)
            .template("%(function)s(%(distinct)s%(expressions)s)");
        f.aggregate = Some(AggregateOpts {
            distinct: false,
            filter: None,
            default: None,
            allow_distinct: false,
            empty_value: None,
        });
        Aggregate(f)
    }

    fn opts(&mut self) -> &mut AggregateOpts {
        self.0.aggregate.get_or_insert(AggregateOpts {
            distinct: false,
            filter: None,
            default: None,
            allow_distinct: false,
            empty_value: None,
        })
    }

    /// The template on one backend (Django's `as_sqlite` / `as_postgresql` / `as_mysql`
    /// on an `Aggregate` subclass).
    pub fn template_for(
        mut self,
        vendor: crate::backends::Vendor,
        template: impl Into<Cow<'static, str>>,
    ) -> Aggregate {
        self.0 = self.0.template_for(vendor, template);
        self
    }

    /// The SQL function name on one backend (`GROUP_CONCAT` on MySQL, `STRING_AGG` on
    /// PostgreSQL, ...).
    pub fn function_for(
        mut self,
        vendor: crate::backends::Vendor,
        function: impl Into<Cow<'static, str>>,
    ) -> Aggregate {
        self.0 = self.0.function_for(vendor, function);
        self
    }

    /// Django's `allow_distinct = True` for a custom aggregate.
    pub fn allow_distinct(mut self) -> Aggregate {
        self.opts().allow_distinct = true;
        self
    }

    /// `distinct=True`. Aggregates that do not allow it refuse when resolved with
    /// Django's `TypeError("<name> does not allow distinct.")`.
    pub fn distinct(mut self) -> Aggregate {
        self.opts().distinct = true;
        self
    }

    /// `filter=Q(...)`: only the rows matching `q` are aggregated.
    pub fn filter(mut self, q: impl Into<Q>) -> Aggregate {
        self.opts().filter = Some(q.into());
        self
    }

    /// `default=`: the value when there are no rows (`COALESCE(agg, default)`).
    pub fn default(mut self, v: impl Into<Expression>) -> Aggregate {
        self.opts().default = Some(v.into());
        self
    }

    /// `output_field=`.
    pub fn output_field(mut self, field: OutputField) -> Aggregate {
        self.0.output = Output::Field(field);
        self
    }

    /// A custom template (`%(function)s(%(distinct)s%(expressions)s)` by default).
    pub fn template(mut self, template: impl Into<Cow<'static, str>>) -> Aggregate {
        self.0 = self.0.template(template);
        self
    }

    /// Django's class name.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The underlying function node.
    pub fn into_func(self) -> Func {
        self.0
    }

    /// Checks Django's construction-time rules (`distinct`, `default`, `Star`).
    pub(crate) fn validate(f: &Func) -> Result<()> {
        let Some(o) = &f.aggregate else { return Ok(()) };
        if o.distinct && !o.allow_distinct {
            return Err(DbError::TypeError(format!("{} does not allow distinct.", f.name)));
        }
        if o.default.is_some() && o.empty_value.is_some() {
            return Err(DbError::TypeError(format!("{} does not allow default.", f.name)));
        }
        if o.filter.is_some() && matches!(f.args.first(), Some(Expression::Star)) {
            return Err(DbError::ValueError(
                "Star cannot be used with filter. Please specify a field.".into(),
            ));
        }
        if f.args.iter().any(|a| matches!(a, Expression::Star)) && f.name != "Count" {
            return Err(DbError::ValueError(format!(
                "{} does not allow '*' as an argument.",
                f.name
            )));
        }
        Ok(())
    }
}

impl From<Aggregate> for Expression {
    fn from(a: Aggregate) -> Expression {
        Expression::Func(Box::new(a.0))
    }
}

impl From<Aggregate> for Func {
    fn from(a: Aggregate) -> Func {
        a.0
    }
}

macro_rules! aggregate {
    ($(#[$doc:meta])* $name:ident, $function:expr, $output:expr, $distinct:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl $name {
            /// The aggregate over `arg` (a field path, `"*"` for `Count`, or an expression).
            #[allow(clippy::new_ret_no_self)]
            pub fn new(arg: impl Into<AggArg>) -> Aggregate {
                let mut a = Aggregate::new(stringify!($name), $function, arg);
                a.0.output = $output;
                if $distinct {
                    a = a.allow_distinct();
                }
                a
            }
        }
    };
}

aggregate!(
    /// `Sum(expr)`: NULL over no rows unless `default`.
    Sum, "SUM", Output::Sources, true
);
aggregate!(
    /// `Avg(expr)`: a float for integers, a decimal for decimals.
    Avg, "AVG", Output::Numeric, true
);
aggregate!(
    /// `Min(expr)`.
    Min, "MIN", Output::Sources, false
);
aggregate!(
    /// `Max(expr)`.
    Max, "MAX", Output::Sources, false
);

/// `Count(expr)` / `Count("*")`: an integer, 0 over no rows (no `default`).
pub struct Count;

impl Count {
    /// `Count(arg)`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(arg: impl Into<AggArg>) -> Aggregate {
        let mut a = Aggregate::new("Count", "COUNT", arg).allow_distinct();
        a.0.output = Output::Field(OutputField::new(FieldType::IntegerField));
        a.opts().empty_value = Some(Value::Int(0));
        a
    }
}

/// `StdDev(expr, sample=False)`: `STDDEV_POP` (or `STDDEV_SAMP`).
pub struct StdDev;

impl StdDev {
    /// The population standard deviation (Django's default, `sample=False`).
    #[allow(clippy::new_ret_no_self)]
    pub fn new(arg: impl Into<AggArg>) -> Aggregate {
        StdDev::with_sample(arg, false)
    }

    /// `StdDev(expr, sample=)`.
    pub fn with_sample(arg: impl Into<AggArg>, sample: bool) -> Aggregate {
        let f = if sample { "STDDEV_SAMP" } else { "STDDEV_POP" };
        let mut a = Aggregate::new("StdDev", f, arg);
        a.0.output = Output::Numeric;
        a
    }
}

/// `Variance(expr, sample=False)`: `VAR_POP` (or `VAR_SAMP`).
pub struct Variance;

impl Variance {
    /// The population variance (Django's default, `sample=False`).
    #[allow(clippy::new_ret_no_self)]
    pub fn new(arg: impl Into<AggArg>) -> Aggregate {
        Variance::with_sample(arg, false)
    }

    /// `Variance(expr, sample=)`.
    pub fn with_sample(arg: impl Into<AggArg>, sample: bool) -> Aggregate {
        let f = if sample { "VAR_SAMP" } else { "VAR_POP" };
        let mut a = Aggregate::new("Variance", f, arg);
        a.0.output = Output::Numeric;
        a
    }
}
