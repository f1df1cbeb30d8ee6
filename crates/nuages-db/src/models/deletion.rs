//! The deletion collector: Django's `django.db.models.deletion.Collector`.
//!
//! `obj.delete()` and `QuerySet::delete()` hand their objects to a [`Collector`], which
//! walks the relations pointing at them (found through the model registry, hidden
//! `related_name="+"` ones and auto-created many-to-many tables included) and applies
//! each foreign key's `on_delete`:
//!
//! - `CASCADE` collects the referring objects too (recursively);
//! - `PROTECT` refuses with [`DbError::ProtectedError`], listing the protected objects;
//! - `RESTRICT` refuses with [`DbError::RestrictedError`], unless the referring objects
//!   are being deleted anyway through a `CASCADE` path (Django's exception to the rule);
//! - `SET_NULL`, `SET_DEFAULT` and `SET(...)` update the referring rows;
//! - `DO_NOTHING` leaves them (the database's own constraint decides).
//!
//! Like Django, objects are only loaded when something needs them: a model with no
//! `pre_delete`/`post_delete` receiver and nothing referring to it (other than
//! `DO_NOTHING`) is deleted with one `DELETE ... WHERE fk IN (...)` (a "fast delete"), and
//! objects loaded only to follow a cascade load just their key fields. All writes run
//! in one transaction (`atomic`); the result is Django's `(total, [(label, count)])`.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use nuages_db::query::{DynQuerySet, Q};
//! use nuages_db::{connection, Field, FieldType, ModelMeta, OnDelete, Relation, RelationKind};
//!
//! static AUTHOR_FIELDS: [Field; 1] = [Field::new("id", FieldType::BigAutoField).primary_key()];
//! static AUTHOR: ModelMeta = ModelMeta::new("doc", "Author", "author", "doc_author", &AUTHOR_FIELDS);
//! fn author() -> &'static ModelMeta { &AUTHOR }
//! static BOOK_FIELDS: [Field; 2] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field {
//!         attname: "author_id",
//!         column: "author_id",
//!         relation: Some(Relation { on_delete: OnDelete::Protect, ..Relation::new(RelationKind::ForeignKey, author) }),
//!         ..Field::new("author", FieldType::ForeignKey)
//!     },
//! ];
//! static BOOK: ModelMeta = ModelMeta::new("doc", "Book", "book", "doc_book", &BOOK_FIELDS);
//! fn book() -> &'static ModelMeta { &BOOK }
//! use nuages_db::models::registry::ModelRegistration;
//! nuages_db::__private::inventory::submit! { ModelRegistration(author) }
//! nuages_db::__private::inventory::submit! { ModelRegistration(book) }
//!
//! connection::register("deletion_doc", &nuages_core::DatabaseSettings {
//!     url: "sqlite::memory:".into(), ..Default::default()
//! }).unwrap();
//! connection::execute_script("deletion_doc", "CREATE TABLE doc_author (id INTEGER PRIMARY KEY);
//!     CREATE TABLE doc_book (id INTEGER PRIMARY KEY, author_id INTEGER);
//!     INSERT INTO doc_author VALUES (1), (2); INSERT INTO doc_book VALUES (10, 1);").await.unwrap();
//! let err = DynQuerySet::new(&AUTHOR).using("deletion_doc").delete().await.unwrap_err();
//! assert_eq!(err.to_string(), "Cannot delete some instances of model 'Author' because they are \
//!     referenced through protected foreign keys: 'Book.author'.");
//! let (n, per_model) = DynQuerySet::new(&AUTHOR).using("deletion_doc")
//!     .filter(Q::lookup("pk", 2)).delete().await.unwrap();
//! assert_eq!((n, per_model), (1, vec![("doc.Author".to_string(), 1)]));
//! # });
//! ```

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use crate::backends::Vendor;
use crate::connection;
use crate::error::{DbError, Result};
use crate::models::meta::{Field, ModelMeta, OnDelete, RelationKind};
use crate::models::registry;
use crate::models::signals::{self, DeleteOrigin, ModelSignal, ModelSnapshot};
use crate::query::{DynQuerySet, Expression, Rhs, Q};
use crate::transaction;
use crate::value::Value;

