//! SQLite through `rusqlite` (bundled): Django's `django.db.backends.sqlite3`.
//!
//! A `rusqlite::Connection` blocks, so each one has a thread of its own that runs the jobs
//! sent to it while async callers await the answer; a caller whose thread serves no other
//! task (a command's or a script's `block_on`) runs its query in place instead, so the rows
//! stay on the thread that uses them ([`Checkout::run`]). A small pool of connections
//! serves an alias. File databases use WAL so readers never wait for the writer;
//! every connection has `PRAGMA foreign_keys=ON` and the alias's busy timeout, and the
//! SQL functions Django registers (`REGEXP` for the `regex`/`iregex` lookups, the
//! `django_date_extract` family for date transforms, ...: see [`functions`]). `sqlite::memory:`
//! is one database per alias, served by a single connection (an in-memory database
//! lives and dies with its connection), so every query of the alias sees the same data.
//!
//! Values are stored the way Django stores them: booleans as 0/1, decimals as text,
//! dates/times/datetimes as ISO text (datetimes in UTC, `YYYY-MM-DD HH:MM:SS[.ffffff]`),
//! durations as integer microseconds, UUIDs as 32 hex digits, JSON as text.
//!
//! Other parts of nuages add more SQL functions with [`register_connection_hook`].

pub mod functions;

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures::stream::{self, BoxStream, StreamExt};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::ToSql;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

pub use rusqlite;

use super::{
    format_datetime, format_time, is_ddl, unchunk, Backend, Cells, DbFuture, DedicatedConnection, ExecResult,
    Row, RowChunks, RowSink,
};
use crate::error::{DbError, Result};
use crate::value::Value;

type Hook = Arc<dyn Fn(&rusqlite::Connection) -> rusqlite::Result<()> + Send + Sync>;

static HOOKS: RwLock<Vec<Hook>> = RwLock::new(Vec::new());
static HOOKS_LEN: AtomicUsize = AtomicUsize::new(0);

/// Runs `hook` on every SQLite connection: those opened later, and the open ones before
/// their next statement. Use it to register SQL functions, as Django's SQLite backend
/// registers `django_date_extract` and friends.
///
/// ```
/// use nuages_db::backends::sqlite::{register_connection_hook, rusqlite};
/// register_connection_hook(|conn| {
///     conn.create_scalar_function("twice", 1, rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC, |ctx| {
///         Ok(ctx.get::<i64>(0)? * 2)
///     })
/// });
/// ```
pub fn register_connection_hook(
    hook: impl Fn(&rusqlite::Connection) -> rusqlite::Result<()> + Send + Sync + 'static,
) {
    let mut hooks = HOOKS.write().unwrap_or_else(|e| e.into_inner());
    hooks.push(Arc::new(hook));
    HOOKS_LEN.store(hooks.len(), Ordering::Release);
}

fn apply_new_hooks(conn: &rusqlite::Connection, applied: &mut usize) -> rusqlite::Result<()> {
    if HOOKS_LEN.load(Ordering::Acquire) == *applied {
        return Ok(());
    }
    let hooks: Vec<Hook> = {
        let all = HOOKS.read().unwrap_or_else(|e| e.into_inner());
        all[*applied..].to_vec()
    };
    for hook in &hooks {
        hook(conn)?;
        *applied += 1;
    }
    Ok(())
}

/// Where an alias's database lives.
#[derive(Debug, Clone)]
enum Target {
    Memory,
    File(PathBuf),
}

fn parse_url(url: &str) -> Result<Target> {
    let rest = url.strip_prefix("sqlite:").unwrap_or(url);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let rest = rest.split('?').next().unwrap_or_default();
    match rest {
        ":memory:" => Ok(Target::Memory),
        "" => Err(DbError::Config(nuages_core::Error::ImproperlyConfigured(
            format!("'{url}' names no SQLite file. Use sqlite://path or sqlite::memory:."),
        ))),
        path => Ok(Target::File(PathBuf::from(path))),
    }
}

/// A connection and what it has caught up with, locked by the job that uses it.
struct ConnState {
    conn: rusqlite::Connection,
    /// How many of [`HOOKS`] ran on this connection.
    hooks_applied: usize,
    /// The pool's schema generation its cached statements were prepared under.
    seen: u64,
}

