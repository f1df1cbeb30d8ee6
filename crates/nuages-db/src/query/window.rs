//! Window expressions: Django's `Window(expression, partition_by, order_by, frame)` with
//! its frames (`RowRange`, `ValueRange`, `WindowFrameExclusion`), and the filtering
//! against window annotations Django 4.2+ allows (the query is wrapped in a subquery
//! and the window condition applied outside, Django's `get_qualify_sql`).
//!
//! A window is an expression like any other: usable in `annotate`, `alias`, `order_by`
//! and `values`. Its output field is its source expression's (Django's
//! `_resolve_output_field`), and it never makes a query grouped (Django's
//! `contains_aggregate = False`), even around an aggregate.
//!
//! ```
//! use nuages_db::query::functions::{Rank, RowNumber};
//! use nuages_db::query::aggregates::Avg;
//! use nuages_db::query::{DynQuerySet, RowRange, Window, F, Q};
//! use nuages_db::{Field, FieldType, ModelMeta, Vendor};
//! static FIELDS: [Field; 4] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field::new("title", FieldType::CharField).max_length(200),
//!     Field::new("genre", FieldType::CharField).max_length(20),
//!     Field::new("pages", FieldType::IntegerField),
//! ];
//! static BOOK: ModelMeta = ModelMeta::new("shop", "Book", "book", "shop_book", &FIELDS);
//! let qs = DynQuerySet::new(&BOOK).annotate([
//!     ("rank", Window::new(Rank::new()).partition_by(["genre"]).order_by(["-pages"])),
//!     ("avg", Window::new(Avg::new("pages")).partition_by(["genre"])),
//!     ("running", Window::new(RowNumber::new()).order_by([F::new("id").asc()]).frame(RowRange::new(None, Some(0)))),
//! ]);
//! let sql = qs.sql(Vendor::Postgres).unwrap().unwrap().sql;
//! assert!(sql.contains(r#"RANK() OVER (PARTITION BY "shop_book"."genre" ORDER BY "shop_book"."pages" DESC) AS "rank""#));
//! assert!(sql.contains(r#"AVG("shop_book"."pages") OVER (PARTITION BY "shop_book"."genre") AS "avg""#));
//! assert!(sql.contains(r#"ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"#));
//! // The typed front end's column handles work the same way.
//! use nuages_db::query::typed::Column;
//! let genre: Column<String> = Column::new("genre".into());
//! let pages: Column<i32> = Column::new("pages".into());
//! let w = Window::new(Rank::new()).partition_by([genre]).order_by([pages.desc()]);
//! let typed = DynQuerySet::new(&BOOK).annotate([("rank", w)]).sql(Vendor::Sqlite).unwrap().unwrap().sql;
//! assert!(typed.contains(r#"RANK() OVER (PARTITION BY "shop_book"."genre" ORDER BY "shop_book"."pages" DESC)"#));
//! // Filtering on a window: the query becomes a subquery, the condition applies outside.
//! let top = qs.filter(Q::lookup("rank__lte", 3)).sql(Vendor::Sqlite).unwrap().unwrap().sql;
//! assert!(top.starts_with(r#"SELECT * FROM (SELECT"#));
//! assert!(top.contains(r#""qualify" WHERE "rank" <= ?"#));
//! ```

use crate::backends::Vendor;
use crate::error::{DbError, Result};

use super::compiler::Compiler;
use super::expressions::{Expression, OrderBy, F};
use super::func::{Func, OutputField};
use super::query::Query;
use super::where_::SqlExpr;

/// One `ORDER BY` term of a window: a plain expression (rendered without a direction,
/// as Django's `OrderByList` does for a bare `F`) or an explicit ordering.
#[derive(Debug, Clone)]
pub enum WindowOrder {
    /// `order_by=F("x")`: `ORDER BY "x"`.
    Plain(Expression),
    /// `order_by=F("x").desc()` (or the string `"-x"`): `ORDER BY "x" DESC`.
    Ordered(OrderBy),
}

