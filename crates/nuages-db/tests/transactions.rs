//! `transaction::atomic` on every backend under test.

use std::sync::{Arc, Mutex};

use nuages_db::capture::capture_queries;
use nuages_db::{connection, testing, transaction, DbError, FromValue, Value, Vendor};

fn insert_sql(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Postgres => "INSERT INTO t (n) VALUES ($1)",
        _ => "INSERT INTO t (n) VALUES (?)",
    }
}

async fn setup(alias: &str) {
    connection::execute_script(alias, "CREATE TABLE t (n integer NOT NULL UNIQUE)")
        .await
        .unwrap();
}

async fn values(alias: &str) -> Vec<i64> {
    let rows = connection::fetch(alias, "SELECT n FROM t ORDER BY n", &[])
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| i64::from_value(r.into_values().remove(0)).unwrap())
        .collect()
}

async fn insert(alias: &str, vendor: Vendor, n: i64) -> Result<(), DbError> {
    connection::execute(alias, insert_sql(vendor), &[Value::Int(n)])
        .await
        .map(|_| ())
}

#[tokio::test]
async fn commit_on_ok_and_rollback_on_err() {
    for db in testing::databases().await.unwrap() {
        let (a, v) = (db.alias.as_str(), db.vendor);
        setup(a).await;
        let out: Result<i32, DbError> = transaction::atomic_using(a, || async {
            assert!(transaction::in_atomic_block(a));
            insert(a, v, 1).await?;
            Ok(7)
        })
        .await;
        assert_eq!(out.unwrap(), 7);
        assert!(!transaction::in_atomic_block(a));
        // A failed write inside atomic leaves the database as it was.
        let out: Result<(), DbError> = transaction::atomic_using(a, || async {
            insert(a, v, 2).await?;
            insert(a, v, 1).await?; // duplicate
            Ok(())
        })
        .await;
        assert_eq!(out.unwrap_err().class_name(), "IntegrityError");
        assert_eq!(values(a).await, [1], "{}", v.name());
    }
}

#[tokio::test]
async fn nested_rollback_keeps_the_outer_work() {
    for db in testing::databases().await.unwrap() {
        let (a, v) = (db.alias.as_str(), db.vendor);
        setup(a).await;
        let out: Result<(), DbError> = transaction::atomic_using(a, || async {
            insert(a, v, 1).await?;
            let inner: Result<(), DbError> = transaction::atomic_using(a, || async {
                insert(a, v, 2).await?;
                insert(a, v, 1).await?; // duplicate: the savepoint rolls back
                Ok(())
            })
            .await;
            assert!(inner.is_err());
            transaction::atomic_using(a, || async { insert(a, v, 3).await }).await?;
            Ok(())
        })
        .await;
        out.unwrap();
        assert_eq!(values(a).await, [1, 3], "{}", v.name());
    }
}

#[tokio::test]
async fn on_commit_runs_after_the_outermost_commit_in_order() {
    for db in testing::databases().await.unwrap() {
        let (a, v) = (db.alias.as_str(), db.vendor);
        setup(a).await;
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let out: Result<(), DbError> = transaction::atomic_using(a, || async {
            let l1 = l.clone();
            transaction::on_commit_using(a, move || l1.lock().unwrap().push("first"));
            let l2 = l.clone();
            transaction::atomic_using(a, || async {
                transaction::on_commit_using(a, move || l2.lock().unwrap().push("second"));
                Ok::<_, DbError>(())
            })
            .await?;
            let l3 = l.clone();
            let _ = transaction::atomic_using(a, || async {
                transaction::on_commit_using(a, move || l3.lock().unwrap().push("rolled back"));
                Err::<(), _>(DbError::ValueError("no".into()))
            })
            .await;
            insert(a, v, 1).await?;
            assert!(l.lock().unwrap().is_empty(), "hooks wait for the commit");
            Ok(())
        })
        .await;
        out.unwrap();
        assert_eq!(*log.lock().unwrap(), ["first", "second"]);

        let l = log.clone();
        let _: Result<(), DbError> = transaction::atomic_using(a, || async {
            transaction::on_commit_using(a, move || l.lock().unwrap().push("discarded"));
            Err(DbError::ValueError("rollback".into()))
        })
        .await;
        let l = log.clone();
        transaction::on_commit_using(a, move || l.lock().unwrap().push("immediate"));
        assert_eq!(*log.lock().unwrap(), ["first", "second", "immediate"]);
    }
}

