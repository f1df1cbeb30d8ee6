//! Connections by alias: Django's `django.db.connections` and `connection.cursor()`.
//!
//! [`configure`] registers every alias of `DATABASES`; connecting is lazy (the first
//! query opens connections). [`execute`], [`fetch`], [`fetch_stream`] and
//! [`execute_script`] run raw SQL with bound parameters, as Django's
//! `with connection.cursor() as c: c.execute(sql, params)` does. Placeholders are the
//! dialect's own: `?` on SQLite and MySQL, `$1` on PostgreSQL.
//!
//! Inside [`crate::transaction::atomic`] for an alias, every call of the same task runs on
//! the transaction's connection; otherwise it takes a pooled (SQLite, MySQL) or shared
//! pipelined (PostgreSQL) connection. Every call is logged and captured
//! ([`crate::capture`]).
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use nuages_db::{connection, Value};
//! let settings = nuages_core::Settings::from_toml_str(r#"
//!     [databases.conn_doc]
//!     url = "sqlite::memory:"
//! "#).unwrap();
//! connection::register("conn_doc", settings.database("conn_doc").unwrap()).unwrap();
//! connection::execute_script("conn_doc", "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)").await.unwrap();
//! let done = connection::execute("conn_doc", "INSERT INTO t (name) VALUES (?)", &[Value::Text("a".into())]).await.unwrap();
//! assert_eq!((done.rows_affected, done.last_insert_id), (1, Some(1)));
//! let rows = connection::fetch("conn_doc", "SELECT id, name FROM t WHERE name = ?", &[Value::Text("a".into())]).await.unwrap();
//! assert_eq!(rows[0].get_by_name("name"), Some(&Value::Text("a".into())));
//! # });
//! ```

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

use futures::stream::{self, Stream, StreamExt};
use nuages_core::{DatabaseSettings, Settings};

use crate::backends::{self, Backend, RowSink};
pub use crate::backends::{ExecResult, Features, Row, Vendor};
use crate::capture::QueryTimer;
use crate::error::{DbError, Result};
use crate::local::Local;
use crate::transaction;
use crate::value::Value;

/// Django's `DEFAULT_DB_ALIAS`.
pub const DEFAULT_DB_ALIAS: &str = "default";

struct Registered {
    vendor: Vendor,
    settings: DatabaseSettings,
    backend: Arc<dyn Backend>,
    /// `backend` again when it is PostgreSQL, by its own type: [`fetch_into_on`] awaits its
    /// future inline rather than boxed.
    postgres: Option<Arc<backends::postgres::PgBackend>>,
}

/// The registered aliases, written by [`register`] and [`unregister`] only. Queries read
/// their thread's snapshot ([`with_entry`]) instead of this lock.
static REGISTRY: LazyLock<RwLock<foldhash::HashMap<String, Arc<Registered>>>> =
    LazyLock::new(Default::default);

/// Bumped (under the registry's write lock) by every change of [`REGISTRY`]: a thread's
/// snapshot taken at an older generation is dropped before its next look-up.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// One thread's view of the registry: per alias, a [`Local`] handle on its entry.
///
/// Every query looks its alias up (twice for a model query: vendor, then backend). On the
/// shared map that took the read lock (two atomic writes on one cache line for all cores)
/// and cloned the entry's `Arc` (two more); the snapshot costs an atomic load and a
/// foldhash look-up, and the handle a query holds is counted on this thread's own line.
/// A thread keeps an unregistered alias's backend alive until its next look-up of any
/// alias (its pooled idle connections close then).
struct Snapshot {
    generation: u64,
    entries: foldhash::HashMap<String, Arc<Local<Registered>>>,
}

thread_local! {
    static SNAPSHOT: RefCell<Snapshot> = RefCell::new(Snapshot {
        generation: u64::MAX,
        entries: foldhash::HashMap::default(),
    });
}

fn write_registry(change: impl FnOnce(&mut foldhash::HashMap<String, Arc<Registered>>) -> bool) -> bool {
    let mut registry = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    let changed = change(&mut registry);
    GENERATION.fetch_add(1, Ordering::Release);
    changed
}

