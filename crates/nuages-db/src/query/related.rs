//! `select_related`: Django's `get_related_selections`, and [`ModelObject`], a model row
//! with the related objects loaded alongside it.
//!
//! `select_related("book__author")` joins the related tables into the same query
//! (INNER JOIN for a non-null key, LEFT OUTER JOIN for a nullable one or below one) and
//! selects their columns after the model's own; each row is then split back into the
//! model's values and one nested object per relation. With no names, every non-null
//! forward key is followed, five levels deep at most, as Django does. A reverse
//! one-to-one (`author.profile`) can be named too.
//!
//! ```
//! use nuages_db::query::DynQuerySet;
//! use nuages_db::{Field, FieldType, ModelMeta, Relation, RelationKind, Vendor};
//! static AUTHOR_FIELDS: [Field; 2] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field::new("name", FieldType::CharField).max_length(100),
//! ];
//! static AUTHOR: ModelMeta = ModelMeta::new("shop", "Author", "author", "shop_author", &AUTHOR_FIELDS);
//! static BOOK_FIELDS: [Field; 2] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field {
//!         attname: "author_id",
//!         column: "author_id",
//!         relation: Some(Relation::new(RelationKind::ForeignKey, || &AUTHOR)),
//!         ..Field::new("author", FieldType::ForeignKey)
//!     },
//! ];
//! static BOOK: ModelMeta = ModelMeta::new("shop", "Book", "book", "shop_book", &BOOK_FIELDS);
//!
//! let sql = DynQuerySet::new(&BOOK).select_related(["author"]).sql(Vendor::Sqlite).unwrap().unwrap().sql;
//! assert_eq!(
//!     sql,
//!     r#"SELECT "shop_book"."id", "shop_book"."author_id", "shop_author"."id", "shop_author"."name" FROM "shop_book" INNER JOIN "shop_author" ON "shop_book"."author_id" = "shop_author"."id""#
//! );
//! let err = DynQuerySet::new(&BOOK).select_related(["title"]).sql(Vendor::Sqlite).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "Invalid field name(s) given in select_related: 'title'. Choices are: author"
//! );
//! ```

use std::sync::Arc;

use crate::backends::Row;
use crate::connection;
use crate::error::{DbError, Result};
use crate::models::meta::{Field, ModelMeta, RelationKind};
use crate::models::model::ModelRow;
use crate::value::Value;

use super::compiler::{Compiler, SelectMode};
use super::convert::convert;
use super::names::{self, ReverseRel};
use super::query::Query;
use super::queryset::{DynQuerySet, RowsKind};
use super::where_::SqlExpr;

/// Django's `max_depth` for `select_related()` without names.
const MAX_DEPTH: usize = 5;

/// What `select_related()` asked for.
#[derive(Debug, Clone, Default)]
pub(crate) enum SelectRelated {
    #[default]
    Off,
    /// `select_related()`: every non-null forward key.
    All,
    /// `select_related("a__b", ...)`.
    Fields(Vec<String>),
}

/// The related-loading options a [`Query`] carries.
#[derive(Debug, Clone, Default)]
pub(crate) struct RelatedOptions {
    pub select_related: SelectRelated,
    /// A path selected after everything else (Django's `_prefetch_related_val`): the
    /// through table's column that tells which instance a prefetched row belongs to.
    pub prefetch_col: Option<String>,
}

/// One relation followed by `select_related` (Django's `klass_info`).
#[derive(Debug, Clone)]
pub(crate) struct Klass {
    /// The attribute on the parent (forward field name or reverse accessor name).
    pub name: &'static str,
    /// The name lookups use for the relation (the forward field's name, or the reverse
    /// relation's query name): what `select_for_update(of=...)` names it by.
    pub lookup: &'static str,
    pub meta: &'static ModelMeta,
    /// The join holding the related table.
    pub alias: usize,
    /// Django's `from_parent`: a multi-table child reached from its parent by the
    /// reverse parent link. Its inherited columns are the parent's, already selected,
    /// so only its own table's columns are added (no second join of the parent).
    pub from_parent: bool,
    pub children: Vec<Klass>,
}

