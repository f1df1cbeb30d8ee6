//! Compiler tests on hand-written bookstore metadata (exactly what `#[derive(Model)]`
//! generates), with SQL snapshots per dialect.

use crate::backends::Vendor;
use crate::models::meta::{Field, FieldType, ModelMeta, OnDelete, Relation, RelationKind};
use crate::models::registry::ModelRegistration;
use crate::query::compiler::{Compiler, SelectMode};
use crate::value::Value;

use super::*;

const fn fk(
    name: &'static str,
    attname: &'static str,
    to: fn() -> &'static ModelMeta,
    related: &'static str,
) -> Field {
    let mut f = Field::new(name, FieldType::ForeignKey);
    f.attname = attname;
    f.column = attname;
    let mut r = Relation::new(RelationKind::ForeignKey, to);
    if !related.is_empty() {
        r.related_name = Some(related);
    }
    f.relation = Some(r);
    f
}

const fn decimal(name: &'static str) -> Field {
    let mut f = Field::new(name, FieldType::DecimalField);
    f.max_digits = Some(8);
    f.decimal_places = Some(2);
    f
}

fn publisher() -> &'static ModelMeta {
    &PUBLISHER
}
fn author() -> &'static ModelMeta {
    &AUTHOR
}
fn genre() -> &'static ModelMeta {
    &GENRE
}
fn book() -> &'static ModelMeta {
    &BOOK
}
fn book_genre() -> &'static ModelMeta {
    &BOOK_GENRE
}

static PUBLISHER_FIELDS: [Field; 4] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("name", FieldType::CharField).max_length(100),
    Field::new("country", FieldType::CharField).max_length(50),
    Field::new("founded", FieldType::IntegerField).null(),
];
pub(crate) static PUBLISHER: ModelMeta = ModelMeta::new(
    "bookstore",
    "Publisher",
    "publisher",
    "bookstore_publisher",
    &PUBLISHER_FIELDS,
);

static AUTHOR_FIELDS: [Field; 5] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("name", FieldType::CharField).max_length(100),
    Field::new("email", FieldType::EmailField).max_length(254),
    Field::new("birth_date", FieldType::DateField).null(),
    Field::new("bio", FieldType::TextField),
];
pub(crate) static AUTHOR: ModelMeta = {
    let mut m = ModelMeta::new(
        "bookstore",
        "Author",
        "author",
        "bookstore_author",
        &AUTHOR_FIELDS,
    );
    m.ordering = &["name"];
    m
};

static PROFILE_FIELDS: [Field; 4] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    {
        let mut f = Field::new("author", FieldType::OneToOneField);
        f.attname = "author_id";
        f.column = "author_id";
        f.unique = true;
        let mut r = Relation::new(RelationKind::OneToOne, author);
        r.related_name = Some("profile");
        f.relation = Some(r);
        f
    },
    Field::new("website", FieldType::URLField),
    Field::new("followers", FieldType::PositiveIntegerField),
];
pub(crate) static PROFILE: ModelMeta = ModelMeta::new(
    "bookstore",
    "AuthorProfile",
    "authorprofile",
    "bookstore_authorprofile",
    &PROFILE_FIELDS,
);

static GENRE_FIELDS: [Field; 3] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("name", FieldType::CharField).max_length(50),
    Field::new("slug", FieldType::SlugField).max_length(50),
];
pub(crate) static GENRE: ModelMeta =
    ModelMeta::new("bookstore", "Genre", "genre", "bookstore_genre", &GENRE_FIELDS);

static BOOK_FIELDS: [Field; 11] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("title", FieldType::CharField).max_length(200),
    Field::new("publication_date", FieldType::DateField),
    fk("author", "author_id", author, "books"),
    {
        let mut f = fk("publisher", "publisher_id", publisher, "books");
        f.null = true;
        if let Some(r) = &mut f.relation {
            r.on_delete = OnDelete::SetNull;
        }
        f
    },
    {
        let mut f = Field::new("genres", FieldType::ManyToManyField);
        let mut r = Relation::new(RelationKind::ManyToMany, genre);
        r.related_name = Some("books");
        r.through = Some(book_genre);
        f.relation = Some(r);
        f
    },
    decimal("price"),
    Field::new("rating", FieldType::FloatField).null(),
    Field::new("pages", FieldType::IntegerField),
    Field::new("is_published", FieldType::BooleanField),
    Field::new("created_at", FieldType::DateTimeField),
];
pub(crate) static BOOK: ModelMeta = {
    let mut m = ModelMeta::new("bookstore", "Book", "book", "bookstore_book", &BOOK_FIELDS);
    m.ordering = &["-publication_date", "id"];
    m
};

