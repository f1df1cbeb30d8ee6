//! PostgreSQL through `tokio-postgres`: Django's `django.db.backends.postgresql`.
//!
//! Outside transactions, queries share a few long-lived connections (about one per core)
//! on which concurrent queries pipeline: the layout of the fastest Rust TechEmpower
//! entries. Each thread sends its queries to one of them ([`PgBackend::slot`]), so a
//! connection, its lock and its statement cache stay in one core's cache. A transaction takes a dedicated connection from a `deadpool-postgres` pool.
//! Prepared statements are cached per connection, keyed by SQL, and dropped after DDL so
//! a changed table never meets a stale plan. Sessions use `TimeZone=UTC`, as Django sets
//! it with `USE_TZ=True`. Connections are plain TCP/Unix sockets (no TLS).
//!
//! Session settings (`SET ...`) on a shared connection affect every query sharing it:
//! change session state inside `atomic`, which has a connection of its own.

mod tsvector;
mod types;

use std::cell::RefCell;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Statement};

pub(crate) use self::types::Decoder;
use self::types::{decode, PgParam};
use super::{is_ddl, Backend, Cells, DbFuture, DedicatedConnection, ExecResult, Row, RowChunks, RowSink};
use crate::error::{DbError, Result};
use crate::value::Value;

/// Maps a driver error: integrity violations (SQLSTATE class 23) are `IntegrityError`
/// with psycopg's message form (`duplicate key value violates unique constraint "x"`,
/// then `DETAIL:  ...`), everything else `DatabaseError`.
pub(crate) fn map_err(e: tokio_postgres::Error) -> DbError {
    match e.as_db_error() {
        Some(db) => {
            let mut msg = db.message().to_owned();
            if let Some(detail) = db.detail() {
                msg.push_str("\nDETAIL:  ");
                msg.push_str(detail);
            }
            if db.code().code().starts_with("23") {
                DbError::IntegrityError(msg)
            } else {
                DbError::DatabaseError(msg)
            }
        }
        None => {
            let mut msg = e.to_string();
            if let Some(source) = std::error::Error::source(&e) {
                let source = source.to_string();
                if !msg.contains(&source) {
                    msg = format!("{msg}: {source}");
                }
            }
            DbError::DatabaseError(msg)
        }
    }
}

fn stale_plan(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::FEATURE_NOT_SUPPORTED)
        && e.as_db_error()
            .is_some_and(|d| d.message().contains("cached plan must not change result type"))
}

const STATEMENT_CACHE_MAX: usize = 1024;

/// A statement cache that empties when the schema generation moves on. Looked up by SQL
/// text on every query, so hashed with foldhash (the SQL is the application's, and the
/// cache is capped).
#[derive(Default)]
struct StatementCache {
    generation: u64,
    statements: foldhash::HashMap<String, Prepared>,
}

/// A prepared statement with the decoders of its columns (worked out once, not per
/// query).
#[derive(Clone)]
struct Prepared {
    stmt: Statement,
    decoders: Arc<[Decoder]>,
}

impl Prepared {
    fn new(stmt: Statement) -> Prepared {
        let decoders = decoders(&stmt).into();
        Prepared { stmt, decoders }
    }
}

fn decoders(stmt: &Statement) -> Vec<Decoder> {
    stmt.columns()
        .iter()
        .map(|c| Decoder::for_type(c.type_()))
        .collect()
}

/// The schema generation (bumped by every DDL statement) and, per pooled connection,
/// the generation its statement cache was last valid for.
#[derive(Default)]
struct Generations {
    current: AtomicU64,
    pooled: Mutex<HashMap<deadpool_postgres::ObjectId, u64>>,
}

impl Generations {
    fn now(&self) -> u64 {
        self.current.load(Ordering::Acquire)
    }