impl Klass {
    /// The fields this relation adds to the select list: the model's concrete fields,
    /// less the inherited ones when they come from the parent (Django's
    /// `get_default_columns(from_parent=...)`).
    fn selected_fields(&self) -> impl Iterator<Item = &'static Field> + '_ {
        self.meta
            .concrete_fields()
            .filter(|f| !(self.from_parent && self.meta.is_inherited(f)))
    }
}

/// The requested names as a tree (`{"book": {"author": {}}}`), in the given order.
#[derive(Debug, Default)]
struct Tree(Vec<(String, Tree)>);

impl Tree {
    fn parse(names: &[String]) -> Tree {
        let mut root = Tree::default();
        for n in names {
            let mut node = &mut root;
            for part in n.split("__") {
                let pos = match node.0.iter().position(|(k, _)| k == part) {
                    Some(p) => p,
                    None => {
                        node.0.push((part.to_owned(), Tree::default()));
                        node.0.len() - 1
                    }
                };
                node = &mut node.0[pos].1;
            }
        }
        root
    }

    fn get(&self, name: &str) -> Option<&Tree> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, t)| t)
    }
}

/// The accessor name of a reverse relation on the related instance (Django's
/// `get_accessor_name`): `related_name`, else the model name for a one-to-one.
pub(crate) fn accessor_name(r: &ReverseRel) -> &'static str {
    match r.field.relation.and_then(|rel| rel.related_name) {
        Some(n) => n,
        None => r.model.model_name,
    }
}

