//! Transactions: Django's `django.db.transaction`.
//!
//! [`atomic`] runs a closure's future inside a transaction: it commits when the future
//! returns `Ok`, and rolls back when it returns `Err` or panics (the panic then continues).
//! The block owns a dedicated connection, kept in a tokio task-local, so every
//! [`crate::connection`] call of the same task for that alias runs on it without the
//! connection being passed around (Django's "the atomic block owns the connection").
//! A nested `atomic` makes a savepoint; an error inside it rolls back to the savepoint
//! and the outer block goes on. [`on_commit`] hooks run after the outermost commit and
//! are discarded by a rollback of the block (or savepoint) they were registered in.
//!
//! Tasks spawned inside a block do not inherit it (they run outside the transaction),
//! as a Django thread does not share another thread's transaction. Running two nested
//! blocks of one transaction concurrently (`join!`) is not supported, as in Django.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use nuages_db::{connection, transaction, DbError, Value};
//! connection::register("atomic_doc", &nuages_core::DatabaseSettings {
//!     url: "sqlite::memory:".into(), ..Default::default()
//! }).unwrap();
//! connection::execute_script("atomic_doc", "CREATE TABLE t (n INTEGER)").await.unwrap();
//! let result: Result<(), DbError> = transaction::atomic_using("atomic_doc", || async {
//!     connection::execute("atomic_doc", "INSERT INTO t VALUES (?)", &[Value::Int(1)]).await?;
//!     Err(DbError::ValueError("changed my mind".into()))
//! }).await;
//! assert!(result.is_err());
//! let rows = connection::fetch("atomic_doc", "SELECT COUNT(*) FROM t", &[]).await.unwrap();
//! assert_eq!(rows[0].get(0), Some(&Value::Int(0)));
//! # });
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::panic::{resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::FutureExt;

use crate::backends::{DedicatedConnection, ExecResult, Row, Vendor};
use crate::capture::QueryTimer;
use crate::connection::{self, DEFAULT_DB_ALIAS};
use crate::error::{DbError, Result};
use crate::value::Value;

mod stream;

tokio::task_local! {
    static CONTEXT: Arc<Context>;
}

/// The open transactions of one task, by alias.
#[derive(Default)]
struct Context {
    blocks: Mutex<HashMap<String, Arc<Block>>>,
}

impl Context {
    fn get(&self, alias: &str) -> Option<Arc<Block>> {
        self.blocks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(alias)
            .cloned()
    }
    fn insert(&self, alias: &str, block: Arc<Block>) {
        self.blocks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(alias.to_owned(), block);
    }
    fn remove(&self, alias: &str) -> Option<Arc<Block>> {
        self.blocks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(alias)
    }
}

type Hook = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    /// Savepoints of the nested `atomic` blocks, innermost last (Django's `savepoint_ids`).
    savepoint_ids: Vec<String>,
    /// Django's `needs_rollback`.
    needs_rollback: bool,
    /// `on_commit` hooks with the savepoints active when they were registered.
    hooks: Vec<(Vec<String>, Hook)>,
    savepoint_counter: u64,
}

static BLOCK_IDS: AtomicU64 = AtomicU64::new(1);

/// One open transaction: its connection and Django's per-connection transaction state.
pub(crate) struct Block {
    alias: String,
    id: u64,
    conn: Arc<tokio::sync::Mutex<Box<dyn DedicatedConnection>>>,
    state: Mutex<State>,
    /// `iterator()` streams reading from `conn` (see [`stream`]).
    streams: Mutex<stream::Streams>,
}

impl Block {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn check_usable(&self) -> Result<()> {
        if self.state().needs_rollback {
            return Err(DbError::TransactionManagementError(
                "An error occurred in the current transaction. You can't execute queries until the end of the 'atomic' block."
                    .to_owned(),
            ));
        }
        Ok(())
    }

    pub(crate) async fn execute(&self, sql: &str, params: &[Value]) -> Result<ExecResult> {
        self.check_usable()?;
        self.settle().await;
        self.conn.lock().await.execute(sql, params).await
    }

