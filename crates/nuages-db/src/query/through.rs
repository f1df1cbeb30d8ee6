//! The rows of a many-to-many through table (auto-created or an explicit `through`
//! model), as the many-to-many managers read and write them: Django's
//! `ManyRelatedManager._get_missing_target_ids`, `_add_items` and `_remove_items`.

use sea_query::{Alias, Expr as SExpr, ExprTrait, Query as SQuery};

use crate::connection;
use crate::error::{DbError, Result};
use crate::models::meta::{Field, FieldType, ModelMeta, Relation};
use crate::value::Value;

use super::compiler::Compiler;
use super::convert::convert;
use super::insert::prep_save;
use super::names;
use super::where_::column_type;

/// One side of a many-to-many relation seen from an instance: the through table, the
/// column holding the instance's key and the one holding the related objects' keys.
#[derive(Debug, Clone)]
pub struct ThroughSide {
    table: String,
    meta: Option<&'static ModelMeta>,
    source_col: String,
    target_col: String,
    /// The key field of the related model (for decoding keys read back).
    target_key: &'static Field,
}

impl ThroughSide {
    /// The through table of `field` (declared on `declared_on`); `reverse` when the
    /// instance is on the target side.
    pub fn new(declared_on: &'static ModelMeta, field: &'static Field, reverse: bool) -> Result<ThroughSide> {
        let rel: Relation = field
            .relation
            .ok_or_else(|| DbError::FieldError(format!("'{}' is not a many-to-many field", field.name)))?;
        let th = names::m2m_through(declared_on, field, rel);
        let target = (rel.to)();
        let (source_col, target_col, target_key) = if reverse {
            (th.target_col, th.source_col, declared_on.pk())
        } else {
            (th.source_col, th.target_col, target.pk())
        };
        Ok(ThroughSide {
            table: th.table,
            meta: th.meta,
            source_col,
            target_col,
            target_key,
        })
    }

    fn key(v: &Value) -> String {
        format!("{v:?}")
    }

