//! The demo data: `conformance/fixture.json` (the seeds' bookstore, 1,500 rows), compiled
//! into the binary and loaded through the ORM (`bulk_create`, in one transaction), as
//! `loaddata` would.

use nuages_db::models::manager::Manager;
use nuages_db::models::model::ForeignKey;
use nuages_db::query::BulkCreateOptions;
use nuages_db::query::QuerySet;
use nuages_db::{connection, transaction, DbError, Model, Value, Vendor};
use serde::Deserialize;

use crate::models::*;

/// The fixture's text.
pub const FIXTURE: &str = include_str!("../../../conformance/fixture.json");

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Fixture {
    publisher: Vec<Publisher_>,
    author: Vec<Author_>,
    author_profile: Vec<AuthorProfile_>,
    genre: Vec<Genre_>,
    book: Vec<Book_>,
    book_genre: Vec<BookGenre_>,
    review: Vec<Review_>,
    store: Vec<Store_>,
    #[serde(rename = "Store_books")]
    store_books: Vec<StoreBook_>,
}

#[derive(Deserialize)]
struct Publisher_ {
    id: i64,
    name: String,
    country: String,
    founded: Option<i32>,
}

#[derive(Deserialize)]
struct Author_ {
    id: i64,
    name: String,
    email: String,
    birth_date: Option<chrono::NaiveDate>,
    bio: String,
}

#[derive(Deserialize)]
struct AuthorProfile_ {
    id: i64,
    author_id: i64,
    website: String,
    followers: i32,
}

#[derive(Deserialize)]
struct Genre_ {
    id: i64,
    name: String,
    slug: String,
}

#[derive(Deserialize)]
struct Book_ {
    id: i64,
    title: String,
    publication_date: chrono::NaiveDate,
    author_id: i64,
    publisher_id: Option<i64>,
    price: rust_decimal::Decimal,
    rating: Option<f64>,
    pages: i32,
    is_published: bool,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize)]
struct BookGenre_ {
    id: i64,
    book_id: i64,
    genre_id: i64,
    added_on: chrono::NaiveDate,
}

#[derive(Deserialize)]
struct Review_ {
    id: i64,
    book_id: i64,
    reviewer_name: String,
    rating: i16,
    text: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize)]
struct Store_ {
    id: i64,
    name: String,
}

#[derive(Deserialize)]
struct StoreBook_ {
    store_id: i64,
    book_id: i64,
}

/// The demo data as model instances, in dependency order.
pub struct DemoData {
    publishers: Vec<Publisher>,
    authors: Vec<Author>,
    profiles: Vec<AuthorProfile>,
    genres: Vec<Genre>,
    books: Vec<Book>,
    book_genres: Vec<BookGenre>,
    reviews: Vec<Review>,
    stores: Vec<Store>,
    store_books: Vec<(i64, i64)>,
    /// Lending stock, generated: every published book has 1 to 3 copies, none lent.
    stocks: Vec<Stock>,
}

impl DemoData {
    /// Parses the embedded fixture.
    pub fn parse() -> Result<DemoData, DbError> {
        let f: Fixture = serde_json::from_str(FIXTURE)
            .map_err(|e| DbError::ValueError(format!("the demo fixture is invalid: {e}")))?;
        Ok(DemoData {
            publishers: f
                .publisher
                .into_iter()
                .map(|p| Publisher {
                    _state: Default::default(),
                    id: p.id,
                    name: p.name,
                    country: p.country,
                    founded: p.founded,
                })
                .collect(),
            authors: f
                .author
                .into_iter()
                .map(|a| Author {
                    _state: Default::default(),
                    id: a.id,
                    name: a.name,
                    email: a.email,
                    birth_date: a.birth_date,
                    bio: a.bio,
                })
                .collect(),
            profiles: f
                .author_profile
                .into_iter()
                .map(|p| AuthorProfile {
                    _state: Default::default(),
                    id: p.id,
                    author: ForeignKey::new(p.author_id),
                    website: p.website,
                    followers: p.followers,
                })
                .collect(),
            genres: f
                .genre
                .into_iter()
                .map(|g| Genre {
                    _state: Default::default(),
                    id: g.id,
                    name: g.name,
                    slug: g.slug,
                })
                .collect(),
            books: f
                .book
                .into_iter()
                .map(|b| Book {
                    _state: Default::default(),
                    id: b.id,
                    title: b.title,
                    publication_date: b.publication_date,
                    author: ForeignKey::new(b.author_id),
                    publisher: b.publisher_id.map(ForeignKey::new),
                    genres: Default::default(),
                    price: b.price,
                    rating: b.rating,
                    pages: b.pages,
                    is_published: b.is_published,
                    created_at: b.created_at,
                })
                .collect(),
            book_genres: f
                .book_genre
                .into_iter()
                .map(|l| BookGenre {
                    _state: Default::default(),
                    id: l.id,
                    book: ForeignKey::new(l.book_id),
                    genre: ForeignKey::new(l.genre_id),
                    added_on: l.added_on,
                })
                .collect(),
            reviews: f
                .review
                .into_iter()
                .map(|r| Review {
                    _state: Default::default(),
                    id: r.id,
                    book: ForeignKey::new(r.book_id),
                    reviewer_name: r.reviewer_name,
                    rating: r.rating,
                    text: r.text,
                    created_at: r.created_at,
                })
                .collect(),
            stores: f
                .store
                .into_iter()
                .map(|s| Store {
                    _state: Default::default(),
                    id: s.id,
                    name: s.name,
                    books: Default::default(),
                })
                .collect(),
            store_books: f
                .store_books
                .into_iter()
                .map(|s| (s.store_id, s.book_id))
                .collect(),
            stocks: Vec::new(),
        }
        .with_stocks())
    }