/// Reverse relations that `select_related` can follow: unique, single-valued ones.
fn reverse_single(meta: &'static ModelMeta) -> impl Iterator<Item = &'static ReverseRel> {
    names::reverse_relations(meta).iter().filter(|r| {
        r.field
            .relation
            .is_some_and(|rel| rel.kind != RelationKind::ManyToMany)
            && (r.field.unique
                || r.field
                    .relation
                    .is_some_and(|rel| rel.kind == RelationKind::OneToOne))
    })
}

fn field_choices(meta: &'static ModelMeta) -> String {
    let choices: Vec<&str> = meta
        .fields
        .iter()
        .filter(|f| f.is_foreign_key())
        .map(|f| f.name)
        .chain(reverse_single(meta).map(|r| r.name))
        .collect();
    if choices.is_empty() {
        "(none)".to_owned()
    } else {
        choices.join(", ")
    }
}

/// Django's `get_related_selections`: adds the joins and returns what to select.
pub(crate) fn setup_select_related(q: &mut Query) -> Result<Vec<Klass>> {
    if q.select.is_some() {
        return Ok(Vec::new());
    }
    match q.related.select_related.clone() {
        SelectRelated::Off => Ok(Vec::new()),
        SelectRelated::All => selections(q, q.model, &[], 1, None),
        SelectRelated::Fields(names) => {
            let tree = Tree::parse(&names);
            selections(q, q.model, &[], 1, Some(&tree))
        }
    }
}

fn selections(
    q: &mut Query,
    opts: &'static ModelMeta,
    path: &[&'static str],
    depth: usize,
    requested: Option<&Tree>,
) -> Result<Vec<Klass>> {
    let mut out = Vec::new();
    if requested.is_none() && depth > MAX_DEPTH {
        return Ok(out);
    }
    let mut found: Vec<&str> = Vec::new();
    for f in opts.concrete_fields() {
        // Django never descends into a parent link: its fields are the model's own.
        if f.relation.is_some_and(|r| r.parent_link) {
            continue;
        }
        found.push(f.name);
        let next = match requested {
            Some(tree) => {
                let Some(next) = tree.get(f.name) else { continue };
                if !f.is_foreign_key() {
                    return Err(DbError::FieldError(format!(
                        "Non-relational field given in select_related: '{}'. Choices are: {}",
                        f.name,
                        field_choices(opts)
                    )));
                }
                Some(next)
            }
            None => {
                if !f.is_foreign_key() || f.null {
                    continue;
                }
                None
            }
        };
        if depth == 1 {
            if let Some(loaded) = &q.loaded_fields {
                if requested.is_some() && !loaded.iter().any(|l| std::ptr::eq(*l, f)) {
                    return Err(DbError::FieldError(format!(
                        "Field {}.{} cannot be both deferred and traversed using select_related at the same time.",
                        opts.object_name, f.name
                    )));
                }
            }
        }
        let Some(rel) = f.relation else { continue };
        let mut names: Vec<&'static str> = path.to_vec();
        names.push(f.name);
        let info = q.setup_joins(&names, None)?;
        let alias = *info.joins.last().unwrap_or(&0);
        let target = (rel.to)();
        let children = selections(q, target, &names, depth + 1, next)?;
        out.push(Klass {
            name: f.name,
            lookup: f.name,
            meta: target,
            alias,
            from_parent: false,
            children,
        });
    }
    if let Some(tree) = requested {
        for r in reverse_single(opts) {
            found.push(r.name);
            let Some(next) = tree.get(r.name) else { continue };
            let mut names: Vec<&'static str> = path.to_vec();
            names.push(r.name);
            let info = q.setup_joins(&names, None)?;
            let alias = *info.joins.last().unwrap_or(&0);
            let children = selections(q, r.model, &names, depth + 1, Some(next))?;
            let from_parent = r.field.relation.is_some_and(|rel| rel.parent_link);
            out.push(Klass {
                name: accessor_name(r),
                lookup: r.name,
                meta: r.model,
                alias,
                from_parent,
                children,
            });
        }
        let missing: Vec<String> = tree
            .0
            .iter()
            .filter(|(k, _)| !found.contains(&k.as_str()))
            .map(|(k, _)| format!("'{k}'"))
            .collect();
        if !missing.is_empty() {
            return Err(DbError::FieldError(format!(
                "Invalid field name(s) given in select_related: {}. Choices are: {}",
                missing.join(", "),
                field_choices(opts)
            )));
        }
    }
    Ok(out)
}

/// Django's `get_select_for_update_of_arguments`: the table aliases that
/// `select_for_update(of=...)` names. A name is `self`, a relation the query follows with
/// `select_related`, or a multi-table parent link of either (`book_ptr`,
/// `author__person_ptr`); anything else is a `FieldError` listing the choices, as in
/// Django, rather than SQL naming a table the query does not join.
pub(crate) fn lock_of_aliases(q: &Query, names: &[String]) -> Result<Vec<String>> {
    let mut probe = q.clone();
    let klasses = setup_select_related(&mut probe)?;
    // Every lockable model as (path, alias), breadth first, as Django lists the choices.
    let mut choices: Vec<(String, usize)> = Vec::new();
    let mut queue = std::collections::VecDeque::from([(Vec::new(), q.model, 0, klasses.as_slice())]);
    while let Some((path, meta, alias, children)) = queue.pop_front() {
        choices.push((
            if path.is_empty() {
                "self".to_owned()
            } else {
                path.join("__")
            },
            alias,
        ));
        let own_parent_links = meta
            .concrete_fields()
            .filter(|f| !meta.is_inherited(f))
            .filter_map(|f| f.relation.filter(|r| r.parent_link).map(|r| (f, r)));
        for (f, rel) in own_parent_links {
            let mut p: Vec<&'static str> = path.clone();
            p.push(f.name);
            let info = probe.setup_joins(&p, None)?;
            let parent_alias = *info.joins.last().unwrap_or(&alias);
            queue.push_back((p, (rel.to)(), parent_alias, &[]));
        }
        for k in children {
            let mut p = path.clone();
            p.push(k.lookup);
            queue.push_back((p, k.meta, k.alias, k.children.as_slice()));
        }
    }
    let mut aliases = Vec::new();
    let mut invalid = Vec::new();
    for name in names {
        match choices.iter().find(|(path, _)| path == name) {
            Some((_, alias)) => aliases.push(probe.joins[*alias].alias.to_string()),
            None => invalid.push(name.as_str()),
        }
    }
    if !invalid.is_empty() {
        let choices: Vec<&str> = choices.iter().map(|(path, _)| path.as_str()).collect();
        return Err(DbError::FieldError(format!(
            "Invalid field name(s) given in select_for_update(of=(...)): {}. Only relational \
             fields followed in the query are allowed. Choices are: {}.",
            invalid.join(", "),
            choices.join(", ")
        )));
    }
    Ok(aliases)
}

fn flatten<'a>(klasses: &'a [Klass], out: &mut Vec<&'a Klass>) {
    for k in klasses {
        out.push(k);
        flatten(&k.children, out);
    }
}

/// The columns a model-rows `SELECT` adds after the model's own: the related models'
/// columns in depth-first order, then the prefetch column. Called by the compiler.
pub(crate) fn extra_columns(q: &mut Query) -> Result<Vec<SqlExpr>> {
    let klasses = setup_select_related(q)?;
    let mut flat = Vec::new();
    flatten(&klasses, &mut flat);
    let mut out = Vec::new();
    for k in flat {
        for f in k.selected_fields() {
            out.push(q.model_col(k.meta, k.alias, f));
        }
    }
    if let Some(path) = q.related.prefetch_col.clone() {
        out.push(q.resolve_select(&path)?);
    }
    Ok(out)
}

/// A model instance as data: its row (by attname), the related objects
/// `select_related` loaded with it, and the lists `prefetch_related` loaded for it.
/// [`Model::from_object`](crate::Model::from_object) turns it into a typed instance.
#[derive(Debug, Clone)]
pub struct ModelObject {
    meta: &'static ModelMeta,
    row: Row,
    db: String,
    related: Vec<(String, Option<ModelObject>)>,
    prefetched: Vec<(String, &'static ModelMeta, Vec<ModelObject>)>,
    /// The prefetch column's value (which instance this row was prefetched for).
    pub(crate) prefetch_val: Option<Value>,
}

/// A loaded object's parts: its row, database, related objects and prefetched lists.
pub type ObjectParts = (
    ModelRow<'static>,
    String,
    Vec<(String, Option<ModelObject>)>,
    Vec<(String, &'static ModelMeta, Vec<ModelObject>)>,
);

impl ModelObject {
    /// An object of `meta` from a row keyed by attname.
    pub fn new(meta: &'static ModelMeta, row: Row, db: &str) -> ModelObject {
        ModelObject {
            meta,
            row,
            db: db.to_owned(),
            related: Vec::new(),
            prefetched: Vec::new(),
            prefetch_val: None,
        }
    }

    /// The model.
    pub fn meta(&self) -> &'static ModelMeta {
        self.meta
    }

    /// The row (columns named by attname; deferred fields are absent).
    pub fn row(&self) -> &Row {
        &self.row
    }

    /// The database alias it was loaded from.
    pub fn db(&self) -> &str {
        &self.db
    }

    /// A field's value by name or attname (`None` when deferred or unknown).
    pub fn get(&self, name: &str) -> Option<&Value> {
        let name = if name == "pk" {
            self.meta.pk().attname
        } else {
            name
        };
        let attname = self.meta.field(name).map(|f| f.attname).unwrap_or(name);
        self.row.get_by_name(attname)
    }

    /// The primary key.
    pub fn pk(&self) -> Value {
        self.get("pk").cloned().unwrap_or(Value::Null)
    }

    /// A related object loaded by `select_related` (or a prefetched forward key):
    /// `None` when not loaded, `Some(None)` when loaded and absent (a NULL key, a missing
    /// reverse one-to-one).
    pub fn related(&self, name: &str) -> Option<Option<&ModelObject>> {
        self.related
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, o)| o.as_ref())
    }

    /// A list loaded by `prefetch_related` under `name` (accessor or `to_attr`).
    pub fn prefetched(&self, name: &str) -> Option<&[ModelObject]> {
        self.prefetched
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, l)| l.as_slice())
    }

    pub(crate) fn set_related(&mut self, name: &str, object: Option<ModelObject>) {
        self.related.retain(|(n, _)| n != name);
        self.related.push((name.to_owned(), object));
    }

    pub(crate) fn set_prefetched(&mut self, name: &str, meta: &'static ModelMeta, list: Vec<ModelObject>) {
        self.prefetched.retain(|(n, _, _)| n != name);
        self.prefetched.push((name.to_owned(), meta, list));
    }

    /// The objects reached by one attribute: a related object, or a prefetched list.
    pub(crate) fn children_mut(&mut self, name: &str) -> Vec<&mut ModelObject> {
        if let Some((_, list)) = self
            .prefetched
            .iter_mut()
            .find(|(n, _, _)| n == name)
            .map(|(_, m, l)| (m, l))
        {
            return list.iter_mut().collect();
        }
        match self.related.iter_mut().find(|(n, _)| n == name) {
            Some((_, Some(o))) => vec![o],
            _ => Vec::new(),
        }
    }

    /// True when `name` was loaded (related object or list).
    pub(crate) fn has_loaded(&self, name: &str) -> bool {
        self.related.iter().any(|(n, _)| n == name) || self.prefetched.iter().any(|(n, _, _)| n == name)
    }

    /// The row's values that are not concrete fields of the model: the queryset's
    /// annotations, by alias, in SELECT order.
    pub fn annotations(&self) -> Vec<(String, Value)> {
        self.row
            .columns()
            .iter()
            .zip(self.row.values())
            .filter(|(c, _)| !self.meta.concrete_fields().any(|f| f.attname == c.as_str()))
            .map(|(c, v)| (c.clone(), v.clone()))
            .collect()
    }

    /// Takes the object apart for a typed model: the row laid out as the model's
    /// concrete fields (absent ones deferred), the database, related objects and lists.
    pub fn into_parts(self) -> ObjectParts {
        let values = self
            .meta
            .concrete_fields()
            .map(|f| self.row.get_by_name(f.attname).cloned())
            .collect();
        (ModelRow::new(values), self.db, self.related, self.prefetched)
    }
}

