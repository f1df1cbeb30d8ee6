//! `JSONField` lookups and key transforms (Django's `django/db/models/fields/json.py`):
//! `data__owner`, `data__a__b`, `data__0`, lookups on the extracted value, `contains`,
//! `contained_by`, `has_key`, `has_keys`, `has_any_keys`, `isnull` on keys, and JSON
//! `null` as opposed to SQL `NULL`.
//!
//! Every piece is a [`Func`] with a template per backend (SQLite's JSON1 functions,
//! PostgreSQL's `jsonb` operators, MySQL/MariaDB's `JSON_*` functions), so nothing new is
//! needed in the compiler; keys and JSON paths are bound parameters, never SQL text.
//!
//! ```
//! use nuages_db::query::DynQuerySet;
//! use nuages_db::{Field, FieldType, ModelMeta, Vendor};
//! static FIELDS: [Field; 2] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field::new("data", FieldType::JSONField).null(),
//! ];
//! static DOG: ModelMeta = ModelMeta::new("shop", "Dog", "dog", "shop_dog", &FIELDS);
//! let qs = DynQuerySet::new(&DOG).filter_str("data__owner__name", "Bob");
//! let sql = qs.sql(Vendor::Postgres).unwrap().unwrap();
//! assert!(sql.sql.contains(r#"jsonb_extract_path("shop_dog"."data", $1::text, $2::text) = $3"#), "{}", sql.sql);
//! let sql = qs.sql(Vendor::MySql).unwrap().unwrap();
//! assert!(
//!     sql.sql.contains("JSON_UNQUOTE(JSON_EXTRACT(`shop_dog`.`data`, ?)) = JSON_UNQUOTE(JSON_EXTRACT(?, '$'))"),
//!     "{}",
//!     sql.sql
//! );
//! ```

use std::borrow::Cow;

use serde_json::Value as Json;

use crate::backends::Vendor;
use crate::error::{DbError, Result};
use crate::models::meta::FieldType;
use crate::value::Value;

use super::annotate::ResolvedFunc;
use super::expressions::Expression;
use super::func::{Func, OutputField};
use super::query::ResolvedRhs;
use super::where_::{SqlExpr, WhereNode};

/// The class names that mark a resolved key transform.
const KEY_TRANSFORM: &str = "KeyTransform";
const KEY_TEXT_TRANSFORM: &str = "KeyTextTransform";

/// SQLite's `jsonfield_datatype_values`: the JSON types `JSON_TYPE` names as values.
const SQLITE_DATATYPES: &str = "'null','false','true'";

/// Django's `compile_json_path`: `$."key"[0]` (integers are array indexes).
pub(crate) fn compile_json_path(keys: &[String], include_root: bool) -> String {
    let mut path = String::from(if include_root { "$" } else { "" });
    for k in keys {
        match k.parse::<i64>() {
            Ok(n) => path.push_str(&format!("[{n}]")),
            Err(_) => {
                path.push('.');
                path.push_str(&Json::String(k.clone()).to_string());
            }
        }
    }
    path
}

fn func(name: &'static str, out: FieldType) -> Func {
    Func::new(name, Vec::<Expression>::new()).output_field(OutputField::new(out))
}

fn resolved(def: Func, args: Vec<SqlExpr>) -> SqlExpr {
    let output = match def.output {
        super::func::Output::Field(o) => Some(o),
        _ => None,
    };
    SqlExpr::Func(Box::new(ResolvedFunc {
        def,
        args,
        output,
        aggregate: None,
    }))
}

fn condition(def: Func, args: Vec<SqlExpr>) -> WhereNode {
    WhereNode::Expr(resolved(def, args))
}

fn text(s: impl Into<String>) -> SqlExpr {
    SqlExpr::Param(Value::Text(s.into()))
}

