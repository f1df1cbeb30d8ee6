//! The ORM runner: creates the bookstore schema, loads the fixture with its exact ids,
//! and runs every spec through the dynamic QuerySet API (`DynQuerySet`, string lookups),
//! each inside a transaction that is rolled back, writing one result line per spec.

mod attrs;
mod exprs;
mod through;
mod values;

use std::io::Write;
use std::path::Path;

use nuages_core::DatabaseSettings;
use nuages_db::query::{DynQuerySet, Expression, OrderBy, RowsKind, Q};
use nuages_db::{connection, schema, transaction, DbError, Model, ModelMeta, Row, Value, Vendor};
use serde_json::{json, Map, Value as Json};

use values::{expression, normalise, rhs, row_list, row_object, spec_err, Failure, Res};

const ALIAS: &str = "default";

/// The bookstore models in fixture order, and the fixture keys naming them.
fn models() -> Vec<(&'static str, &'static ModelMeta)> {
    use bookstore::models::*;
    vec![
        ("Publisher", Publisher::meta()),
        ("Author", Author::meta()),
        ("AuthorProfile", AuthorProfile::meta()),
        ("Genre", Genre::meta()),
        ("Book", Book::meta()),
        ("BookGenre", BookGenre::meta()),
        ("Review", Review::meta()),
        ("Store", Store::meta()),
    ]
}

fn meta_for(name: &str) -> Option<&'static ModelMeta> {
    if name == "Store_books" {
        return Some(&through::STORE_BOOKS);
    }
    models().into_iter().find(|(n, _)| *n == name).map(|(_, m)| m)
}

/// `nuages-conformance orm --database URL --fixture F --specs S --out O [--sql]`.
pub fn run(database: &str, fixture: &Path, specs: &Path, out: &Path, sql: bool) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(run_async(database, fixture, specs, out, sql))
}

async fn run_async(
    database: &str,
    fixture: &Path,
    specs: &Path,
    out: &Path,
    sql: bool,
) -> Result<(), String> {
    let settings = DatabaseSettings {
        url: database.to_owned(),
        ..Default::default()
    };
    connection::register(ALIAS, &settings).map_err(|e| e.to_string())?;
    let vendor = connection::vendor(ALIAS).map_err(|e| e.to_string())?;
    setup_schema(vendor)
        .await
        .map_err(|e| format!("creating the schema: {e}"))?;
    let fixture_text = std::fs::read_to_string(fixture).map_err(|e| format!("{}: {e}", fixture.display()))?;
    let fixture: Json = serde_json::from_str(&fixture_text).map_err(|e| format!("fixture: {e}"))?;
    load_fixture(vendor, &fixture)
        .await
        .map_err(|e| format!("loading the fixture: {e}"))?;

    let spec_text = std::fs::read_to_string(specs).map_err(|e| format!("{}: {e}", specs.display()))?;
    let mut file = std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for line in spec_text.lines().filter(|l| !l.trim().is_empty()) {
        let result = match serde_json::from_str::<Json>(line) {
            Ok(spec) => run_spec(&spec, vendor, sql).await,
            Err(e) => json!({"id": null, "spec_error": format!("unparsable spec: {e}")}),
        };
        writeln!(file, "{result}").map_err(|e| e.to_string())?;
    }
    connection::unregister(ALIAS);
    Ok(())
}

