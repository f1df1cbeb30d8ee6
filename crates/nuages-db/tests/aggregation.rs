//! annotate / aggregate / alias and the database functions, run on every test
//! database: the results (and their types) must be Django's on each backend.

use chrono::{NaiveDate, TimeDelta};
use nuages_db::models::model::ModelRow;
use nuages_db::models::registry::ModelRegistration;
use nuages_db::query::aggregates::{Avg, Count, Max, Min, StdDev, Sum, Variance};
use nuages_db::query::conditional::{Case, ExpressionWrapper, Value as V, When};
use nuages_db::query::functions::*;
use nuages_db::query::{DynQuerySet, Expression, OutputField, QuerySet, F, Q};
use nuages_db::{
    connection, schema, testing, Field, FieldType, Model, ModelMeta, Relation, RelationKind, Row, Value,
    Vendor,
};
use rust_decimal::Decimal;

fn writer() -> &'static ModelMeta {
    &WRITER
}

static WRITER_FIELDS: [Field; 2] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("name", FieldType::CharField).max_length(50),
];
static WRITER: ModelMeta = {
    let mut m = ModelMeta::new("agg", "Writer", "writer", "agg_writer", &WRITER_FIELDS);
    m.ordering = &["name"];
    m
};

static NOVEL_FIELDS: [Field; 7] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("title", FieldType::CharField).max_length(50),
    {
        let mut f = Field::new("writer", FieldType::ForeignKey);
        f.attname = "writer_id";
        f.column = "writer_id";
        let mut r = Relation::new(RelationKind::ForeignKey, writer);
        r.related_name = Some("novels");
        f.relation = Some(r);
        f
    },
    Field::new("pages", FieldType::IntegerField),
    Field::new("rating", FieldType::FloatField).null(),
    {
        let mut f = Field::new("price", FieldType::DecimalField);
        f.max_digits = Some(6);
        f.decimal_places = Some(2);
        f
    },
    Field::new("published", FieldType::DateField),
];
static NOVEL: ModelMeta = ModelMeta::new("agg", "Novel", "novel", "agg_novel", &NOVEL_FIELDS);

nuages_db::__private::inventory::submit! { ModelRegistration(|| &WRITER) }
nuages_db::__private::inventory::submit! { ModelRegistration(|| &NOVEL) }

#[derive(Debug, Clone, Default)]
struct Writer {
    id: i64,
    name: String,
}

impl Model for Writer {
    fn meta() -> &'static ModelMeta {
        &WRITER
    }
    fn from_db(mut row: ModelRow) -> nuages_db::Result<Self> {
        Ok(Writer {
            id: row.next()?,
            name: row.next()?,
        })
    }
    fn get_field(&self, name: &str) -> Option<Value> {
        match name {
            "id" => Some(Value::Int(self.id)),
            "name" => Some(Value::Text(self.name.clone())),
            _ => None,
        }
    }
    fn set_field(&mut self, _name: &str, _value: Value) -> nuages_db::Result<()> {
        Ok(())
    }
}

async fn insert(alias: &str, vendor: Vendor, table: &str, cols: &[&str], rows: Vec<Vec<Value>>) {
    for row in rows {
        let marks: Vec<String> = (1..=row.len())
            .map(|i| match vendor {
                Vendor::Postgres => format!("${i}"),
                _ => "?".into(),
            })
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            cols.join(", "),
            marks.join(", ")
        );
        connection::execute(alias, &sql, &row).await.unwrap();
    }
}

fn d(s: &str) -> Value {
    Value::Decimal(s.parse().unwrap())
}

fn date(y: i32, m: u32, day: u32) -> Value {
    Value::Date(NaiveDate::from_ymd_opt(y, m, day).unwrap())
}

async fn setup(alias: &str, vendor: Vendor) {
    schema::create_models(alias, &[&WRITER, &NOVEL]).await.unwrap();
    insert(
        alias,
        vendor,
        "agg_writer",
        &["id", "name"],
        vec![
            vec![Value::Int(1), Value::Text("Ann".into())],
            vec![Value::Int(2), Value::Text("Bob".into())],
            vec![Value::Int(3), Value::Text("Cy".into())],
        ],
    )
    .await;
    let cols = [
        "id",
        "title",
        "writer_id",
        "pages",
        "rating",
        "price",
        "published",
    ];
    insert(
        alias,
        vendor,
        "agg_novel",
        &cols,
        vec![
            vec![
                Value::Int(1),
                Value::Text("Alpha".into()),
                Value::Int(1),
                Value::Int(100),
                Value::Float(4.0),
                d("10.50"),
                date(2020, 2, 29),
            ],
            vec![
                Value::Int(2),
                Value::Text("Beta".into()),
                Value::Int(1),
                Value::Int(300),
                Value::Float(2.0),
                d("20.00"),
                date(2021, 7, 14),
            ],
            vec![
                Value::Int(3),
                Value::Text("gamma".into()),
                Value::Int(2),
                Value::Int(250),
                Value::Null,
                d("5.25"),
                date(2019, 11, 3),
            ],
        ],
    )
    .await;
}