impl DynQuerySet {
    /// `select_related(*fields)`: load these relations in the same query (an empty list
    /// follows every non-null foreign key). Names are checked when the query runs, as in
    /// Django.
    pub fn select_related<S: AsRef<str>>(self, fields: impl IntoIterator<Item = S>) -> Self {
        let names: Vec<String> = fields.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self.try_with(|qs| {
            if qs.kind != RowsKind::Models {
                return Err(DbError::TypeError(
                    "Cannot call select_related() after .values() or .values_list()".into(),
                ));
            }
            let sr = &mut qs.query.related.select_related;
            *sr = match (std::mem::take(sr), names.is_empty()) {
                (_, true) => SelectRelated::All,
                (SelectRelated::Fields(mut old), false) => {
                    old.extend(names);
                    SelectRelated::Fields(old)
                }
                (_, false) => SelectRelated::Fields(names),
            };
            Ok(())
        })
    }

    /// `select_related(None)`: load no relation with the query.
    pub fn clear_select_related(mut self) -> Self {
        self.query.related.select_related = SelectRelated::Off;
        self
    }

    /// True when evaluating needs [`fetch_objects`](Self::fetch_objects) rather than
    /// plain rows (related objects or prefetched lists to load).
    pub fn loads_related(&self) -> bool {
        !matches!(self.query.related.select_related, SelectRelated::Off) || !self.prefetch.is_empty()
    }