    fn bump(&self) -> u64 {
        self.current.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Clears a pooled connection's statement cache if DDL ran since it was filled (or it
    /// grew past the cap).
    fn sync(&self, obj: &deadpool_postgres::Object) {
        let now = self.now();
        let mut pooled = self.pooled.lock().unwrap_or_else(|e| e.into_inner());
        let seen = pooled.entry(deadpool_postgres::Object::id(obj)).or_insert(now);
        if *seen != now || obj.statement_cache.size() >= STATEMENT_CACHE_MAX {
            obj.statement_cache.clear();
            *seen = now;
        }
    }

    /// Records DDL run on `obj` (whose own cache is cleared too).
    fn ddl_on(&self, obj: &deadpool_postgres::Object) {
        let now = self.bump();
        obj.statement_cache.clear();
        self.pooled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(deadpool_postgres::Object::id(obj), now);
    }
}

/// One shared, pipelined connection.
struct Shared {
    client: tokio_postgres::Client,
    cache: Mutex<StatementCache>,
}

/// A place for one shared connection: read on every query without waiting, (re)connected
/// by one task at a time.
#[derive(Default)]
struct Slot {
    current: Mutex<Option<Arc<Shared>>>,
    connecting: tokio::sync::Mutex<()>,
}

impl Slot {
    /// The open connection of the slot, if any.
    fn open(&self) -> Option<Arc<Shared>> {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|s| !s.client.is_closed())
            .cloned()
    }
}

/// Numbers the PostgreSQL backends (an alias registered again gets a new one).
static BACKEND_IDS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Per backend (by [`PgBackend::id`]), the slot of this thread's queries.
    static LANES: RefCell<foldhash::HashMap<u64, usize>> = RefCell::default();
}

/// The connections of one PostgreSQL alias.
pub(crate) struct PgBackend {
    alias: String,
    config: tokio_postgres::Config,
    shared: Vec<Slot>,
    /// This backend's key in every thread's [`LANES`].
    id: u64,
    /// How many threads were given a slot (the next thread takes the next slot).
    lanes: AtomicUsize,
    pool: Pool,
    /// Bumped by every DDL statement; caches older than it are cleared before use.
    generations: Arc<Generations>,
    connect_timeout: Duration,
}

fn improperly(msg: String) -> DbError {
    DbError::Config(nuages_core::Error::ImproperlyConfigured(msg))
}

impl PgBackend {
    pub(crate) fn new(alias: &str, settings: &nuages_core::DatabaseSettings) -> Result<PgBackend> {
        let mut config = tokio_postgres::Config::from_str(&settings.url).map_err(|e| {
            improperly(format!(
                "invalid PostgreSQL URL '{}': {e}",
                super::redact_url(&settings.url)
            ))
        })?;
        let connect_timeout = Duration::from_secs(settings.connect_timeout.max(1));
        config.connect_timeout(connect_timeout);
        let options = match config.get_options() {
            Some(o) if !o.is_empty() => format!("{o} -c TimeZone=UTC"),
            _ => "-c TimeZone=UTC".to_owned(),
        };
        config.options(options);
        if config.get_application_name().is_none() {
            config.application_name("nuages");
        }
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(settings.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(connect_timeout))
            .create_timeout(Some(connect_timeout))
            .build()
            .map_err(|e| improperly(format!("cannot build the PostgreSQL pool: {e}")))?;
        let cores = std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
            .clamp(1, 8);
        let shared = (0..cores.min(settings.pool_size.max(1)))
            .map(|_| Slot::default())
            .collect();
        Ok(PgBackend {
            alias: alias.to_owned(),
            config,
            shared,
            id: BACKEND_IDS.fetch_add(1, Ordering::Relaxed),
            lanes: AtomicUsize::new(0),
            pool,
            generations: Arc::default(),
            connect_timeout,
        })
    }

    /// The slot of this thread's queries: given on the thread's first query, the slots
    /// in turn, so that each worker thread of a server with as many connections as
    /// cores pipelines on a connection of its own.
    ///
    /// Round robin per query (as before, and as `bench/tfb-reference` does) had every
    /// core touch every connection: the slot's lock, the `Arc`s of the connection and of
    /// its cached statement, and the shared counter itself moved between the cores'
    /// caches on every query. With a slot per thread they stay in one core's cache. A
    /// task that moves to another thread keeps working (every slot serves every
    /// thread); more threads than slots share them.
    fn slot(&self) -> &Slot {
        let next = || self.lanes.fetch_add(1, Ordering::Relaxed);
        let lane = LANES
            .try_with(|lanes| *lanes.borrow_mut().entry(self.id).or_insert_with(next))
            .unwrap_or_else(|_| next());
        &self.shared[lane % self.shared.len()]
    }

