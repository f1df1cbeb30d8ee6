//! `Store_books`: the model Django creates for `Store.books`, a many-to-many field without
//! a `through` model (`Store.books.through`), which specs may query like any model. Its
//! table is `bookstore_store_books (id, store_id, book_id)`; both keys hide their reverse
//! relation (`related_name="Store_books+"`), as Django's auto-created keys do.

use bookstore::models::{Book, Store};
use nuages_db::{Field, FieldType, Model, ModelMeta, Relation, RelationKind};

fn store() -> &'static ModelMeta {
    Store::meta()
}

fn book() -> &'static ModelMeta {
    Book::meta()
}

static FIELDS: [Field; 3] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field {
        attname: "store_id",
        column: "store_id",
        relation: Some(Relation::new(RelationKind::ForeignKey, store)),
        ..Field::new("store", FieldType::ForeignKey)
    },
    Field {
        attname: "book_id",
        column: "book_id",
        relation: Some(Relation::new(RelationKind::ForeignKey, book)),
        ..Field::new("book", FieldType::ForeignKey)
    },
];

/// The auto-created through model of `Store.books`.
pub static STORE_BOOKS: ModelMeta = ModelMeta::new(
    "bookstore",
    "Store_books",
    "store_books",
    "bookstore_store_books",
    &FIELDS,
);