    /// Runs the query and returns model objects with their `select_related` objects and
    /// `prefetch_related` lists (one query, plus one per prefetch level).
    pub async fn fetch_objects(&self) -> Result<Vec<ModelObject>> {
        if self.kind != RowsKind::Models {
            return Err(DbError::TypeError(
                "fetch_objects() needs model rows, not values() or values_list()".into(),
            ));
        }
        let rows = self.fetch_rows().await?;
        let reader = ObjectReader::new(self)?;
        let mut out = rows
            .into_iter()
            .map(|raw| reader.read(raw))
            .collect::<Result<Vec<_>>>()?;
        if !self.prefetch.is_empty() {
            super::prefetch::prefetch_related_objects(&mut out, &self.prefetch, self.db()).await?;
        }
        Ok(out)
    }

    /// The rows of this queryset's model-rows query as the database gives them (the
    /// related models' columns after the model's own).
    async fn fetch_rows(&self) -> Result<Vec<Row>> {
        self.check()?;
        let vendor = connection::vendor(self.db())?;
        self.check_lock(vendor)?;
        let mut c = Compiler::for_db(vendor, self.db());
        let Some(stmt) = c.select(&self.query, SelectMode::Rows)? else {
            return Ok(Vec::new());
        };
        let compiled = c.finish(&stmt);
        connection::fetch(self.db(), &compiled.sql, &compiled.params).await
    }

