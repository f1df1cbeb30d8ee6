//! `Model.objects.get(pk=value)` and `Model.objects.all()` on an unmodified queryset: the
//! compiled statement is cached per model and vendor, so a primary-key read (the
//! commonest query of a web application, and all of TechEmpower's `/db` and `/queries`)
//! or a whole small table (`/fortunes`) skips building the `Q` tree, resolving the path,
//! compiling through sea-query and rendering the SQL text.
//!
//! The cache holds exactly what the ordinary path produced the first time (the same
//! compiler, the same SQL text), with the position of the key's parameter, so the two
//! paths cannot drift apart; the key value is converted by the same `get_prep_value` the
//! lookup uses. A queryset that is not [plain](Query::is_plain) (any filter, ordering,
//! slice, `only()`, annotation, lock, `select_related`, ...) never takes this path.

use std::cell::RefCell;
use std::sync::{Arc, RwLock};

use super::expressions::{Expression, Rhs};
use super::iterables::ModelPlan;
use super::lookups::prep_value;
use super::queryset::DynQuerySet;
use super::where_::column_type;
use super::Q;
use crate::value::Value;
use crate::Vendor;

/// A cached `get(pk=...)` statement.
#[derive(Debug)]
pub(crate) struct PkStatement {
    /// The SQL text, as the compiler wrote it.
    pub sql: String,
    /// The parameters it was compiled with; `slot` is the key's.
    pub params: Vec<Value>,
    /// Which parameter is the primary key (`usize::MAX` for `all()`).
    pub slot: usize,
    /// The column plan decoding a row into the model.
    pub plan: ModelPlan,
}

impl PkStatement {
    /// A copy for one thread's cache, sharing no reference count with `self`.
    fn for_this_thread(&self) -> PkStatement {
        PkStatement {
            sql: self.sql.clone(),
            params: self.params.clone(),
            slot: self.slot,
            plan: self.plan.for_this_thread(),
        }
    }
}

/// The parameters of a cached `get(pk=...)`, kept inline rather than in a `Vec`
/// allocated per query: the key alone (`all()` filtered by key, on a backend that
/// writes the limit into the SQL), or the key and the `LIMIT 21` of `get()` that
/// sea-query binds as a parameter.
#[derive(Debug)]
pub(crate) enum PkParams {
    /// The statement's only parameter is the key.
    Key([Value; 1]),
    /// The key and one more parameter, in the statement's order.
    Pair([Value; 2]),
    /// The key among other parameters the compiler bound.
    Many(Vec<Value>),
}

impl std::ops::Deref for PkParams {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        match self {
            PkParams::Key(key) => key,
            PkParams::Pair(pair) => pair,
            PkParams::Many(params) => params,
        }
    }
}

/// Which statement of a model is cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    /// `get(pk=...)`.
    Pk,
    /// `all()`.
    All,
}

/// The cache: model (by its `ModelMeta` address), vendor and shape to the statement, or
/// `None` when the statement cannot be cached (the key's parameter was not found once).
/// Entries never change once made (a model's statement depends on nothing else), so
/// each thread copies the entries it uses into [`THREAD_CACHE`].
type Cache = foldhash::HashMap<(usize, Vendor, Shape), Option<Arc<PkStatement>>>;

/// The statement a query holds while it runs: this thread's copy of the cached one.
pub(crate) type CachedStatement = Arc<PkStatement>;

static CACHE: RwLock<Option<Cache>> = RwLock::new(None);

thread_local! {
    /// This thread's copy of [`CACHE`], read on every primary-key query without the lock,
    /// its statements with reference counts of their own ([`PkStatement::for_this_thread`]):
    /// the shared lock and `Arc`s were cache lines every core wrote per query (the crate's
    /// `local` module). foldhash hashes the small key in a few instructions.
    static THREAD_CACHE: RefCell<foldhash::HashMap<(usize, Vendor, Shape), Option<CachedStatement>>> =
        RefCell::default();
}

fn cached(
    key: (usize, Vendor, Shape),
    compile: impl FnOnce() -> Option<Arc<PkStatement>>,
) -> Option<CachedStatement> {
    let hit = THREAD_CACHE
        .try_with(|c| c.borrow().get(&key).cloned())
        .ok()
        .flatten();
    if let Some(entry) = hit {
        return entry;
    }
    let entry = shared_cached(key, compile).map(|shared| Arc::new(shared.for_this_thread()));
    let _ = THREAD_CACHE.try_with(|c| c.borrow_mut().insert(key, entry.clone()));
    entry
}

