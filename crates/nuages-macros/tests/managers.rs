//! Custom managers declared with `#[model(managers = [...])]`: the accessors they add,
//! the metadata, and what migrations record (Django's `ModelState.from_model` rules).

use nuages_db::migrations::state::{ManagerState, ModelState};
use nuages_db::models::manager::{ManagerClass, ManagerMeta};
use nuages_db::query::{QuerySet, Q};
use nuages_db::{Model, Vendor};
use nuages_macros::Model;

/// Used in migrations (Django's `use_in_migrations = True`).
pub struct PublishedManager;
impl ManagerClass<Book> for PublishedManager {
    const USE_IN_MIGRATIONS: bool = true;
    fn get_queryset() -> QuerySet<Book> {
        QuerySet::new().filter(Q::lookup("is_published", true))
    }
}

/// A default manager that migrations shim as a plain `Manager()`.
pub struct BookManager;
impl ManagerClass<Book> for BookManager {}

#[derive(Debug, Clone, Default, Model)]
#[model(
    app_label = "shelf",
    managers = [
        manager(name = "books", class = BookManager),
        manager(name = "published", class = PublishedManager),
    ]
)]
pub struct Book {
    pub id: i64,
    #[field(max_length = 100)]
    pub title: String,
    pub is_published: bool,
}

/// A proxy inherits the concrete model's managers (Django's manager inheritance).
#[derive(Debug, Clone, Default, Model)]
#[model(proxy, app_label = "shelf")]
pub struct NewestBook(pub Book);

/// An `objects` default manager not used in migrations leaves nothing to record.
pub struct PlainObjects;
impl ManagerClass<Shelf> for PlainObjects {}

#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "shelf", managers = [manager(name = "objects", class = PlainObjects)])]
pub struct Shelf {
    pub id: i64,
}

#[test]
fn declared_managers_are_in_the_metadata_and_have_accessors() {
    assert_eq!(
        Book::meta().managers,
        [
            ManagerMeta {
                name: "books",
                class: "BookManager",
                use_in_migrations: false
            },
            ManagerMeta {
                name: "published",
                class: "PublishedManager",
                use_in_migrations: true
            },
        ]
    );
    let sql = Book::published()
        .as_dyn()
        .sql(Vendor::Sqlite)
        .unwrap()
        .unwrap()
        .sql;
    assert!(sql.contains(r#"WHERE "shelf_book"."is_published""#), "{sql}");
    let all = Book::books().as_dyn().sql(Vendor::Sqlite).unwrap().unwrap().sql;
    assert!(!all.contains("WHERE"), "{all}");
}

#[test]
fn migrations_record_managers_as_django_does() {
    // The custom default manager becomes a plain Manager(); the other is copied.
    assert_eq!(
        ModelState::from_meta(Book::meta()).managers,
        [
            ManagerState::plain("books"),
            ManagerState::new("published", "PublishedManager")
        ]
    );
    assert_eq!(
        ModelState::from_meta(NewestBook::meta()).managers,
        ModelState::from_meta(Book::meta()).managers
    );
    // A lone plain `objects` is not written (Django drops the shim).
    assert!(ModelState::from_meta(Shelf::meta()).managers.is_empty());
    let state = ModelState::from_meta(Book::meta());
    assert_eq!(
        state.manager("published").and_then(|m| m.class.as_deref()),
        Some("PublishedManager")
    );
}

/// A first manager that filters: the model's default manager (Django's
/// `_default_manager`, which `dumpdata` reads).
pub struct VisibleManager;
impl ManagerClass<Poster> for VisibleManager {
    fn get_queryset() -> QuerySet<Poster> {
        QuerySet::new().filter(Q::lookup("visible", true))
    }
}

#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "shelf", managers = [manager(name = "visible", class = VisibleManager)])]
pub struct Poster {
    pub id: i64,
    pub visible: bool,
}

#[test]
fn the_first_manager_is_the_default_manager() {
    let sql = |meta: &'static nuages_db::ModelMeta| {
        meta.default_manager_queryset()
            .sql(Vendor::Sqlite)
            .unwrap()
            .unwrap()
            .sql
    };
    assert!(sql(Poster::meta()).contains(r#"WHERE "shelf_poster"."visible""#));
    // `books` (a plain manager) comes first on `Book`: every row.
    assert!(!sql(Book::meta()).contains("WHERE"));
    assert!(Book::meta().default_manager.is_some());
    // No declared manager: the implicit `objects`.
    assert!(NewestBook::meta().managers.is_empty() && NewestBook::meta().default_manager.is_none());
}
