//! [`QuerySet<M>`]: the typed queryset, a [`DynQuerySet`] that knows its model type and
//! returns model instances.

use std::marker::PhantomData;

use crate::backends::Row;
use crate::error::Result;
use crate::models::model::{Model, ModelRow};
use crate::value::Value;

use super::expressions::{Expression, OrderBy, Rhs};
use super::iterables::FirstOf;
use super::prefetch::Prefetch;
use super::q::Q;
use super::queryset::DynQuerySet;

/// Django's `QuerySet` for model `M`: lazy, chainable, cloneable. Evaluation is an
/// explicit `.await` (`fetch`, `get`, `count`, ...); nothing runs implicitly.
#[derive(Debug)]
pub struct QuerySet<M> {
    inner: DynQuerySet,
    _model: PhantomData<fn() -> M>,
}

impl<M> Clone for QuerySet<M> {
    fn clone(&self) -> Self {
        QuerySet {
            inner: self.inner.clone(),
            _model: PhantomData,
        }
    }
}

macro_rules! chain {
    ($($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        $(#[$doc])*
        pub fn $name(self, $($arg: $ty),*) -> Self {
            QuerySet { inner: self.inner.$name($($arg),*), _model: PhantomData }
        }
    )*};
}

impl<M: Model> QuerySet<M> {
    /// `M.objects.all()`.
    pub fn new() -> Self {
        QuerySet {
            inner: DynQuerySet::new(M::meta()),
            _model: PhantomData,
        }
    }

    /// Wraps a dynamic queryset over `M`'s table (custom managers use this).
    pub fn from_dyn(inner: DynQuerySet) -> Self {
        QuerySet {
            inner,
            _model: PhantomData,
        }
    }

    /// The untyped queryset (for values(), subqueries and dynamic callers).
    pub fn into_dyn(self) -> DynQuerySet {
        self.inner
    }

    /// The untyped queryset, borrowed.
    pub fn as_dyn(&self) -> &DynQuerySet {
        &self.inner
    }

    chain! {
        /// `all()`.
        fn all();
        /// `reverse()`.
        fn reverse();
        /// `distinct()`.
        fn distinct();
        /// `none()`.
        fn none();
        /// `qs[start:stop]`.
        fn slice(start: Option<i64>, stop: Option<i64>);
        /// `using(alias)`.
        fn using(alias: &str);
        /// `select_for_update(nowait, skip_locked, of, no_key)`.
        fn select_for_update(nowait: bool, skip_locked: bool, of: &[&str], no_key: bool);
    }

    /// `filter(Q)` (or a typed lookup / `q!(...)`).
    pub fn filter(self, q: impl Into<Q>) -> Self {
        QuerySet {
            inner: self.inner.filter(q),
            _model: PhantomData,
        }
    }

    /// `exclude(Q)` (or a typed lookup / `q!(...)`).
    pub fn exclude(self, q: impl Into<Q>) -> Self {
        QuerySet {
            inner: self.inner.exclude(q),
            _model: PhantomData,
        }
    }

    /// `filter(**{path: value})`.
    pub fn filter_str(self, path: &str, rhs: impl Into<Rhs>) -> Self {
        self.filter(Q::lookup(path, rhs))
    }

    /// `exclude(**{path: value})`.
    pub fn exclude_str(self, path: &str, rhs: impl Into<Rhs>) -> Self {
        self.exclude(Q::lookup(path, rhs))
    }

    /// `order_by("-rating", "title")`.
    pub fn order_by<S: AsRef<str>>(self, names: impl IntoIterator<Item = S>) -> Self {
        QuerySet {
            inner: self.inner.order_by(names),
            _model: PhantomData,
        }
    }

    /// `order_by(F("x").desc().nulls_last())`.
    pub fn order_by_exprs(self, terms: impl IntoIterator<Item = OrderBy>) -> Self {
        QuerySet {
            inner: self.inner.order_by_exprs(terms),
            _model: PhantomData,
        }
    }

    /// `distinct(*fields)`: PostgreSQL's `DISTINCT ON`; other backends answer
    /// NotSupportedError when the query runs, as Django does.
    pub fn distinct_on<S: AsRef<str>>(self, fields: impl IntoIterator<Item = S>) -> Self {
        QuerySet {
            inner: self.inner.distinct_on(fields),
            _model: PhantomData,
        }
    }

    /// `only(*fields)`.
    pub fn only<S: AsRef<str>>(self, fields: impl IntoIterator<Item = S>) -> Self {
        QuerySet {
            inner: self.inner.only(fields),
            _model: PhantomData,
        }
    }

    /// `defer(*fields)`.
    pub fn defer<S: AsRef<str>>(self, fields: impl IntoIterator<Item = S>) -> Self {
        QuerySet {
            inner: self.inner.defer(fields),
            _model: PhantomData,
        }
    }

    /// `union(*others, all=all)` (see [`DynQuerySet::union`]).
    pub fn union(self, others: impl IntoIterator<Item = QuerySet<M>>, all: bool) -> Self {
        QuerySet {
            inner: self.inner.union(others.into_iter().map(QuerySet::into_dyn), all),
            _model: PhantomData,
        }
    }

    /// `intersection(*others)`.
    pub fn intersection(self, others: impl IntoIterator<Item = QuerySet<M>>) -> Self {
        QuerySet {
            inner: self
                .inner
                .intersection(others.into_iter().map(QuerySet::into_dyn)),
            _model: PhantomData,
        }
    }

    /// `difference(*others)`.
    pub fn difference(self, others: impl IntoIterator<Item = QuerySet<M>>) -> Self {
        QuerySet {
            inner: self.inner.difference(others.into_iter().map(QuerySet::into_dyn)),
            _model: PhantomData,
        }
    }

    /// `values(*fields)`: dynamic rows (dicts).
    pub fn values<S: AsRef<str>>(self, fields: impl IntoIterator<Item = S>) -> DynQuerySet {
        self.inner.values(fields)
    }

    /// `values_list(*fields, flat=, named=)`: dynamic rows (tuples).
    pub fn values_list<S: AsRef<str>>(
        self,
        fields: impl IntoIterator<Item = S>,
        flat: bool,
        named: bool,
    ) -> DynQuerySet {
        self.inner.values_list(fields, flat, named)
    }

    /// `dates(field_name, kind, order)`: the distinct dates of a field truncated to
    /// `kind`, one per row ([`DynQuerySet::dates`]).
    pub fn dates(self, field_name: &str, kind: &str, order: &str) -> DynQuerySet {
        self.inner.dates(field_name, kind, order)
    }

    /// `datetimes(field_name, kind, order)`: the distinct datetimes of a field truncated
    /// to `kind`, one per row ([`DynQuerySet::datetimes`]).
    pub fn datetimes(self, field_name: &str, kind: &str, order: &str) -> DynQuerySet {
        self.inner.datetimes(field_name, kind, order)
    }

    /// `annotate(name=expression, ...)`: read the values with
    /// [`fetch_annotated`](Self::fetch_annotated), or use them in `filter`/`order_by`.
    pub fn annotate<S: Into<String>, E: Into<Expression>>(
        self,
        items: impl IntoIterator<Item = (S, E)>,
    ) -> Self {
        QuerySet {
            inner: self.inner.annotate(items),
            _model: PhantomData,
        }
    }

    /// `alias(name=expression, ...)`: an annotation only for `filter`/`order_by`.
    pub fn alias<S: Into<String>, E: Into<Expression>>(
        self,
        items: impl IntoIterator<Item = (S, E)>,
    ) -> Self {
        QuerySet {
            inner: self.inner.alias(items),
            _model: PhantomData,
        }
    }

    /// `aggregate(name=Aggregate(...), ...)`: the summary row
    /// (`row.try_get_by_name::<f64>("avg")`).
    pub async fn aggregate<S: AsRef<str>, E: Into<Expression> + Clone>(
        &self,
        items: &[(S, E)],
    ) -> Result<Row> {
        self.inner.aggregate(items).await
    }

    /// Every instance with its annotations (`obj.get::<i64>("num_reviews")`).
    /// With `select_related`/`prefetch_related` the related objects are loaded into the
    /// instances exactly as [`fetch`](Self::fetch) does.
    pub async fn fetch_annotated(&self) -> Result<Vec<super::Annotated<M>>> {
        if self.inner.loads_related() {
            let objects = self.inner.fetch_objects().await?;
            return objects
                .into_iter()
                .map(|object| {
                    let (names, values): (Vec<String>, Vec<Value>) = object.annotations().into_iter().unzip();
                    Ok(super::Annotated::new(
                        M::from_object(object)?,
                        Row::new(names.into(), values),
                    ))
                })
                .collect();
        }
        let rows = self.inner.fetch().await?;
        let nfields = match &self.inner.query.loaded_fields {
            Some(f) => f.len(),
            None => M::meta().concrete_fields().count(),
        };
        rows.into_iter()
            .map(|r| {
                let cols = r.columns().to_vec();
                let mut values = r.into_values();
                let extra = values.split_off(nfields.min(values.len()));
                let names: std::sync::Arc<[String]> = cols[nfields.min(cols.len())..].to_vec().into();
                let fields: std::sync::Arc<[String]> = cols[..nfields.min(cols.len())].to_vec().into();
                let object = self.instance(Row::new(fields, values))?;
                Ok(super::Annotated::new(object, Row::new(names, extra)))
            })
            .collect()
    }

    fn instance(&self, row: Row) -> Result<M> {
        let meta = M::meta();
        let nfields = match &self.inner.query.loaded_fields {
            Some(f) => f.len(),
            None => meta.concrete_fields().count(),
        };
        let columns = row.columns_arc().clone();
        let mut values = row.into_values();
        // Annotations follow the fields in the SELECT list (`DynQuerySet::columns`).
        let annotations = values.split_off(nfields.min(values.len()));
        let mut out: Vec<Option<Value>> = Vec::with_capacity(meta.fields.len());
        match &self.inner.query.loaded_fields {
            None => out.extend(values.into_iter().map(Some)),
            Some(loaded) => {
                let mut it = values.into_iter();
                for f in meta.concrete_fields() {
                    if loaded.iter().any(|l| std::ptr::eq(*l, f)) {
                        out.push(it.next());
                    } else {
                        out.push(None);
                    }
                }
            }
        }
        let mut instance = M::from_db(ModelRow::new(out))?;
        if let Some(state) = instance.state_mut() {
            state.set_db(self.inner.db());
            for (name, value) in columns.iter().skip(nfields).zip(annotations) {
                state.set_annotation(name, value);
            }
        }
        Ok(instance)
    }

    /// Runs `qs` (a one-row variant of this queryset, or itself), with related objects
    /// when `select_related`/`prefetch_related` ask for them.
    async fn run(&self, qs: &DynQuerySet) -> Result<Vec<M>> {
        if qs.loads_related() {
            let objects = qs.fetch_objects().await?;
            return objects.into_iter().map(M::from_object).collect();
        }
        let Some(plan) = qs.model_plan() else {
            let rows = qs.fetch().await?;
            return rows.into_iter().map(|r| self.instance(r)).collect();
        };
        match qs.fetch_into(plan.sink::<M, Vec<M>>()).await? {
            None => Ok(Vec::new()),
            Some(sink) => Ok(sink.instances(qs.db())),
        }
    }

    /// `select_related("author", "author__profile")`: load these relations in the same
    /// query, into the instances' [`ForeignKey`](crate::models::model::ForeignKey)
    /// handles (and a reverse one-to-one into the related instance's
    /// [`ModelState`](crate::models::state::ModelState)). An empty list follows every
    /// non-null foreign key.
    pub fn select_related<S: AsRef<str>>(self, fields: impl IntoIterator<Item = S>) -> Self {
        QuerySet {
            inner: self.inner.select_related(fields),
            _model: PhantomData,
        }
    }

    /// `select_related(None)`.
    pub fn clear_select_related(self) -> Self {
        QuerySet {
            inner: self.inner.clear_select_related(),
            _model: PhantomData,
        }
    }

    /// `prefetch_related("books", "books__reviews", Prefetch(...))`: after the query,
    /// one query per level; the lists are read with the related managers'
    /// `all_cached()` (or [`ModelState::prefetched`](crate::models::state::ModelState::prefetched)
    /// for a `to_attr`).
    pub fn prefetch_related<P: Into<Prefetch>>(self, lookups: impl IntoIterator<Item = P>) -> Self {
        QuerySet {
            inner: self.inner.prefetch_related(lookups),
            _model: PhantomData,
        }
    }

    /// `prefetch_related(None)`.
    pub fn clear_prefetch_related(self) -> Self {
        QuerySet {
            inner: self.inner.clear_prefetch_related(),
            _model: PhantomData,
        }
    }

    /// Runs the query: every instance. Model rows are decoded straight from the driver's
    /// rows into `M` (on SQLite, on the connection's thread) through a column plan made
    /// once per query.
    pub async fn fetch(&self) -> Result<Vec<M>> {
        let db = self.inner.db();
        let database = crate::connection::database(db)?;
        if let Some(statement) = self.inner.all_statement(database.vendor()) {
            let sink = statement.plan.sink::<M, Vec<M>>();
            let sink =
                crate::connection::fetch_into_on(&database, db, &statement.sql, &statement.params, sink)
                    .await?;
            return Ok(sink.instances(db));
        }
        // Boxed, as in `get_pk`: the general path's future is several times this one's.
        Box::pin(self.run(&self.inner)).await
    }

    /// `get(Q)` (`Q::new()` for none).
    pub async fn get(&self, q: Q) -> Result<M> {
        let rows = self.run(&self.inner.get_qs(q)?).await?;
        self.inner.exactly_one(rows)
    }

    /// `get(pk=...)`. On a queryset with nothing applied but `using()`, the statement
    /// compiled the first time is reused (`query/pk_get.rs`) and the row decoded straight
    /// into `M`.
    pub async fn get_pk(&self, pk: impl Into<Rhs>) -> Result<M> {
        // The key is taken by value and handed back for the general path, never borrowed
        // here: a borrowed local stays in the future across every later `.await`. The
        // general `get` is boxed, its future being three times the size of this one.
        // The database is looked up once, for the statement's vendor and to run it.
        let db = self.inner.db();
        let database = crate::connection::database(db)?;
        let (statement, params) = match self.inner.pk_statement_owned(database.vendor(), pk.into()) {
            Ok(found) => found,
            Err(rhs) => return Box::pin(self.get(Q::lookup("pk", rhs))).await,
        };
        let sink = statement.plan.sink::<M, FirstOf<M>>();
        let sink = crate::connection::fetch_into_on(&database, db, &statement.sql, &params, sink).await?;
        let rows = sink.instances(db);
        self.inner.exactly_one_of(rows.first, rows.count)
    }

    /// `first()`.
    pub async fn first(&self) -> Result<Option<M>> {
        Ok(self.run(&self.inner.first_qs()?).await?.into_iter().next())
    }

    /// `last()`.
    pub async fn last(&self) -> Result<Option<M>> {
        Ok(self.run(&self.inner.last_qs()?).await?.into_iter().next())
    }

    /// `latest(*fields)`.
    pub async fn latest<S: AsRef<str>>(&self, fields: &[S]) -> Result<M> {
        let qs = self.inner.latest_qs(fields, true)?.get_qs(Q::new())?;
        let rows = self.run(&qs).await?;
        self.inner.exactly_one(rows)
    }

    /// `earliest(*fields)`.
    pub async fn earliest<S: AsRef<str>>(&self, fields: &[S]) -> Result<M> {
        let qs = self.inner.latest_qs(fields, false)?.get_qs(Q::new())?;
        let rows = self.run(&qs).await?;
        self.inner.exactly_one(rows)
    }

    /// `count()`.
    pub async fn count(&self) -> Result<u64> {
        self.inner.count().await
    }

    /// `exists()`.
    pub async fn exists(&self) -> Result<bool> {
        self.inner.exists().await
    }

    /// `contains(obj)`: whether the queryset holds the instance (by primary key).
    pub async fn contains(&self, obj: &M) -> Result<bool> {
        super::combinators::guard(&self.inner.query, "contains")?;
        let pk = obj.pk();
        // An auto key still 0 is unsaved too, as for `save()`.
        if !crate::models::instance::pk_is_set(M::meta().pk(), &pk) {
            return Err(crate::DbError::ValueError(
                "QuerySet.contains() cannot be used on unsaved objects.".into(),
            ));
        }
        self.clone().filter(Q::lookup("pk", pk)).exists().await
    }

    /// `in_bulk(id_list)`: instances by primary key (all when `ids` is `None`).
    pub async fn in_bulk(&self, ids: Option<Vec<Value>>) -> Result<Vec<(Value, M)>> {
        self.in_bulk_by("pk", ids).await
    }

    /// `in_bulk(id_list, field_name=...)`: instances keyed by a unique field, in the
    /// queryset's order; the ids are sent in batches of the backend's parameter limit
    /// (`max_query_params`). A sliced queryset and a field that is not unique (nor the
    /// only `distinct` field) are refused with Django's messages.
    pub async fn in_bulk_by(&self, field_name: &str, ids: Option<Vec<Value>>) -> Result<Vec<(Value, M)>> {
        use crate::models::meta::Constraint;
        if self.inner.query.is_sliced() {
            return Err(crate::DbError::TypeError(
                "Cannot use 'limit' or 'offset' with in_bulk().".into(),
            ));
        }
        if field_name != "pk" {
            let meta = M::meta();
            let field = meta.field(field_name).ok_or_else(|| {
                crate::DbError::FieldDoesNotExist(format!(
                    "{} has no field named '{field_name}'",
                    meta.object_name
                ))
            })?;
            let single_unique = meta.constraints.iter().any(|c| {
                matches!(c, Constraint::Unique { fields: [only], condition: None, .. } if *only == field_name)
            });
            let distinct_on = self.inner.query.distinct_fields == [field_name];
            if !(field.unique || field.primary_key || single_unique || distinct_on) {
                return Err(crate::DbError::ValueError(format!(
                    "in_bulk()'s field_name must be a unique field but '{field_name}' isn't."
                )));
            }
        }
        let objs = match ids {
            Some(ids) if ids.is_empty() => return Ok(Vec::new()),
            Some(ids) => {
                let lookup = format!("{field_name}__in");
                let batch = crate::connection::features(self.inner.db())?
                    .max_query_params
                    .unwrap_or(ids.len())
                    .max(1);
                let mut objs = Vec::new();
                for chunk in ids.chunks(batch) {
                    let part = self.clone().filter(Q::lookup(&lookup, Rhs::from(chunk.to_vec())));
                    objs.extend(part.fetch().await?);
                }
                objs
            }
            None => self.fetch().await?,
        };
        Ok(objs
            .into_iter()
            .map(|o| {
                let key = match field_name {
                    "pk" => o.pk(),
                    name => o.get_field(name).unwrap_or(Value::Null),
                };
                (key, o)
            })
            .collect())
    }

    /// Streams instances in chunks (`iterator(chunk_size)`): `select_related` objects
    /// load with each row, `prefetch_related` lists once per chunk of `chunk_size`
    /// instances (one query per chunk and level, as in Django 5).
    pub fn iterator(
        &self,
        chunk_size: usize,
    ) -> Result<impl futures::Stream<Item = Result<M>> + Send + 'static> {
        use futures::StreamExt;
        if self.inner.loads_related() {
            let objects = self.inner.iterator_objects(chunk_size)?;
            return Ok(objects.map(|r| r.and_then(M::from_object)).boxed());
        }
        let stream = self.inner.iterator(chunk_size)?;
        let this = self.clone();
        Ok(stream.map(move |r| r.and_then(|row| this.instance(row))).boxed())
    }

    /// `update(field=value, ...)`.
    pub async fn update<S: Into<String>, E: Into<Expression>>(
        &self,
        values: impl IntoIterator<Item = (S, E)>,
    ) -> Result<u64> {
        let values = values.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        self.inner.update(values).await
    }

    /// `delete()`: `(total, [(label, count)])`.
    pub async fn delete(&self) -> Result<(u64, Vec<(String, u64)>)> {
        self.inner.delete().await
    }

    /// `explain()`.
    pub async fn explain(&self) -> Result<String> {
        self.inner.explain().await
    }

    /// `explain(format=..., **options)` ([`DynQuerySet::explain_with`]).
    pub async fn explain_with(&self, format: Option<&str>, options: &[(&str, bool)]) -> Result<String> {
        self.inner.explain_with(format, options).await
    }
}