impl ConnState {
    /// Runs `f` on the connection once it has the hooks registered since its last job
    /// and, after DDL anywhere in the pool, no statement prepared before it.
    fn run<R>(&mut self, generation: &AtomicU64, f: impl FnOnce(&mut rusqlite::Connection) -> R) -> R {
        if let Err(e) = apply_new_hooks(&self.conn, &mut self.hooks_applied) {
            tracing::error!(target: "nuages_db::backends", error = %e, "SQLite connection hook failed");
        }
        let now = generation.load(Ordering::Acquire);
        if now != self.seen {
            self.conn.flush_prepared_statement_cache();
            self.seen = now;
        }
        f(&mut self.conn)
    }
}

/// Work for a connection's thread.
type Job = Box<dyn FnOnce() + Send>;

/// One pooled connection: its state, and the thread of its own that runs the jobs sent
/// to it.
#[derive(Clone)]
struct Conn {
    state: Arc<Mutex<ConnState>>,
    thread: std::sync::mpsc::Sender<Job>,
}

/// Locks a connection; a job that panicked leaves it usable (its statement was dropped
/// while unwinding).
fn lock(state: &Mutex<ConnState>) -> std::sync::MutexGuard<'_, ConnState> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl Conn {
    /// Sends `job` to the connection's thread, which runs it on the locked connection.
    fn send(&self, job: impl FnOnce(&mut ConnState) + Send + 'static) -> Result<()> {
        let state = self.state.clone();
        self.thread
            .send(Box::new(move || job(&mut lock(&state))))
            .map_err(|_| thread_gone())
    }
}

fn thread_gone() -> DbError {
    DbError::DatabaseError("the SQLite connection thread stopped".to_owned())
}

/// Whether a query may block the calling thread: yes where the thread serves no other
/// task (outside any runtime, or in a multi-threaded runtime's `block_on`: a management
/// command, a script, a benchmark); no on a runtime's worker (a view), nor in a
/// current-thread runtime, whose tasks would stall.
///
/// Where it may, the query runs in place, and its rows are allocated on the thread that
/// uses and frees them: reading 10,000 rows on a connection's thread and handing them over
/// cost 16% more than reading them in place. Elsewhere the connection's thread runs it,
/// which for a server's small queries costs less than making a worker a blocking thread
/// for the while (`block_in_place`), both measured in `docs/benchmarks.md` (session 9).
fn may_block_here() -> bool {
    match tokio::runtime::Handle::try_current() {
        Err(_) => true,
        Ok(handle) => {
            handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
                && tokio::task::try_id().is_none()
        }
    }
}

struct Pool {
    alias: String,
    target: Target,
    busy_timeout: Duration,
    acquire_timeout: Duration,
    idle: Mutex<Vec<Conn>>,
    permits: Arc<Semaphore>,
    /// Bumped after DDL: connections flush their prepared statements before the next job,
    /// so a cached `SELECT *` never reports the columns of a table as it was.
    generation: Arc<AtomicU64>,
}

fn open(target: &Target, busy_timeout: Duration) -> rusqlite::Result<rusqlite::Connection> {
    let conn = match target {
        Target::Memory => rusqlite::Connection::open_in_memory()?,
        Target::File(path) => {
            let conn = rusqlite::Connection::open(path)?;
            conn.busy_timeout(busy_timeout)?;
            conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
            conn
        }
    };
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    conn.set_prepared_statement_cache_capacity(256);
    functions::register(&conn)?;
    Ok(conn)
}