/// Django's `GET_ITERATOR_CHUNK_SIZE`: primary keys per `DELETE`/`UPDATE ... IN (...)`.
const CHUNK_SIZE: usize = 100;

fn key(m: &ModelMeta) -> usize {
    m as *const ModelMeta as usize
}

/// A relation pointing at a model, as the collector follows it (Django's
/// `get_candidate_relations_to_delete`: one-to-many and one-to-one, hidden ones included).
#[derive(Debug, Clone)]
pub(crate) enum CandidateRel {
    /// `field` of `model` is a foreign key (or one-to-one) to the collected model.
    Field {
        model: &'static ModelMeta,
        field: &'static Field,
    },
    /// An auto-created many-to-many table whose `column` points at the collected model's
    /// primary key; its rows are always fast-deleted (with `CASCADE`).
    AutoThrough {
        table: String,
        column: String,
        /// The auto-created model's label (`"bookstore.Store_books"`).
        label: String,
    },
}

fn candidate_map() -> &'static HashMap<usize, Vec<CandidateRel>> {
    static MAP: OnceLock<HashMap<usize, Vec<CandidateRel>>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map: HashMap<usize, Vec<CandidateRel>> = HashMap::new();
        for model in registry::all_models() {
            for field in model.fields {
                let Some(rel) = field.relation else { continue };
                let target = (rel.to)();
                match rel.kind {
                    RelationKind::ForeignKey | RelationKind::OneToOne => {
                        map.entry(key(target))
                            .or_default()
                            .push(CandidateRel::Field { model, field });
                    }
                    RelationKind::ManyToMany if rel.through.is_none() => {
                        let th = crate::query::names::m2m_through(model, field, rel);
                        let label = format!("{}.{}_{}", model.app_label, model.object_name, field.name);
                        map.entry(key(model))
                            .or_default()
                            .push(CandidateRel::AutoThrough {
                                table: th.table.clone(),
                                column: th.source_col,
                                label: label.clone(),
                            });
                        map.entry(key(target))
                            .or_default()
                            .push(CandidateRel::AutoThrough {
                                table: th.table,
                                column: th.target_col,
                                label,
                            });
                    }
                    // An explicit through model's own foreign keys are followed.
                    RelationKind::ManyToMany => {}
                }
            }
        }
        map
    })
}

/// The relations the collector follows from `meta`.
pub(crate) fn candidate_relations(meta: &ModelMeta) -> &'static [CandidateRel] {
    candidate_map().get(&key(meta)).map(Vec::as_slice).unwrap_or(&[])
}

/// The field of `field`'s target that it refers to (`to_field`, else the primary key).
fn target_field(field: &Field) -> Option<&'static Field> {
    let rel = field.relation?;
    let to = (rel.to)();
    Some(rel.to_field.and_then(|n| to.field(n)).unwrap_or_else(|| to.pk()))
}

fn has_signal_listeners(meta: &ModelMeta) -> bool {
    signals::pre_delete().has_listeners_for(meta) || signals::post_delete().has_listeners_for(meta)
}

/// Django's `can_fast_delete(model, from_field)`: no delete receivers and nothing but
/// `DO_NOTHING` relations pointing at the model (and, from a field, only `CASCADE`).
fn can_fast_delete(meta: &ModelMeta, from_field: Option<&Field>) -> bool {
    if from_field
        .and_then(|f| f.relation)
        .is_some_and(|r| !matches!(r.on_delete, OnDelete::Cascade))
    {
        return false;
    }
    if has_signal_listeners(meta) {
        return false;
    }
    // Generic relations (private fields with `bulk_related_objects`) need the objects.
    if !meta.generic_relations.is_empty() {
        return false;
    }
    candidate_relations(meta).iter().all(|r| match r {
        CandidateRel::Field { field, .. } => field
            .relation
            .is_some_and(|r| matches!(r.on_delete, OnDelete::DoNothing)),
        CandidateRel::AutoThrough { .. } => false,
    })
}

