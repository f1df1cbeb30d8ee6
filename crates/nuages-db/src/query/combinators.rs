//! Django's set operations: `union()`, `intersection()` and `difference()`.
//!
//! A combined queryset keeps the left queryset's query (its columns and row kind) with
//! the ordering and limits cleared, plus the parts to join. The compiler writes each
//! part as its own `SELECT` with aliased columns (`"col1"`, ... or the `values()`
//! names), joins them with `UNION [ALL]` / `INTERSECT` / `EXCEPT`, and puts the combined
//! queryset's own ordering (by column alias or `values()` position) and slice after the
//! last part, as Django's `get_combinator_sql` does. Per backend: SQLite refuses
//! ordered or sliced parts (Django's `supports_slicing_ordering_in_compound`), and a
//! backend without `INTERSECT`/`EXCEPT` answers `NotSupportedError`. After combining,
//! only slicing, `order_by`, `values`/`values_list`, `count`, `exists`, `get()` without
//! filters and evaluation are allowed; the rest fail with Django's `NotSupportedError`.
//!
//! ```
//! use nuages_db::query::{DynQuerySet, Q};
//! use nuages_db::{Field, FieldType, ModelMeta, Vendor};
//! static FIELDS: [Field; 2] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field::new("slug", FieldType::SlugField).max_length(50),
//! ];
//! static GENRE: ModelMeta = ModelMeta::new("shop", "Genre", "genre", "shop_genre", &FIELDS);
//! let f = DynQuerySet::new(&GENRE).filter_str("slug__startswith", "f");
//! let h = DynQuerySet::new(&GENRE).filter_str("slug__startswith", "h");
//! let both = f.union([h], false).order_by(["slug"]);
//! let sql = both.sql(Vendor::Sqlite).unwrap().unwrap().sql;
//! assert!(sql.contains(r#""shop_genre"."slug" AS "col2""#));
//! assert!(sql.contains(" UNION SELECT "));
//! assert!(sql.ends_with(r#"ORDER BY "col2" ASC"#));
//! // Filtering a combined queryset is refused, as in Django.
//! let err = both.filter(Q::lookup("id", 1)).check().unwrap_err();
//! assert_eq!(err.to_string(), "Calling QuerySet.filter() after union() is not supported.");
//! ```

use sea_query::{
    Alias, Asterisk, Expr as SExpr, NullOrdering, Order, Query as SQuery, SelectStatement, UnionType,
};

use crate::backends::Vendor;
use crate::error::{DbError, Result};

use super::compiler::{Compiler, SelectMode};
use super::expressions::{Expression, OrderBy};
use super::query::{OrderTerm, Query, SelectCol};
use super::queryset::DynQuerySet;
use super::where_::{SqlExpr, WhereNode};

/// Which set operation a combined queryset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CombinatorKind {
    Union,
    Intersection,
    Difference,
}

impl CombinatorKind {
    /// Django's name (`"union"`), as its error messages use it.
    pub fn name(self) -> &'static str {
        match self {
            CombinatorKind::Union => "union",
            CombinatorKind::Intersection => "intersection",
            CombinatorKind::Difference => "difference",
        }
    }
}

/// Django's `combinator`, `combinator_all` and `combined_queries`.
#[derive(Debug, Clone)]
pub(crate) struct Combinator {
    pub kind: CombinatorKind,
    pub all: bool,
    pub parts: Vec<Query>,
}

/// Django's `_not_support_combined_queries`.
pub(crate) fn guard(q: &Query, operation: &str) -> Result<()> {
    match &q.combinator {
        Some(c) => Err(DbError::NotSupportedError(format!(
            "Calling QuerySet.{operation}() after {}() is not supported.",
            c.kind.name()
        ))),
        None => Ok(()),
    }
}

/// Django's `get()` with filters on a combined queryset.
pub(crate) fn guard_get(q: &Query) -> Result<()> {
    match &q.combinator {
        Some(c) => Err(DbError::NotSupportedError(format!(
            "Calling QuerySet.get(...) with filters after {}() is not supported.",
            c.kind.name()
        ))),
        None => Ok(()),
    }
}

