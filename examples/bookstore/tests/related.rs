//! Related objects on every configured backend: `select_related` into the typed handles
//! (one query), `prefetch_related` (one query per level), and the related managers.

use bookstore::models::*;
use chrono::{NaiveDate, Utc};
use nuages_core::dispatch::{Event, Receiver};
use nuages_db::capture::{assert_num_queries, capture_queries};
use nuages_db::models::instance::{ModelInstance, SaveOptions};
use nuages_db::models::manager::Manager;
use nuages_db::models::model::ForeignKey;
use nuages_db::models::related_managers::RelatedRef;
use nuages_db::models::signals::{m2m_changed, m2m_sender, M2MChanged};
use nuages_db::query::{DynQuerySet, Prefetch, Q};
use nuages_db::{schema, testing, DbError, Model, Value};
use std::sync::{Arc, Mutex};

fn date(y: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, 1, 2).unwrap()
}

fn new_book(title: &str, author: i64, publisher: Option<i64>, pages: i32) -> Book {
    Book {
        title: title.into(),
        publication_date: date(2000 + pages / 100),
        author: ForeignKey::new(author),
        publisher: publisher.map(ForeignKey::new),
        price: "10.00".parse().unwrap(),
        pages,
        created_at: Utc::now(),
        ..Book::default()
    }
}

struct Data {
    ursula: Author,
    frank: Author,
    ace: Publisher,
    dune: Book,
    messiah: Book,
    earthsea: Book,
    sf: Genre,
    fantasy: Genre,
    shop: Store,
}

async fn setup(alias: &str) -> Data {
    schema::create_models(
        alias,
        &[
            Publisher::meta(),
            Author::meta(),
            AuthorProfile::meta(),
            Genre::meta(),
            Book::meta(),
            BookGenre::meta(),
            Review::meta(),
            Store::meta(),
        ],
    )
    .await
    .unwrap();
    let save = SaveOptions::using;
    let mut ursula = Author {
        name: "Ursula".into(),
        email: "u@example.com".into(),
        ..Author::default()
    };
    ursula.save_with(save(alias)).await.unwrap();
    let mut frank = Author {
        name: "Frank".into(),
        email: "f@example.com".into(),
        ..Author::default()
    };
    frank.save_with(save(alias)).await.unwrap();
    let mut profile = AuthorProfile {
        author: ForeignKey::new(ursula.id),
        website: "https://u.example.com".into(),
        followers: 7,
        ..AuthorProfile::default()
    };
    profile.save_with(save(alias)).await.unwrap();
    let mut ace = Publisher {
        name: "Ace".into(),
        ..Publisher::default()
    };
    ace.save_with(save(alias)).await.unwrap();
    let mut earthsea = new_book("Earthsea", ursula.id, Some(ace.id), 300);
    earthsea.save_with(save(alias)).await.unwrap();
    let mut dune = new_book("Dune", frank.id, Some(ace.id), 600);
    dune.save_with(save(alias)).await.unwrap();
    let mut messiah = new_book("Dune Messiah", frank.id, None, 250);
    messiah.save_with(save(alias)).await.unwrap();
    for (book, rating) in [(&dune, 5), (&dune, 3), (&messiah, 4)] {
        let mut r = Review {
            book: ForeignKey::new(book.id),
            reviewer_name: format!("r{rating}"),
            rating,
            created_at: Utc::now(),
            ..Review::default()
        };
        r.save_with(save(alias)).await.unwrap();
    }
    let mut sf = Genre {
        name: "Science fiction".into(),
        slug: "sf".into(),
        ..Genre::default()
    };
    sf.save_with(save(alias)).await.unwrap();
    let mut fantasy = Genre {
        name: "Fantasy".into(),
        slug: "fantasy".into(),
        ..Genre::default()
    };
    fantasy.save_with(save(alias)).await.unwrap();
    let mut shop = Store {
        name: "Corner".into(),
        ..Store::default()
    };
    shop.save_with(save(alias)).await.unwrap();
    Data {
        ursula,
        frank,
        ace,
        dune,
        messiah,
        earthsea,
        sf,
        fantasy,
        shop,
    }
}