impl Pool {
    /// Opens a connection on a new thread of its own.
    async fn connect(&self) -> Result<Conn> {
        let (ready_tx, ready_rx) = oneshot::channel::<Result<Arc<Mutex<ConnState>>>>();
        let (thread, jobs) = std::sync::mpsc::channel::<Job>();
        let (target, busy) = (self.target.clone(), self.busy_timeout);
        let seen = self.generation.load(Ordering::Acquire);
        std::thread::Builder::new()
            .name(format!("nuages-sqlite-{}", self.alias))
            .spawn(move || {
                let opened = open(&target, busy).map_err(map_err).map(|conn| {
                    Arc::new(Mutex::new(ConnState {
                        conn,
                        hooks_applied: 0,
                        seen,
                    }))
                });
                let is_open = opened.is_ok();
                let _ = ready_tx.send(opened);
                if is_open {
                    while let Ok(job) = jobs.recv() {
                        job();
                    }
                }
            })
            .map_err(|e| DbError::DatabaseError(format!("cannot start a SQLite connection thread: {e}")))?;
        let state = ready_rx.await.map_err(|_| thread_gone())??;
        Ok(Conn { state, thread })
    }

    async fn checkout(self: &Arc<Self>) -> Result<Checkout> {
        let permit = tokio::time::timeout(self.acquire_timeout, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| {
                DbError::DatabaseError(format!(
                    "timed out after {:?} waiting for a connection to database '{}'",
                    self.acquire_timeout, self.alias
                ))
            })?
            .map_err(|_| DbError::DatabaseError("the connection pool is closed".to_owned()))?;
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        Ok(Checkout {
            conn: Some(conn),
            pool: self.clone(),
            permit: Some(permit),
            in_transaction: false,
        })
    }

    fn give_back(&self, conn: Conn) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
    }
}

/// A connection taken from the pool; returned to it on drop (after rolling back a
/// transaction left open).
pub(crate) struct Checkout {
    conn: Option<Conn>,
    pool: Arc<Pool>,
    /// Released once the connection is back in the pool (after the rollback, if any).
    permit: Option<OwnedSemaphorePermit>,
    in_transaction: bool,
}

impl Checkout {
    fn conn(&self) -> Result<&Conn> {
        self.conn.as_ref().ok_or_else(thread_gone)
    }

    /// Runs `f` on the connection: in place where the thread may block
    /// ([`may_block_here`]), on the connection's thread otherwise. A panic in `f` is the
    /// caller's panic either way.
    async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let conn = self.conn()?;
        if may_block_here() {
            return lock(&conn.state).run(&self.pool.generation, f);
        }
        self.run_apart(f).await
    }

    /// Runs `f` on the connection's thread and waits for it; for a job that waits on its
    /// caller (a stream's reader).
    async fn run_apart<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let generation = self.pool.generation.clone();
        let (tx, rx) = oneshot::channel();
        self.conn()?.send(move |state| {
            let _ = tx.send(std::panic::catch_unwind(AssertUnwindSafe(|| {
                state.run(&generation, f)
            })));
        })?;
        match rx.await.map_err(|_| thread_gone())? {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let (Some(conn), permit) = (self.conn.take(), self.permit.take()) else {
            return;
        };
        if !self.in_transaction {
            self.pool.give_back(conn);
            return;
        }
        // The connection and its permit go back to the pool after the rollback, so that
        // nobody runs a statement inside the abandoned transaction.
        let (pool, back) = (self.pool.clone(), conn.clone());
        let rollback = move |state: &mut ConnState| {
            if !state.conn.is_autocommit() {
                let _ = state.conn.execute_batch("ROLLBACK");
            }
            pool.give_back(back);
            drop(permit);
        };
        if conn.send(rollback).is_err() {
            tracing::error!(target: "nuages_db::backends", "cannot roll back an abandoned SQLite transaction: its thread stopped");
        }
    }
}

/// Maps a driver error: constraint violations are `IntegrityError` with SQLite's message
/// ("UNIQUE constraint failed: app_book.isbn"), everything else `DatabaseError`.
pub(crate) fn map_err(e: rusqlite::Error) -> DbError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            DbError::IntegrityError(e.to_string())
        }
        _ => DbError::DatabaseError(e.to_string()),
    }
}

