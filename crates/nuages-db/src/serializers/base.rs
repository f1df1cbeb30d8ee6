//! Django's `django.core.serializers.base.DeserializedObject`: a model row read from a
//! fixture, saved "raw" (no `auto_now`, no signals) as `loaddata` does.

use std::collections::HashSet;

use sea_query::{Alias, Expr, ExprTrait};

use crate::connection;
use crate::error::Result;
use crate::models::meta::{Field, FieldType, ModelMeta};
use crate::models::signals::{
    model_sender, post_save, pre_save, receiver_error, ModelSignal, ModelSnapshot, PostSave, PreSave,
};
use crate::query::compiler::Compiler;
use crate::query::convert::convert;
use crate::query::insert::{insert_one, is_auto_pk, prep_save};
use crate::query::names::m2m_through;
use crate::query::Expression;
use crate::query::{DynQuerySet, Q};
use crate::value::Value;

/// One deserialised fixture object: the model, its primary key (`Null` when the
/// fixture gave none), the field values given, and the many-to-many target keys.
#[derive(Debug, Clone)]
pub struct DeserializedObject {
    pub meta: &'static ModelMeta,
    pub pk: Value,
    pub values: Vec<(&'static Field, Value)>,
    pub m2m: Vec<(&'static Field, Vec<Value>)>,
}

/// Django's `Field.get_default()` for a field the fixture left out: the default, else
/// `""` for string fields that are not nullable, else `NULL`.
fn default_of(f: &Field) -> Value {
    if let Some(d) = f.default {
        return d();
    }
    let empty_strings_allowed = matches!(
        f.field_type,
        FieldType::CharField
            | FieldType::TextField
            | FieldType::EmailField
            | FieldType::SlugField
            | FieldType::URLField
    );
    if empty_strings_allowed && !f.null {
        Value::Text(String::new())
    } else {
        Value::Null
    }
}

impl DeserializedObject {
    /// `app_label.ObjectName` (Django's `_meta.label`), for messages.
    pub fn label(&self) -> String {
        self.meta.label()
    }

    /// The object as signals show it: every concrete field by attname.
    fn snapshot(&self, row: &[(&'static Field, Value)]) -> ModelSnapshot {
        let pk = self.meta.pk();
        let mut values = vec![(pk.attname, self.pk.clone())];
        values.extend(row.iter().map(|(f, v)| (f.attname, v.clone())));
        ModelSnapshot::from_values(self.meta, values)
    }

    /// Django's `DeserializedObject.save()`: `save_base(raw=True)` (with `pre_save` and
    /// `post_save` sent with `raw=True`) then `set()` on each many-to-many field. An
    /// existing row with the same key is updated, otherwise the row is inserted; returns
    /// the primary key (generated when the fixture had none).
    pub async fn save(&mut self, alias: &str) -> Result<Value> {
        let meta = self.meta;
        let pk_field = meta.pk();
        let given = |f: &Field| {
            self.values
                .iter()
                .find(|(g, _)| g.name == f.name)
                .map(|(_, v)| v.clone())
        };
        // A multi-table child's fixture holds its own table's fields (Django's raw save
        // skips the parents, which have objects of their own).
        let row: Vec<(&'static Field, Value)> = meta
            .local_concrete_fields()
            .filter(|f| !f.primary_key)
            .map(|f| (f, given(f).unwrap_or_else(|| default_of(f))))
            .collect();
        let pk_set = !(self.pk.is_null() || (matches!(self.pk, Value::Int(0)) && is_auto_pk(pk_field)));
        if pre_save().has_listeners_for(meta) {
            let args = PreSave {
                model: meta,
                instance: self.snapshot(&row),
                raw: true,
                using: alias.to_owned(),
                update_fields: None,
            };
            pre_save()
                .send(model_sender(meta), args)
                .await
                .map_err(receiver_error)?;
        }
        let mut updated = 0;
        if pk_set {
            let mut values = Vec::with_capacity(row.len());
            for (f, v) in &row {
                values.push((f.name.to_owned(), Expression::Value(prep_save(f, v.clone())?)));
            }
            let qs = DynQuerySet::new(meta)
                .using(alias)
                .filter(Q::lookup("pk", self.pk.clone()));
            updated = if values.is_empty() {
                u64::from(qs.exists().await?)
            } else {
                qs.update(values).await?
            };
        }
        if updated == 0 {
            let mut columns = Vec::new();
            let mut values = Vec::new();
            if pk_set {
                columns.push(pk_field);
                values.push(prep_save(pk_field, self.pk.clone())?);
            }
            for (f, v) in &row {
                columns.push(*f);
                values.push(prep_save(f, v.clone())?);
            }
            if let Some(id) = insert_one(alias, meta, &columns, values).await? {
                if !pk_set {
                    self.pk = convert(id, Some(pk_field.field_type), Some(pk_field));
                }
            }
        }
        if post_save().has_listeners_for(meta) {
            let args = PostSave {
                model: meta,
                instance: self.snapshot(&row),
                created: updated == 0,
                raw: true,
                using: alias.to_owned(),
                update_fields: None,
            };
            post_save()
                .send(model_sender(meta), args)
                .await
                .map_err(receiver_error)?;
        }
        for (field, targets) in &self.m2m {
            set_m2m(alias, meta, field, &self.pk, targets).await?;
        }
        Ok(self.pk.clone())
    }
}

/// `getattr(obj, field.name).set(targets)` on an auto-created table: removes the links
/// not in `targets` and adds the missing ones, in the given order.
async fn set_m2m(
    alias: &str,
    meta: &'static ModelMeta,
    field: &'static Field,
    source: &Value,
    targets: &[Value],
) -> Result<()> {
    let Some(rel) = field.relation else { return Ok(()) };
    let th = m2m_through(meta, field, rel);
    let target_pk = (rel.to)().pk();
    let vendor = connection::vendor(alias)?;
    let source = prep_save(meta.pk(), source.clone())?;
    let (src, tgt, table) = (
        Alias::new(th.source_col.as_str()),
        Alias::new(th.target_col.as_str()),
        Alias::new(th.table.as_str()),
    );

    let mut c = Compiler::new(vendor);
    let mut select = sea_query::Query::select();
    select
        .column(tgt.clone())
        .from(table.clone())
        .and_where(Expr::col(src.clone()).eq(c.bind(source.clone())));
    let sql = c.finish(&select);
    let existing: Vec<Value> = connection::fetch(alias, &sql.sql, &sql.params)
        .await?
        .into_iter()
        .filter_map(|r| r.into_values().into_iter().next())
        .map(|v| convert(v, Some(target_pk.field_type), Some(target_pk)))
        .collect();
    let mut wanted = Vec::with_capacity(targets.len());
    for t in targets {
        let v = prep_save(target_pk, t.clone())?;
        if !wanted.contains(&v) {
            wanted.push(v);
        }
    }
    let stale: Vec<Value> = existing.iter().filter(|v| !wanted.contains(v)).cloned().collect();
    if !stale.is_empty() {
        let mut c = Compiler::new(vendor);
        let mut delete = sea_query::Query::delete();
        delete
            .from_table(table.clone())
            .and_where(Expr::col(src.clone()).eq(c.bind(source.clone())))
            .and_where(
                Expr::col(tgt.clone()).is_in(stale.into_iter().map(|v| c.bind(v)).collect::<Vec<_>>()),
            );
        let sql = c.finish(&delete);
        connection::execute(alias, &sql.sql, &sql.params).await?;
    }
    let have: HashSet<String> = existing.iter().map(|v| format!("{v:?}")).collect();
    let missing: Vec<Value> = wanted
        .into_iter()
        .filter(|v| !have.contains(&format!("{v:?}")))
        .collect();
    if !missing.is_empty() {
        let mut c = Compiler::new(vendor);
        let mut insert = sea_query::Query::insert();
        insert.into_table(table).columns([src, tgt]);
        for t in missing {
            let row = vec![c.bind(source.clone()), c.bind(t)];
            insert
                .values(row)
                .map_err(|e| crate::error::DbError::ValueError(e.to_string()))?;
        }
        let sql = c.finish(&insert);
        connection::execute(alias, &sql.sql, &sql.params).await?;
    }
    Ok(())
}