fn quote(vendor: Vendor, name: &str) -> String {
    match vendor {
        Vendor::MySql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

fn tables() -> Vec<String> {
    let mut t: Vec<String> = models().iter().map(|(_, m)| m.db_table.to_owned()).collect();
    t.push("bookstore_store_books".into());
    t.extend(app_only_models().iter().map(|m| m.db_table.to_owned()));
    t
}

/// The bookstore app's models outside the spec's nine (the lending example's `Stock` and
/// `Loan`): they hold no fixture rows, but their tables must exist because deleting a
/// book cascades to them, as it would in the app (Django's collector finds no rows there,
/// so the results are the spec's).
fn app_only_models() -> Vec<&'static ModelMeta> {
    let spec = models();
    bookstore::all_models()
        .into_iter()
        .filter(|m| !spec.iter().any(|(_, s)| std::ptr::eq(*s, *m)))
        .collect()
}

async fn setup_schema(vendor: Vendor) -> nuages_db::Result<()> {
    for table in tables().iter().rev() {
        let cascade = if vendor == Vendor::Postgres {
            " CASCADE"
        } else {
            ""
        };
        connection::execute(
            ALIAS,
            &format!("DROP TABLE IF EXISTS {}{cascade}", quote(vendor, table)),
            &[],
        )
        .await?;
    }
    let mut metas: Vec<&'static ModelMeta> = models().into_iter().map(|(_, m)| m).collect();
    metas.extend(app_only_models());
    schema::create_models(ALIAS, &metas).await
}

/// Converts a fixture cell to the value of its column.
fn fixture_value(meta: Option<&'static ModelMeta>, column: &str, v: &Json) -> nuages_db::Result<Value> {
    use nuages_db::FieldType::*;
    let field = meta.and_then(|m| m.fields.iter().find(|f| f.column == column));
    let Some(field) = field else {
        return Ok(match v {
            Json::Number(n) => Value::Int(n.as_i64().unwrap_or_default()),
            Json::Null => Value::Null,
            other => Value::Text(other.to_string()),
        });
    };
    if v.is_null() {
        return Ok(Value::Null);
    }
    let s = v.as_str().unwrap_or_default();
    let bad = || DbError::ValueError(format!("fixture value {v} for {column}"));
    Ok(match field.field_type {
        DateField => Value::Date(NaiveDateParse::parse(s).ok_or_else(bad)?),
        DateTimeField => Value::DateTime(nuages_db::value::parse_datetime(s).ok_or_else(bad)?),
        DecimalField => Value::Decimal(s.parse().map_err(|_| bad())?),
        FloatField => Value::Float(v.as_f64().ok_or_else(bad)?),
        BooleanField => Value::Bool(v.as_bool().ok_or_else(bad)?),
        CharField | TextField | EmailField | SlugField | URLField => Value::Text(s.to_owned()),
        _ => Value::Int(v.as_i64().ok_or_else(bad)?),
    })
}

struct NaiveDateParse;
impl NaiveDateParse {
    fn parse(s: &str) -> Option<chrono::NaiveDate> {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }
}

async fn load_fixture(vendor: Vendor, fixture: &Json) -> nuages_db::Result<()> {
    let Json::Object(map) = fixture else {
        return Err(DbError::ValueError("the fixture is not an object".into()));
    };
    for (key, rows) in map {
        let table = format!("bookstore_{}", key.to_lowercase());
        let meta = meta_for(key);
        let Some(rows) = rows.as_array() else { continue };
        let Some(Json::Object(first)) = rows.first() else {
            continue;
        };
        let columns: Vec<String> = first.keys().cloned().collect();
        for chunk in rows.chunks(50) {
            let mut params = Vec::new();
            let mut groups = Vec::new();
            for row in chunk {
                let mut marks = Vec::new();
                for c in &columns {
                    params.push(fixture_value(meta, c, row.get(c).unwrap_or(&Json::Null))?);
                    marks.push(match vendor {
                        Vendor::Postgres => format!("${}", params.len()),
                        _ => "?".to_owned(),
                    });
                }
                groups.push(format!("({})", marks.join(", ")));
            }
            let cols: Vec<String> = columns.iter().map(|c| quote(vendor, c)).collect();
            let sql = format!(
                "INSERT INTO {} ({}) VALUES {}",
                quote(vendor, &table),
                cols.join(", "),
                groups.join(", ")
            );
            connection::execute(ALIAS, &sql, &params).await?;
        }
        // Reset the sequence past the loaded ids.
        let t = quote(vendor, &table);
        match vendor {
            Vendor::Postgres => {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(\"id\") FROM {t}), 1))"
                );
                connection::fetch(ALIAS, &sql, &[]).await?;
            }
            Vendor::MySql => {
                let max =
                    connection::fetch(ALIAS, &format!("SELECT COALESCE(MAX(`id`), 0) + 1 FROM {t}"), &[])
                        .await?;
                if let Some(Value::Int(n)) = max.first().and_then(|r| r.get(0)).cloned() {
                    connection::execute(ALIAS, &format!("ALTER TABLE {t} AUTO_INCREMENT = {n}"), &[]).await?;
                }
            }
            // AUTOINCREMENT tables follow explicit ids through sqlite_sequence.
            Vendor::Sqlite => {}
        }
    }
    Ok(())
}

/// The queryset `model.objects` with `ops` applied.
fn build(model: &str, ops: &[Json]) -> Res<DynQuerySet> {
    let Some(meta) = meta_for(model) else {
        return spec_err(format!("unknown model {model}"));
    };
    let mut qs = DynQuerySet::new(meta).using(ALIAS);
    for op in ops {
        let Some(items) = op.as_array() else {
            return spec_err("an op is not a list");
        };
        let name = items.first().and_then(Json::as_str).unwrap_or_default();
        let arg = items.get(1);
        qs = match name {
            "filter" => qs.filter(kwargs_q(arg)?),
            "exclude" => qs.exclude(kwargs_q(arg)?),
            "filter_q" => qs.filter(q_json(arg.unwrap_or(&Json::Null))?),
            "exclude_q" => qs.exclude(q_json(arg.unwrap_or(&Json::Null))?),
            "order_by" => order_by(qs, arg)?,
            "distinct" => match arg.and_then(Json::as_array) {
                Some(f) if !f.is_empty() => qs.distinct_on(f.iter().filter_map(Json::as_str)),
                _ => qs.distinct(),
            },
            "slice" => {
                let start = items.get(1).and_then(Json::as_i64);
                let stop = items.get(2).and_then(Json::as_i64);
                qs.slice(start, stop)
            }
            "annotate" | "alias" => {
                let Some(Json::Object(m)) = arg else {
                    return spec_err("annotate needs an object");
                };
                let mut items = Vec::new();
                for (k, v) in m {
                    items.push((k.clone(), expr_json(v)?));
                }
                if name == "annotate" {
                    qs.annotate(items)
                } else {
                    qs.alias(items)
                }
            }
            "values" => {
                let mut names = str_list(arg);
                if let Some(m) = items.get(2).and_then(Json::as_object).filter(|m| !m.is_empty()) {
                    let mut exprs = Vec::new();
                    for (k, v) in m {
                        exprs.push((k.clone(), expr_json(v)?));
                        names.push(k.clone());
                    }
                    qs = qs.annotate(exprs);
                }
                qs.values(names)
            }
            "values_list" => {
                let opts = items.get(2).and_then(Json::as_object);
                let flag = |k: &str| {
                    opts.and_then(|o| o.get(k))
                        .and_then(Json::as_bool)
                        .unwrap_or(false)
                };
                qs.values_list(str_list(arg), flag("flat"), flag("named"))
            }
            "only" => qs.only(str_list(arg)),
            "defer" => qs.defer(str_list(arg)),
            "reverse" => qs.reverse(),
            "none" => qs.none(),
            "all" => qs.all(),
            "select_related" => qs.select_related(str_list(arg)),
            "prefetch_related" => qs.prefetch_related(str_list(arg)),
            "union" | "intersection" | "difference" => {
                let other = subquery(arg.unwrap_or(&Json::Null))?;
                let all = items
                    .get(2)
                    .and_then(|o| o.get("all"))
                    .and_then(Json::as_bool)
                    .unwrap_or(false);
                match name {
                    "union" => qs.union([other], all),
                    "intersection" => qs.intersection([other]),
                    _ => qs.difference([other]),
                }
            }
            other => return spec_err(format!("'{other}' arrives with a later issue")),
        };
    }
    Ok(qs)
}

fn str_list(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn subquery(v: &Json) -> Res<DynQuerySet> {
    let model = v.get("model").and_then(Json::as_str).unwrap_or_default();
    let ops = v.get("ops").and_then(Json::as_array).cloned().unwrap_or_default();
    build(model, &ops)
}

/// `Q(**kwargs)`: keyword lookups, sorted by name as Python does.
fn kwargs_q(v: Option<&Json>) -> Res<Q> {
    let Some(Json::Object(m)) = v else {
        return spec_err("lookups must be an object");
    };
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    let mut q = Q::new();
    for k in keys {
        let value = match &m[k] {
            // `{"$expr": expr}` embeds an expression of the spec language.
            Json::Object(o) if o.contains_key("$expr") => {
                nuages_db::query::Rhs::Expr(expr_json(&o["$expr"])?)
            }
            other => rhs(other, &subquery)?,
        };
        q = q & Q::lookup(k.clone(), value);
    }
    Ok(q)
}

/// An expression of the spec language (aggregates, functions, `Q`...).
fn expr_json(v: &Json) -> Res<Expression> {
    if let Some(inner) = v.get("$expr") {
        return expr_json(inner);
    }
    // `["Exists", {"$qs": ..}]` / `["Subquery", {"$qs": ..}]` need the runner's
    // queryset builder, so they are read here rather than in `exprs`.
    if let Json::Array(items) = v {
        let name = items.first().and_then(Json::as_str);
        if let Some(kind @ ("Exists" | "Subquery")) = name {
            let Some(qs) = items.get(1).and_then(|o| o.get("$qs")) else {
                return spec_err(format!("{kind} needs a {{\"$qs\": ..}} queryset"));
            };
            let qs = subquery(qs)?;
            return Ok(if kind == "Exists" {
                nuages_db::query::Exists::new(qs).into()
            } else {
                nuages_db::query::Subquery::new(qs).into()
            });
        }
    }
    exprs::expr(v, &q_json)
}

fn q_json(v: &Json) -> Res<Q> {
    let Json::Object(m) = v else {
        return spec_err("a Q must be an object");
    };
    if let Some(Json::Array(parts)) = m.get("and") {
        return parts.iter().try_fold(Q::new(), |acc, p| Ok(acc & q_json(p)?));
    }
    if let Some(Json::Array(parts)) = m.get("or") {
        let mut iter = parts.iter();
        let first = match iter.next() {
            Some(p) => q_json(p)?,
            None => Q::new(),
        };
        return iter.try_fold(first, |acc, p| Ok(acc | q_json(p)?));
    }
    if let Some(inner) = m.get("not") {
        return Ok(!q_json(inner)?);
    }
    kwargs_q(Some(v))
}

fn order_by(qs: DynQuerySet, v: Option<&Json>) -> Res<DynQuerySet> {
    let Some(Json::Array(terms)) = v else {
        return spec_err("order_by needs a list");
    };
    if terms.iter().all(Json::is_string) {
        return Ok(qs.order_by(terms.iter().filter_map(Json::as_str)));
    }
    let mut out = Vec::new();
    for t in terms {
        let o = match t {
            Json::String(s) => {
                if s == "?" {
                    return spec_err("random ordering mixed with expressions");
                }
                match s.strip_prefix('-') {
                    Some(p) => Expression::F(p.to_owned()).desc(),
                    None => Expression::F(s.clone()).asc(),
                }
            }
            Json::Object(m) => {
                let e = expression(t)?;
                let desc = m.get("desc").and_then(Json::as_bool).unwrap_or(false);
                let mut o: OrderBy = if desc { e.desc() } else { e.asc() };
                if m.get("nulls_first").and_then(Json::as_bool).unwrap_or(false) {
                    o = o.nulls_first();
                }
                if m.get("nulls_last").and_then(Json::as_bool).unwrap_or(false) {
                    o = o.nulls_last();
                }
                o
            }
            Json::Array(_) => expr_json(t)?.asc(),
            _ => return spec_err("unsupported ordering term"),
        };
        out.push(o);
    }
    Ok(qs.order_by_exprs(out))
}

/// Rows as the README's JSON: dicts, lists or scalars.
async fn rows_json(qs: &DynQuerySet, rows: Vec<Row>) -> Res<Vec<Json>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(match qs.rows_kind() {
            RowsKind::Models => {
                // Deferred fields load on access, one query per instance, as in Django.
                let meta = qs.model();
                let mut obj = row_object(&row);
                let missing: Vec<&str> = meta
                    .concrete_fields()
                    .filter(|f| !row.columns().iter().any(|c| c == f.attname))
                    .map(|f| f.attname)
                    .collect();
                if !missing.is_empty() {
                    let pk = row.get_by_name(meta.pk().attname).cloned().unwrap_or(Value::Null);
                    let full = DynQuerySet::new(meta)
                        .using(ALIAS)
                        .filter_str("pk", pk)
                        .values(Vec::<String>::new());
                    if let Some(r) = full.fetch().await?.into_iter().next() {
                        obj = row_object(&r);
                    }
                }
                obj
            }
            RowsKind::Values => row_object(&row),
            RowsKind::ValuesList { flat: true, .. } => {
                row.values().first().map(normalise).unwrap_or(Json::Null)
            }
            RowsKind::ValuesList { .. } => row_list(&row),
        });
    }
    Ok(out)
}

