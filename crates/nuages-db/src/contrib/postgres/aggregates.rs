//! Django's `django.contrib.postgres.aggregates`: `ArrayAgg`, `StringAgg`, `JSONBAgg`,
//! `BoolAnd`, `BoolOr`, `BitAnd`, `BitOr`, `BitXor`.
//!
//! Each is an [`Aggregate`] (so `distinct()`, `filter()` and `default()` work as for
//! `Count` or `Sum`), plus `order_by` for the ones Django allows it on (Django 5.2's
//! `order_by=`, formerly `ordering=`), rendered inside the call as
//! `ARRAY_AGG("title" ORDER BY "pages" DESC)`. Over no rows every one of them is NULL
//! (`None`) unless `default` is given, as in Django 5.0 and later. Array results come
//! back as a JSON array [`Value`](crate::Value) (`Vec<T>` reads it).
//!
//! ```
//! use nuages_db::contrib::postgres::aggregates::{ArrayAgg, BoolAnd, StringAgg};
//! use nuages_db::query::{DynQuerySet, Expression, Q};
//! use nuages_db::{Field, FieldType, ModelMeta, Vendor};
//! static FIELDS: [Field; 4] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field::new("title", FieldType::CharField).max_length(100),
//!     Field::new("pages", FieldType::IntegerField),
//!     Field::new("in_print", FieldType::BooleanField),
//! ];
//! static BOOK: ModelMeta = ModelMeta::new("shop", "Book", "book", "shop_book", &FIELDS);
//! let sql = DynQuerySet::new(&BOOK)
//!     .aggregate_sql(
//!         Vendor::Postgres,
//!         &[
//!             ("titles", Expression::from(ArrayAgg::new("title").distinct().order_by(["title"]))),
//!             ("list", StringAgg::new("title", ", ").order_by(["-pages"]).into()),
//!             ("all_in_print", BoolAnd::new("in_print").filter(Q::lookup("pages__gt", 10)).into()),
//!         ],
//!     )
//!     .unwrap();
//! assert!(sql.compiled.as_ref().unwrap().sql.contains(r#"ARRAY_AGG(DISTINCT "shop_book"."title" ORDER BY "shop_book"."title")"#));
//! assert!(sql.compiled.as_ref().unwrap().sql.contains(r#"STRING_AGG("shop_book"."title", $1 ORDER BY "shop_book"."pages" DESC)"#));
//! ```

use crate::models::meta::FieldType;
use crate::query::aggregates::{AggArg, Aggregate};
use crate::query::func::FuncKind;
use crate::query::{Expression, Func, OrderBy, Output, OutputField, F, Q};

use super::PgKind;

/// One term of an aggregate's `order_by`: a field path (`"-pages"` for descending) or
/// an ordering expression (`F::new("pages").desc().nulls_last()`).
#[derive(Debug, Clone)]
pub struct AggOrder(OrderBy);

impl From<&str> for AggOrder {
    fn from(s: &str) -> AggOrder {
        AggOrder(match s.strip_prefix('-') {
            Some(rest) => F::new(rest).desc(),
            None => F::new(s).asc(),
        })
    }
}

impl From<String> for AggOrder {
    fn from(s: String) -> AggOrder {
        AggOrder::from(s.as_str())
    }
}

impl From<OrderBy> for AggOrder {
    fn from(o: OrderBy) -> AggOrder {
        AggOrder(o)
    }
}

impl From<F> for AggOrder {
    fn from(f: F) -> AggOrder {
        AggOrder(f.asc())
    }
}

impl From<Expression> for AggOrder {
    fn from(e: Expression) -> AggOrder {
        AggOrder(e.asc())
    }
}

/// A PostgreSQL aggregate: an [`Aggregate`] with Django's options, plus `order_by` where
/// Django allows it. Converts into an [`Expression`] for `annotate`/`aggregate`.
#[derive(Debug, Clone)]
pub struct PgAggregate {
    agg: Aggregate,
    /// The number of leading arguments that are the aggregate's own (the rest of the
    /// function's arguments are the `order_by` terms).
    own_args: usize,
    orderable: bool,
    order: Vec<AggOrder>,
}

impl PgAggregate {
    fn new(
        name: &'static str,
        function: &'static str,
        arg: impl Into<AggArg>,
        output: Output,
    ) -> PgAggregate {
        let mut f: Func = Aggregate::new(name, function, arg).into_func();
        f.output = output;
        f.kind = FuncKind::Postgres(PgKind::Template);
        PgAggregate {
            agg: Aggregate(f),
            own_args: 1,
            orderable: false,
            order: Vec::new(),
        }
    }

    fn orderable(mut self) -> PgAggregate {
        self.orderable = true;
        self.agg = self.agg.allow_distinct();
        self
    }

    /// `distinct=True` (`ArrayAgg`, `StringAgg`, `JSONBAgg`; the others refuse it with
    /// Django's "does not allow distinct." when resolved).
    pub fn distinct(mut self) -> PgAggregate {
        self.agg = self.agg.distinct();
        self
    }

    /// `filter=Q(...)`: only the rows matching `q` are aggregated.
    pub fn filter(mut self, q: impl Into<Q>) -> PgAggregate {
        self.agg = self.agg.filter(q);
        self
    }

