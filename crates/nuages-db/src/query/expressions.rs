//! Right-hand sides and expressions: Django's `F`, `Value`, combined arithmetic and the
//! ordering terms built from them.
//!
//! Expressions stay unresolved (paths as strings) until the compiler resolves them
//! against the model's metadata, so the same tree serves `filter`, `update` and
//! `order_by`, and a misspelt path is reported with Django's message at that point.
//!
//! ```
//! use nuages_db::query::{Expression, F};
//! let e = F::new("pages") * 2 + 1;
//! assert!(format!("{e:?}").contains("pages"));
//! let o = F::new("rating").desc().nulls_last();
//! assert!(o.descending && o.nulls_last);
//! let _: Expression = 10 - F::new("pages");
//! ```

use std::ops::{Add, Div, Mul, Rem, Sub};

use crate::value::{IntoValue, Value};

use super::DynQuerySet;

/// Arithmetic operators of combined expressions (`F("a") + 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

/// An unresolved expression: a constant, a field reference, or arithmetic over those.
#[derive(Debug, Clone)]
pub enum Expression {
    /// Django's `Value(v)`: a bound parameter.
    Value(Value),
    /// Django's `F("path")`.
    F(String),
    /// `lhs <op> rhs`.
    Combined(Box<Expression>, ArithOp, Box<Expression>),
    /// A database function or aggregate (Django's `Func` / `Aggregate`).
    Func(Box<super::func::Func>),
    /// `Case(When(...), ..., default=)`.
    Case(Box<super::conditional::Case>),
    /// A `Q` used as a boolean expression (`annotate(long=Q(pages__gt=600))`).
    Q(Box<super::q::Q>),
    /// `ExpressionWrapper(expr, output_field=...)` (also `Value(v, output_field=...)`).
    Wrapper(Box<Expression>, super::func::OutputField),
    /// `*` in `Count("*")`.
    Star,
    /// Django's `OuterRef("path")` (see [`OuterRef`](super::OuterRef)).
    OuterRef(super::subqueries::OuterRef),
    /// Django's `Subquery(queryset)` (see [`Subquery`](super::Subquery)).
    Subquery(Box<super::subqueries::Subquery>),
    /// Django's `Exists(queryset)`, negated with `!` (see [`Exists`](super::Exists)).
    Exists(Box<super::subqueries::Exists>),
    /// Django's `Window(expression, ...)` (see [`Window`](super::Window)).
    Window(Box<super::window::Window>),
}

impl Expression {
    /// Django's `conditional`: whether the expression is a boolean usable directly as a
    /// filter (`filter(Exists(...))`).
    pub fn is_conditional(&self) -> bool {
        matches!(self, Expression::Exists(_))
    }

    /// Django's `Value(v)`.
    pub fn value(v: impl IntoValue) -> Expression {
        Expression::Value(v.into_value())
    }

    /// Combines two expressions with an operator (`F("a") ** 2` is `Pow`).
    pub fn combine(self, op: ArithOp, rhs: impl Into<Expression>) -> Expression {
        Expression::Combined(Box::new(self), op, Box::new(rhs.into()))
    }

    /// `self ** rhs`.
    pub fn pow(self, rhs: impl Into<Expression>) -> Expression {
        self.combine(ArithOp::Pow, rhs)
    }

    /// Ascending ordering on this expression.
    pub fn asc(self) -> OrderBy {
        OrderBy {
            expr: self,
            descending: false,
            nulls_first: false,
            nulls_last: false,
        }
    }

    /// Descending ordering on this expression.
    pub fn desc(self) -> OrderBy {
        OrderBy {
            expr: self,
            descending: true,
            nulls_first: false,
            nulls_last: false,
        }
    }
}

/// Django's `F("path")`: a reference to a field, across relations with `__`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct F {
    pub name: String,
}

impl F {
    /// A reference to the field at `path` (`"author__name"`).
    pub fn new(path: impl Into<String>) -> F {
        F { name: path.into() }
    }

    /// Ascending ordering (`F("x").asc()`).
    pub fn asc(self) -> OrderBy {
        Expression::from(self).asc()
    }

    /// Descending ordering (`F("x").desc()`).
    pub fn desc(self) -> OrderBy {
        Expression::from(self).desc()
    }