/// The README's `ordered` rule, approximated from the ordering the ops give.
fn is_ordered(meta: &'static ModelMeta, ops: &[Json], n: usize) -> bool {
    if n <= 1 {
        return true;
    }
    let mut terms: Vec<String> = meta.ordering.iter().map(|s| s.to_string()).collect();
    for op in ops {
        if op.get(0).and_then(Json::as_str) == Some("order_by") {
            terms = op
                .get(1)
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .map(|t| match t {
                            Json::String(s) => s.trim_start_matches('-').to_owned(),
                            other => other
                                .get("$F")
                                .and_then(Json::as_str)
                                .unwrap_or_default()
                                .to_owned(),
                        })
                        .collect()
                })
                .unwrap_or_default();
        }
    }
    terms.iter().any(|t| {
        let t = t.trim_start_matches('-');
        t == "pk" || t == "id" || meta.field(t).is_some_and(|f| f.unique && f.is_concrete())
    })
}

async fn remaining() -> Res<Json> {
    let vendor = connection::vendor(ALIAS)?;
    let mut m = Map::new();
    let mut names: Vec<(String, String)> = models()
        .iter()
        .map(|(n, meta)| (n.to_string(), meta.db_table.to_owned()))
        .collect();
    names.push(("Store_books".into(), "bookstore_store_books".into()));
    names.sort();
    for (name, table) in names {
        let rows = connection::fetch(
            ALIAS,
            &format!("SELECT COUNT(*) FROM {}", quote(vendor, &table)),
            &[],
        )
        .await?;
        let n = match rows.first().and_then(|r| r.get(0)) {
            Some(Value::Int(i)) => *i,
            Some(Value::Decimal(d)) => d.to_string().parse().unwrap_or(0),
            _ => 0,
        };
        m.insert(name, json!(n));
    }
    Ok(Json::Object(m))
}