static BOOK_GENRE_FIELDS: [Field; 4] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    fk("book", "book_id", book, ""),
    fk("genre", "genre_id", genre, ""),
    Field::new("added_on", FieldType::DateField),
];
pub(crate) static BOOK_GENRE: ModelMeta = ModelMeta::new(
    "bookstore",
    "BookGenre",
    "bookgenre",
    "bookstore_bookgenre",
    &BOOK_GENRE_FIELDS,
);

static REVIEW_FIELDS: [Field; 6] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    fk("book", "book_id", book, "reviews"),
    Field::new("reviewer_name", FieldType::CharField).max_length(100),
    Field::new("rating", FieldType::PositiveSmallIntegerField),
    Field::new("text", FieldType::TextField),
    Field::new("created_at", FieldType::DateTimeField),
];
pub(crate) static REVIEW: ModelMeta = ModelMeta::new(
    "bookstore",
    "Review",
    "review",
    "bookstore_review",
    &REVIEW_FIELDS,
);

static STORE_FIELDS: [Field; 3] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("name", FieldType::CharField).max_length(100),
    {
        let mut f = Field::new("books", FieldType::ManyToManyField);
        let mut r = Relation::new(RelationKind::ManyToMany, book);
        r.related_name = Some("stores");
        f.relation = Some(r);
        f
    },
];
pub(crate) static STORE: ModelMeta =
    ModelMeta::new("bookstore", "Store", "store", "bookstore_store", &STORE_FIELDS);

inventory::submit! { ModelRegistration(|| &PUBLISHER) }
inventory::submit! { ModelRegistration(|| &AUTHOR) }
inventory::submit! { ModelRegistration(|| &PROFILE) }
inventory::submit! { ModelRegistration(|| &GENRE) }
inventory::submit! { ModelRegistration(|| &BOOK) }
inventory::submit! { ModelRegistration(|| &BOOK_GENRE) }
inventory::submit! { ModelRegistration(|| &REVIEW) }
inventory::submit! { ModelRegistration(|| &STORE) }

fn sql(qs: &DynQuerySet, vendor: Vendor) -> String {
    match qs.sql(vendor) {
        Ok(Some(c)) => c.sql,
        Ok(None) => "<empty>".into(),
        Err(e) => format!("<{}: {e}>", e.class_name()),
    }
}

fn books() -> DynQuerySet {
    DynQuerySet::new(&BOOK)
}

const BOOK_COLS: &str = r#""bookstore_book"."id", "bookstore_book"."title", "bookstore_book"."publication_date", "bookstore_book"."author_id", "bookstore_book"."publisher_id", "bookstore_book"."price", "bookstore_book"."rating", "bookstore_book"."pages", "bookstore_book"."is_published", "bookstore_book"."created_at""#;

#[test]
fn choices_list_reverse_relations_like_django() {
    let err = books().filter_str("nope", 1).check().unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot resolve keyword 'nope' into field. Choices are: author, author_id, bookgenre, created_at, genres, id, is_published, pages, price, publication_date, publisher, publisher_id, rating, reviews, stores, title"
    );
    let err = books().filter_str("author__nope", 1).check().unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unsupported lookup 'nope' for ForeignKey or join on the field not permitted."
    );
    let err = books().filter_str("pages", "abc").check().unwrap_err();
    assert_eq!(
        (err.class_name(), err.to_string().as_str()),
        ("ValueError", "Field 'pages' expected a number but got 'abc'.")
    );
    let err = books().filter_str("pk__in", 5).check().unwrap_err();
    assert_eq!(
        (err.class_name(), err.to_string().as_str()),
        ("TypeError", "'int' object is not iterable")
    );
    let err = books().filter_str("title__foo__bar", 1).check().unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unsupported lookup 'foo__bar' for CharField or join on the field not permitted."
    );
}