/// The attnames to load for objects of `meta` that only cascade: the primary key and the
/// fields other relations refer to (Django's `referenced_fields`).
fn referenced_fields(meta: &ModelMeta) -> Vec<&'static str> {
    let mut out = vec![meta.pk().attname];
    for r in candidate_relations(meta) {
        if let CandidateRel::Field { field, .. } = r {
            if let Some(t) = target_field(field) {
                if !out.contains(&t.attname) {
                    out.push(t.attname);
                }
            }
        }
    }
    out
}

fn pk_key(v: &Value) -> String {
    format!("{v:?}")
}

fn value_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Uuid(x), Value::Uuid(y)) => x.cmp(y),
        (Value::Decimal(x), Value::Decimal(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        _ => pk_key(a).cmp(&pk_key(b)),
    }
}

/// `Model` objects queued for deletion.
struct ModelData {
    meta: &'static ModelMeta,
    objs: Vec<ModelSnapshot>,
    keys: HashSet<String>,
}

enum FastDelete {
    Query(Box<DynQuerySet>),
    Through {
        table: String,
        columns: Vec<String>,
        label: String,
        values: Vec<Value>,
    },
}

enum UpdateTarget {
    /// A lazy filter (`SET_NULL` and friends never load the rows).
    Filter(Q),
    /// Loaded objects, by primary key.
    Pks(Vec<Value>),
}

struct FieldUpdate {
    model: &'static ModelMeta,
    field: &'static Field,
    value: Value,
    targets: Vec<UpdateTarget>,
}

struct Restricted {
    model: &'static ModelMeta,
    field: &'static Field,
    objs: Vec<ModelSnapshot>,
}

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Django's `Collector`: gathers what a deletion touches, then deletes it in dependency
/// order inside one transaction.
pub struct Collector {
    using: String,
    vendor: Vendor,
    origin: DeleteOrigin,
    data: Vec<ModelData>,
    fast_deletes: Vec<FastDelete>,
    field_updates: Vec<FieldUpdate>,
    restricted: Vec<Restricted>,
    /// `dependencies[a]` holds the models whose rows must go before `a`'s.
    dependencies: HashMap<usize, HashSet<usize>>,
}

impl Collector {
    /// A collector deleting on database `using`, started by `origin`.
    pub fn new(using: &str, origin: DeleteOrigin) -> Result<Collector> {
        Ok(Collector {
            using: using.to_owned(),
            vendor: connection::vendor(using)?,
            origin,
            data: Vec::new(),
            fast_deletes: Vec::new(),
            field_updates: Vec::new(),
            restricted: Vec::new(),
            dependencies: HashMap::new(),
        })
    }

    fn data_entry(&mut self, meta: &'static ModelMeta) -> &mut ModelData {
        let pos = match self.data.iter().position(|d| std::ptr::eq(d.meta, meta)) {
            Some(p) => p,
            None => {
                self.data.push(ModelData {
                    meta,
                    objs: Vec::new(),
                    keys: HashSet::new(),
                });
                self.data.len() - 1
            }
        };
        &mut self.data[pos]
    }

    fn add_dependency(&mut self, model: &'static ModelMeta, dependency: &'static ModelMeta) {
        self.dependencies
            .entry(key(model))
            .or_default()
            .insert(key(dependency));
        self.data_entry(dependency);
    }

    /// Django's `Collector.add`: queues the objects not queued yet and returns them.
    fn add(
        &mut self,
        meta: &'static ModelMeta,
        objs: Vec<ModelSnapshot>,
        source: Option<&'static ModelMeta>,
        nullable: bool,
    ) -> Vec<ModelSnapshot> {
        if objs.is_empty() {
            return Vec::new();
        }
        let entry = self.data_entry(meta);
        let mut new_objs = Vec::new();
        for o in objs {
            if entry.keys.insert(pk_key(o.pk())) {
                entry.objs.push(o.clone());
                new_objs.push(o);
            }
        }
        // Nullable relations are nulled out first, so they do not order the deletes.
        if let Some(source) = source {
            if !nullable {
                self.add_dependency(source, meta);
            }
        }
        new_objs
    }