/// Evaluates one spec (or a `then` follow-up): `(kind, value, ordered)`.
async fn evaluate(spec: &Json) -> Res<(String, Json, Option<bool>)> {
    let model = spec.get("model").and_then(Json::as_str).unwrap_or_default();
    let ops = spec
        .get("ops")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let result = spec.get("result").cloned().unwrap_or(Json::Null);
    let attrs: Vec<String> = str_list(spec.get("attrs"));
    let qs = match build(model, &ops) {
        Ok(x) => x,
        Err(Failure::Db(e, _)) => return Err(Failure::Db(e, "build")),
        Err(e) => return Err(e),
    };
    if let Err(e) = qs.check() {
        return Err(Failure::Db(e, "build"));
    }
    let (kind, args) = match &result {
        Json::String(s) => (s.clone(), Json::Null),
        Json::Array(a) => (
            a.first().and_then(Json::as_str).unwrap_or_default().to_owned(),
            a.get(1).cloned().unwrap_or(Json::Null),
        ),
        _ => return spec_err("bad result"),
    };
    let one = |r: Option<Row>| async {
        match r {
            Some(r) => Ok::<Json, Failure>(rows_json(&qs, vec![r]).await?.remove(0)),
            None => Ok(Json::Null),
        }
    };
    match kind.as_str() {
        "rows" if !attrs.is_empty() => {
            if qs.rows_kind() != RowsKind::Models {
                return spec_err("attrs need model rows");
            }
            let objects = qs.fetch_objects().await?;
            let n = objects.len();
            let mut value = Vec::with_capacity(n);
            for obj in &objects {
                let mut row = rows_json(&qs, vec![obj.row().clone()]).await?.remove(0);
                for a in &attrs {
                    let v = attrs::follow(obj, a).await?;
                    if let Json::Object(m) = &mut row {
                        m.insert(format!("@{a}"), v);
                    }
                }
                value.push(row);
            }
            Ok((kind, Json::Array(value), Some(is_ordered(qs.model(), &ops, n))))
        }
        "rows" => {
            let rows = qs.fetch().await?;
            let n = rows.len();
            let value = rows_json(&qs, rows).await?;
            Ok((kind, Json::Array(value), Some(is_ordered(qs.model(), &ops, n))))
        }
        "count" => Ok((kind, json!(qs.count().await?), None)),
        "aggregate" => {
            let Json::Object(m) = &args else {
                return spec_err("aggregate needs an object");
            };
            let mut items = Vec::new();
            for (k, v) in m {
                items.push((k.clone(), expr_json(v)?));
            }
            let row = qs.aggregate(&items).await?;
            Ok((kind, row_object(&row), None))
        }
        "exists" => Ok((kind, json!(qs.exists().await?), None)),
        "first" => Ok((kind, one(qs.first().await?).await?, Some(true))),
        "last" => Ok((kind, one(qs.last().await?).await?, Some(true))),
        "get" => {
            let q = kwargs_q(Some(&args))?;
            let row = qs.get(q).await?;
            Ok((kind, one(Some(row)).await?, None))
        }
        "update" => {
            let Json::Object(m) = &args else {
                return spec_err("update needs an object");
            };
            let mut values = Vec::new();
            for (k, v) in m {
                values.push((k.clone(), expr_json(v)?));
            }
            let n = qs.update(values).await?;
            let table = DynQuerySet::new(qs.model()).using(ALIAS).order_by(["pk"]);
            let rows = table.fetch().await?;
            let rows = rows_json(&table, rows).await?;
            Ok((kind, json!({"updated": n, "table": rows}), None))
        }
        "delete" => {
            let (n, per_model) = qs.delete().await?;
            let mut per = Map::new();
            for (label, c) in per_model {
                per.insert(label, json!(c));
            }
            Ok((
                kind,
                json!({"deleted": n, "per_model": per, "remaining": remaining().await?}),
                None,
            ))
        }
        // `["dates", field, kind, order?]` (Django's `qs.dates(field, kind, order="ASC")`),
        // or the same as an object `{"field", "kind", "order"}`; `datetimes` alike.
        "dates" | "datetimes" => {
            let Some((field, unit, order)) = dates_args(&result) else {
                return spec_err(format!("{kind} needs a field and a kind"));
            };
            let truncated = if kind == "dates" {
                qs.dates(&field, &unit, &order)
            } else {
                qs.datetimes(&field, &unit, &order)
            };
            if let Err(e) = truncated.check() {
                return Err(Failure::Db(e, "build"));
            }
            let rows = truncated.fetch().await?;
            let value = rows_json(&truncated, rows).await?;
            Ok((kind, Json::Array(value), Some(true)))
        }
        other => spec_err(format!("'{other}' results arrive with a later issue")),
    }
}

