//! `annotate()`, `alias()` and `aggregate()` on [`DynQuerySet`]: Django's
//! `QuerySet._annotate` and `Query.get_aggregation`, including the subquery Django
//! wraps around an aggregation over existing aggregates, a slice or `distinct()`.

use std::sync::Arc;

use sea_query::Alias;

use crate::backends::{Row, Vendor};
use crate::connection;
use crate::error::{DbError, Result};
use crate::value::Value;

use super::annotate::{Annotation, GroupBy, GroupItem};
use super::compiler::{CompiledSql, Compiler, SelectMode};
use super::convert::convert_output;
use super::expressions::Expression;
use super::func::OutputField;
use super::query::{Query, SelectCol};
use super::queryset::{DynQuerySet, RowsKind};
use super::where_::SqlExpr;

/// The SQL of an `aggregate()` call, with what is needed to read its single row.
#[derive(Debug, Clone)]
pub struct AggregateSql {
    /// `None` when the query matches nothing (the result is then [`Self::empty`]).
    pub compiled: Option<CompiledSql>,
    pub names: Vec<String>,
    /// The result over no rows: `Count` 0, `default` when given, else NULL.
    pub empty: Vec<Value>,
    outputs: Vec<Option<OutputField>>,
}

/// Django's `check_alias`.
fn check_alias(alias: &str) -> Result<()> {
    let bad = alias
        .chars()
        .any(|c| c.is_whitespace() || c == '"' || c == '\'' || c == '`' || c == ';')
        || alias.contains("--")
        || alias.contains("/*");
    if bad {
        return Err(DbError::ValueError(
            "Column aliases cannot contain whitespace characters, quotation marks, semicolons, or SQL comments."
                .into(),
        ));
    }
    Ok(())
}

/// The value of an expression over no rows (Django's `empty_result_set_value`).
fn empty_value(e: &SqlExpr) -> Value {
    match e {
        SqlExpr::Func(f) => match &f.aggregate {
            Some(a) => a.empty_value.clone().unwrap_or(Value::Null),
            None if f.def.function == "COALESCE" => f
                .args
                .iter()
                .map(empty_value)
                .find(|v| !v.is_null())
                .unwrap_or(Value::Null),
            None => Value::Null,
        },
        SqlExpr::Param(v) => v.clone(),
        _ => Value::Null,
    }
}

impl DynQuerySet {
    fn add_annotations(self, items: Vec<(String, Expression)>, select: bool) -> Self {
        self.chain().try_with(|qs| {
            let meta = qs.model();
            let mut names: Vec<&str> = super::names::field_choices(meta);
            names.push("pk");
            let mut any_aggregate = false;
            for (name, expr) in &items {
                check_alias(name)?;
                if names.contains(&name.as_str()) {
                    return Err(DbError::ValueError(format!(
                        "The annotation '{name}' conflicts with a field on the model."
                    )));
                }
                qs.query.add_annotation(name, expr, select)?;
                any_aggregate |= qs
                    .query
                    .annotation(name)
                    .is_some_and(|a| a.expr.contains_aggregate());
            }
            if any_aggregate {
                if qs.kind == RowsKind::Models {
                    qs.query.group_by = Some(GroupBy::All);
                } else {
                    qs.query.set_group_by(true);
                }
            }
            Ok(())
        })
    }

    /// `annotate(name=expression, ...)`: adds a computed value to every row
    /// (aggregates group by the rows, or by the `values()` columns when `values()`
    /// came first). Annotations work in `filter`/`exclude` (HAVING for aggregates),
    /// `order_by` and `values`.
    pub fn annotate<S: Into<String>, E: Into<Expression>>(
        self,
        items: impl IntoIterator<Item = (S, E)>,
    ) -> Self {
        let items = items.into_iter().map(|(n, e)| (n.into(), e.into())).collect();
        self.add_annotations(items, true)
    }

    /// `alias(name=expression, ...)`: like `annotate()` but not selected; usable in
    /// `filter`, `exclude` and `order_by`.
    pub fn alias<S: Into<String>, E: Into<Expression>>(
        self,
        items: impl IntoIterator<Item = (S, E)>,
    ) -> Self {
        let items = items.into_iter().map(|(n, e)| (n.into(), e.into())).collect();
        self.add_annotations(items, false)
    }

