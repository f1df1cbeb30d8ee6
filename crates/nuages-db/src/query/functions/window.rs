//! Window functions: Django's `django.db.models.functions.window` (`RowNumber`, `Rank`,
//! `DenseRank`, `PercentRank`, `CumeDist`, `Ntile`, `Lag`, `Lead`, `FirstValue`,
//! `LastValue`, `NthValue`), used as the expression of a [`Window`](crate::query::Window).
//!
//! Output fields are Django's: the ranks and `Ntile` are integers, `PercentRank` and
//! `CumeDist` floats, and `Lag`/`Lead`/`FirstValue`/`LastValue`/`NthValue` keep their
//! source's field. Argument checks (`Lag requires a positive integer for the offset.`)
//! run when the query resolves the window.
//!
//! ```
//! use nuages_db::query::functions::{DenseRank, Lag, Ntile};
//! use nuages_db::query::{DynQuerySet, Window};
//! use nuages_db::{Field, FieldType, ModelMeta, Vendor};
//! static FIELDS: [Field; 2] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field::new("pages", FieldType::IntegerField),
//! ];
//! static BOOK: ModelMeta = ModelMeta::new("shop", "Book", "book", "shop_book", &FIELDS);
//! let qs = DynQuerySet::new(&BOOK).annotate([
//!     ("dense", Window::new(DenseRank::new()).order_by(["-pages"])),
//!     ("previous", Window::new(Lag::new("pages")).order_by(["id"])),
//!     ("quartile", Window::new(Ntile::new(4)).order_by(["pages"])),
//! ]);
//! let sql = qs.sql(Vendor::Sqlite).unwrap().unwrap().sql;
//! assert!(sql.contains(r#"DENSE_RANK() OVER (ORDER BY "shop_book"."pages" DESC) AS "dense""#));
//! assert!(sql.contains(r#"LAG("shop_book"."pages", ?) OVER (ORDER BY "shop_book"."id") AS "previous""#));
//! ```

use crate::error::{DbError, Result};
use crate::models::meta::FieldType;
use crate::value::Value;

use super::super::expressions::Expression;
use super::super::func::{Func, Output, OutputField};
use super::Arg;

fn window_func(name: &'static str, function: &'static str, args: Vec<Expression>) -> Func {
    Func::new(function, args).named(name).window_compatible()
}

fn fixed(name: &'static str, function: &'static str, ty: FieldType) -> Func {
    window_func(name, function, Vec::new()).output_field(OutputField::new(ty))
}

macro_rules! no_arg_window {
    ($(#[$doc:meta])* $name:ident, $function:expr, $ty:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl $name {
            /// The function (use it as a `Window`'s expression).
            #[allow(clippy::new_ret_no_self)]
            pub fn new() -> Func {
                fixed(stringify!($name), $function, $ty)
            }
        }
    };
}

no_arg_window!(
    /// `ROW_NUMBER()`: the row's position in its partition, from 1.
    RowNumber, "ROW_NUMBER", FieldType::IntegerField
);
no_arg_window!(
    /// `RANK()`: the rank with gaps after ties.
    Rank, "RANK", FieldType::IntegerField
);
no_arg_window!(
    /// `DENSE_RANK()`: the rank without gaps.
    DenseRank, "DENSE_RANK", FieldType::IntegerField
);
no_arg_window!(
    /// `PERCENT_RANK()`: `(rank - 1) / (rows - 1)`, a float.
    PercentRank, "PERCENT_RANK", FieldType::FloatField
);
no_arg_window!(
    /// `CUME_DIST()`: the cumulative distribution, a float.
    CumeDist, "CUME_DIST", FieldType::FloatField
);

/// A positive integer argument bound as a parameter (cast to `integer` on PostgreSQL).
fn int_value(n: i64) -> Expression {
    Expression::Value(Value::Int(n))
}

fn positive_int_at(f: &Func, i: usize) -> bool {
    matches!(f.args.get(i), Some(Expression::Value(Value::Int(n))) if *n > 0)
}

/// `NTILE(num_buckets)`: the bucket number (1..n) of the row.
pub struct Ntile;