/// The `(field, kind, order)` of a `dates`/`datetimes` result, `order` defaulting to
/// Django's `"ASC"`.
fn dates_args(result: &Json) -> Option<(String, String, String)> {
    let text = |v: Option<&Json>| v.and_then(Json::as_str).map(str::to_owned);
    let (field, kind, order) = match result.as_array()?.get(1)? {
        Json::Object(m) => (text(m.get("field")), text(m.get("kind")), text(m.get("order"))),
        _ => {
            let a = result.as_array()?;
            (text(a.get(1)), text(a.get(2)), text(a.get(3)))
        }
    };
    Some((field?, kind?, order.unwrap_or_else(|| "ASC".to_owned())))
}

fn result_line(spec: &Json, outcome: Res<(String, Json, Option<bool>)>, queries: usize, db: &str) -> Json {
    let mut out = Map::new();
    if let Some(id) = spec.get("id") {
        out.insert("id".into(), id.clone());
    }
    out.insert("model".into(), spec.get("model").cloned().unwrap_or(Json::Null));
    let kind = match spec.get("result") {
        Some(Json::String(s)) => json!(s),
        Some(Json::Array(a)) => a.first().cloned().unwrap_or(Json::Null),
        _ => Json::Null,
    };
    out.insert("kind".into(), kind);
    match outcome {
        Ok((_, value, ordered)) => {
            out.insert("value".into(), value);
            if let Some(o) = ordered {
                out.insert("ordered".into(), json!(o));
            }
        }
        Err(Failure::Db(e, stage)) => {
            out.insert("error".into(), json!(e.class_name()));
            out.insert("message".into(), json!(e.to_string()));
            out.insert("stage".into(), json!(stage));
        }
        Err(Failure::Spec(msg)) => {
            out.insert("spec_error".into(), json!(msg));
        }
    }
    out.insert("queries".into(), json!(queries));
    out.insert("db".into(), json!(db));
    if spec.get("backend_dependent").and_then(Json::as_bool) == Some(true) {
        out.insert("backend_dependent".into(), json!(true));
    }
    Json::Object(out)
}

