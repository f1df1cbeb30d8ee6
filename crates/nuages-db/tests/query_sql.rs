//! SQL snapshots of representative aggregation, subquery, combinator and window queries
//! per backend (`tests/snapshots/queries_{sqlite,postgresql,mysql}.sql`), so that any
//! change in the generated SQL shows up in review. The recorded SQL follows Django 5.2's
//! shape for the same querysets; after an intended change, re-record with
//! `NUAGES_BLESS=1 cargo test -p nuages-db --test query_sql` and review the diff.

mod common;

use nuages_db::models::registry::ModelRegistration;
use nuages_db::query::aggregates::{Avg, Count, Sum};
use nuages_db::query::functions::{DenseRank, Lag, Rank, RowNumber};
use nuages_db::query::CompiledSql;
use nuages_db::query::{
    DynQuerySet, Exists, Expression, OuterRef, RowRange, Subquery, ValueRange, Window, F, Q,
};
use nuages_db::Vendor;

nuages_db::__private::inventory::submit! { ModelRegistration(|| &common::AUTHOR) }
nuages_db::__private::inventory::submit! { ModelRegistration(|| &common::GENRE) }
nuages_db::__private::inventory::submit! { ModelRegistration(|| &common::PUBLISHER) }
nuages_db::__private::inventory::submit! { ModelRegistration(|| &common::BOOK) }

fn books() -> DynQuerySet {
    DynQuerySet::new(&common::BOOK)
}

fn authors() -> DynQuerySet {
    DynQuerySet::new(&common::AUTHOR)
}

fn genres() -> DynQuerySet {
    DynQuerySet::new(&common::GENRE)
}

