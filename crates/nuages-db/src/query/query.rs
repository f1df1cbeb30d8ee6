//! [`Query`]: Django's `sql.Query`, the resolved form of a queryset.
//!
//! Filters are resolved when they are added (as Django does), so joins, join types and
//! errors follow Django's rules exactly: single-valued joins are always reused,
//! multi-valued joins only within one `filter()` call, `JoinPromoter` turns joins
//! LEFT OUTER or INNER by voting over each `Q` node, and a negated condition across a
//! multi-valued relation becomes a correlated `EXISTS` subquery (`split_exclude`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{DbError, Result};
use crate::models::meta::{Field, ModelMeta};
use crate::value::Value;

use super::custom_lookups::{
    apply_bilateral, bilateral_rhs, find_lookup, find_transform, transform_step, transform_step_of,
    CustomTransform, TransformStep,
};
use super::expressions::{Expression, OrderBy, Rhs};
use super::json;
use super::lookups::{prep_integer_lookup, prep_value, py_repr, year_bounds, LhsKind, LookupName, Transform};
use super::names::{self, FinalField, PathInfo};
use super::q::{Connector, QChild, Q};
use super::where_::{column_type, Lookup, LookupRhs, SqlExpr, WhereNode};

/// How a join is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinType {
    /// The base table (`FROM`).
    Base,
    Inner,
    LeftOuter,
}

/// One entry of the alias map. The table and alias are borrowed from the model's
/// `db_table` when they are its name (the base table of every query, which is built per
/// query), owned when computed (`T3`, `U0`, a through table's name).
#[derive(Debug, Clone)]
pub(crate) struct Join {
    pub table: Cow<'static, str>,
    pub alias: Cow<'static, str>,
    pub parent: usize,
    pub from_col: &'static str,
    pub to_col: String,
    pub join_type: JoinType,
    pub nullable: bool,
    pub refcount: usize,
    /// A generic relation's content type condition (Django's extra restriction), out
    /// of line: most joins have none, and the model's own table is kept inline in every
    /// query.
    pub extra: Option<Box<names::GenericRestriction>>,
}

impl Join {
    fn same_as(&self, other: &Join) -> bool {
        self.table == other.table
            && self.parent == other.parent
            && self.from_col == other.from_col
            && self.to_col == other.to_col
            && self.extra == other.extra
    }
}

/// One ordering term as given to `order_by`.
#[derive(Debug, Clone)]
pub(crate) enum OrderTerm {
    /// `"?"`.
    Random,
    Expr(OrderBy),
}

/// A selected output column of `values()` / `values_list()`.
#[derive(Debug, Clone)]
pub(crate) struct SelectCol {
    pub name: String,
    pub expr: SqlExpr,
}

/// `select_for_update` options.
#[derive(Debug, Clone, Default)]
pub(crate) struct LockSpec {
    pub nowait: bool,
    pub skip_locked: bool,
    pub of: Vec<String>,
    pub no_key: bool,
}

/// What `setup_joins` found.
pub(crate) struct JoinInfo {
    pub final_field: FinalField,
    pub target: &'static Field,
    pub target_col: String,
    pub joins: Vec<usize>,
    pub path: Vec<PathInfo>,
    pub transforms: Vec<String>,
}

/// Django's `sql.Query`.
#[derive(Debug, Clone)]
pub struct Query {
    pub(crate) model: &'static ModelMeta,
    /// The tables of the query, the model's own first. Kept inline while there is only
    /// that one: making and cloning a queryset (each chained call clones its query) then
    /// allocates nothing for it.
    pub(crate) joins: smallvec::SmallVec<[Join; 1]>,
    pub(crate) where_: WhereNode,
    pub(crate) order_by: Vec<OrderTerm>,
    pub(crate) default_ordering: bool,
    pub(crate) standard_ordering: bool,
    pub(crate) low_mark: u64,
    pub(crate) high_mark: Option<u64>,
    pub(crate) distinct: bool,
    /// `distinct(*fields)`: PostgreSQL's `DISTINCT ON`.
    pub(crate) distinct_fields: Vec<String>,
    pub(crate) select: Option<Vec<SelectCol>>,
    /// `only()` / `defer()`: the concrete fields loaded (None: all).
    pub(crate) loaded_fields: Option<Vec<&'static Field>>,
    pub(crate) lock: Option<LockSpec>,
    /// Alias prefix of a subquery (`U`, `V`, ...); `None` at the top level.
    pub(crate) prefix: Option<char>,
    /// `select_related` and the prefetch column (see `query/related.rs`).
    pub(crate) related: super::related::RelatedOptions,
    /// `union()` / `intersection()` / `difference()`: the parts and the operator.
    pub(crate) combinator: Option<Box<super::combinators::Combinator>>,
    used_aliases: Vec<usize>,
    /// `annotate()` / `alias()` expressions, in definition order (`annotate.rs`).
    pub(crate) annotations: Vec<super::annotate::Annotation>,
    /// Django's `group_by`: `None`, `True` (every selected column) or explicit items.
    pub(crate) group_by: Option<super::annotate::GroupBy>,
    /// Resolving `aggregate()` arguments (Django's `summarize=True`).
    pub(crate) summarize: bool,
    /// The names given to `values()` / `values_list()`, in the order asked.
    pub(crate) values_order: Vec<String>,
}

/// Django's `JoinPromoter`.
struct JoinPromoter {
    effective_or: bool,
    num_children: usize,
    votes: HashMap<usize, usize>,
}

impl JoinPromoter {
    fn new(connector: Connector, num_children: usize, negated: bool) -> Self {
        let effective_or = !matches!(
            (connector, negated),
            (Connector::And, false) | (Connector::Or, true)
        );
        JoinPromoter {
            effective_or,
            num_children,
            votes: HashMap::new(),
        }
    }

    fn add_votes(&mut self, votes: &[usize]) {
        for v in votes {
            *self.votes.entry(*v).or_default() += 1;
        }
    }

    fn update_join_types(self, query: &mut Query) -> Vec<usize> {
        let mut to_promote = Vec::new();
        let mut to_demote = Vec::new();
        let mut tables: Vec<_> = self.votes.into_iter().collect();
        tables.sort_unstable();
        for (table, votes) in tables {
            if self.effective_or && votes < self.num_children {
                to_promote.push(table);
            }
            if !self.effective_or || votes == self.num_children {
                to_demote.push(table);
            }
        }
        query.promote_joins(to_promote);
        query.demote_joins(to_demote.clone());
        to_demote
    }
}

