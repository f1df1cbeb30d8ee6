//! Annotations on a [`Query`]: Django's `add_annotation`, `resolve_ref` over
//! annotations, `set_group_by`, filters against annotations (WHERE, or HAVING for
//! aggregates), and the resolution of functions, aggregates, `Case` and `Q`
//! expressions.

use crate::error::{DbError, Result};
use crate::value::Value;

use super::aggregates::Aggregate;
use super::expressions::{Expression, Rhs};
use super::func::{expand_template, Func, Output, OutputField};
use super::lookups::LhsKind;
use super::q::{Connector, Q};
use super::query::Query;
use super::where_::{LookupRhs, SqlExpr, WhereNode};

/// One `annotate()` / `alias()` entry.
#[derive(Debug, Clone)]
pub(crate) struct Annotation {
    pub name: String,
    pub expr: SqlExpr,
    /// In the SELECT clause (`annotate`), or only usable in filters and ordering
    /// (`alias`, or masked out by `values()`).
    pub select: bool,
    /// Added by `aggregate()` itself (Django's `is_summary`).
    pub is_summary: bool,
}

/// One explicit `GROUP BY` item.
#[derive(Debug, Clone)]
pub(crate) enum GroupItem {
    Expr(SqlExpr),
    /// A selected annotation, by name (Django's `Ref`).
    Ref(String),
}

/// Django's `Query.group_by`.
#[derive(Debug, Clone)]
pub(crate) enum GroupBy {
    /// `True`: every selected column.
    All,
    Items(Vec<GroupItem>),
}

/// A resolved aggregate's options.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedAgg {
    pub distinct: bool,
    pub filter: Option<WhereNode>,
    /// The value over no rows (`Count`: 0), also used when the filter matches nothing.
    pub empty_value: Option<Value>,
}

/// A resolved [`Func`]: its rendering (the `Func` without arguments) and resolved
/// arguments.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedFunc {
    pub def: Func,
    pub args: Vec<SqlExpr>,
    pub output: Option<OutputField>,
    pub aggregate: Option<ResolvedAgg>,
}

/// A resolved `Case`.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedCase {
    pub whens: Vec<(WhereNode, SqlExpr)>,
    pub default: SqlExpr,
    pub output: Option<OutputField>,
}

impl SqlExpr {
    /// True when `found` holds for the expression or one of its sub-expressions, in
    /// this query (nested queries and window internals are not entered): the walk behind
    /// Django's `contains_aggregate` and `contains_over_clause`.
    pub(crate) fn any_expr(&self, found: &dyn Fn(&SqlExpr) -> bool) -> bool {
        found(self)
            || match self {
                SqlExpr::Func(f) => f.args.iter().any(|a| a.any_expr(found)),
                SqlExpr::Arith(l, _, r) => l.any_expr(found) || r.any_expr(found),
                SqlExpr::Transform(_, e, _) | SqlExpr::Wrapped(e, _) => e.any_expr(found),
                SqlExpr::Case(c) => {
                    c.default.any_expr(found)
                        || c.whens
                            .iter()
                            .any(|(w, t)| w.any_expr(found) || t.any_expr(found))
                }
                SqlExpr::Cond(w) => w.any_expr(found),
                _ => false,
            }
    }

    /// Django's `contains_aggregate`.
    pub(crate) fn contains_aggregate(&self) -> bool {
        self.any_expr(&|e| matches!(e, SqlExpr::Func(f) if f.aggregate.is_some()))
    }

    /// Django's `get_group_by_cols`.
    pub(crate) fn group_by_cols(&self) -> Vec<SqlExpr> {
        match self {
            SqlExpr::Param(_) | SqlExpr::Star | SqlExpr::OuterCol { .. } => Vec::new(),
            SqlExpr::Func(f) if f.aggregate.is_some() => Vec::new(),
            SqlExpr::Cond(w) => w.group_by_cols(),
            SqlExpr::Wrapped(e, _) => e.group_by_cols(),
            SqlExpr::Case(c) if c.whens.is_empty() => c.default.group_by_cols(),
            SqlExpr::Window(w) => w.group_by_cols(),
            e if !e.contains_aggregate() => vec![e.clone()],
            SqlExpr::Func(f) => f.args.iter().flat_map(SqlExpr::group_by_cols).collect(),
            SqlExpr::Arith(l, _, r) => {
                let mut v = l.group_by_cols();
                v.extend(r.group_by_cols());
                v
            }
            SqlExpr::Transform(_, e, _) => e.group_by_cols(),
            SqlExpr::Case(c) => {
                let mut v = Vec::new();
                for (w, t) in &c.whens {
                    v.extend(w.group_by_cols());
                    v.extend(t.group_by_cols());
                }
                v.extend(c.default.group_by_cols());
                v
            }
            _ => Vec::new(),
        }
    }

