//! [`ModelState`]: Django's `instance._state` (the database an instance came from and its
//! caches of related objects), which a model holds as a field of its own.
//!
//! A forward relation caches its object in its own handle ([`ForeignKey`](crate::models::model::ForeignKey)).
//! Relations a model does not declare (a reverse one-to-one loaded by `select_related`,
//! the lists `prefetch_related` loads for reverse foreign keys and many-to-many fields)
//! need a place on the instance: a field of type `ModelState`, which `#[derive(Model)]`
//! recognises and leaves out of the table (Django keeps the same caches in
//! `_state.fields_cache` and `_prefetched_objects_cache`). A model without one can still
//! use `select_related` on its forward keys; loading anything else into it is an error
//! that says to add the field.
//!
//! ```
//! use nuages_db::models::state::ModelState;
//! let state = ModelState::default();
//! assert!(state.db().is_none());
//! assert!(state.prefetched::<String>("books").is_none());
//! // Two states always compare equal: like `_state`, the cache is not part of the value.
//! assert_eq!(state, ModelState::default());
//! ```

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::error::{DbError, Result};
use crate::models::meta::ModelMeta;
use crate::models::model::Model;
use crate::query::ModelObject;
use crate::Value;

type Cached = Arc<dyn Any + Send + Sync>;

/// Django's `ModelState`: where the instance was loaded from and the related objects
/// loaded with it.
#[derive(Default)]
pub struct ModelState {
    db: Option<String>,
    /// Single related objects by accessor name (`None`: known to be absent).
    related: Vec<(String, Option<Cached>)>,
    /// Prefetched lists by accessor name or `to_attr`.
    prefetched: Vec<(String, Cached)>,
    /// The values `annotate()` added to the row, by alias.
    annotations: Vec<(String, Value)>,
    /// Prefetched lists a related manager's write made stale (Django's
    /// `_remove_prefetched_objects`); managers only borrow the instance, hence the lock.
    stale: Mutex<Vec<String>>,
}

impl Clone for ModelState {
    fn clone(&self) -> Self {
        ModelState {
            db: self.db.clone(),
            related: self.related.clone(),
            prefetched: self.prefetched.clone(),
            annotations: self.annotations.clone(),
            stale: Mutex::new(self.stale_names()),
        }
    }
}

impl ModelState {
    /// The alias of the database the instance was loaded from (Django's `_state.db`);
    /// related managers use it by default.
    pub fn db(&self) -> Option<&str> {
        self.db.as_deref()
    }

    /// Records the database the instance was loaded from or saved to.
    pub fn set_db(&mut self, alias: &str) {
        self.db = Some(alias.to_owned());
    }

    /// A cached single related object: `None` when nothing is cached, `Some(None)` when
    /// the object is known not to exist (a reverse one-to-one `select_related` found no
    /// row).
    pub fn related<T: Model>(&self, name: &str) -> Option<Option<&T>> {
        let (_, cached) = self.related.iter().find(|(n, _)| n == name)?;
        match cached {
            None => Some(None),
            Some(obj) => obj.as_ref().downcast_ref::<T>().map(Some),
        }
    }