    /// Loads the objects of a queryset the collector needs (every field when receivers
    /// will see them, else only the key fields).
    async fn load(&self, qs: DynQuerySet, all_fields: bool) -> Result<Vec<ModelSnapshot>> {
        let meta = qs.model();
        let qs = if all_fields || has_signal_listeners(meta) {
            qs
        } else {
            qs.only(referenced_fields(meta))
        };
        let rows = qs.order_by(Vec::<String>::new()).fetch().await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let cols = row.columns_arc().clone();
                let values = cols
                    .iter()
                    .zip(row.into_values())
                    .filter_map(|(c, v)| meta.field(c).map(|f| (f.attname, v)))
                    .collect();
                ModelSnapshot::from_values(meta, values)
            })
            .collect())
    }

    /// Django's `collect(queryset)` at the top of `QuerySet.delete()`.
    pub async fn collect_queryset(&mut self, qs: DynQuerySet) -> Result<()> {
        let meta = qs.model();
        if can_fast_delete(meta, None) {
            self.fast_deletes.push(FastDelete::Query(Box::new(qs)));
            return Ok(());
        }
        let objs = self.load(qs, true).await?;
        self.collect(meta, objs, None, false, true).await
    }

    /// Django's `collect(objs)` for loaded objects (`obj.delete()`).
    pub async fn collect_objects(
        &mut self,
        meta: &'static ModelMeta,
        objs: Vec<ModelSnapshot>,
    ) -> Result<()> {
        self.collect(meta, objs, None, false, true).await
    }

    /// Django's `get_del_batches`: how many objects per related query.
    fn batch_size(&self, fields: usize, objs: usize) -> usize {
        match self.vendor {
            Vendor::Sqlite if fields == 1 => 500,
            Vendor::Sqlite => (self.vendor.features().max_query_params.unwrap_or(999) / fields.max(1)).max(1),
            _ => objs.max(1),
        }
    }

    /// Django's `related_objects`: the objects of `model` referring to `batch` through
    /// any of `fields`.
    fn related_q(fields: &[&'static Field], batch: &[ModelSnapshot]) -> Q {
        let mut q: Option<Q> = None;
        for field in fields {
            let target = target_field(field).map(|t| t.attname).unwrap_or("pk");
            let values: Vec<Value> = batch
                .iter()
                .map(|o| o.get(target).cloned().unwrap_or(Value::Null))
                .collect();
            let one = Q::lookup(format!("{}__in", field.name), Rhs::from(values));
            q = Some(match q {
                Some(prev) => prev | one,
                None => one,
            });
        }
        q.unwrap_or_default()
    }

    fn related_qs(
        &self,
        model: &'static ModelMeta,
        fields: &[&'static Field],
        batch: &[ModelSnapshot],
    ) -> DynQuerySet {
        DynQuerySet::new(model)
            .using(&self.using)
            .filter(Self::related_q(fields, batch))
    }

    fn add_field_update(
        &mut self,
        model: &'static ModelMeta,
        field: &'static Field,
        value: Value,
        target: UpdateTarget,
    ) {
        if let Some(u) = self
            .field_updates
            .iter_mut()
            .find(|u| std::ptr::eq(u.field, field) && u.value == value)
        {
            u.targets.push(target);
            return;
        }
        self.field_updates.push(FieldUpdate {
            model,
            field,
            value,
            targets: vec![target],
        });
    }

    /// Django's `Collector.collect` for objects of one model.
    fn collect<'a>(
        &'a mut self,
        meta: &'static ModelMeta,
        objs: Vec<ModelSnapshot>,
        source: Option<&'static ModelMeta>,
        nullable: bool,
        fail_on_restricted: bool,
    ) -> BoxFut<'a, Result<()>> {
        Box::pin(async move {
            let new_objs = self.add(meta, objs, source, nullable);
            if new_objs.is_empty() {
                return Ok(());
            }
            let mut model_fast_deletes: Vec<(&'static ModelMeta, Vec<&'static Field>)> = Vec::new();
            let mut through_fast_deletes: Vec<(String, Vec<String>, String)> = Vec::new();
            let mut protected: Vec<(String, Vec<ModelSnapshot>)> = Vec::new();
            for rel in candidate_relations(meta) {
                let (model, field) = match rel {
                    CandidateRel::AutoThrough { table, column, label } => {
                        match through_fast_deletes.iter_mut().find(|(t, _, _)| t == table) {
                            Some((_, cols, _)) => cols.push(column.clone()),
                            None => through_fast_deletes.push((
                                table.clone(),
                                vec![column.clone()],
                                label.clone(),
                            )),
                        }
                        continue;
                    }
                    CandidateRel::Field { model, field } => (*model, *field),
                };
                let Some(relation) = field.relation else { continue };
                let on_delete = relation.on_delete;
                if matches!(on_delete, OnDelete::DoNothing) {
                    continue;
                }
                if can_fast_delete(model, Some(field)) {
                    match model_fast_deletes
                        .iter_mut()
                        .find(|(m, _)| std::ptr::eq(*m, model))
                    {
                        Some((_, fields)) => fields.push(field),
                        None => model_fast_deletes.push((model, vec![field])),
                    }
                    continue;
                }
                let size = self.batch_size(1, new_objs.len());
                for batch in new_objs.chunks(size) {
                    let sub_qs = self.related_qs(model, &[field], batch);
                    let lazy = matches!(
                        on_delete,
                        OnDelete::SetNull | OnDelete::SetDefault | OnDelete::Set(_)
                    );
                    if lazy {
                        let value = match on_delete {
                            OnDelete::SetDefault => field.default.map(|d| d()).unwrap_or(Value::Null),
                            OnDelete::Set(f) => f(),
                            _ => Value::Null,
                        };
                        self.add_field_update(
                            model,
                            field,
                            value,
                            UpdateTarget::Filter(Self::related_q(&[field], batch)),
                        );
                        continue;
                    }
                    let sub_objs = self.load(sub_qs, false).await?;
                    if sub_objs.is_empty() {
                        continue;
                    }
                    let key_name = format!("'{}.{}'", model.object_name, field.name);
                    match on_delete {
                        OnDelete::Cascade => {
                            let pks: Vec<Value> = sub_objs.iter().map(|o| o.pk().clone()).collect();
                            match self.collect(model, sub_objs, Some(meta), field.null, false).await {
                                Ok(()) => {}
                                Err(DbError::ProtectedError {
                                    protected_objects, ..
                                }) => {
                                    push_keyed(&mut protected, key_name, protected_objects);
                                }
                                Err(e) => return Err(e),
                            }
                            if field.null && !self.vendor.features().can_defer_constraint_checks {
                                self.add_field_update(model, field, Value::Null, UpdateTarget::Pks(pks));
                            }
                        }
                        OnDelete::Protect => push_keyed(&mut protected, key_name, sub_objs),
                        OnDelete::Restrict => {
                            self.restricted.push(Restricted {
                                model,
                                field,
                                objs: sub_objs,
                            });
                            self.add_dependency(meta, model);
                        }
                        _ => {}
                    }
                }
            }
            if !protected.is_empty() {
                let keys: Vec<&str> = protected.iter().map(|(k, _)| k.as_str()).collect();
                let message = format!(
                    "Cannot delete some instances of model '{}' because they are referenced through protected foreign keys: {}.",
                    meta.object_name,
                    keys.join(", ")
                );
                let mut objs: Vec<ModelSnapshot> = Vec::new();
                for (_, o) in protected {
                    for x in o {
                        if !objs.contains(&x) {
                            objs.push(x);
                        }
                    }
                }
                return Err(DbError::ProtectedError {
                    message,
                    protected_objects: objs,
                });
            }
            for (model, fields) in model_fast_deletes {
                let size = self.batch_size(fields.len(), new_objs.len());
                for batch in new_objs.chunks(size) {
                    let qs = self.related_qs(model, &fields, batch);
                    self.fast_deletes.push(FastDelete::Query(Box::new(qs)));
                }
            }
            for (table, columns, label) in through_fast_deletes {
                let size = self.batch_size(columns.len(), new_objs.len());
                for batch in new_objs.chunks(size) {
                    self.fast_deletes.push(FastDelete::Through {
                        table: table.clone(),
                        columns: columns.clone(),
                        label: label.clone(),
                        values: batch.iter().map(|o| o.pk().clone()).collect(),
                    });
                }
            }
            // Generic relations: the rows pointing at these objects through a
            // GenericRelation go too (Django's `bulk_related_objects`).
            for rel in meta.generic_relations {
                let to = (rel.to)();
                let ct = crate::contrib::contenttypes::models::get_for_meta(&self.using, meta).await?;
                let pks: Vec<Value> = new_objs.iter().map(|o| o.pk().clone()).collect();
                let qs = DynQuerySet::new(to)
                    .using(&self.using)
                    .filter(Q::lookup(rel.content_type_field, Value::Int(i64::from(ct.id))))
                    .filter(Q::lookup(format!("{}__in", rel.object_id_field), Rhs::from(pks)));
                if can_fast_delete(to, None) {
                    self.fast_deletes.push(FastDelete::Query(Box::new(qs)));
                } else {
                    let sub_objs = self.load(qs, true).await?;
                    if !sub_objs.is_empty() {
                        self.collect(to, sub_objs, Some(meta), true, false).await?;
                    }
                }
            }
            if fail_on_restricted {
                self.check_restricted(meta).await?;
            }
            Ok(())
        })
    }

    /// Raises `RestrictedError` for restricted objects that are not also deleted
    /// through a cascade (collected, or matched by a fast delete).
    async fn check_restricted(&mut self, meta: &'static ModelMeta) -> Result<()> {
        if self.restricted.is_empty() {
            return Ok(());
        }
        let mut remaining: Vec<(String, Vec<ModelSnapshot>)> = Vec::new();
        let restricted = std::mem::take(&mut self.restricted);
        for r in &restricted {
            let collected: Option<&HashSet<String>> = self
                .data
                .iter()
                .find(|d| std::ptr::eq(d.meta, r.model))
                .map(|d| &d.keys);
            let mut left: Vec<ModelSnapshot> = r
                .objs
                .iter()
                .filter(|o| !collected.is_some_and(|k| k.contains(&pk_key(o.pk()))))
                .cloned()
                .collect();
            // Objects a fast delete of their model removes anyway.
            let pks: Vec<Value> = left.iter().map(|o| o.pk().clone()).collect();
            for fd in &self.fast_deletes {
                if left.is_empty() {
                    break;
                }
                if let FastDelete::Query(qs) = fd {
                    if std::ptr::eq(qs.model(), r.model) {
                        let hit = qs
                            .clone()
                            .filter(Q::lookup("pk__in", Rhs::from(pks.clone())))
                            .values_list(["pk"], true, false)
                            .fetch()
                            .await?;
                        let hit: HashSet<String> =
                            hit.into_iter().filter_map(|row| row.get(0).map(pk_key)).collect();
                        left.retain(|o| !hit.contains(&pk_key(o.pk())));
                    }
                }
            }
            if !left.is_empty() {
                push_keyed(
                    &mut remaining,
                    format!("'{}.{}'", r.model.object_name, r.field.name),
                    left,
                );
            }
        }
        self.restricted = restricted;
        if remaining.is_empty() {
            return Ok(());
        }
        let keys: Vec<&str> = remaining.iter().map(|(k, _)| k.as_str()).collect();
        let message = format!(
            "Cannot delete some instances of model '{}' because they are referenced through restricted foreign keys: {}.",
            meta.object_name,
            keys.join(", ")
        );
        let mut objs = Vec::new();
        for (_, o) in remaining {
            for x in o {
                if !objs.contains(&x) {
                    objs.push(x);
                }
            }
        }
        Err(DbError::RestrictedError {
            message,
            restricted_objects: objs,
        })
    }

    /// Django's `Collector.sort`: models whose rows others depend on go last.
    fn sort(&mut self) {
        let mut sorted: Vec<usize> = Vec::new();
        let mut done: HashSet<usize> = HashSet::new();
        let n = self.data.len();
        while sorted.len() < n {
            let mut found = false;
            for (i, d) in self.data.iter().enumerate() {
                if sorted.contains(&i) {
                    continue;
                }
                let ready = self
                    .dependencies
                    .get(&key(d.meta))
                    .is_none_or(|deps| deps.iter().all(|k| done.contains(k)));
                if ready {
                    sorted.push(i);
                    done.insert(key(d.meta));
                    found = true;
                }
            }
            if !found {
                return;
            }
        }
        let mut old: Vec<Option<ModelData>> = std::mem::take(&mut self.data).into_iter().map(Some).collect();
        self.data = sorted.into_iter().filter_map(|i| old[i].take()).collect();
    }

    /// Django's `Collector.delete`: sends `pre_delete`, runs the fast deletes, the field
    /// updates and the deletes in dependency order, sending `post_delete`; all in one
    /// transaction. Returns `(total, [(label, count)])`.
    pub async fn delete(mut self) -> Result<(u64, Vec<(String, u64)>)> {
        for d in &mut self.data {
            d.objs.sort_by(|a, b| value_cmp(a.pk(), b.pk()));
        }
        self.sort();
        // One object with nothing depending on it: a single DELETE, no transaction.
        if self.data.len() == 1 && self.data[0].objs.len() == 1 && self.fast_deletes.is_empty() {
            let meta = self.data[0].meta;
            if can_fast_delete(meta, None) {
                let pk = self.data[0].objs[0].pk().clone();
                let count = delete_batch(&self.using, meta, &[pk]).await?;
                return Ok((count, vec![(meta.label(), count)]));
            }
        }
        let using = self.using.clone();
        if transaction::in_atomic_block(&using) {
            let result = self.delete_inner().await;
            if result.is_err() {
                // Django's `atomic(savepoint=False)`: the enclosing block must roll back.
                let _ = transaction::set_rollback(&using, true);
            }
            result
        } else {
            transaction::atomic_using(&using, || self.delete_inner()).await
        }
    }

    async fn delete_inner(mut self) -> Result<(u64, Vec<(String, u64)>)> {
        let mut counter: Vec<(String, u64)> = Vec::new();
        let mut count_for = |label: String, n: u64| {
            if n == 0 {
                return;
            }
            match counter.iter_mut().find(|(l, _)| *l == label) {
                Some((_, c)) => *c += n,
                None => counter.push((label, n)),
            }
        };
        // pre_delete, model by model in deletion order, objects by ascending key.
        for d in &self.data {
            if signals::pre_delete().has_listeners_for(d.meta) {
                for obj in &d.objs {
                    send_delete(signals::pre_delete(), d.meta, obj, &self.using, &self.origin).await?;
                }
            }
        }
        for fd in &self.fast_deletes {
            match fd {
                FastDelete::Query(qs) => count_for(qs.model().label(), qs.raw_delete().await?),
                FastDelete::Through {
                    table,
                    columns,
                    label,
                    values,
                } => {
                    let c = crate::query::write::delete_in_sql(self.vendor, table, columns, values);
                    let n = connection::execute(&self.using, &c.sql, &c.params)
                        .await?
                        .rows_affected;
                    count_for(label.clone(), n);
                }
            }
        }
        for u in &self.field_updates {
            let mut filter: Option<Q> = None;
            let mut pks: Vec<Value> = Vec::new();
            for t in &u.targets {
                match t {
                    UpdateTarget::Filter(q) => {
                        filter = Some(match filter {
                            Some(prev) => prev | q.clone(),
                            None => q.clone(),
                        })
                    }
                    UpdateTarget::Pks(p) => pks.extend(p.iter().cloned()),
                }
            }
            let set = vec![(u.field.name.to_owned(), Expression::Value(u.value.clone()))];
            if let Some(q) = filter {
                DynQuerySet::new(u.model)
                    .using(&self.using)
                    .filter(q)
                    .update(set.clone())
                    .await?;
            }
            let mut seen = HashSet::new();
            pks.retain(|p| seen.insert(pk_key(p)));
            for chunk in pks.chunks(CHUNK_SIZE) {
                DynQuerySet::new(u.model)
                    .using(&self.using)
                    .filter(Q::lookup("pk__in", Rhs::from(chunk.to_vec())))
                    .update(set.clone())
                    .await?;
            }
        }
        for d in &mut self.data {
            d.objs.reverse();
        }
        for d in &self.data {
            let pks: Vec<Value> = d.objs.iter().map(|o| o.pk().clone()).collect();
            let n = delete_batch(&self.using, d.meta, &pks).await?;
            count_for(d.meta.label(), n);
            if signals::post_delete().has_listeners_for(d.meta) {
                for obj in &d.objs {
                    send_delete(signals::post_delete(), d.meta, obj, &self.using, &self.origin).await?;
                }
            }
        }
        let total = counter.iter().map(|(_, n)| n).sum();
        Ok((total, counter))
    }
}