fn titles(books: &[Book]) -> Vec<&str> {
    books.iter().map(|b| b.title.as_str()).collect()
}

#[tokio::test]
async fn select_related_loads_handles_in_one_query() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let d = setup(alias).await;
        let books = Book::objects()
            .using(alias)
            .select_related(["author", "publisher"])
            .order_by(["title"]);
        let books = assert_num_queries(1, books.fetch()).await.unwrap();
        assert_eq!(titles(&books), ["Dune", "Dune Messiah", "Earthsea"]);
        let names: Vec<&str> = books
            .iter()
            .map(|b| b.author.loaded().unwrap().name.as_str())
            .collect();
        assert_eq!(names, ["Frank", "Frank", "Ursula"]);
        // The nullable key: LEFT OUTER JOIN keeps the book without a publisher.
        assert_eq!(books[0].publisher.as_ref().unwrap().loaded().unwrap().name, "Ace");
        assert!(books[1].publisher.is_none());
        // Reading the loaded object runs no query.
        let author = assert_num_queries(0, books[2].author.get()).await.unwrap();
        assert!(matches!(author, RelatedRef::Cached(_)));
        assert_eq!(author.email, "u@example.com");

        // Two levels from Review, in one query.
        let reviews = Review::objects()
            .using(alias)
            .select_related(["book__author"])
            .order_by(["rating"]);
        let reviews = assert_num_queries(1, reviews.fetch()).await.unwrap();
        let seen: Vec<(i16, &str, &str)> = reviews
            .iter()
            .map(|r| {
                let book = r.book.loaded().unwrap();
                (
                    r.rating,
                    book.title.as_str(),
                    book.author.loaded().unwrap().name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (3, "Dune", "Frank"),
                (4, "Dune Messiah", "Frank"),
                (5, "Dune", "Frank")
            ]
        );

        // Without select_related, `get_using` fetches (one query) and the key is there.
        let plain = Book::objects().using(alias).get_pk(d.dune.id).await.unwrap();
        assert_eq!(plain.author.id(), &Value::Int(d.frank.id));
        assert!(plain.author.loaded().is_none());
        let fetched = assert_num_queries(1, plain.author.get_using(alias))
            .await
            .unwrap();
        assert!(matches!(fetched, RelatedRef::Fetched(_)));
        assert_eq!(fetched.name, "Frank");

        // get(), first() and latest() load related objects too.
        let one = Book::objects()
            .using(alias)
            .select_related(["author"])
            .get(Q::lookup("title", "Earthsea"))
            .await
            .unwrap();
        assert_eq!(one.author.loaded().unwrap().name, "Ursula");
        let first = Book::objects()
            .using(alias)
            .select_related(["publisher"])
            .order_by(["pages"])
            .first()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.title, "Dune Messiah");
        let latest = Review::objects()
            .using(alias)
            .select_related(["book"])
            .latest(&["rating"])
            .await
            .unwrap();
        assert_eq!(latest.book.loaded().unwrap().title, "Dune");
        let _ = d.ace;
    }
}