fn row_values(r: &Row) -> Vec<Value> {
    r.values().to_vec()
}

#[tokio::test]
async fn aggregates_have_djangos_results_and_types() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let v = db.vendor.name();
        setup(alias, db.vendor).await;
        let novels = || DynQuerySet::new(&NOVEL).using(alias);

        let r = novels()
            .aggregate(&[
                ("n", Expression::from(Count::new("id"))),
                ("all", Count::new("*").into()),
                ("rated", Count::new("rating").into()),
                ("total_pages", Sum::new("pages").into()),
                ("avg_pages", Avg::new("pages").into()),
                ("avg_price", Avg::new("price").into()),
                ("sum_price", Sum::new("price").into()),
                ("min_date", Min::new("published").into()),
                ("max_title", Max::new("title").into()),
                ("sd", StdDev::new("pages").into()),
                ("var", Variance::new("rating").into()),
            ])
            .await
            .unwrap();
        let get = |n: &str| r.get_by_name(n).cloned().unwrap();
        assert_eq!(get("n"), Value::Int(3), "{v}");
        assert_eq!(get("all"), Value::Int(3), "{v}");
        assert_eq!(get("rated"), Value::Int(2), "{v}");
        assert_eq!(get("total_pages"), Value::Int(650), "{v}");
        // Avg of an integer is a float, of a decimal a decimal; Sum keeps the field's scale.
        match get("avg_pages") {
            Value::Float(f) => assert!((f - 216.666_666).abs() < 1e-3, "{v}: {f}"),
            other => panic!("{v}: Avg(int) gave {other:?}"),
        }
        match get("avg_price") {
            Value::Decimal(x) => assert_eq!(x.round_dp(4), "11.9167".parse::<Decimal>().unwrap(), "{v}"),
            other => panic!("{v}: Avg(decimal) gave {other:?}"),
        }
        assert_eq!(get("sum_price"), d("35.75"), "{v}");
        assert_eq!(get("min_date"), date(2019, 11, 3), "{v}");
        assert_eq!(get("max_title"), Value::Text("gamma".into()), "{v}");
        match get("sd") {
            Value::Float(f) => assert!((f - 84.983_658).abs() < 1e-3, "{v}: {f}"),
            other => panic!("{v}: {other:?}"),
        }
        assert_eq!(get("var"), Value::Float(1.0), "{v}");

        // Over no rows: Count 0, the others NULL unless default.
        let r = novels()
            .filter(Q::lookup("pages__gt", 1000))
            .aggregate(&[
                ("n", Expression::from(Count::new("id"))),
                ("s", Sum::new("pages").into()),
                ("s0", Sum::new("pages").default(0).into()),
            ])
            .await
            .unwrap();
        assert_eq!(
            row_values(&r),
            vec![Value::Int(0), Value::Null, Value::Int(0)],
            "{v}"
        );
        let r = novels()
            .none()
            .aggregate(&[("n", Count::new("id"))])
            .await
            .unwrap();
        assert_eq!(row_values(&r), vec![Value::Int(0)], "{v}");

        // distinct, filter.
        let r = novels()
            .aggregate(&[
                ("w", Expression::from(Count::new("writer").distinct())),
                (
                    "long",
                    Count::new("id").filter(Q::lookup("pages__gte", 250)).into(),
                ),
                (
                    "long_pages",
                    Sum::new("pages").filter(Q::lookup("pages__gte", 250)).into(),
                ),
            ])
            .await
            .unwrap();
        assert_eq!(
            row_values(&r),
            vec![Value::Int(2), Value::Int(2), Value::Int(550)],
            "{v}"
        );

        // aggregate over an aggregate annotation: a subquery.
        let r = DynQuerySet::new(&WRITER)
            .using(alias)
            .annotate([("n", Count::new("novels"))])
            .aggregate(&[("most", Max::new("n")), ("avg", Avg::new("n"))])
            .await
            .unwrap();
        assert_eq!(r.get_by_name("most"), Some(&Value::Int(2)), "{v}");
        assert_eq!(r.get_by_name("avg"), Some(&Value::Float(1.0)), "{v}");
    }
}

