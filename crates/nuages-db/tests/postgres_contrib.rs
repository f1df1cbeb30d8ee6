//! `django.contrib.postgres`: the PostgreSQL aggregates and full-text search, run on
//! PostgreSQL when `NUAGES_TEST_POSTGRES_URL` is set; SQLite and MySQL must refuse them
//! with a `NotSupportedError` instead of sending SQL they cannot run.

use nuages_db::contrib::postgres::aggregates::{
    ArrayAgg, BitAnd, BitOr, BoolAnd, BoolOr, JSONBAgg, StringAgg,
};
use nuages_db::contrib::postgres::search::{
    SearchHeadline, SearchQuery, SearchRank, SearchType, SearchVector,
};
use nuages_db::models::registry::ModelRegistration;
use nuages_db::query::{DynQuerySet, Expression, F, Q};
use nuages_db::{connection, schema, testing, DbError, Field, FieldType, ModelMeta, Value, Vendor};
use serde_json::json;

static ARTICLE_FIELDS: [Field; 6] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("title", FieldType::CharField).max_length(100),
    Field::new("body", FieldType::TextField),
    Field::new("pages", FieldType::IntegerField),
    Field::new("in_print", FieldType::BooleanField),
    Field::new("flags", FieldType::IntegerField).null(),
];
static ARTICLE: ModelMeta = ModelMeta::new("pgc", "Article", "article", "pgc_article", &ARTICLE_FIELDS);

nuages_db::__private::inventory::submit! { ModelRegistration(|| &ARTICLE) }

type ArticleRow = (i64, &'static str, &'static str, i64, bool, Option<i64>);

async fn setup(alias: &str) {
    schema::create_models(alias, &[&ARTICLE]).await.unwrap();
    let rows: [ArticleRow; 4] = [
        (
            1,
            "Rust web",
            "Writing web servers in Rust with async and tokio.",
            120,
            true,
            Some(3),
        ),
        (
            2,
            "Django tips",
            "Django querysets, the ORM and templates.",
            300,
            true,
            Some(6),
        ),
        (
            3,
            "Async Rust",
            "Futures, executors and pinning explained for Rust users.",
            80,
            false,
            None,
        ),
        (4, "Cooking", "Bread and soup recipes.", 80, true, Some(12)),
    ];
    for (id, title, body, pages, in_print, flags) in rows {
        connection::execute(
            alias,
            "INSERT INTO pgc_article (id, title, body, pages, in_print, flags) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                Value::Int(id),
                Value::Text(title.into()),
                Value::Text(body.into()),
                Value::Int(pages),
                Value::Bool(in_print),
                flags.map_or(Value::Null, Value::Int),
            ],
        )
        .await
        .unwrap();
    }
}

fn refused(err: DbError, what: &str) {
    assert_eq!(err.class_name(), "NotSupportedError", "{err}");
    assert_eq!(
        err.to_string(),
        format!("{what} is only supported on PostgreSQL.")
    );
}