/// A [`Value`] bound as Django's SQLite backend adapts it.
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use rusqlite::types::Value as V;
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Owned(V::Null),
            Value::Bool(b) => ToSqlOutput::Owned(V::Integer(i64::from(*b))),
            Value::Int(i) => ToSqlOutput::Owned(V::Integer(*i)),
            Value::Float(f) => ToSqlOutput::Owned(V::Real(*f)),
            Value::Decimal(d) => ToSqlOutput::Owned(V::Text(d.to_string())),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Value::Date(d) => ToSqlOutput::Owned(V::Text(d.format("%Y-%m-%d").to_string())),
            Value::Time(t) => ToSqlOutput::Owned(V::Text(format_time(t))),
            Value::DateTime(dt) => ToSqlOutput::Owned(V::Text(format_datetime(dt))),
            Value::Duration(d) => match d.num_microseconds() {
                Some(us) => ToSqlOutput::Owned(V::Integer(us)),
                None => {
                    return Err(rusqlite::Error::ToSqlConversionFailure(
                        format!("duration {d} does not fit in 64-bit microseconds").into(),
                    ))
                }
            },
            Value::Uuid(u) => ToSqlOutput::Owned(V::Text(u.simple().to_string())),
            Value::Json(j) => ToSqlOutput::Owned(V::Text(j.to_string())),
        })
    }
}

fn bind(stmt: &mut rusqlite::CachedStatement<'_>, params: &[Value]) -> Result<()> {
    let expected = stmt.parameter_count();
    if expected != params.len() {
        return Err(DbError::DatabaseError(format!(
            "Incorrect number of bindings supplied. The current statement uses {expected}, and there are {} supplied.",
            params.len()
        )));
    }
    for (i, p) in params.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, Param(p)).map_err(map_err)?;
    }
    Ok(())
}

fn decode(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Float(f),
        ValueRef::Text(t) => Value::Text(match std::str::from_utf8(t) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(t).into_owned(),
        }),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
    }
}

fn exec_on(conn: &rusqlite::Connection, sql: &str, params: &[Value]) -> Result<ExecResult> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    bind(&mut stmt, params)?;
    let readonly = stmt.readonly();
    {
        let mut rows = stmt.raw_query();
        while rows.next().map_err(map_err)?.is_some() {}
    }
    if readonly {
        return Ok(ExecResult::default());
    }
    let rows_affected = conn.changes();
    let is_insert = sql
        .trim_start()
        .get(..6)
        .is_some_and(|h| h.eq_ignore_ascii_case("INSERT"));
    let last_insert_id = (is_insert && rows_affected > 0).then(|| conn.last_insert_rowid());
    Ok(ExecResult {
        rows_affected,
        last_insert_id,
    })
}

fn fetch_on(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
    mut sink: impl FnMut(Row) -> bool,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    bind(&mut stmt, params)?;
    let columns: Arc<[String]> = stmt.column_names().map(str::to_owned).collect();
    let n = columns.len();
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().map_err(map_err)? {
        let mut values = Vec::with_capacity(n);
        for i in 0..n {
            values.push(decode(row.get_ref(i).map_err(map_err)?));
        }
        if !sink(Row::new(columns.clone(), values)) {
            break;
        }
    }
    Ok(())
}

/// Decodes column `i` of a row of the statement being stepped ([`Cells::take`]).
#[inline]
pub(super) fn take(row: &rusqlite::Row<'_>, i: usize) -> Result<Value> {
    Ok(decode(row.get_ref(i).map_err(map_err)?))
}

/// Column `i` of a row of the statement being stepped, borrowed ([`Cells::peek`]).
#[inline(always)]
pub(super) fn peek<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<crate::value::ValueRef<'r>>> {
    Ok(borrowed(row.get_ref(i).map_err(map_err)?))
}