    /// [`fetch_objects`](Self::fetch_objects) as a stream (`iterator(chunk_size)` with
    /// `select_related` or `prefetch_related`): rows are read `chunk_size` at a time, and
    /// with `prefetch_related` each chunk's lists are loaded before its objects are yielded
    /// (one query per chunk and prefetch level, as Django 5 does).
    ///
    /// ```no_run
    /// # async fn demo(books: nuages_db::query::DynQuerySet) -> nuages_db::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut objects = books.select_related(["author"]).prefetch_related(["genres"]).iterator_objects(500)?;
    /// while let Some(book) = objects.try_next().await? {
    ///     println!("{:?}", book.related("author"));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn iterator_objects(
        &self,
        chunk_size: usize,
    ) -> Result<futures::stream::BoxStream<'static, Result<ModelObject>>> {
        use futures::StreamExt;
        if self.kind != RowsKind::Models {
            return Err(DbError::TypeError(
                "iterator_objects() needs model rows, not values() or values_list()".into(),
            ));
        }
        let rows = self.raw_iterator(chunk_size)?.boxed();
        let reader = Arc::new(ObjectReader::new(self)?);
        if self.prefetch.is_empty() {
            return Ok(rows.map(move |r| r.and_then(|raw| reader.read(raw))).boxed());
        }
        let prefetch = Arc::new(self.prefetch.clone());
        let db: Arc<str> = self.db().into();
        let chunks = rows.chunks(chunk_size).then(move |chunk| {
            let (reader, prefetch, db) = (reader.clone(), prefetch.clone(), db.clone());
            async move {
                let mut objects = Vec::with_capacity(chunk.len());
                let mut failed = None;
                for row in chunk {
                    match row.and_then(|raw| reader.read(raw)) {
                        Ok(object) => objects.push(object),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                if let Err(e) = super::prefetch::prefetch_related_objects(&mut objects, &prefetch, &db).await
                {
                    return vec![Err(e)];
                }
                objects
                    .into_iter()
                    .map(Ok)
                    .chain(failed.map(Err))
                    .collect::<Vec<_>>()
            }
        });
        Ok(chunks.flat_map(futures::stream::iter).boxed())
    }
}

/// What turns one row of a model-rows query into a [`ModelObject`] with its
/// `select_related` objects: the layout of the select list, worked out once per query.
struct ObjectReader {
    model: &'static ModelMeta,
    klasses: Vec<Klass>,
    layouts: Vec<Arc<[String]>>,
    /// The model's own columns, with the expressions their values convert by.
    base: Vec<(String, SqlExpr)>,
    names: Arc<[String]>,
    prefetch_type: Option<SqlExpr>,
    db: String,
}