#[tokio::test]
async fn annotations_filter_order_group_and_load_on_instances() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let v = db.vendor.name();
        setup(alias, db.vendor).await;
        let writers = || DynQuerySet::new(&WRITER).using(alias);

        // HAVING and ORDER BY on the annotation.
        let rows = writers()
            .annotate([("n", Count::new("novels"))])
            .filter(Q::lookup("n__gte", 1))
            .order_by(["-n", "pk"])
            .values_list(["name", "n"], false, false)
            .fetch()
            .await
            .unwrap();
        let got: Vec<Vec<Value>> = rows.iter().map(row_values).collect();
        assert_eq!(
            got,
            vec![
                vec![Value::Text("Ann".into()), Value::Int(2)],
                vec![Value::Text("Bob".into()), Value::Int(1)]
            ],
            "{v}"
        );
        // values().annotate() groups by the values; values_list keeps the order asked.
        let rows = DynQuerySet::new(&NOVEL)
            .using(alias)
            .values(["writer"])
            .annotate([("total", Sum::new("pages"))])
            .order_by(["writer"])
            .values_list(["total", "writer"], false, false)
            .fetch()
            .await
            .unwrap();
        let got: Vec<Vec<Value>> = rows.iter().map(row_values).collect();
        assert_eq!(
            got,
            vec![
                vec![Value::Int(400), Value::Int(1)],
                vec![Value::Int(250), Value::Int(2)]
            ],
            "{v}"
        );
        // count() of a grouped queryset counts the groups.
        let n = writers()
            .annotate([("n", Count::new("novels"))])
            .filter(Q::lookup("n", 0))
            .count()
            .await
            .unwrap();
        assert_eq!(n, 1, "{v}");
        // alias() filters without selecting.
        let names = writers()
            .alias([("n", Count::new("novels"))])
            .filter(Q::lookup("n__gt", 1))
            .values_list(["name"], true, false)
            .fetch_flat()
            .await
            .unwrap();
        assert_eq!(names, vec![Value::Text("Ann".into())], "{v}");

        // Typed: instances with their annotations.
        let objs = QuerySet::<Writer>::new()
            .using(alias)
            .annotate([("n", Count::new("novels")), ("top", Max::new("novels__pages"))])
            .order_by(["pk"])
            .fetch_annotated()
            .await
            .unwrap();
        assert_eq!(objs.len(), 3, "{v}");
        assert_eq!(objs[0].name, "Ann");
        assert_eq!(objs[0].get::<i64>("n").unwrap(), 2, "{v}");
        assert_eq!(objs[0].get::<Option<i64>>("top").unwrap(), Some(300), "{v}");
        assert_eq!(objs[2].get::<Option<i64>>("top").unwrap(), None, "{v}");

        // Case/When in annotate, filter and update.
        let tier = Case::new([
            When::new(Q::lookup("pages__gte", 250), V::new("long")),
            When::new(Q::lookup("pages__gte", 150), V::new("medium")),
        ])
        .default(V::new("short"));
        let rows = DynQuerySet::new(&NOVEL)
            .using(alias)
            .annotate([("tier", Expression::from(tier))])
            .order_by(["pk"])
            .values_list(["tier"], true, false)
            .fetch_flat()
            .await
            .unwrap();
        assert_eq!(
            rows,
            vec![
                Value::Text("short".into()),
                Value::Text("long".into()),
                Value::Text("long".into())
            ],
            "{v}"
        );
        let n = DynQuerySet::new(&NOVEL)
            .using(alias)
            .update(vec![(
                "pages".into(),
                Case::new([When::new(Q::lookup("writer", 1), F::new("pages") + 1)])
                    .default(F::new("pages"))
                    .into(),
            )])
            .await
            .unwrap();
        assert_eq!(n, 3, "{v}");
        let pages = DynQuerySet::new(&NOVEL)
            .using(alias)
            .order_by(["pk"])
            .values_list(["pages"], true, false)
            .fetch_flat()
            .await
            .unwrap();
        assert_eq!(
            pages,
            vec![Value::Int(101), Value::Int(301), Value::Int(250)],
            "{v}"
        );
        // Q as a boolean value, ExpressionWrapper.
        let rows = DynQuerySet::new(&NOVEL)
            .using(alias)
            .annotate([
                ("long", Expression::from(Q::lookup("pages__gt", 200))),
                (
                    "ppp",
                    ExpressionWrapper::new(F::new("price") / F::new("pages"), OutputField::decimal(10, 4)),
                ),
            ])
            .order_by(["pk"])
            .values_list(["long", "ppp"], false, false)
            .fetch()
            .await
            .unwrap();
        assert_eq!(rows[0].values()[0], Value::Bool(false), "{v}");
        assert_eq!(rows[1].values()[0], Value::Bool(true), "{v}");
        assert_eq!(rows[0].values()[1], d("0.1040"), "{v}");
    }
}