/// The definition and the parameters after the root of a key transform (Django's
/// `KeyTransform`, or `KeyTextTransform` when `as_text`): the JSON path, then the keys
/// (PostgreSQL binds each key; the other backends the path).
fn key_transform_parts(keys: &[String], as_text: bool) -> (Func, Vec<Value>) {
    let mut params = vec![Value::Text(compile_json_path(keys, true))];
    let pg = if keys.len() == 1 {
        let op = if as_text { "->>" } else { "->" };
        match keys[0].parse::<i64>() {
            Ok(n) => {
                params.push(Value::Int(n));
                format!("(%(0)s {op} %(2)s::integer)")
            }
            Err(_) => {
                params.push(Value::Text(keys[0].clone()));
                format!("(%(0)s {op} %(2)s::text)")
            }
        }
    } else {
        // `#>` / `#>>` with one text parameter per key (the functions behind the
        // operators: sea-query's custom SQL cannot hold a bracketed `ARRAY[..]`).
        let function = if as_text {
            "jsonb_extract_path_text"
        } else {
            "jsonb_extract_path"
        };
        let holes: Vec<String> = (0..keys.len()).map(|i| format!("%({})s::text", i + 2)).collect();
        params.extend(keys.iter().map(|k| Value::Text(k.clone())));
        format!("{function}(%(0)s, {})", holes.join(", "))
    };
    let sqlite = format!(
        "(CASE WHEN JSON_TYPE(%(0)s, %(1)s) IN ({SQLITE_DATATYPES}) \
         THEN JSON_TYPE(%(0)s, %(1)s) ELSE JSON_EXTRACT(%(0)s, %(1)s) END)"
    );
    let (name, out, mysql) = if as_text {
        (
            KEY_TEXT_TRANSFORM,
            FieldType::TextField,
            "JSON_UNQUOTE(JSON_EXTRACT(%(0)s, %(1)s))",
        )
    } else {
        (KEY_TRANSFORM, FieldType::JSONField, "JSON_EXTRACT(%(0)s, %(1)s)")
    };
    let def = func(name, out)
        .template(sqlite)
        .template_for(Vendor::Postgres, pg)
        .template_for(Vendor::MySql, mysql);
    (def, params)
}

/// A resolved key transform of `root` by `keys`.
pub(crate) fn key_transform(root: SqlExpr, keys: &[String], as_text: bool) -> SqlExpr {
    let (def, params) = key_transform_parts(keys, as_text);
    let mut args = vec![root];
    args.extend(params.into_iter().map(SqlExpr::Param));
    resolved(def, args)
}

/// Django's `KT("data__owner__name")` (`KeyTextTransform.from_lookup`): the text of a
/// key of a JSONField, for `annotate()`, `filter()` and `order_by`. The first part names
/// the field, the rest are keys or indexes; its output is a `TextField`, so text lookups
/// follow (`annotate(owner=KT(..)).filter(owner__startswith="A")`).
///
/// ```
/// use nuages_db::query::json_key_text;
/// assert!(json_key_text("data__owner__name").is_ok());
/// assert_eq!(
///     json_key_text("data").unwrap_err().to_string(),
///     "Lookup must contain key or index transforms."
/// );
/// ```
pub fn json_key_text(lookup: &str) -> Result<Func> {
    let mut parts = lookup.split("__");
    let root = parts.next().unwrap_or_default().to_owned();
    let keys: Vec<String> = parts.map(str::to_owned).collect();
    if keys.is_empty() {
        return Err(DbError::ValueError(
            "Lookup must contain key or index transforms.".to_owned(),
        ));
    }
    let (mut def, params) = key_transform_parts(&keys, true);
    def.args = std::iter::once(Expression::F(root))
        .chain(params.into_iter().map(Expression::Value))
        .collect();
    Ok(def)
}

/// The root expression and keys of a key transform, if `e` is one.
pub(crate) fn split_key_transform(e: &SqlExpr) -> Option<(SqlExpr, Vec<String>, bool)> {
    let SqlExpr::Func(f) = e else { return None };
    let as_text = match f.def.name() {
        KEY_TRANSFORM => false,
        KEY_TEXT_TRANSFORM => true,
        _ => return None,
    };
    let root = f.args.first()?.clone();
    let keys = f.args[2..]
        .iter()
        .filter_map(|a| match a {
            SqlExpr::Param(Value::Text(s)) => Some(s.clone()),
            SqlExpr::Param(Value::Int(i)) => Some(i.to_string()),
            _ => None,
        })
        .collect();
    Some((root, keys, as_text))
}

/// Applies the key `name` to a JSON expression (nesting into an existing key transform).
pub(crate) fn apply_key(lhs: SqlExpr, name: &str) -> SqlExpr {
    match split_key_transform(&lhs) {
        Some((root, mut keys, as_text)) => {
            keys.push(name.to_owned());
            key_transform(root, &keys, as_text)
        }
        None => key_transform(lhs, &[name.to_owned()], false),
    }
}

