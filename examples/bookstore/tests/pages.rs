//! Every page of the bookstore through the test client, on SQLite and (when their URLs
//! are set) PostgreSQL and MySQL: status, key content, and the number of queries each
//! page runs on the demo data.

mod support;

use bookstore::project::build_app;
use nuages_db::capture::capture_queries;
use nuages_http::{Client, TestResponse};

use support::{client, demo_databases as databases};

/// GETs `url`, returning the response and the number of queries it ran.
async fn get(client: &Client, url: &str) -> (TestResponse, usize) {
    let (response, queries) = capture_queries(client.get(url).send()).await;
    (response, queries.len())
}

fn rows(html: &str) -> usize {
    html.matches("<tr>").count() - 1
}

#[tokio::test]
async fn home_redirects_to_the_book_list() {
    for db in databases().await {
        let c = client(&db);
        let (r, n) = get(&c, "/").await;
        assert_eq!(
            (r.status.as_u16(), r.header("location"), n),
            (302, Some("/books/"), 0)
        );
        let (r, _) = get(&c, "/books").await;
        assert_eq!((r.status.as_u16(), r.header("location")), (301, Some("/books/")));
    }
}

#[tokio::test]
async fn book_list_paginates_with_a_fixed_number_of_queries() {
    for db in databases().await {
        let c = client(&db);
        let (r, n) = get(&c, "/books/").await;
        let html = r.text();
        assert_eq!(r.status.as_u16(), 200, "{:?}", db.vendor);
        assert_eq!(n, 4, "count, page, genres, genre menu ({:?})", db.vendor);
        assert!(html.contains("<h1>Books <small>250 found</small></h1>"));
        assert!(html.contains("<title>Books | nuages bookstore</title>"));
        assert!(html.contains("href=\"/static/bookstore/style.css\""));
        assert_eq!(rows(&html), 20);
        // Newest first (Meta.ordering), with author and genres from the prefetch queries.
        let first = html.find("The Silent Garden").unwrap();
        assert!(html[first..].contains("<a href=\"/authors/2/\">Søren Hoffmann</a>"));
        assert!(html.contains("<a class=\"tag\" href=\"/genres/biography/\">Biography</a>"));
        assert!(html.contains("<a href=\"?page=2\" rel=\"next\">Next &raquo;</a>"));
        assert!(html.contains("Showing 1&ndash;20 of 250."));
        assert_eq!(r.templates(), ["bookstore/book_list.html"]);

        let (r, n) = get(&c, "/books/?page=13").await;
        let html = r.text();
        assert_eq!((r.status.as_u16(), n, rows(&html)), (200, 4, 10));
        assert!(html.contains("Showing 241&ndash;250 of 250."));
        assert!(html.contains("rel=\"prev\""));
        assert!(!html.contains("rel=\"next\""));
        let (last, _) = get(&c, "/books/?page=last").await;
        assert_eq!(last.text(), html);
    }
}

#[tokio::test]
async fn book_list_filters_through_the_query_string() {
    for db in databases().await {
        let c = client(&db);
        for (url, count) in [
            ("/books/?title=MIDNIGHT", 11),
            ("/books/?year=1999", 7),
            ("/books/?genre=fiction", 29),
            ("/books/?author=walsh", 25),
            ("/books/?genre=no-such-genre", 0),
        ] {
            let (r, n) = get(&c, url).await;
            let html = r.text();
            assert_eq!(r.status.as_u16(), 200, "{url}");
            assert!(
                html.contains(&format!("<small>{count} found</small>")),
                "{url} ({:?})",
                db.vendor
            );
            assert_eq!(rows(&html), count.clamp(1, 20), "{url}");
            // An empty page is not fetched (`ListView`): count and genre menu.
            assert_eq!(n, if count == 0 { 2 } else { 4 }, "{url}");
        }
        // Filters combine (AND).
        let (r, _) = get(&c, "/books/?title=the&year=1999").await;
        assert!(r.text().contains("<small>4 found</small>"));
        // Filters are kept in the form and in the pagination links.
        let (r, _) = get(&c, "/books/?author=walsh&ordering=title").await;
        let html = r.text();
        assert!(html.contains("name=\"author\" value=\"walsh\""));
        assert!(html.contains("<option value=\"title\" selected>"));
        assert!(
            html.contains("href=\"?author=walsh&amp;ordering=title&amp;page=2\""),
            "{html}"
        );
        let (r, _) = get(&c, "/books/?ordering=title").await;
        let html = r.text();
        let first_row = &html[html.find("<tbody>").unwrap()..];
        assert!(first_row[..first_row.find("</tr>").unwrap()].contains("100% Pure"));
        // An ordering outside the whitelist falls back to the default.
        let (r, _) = get(&c, "/books/?ordering=author__email").await;
        assert!(r.text().contains("<option value=\"-publication_date\" selected>"));
    }
}

