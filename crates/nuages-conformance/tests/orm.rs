//! Runs `nuages-conformance orm` on Django's conformance pack and compares the results
//! with Django's, using the rules of `conformance/compare_results.py` (ported below).
//!
//! SQLite always; PostgreSQL when `NUAGES_TEST_POSTGRES_URL` is set (in a fresh
//! C-collation database); MySQL/MariaDB when `NUAGES_TEST_MYSQL_URL` is set, on the specs
//! where Django's SQLite and PostgreSQL answers agree and that are not backend dependent.
//! Any difference fails, except for the specs of [`LATER`] (features of later issues).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

/// Specs needing features that are not built yet (none at the moment).
const LATER: &[&str] = &[];

/// MySQL/MariaDB differences that are the database's documented behaviour (Django on
/// MySQL differs the same way), or known gaps of its driver setup.
const MYSQL_DIFFERENT: &[&str] = &[
    // utf8mb4 collations sort accented letters with their base letters.
    "ord-unicode-titles",
    // AVG of a DECIMAL keeps only 4 more decimal places on MariaDB
    // (div_precision_increment), so Django on MariaDB returns 40.404828 too.
    "ann-genre-books",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load(path: &Path) -> Vec<Json> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn by_id(records: Vec<Json>) -> HashMap<String, Json> {
    records
        .into_iter()
        .filter_map(|r| Some((r.get("id")?.as_str()?.to_owned(), r)))
        .collect()
}

fn num_eq(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-5 * a.abs().max(b.abs())
}

/// `compare_results.eq`.
fn eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Bool(x), Json::Bool(y)) => x == y,
        (Json::Bool(_), _) | (_, Json::Bool(_)) => false,
        (Json::Number(x), Json::Number(y)) => {
            num_eq(x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN))
        }
        (Json::String(x), Json::String(y)) => x == y,
        (Json::Null, Json::Null) => true,
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq(p, q)),
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| eq(v, w)))
        }
        _ => false,
    }
}

/// `compare_results.multiset_eq` (tolerant greedy matching).
fn multiset_eq(a: &[Json], b: &[Json]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut rest: Vec<&Json> = b.iter().collect();
    for x in a {
        match rest.iter().position(|y| eq(x, y)) {
            Some(i) => {
                rest.remove(i);
            }
            None => return false,
        }
    }
    true
}

/// Error classes whose messages are deterministic (README "Comparison" 1).
const MESSAGE_CLASSES: &[&str] = &[
    "FieldError",
    "ValueError",
    "TypeError",
    "DoesNotExist",
    "MultipleObjectsReturned",
];

/// `compare_results.compare_record` with messages compared where they are deterministic:
/// `None` when equal, `Some("skip")` when not comparable, else the reason.
fn compare(exp: &Json, act: &Json) -> Option<String> {
    if exp.get("spec_error").is_some() || exp.get("crash").is_some() {
        return Some("skip".into());
    }
    if act.get("spec_error").is_some() {
        return Some(format!("spec_error: {}", act["spec_error"]));
    }
    if exp.get("error").is_some() || act.get("error").is_some() {
        let (Some(e), Some(a)) = (exp.get("error"), act.get("error")) else {
            return Some(format!(
                "error mismatch: {:?} vs {:?} {:?}",
                exp.get("error"),
                act.get("error"),
                act.get("message")
            ));
        };
        if e != a {
            return Some(format!("error class {e} vs {a} ({:?})", act.get("message")));
        }
        let class = e.as_str().unwrap_or_default();
        if MESSAGE_CLASSES.contains(&class) && exp.get("message") != act.get("message") {
            return Some(format!(
                "message {:?} vs {:?}",
                exp.get("message"),
                act.get("message")
            ));
        }
        return None;
    }
    let kind = exp.get("kind").and_then(Json::as_str).unwrap_or_default();
    let (ev, av) = (
        exp.get("value").unwrap_or(&Json::Null),
        act.get("value").unwrap_or(&Json::Null),
    );
    if (kind == "first" || kind == "last") && exp.get("ordered") == Some(&Json::Bool(false)) {
        return Some("skip".into());
    }
    if let (true, Json::Array(e), Json::Array(a)) = (kind == "rows", ev, av) {
        let ordered = exp.get("ordered") == Some(&Json::Bool(true));
        let ok = if ordered { eq(ev, av) } else { multiset_eq(e, a) };
        if !ok {
            return Some(format!(
                "rows differ ({} vs {} rows, ordered={ordered})",
                e.len(),
                a.len()
            ));
        }
    } else if !eq(ev, av) {
        return Some("value differs".into());
    }
    let empty = Vec::new();
    let et = exp.get("then").and_then(Json::as_array).unwrap_or(&empty);
    let at = act.get("then").and_then(Json::as_array).unwrap_or(&empty);
    for (i, (te, ta)) in et.iter().zip(at).enumerate() {
        if let Some(r) = compare(te, ta) {
            if r != "skip" {
                return Some(format!("then[{i}]: {r}"));
            }
        }
    }
    None
}