#[tokio::test]
async fn postgres_aggregates() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let articles = || DynQuerySet::new(&ARTICLE).using(alias);
        if db.vendor != Vendor::Postgres {
            // Refused before any SQL is sent (no table needed).
            let err = articles()
                .aggregate(&[("a", ArrayAgg::new("title"))])
                .await
                .unwrap_err();
            refused(err, "ArrayAgg");
            let err = articles()
                .annotate([("s", StringAgg::new("title", ","))])
                .sql(db.vendor)
                .unwrap_err();
            refused(err, "StringAgg");
            continue;
        }
        setup(alias).await;
        let r = articles()
            .aggregate(&[
                (
                    "titles",
                    Expression::from(ArrayAgg::new("title").order_by(["title"])),
                ),
                (
                    "pages_desc",
                    ArrayAgg::new("pages").order_by(["-pages", "id"]).into(),
                ),
                (
                    "distinct_pages",
                    ArrayAgg::new("pages").distinct().order_by(["pages"]).into(),
                ),
                (
                    "printed",
                    ArrayAgg::new("id")
                        .filter(Q::lookup("in_print", true))
                        .order_by(["id"])
                        .into(),
                ),
                (
                    "joined",
                    StringAgg::new("title", " | ")
                        .order_by([F::new("pages").desc()])
                        .into(),
                ),
                ("json", JSONBAgg::new("pages").order_by(["id"]).into()),
                ("all_printed", BoolAnd::new("in_print").into()),
                ("any_printed", BoolOr::new("in_print").into()),
                ("bit_and", BitAnd::new("flags").into()),
                ("bit_or", BitOr::new("flags").into()),
            ])
            .await
            .unwrap();
        let get = |n: &str| r.get_by_name(n).cloned().unwrap();
        assert_eq!(
            get("titles"),
            Value::json(json!(["Async Rust", "Cooking", "Django tips", "Rust web"]))
        );
        assert_eq!(get("pages_desc"), Value::json(json!([300, 120, 80, 80])));
        assert_eq!(get("distinct_pages"), Value::json(json!([80, 120, 300])));
        assert_eq!(get("printed"), Value::json(json!([1, 2, 4])));
        match get("joined") {
            Value::Text(s) => assert!(s.starts_with("Django tips | Rust web | "), "{s}"),
            other => panic!("StringAgg gave {other:?}"),
        }
        assert_eq!(get("json"), Value::json(json!([120, 300, 80, 80])));
        assert_eq!(get("all_printed"), Value::Bool(false));
        assert_eq!(get("any_printed"), Value::Bool(true));
        assert_eq!(get("bit_and"), Value::Int(3 & 6 & 12));
        assert_eq!(get("bit_or"), Value::Int(3 | 6 | 12));
        let titles: Vec<String> = nuages_db::FromValue::from_value(get("titles")).unwrap();
        assert_eq!(titles[0], "Async Rust");

        // Over no rows: None unless default (Django 5.0+).
        let r = articles()
            .filter(Q::lookup("pages__gt", 1000))
            .aggregate(&[
                ("a", Expression::from(ArrayAgg::new("title"))),
                ("s", StringAgg::new("title", ",").into()),
                ("b", BoolAnd::new("in_print").into()),
                ("s0", StringAgg::new("title", ",").default("").into()),
                ("b0", BoolOr::new("in_print").default(false).into()),
            ])
            .await
            .unwrap();
        assert_eq!(
            r.values().to_vec(),
            vec![
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Text(String::new()),
                Value::Bool(false)
            ]
        );

        // In annotate with GROUP BY (values().annotate()).
        let rows = articles()
            .values(["in_print"])
            .annotate([("ids", ArrayAgg::new("id").order_by(["id"]))])
            .order_by(["in_print"])
            .fetch()
            .await
            .unwrap();
        let got: Vec<Vec<Value>> = rows.iter().map(|r| r.values().to_vec()).collect();
        assert_eq!(
            got,
            vec![
                vec![Value::Bool(false), Value::json(json!([3]))],
                vec![Value::Bool(true), Value::json(json!([1, 2, 4]))],
            ]
        );

        // Django's construction errors.
        let err = articles()
            .aggregate(&[("x", BoolAnd::new("in_print").distinct())])
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "BoolAnd does not allow distinct.");
        let err = articles()
            .aggregate(&[("x", BoolAnd::new("in_print").order_by(["id"]))])
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "BoolAnd does not allow order_by.");
    }
}