#[tokio::test]
async fn book_rows_carry_annotated_review_statistics() {
    for db in databases().await {
        let c = client(&db);
        // `?ordering=-num_reviews` orders by the annotation; 11 reviews is the most.
        let (r, n) = get(&c, "/books/?ordering=-num_reviews").await;
        let html = r.text();
        assert_eq!((r.status.as_u16(), n), (200, 4), "{:?}", db.vendor);
        let body = &html[html.find("<tbody>").unwrap()..];
        let first_row = &body[..body.find("</tr>").unwrap()];
        assert!(first_row.contains("The Golden Compass"), "{first_row}");
        assert!(
            first_row.contains("<td class=\"num\">11 (3.3&nbsp;&#9733;)</td>"),
            "{first_row}"
        );
    }
}

#[tokio::test]
async fn malformed_parameters_are_client_errors() {
    for db in databases().await {
        let c = client(&db);
        // ListView: a page that is not an integer or out of range is a 404.
        for url in [
            "/books/?page=abc",
            "/books/?page=0",
            "/books/?page=99",
            "/authors/?page=x",
        ] {
            let (r, n) = get(&c, url).await;
            assert_eq!((r.status.as_u16(), n), (404, 1), "{url}");
        }
        for url in [
            "/books/?year=nineteen",
            "/books/?year=0",
            "/books/?year=10000",
            "/books/?year=2147483647",
            "/books/?title=a%00b",
        ] {
            let (r, n) = get(&c, url).await;
            assert_eq!((r.status.as_u16(), n), (400, 0), "{url}");
        }
        // A page that is not a number, NUL included, is Django's 404 (after the genre
        // and the count).
        let (r, n) = get(&c, "/genres/fiction/?page=%00").await;
        assert_eq!((r.status.as_u16(), n), (404, 2));
        // No page, an empty page or one with spaces: as Django's `int()` reads them.
        for url in ["/books/?page=", "/books/?page=%202", "/authors/?page="] {
            let (r, _) = get(&c, url).await;
            assert_eq!(r.status.as_u16(), 200, "{url}");
        }
        let (r, _) = get(&c, "/books/?year=1999&page=1.0").await;
        assert_eq!(r.status.as_u16(), 404);
        // A pk past the 64-bit key's range: the lookup matches nothing (Django 5).
        for url in ["/books/99999999999999999999999/", "/authors/9223372036854775808/"] {
            let (r, _) = get(&c, url).await;
            assert_eq!(r.status.as_u16(), 404, "{url}");
        }
    }
}

#[tokio::test]
async fn book_detail_shows_relations_and_the_average_rating() {
    for db in databases().await {
        let c = client(&db);
        let (r, n) = get(&c, "/books/1/").await;
        let html = r.text();
        assert_eq!((r.status.as_u16(), n), (200, 4), "{:?}", db.vendor);
        assert!(html.contains("<h1>The Midnight Winter</h1>"));
        assert!(html.contains(
            "by <a href=\"/authors/10/\">Hiro Underwood</a>, published by O&#x27;Reilly Media (US)"
        ));
        assert!(html.contains("<dd>July 19, 1966</dd>"));
        assert!(html.contains("<dd>$63.56</dd>"));
        assert!(html.contains("<a class=\"tag\" href=\"/genres/self-help/\">Self-Help</a>"));
        assert!(html.contains("4.00 / 5 ★★★★☆ from 1 review</dd>"));
        assert!(html.contains("<footer>dave, Dec 21, 2010</footer>"));

        assert_eq!(r.templates(), ["bookstore/book_detail.html"]);
        assert!(html.contains("2 of 2 copies available."));

        // Five reviews (4, 4, 2, 3, 3): the average is 3.2 (`annotate(Avg(...))`).
        let (r, n) = get(&c, "/books/250/").await;
        assert_eq!((r.status.as_u16(), n), (200, 4));
        assert!(r.text().contains("3.20 / 5 ★★★☆☆ from 5 reviews</dd>"));
        assert_eq!(r.text().matches("<blockquote>").count(), 5);

        // No publisher, no reviews, not lent: the same four queries.
        let (r, n) = get(&c, "/books/6/").await;
        assert_eq!((r.status.as_u16(), n), (200, 4));
        assert!(!r.text().contains("published by"));
        let (r, n) = get(&c, "/books/2/").await;
        assert_eq!((r.status.as_u16(), n), (200, 4));
        assert!(r.text().contains("no reviews yet"));
        assert!(r.text().contains("Nobody has reviewed this book yet."));
        let (r, n) = get(&c, "/books/10/").await;
        assert_eq!((r.status.as_u16(), n), (200, 4));
        assert!(r.text().contains("This book is not lent out."));

        let (r, n) = get(&c, "/books/9999/").await;
        assert_eq!((r.status.as_u16(), n), (404, 1));
    }
}