#[tokio::test]
async fn select_related_defaults_reverse_one_to_one_and_errors() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let d = setup(alias).await;
        // No names: every non-null key (author), not the nullable publisher.
        let qs = Book::objects().using(alias).select_related(Vec::<&str>::new());
        let sql = qs.as_dyn().sql(db.vendor).unwrap().unwrap().sql;
        assert!(sql.contains("bookstore_author"), "{sql}");
        assert!(!sql.contains("bookstore_publisher"), "{sql}");
        let books = qs.fetch().await.unwrap();
        assert!(books.iter().all(|b| b.author.loaded().is_some()));
        assert!(books
            .iter()
            .all(|b| b.publisher.as_ref().is_none_or(|p| p.loaded().is_none())));

        // A reverse one-to-one: cached, absent, or fetched.
        let authors = Author::objects().using(alias).select_related(["profile"]);
        let authors = assert_num_queries(1, authors.fetch()).await.unwrap();
        let (frank, ursula) = (&authors[0], &authors[1]);
        let profile = assert_num_queries(0, ursula.profile()).await.unwrap();
        assert_eq!(profile.followers, 7);
        let missing = assert_num_queries(0, frank.profile()).await.unwrap_err();
        assert_eq!(missing.to_string(), "Author has no profile.");
        assert_eq!(missing.class_name(), "RelatedObjectDoesNotExist");
        assert!(missing.is_does_not_exist());
        let (found, queries) = capture_queries(d.ursula.profile()).await;
        assert_eq!(found.unwrap().website, "https://u.example.com");
        assert_eq!(queries.len(), 1);
        assert!(d.frank.profile().await.unwrap_err().is_does_not_exist());
        // Through the reverse one-to-one and back.
        let profiles = AuthorProfile::objects()
            .using(alias)
            .select_related(["author__profile"])
            .fetch()
            .await
            .unwrap();
        let author = profiles[0].author.loaded().unwrap();
        assert_eq!(author.profile().await.unwrap().followers, 7);

        // Django's errors, raised when the query runs.
        let err = |names: &[&str]| {
            DynQuerySet::new(Book::meta())
                .select_related(names.iter().copied())
                .sql(db.vendor)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(&["reviews"]),
            "Invalid field name(s) given in select_related: 'reviews'. Choices are: author, publisher"
        );
        assert_eq!(
            err(&["title"]),
            "Non-relational field given in select_related: 'title'. Choices are: author, publisher"
        );
        assert_eq!(
            err(&["author__nope"]),
            "Invalid field name(s) given in select_related: 'nope'. Choices are: profile"
        );
        let deferred = Book::objects()
            .using(alias)
            .only(["title"])
            .select_related(["author"])
            .fetch()
            .await
            .unwrap_err();
        assert_eq!(
            deferred.to_string(),
            "Field Book.author cannot be both deferred and traversed using select_related at the same time."
        );
        let values = DynQuerySet::new(Book::meta())
            .values(["title"])
            .select_related(["author"]);
        assert_eq!(
            values.check().unwrap_err().to_string(),
            "Cannot call select_related() after .values() or .values_list()"
        );
    }
}