#[tokio::test]
async fn full_text_search() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let articles = || DynQuerySet::new(&ARTICLE).using(alias);
        if db.vendor != Vendor::Postgres {
            let err = articles()
                .filter_str("title__search", "rust")
                .sql(db.vendor)
                .unwrap_err();
            refused(err, "The 'search' lookup");
            let err = articles()
                .annotate([("r", SearchRank::new(SearchVector::new(["body"]), "rust"))])
                .sql(db.vendor)
                .unwrap_err();
            refused(err, "SearchRank");
            continue;
        }
        setup(alias).await;
        let ids = |qs: DynQuerySet| async move {
            qs.values(["id"])
                .fetch()
                .await
                .unwrap()
                .iter()
                .map(|r| r.values()[0].clone())
                .collect::<Vec<Value>>()
        };
        let int = |v: &[i64]| v.iter().map(|i| Value::Int(*i)).collect::<Vec<Value>>();

        // The search lookup on a text field.
        assert_eq!(
            ids(articles().filter_str("title__search", "rust").order_by(["id"])).await,
            int(&[1, 3])
        );
        assert_eq!(
            ids(articles().filter_str("body__search", "querysets")).await,
            int(&[2])
        );
        assert_eq!(
            ids(articles()
                .exclude(Q::lookup("title__search", "rust"))
                .order_by(["id"]))
            .await,
            int(&[2, 4])
        );
        // With a config (stemming: "recipe" matches "recipes").
        assert_eq!(
            ids(articles().filter(Q::lookup(
                "body__search",
                SearchQuery::new("recipe").config("english")
            )))
            .await,
            int(&[4])
        );

        // SearchVector over several fields, filtered with the exact lookup (@@).
        let qs = articles()
            .annotate([("search", SearchVector::new(["title", "body"]))])
            .filter_str("search", "tokio")
            .order_by(["id"]);
        assert_eq!(ids(qs).await, int(&[1]));
        // Query kinds and operators.
        let search = |q: Expression| {
            articles()
                .annotate([("search", SearchVector::new(["title", "body"]).config("english"))])
                .filter(Q::lookup("search", q))
                .order_by(["id"])
        };
        assert_eq!(
            ids(search(
                SearchQuery::new("web servers")
                    .search_type(SearchType::Phrase)
                    .into()
            ))
            .await,
            int(&[1])
        );
        assert_eq!(
            ids(search(
                SearchQuery::new("rust & !web")
                    .search_type(SearchType::Raw)
                    .into()
            ))
            .await,
            int(&[3])
        );
        assert_eq!(
            ids(search(
                SearchQuery::new("\"web servers\" -django")
                    .search_type(SearchType::Websearch)
                    .into()
            ))
            .await,
            int(&[1])
        );
        assert_eq!(
            ids(search(
                (SearchQuery::new("rust") & SearchQuery::new("async")).into()
            ))
            .await,
            int(&[1, 3])
        );
        assert_eq!(
            ids(search(
                (SearchQuery::new("bread") | SearchQuery::new("django")).into()
            ))
            .await,
            int(&[2, 4])
        );
        assert_eq!(
            ids(search(
                (SearchQuery::new("rust") & !SearchQuery::new("tokio")).into()
            ))
            .await,
            int(&[3])
        );
        assert_eq!(
            SearchType::parse("fuzzy").unwrap_err().to_string(),
            "Unknown search_type argument 'fuzzy'."
        );

        // SearchRank with weights: a title match ranks above a body-only match.
        let vector = SearchVector::new(["title"]).weight("A") + SearchVector::new(["body"]).weight("D");
        let rows = articles()
            .annotate([(
                "rank",
                SearchRank::new(
                    vector,
                    SearchQuery::new("pinning | tokio").search_type(SearchType::Raw),
                ),
            )])
            .filter(Q::lookup("rank__gt", 0))
            .order_by(["-rank", "id"])
            .values(["id", "rank"])
            .fetch()
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert!(matches!(rows[0].values()[1], Value::Float(_)), "{rows:?}");
        let rows = articles()
            .annotate([(
                "rank",
                SearchRank::new("title", "rust")
                    .weights([0.1, 0.2, 0.4, 1.0])
                    .normalization(1)
                    .cover_density(),
            )])
            .order_by(["id"])
            .values(["rank"])
            .fetch()
            .await
            .unwrap();
        let ranks: Vec<f64> = rows
            .iter()
            .map(|r| match r.values()[0] {
                Value::Float(f) => f,
                ref other => panic!("{other:?}"),
            })
            .collect();
        assert!(ranks[0] > 0.0 && ranks[1] == 0.0 && ranks[2] > 0.0, "{ranks:?}");

        // SearchHeadline with options (bound as one parameter).
        let rows = articles()
            .filter(Q::lookup("id", 1))
            .annotate([(
                "h",
                SearchHeadline::new("body", SearchQuery::new("tokio"))
                    .start_sel("<em>")
                    .stop_sel("</em>")
                    .config("english"),
            )])
            .values(["h"])
            .fetch()
            .await
            .unwrap();
        match &rows[0].values()[0] {
            Value::Text(s) => assert!(s.contains("<em>tokio</em>"), "{s}"),
            other => panic!("{other:?}"),
        }
        let rows = articles()
            .filter(Q::lookup("id", 3))
            .annotate([(
                "h",
                SearchHeadline::new("body", "rust")
                    .highlight_all(true)
                    .start_sel("'[")
                    .stop_sel("]'"),
            )])
            .values(["h"])
            .fetch()
            .await
            .unwrap();
        match &rows[0].values()[0] {
            Value::Text(s) => assert!(s.contains("'[Rust]'"), "{s}"),
            other => panic!("{other:?}"),
        }
    }
}