/// The recorded queries: a name and the SQL (with parameters) for a vendor.
fn cases(v: Vendor) -> Vec<(&'static str, nuages_db::Result<Option<CompiledSql>>)> {
    let sql = |qs: DynQuerySet| qs.sql(v);
    let rank_by_publisher = || {
        Window::new(Rank::new())
            .partition_by(["publisher"])
            .order_by(["-rating"])
    };
    vec![
        // Aggregation.
        (
            "aggregate",
            books()
                .aggregate_sql(
                    v,
                    &[
                        ("n", Expression::from(Count::new("*"))),
                        ("avg_price", Avg::new("price").into()),
                    ],
                )
                .map(|a| a.compiled),
        ),
        (
            "annotate_count_having",
            sql(authors()
                .annotate([("n", Count::new("book"))])
                .filter(Q::lookup("n__gt", 1))
                .order_by(["-n"])),
        ),
        (
            "having_two_conditions",
            sql(authors()
                .annotate([
                    ("n", Expression::from(Count::new("book"))),
                    ("total", Sum::new("book__price").into()),
                ])
                .filter(Q::lookup("n__gt", 1) & Q::lookup("total__lt", 100))
                .order_by(["id"])),
        ),
        (
            "values_annotate_unordered",
            sql(books().values(["publisher"]).annotate([
                ("n", Expression::from(Count::new("id"))),
                ("total", Sum::new("price").into()),
            ])),
        ),
        (
            "aggregate_filter",
            sql(authors()
                .annotate([(
                    "good",
                    Count::new("book").filter(Q::lookup("book__rating__gte", 4)),
                )])
                .order_by(["id"])),
        ),
        (
            "count_grouped",
            books()
                .values(["publisher"])
                .annotate([("n", Count::new("id"))])
                .count_sql(v),
        ),
        // Subqueries.
        (
            "annotate_exists",
            sql(authors()
                .annotate([(
                    "has_cheap",
                    Exists::new(
                        books().filter(Q::lookup("author", OuterRef::new("pk")) & Q::lookup("price__lt", 10)),
                    ),
                )])
                .values(["id", "has_cheap"])
                .order_by(["id"])),
        ),
        (
            "annotate_latest_subquery",
            sql(authors().annotate([(
                "latest",
                Subquery::new(
                    books()
                        .filter_str("author", OuterRef::new("pk"))
                        .order_by(["-published"])
                        .values(["title"])
                        .slice(None, Some(1)),
                ),
            )])),
        ),
        (
            "filter_in_subquery",
            sql(books().filter_str("author__in", authors().filter_str("name__startswith", "A"))),
        ),
        (
            "filter_not_exists",
            sql(authors().filter(!Exists::new(books().filter_str("author", OuterRef::new("pk"))))),
        ),
        // Set operations.
        (
            "union_ordered",
            sql(genres()
                .filter_str("name__startswith", "F")
                .union([genres().filter_str("name__startswith", "H")], false)
                .order_by(["name"])),
        ),
        (
            "difference_values_sliced",
            sql(genres()
                .values_list(["name"], true, false)
                .difference([genres()
                    .filter_str("name__icontains", "x")
                    .values_list(["name"], true, false)])
                .order_by(["name"])
                .slice(Some(0), Some(5))),
        ),
        // Windows.
        (
            "window_rank_partition",
            sql(books().annotate([
                ("rank", Expression::from(rank_by_publisher())),
                (
                    "dense",
                    Window::new(DenseRank::new())
                        .order_by([F::new("price").desc().nulls_last()])
                        .into(),
                ),
                ("row", Window::new(RowNumber::new()).into()),
            ])),
        ),
        (
            "window_frames",
            sql(books().annotate([
                (
                    "running",
                    Expression::from(
                        Window::new(Sum::new("price"))
                            .order_by(["published"])
                            .frame(RowRange::new(None, Some(0))),
                    ),
                ),
                (
                    "near",
                    Window::new(Avg::new("rating"))
                        .order_by(["rating"])
                        .frame(ValueRange::new(Some(-1), Some(1)))
                        .into(),
                ),
                (
                    "previous",
                    Window::new(Lag::with("price", 2, None))
                        .order_by(["published"])
                        .into(),
                ),
            ])),
        ),
        (
            "window_filter_qualify",
            sql(books()
                .annotate([("rank", rank_by_publisher())])
                .filter(Q::lookup("rank", 1) & Q::lookup("in_print", true))
                .order_by(["title"])
                .slice(None, Some(10))),
        ),
        (
            "window_filter_masked",
            sql(books()
                .alias([("rank", rank_by_publisher())])
                .filter(Q::lookup("rank__lte", 3))
                .values(["title"])),
        ),
        (
            "window_filter_count",
            books()
                .annotate([("rank", rank_by_publisher())])
                .filter(Q::lookup("rank", 1))
                .count_sql(v),
        ),
    ]
}

fn render(v: Vendor) -> String {
    let mut out = String::new();
    for (name, compiled) in cases(v) {
        out.push_str(&format!("-- {name}\n"));
        match compiled {
            Ok(Some(c)) => {
                out.push_str(&c.sql);
                out.push_str(";\n");
                out.push_str(&format!("-- params: {:?}\n", c.params));
            }
            Ok(None) => out.push_str("-- (matches nothing: no query)\n"),
            Err(e) => out.push_str(&format!("-- error: {e}\n")),
        }
        out.push('\n');
    }
    out
}

fn check(v: Vendor, file: &str) {
    let path = format!(
        "{}/tests/snapshots/queries_{file}.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    let got = render(v);
    if std::env::var_os("NUAGES_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    if got != want {
        let (g, w): (Vec<&str>, Vec<&str>) = (got.split("\n\n").collect(), want.split("\n\n").collect());
        for (a, b) in g.iter().zip(&w) {
            assert_eq!(a, b, "the SQL differs from {path} (NUAGES_BLESS=1 re-records it)");
        }
        assert_eq!(g.len(), w.len(), "a different number of queries than {path}");
    }
}

#[test]
fn sqlite_sql() {
    check(Vendor::Sqlite, "sqlite");
}

#[test]
fn postgresql_sql() {
    check(Vendor::Postgres, "postgresql");
}

#[test]
fn mysql_sql() {
    check(Vendor::MySql, "mysql");
}