/// `json.dumps(value)` as Django's `JSONField.get_prep_value` sees a Python value.
pub(crate) fn to_json(v: Value) -> Result<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(b),
        Value::Int(i) => Json::from(i),
        Value::Float(f) => serde_json::Number::from_f64(f).map(Json::Number).ok_or_else(|| {
            DbError::ValueError(format!("Out of range float values are not JSON compliant: {f}"))
        })?,
        Value::Text(s) => Json::String(s),
        Value::Json(j) => *j,
        other => {
            return Err(DbError::TypeError(format!(
                "Object of type {} is not JSON serializable",
                other.type_name()
            )))
        }
    })
}

fn rhs_json(rhs: ResolvedRhs) -> Result<Json> {
    match rhs {
        ResolvedRhs::Value(v) => to_json(v),
        ResolvedRhs::List(items) => Ok(Json::Array(
            items.into_iter().map(rhs_json).collect::<Result<Vec<_>>>()?,
        )),
        _ => Err(DbError::TypeError("a subquery is not a JSON value".to_owned())),
    }
}

fn not_supported(lookup: &str) -> Cow<'static, str> {
    Cow::Owned(format!(
        "{lookup} lookup is not supported on this database backend."
    ))
}

/// The outcome of a lookup on a JSON left-hand side.
pub(crate) enum JsonLookup {
    /// The finished condition.
    Node(WhereNode),
    /// Continue with the built-in lookup of that name on a text left-hand side
    /// (Django's `KeyTransformTextLookupMixin`: `KeyTextTransform` then the lookup).
    Text(SqlExpr, ResolvedRhs),
    /// Not a JSON lookup: the built-in lookup applies to the same left-hand side.
    Builtin(SqlExpr, ResolvedRhs),
}

/// The lookups JSONField registers beyond the built-in ones (any other name after a
/// JSON expression is a key).
pub(crate) fn is_json_lookup(name: &str) -> bool {
    matches!(name, "contained_by" | "has_key" | "has_keys" | "has_any_keys")
}