/// Registers every alias of `settings.databases` (Django's `DATABASES`). Connections
/// open on first use.
pub fn configure(settings: &Settings) -> Result<()> {
    for (alias, db) in &settings.databases {
        register(alias, db)?;
    }
    Ok(())
}

/// Registers (or replaces) one alias. The settings are checked now
/// ([`DatabaseSettings::check`], then the URL's scheme and syntax, each error naming the
/// setting as `DATABASES['alias']['url']`); connections open lazily.
///
/// ```
/// use nuages_core::DatabaseSettings;
/// use nuages_db::connection;
/// let db = DatabaseSettings { url: "oracle://scott@db/orcl".into(), ..Default::default() };
/// let err = connection::register("legacy", &db).unwrap_err().to_string();
/// assert!(err.starts_with("ImproperlyConfigured: DATABASES['legacy']['url']: Unsupported database URL"), "{err}");
/// ```
pub fn register(alias: &str, db: &DatabaseSettings) -> Result<()> {
    db.check(alias)?;
    let (vendor, backend, postgres) = open_backend(alias, db).map_err(|e| match e {
        DbError::Config(nuages_core::Error::ImproperlyConfigured(msg)) => DbError::Config(
            nuages_core::Error::ImproperlyConfigured(format!("DATABASES['{alias}']['url']: {msg}")),
        ),
        other => other,
    })?;
    let entry = Arc::new(Registered {
        vendor,
        settings: db.clone(),
        backend,
        postgres,
    });
    write_registry(|registry| registry.insert(alias.to_owned(), entry).is_none());
    Ok(())
}

/// The PostgreSQL backend by its own type, beside the same backend as a trait object.
type PgHandle = Option<Arc<backends::postgres::PgBackend>>;

/// The vendor and backend a URL names (and the PostgreSQL backend by its own type);
/// nothing connects yet.
fn open_backend(alias: &str, db: &DatabaseSettings) -> Result<(Vendor, Arc<dyn Backend>, PgHandle)> {
    let vendor = Vendor::from_url(&db.url)?;
    let (backend, postgres): (Arc<dyn Backend>, PgHandle) = match vendor {
        Vendor::Sqlite => (Arc::new(backends::sqlite::SqliteBackend::new(alias, db)?), None),
        Vendor::Postgres => {
            let pg = Arc::new(backends::postgres::PgBackend::new(alias, db)?);
            (pg.clone(), Some(pg))
        }
        Vendor::MySql => (Arc::new(backends::mysql::MySqlBackend::new(alias, db)?), None),
    };
    Ok((vendor, backend, postgres))
}

/// Forgets an alias; its idle connections close. Returns whether it was registered.
pub fn unregister(alias: &str) -> bool {
    write_registry(|registry| registry.remove(alias).is_some())
}