#[tokio::test]
async fn prefetch_related_runs_one_query_per_level() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let d = setup(alias).await;
        for (book, genre) in [(&d.dune, &d.sf), (&d.messiah, &d.sf), (&d.earthsea, &d.fantasy)] {
            book.genres()
                .unwrap()
                .using(alias)
                .add_with([genre], &[("added_on", Value::Date(date(2020)))])
                .await
                .unwrap();
        }
        d.shop
            .books()
            .unwrap()
            .using(alias)
            .add([&d.dune, &d.earthsea])
            .await
            .unwrap();

        // Reverse foreign key, two levels: 1 + 1 + 1 queries.
        let authors = Author::objects()
            .using(alias)
            .prefetch_related(["books", "books__reviews"]);
        let authors = assert_num_queries(3, authors.fetch()).await.unwrap();
        let frank = &authors[0];
        let books = frank.books().unwrap().all_cached().unwrap();
        // Book's Meta.ordering (-publication_date) orders the prefetched list.
        assert_eq!(titles(books), ["Dune", "Dune Messiah"]);
        let ratings: Vec<i16> = books[0]
            .reviews()
            .unwrap()
            .all_cached()
            .unwrap()
            .iter()
            .map(|r| r.rating)
            .collect();
        assert_eq!(ratings.len(), 2);
        assert_eq!(books[1].reviews().unwrap().all_cached().unwrap().len(), 1);
        assert_eq!(
            titles(authors[1].books().unwrap().all_cached().unwrap()),
            ["Earthsea"]
        );
        // Not prefetched: no cache, the manager queries.
        assert!(d.frank.books().unwrap().all_cached().is_none());

        // Many-to-many with a through model, both sides; the auto-created table too.
        let books = Book::objects()
            .using(alias)
            .order_by(["title"])
            .prefetch_related(["genres", "stores"]);
        let books = assert_num_queries(3, books.fetch()).await.unwrap();
        let genre_of = |b: &Book| -> Vec<String> {
            b.genres()
                .unwrap()
                .all_cached()
                .unwrap()
                .iter()
                .map(|g| g.slug.clone())
                .collect()
        };
        assert_eq!(genre_of(&books[0]), ["sf"]);
        assert_eq!(genre_of(&books[2]), ["fantasy"]);
        let stores: Vec<usize> = books
            .iter()
            .map(|b| b.stores().unwrap().all_cached().unwrap().len())
            .collect();
        assert_eq!(stores, [1, 0, 1]);
        let genres = Genre::objects()
            .using(alias)
            .order_by(["slug"])
            .prefetch_related(["books", "books__author"]);
        let genres = assert_num_queries(3, genres.fetch()).await.unwrap();
        let sf = &genres[1];
        let sf_books = sf.books().unwrap().all_cached().unwrap();
        assert_eq!(titles(sf_books), ["Dune", "Dune Messiah"]);
        assert_eq!(sf_books[0].author.loaded().unwrap().name, "Frank");
        let stores = Store::objects().using(alias).prefetch_related(["books"]);
        let stores = assert_num_queries(2, stores.fetch()).await.unwrap();
        assert_eq!(
            titles(stores[0].books().unwrap().all_cached().unwrap()),
            ["Dune", "Earthsea"]
        );

        // Prefetch with a filtered, ordered queryset and to_attr.
        let long = Book::objects().filter_str("pages__gte", 300).order_by(["title"]);
        let authors = Author::objects()
            .using(alias)
            .prefetch_related([Prefetch::new("books").queryset(long).to_attr("long_books")]);
        let authors = assert_num_queries(2, authors.fetch()).await.unwrap();
        let long_of = |a: &Author| titles(a._state.prefetched::<Book>("long_books").unwrap()).len();
        assert_eq!((long_of(&authors[0]), long_of(&authors[1])), (1, 1));
        assert!(authors[0].books().unwrap().all_cached().is_none());

        // select_related inside a prefetch, and prefetch through select_related.
        let reviews = Review::objects()
            .using(alias)
            .select_related(["book"])
            .prefetch_related(["book__genres"])
            .order_by(["rating"]);
        let reviews = assert_num_queries(2, reviews.fetch()).await.unwrap();
        let book = reviews[0].book.loaded().unwrap();
        assert_eq!(book.genres().unwrap().all_cached().unwrap()[0].slug, "sf");

        // Prefetching a forward key.
        let books = Book::objects()
            .using(alias)
            .prefetch_related(["publisher"])
            .order_by(["title"]);
        let books = assert_num_queries(2, books.fetch()).await.unwrap();
        assert_eq!(books[0].publisher.as_ref().unwrap().loaded().unwrap().name, "Ace");

        // Django's errors.
        let fail = |lookups: Vec<Prefetch>| async move {
            Author::objects()
                .using(alias)
                .prefetch_related(lookups)
                .fetch()
                .await
                .unwrap_err()
        };
        let e = fail(vec!["nope".into()]).await;
        assert_eq!(e.class_name(), "AttributeError");
        assert_eq!(
            e.to_string(),
            "Cannot find 'nope' on Author object, 'nope' is an invalid parameter to prefetch_related()"
        );
        let e = fail(vec!["name".into()]).await;
        assert_eq!(
            e.to_string(),
            "'name' does not resolve to an item that supports prefetching - this is an invalid parameter to prefetch_related()."
        );
        let e = fail(vec![Prefetch::new("books").to_attr("name")]).await;
        assert_eq!(
            e.to_string(),
            "to_attr=name conflicts with a field on the Author model."
        );
        let e = fail(vec![
            "books".into(),
            Prefetch::new("books").queryset(Book::objects()),
        ])
        .await;
        assert_eq!(
            e.to_string(),
            "'books' lookup was already seen with a different queryset. You may need to adjust the ordering of your lookups."
        );
    }
}