    /// [`Backend::fetch_into`] as a plain `async fn` with the sink lent, for a caller
    /// that knows the backend is this one (`connection::fetch_into_on`): its future,
    /// over a kilobyte since tokio-postgres' `query_raw` carries room for a `prepare`,
    /// then lives inside the caller's instead of in an allocation of its own per query,
    /// one that glibc's per-thread cache is too small to serve (`docs/benchmarks.md`,
    /// session 12).
    pub(crate) async fn fetch_into_inline(
        &self,
        sql: &str,
        params: &[Value],
        sink: &mut dyn RowSink,
    ) -> Result<()> {
        let shared = self.shared().await?;
        let mut prepared = self.prepare(&shared, sql).await?;
        let rows = match start(&shared.client, &prepared.stmt, params).await {
            Ok(rows) => rows,
            Err(Retry::No(e)) => return Err(e),
            Err(Retry::Stale) => {
                self.forget(&shared);
                prepared = self.prepare(&shared, sql).await?;
                start(&shared.client, &prepared.stmt, params)
                    .await
                    .map_err(stale_error)?
            }
        };
        drain(&prepared.decoders, rows, sink).await?;
        self.after(sql);
        Ok(())
    }

    /// This thread's shared connection ([`Self::slot`]); (re)connects it if it closed.
    ///
    /// The connecting path is boxed: its future (TCP connect, startup, authentication)
    /// is large, and every query's future would otherwise carry room for it and be
    /// allocated and moved at that size.
    async fn shared(&self) -> Result<Arc<Shared>> {
        let slot = self.slot();
        if let Some(shared) = slot.open() {
            return Ok(shared);
        }
        Box::pin(self.connect_slot(slot)).await
    }

    /// Opens the connection of `slot`, unless another task did meanwhile.
    async fn connect_slot(&self, slot: &Slot) -> Result<Arc<Shared>> {
        let _connecting = slot.connecting.lock().await;
        if let Some(shared) = slot.open() {
            return Ok(shared);
        }
        let connect = self.config.connect(NoTls);
        let (client, connection) = tokio::time::timeout(self.connect_timeout, connect)
            .await
            .map_err(|_| {
                DbError::DatabaseError(format!(
                    "timed out connecting to PostgreSQL for database '{}'",
                    self.alias
                ))
            })?
            .map_err(map_err)?;
        let alias = self.alias.clone();
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(target: "nuages_db::backends", alias, error = %e, "PostgreSQL connection closed");
            }
        });
        let shared = Arc::new(Shared {
            client,
            cache: Mutex::new(StatementCache::default()),
        });
        *slot.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(shared.clone());
        Ok(shared)
    }

    /// The cached prepared statement of `sql` on `shared`, preparing it on a miss (boxed,
    /// as connecting is in [`Self::shared`]: a hit is the common case).
    async fn prepare(&self, shared: &Shared, sql: &str) -> Result<Prepared> {
        let generation = self.generations.now();
        {
            let mut cache = shared.cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache.generation != generation {
                cache.statements.clear();
                cache.generation = generation;
            }
            if let Some(prepared) = cache.statements.get(sql) {
                return Ok(prepared.clone());
            }
        }
        Box::pin(self.prepare_new(shared, sql)).await
    }

    /// Prepares `sql` on `shared` and caches it.
    async fn prepare_new(&self, shared: &Shared, sql: &str) -> Result<Prepared> {
        let prepared = Prepared::new(shared.client.prepare(sql).await.map_err(map_err)?);
        let mut cache = shared.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.statements.len() >= STATEMENT_CACHE_MAX {
            cache.statements.clear();
        }
        cache.statements.insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }

    fn forget(&self, shared: &Shared) {
        shared
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .statements
            .clear();
    }

    fn after(&self, sql: &str) {
        if is_ddl(sql) {
            self.generations.bump();
        }
    }

    async fn try_execute(&self, shared: &Shared, sql: &str, params: &[Value]) -> Result<u64, Retry> {
        let prepared = self.prepare(shared, sql).await.map_err(Retry::No)?;
        shared
            .client
            .execute_raw(&prepared.stmt, params.iter().map(PgParam))
            .await
            .map_err(Retry::from_pg)
    }

    async fn try_fetch(&self, shared: &Shared, sql: &str, params: &[Value]) -> Result<Vec<Row>, Retry> {
        let prepared = self.prepare(shared, sql).await.map_err(Retry::No)?;
        let rows = shared
            .client
            .query_raw(&prepared.stmt, params.iter().map(PgParam))
            .await
            .map_err(Retry::from_pg)?;
        let shape = Shape::of(&prepared.stmt);
        rows.map_err(Retry::from_pg)
            .and_then(|r| futures::future::ready(shape.row(&r).map_err(Retry::No)))
            .try_collect()
            .await
    }
}