impl Query {
    /// An unfiltered query over `model`.
    pub(crate) fn new(model: &'static ModelMeta) -> Query {
        Query::with_prefix(model, None)
    }

    pub(crate) fn with_prefix(model: &'static ModelMeta, prefix: Option<char>) -> Query {
        let alias = match prefix {
            Some(p) => Cow::Owned(format!("{p}0")),
            None => Cow::Borrowed(model.db_table),
        };
        Query {
            model,
            joins: smallvec::smallvec![Join {
                table: Cow::Borrowed(model.db_table),
                alias,
                parent: usize::MAX,
                from_col: "",
                to_col: String::new(),
                join_type: JoinType::Base,
                nullable: false,
                refcount: 1,
                extra: None,
            }],
            where_: WhereNode::and(),
            order_by: Vec::new(),
            default_ordering: true,
            standard_ordering: true,
            low_mark: 0,
            high_mark: None,
            distinct: false,
            distinct_fields: Vec::new(),
            select: None,
            loaded_fields: None,
            lock: None,
            prefix,
            related: Default::default(),
            combinator: None,
            used_aliases: Vec::new(),
            annotations: Vec::new(),
            group_by: None,
            summarize: false,
            values_order: Vec::new(),
        }
    }

    /// The model queried.
    pub(crate) fn model(&self) -> &'static ModelMeta {
        self.model
    }

    /// True when the query is what `Query::new` made: no condition, ordering, slice,
    /// column choice, annotation, lock, join or related loading. The destructuring names
    /// every field so that a new one cannot be forgotten here: `get(pk=...)` caches the
    /// statement of plain queries only (`query/pk_get.rs`).
    pub(crate) fn is_plain(&self) -> bool {
        let Query {
            model: _,
            joins,
            where_,
            order_by,
            default_ordering,
            standard_ordering,
            low_mark,
            high_mark,
            distinct,
            distinct_fields,
            select,
            loaded_fields,
            lock,
            prefix,
            related,
            combinator,
            used_aliases,
            annotations,
            group_by,
            summarize,
            values_order,
        } = self;
        joins.len() == 1
            && joins[0].join_type == JoinType::Base
            && where_.is_empty()
            && order_by.is_empty()
            && *default_ordering
            && *standard_ordering
            && *low_mark == 0
            && high_mark.is_none()
            && !*distinct
            && distinct_fields.is_empty()
            && select.is_none()
            && loaded_fields.is_none()
            && lock.is_none()
            && prefix.is_none()
            && matches!(related.select_related, super::related::SelectRelated::Off)
            && related.prefetch_col.is_none()
            && combinator.is_none()
            && used_aliases.is_empty()
            && annotations.is_empty()
            && group_by.is_none()
            && !*summarize
            && values_order.is_empty()
    }

    /// Called when a queryset is chained: the next `filter()` starts with no reusable
    /// multi-valued joins.
    pub(crate) fn chain(&mut self) {
        self.used_aliases.clear();
    }

    /// True once `[a:b]` was applied.
    pub(crate) fn is_sliced(&self) -> bool {
        self.low_mark != 0 || self.high_mark.is_some()
    }

    /// Django's `set_limits`.
    pub(crate) fn set_limits(&mut self, low: Option<u64>, high: Option<u64>) {
        if let Some(h) = high {
            self.high_mark = Some(match self.high_mark {
                Some(cur) => cur.min(self.low_mark + h),
                None => self.low_mark + h,
            });
        }
        if let Some(l) = low {
            self.low_mark = match self.high_mark {
                Some(cur) => cur.min(self.low_mark + l),
                None => self.low_mark + l,
            };
        }
        if Some(self.low_mark) == self.high_mark {
            self.set_empty();
        }
    }

    /// Django's `set_empty`: the query matches nothing and runs no SQL.
    pub(crate) fn set_empty(&mut self) {
        self.where_.add(WhereNode::Nothing, Connector::And);
    }

    /// The alias of a new join: its table's name when free (borrowed like the name),
    /// else `T<n>` (or `<prefix><n>` in a subquery).
    fn alias_name(&self, join: &Join) -> Cow<'static, str> {
        match self.prefix {
            Some(p) => Cow::Owned(format!("{p}{}", self.joins.len())),
            None if self.joins.iter().any(|j| j.table == join.table) => {
                Cow::Owned(format!("T{}", self.joins.len() + 1))
            }
            None => join.table.clone(),
        }
    }

    /// Django's `Query.join`: reuses an equal join (single-valued joins always,
    /// multi-valued ones when `reuse` allows), otherwise creates one.
    fn join(&mut self, mut join: Join, m2m: bool, reuse: Option<&[usize]>) -> usize {
        let reuse_ok = |i: usize| -> bool {
            if !m2m {
                return true;
            }
            match reuse {
                None => true,
                Some(set) => set.contains(&i),
            }
        };
        if let Some(i) = (0..self.joins.len()).find(|&i| reuse_ok(i) && self.joins[i].same_as(&join)) {
            self.joins[i].refcount += 1;
            return i;
        }
        let parent_louter = self.joins[join.parent].join_type == JoinType::LeftOuter;
        join.join_type = if parent_louter || join.nullable {
            JoinType::LeftOuter
        } else {
            JoinType::Inner
        };
        join.alias = self.alias_name(&join);
        join.refcount = 1;
        self.joins.push(join);
        self.joins.len() - 1
    }

    /// The column of `field`, one of the concrete fields of `meta`, for the instance of
    /// `meta` at join `alias`. A field inherited from a multi-table parent lives in the
    /// parent's table, joined INNER through the parent link (Django's
    /// `join_parent_model`), reusing an existing join.
    pub(crate) fn model_col(
        &mut self,
        meta: &'static ModelMeta,
        alias: usize,
        field: &'static Field,
    ) -> SqlExpr {
        let mut opts = meta;
        let mut alias = alias;
        while opts.parent.is_some() && opts.is_inherited(field) {
            let (Some(link), Some(parent)) = (opts.parent, opts.parent_meta()) else {
                break;
            };
            let Some(ptr) = opts.local_fields().iter().find(|f| f.name == link.field) else {
                break;
            };
            let join = Join {
                table: Cow::Borrowed(parent.db_table),
                alias: Cow::Borrowed(""),
                parent: alias,
                from_col: ptr.column,
                to_col: parent.pk().column.to_owned(),
                join_type: JoinType::Inner,
                nullable: false,
                refcount: 0,
                extra: None,
            };
            alias = self.join(join, false, None);
            opts = parent;
        }
        SqlExpr::Col {
            alias,
            column: field.column.to_owned(),
            field,
        }
    }

    /// Django's `setup_joins`: follows `names` from the base table, creating or reusing
    /// joins. Trailing names that are not fields come back as `transforms`.
    pub(crate) fn setup_joins(&mut self, names: &[&str], reuse: Option<&[usize]>) -> Result<JoinInfo> {
        let mut resolved = None;
        let mut last_err = None;
        for pivot in (1..=names.len()).rev() {
            match names::names_to_path(&names[..pivot], self.model, true) {
                Ok(r) => {
                    resolved = Some((r, pivot));
                    break;
                }
                Err(e) => {
                    if pivot == 1 {
                        return Err(e);
                    }
                    last_err = Some(e);
                }
            }
        }
        let Some((r, pivot)) = resolved else {
            return Err(last_err.unwrap_or_else(|| names::cannot_resolve(self.model, "")));
        };
        let transforms: Vec<String> = names[pivot..].iter().map(|s| s.to_string()).collect();
        if !transforms.is_empty() {
            // An invalid transform on a local field reports the field error instead.
            let kind = match r.final_field {
                FinalField::Field(f) => LhsKind::Field(f.field_type),
                FinalField::Relation { class_name } => LhsKind::Relation(class_name),
            };
            if kind.get_transform(&transforms[0]).is_none()
                && find_transform(kind, None, &transforms[0]).is_none()
                && !matches!(kind, LhsKind::Field(crate::models::meta::FieldType::JSONField))
            {
                if let (FinalField::Field(_), Some(e)) = (r.final_field, last_err) {
                    return Err(e);
                }
            }
        }
        let mut joins = vec![0];
        let mut alias = 0;
        for p in &r.path {
            let join = Join {
                table: Cow::Owned(p.table.clone()),
                alias: Cow::Borrowed(""),
                parent: alias,
                from_col: p.from_col,
                to_col: p.to_col.clone(),
                join_type: JoinType::Inner,
                nullable: if p.direct { p.nullable } else { true },
                refcount: 0,
                extra: p.extra.map(Box::new),
            };
            alias = self.join(join, p.m2m, reuse);
            joins.push(alias);
        }
        Ok(JoinInfo {
            final_field: r.final_field,
            target: r.target,
            target_col: r.target_col,
            joins,
            path: r.path,
            transforms,
        })
    }

    /// Django's `trim_joins`: drops trailing forward joins whose target column is
    /// available on the previous table (`author__id` is `book.author_id`).
    pub(crate) fn trim_joins(&mut self, info: &JoinInfo) -> (usize, String, &'static Field, Vec<usize>) {
        let mut joins = info.joins.clone();
        let mut col = info.target_col.clone();
        let mut field = info.target;
        for p in info.path.iter().rev() {
            if joins.len() == 1 || !p.direct || p.to_col != col {
                break;
            }
            col = p.from_col.to_owned();
            field = p.from_field;
            if let Some(j) = joins.pop() {
                self.unref(j);
            }
        }
        let alias = *joins.last().unwrap_or(&0);
        (alias, col, field, joins)
    }

    fn unref(&mut self, alias: usize) {
        if let Some(j) = self.joins.get_mut(alias) {
            j.refcount = j.refcount.saturating_sub(1);
        }
    }

    pub(super) fn promote_joins(&mut self, mut aliases: Vec<usize>) {
        while !aliases.is_empty() {
            let alias = aliases.remove(0);
            let j = &self.joins[alias];
            if j.join_type == JoinType::Base {
                continue;
            }
            let parent_louter = self.joins[j.parent].join_type == JoinType::LeftOuter;
            if (j.nullable || parent_louter) && j.join_type != JoinType::LeftOuter {
                self.joins[alias].join_type = JoinType::LeftOuter;
                for (i, child) in self.joins.iter().enumerate() {
                    if child.parent == alias && child.join_type != JoinType::Base && !aliases.contains(&i) {
                        aliases.push(i);
                    }
                }
            }
        }
    }

    fn demote_joins(&mut self, mut aliases: Vec<usize>) {
        while !aliases.is_empty() {
            let alias = aliases.remove(0);
            if self.joins[alias].join_type == JoinType::LeftOuter {
                self.joins[alias].join_type = JoinType::Inner;
                let parent = self.joins[alias].parent;
                if self.joins[parent].join_type == JoinType::Inner {
                    aliases.push(parent);
                }
            }
        }
    }

    /// Django's `add_q`: adds a filter (or, negated, an exclusion).
    pub(crate) fn add_q(&mut self, q: &Q) -> Result<()> {
        let existing_inner: Vec<usize> = (0..self.joins.len())
            .filter(|&i| self.joins[i].join_type == JoinType::Inner)
            .collect();
        let mut used = std::mem::take(&mut self.used_aliases);
        let result = self.add_q_inner(q, &mut used, false, false);
        self.used_aliases = used;
        let (clause, _) = result?;
        self.where_.add(clause, Connector::And);
        self.demote_joins(existing_inner);
        Ok(())
    }

    pub(super) fn add_q_inner(
        &mut self,
        q: &Q,
        used: &mut Vec<usize>,
        branch_negated: bool,
        current_negated: bool,
    ) -> Result<(WhereNode, Vec<usize>)> {
        let current_negated = current_negated ^ q.negated;
        let branch_negated = branch_negated || q.negated;
        let mut target = WhereNode::Node {
            connector: q.connector,
            negated: q.negated,
            children: Vec::new(),
        };
        let mut promoter = JoinPromoter::new(q.connector, q.children.len(), current_negated);
        for child in &q.children {
            let (clause, needed_inner) = match child {
                QChild::Q(inner) => self.add_q_inner(inner, used, branch_negated, current_negated)?,
                QChild::Lookup(path, rhs) => {
                    self.build_filter(path, rhs, used, branch_negated, current_negated)?
                }
                QChild::Expr(e) => super::subqueries::build_condition(self, e, used)?,
            };
            promoter.add_votes(&needed_inner);
            if !clause.is_empty() {
                target.add(clause, q.connector);
            }
        }
        let needed_inner = promoter.update_join_types(self);
        Ok((target, needed_inner))
    }

    /// Resolves an expression (an `F` path becomes a column, joining as needed).
    pub(crate) fn resolve_expression(
        &mut self,
        expr: &Expression,
        reuse: Option<&[usize]>,
    ) -> Result<SqlExpr> {
        Ok(match expr {
            Expression::Value(v) => SqlExpr::Param(v.clone()),
            Expression::F(path) => self.resolve_ref(path, reuse)?.0,
            Expression::Combined(l, op, r) => SqlExpr::Arith(
                Box::new(self.resolve_expression(l, reuse)?),
                *op,
                Box::new(self.resolve_expression(r, reuse)?),
            ),
            e @ (Expression::OuterRef(_) | Expression::Subquery(_) | Expression::Exists(_)) => {
                super::subqueries::resolve(self, e)?
            }
            other => self.resolve_other_expression(other, reuse)?,
        })
    }

    /// Resolves a path (with optional trailing transforms) to an expression, returning
    /// the joins it used.
    pub(crate) fn resolve_ref(
        &mut self,
        path: &str,
        reuse: Option<&[usize]>,
    ) -> Result<(SqlExpr, Vec<usize>)> {
        if let Some(e) = self.resolve_annotation_ref(path)? {
            return Ok((e, Vec::new()));
        }
        let names: Vec<&str> = path.split("__").collect();
        let info = self
            .setup_joins(&names, reuse)
            .map_err(|e| self.with_annotation_choices(e))?;
        let (alias, column, field, joins) = self.trim_joins(&info);
        let mut expr = SqlExpr::Col { alias, column, field };
        let mut kind = match info.final_field {
            FinalField::Field(f) => LhsKind::Field(f.field_type),
            FinalField::Relation { class_name } => LhsKind::Relation(class_name),
        };
        for (i, t) in info.transforms.iter().enumerate() {
            let Some((next, next_kind, _)) = transform_step(kind, t, expr)? else {
                return Err(kind.unsupported(&info.transforms, i));
            };
            expr = next;
            kind = next_kind;
        }
        Ok((expr, joins))
    }

    /// Django's `build_filter` for one `(path, rhs)` lookup.
    fn build_filter(
        &mut self,
        path: &str,
        rhs: &Rhs,
        can_reuse: &mut Vec<usize>,
        branch_negated: bool,
        current_negated: bool,
    ) -> Result<(WhereNode, Vec<usize>)> {
        if let Some(r) = self.build_annotation_filter(path, rhs, can_reuse)? {
            return Ok(r);
        }
        let parts: Vec<&str> = path.split("__").collect();
        // solve_lookup_type: which names are fields, which are lookups.
        let resolved =
            names::names_to_path(&parts, self.model, false).map_err(|e| self.with_annotation_choices(e))?;
        let lookups = resolved.rest.clone();
        let field_parts = &parts[..parts.len() - lookups.len()];

        // A negated condition across a multi-valued relation becomes a subquery.
        if branch_negated && resolved.path.iter().any(|p| p.m2m) {
            return self.split_exclude(path, rhs, &resolved, &can_reuse[..]);
        }

        let pre_refcounts: Vec<usize> = self.joins.iter().map(|j| j.refcount).collect();
        let value = self.resolve_rhs(rhs, Some(can_reuse))?;
        let mut used_joins: Vec<usize> = (0..self.joins.len())
            .filter(|&i| self.joins[i].refcount > pre_refcounts.get(i).copied().unwrap_or(0))
            .collect();

        let info = self.setup_joins(field_parts, Some(can_reuse))?;
        for j in &info.joins {
            if !used_joins.contains(j) {
                used_joins.push(*j);
            }
        }
        let (alias, column, field, join_list) = self.trim_joins(&info);
        for j in &join_list {
            if !can_reuse.contains(j) {
                can_reuse.push(*j);
            }
        }
        let kind = match info.final_field {
            FinalField::Field(f) => LhsKind::Field(f.field_type),
            FinalField::Relation { class_name } => LhsKind::Relation(class_name),
        };
        let target_column = column.clone();
        let lhs = SqlExpr::Col { alias, column, field };
        let condition = self.build_lookup(&lookups, lhs, kind, Some(field), value)?;
        let (lookup_name, rhs_is_null_true, rhs_is_null_false) = match &condition {
            WhereNode::Lookup(l) => (
                Some(l.name),
                matches!(l.rhs, LookupRhs::IsNull(true)),
                matches!(l.rhs, LookupRhs::IsNull(false)),
            ),
            // A registered lookup: negated, it gets Django's `IS NOT NULL` like `exact`.
            WhereNode::Expr(_) => (Some(LookupName::Exact), false, false),
            _ => (None, false, false),
        };
        let mut clause = WhereNode::and();
        clause.add(condition, Connector::And);

        let is_isnull = lookup_name == Some(LookupName::IsNull);
        let mut require_outer = is_isnull && rhs_is_null_true && !current_negated;
        if current_negated && (!is_isnull || rhs_is_null_false) && lookup_name.is_some() {
            require_outer = true;
            if !is_isnull {
                let last_louter = join_list
                    .last()
                    .is_some_and(|&j| self.joins[j].join_type == JoinType::LeftOuter);
                let target_nullable = match info.final_field {
                    FinalField::Field(f) => f.null,
                    FinalField::Relation { .. } => field.null,
                };
                if target_nullable || last_louter {
                    clause.add(
                        WhereNode::Lookup(Box::new(Lookup {
                            lhs: SqlExpr::Col {
                                alias,
                                column: target_column.clone(),
                                field,
                            },
                            name: LookupName::IsNull,
                            rhs: LookupRhs::IsNull(false),
                            lhs_type: field.field_type,
                        })),
                        Connector::And,
                    );
                }
                // `col <op> F(other)` with a nullable other column: other IS NOT NULL.
                if let WhereNode::Node { children, .. } = &clause {
                    if let Some(WhereNode::Lookup(l)) = children.first() {
                        if let LookupRhs::Expr(SqlExpr::Col { alias, column, field }) = &l.rhs {
                            if field.null {
                                let extra = WhereNode::Lookup(Box::new(Lookup {
                                    lhs: SqlExpr::Col {
                                        alias: *alias,
                                        column: column.clone(),
                                        field,
                                    },
                                    name: LookupName::IsNull,
                                    rhs: LookupRhs::IsNull(false),
                                    lhs_type: field.field_type,
                                }));
                                clause.add(extra, Connector::And);
                            }
                        }
                    }
                }
            }
        }
        Ok((clause, if require_outer { Vec::new() } else { used_joins }))
    }

    /// Resolves a lookup's right-hand side.
    pub(super) fn resolve_rhs(&mut self, rhs: &Rhs, reuse: Option<&[usize]>) -> Result<ResolvedRhs> {
        Ok(match rhs {
            Rhs::Expr(Expression::Value(v)) => ResolvedRhs::Value(v.clone()),
            Rhs::Expr(e) => ResolvedRhs::Expr(self.resolve_expression(e, reuse)?),
            Rhs::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for e in items {
                    out.push(match e {
                        Expression::Value(v) => ResolvedRhs::Value(v.clone()),
                        e => ResolvedRhs::Expr(self.resolve_expression(e, reuse)?),
                    });
                }
                ResolvedRhs::List(out)
            }
            Rhs::Query(qs) => {
                qs.check()?;
                let mut inner = qs.query.clone();
                super::subqueries::embed(self, &mut inner)?;
                ResolvedRhs::Query(Box::new(inner))
            }
        })
    }

    /// Django's `build_lookup`: applies transforms, picks the lookup, prepares values.
    /// `field` is the model field behind `lhs` (`None` for an annotation).
    pub(super) fn build_lookup(
        &mut self,
        lookups: &[String],
        lhs: SqlExpr,
        kind: LhsKind,
        field: Option<&'static Field>,
        rhs: ResolvedRhs,
    ) -> Result<WhereNode> {
        let default = ["exact".to_owned()];
        let lookups: &[String] = if lookups.is_empty() { &default } else { lookups };
        let (transforms, last) = lookups.split_at(lookups.len() - 1);
        let mut lhs = lhs;
        let mut kind = kind;
        let mut transform_chain: Vec<Transform> = Vec::new();
        // Registered transforms applied so far, and the bilateral ones among them.
        let mut custom_applied = false;
        let mut bilateral: Vec<Arc<CustomTransform>> = Vec::new();
        // A custom field class's own registrations apply to the untransformed column.
        let field_class = field.and_then(|f| f.custom).map(|c| c.name);
        for (i, name) in transforms.iter().enumerate() {
            if let LhsKind::Field(t) = kind {
                // django.contrib.postgres's transforms (array index, slice, len, ranges).
                if let Some((e, out)) = crate::contrib::postgres::lookups::transform(t, name, &lhs) {
                    return self.build_lookup(&lookups[i + 1..], e, LhsKind::Field(out), None, rhs);
                }
            }
            let class = field_class.filter(|_| i == 0);
            let Some((expr, next, step)) = transform_step_of(kind, class, name, lhs)? else {
                return Err(kind.unsupported_of(class, lookups, i));
            };
            match step {
                TransformStep::Builtin(t) => transform_chain.push(t),
                TransformStep::Custom(t) => {
                    custom_applied = true;
                    if t.is_bilateral() {
                        bilateral.push(t);
                    }
                }
                TransformStep::Json => custom_applied = true,
            }
            lhs = expr;
            kind = next;
        }
        let mut lookup_name = last[0].as_str();
        let mut rhs = rhs;
        let class = field_class.filter(|_| transform_chain.is_empty() && !custom_applied);
        if let Some(custom) = find_lookup(kind, class, lookup_name) {
            let prep_type = match kind {
                LhsKind::Field(t) => t,
                LhsKind::Relation(_) => crate::models::meta::FieldType::IntegerField,
            };
            let untransformed = transform_chain.is_empty() && !custom_applied;
            let prep_field = field.filter(|_| untransformed);
            // Django's `get_prep_lookup`: one value converted to the lhs field's type.
            let prep_one = |r: ResolvedRhs, in_list: bool| -> Result<SqlExpr> {
                Ok(match r {
                    ResolvedRhs::Value(Value::Null) if in_list => SqlExpr::Param(Value::Null),
                    ResolvedRhs::Value(Value::Null) => {
                        return Err(DbError::ValueError("Cannot use None as a query value".to_owned()))
                    }
                    ResolvedRhs::Value(v) if custom.prepares_rhs() => {
                        let v = prep_value(
                            prep_type,
                            prep_field.map(|f| f.name).unwrap_or("None"),
                            prep_field,
                            v,
                        )?;
                        SqlExpr::Param(match prep_field.and_then(|f| f.custom) {
                            Some(c) => c.prep(v)?,
                            None => v,
                        })
                    }
                    ResolvedRhs::Value(v) => SqlExpr::Param(v),
                    ResolvedRhs::Expr(e) => e,
                    ResolvedRhs::Query(q) => SqlExpr::Subquery(q),
                    ResolvedRhs::List(_) => {
                        return Err(DbError::TypeError(format!(
                            "The '{lookup_name}' lookup takes a single value, not a list."
                        )))
                    }
                })
            };
            let rhs = match rhs {
                // An iterable lookup (`In`-like): each item bound, rendered `(?, ?, ...)`.
                ResolvedRhs::List(items) if custom.is_iterable() => {
                    let items = items
                        .into_iter()
                        .map(|r| apply_bilateral(&bilateral, prep_one(r, true)?))
                        .collect::<Result<Vec<_>>>()?;
                    custom.rhs_list(items)?
                }
                ResolvedRhs::Query(q) if custom.is_iterable() => SqlExpr::Subquery(q),
                _ if custom.is_iterable() => {
                    return Err(DbError::TypeError(format!(
                        "The '{lookup_name}' lookup takes a list of values."
                    )))
                }
                r => apply_bilateral(&bilateral, prep_one(r, false)?)?,
            };
            return custom.condition(lhs, rhs);
        }
        if let LhsKind::Field(t) = kind {
            // django.contrib.postgres's lookups (search, arrays, ranges).
            if let Some(node) = crate::contrib::postgres::lookups::build(t, &last[0], &lhs, &rhs)? {
                return Ok(node);
            }
            if let Some((e, out)) = crate::contrib::postgres::lookups::transform(t, &last[0], &lhs) {
                return self.build_lookup(&[], e, LhsKind::Field(out), None, rhs);
            }
        }
        if let LhsKind::Field(crate::models::meta::FieldType::JSONField) = kind {
            if !json::is_json_lookup(lookup_name) && kind.get_lookup(lookup_name).is_none() {
                // A key (`data__owner`), compared with `exact`.
                lhs = json::apply_key(lhs, lookup_name);
                custom_applied = true;
                lookup_name = "exact";
            }
            match json::lookup(lhs, lookup_name, rhs)? {
                json::JsonLookup::Node(node) => return Ok(node),
                json::JsonLookup::Text(text, r) => {
                    lhs = text;
                    kind = LhsKind::Field(crate::models::meta::FieldType::TextField);
                    custom_applied = true;
                    rhs = r;
                }
                json::JsonLookup::Builtin(l, r) => {
                    lhs = l;
                    rhs = r;
                }
            }
        }
        let lookup = match kind.get_lookup(lookup_name) {
            Some(l) => l,
            None => {
                let Some((expr, next, step)) = transform_step_of(kind, class, lookup_name, lhs)? else {
                    return Err(kind.unsupported_of(class, lookups, lookups.len() - 1));
                };
                match step {
                    TransformStep::Builtin(t) => transform_chain.push(t),
                    TransformStep::Custom(t) => {
                        custom_applied = true;
                        if t.is_bilateral() {
                            bilateral.push(t);
                        }
                    }
                    TransformStep::Json => custom_applied = true,
                }
                lhs = expr;
                kind = next;
                LookupName::Exact
            }
        };
        // The field type values are prepared for.
        let untransformed = transform_chain.is_empty() && !custom_applied;
        let prep_type = match (kind, field) {
            (LhsKind::Field(t), Some(field)) if untransformed => {
                if field.is_foreign_key() {
                    column_type(field)
                } else {
                    t
                }
            }
            (LhsKind::Field(t), _) => t,
            (LhsKind::Relation(_), Some(field)) => column_type(field),
            (LhsKind::Relation(_), None) => crate::models::meta::FieldType::IntegerField,
        };
        let (prep_name, prep_field): (&str, _) = match field {
            Some(field) if untransformed => (field.name, Some(field)),
            _ => ("None", None),
        };
        // Django's `get_prep_lookup`: the field's `get_prep_value` (a custom field's too),
        // except for the pattern lookups (`prepare_rhs = False`).
        let prep_type_only = |v: Value| prep_value(prep_type, prep_name, prep_field, v);
        let prep = |v: Value| -> Result<Value> {
            let v = prep_value(prep_type, prep_name, prep_field, v)?;
            match prep_field.and_then(|f| f.custom) {
                Some(c) => c.prep(v),
                None => Ok(v),
            }
        };

        // `__exact=None` is `IS NULL`; None elsewhere is an error.
        if let ResolvedRhs::Value(Value::Null) = rhs {
            if lookup != LookupName::IsNull {
                if !matches!(lookup, LookupName::Exact | LookupName::IExact) {
                    return Err(DbError::ValueError("Cannot use None as a query value".to_owned()));
                }
                return Ok(WhereNode::Lookup(Box::new(Lookup {
                    lhs,
                    name: LookupName::IsNull,
                    rhs: LookupRhs::IsNull(true),
                    lhs_type: prep_type,
                })));
            }
        }

        let rhs = match lookup {
            LookupName::IsNull => match rhs {
                ResolvedRhs::Value(Value::Bool(b)) => LookupRhs::IsNull(b),
                _ => {
                    return Err(DbError::ValueError(
                        "The QuerySet value for an isnull lookup must be True or False.".to_owned(),
                    ))
                }
            },
            LookupName::In => match rhs {
                ResolvedRhs::Query(q) => LookupRhs::Query(q),
                ResolvedRhs::List(items) => {
                    // An integer past 64 bits is kept (as for `exact`) so that the
                    // compiler leaves it out as outside the column's range.
                    let integer = integer_lookup(prep_type, &transform_chain);
                    let mut out: Vec<SqlExpr> = Vec::with_capacity(items.len());
                    let mut seen: Vec<Value> = Vec::new();
                    for item in items {
                        match item {
                            ResolvedRhs::Value(Value::Null) => {}
                            ResolvedRhs::Value(v) => {
                                let v = if integer {
                                    prep_integer_lookup(LookupName::Exact, v, &prep)?
                                } else {
                                    prep(v)?
                                };
                                if !seen.contains(&v) {
                                    seen.push(v.clone());
                                    out.push(SqlExpr::Param(v));
                                }
                            }
                            ResolvedRhs::Expr(e) => out.push(e),
                            _ => {
                                return Err(DbError::TypeError(
                                    "unsupported value inside an 'in' list".to_owned(),
                                ))
                            }
                        }
                    }
                    if out.is_empty() {
                        return Ok(WhereNode::Nothing);
                    }
                    LookupRhs::List(out)
                }
                ResolvedRhs::Value(Value::Text(s)) => {
                    let mut out = Vec::new();
                    for c in s.chars() {
                        let v = prep(Value::Text(c.to_string()))?;
                        out.push(SqlExpr::Param(v));
                    }
                    if out.is_empty() {
                        return Ok(WhereNode::Nothing);
                    }
                    LookupRhs::List(out)
                }
                ResolvedRhs::Value(v) => {
                    return Err(DbError::TypeError(format!(
                        "'{}' object is not iterable",
                        v.type_name()
                    )))
                }
                ResolvedRhs::Expr(e) => LookupRhs::Expr(e),
            },
            LookupName::Range => match rhs {
                ResolvedRhs::List(mut items) if items.len() == 2 => {
                    let b = items.pop().map(|x| self.rhs_expr(x, &prep)).transpose()?;
                    let a = items.pop().map(|x| self.rhs_expr(x, &prep)).transpose()?;
                    match (a, b) {
                        (Some(a), Some(b)) => LookupRhs::Range(a, b),
                        _ => return Err(DbError::ValueError("range needs two values".to_owned())),
                    }
                }
                ResolvedRhs::List(items) => {
                    return Err(DbError::ValueError(format!(
                        "not enough values to unpack (expected 2, got {})",
                        items.len()
                    )))
                }
                ResolvedRhs::Value(v) => {
                    return Err(DbError::TypeError(format!(
                        "'{}' object is not iterable",
                        v.type_name()
                    )))
                }
                _ => return Err(DbError::TypeError("range needs a pair of values".to_owned())),
            },
            l if l.is_pattern() || matches!(l, LookupName::Regex | LookupName::IRegex) => match rhs {
                ResolvedRhs::Value(v) => {
                    let v = if l == LookupName::IExact || l.is_pattern() {
                        prep_type_only(v)?
                    } else {
                        v
                    };
                    LookupRhs::Expr(SqlExpr::Param(Value::Text(super::lookups::py_str(&v))))
                }
                ResolvedRhs::Expr(e) => LookupRhs::Expr(e),
                other => return Err(bad_rhs(&other)),
            },
            // Integer lookups keep a value past 64 bits for the range check (not for the
            // year lookups, whose bounds report Django's "year ... is out of range").
            _ if integer_lookup(prep_type, &transform_chain) => match rhs {
                ResolvedRhs::Value(v) => {
                    LookupRhs::Expr(SqlExpr::Param(prep_integer_lookup(lookup, v, &prep)?))
                }
                ResolvedRhs::Expr(e) => LookupRhs::Expr(e),
                ResolvedRhs::Query(q) => LookupRhs::Query(q),
                other => return Err(bad_rhs(&other)),
            },
            _ => match rhs {
                ResolvedRhs::Value(v) => LookupRhs::Expr(SqlExpr::Param(prep(v)?)),
                ResolvedRhs::Expr(e) => LookupRhs::Expr(e),
                ResolvedRhs::Query(q) => LookupRhs::Query(q),
                other => return Err(bad_rhs(&other)),
            },
        };

        // Year lookups against a direct value use BETWEEN bounds on the raw column.
        if let (Some(&last_t), SqlExpr::Transform(_, inner, input)) = (transform_chain.last(), &lhs) {
            if matches!(last_t, Transform::Year | Transform::IsoYear)
                && matches!(
                    lookup,
                    LookupName::Exact | LookupName::Gt | LookupName::Gte | LookupName::Lt | LookupName::Lte
                )
            {
                if let LookupRhs::Expr(SqlExpr::Param(Value::Int(year))) = &rhs {
                    let datetime = *input == crate::models::meta::FieldType::DateTimeField;
                    let (lo, hi) = year_bounds(*year, last_t == Transform::IsoYear, datetime)?;
                    let (name, rhs) = match lookup {
                        LookupName::Exact => (
                            LookupName::Range,
                            LookupRhs::Range(SqlExpr::Param(lo), SqlExpr::Param(hi)),
                        ),
                        LookupName::Gt => (LookupName::Gt, LookupRhs::Expr(SqlExpr::Param(hi))),
                        LookupName::Gte => (LookupName::Gte, LookupRhs::Expr(SqlExpr::Param(lo))),
                        LookupName::Lt => (LookupName::Lt, LookupRhs::Expr(SqlExpr::Param(lo))),
                        _ => (LookupName::Lte, LookupRhs::Expr(SqlExpr::Param(hi))),
                    };
                    return Ok(WhereNode::Lookup(Box::new(Lookup {
                        lhs: (**inner).clone(),
                        name,
                        rhs,
                        lhs_type: *input,
                    })));
                }
            }
        }

        let rhs = if bilateral.is_empty() {
            rhs
        } else {
            bilateral_rhs(&bilateral, rhs)?
        };
        Ok(WhereNode::Lookup(Box::new(Lookup {
            lhs,
            name: lookup,
            rhs,
            lhs_type: prep_type,
        })))
    }

    fn rhs_expr(&self, r: ResolvedRhs, prep: &dyn Fn(Value) -> Result<Value>) -> Result<SqlExpr> {
        match r {
            ResolvedRhs::Value(v) => Ok(SqlExpr::Param(prep(v)?)),
            ResolvedRhs::Expr(e) => Ok(e),
            other => Err(bad_rhs(&other)),
        }
    }

    /// Django's `split_exclude`: `NOT EXISTS (SELECT ... WHERE inner.fk = outer.pk AND
    /// <condition>)` for a negated condition across a multi-valued relation.
    fn split_exclude(
        &mut self,
        path: &str,
        rhs: &Rhs,
        resolved: &names::ResolvedPath,
        can_reuse: &[usize],
    ) -> Result<(WhereNode, Vec<usize>)> {
        let mut inner = Query::with_prefix(self.model, Some(next_prefix(self.prefix)));
        let mut inner_used = Vec::new();
        let (clause, _) = inner.add_q_inner(&Q::lookup(path, rhs.clone()), &mut inner_used, false, false)?;
        inner.where_.add(clause, Connector::And);

        // trim_start: drop the single-valued prefix joins before the first m2m hop.
        let first_m2m = resolved.path.iter().position(|p| p.m2m).unwrap_or(0);
        // The joins created for the lookup path, in path order (base first).
        let mut lookup_joins = vec![0usize];
        {
            let mut parent = 0usize;
            for p in &resolved.path {
                let found = (0..inner.joins.len()).find(|&i| {
                    i != 0
                        && inner.joins[i].parent == parent
                        && inner.joins[i].table == p.table
                        && inner.joins[i].from_col == p.from_col
                        && inner.joins[i].to_col == p.to_col
                });
                match found {
                    Some(i) => {
                        lookup_joins.push(i);
                        parent = i;
                    }
                    None => break,
                }
            }
        }
        let mut contains_louter = false;
        for t in 0..first_m2m {
            if let Some(&j) = lookup_joins.get(t + 1) {
                if inner.joins[j].join_type == JoinType::LeftOuter {
                    contains_louter = true;
                }
            }
            inner.unref(lookup_joins[t]);
        }
        // The prefix names (single-valued) plus the parent-side target of the m2m hop.
        let mut prefix_names: Vec<String> = Vec::new();
        let mut paths_in_prefix = first_m2m;
        for (name, n) in &resolved.names_with_path {
            if paths_in_prefix < *n {
                break;
            }
            prefix_names.push(name.clone());
            paths_in_prefix -= n;
        }
        let m2m_path = &resolved.path[first_m2m];
        let parent_field = m2m_path.from_field;
        prefix_names.push(parent_field.name.to_owned());

        let (Some(&parent_alias), Some(&first_join)) =
            (lookup_joins.get(first_m2m), lookup_joins.get(first_m2m + 1))
        else {
            return Err(DbError::FieldError(format!(
                "Cannot resolve '{path}' for exclusion"
            )));
        };
        let (select_alias, select_col, select_field) =
            if inner.joins[first_join].join_type != JoinType::LeftOuter {
                inner.unref(parent_alias);
                (first_join, m2m_path.to_col.clone(), parent_field)
            } else {
                (parent_alias, m2m_path.from_col.to_owned(), parent_field)
            };
        // The first referenced table becomes the FROM of the subquery.
        if let Some(first) = (0..inner.joins.len()).find(|&i| inner.joins[i].refcount > 0) {
            inner.joins[first].join_type = JoinType::Base;
        }
        inner.select = Some(vec![SelectCol {
            name: "a".to_owned(),
            expr: SqlExpr::Col {
                alias: select_alias,
                column: select_col.clone(),
                field: select_field,
            },
        }]);
        inner.default_ordering = false;
        inner.order_by.clear();

        // Correlate with the outer query: inner.col = outer.<prefix>.
        let prefix_refs: Vec<&str> = prefix_names.iter().map(String::as_str).collect();
        let info = self.setup_joins(&prefix_refs, Some(can_reuse))?;
        let (alias, column, field, _) = self.trim_joins(&info);
        let outer = SqlExpr::OuterCol {
            up: 1,
            alias,
            column,
            field,
        };
        inner.where_.add(
            WhereNode::Lookup(Box::new(Lookup {
                lhs: SqlExpr::Col {
                    alias: select_alias,
                    column: select_col,
                    field: select_field,
                },
                name: LookupName::Exact,
                rhs: LookupRhs::Expr(outer.clone()),
                lhs_type: field.field_type,
            })),
            Connector::And,
        );
        let mut condition = WhereNode::and();
        condition.add(WhereNode::Exists(Box::new(inner)), Connector::And);
        if contains_louter {
            let is_null = WhereNode::Lookup(Box::new(Lookup {
                lhs: match outer {
                    SqlExpr::OuterCol { column, field, .. } => SqlExpr::Col { alias, column, field },
                    other => other,
                },
                name: LookupName::IsNull,
                rhs: LookupRhs::IsNull(true),
                lhs_type: field.field_type,
            }));
            condition.add(is_null, Connector::Or);
        }
        Ok((condition, Vec::new()))
    }

    /// Django's `bump_prefix`: renames every alias to `<prefix><n>` so the query can be
    /// nested inside another.
    pub(crate) fn relabel(&mut self, prefix: char) {
        self.prefix = Some(prefix);
        for (i, j) in self.joins.iter_mut().enumerate() {
            j.alias = Cow::Owned(format!("{prefix}{i}"));
        }
        super::subqueries::relabel_nested(self, prefix);
    }

    /// The outer-join-safe resolution of a name used by `values()` and `order_by()`:
    /// reuses any existing join (Django passes `can_reuse=None`).
    pub(crate) fn resolve_select(&mut self, path: &str) -> Result<SqlExpr> {
        Ok(self.resolve_ref(path, None)?.0)
    }

    /// Adds the default `values()` columns or the named ones.
    pub(crate) fn set_values(&mut self, names: &[String]) -> Result<()> {
        // Annotation names select annotations (annotate.rs); the rest are fields.
        let field_names = self.values_prepare(names)?;
        let mut cols = Vec::new();
        match field_names {
            None => {
                for f in self.model.concrete_fields() {
                    let expr = self.model_col(self.model, 0, f);
                    cols.push(SelectCol {
                        name: f.attname.to_owned(),
                        expr,
                    });
                }
            }
            Some(field_names) => {
                for n in &field_names {
                    let expr = self.resolve_select(n)?;
                    cols.push(SelectCol {
                        name: n.clone(),
                        expr,
                    });
                }
            }
        }
        self.select = Some(cols);
        Ok(())
    }

    /// Validates ordering names the way Django's `add_ordering` does (at call time).
    pub(crate) fn check_ordering_name(&self, name: &str) -> Result<()> {
        // Joins do not matter for validation: resolve on an empty query of the model.
        if self.annotations.iter().any(|a| a.name == name) {
            return Ok(());
        }
        let mut probe = Query::with_prefix(self.model, self.prefix);
        probe.annotations = self.annotations.clone();
        probe.resolve_ref(name, None).map(|_| ())
    }
}

