//! Test models mirroring the reference Django bookstore used for the SQL snapshots
//! (fields in the order Django's initial migration lists them).
#![allow(dead_code)]

use nuages_db::models::meta::{
    ConstValue, Constraint, Field, FieldType, Index, ModelMeta, OnDelete, Relation, RelationKind, StaticQ,
};
use nuages_db::Value;

const fn fk(name: &'static str, column: &'static str, to: fn() -> &'static ModelMeta) -> Field {
    Field {
        attname: column,
        column,
        db_index: true,
        relation: Some(Relation::new(RelationKind::ForeignKey, to)),
        ..Field::new(name, FieldType::ForeignKey)
    }
}

pub fn author() -> &'static ModelMeta {
    &AUTHOR
}
pub fn publisher() -> &'static ModelMeta {
    &PUBLISHER
}
pub fn genre() -> &'static ModelMeta {
    &GENRE
}
pub fn book() -> &'static ModelMeta {
    &BOOK
}

static AUTHOR_FIELDS: [Field; 4] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("name", FieldType::CharField).max_length(100),
    Field {
        unique: true,
        ..Field::new("email", FieldType::EmailField).max_length(254)
    },
    Field {
        blank: true,
        ..Field::new("birth_date", FieldType::DateField).null()
    },
];
pub static AUTHOR: ModelMeta = ModelMeta::new(
    "bookstore",
    "Author",
    "author",
    "bookstore_author",
    &AUTHOR_FIELDS,
);

static GENRE_FIELDS: [Field; 2] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field {
        unique: true,
        ..Field::new("name", FieldType::CharField).max_length(50)
    },
];
pub static GENRE: ModelMeta = ModelMeta::new("bookstore", "Genre", "genre", "bookstore_genre", &GENRE_FIELDS);

static PUBLISHER_FIELDS: [Field; 3] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field {
        db_index: true,
        ..Field::new("name", FieldType::CharField).max_length(200)
    },
    Field {
        blank: true,
        ..Field::new("website", FieldType::URLField).max_length(200)
    },
];
pub static PUBLISHER: ModelMeta = ModelMeta::new(
    "bookstore",
    "Publisher",
    "publisher",
    "bookstore_publisher",
    &PUBLISHER_FIELDS,
);

static BOOK_FIELDS: [Field; 15] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("title", FieldType::CharField).max_length(200),
    Field {
        unique: true,
        ..Field::new("isbn", FieldType::CharField).max_length(13)
    },
    Field {
        max_digits: Some(8),
        decimal_places: Some(2),
        ..Field::new("price", FieldType::DecimalField)
    },
    Field {
        default: Some(|| Value::Int(0)),
        ..Field::new("rating", FieldType::PositiveSmallIntegerField)
    },
    Field::new("published", FieldType::DateTimeField),
    Field {
        default: Some(|| Value::Bool(true)),
        ..Field::new("in_print", FieldType::BooleanField)
    },
    Field::new("uid", FieldType::UUIDField),
    Field {
        default: Some(|| Value::json(serde_json::Value::Object(Default::default()))),
        ..Field::new("metadata", FieldType::JSONField)
    },
    Field {
        blank: true,
        ..Field::new("summary", FieldType::TextField)
    },
    Field::new("duration", FieldType::DurationField).null(),
    fk("author", "author_id", author),
    Field {
        null: true,
        ..fk("parent", "parent_id", book)
    },
    Field {
        null: true,
        relation: Some(Relation {
            on_delete: OnDelete::SetNull,
            ..Relation::new(RelationKind::ForeignKey, publisher)
        }),
        ..fk("publisher", "publisher_id", publisher)
    },
    Field {
        relation: Some(Relation::new(RelationKind::ManyToMany, genre)),
        ..Field::new("genres", FieldType::ManyToManyField)
    },
];

static PRICE_RATING: [StaticQ; 2] = [
    StaticQ::Lookup("price__gte", ConstValue::Int(0)),
    StaticQ::Lookup("rating__lte", ConstValue::Int(5)),
];
static BOOK_CONSTRAINTS: [Constraint; 3] = [
    Constraint::Check {
        name: "price_rating_check",
        condition: StaticQ::And(&PRICE_RATING),
    },
    Constraint::Unique {
        name: "uniq_title_author",
        fields: &["title", "author"],
        condition: None,
    },
    Constraint::Unique {
        name: "uniq_isbn_in_print",
        fields: &["isbn"],
        condition: Some(StaticQ::Lookup("in_print", ConstValue::Bool(true))),
    },
];
static BOOK_INDEXES: [Index; 1] = [Index::new("book_pub_title_idx", &["-published", "title"])];

pub static BOOK: ModelMeta = ModelMeta {
    unique_together: &[&["title", "publisher"]],
    indexes: &BOOK_INDEXES,
    constraints: &BOOK_CONSTRAINTS,
    ..ModelMeta::new("bookstore", "Book", "book", "bookstore_book", &BOOK_FIELDS)
};

pub fn all() -> Vec<&'static ModelMeta> {
    vec![&AUTHOR, &GENRE, &PUBLISHER, &BOOK]
}