impl From<&str> for WindowOrder {
    /// `"-x"` is `F("x").desc()`, any other string is `F("x")`, as Django's `OrderByList`.
    fn from(s: &str) -> WindowOrder {
        match s.strip_prefix('-') {
            Some(rest) => WindowOrder::Ordered(F::new(rest).desc()),
            None => WindowOrder::Plain(Expression::F(s.to_owned())),
        }
    }
}

impl From<String> for WindowOrder {
    fn from(s: String) -> WindowOrder {
        WindowOrder::from(s.as_str())
    }
}

impl From<OrderBy> for WindowOrder {
    fn from(o: OrderBy) -> WindowOrder {
        WindowOrder::Ordered(o)
    }
}

impl From<F> for WindowOrder {
    fn from(f: F) -> WindowOrder {
        WindowOrder::Plain(f.into())
    }
}

impl From<Expression> for WindowOrder {
    fn from(e: Expression) -> WindowOrder {
        WindowOrder::Plain(e)
    }
}

impl From<Func> for WindowOrder {
    fn from(f: Func) -> WindowOrder {
        WindowOrder::Plain(f.into())
    }
}

/// Django's `WindowFrameExclusion` (`EXCLUDE ...` after the frame; SQLite and
/// PostgreSQL only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFrameExclusion {
    CurrentRow,
    Group,
    Ties,
    NoOthers,
}

impl WindowFrameExclusion {
    fn sql(self) -> &'static str {
        match self {
            WindowFrameExclusion::CurrentRow => "CURRENT ROW",
            WindowFrameExclusion::Group => "GROUP",
            WindowFrameExclusion::Ties => "TIES",
            WindowFrameExclusion::NoOthers => "NO OTHERS",
        }
    }
}

/// `ROWS` or `RANGE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameType {
    /// Django's `RowRange`.
    Rows,
    /// Django's `ValueRange`.
    Range,
}

/// Django's `WindowFrame`: `start`/`end` are offsets from the current row (negative:
/// preceding, `0`: the current row, positive: following, `None`: unbounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowFrame {
    pub frame_type: FrameType,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub exclusion: Option<WindowFrameExclusion>,
}

impl WindowFrame {
    /// Django's `exclusion=`: refused with `NotSupportedError` on MySQL/MariaDB.
    pub fn exclusion(mut self, exclusion: WindowFrameExclusion) -> WindowFrame {
        self.exclusion = Some(exclusion);
        self
    }
}

/// Django's `RowRange(start, end)`: a `ROWS BETWEEN ... AND ...` frame.
pub struct RowRange;

impl RowRange {
    /// `RowRange(start=, end=)`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(start: Option<i64>, end: Option<i64>) -> WindowFrame {
        WindowFrame {
            frame_type: FrameType::Rows,
            start,
            end,
            exclusion: None,
        }
    }
}

/// Django's `ValueRange(start, end)`: a `RANGE BETWEEN ... AND ...` frame.
pub struct ValueRange;

impl ValueRange {
    /// `ValueRange(start=, end=)`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(start: Option<i64>, end: Option<i64>) -> WindowFrame {
        WindowFrame {
            frame_type: FrameType::Range,
            start,
            end,
            exclusion: None,
        }
    }
}

/// Django's `Window`: an aggregate or window function evaluated over a partition of
/// the rows (`OVER (PARTITION BY ... ORDER BY ... frame)`).
#[derive(Debug, Clone)]
pub struct Window {
    pub(crate) expression: Expression,
    pub(crate) partition_by: Vec<Expression>,
    pub(crate) order_by: Vec<WindowOrder>,
    pub(crate) frame: Option<WindowFrame>,
    pub(crate) output: Option<OutputField>,
}

impl Window {
    /// `Window(expression)`: the expression must be an aggregate or a window function
    /// (else Django's `ValueError` when the query resolves it).
    pub fn new(expression: impl Into<Expression>) -> Window {
        Window {
            expression: expression.into(),
            partition_by: Vec::new(),
            order_by: Vec::new(),
            frame: None,
            output: None,
        }
    }