/// A cell in one of [`ValueRef`](crate::value::ValueRef)'s forms (not a blob, text that
/// is UTF-8).
#[inline(always)]
fn borrowed(cell: ValueRef<'_>) -> Option<crate::value::ValueRef<'_>> {
    use crate::value::ValueRef as V;
    match cell {
        ValueRef::Null => Some(V::Null),
        ValueRef::Integer(n) => Some(V::Int(n)),
        ValueRef::Real(f) => Some(V::Float(f)),
        ValueRef::Text(t) => std::str::from_utf8(t).ok().map(V::Text),
        ValueRef::Blob(_) => None,
    }
}

/// Column `i` read straight into `T` when the cell passes the field's conversion
/// unchanged, the common case of a model row read column by column; `None` for anything
/// else, errors included, which the caller's conversion path reads again and reports.
/// No `Result` per cell, so the check inlined into every model's decoder stays small.
#[inline(always)]
pub(crate) fn read_as_is<T: crate::value::FromValue>(
    row: &rusqlite::Row<'_>,
    i: usize,
    unchanged: crate::query::convert::Unchanged,
) -> Option<T> {
    let cell = borrowed(row.get_ref(i).ok()?)?;
    if unchanged.admits(&cell) {
        T::from_value_ref(cell)
    } else {
        None
    }
}

/// Steps the statement, handing each row to the sink.
fn fetch_sink(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
    mut sink: Box<dyn RowSink>,
) -> Result<Box<dyn RowSink>> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    bind(&mut stmt, params)?;
    let mut rows = stmt.raw_query();
    sink.sqlite_rows(&mut rows)?;
    Ok(sink)
}

/// Steps `rows` to the end, handing each row to `f` ([`RowSink::sqlite_rows`]).
#[inline(always)]
pub(crate) fn each_row(
    rows: &mut rusqlite::Rows<'_>,
    mut f: impl FnMut(Cells<'_>) -> Result<()>,
) -> Result<()> {
    while let Some(row) = rows.next().map_err(map_err)? {
        f(Cells::Sqlite(row))?;
    }
    Ok(())
}

fn fetch_all(conn: &rusqlite::Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    fetch_on(conn, sql, params, |row| {
        out.push(row);
        true
    })?;
    Ok(out)
}

/// The connections of one SQLite alias.
pub(crate) struct SqliteBackend {
    pool: Arc<Pool>,
    /// How many connections the pool opens (one for an in-memory database): with one, a
    /// stream reads its rows at once ([`Self::chunks`]).
    size: usize,
}

impl SqliteBackend {
    pub(crate) fn new(alias: &str, settings: &nuages_core::DatabaseSettings) -> Result<SqliteBackend> {
        let target = parse_url(&settings.url)?;
        let size = match target {
            Target::Memory => 1,
            Target::File(_) => settings.pool_size.max(1),
        };
        Ok(SqliteBackend {
            pool: Arc::new(Pool {
                alias: alias.to_owned(),
                target,
                busy_timeout: Duration::from_secs(settings.busy_timeout),
                acquire_timeout: Duration::from_secs(settings.connect_timeout.max(1)),
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(size)),
                generation: Arc::default(),
            }),
            size,
        })
    }
}

impl SqliteBackend {
    /// Runs a query on a pooled connection's thread, which reads `chunk_size` rows at a
    /// time and hands each chunk over (Django's `fetchmany(chunk_size)`); the channel
    /// holds one chunk, so at most two chunks are read ahead of the reader. The
    /// connection stays checked out until the stream is dropped.
    ///
    /// An alias with a single connection (an in-memory database, or `pool_size = 1`)
    /// reads the rows at once instead and hands them out `chunk_size` at a time: a stream
    /// holding its only connection would make every statement run while it is open (a
    /// query per row, a prefetch) wait for it until the acquire timeout, where Python's
    /// `sqlite3` interleaves the cursors of its one connection.
    fn chunks(
        self: Arc<Self>,
        sql: String,
        params: Vec<Value>,
        chunk_size: usize,
    ) -> BoxStream<'static, Result<Vec<Row>>> {
        let chunk_size = chunk_size.max(1);
        let pool = self.pool.clone();
        if self.size == 1 {
            let read = async move {
                let mut conn = pool.checkout().await?;
                DedicatedConnection::fetch(&mut conn, &sql, &params).await
            };
            return stream::once(read)
                .flat_map(move |rows| match rows {
                    Ok(rows) => stream::iter(rows).chunks(chunk_size).map(Ok).boxed(),
                    Err(e) => stream::iter(vec![Err(e)]).boxed(),
                })
                .boxed();
        }
        let start = async move {
            let conn = pool.checkout().await?;
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<Row>>>(1);
            let generation = pool.generation.clone();
            conn.conn()?.send(move |state| {
                state.run(&generation, |c| {
                    let mut rows = RowChunks::new(tx, chunk_size);
                    match fetch_on(c, &sql, &params, |row| rows.blocking_push(row)) {
                        Ok(()) => rows.blocking_finish(),
                        Err(e) => rows.blocking_fail(e),
                    }
                })
            })?;
            Ok::<_, DbError>((conn, rx))
        };
        stream::once(start)
            .flat_map(|started| match started {
                Err(e) => stream::iter(vec![Err(e)]).boxed(),
                // The stream keeps its connection until it is dropped.
                Ok((conn, rx)) => stream::unfold((conn, rx), |(conn, mut rx)| async move {
                    let chunk = rx.recv().await?;
                    Some((chunk, (conn, rx)))
                })
                .boxed(),
            })
            .boxed()
    }
}