/// Starts a prepared statement (binding is where a stale cached plan is reported).
async fn start(
    client: &tokio_postgres::Client,
    stmt: &Statement,
    params: &[Value],
) -> Result<tokio_postgres::RowStream, Retry> {
    client
        .query_raw(stmt, params.iter().map(PgParam))
        .await
        .map_err(Retry::from_pg)
}

/// Hands each row of a started statement to the sink as it arrives.
async fn drain(decoders: &[Decoder], rows: tokio_postgres::RowStream, sink: &mut dyn RowSink) -> Result<()> {
    let mut rows = std::pin::pin!(rows);
    while let Some(row) = rows.next().await {
        let row = row.map_err(map_err)?;
        sink.row(Cells::Postgres(&row, decoders))?;
    }
    Ok(())
}

/// Decodes column `i` of a received row ([`Cells::take`]).
#[inline]
pub(super) fn take(row: &tokio_postgres::Row, decoders: &[Decoder], i: usize) -> Result<Value> {
    match decoders.get(i) {
        Some(d) => decode(row, i, *d).map_err(map_err),
        None => Ok(Value::Null),
    }
}

/// Column `i` of a received row, borrowed ([`Cells::peek`]).
#[inline]
pub(super) fn peek<'r>(
    row: &'r tokio_postgres::Row,
    decoders: &[Decoder],
    i: usize,
) -> Result<Option<crate::value::ValueRef<'r>>> {
    match decoders.get(i) {
        Some(d) => types::peek(row, i, *d).map_err(map_err),
        None => Ok(None),
    }
}

fn stale_error(e: Retry) -> DbError {
    match e {
        Retry::No(e) => e,
        Retry::Stale => DbError::DatabaseError("cached plan must not change result type".into()),
    }
}

/// An error, and whether the statement may be retried after dropping the cached plan.
enum Retry {
    Stale,
    No(DbError),
}

impl Retry {
    fn from_pg(e: tokio_postgres::Error) -> Retry {
        if stale_plan(&e) {
            Retry::Stale
        } else {
            Retry::No(map_err(e))
        }
    }
}

/// Column names and decoders of a statement's result.
#[derive(Clone)]
struct Shape {
    columns: Arc<[String]>,
    decoders: Arc<[Decoder]>,
}

impl Shape {
    fn of(stmt: &Statement) -> Shape {
        Shape {
            columns: stmt.columns().iter().map(|c| c.name().to_owned()).collect(),
            decoders: decoders(stmt).into(),
        }
    }

    fn row(&self, row: &tokio_postgres::Row) -> Result<Row> {
        let mut values = Vec::with_capacity(self.decoders.len());
        for (i, d) in self.decoders.iter().enumerate() {
            values.push(decode(row, i, *d).map_err(map_err)?);
        }
        Ok(Row::new(self.columns.clone(), values))
    }
}