    /// Generates the lending stock (not part of the conformance fixture): one `Stock`
    /// row per published book, with `1 + id % 3` copies and none on loan.
    fn with_stocks(mut self) -> DemoData {
        self.stocks = self
            .books
            .iter()
            .filter(|b| b.is_published)
            .map(|b| Stock {
                id: b.id,
                book: ForeignKey::new(b.id),
                copies: 1 + (b.id % 3) as i32,
                on_loan: 0,
                ..Default::default()
            })
            .collect();
        self
    }

    /// How many objects [`DemoData::load`] creates.
    pub fn len(&self) -> u64 {
        (self.publishers.len()
            + self.authors.len()
            + self.profiles.len()
            + self.genres.len()
            + self.books.len()
            + self.book_genres.len()
            + self.reviews.len()
            + self.stores.len()
            + self.store_books.len()
            + self.stocks.len()) as u64
    }

    /// Whether there is nothing to load.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Loads everything into `alias` in one transaction, calling `progress` with the
    /// number of objects after each model. Keys are kept as in the fixture; PostgreSQL
    /// sequences are moved past them (Django's `loaddata` resets them too). As with
    /// Django's `bulk_create`, `Book.created_at` (`auto_now_add`) is set to now.
    pub async fn load(self, alias: &str, mut progress: impl FnMut(u64) + Send) -> Result<(), DbError> {
        let alias_owned = alias.to_owned();
        transaction::atomic_using(alias, || async move {
            let alias = alias_owned.as_str();
            progress(create(alias, self.publishers).await?);
            progress(create(alias, self.authors).await?);
            progress(create(alias, self.profiles).await?);
            progress(create(alias, self.genres).await?);
            progress(create(alias, self.books).await?);
            progress(create(alias, self.book_genres).await?);
            progress(create(alias, self.reviews).await?);
            progress(create(alias, self.stores).await?);
            progress(store_books(alias, &self.store_books).await?);
            progress(create(alias, self.stocks).await?);
            reset_sequences(alias).await?;
            Ok(())
        })
        .await
    }
}

async fn create<M: Model>(alias: &str, objs: Vec<M>) -> Result<u64, DbError> {
    let n = objs.len() as u64;
    QuerySet::<M>::new()
        .using(alias)
        .bulk_create(objs, BulkCreateOptions::default())
        .await?;
    Ok(n)
}

/// The auto-created `Store.books` table has no model to `bulk_create`; its rows are
/// inserted with bound parameters, 100 per statement.
async fn store_books(alias: &str, pairs: &[(i64, i64)]) -> Result<u64, DbError> {
    let vendor = connection::vendor(alias)?;
    for chunk in pairs.chunks(100) {
        let mut params = Vec::with_capacity(chunk.len() * 2);
        let mut groups = Vec::with_capacity(chunk.len());
        for (store, book) in chunk {
            params.push(Value::Int(*store));
            params.push(Value::Int(*book));
            groups.push(match vendor {
                Vendor::Postgres => format!("(${}, ${})", params.len() - 1, params.len()),
                _ => "(?, ?)".to_owned(),
            });
        }
        let sql = format!(
            "INSERT INTO {} ({}, {}) VALUES {}",
            quote(vendor, STORE_BOOKS),
            quote(vendor, "store_id"),
            quote(vendor, "book_id"),
            groups.join(", ")
        );
        connection::execute(alias, &sql, &params).await?;
    }
    Ok(pairs.len() as u64)
}

/// The auto-created through table of `Store.books`.
const STORE_BOOKS: &str = "bookstore_store_books";

fn quote(vendor: Vendor, name: &str) -> String {
    match vendor {
        Vendor::MySql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// Django's `sequence_reset_sql` after loading rows with explicit keys (PostgreSQL only:
/// SQLite's AUTOINCREMENT and MySQL's AUTO_INCREMENT follow explicit keys).
async fn reset_sequences(alias: &str) -> Result<(), DbError> {
    if connection::vendor(alias)? != Vendor::Postgres {
        return Ok(());
    }
    let mut tables: Vec<&str> = crate::all_models().iter().map(|m| m.db_table).collect();
    tables.push(STORE_BOOKS);
    for table in tables {
        let t = quote(Vendor::Postgres, table);
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence($1, 'id'), COALESCE((SELECT MAX(\"id\") FROM {t}), 1), (SELECT MAX(\"id\") FROM {t}) IS NOT NULL)"
        );
        connection::fetch(alias, &sql, &[Value::Text(t.clone())]).await?;
    }
    Ok(())
}

/// Whether the demo data should be loaded: no book in the database yet.
pub async fn is_empty(alias: &str) -> Result<bool, DbError> {
    Ok(!Book::objects().using(alias).exists().await?)
}
