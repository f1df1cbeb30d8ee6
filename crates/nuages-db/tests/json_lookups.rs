//! JSONField lookups and key transforms on every test database, with Django's results
//! (the "Querying JSONField" examples of Django's documentation).

use nuages_db::models::instance::{ModelInstance, SaveOptions};
use nuages_db::models::manager::Manager;
use nuages_db::query::{json_key_text, QuerySet, Q};
use nuages_db::{schema, testing, Model, Value, Vendor};
use nuages_macros::Model;
use serde_json::json;

#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "js")]
pub struct Dog {
    pub id: i64,
    #[field(max_length = 20)]
    pub name: String,
    pub data: Option<serde_json::Value>,
}

async fn setup(alias: &str) {
    schema::create_models(alias, &[Dog::meta()]).await.unwrap();
    let rows = [
        (
            "Rufus",
            Some(json!({"breed": "labrador", "owner": {"name": "Bob", "other_pets": [{"name": "Fishy"}]}})),
        ),
        ("Meg", Some(json!({"breed": "collie", "owner": null}))),
        (
            "Fido",
            Some(json!({"owner": {"name": "Alice"}, "tags": ["a", "b"], "age": 5, "good": true})),
        ),
        ("Rex", None),
        ("Nully", Some(serde_json::Value::Null)),
        ("Ages", Some(json!({"age": 12, "tags": ["c"], "good": false}))),
    ];
    for (name, data) in rows {
        let mut d = Dog {
            id: 0,
            name: name.into(),
            data,
        };
        d.save_with(SaveOptions {
            using: Some(alias.to_owned()),
            ..Default::default()
        })
        .await
        .unwrap();
    }
}

async fn names(qs: QuerySet<Dog>) -> Vec<String> {
    let qs = qs.order_by(["id"]);
    match qs.fetch().await {
        Ok(rows) => rows.into_iter().map(|d| d.name).collect(),
        Err(e) => panic!("{e}: {:?}", qs.as_dyn().sql(Vendor::MySql)),
    }
}