    pub(crate) async fn fetch(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        self.check_usable()?;
        self.settle().await;
        self.conn.lock().await.fetch(sql, params).await
    }

    pub(crate) async fn fetch_into(
        &self,
        sql: &str,
        params: &[Value],
        sink: Box<dyn crate::backends::RowSink>,
    ) -> Result<Box<dyn crate::backends::RowSink>> {
        self.check_usable()?;
        self.settle().await;
        self.conn.lock().await.fetch_into(sql, params, sink).await
    }

    pub(crate) async fn execute_script(&self, sql: &str) -> Result<()> {
        self.check_usable()?;
        self.settle().await;
        self.conn.lock().await.execute_script(sql).await
    }

    fn next_savepoint_id(&self) -> String {
        let mut state = self.state();
        state.savepoint_counter += 1;
        format!("s{}_x{}", self.id, state.savepoint_counter)
    }

    /// Runs a savepoint statement; it is a query for the log and captures, as in Django.
    async fn savepoint_sql(&self, sql: String) -> Result<()> {
        self.settle().await;
        let timer = QueryTimer::start();
        let result = self.conn.lock().await.execute_script(&sql).await;
        timer.finish_result(&self.alias, &sql, &[], &result);
        result
    }

    /// Runs BEGIN/COMMIT/ROLLBACK: logged, not captured (Django does not count them).
    async fn control_sql(&self, sql: &str) -> Result<()> {
        self.settle().await;
        let start = Instant::now();
        let result = self.conn.lock().await.execute_script(sql).await;
        tracing::debug!(target: "nuages_db::query", alias = %self.alias, sql, duration_us = start.elapsed().as_micros() as u64, "{sql}");
        result
    }

    async fn set_in_transaction(&self, open: bool) {
        self.conn.lock().await.set_in_transaction(open);
    }
}

fn begin_sql(vendor: Vendor) -> &'static str {
    match vendor {
        // IMMEDIATE takes the write lock up front, so two transactions never deadlock
        // upgrading read locks (Django 5.1's `transaction_mode = "IMMEDIATE"`).
        Vendor::Sqlite => "BEGIN IMMEDIATE",
        Vendor::Postgres => "BEGIN",
        Vendor::MySql => "START TRANSACTION",
    }
}

/// The open transaction of this task for `alias`, if any.
pub(crate) fn current(alias: &str) -> Option<Arc<Block>> {
    CONTEXT.try_with(|ctx| ctx.get(alias)).ok().flatten()
}

fn not_in_atomic(what: &str) -> DbError {
    DbError::TransactionManagementError(format!("{what} doesn't work outside of an 'atomic' block."))
}

fn require_block(alias: &str, what: &str) -> Result<Arc<Block>> {
    current(alias).ok_or_else(|| not_in_atomic(what))
}

/// Django's `transaction.atomic()` on the default database.
pub async fn atomic<F, Fut, T, E>(f: F) -> Result<T, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: From<DbError>,
{
    atomic_using(DEFAULT_DB_ALIAS, f).await
}

/// Django's `transaction.atomic(using=alias)`: commits on `Ok`, rolls back on `Err` or a
/// panic; inside another block of the same alias, a savepoint.
pub async fn atomic_using<F, Fut, T, E>(alias: &str, f: F) -> Result<T, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: From<DbError>,
{
    match CONTEXT.try_with(Arc::clone) {
        Ok(ctx) => run_atomic(ctx, alias, f).await,
        Err(_) => {
            let ctx = Arc::new(Context::default());
            CONTEXT.scope(ctx.clone(), run_atomic(ctx, alias, f)).await
        }
    }
}

/// Removes a block from the context if its future is dropped before it finished
/// (cancellation); the connection then rolls back as it goes back to the pool.
struct OuterGuard<'a> {
    ctx: &'a Context,
    alias: &'a str,
    armed: bool,
}

impl Drop for OuterGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.ctx.remove(self.alias);
        }
    }
}