    /// The names of the annotations referenced through `Ref` (Django's `get_refs`).
    pub(crate) fn refs(&self, out: &mut Vec<String>) {
        match self {
            SqlExpr::Ref(n, _) => out.push(n.clone()),
            SqlExpr::Func(f) => f.args.iter().for_each(|a| a.refs(out)),
            SqlExpr::Arith(l, _, r) => {
                l.refs(out);
                r.refs(out);
            }
            SqlExpr::Transform(_, e, _) | SqlExpr::Wrapped(e, _) => e.refs(out),
            SqlExpr::Window(w) => {
                w.source.refs(out);
                w.partition_by.iter().for_each(|p| p.refs(out));
                w.order_by.iter().for_each(|o| o.expr.refs(out));
            }
            SqlExpr::Case(c) => {
                c.whens.iter().for_each(|(_, t)| t.refs(out));
                c.default.refs(out);
            }
            _ => {}
        }
    }

    /// Replaces every column with `f(column)` (Django's `replace_expressions` over the
    /// `Col`s an aggregate references).
    pub(crate) fn map_cols(&mut self, f: &mut dyn FnMut(&SqlExpr) -> SqlExpr) {
        match self {
            SqlExpr::Col { .. } => *self = f(self),
            SqlExpr::Func(func) => {
                func.args.iter_mut().for_each(|a| a.map_cols(f));
                if let Some(w) = func.aggregate.as_mut().and_then(|a| a.filter.as_mut()) {
                    w.map_cols(f);
                }
            }
            SqlExpr::Arith(l, _, r) => {
                l.map_cols(f);
                r.map_cols(f);
            }
            SqlExpr::Transform(_, e, _) | SqlExpr::Wrapped(e, _) => e.map_cols(f),
            SqlExpr::Window(w) => w.children_mut().into_iter().for_each(|c| c.map_cols(f)),
            SqlExpr::Case(c) => {
                for (w, t) in c.whens.iter_mut() {
                    w.map_cols(f);
                    t.map_cols(f);
                }
                c.default.map_cols(f);
            }
            SqlExpr::Cond(w) => w.map_cols(f),
            _ => {}
        }
    }
}

impl WhereNode {
    /// [`SqlExpr::any_expr`] over the node's conditions (lookup sides and boolean
    /// expressions).
    pub(crate) fn any_expr(&self, found: &dyn Fn(&SqlExpr) -> bool) -> bool {
        match self {
            WhereNode::Node { children, .. } => children.iter().any(|c| c.any_expr(found)),
            WhereNode::Lookup(l) => {
                l.lhs.any_expr(found)
                    || match &l.rhs {
                        LookupRhs::Expr(e) => e.any_expr(found),
                        LookupRhs::List(items) => items.iter().any(|e| e.any_expr(found)),
                        LookupRhs::Range(a, b) => a.any_expr(found) || b.any_expr(found),
                        _ => false,
                    }
            }
            WhereNode::Expr(e) => e.any_expr(found),
            _ => false,
        }
    }

    /// True when a condition of the node involves an aggregate (Django's
    /// `WhereNode.contains_aggregate`).
    pub(crate) fn contains_aggregate(&self) -> bool {
        self.any_expr(&|e| matches!(e, SqlExpr::Func(f) if f.aggregate.is_some()))
    }