impl Backend for PgBackend {
    fn execute<'a>(&'a self, sql: &'a str, params: &'a [Value]) -> DbFuture<'a, ExecResult> {
        Box::pin(async move {
            let shared = self.shared().await?;
            let rows_affected = match self.try_execute(&shared, sql, params).await {
                Ok(n) => n,
                Err(Retry::No(e)) => return Err(e),
                Err(Retry::Stale) => {
                    self.forget(&shared);
                    self.try_execute(&shared, sql, params)
                        .await
                        .map_err(|e| match e {
                            Retry::No(e) => e,
                            Retry::Stale => {
                                DbError::DatabaseError("cached plan must not change result type".into())
                            }
                        })?
                }
            };
            self.after(sql);
            Ok(ExecResult {
                rows_affected,
                last_insert_id: None,
            })
        })
    }

    fn fetch<'a>(&'a self, sql: &'a str, params: &'a [Value]) -> DbFuture<'a, Vec<Row>> {
        Box::pin(async move {
            let shared = self.shared().await?;
            let rows = match self.try_fetch(&shared, sql, params).await {
                Ok(rows) => rows,
                Err(Retry::No(e)) => return Err(e),
                Err(Retry::Stale) => {
                    self.forget(&shared);
                    self.try_fetch(&shared, sql, params).await.map_err(|e| match e {
                        Retry::No(e) => e,
                        Retry::Stale => {
                            DbError::DatabaseError("cached plan must not change result type".into())
                        }
                    })?
                }
            };
            self.after(sql);
            Ok(rows)
        })
    }

    fn fetch_into<'a>(
        &'a self,
        sql: &'a str,
        params: &'a [Value],
        sink: Box<dyn RowSink>,
    ) -> DbFuture<'a, Box<dyn RowSink>> {
        Box::pin(async move {
            let mut sink = sink;
            self.fetch_into_inline(sql, params, &mut *sink).await?;
            Ok(sink)
        })
    }

    /// Streams run on a pooled connection of their own, not a shared one: a slow reader
    /// applies backpressure to its own connection instead of stalling the pipeline. The
    /// rows come as the server sends them (tokio-postgres reads ahead only what its
    /// socket buffer holds), not in `chunk_size` batches: there is no cursor to
    /// `fetchmany` from outside a transaction.
    fn fetch_stream(
        self: Arc<Self>,
        sql: String,
        params: Vec<Value>,
        _chunk_size: usize,
    ) -> BoxStream<'static, Result<Row>> {
        let start = async move {
            let obj = self.pool.get().await.map_err(|e| {
                DbError::DatabaseError(format!(
                    "cannot get a connection for database '{}': {e}",
                    self.alias
                ))
            })?;
            self.generations.sync(&obj);
            let stmt = obj.prepare_cached(&sql).await.map_err(map_err)?;
            let rows = obj
                .query_raw(&stmt, params.iter().map(PgParam))
                .await
                .map_err(map_err)?;
            Ok::<_, DbError>((Shape::of(&stmt), obj, rows))
        };
        stream::once(start)
            .flat_map(|started| match started {
                Err(e) => stream::iter(vec![Err(e)]).boxed(),
                Ok((shape, obj, rows)) => rows
                    .map(move |row| {
                        // The stream keeps its connection until it is dropped.
                        let _connection = &obj;
                        row.map_err(map_err).and_then(|r| shape.row(&r))
                    })
                    .boxed(),
            })
            .boxed()
    }

    fn execute_script<'a>(&'a self, sql: &'a str) -> DbFuture<'a, ()> {
        Box::pin(async move {
            let shared = self.shared().await?;
            shared.client.batch_execute(sql).await.map_err(map_err)?;
            self.after(sql);
            Ok(())
        })
    }

    fn dedicated(&self) -> DbFuture<'_, Box<dyn DedicatedConnection>> {
        Box::pin(async move {
            let obj = self.pool.get().await.map_err(|e| {
                DbError::DatabaseError(format!(
                    "cannot get a connection for database '{}': {e}",
                    self.alias
                ))
            })?;
            Ok(Box::new(PgDedicated {
                obj: Some(obj),
                in_transaction: false,
                generations: self.generations.clone(),
            }) as Box<dyn DedicatedConnection>)
        })
    }
}