static TAG: Field = Field::new("", FieldType::CharField).max_length(20);
static SCORE: Field = Field::new("", FieldType::IntegerField);
static POST_FIELDS: [Field; 4] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("name", FieldType::CharField).max_length(50),
    Field::new("tags", FieldType::ArrayField).base_field(&TAG),
    Field::new("scores", FieldType::ArrayField)
        .base_field(&SCORE)
        .size(3)
        .null(),
];
static POST: ModelMeta = ModelMeta::new("pgc", "Post", "post", "pgc_post", &POST_FIELDS);

nuages_db::__private::inventory::submit! { ModelRegistration(|| &POST) }

type PostRow = (i64, &'static str, serde_json::Value, serde_json::Value);

#[tokio::test]
async fn array_field() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let posts = || DynQuerySet::new(&POST).using(alias);
        if db.vendor != Vendor::Postgres {
            let err = schema::create_models(alias, &[&POST]).await.unwrap_err();
            refused(err, "ArrayField");
            let err = posts()
                .filter_str("tags__contains", vec!["a"])
                .sql(db.vendor)
                .unwrap_err();
            refused(err, "ArrayContains");
            continue;
        }
        schema::create_models(alias, &[&POST]).await.unwrap();
        let rows: [PostRow; 4] = [
            (1, "a", json!(["rust", "web"]), json!([1, 2, 3])),
            (2, "b", json!(["django", "web", "orm"]), json!([5])),
            (3, "c", json!(["rust"]), serde_json::Value::Null),
            (4, "d", json!([]), json!([])),
        ];
        for (id, name, tags, scores) in rows {
            let scores = if scores.is_null() {
                Value::Null
            } else {
                Value::json(scores)
            };
            connection::execute(
                alias,
                "INSERT INTO pgc_post (id, name, tags, scores) VALUES ($1, $2, $3, $4)",
                &[
                    Value::Int(id),
                    Value::Text(name.into()),
                    Value::json(tags),
                    scores,
                ],
            )
            .await
            .unwrap();
        }
        let ids = |qs: DynQuerySet| async move {
            qs.order_by(["id"])
                .values_list(["id"], true, false)
                .fetch()
                .await
                .unwrap()
                .iter()
                .map(|r| match r.values()[0] {
                    Value::Int(i) => i,
                    ref other => panic!("{other:?}"),
                })
                .collect::<Vec<i64>>()
        };
        let f = |path: &str, v: nuages_db::query::Rhs| posts().filter(Q::lookup(path, v));
        assert_eq!(ids(f("tags__contains", vec!["rust"].into())).await, vec![1, 3]);
        assert_eq!(
            ids(f("tags__contains", vec!["web", "rust"].into())).await,
            vec![1]
        );
        assert_eq!(
            ids(f("tags__contained_by", vec!["rust", "web", "go"].into())).await,
            vec![1, 3, 4]
        );
        assert_eq!(
            ids(f("tags__overlap", vec!["orm", "rust"].into())).await,
            vec![1, 2, 3]
        );
        assert_eq!(ids(f("tags", vec!["rust"].into())).await, vec![3]);
        assert_eq!(ids(f("tags__len", 2.into())).await, vec![1]);
        assert_eq!(ids(f("tags__len__gte", 1.into())).await, vec![1, 2, 3]);
        assert_eq!(ids(f("scores__len", 0.into())).await, vec![4]);
        assert_eq!(ids(f("scores__isnull", true.into())).await, vec![3]);
        // Index (0-based, as in Django) and slice transforms, then the base field's lookups.
        assert_eq!(ids(f("tags__0", "rust".into())).await, vec![1, 3]);
        assert_eq!(ids(f("tags__1__startswith", "w".into())).await, vec![1, 2]);
        assert_eq!(ids(f("scores__2__gt", 2.into())).await, vec![1]);
        assert_eq!(ids(f("tags__1_3__contains", vec!["orm"].into())).await, vec![2]);
        assert_eq!(ids(f("tags__0_1", vec!["django"].into())).await, vec![2]);
        // The right-hand side is cast to the column's type.
        let sql = posts()
            .filter_str("tags__contains", vec!["x"])
            .sql(Vendor::Postgres)
            .unwrap()
            .unwrap();
        assert!(
            sql.sql.contains(r#""pgc_post"."tags" @> $1::varchar(20)[]"#),
            "{}",
            sql.sql
        );

        // Values read back as JSON arrays, typed as Vec<T>.
        let r = posts()
            .filter(Q::lookup("id", 2))
            .values(["tags", "scores"])
            .fetch()
            .await
            .unwrap();
        let tags: Vec<String> = nuages_db::FromValue::from_value(r[0].values()[0].clone()).unwrap();
        assert_eq!(tags, vec!["django", "web", "orm"]);
        let scores: Option<Vec<i32>> = nuages_db::FromValue::from_value(r[0].values()[1].clone()).unwrap();
        assert_eq!(scores, Some(vec![5]));
        // update() binds an array.
        posts()
            .filter(Q::lookup("id", 4))
            .update(vec![(
                "tags".to_owned(),
                Expression::from(nuages_db::IntoValue::into_value(vec!["new".to_owned()])),
            )])
            .await
            .unwrap();
        assert_eq!(ids(f("tags__contains", vec!["new"].into())).await, vec![4]);
        // ArrayAgg over an array's element.
        let r = posts()
            .filter(Q::lookup("tags__len__gt", 0))
            .aggregate(&[("firsts", ArrayAgg::new(F::new("name")).order_by(["-id"]))])
            .await
            .unwrap();
        assert_eq!(r.values()[0], Value::json(json!(["d", "c", "b", "a"])));
    }
}