async fn one(alias: &str, e: Expression) -> Value {
    let rows = DynQuerySet::new(&NOVEL)
        .using(alias)
        .filter(Q::lookup("pk", 1))
        .annotate([("x", e)])
        .values_list(["x"], true, false)
        .fetch_flat()
        .await
        .unwrap();
    rows.into_iter().next().unwrap()
}

#[tokio::test]
async fn functions_give_the_same_results_on_every_backend() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let v = db.vendor.name();
        setup(alias, db.vendor).await;
        let t = |s: &str| Value::Text(s.into());
        let cases: Vec<(&str, Expression, Value)> = vec![
            ("Lower", Lower::new("title"), t("alpha")),
            ("Upper", Upper::new("title"), t("ALPHA")),
            ("Length", Length::new("title"), Value::Int(5)),
            (
                "Concat",
                Concat::new(["title".into(), Arg::from(V::new("-")), "title".into()]),
                t("Alpha-Alpha"),
            ),
            ("Substr", Substr::new("title", 2, Some(3)), t("lph")),
            ("Left", Left::new("title", 2), t("Al")),
            ("Right", Right::new("title", 2), t("ha")),
            (
                "Trim",
                Trim::new(Concat::new([Arg::from(V::new("  ")), "title".into()])),
                t("Alpha"),
            ),
            (
                "Replace",
                Replace::new("title", V::new("lph"), Some(V::new("LPH").into())),
                t("ALPHa"),
            ),
            ("Reverse", Reverse::new("title"), t("ahplA")),
            ("StrIndex", StrIndex::new("title", V::new("ph")), Value::Int(3)),
            (
                "LPad",
                LPad::new("title", 7, Some(V::new("*").into())),
                t("**Alpha"),
            ),
            ("RPad", RPad::new("title", 6, None), t("Alpha ")),
            ("Repeat", Repeat::new("title", 2), t("AlphaAlpha")),
            ("MD5", MD5::new("title"), t("6132295fcf5570fb8b0a944ef322a598")),
            (
                "Coalesce",
                Coalesce::new(["rating".into(), Arg::from(0.0)]),
                Value::Float(4.0),
            ),
            (
                "Greatest",
                Greatest::new(["pages".into(), Arg::from(150)]),
                Value::Int(150),
            ),
            (
                "Least",
                Least::new(["pages".into(), Arg::from(150)]),
                Value::Int(100),
            ),
            ("NullIf", NullIf::new("pages", 100), Value::Null),
            (
                "Cast",
                Cast::new("pages", OutputField::new(FieldType::FloatField)),
                Value::Float(100.0),
            ),
            (
                "CastText",
                Cast::new("pages", OutputField::new(FieldType::TextField)),
                t("100"),
            ),
            ("Abs", Abs::new(F::new("pages") * -1), Value::Int(100)),
            ("Ceil", Ceil::new(F::new("rating") / 3.0), Value::Float(2.0)),
            ("Floor", Floor::new(F::new("rating") / 3.0), Value::Float(1.0)),
            ("Round", Round::new(F::new("rating") / 3.0, 2), Value::Float(1.33)),
            ("Mod", Mod::new("pages", 7), Value::Float(2.0)),
            ("Power", Power::new("pages", 2), Value::Float(10000.0)),
            ("Sqrt", Sqrt::new("pages"), Value::Float(10.0)),
            ("Sign", Sign::new(F::new("pages") * -1), Value::Int(-1)),
            ("Exp", Exp::new(0), Value::Float(1.0)),
            ("Ln", Ln::new(1), Value::Float(0.0)),
            ("Log", Log::new(10, "pages"), Value::Float(2.0)),
            ("Cos", Cos::new(0), Value::Float(1.0)),
            ("Sin", Sin::new(0), Value::Float(0.0)),
            ("ExtractYear", ExtractYear::new("published"), Value::Int(2020)),
            ("ExtractMonth", ExtractMonth::new("published"), Value::Int(2)),
            ("ExtractDay", ExtractDay::new("published"), Value::Int(29)),
            ("ExtractQuarter", ExtractQuarter::new("published"), Value::Int(1)),
            ("ExtractWeekDay", ExtractWeekDay::new("published"), Value::Int(7)),
            (
                "ExtractIsoWeekDay",
                ExtractIsoWeekDay::new("published"),
                Value::Int(6),
            ),
            ("ExtractWeek", ExtractWeek::new("published"), Value::Int(9)),
            ("TruncYear", TruncYear::new("published"), date(2020, 1, 1)),
            ("TruncMonth", TruncMonth::new("published"), date(2020, 2, 1)),
            ("TruncQuarter", TruncQuarter::new("published"), date(2020, 1, 1)),
            ("TruncWeek", TruncWeek::new("published"), date(2020, 2, 24)),
        ];
        for (name, e, expected) in cases {
            let got = one(alias, e).await;
            let same = match (&got, &expected) {
                (Value::Float(a), Value::Float(b)) => (a - b).abs() < 1e-9,
                (Value::Decimal(a), Value::Float(b)) => {
                    (a.to_string().parse::<f64>().unwrap() - b).abs() < 1e-9
                }
                (Value::Int(a), Value::Float(b)) => (*a as f64 - b).abs() < 1e-9,
                _ => got == expected,
            };
            assert!(same, "{v} {name}: {got:?} != {expected:?}");
        }
        // Now() and date arithmetic with a duration.
        let recent = DynQuerySet::new(&NOVEL)
            .using(alias)
            .filter(Q::lookup(
                "published__gte",
                Now::new() - TimeDelta::days(365 * 100),
            ))
            .count()
            .await
            .unwrap();
        assert_eq!(recent, 3, "{v}");
        let random = one(alias, Random::new()).await;
        assert!(
            matches!(random, Value::Float(f) if (0.0..1.0).contains(&f)),
            "{v}: {random:?}"
        );
    }
}