    /// `partition_by=[...]`: field paths (strings) or expressions.
    pub fn partition_by<E: Into<PartitionArg>>(mut self, exprs: impl IntoIterator<Item = E>) -> Window {
        self.partition_by = exprs.into_iter().map(|e| e.into().0).collect();
        self
    }

    /// `order_by=[...]`: `"-x"`/`"x"` strings, `F`s, expressions or orderings.
    pub fn order_by<O: Into<WindowOrder>>(mut self, terms: impl IntoIterator<Item = O>) -> Window {
        self.order_by = terms.into_iter().map(Into::into).collect();
        self
    }

    /// `frame=RowRange(..)` / `ValueRange(..)`.
    pub fn frame(mut self, frame: WindowFrame) -> Window {
        self.frame = Some(frame);
        self
    }

    /// `output_field=`.
    pub fn output_field(mut self, field: OutputField) -> Window {
        self.output = Some(field);
        self
    }
}

/// A `partition_by` item: strings are field paths, as in Django.
pub struct PartitionArg(Expression);

impl From<&str> for PartitionArg {
    fn from(s: &str) -> PartitionArg {
        PartitionArg(Expression::F(s.to_owned()))
    }
}

impl From<String> for PartitionArg {
    fn from(s: String) -> PartitionArg {
        PartitionArg(Expression::F(s))
    }
}

impl From<F> for PartitionArg {
    fn from(f: F) -> PartitionArg {
        PartitionArg(f.into())
    }
}

impl From<Expression> for PartitionArg {
    fn from(e: Expression) -> PartitionArg {
        PartitionArg(e)
    }
}

impl From<Func> for PartitionArg {
    fn from(f: Func) -> PartitionArg {
        PartitionArg(f.into())
    }
}

impl<T> From<super::typed::Column<T>> for PartitionArg {
    /// A typed column handle (`Book::genre()`), as `F("genre")`.
    fn from(c: super::typed::Column<T>) -> PartitionArg {
        PartitionArg(Expression::F(c.path().to_owned()))
    }
}

impl<T> From<super::typed::FieldRef<T>> for PartitionArg {
    fn from(f: super::typed::FieldRef<T>) -> PartitionArg {
        PartitionArg(f.into())
    }
}

impl<T> From<super::typed::Column<T>> for WindowOrder {
    /// A typed column handle, as `F("path")` (use `.asc()`/`.desc()` for a direction).
    fn from(c: super::typed::Column<T>) -> WindowOrder {
        WindowOrder::Plain(Expression::F(c.path().to_owned()))
    }
}

impl<T> From<super::typed::FieldRef<T>> for WindowOrder {
    fn from(f: super::typed::FieldRef<T>) -> WindowOrder {
        WindowOrder::Plain(f.into())
    }
}

impl From<Window> for Expression {
    fn from(w: Window) -> Expression {
        Expression::Window(Box::new(w))
    }
}

/// A resolved ordering term of a window: the expression and, for an explicit
/// ordering, `(descending, nulls_first, nulls_last)`.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedWindowOrder {
    pub expr: SqlExpr,
    pub dir: Option<(bool, bool, bool)>,
}

/// A resolved [`Window`].
#[derive(Debug, Clone)]
pub(crate) struct ResolvedWindow {
    pub source: SqlExpr,
    pub partition_by: Vec<SqlExpr>,
    pub order_by: Vec<ResolvedWindowOrder>,
    pub frame: Option<WindowFrame>,
    pub output: Option<OutputField>,
}