    /// The SQL `aggregate(...)` runs (Django's `get_aggregation`).
    pub fn aggregate_sql<S: AsRef<str>>(
        &self,
        vendor: Vendor,
        items: &[(S, Expression)],
    ) -> Result<AggregateSql> {
        self.check()?;
        if !self.query.distinct_fields.is_empty() {
            return Err(DbError::NotSupportedError(
                "aggregate() + distinct(fields) not implemented.".into(),
            ));
        }
        let mut q = self.query.clone();
        q.chain();
        q.summarize = true;
        let before = q.annotations.len();
        for (alias, expr) in items {
            let alias = alias.as_ref();
            check_alias(alias)?;
            let resolved = q.resolve_expression(expr, None)?;
            if !resolved.contains_aggregate() {
                return Err(DbError::TypeError(format!(
                    "{alias} is not an aggregate expression"
                )));
            }
            q.annotations.retain(|a| a.name != alias);
            q.annotations.push(Annotation {
                name: alias.to_owned(),
                expr: resolved,
                select: true,
                is_summary: true,
            });
        }
        q.summarize = false;
        let aggregates: Vec<Annotation> = q.annotations.split_off(before.min(q.annotations.len()));
        let (_, having) = q.where_.split_having(false);
        let has_existing = q.has_aggregate_annotations() || having.is_some();
        let names: Vec<String> = aggregates.iter().map(|a| a.name.clone()).collect();
        let outputs: Vec<Option<OutputField>> = aggregates.iter().map(|a| a.expr.output_field()).collect();
        let empty: Vec<Value> = aggregates.iter().map(|a| empty_value(&a.expr)).collect();
        let mut c = Compiler::for_db(vendor, self.db());
        let grouped = matches!(q.group_by, Some(GroupBy::Items(_)));
        let qualify = q.where_.contains_over_clause();
        let compiled = if grouped || q.is_sliced() || has_existing || q.distinct || qualify {
            let mut inner = q.clone();
            inner.lock = None;
            if !inner.is_sliced() && inner.distinct_fields.is_empty() {
                inner.order_by.clear();
                inner.default_ordering = false;
            }
            if !inner.distinct {
                if inner.select.is_none() && has_existing {
                    let pk = inner.model.pk();
                    inner.group_by = Some(GroupBy::Items(vec![GroupItem::Expr(SqlExpr::Col {
                        alias: 0,
                        column: pk.column.to_owned(),
                        field: pk,
                    })]));
                }
                if inner.select.is_none() {
                    inner.select = Some(Vec::new());
                }
                let mut keep = Vec::new();
                if let Some(GroupBy::Items(items)) = &inner.group_by {
                    for it in items {
                        match it {
                            GroupItem::Ref(n) => keep.push(n.clone()),
                            GroupItem::Expr(e) => e.refs(&mut keep),
                        }
                    }
                }
                for a in &aggregates {
                    a.expr.refs(&mut keep);
                }
                for a in inner.annotations.iter_mut() {
                    a.select = keep.contains(&a.name);
                }
            }
            // Columns the aggregates use become `__colN` of the inner query.
            let mut col_refs: Vec<(String, String)> = Vec::new();
            let mut outer: Vec<Annotation> = Vec::new();
            for a in &aggregates {
                let mut e = a.expr.clone();
                e.map_cols(&mut |col| {
                    let key = format!("{col:?}");
                    let name = match col_refs.iter().find(|(k, _)| *k == key) {
                        Some((_, n)) => n.clone(),
                        None => {
                            let n = format!("__col{}", col_refs.len() + 1);
                            col_refs.push((key, n.clone()));
                            inner.annotations.push(Annotation {
                                name: n.clone(),
                                expr: col.clone(),
                                select: true,
                                is_summary: false,
                            });
                            n
                        }
                    };
                    SqlExpr::Ref(name, col.output_field())
                });
                outer.push(Annotation { expr: e, ..a.clone() });
            }
            let nothing_selected = inner.select.as_ref().is_some_and(Vec::is_empty)
                && !inner.annotations.iter().any(|a| a.select);
            if nothing_selected {
                let pk = inner.model.pk();
                inner.select = Some(vec![SelectCol {
                    name: "pk".into(),
                    expr: SqlExpr::Col {
                        alias: 0,
                        column: pk.column.to_owned(),
                        field: pk,
                    },
                }]);
            }
            match c.select(&inner, SelectMode::Rows)? {
                None => None,
                Some(sub) => {
                    let mut stmt = sea_query::Query::select();
                    for a in &outer {
                        let e = c.expr(&inner, &a.expr)?;
                        stmt.expr_as(e, Alias::new(a.name.clone()));
                    }
                    stmt.from_subquery(sub, Alias::new("subquery"));
                    Some(c.finish(&stmt))
                }
            }
        } else {
            q.select = Some(Vec::new());
            q.annotations = aggregates;
            q.order_by.clear();
            q.default_ordering = false;
            q.lock = None;
            c.select(&q, SelectMode::Rows)?.map(|stmt| c.finish(&stmt))
        };
        Ok(AggregateSql {
            compiled,
            names,
            empty,
            outputs,
        })
    }

    /// `aggregate(name=Aggregate(...), ...)`: one row of summary values, as a [`Row`]
    /// keyed by the names (`row.try_get_by_name::<f64>("avg")` for a typed value).
    pub async fn aggregate<S: AsRef<str>, E: Into<Expression> + Clone>(
        &self,
        items: &[(S, E)],
    ) -> Result<Row> {
        let items: Vec<(String, Expression)> = items
            .iter()
            .map(|(n, e)| (n.as_ref().to_owned(), e.clone().into()))
            .collect();
        let vendor = connection::prepare(self.db()).await?;
        let plan = self.aggregate_sql(vendor, &items)?;
        let names: Arc<[String]> = plan.names.clone().into();
        let Some(c) = &plan.compiled else {
            return Ok(Row::new(names, plan.empty));
        };
        let rows = connection::fetch(self.db(), &c.sql, &c.params).await?;
        let values = match rows.into_iter().next() {
            Some(r) => r
                .into_values()
                .into_iter()
                .zip(plan.outputs.iter())
                .map(|(v, o)| convert_output(v, *o))
                .collect(),
            None => plan.empty,
        };
        Ok(Row::new(names, values))
    }
}

/// Prepares `q` for `count()` over a grouped query: Django counts the groups in a
/// subquery, selecting only the primary key (or the `values()` columns).
pub(crate) fn count_inner(q: &mut Query) {
    if q.distinct {
        return;
    }
    if q.select.is_none() && (q.group_by.is_some() || q.has_aggregate_annotations()) {
        let pk = q.model.pk();
        let col = SqlExpr::Col {
            alias: 0,
            column: pk.column.to_owned(),
            field: pk,
        };
        q.group_by = Some(GroupBy::Items(vec![GroupItem::Expr(col.clone())]));
        q.select = Some(vec![SelectCol {
            name: "pk".into(),
            expr: col,
        }]);
    }
    for a in q.annotations.iter_mut() {
        a.select = false;
    }
}