/// A right-hand side after its expressions are resolved but before values are prepared.
#[derive(Debug)]
pub(crate) enum ResolvedRhs {
    Value(Value),
    Expr(SqlExpr),
    List(Vec<ResolvedRhs>),
    Query(Box<Query>),
}

/// Whether a lookup's values go through Django's integer lookups (`IntegerFieldExact`
/// and the comparisons): an integer column, except under the year transforms, whose
/// bounds report Django's "year ... is out of range" instead.
fn integer_lookup(prep_type: crate::models::meta::FieldType, transforms: &[Transform]) -> bool {
    prep_type.is_integer() && !matches!(transforms.last(), Some(Transform::Year | Transform::IsoYear))
}

fn bad_rhs(r: &ResolvedRhs) -> DbError {
    match r {
        ResolvedRhs::Value(v) => DbError::TypeError(format!("unsupported value {}", py_repr(v))),
        _ => DbError::TypeError("a list or subquery is not valid for this lookup".to_owned()),
    }
}

/// The alias prefix of a query nested inside one with `prefix`.
pub(crate) fn next_prefix(prefix: Option<char>) -> char {
    match prefix {
        None => 'U',
        Some(c) => char::from_u32(c as u32 + 1)
            .filter(|c| c.is_ascii_uppercase())
            .unwrap_or('A'),
    }
}