#[tokio::test]
async fn author_list_counts_books() {
    for db in databases().await {
        let c = client(&db);
        let (r, n) = get(&c, "/authors/").await;
        let html = r.text();
        assert_eq!((r.status.as_u16(), n), (200, 2), "{:?}", db.vendor);
        assert!(html.contains("<h1>Authors <small>40</small></h1>"));
        assert_eq!(rows(&html), 20);
        assert!(html.find("Ada Bergström").unwrap() < html.find("Brian Nakamura").unwrap());
        assert!(html.contains("<a href=\"/authors/\" class=\"active\">Authors</a>"));
        let (r, n) = get(&c, "/authors/?page=2").await;
        let html = r.text();
        assert_eq!((r.status.as_u16(), n, rows(&html)), (200, 2, 20));
        // Dmitri O'Connor wrote 8 books.
        let (r, _) = get(&c, "/authors/?page=1").await;
        let both = r.text() + &html;
        let at = both.find("Dmitri O&#x27;Connor</a>").unwrap();
        assert!(both[at..].contains("<td class=\"num\">8</td>"));
    }
}

#[tokio::test]
async fn author_detail_shows_profile_and_books() {
    for db in databases().await {
        let c = client(&db);
        let (r, n) = get(&c, "/authors/1/").await;
        let html = r.text();
        assert_eq!((r.status.as_u16(), n), (200, 3), "{:?}", db.vendor);
        assert!(html.contains("<h1>Dmitri O&#x27;Connor</h1>"));
        assert!(html.contains("<dd>June 4, 1990</dd>"));
        assert!(html.contains("<dd>159995</dd>"));
        assert!(html.contains("<h2>Books (8)</h2>"));
        assert_eq!(rows(&html), 8);
        // An author without books or profile: the author (profile joined), the books;
        // no genres to prefetch for no books.
        let (r, n) = get(&c, "/authors/37/").await;
        assert_eq!((r.status.as_u16(), n), (200, 2));
        assert!(r.text().contains("<h2>Books (0)</h2>"));
        let (r, _) = get(&c, "/authors/999/").await;
        assert_eq!(r.status.as_u16(), 404);
    }
}

#[tokio::test]
async fn genre_page_lists_its_books() {
    for db in databases().await {
        let c = client(&db);
        let (r, n) = get(&c, "/genres/fiction/").await;
        let html = r.text();
        // The genre (with its annotated number of books), the count, the page, the
        // page's genres.
        assert_eq!((r.status.as_u16(), n), (200, 4), "{:?}", db.vendor);
        // `Book::published()`: 26 of the genre's 29 books are on sale.
        assert!(html.contains("<h1>Fiction <small>26 books on sale</small></h1>"));
        assert!(html.contains("29 in the catalogue, unpublished ones included."));
        assert_eq!(rows(&html), 20);
        assert!(html.contains("href=\"/books/?genre=fiction\""));
        let (r, n) = get(&c, "/genres/fiction/?page=2").await;
        assert_eq!((r.status.as_u16(), n, rows(&r.text())), (200, 4, 6));
        // An unknown genre: its query, a 404.
        let (r, n) = get(&c, "/genres/unknown/").await;
        assert_eq!((r.status.as_u16(), n), (404, 1));
    }
}

#[tokio::test]
async fn static_files_are_served_in_debug_only() {
    for db in databases().await {
        let debug =
            nuages_core::Settings::from_toml_str("debug = true\nallowed_hosts = [\"testserver\"]").unwrap();
        let c = Client::new(build_app(debug, &db.alias).unwrap());
        let r = c.get("/static/bookstore/style.css").send().await;
        assert_eq!(r.status.as_u16(), 200);
        assert!(r.header("content-type").unwrap().starts_with("text/css"));
        assert!(r.text().contains(".pagination"));
        assert_eq!(c.get("/static/missing.css").send().await.status.as_u16(), 404);
        let r = client(&db).get("/static/bookstore/style.css").send().await;
        assert_eq!(r.status.as_u16(), 404);
    }
}