/// A pooled connection owned by a transaction.
struct PgDedicated {
    obj: Option<deadpool_postgres::Object>,
    in_transaction: bool,
    generations: Arc<Generations>,
}

impl PgDedicated {
    fn client(&mut self) -> Result<&deadpool_postgres::Object> {
        let obj = self
            .obj
            .as_ref()
            .ok_or_else(|| DbError::DatabaseError("the connection is closed".into()))?;
        self.generations.sync(obj);
        Ok(obj)
    }

    fn after(&mut self, sql: &str) {
        if is_ddl(sql) {
            if let Some(obj) = &self.obj {
                self.generations.ddl_on(obj);
            }
        }
    }
}

impl Drop for PgDedicated {
    fn drop(&mut self) {
        if self.in_transaction {
            // Never hand an open transaction back to the pool: close the connection
            // (the server rolls the transaction back).
            if let Some(obj) = self.obj.take() {
                drop(deadpool_postgres::Object::take(obj));
            }
        }
    }
}

impl DedicatedConnection for PgDedicated {
    fn execute<'a>(&'a mut self, sql: &'a str, params: &'a [Value]) -> DbFuture<'a, ExecResult> {
        Box::pin(async move {
            let client = self.client()?;
            let stmt = client.prepare_cached(sql).await.map_err(map_err)?;
            let rows_affected = client
                .execute_raw(&stmt, params.iter().map(PgParam))
                .await
                .map_err(map_err)?;
            self.after(sql);
            Ok(ExecResult {
                rows_affected,
                last_insert_id: None,
            })
        })
    }

    fn fetch<'a>(&'a mut self, sql: &'a str, params: &'a [Value]) -> DbFuture<'a, Vec<Row>> {
        Box::pin(async move {
            let client = self.client()?;
            let stmt = client.prepare_cached(sql).await.map_err(map_err)?;
            let rows = client
                .query_raw(&stmt, params.iter().map(PgParam))
                .await
                .map_err(map_err)?;
            let shape = Shape::of(&stmt);
            let rows: Vec<Row> = rows
                .map_err(map_err)
                .and_then(|r| futures::future::ready(shape.row(&r)))
                .try_collect()
                .await?;
            self.after(sql);
            Ok(rows)
        })
    }

    fn fetch_into<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Value],
        sink: Box<dyn RowSink>,
    ) -> DbFuture<'a, Box<dyn RowSink>> {
        Box::pin(async move {
            let mut sink = sink;
            let client = self.client()?;
            let stmt = client.prepare_cached(sql).await.map_err(map_err)?;
            let rows = start(client, &stmt, params).await.map_err(stale_error)?;
            drain(&decoders(&stmt), rows, &mut *sink).await?;
            self.after(sql);
            Ok(sink)
        })
    }

    /// Rows arrive as the server sends them: `tokio-postgres` stops reading the socket
    /// while the channel is full, so the server waits too.
    fn stream_into<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Value],
        mut out: RowChunks,
    ) -> DbFuture<'a, ()> {
        Box::pin(async move {
            let client = self.client()?;
            let stmt = client.prepare_cached(sql).await.map_err(map_err)?;
            let rows = start(client, &stmt, params).await.map_err(stale_error)?;
            let shape = Shape::of(&stmt);
            let mut rows = std::pin::pin!(rows);
            while let Some(row) = rows.next().await {
                let row = shape.row(&row.map_err(map_err)?)?;
                if !out.push(row).await {
                    return Ok(());
                }
            }
            out.finish().await;
            Ok(())
        })
    }

    fn execute_script<'a>(&'a mut self, sql: &'a str) -> DbFuture<'a, ()> {
        Box::pin(async move {
            self.client()?.batch_execute(sql).await.map_err(map_err)?;
            self.after(sql);
            Ok(())
        })
    }

    fn set_in_transaction(&mut self, open: bool) {
        self.in_transaction = open;
    }
}