#[tokio::test]
async fn iterator_loads_related_objects_chunk_by_chunk() {
    use futures::TryStreamExt;
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let _d = setup(alias).await;
        // select_related: the one streamed query loads every object's author.
        let books = Book::objects()
            .using(alias)
            .select_related(["author"])
            .order_by(["title"]);
        let books: Vec<Book> = assert_num_queries(1, async { books.iterator(2)?.try_collect().await })
            .await
            .unwrap();
        let seen: Vec<(&str, &str)> = books
            .iter()
            .map(|b| (b.title.as_str(), b.author.loaded().unwrap().name.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("Dune", "Frank"),
                ("Dune Messiah", "Frank"),
                ("Earthsea", "Ursula")
            ],
            "{alias}"
        );
        // prefetch_related: one more query per chunk (Django 5's iterator(chunk_size)).
        let authors = || {
            Author::objects()
                .using(alias)
                .order_by(["name"])
                .prefetch_related(["books"])
        };
        for (chunk_size, queries) in [(1, 3), (2, 2), (100, 2)] {
            let authors: Vec<Author> = assert_num_queries(queries, async {
                authors().iterator(chunk_size)?.try_collect().await
            })
            .await
            .unwrap();
            let books: Vec<Vec<&str>> = authors
                .iter()
                .map(|a| titles(a.books().unwrap().all_cached().unwrap()))
                .collect();
            assert_eq!(books, [vec!["Dune", "Dune Messiah"], vec!["Earthsea"]], "{alias}");
        }
    }
}

#[tokio::test]
async fn dates_and_datetimes_list_distinct_truncated_values() {
    use chrono::TimeZone;
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let d = setup(alias).await;
        // Publication dates 2003-01-02 (Earthsea), 2006-01-02 (Dune), 2002-01-02 (Messiah).
        let dates = |kind: &str, order: &str| {
            let qs = Book::objects()
                .using(alias)
                .dates("publication_date", kind, order);
            async move {
                qs.fetch()
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.get(0).unwrap().clone())
                    .collect::<Vec<Value>>()
            }
        };
        let day = |y, m, d| Value::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert_eq!(
            dates("year", "ASC").await,
            [day(2002, 1, 1), day(2003, 1, 1), day(2006, 1, 1)],
            "{alias}"
        );
        assert_eq!(
            dates("month", "DESC").await,
            [day(2006, 1, 1), day(2003, 1, 1), day(2002, 1, 1)],
            "{alias}"
        );
        // 2002-01-02 and 2003-01-02 are Wednesday and Thursday; the weeks start on Monday.
        assert_eq!(
            dates("week", "ASC").await[..2],
            [day(2001, 12, 31), day(2002, 12, 30)],
            "{alias}"
        );

        // Two books in the same hour, one in another; the datetimes are UTC.
        let at = |h, m| Utc.with_ymd_and_hms(2024, 5, 6, h, m, 7).unwrap();
        for (book, when) in [
            (&d.dune, at(9, 15)),
            (&d.messiah, at(9, 45)),
            (&d.earthsea, at(17, 5)),
        ] {
            Book::objects()
                .using(alias)
                .filter(Q::lookup("pk", book.id))
                .update([("created_at", Value::DateTime(when))])
                .await
                .unwrap();
        }
        let datetimes = |kind: &str| {
            let qs = Book::objects().using(alias).datetimes("created_at", kind, "ASC");
            async move {
                qs.fetch()
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.get(0).unwrap().clone())
                    .collect::<Vec<Value>>()
            }
        };
        let hour = |h| Value::DateTime(Utc.with_ymd_and_hms(2024, 5, 6, h, 0, 0).unwrap());
        assert_eq!(datetimes("hour").await, [hour(9), hour(17)], "{alias}");
        assert_eq!(
            datetimes("day").await,
            [Value::DateTime(
                Utc.with_ymd_and_hms(2024, 5, 6, 0, 0, 0).unwrap()
            )],
            "{alias}"
        );
        // Dates of a datetime field are dates.
        let days = Book::objects()
            .using(alias)
            .dates("created_at", "day", "ASC")
            .fetch()
            .await
            .unwrap();
        assert_eq!(days.len(), 1, "{alias}");
        assert_eq!(days[0].get(0), Some(&day(2024, 5, 6)), "{alias}");

        // Django's ValueErrors, and the unknown field's FieldError.
        let books = || Book::objects().using(alias);
        for (qs, message) in [
            (
                books().dates("publication_date", "hour", "ASC"),
                "'kind' must be one of 'year', 'month', 'week', or 'day'.",
            ),
            (
                books().datetimes("created_at", "fortnight", "ASC"),
                "'kind' must be one of 'year', 'month', 'week', 'day', 'hour', 'minute', or 'second'.",
            ),
            (
                books().dates("publication_date", "year", "asc"),
                "'order' must be either 'ASC' or 'DESC'.",
            ),
            (
                books().dates("nope", "year", "ASC"),
                "Cannot resolve keyword 'nope' into field.",
            ),
        ] {
            let err = qs.fetch().await.unwrap_err().to_string();
            assert!(err.starts_with(message), "{alias}: {err}");
        }
    }
}