    /// `default=`: the value when there are no rows (`COALESCE(agg, default)`).
    pub fn default(mut self, v: impl Into<Expression>) -> PgAggregate {
        self.agg = self.agg.default(v);
        self
    }

    /// Django 5.2's `order_by=`: the order of the aggregated values. Field paths take a
    /// `-` prefix for descending order. Only `ArrayAgg`, `StringAgg` and `JSONBAgg`
    /// accept it; the others report Django's `TypeError` ("BoolAnd does not allow
    /// order_by.") when resolved.
    pub fn order_by<O: Into<AggOrder>>(mut self, terms: impl IntoIterator<Item = O>) -> PgAggregate {
        self.order.extend(terms.into_iter().map(Into::into));
        self
    }

    /// Django's class name.
    pub fn name(&self) -> &str {
        self.agg.name()
    }

    /// The function node, with the `order_by` terms as trailing arguments and a
    /// template that places them after `ORDER BY`.
    pub fn into_func(self) -> Func {
        let mut f = self.agg.into_func();
        if self.order.is_empty() {
            return f;
        }
        if !self.orderable {
            f.check = Some(|f: &Func| {
                Err(crate::DbError::TypeError(format!(
                    "{} does not allow order_by.",
                    f.name()
                )))
            });
            return f;
        }
        let own: Vec<String> = (0..self.own_args).map(|i| format!("%({i})s")).collect();
        let mut terms = Vec::with_capacity(self.order.len());
        for (i, o) in self.order.into_iter().enumerate() {
            let o = o.0;
            let mut t = format!("%({})s", self.own_args + i);
            if o.descending {
                t.push_str(" DESC");
            }
            if o.nulls_first {
                t.push_str(" NULLS FIRST");
            } else if o.nulls_last {
                t.push_str(" NULLS LAST");
            }
            terms.push(t);
            f.args.push(o.expr);
        }
        f.template = format!(
            "%(function)s(%(distinct)s{} ORDER BY {})",
            own.join(", "),
            terms.join(", ")
        )
        .into();
        f
    }
}

impl From<PgAggregate> for Expression {
    fn from(a: PgAggregate) -> Expression {
        Expression::Func(Box::new(a.into_func()))
    }
}

impl From<PgAggregate> for Func {
    fn from(a: PgAggregate) -> Func {
        a.into_func()
    }
}

/// `ArrayAgg(expression, distinct=, filter=, default=, order_by=)`: the values as an
/// array (NULLs included), `None` over no rows unless `default`.
pub struct ArrayAgg;

impl ArrayAgg {
    /// `ARRAY_AGG(expr)`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(arg: impl Into<AggArg>) -> PgAggregate {
        PgAggregate::new(
            "ArrayAgg",
            "ARRAY_AGG",
            arg,
            Output::Field(OutputField::new(FieldType::ArrayField)),
        )
        .orderable()
    }
}

/// `JSONBAgg(expression, distinct=, filter=, default=, order_by=)`: the values as a
/// JSON array.
pub struct JSONBAgg;

impl JSONBAgg {
    /// `JSONB_AGG(expr)`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(arg: impl Into<AggArg>) -> PgAggregate {
        PgAggregate::new(
            "JSONBAgg",
            "JSONB_AGG",
            arg,
            Output::Field(OutputField::new(FieldType::JSONField)),
        )
        .orderable()
    }
}

/// `StringAgg(expression, delimiter, distinct=, filter=, default=, order_by=)`: the
/// values joined with `delimiter` (a bound parameter).
pub struct StringAgg;

impl StringAgg {
    /// `STRING_AGG(expr, delimiter)`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(arg: impl Into<AggArg>, delimiter: impl Into<String>) -> PgAggregate {
        let mut a = PgAggregate::new(
            "StringAgg",
            "STRING_AGG",
            arg,
            Output::Field(OutputField::new(FieldType::TextField)),
        )
        .orderable();
        let mut f = a.agg.into_func();
        f.args.push(Expression::value(delimiter.into()));
        a.agg = Aggregate(f);
        a.own_args = 2;
        a
    }
}

macro_rules! pg_aggregate {
    ($(#[$doc:meta])* $name:ident, $function:expr, $output:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl $name {
            /// The aggregate over `arg` (a field path or an expression).
            #[allow(clippy::new_ret_no_self)]
            pub fn new(arg: impl Into<AggArg>) -> PgAggregate {
                PgAggregate::new(stringify!($name), $function, arg, $output)
            }
        }
    };
}

pg_aggregate!(
    /// `BoolAnd(expression)`: true when every non-null value is true.
    BoolAnd, "BOOL_AND", Output::Field(OutputField::new(FieldType::BooleanField))
);
pg_aggregate!(
    /// `BoolOr(expression)`: true when at least one value is true.
    BoolOr, "BOOL_OR", Output::Field(OutputField::new(FieldType::BooleanField))
);
pg_aggregate!(
    /// `BitAnd(expression)`: the bitwise AND of the non-null values.
    BitAnd, "BIT_AND", Output::Sources
);
pg_aggregate!(
    /// `BitOr(expression)`: the bitwise OR of the non-null values.
    BitOr, "BIT_OR", Output::Sources
);
pg_aggregate!(
    /// `BitXor(expression)`: the bitwise XOR of the non-null values (PostgreSQL 14+).
    BitXor, "BIT_XOR", Output::Sources
);