/// The registered aliases, sorted.
pub fn aliases() -> Vec<String> {
    let mut names: Vec<String> = REGISTRY
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

fn unknown_alias(alias: &str) -> DbError {
    DbError::Config(nuages_core::Error::ImproperlyConfigured(format!(
        "The connection '{alias}' doesn't exist."
    )))
}

fn shared_entry(alias: &str) -> Result<Arc<Registered>> {
    REGISTRY
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(alias)
        .cloned()
        .ok_or_else(|| unknown_alias(alias))
}

/// Runs `f` on this thread's handle on `alias` (see [`Snapshot`]), taking it from the
/// shared registry on the thread's first look-up since the registry last changed. `f`
/// runs while the snapshot is borrowed: it must not look an alias up itself.
fn with_entry<R>(alias: &str, f: impl FnOnce(&Arc<Local<Registered>>) -> R) -> Result<R> {
    // Loaded before the registry is read: a change made meanwhile bumps it past this
    // value, so what is cached now is dropped at the next look-up.
    let generation = GENERATION.load(Ordering::Acquire);
    let mut f = Some(f);
    let found = SNAPSHOT.try_with(|snapshot| {
        let mut snapshot = snapshot.borrow_mut();
        if snapshot.generation != generation {
            snapshot.entries.clear();
            snapshot.generation = generation;
        }
        let local = match snapshot.entries.get(alias) {
            Some(local) => local,
            None => {
                let local = Local::new(shared_entry(alias)?);
                snapshot.entries.entry(alias.to_owned()).or_insert(local)
            }
        };
        Ok(f.take().map(|f| f(local)))
    });
    match (found, f) {
        (Ok(Ok(Some(result))), _) => Ok(result),
        (Ok(Err(e)), _) => Err(e),
        // Only while the thread's locals are being destroyed: read the shared map.
        (_, Some(f)) => Ok(f(&Local::new(shared_entry(alias)?))),
        (_, None) => Err(unknown_alias(alias)),
    }
}

/// This thread's handle on an alias's entry, for a statement to hold while it runs.
fn entry(alias: &str) -> Result<Arc<Local<Registered>>> {
    with_entry(alias, Arc::clone)
}

pub(crate) fn backend(alias: &str) -> Result<Arc<dyn Backend>> {
    with_entry(alias, |e| e.backend.clone())
}

/// The vendor of an alias (Django's `connections[alias].vendor`).
pub fn vendor(alias: &str) -> Result<Vendor> {
    with_entry(alias, |e| e.vendor)
}

/// The features of an alias's backend (Django's `connections[alias].features`): a MySQL
/// alias's are its server's ([`MySqlServer::features`]) once its first connection has
/// told which server it is, what MySQL and MariaDB both do until then.
///
/// [`MySqlServer::features`]: crate::backends::MySqlServer::features
pub fn features(alias: &str) -> Result<&'static Features> {
    with_entry(alias, |e| match e.backend.mysql_server() {
        Some(server) if e.vendor == Vendor::MySql => server.features(),
        _ => e.vendor.features(),
    })
}

/// Django's `connections[alias].mysql_is_mariadb`: whether a MySQL alias's server is
/// MariaDB, whose SQL differs in places (the `regex` lookups). Known from the alias's
/// first connection (a queryset makes it before compiling); false until then, for other
/// vendors and for unknown aliases.
pub fn mysql_is_mariadb(alias: &str) -> bool {
    with_entry(alias, |e| {
        e.vendor == Vendor::MySql && e.backend.mysql_is_mariadb()
    })
    .unwrap_or(false)
}

/// The MySQL or MariaDB server of a MySQL alias, once its first connection told.
pub(crate) fn mysql_server(alias: &str) -> Option<crate::backends::MySqlServer> {
    with_entry(alias, |e| e.backend.mysql_server()).ok().flatten()
}

/// The vendor of an alias once what its SQL depends on is known: a MySQL alias's first
/// connection tells whether the server is MariaDB ([`mysql_is_mariadb`]), so querysets
/// call this (awaiting that connection once) before compiling.
pub(crate) async fn prepare(alias: &str) -> Result<Vendor> {
    let vendor = vendor(alias)?;
    if vendor == Vendor::MySql {
        entry(alias)?.backend.prepare().await?;
    }
    Ok(vendor)
}

/// The settings an alias was registered with (Django's `connections[alias].settings_dict`).
pub fn settings(alias: &str) -> Result<DatabaseSettings> {
    with_entry(alias, |e| e.settings.clone())
}

/// Runs one statement (Django's `cursor.execute(sql, params)` + `rowcount`/`lastrowid`).
pub async fn execute(alias: &str, sql: &str, params: &[Value]) -> Result<ExecResult> {
    let timer = QueryTimer::start();
    let result = match transaction::current(alias) {
        Some(block) => block.execute(sql, params).await,
        None => match entry(alias) {
            Ok(e) => e.backend.execute(sql, params).await,
            Err(e) => Err(e),
        },
    };
    timer.finish_result(alias, sql, params, &result);
    result
}