#[tokio::test]
async fn pattern_lookups_against_a_column_treat_wildcards_as_text() {
    // `email__contains=F("name")`: `%`, `_` and `\` in the other column are literal, as
    // Django's pattern_esc makes them on every backend.
    use nuages_db::query::F;
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let _d = setup(alias).await;
        // The setup's authors (name "Ursula", email "u@example.com") match none of these.
        for (name, email) in [
            ("50%", "save 50% now"),
            ("50%", "save 500 now"),
            ("a_c", "xa_cx"),
            ("a_c", "xabcx"),
            ("b\\d", "xb\\dx"),
            ("b\\d", "xbdx"),
            ("AB%", "ab%-start"),
            ("AB%", "abc-start"),
        ] {
            let mut a = Author {
                name: name.into(),
                email: email.into(),
                ..Author::default()
            };
            a.save_with(SaveOptions::using(alias)).await.unwrap();
        }
        let matching = |lookup: &'static str| async move {
            let mut emails: Vec<String> = Author::objects()
                .using(alias)
                .filter(Q::lookup(lookup, F::new("name")))
                .fetch()
                .await
                .unwrap()
                .into_iter()
                .map(|a| a.email)
                .collect();
            emails.sort();
            emails
        };
        // SQLite's LIKE ignores case: Django documents contains there as icontains.
        let sqlite = db.vendor == nuages_db::Vendor::Sqlite;
        let case_sensitive: &[&str] = if sqlite {
            &["ab%-start", "save 50% now", "xa_cx", "xb\\dx"]
        } else {
            &["save 50% now", "xa_cx", "xb\\dx"]
        };
        assert_eq!(matching("email__contains").await, case_sensitive, "{alias}");
        assert_eq!(
            matching("email__icontains").await,
            ["ab%-start", "save 50% now", "xa_cx", "xb\\dx"],
            "{alias}"
        );
        assert_eq!(matching("email__istartswith").await, ["ab%-start"], "{alias}");
        assert_eq!(
            matching("email__startswith").await.len(),
            usize::from(sqlite),
            "{alias}"
        );
        assert!(matching("email__endswith").await.is_empty(), "{alias}");
    }
}