fn push_keyed(list: &mut Vec<(String, Vec<ModelSnapshot>)>, key: String, objs: Vec<ModelSnapshot>) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some((_, v)) => v.extend(objs),
        None => list.push((key, objs)),
    }
}

async fn send_delete(
    signal: &'static nuages_core::dispatch::Signal<signals::Delete>,
    meta: &'static ModelMeta,
    obj: &ModelSnapshot,
    using: &str,
    origin: &DeleteOrigin,
) -> Result<()> {
    let args = signals::Delete {
        model: meta,
        instance: obj.clone(),
        using: using.to_owned(),
        origin: origin.clone(),
    };
    signal
        .send(signals::model_sender(meta), args)
        .await
        .map(drop)
        .map_err(signals::receiver_error)
}

/// Django's `DeleteQuery.delete_batch`: `DELETE ... WHERE pk IN (...)`, 100 keys at a time.
async fn delete_batch(using: &str, meta: &'static ModelMeta, pks: &[Value]) -> Result<u64> {
    let mut n = 0;
    for chunk in pks.chunks(CHUNK_SIZE) {
        n += DynQuerySet::new(meta)
            .using(using)
            .filter(Q::lookup("pk__in", Rhs::from(chunk.to_vec())))
            .raw_delete()
            .await?;
    }
    Ok(n)
}

/// `QuerySet.delete()`: Django's checks, then the collector.
pub(crate) async fn delete_queryset(qs: &DynQuerySet) -> Result<(u64, Vec<(String, u64)>)> {
    qs.check()?;
    let vendor = connection::vendor(qs.db())?;
    // Django's checks (slices, distinct, values) and "matches nothing".
    if crate::query::write::delete_sql(qs, vendor)?.is_none() {
        return Ok((0, Vec::new()));
    }
    let mut del = qs.clone().order_by(Vec::<String>::new());
    del.query.lock = None;
    let mut collector = Collector::new(qs.db(), DeleteOrigin::QuerySet(qs.model()))?;
    collector.collect_queryset(del).await?;
    collector.delete().await
}

/// `obj.delete(using=...)`: the collector on one loaded object.
pub(crate) async fn delete_object(using: &str, obj: ModelSnapshot) -> Result<(u64, Vec<(String, u64)>)> {
    let meta = obj.meta();
    let mut collector = Collector::new(using, DeleteOrigin::Instance(obj.clone()))?;
    collector.collect_objects(meta, vec![obj]).await?;
    collector.delete().await
}