#[tokio::test]
async fn panics_roll_back_and_continue() {
    for db in testing::databases().await.unwrap() {
        let (a, v) = (db.alias.clone(), db.vendor);
        setup(&a).await;
        let task_alias = a.clone();
        let joined = tokio::spawn(async move {
            let a = task_alias.as_str();
            let _: Result<(), DbError> = transaction::atomic_using(a, || async {
                insert(a, v, 5).await?;
                panic!("boom");
            })
            .await;
        })
        .await;
        assert!(joined.unwrap_err().is_panic());
        assert!(values(&a).await.is_empty(), "{}", v.name());
        // The connection went back to the pool in a usable state.
        transaction::atomic_using(&a, || async { insert(&a, v, 6).await })
            .await
            .unwrap();
        assert_eq!(values(&a).await, [6]);
    }
}

#[tokio::test]
async fn set_rollback_and_explicit_savepoints() {
    for db in testing::databases().await.unwrap() {
        let (a, v) = (db.alias.as_str(), db.vendor);
        setup(a).await;
        assert_eq!(
            transaction::set_rollback(a, true).unwrap_err().class_name(),
            "TransactionManagementError"
        );
        let out: Result<(), DbError> = transaction::atomic_using(a, || async {
            insert(a, v, 1).await?;
            assert!(!transaction::get_rollback(a)?);
            transaction::set_rollback(a, true)?;
            assert!(transaction::get_rollback(a)?);
            let err = insert(a, v, 9).await.unwrap_err();
            assert_eq!(err.class_name(), "TransactionManagementError");
            Ok(())
        })
        .await;
        out.unwrap();
        assert!(values(a).await.is_empty(), "set_rollback rolls back on Ok");

        let out: Result<(), DbError> = transaction::atomic_using(a, || async {
            insert(a, v, 1).await?;
            let sid = transaction::savepoint(a).await?;
            insert(a, v, 2).await?;
            transaction::savepoint_rollback(a, &sid).await?;
            let sid = transaction::savepoint(a).await?;
            insert(a, v, 3).await?;
            transaction::savepoint_commit(a, &sid).await?;
            Ok(())
        })
        .await;
        out.unwrap();
        assert_eq!(values(a).await, [1, 3]);
        assert!(transaction::savepoint(a).await.is_err());
    }
}

#[tokio::test]
async fn queries_inside_atomic_use_its_connection() {
    for db in testing::databases().await.unwrap() {
        let (a, v) = (db.alias.clone(), db.vendor);
        setup(&a).await;
        let (out, queries) = capture_queries(transaction::atomic_using(&a, || async {
            insert(&a, v, 1).await?;
            // Uncommitted work is visible inside the block.
            assert_eq!(values(&a).await, [1]);
            transaction::atomic_using(&a, || async { insert(&a, v, 2).await }).await
        }))
        .await;
        out.unwrap();
        let sqls: Vec<&str> = queries.iter().map(|q| q.sql.as_str()).collect();
        assert_eq!(sqls.len(), 5, "{sqls:?}");
        assert!(sqls[2].starts_with("SAVEPOINT"));
        assert!(sqls[4].starts_with("RELEASE SAVEPOINT"));
        assert_eq!(values(&a).await, [1, 2]);
    }
}

#[tokio::test]
async fn sqlite_memory_transactions_are_seen_by_later_queries() {
    let dbs = testing::databases().await.unwrap();
    let a = dbs[0].alias.as_str();
    setup(a).await;
    transaction::atomic_using(a, || async { insert(a, Vendor::Sqlite, 1).await })
        .await
        .unwrap();
    let spawned = a.to_owned();
    let seen = tokio::spawn(async move { values(&spawned).await }).await.unwrap();
    assert_eq!(seen, [1]);
}

#[tokio::test]
async fn a_cancelled_block_rolls_back_and_frees_its_connection() {
    for db in testing::databases().await.unwrap() {
        let (a, v) = (db.alias.as_str(), db.vendor);
        setup(a).await;
        let block = transaction::atomic_using(a, || async {
            insert(a, v, 1).await?;
            futures::future::pending::<()>().await;
            Ok::<_, DbError>(())
        });
        assert!(tokio::time::timeout(std::time::Duration::from_millis(300), block)
            .await
            .is_err());
        assert!(!transaction::in_atomic_block(a));
        assert!(values(a).await.is_empty(), "{}", v.name());
        transaction::atomic_using(a, || async { insert(a, v, 2).await })
            .await
            .unwrap();
        assert_eq!(values(a).await, [2], "{}", v.name());
    }
}