/// Pops a nested block's savepoint if its future is dropped before it finished.
struct InnerGuard<'a> {
    block: &'a Block,
    sid: &'a str,
    armed: bool,
}

impl Drop for InnerGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.block.state();
            if state.savepoint_ids.last().map(String::as_str) == Some(self.sid) {
                state.savepoint_ids.pop();
            }
        }
    }
}

async fn run_atomic<F, Fut, T, E>(ctx: Arc<Context>, alias: &str, f: F) -> Result<T, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: From<DbError>,
{
    if let Some(block) = ctx.get(alias) {
        block.check_usable()?;
        let sid = block.next_savepoint_id();
        block.savepoint_sql(format!("SAVEPOINT {sid}")).await?;
        block.state().savepoint_ids.push(sid.clone());
        let mut guard = InnerGuard {
            block: &block,
            sid: &sid,
            armed: true,
        };
        let outcome = AssertUnwindSafe(f()).catch_unwind().await;
        guard.armed = false;
        return exit_inner(&block, &sid, outcome).await;
    }

    let vendor = connection::vendor(alias)?;
    let backend = connection::backend(alias)?;
    let mut conn = backend.dedicated().await?;
    conn.set_in_transaction(true);
    let block = Arc::new(Block {
        alias: alias.to_owned(),
        id: BLOCK_IDS.fetch_add(1, Ordering::Relaxed),
        conn: Arc::new(tokio::sync::Mutex::new(conn)),
        state: Mutex::new(State::default()),
        streams: Mutex::default(),
    });
    block.control_sql(begin_sql(vendor)).await?;
    ctx.insert(alias, block.clone());
    let mut guard = OuterGuard {
        ctx: &ctx,
        alias,
        armed: true,
    };
    let outcome = AssertUnwindSafe(f()).catch_unwind().await;
    let result = exit_outer(&block, outcome).await;
    guard.armed = false;
    ctx.remove(alias);
    let (result, hooks) = result;
    drop(block);
    for hook in hooks {
        hook();
    }
    unwrap_outcome(result)
}

type Outcome<T, E> = std::result::Result<Result<T, E>, Box<dyn std::any::Any + Send>>;

fn unwrap_outcome<T, E>(outcome: Outcome<T, E>) -> Result<T, E> {
    match outcome {
        Ok(result) => result,
        Err(panic) => resume_unwind(panic),
    }
}

async fn exit_inner<T, E: From<DbError>>(block: &Block, sid: &str, outcome: Outcome<T, E>) -> Result<T, E> {
    let rollback = {
        let mut state = block.state();
        if state.savepoint_ids.last().map(String::as_str) == Some(sid) {
            state.savepoint_ids.pop();
        }
        let rollback = !matches!(outcome, Ok(Ok(_))) || state.needs_rollback;
        state.needs_rollback = false;
        rollback
    };
    if !rollback {
        if let Err(e) = block.savepoint_sql(format!("RELEASE SAVEPOINT {sid}")).await {
            if rollback_to(block, sid).await.is_err() {
                block.state().needs_rollback = true;
            }
            return Err(e.into());
        }
        return unwrap_outcome(outcome);
    }
    if let Err(e) = rollback_to(block, sid).await {
        // The savepoint is unusable: the enclosing block must roll back (Django).
        block.state().needs_rollback = true;
        if matches!(outcome, Ok(Ok(_))) {
            return Err(e.into());
        }
    }
    unwrap_outcome(outcome)
}

async fn rollback_to(block: &Block, sid: &str) -> Result<()> {
    block
        .savepoint_sql(format!("ROLLBACK TO SAVEPOINT {sid}"))
        .await?;
    block.savepoint_sql(format!("RELEASE SAVEPOINT {sid}")).await?;
    discard_hooks(block, sid);
    Ok(())
}

fn discard_hooks(block: &Block, sid: &str) {
    block
        .state()
        .hooks
        .retain(|(sids, _)| !sids.iter().any(|s| s == sid));
}