#[tokio::test]
async fn reverse_foreign_key_managers() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let d = setup(alias).await;
        // create() sets the key.
        let books = d.ursula.books().unwrap().using(alias);
        let created = books
            .create(new_book("The Dispossessed", 0, None, 400))
            .await
            .unwrap();
        assert_eq!(created.author.id(), &Value::Int(d.ursula.id));
        assert_eq!(books.count().await.unwrap(), 2);
        // add() moves saved books with one UPDATE; unsaved ones are refused.
        let mut moved = Book::objects().using(alias).get_pk(d.messiah.id).await.unwrap();
        books.add([&mut moved]).await.unwrap();
        assert_eq!(moved.author.id(), &Value::Int(d.ursula.id));
        assert_eq!(books.count().await.unwrap(), 3);
        let mut unsaved = new_book("Unsaved", d.ursula.id, None, 1);
        assert_eq!(
            books.add([&mut unsaved]).await.unwrap_err().to_string(),
            "<Book: Book object (None)> instance isn't saved. Use bulk=False or save the object first."
        );
        // set() on a non-null key only adds.
        let mut dune = Book::objects().using(alias).get_pk(d.dune.id).await.unwrap();
        books.set([&mut dune]).await.unwrap();
        assert_eq!(books.count().await.unwrap(), 4);
        assert_eq!(d.frank.books().unwrap().using(alias).count().await.unwrap(), 0);

        // The nullable publisher key: remove, clear, set.
        let ace_books = d.ace.books().unwrap().using(alias);
        assert_eq!(ace_books.count().await.unwrap(), 2);
        let mut earthsea = Book::objects().using(alias).get_pk(d.earthsea.id).await.unwrap();
        ace_books.remove([&mut earthsea]).await.unwrap();
        assert!(earthsea.publisher.as_ref().is_none_or(|p| p.id().is_null()));
        assert_eq!(ace_books.count().await.unwrap(), 1);
        let not_related = ace_books.remove([&mut earthsea]).await.unwrap_err();
        assert_eq!(not_related.class_name(), "DoesNotExist");
        assert!(not_related
            .to_string()
            .ends_with("is not related to <Publisher: Publisher object (1)>."));
        ace_books.set([&mut earthsea]).await.unwrap();
        let left: Vec<String> = ace_books
            .fetch()
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.title)
            .collect();
        assert_eq!(left, ["Earthsea"]);
        ace_books.clear().await.unwrap();
        assert_eq!(ace_books.count().await.unwrap(), 0);
        assert_eq!(Book::objects().using(alias).count().await.unwrap(), 4);

        let unsaved = Author::default();
        assert_eq!(
            unsaved.books().unwrap_err().to_string(),
            "'Author' instance needs to have a primary key value before this relationship can be used."
        );
    }
}