/// The shared cache's entry for `key`, compiled on the first request of any thread.
fn shared_cached(
    key: (usize, Vendor, Shape),
    compile: impl FnOnce() -> Option<Arc<PkStatement>>,
) -> Option<Arc<PkStatement>> {
    let hit = CACHE
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|c| c.get(&key).cloned());
    match hit {
        Some(entry) => entry,
        None => {
            let entry = compile();
            CACHE
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert_with(Cache::default)
                .insert(key, entry.clone());
            entry
        }
    }
}

impl DynQuerySet {
    /// The cached statement and the key's parameters for `get(pk=rhs)` on this queryset,
    /// when the queryset is plain and `rhs` a value; `None` sends the caller down the
    /// ordinary path (which also reports any conversion error with Django's message).
    pub(crate) fn pk_statement(&self, vendor: Vendor, rhs: &Rhs) -> Option<(CachedStatement, PkParams)> {
        let Rhs::Expr(Expression::Value(raw)) = rhs else {
            return None;
        };
        if !self.is_plain() {
            return None;
        }
        let meta = self.model();
        let pk = meta.pk();
        let value = prep_value(column_type(pk), pk.name, Some(pk), raw.clone()).ok()?;
        // A key no column of the backend holds matches nothing: the ordinary path
        // (which compiles no statement for it) says so, and nothing is cached.
        if value.is_null()
            || super::lookups::integer_overflow(
                vendor,
                column_type(pk),
                super::lookups::LookupName::Exact,
                &value,
            )
            .is_some()
        {
            return None;
        }
        let key = (meta as *const _ as usize, vendor, Shape::Pk);
        let statement = cached(key, || self.compile_pk_statement(vendor, &value))?;
        let params = match (statement.params.as_slice(), statement.slot) {
            ([_], _) => PkParams::Key([value]),
            ([_, other], 0) => PkParams::Pair([value, other.clone()]),
            ([other, _], 1) => PkParams::Pair([other.clone(), value]),
            _ => {
                let mut params = statement.params.clone();
                params[statement.slot] = value;
                PkParams::Many(params)
            }
        };
        Some((statement, params))
    }

    /// [`DynQuerySet::pk_statement`] taking the key by value: `Err` gives it back for the
    /// ordinary path.
    pub(crate) fn pk_statement_owned(
        &self,
        vendor: Vendor,
        rhs: Rhs,
    ) -> Result<(CachedStatement, PkParams), Rhs> {
        self.pk_statement(vendor, &rhs).ok_or(rhs)
    }

    /// The cached statement of this queryset's rows when it is plain (`all()`); `None`
    /// sends the caller down the ordinary path.
    pub(crate) fn all_statement(&self, vendor: Vendor) -> Option<CachedStatement> {
        if !self.is_plain() {
            return None;
        }
        let key = (self.model() as *const _ as usize, vendor, Shape::All);
        cached(key, || {
            let plan = self.model_plan()?;
            let compiled = self.sql(vendor).ok()??;
            Some(Arc::new(PkStatement {
                sql: compiled.sql,
                params: compiled.params,
                slot: usize::MAX,
                plan,
            }))
        })
    }

    /// Compiles `get(pk=value)` through the ordinary path and finds the key among its
    /// parameters; `None` when it is not exactly one of them (then nothing is cached).
    fn compile_pk_statement(&self, vendor: Vendor, value: &Value) -> Option<Arc<PkStatement>> {
        let qs = self.get_qs(Q::lookup("pk", value.clone())).ok()?;
        let plan = qs.model_plan()?;
        let compiled = qs.sql(vendor).ok()??;
        let mut slots = compiled.params.iter().enumerate().filter(|(_, p)| *p == value);
        let (slot, _) = slots.next()?;
        if slots.next().is_some() {
            return None;
        }
        Some(Arc::new(PkStatement {
            sql: compiled.sql,
            params: compiled.params,
            slot,
            plan,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::meta::{Field, FieldType, ModelMeta};

    static FIELDS: [Field; 2] = [
        Field::new("id", FieldType::BigAutoField).primary_key(),
        Field::new("title", FieldType::CharField).max_length(100),
    ];
    static META: ModelMeta = ModelMeta::new("pkget", "Book", "book", "pkget_book", &FIELDS);

    #[test]
    fn only_plain_querysets_with_a_value_are_cached() {
        let qs = DynQuerySet::new(&META);
        assert!(qs.is_plain());
        assert!(!qs.clone().filter(Q::lookup("title", "x")).is_plain());
        assert!(!qs.clone().order_by(["title"]).is_plain());
        assert!(!qs.clone().slice(Some(0), Some(2)).is_plain());
        assert!(!qs.clone().only(["title"]).is_plain());
        // A value that is not a number for a numeric key goes the ordinary way (which
        // raises Django's ValueError).
        assert!(qs.pk_statement(Vendor::Sqlite, &Rhs::from("abc")).is_none());
    }
}