/// Django's JSONField and KeyTransform lookups for `lhs__<name>=rhs`.
pub(crate) fn lookup(lhs: SqlExpr, name: &str, rhs: ResolvedRhs) -> Result<JsonLookup> {
    let key = split_key_transform(&lhs);
    let builtin = |lhs: SqlExpr, rhs: ResolvedRhs| Ok(JsonLookup::Builtin(lhs, rhs));
    let is_key = key.is_some();
    Ok(match name {
        "exact" => match rhs {
            ResolvedRhs::Value(v) => JsonLookup::Node(exact(lhs, is_key, to_json(v)?)),
            ResolvedRhs::List(_) => JsonLookup::Node(exact(lhs, is_key, rhs_json(rhs)?)),
            other => return builtin(lhs, other),
        },
        "contains" | "contained_by" => {
            let value = SqlExpr::Param(Value::json(rhs_json(rhs)?));
            let (pg, mysql) = if name == "contains" {
                ("%(0)s @> %(1)s", "JSON_CONTAINS(%(0)s, %(1)s)")
            } else {
                ("%(0)s <@ %(1)s", "JSON_CONTAINS(%(1)s, %(0)s)")
            };
            let def = func("DataContains", FieldType::BooleanField)
                .template("%(0)s")
                .template_for(Vendor::Postgres, pg)
                .template_for(Vendor::MySql, mysql)
                .not_supported_on(Vendor::Sqlite, not_supported(name));
            JsonLookup::Node(condition(def, vec![lhs, value]))
        }
        "has_key" | "has_keys" | "has_any_keys" => {
            let keys: Vec<String> = match (name, rhs) {
                ("has_key", ResolvedRhs::Value(v)) => vec![super::lookups::py_str(&v)],
                ("has_key", _) => return Err(DbError::TypeError("has_key takes a single key".to_owned())),
                (_, ResolvedRhs::List(items)) => items
                    .into_iter()
                    .map(|i| match i {
                        ResolvedRhs::Value(v) => Ok(super::lookups::py_str(&v)),
                        _ => Err(DbError::TypeError(format!("{name} takes a list of keys"))),
                    })
                    .collect::<Result<_>>()?,
                (_, ResolvedRhs::Value(Value::Json(j))) if j.is_array() => j
                    .as_array()
                    .into_iter()
                    .flatten()
                    .cloned()
                    .map(|j| match j {
                        Json::String(s) => s,
                        other => other.to_string(),
                    })
                    .collect(),
                (_, ResolvedRhs::Value(v)) => {
                    return Err(DbError::TypeError(format!(
                        "'{}' object is not iterable",
                        v.type_name()
                    )))
                }
                _ => return Err(DbError::TypeError(format!("{name} takes a list of keys"))),
            };
            JsonLookup::Node(has_keys(lhs, key, name, &keys, false))
        }
        "isnull" if is_key => {
            let Some((root, keys, _)) = key else {
                return builtin(lhs, rhs);
            };
            let ResolvedRhs::Value(Value::Bool(b)) = rhs else {
                return Err(DbError::ValueError(
                    "The QuerySet value for an isnull lookup must be True or False.".to_owned(),
                ));
            };
            let path = text(compile_json_path(&keys, true));
            let (sqlite, other) = if b {
                ("JSON_TYPE(%(1)s, %(2)s) IS NULL", "%(0)s IS NULL")
            } else {
                ("JSON_TYPE(%(1)s, %(2)s) IS NOT NULL", "%(0)s IS NOT NULL")
            };
            let def = func("KeyTransformIsNull", FieldType::BooleanField)
                .template(sqlite)
                .template_for(Vendor::Postgres, other)
                .template_for(Vendor::MySql, other);
            JsonLookup::Node(condition(def, vec![lhs, root, path]))
        }
        "in" if is_key => {
            let ResolvedRhs::List(items) = rhs else {
                return builtin(lhs, rhs);
            };
            let mut values = Vec::with_capacity(items.len());
            for i in items {
                values.push(to_json(match i {
                    ResolvedRhs::Value(v) => v,
                    _ => {
                        return Err(DbError::TypeError(
                            "unsupported value inside an 'in' list".to_owned(),
                        ))
                    }
                })?);
            }
            if values.is_empty() {
                return Ok(JsonLookup::Node(WhereNode::Nothing));
            }
            let mut node = WhereNode::Node {
                connector: super::q::Connector::Or,
                negated: false,
                children: Vec::new(),
            };
            for v in values {
                node.add(exact(lhs.clone(), true, v), super::q::Connector::Or);
            }
            JsonLookup::Node(node)
        }
        "lt" | "lte" | "gt" | "gte" if is_key => {
            let ResolvedRhs::Value(v) = rhs else {
                return builtin(lhs, rhs);
            };
            let j = to_json(v)?;
            let op = match name {
                "lt" => "<",
                "lte" => "<=",
                "gt" => ">",
                _ => ">=",
            };
            // Django's KeyTransformNumericLookupMixin: the decoded value where the
            // backend has no native JSON type (SQLite, MariaDB), JSON on PostgreSQL.
            let raw = match &j {
                Json::Number(n) => match n.as_i64() {
                    Some(i) => Value::Int(i),
                    None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
                Json::String(s) => Value::Text(s.clone()),
                Json::Bool(b) => Value::Bool(*b),
                other => Value::Text(other.to_string()),
            };
            let def = func("KeyTransformNumeric", FieldType::BooleanField)
                .template(format!("%(0)s {op} %(2)s"))
                .template_for(Vendor::Postgres, format!("%(0)s {op} %(1)s"));
            JsonLookup::Node(condition(
                def,
                vec![lhs, SqlExpr::Param(Value::json(j)), SqlExpr::Param(raw)],
            ))
        }
        "iexact" | "icontains" | "startswith" | "istartswith" | "endswith" | "iendswith" | "regex"
        | "iregex"
            if is_key =>
        {
            let Some((root, keys, _)) = key else {
                return builtin(lhs, rhs);
            };
            if name == "iexact" && matches!(rhs, ResolvedRhs::Value(Value::Null)) {
                // KeyTransformIExact: `__iexact=None` is `__exact=None` on the key.
                return Ok(JsonLookup::Node(exact(lhs, true, Json::Null)));
            }
            let text = key_transform(root, &keys, true);
            if name.starts_with('i') {
                // MySQL keeps JSON strings in utf8mb4_bin; Django lowers both sides
                // (CaseInsensitiveMixin). Casting to the connection's character set gives
                // its case-insensitive collation, and the value stays a plain parameter.
                JsonLookup::Text(mysql_case_insensitive(text), rhs)
            } else {
                JsonLookup::Text(text, rhs)
            }
        }
        _ => return builtin(lhs, rhs),
    })
}

/// Wraps a KeyTextTransform's MySQL SQL in `CAST(.. AS CHAR)` (see the i-lookups).
fn mysql_case_insensitive(text: SqlExpr) -> SqlExpr {
    let SqlExpr::Func(mut f) = text else { return text };
    f.def = f.def.template_for(
        Vendor::MySql,
        "CAST(JSON_UNQUOTE(JSON_EXTRACT(%(0)s, %(1)s)) AS CHAR)",
    );
    SqlExpr::Func(f)
}

/// JSONExact / KeyTransformExact: `None` is JSON `null`, values compare as JSON.
fn exact(lhs: SqlExpr, is_key: bool, value: Json) -> WhereNode {
    let sqlite_raw = matches!(value, Json::Null | Json::Bool(_));
    let is_string = matches!(value, Json::String(_));
    let param = SqlExpr::Param(Value::json(value));
    let sqlite = if !is_key {
        // Compare the documents, not their spelling (Django wrote `{"a": 1}`).
        "JSON(%(0)s) = JSON(%(1)s)"
    } else if sqlite_raw {
        "%(0)s = %(1)s"
    } else {
        "%(0)s = JSON_EXTRACT(%(1)s, '$')"
    };
    // MariaDB compares a JSON string with its unquoted text, so strings compare
    // unquoted on both sides; whole documents compare by containment both ways.
    let mysql = if !is_key {
        "(JSON_CONTAINS(%(0)s, %(1)s) AND JSON_CONTAINS(%(1)s, %(0)s))"
    } else if is_string {
        "JSON_UNQUOTE(%(0)s) = JSON_UNQUOTE(JSON_EXTRACT(%(1)s, '$'))"
    } else {
        "%(0)s = JSON_EXTRACT(%(1)s, '$')"
    };
    let def = func("JSONExact", FieldType::BooleanField)
        .template(sqlite)
        .template_for(Vendor::Postgres, "%(0)s = %(1)s")
        .template_for(Vendor::MySql, mysql);
    condition(def, vec![lhs, param])
}

/// HasKey / HasKeys / HasAnyKeys. `lhs` is the column or a key transform; the path of
/// each key is the lhs's path plus the key (never read as an index, as Django's
/// `compile_json_path_final_key`, unless `index_keys`).
fn has_keys(
    lhs: SqlExpr,
    key: Option<(SqlExpr, Vec<String>, bool)>,
    name: &str,
    keys: &[String],
    index_keys: bool,
) -> WhereNode {
    let (root, prefix) = match key {
        Some((root, prefix, _)) => (root, prefix),
        None => (lhs.clone(), Vec::new()),
    };
    let joiner = if name == "has_any_keys" { " OR " } else { " AND " };
    // args: 0 = lhs, 1 = root, then one path per key, then one key per key.
    let mut args = vec![lhs, root];
    let n = keys.len();
    for k in keys {
        let mut path = compile_json_path(&prefix, true);
        if index_keys {
            path.push_str(&compile_json_path(std::slice::from_ref(k), false));
        } else {
            path.push('.');
            path.push_str(&Json::String(k.clone()).to_string());
        }
        args.push(text(path));
    }
    args.extend(keys.iter().map(|k| text(k.clone())));
    let per_key = |t: &str| -> String {
        let parts: Vec<String> = (0..n)
            .map(|i| t.replace("{p}", &format!("%({})s", i + 2)))
            .collect();
        if n > 1 {
            format!("({})", parts.join(joiner))
        } else {
            parts.join(joiner)
        }
    };
    let sqlite = per_key("JSON_TYPE(%(1)s, {p}) IS NOT NULL");
    let mysql = per_key("JSON_CONTAINS_PATH(%(1)s, 'one', {p})");
    // `jsonb_exists` is the function behind `?` (a `?` would read as a placeholder).
    let pg_parts: Vec<String> = (0..n)
        .map(|i| format!("jsonb_exists(%(0)s, %({})s::text)", i + 2 + n))
        .collect();
    let pg = if n > 1 {
        format!("({})", pg_parts.join(joiner))
    } else {
        pg_parts.join(joiner)
    };
    let def = func("HasKeyLookup", FieldType::BooleanField)
        .template(sqlite)
        .template_for(Vendor::Postgres, pg)
        .template_for(Vendor::MySql, mysql);
    condition(def, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_are_djangos() {
        let k = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            compile_json_path(&k(&["a", "0", "b c"]), true),
            r#"$."a"[0]."b c""#
        );
        assert_eq!(compile_json_path(&k(&["quo\"te"]), true), r#"$."quo\"te""#);
        assert_eq!(compile_json_path(&k(&[]), true), "$");
    }
}
