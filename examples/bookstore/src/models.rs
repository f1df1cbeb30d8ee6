//! The nine bookstore models, field for field as `spec/bookstore-models.md` gives them in
//! Django's notation.

use chrono::{DateTime, NaiveDate, Utc};
use nuages_db::models::model::ForeignKey;
use nuages_db::models::relations::{ManyToMany, OneToOne};
use nuages_db::models::state::ModelState;
use nuages_macros::Model;
use rust_decimal::Decimal;

/// A publishing house.
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "bookstore")]
pub struct Publisher {
    pub id: i64,
    #[field(max_length = 100, unique)]
    pub name: String,
    #[field(max_length = 50, blank, default = "")]
    pub country: String,
    #[field(blank)]
    pub founded: Option<i32>,
    /// Where the row came from and its loaded related objects (Django's `_state`).
    pub _state: ModelState,
}

/// A book's author.
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "bookstore", ordering = ["name"])]
pub struct Author {
    pub id: i64,
    #[field(max_length = 100)]
    pub name: String,
    #[field(email, unique)]
    pub email: String,
    #[field(blank)]
    pub birth_date: Option<NaiveDate>,
    #[field(text, blank, default = "")]
    pub bio: String,
    /// Where the row came from and its loaded related objects (Django's `_state`).
    pub _state: ModelState,
}

/// An author's profile (one-to-one).
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "bookstore")]
pub struct AuthorProfile {
    pub id: i64,
    #[field(on_delete = Cascade, related_name = "profile")]
    pub author: OneToOne<Author>,
    #[field(url, blank, default = "")]
    pub website: String,
    #[field(positive, default = 0)]
    pub followers: i32,
    /// Where the row came from and its loaded related objects (Django's `_state`).
    pub _state: ModelState,
}

/// A genre of books.
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "bookstore")]
pub struct Genre {
    pub id: i64,
    #[field(max_length = 50, unique)]
    pub name: String,
    #[field(slug, max_length = 50, unique)]
    pub slug: String,
    /// Where the row came from and its loaded related objects (Django's `_state`).
    pub _state: ModelState,
}

/// A book.
#[derive(Debug, Clone, Default, Model)]
#[model(
    app_label = "bookstore",
    ordering = ["-publication_date", "id"],
    indexes = [index(fields = ["author", "is_published"])],
    constraints = [
        unique(fields = ["title", "author"], name = "unique_title_author"),
        check(condition = q!(price__gte = 0), name = "price_non_negative"),
    ],
)]
pub struct Book {
    pub id: i64,
    #[field(max_length = 200, db_index)]
    pub title: String,
    pub publication_date: NaiveDate,
    #[field(on_delete = Cascade, related_name = "books")]
    pub author: ForeignKey<Author>,
    #[field(on_delete = SetNull, blank, related_name = "books")]
    pub publisher: Option<ForeignKey<Publisher>>,
    #[field(through = BookGenre, related_name = "books")]
    pub genres: ManyToMany<Genre>,
    #[field(max_digits = 8, decimal_places = 2)]
    pub price: Decimal,
    #[field(blank)]
    pub rating: Option<f64>,
    pub pages: i32,
    #[field(default = true)]
    pub is_published: bool,
    #[field(auto_now_add)]
    pub created_at: DateTime<Utc>,
    /// Where the row came from and its loaded related objects (Django's `_state`).
    pub _state: ModelState,
}

/// The explicit through model of `Book.genres`.
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "bookstore")]
pub struct BookGenre {
    pub id: i64,
    #[field(on_delete = Cascade)]
    pub book: ForeignKey<Book>,
    #[field(on_delete = Cascade)]
    pub genre: ForeignKey<Genre>,
    pub added_on: NaiveDate,
    /// Where the row came from and its loaded related objects (Django's `_state`).
    pub _state: ModelState,
}

/// A reader's review of a book.
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "bookstore")]
pub struct Review {
    pub id: i64,
    #[field(on_delete = Cascade, related_name = "reviews")]
    pub book: ForeignKey<Book>,
    #[field(max_length = 100)]
    pub reviewer_name: String,
    #[field(positive, validators = [min_value(1), max_value(5)])]
    pub rating: i16,
    #[field(text, blank, default = "")]
    pub text: String,
    pub created_at: DateTime<Utc>,
    /// Where the row came from and its loaded related objects (Django's `_state`).
    pub _state: ModelState,
}

/// A shop selling books (auto-created through table for `books`).
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "bookstore")]
pub struct Store {
    pub id: i64,
    #[field(max_length = 100)]
    pub name: String,
    #[field(related_name = "stores")]
    pub books: ManyToMany<Book>,
    /// Where the row came from and its loaded related objects (Django's `_state`).
    pub _state: ModelState,
}

/// The lending stock of a book: how many copies the store lends, and how many are out.
///
/// Not one of the spec's nine models (those are fixed column for column, and the
/// conformance pack compares every column of them); the lending example of the seeds
/// lives beside them in two models of its own, added by migration `0002`. Their relations
/// to `Book` have no reverse accessor (`related_name="+"`), so `Book`'s fields, lookups
/// and error messages stay exactly the spec's (deleting a book still cascades to them).
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "bookstore")]
pub struct Stock {
    pub id: i64,
    #[field(on_delete = Cascade, related_name = "+")]
    pub book: OneToOne<Book>,
    /// Copies the store owns for lending.
    #[field(positive, default = 0)]
    pub copies: i32,
    /// Copies lent out now: a denormalised count of the book's [`Loan`]s, kept by the
    /// `post_save`/`post_delete` receivers of `crate::signals`.
    #[field(positive, default = 0)]
    pub on_loan: i32,
    /// Where the row came from and its loaded related objects (Django's `_state`).
    pub _state: ModelState,
}

impl Stock {
    /// Copies that can be borrowed now.
    pub fn available(&self) -> i32 {
        (self.copies - self.on_loan).max(0)
    }
}

/// One copy of a book lent to a reader; returning the copy deletes the loan.
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "bookstore", ordering = ["-borrowed_at", "id"])]
pub struct Loan {
    pub id: i64,
    #[field(on_delete = Cascade, related_name = "+")]
    pub book: ForeignKey<Book>,
    #[field(max_length = 100)]
    pub borrower: String,
    #[field(auto_now_add)]
    pub borrowed_at: DateTime<Utc>,
    /// Where the row came from and its loaded related objects (Django's `_state`).
    pub _state: ModelState,
}

impl Book {
    /// Django's second manager `published = PublishedManager()`: the books on sale
    /// (`is_published=True`), chaining like `Book::objects()`.
    ///
    /// ```
    /// use bookstore::models::Book;
    /// let sql = Book::published().as_dyn().sql(nuages_db::Vendor::Sqlite).unwrap().unwrap().sql;
    /// assert!(sql.contains(r#""bookstore_book"."is_published" = ?"#));
    /// ```
    pub fn published() -> nuages_db::query::QuerySet<Book> {
        use nuages_db::models::manager::Manager;
        Book::objects().filter_str("is_published", true)
    }
}