    /// The related keys linked to `source` (restricted to `among` when given).
    pub async fn linked(&self, db: &str, source: &Value, among: Option<&[Value]>) -> Result<Vec<Value>> {
        let vendor = connection::vendor(db)?;
        let mut c = Compiler::new(vendor);
        let mut stmt = SQuery::select();
        stmt.column(Alias::new(self.target_col.clone()))
            .from(Alias::new(self.table.clone()))
            .and_where(SExpr::col(Alias::new(self.source_col.clone())).eq(c.bind(source.clone())));
        if let Some(ids) = among {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let binds: Vec<SExpr> = ids.iter().map(|v| c.bind(v.clone())).collect();
            stmt.and_where(SExpr::col(Alias::new(self.target_col.clone())).is_in(binds));
        }
        let sql = c.finish(&stmt);
        let rows = connection::fetch(db, &sql.sql, &sql.params).await?;
        let ty = column_type(self.target_key);
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_values().into_iter().next())
            .map(|v| convert(v, Some(ty), Some(self.target_key)))
            .collect())
    }

    /// The keys of `ids` not yet linked to `source` (each once, in order).
    pub async fn missing(&self, db: &str, source: &Value, ids: &[Value]) -> Result<Vec<Value>> {
        let linked: Vec<String> = self
            .linked(db, source, Some(ids))
            .await?
            .iter()
            .map(Self::key)
            .collect();
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for v in ids {
            let k = Self::key(v);
            if !linked.contains(&k) && !seen.contains(&k) {
                seen.push(k);
                out.push(v.clone());
            }
        }
        Ok(out)
    }

    /// Inserts one row per key; `through_defaults` fill the through model's other
    /// fields (which otherwise take their defaults).
    pub async fn insert(
        &self,
        db: &str,
        source: &Value,
        ids: &[Value],
        through_defaults: &[(&str, Value)],
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut extra: Vec<(&'static str, Value)> = Vec::new();
        match self.meta {
            Some(meta) => {
                for (name, _) in through_defaults {
                    if meta.field(name).filter(|f| f.is_concrete()).is_none() {
                        return Err(DbError::TypeError(format!(
                            "{}() got unexpected keyword arguments: '{name}'",
                            meta.object_name
                        )));
                    }
                }
                for f in meta.concrete_fields() {
                    if (f.primary_key && f.field_type.is_auto())
                        || f.column == self.source_col
                        || f.column == self.target_col
                    {
                        continue;
                    }
                    let given = through_defaults
                        .iter()
                        .find(|(n, _)| *n == f.name || *n == f.attname)
                        .map(|(_, v)| v.clone());
                    let v = match given {
                        Some(v) => v,
                        None => default_value(f),
                    };
                    extra.push((f.column, prep_save(f, v)?));
                }
            }
            None if !through_defaults.is_empty() => {
                return Err(DbError::TypeError(format!(
                    "{}() got unexpected keyword arguments: '{}'",
                    self.table, through_defaults[0].0
                )));
            }
            None => {}
        }
        let vendor = connection::vendor(db)?;
        let mut c = Compiler::new(vendor);
        let mut stmt = SQuery::insert();
        stmt.into_table(Alias::new(self.table.clone()));
        let mut cols = vec![
            Alias::new(self.source_col.clone()),
            Alias::new(self.target_col.clone()),
        ];
        cols.extend(extra.iter().map(|(c, _)| Alias::new(*c)));
        stmt.columns(cols);
        for id in ids {
            let mut row = vec![c.bind(source.clone()), c.bind(id.clone())];
            row.extend(extra.iter().map(|(_, v)| c.bind(v.clone())));
            stmt.values(row)
                .map_err(|e| DbError::DatabaseError(e.to_string()))?;
        }
        let sql = c.finish(&stmt);
        connection::execute(db, &sql.sql, &sql.params).await?;
        Ok(())
    }

    /// Deletes the rows linking `source` to `ids` (every row of `source` when `None`).
    pub async fn delete(&self, db: &str, source: &Value, ids: Option<&[Value]>) -> Result<u64> {
        self.delete_rows(db, source, ids, false).await
    }

    /// The same table seen from the other column: the mirror rows of a symmetrical
    /// relation (`to_x_id = instance`, `from_x_id = target`).
    pub fn mirrored(&self) -> ThroughSide {
        ThroughSide {
            source_col: self.target_col.clone(),
            target_col: self.source_col.clone(),
            ..self.clone()
        }
    }

    /// Deletes the links of `source` (to `ids`, or all) in both directions, in one
    /// statement: Django's `_build_remove_filters` for a symmetrical relation.
    pub async fn delete_symmetrical(&self, db: &str, source: &Value, ids: Option<&[Value]>) -> Result<u64> {
        self.delete_rows(db, source, ids, true).await
    }

    async fn delete_rows(&self, db: &str, source: &Value, ids: Option<&[Value]>, both: bool) -> Result<u64> {
        if ids.is_some_and(<[Value]>::is_empty) {
            return Ok(0);
        }
        let vendor = connection::vendor(db)?;
        let mut c = Compiler::new(vendor);
        let one_way = |c: &mut Compiler, src: &str, tgt: &str| {
            let mut cond = SExpr::col(Alias::new(src.to_owned())).eq(c.bind(source.clone()));
            if let Some(ids) = ids {
                let binds: Vec<SExpr> = ids.iter().map(|v| c.bind(v.clone())).collect();
                cond = cond.and(SExpr::col(Alias::new(tgt.to_owned())).is_in(binds));
            }
            cond
        };
        let mut cond = one_way(&mut c, &self.source_col, &self.target_col);
        if both {
            cond = cond.or(one_way(&mut c, &self.target_col, &self.source_col));
        }
        let mut stmt = SQuery::delete();
        stmt.from_table(Alias::new(self.table.clone())).and_where(cond);
        let sql = c.finish(&stmt);
        Ok(connection::execute(db, &sql.sql, &sql.params)
            .await?
            .rows_affected)
    }
}

fn default_value(f: &'static Field) -> Value {
    if let Some(d) = f.default {
        return d();
    }
    if f.auto_now || f.auto_now_add {
        let now = chrono::Utc::now();
        return match f.field_type {
            FieldType::DateField => Value::Date(now.date_naive()),
            FieldType::TimeField => Value::Time(now.time()),
            _ => Value::DateTime(now),
        };
    }
    let empty_strings = matches!(
        f.field_type,
        FieldType::CharField
            | FieldType::TextField
            | FieldType::EmailField
            | FieldType::SlugField
            | FieldType::URLField
    );
    if empty_strings && !f.null {
        Value::Text(String::new())
    } else {
        Value::Null
    }
}