    fn group_by_cols(&self) -> Vec<SqlExpr> {
        match self {
            WhereNode::Node { children, .. } => children.iter().flat_map(WhereNode::group_by_cols).collect(),
            WhereNode::Lookup(l) => {
                let mut v = l.lhs.group_by_cols();
                match &l.rhs {
                    LookupRhs::Expr(e) => v.extend(e.group_by_cols()),
                    LookupRhs::List(items) => v.extend(items.iter().flat_map(SqlExpr::group_by_cols)),
                    LookupRhs::Range(a, b) => {
                        v.extend(a.group_by_cols());
                        v.extend(b.group_by_cols());
                    }
                    _ => {}
                }
                v
            }
            _ => Vec::new(),
        }
    }

    fn map_cols(&mut self, f: &mut dyn FnMut(&SqlExpr) -> SqlExpr) {
        match self {
            WhereNode::Node { children, .. } => children.iter_mut().for_each(|c| c.map_cols(f)),
            WhereNode::Lookup(l) => {
                l.lhs.map_cols(f);
                match &mut l.rhs {
                    LookupRhs::Expr(e) => e.map_cols(f),
                    LookupRhs::List(items) => items.iter_mut().for_each(|e| e.map_cols(f)),
                    LookupRhs::Range(a, b) => {
                        a.map_cols(f);
                        b.map_cols(f);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Django's `split_having_qualify` (without windows): the WHERE part and the
    /// HAVING part of a filter tree.
    pub(crate) fn split_having(&self, negated: bool) -> (Option<WhereNode>, Option<WhereNode>) {
        if !self.contains_aggregate() {
            return (Some(self.clone()), None);
        }
        let WhereNode::Node {
            connector,
            negated: n,
            children,
        } = self
        else {
            return (None, Some(self.clone()));
        };
        let in_negated = negated ^ n;
        let must_remain_connected =
            (*connector == Connector::Or && !in_negated) || (*connector == Connector::And && in_negated);
        if must_remain_connected {
            return (None, Some(self.clone()));
        }
        let (mut w, mut h) = (Vec::new(), Vec::new());
        for c in children {
            let (a, b) = c.split_having(in_negated);
            w.extend(a);
            h.extend(b);
        }
        let make = |parts: Vec<WhereNode>| {
            (!parts.is_empty()).then(|| WhereNode::Node {
                connector: *connector,
                negated: *n,
                children: parts,
            })
        };
        (make(w), make(h))
    }
}

/// The output field of an argument for Django's output resolution (a value's type
/// comes from the Python type).
fn source_output(e: &SqlExpr) -> Option<OutputField> {
    match e {
        SqlExpr::Param(v) => OutputField::of_value(v),
        other => other.output_field(),
    }
}

/// Django's `BaseExpression._resolve_output_field`.
pub(crate) fn resolve_sources(sources: &[&SqlExpr]) -> Result<Option<OutputField>> {
    let mut it = sources.iter().filter_map(|s| source_output(s));
    let Some(first) = it.next() else { return Ok(None) };
    for other in it {
        if !first.is_instance_of(other.ty) {
            return Err(DbError::FieldError(format!(
                "Expression contains mixed types: {}, {}. You must set output_field.",
                first.ty.name(),
                other.ty.name()
            )));
        }
    }
    Ok(Some(first))
}

/// Django's `NumericOutputFieldMixin._resolve_output_field`.
pub(crate) fn resolve_numeric(sources: &[&SqlExpr]) -> Result<Option<OutputField>> {
    use crate::models::meta::FieldType;
    let outs: Vec<OutputField> = sources.iter().filter_map(|s| source_output(s)).collect();
    if outs.iter().any(|o| o.ty == FieldType::DecimalField) {
        return Ok(Some(OutputField::new(FieldType::DecimalField)));
    }
    if outs.iter().any(|o| o.is_instance_of(FieldType::IntegerField)) {
        return Ok(Some(OutputField::new(FieldType::FloatField)));
    }
    if outs.is_empty() {
        return Ok(Some(OutputField::new(FieldType::FloatField)));
    }
    resolve_sources(sources)
}

impl Query {
    /// The annotation called `name`.
    pub(crate) fn annotation(&self, name: &str) -> Option<&super::annotate::Annotation> {
        self.annotations.iter().find(|a| a.name == name)
    }

    /// True when there are annotations containing aggregates (Django's existing
    /// aggregation).
    pub(crate) fn has_aggregate_annotations(&self) -> bool {
        self.annotations.iter().any(|a| a.expr.contains_aggregate())
    }

    /// Adds the selected annotation names to a "Cannot resolve keyword" message's
    /// choices, as Django's `names_to_path` lists them.
    pub(crate) fn with_annotation_choices(&self, e: DbError) -> DbError {
        let names: Vec<&str> = self
            .annotations
            .iter()
            .filter(|a| a.select)
            .map(|a| a.name.as_str())
            .collect();
        match e {
            DbError::FieldError(m) if !names.is_empty() && m.starts_with("Cannot resolve keyword '") => {
                match m.split_once("Choices are: ") {
                    Some((head, list)) => {
                        let mut all: Vec<&str> = list.split(", ").collect();
                        all.extend(names);
                        all.sort_unstable();
                        all.dedup();
                        DbError::FieldError(format!("{head}Choices are: {}", all.join(", ")))
                    }
                    None => DbError::FieldError(m),
                }
            }
            other => other,
        }
    }

    /// Django's `resolve_ref` for a name that starts with an annotation (`n`,
    /// `n__year`); `None` when it does not.
    pub(crate) fn resolve_annotation_ref(&mut self, path: &str) -> Result<Option<SqlExpr>> {
        if self.annotations.is_empty() {
            return Ok(None);
        }
        let mut parts = path.split("__");
        let first = parts.next().unwrap_or_default();
        let Some(a) = self.annotation(first) else {
            return Ok(None);
        };
        if self.summarize && !a.select {
            return Err(DbError::FieldError(format!(
                "Cannot aggregate over the '{first}' alias. Use annotate() to promote it."
            )));
        }
        let mut expr = if self.summarize && (a.is_summary || a.expr.contains_aggregate()) {
            SqlExpr::Ref(a.name.clone(), a.expr.output_field())
        } else {
            a.expr.clone()
        };
        let rest: Vec<String> = parts.map(str::to_owned).collect();
        for (i, t) in rest.iter().enumerate() {
            let out = expr
                .output_field()
                .map(|o| o.ty)
                .unwrap_or(crate::models::meta::FieldType::IntegerField);
            let kind = LhsKind::Field(out);
            let Some((next, _, _)) = super::custom_lookups::transform_step(kind, t, expr)? else {
                return Err(kind.unsupported(&rest, i));
            };
            expr = next;
        }
        Ok(Some(expr))
    }

    /// Resolves the expression kinds of this module (functions, `Case`, `Q`, wrappers).
    pub(crate) fn resolve_other_expression(
        &mut self,
        e: &Expression,
        reuse: Option<&[usize]>,
    ) -> Result<SqlExpr> {
        match e {
            Expression::Func(f) => self.resolve_func(f, reuse),
            Expression::Case(c) => {
                let mut whens = Vec::with_capacity(c.whens.len());
                for w in &c.whens {
                    if w.condition.is_empty() {
                        return Err(DbError::ValueError(
                            "An empty Q() can't be used as a When() condition.".into(),
                        ));
                    }
                    let cond = self.resolve_condition(&w.condition)?;
                    let then = self.resolve_expression(&w.then, reuse)?;
                    whens.push((cond, then));
                }
                let default = match &c.default {
                    Some(d) => self.resolve_expression(d, reuse)?,
                    None => SqlExpr::Param(Value::Null),
                };
                let output = match c.output {
                    Some(o) => Some(o),
                    None => {
                        let mut sources: Vec<&SqlExpr> = whens.iter().map(|(_, t)| t).collect();
                        sources.push(&default);
                        resolve_sources(&sources)?
                    }
                };
                Ok(SqlExpr::Case(Box::new(ResolvedCase {
                    whens,
                    default,
                    output,
                })))
            }
            Expression::Q(q) => Ok(SqlExpr::Cond(Box::new(self.resolve_condition(q)?))),
            Expression::Wrapper(inner, o) => Ok(SqlExpr::Wrapped(
                Box::new(self.resolve_expression(inner, reuse)?),
                *o,
            )),
            Expression::Star => Ok(SqlExpr::Star),
            Expression::Window(w) => self.resolve_window(w, reuse),
            other => self.resolve_expression(other, reuse),
        }
    }

    /// Django's `Q.resolve_expression`: the condition, with the joins it needs promoted
    /// to LEFT OUTER (a condition must not remove rows).
    pub(crate) fn resolve_condition(&mut self, q: &Q) -> Result<WhereNode> {
        // Django passes `reuse=None`: every existing join may be reused.
        let mut used: Vec<usize> = (0..self.joins.len()).collect();
        let (clause, needed) = self.add_q_inner(q, &mut used, false, false)?;
        self.promote_joins(needed);
        Ok(clause)
    }

    /// Django's `Func.resolve_expression` / `Aggregate.resolve_expression`.
    pub(crate) fn resolve_func(&mut self, f: &Func, reuse: Option<&[usize]>) -> Result<SqlExpr> {
        Aggregate::validate(f)?;
        if let Some(check) = f.check {
            check(f)?;
        }
        let mut args = Vec::with_capacity(f.args.len());
        for a in &f.args {
            args.push(self.resolve_expression(a, reuse)?);
        }
        if f.is_aggregate() {
            if self.summarize {
                let mut refs = Vec::new();
                args.iter().for_each(|a| a.refs(&mut refs));
                for r in refs {
                    if self.annotation(&r).is_some_and(|a| a.is_summary) {
                        return Err(DbError::FieldError(format!(
                            "Cannot compute {}('{r}'): '{r}' is an aggregate",
                            f.name
                        )));
                    }
                }
            } else {
                for (i, a) in args.iter().enumerate() {
                    if a.contains_aggregate() {
                        let name = f.arg_name(i);
                        return Err(DbError::FieldError(format!(
                            "Cannot compute {}('{name}'): '{name}' is an aggregate",
                            f.name
                        )));
                    }
                }
            }
        }
        super::functions::datetime::check_input(f, args.first())?;
        let refs: Vec<&SqlExpr> = args.iter().collect();
        let output = match f.output {
            Output::Field(o) => Some(o),
            Output::Numeric => resolve_numeric(&refs)?,
            Output::Sources => resolve_sources(&refs)?,
            Output::First => resolve_sources(&refs[..refs.len().min(1)])?,
        };
        let mut def = f.clone();
        def.args = Vec::new();
        let aggregate = match &f.aggregate {
            Some(o) => Some(ResolvedAgg {
                distinct: o.distinct,
                filter: match &o.filter {
                    Some(q) => Some(self.resolve_condition(q)?),
                    None => None,
                },
                empty_value: o.empty_value.clone(),
            }),
            None => None,
        };
        let default = f.aggregate.as_ref().and_then(|o| o.default.clone());
        let resolved = SqlExpr::Func(Box::new(ResolvedFunc {
            def,
            args,
            output,
            aggregate,
        }));
        match default {
            None => Ok(resolved),
            Some(d) => {
                let d = self.resolve_expression(&d, reuse)?;
                Ok(SqlExpr::Func(Box::new(ResolvedFunc {
                    def: Func::new("COALESCE", Vec::<Expression>::new()).named("Coalesce"),
                    args: vec![resolved, d],
                    output,
                    aggregate: None,
                })))
            }
        }
    }

    /// Django's `add_annotation` (and `_annotate`'s checks): resolves `expr` and adds
    /// it under `name`.
    pub(crate) fn add_annotation(&mut self, name: &str, expr: &Expression, select: bool) -> Result<()> {
        let resolved = self.resolve_expression(expr, None)?;
        self.annotations.retain(|a| a.name != name);
        self.annotations.push(Annotation {
            name: name.to_owned(),
            expr: resolved,
            select,
            is_summary: false,
        });
        Ok(())
    }

    /// Django's `set_group_by(allow_aliases)`: group by the selected columns and the
    /// selected non-aggregate annotations.
    pub(crate) fn set_group_by(&mut self, allow_aliases: bool) {
        let mut items: Vec<GroupItem> = Vec::new();
        if let Some(cols) = &self.select {
            items.extend(cols.iter().map(|c| GroupItem::Expr(c.expr.clone())));
        }
        for a in self.annotations.iter().filter(|a| a.select) {
            let cols = a.expr.group_by_cols();
            if cols.is_empty() {
                continue;
            }
            if allow_aliases && !a.expr.contains_aggregate() {
                items.push(GroupItem::Ref(a.name.clone()));
            } else {
                items.extend(cols.into_iter().map(GroupItem::Expr));
            }
        }
        self.group_by = Some(GroupBy::Items(items));
    }

    /// Django's `set_values` for annotations: masks the annotations not asked for,
    /// reports aliases that cannot be selected, turns `group_by=True` into explicit
    /// columns, and returns the field names to select (`None`: every concrete field).
    pub(crate) fn values_prepare(&mut self, names: &[String]) -> Result<Option<Vec<String>>> {
        self.values_order = names.to_vec();
        let field_names = if names.is_empty() {
            None
        } else if self.annotations.is_empty() {
            Some(names.to_vec())
        } else {
            let mut fields = Vec::new();
            let mut selected = Vec::new();
            for n in names {
                match self.annotation(n) {
                    Some(a) if a.select => selected.push(n.clone()),
                    Some(_) => {
                        return Err(DbError::FieldError(format!(
                            "Cannot select the '{n}' alias. Use annotate() to promote it."
                        )))
                    }
                    None => fields.push(n.clone()),
                }
            }
            for a in self.annotations.iter_mut() {
                a.select = selected.contains(&a.name);
            }
            Some(fields)
        };
        match &self.group_by {
            Some(GroupBy::All) => {
                let model = self.model;
                let mut items: Vec<GroupItem> = model
                    .concrete_fields()
                    .map(|f| GroupItem::Expr(self.model_col(model, 0, f)))
                    .collect();
                for a in self.annotations.iter().filter(|a| a.select) {
                    items.extend(a.expr.group_by_cols().into_iter().map(GroupItem::Expr));
                }
                self.group_by = Some(GroupBy::Items(items));
            }
            Some(GroupBy::Items(items)) => {
                let items = items
                    .iter()
                    .map(|it| match it {
                        GroupItem::Ref(n) if !names.contains(n) => match self.annotation(n) {
                            Some(a) => GroupItem::Expr(a.expr.clone()),
                            None => it.clone(),
                        },
                        other => other.clone(),
                    })
                    .collect();
                self.group_by = Some(GroupBy::Items(items));
            }
            None => {}
        }
        Ok(field_names)
    }

    /// A filter whose path starts with an annotation (`n__gt=2`): Django's
    /// `refs_expression` branch of `build_filter`. `None` when the path names no
    /// annotation.
    pub(crate) fn build_annotation_filter(
        &mut self,
        path: &str,
        rhs: &Rhs,
        can_reuse: &[usize],
    ) -> Result<Option<(WhereNode, Vec<usize>)>> {
        if self.annotations.is_empty() {
            return Ok(None);
        }
        let parts: Vec<&str> = path.split("__").collect();
        let mut found = None;
        for n in 1..=parts.len() {
            let name = parts[..n].join("__");
            if let Some(a) = self.annotation(&name) {
                found = Some((a.expr.clone(), n));
                break;
            }
        }
        let Some((expr, n)) = found else { return Ok(None) };
        let lookups: Vec<String> = parts[n..].iter().map(|s| s.to_string()).collect();
        let value = self.resolve_rhs(rhs, Some(can_reuse))?;
        let out = expr
            .output_field()
            .map(|o| o.ty)
            .unwrap_or(crate::models::meta::FieldType::IntegerField);
        let condition = self.build_lookup(&lookups, expr, LhsKind::Field(out), None, value)?;
        let mut clause = WhereNode::and();
        clause.add(condition, Connector::And);
        Ok(Some((clause, Vec::new())))
    }
}

/// Expands a function template for the compiler (re-exported for `render`).
pub(crate) fn expand(
    template: &str,
    function: &str,
    joiner: &str,
    nargs: usize,
    extra: &[(&str, String)],
    named: &[&str],
) -> Result<(String, Vec<usize>)> {
    expand_template(template, function, joiner, nargs, extra, named).map_err(DbError::ValueError)
}