/// Runs a query and returns all its rows (Django's `cursor.execute()` + `fetchall()`).
pub async fn fetch(alias: &str, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
    let timer = QueryTimer::start();
    let result = match transaction::current(alias) {
        Some(block) => block.fetch(sql, params).await,
        None => match entry(alias) {
            Ok(e) => e.backend.fetch(sql, params).await,
            Err(e) => Err(e),
        },
    };
    timer.finish_result(alias, sql, params, &result);
    result
}

/// A registered database, looked up once for a query that needs both its vendor (to
/// compile) and its backend (to run): see [`fetch_into_on`].
pub(crate) struct Database(Arc<Local<Registered>>);

impl Database {
    /// The database's vendor.
    pub(crate) fn vendor(&self) -> Vendor {
        self.0.vendor
    }
}

/// The registered database `alias` names.
pub(crate) fn database(alias: &str) -> Result<Database> {
    entry(alias).map(Database)
}

/// Runs a query and hands every row to `sink` where the driver decodes it (the ORM's
/// path to model instances without an intermediate `Row` per row); returns the sink.
pub(crate) async fn fetch_into<S: RowSink>(alias: &str, sql: &str, params: &[Value], sink: S) -> Result<S> {
    fetch_into_on(&database(alias)?, alias, sql, params, sink).await
}

/// [`fetch_into`] on the database already looked up for `alias`.
///
/// PostgreSQL's future is awaited inline and `sink` lent to it where it is, outside a
/// transaction (where most queries run): no allocation for either, where the future,
/// over a kilobyte, would miss glibc's per-thread cache. The transaction's path and the
/// other backends' take the sink boxed and their futures boxed, which inline would add
/// their sizes to every query's future.
pub(crate) async fn fetch_into_on<S: RowSink>(
    database: &Database,
    alias: &str,
    sql: &str,
    params: &[Value],
    mut sink: S,
) -> Result<S> {
    let timer = QueryTimer::start();
    let result = match transaction::current(alias) {
        Some(block) => unboxed(Box::pin(block.fetch_into(sql, params, Box::new(sink))).await),
        None => match &database.0.postgres {
            Some(pg) => pg.fetch_into_inline(sql, params, &mut sink).await.map(|()| sink),
            None => unboxed(database.0.backend.fetch_into(sql, params, Box::new(sink)).await),
        },
    };
    timer.finish_result(alias, sql, params, &result);
    result
}

/// The sink a backend handed back, as the concrete type that was handed to it.
fn unboxed<S: RowSink>(sink: Result<Box<dyn RowSink>>) -> Result<S> {
    match sink?.into_any().downcast::<S>() {
        Ok(sink) => Ok(*sink),
        Err(_) => Err(DbError::DatabaseError(
            "the database backend returned a different row sink".into(),
        )),
    }
}

/// The chunk size of [`fetch_stream`], Django's default for `QuerySet.iterator()`.
pub const ITERATOR_CHUNK_SIZE: usize = 2000;

/// Runs a query and streams its rows without holding them all in memory (Django's
/// server-side cursors behind `QuerySet.iterator()`), in chunks of
/// [`ITERATOR_CHUNK_SIZE`]; see [`fetch_stream_chunked`].
pub fn fetch_stream(
    alias: String,
    sql: String,
    params: Vec<Value>,
) -> impl Stream<Item = Result<Row>> + Send {
    fetch_stream_chunked(alias, sql, params, ITERATOR_CHUNK_SIZE)
}