#[test]
fn exact_and_default_ordering_per_dialect() {
    let qs = books().filter_str("title", "Don't Panic");
    assert_eq!(
        sql(&qs, Vendor::Sqlite),
        format!(
            r#"SELECT {BOOK_COLS} FROM "bookstore_book" WHERE "bookstore_book"."title" = ? ORDER BY "bookstore_book"."publication_date" DESC, "bookstore_book"."id" ASC"#
        )
    );
    assert!(sql(&qs, Vendor::Postgres).contains(r#"WHERE "bookstore_book"."title" = $1 ORDER BY"#));
    assert!(sql(&qs, Vendor::MySql).starts_with("SELECT `bookstore_book`.`id`"));
}

#[test]
fn like_lookups_escape_and_render_per_backend() {
    let qs = books().filter_str("title__contains", "_100%").order_by(["pk"]);
    let c = qs.sql(Vendor::Sqlite).unwrap().unwrap();
    assert!(
        c.sql.contains(r#""bookstore_book"."title" LIKE ? ESCAPE '\'"#),
        "{}",
        c.sql
    );
    assert_eq!(c.params, vec![Value::Text(r"%\_100\%%".into())]);
    let pg = qs.sql(Vendor::Postgres).unwrap().unwrap();
    assert!(
        pg.sql.contains(r#""bookstore_book"."title"::text LIKE $1"#),
        "{}",
        pg.sql
    );
    let my = qs.sql(Vendor::MySql).unwrap().unwrap();
    assert!(
        my.sql.contains("`bookstore_book`.`title` LIKE BINARY ?"),
        "{}",
        my.sql
    );
    let ic = books().filter_str("title__icontains", "CAFÉ");
    assert!(sql(&ic, Vendor::Postgres).contains(r#"UPPER("bookstore_book"."title"::text) LIKE UPPER($1)"#));
    let ie = books().filter_str("title__iexact", "a%b");
    let pg = ie.sql(Vendor::Postgres).unwrap().unwrap();
    assert!(pg
        .sql
        .contains(r#"UPPER("bookstore_book"."title"::text) = UPPER($1)"#));
    assert_eq!(pg.params, vec![Value::Text("a%b".into())]);
    let lite = ie.sql(Vendor::Sqlite).unwrap().unwrap();
    assert_eq!(lite.params, vec![Value::Text(r"a\%b".into())]);
}

#[test]
fn select_for_update_follows_the_mysql_server() {
    use crate::backends::MySqlServer;
    // Django 5.2's MySQL features: `has_select_for_update_of` is `not mysql_is_mariadb`,
    // `has_select_for_update_skip_locked` needs MariaDB 10.6, NOWAIT is everywhere.
    let compile = |server: &str, qs: DynQuerySet| -> String {
        let server = MySqlServer::from_version(server);
        let mut c = Compiler::new(Vendor::MySql);
        c.mysql_is_mariadb = server.mariadb;
        c.features = server.features();
        match c.select(&qs.query, SelectMode::Rows) {
            Ok(Some(stmt)) => c.finish(&stmt).sql,
            Ok(None) => "<empty>".into(),
            Err(e) => format!("<{}: {e}>", e.class_name()),
        }
    };
    let of = || books().select_for_update(false, false, &["self"], false);
    let of_nowait = || books().select_for_update(true, false, &["self"], false);
    let of_skip = || books().select_for_update(false, true, &["self"], false);
    let skip = || books().select_for_update(false, true, &[], false);
    let mysql = "8.0.36";
    assert!(
        compile(mysql, of()).ends_with(" FOR UPDATE OF `bookstore_book`"),
        "{}",
        compile(mysql, of())
    );
    assert!(compile(mysql, of_nowait()).ends_with(" FOR UPDATE OF `bookstore_book` NOWAIT"));
    assert!(compile(mysql, of_skip()).ends_with(" FOR UPDATE OF `bookstore_book` SKIP LOCKED"));
    let refused = "<NotSupportedError: FOR UPDATE OF is not supported on this database backend.>";
    for maria in ["10.5.23-MariaDB", "10.11.6-MariaDB-0+deb12u1"] {
        assert_eq!(compile(maria, of()), refused, "{maria}");
        assert!(compile(maria, books().select_for_update(true, false, &[], false))
            .ends_with(" FOR UPDATE NOWAIT"));
    }
    assert!(compile("10.11.6-MariaDB", skip()).ends_with(" FOR UPDATE SKIP LOCKED"));
    assert_eq!(
        compile("10.5.23-MariaDB", skip()),
        "<NotSupportedError: SKIP LOCKED is not supported on this database backend.>"
    );
    assert!(compile(mysql, skip()).ends_with(" FOR UPDATE SKIP LOCKED"));
    let no_key = books().select_for_update(false, false, &[], true);
    assert_eq!(
        compile(mysql, no_key),
        "<NotSupportedError: FOR NO KEY UPDATE is not supported on this database backend.>"
    );
    // Without a server (no MySQL alias), what both do: no OF.
    assert_eq!(sql(&of(), Vendor::MySql), refused);
}

#[test]
fn select_for_update_of_names_only_followed_relations() {
    // Django's get_select_for_update_of_arguments: `self`, or a relation the query
    // follows with select_related; any other name is a FieldError listing the choices.
    let of =
        |qs: DynQuerySet, of: &[&str]| sql(&qs.select_for_update(false, false, of, false), Vendor::Postgres);
    assert!(of(books().select_related(["author"]), &["self", "author"])
        .ends_with(r#" FOR UPDATE OF "bookstore_book", "bookstore_author""#));
    assert!(
        of(books().select_related(["author"]), &["author"]).ends_with(r#" FOR UPDATE OF "bookstore_author""#)
    );
    assert_eq!(
        of(books(), &["author"]),
        "<FieldError: Invalid field name(s) given in select_for_update(of=(...)): author. \
         Only relational fields followed in the query are allowed. Choices are: self.>"
    );
    assert_eq!(
        of(
            books().select_related(["author", "publisher"]),
            &["title", "self", "genres"]
        ),
        "<FieldError: Invalid field name(s) given in select_for_update(of=(...)): title, genres. \
         Only relational fields followed in the query are allowed. Choices are: self, author, \
         publisher.>"
    );
    // SQLite has no row locks: the lock, and so its `of`, are ignored there, as in Django.
    assert!(!sql(
        &books().select_for_update(false, false, &["author"], false),
        Vendor::Sqlite
    )
    .contains("FOR UPDATE"));
}

#[test]
fn regex_lookups_render_for_mysql_8_and_mariadb() {
    // Django's `regex_lookup`: REGEXP_LIKE with a match type on MySQL 8 (what an alias
    // that is not a MariaDB server compiles), REGEXP [BINARY] on MariaDB.
    let mysql = |lookup: &str| sql(&books().filter_str(lookup, "^a"), Vendor::MySql);
    let mariadb = |lookup: &str| {
        let qs = books().filter_str(lookup, "^a");
        let mut c = Compiler::new(Vendor::MySql);
        c.mysql_is_mariadb = true;
        let stmt = c.select(&qs.query, SelectMode::Rows).unwrap().unwrap();
        c.finish(&stmt).sql
    };
    assert!(
        mysql("title__regex").contains("WHERE REGEXP_LIKE(`bookstore_book`.`title`, ?, 'c')"),
        "{}",
        mysql("title__regex")
    );
    assert!(mysql("title__iregex").contains("WHERE REGEXP_LIKE(`bookstore_book`.`title`, ?, 'i')"));
    assert!(
        mariadb("title__regex").contains("WHERE `bookstore_book`.`title` REGEXP BINARY ?"),
        "{}",
        mariadb("title__regex")
    );
    assert!(mariadb("title__iregex").contains("WHERE `bookstore_book`.`title` REGEXP ?"));
    // Only a MySQL alias whose server says "MariaDB" compiles MariaDB's form.
    assert!(!crate::connection::mysql_is_mariadb("no_such_alias"));
}

#[test]
fn empty_in_runs_no_query_and_none_is_null() {
    assert_eq!(
        sql(&books().filter_str("pk__in", Vec::<i64>::new()), Vendor::Sqlite),
        "<empty>"
    );
    assert_eq!(sql(&books().none(), Vendor::Sqlite), "<empty>");
    let q = books()
        .filter_str("rating", Value::Null)
        .order_by(Vec::<String>::new());
    assert!(sql(&q, Vendor::Sqlite).ends_with(r#"WHERE "bookstore_book"."rating" IS NULL"#));
    // NOT (pk IN ()) is everything.
    let q = books()
        .exclude_str("pk__in", Vec::<i64>::new())
        .order_by(Vec::<String>::new());
    assert_eq!(
        sql(&q, Vendor::Sqlite),
        format!(r#"SELECT {BOOK_COLS} FROM "bookstore_book""#)
    );
}

#[test]
fn forward_joins_inner_and_nullable_left_outer() {
    let q = books()
        .filter_str("author__name__icontains", "rowling")
        .order_by(Vec::<String>::new());
    assert!(sql(&q, Vendor::Sqlite).contains(
        r#"FROM "bookstore_book" INNER JOIN "bookstore_author" ON "bookstore_book"."author_id" = "bookstore_author"."id""#
    ));
    // exclude across a nullable FK keeps LEFT OUTER and adds IS NOT NULL.
    let q = books()
        .exclude_str("publisher__country", "US")
        .order_by(Vec::<String>::new());
    let s = sql(&q, Vendor::Sqlite);
    assert!(s.contains(r#"LEFT JOIN "bookstore_publisher""#), "{s}");
    assert!(
        s.contains(
            r#"NOT ("bookstore_publisher"."country" = ? AND "bookstore_publisher"."country" IS NOT NULL)"#
        ),
        "{s}"
    );
    // isnull on the FK itself is trimmed to the local column.
    let q = books()
        .filter_str("publisher__isnull", true)
        .order_by(Vec::<String>::new());
    assert!(sql(&q, Vendor::Sqlite).ends_with(r#"WHERE "bookstore_book"."publisher_id" IS NULL"#));
    // OR across a relation promotes to LEFT OUTER.
    let q = books()
        .filter(Q::lookup("publisher__name", "x") | Q::lookup("pages", 1))
        .order_by(Vec::<String>::new());
    assert!(sql(&q, Vendor::Sqlite).contains("LEFT JOIN"));
}

#[test]
fn multi_valued_filters_reuse_within_a_call_only() {
    let authors = || DynQuerySet::new(&AUTHOR);
    let one = authors().filter(Q::lookup("books__rating__gte", 4) & Q::lookup("books__pages__gt", 800));
    assert_eq!(sql(&one, Vendor::Sqlite).matches("JOIN").count(), 1);
    let two = authors()
        .filter_str("books__rating__gte", 4)
        .filter_str("books__pages__gt", 800);
    let s = sql(&two, Vendor::Sqlite);
    assert_eq!(s.matches("INNER JOIN").count(), 2, "{s}");
    assert!(s.contains(r#"INNER JOIN "bookstore_book" AS "T3""#), "{s}");
}

#[test]
fn exclude_across_multi_valued_is_a_subquery() {
    let q = DynQuerySet::new(&AUTHOR)
        .exclude_str("books__rating__lt", 2)
        .order_by(["pk"]);
    let s = sql(&q, Vendor::Sqlite);
    assert_eq!(
        s,
        r#"SELECT "bookstore_author"."id", "bookstore_author"."name", "bookstore_author"."email", "bookstore_author"."birth_date", "bookstore_author"."bio" FROM "bookstore_author" WHERE NOT (EXISTS(SELECT "U1"."author_id" FROM "bookstore_book" AS "U1" WHERE ("U1"."rating" < ? AND "U1"."author_id" = "bookstore_author"."id"))) ORDER BY "bookstore_author"."id" ASC"#
    );
    // M2M through an explicit through model.
    let q = DynQuerySet::new(&GENRE).exclude_str("books__is_published", true);
    let s = sql(&q, Vendor::Postgres);
    assert!(s.contains(r#"EXISTS(SELECT "U1"."genre_id" FROM "bookstore_bookgenre" AS "U1" INNER JOIN "bookstore_book" AS "U2""#), "{s}");
}

#[test]
fn reverse_relations_and_m2m_joins() {
    let q = DynQuerySet::new(&AUTHOR)
        .filter_str("books__isnull", true)
        .order_by(["pk"]);
    let s = sql(&q, Vendor::Sqlite);
    assert!(
        s.contains(r#"LEFT JOIN "bookstore_book" ON "bookstore_author"."id" = "bookstore_book"."author_id""#),
        "{s}"
    );
    assert!(s.contains(r#"WHERE "bookstore_book"."id" IS NULL"#), "{s}");
    let q = books().filter_str("stores__isnull", true);
    let s = sql(&q, Vendor::Sqlite);
    assert!(s.contains(r#"LEFT JOIN "bookstore_store_books" ON "bookstore_book"."id" = "bookstore_store_books"."book_id""#), "{s}");
    assert!(
        s.contains(r#"WHERE "bookstore_store_books"."store_id" IS NULL"#),
        "{s}"
    );
    let q = DynQuerySet::new(&AUTHOR).filter_str("profile__followers", 0);
    assert!(sql(&q, Vendor::Sqlite).contains(r#"INNER JOIN "bookstore_authorprofile""#));
}

#[test]
fn transforms_and_year_bounds() {
    let q = books()
        .filter_str("publication_date__year__gte", 2022)
        .order_by(Vec::<String>::new());
    let c = q.sql(Vendor::Sqlite).unwrap().unwrap();
    assert!(
        c.sql
            .ends_with(r#"WHERE "bookstore_book"."publication_date" >= ?"#),
        "{}",
        c.sql
    );
    assert_eq!(
        c.params,
        vec![Value::Date(chrono::NaiveDate::from_ymd_opt(2022, 1, 1).unwrap())]
    );
    let q = books().filter_str("publication_date__year", 2000);
    assert!(sql(&q, Vendor::Postgres).contains(r#""bookstore_book"."publication_date" BETWEEN $1 AND $2"#));
    let q = books().filter_str("publication_date__quarter", 4);
    assert!(sql(&q, Vendor::Sqlite).contains(
        r#"WHERE ((CAST(STRFTIME('%m', "bookstore_book"."publication_date") AS INTEGER) + 2) / 3) = ?"#
    ));
    assert!(sql(&q, Vendor::Postgres)
        .contains(r#"CAST(EXTRACT(QUARTER FROM "bookstore_book"."publication_date") AS integer)"#));
    let r = DynQuerySet::new(&REVIEW).filter_str(
        "created_at__date__gte",
        chrono::NaiveDate::from_ymd_opt(2024, 12, 1).unwrap(),
    );
    assert!(
        sql(&r, Vendor::Postgres).contains(r#"("bookstore_review"."created_at" AT TIME ZONE 'UTC'))::date"#)
    );
    let err = books().filter_str("is_published__gt__lt", 1).check().unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unsupported lookup 'gt__lt' for BooleanField or join on the field not permitted, perhaps you meant gt or gte?"
    );
}

#[test]
fn f_expressions_negation_and_slices() {
    let q = books()
        .filter(!Q::lookup("rating__gt", 3))
        .order_by(Vec::<String>::new());
    let s = sql(&q, Vendor::Sqlite);
    assert!(
        s.ends_with(r#"WHERE NOT ("bookstore_book"."rating" > ? AND "bookstore_book"."rating" IS NOT NULL)"#),
        "{s}"
    );
    let q = books()
        .filter_str("pages__lt", F::new("pages") * 2 + 1)
        .order_by(["pk"])
        .slice(Some(5), Some(10));
    let c = q.sql(Vendor::Sqlite).unwrap().unwrap();
    assert!(
        c.sql
            .contains(r#""bookstore_book"."pages" < ("bookstore_book"."pages" * ?) + ?"#)
            || c.sql
                .contains(r#""bookstore_book"."pages" < "bookstore_book"."pages" * ? + ?"#),
        "{}",
        c.sql
    );
    assert!(c.sql.ends_with("LIMIT ? OFFSET ?"));
    assert_eq!(
        c.params,
        vec![Value::Int(2), Value::Int(1), Value::Int(5), Value::Int(5)]
    );
    let err = books()
        .slice(Some(0), Some(5))
        .order_by(["pk"])
        .check()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot reorder a query once a slice has been taken."
    );
    let err = books().slice(Some(-1), None).check().unwrap_err();
    assert_eq!(err.to_string(), "Negative indexing is not supported.");
    let q = books().order_by_exprs([F::new("rating").desc().nulls_last()]);
    assert!(sql(&q, Vendor::Sqlite).ends_with(r#"ORDER BY "bookstore_book"."rating" DESC NULLS LAST"#));
    assert!(sql(&q, Vendor::MySql)
        .ends_with("ORDER BY `bookstore_book`.`rating` IS NULL ASC, `bookstore_book`.`rating` DESC"));
}

#[test]
fn ordering_by_relation_uses_related_meta_ordering() {
    let q = books().order_by(["author", "pk"]);
    let s = sql(&q, Vendor::Sqlite);
    assert!(
        s.ends_with(r#"ORDER BY "bookstore_author"."name" ASC, "bookstore_book"."id" ASC"#),
        "{s}"
    );
    let q = books().order_by(["publisher__name"]);
    assert!(sql(&q, Vendor::Sqlite).contains(r#"LEFT JOIN "bookstore_publisher""#));
    let q = books().order_by(["author_id"]);
    assert!(sql(&q, Vendor::Sqlite).ends_with(r#"ORDER BY "bookstore_book"."author_id" ASC"#));
}

#[test]
fn in_subquery_and_values() {
    let sub = DynQuerySet::new(&AUTHOR).filter_str("birth_date__isnull", true);
    let q = books()
        .filter_str("author__in", sub)
        .order_by(["pk"])
        .values_list(["pk"], true, false);
    let s = sql(&q, Vendor::Sqlite);
    assert_eq!(
        s,
        r#"SELECT "bookstore_book"."id" FROM "bookstore_book" WHERE "bookstore_book"."author_id" IN (SELECT "U0"."id" FROM "bookstore_author" AS "U0" WHERE "U0"."birth_date" IS NULL) ORDER BY "bookstore_book"."id" ASC"#
    );
    let err = DynQuerySet::new(&GENRE)
        .values_list(["slug", "name"], true, false)
        .check()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "'flat' is not valid when values_list is called with more than one field."
    );
    let q = books().values(["pk", "publication_date__year", "reviews__rating"]);
    let s = sql(&q, Vendor::Sqlite);
    assert!(s.starts_with(r#"SELECT "bookstore_book"."id", CAST(STRFTIME('%Y', "bookstore_book"."publication_date") AS INTEGER), "bookstore_review"."rating" FROM "bookstore_book" LEFT JOIN "bookstore_review""#), "{s}");
}

#[test]
fn count_update_delete_sql() {
    let c = books()
        .order_by(["pk"])
        .slice(Some(10), Some(25))
        .count_sql(Vendor::Sqlite)
        .unwrap()
        .unwrap();
    assert!(
        c.sql.starts_with(
            r#"SELECT COUNT(*) FROM (SELECT "bookstore_book"."id" FROM "bookstore_book" ORDER BY"#
        ),
        "{}",
        c.sql
    );
    let c = books()
        .filter_str("pages__gt", 1)
        .count_sql(Vendor::Postgres)
        .unwrap()
        .unwrap();
    assert_eq!(
        c.sql,
        r#"SELECT COUNT(*) AS "__count" FROM "bookstore_book" WHERE "bookstore_book"."pages" > $1"#
    );
    let qs = books().filter_str("author__name__startswith", "Rosa");
    let u = write::update_sql(
        &qs,
        Vendor::Sqlite,
        &[("rating".into(), Expression::Value(Value::Null))],
    )
    .unwrap()
    .unwrap();
    assert!(u.sql.starts_with(r#"UPDATE "bookstore_book" SET "rating" = ? WHERE "bookstore_book"."id" IN (SELECT "bookstore_book"."id" FROM "bookstore_book" INNER JOIN"#), "{}", u.sql);
    let err =
        write::update_sql(&books(), Vendor::Sqlite, &[("nope".into(), Expression::from(1))]).unwrap_err();
    assert_eq!(
        (err.class_name(), err.to_string().as_str()),
        ("FieldDoesNotExist", "Book has no field named 'nope'")
    );
    let d = write::delete_sql(
        &DynQuerySet::new(&GENRE).filter_str("slug", "poetry"),
        Vendor::MySql,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        d.sql,
        "DELETE FROM `bookstore_genre` WHERE `bookstore_genre`.`slug` = ?"
    );
    let err =
        write::delete_sql(&books().order_by(["pk"]).slice(Some(0), Some(2)), Vendor::Sqlite).unwrap_err();
    assert_eq!(err.to_string(), "Cannot use 'limit' or 'offset' with delete().");
}

#[test]
fn distinct_on_is_postgres_only() {
    let q = books().distinct_on(["author"]).order_by(["author", "-pages"]);
    assert!(
        sql(&q, Vendor::Postgres)
            .starts_with(r#"SELECT DISTINCT ON ("bookstore_book"."author_id") "bookstore_book"."id""#),
        "{}",
        sql(&q, Vendor::Postgres)
    );
    assert_eq!(
        sql(&q, Vendor::Sqlite),
        "<NotSupportedError: DISTINCT ON fields is not supported by this database backend.>"
    );
}