impl Backend for SqliteBackend {
    fn execute<'a>(&'a self, sql: &'a str, params: &'a [Value]) -> DbFuture<'a, ExecResult> {
        Box::pin(async move {
            let conn = self.pool.checkout().await?;
            conn.execute(sql, params).await
        })
    }

    fn fetch<'a>(&'a self, sql: &'a str, params: &'a [Value]) -> DbFuture<'a, Vec<Row>> {
        Box::pin(async move {
            let mut conn = self.pool.checkout().await?;
            conn.fetch(sql, params).await
        })
    }

    fn fetch_stream(
        self: Arc<Self>,
        sql: String,
        params: Vec<Value>,
        chunk_size: usize,
    ) -> BoxStream<'static, Result<Row>> {
        unchunk(self.chunks(sql, params, chunk_size))
    }

    fn fetch_into<'a>(
        &'a self,
        sql: &'a str,
        params: &'a [Value],
        sink: Box<dyn RowSink>,
    ) -> DbFuture<'a, Box<dyn RowSink>> {
        Box::pin(async move {
            let mut conn = self.pool.checkout().await?;
            DedicatedConnection::fetch_into(&mut conn, sql, params, sink).await
        })
    }

    fn execute_script<'a>(&'a self, sql: &'a str) -> DbFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.pool.checkout().await?;
            conn.execute_script(sql).await
        })
    }

    fn dedicated(&self) -> DbFuture<'_, Box<dyn DedicatedConnection>> {
        Box::pin(async move {
            let conn = self.pool.checkout().await?;
            Ok(Box::new(conn) as Box<dyn DedicatedConnection>)
        })
    }
}

impl Checkout {
    /// After DDL, every connection of the pool (this one included) drops its cached
    /// statements before its next job.
    fn after(&self, ddl: bool) {
        if ddl {
            self.pool.generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<ExecResult> {
        let (sql, params) = (sql.to_owned(), params.to_vec());
        let ddl = is_ddl(&sql);
        let result = self.run(move |c| exec_on(c, &sql, &params)).await;
        self.after(ddl);
        result
    }
}

impl DedicatedConnection for Checkout {
    fn execute<'a>(&'a mut self, sql: &'a str, params: &'a [Value]) -> DbFuture<'a, ExecResult> {
        Box::pin(Checkout::execute(self, sql, params))
    }