async fn exit_outer<T, E: From<DbError>>(
    block: &Block,
    outcome: Outcome<T, E>,
) -> (Outcome<T, E>, Vec<Hook>) {
    let rollback = !matches!(outcome, Ok(Ok(_))) || block.state().needs_rollback;
    if !rollback {
        match block.control_sql("COMMIT").await {
            Ok(()) => {
                block.set_in_transaction(false).await;
                let hooks = std::mem::take(&mut block.state().hooks);
                return (outcome, hooks.into_iter().map(|(_, h)| h).collect());
            }
            Err(e) => {
                if block.control_sql("ROLLBACK").await.is_ok() {
                    block.set_in_transaction(false).await;
                }
                return (Ok(Err(e.into())), Vec::new());
            }
        }
    }
    if block.control_sql("ROLLBACK").await.is_ok() {
        block.set_in_transaction(false).await;
    }
    // A failed ROLLBACK leaves the connection marked open: the pool discards it.
    block.state().hooks.clear();
    (outcome, Vec::new())
}

/// Django's `transaction.on_commit(func)` on the default database.
pub fn on_commit(f: impl FnOnce() + Send + 'static) {
    on_commit_using(DEFAULT_DB_ALIAS, f)
}

/// Django's `transaction.on_commit(func, using=alias)`: runs `f` after the outermost
/// block of this task on `alias` commits, or at once outside a block. A rollback of the
/// block or savepoint it was registered in discards it.
pub fn on_commit_using(alias: &str, f: impl FnOnce() + Send + 'static) {
    match current(alias) {
        Some(block) => {
            let mut state = block.state();
            let sids = state.savepoint_ids.clone();
            state.hooks.push((sids, Box::new(f)));
        }
        None => f(),
    }
}

/// Django's `transaction.savepoint(using=alias)`: creates a savepoint in the current
/// block and returns its id. Unlike Django (which does nothing outside a transaction),
/// calling it outside `atomic` is a `TransactionManagementError`.
pub async fn savepoint(alias: &str) -> Result<String> {
    let block = require_block(alias, "savepoint()")?;
    block.check_usable()?;
    let sid = block.next_savepoint_id();
    block.savepoint_sql(format!("SAVEPOINT {sid}")).await?;
    Ok(sid)
}

fn check_sid(sid: &str) -> Result<()> {
    if sid.is_empty() || !sid.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(DbError::ValueError(format!(
            "'{sid}' is not a savepoint id returned by savepoint()"
        )));
    }
    Ok(())
}

/// Django's `transaction.savepoint_rollback(sid)`: rolls back to the savepoint, and drops
/// the `on_commit` hooks of the `atomic` blocks it undid.
pub async fn savepoint_rollback(alias: &str, sid: &str) -> Result<()> {
    check_sid(sid)?;
    let block = require_block(alias, "savepoint_rollback()")?;
    block
        .savepoint_sql(format!("ROLLBACK TO SAVEPOINT {sid}"))
        .await?;
    discard_hooks(&block, sid);
    Ok(())
}

/// Django's `transaction.savepoint_commit(sid)`: releases the savepoint.
pub async fn savepoint_commit(alias: &str, sid: &str) -> Result<()> {
    check_sid(sid)?;
    let block = require_block(alias, "savepoint_commit()")?;
    block.savepoint_sql(format!("RELEASE SAVEPOINT {sid}")).await
}

/// Django's `transaction.set_rollback(rollback, using=alias)`: marks the innermost block
/// to roll back when it exits (without an error).
pub fn set_rollback(alias: &str, rollback: bool) -> Result<()> {
    let block = require_block(alias, "The rollback flag")?;
    block.state().needs_rollback = rollback;
    Ok(())
}

/// Django's `transaction.get_rollback(using=alias)`.
pub fn get_rollback(alias: &str) -> Result<bool> {
    let block = require_block(alias, "The rollback flag")?;
    let needs = block.state().needs_rollback;
    Ok(needs)
}

/// Django's `connection.in_atomic_block`: whether this task is inside `atomic` for `alias`.
pub fn in_atomic_block(alias: &str) -> bool {
    current(alias).is_some()
}