#[test]
fn date_functions_refuse_inputs_of_the_wrong_kind() {
    // Django's Extract/TruncBase.resolve_expression checks, with their messages.
    let error = |e: Expression| match DynQuerySet::new(&NOVEL).annotate([("x", e)]).sql(Vendor::Sqlite) {
        Ok(_) => "ok".to_owned(),
        Err(err) => format!("{}: {err}", err.class_name()),
    };
    assert_eq!(
        error(ExtractHour::new("published")),
        "ValueError: Cannot extract time component 'hour' from DateField 'published'."
    );
    assert_eq!(
        error(ExtractYear::new("title")),
        "ValueError: Extract input expression must be DateField, DateTimeField, TimeField, or DurationField."
    );
    assert_eq!(
        error(TruncMonth::new("title")),
        "TypeError: 'title' isn't a DateField, TimeField, or DateTimeField."
    );
    assert_eq!(
        error(TruncHour::new("published")),
        "ValueError: Cannot truncate DateField 'published' to DateTimeField."
    );
    assert_eq!(
        error(TruncTime::new("published")),
        "ValueError: Cannot truncate DateField 'published' to TimeField."
    );
    assert_eq!(
        error(
            Trunc::new(
                "published",
                "day",
                Some(OutputField::new(FieldType::DateTimeField))
            )
            .unwrap()
        ),
        "ValueError: Cannot truncate DateField 'published' to DateTimeField."
    );
    assert_eq!(
        error(
            Trunc::new(
                "published",
                "day",
                Some(OutputField::new(FieldType::IntegerField))
            )
            .unwrap()
        ),
        "ValueError: output_field must be either DateField, TimeField, or DateTimeField"
    );
    // What fits is compiled.
    for fits in [
        ExtractYear::new("published"),
        TruncDate::new("published"),
        TruncWeek::new("published"),
        Trunc::new("published", "year", Some(OutputField::new(FieldType::DateField))).unwrap(),
    ] {
        assert_eq!(error(fits), "ok");
    }
    // datetimes() of a date field is Django's same mistake.
    let err = DynQuerySet::new(&NOVEL)
        .datetimes("published", "day", "ASC")
        .sql(Vendor::Sqlite)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot truncate DateField 'published' to DateTimeField."
    );
}