/// Runs a query and streams its rows as the database sends them. Outside a transaction
/// the stream holds a connection of its own until dropped, with at most two chunks read
/// ahead of the consumer:
/// - SQLite: chunks of `chunk_size` from its connection's thread; where the alias has a
///   single connection, its rows are read at once, so that other statements need not
///   wait for it;
/// - PostgreSQL: a pooled connection, not a shared one, rows as the server sends them;
/// - MySQL: chunks of `chunk_size` from a reader task.
///
/// Inside a transaction the rows come from the transaction's connection, at most
/// `chunk_size` of them read ahead of the consumer; another statement of the transaction
/// run while the stream is open first reads the stream's remaining rows into memory (the
/// connection carries one result at a time). The query starts when the stream is first
/// polled.
pub fn fetch_stream_chunked(
    alias: String,
    sql: String,
    params: Vec<Value>,
    chunk_size: usize,
) -> impl Stream<Item = Result<Row>> + Send {
    let start = async move {
        let timer = QueryTimer::start();
        let stream = match transaction::current(&alias) {
            Some(block) => block
                .fetch_stream(sql.clone(), params.clone(), chunk_size)
                .boxed(),
            None => match backend(&alias) {
                Ok(b) => b.fetch_stream(sql.clone(), params.clone(), chunk_size),
                Err(e) => stream::iter(vec![Err(e)]).boxed(),
            },
        };
        let mut stream = stream.peekable();
        if timer.is_on() {
            let first_err = match std::pin::Pin::new(&mut stream).peek().await {
                Some(Err(e)) => Some(e.to_string()),
                _ => None,
            };
            timer.finish(&alias, &sql, &params, first_err.as_deref());
        }
        stream
    };
    stream::once(start).flatten()
}

/// Runs several `;`-separated statements without parameters (DDL scripts, Django's
/// `cursor.executescript` on SQLite).
pub async fn execute_script(alias: &str, sql: &str) -> Result<()> {
    let timer = QueryTimer::start();
    let result = match transaction::current(alias) {
        Some(block) => block.execute_script(sql).await,
        None => match entry(alias) {
            Ok(e) => e.backend.execute_script(sql).await,
            Err(e) => Err(e),
        },
    };
    timer.finish_result(alias, sql, &[], &result);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_aliases_are_reported_like_django() {
        let err = vendor("no_such_alias").unwrap_err();
        assert_eq!(
            err.to_string(),
            "ImproperlyConfigured: The connection 'no_such_alias' doesn't exist."
        );
    }

    #[test]
    fn configure_registers_every_alias() {
        let settings = Settings::from_toml_str(
            "[databases.cfg_a]\nurl = \"sqlite::memory:\"\n[databases.cfg_b]\nurl = \"sqlite::memory:\"\n",
        )
        .unwrap();
        configure(&settings).unwrap();
        assert_eq!(vendor("cfg_a").unwrap(), Vendor::Sqlite);
        assert!(!features("cfg_b").unwrap().has_select_for_update);
        assert!(aliases().contains(&"cfg_a".to_owned()));
        assert!(unregister("cfg_b"));
        assert!(!unregister("cfg_b"));
    }

    /// Look-ups go through each thread's snapshot of the registry: a replaced or removed
    /// alias must be seen at once, by the thread that changed it and by another thread
    /// that had looked the alias up before.
    #[test]
    fn a_changed_alias_is_seen_at_once_by_every_thread() {
        let sqlite = Settings::from_toml_str("[databases.snap]\nurl = \"sqlite::memory:\"\n").unwrap();
        let postgres =
            Settings::from_toml_str("[databases.snap]\nurl = \"postgres://nobody@127.0.0.1:1/none\"\n")
                .unwrap();
        configure(&sqlite).unwrap();
        assert_eq!(vendor("snap").unwrap(), Vendor::Sqlite);
        let (ask, asked) = std::sync::mpsc::channel::<()>();
        let (answer, answers) = std::sync::mpsc::channel();
        let other = std::thread::spawn(move || {
            while asked.recv().is_ok() {
                answer.send(vendor("snap").ok()).unwrap();
            }
        });
        let other_sees = || {
            ask.send(()).unwrap();
            answers.recv().unwrap()
        };
        assert_eq!(other_sees(), Some(Vendor::Sqlite));
        // Registering again (no connection is made) replaces the alias.
        configure(&postgres).unwrap();
        assert_eq!(vendor("snap").unwrap(), Vendor::Postgres);
        assert_eq!(other_sees(), Some(Vendor::Postgres));
        assert!(unregister("snap"));
        assert!(vendor("snap").is_err());
        assert_eq!(other_sees(), None);
        drop(ask);
        other.join().unwrap();
    }
}
