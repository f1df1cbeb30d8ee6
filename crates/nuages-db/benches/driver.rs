//! Fetching 10,000 rows into structs: the bare driver vs the ORM
//! (`Item::objects().order_by(["id"]).fetch()`, the model path) and vs raw SQL through
//! `nuages_db::connection::fetch`, on SQLite (always; there also the bare read on a thread
//! of its own, what a hop between threads costs) and PostgreSQL (when
//! `NUAGES_TEST_POSTGRES_URL` is set); on PostgreSQL also one row by primary key, bare vs
//! `get(pk=...)`.
//!
//! Run: `cargo bench -p nuages-db --bench driver`.

mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use nuages_db::backends::sqlite::rusqlite;
use nuages_db::connection;
use nuages_db::models::manager::Manager;
use support::{bare_sqlite, check, fill, from_values, item_from_pg, Item, SELECT};
use tokio::runtime::Runtime;

fn sqlite(c: &mut Criterion, rt: &Runtime) {
    let path = std::env::temp_dir().join(format!("nuages_bench_{}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let settings = nuages_core::DatabaseSettings {
        url: format!("sqlite://{}", path.display()),
        ..Default::default()
    };
    connection::register("bench_sqlite", &settings).unwrap();
    rt.block_on(fill("bench_sqlite", "?, ?, ?, ?"));

    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut group = c.benchmark_group("fetch_10k_rows/sqlite");
    group.sample_size(20);
    group.bench_function("bare rusqlite", |b| {
        b.iter(|| {
            check(&bare_sqlite(&conn));
        })
    });
    // The same bare read on a thread of its own, answering over a channel as the ORM's
    // SQLite connection threads do: what the hop between threads costs by itself.
    let (jobs, job_rx) = std::sync::mpsc::channel::<tokio::sync::oneshot::Sender<Vec<Item>>>();
    let thread_path = path.clone();
    let worker = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(&thread_path).unwrap();
        while let Ok(reply) = job_rx.recv() {
            let _ = reply.send(bare_sqlite(&conn));
        }
    });
    group.bench_function("bare rusqlite on a connection thread", |b| {
        b.to_async(rt).iter(|| async {
            let (tx, rx) = tokio::sync::oneshot::channel();
            jobs.send(tx).unwrap();
            check(&rx.await.unwrap());
        })
    });
    drop(jobs);
    worker.join().unwrap();
    group.bench_function("QuerySet::fetch", |b| {
        b.to_async(rt).iter(|| async {
            let items = Item::objects()
                .using("bench_sqlite")
                .order_by(["id"])
                .fetch()
                .await
                .unwrap();
            check(&items);
        })
    });
    group.bench_function("connection::fetch", |b| {
        b.to_async(rt).iter(|| async {
            let rows = connection::fetch("bench_sqlite", SELECT, &[]).await.unwrap();
            let items: Vec<Item> = rows.into_iter().map(|r| from_values(r.into_values())).collect();
            check(&items);
        })
    });
    group.finish();
    connection::unregister("bench_sqlite");
    let _ = std::fs::remove_file(&path);
}

fn postgres(c: &mut Criterion, rt: &Runtime, url: &str) {
    let settings = nuages_core::DatabaseSettings {
        url: url.to_owned(),
        ..Default::default()
    };
    connection::register("bench_pg", &settings).unwrap();
    rt.block_on(fill("bench_pg", "$1, $2, $3, $4"));
    let client = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    });
    let stmt = rt.block_on(client.prepare(SELECT)).unwrap();

    let mut group = c.benchmark_group("fetch_10k_rows/postgresql");
    group.sample_size(20);
    group.bench_function("bare tokio-postgres", |b| {
        b.to_async(rt).iter(|| async {
            let rows = client.query(&stmt, &[]).await.unwrap();
            let items: Vec<Item> = rows.iter().map(item_from_pg).collect();
            check(&items);
        })
    });
    group.bench_function("QuerySet::fetch", |b| {
        b.to_async(rt).iter(|| async {
            let items = Item::objects()
                .using("bench_pg")
                .order_by(["id"])
                .fetch()
                .await
                .unwrap();
            check(&items);
        })
    });
    group.bench_function("connection::fetch", |b| {
        b.to_async(rt).iter(|| async {
            let rows = connection::fetch("bench_pg", SELECT, &[]).await.unwrap();
            let items: Vec<Item> = rows.into_iter().map(|r| from_values(r.into_values())).collect();
            check(&items);
        })
    });
    group.finish();

    // One row by primary key, the query of TechEmpower's /db: the statement prepared
    // once vs `get(pk=...)` (cached compiled statement, shared pipelined connection).
    let by_pk = rt
        .block_on(client.prepare("SELECT id, name, score, note FROM bench_rows WHERE id = $1"))
        .unwrap();
    let mut group = c.benchmark_group("get_by_pk/postgresql");
    group.bench_function("bare tokio-postgres", |b| {
        b.to_async(rt).iter(|| async {
            let r = client.query_one(&by_pk, &[&5000i32]).await.unwrap();
            let item = Item {
                id: r.get::<_, i32>(0).into(),
                name: r.get(1),
                score: r.get(2),
                note: r.get(3),
            };
            assert_eq!(item.id, 5000);
        })
    });
    group.bench_function("QuerySet::get_pk", |b| {
        b.to_async(rt).iter(|| async {
            let item = Item::objects().using("bench_pg").get_pk(5000).await.unwrap();
            assert_eq!(item.id, 5000);
        })
    });
    group.finish();
    rt.block_on(connection::execute_script(
        "bench_pg",
        "DROP TABLE IF EXISTS bench_rows",
    ))
    .unwrap();
    connection::unregister("bench_pg");
}

fn benches(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    sqlite(c, &rt);
    if let Some(url) = std::env::var("NUAGES_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        postgres(c, &rt, &url);
    }
}

criterion_group!(driver, benches);
criterion_main!(driver);
