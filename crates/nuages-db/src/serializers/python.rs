//! Django's `django.core.serializers.python`: model rows to fixture objects
//! (`{"model": "shop.book", "pk": 1, "fields": {...}}`) and back.
//!
//! Like Django, the primary key is `pk` (never in `fields`), foreign keys are written
//! under the field name with the target's key, and many-to-many fields with an
//! auto-created table are lists of target keys (those with an explicit `through` model
//! are left to that model's own objects).

use std::collections::HashMap;

use sea_query::ExprTrait;
use serde_json::{Map, Value as Json};

use crate::backends::Row;
use crate::connection;
use crate::error::{DbError, Result};
use crate::models::meta::{Field, ModelMeta, RelationKind};
use crate::query::compiler::Compiler;
use crate::query::convert::convert;
use crate::query::names::m2m_through;
use crate::query::{DynQuerySet, Q};
use crate::value::Value;

use super::base::DeserializedObject;
use super::encode::{decode_value, encode_value};

/// How many rows `dumpdata` reads per query (Django's `iterator()` chunk size).
const CHUNK: usize = 2000;

/// Many-to-many fields serialised with the model: those with an auto-created table.
pub fn serialized_m2m_fields(meta: &'static ModelMeta) -> impl Iterator<Item = &'static Field> {
    meta.local_fields().iter().filter(|f| {
        f.relation
            .is_some_and(|r| r.kind == RelationKind::ManyToMany && r.through.is_none())
    })
}

/// Fixture object for one row of `meta` (fetched as a model row, keyed by attname),
/// with the many-to-many lists already read.
pub fn serialize_row(meta: &'static ModelMeta, row: &Row, m2m: &[(&'static Field, Vec<Value>)]) -> Json {
    let pk = meta.pk();
    let mut fields = Map::new();
    for f in meta.local_concrete_fields().filter(|f| !f.primary_key) {
        let v = row.get_by_name(f.attname).cloned().unwrap_or(Value::Null);
        fields.insert(f.name.to_owned(), encode_value(f, &v));
    }
    for (f, targets) in m2m {
        let to = f.relation.map(|r| (r.to)().pk()).unwrap_or(pk);
        fields.insert(
            f.name.to_owned(),
            Json::Array(targets.iter().map(|v| encode_value(to, v)).collect()),
        );
    }
    let mut obj = Map::new();
    obj.insert(
        "model".to_owned(),
        Json::String(format!("{}.{}", meta.app_label, meta.model_name)),
    );
    obj.insert(
        "pk".to_owned(),
        encode_value(pk, &row.get_by_name(pk.attname).cloned().unwrap_or(Value::Null)),
    );
    obj.insert("fields".to_owned(), Json::Object(fields));
    Json::Object(obj)
}

/// Reads the many-to-many targets of `sources` (primary keys of `meta` rows) through
/// an auto-created table, in the table's order.
async fn m2m_targets(
    alias: &str,
    meta: &'static ModelMeta,
    field: &'static Field,
    sources: &[Value],
) -> Result<HashMap<String, Vec<Value>>> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    let Some(rel) = field.relation else { return Ok(out) };
    if sources.is_empty() {
        return Ok(out);
    }
    let th = m2m_through(meta, field, rel);
    let vendor = connection::vendor(alias)?;
    let mut c = Compiler::new(vendor);
    let mut stmt = sea_query::Query::select();
    stmt.columns([
        sea_query::Alias::new(th.source_col.as_str()),
        sea_query::Alias::new(th.target_col.as_str()),
    ])
    .from(sea_query::Alias::new(th.table.as_str()))
    .and_where(
        sea_query::Expr::col(sea_query::Alias::new(th.source_col.as_str()))
            .is_in(sources.iter().map(|v| c.bind(v.clone())).collect::<Vec<_>>()),
    )
    .order_by(sea_query::Alias::new("id"), sea_query::Order::Asc);
    let sql = c.finish(&stmt);
    let target_pk = (rel.to)().pk();
    for row in connection::fetch(alias, &sql.sql, &sql.params).await? {
        let mut vals = row.into_values().into_iter();
        let (Some(src), Some(tgt)) = (vals.next(), vals.next()) else {
            continue;
        };
        let src = convert(src, Some(meta.pk().field_type), Some(meta.pk()));
        let tgt = convert(tgt, Some(target_pk.field_type), Some(target_pk));
        out.entry(key_of(&src)).or_default().push(tgt);
    }
    Ok(out)
}

fn key_of(v: &Value) -> String {
    format!("{v:?}")
}

/// `dumpdata`'s queryset of `meta`: the default manager's rows
/// ([`ModelMeta::default_manager_queryset`]), or every row with `use_base_manager`
/// (`dumpdata --all`), optionally only the given primary keys.
pub fn dump_queryset(
    meta: &'static ModelMeta,
    use_base_manager: bool,
    pks: Option<&[String]>,
) -> DynQuerySet {
    let mut qs = if use_base_manager {
        DynQuerySet::new(meta)
    } else {
        meta.default_manager_queryset()
    };
    if let Some(pks) = pks {
        let list: Vec<Value> = pks.iter().map(|p| Value::Text(p.clone())).collect();
        qs = qs.filter(Q::lookup("pk__in", list));
    }
    qs
}