async fn run_spec(spec: &Json, vendor: Vendor, with_sql: bool) -> Json {
    let db = match vendor {
        Vendor::Sqlite => "sqlite",
        Vendor::Postgres => "postgresql",
        Vendor::MySql => "mysql",
    };
    let work = transaction::atomic_using(ALIAS, || async {
        let first = evaluate(spec).await;
        let failed = first.is_err();
        let mut thens = Vec::new();
        if let Some(Json::Array(follow)) = spec.get("then") {
            for f in follow {
                let mut f = f.clone();
                if f.get("model").is_none() {
                    if let (Json::Object(m), Some(model)) = (&mut f, spec.get("model")) {
                        m.insert("model".into(), model.clone());
                    }
                }
                let r = if failed {
                    spec_err("the spec failed")
                } else {
                    evaluate(&f).await
                };
                thens.push(result_line(&f, r, 0, db));
            }
        }
        transaction::set_rollback(ALIAS, true)?;
        Ok::<_, DbError>((first, thens))
    });
    let (outcome, captured) = nuages_db::capture::capture_queries(work).await;
    let queries = captured.len();
    let mut line = match outcome {
        Ok((first, thens)) => {
            let mut line = result_line(spec, first, queries, db);
            if !thens.is_empty() {
                line["then"] = Json::Array(thens);
            }
            line
        }
        Err(e) => result_line(spec, Err(Failure::Db(e, "eval")), queries, db),
    };
    if with_sql {
        line["sql"] = Json::Array(captured.iter().map(|c| json!(c.sql)).collect());
    }
    line
}