/// Django's `Query.is_empty()`: `none()` was applied.
pub(crate) fn is_empty(q: &Query) -> bool {
    match &q.where_ {
        WhereNode::Nothing => true,
        WhereNode::Node { children, .. } => children.iter().any(|c| matches!(c, WhereNode::Nothing)),
        _ => false,
    }
}

impl DynQuerySet {
    /// `union(*others, all=all)`: rows in any of the querysets (`all` keeps duplicates).
    pub fn union<I, T>(self, others: I, all: bool) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<DynQuerySet>,
    {
        let others: Vec<DynQuerySet> = others.into_iter().map(Into::into).collect();
        if is_empty(&self.query) && self.check().is_ok() {
            // Django: an empty queryset combines the non-empty others.
            let mut rest: Vec<DynQuerySet> = others.into_iter().filter(|q| !is_empty(&q.query)).collect();
            if rest.is_empty() {
                return self;
            }
            let first = rest.remove(0);
            if rest.is_empty() {
                return first;
            }
            return first.combine(CombinatorKind::Union, rest, all);
        }
        self.combine(CombinatorKind::Union, others, all)
    }

    /// `intersection(*others)`: rows in every queryset.
    pub fn intersection<I, T>(self, others: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<DynQuerySet>,
    {
        let others: Vec<DynQuerySet> = others.into_iter().map(Into::into).collect();
        if self.check().is_ok() {
            if is_empty(&self.query) {
                return self;
            }
            if let Some(empty) = others.iter().find(|q| is_empty(&q.query) && q.check().is_ok()) {
                return empty.clone();
            }
        }
        self.combine(CombinatorKind::Intersection, others, false)
    }

    /// `difference(*others)`: rows of this queryset in none of the others.
    pub fn difference<I, T>(self, others: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<DynQuerySet>,
    {
        let others: Vec<DynQuerySet> = others.into_iter().map(Into::into).collect();
        if is_empty(&self.query) && self.check().is_ok() {
            return self;
        }
        self.combine(CombinatorKind::Difference, others, false)
    }

    /// The combined queryset is which set operation, if any.
    pub fn combinator(&self) -> Option<CombinatorKind> {
        self.query.combinator.as_ref().map(|c| c.kind)
    }

    /// Django's `_combinator_query`.
    fn combine(self, kind: CombinatorKind, others: Vec<DynQuerySet>, all: bool) -> Self {
        let mut parts = vec![self.query.clone()];
        for o in &others {
            if let Err(e) = o.check() {
                return self.fail(e);
            }
            parts.push(o.query.clone());
        }
        let mut qs = self.all();
        qs.query.order_by.clear();
        qs.query.default_ordering = false;
        qs.query.low_mark = 0;
        qs.query.high_mark = None;
        qs.query.combinator = Some(Box::new(Combinator { kind, all, parts }));
        qs
    }
}

/// Where an `ORDER BY` term of a compound statement points.
enum OrderKey {
    /// A `values()` column, by position (`ORDER BY 1`).
    Position(usize),
    /// An aliased column (`ORDER BY "col2"`).
    Alias(String),
    Random,
}

/// Builds the compound statement of a combined query (`None`: it matches nothing).
pub(crate) fn compile(c: &mut Compiler, q: &Query, mode: SelectMode) -> Result<Option<SelectStatement>> {
    let Some(comb) = &q.combinator else {
        return Err(DbError::DatabaseError("not a combined query".into()));
    };
    let features = c.vendor.features();
    let supported = match comb.kind {
        CombinatorKind::Union => features.supports_select_union,
        CombinatorKind::Intersection => features.supports_select_intersection,
        CombinatorKind::Difference => features.supports_select_difference,
    };
    if !supported {
        return Err(DbError::NotSupportedError(format!(
            "{} is not supported on this database backend.",
            comb.kind.name()
        )));
    }
    // Markers left by the compiler of an enclosing statement belong to it, not to us.
    c.with_col_aliases = false;
    if is_empty(q) {
        return Ok(None);
    }
    let mut parts = comb.parts.clone();
    let mut whole = q.clone();
    // If the columns list is limited, every part selects the same columns.
    if let Some(cols) = &whole.select {
        let names: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
        for p in &mut parts {
            if p.select.is_none() {
                p.set_values(&names)?;
            }
        }
    }
    let order = ordering(&mut whole, &mut parts)?;
    if !features.supports_slicing_ordering_in_compound {
        for p in &parts {
            if p.is_sliced() {
                return Err(DbError::DatabaseError(
                    "LIMIT/OFFSET not allowed in subqueries of compound statements.".into(),
                ));
            }
            if has_ordering(p) {
                return Err(DbError::DatabaseError(
                    "ORDER BY not allowed in subqueries of compound statements.".into(),
                ));
            }
        }
    } else {
        for p in &mut parts {
            if !p.is_sliced() {
                p.order_by.clear();
                p.default_ordering = false;
            }
        }
    }
    let mut compiled: Vec<(SelectStatement, bool)> = Vec::new();
    for p in &parts {
        c.with_col_aliases = true;
        let stmt = c.select(p, SelectMode::Rows);
        c.with_col_aliases = false;
        match stmt? {
            Some(s) => compiled.push((s, p.combinator.is_some() || p.is_sliced() || has_ordering(p))),
            None => match comb.kind {
                CombinatorKind::Union => continue,
                CombinatorKind::Difference if !compiled.is_empty() => continue,
                _ => return Ok(None),
            },
        }
    }
    let mut iter = compiled.into_iter();
    let Some((first, first_wrap)) = iter.next() else {
        return Ok(None);
    };
    let mut stmt = if first_wrap { wrap(first) } else { first };
    let op = match (comb.kind, comb.all) {
        (CombinatorKind::Union, true) => UnionType::All,
        (CombinatorKind::Union, false) => UnionType::Distinct,
        (CombinatorKind::Intersection, _) => UnionType::Intersect,
        (CombinatorKind::Difference, _) => UnionType::Except,
    };
    for (part, compound) in iter {
        // sea-query parenthesises later parts; SQLite takes no parentheses there, so a
        // compound part becomes `SELECT * FROM (...)` as Django writes it.
        let part = if compound && !features.supports_parentheses_in_compound {
            wrap(part)
        } else {
            part
        };
        stmt.union(op, part);
    }
    for (key, desc, nulls) in order {
        let e = match key {
            OrderKey::Position(n) => SExpr::cust(n.to_string()),
            OrderKey::Alias(a) => SExpr::col(Alias::new(a)),
            OrderKey::Random => SExpr::cust(if c.vendor == Vendor::MySql {
                "RAND()"
            } else {
                "RANDOM()"
            }),
        };
        let dir = if desc { Order::Desc } else { Order::Asc };
        match nulls {
            Some(n) => stmt.order_by_expr_with_nulls(e, dir, n),
            None => stmt.order_by_expr(e, dir),
        };
    }
    if mode == SelectMode::Exists {
        whole.set_limits(None, Some(1));
    }
    c.limits(&whole, &mut stmt);
    Ok(Some(stmt))
}

/// `SELECT * FROM (part) subquery`.
fn wrap(part: SelectStatement) -> SelectStatement {
    let mut outer = SQuery::select();
    outer.column(Asterisk).from_subquery(part, Alias::new("subquery"));
    outer
}

/// Whether a part orders its rows (explicitly, or by its model's `Meta.ordering`).
fn has_ordering(p: &Query) -> bool {
    !p.order_by.is_empty() || (p.default_ordering && !p.model.ordering.is_empty())
}

/// Django's `get_order_by` for a combined query: each term names a selected column (by
/// `values()` position or by its alias) or becomes a column `__orderbycolN` added to
/// every part.
fn ordering(whole: &mut Query, parts: &mut [Query]) -> Result<Vec<(OrderKey, bool, Option<NullOrdering>)>> {
    let terms: Vec<OrderTerm> = if !whole.order_by.is_empty() {
        whole.order_by.clone()
    } else if whole.default_ordering {
        whole
            .model
            .ordering
            .iter()
            .map(|s| super::compiler::order_term_from_str(s))
            .collect()
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    let mut spelled = vec![false; parts.len()];
    for t in terms {
        let OrderTerm::Expr(OrderBy {
            expr,
            descending,
            nulls_first,
            nulls_last,
        }) = t
        else {
            out.push((OrderKey::Random, false, None));
            continue;
        };
        let desc = descending == whole.standard_ordering;
        let (nf, nl) = if whole.standard_ordering {
            (nulls_first, nulls_last)
        } else {
            (nulls_last, nulls_first)
        };
        let nulls = if nf {
            Some(NullOrdering::First)
        } else if nl {
            Some(NullOrdering::Last)
        } else {
            None
        };
        let key = order_key(whole, parts, &mut spelled, &expr)?;
        out.push((key, desc, nulls));
    }
    Ok(out)
}

fn order_key(
    whole: &mut Query,
    parts: &mut [Query],
    spelled: &mut [bool],
    expr: &Expression,
) -> Result<OrderKey> {
    // A name `values()` gave the whole: its position.
    if let (Expression::F(name), Some(cols)) = (expr, &whole.select) {
        if let Some(i) = cols.iter().position(|c| &c.name == name) {
            return Ok(OrderKey::Position(i + 1));
        }
    }
    let resolved = whole.resolve_expression(expr, None)?;
    if let SqlExpr::Col { alias, column, .. } = &resolved {
        match &whole.select {
            Some(cols) => {
                let found = cols.iter().find(|c| {
                    matches!(&c.expr, SqlExpr::Col { alias: a, column: col, .. } if a == alias && col == column)
                });
                if let Some(c) = found {
                    return Ok(OrderKey::Alias(c.name.clone()));
                }
            }
            None if *alias == 0 => {
                let fields: Vec<_> = match &whole.loaded_fields {
                    Some(f) => f.clone(),
                    None => whole.model.concrete_fields().collect(),
                };
                if let Some(i) = fields.iter().position(|f| f.column == column) {
                    return Ok(OrderKey::Alias(format!("col{}", i + 1)));
                }
            }
            None => {}
        }
    }
    // Not selected: add it to every part and to the whole (Django's `__orderbycolN`).
    let no_match =
        || DbError::DatabaseError("ORDER BY term does not match any column in the result set.".into());
    if parts
        .iter()
        .zip(spelled.iter())
        .any(|(p, s)| p.select.is_some() && !s)
    {
        return Err(no_match());
    }
    let n = match &whole.select {
        Some(cols) => cols.len(),
        None => match &whole.loaded_fields {
            Some(f) => f.len(),
            None => whole.model.concrete_fields().count(),
        },
    } + 1;
    let alias = format!("__orderbycol{n}");
    for (p, s) in parts.iter_mut().zip(spelled.iter_mut()) {
        if p.combinator.is_some() {
            return Err(no_match());
        }
        model_columns(p);
        *s = true;
        let e = p.resolve_expression(expr, None)?;
        if let Some(cols) = &mut p.select {
            cols.push(SelectCol {
                name: alias.clone(),
                expr: e,
            });
        }
    }
    Ok(OrderKey::Alias(alias))
}

/// Spells out a part's model columns as `col1`, `col2`, ... so a column can follow them.
fn model_columns(p: &mut Query) {
    if p.select.is_some() {
        return;
    }
    let fields: Vec<_> = match &p.loaded_fields {
        Some(f) => f.clone(),
        None => p.model.concrete_fields().collect(),
    };
    let model = p.model;
    let mut cols = Vec::with_capacity(fields.len());
    for (i, f) in fields.into_iter().enumerate() {
        cols.push(SelectCol {
            name: format!("col{}", i + 1),
            expr: p.model_col(model, 0, f),
        });
    }
    p.select = Some(cols);
}