impl Ntile {
    /// `Ntile(num_buckets)`; `num_buckets` must be greater than 0 (Django's `ValueError`).
    #[allow(clippy::new_ret_no_self)]
    pub fn new(num_buckets: i64) -> Func {
        window_func("Ntile", "NTILE", vec![int_value(num_buckets)])
            .output_field(OutputField::new(FieldType::IntegerField))
            .int_args(&[0])
            .checked(|f| {
                if positive_int_at(f, 0) {
                    Ok(())
                } else {
                    Err(DbError::ValueError("num_buckets must be greater than 0.".into()))
                }
            })
    }
}

/// Django's spelling is `Ntile`; `NTile` is the same function.
pub type NTile = Ntile;

fn check_lag_lead(f: &Func) -> Result<()> {
    if matches!(f.args.first(), None | Some(Expression::Value(Value::Null))) {
        return Err(DbError::ValueError(format!(
            "{} requires a non-null source expression.",
            f.name()
        )));
    }
    if !positive_int_at(f, 1) {
        return Err(DbError::ValueError(format!(
            "{} requires a positive integer for the offset.",
            f.name()
        )));
    }
    Ok(())
}

fn lag_lead(
    name: &'static str,
    function: &'static str,
    expr: Arg,
    offset: i64,
    default: Option<Expression>,
) -> Func {
    let mut args = vec![expr.0, int_value(offset)];
    args.extend(default);
    window_func(name, function, args)
        .output(Output::First)
        .int_args(&[1])
        .checked(check_lag_lead)
}

/// `LAG(expression, offset, default)`: the value `offset` rows before, in the window's
/// ordering (`default`, else NULL, when there is none).
pub struct Lag;

impl Lag {
    /// `Lag(expression)`: the previous row's value.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(expression: impl Into<Arg>) -> Func {
        lag_lead("Lag", "LAG", expression.into(), 1, None)
    }

    /// `Lag(expression, offset=, default=)`.
    pub fn with(expression: impl Into<Arg>, offset: i64, default: Option<Expression>) -> Func {
        lag_lead("Lag", "LAG", expression.into(), offset, default)
    }
}

/// `LEAD(expression, offset, default)`: the value `offset` rows after.
pub struct Lead;

impl Lead {
    /// `Lead(expression)`: the next row's value.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(expression: impl Into<Arg>) -> Func {
        lag_lead("Lead", "LEAD", expression.into(), 1, None)
    }

    /// `Lead(expression, offset=, default=)`.
    pub fn with(expression: impl Into<Arg>, offset: i64, default: Option<Expression>) -> Func {
        lag_lead("Lead", "LEAD", expression.into(), offset, default)
    }
}

/// `FIRST_VALUE(expression)`: the value at the first row of the window frame.
pub struct FirstValue;

impl FirstValue {
    /// `FirstValue(expression)`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(expression: impl Into<Arg>) -> Func {
        window_func("FirstValue", "FIRST_VALUE", vec![expression.into().0]).output(Output::First)
    }
}

/// `LAST_VALUE(expression)`: the value at the last row of the window frame (with the
/// default frame, the current row's last peer).
pub struct LastValue;

impl LastValue {
    /// `LastValue(expression)`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(expression: impl Into<Arg>) -> Func {
        window_func("LastValue", "LAST_VALUE", vec![expression.into().0]).output(Output::First)
    }
}

/// `NTH_VALUE(expression, nth)`: the value at row `nth` (from 1) of the window frame.
pub struct NthValue;

impl NthValue {
    /// `NthValue(expression, nth=)`; `nth` must be positive (Django's `ValueError`).
    #[allow(clippy::new_ret_no_self)]
    pub fn new(expression: impl Into<Arg>, nth: i64) -> Func {
        window_func("NthValue", "NTH_VALUE", vec![expression.into().0, int_value(nth)])
            .output(Output::First)
            .int_args(&[1])
            .checked(|f| {
                if matches!(f.args.first(), None | Some(Expression::Value(Value::Null))) {
                    return Err(DbError::ValueError(
                        "NthValue requires a non-null source expression.".into(),
                    ));
                }
                if !positive_int_at(f, 1) {
                    return Err(DbError::ValueError(
                        "NthValue requires a positive integer as for nth.".into(),
                    ));
                }
                Ok(())
            })
    }
}