/// Django's class name of an expression, for "isn't compatible with OVER clauses".
fn class_name(e: &Expression) -> String {
    match e {
        Expression::Value(_) => "Value".into(),
        Expression::F(_) => "F".into(),
        Expression::Combined(..) => "CombinedExpression".into(),
        Expression::Func(f) => f.name().to_owned(),
        Expression::Case(_) => "Case".into(),
        Expression::Q(_) => "Q".into(),
        Expression::Wrapper(..) => "ExpressionWrapper".into(),
        Expression::Star => "Star".into(),
        Expression::OuterRef(_) => "OuterRef".into(),
        Expression::Subquery(_) => "Subquery".into(),
        Expression::Exists(_) => "Exists".into(),
        Expression::Window(_) => "Window".into(),
    }
}

impl Query {
    /// Django's `Window.__init__` checks and `resolve_expression`.
    pub(crate) fn resolve_window(&mut self, w: &Window, reuse: Option<&[usize]>) -> Result<SqlExpr> {
        let compatible = match &w.expression {
            Expression::Func(f) => f.window_compatible || f.is_aggregate(),
            _ => false,
        };
        if !compatible {
            return Err(DbError::ValueError(format!(
                "Expression '{}' isn't compatible with OVER clauses.",
                class_name(&w.expression)
            )));
        }
        let source = self.resolve_expression(&w.expression, reuse)?;
        let mut partition_by = Vec::with_capacity(w.partition_by.len());
        for p in &w.partition_by {
            partition_by.push(self.resolve_expression(p, reuse)?);
        }
        let mut order_by = Vec::with_capacity(w.order_by.len());
        for o in &w.order_by {
            order_by.push(match o {
                WindowOrder::Plain(e) => ResolvedWindowOrder {
                    expr: self.resolve_expression(e, reuse)?,
                    dir: None,
                },
                WindowOrder::Ordered(o) => ResolvedWindowOrder {
                    expr: self.resolve_expression(&o.expr, reuse)?,
                    dir: Some((o.descending, o.nulls_first, o.nulls_last)),
                },
            });
        }
        let output = w.output.or_else(|| source.output_field());
        Ok(SqlExpr::Window(Box::new(ResolvedWindow {
            source,
            partition_by,
            order_by,
            frame: w.frame,
            output,
        })))
    }
}

impl ResolvedWindow {
    /// Django's `Window.get_group_by_cols`: the partition and ordering columns.
    pub(crate) fn group_by_cols(&self) -> Vec<SqlExpr> {
        let mut v: Vec<SqlExpr> = self
            .partition_by
            .iter()
            .flat_map(SqlExpr::group_by_cols)
            .collect();
        v.extend(self.order_by.iter().flat_map(|o| o.expr.group_by_cols()));
        v
    }

    /// Every sub-expression, for tree walkers.
    pub(crate) fn children_mut(&mut self) -> Vec<&mut SqlExpr> {
        let mut v = vec![&mut self.source];
        v.extend(self.partition_by.iter_mut());
        v.extend(self.order_by.iter_mut().map(|o| &mut o.expr));
        v
    }
}

/// Django's `supports_frame_exclusion` (SQLite 3.28+ and PostgreSQL; not MySQL/MariaDB).
fn supports_frame_exclusion(vendor: Vendor) -> bool {
    vendor != Vendor::MySql
}

/// Django's `window_frame_value`: an offset as SQL (`None` for unbounded).
fn frame_value(v: Option<i64>) -> Option<String> {
    v.map(|v| match v {
        0 => "CURRENT ROW".to_owned(),
        n if n < 0 => format!("{} PRECEDING", n.unsigned_abs()),
        n => format!("{n} FOLLOWING"),
    })
}