#[tokio::test]
async fn streams_inside_atomic_see_uncommitted_rows() {
    use futures::StreamExt;
    for db in testing::databases().await.unwrap() {
        let (a, v) = (db.alias.clone(), db.vendor);
        setup(&a).await;
        let out: Result<(), DbError> = transaction::atomic_using(&a, || async {
            insert(&a, v, 1).await?;
            insert(&a, v, 2).await?;
            let rows: Vec<_> =
                connection::fetch_stream(a.clone(), "SELECT n FROM t ORDER BY n".into(), vec![])
                    .collect()
                    .await;
            assert_eq!(rows.len(), 2, "{}", v.name());
            Err(DbError::ValueError("roll back".into()))
        })
        .await;
        assert!(out.is_err());
        assert!(values(&a).await.is_empty());
    }
}

/// A query of many rows whose progress can be watched from outside ([`produced`]): a
/// counting SQL function on SQLite, a sequence on PostgreSQL, the server's process list
/// (is the query still running?) on MySQL. Each test has its own, as tests run at once.
struct Big {
    /// Names the sequence and the SQLite function; distinct per test.
    tag: &'static str,
    /// How many rows (distinct per test, so MySQL's process lists tell them apart).
    rows: i64,
    ticks: &'static std::sync::atomic::AtomicI64,
}

static INSIDE_TICKS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
static OUTSIDE_TICKS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

const INSIDE: Big = Big {
    tag: "inside",
    rows: 300_000,
    ticks: &INSIDE_TICKS,
};
const OUTSIDE: Big = Big {
    tag: "outside",
    rows: 300_001,
    ticks: &OUTSIDE_TICKS,
};

async fn big_query(a: &str, v: Vendor, big: &Big) -> String {
    let (tag, rows) = (big.tag, big.rows);
    match v {
        Vendor::Sqlite => {
            let ticks = big.ticks;
            nuages_db::backends::sqlite::register_connection_hook(move |c| {
                c.create_scalar_function(
                    format!("nuages_test_tick_{tag}").as_str(),
                    1,
                    nuages_db::backends::sqlite::rusqlite::functions::FunctionFlags::empty(),
                    move |ctx| {
                        ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        ctx.get::<i64>(0)
                    },
                )
            });
            format!("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {rows}) SELECT nuages_test_tick_{tag}(n) FROM c")
        }
        Vendor::Postgres => {
            connection::execute_script(a, &format!("CREATE SEQUENCE ticks_{tag}"))
                .await
                .unwrap();
            format!("SELECT n, nextval('ticks_{tag}') FROM generate_series(1, {rows}) AS n")
        }
        Vendor::MySql => format!("SELECT seq, REPEAT('x', 200) FROM seq_1_to_{rows}"),
    }
}

/// Rows produced so far, or for MySQL 0 while the query still runs and all after.
async fn produced(a: &str, v: Vendor, big: &Big) -> i64 {
    match v {
        Vendor::Sqlite => big.ticks.load(std::sync::atomic::Ordering::SeqCst),
        Vendor::Postgres => {
            let rows = connection::fetch(a, &format!("SELECT last_value FROM ticks_{}", big.tag), &[])
                .await
                .unwrap();
            i64::from_value(rows[0].get(0).unwrap().clone()).unwrap()
        }
        Vendor::MySql => {
            let sql = format!(
                "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE '%seq_1_to_{}%' AND id <> CONNECTION_ID()",
                big.rows
            );
            let rows = connection::fetch(a, &sql, &[]).await.unwrap();
            let running = i64::from_value(rows[0].get(0).unwrap().clone()).unwrap();
            if running > 0 {
                0
            } else {
                big.rows
            }
        }
    }
}

/// Reads the first row of `rows`, checks that the database had produced well under half
/// of [`Big::rows`] by then (the rest was not read into memory first), then reads the rest.
async fn first_row_before_the_rest(
    a: &str,
    v: Vendor,
    big: &'static Big,
    mut rows: std::pin::Pin<Box<dyn futures::Stream<Item = Result<nuages_db::Row, DbError>> + Send>>,
) -> Result<(), DbError> {
    use futures::StreamExt;
    assert!(rows.next().await.unwrap().is_ok());
    let seen = tokio::task::spawn({
        let a = a.to_owned();
        async move { produced(&a, v, big).await }
    })
    .await
    .unwrap();
    assert!(
        seen < big.rows / 2,
        "{}: {seen} rows produced before the first was read",
        v.name()
    );
    let mut n = 1;
    while let Some(row) = rows.next().await {
        row?;
        n += 1;
    }
    assert_eq!(n, big.rows, "{}", v.name());
    Ok(())
}