impl<M: Model> Default for QuerySet<M> {
    fn default() -> Self {
        QuerySet::new()
    }
}

/// `Model.objects.raw(sql, params)`: a raw query whose columns map to fields by column
/// or attribute name. Missing fields are deferred; the primary key is required; extra
/// columns (annotations) are available through [`RawQuerySet::fetch_rows`].
#[derive(Debug, Clone)]
pub struct RawQuerySet<M> {
    sql: String,
    params: Vec<Value>,
    using: String,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> QuerySet<M> {
    /// `raw(sql, params)` on this queryset's database.
    pub fn raw(&self, sql: impl Into<String>, params: Vec<Value>) -> RawQuerySet<M> {
        RawQuerySet {
            sql: sql.into(),
            params,
            using: self.inner.db().to_owned(),
            _model: PhantomData,
        }
    }
}

impl<M: Model> RawQuerySet<M> {
    /// The rows as returned by the database, converted per field where a column names one.
    pub async fn fetch_rows(&self) -> Result<Vec<Row>> {
        let meta = M::meta();
        let rows = crate::connection::fetch(&self.using, &self.sql, &self.params).await?;
        rows.into_iter()
            .map(|r| {
                let cols = r.columns_arc().clone();
                let values = cols
                    .iter()
                    .zip(r.into_values())
                    .map(
                        |(c, v)| match meta.concrete_fields().find(|f| f.column == c || f.attname == c) {
                            Some(f) => {
                                let v =
                                    super::convert::convert(v, Some(super::where_::column_type(f)), Some(f));
                                match f.custom {
                                    Some(custom) => custom.from_db(v),
                                    None => Ok(v),
                                }
                            }
                            None => Ok(v),
                        },
                    )
                    .collect::<Result<_>>()?;
                Ok(Row::new(cols, values))
            })
            .collect()
    }

    /// The instances.
    pub async fn fetch(&self) -> Result<Vec<M>> {
        let meta = M::meta();
        let rows = self.fetch_rows().await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let pk = meta.pk();
            if !row.columns().iter().any(|c| c == pk.column || c == pk.attname) {
                return Err(crate::DbError::FieldDoesNotExist(
                    "Raw query must include the primary key".into(),
                ));
            }
            let values: Vec<Option<Value>> = meta
                .concrete_fields()
                .map(|f| {
                    row.columns()
                        .iter()
                        .position(|c| c == f.column || c == f.attname)
                        .and_then(|i| row.get(i).cloned())
                })
                .collect();
            out.push(M::from_db(ModelRow::new(values))?);
        }
        Ok(out)
    }
}