#[tokio::test]
async fn json_lookups_on_every_backend() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let v = db.vendor.name();
        setup(alias).await;
        let dogs = || Dog::objects().using(alias);
        let f = |path: &str, value: Value| dogs().filter_str(path, value);
        let t = |s: &str| Value::Text(s.to_owned());

        // Key, nested key and index transforms.
        assert_eq!(names(f("data__breed", t("collie"))).await, ["Meg"], "{v}");
        assert_eq!(names(f("data__owner__name", t("Bob"))).await, ["Rufus"], "{v}");
        assert_eq!(
            names(f("data__owner__other_pets__0__name", t("Fishy"))).await,
            ["Rufus"],
            "{v}"
        );
        assert_eq!(names(f("data__tags__1", t("b"))).await, ["Fido"], "{v}");
        assert_eq!(names(f("data__age", Value::Int(5))).await, ["Fido"], "{v}");
        assert_eq!(names(f("data__good", Value::Bool(true))).await, ["Fido"], "{v}");
        assert_eq!(names(f("data__good", Value::Bool(false))).await, ["Ages"], "{v}");
        assert_eq!(
            names(f("data__owner", Value::json(json!({"name": "Alice"})))).await,
            ["Fido"],
            "{v}"
        );
        // Lookups on the extracted value.
        assert_eq!(
            names(f("data__age__gt", Value::Int(4))).await,
            ["Fido", "Ages"],
            "{v}"
        );
        assert_eq!(names(f("data__age__lte", Value::Int(5))).await, ["Fido"], "{v}");
        assert_eq!(
            names(f("data__owner__name__icontains", t("LIC"))).await,
            ["Fido"],
            "{v}"
        );
        assert_eq!(
            names(f("data__owner__name__iexact", t("bob"))).await,
            ["Rufus"],
            "{v}"
        );
        assert_eq!(
            names(f("data__breed__startswith", t("lab"))).await,
            ["Rufus"],
            "{v}"
        );
        assert_eq!(names(f("data__breed__endswith", t("ie"))).await, ["Meg"], "{v}");
        assert_eq!(names(f("data__breed__regex", t("^col"))).await, ["Meg"], "{v}");
        assert_eq!(
            names(dogs().filter_str("data__breed__in", ["collie", "poodle"])).await,
            ["Meg"],
            "{v}"
        );
        assert_eq!(
            names(dogs().filter_str("data__age__in", [5, 7])).await,
            ["Fido"],
            "{v}"
        );
        // JSON null versus SQL NULL, as Django 5.2.
        assert_eq!(names(f("data__owner", Value::Null)).await, ["Meg"], "{v}");
        assert_eq!(names(f("data", Value::Null)).await, ["Nully"], "{v}");
        assert_eq!(names(f("data__isnull", Value::Bool(true))).await, ["Rex"], "{v}");
        assert_eq!(
            names(f("data__owner__isnull", Value::Bool(true))).await,
            ["Rex", "Nully", "Ages"],
            "{v}"
        );
        assert_eq!(
            names(f("data__owner__isnull", Value::Bool(false))).await,
            ["Rufus", "Meg", "Fido"],
            "{v}"
        );
        // Whole documents.
        assert_eq!(
            names(f("data", Value::json(json!({"breed": "collie", "owner": null})))).await,
            ["Meg"],
            "{v}"
        );
        // Keys.
        assert_eq!(
            names(f("data__has_key", t("owner"))).await,
            ["Rufus", "Meg", "Fido"],
            "{v}"
        );
        assert_eq!(
            names(dogs().filter_str("data__has_keys", ["owner", "tags"])).await,
            ["Fido"],
            "{v}"
        );
        assert_eq!(
            names(dogs().filter_str("data__has_any_keys", ["breed", "age"])).await,
            ["Rufus", "Meg", "Fido", "Ages"],
            "{v}"
        );
        assert_eq!(
            names(f("data__owner__has_key", t("name"))).await,
            ["Rufus", "Fido"],
            "{v}"
        );
        // Negated: Django's `NOT (key = v AND data IS NOT NULL)`; a missing key is NULL.
        assert_eq!(
            names(dogs().exclude(Q::lookup("data__breed", "collie"))).await,
            ["Rufus", "Rex"],
            "{v}"
        );
        // Keys in order_by (and F()).
        let by_breed: Vec<String> = dogs()
            .filter_str("data__has_key", "breed")
            .order_by(["-data__breed"])
            .fetch()
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(by_breed, ["Rufus", "Meg"], "{v}");
        // KeyTextTransform (Django's KT) in annotate, then text lookups on it.
        let owners: Vec<String> = dogs()
            .annotate([("owner", json_key_text("data__owner__name").unwrap())])
            .filter_str("owner__startswith", "A")
            .order_by(["id"])
            .fetch()
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(owners, ["Fido"], "{v}");
        // contains / contained_by: PostgreSQL and MySQL; NotSupportedError on SQLite.
        let contains = dogs().filter_str("data__contains", Value::json(json!({"breed": "collie"})));
        let inside = dogs().filter_str(
            "data__contained_by",
            Value::json(json!({"breed": "collie", "owner": null, "x": 1})),
        );
        let tags = dogs().filter_str("data__tags__contains", Value::json(json!(["b"])));
        if db.vendor == Vendor::Sqlite {
            let err = contains.fetch().await.unwrap_err();
            assert_eq!(err.class_name(), "NotSupportedError");
            assert_eq!(
                err.to_string(),
                "contains lookup is not supported on this database backend."
            );
            let err = inside.fetch().await.unwrap_err();
            assert_eq!(
                err.to_string(),
                "contained_by lookup is not supported on this database backend."
            );
        } else {
            assert_eq!(names(contains).await, ["Meg"], "{v}");
            assert_eq!(names(inside).await, ["Meg"], "{v}");
            assert_eq!(names(tags).await, ["Fido"], "{v}");
        }
    }
}

#[test]
fn json_sql_per_backend() {
    let qs = Dog::objects()
        .filter_str("data__owner__name", "Bob")
        .filter_str("data__has_key", "owner");
    let pg = qs.as_dyn().sql(Vendor::Postgres).unwrap().unwrap().sql;
    assert!(
        pg.contains(r#"jsonb_extract_path("js_dog"."data", $1::text, $2::text) = $3"#),
        "{pg}"
    );
    assert!(pg.contains(r#"jsonb_exists("js_dog"."data", $4::text)"#), "{pg}");
    let my = qs.as_dyn().sql(Vendor::MySql).unwrap().unwrap().sql;
    assert!(
        my.contains("JSON_UNQUOTE(JSON_EXTRACT(`js_dog`.`data`, ?)) = JSON_UNQUOTE(JSON_EXTRACT(?, '$'))"),
        "{my}"
    );
    assert!(
        my.contains("JSON_CONTAINS_PATH(`js_dog`.`data`, 'one', ?)"),
        "{my}"
    );
    let lite = qs.as_dyn().sql(Vendor::Sqlite).unwrap().unwrap();
    assert!(
        lite.sql.contains(r#"JSON_TYPE("js_dog"."data", ?) IS NOT NULL"#),
        "{}",
        lite.sql
    );
    // Keys and paths are parameters, never SQL text.
    assert!(lite.params.contains(&Value::Text(r#"$."owner"."name""#.into())));
    assert!(lite.params.contains(&Value::Text(r#"$."owner""#.into())));
}