    /// A prefetched list (`prefetch_related("books")` or a `Prefetch`'s `to_attr`), in
    /// the order of the prefetch query; `None` when nothing was prefetched under `name`.
    pub fn prefetched<T: 'static>(&self, name: &str) -> Option<&[T]> {
        if self.is_stale(name) {
            return None;
        }
        let (_, cached) = self.prefetched.iter().find(|(n, _)| n == name)?;
        cached.as_ref().downcast_ref::<Vec<T>>().map(Vec::as_slice)
    }

    /// True when a list was prefetched under `name`.
    pub fn is_prefetched(&self, name: &str) -> bool {
        !self.is_stale(name) && self.prefetched.iter().any(|(n, _)| n == name)
    }

    /// Forgets the list prefetched under `name` through a shared reference: what a
    /// related manager does before it writes (Django's `_remove_prefetched_objects`),
    /// so `all_cached()` no longer returns a list the write made wrong.
    ///
    /// ```
    /// use nuages_db::models::state::ModelState;
    /// let state = ModelState::default();
    /// state.invalidate_prefetched("books");
    /// assert!(!state.is_prefetched("books"));
    /// ```
    pub fn invalidate_prefetched(&self, name: &str) {
        let mut stale = match self.stale.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if !stale.iter().any(|n| n == name) {
            stale.push(name.to_owned());
        }
    }

    fn stale_names(&self) -> Vec<String> {
        match self.stale.lock() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn is_stale(&self, name: &str) -> bool {
        match self.stale.lock() {
            Ok(g) => g.iter().any(|n| n == name),
            Err(poisoned) => poisoned.into_inner().iter().any(|n| n == name),
        }
    }

    fn unmark_stale(&mut self, name: Option<&str>) {
        let stale = match self.stale.get_mut() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        match name {
            Some(name) => stale.retain(|n| n != name),
            None => stale.clear(),
        }
    }

    /// An annotation the instance was loaded with (`annotate(num_books=Count("books"))`
    /// makes `num_books` an attribute of each instance in Django; here it is kept in the
    /// state so templates and views can read it by name). `None` when the queryset had no
    /// annotation of that name.
    ///
    /// ```
    /// use nuages_db::models::state::ModelState;
    /// use nuages_db::Value;
    /// let mut state = ModelState::default();
    /// state.set_annotation("num_books", Value::Int(3));
    /// assert_eq!(state.annotation("num_books"), Some(&Value::Int(3)));
    /// assert_eq!(state.annotation("other"), None);
    /// ```
    pub fn annotation(&self, name: &str) -> Option<&Value> {
        self.annotations.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Every annotation, in the order of the queryset's `annotate()` calls.
    pub fn annotations(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.annotations.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Records an annotation value (replacing one of the same name).
    pub fn set_annotation(&mut self, name: &str, value: Value) {
        self.annotations.retain(|(n, _)| n != name);
        self.annotations.push((name.to_owned(), value));
    }

    /// Caches a single related object (or its absence) under `name`.
    pub fn set_related<T: Model>(&mut self, name: &str, object: Option<T>) {
        let cached = object.map(|o| Arc::new(o) as Cached);
        self.store_related(name, cached);
    }

    /// Stores a prefetched list under `name`.
    pub fn set_prefetched<T: Model>(&mut self, name: &str, objects: Vec<T>) {
        self.store_prefetched(name, Arc::new(objects));
    }

    /// Drops every cached related object and list (Django's `refresh_from_db` of the
    /// caches, and what writes through related managers do to stale lists).
    pub fn clear_caches(&mut self) {
        self.related.clear();
        self.prefetched.clear();
        self.unmark_stale(None);
    }

    /// Drops the list cached under `name` (a related manager's write makes it stale).
    pub fn clear_prefetched(&mut self, name: &str) {
        self.prefetched.retain(|(n, _)| n != name);
        self.unmark_stale(Some(name));
    }

    fn store_related(&mut self, name: &str, cached: Option<Cached>) {
        self.related.retain(|(n, _)| n != name);
        self.related.push((name.to_owned(), cached));
    }

    fn store_prefetched(&mut self, name: &str, cached: Cached) {
        self.unmark_stale(Some(name));
        self.prefetched.retain(|(n, _)| n != name);
        self.prefetched.push((name.to_owned(), cached));
    }
}

impl PartialEq for ModelState {
    /// Always equal: the state is bookkeeping, not part of the instance's value.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for ModelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelState")
            .field("db", &self.db)
            .field(
                "related",
                &self.related.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            )
            .field(
                "prefetched",
                &self
                    .prefetched
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("annotations", &self.annotations)
            .finish()
    }
}

/// How `#[derive(Model)]` lets dynamic code build typed instances of a model it only
/// knows by metadata (a reverse relation's model is declared elsewhere).
pub struct ModelBuilder {
    /// The model's metadata.
    pub meta: fn() -> &'static ModelMeta,
    /// Builds one instance (an `Arc<M>`).
    pub one: fn(ModelObject) -> Result<Arc<dyn Any + Send + Sync>>,
    /// Builds a list of instances (an `Arc<Vec<M>>`).
    pub many: fn(Vec<ModelObject>) -> Result<Arc<dyn Any + Send + Sync>>,
}

inventory::collect!(ModelBuilder);

/// [`ModelBuilder::one`] for `M`.
pub fn build_one<M: Model>(object: ModelObject) -> Result<Arc<dyn Any + Send + Sync>> {
    Ok(Arc::new(M::from_object(object)?))
}

/// [`ModelBuilder::many`] for `M`.
pub fn build_many<M: Model>(objects: Vec<ModelObject>) -> Result<Arc<dyn Any + Send + Sync>> {
    let list: Vec<M> = objects.into_iter().map(M::from_object).collect::<Result<_>>()?;
    Ok(Arc::new(list))
}

fn builder(meta: &'static ModelMeta) -> Result<&'static ModelBuilder> {
    inventory::iter::<ModelBuilder>
        .into_iter()
        .find(|b| std::ptr::eq((b.meta)(), meta))
        .ok_or_else(|| {
            DbError::TypeError(format!(
                "{} has no typed constructor: related objects of it load into models declared with #[derive(Model)]",
                meta.object_name
            ))
        })
}

/// Builds the typed instance of a [`ModelObject`] of any registered model (an `Arc<M>`),
/// for relations whose model is only known at run time (generic foreign keys).
pub(crate) fn build_any(object: ModelObject) -> Result<Arc<dyn Any + Send + Sync>> {
    (builder(object.meta())?.one)(object)
}

fn no_state(owner: &ModelMeta, name: &str) -> DbError {
    DbError::TypeError(format!(
        "{} instances cannot hold the related '{name}': the model needs a `ModelState` field \
         (Django's `_state`), e.g. `pub _state: ModelState`",
        owner.object_name
    ))
}

/// Stores a related object the model's own fields do not hold (a reverse one-to-one) in
/// its [`ModelState`]. `meta` is the related model (needed when `object` is `None`).
pub fn store_related<M: Model>(instance: &mut M, name: &str, object: Option<ModelObject>) -> Result<()> {
    let cached = match object {
        Some(o) => Some((builder(o.meta())?.one)(o)?),
        None => None,
    };
    let state = instance.state_mut().ok_or_else(|| no_state(M::meta(), name))?;
    state.store_related(name, cached);
    Ok(())
}

/// Stores a prefetched list of `meta` objects in the model's [`ModelState`].
pub fn store_prefetched<M: Model>(
    instance: &mut M,
    name: &str,
    meta: &'static ModelMeta,
    objects: Vec<ModelObject>,
) -> Result<()> {
    let list = (builder(meta)?.many)(objects)?;
    let state = instance.state_mut().ok_or_else(|| no_state(M::meta(), name))?;
    state.store_prefetched(name, list);
    Ok(())
}
