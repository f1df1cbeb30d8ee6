//! The six TechEmpower test types as ordinary views: a `JsonResponse` built from a
//! serializable value (`/json` and `/plaintext` are synchronous views), QuerySets for every read (each its own query by primary key),
//! `bulk_update` for the writes and the template engine for the Fortunes table.
//!
//! `/queries` and `/updates` issue their N reads concurrently (`try_join_all`): still N
//! separate single-row SELECTs, as the rules require, but pipelined on the shared
//! PostgreSQL connections instead of waiting for each round trip in turn. The bare
//! reference implementation (`bench/tfb-reference`) does the same.

use std::sync::Arc;

use futures::future::try_join_all;
use nuages_db::models::manager::Manager;
use nuages_db::DbError;
use nuages_http::{HttpError, HttpRequest, HttpResponse, JsonResponse, ViewResult};
use nuages_template::{Context, Value};
use rand::Rng;
use serde::Serialize;

use crate::models::{Fortune, World};
use crate::project::Site;

/// The largest `queries` value; larger ones are clamped to it.
pub const MAX_QUERIES: usize = 500;

/// The number of rows in `world` (ids `1..=WORLD_ROWS`).
pub const WORLD_ROWS: i32 = 10_000;

/// The message of the fortune added at request time.
pub const EXTRA_FORTUNE: &str = "Additional fortune added at request time.";

/// A database error as the 500 an uncaught exception gives in Django.
fn db_error(e: DbError) -> HttpError {
    HttpError::other(e)
}

/// A random `world` id (and random number): uniform in `1..=10000`.
fn random_number() -> i32 {
    rand::rng().random_range(1..=WORLD_ROWS)
}

/// `queries` as the rules read it: missing, empty, zero, negative or non-numeric is 1;
/// more than 500 is 500 (a number too large for an integer included).
pub fn queries_param(raw: Option<&str>) -> usize {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return 1;
    };
    match raw.parse::<i64>() {
        Ok(n) => n.clamp(1, MAX_QUERIES as i64) as usize,
        Err(_) if raw.bytes().all(|b| b.is_ascii_digit()) => MAX_QUERIES,
        Err(_) => 1,
    }
}

/// The object `/json` serializes.
#[derive(Serialize)]
struct Message {
    message: &'static str,
}

/// `GET /json`: `{"message": "Hello, World!"}`, serialized per request. A synchronous
/// view, as is `/plaintext`: neither waits on anything.
pub fn json(_request: HttpRequest) -> ViewResult {
    JsonResponse::new(&Message {
        message: "Hello, World!",
    })
}

/// `GET /plaintext`: `Hello, World!` as `text/plain`.
pub fn plaintext(_request: HttpRequest) -> ViewResult {
    Ok(HttpResponse::with_content_type("Hello, World!", "text/plain"))
}

/// `GET /db`: one random `World` by primary key.
pub async fn db(site: Arc<Site>, _request: HttpRequest) -> ViewResult {
    let world = World::objects()
        .using(&site.alias)
        .get_pk(random_number())
        .await
        .map_err(db_error)?;
    JsonResponse::new(&world)
}

/// `N` random `World` rows, one `get(pk=...)` each.
async fn random_worlds(alias: &str, n: usize) -> Result<Vec<World>, HttpError> {
    let ids: Vec<i32> = (0..n).map(|_| random_number()).collect();
    let worlds = World::objects().using(alias);
    try_join_all(ids.into_iter().map(|id| worlds.get_pk(id)))
        .await
        .map_err(db_error)
}

/// `GET /queries?queries=N`: N random `World` rows as a JSON array.
pub async fn queries(site: Arc<Site>, request: HttpRequest) -> ViewResult {
    let n = queries_param(request.GET().get("queries"));
    let worlds = random_worlds(&site.alias, n).await?;
    JsonResponse::with_safe(&worlds, false)
}

/// `GET /updates?queries=N`: N random `World` rows read one by one, each given a new
/// random number and written back with one `bulk_update`. The rows are written in key
/// order so that concurrent requests lock them in the same order (no deadlocks).
pub async fn updates(site: Arc<Site>, request: HttpRequest) -> ViewResult {
    let n = queries_param(request.GET().get("queries"));
    let mut worlds = random_worlds(&site.alias, n).await?;
    for world in &mut worlds {
        world.randomnumber = random_number();
    }
    worlds.sort_by_key(|w| w.id);
    World::objects()
        .using(&site.alias)
        .bulk_update(&worlds, &["randomnumber"], None)
        .await
        .map_err(db_error)?;
    JsonResponse::with_safe(&worlds, false)
}

/// `GET /fortunes`: every `Fortune`, plus one added now, sorted by message and rendered
/// by `tfb/fortunes.html` (autoescaped).
pub async fn fortunes(site: Arc<Site>, _request: HttpRequest) -> ViewResult {
    let mut fortunes = Fortune::objects()
        .using(&site.alias)
        .fetch()
        .await
        .map_err(db_error)?;
    fortunes.push(Fortune {
        id: 0,
        message: EXTRA_FORTUNE.to_owned(),
    });
    fortunes.sort_by(|a, b| a.message.cmp(&b.message));
    let mut ctx = Context::new();
    // One allocation for the list's objects, not one per fortune.
    ctx.insert("fortunes", Value::objects(fortunes));
    let html = site
        .engine
        .render_to_string("tfb/fortunes.html", &mut ctx)
        .map_err(HttpError::Template)?;
    Ok(HttpResponse::new(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every view's future is allocated per request, at its largest state's size. It
    /// holds the PostgreSQL driver's future inline (over a kilobyte, in one allocation
    /// with the view's rather than one more per query); a `get(pk=...)` once also
    /// carried room for the general `get()` it rarely needs (2 KB more), which these
    /// bounds would catch.
    #[test]
    fn views_keep_small_futures() {
        fn future_size<A, B, F>(_view: fn(A, B) -> F) -> usize {
            std::mem::size_of::<F>()
        }
        let get_pk = std::mem::size_of_val(&World::objects().get_pk(1));
        assert!(get_pk <= 1792, "get_pk: {get_pk} bytes");
        for (name, size) in [("db", future_size(db)), ("fortunes", future_size(fortunes))] {
            assert!(size <= 2560, "{name}: {size} bytes");
        }
    }

    #[test]
    fn queries_are_clamped() {
        for (raw, n) in [
            (None, 1),
            (Some(""), 1),
            (Some(" "), 1),
            (Some("0"), 1),
            (Some("-3"), 1),
            (Some("foo"), 1),
            (Some("1.5"), 1),
            (Some("7"), 7),
            (Some("500"), 500),
            (Some("501"), 500),
            (Some("99999999999999999999999"), 500),
        ] {
            assert_eq!(queries_param(raw), n, "{raw:?}");
        }
    }
}