static EVENT_FIELDS: [Field; 6] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("seats", FieldType::IntegerRangeField),
    Field::new("period", FieldType::DateRangeField),
    Field::new("price", FieldType::DecimalRangeField).null(),
    Field::new("slot", FieldType::DateTimeRangeField).null(),
    Field::new("big", FieldType::BigIntegerRangeField).null(),
];
static EVENT: ModelMeta = ModelMeta::new("pgc", "Event", "event", "pgc_event", &EVENT_FIELDS);

nuages_db::__private::inventory::submit! { ModelRegistration(|| &EVENT) }

#[tokio::test]
async fn range_fields() {
    use chrono::{NaiveDate, TimeZone, Utc};
    use nuages_db::contrib::postgres::ranges::{DateRange, DateTimeTZRange, NumericRange, Range};
    use nuages_db::{FromValue, IntoValue};
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let events = || DynQuerySet::new(&EVENT).using(alias);
        if db.vendor != Vendor::Postgres {
            let err = schema::create_models(alias, &[&EVENT]).await.unwrap_err();
            refused(err, "IntegerRangeField");
            let err = events()
                .filter_str("seats__contains", 5)
                .sql(db.vendor)
                .unwrap_err();
            refused(err, "RangeContains");
            continue;
        }
        schema::create_models(alias, &[&EVENT]).await.unwrap();
        let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(2024, m, d).unwrap();
        let rows: Vec<[Value; 6]> = vec![
            [
                Value::Int(1),
                Range::new(Some(1), Some(10)).into_value(),
                DateRange::new(Some(day(1, 1)), Some(day(2, 1))).into_value(),
                NumericRange::new(Some("9.99".parse::<rust_decimal::Decimal>().unwrap()), None).into_value(),
                DateTimeTZRange::new(
                    Some(Utc.with_ymd_and_hms(2024, 1, 1, 9, 0, 0).unwrap()),
                    Some(Utc.with_ymd_and_hms(2024, 1, 1, 17, 30, 0).unwrap()),
                )
                .into_value(),
                Range::<i64>::with_bounds(Some(1), Some(3_000_000_000), "[]")
                    .unwrap()
                    .into_value(),
            ],
            [
                Value::Int(2),
                Range::new(Some(10), Some(20)).into_value(),
                DateRange::new(Some(day(3, 1)), Some(day(4, 1))).into_value(),
                Value::Null,
                Value::Null,
                Value::Null,
            ],
            [
                Value::Int(3),
                Range::<i32>::empty().into_value(),
                DateRange::new(Some(day(1, 15)), None).into_value(),
                Value::Null,
                Value::Null,
                Value::Null,
            ],
        ];
        for r in rows {
            connection::execute(
                alias,
                "INSERT INTO pgc_event (id, seats, period, price, slot, big) VALUES ($1, $2, $3, $4, $5, $6)",
                &r,
            )
            .await
            .unwrap();
        }
        let ids = |qs: DynQuerySet| async move {
            qs.order_by(["id"])
                .values_list(["id"], true, false)
                .fetch()
                .await
                .unwrap()
                .iter()
                .map(|r| match r.values()[0] {
                    Value::Int(i) => i,
                    ref other => panic!("{other:?}"),
                })
                .collect::<Vec<i64>>()
        };
        let f = |path: &str, v: nuages_db::query::Rhs| events().filter(Q::lookup(path, v));
        // contains: an element or a range; a (lower, upper) pair is a range, as in Django.
        assert_eq!(ids(f("seats__contains", 5.into())).await, vec![1]);
        assert_eq!(
            ids(f(
                "seats__contains",
                Range::new(Some(2), Some(4)).into_value().into()
            ))
            .await,
            vec![1]
        );
        assert_eq!(ids(f("seats__contains", vec![12, 15].into())).await, vec![2]);
        assert_eq!(ids(f("period__contains", day(1, 20).into())).await, vec![1, 3]);
        assert_eq!(
            ids(f("seats__contained_by", vec![0, 15].into())).await,
            vec![1, 3]
        );
        assert_eq!(ids(f("seats__overlap", vec![8, 12].into())).await, vec![1, 2]);
        assert_eq!(ids(f("seats__fully_lt", vec![10, 30].into())).await, vec![1]);
        assert_eq!(ids(f("seats__fully_gt", vec![0, 5].into())).await, vec![2]);
        assert_eq!(ids(f("seats__adjacent_to", vec![20, 25].into())).await, vec![2]);
        assert_eq!(ids(f("seats__not_lt", vec![5, 6].into())).await, vec![2]);
        assert_eq!(ids(f("seats__not_gt", vec![0, 10].into())).await, vec![1]);
        assert_eq!(ids(f("seats", vec![10, 20].into())).await, vec![2]);
        assert_eq!(ids(f("seats__isempty", true.into())).await, vec![3]);
        assert_eq!(ids(f("seats__startswith", 10.into())).await, vec![2]);
        assert_eq!(ids(f("seats__endswith__lte", 10.into())).await, vec![1]);
        assert_eq!(
            ids(f("period__startswith__gte", day(1, 10).into())).await,
            vec![2, 3]
        );
        assert_eq!(ids(f("period__upper_inf", true.into())).await, vec![3]);
        assert_eq!(ids(f("period__lower_inc", true.into())).await, vec![1, 2, 3]);
        assert_eq!(
            ids(f(
                "price__contains",
                Value::Decimal("10.5".parse().unwrap()).into()
            ))
            .await,
            vec![1]
        );
        assert_eq!(
            ids(f(
                "slot__contains",
                Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap().into()
            ))
            .await,
            vec![1]
        );
        assert_eq!(
            ids(f("big__contains", Value::Int(3_000_000_000).into())).await,
            vec![1]
        );

        // Values read back as literals, typed as Range<T>.
        let r = events()
            .filter(Q::lookup("id", 1))
            .values(["seats", "period", "price", "slot", "big"])
            .fetch()
            .await
            .unwrap();
        let v = r[0].values();
        assert_eq!(
            Range::<i32>::from_value(v[0].clone()).unwrap(),
            Range::new(Some(1), Some(10))
        );
        assert_eq!(
            DateRange::from_value(v[1].clone()).unwrap(),
            DateRange::new(Some(day(1, 1)), Some(day(2, 1)))
        );
        let price = NumericRange::<rust_decimal::Decimal>::from_value(v[2].clone()).unwrap();
        assert_eq!(price.lower, Some("9.99".parse().unwrap()));
        assert_eq!(price.upper, None);
        let slot = DateTimeTZRange::from_value(v[3].clone()).unwrap();
        assert_eq!(
            slot.upper,
            Some(Utc.with_ymd_and_hms(2024, 1, 1, 17, 30, 0).unwrap())
        );
        // PostgreSQL canonicalizes discrete ranges to [): [1, 3000000000] is [1,3000000001).
        assert_eq!(
            Range::<i64>::from_value(v[4].clone()).unwrap(),
            Range::new(Some(1), Some(3_000_000_001))
        );
        let r = events()
            .filter(Q::lookup("id", 3))
            .values(["seats"])
            .fetch()
            .await
            .unwrap();
        assert!(Range::<i32>::from_value(r[0].values()[0].clone()).unwrap().empty);
    }
}