/// Django's `window_frame_rows_start_end` / `window_frame_range_start_end`, the
/// frame's SQL (`ROWS BETWEEN 1 PRECEDING AND CURRENT ROW`). The offsets are typed
/// integers written into the SQL as Django writes them (frame bounds cannot be
/// parameters on every backend).
pub(crate) fn frame_sql(vendor: Vendor, f: &WindowFrame) -> Result<String> {
    if let (Some(s), Some(e)) = (f.start, f.end) {
        if f.frame_type == FrameType::Rows && s > e {
            return Err(DbError::ValueError("start cannot be greater than end.".into()));
        }
    }
    if f.frame_type == FrameType::Range {
        if let Some(s) = f.start.filter(|s| *s > 0) {
            return Err(DbError::ValueError(format!(
                "start argument must be a negative integer, zero, or None, but got '{s}'."
            )));
        }
        if let Some(e) = f.end.filter(|e| *e < 0) {
            return Err(DbError::ValueError(format!(
                "end argument must be a positive integer, zero, or None, but got '{e}'."
            )));
        }
    }
    if f.exclusion.is_some() && !supports_frame_exclusion(vendor) {
        return Err(DbError::NotSupportedError(
            "This backend does not support window frame exclusions.".into(),
        ));
    }
    let start = frame_value(f.start).unwrap_or_else(|| "UNBOUNDED PRECEDING".into());
    let end = frame_value(f.end).unwrap_or_else(|| "UNBOUNDED FOLLOWING".into());
    let kind = match f.frame_type {
        FrameType::Rows => "ROWS",
        FrameType::Range => "RANGE",
    };
    let exclude = f
        .exclusion
        .map(|x| format!(" EXCLUDE {}", x.sql()))
        .unwrap_or_default();
    Ok(format!("{kind} BETWEEN {start} AND {end}{exclude}"))
}

impl Compiler {
    /// Django's `Window.as_sql`: `expr OVER (PARTITION BY .. ORDER BY .. frame)`.
    pub(crate) fn window(&mut self, q: &Query, w: &ResolvedWindow) -> Result<sea_query::Expr> {
        if !self.vendor.features().supports_over_clause {
            return Err(DbError::NotSupportedError(
                "This backend does not support window expressions.".into(),
            ));
        }
        let mut args = vec![self.expr(q, &w.source)?];
        let mut parts: Vec<String> = Vec::new();
        if !w.partition_by.is_empty() {
            let mut holes = Vec::new();
            for p in &w.partition_by {
                args.push(self.expr(q, p)?);
                holes.push("{}");
            }
            parts.push(format!("PARTITION BY {}", holes.join(", ")));
        }
        if !w.order_by.is_empty() {
            let mut terms = Vec::new();
            for o in &w.order_by {
                let e = self.expr(q, &o.expr)?;
                terms.push(self.window_order_term(e, o.dir, &mut args));
            }
            parts.push(format!("ORDER BY {}", terms.join(", ")));
        }
        if let Some(f) = &w.frame {
            parts.push(frame_sql(self.vendor, f)?);
        }
        Ok(self.template(&format!("{{}} OVER ({})", parts.join(" ")), args))
    }

    /// Django's `OrderBy.as_sql` inside a window (`NULLS FIRST/LAST`, emulated on
    /// MySQL/MariaDB with `IS NULL` / `IS NOT NULL` terms as Django does); pushes the
    /// term's arguments and returns its template.
    fn window_order_term(
        &self,
        e: sea_query::Expr,
        dir: Option<(bool, bool, bool)>,
        args: &mut Vec<sea_query::Expr>,
    ) -> String {
        let Some((desc, nulls_first, nulls_last)) = dir else {
            args.push(e);
            return "{}".into();
        };
        let ordering = if desc { "DESC" } else { "ASC" };
        if self.vendor.features().supports_order_by_nulls_modifier {
            args.push(e);
            return match (nulls_first, nulls_last) {
                (_, true) => format!("{{}} {ordering} NULLS LAST"),
                (true, _) => format!("{{}} {ordering} NULLS FIRST"),
                _ => format!("{{}} {ordering}"),
            };
        }
        // MySQL sorts NULLs first (Django's `order_by_nulls_first`).
        if nulls_last && !desc {
            args.push(e.clone());
            args.push(e);
            format!("{{}} IS NULL, {{}} {ordering}")
        } else if nulls_first && desc {
            args.push(e.clone());
            args.push(e);
            format!("{{}} IS NOT NULL, {{}} {ordering}")
        } else {
            args.push(e);
            format!("{{}} {ordering}")
        }
    }
}