    fn fetch<'a>(&'a mut self, sql: &'a str, params: &'a [Value]) -> DbFuture<'a, Vec<Row>> {
        let (sql, params) = (sql.to_owned(), params.to_vec());
        Box::pin(self.run(move |c| fetch_all(c, &sql, &params)))
    }

    fn fetch_into<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Value],
        sink: Box<dyn RowSink>,
    ) -> DbFuture<'a, Box<dyn RowSink>> {
        let (sql, params) = (sql.to_owned(), params.to_vec());
        Box::pin(self.run(move |c| fetch_sink(c, &sql, &params, sink)))
    }

    /// Steps the statement on the connection's thread, which waits while the channel is
    /// full; a closed channel stops the statement.
    fn stream_into<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Value],
        mut rows: RowChunks,
    ) -> DbFuture<'a, ()> {
        let (sql, params) = (sql.to_owned(), params.to_vec());
        Box::pin(self.run_apart(move |c| {
            fetch_on(c, &sql, &params, |row| rows.blocking_push(row))?;
            rows.blocking_finish();
            Ok(())
        }))
    }

    fn execute_script<'a>(&'a mut self, sql: &'a str) -> DbFuture<'a, ()> {
        let sql = sql.to_owned();
        let ddl = is_ddl(&sql);
        Box::pin(async move {
            let result = self.run(move |c| c.execute_batch(&sql).map_err(map_err)).await;
            self.after(ddl);
            result
        })
    }

    fn set_in_transaction(&mut self, open: bool) {
        self.in_transaction = open;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    /// Ten rows without a table.
    const TEN: &str =
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 10) SELECT n FROM seq";

    #[tokio::test]
    async fn streams_read_chunk_size_rows_at_a_time() {
        // Django's `iterator(chunk_size)`: `fetchmany(chunk_size)` from the cursor.
        let settings = nuages_core::DatabaseSettings {
            url: "sqlite::memory:".into(),
            ..Default::default()
        };
        let backend = Arc::new(SqliteBackend::new("chunks", &settings).unwrap());
        for (size, expected) in [(3, vec![3, 3, 3, 1]), (10, vec![10]), (1, vec![1; 10])] {
            let chunks: Vec<_> = backend.clone().chunks(TEN.into(), vec![], size).collect().await;
            let sizes: Vec<usize> = chunks.into_iter().map(|c| c.unwrap().len()).collect();
            assert_eq!(sizes, expected, "chunk_size={size}");
        }
        let rows: Vec<_> = backend.fetch_stream(TEN.into(), vec![], 4).collect().await;
        let ns: Vec<Value> = rows
            .into_iter()
            .map(|r| r.unwrap().into_values().remove(0))
            .collect();
        assert_eq!(ns, (1..=10).map(Value::Int).collect::<Vec<_>>());
    }

    fn memory(alias: &str) -> SqliteBackend {
        let settings = nuages_core::DatabaseSettings {
            url: "sqlite::memory:".into(),
            ..Default::default()
        };
        SqliteBackend::new(alias, &settings).unwrap()
    }

    fn runtime(multi_threaded: bool) -> tokio::runtime::Runtime {
        let mut builder = if multi_threaded {
            tokio::runtime::Builder::new_multi_thread()
        } else {
            tokio::runtime::Builder::new_current_thread()
        };
        builder.enable_all().build().unwrap()
    }

    /// Where a query runs: in place on a thread that serves no other task (a
    /// multi-threaded runtime's `block_on`), so that its rows are allocated where they are
    /// used; on the connection's thread from a task, or from a current-thread runtime,
    /// whose only thread must not block.
    #[test]
    fn queries_run_in_place_only_where_the_thread_may_block() {
        async fn in_place(backend: Arc<SqliteBackend>) -> bool {
            let conn = backend.pool.checkout().await.unwrap();
            let here = std::thread::current().id();
            let there = conn.run(|_| Ok(std::thread::current().id())).await.unwrap();
            here == there
        }
        for multi in [true, false] {
            let runtime = runtime(multi);
            let backend = Arc::new(memory("in_place"));
            let in_block_on = runtime.block_on(in_place(backend.clone()));
            assert_eq!(in_block_on, multi, "block_on, multi-threaded runtime: {multi}");
            let in_task = runtime.block_on(runtime.spawn(in_place(backend))).unwrap();
            assert!(!in_task, "a task, multi-threaded runtime: {multi}");
        }
    }

    /// A transaction left open by a dropped checkout is rolled back before anyone else
    /// gets the connection, on either runtime.
    #[test]
    fn an_abandoned_transaction_is_rolled_back_before_the_connection_is_reused() {
        for multi in [true, false] {
            let runtime = runtime(multi);
            runtime.block_on(async {
                let backend = memory("abandoned");
                backend
                    .execute_script("CREATE TABLE t (n INTEGER)")
                    .await
                    .unwrap();
                for _ in 0..20 {
                    let mut conn = backend.pool.checkout().await.unwrap();
                    conn.execute_script("BEGIN").await.unwrap();
                    conn.set_in_transaction(true);
                    conn.execute("INSERT INTO t VALUES (1)", &[]).await.unwrap();
                    drop(conn);
                    let rows = backend.fetch("SELECT COUNT(*) FROM t", &[]).await.unwrap();
                    assert_eq!(
                        rows[0].values(),
                        &[Value::Int(0)],
                        "multi-threaded runtime: {multi}"
                    );
                }
            });
        }
    }

    /// A job that panics panics its caller, and leaves the connection usable.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_panicking_job_leaves_the_connection_usable() {
        // In a task, the job runs on the connection's thread; in place otherwise.
        let backend = Arc::new(memory("panicking"));
        let task = tokio::spawn({
            let backend = backend.clone();
            async move {
                let conn = backend.pool.checkout().await.unwrap();
                let _ = conn.run(|_| -> Result<()> { panic!("in the job") }).await;
            }
        });
        assert!(task.await.unwrap_err().is_panic());
        let conn = backend.pool.checkout().await.unwrap();
        let panicked = AssertUnwindSafe(conn.run(|_| -> Result<()> { panic!("in place") }))
            .catch_unwind()
            .await;
        assert!(panicked.is_err());
        let rows = conn.run(|c| fetch_all(c, "SELECT 1", &[])).await.unwrap();
        assert_eq!(rows[0].values(), &[Value::Int(1)]);
        drop(conn);
        let rows = tokio::spawn(async move { backend.fetch("SELECT 2", &[]).await })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rows[0].values(), &[Value::Int(2)]);
    }

    /// An alias with one connection reads a stream's rows at once, so statements run
    /// while the stream is open (Django: a query per row of `iterator()`) do not wait for
    /// it; with more connections the stream keeps one of its own.
    #[tokio::test]
    async fn statements_run_while_a_stream_of_a_single_connection_alias_is_open() {
        let path = std::env::temp_dir().join(format!("nuages_single_{}.sqlite3", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let single_file = nuages_core::DatabaseSettings {
            url: format!("sqlite://{}", path.display()),
            pool_size: 1,
            connect_timeout: 1,
            ..Default::default()
        };
        let backends = [
            Arc::new(memory("single_memory")),
            Arc::new(SqliteBackend::new("single_file", &single_file).unwrap()),
        ];
        for backend in backends {
            let mut rows = backend.clone().fetch_stream(TEN.into(), vec![], 3);
            let mut seen = Vec::new();
            while let Some(row) = rows.next().await {
                seen.push(row.unwrap().into_values().remove(0));
                let during = tokio::time::timeout(Duration::from_secs(5), backend.fetch("SELECT 42", &[]))
                    .await
                    .expect("a statement waited for the open stream")
                    .unwrap();
                assert_eq!(during[0].values(), &[Value::Int(42)]);
            }
            assert_eq!(seen, (1..=10).map(Value::Int).collect::<Vec<_>>());
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn urls_name_files_or_memory() {
        assert!(matches!(parse_url("sqlite::memory:").unwrap(), Target::Memory));
        assert!(matches!(parse_url("sqlite://:memory:").unwrap(), Target::Memory));
        match parse_url("sqlite:///tmp/x.db").unwrap() {
            Target::File(p) => assert_eq!(p, PathBuf::from("/tmp/x.db")),
            Target::Memory => panic!("not memory"),
        }
        match parse_url("sqlite://db.sqlite3").unwrap() {
            Target::File(p) => assert_eq!(p, PathBuf::from("db.sqlite3")),
            Target::Memory => panic!("not memory"),
        }
        assert!(parse_url("sqlite://").is_err());
    }

    #[test]
    fn regexp_is_null_safe() {
        let conn = open(&Target::Memory, Duration::from_secs(1)).unwrap();
        let r: Option<bool> = conn
            .query_row("SELECT 'abc' REGEXP '^a.c$'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(r, Some(true));
        let r: Option<bool> = conn
            .query_row("SELECT NULL REGEXP 'a'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(r, None);
        let r: Option<bool> = conn
            .query_row("SELECT 'ABC' REGEXP '(?i)' || 'b'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(r, Some(true));
        let r: Option<bool> = conn
            .query_row("SELECT 123 REGEXP '^12'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(r, Some(true));
    }
}