#[tokio::test]
async fn many_to_many_managers() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let d = setup(alias).await;
        let slugs = |gs: Vec<Genre>| gs.into_iter().map(|g| g.slug).collect::<Vec<_>>();
        let dune_genres = d.dune.genres().unwrap().using(alias);
        // A through model without a default for added_on needs through_defaults.
        let missing = dune_genres.add([&d.sf]).await.unwrap_err();
        assert_eq!(missing.class_name(), "IntegrityError");
        let on = [("added_on", Value::Date(date(2021)))];
        dune_genres.add_with([&d.sf, &d.fantasy], &on).await.unwrap();
        // Adding again is a no-op.
        dune_genres.add_with([&d.sf], &on).await.unwrap();
        assert_eq!(
            slugs(dune_genres.order_by(["slug"]).fetch().await.unwrap()),
            ["fantasy", "sf"]
        );
        let link = BookGenre::objects()
            .using(alias)
            .filter_str("genre", d.sf.id)
            .get(Q::new())
            .await
            .unwrap();
        assert_eq!(link.added_on, date(2021));
        // The reverse side sees the same rows.
        let sf_books = d.sf.books().unwrap().using(alias);
        assert_eq!(sf_books.count().await.unwrap(), 1);
        dune_genres.remove([&d.sf]).await.unwrap();
        assert_eq!(slugs(dune_genres.fetch().await.unwrap()), ["fantasy"]);
        assert_eq!(sf_books.count().await.unwrap(), 0);
        // set() from the reverse side, then clear().
        let fantasy_books = d.fantasy.books().unwrap().using(alias);
        fantasy_books
            .set_pks(
                vec![Value::Int(d.messiah.id), Value::Int(d.earthsea.id)],
                false,
                &on,
            )
            .await
            .unwrap();
        let mut t: Vec<String> = fantasy_books
            .fetch()
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.title)
            .collect();
        t.sort();
        assert_eq!(t, ["Dune Messiah", "Earthsea"]);
        fantasy_books.clear().await.unwrap();
        assert_eq!(fantasy_books.count().await.unwrap(), 0);
        assert_eq!(BookGenre::objects().using(alias).count().await.unwrap(), 0);
        // create() saves and links.
        let horror = dune_genres
            .create_with(
                Genre {
                    name: "Horror".into(),
                    slug: "horror".into(),
                    ..Genre::default()
                },
                &on,
            )
            .await
            .unwrap();
        assert!(horror.id > 0);
        assert_eq!(slugs(dune_genres.fetch().await.unwrap()), ["horror"]);

        // The auto-created table of Store.books, from both sides, sending m2m_changed.
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = seen.clone();
        let db_alias = alias.to_owned();
        let receiver = m2m_changed().connect_receiver(
            Receiver::new(move |e: &Event<M2MChanged>| {
                if e.using == db_alias {
                    let pks = e.pk_set.as_ref().map(|p| p.len());
                    log.lock().unwrap().push(format!(
                        "{} {} {} {pks:?}",
                        e.action.as_str(),
                        e.reverse,
                        e.model.object_name
                    ));
                }
                Ok(())
            })
            .sender(m2m_sender(Store::meta(), "books")),
        );
        let shop_books = d.shop.books().unwrap().using(alias);
        shop_books.add([&d.dune, &d.messiah]).await.unwrap();
        shop_books.set([&d.messiah, &d.earthsea]).await.unwrap();
        let mut t: Vec<String> = shop_books
            .fetch()
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.title)
            .collect();
        t.sort();
        assert_eq!(t, ["Dune Messiah", "Earthsea"]);
        assert_eq!(
            d.earthsea.stores().unwrap().using(alias).count().await.unwrap(),
            1
        );
        d.earthsea
            .stores()
            .unwrap()
            .using(alias)
            .remove([&d.shop])
            .await
            .unwrap();
        assert_eq!(shop_books.count().await.unwrap(), 1);
        shop_books.clear().await.unwrap();
        m2m_changed().disconnect(receiver);
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "pre_add false Book Some(2)",
                "post_add false Book Some(2)",
                "pre_remove false Book Some(1)",
                "post_remove false Book Some(1)",
                "pre_add false Book Some(1)",
                "post_add false Book Some(1)",
                "pre_remove true Store Some(1)",
                "post_remove true Store Some(1)",
                "pre_clear false Book None",
                "post_clear false Book None",
            ]
        );
        shop_books.add([&d.messiah]).await.unwrap();
        assert_eq!(
            shop_books
                .add_with([&d.dune], &[("x", Value::Int(1))])
                .await
                .unwrap_err()
                .to_string(),
            "bookstore_store_books() got unexpected keyword arguments: 'x'"
        );
        let unsaved = Book::default();
        assert_eq!(
            shop_books.add([&unsaved]).await.unwrap_err().to_string(),
            "Cannot add \"<Book: Book object (None)>\": the value for field \"id\" is None"
        );
        assert_eq!(
            unsaved.genres().unwrap_err().to_string(),
            "\"<Book: Book object (None)>\" needs to have a value for field \"id\" before this many-to-many relationship can be used."
        );
        let err: DbError = Store::default().books().unwrap_err();
        assert_eq!(err.class_name(), "ValueError");
    }
}
