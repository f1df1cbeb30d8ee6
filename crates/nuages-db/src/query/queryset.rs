//! [`DynQuerySet`]: the lazy, chainable queryset over a model known at run time (the
//! dynamic front end the admin, REST filters, fixtures and the conformance runner use).
//! [`QuerySet<M>`](super::QuerySet) wraps it with the model type.
//!
//! Building never runs SQL. Like Django, a bad name is detected when the method is
//! called; the error is kept and returned by the first evaluation (`fetch`, `count`,
//! `get`, ...) or by [`DynQuerySet::check`], so chains stay plain method calls.

use std::borrow::Cow;
use std::sync::Arc;

use crate::backends::{Cells, Row, ValueCells, Vendor};
use crate::connection;
use crate::error::{DbError, Result};
use crate::models::meta::ModelMeta;
use crate::transaction;
use crate::value::Value;

use super::compiler::{order_term_from_str, CompiledSql, Compiler, SelectMode};
use super::convert::{convert, Unchanged};
use super::expressions::{Expression, OrderBy, Rhs};
use super::iterables::{ModelPlan, RowPlan, RowsSink};
use super::q::Q;
use super::query::{LockSpec, OrderTerm, Query, SelectCol};
use super::where_::SqlExpr;

/// What the rows of a queryset are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowsKind {
    /// Model instances (every loaded concrete field, keyed by attname).
    Models,
    /// `values()`: dicts.
    Values,
    /// `values_list()`: tuples (`named`: named tuples).
    ValuesList { flat: bool, named: bool },
}

/// A queryset over a model known at run time.
#[derive(Debug, Clone)]
pub struct DynQuerySet {
    pub(crate) query: Query,
    /// `using()`'s alias. `"default"` is kept as the static string it is, not copied
    /// into an allocation of its own per queryset.
    pub(crate) using: Option<Cow<'static, str>>,
    pub(crate) kind: RowsKind,
    /// `prefetch_related()` lookups, run after the query (see `query/prefetch.rs`).
    pub(crate) prefetch: Vec<super::prefetch::Prefetch>,
    error: Option<Arc<DbError>>,
}

/// Re-creates an error (errors are kept in the queryset and returned on evaluation).
pub(crate) fn copy_error(e: &DbError) -> DbError {
    match e {
        DbError::DoesNotExist { model } => DbError::DoesNotExist { model },
        DbError::MultipleObjectsReturned { model, count } => DbError::MultipleObjectsReturned {
            model,
            count: count.clone(),
        },
        DbError::FieldError(m) => DbError::FieldError(m.clone()),
        DbError::FieldDoesNotExist(m) => DbError::FieldDoesNotExist(m.clone()),
        DbError::ValueError(m) => DbError::ValueError(m.clone()),
        DbError::TypeError(m) => DbError::TypeError(m.clone()),
        DbError::IntegrityError(m) => DbError::IntegrityError(m.clone()),
        DbError::NotSupportedError(m) => DbError::NotSupportedError(m.clone()),
        DbError::DatabaseError(m) => DbError::DatabaseError(m.clone()),
        DbError::TransactionManagementError(m) => DbError::TransactionManagementError(m.clone()),
        DbError::AttributeError(m) => DbError::AttributeError(m.clone()),
        DbError::RelatedDoesNotExist { class, message } => DbError::RelatedDoesNotExist {
            class,
            message: message.clone(),
        },
        other => DbError::DatabaseError(other.to_string()),
    }
}

impl DynQuerySet {
    /// `Model.objects.all()` for `meta`.
    pub fn new(meta: &'static ModelMeta) -> DynQuerySet {
        DynQuerySet {
            query: Query::new(meta),
            using: None,
            kind: RowsKind::Models,
            prefetch: Vec::new(),
            error: None,
        }
    }