    /// `F("x") ** rhs`.
    pub fn pow(self, rhs: impl Into<Expression>) -> Expression {
        Expression::from(self).pow(rhs)
    }
}

impl From<F> for Expression {
    fn from(f: F) -> Expression {
        Expression::F(f.name)
    }
}

macro_rules! expression_from_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Expression {
            fn from(v: $t) -> Expression {
                Expression::Value(v.into_value())
            }
        }
    )*};
}
expression_from_value!(
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    f32,
    f64,
    bool,
    String,
    &str,
    Value,
    rust_decimal::Decimal,
    chrono::NaiveDate,
    chrono::NaiveTime,
    chrono::DateTime<chrono::Utc>,
    chrono::TimeDelta,
    uuid::Uuid
);

macro_rules! arith_ops {
    ($($trait:ident $method:ident $op:ident),*) => {$(
        impl<R: Into<Expression>> $trait<R> for Expression {
            type Output = Expression;
            fn $method(self, rhs: R) -> Expression {
                self.combine(ArithOp::$op, rhs)
            }
        }
        impl<R: Into<Expression>> $trait<R> for F {
            type Output = Expression;
            fn $method(self, rhs: R) -> Expression {
                Expression::from(self).combine(ArithOp::$op, rhs)
            }
        }
        arith_ops!(@reverse $trait $method $op; i32, i64, f64, rust_decimal::Decimal);
    )*};
    (@reverse $trait:ident $method:ident $op:ident; $($t:ty),*) => {$(
        impl $trait<Expression> for $t {
            type Output = Expression;
            fn $method(self, rhs: Expression) -> Expression {
                Expression::from(self).combine(ArithOp::$op, rhs)
            }
        }
        impl $trait<F> for $t {
            type Output = Expression;
            fn $method(self, rhs: F) -> Expression {
                Expression::from(self).combine(ArithOp::$op, rhs)
            }
        }
    )*};
}
arith_ops!(Add add Add, Sub sub Sub, Mul mul Mul, Div div Div, Rem rem Mod);

/// One `ORDER BY` term: an expression, a direction, and Django's `nulls_first` /
/// `nulls_last` options.
#[derive(Debug, Clone)]
pub struct OrderBy {
    pub expr: Expression,
    pub descending: bool,
    pub nulls_first: bool,
    pub nulls_last: bool,
}

impl OrderBy {
    /// Puts NULLs first (`F("x").asc(nulls_first=True)`).
    pub fn nulls_first(mut self) -> OrderBy {
        self.nulls_first = true;
        self.nulls_last = false;
        self
    }

    /// Puts NULLs last (`F("x").desc(nulls_last=True)`).
    pub fn nulls_last(mut self) -> OrderBy {
        self.nulls_last = true;
        self.nulls_first = false;
        self
    }
}

/// The right-hand side of a lookup: a value or expression, a list (for `in` and
/// `range`), or a subquery (for `in`).
#[derive(Debug, Clone)]
pub enum Rhs {
    Expr(Expression),
    List(Vec<Expression>),
    /// A queryset used as a subquery (`author__in=Author.objects.filter(...)`). Without
    /// `values()` it selects the primary key.
    Query(Box<DynQuerySet>),
}

impl<T: Into<Expression>> From<T> for Rhs {
    fn from(v: T) -> Rhs {
        Rhs::Expr(v.into())
    }
}

impl<T: Into<Expression>> From<Vec<T>> for Rhs {
    fn from(v: Vec<T>) -> Rhs {
        Rhs::List(v.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Expression> + Clone> From<&[T]> for Rhs {
    fn from(v: &[T]) -> Rhs {
        Rhs::List(v.iter().cloned().map(Into::into).collect())
    }
}

impl<T: Into<Expression>, const N: usize> From<[T; N]> for Rhs {
    fn from(v: [T; N]) -> Rhs {
        Rhs::List(v.into_iter().map(Into::into).collect())
    }
}

impl From<DynQuerySet> for Rhs {
    fn from(q: DynQuerySet) -> Rhs {
        Rhs::Query(Box::new(q))
    }
}

impl<M: crate::Model> From<super::QuerySet<M>> for Rhs {
    fn from(q: super::QuerySet<M>) -> Rhs {
        Rhs::Query(Box::new(q.into_dyn()))
    }
}