fn run_pack(url: &str, out: &Path) {
    run_specs(url, &root().join("conformance/orm/specs.jsonl"), out);
}

fn run_specs(url: &str, specs: &Path, out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_nuages-conformance"))
        .args(["orm", "--database", url, "--fixture"])
        .arg(root().join("conformance/fixture.json"))
        .arg("--specs")
        .arg(specs)
        .arg("--out")
        .arg(out)
        .status()
        .expect("the runner starts");
    assert!(status.success(), "the runner failed on {url}");
}

/// Runs the project's own spec `lines` (for what the published pack does not cover) on a
/// fresh SQLite database and returns the results by id.
fn run_own_specs(name: &str, lines: &[&str]) -> HashMap<String, Json> {
    let dir = std::env::temp_dir().join(format!("nuages_conformance_{name}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let specs = dir.join("specs.jsonl");
    std::fs::write(&specs, lines.join("\n")).expect("specs written");
    let db = dir.join("db.sqlite3");
    let _ = std::fs::remove_file(&db);
    let out = dir.join("results.jsonl");
    run_specs(&format!("sqlite://{}", db.display()), &specs, &out);
    by_id(load(&out))
}

/// `conformance/fixture.json`, the oracle of the project's own specs.
fn fixture() -> Json {
    let text = std::fs::read_to_string(root().join("conformance/fixture.json")).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

/// Compares `actual` with `expected` over `ids`; returns the failures.
fn check(
    expected: &HashMap<String, Json>,
    actual: &HashMap<String, Json>,
    ids: &[String],
    skip: &[&str],
) -> Vec<String> {
    let mut failures = Vec::new();
    let mut passed = 0;
    for id in ids {
        if skip.contains(&id.as_str()) {
            continue;
        }
        let (Some(e), Some(a)) = (expected.get(id), actual.get(id)) else {
            failures.push(format!("{id}: missing"));
            continue;
        };
        match compare(e, a) {
            None => passed += 1,
            Some(r) if r == "skip" => {}
            Some(r) => failures.push(format!("{id}: {r}")),
        }
    }
    eprintln!("{passed} specs equal, {} different", failures.len());
    failures
}

fn spec_ids() -> (Vec<String>, HashMap<String, Json>) {
    let specs = load(&root().join("conformance/orm/specs.jsonl"));
    let ids = specs
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    (ids, by_id(specs))
}

async fn create_server_db(server_url: &str, name: &str, postgres: bool) -> String {
    use nuages_db::connection;
    let admin = format!("conformance_admin_{name}_{postgres}");
    let settings = nuages_core::DatabaseSettings {
        url: server_url.to_owned(),
        ..Default::default()
    };
    connection::register(&admin, &settings).expect("the server URL registers");
    connection::execute(&admin, &format!("DROP DATABASE IF EXISTS {name}"), &[])
        .await
        .expect("drop database");
    let create = if postgres {
        format!("CREATE DATABASE {name} TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
    } else {
        format!("CREATE DATABASE {name} CHARACTER SET utf8mb4")
    };
    connection::execute(&admin, &create, &[])
        .await
        .expect("create database");
    connection::unregister(&admin);
    let (base, _) = server_url
        .rsplit_once('/')
        .expect("a server URL with a database path");
    format!("{base}/{name}")
}

#[test]
fn sqlite_matches_django() {
    let dir = std::env::temp_dir().join(format!("nuages_conformance_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("orm.sqlite3");
    let _ = std::fs::remove_file(&db);
    let out = dir.join("results.sqlite.jsonl");
    run_pack(&format!("sqlite://{}", db.display()), &out);
    let expected = by_id(load(&root().join("conformance/orm/expected.sqlite.jsonl")));
    let actual = by_id(load(&out));
    let (ids, _) = spec_ids();
    let failures = check(&expected, &actual, &ids, LATER);
    assert!(
        failures.is_empty(),
        "SQLite differs from Django:\n{}",
        failures.join("\n")
    );
}

/// The `dates` result kind, which Django's published pack does not use: checked against
/// the fixture itself (every distinct publication year; the months of the rated books,
/// newest first) and Django's ValueError for a time unit.
#[test]
fn dates_results_follow_the_fixture() {
    let results = run_own_specs(
        "dates",
        &[
            r#"{"id": "year", "model": "Book", "ops": [], "result": ["dates", "publication_date", "year"]}"#,
            r#"{"id": "month-desc", "model": "Book", "ops": [["filter", {"rating__isnull": false}]], "result": ["dates", "publication_date", "month", "DESC"]}"#,
            r#"{"id": "hour", "model": "Book", "ops": [], "result": ["dates", "publication_date", "hour"]}"#,
        ],
    );
    let fixture = fixture();
    let books = fixture["Book"].as_array().expect("books");
    let truncated = |rated_only: bool, len: usize, suffix: &str| {
        let mut out: Vec<String> = books
            .iter()
            .filter(|b| !rated_only || !b["rating"].is_null())
            .filter_map(|b| b["publication_date"].as_str())
            .map(|d| format!("{}{suffix}", &d[..len]))
            .collect();
        out.sort();
        out.dedup();
        out
    };
    let years = truncated(false, 4, "-01-01");
    let mut months = truncated(true, 7, "-01");
    months.reverse();
    assert_eq!(results["year"]["value"], serde_json::json!(years));
    assert_eq!(results["year"]["ordered"], Json::Bool(true));
    assert_eq!(results["month-desc"]["value"], serde_json::json!(months));
    assert_eq!(results["hour"]["error"], "ValueError");
    assert_eq!(
        results["hour"]["message"],
        "'kind' must be one of 'year', 'month', 'week', or 'day'."
    );
}

/// `Store_books`, the auto-created through model of `Store.books`, queried like a model
/// (no published spec does): per-store counts against the fixture, a join through its
/// keys, and Django's FieldError listing its fields.
#[test]
fn store_books_is_queryable_like_a_model() {
    let results = run_own_specs(
        "through",
        &[
            r#"{"id": "per-store", "model": "Store_books", "ops": [["values", ["store"]], ["annotate", {"n": ["Count", "pk"]}], ["order_by", ["store"]], ["values_list", ["store", "n"]]], "result": "rows"}"#,
            r#"{"id": "joined", "model": "Store_books", "ops": [["filter", {"book__pk__lte": 10, "store__pk": 3}]], "result": "count"}"#,
            r#"{"id": "unknown", "model": "Store_books", "ops": [["filter", {"nope": 1}]], "result": "count"}"#,
        ],
    );
    let fixture = fixture();
    let rows = fixture["Store_books"].as_array().expect("Store_books rows");
    let mut per_store = std::collections::BTreeMap::<i64, i64>::new();
    for r in rows {
        *per_store
            .entry(r["store_id"].as_i64().expect("store_id"))
            .or_default() += 1;
    }
    let expected: Vec<Json> = per_store.iter().map(|(s, n)| serde_json::json!([s, n])).collect();
    assert_eq!(results["per-store"]["value"], Json::Array(expected));
    let joined = rows
        .iter()
        .filter(|r| r["store_id"] == 3 && r["book_id"].as_i64().is_some_and(|b| b <= 10))
        .count();
    assert_eq!(results["joined"]["value"], serde_json::json!(joined));
    assert_eq!(results["unknown"]["error"], "FieldError");
    assert_eq!(
        results["unknown"]["message"],
        "Cannot resolve keyword 'nope' into field. Choices are: book, book_id, id, store, store_id"
    );
}

/// The spec language's text and math functions beyond those of the published specs,
/// checked against the fixture's own values for the first ten books.
#[test]
fn functions_follow_the_fixture() {
    let annotate = r#"{"left": ["Left", "title", 3], "right": ["Right", "title", 2], "substr": ["Substr", "title", 2, 3], "replace": ["Replace", "title", ["Value", "e"], ["Value", "E"]], "strindex": ["StrIndex", "title", ["Value", "e"]], "lpad": ["LPad", "title", 30, ["Value", "*"]], "repeat": ["Repeat", "title", 2], "mod": ["Mod", "pages", 7], "power": ["Power", "pages", 2], "sign": ["Sign", ["F", "pages"]], "sqrt": ["Sqrt", "pages"]}"#;
    let line = format!(
        r#"{{"id": "fx", "model": "Book", "ops": [["filter", {{"pk__lte": 10}}], ["order_by", ["pk"]], ["annotate", {annotate}], ["values_list", ["left", "right", "substr", "replace", "strindex", "lpad", "repeat", "mod", "power", "sign", "sqrt"]]], "result": "rows"}}"#
    );
    // `{"$expr": ...}` as a lookup's value: books with fewer pages than their title's
    // length squared.
    let embedded = r#"{"id": "embedded", "model": "Book", "ops": [["filter", {"pages__lt": {"$expr": ["Power", ["Length", "title"], 2]}}]], "result": "count"}"#;
    let results = run_own_specs("functions", &[&line, embedded]);
    let fixture = fixture();
    let mut books: Vec<&Json> = fixture["Book"].as_array().expect("books").iter().collect();
    books.retain(|b| b["id"].as_i64().is_some_and(|id| id <= 10));
    books.sort_by_key(|b| b["id"].as_i64());
    let expected: Vec<Json> = books
        .iter()
        .map(|b| {
            let title: Vec<char> = b["title"].as_str().expect("title").chars().collect();
            let text = |cs: &[char]| cs.iter().collect::<String>();
            let pages = b["pages"].as_i64().expect("pages");
            let strindex = title.iter().position(|c| *c == 'e').map_or(0, |i| i + 1);
            let lpad = if title.len() >= 30 {
                text(&title[..30])
            } else {
                format!("{}{}", "*".repeat(30 - title.len()), text(&title))
            };
            serde_json::json!([
                text(&title[..3.min(title.len())]),
                text(&title[title.len().saturating_sub(2)..]),
                text(&title[1..4.min(title.len())]),
                text(&title).replace('e', "E"),
                strindex,
                lpad,
                text(&title).repeat(2),
                (pages % 7) as f64,
                (pages * pages) as f64,
                pages.signum(),
                (pages as f64).sqrt(),
            ])
        })
        .collect();
    let short = fixture["Book"]
        .as_array()
        .expect("books")
        .iter()
        .filter(|b| {
            let len = b["title"].as_str().expect("title").chars().count() as i64;
            b["pages"].as_i64().is_some_and(|p| p < len * len)
        })
        .count();
    assert!(short > 0);
    assert_eq!(results["embedded"]["value"], serde_json::json!(short));
    let actual = results["fx"]["value"].as_array().expect("rows").clone();
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(&expected) {
        assert!(eq(a, e), "{a} != {e}");
    }
}

#[test]
fn postgres_matches_django() {
    let Some(url) = std::env::var("NUAGES_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let name = format!("nuages_conformance_{}", std::process::id());
    let db_url = rt.block_on(create_server_db(&url, &name, true));
    let out = std::env::temp_dir().join(format!("{name}.pg.jsonl"));
    run_pack(&db_url, &out);
    let expected = by_id(load(&root().join("conformance/orm/expected.postgres.jsonl")));
    let actual = by_id(load(&out));
    let (ids, _) = spec_ids();
    let failures = check(&expected, &actual, &ids, LATER);
    assert!(
        failures.is_empty(),
        "PostgreSQL differs from Django:\n{}",
        failures.join("\n")
    );
}

#[test]
fn mysql_matches_where_backends_agree() {
    let Some(url) = std::env::var("NUAGES_TEST_MYSQL_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let name = format!("nuages_conformance_{}", std::process::id());
    let db_url = rt.block_on(create_server_db(&url, &name, false));
    let out = std::env::temp_dir().join(format!("{name}.mysql.jsonl"));
    run_pack(&db_url, &out);
    let sqlite = by_id(load(&root().join("conformance/orm/expected.sqlite.jsonl")));
    let pg = by_id(load(&root().join("conformance/orm/expected.postgres.jsonl")));
    let actual = by_id(load(&out));
    let (ids, specs) = spec_ids();
    let agreeing: Vec<String> = ids
        .into_iter()
        .filter(|id| specs[id].get("backend_dependent") != Some(&Json::Bool(true)))
        .filter(|id| match (sqlite.get(id), pg.get(id)) {
            (Some(a), Some(b)) => compare(a, b).is_none(),
            _ => false,
        })
        .collect();
    let skip: Vec<&str> = LATER.iter().chain(MYSQL_DIFFERENT).copied().collect();
    let failures = check(&sqlite, &actual, &agreeing, &skip);
    assert!(
        failures.is_empty(),
        "MySQL differs from Django:\n{}",
        failures.join("\n")
    );
}

#[test]
fn comparison_rules_follow_compare_results() {
    let a: Json = serde_json::json!([{"x": 1.000001, "y": true}]);
    let b: Json = serde_json::json!([{"y": true, "x": 1}]);
    assert!(eq(&a, &b));
    assert!(!eq(&serde_json::json!(true), &serde_json::json!(1)));
    assert!(multiset_eq(
        &[serde_json::json!(1), serde_json::json!(2)],
        &[serde_json::json!(2), serde_json::json!(1)]
    ));
    let exp = serde_json::json!({"id": "x", "kind": "rows", "value": [1, 2], "ordered": true});
    let act = serde_json::json!({"id": "x", "kind": "rows", "value": [2, 1]});
    assert!(compare(&exp, &act).is_some());
    let exp = serde_json::json!({"id": "x", "kind": "rows", "error": "FieldError", "message": "a"});
    let act = serde_json::json!({"id": "x", "kind": "rows", "error": "FieldError", "message": "b"});
    assert!(compare(&exp, &act).is_some());
}