/// Serialises the rows of `queryset` (a [`dump_queryset`] of `meta`) on `alias` ordered
/// by primary key, calling `each` per object; `natural` asks for natural keys (see
/// [`super::natural`]).
pub async fn dump_model(
    alias: &str,
    meta: &'static ModelMeta,
    queryset: &DynQuerySet,
    natural: super::natural::NaturalOptions,
    mut each: impl FnMut(Json) -> Result<()> + Send,
) -> Result<u64> {
    let mut cache = HashMap::new();
    let pk = meta.pk();
    let m2m: Vec<&'static Field> = serialized_m2m_fields(meta).collect();
    let mut last: Option<Value> = None;
    let mut count = 0;
    loop {
        let mut qs = queryset.clone().using(alias).order_by([pk.name]);
        if let Some(l) = &last {
            qs = qs.filter(Q::lookup("pk__gt", l.clone()));
        }
        let rows = qs.slice(None, Some(CHUNK as i64)).fetch().await?;
        let n = rows.len();
        let keys: Vec<Value> = rows
            .iter()
            .map(|r| r.get_by_name(pk.attname).cloned().unwrap_or(Value::Null))
            .collect();
        let mut lists = Vec::new();
        for f in &m2m {
            lists.push((*f, m2m_targets(alias, meta, f, &keys).await?));
        }
        for (row, key) in rows.iter().zip(&keys) {
            let per: Vec<(&'static Field, Vec<Value>)> = lists
                .iter()
                .map(|(f, map)| (*f, map.get(&key_of(key)).cloned().unwrap_or_default()))
                .collect();
            let mut obj = serialize_row(meta, row, &per);
            super::natural::apply(alias, meta, &mut obj, natural, &mut cache).await?;
            each(obj)?;
            count += 1;
        }
        if n < CHUNK {
            return Ok(count);
        }
        last = keys.last().cloned();
    }
}

/// Django's `DeserializationError.WithData`: "error: (model:pk=pk) field_value was 'v'".
fn with_data(e: DbError, model: &str, pk: &Json, value: &Json) -> DbError {
    let show = |j: &Json| match j {
        Json::Null => "None".to_owned(),
        Json::String(s) => s.clone(),
        Json::Bool(true) => "True".to_owned(),
        Json::Bool(false) => "False".to_owned(),
        other => other.to_string(),
    };
    DbError::DeserializationError(format!(
        "{e}: ({model}:pk={}) field_value was '{}'",
        show(pk),
        show(value)
    ))
}

/// Django's `python.Deserializer` for one fixture object. `lookup` resolves
/// `app_label.model_name` (case-insensitive) to the installed model.
pub fn deserialize_object(
    obj: &Json,
    lookup: &dyn Fn(&str) -> Option<&'static ModelMeta>,
    ignore_nonexistent: bool,
) -> Result<DeserializedObject> {
    let Json::Object(map) = obj else {
        return Err(DbError::DeserializationError(format!(
            "a fixture object must be a JSON object, not {obj}"
        )));
    };
    let label = match map.get("model") {
        Some(Json::String(s)) => s.as_str(),
        Some(other) => {
            return Err(DbError::DeserializationError(format!(
                "Invalid model identifier: '{other}'"
            )))
        }
        None => {
            return Err(DbError::DeserializationError(
                "Invalid model identifier: 'None'".into(),
            ))
        }
    };
    let meta = lookup(label)
        .ok_or_else(|| DbError::DeserializationError(format!("Invalid model identifier: '{label}'")))?;
    let pk_json = map.get("pk").cloned().unwrap_or(Json::Null);
    let pk_field = meta.pk();
    let pk = decode_value(pk_field, &pk_json).map_err(|e| with_data(e, label, &pk_json, &pk_json))?;
    let mut values = Vec::new();
    let mut m2m = Vec::new();
    let empty = Map::new();
    let fields = match map.get("fields") {
        Some(Json::Object(f)) => f,
        None => &empty,
        Some(other) => {
            return Err(DbError::DeserializationError(format!(
                "the fields of a fixture object must be a JSON object, not {other}"
            )))
        }
    };
    for (name, value) in fields {
        let field = match meta.fields.iter().find(|f| f.name == name) {
            Some(f) => f,
            None if ignore_nonexistent => continue,
            None => {
                return Err(DbError::FieldDoesNotExist(format!(
                    "{} has no field named '{name}'",
                    meta.object_name
                )))
            }
        };
        match field.relation {
            Some(r) if r.kind == RelationKind::ManyToMany => {
                if r.through.is_some() {
                    continue;
                }
                let Json::Array(items) = value else {
                    return Err(with_data(
                        DbError::ValueError(format!("'{name}' must be a list of primary keys")),
                        label,
                        &pk_json,
                        value,
                    ));
                };
                let mut targets = Vec::with_capacity(items.len());
                for item in items {
                    targets.push(decode_value(field, item).map_err(|e| with_data(e, label, &pk_json, item))?);
                }
                m2m.push((field, targets));
            }
            _ => {
                let v = decode_value(field, value).map_err(|e| with_data(e, label, &pk_json, value))?;
                values.push((field, v));
            }
        }
    }
    Ok(DeserializedObject {
        meta,
        pk,
        values,
        m2m,
    })
}