    /// The model queried.
    pub fn model(&self) -> &'static ModelMeta {
        self.query.model()
    }

    /// What the rows are (models, values, values_list).
    pub fn rows_kind(&self) -> RowsKind {
        self.kind
    }

    /// The first error met while building, if any.
    pub fn check(&self) -> Result<()> {
        match &self.error {
            Some(e) => Err(copy_error(e)),
            None => Ok(()),
        }
    }

    pub(super) fn chain(mut self) -> Self {
        self.query.chain();
        self
    }

    pub(crate) fn fail(mut self, e: DbError) -> Self {
        if self.error.is_none() {
            self.error = Some(Arc::new(e));
        }
        self
    }

    pub(crate) fn try_with(mut self, f: impl FnOnce(&mut DynQuerySet) -> Result<()>) -> Self {
        if self.error.is_some() {
            return self;
        }
        match f(&mut self) {
            Ok(()) => self,
            Err(e) => self.fail(e),
        }
    }

    /// The alias of the database used (`using()`, else `"default"`).
    pub fn db(&self) -> &str {
        self.using.as_deref().unwrap_or("default")
    }

    /// `all()`: a copy.
    pub fn all(self) -> Self {
        self.chain()
    }

    /// `filter(Q)`.
    pub fn filter(self, q: impl Into<Q>) -> Self {
        let q = q.into();
        self.chain().try_with(|qs| {
            super::combinators::guard(&qs.query, "filter")?;
            if qs.query.is_sliced() {
                return Err(DbError::TypeError(
                    "Cannot filter a query once a slice has been taken.".into(),
                ));
            }
            qs.query.add_q(&q)
        })
    }

    /// `filter(**{path: value})` with one keyword lookup.
    pub fn filter_str(self, path: &str, rhs: impl Into<Rhs>) -> Self {
        self.filter(Q::lookup(path, rhs))
    }

    /// `exclude(Q)`.
    pub fn exclude(self, q: impl Into<Q>) -> Self {
        self.try_with(|qs| super::combinators::guard(&qs.query, "exclude"))
            .filter(!q.into())
    }

    /// `exclude(**{path: value})`.
    pub fn exclude_str(self, path: &str, rhs: impl Into<Rhs>) -> Self {
        self.exclude(Q::lookup(path, rhs))
    }

    /// `order_by("-rating", "title", "?")`: strings as Django takes them.
    pub fn order_by<S: AsRef<str>>(self, names: impl IntoIterator<Item = S>) -> Self {
        let terms: Vec<OrderTerm> = names
            .into_iter()
            .map(|s| order_term_from_str(s.as_ref()))
            .collect();
        self.order_by_terms(terms)
    }

    /// `order_by(F("x").desc(nulls_last=True), ...)`.
    pub fn order_by_exprs(self, terms: impl IntoIterator<Item = OrderBy>) -> Self {
        self.order_by_terms(terms.into_iter().map(OrderTerm::Expr).collect())
    }

    pub(crate) fn order_by_terms(self, terms: Vec<OrderTerm>) -> Self {
        self.chain().try_with(|qs| {
            if qs.query.is_sliced() {
                return Err(DbError::TypeError(
                    "Cannot reorder a query once a slice has been taken.".into(),
                ));
            }
            for t in &terms {
                if let OrderTerm::Expr(OrderBy { expr, .. }) = t {
                    check_expression(&qs.query, expr)?;
                }
            }
            qs.query.order_by = terms;
            qs.query.default_ordering = !qs.query.order_by.is_empty();
            Ok(())
        })
    }

    /// `reverse()`.
    pub fn reverse(self) -> Self {
        self.chain().try_with(|qs| {
            if qs.query.is_sliced() {
                return Err(DbError::TypeError(
                    "Cannot reverse a query once a slice has been taken.".into(),
                ));
            }
            qs.query.standard_ordering = !qs.query.standard_ordering;
            Ok(())
        })
    }

    /// `distinct()`.
    pub fn distinct(self) -> Self {
        self.chain().try_with(|qs| {
            super::combinators::guard(&qs.query, "distinct")?;
            qs.query.distinct = true;
            Ok(())
        })
    }

    /// `distinct(*fields)` (DISTINCT ON): PostgreSQL only; other backends raise
    /// NotSupportedError when the query is compiled, as Django does.
    pub fn distinct_on<S: AsRef<str>>(self, fields: impl IntoIterator<Item = S>) -> Self {
        let fields: Vec<String> = fields.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self.chain().try_with(|qs| {
            super::combinators::guard(&qs.query, "distinct")?;
            if qs.query.is_sliced() {
                return Err(DbError::TypeError(
                    "Cannot create distinct fields once a slice has been taken.".into(),
                ));
            }
            for f in &fields {
                qs.query.check_ordering_name(f)?;
            }
            qs.query.distinct = true;
            qs.query.distinct_fields = fields;
            Ok(())
        })
    }

    /// `none()`.
    pub fn none(self) -> Self {
        let mut qs = self.chain();
        qs.query.set_empty();
        qs
    }

    /// `qs[start:stop]` (`stop` `None` for an open end). Negative indexes are refused.
    pub fn slice(self, start: Option<i64>, stop: Option<i64>) -> Self {
        self.chain().try_with(|qs| {
            if start.is_some_and(|s| s < 0) || stop.is_some_and(|s| s < 0) {
                return Err(DbError::ValueError("Negative indexing is not supported.".into()));
            }
            if let (Some(a), Some(b)) = (start, stop) {
                if a > b {
                    qs.query.set_empty();
                    return Ok(());
                }
            }
            qs.query
                .set_limits(start.map(|s| s as u64), stop.map(|s| s as u64));
            Ok(())
        })
    }

    /// `values(*fields)`.
    pub fn values<S: AsRef<str>>(self, fields: impl IntoIterator<Item = S>) -> Self {
        let names: Vec<String> = fields.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self.chain().try_with(|qs| {
            qs.query.set_values(&names)?;
            qs.kind = RowsKind::Values;
            Ok(())
        })
    }

    /// `values_list(*fields, flat=, named=)`.
    pub fn values_list<S: AsRef<str>>(
        self,
        fields: impl IntoIterator<Item = S>,
        flat: bool,
        named: bool,
    ) -> Self {
        let names: Vec<String> = fields.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self.chain().try_with(|qs| {
            if flat && named {
                return Err(DbError::TypeError(
                    "'flat' and 'named' can't be used together.".into(),
                ));
            }
            if flat && names.len() > 1 {
                return Err(DbError::TypeError(
                    "'flat' is not valid when values_list is called with more than one field.".into(),
                ));
            }
            qs.query.set_values(&names)?;
            qs.kind = RowsKind::ValuesList { flat, named };
            Ok(())
        })
    }

    /// `only(*fields)`: load only these fields (and the primary key).
    pub fn only<S: AsRef<str>>(self, fields: impl IntoIterator<Item = S>) -> Self {
        let names: Vec<String> = fields.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self.chain().try_with(|qs| {
            super::combinators::guard(&qs.query, "only")?;
            let meta = qs.model();
            let mut keep = Vec::new();
            for n in &names {
                let name = if n == "pk" { meta.pk().name } else { n.as_str() };
                match meta.field(name) {
                    Some(f) if f.is_concrete() => keep.push(f.name),
                    _ => return Err(super::names::cannot_resolve(meta, n)),
                }
            }
            qs.query.loaded_fields = Some(
                meta.concrete_fields()
                    .filter(|f| f.primary_key || keep.contains(&f.name))
                    .collect(),
            );
            Ok(())
        })
    }

    /// `defer(*fields)`: load every field but these.
    pub fn defer<S: AsRef<str>>(self, fields: impl IntoIterator<Item = S>) -> Self {
        let names: Vec<String> = fields.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self.chain().try_with(|qs| {
            super::combinators::guard(&qs.query, "defer")?;
            let meta = qs.model();
            let mut skip = Vec::new();
            for n in &names {
                match meta.field(n) {
                    Some(f) if f.is_concrete() => skip.push(f.name),
                    _ => return Err(super::names::cannot_resolve(meta, n)),
                }
            }
            let current: Vec<_> = match &qs.query.loaded_fields {
                Some(f) => f.clone(),
                None => meta.concrete_fields().collect(),
            };
            qs.query.loaded_fields = Some(
                current
                    .into_iter()
                    .filter(|f| f.primary_key || !skip.contains(&f.name))
                    .collect(),
            );
            Ok(())
        })
    }

    /// `using(alias)`.
    pub fn using(mut self, alias: &str) -> Self {
        self.using = Some(match alias {
            connection::DEFAULT_DB_ALIAS => Cow::Borrowed(connection::DEFAULT_DB_ALIAS),
            other => Cow::Owned(other.to_owned()),
        });
        self
    }

    /// `select_for_update(nowait, skip_locked, of, no_key)`.
    pub fn select_for_update(self, nowait: bool, skip_locked: bool, of: &[&str], no_key: bool) -> Self {
        self.chain().try_with(|qs| {
            if nowait && skip_locked {
                return Err(DbError::ValueError(
                    "The nowait option cannot be used with skip_locked.".into(),
                ));
            }
            qs.query.lock = Some(LockSpec {
                nowait,
                skip_locked,
                of: of.iter().map(|s| s.to_string()).collect(),
                no_key,
            });
            Ok(())
        })
    }

    /// Django's `QuerySet.ordered`: an explicit ordering, or `Meta.ordering` unless the
    /// query groups rows (a default ordering does not apply to `GROUP BY` queries);
    /// `none()` counts as ordered.
    pub fn ordered(&self) -> bool {
        super::combinators::is_empty(&self.query)
            || !self.query.order_by.is_empty()
            || (self.query.default_ordering
                && !self.model().ordering.is_empty()
                && self.query.group_by.is_none())
    }

    /// Django's `_check_ordering_first_last_queryset_aggregation`: an unordered
    /// aggregation grouped by columns that do not include the primary key has no
    /// meaningful first or last row.
    fn check_first_last_aggregation(&self, method: &str) -> Result<()> {
        use super::annotate::{GroupBy, GroupItem};
        let Some(GroupBy::Items(items)) = &self.query.group_by else {
            return Ok(());
        };
        let pk = self.model().pk();
        let by_pk = items
            .iter()
            .any(|i| matches!(i, GroupItem::Expr(SqlExpr::Col { field, .. }) if std::ptr::eq(*field, pk)));
        if by_pk {
            return Ok(());
        }
        Err(DbError::TypeError(format!(
            "Cannot use QuerySet.{method}() on an unordered queryset performing aggregation. \
             Add an ordering with order_by()."
        )))
    }

    pub(super) fn vendor(&self) -> Result<Vendor> {
        connection::vendor(self.db())
    }

    /// The SQL `fetch()` would run (`None` when the query matches nothing and runs none).
    pub fn sql(&self, vendor: Vendor) -> Result<Option<CompiledSql>> {
        self.check()?;
        let mut c = Compiler::for_db(vendor, self.db());
        match c.select(&self.query, SelectMode::Rows)? {
            Some(stmt) => Ok(Some(c.finish(&stmt))),
            None => Ok(None),
        }
    }

    pub(crate) fn check_lock(&self, vendor: Vendor) -> Result<()> {
        if self.query.lock.is_some()
            && vendor.features().has_select_for_update
            && !transaction::in_atomic_block(self.db())
        {
            return Err(DbError::TransactionManagementError(
                "select_for_update cannot be used outside of a transaction.".into(),
            ));
        }
        Ok(())
    }

    /// The column names and output types of the rows, in SELECT order: the fields (or
    /// `values()` columns), then the selected annotations.
    pub(crate) fn columns(&self) -> Vec<(String, SqlExpr)> {
        let mut cols: Vec<(String, SqlExpr)> = match &self.query.select {
            Some(cols) => cols.iter().map(|c| (c.name.clone(), c.expr.clone())).collect(),
            None => {
                let fields: Vec<_> = match &self.query.loaded_fields {
                    Some(f) => f.clone(),
                    None => self.model().concrete_fields().collect(),
                };
                fields
                    .into_iter()
                    .map(|f| {
                        (
                            f.attname.to_owned(),
                            SqlExpr::Col {
                                alias: 0,
                                column: f.column.to_owned(),
                                field: f,
                            },
                        )
                    })
                    .collect()
            }
        };
        cols.extend(
            self.query
                .annotations
                .iter()
                .filter(|a| a.select)
                .map(|a| (a.name.clone(), a.expr.clone())),
        );
        cols
    }

    /// Runs the query and returns its rows, typed per column (Django's `list(qs)`).
    /// Model rows are keyed by attname; `values()` rows by the names given. Rows are
    /// built where the driver decodes them (no intermediate row per row).
    pub async fn fetch(&self) -> Result<Vec<Row>> {
        let sink = RowsSink {
            plan: self.row_plan(),
            out: Vec::new(),
        };
        match self.fetch_into(sink).await? {
            None => Ok(Vec::new()),
            Some(sink) => Ok(sink.out),
        }
    }

    /// The names and conversions of the rows, in the order they are returned.
    fn row_plan(&self) -> RowPlan {
        let cols = self.columns();
        // values_list() keeps the order asked for (annotations come last in the SQL).
        let order: Option<Vec<usize>> = match self.kind {
            RowsKind::ValuesList { .. } if !self.query.values_order.is_empty() => {
                let idx: Vec<usize> = self
                    .query
                    .values_order
                    .iter()
                    .filter_map(|n| cols.iter().position(|(c, _)| c == n))
                    .collect();
                (idx.len() == cols.len() && idx.iter().enumerate().any(|(i, j)| i != *j)).then_some(idx)
            }
            _ => None,
        };
        RowPlan::new(&cols, order.as_deref())
    }

    /// True when nothing but `using()` was applied to the queryset (see
    /// [`Query::is_plain`]); the fields are named so that a new one is not forgotten.
    pub(crate) fn is_plain(&self) -> bool {
        let DynQuerySet {
            query,
            using: _,
            kind,
            prefetch,
            error,
        } = self;
        error.is_none() && *kind == RowsKind::Models && prefetch.is_empty() && query.is_plain()
    }

    /// Where each concrete field of the model is in this query's rows and which
    /// annotations follow them, for decoding instances straight from the driver; `None`
    /// when the rows are not model rows (`values()`).
    pub(crate) fn model_plan(&self) -> Option<ModelPlan> {
        if self.query.select.is_some() {
            return None;
        }
        let cols = self.columns();
        let loaded = match &self.query.loaded_fields {
            Some(f) => f.len(),
            None => self.model().concrete_fields().count(),
        };
        if cols.len() < loaded || cols[..loaded].iter().any(|(_, e)| e.field().is_none()) {
            return None;
        }
        let fields = self
            .model()
            .concrete_fields()
            .map(|f| {
                let column = cols[..loaded]
                    .iter()
                    .position(|(_, e)| e.field().is_some_and(|c| std::ptr::eq(c, f)));
                let expr = column.map(|i| &cols[i].1);
                let output = expr.and_then(|e| e.output_type());
                let field = expr.and_then(|e| e.field());
                crate::models::model::FieldPlan {
                    column,
                    output,
                    field,
                    unchanged: match field.and_then(|f| f.custom) {
                        Some(_) => Unchanged::NONE,
                        None => Unchanged::of(output),
                    },
                }
            })
            .collect();
        Some(ModelPlan::with_annotations(fields, &cols, loaded))
    }

    /// Runs the query, handing each row to `sink` where the driver decodes it; `None`
    /// when nothing can match (no query runs).
    pub(crate) async fn fetch_into<S: crate::backends::RowSink>(&self, sink: S) -> Result<Option<S>> {
        self.check()?;
        let vendor = connection::prepare(self.db()).await?;
        self.check_lock(vendor)?;
        let Some(compiled) = self.sql(vendor)? else {
            return Ok(None);
        };
        connection::fetch_into(self.db(), &compiled.sql, &compiled.params, sink)
            .await
            .map(Some)
    }

    /// `values_list(..., flat=True)`: the single column of every row.
    pub async fn fetch_flat(&self) -> Result<Vec<Value>> {
        Ok(self
            .fetch()
            .await?
            .into_iter()
            .map(|r| r.into_values().into_iter().next().unwrap_or(Value::Null))
            .collect())
    }

    /// Streams the rows in chunks of `chunk_size` without loading them all (Django's
    /// `iterator(chunk_size)`).
    pub fn iterator(
        &self,
        chunk_size: usize,
    ) -> Result<impl futures::Stream<Item = Result<Row>> + Send + 'static> {
        use futures::StreamExt;
        let rows = self.raw_iterator(chunk_size)?;
        let plan = self.row_plan();
        Ok(rows.map(move |r| r.and_then(|row| plan.row(Cells::Other(&mut ValueCells(row.into_values()))))))
    }

    /// The rows of [`iterator`](Self::iterator) as the database gives them (before the
    /// row plan converts them), read `chunk_size` at a time.
    pub(crate) fn raw_iterator(
        &self,
        chunk_size: usize,
    ) -> Result<impl futures::Stream<Item = Result<Row>> + Send + 'static> {
        use futures::StreamExt;
        if chunk_size == 0 {
            return Err(DbError::ValueError(
                "Chunk size must be strictly positive.".into(),
            ));
        }
        self.check()?;
        let vendor = self.vendor()?;
        self.check_lock(vendor)?;
        // Compiled now so that errors surface here; a MySQL alias's SQL is compiled again
        // once its first connection told whether the server is MariaDB.
        let compiled = self.sql(vendor)?;
        let qs = self.clone();
        Ok(futures::stream::once(async move {
            let compiled = match vendor {
                Vendor::MySql => connection::prepare(qs.db()).await.and_then(|v| qs.sql(v)),
                _ => Ok(compiled),
            };
            match compiled {
                Ok(Some(c)) => {
                    connection::fetch_stream_chunked(qs.db().to_owned(), c.sql, c.params, chunk_size).boxed()
                }
                Ok(None) => futures::stream::empty().boxed(),
                Err(e) => futures::stream::iter([Err(e)]).boxed(),
            }
        })
        .flatten())
    }

    /// `count()`.
    pub async fn count(&self) -> Result<u64> {
        self.check()?;
        let vendor = connection::prepare(self.db()).await?;
        let Some(c) = self.count_sql(vendor)? else {
            return Ok(0);
        };
        let rows = connection::fetch(self.db(), &c.sql, &c.params).await?;
        let v = rows
            .into_iter()
            .next()
            .and_then(|r| r.into_values().into_iter().next())
            .unwrap_or(Value::Int(0));
        Ok(match convert(v, Some(crate::FieldType::BigIntegerField), None) {
            Value::Int(i) => i.max(0) as u64,
            _ => 0,
        })
    }

    /// The SQL of `count()`.
    pub fn count_sql(&self, vendor: Vendor) -> Result<Option<CompiledSql>> {
        self.check()?;
        let mut c = Compiler::for_db(vendor, self.db());
        let grouped = self.query.group_by.is_some() || self.query.has_aggregate_annotations();
        if self.query.is_sliced() || self.query.distinct || grouped || self.query.combinator.is_some() {
            // SELECT COUNT(*) FROM (SELECT ...) subquery
            let mut inner = self.query.clone();
            inner.related = Default::default();
            super::aggregation::count_inner(&mut inner);
            if !inner.is_sliced() {
                inner.order_by.clear();
                inner.default_ordering = false;
            }
            if !inner.distinct && inner.select.is_none() && inner.combinator.is_none() {
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
            let Some(sub) = c.select(&inner, SelectMode::Rows)? else {
                return Ok(None);
            };
            let mut outer = sea_query::Query::select();
            outer
                .expr(sea_query::Expr::cust("COUNT(*)"))
                .from_subquery(sub, sea_query::Alias::new("subquery"));
            return Ok(Some(c.finish(&outer)));
        }
        let mut q = self.query.clone();
        q.order_by.clear();
        q.default_ordering = false;
        match c.select(&q, SelectMode::Count)? {
            Some(stmt) => Ok(Some(c.finish(&stmt))),
            None => Ok(None),
        }
    }

    /// `exists()`.
    pub async fn exists(&self) -> Result<bool> {
        self.check()?;
        let vendor = connection::prepare(self.db()).await?;
        let mut q = self.query.clone();
        if q.is_sliced() || q.combinator.is_some() || q.group_by.is_some() || q.has_aggregate_annotations() {
            return Ok(self.count().await? > 0);
        }
        q.order_by.clear();
        q.default_ordering = false;
        let mut c = Compiler::for_db(vendor, self.db());
        let Some(stmt) = c.select(&q, SelectMode::Exists)? else {
            return Ok(false);
        };
        let sql = c.finish(&stmt);
        Ok(!connection::fetch(self.db(), &sql.sql, &sql.params)
            .await?
            .is_empty())
    }

    /// `first()`: the first row by the ordering, or by pk when unordered.
    pub async fn first(&self) -> Result<Option<Row>> {
        Ok(self.first_qs()?.fetch().await?.into_iter().next())
    }

    /// The one-row queryset `first()` runs.
    pub(crate) fn first_qs(&self) -> Result<DynQuerySet> {
        let qs = if self.ordered() {
            self.clone()
        } else {
            self.check_first_last_aggregation("first")?;
            self.clone().order_by(["pk"])
        };
        Ok(qs.slice(Some(0), Some(1)))
    }

    /// The one-row queryset `last()` runs.
    pub(crate) fn last_qs(&self) -> Result<DynQuerySet> {
        let qs = if self.ordered() {
            self.clone().reverse()
        } else {
            self.check_first_last_aggregation("last")?;
            self.clone().order_by(["-pk"])
        };
        Ok(qs.slice(Some(0), Some(1)))
    }

    /// `last()`: the last row by the ordering, or by pk when unordered.
    pub async fn last(&self) -> Result<Option<Row>> {
        Ok(self.last_qs()?.fetch().await?.into_iter().next())
    }

    /// `get(Q)`: exactly one row, else `DoesNotExist` / `MultipleObjectsReturned`.
    pub async fn get(&self, q: Q) -> Result<Row> {
        let qs = self.get_qs(q)?;
        let rows = qs.fetch().await?;
        self.exactly_one(rows)
    }

    /// The queryset `get(q)` runs (filtered, unordered, at most 21 rows).
    pub(crate) fn get_qs(&self, q: Q) -> Result<DynQuerySet> {
        if !q.is_empty() {
            super::combinators::guard_get(&self.query)?;
        }
        let mut qs = if q.is_empty() {
            self.clone()
        } else {
            self.clone().filter(q)
        };
        if !qs.query.is_sliced() {
            qs = qs.order_by(Vec::<String>::new());
        }
        let limit = 21;
        if !qs.query.is_sliced() {
            qs.query.set_limits(None, Some(limit));
        }
        Ok(qs)
    }

    /// `get()`'s answer from the rows of [`get_qs`](Self::get_qs).
    pub(crate) fn exactly_one<T>(&self, rows: Vec<T>) -> Result<T> {
        let count = rows.len();
        self.exactly_one_of(rows.into_iter().next(), count)
    }

    /// [`exactly_one`](Self::exactly_one) from the first row and the number of rows.
    pub(crate) fn exactly_one_of<T>(&self, first: Option<T>, count: usize) -> Result<T> {
        let limit = 21;
        match (count, first) {
            (1, Some(row)) => Ok(row),
            (0, _) | (_, None) => Err(DbError::DoesNotExist {
                model: self.model().object_name,
            }),
            (n, Some(_)) => Err(DbError::MultipleObjectsReturned {
                model: self.model().object_name,
                count: if (n as u64) < limit {
                    n.to_string()
                } else {
                    format!("more than {}", limit - 1)
                },
            }),
        }
    }

    /// `latest(*fields)` (Meta.get_latest_by when empty).
    pub async fn latest<S: AsRef<str>>(&self, fields: &[S]) -> Result<Row> {
        self.latest_or_earliest(fields, true).await
    }

    /// `earliest(*fields)`.
    pub async fn earliest<S: AsRef<str>>(&self, fields: &[S]) -> Result<Row> {
        self.latest_or_earliest(fields, false).await
    }

    async fn latest_or_earliest<S: AsRef<str>>(&self, fields: &[S], latest: bool) -> Result<Row> {
        self.latest_qs(fields, latest)?.get(Q::new()).await
    }

    /// The one-row queryset `latest()`/`earliest()` runs.
    pub(crate) fn latest_qs<S: AsRef<str>>(&self, fields: &[S], latest: bool) -> Result<DynQuerySet> {
        if self.query.is_sliced() {
            return Err(DbError::TypeError(
                "Cannot change a query once a slice has been taken.".into(),
            ));
        }
        let names: Vec<String> = if fields.is_empty() {
            self.model().get_latest_by.iter().map(|s| s.to_string()).collect()
        } else {
            fields.iter().map(|s| s.as_ref().to_owned()).collect()
        };
        if names.is_empty() {
            return Err(DbError::ValueError(
                "earliest() and latest() require either fields as positional arguments or 'get_latest_by' in the model's Meta."
                    .into(),
            ));
        }
        let mut qs = self.clone().order_by(names);
        if latest {
            qs = qs.reverse();
        }
        Ok(qs.slice(Some(0), Some(1)))
    }

    /// `update(field=value, ...)`: returns the number of rows matched.
    pub async fn update(&self, values: Vec<(String, Expression)>) -> Result<u64> {
        self.check()?;
        super::combinators::guard(&self.query, "update")?;
        if self.model().parent.is_some() {
            return self.update_with_parents(values).await;
        }
        let vendor = connection::prepare(self.db()).await?;
        let Some(c) = super::write::update_sql(self, vendor, &values)? else {
            return Ok(0);
        };
        Ok(connection::execute(self.db(), &c.sql, &c.params)
            .await?
            .rows_affected)
    }

    /// Django's related updates: on a multi-table child, values of inherited fields are
    /// written to the parent tables, for the primary keys the query matches (selected
    /// first); the count is the child table's, else the first parent's.
    async fn update_with_parents(&self, values: Vec<(String, Expression)>) -> Result<u64> {
        let meta = self.model();
        let mut local = Vec::new();
        let mut related: Vec<(&'static ModelMeta, Vec<(String, Expression)>)> = Vec::new();
        for (name, value) in values {
            let mut owner = meta;
            if let Some(f) = meta.field(&name) {
                while owner.is_inherited(f) {
                    match owner.parent_meta() {
                        Some(p) => owner = p,
                        None => break,
                    }
                }
            }
            if std::ptr::eq(owner, meta) {
                local.push((name, value));
            } else {
                match related.iter_mut().find(|(m, _)| std::ptr::eq(*m, owner)) {
                    Some((_, v)) => v.push((name, value)),
                    None => related.push((owner, vec![(name, value)])),
                }
            }
        }
        if related.is_empty() {
            let vendor = connection::prepare(self.db()).await?;
            let Some(c) = super::write::update_sql(self, vendor, &local)? else {
                return Ok(0);
            };
            return Ok(connection::execute(self.db(), &c.sql, &c.params)
                .await?
                .rows_affected);
        }
        let pks: Vec<Value> = self
            .clone()
            .order_by(Vec::<String>::new())
            .values(["pk"])
            .fetch()
            .await?
            .into_iter()
            .filter_map(|r| r.into_values().into_iter().next())
            .collect();
        let mut rows = None;
        if !local.is_empty() {
            let vendor = connection::prepare(self.db()).await?;
            if let Some(c) = super::write::update_sql(self, vendor, &local)? {
                rows = Some(
                    connection::execute(self.db(), &c.sql, &c.params)
                        .await?
                        .rows_affected,
                );
            }
        }
        for (owner, vals) in related {
            if pks.is_empty() {
                break;
            }
            let n = Box::pin(
                DynQuerySet::new(owner)
                    .using(self.db())
                    .filter(Q::lookup("pk__in", super::expressions::Rhs::from(pks.clone())))
                    .update(vals),
            )
            .await?;
            rows.get_or_insert(n);
        }
        Ok(rows.unwrap_or(0))
    }

    /// `delete()`: deletes the rows and, through the deletion collector
    /// ([`crate::models::deletion`]), what `on_delete` says about the rows referring to
    /// them, sending the delete signals; returns Django's `(total, [(label, count)])`.
    pub async fn delete(&self) -> Result<(u64, Vec<(String, u64)>)> {
        crate::models::deletion::delete_queryset(self).await
    }

    /// Django's `_raw_delete`: one `DELETE` of the matching rows, with no collector and
    /// no signals; the number of rows deleted.
    pub(crate) async fn raw_delete(&self) -> Result<u64> {
        self.check()?;
        super::combinators::guard(&self.query, "delete")?;
        let vendor = connection::prepare(self.db()).await?;
        let Some(c) = super::write::delete_sql(self, vendor)? else {
            return Ok(0);
        };
        Ok(connection::execute(self.db(), &c.sql, &c.params)
            .await?
            .rows_affected)
    }
}

/// Validates the field references of an expression against the model (at call time).
fn check_expression(q: &Query, e: &Expression) -> Result<()> {
    match e {
        Expression::Value(_) => Ok(()),
        Expression::F(path) => q.check_ordering_name(path),
        Expression::Combined(l, _, r) => {
            check_expression(q, l)?;
            check_expression(q, r)
        }
        // Checked when resolved against the enclosing query / their own model.
        Expression::OuterRef(_) => Ok(()),
        Expression::Subquery(s) => s.queryset.check(),
        Expression::Exists(e) => e.queryset.check(),
        other => {
            let mut probe = q.clone();
            probe.resolve_expression(other, None).map(|_| ())
        }
    }
}
