//! The fetches of `benches/driver.rs` without criterion, for counting instructions
//! with callgrind (stable while other processes load the machine, unlike wall-clock
//! time): fills the table, then runs one case `N` times inside `measure`, which is what
//! callgrind is told to count.
//!
//! ```sh
//! cargo bench -p nuages-db --bench fetch_ir --no-run
//! valgrind --tool=callgrind --toggle-collect='fetch_ir::measure*' \
//!     target/release/deps/fetch_ir-* sqlite queryset 20
//! ```
//!
//! Backend `sqlite` or `postgresql` (with `NUAGES_TEST_POSTGRES_URL` set), case `bare`,
//! `queryset` (`QuerySet::fetch`) or `rows` (`connection::fetch`). The instructions per
//! row are callgrind's total divided by `N` x 10,000; the first iteration (preparing the
//! statement, compiling the query) is left out of the count by a warm-up call.

mod support;

use nuages_db::backends::sqlite::rusqlite;
use nuages_db::connection;
use nuages_db::models::manager::Manager;
use support::{bare_sqlite, check, fill, from_values, item_from_pg, Item, SELECT};
use tokio::runtime::Runtime;

/// One fetch of the case.
enum Case {
    SqliteBare(rusqlite::Connection),
    PgBare(tokio_postgres::Client, tokio_postgres::Statement),
    QuerySet(&'static str),
    Rows(&'static str),
}

impl Case {
    fn run(&self, rt: &Runtime) {
        match self {
            Case::SqliteBare(conn) => {
                check(&bare_sqlite(conn));
            }
            Case::PgBare(client, stmt) => rt.block_on(async {
                let rows = client.query(stmt, &[]).await.unwrap();
                let items: Vec<Item> = rows.iter().map(item_from_pg).collect();
                check(&items);
            }),
            Case::QuerySet(alias) => rt.block_on(async {
                let items = Item::objects()
                    .using(alias)
                    .order_by(["id"])
                    .fetch()
                    .await
                    .unwrap();
                check(&items);
            }),
            Case::Rows(alias) => rt.block_on(async {
                let rows = connection::fetch(alias, SELECT, &[]).await.unwrap();
                let items: Vec<Item> = rows.into_iter().map(|r| from_values(r.into_values())).collect();
                check(&items);
            }),
        }
    }
}

/// What callgrind counts (`--toggle-collect='fetch_ir::measure*'`).
#[inline(never)]
fn measure(case: &Case, rt: &Runtime, n: usize) {
    for _ in 0..n {
        case.run(rt);
    }
}

fn main() {
    // `cargo bench` passes `--bench`; the rest are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let backend = args.first().map_or("sqlite", String::as_str);
    let case = args.get(1).map_or("queryset", String::as_str);
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let rt = Runtime::new().unwrap();
    let path = std::env::temp_dir().join(format!("nuages_fetch_ir_{}.sqlite3", std::process::id()));
    let alias = match backend {
        "sqlite" => {
            let _ = std::fs::remove_file(&path);
            let settings = nuages_core::DatabaseSettings {
                url: format!("sqlite://{}", path.display()),
                ..Default::default()
            };
            connection::register("bench_sqlite", &settings).unwrap();
            rt.block_on(fill("bench_sqlite", "?, ?, ?, ?"));
            "bench_sqlite"
        }
        "postgresql" => {
            let url = std::env::var("NUAGES_TEST_POSTGRES_URL").expect("NUAGES_TEST_POSTGRES_URL is not set");
            let settings = nuages_core::DatabaseSettings {
                url,
                ..Default::default()
            };
            connection::register("bench_pg", &settings).unwrap();
            rt.block_on(fill("bench_pg", "$1, $2, $3, $4"));
            "bench_pg"
        }
        other => panic!("unknown backend {other}"),
    };
    let case = match (backend, case) {
        ("sqlite", "bare") => Case::SqliteBare(rusqlite::Connection::open(&path).unwrap()),
        ("postgresql", "bare") => {
            let url = std::env::var("NUAGES_TEST_POSTGRES_URL").unwrap_or_default();
            let (client, stmt) = rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                let stmt = client.prepare(SELECT).await.unwrap();
                (client, stmt)
            });
            Case::PgBare(client, stmt)
        }
        (_, "queryset") => Case::QuerySet(alias),
        (_, "rows") => Case::Rows(alias),
        (_, other) => panic!("unknown case {other}"),
    };
    case.run(&rt);
    measure(&case, &rt, n);
    if backend == "postgresql" {
        rt.block_on(connection::execute_script(
            alias,
            "DROP TABLE IF EXISTS bench_rows",
        ))
        .unwrap();
    }
    connection::unregister(alias);
    let _ = std::fs::remove_file(&path);
}