#[tokio::test]
async fn iterator_outside_atomic_streams_without_loading_all_rows() {
    for db in testing::databases().await.unwrap() {
        let (mut a, v) = (db.alias.clone(), db.vendor);
        // The test alias of SQLite is in memory, one connection, which reads a stream's rows
        // at once (other statements would wait for it); a file's pool streams.
        let path = std::env::temp_dir().join(format!("nuages_stream_{}.sqlite3", std::process::id()));
        if matches!(v, Vendor::Sqlite) {
            let _ = std::fs::remove_file(&path);
            a = "transactions_stream_file".to_owned();
            let settings = nuages_core::DatabaseSettings {
                url: format!("sqlite://{}", path.display()),
                pool_size: 2,
                ..Default::default()
            };
            connection::register(&a, &settings).unwrap();
        }
        let sql = big_query(&a, v, &OUTSIDE).await;
        let rows = Box::pin(connection::fetch_stream_chunked(a.clone(), sql, vec![], 100));
        first_row_before_the_rest(&a, v, &OUTSIDE, rows).await.unwrap();
        if matches!(v, Vendor::Sqlite) {
            connection::unregister(&a);
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[tokio::test]
async fn iterator_inside_atomic_streams_from_the_transaction_connection() {
    for db in testing::databases().await.unwrap() {
        let (a, v) = (db.alias.clone(), db.vendor);
        let sql = big_query(&a, v, &INSIDE).await;
        let out: Result<(), DbError> = transaction::atomic_using(&a, || async {
            let rows = Box::pin(connection::fetch_stream_chunked(
                a.clone(),
                sql.clone(),
                vec![],
                100,
            ));
            first_row_before_the_rest(&a, v, &INSIDE, rows).await
        })
        .await;
        out.unwrap();
    }
}

#[tokio::test]
async fn statements_while_an_iterator_is_open_inside_atomic() {
    use futures::StreamExt;
    for db in testing::databases().await.unwrap() {
        let (a, v) = (db.alias.clone(), db.vendor);
        setup(&a).await;
        let out: Result<(), DbError> = transaction::atomic_using(&a, || async {
            for n in 1..=30 {
                insert(&a, v, n).await?;
            }
            let sql = "SELECT n FROM t ORDER BY n".to_owned();
            let mut first = Box::pin(connection::fetch_stream_chunked(
                a.clone(),
                sql.clone(),
                vec![],
                4,
            ));
            let mut second = Box::pin(connection::fetch_stream_chunked(
                a.clone(),
                sql.clone(),
                vec![],
                4,
            ));
            let mut got = Vec::new();
            got.push(i64::from_value(
                first.next().await.unwrap()?.into_values().remove(0),
            )?);
            // The second iterator is read before the first finished, and a write runs
            // between them: the first keeps its rows, the second sees the write too.
            got.push(i64::from_value(
                second.next().await.unwrap()?.into_values().remove(0),
            )?);
            insert(&a, v, 100).await?;
            let rest: Vec<_> = first.collect().await;
            assert_eq!(rest.len(), 29, "{}", v.name());
            let rest_second: Vec<_> = second.collect().await;
            assert_eq!(rest_second.len(), 29, "{}", v.name());
            assert_eq!(got, [1, 1]);
            // An iterator dropped early leaves the connection usable.
            let mut third = Box::pin(connection::fetch_stream_chunked(
                a.clone(),
                sql.clone(),
                vec![],
                2,
            ));
            third.next().await.unwrap()?;
            drop(third);
            assert_eq!(values(&a).await.len(), 31, "{}", v.name());
            // A query error reaches the iterator.
            let failed: Vec<_> =
                connection::fetch_stream_chunked(a.clone(), "SELECT nope FROM t".into(), vec![], 2)
                    .collect()
                    .await;
            assert!(failed.len() == 1 && failed[0].is_err(), "{}", v.name());
            Err(DbError::ValueError("roll back".into()))
        })
        .await;
        assert_eq!(out.unwrap_err().class_name(), "ValueError");
        assert!(values(&a).await.is_empty(), "{}", v.name());
    }
}