/// Fixtures: Django's `value_to_string` forms (`dumpdata`) and back (`loaddata`).
#[test]
fn array_and_range_fixtures() {
    use nuages_db::serializers::encode::{decode_value, encode_value};
    let tags = &POST_FIELDS[2];
    let scores = &POST_FIELDS[3];
    assert_eq!(
        encode_value(tags, &Value::json(json!(["rust", "web"]))),
        json!(r#"["rust", "web"]"#)
    );
    assert_eq!(
        encode_value(scores, &Value::json(json!([1, null, 3]))),
        json!(r#"["1", null, "3"]"#)
    );
    assert_eq!(
        decode_value(scores, &json!(r#"["1", null, "3"]"#)).unwrap(),
        Value::json(json!([1, null, 3]))
    );
    assert_eq!(
        decode_value(tags, &json!(["a"])).unwrap(),
        Value::json(json!(["a"]))
    );
    let err = decode_value(scores, &json!(r#"["x"]"#)).unwrap_err();
    assert_eq!(err.to_string(), "Field 'scores' expected a number but got 'x'.");

    let seats = &EVENT_FIELDS[1];
    let period = &EVENT_FIELDS[2];
    let dumped = encode_value(seats, &Value::Text("[1,10)".into()));
    assert_eq!(dumped, json!(r#"{"bounds": "[)", "lower": "1", "upper": "10"}"#));
    assert_eq!(
        decode_value(seats, &dumped).unwrap(),
        Value::Text("[1,10)".into())
    );
    assert_eq!(
        encode_value(seats, &Value::Text("empty".into())),
        json!(r#"{"empty": true}"#)
    );
    assert_eq!(
        decode_value(seats, &json!(r#"{"empty": true}"#)).unwrap(),
        Value::Text("empty".into())
    );
    let dumped = encode_value(period, &Value::Text("[2024-01-15,)".into()));
    assert_eq!(
        dumped,
        json!(r#"{"bounds": "[)", "lower": "2024-01-15", "upper": null}"#)
    );
    assert_eq!(
        decode_value(period, &dumped).unwrap(),
        Value::Text("[2024-01-15,)".into())
    );
}