impl ObjectReader {
    fn new(qs: &DynQuerySet) -> Result<ObjectReader> {
        let mut probe = qs.query.clone();
        let klasses = setup_select_related(&mut probe)?;
        let prefetch_type = match probe.related.prefetch_col.clone() {
            Some(path) => Some(probe.resolve_select(&path)?),
            None => None,
        };
        let base: Vec<(String, SqlExpr)> = qs.columns();
        let names: Arc<[String]> = base.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>().into();
        let mut layouts = Vec::new();
        layout(&klasses, &names, &mut layouts);
        Ok(ObjectReader {
            model: qs.model(),
            klasses,
            layouts,
            base,
            names,
            prefetch_type,
            db: qs.db().to_owned(),
        })
    }

    fn read(&self, raw: Row) -> Result<ModelObject> {
        let mut values = raw.into_values().into_iter();
        let own: Vec<Value> = self
            .base
            .iter()
            .map(|(_, e)| {
                let v = convert(values.next().unwrap_or(Value::Null), e.output_type(), e.field());
                from_db_value(v, e.field())
            })
            .collect::<Result<_>>()?;
        let mut obj = ModelObject::new(self.model, Row::new(self.names.clone(), own), &self.db);
        obj.related = split(
            &self.klasses,
            &self.layouts,
            &mut values,
            &self.db,
            &mut 0,
            &obj.row,
        )?;
        if let Some(e) = &self.prefetch_type {
            obj.prefetch_val = Some(convert(
                values.next().unwrap_or(Value::Null),
                e.output_type(),
                e.field(),
            ));
        }
        Ok(obj)
    }
}

/// Column names of each related model, in the depth-first order of the select list: a
/// child reached from its parent lists the inherited names its parent row holds
/// (deferred ones stay absent), then its own.
fn layout(klasses: &[Klass], parent: &[String], out: &mut Vec<Arc<[String]>>) {
    for k in klasses {
        let names: Arc<[String]> = k
            .meta
            .concrete_fields()
            .filter(|f| !k.from_parent || !k.meta.is_inherited(f) || parent.iter().any(|p| p == f.attname))
            .map(|f| f.attname.to_owned())
            .collect::<Vec<_>>()
            .into();
        out.push(names.clone());
        layout(&k.children, &names, out);
    }
}

/// Reads the related objects of one row (depth first); a NULL primary key (no row
/// behind a LEFT OUTER JOIN) is an absent object. A child reached from its parent takes
/// its inherited values from the parent's row (Django's `RelatedPopulator` with
/// `from_parent`).
fn split(
    klasses: &[Klass],
    layouts: &[Arc<[String]>],
    values: &mut impl Iterator<Item = Value>,
    db: &str,
    pos: &mut usize,
    parent: &Row,
) -> Result<Vec<(String, Option<ModelObject>)>> {
    let mut out = Vec::with_capacity(klasses.len());
    for k in klasses {
        let names = layouts
            .get(*pos)
            .cloned()
            .unwrap_or_else(|| Arc::from(Vec::new()));
        *pos += 1;
        let mut vals: Vec<Value> = Vec::with_capacity(names.len());
        for f in k.meta.concrete_fields() {
            if k.from_parent && k.meta.is_inherited(f) {
                if let Some(v) = parent.get_by_name(f.attname) {
                    vals.push(v.clone());
                }
                continue;
            }
            let v = values.next().unwrap_or(Value::Null);
            vals.push(from_db_value(
                convert(v, Some(super::where_::column_type(f)), Some(f)),
                Some(f),
            )?);
        }
        let mut obj = ModelObject::new(k.meta, Row::new(names, vals), db);
        obj.related = split(&k.children, layouts, values, db, pos, &obj.row)?;
        let present = !obj.pk().is_null();
        out.push((k.name.to_owned(), present.then_some(obj)));
    }
    Ok(out)
}

/// A custom field's `from_db_value` (Django's converters run on every loaded field,
/// `select_related` ones included).
fn from_db_value(v: Value, field: Option<&Field>) -> Result<Value> {
    match field.and_then(|f| f.custom) {
        Some(c) => c.from_db(v),
        None => Ok(v),
    }
}
