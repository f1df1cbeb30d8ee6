//! Multi-table inheritance and proxy models on every test database: queries through the
//! parent, saves writing both tables, the collector deleting both rows, select_related,
//! the parent's accessor of the child, proxies' own ordering and labels, migrations.

use std::collections::BTreeMap;

use nuages_db::migrations::autodetector::{changes, NonInteractiveQuestioner};
use nuages_db::migrations::operations::Operation;
use nuages_db::migrations::state::ProjectState;
use nuages_db::models::instance::{ModelInstance, SaveOptions};
use nuages_db::models::manager::Manager;
use nuages_db::models::model::ForeignKey;
use nuages_db::models::state::ModelState;
use nuages_db::query::{BulkCreateOptions, Expression, Q};
use nuages_db::{schema, testing, DbError, Model, ModelMeta, Value, Vendor};
use nuages_macros::{q, Model};

#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "inh")]
pub struct Writer {
    pub id: i64,
    #[field(max_length = 50)]
    pub name: String,
}

#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "inh", ordering = ["title"])]
pub struct Publication {
    pub id: i64,
    #[field(max_length = 100)]
    pub title: String,
    #[field(on_delete = Cascade, related_name = "publications")]
    pub writer: ForeignKey<Writer>,
    pub _state: ModelState,
}

#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "inh")]
pub struct Book {
    #[field(parent_link)]
    pub publication_ptr: Publication,
    #[field(max_length = 20)]
    pub isbn: String,
    pub pages: i32,
}

/// A grandchild: two parent links deep.
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "inh")]
pub struct EBook {
    #[field(parent_link)]
    pub book_ptr: Book,
    #[field(max_length = 10)]
    pub format: String,
}

#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "inh")]
pub struct Review {
    pub id: i64,
    #[field(on_delete = Cascade, related_name = "reviews")]
    pub publication: ForeignKey<Publication>,
    pub rating: i32,
}

#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "inh")]
pub struct Chapter {
    pub id: i64,
    #[field(on_delete = Cascade, related_name = "chapters")]
    pub book: ForeignKey<Book>,
    #[field(max_length = 50)]
    pub title: String,
}

/// A proxy with its own ordering and methods.
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "inh", proxy, ordering = ["-title"])]
pub struct NewestFirst(pub Publication);

impl NewestFirst {
    /// A method of the proxy only.
    pub fn shout(&self) -> String {
        self.title.to_uppercase()
    }
}

/// A proxy of a multi-table child.
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "inh", proxy)]
pub struct Paperback(pub Book);

fn models() -> Vec<&'static ModelMeta> {
    vec![
        Writer::meta(),
        Publication::meta(),
        Book::meta(),
        EBook::meta(),
        Review::meta(),
        Chapter::meta(),
        NewestFirst::meta(),
        Paperback::meta(),
    ]
}

async fn save<M: Model>(alias: &str, mut obj: M) -> M {
    obj.save_with(SaveOptions::using(alias)).await.unwrap();
    obj
}

fn book(writer: &Writer, title: &str, isbn: &str) -> Book {
    Book {
        publication_ptr: Publication {
            title: title.into(),
            writer: ForeignKey::new(writer.id),
            ..Default::default()
        },
        isbn: isbn.into(),
        pages: 100,
    }
}

async fn setup(alias: &str) -> (Writer, Publication, Book) {
    schema::create_models(alias, &models()).await.unwrap();
    let w = save(
        alias,
        Writer {
            name: "Ann".into(),
            ..Default::default()
        },
    )
    .await;
    let plain = save(
        alias,
        Publication {
            title: "Zine".into(),
            writer: ForeignKey::new(w.id),
            ..Default::default()
        },
    )
    .await;
    let b = save(alias, book(&w, "Dune", "111")).await;
    (w, plain, b)
}

fn counts(v: &[(&str, u64)]) -> Vec<(String, u64)> {
    v.iter().map(|(l, n)| (l.to_string(), *n)).collect()
}

#[test]
fn metadata_lists_parent_fields_first_and_the_link_is_the_key() {
    let meta = Book::meta();
    let names: Vec<&str> = meta.fields.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        ["id", "title", "writer", "publication_ptr", "isbn", "pages"]
    );
    assert_eq!(meta.pk().name, "publication_ptr");
    assert_eq!(meta.pk().column, "publication_ptr_id");
    let local: Vec<&str> = meta.local_fields().iter().map(|f| f.name).collect();
    assert_eq!(local, ["publication_ptr", "isbn", "pages"]);
    assert!(meta.pk().relation.is_some_and(|r| r.parent_link));
    assert_eq!(meta.ordering, ["title"], "a child inherits its parent's ordering");
    assert_eq!(NewestFirst::meta().db_table, "inh_publication");
    assert_eq!(NewestFirst::meta().ordering, ["-title"]);
    assert_eq!(Paperback::meta().ordering, ["title"]);
    let ebook: Vec<&str> = EBook::meta().fields.iter().map(|f| f.name).collect();
    assert_eq!(
        ebook,
        [
            "id",
            "title",
            "writer",
            "publication_ptr",
            "isbn",
            "pages",
            "book_ptr",
            "format"
        ]
    );
}

#[test]
fn child_queries_join_the_parent() {
    let sql = Book::objects()
        .filter(Q::lookup("title__icontains", "dune"))
        .as_dyn()
        .sql(Vendor::Sqlite)
        .unwrap()
        .unwrap()
        .sql;
    assert_eq!(
        sql,
        r#"SELECT "inh_publication"."id", "inh_publication"."title", "inh_publication"."writer_id", "inh_book"."publication_ptr_id", "inh_book"."isbn", "inh_book"."pages" FROM "inh_book" INNER JOIN "inh_publication" ON "inh_book"."publication_ptr_id" = "inh_publication"."id" WHERE "inh_publication"."title" LIKE ? ESCAPE '\' ORDER BY "inh_publication"."title" ASC"#
    );
}

#[tokio::test]
async fn querying_parent_and_child() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let (w, plain, b) = setup(alias).await;
        assert!(b.publication_ptr.id > 0);
        assert_eq!(Publication::objects().using(alias).count().await.unwrap(), 2);
        assert_eq!(Book::objects().using(alias).count().await.unwrap(), 1);
        let got = Book::objects()
            .using(alias)
            .filter(Q::lookup("title__icontains", "DUN"))
            .get(Q::default())
            .await
            .unwrap();
        assert_eq!((got.title.as_str(), got.isbn.as_str()), ("Dune", "111"));
        assert_eq!(got.pk(), Value::Int(b.publication_ptr.id));
        assert_eq!(got.writer.id(), &Value::Int(w.id));
        let typed = Book::objects()
            .using(alias)
            .filter(q!(Book: title__startswith = "Du", isbn = "111"))
            .filter(Book::fields().writer().name().exact("Ann"))
            .count()
            .await
            .unwrap();
        assert_eq!(typed, 1);
        // The parent's reverse relations and the child's name on the parent.
        assert_eq!(
            Publication::objects()
                .using(alias)
                .filter(Q::lookup("book__isbn", "111"))
                .count()
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            Writer::objects()
                .using(alias)
                .filter(Q::lookup("publications__book__pages", 100))
                .count()
                .await
                .unwrap(),
            1
        );
        // parent.book: the child, or RelatedObjectDoesNotExist.
        let parent = Publication::objects()
            .using(alias)
            .get(Q::lookup("pk", b.publication_ptr.id))
            .await
            .unwrap();
        assert_eq!(parent.book().await.unwrap().isbn, "111");
        let err = plain.book().await.unwrap_err();
        assert!(err.is_does_not_exist(), "{err:?}");
        assert_eq!(err.to_string(), "Publication has no book.");
        // values() lists the parent's fields first, as Django.
        let row = Book::objects()
            .using(alias)
            .values(Vec::<String>::new())
            .fetch()
            .await
            .unwrap();
        assert_eq!(
            row[0].columns().to_vec(),
            ["id", "title", "writer_id", "publication_ptr_id", "isbn", "pages"]
        );
        // Ordering by an inherited field, and the parent's ordering as default.
        save(alias, book(&w, "Anathem", "222")).await;
        let titles: Vec<String> = Book::objects()
            .using(alias)
            .fetch()
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.title.clone())
            .collect();
        assert_eq!(titles, ["Anathem", "Dune"]);
        let by_pages: Vec<String> = Book::objects()
            .using(alias)
            .order_by(["-title"])
            .fetch()
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.isbn.clone())
            .collect();
        assert_eq!(by_pages, ["111", "222"]);
        // select_related through an inherited foreign key.
        let loaded = Book::objects()
            .using(alias)
            .select_related(["writer"])
            .get(Q::lookup("isbn", "111"))
            .await
            .unwrap();
        assert_eq!(loaded.writer.loaded().map(|w| w.name.as_str()), Some("Ann"));
        // select_related of the child from the parent (reverse one-to-one).
        let p = Publication::objects()
            .using(alias)
            .select_related(["book"])
            .get(Q::lookup("title", "Dune"))
            .await
            .unwrap();
        assert_eq!(p.book().await.unwrap().isbn, "111");
        // A grandchild.
        let e = save(
            alias,
            EBook {
                book_ptr: book(&w, "Snow Crash", "333"),
                format: "epub".into(),
            },
        )
        .await;
        let got = EBook::objects()
            .using(alias)
            .get(Q::lookup("title", "Snow Crash"))
            .await
            .unwrap();
        assert_eq!((got.isbn.as_str(), got.format.as_str()), ("333", "epub"));
        assert_eq!(got.pk(), e.pk());
        assert_eq!(Publication::objects().using(alias).count().await.unwrap(), 4);
        assert_eq!(Book::objects().using(alias).count().await.unwrap(), 3);
        schema::drop_models(alias, &models()).await.unwrap();
    }
}

#[tokio::test]
async fn saving_and_updating_write_both_tables() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let (_, _, mut b) = setup(alias).await;
        b.title = "Dune Messiah".into();
        b.isbn = "112".into();
        b.save_with(SaveOptions::using(alias)).await.unwrap();
        let parent = Publication::objects()
            .using(alias)
            .get(Q::lookup("pk", b.pk()))
            .await
            .unwrap();
        assert_eq!(parent.title, "Dune Messiah");
        let again = Book::objects()
            .using(alias)
            .get(Q::lookup("pk", b.pk()))
            .await
            .unwrap();
        assert_eq!(again.isbn, "112");
        // update_fields writes only the named fields, in their own tables.
        b.title = "Children of Dune".into();
        b.isbn = "999".into();
        b.save_with(SaveOptions {
            update_fields: Some(vec!["title".into()]),
            ..SaveOptions::using(alias)
        })
        .await
        .unwrap();
        let again = Book::objects()
            .using(alias)
            .get(Q::lookup("pk", b.pk()))
            .await
            .unwrap();
        assert_eq!(
            (again.title.as_str(), again.isbn.as_str()),
            ("Children of Dune", "112")
        );
        // QuerySet.update() across both tables (Django's related updates).
        let n = Book::objects()
            .using(alias)
            .filter(Q::lookup("isbn", "112"))
            .as_dyn()
            .update(vec![
                ("title".into(), Expression::Value(Value::Text("Heretics".into()))),
                ("pages".into(), Expression::Value(Value::Int(7))),
            ])
            .await
            .unwrap();
        assert_eq!(n, 1);
        let again = Book::objects()
            .using(alias)
            .get(Q::lookup("pk", b.pk()))
            .await
            .unwrap();
        assert_eq!((again.title.as_str(), again.pages), ("Heretics", 7));
        // refresh_from_db reads inherited fields too.
        b.title = "stale".into();
        b.refresh_from_db_using(alias, None).await.unwrap();
        assert_eq!(b.title, "Heretics");
        schema::drop_models(alias, &models()).await.unwrap();
    }
}

#[tokio::test]
async fn deleting_removes_both_rows() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let (w, plain, b) = setup(alias).await;
        save(
            alias,
            Review {
                publication: ForeignKey::new(b.pk()),
                rating: 5,
                ..Default::default()
            },
        )
        .await;
        save(
            alias,
            Chapter {
                book: ForeignKey::new(b.pk()),
                title: "One".into(),
                ..Default::default()
            },
        )
        .await;
        // The parent's reverse relations from the child, dynamic and typed.
        let rated = Book::objects()
            .using(alias)
            .filter(Q::lookup("reviews__rating", 5))
            .filter(Book::fields().reviews().rating().gte(5))
            .count()
            .await
            .unwrap();
        assert_eq!(rated, 1);
        // prefetch_related of the parent's reverse relation on children (one query more).
        let books = Book::objects()
            .using(alias)
            .prefetch_related(["reviews", "chapters"])
            .fetch()
            .await
            .unwrap();
        assert_eq!(books[0].reviews().unwrap().all_cached().map(|r| r.len()), Some(1));
        assert_eq!(
            books[0]
                .chapters()
                .unwrap()
                .all_cached()
                .map(|r| r[0].title.clone()),
            Some("One".into())
        );
        // A proxy's select_related and queryset update.
        let p = NewestFirst::objects()
            .using(alias)
            .select_related(["writer"])
            .get(Q::lookup("pk", plain.pk()))
            .await
            .unwrap();
        assert_eq!(p.writer.loaded().map(|w| w.name.as_str()), Some("Ann"));
        let n = NewestFirst::objects()
            .using(alias)
            .filter(Q::lookup("pk", plain.pk()))
            .as_dyn()
            .update(vec![(
                "title".into(),
                Expression::Value(Value::Text("Zine 2".into())),
            )])
            .await
            .unwrap();
        assert_eq!(n, 1);
        // The child's delete goes to the parent and to what refers to either.
        let (total, per_model) = b.delete_using(alias).await.unwrap();
        let mut per_model = per_model;
        per_model.sort();
        assert_eq!(total, 4);
        assert_eq!(
            per_model,
            counts(&[
                ("inh.Book", 1),
                ("inh.Chapter", 1),
                ("inh.Publication", 1),
                ("inh.Review", 1)
            ])
        );
        assert_eq!(Publication::objects().using(alias).count().await.unwrap(), 1);
        // Deleting a parent cascades to its child through the parent link.
        let b2 = save(alias, book(&w, "Hyperion", "444")).await;
        let parent = Publication::objects()
            .using(alias)
            .get(Q::lookup("pk", b2.pk()))
            .await
            .unwrap();
        let (total, mut per_model) = parent.delete_using(alias).await.unwrap();
        per_model.sort();
        assert_eq!(
            (total, per_model),
            (2, counts(&[("inh.Book", 1), ("inh.Publication", 1)]))
        );
        // A queryset of children.
        save(alias, book(&w, "A", "1")).await;
        save(alias, book(&w, "B", "2")).await;
        let (total, mut per_model) = Book::objects().using(alias).delete().await.unwrap();
        per_model.sort();
        assert_eq!(
            (total, per_model),
            (4, counts(&[("inh.Book", 2), ("inh.Publication", 2)]))
        );
        assert_eq!(Publication::objects().using(alias).count().await.unwrap(), 1);
        assert!(plain.book().await.unwrap_err().is_does_not_exist());
        schema::drop_models(alias, &models()).await.unwrap();
    }
}

#[tokio::test]
async fn proxies_share_the_table_with_their_own_options() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let (w, _, _) = setup(alias).await;
        save(alias, book(&w, "Anathem", "222")).await;
        let all: Vec<NewestFirst> = NewestFirst::objects().using(alias).fetch().await.unwrap();
        let titles: Vec<&str> = all.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["Zine", "Dune", "Anathem"]);
        assert_eq!(all[0].shout(), "ZINE");
        let found = NewestFirst::objects()
            .using(alias)
            .filter(Q::lookup("book__isbn", "222"))
            .get(Q::default())
            .await
            .unwrap();
        assert_eq!(found.title, "Anathem");
        // Saving through a proxy writes the concrete table.
        let mut p = found;
        p.title = "Anathem II".into();
        p.save_with(SaveOptions::using(alias)).await.unwrap();
        assert_eq!(
            Publication::objects()
                .using(alias)
                .filter(Q::lookup("title", "Anathem II"))
                .count()
                .await
                .unwrap(),
            1
        );
        // A proxy of a child joins the parent like the child.
        let pb: Vec<Paperback> = Paperback::objects().using(alias).fetch().await.unwrap();
        assert_eq!(
            pb.iter().map(|b| b.isbn.as_str()).collect::<Vec<_>>(),
            ["222", "111"]
        );
        // Deletion counts under the proxy's label.
        let (total, mut per_model) = Paperback::objects()
            .using(alias)
            .filter(Q::lookup("isbn", "111"))
            .delete()
            .await
            .unwrap();
        per_model.sort();
        assert_eq!(
            (total, per_model),
            (2, counts(&[("inh.Paperback", 1), ("inh.Publication", 1)]))
        );
        let (total, per_model) = NewestFirst::objects()
            .using(alias)
            .filter(Q::lookup("title", "Zine"))
            .delete()
            .await
            .unwrap();
        assert_eq!((total, per_model), (1, counts(&[("inh.NewestFirst", 1)])));
        schema::drop_models(alias, &models()).await.unwrap();
    }
}

#[test]
fn migrations_create_the_child_with_its_link_and_bases_and_the_proxy_without_a_table() {
    let to = ProjectState::from_metas(&models());
    let out = changes(
        &ProjectState::new(),
        &to,
        &BTreeMap::new(),
        &mut NonInteractiveQuestioner,
    )
    .unwrap();
    let m = &out["inh"];
    let created: Vec<(String, Vec<String>, Vec<String>, bool)> = m
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::CreateModel(s) => Some((
                s.name.clone(),
                s.fields.iter().map(|f| f.name.clone()).collect(),
                s.bases.clone(),
                s.proxy,
            )),
            _ => None,
        })
        .collect();
    let find = |n: &str| created.iter().find(|c| c.0 == n).cloned().unwrap();
    assert_eq!(
        find("Book"),
        (
            "Book".into(),
            vec!["publication_ptr".into(), "isbn".into(), "pages".into()],
            vec!["inh.publication".into()],
            false
        )
    );
    assert_eq!(
        find("NewestFirst"),
        ("NewestFirst".into(), vec![], vec!["inh.publication".into()], true)
    );
    let pos = |n: &str| created.iter().position(|c| c.0 == n).unwrap();
    assert!(pos("Publication") < pos("Book") && pos("Book") < pos("EBook"));
    assert!(pos("Book") < pos("Paperback"));
    let book = m
        .operations
        .iter()
        .find_map(|op| match op {
            Operation::CreateModel(s) if s.name == "Book" => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    let ptr = book.field("publication_ptr").unwrap();
    assert!(ptr.primary_key && ptr.relation.as_ref().is_some_and(|r| r.parent_link));
    assert_eq!(ptr.column, "publication_ptr_id");
    // The written migration says so, and replaying it leaves nothing to detect.
    let source = nuages_db::migrations::writer::migration_source(m, "nuages_db").unwrap();
    assert!(
        source.contains(".bases(vec![\"inh.publication\".into()])"),
        "{source}"
    );
    assert!(source.contains(".parent_link()"), "{source}");
    assert!(source.contains(".proxy()"), "{source}");
    let mut replayed = ProjectState::new();
    m.apply_state(&mut replayed).unwrap();
    let leaves = BTreeMap::from([("inh".to_owned(), ("inh".to_owned(), m.name.clone()))]);
    let again = changes(&replayed, &to, &leaves, &mut NonInteractiveQuestioner).unwrap();
    assert!(again.is_empty(), "{again:?}");
}

#[tokio::test]
async fn unsaved_parent_link_and_errors() {
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        setup(alias).await;
        let err = Book::objects()
            .using(alias)
            .filter(Q::lookup("nope", 1))
            .count()
            .await
            .unwrap_err();
        assert!(matches!(err, DbError::FieldError(_)));
        assert!(
            err.to_string()
                .starts_with("Cannot resolve keyword 'nope' into field. Choices are: "),
            "{err}"
        );
        assert!(err.to_string().contains("title"), "{err}");
        let err = Book::objects()
            .using(alias)
            .bulk_create(vec![Book::default()], BulkCreateOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "Can't bulk create a multi-table inherited model");
        schema::drop_models(alias, &models()).await.unwrap();
    }
}

#[tokio::test]
async fn migrate_creates_the_child_table_and_no_proxy_table() {
    use nuages_db::migrations::executor::{MigrateOptions, MigrationExecutor};
    use nuages_db::migrations::graph::{MigrationGraph, Target};
    let to = ProjectState::from_metas(&models());
    let out = changes(
        &ProjectState::new(),
        &to,
        &BTreeMap::new(),
        &mut NonInteractiveQuestioner,
    )
    .unwrap();
    let graph = MigrationGraph::new(out.into_values().collect()).unwrap();
    for db in testing::databases_named("inheritance_migrate").await.unwrap() {
        let alias = db.alias.as_str();
        let ex = MigrationExecutor::new(alias, &graph);
        ex.migrate(None, MigrateOptions::default()).await.unwrap();
        let tables = ex.table_names().await.unwrap();
        assert!(tables.iter().any(|t| t == "inh_book") && tables.iter().any(|t| t == "inh_ebook"));
        assert!(!tables
            .iter()
            .any(|t| t == "inh_newestfirst" || t == "inh_paperback"));
        // The migrated schema takes the models' rows.
        let w = save(
            alias,
            Writer {
                name: "Ann".into(),
                ..Default::default()
            },
        )
        .await;
        let b = save(alias, book(&w, "Dune", "111")).await;
        let e = save(
            alias,
            EBook {
                book_ptr: book(&w, "Snow", "2"),
                format: "pdf".into(),
            },
        )
        .await;
        assert_eq!(EBook::objects().using(alias).count().await.unwrap(), 1);
        let (total, _) = e.delete_using(alias).await.unwrap();
        assert_eq!(total, 3);
        assert_eq!(
            Book::objects().using(alias).get(Q::default()).await.unwrap().pk(),
            b.pk()
        );
        ex.migrate(Some(&[Target::Zero("inh".into())]), MigrateOptions::default())
            .await
            .unwrap();
        assert!(!ex
            .table_names()
            .await
            .unwrap()
            .iter()
            .any(|t| t.starts_with("inh_")));
    }
}

#[test]
fn select_related_of_a_child_from_its_parent_reuses_the_parent_columns() {
    // Django's get_default_columns(from_parent=...): the child's inherited columns are
    // the parent's, already selected; only the child's own table is joined.
    let sql =
        |qs: nuages_db::query::QuerySet<Publication>, v: Vendor| qs.as_dyn().sql(v).unwrap().unwrap().sql;
    assert_eq!(
        sql(Publication::objects().select_related(["book"]), Vendor::Sqlite),
        r#"SELECT "inh_publication"."id", "inh_publication"."title", "inh_publication"."writer_id", "inh_book"."publication_ptr_id", "inh_book"."isbn", "inh_book"."pages" FROM "inh_publication" LEFT JOIN "inh_book" ON "inh_publication"."id" = "inh_book"."publication_ptr_id" ORDER BY "inh_publication"."title" ASC"#
    );
    assert_eq!(
        sql(
            Publication::objects().select_related(["book__ebook"]),
            Vendor::Postgres
        ),
        r#"SELECT "inh_publication"."id", "inh_publication"."title", "inh_publication"."writer_id", "inh_book"."publication_ptr_id", "inh_book"."isbn", "inh_book"."pages", "inh_ebook"."book_ptr_id", "inh_ebook"."format" FROM "inh_publication" LEFT JOIN "inh_book" ON "inh_publication"."id" = "inh_book"."publication_ptr_id" LEFT JOIN "inh_ebook" ON "inh_book"."publication_ptr_id" = "inh_ebook"."book_ptr_id" ORDER BY "inh_publication"."title" ASC"#
    );
    // A child reached any other way still joins its parent for the inherited columns.
    let chapters = Chapter::objects()
        .select_related(["book"])
        .as_dyn()
        .sql(Vendor::MySql)
        .unwrap()
        .unwrap()
        .sql;
    assert_eq!(
        chapters,
        "SELECT `inh_chapter`.`id`, `inh_chapter`.`book_id`, `inh_chapter`.`title`, `inh_publication`.`id`, `inh_publication`.`title`, `inh_publication`.`writer_id`, `inh_book`.`publication_ptr_id`, `inh_book`.`isbn`, `inh_book`.`pages` FROM `inh_chapter` INNER JOIN `inh_book` ON `inh_chapter`.`book_id` = `inh_book`.`publication_ptr_id` INNER JOIN `inh_publication` ON `inh_book`.`publication_ptr_id` = `inh_publication`.`id`"
    );
}

#[test]
fn select_for_update_of_names_parent_links() {
    // Django lists a multi-table parent by its parent link, breadth first, and locks the
    // parent's table: `of=("self", "book_ptr", "book_ptr__publication_ptr")`.
    let of = |names: &[&str]| match EBook::objects()
        .select_for_update(false, false, names, false)
        .as_dyn()
        .sql(Vendor::Postgres)
    {
        Ok(c) => c.unwrap().sql,
        Err(e) => e.to_string(),
    };
    assert!(
        of(&["self", "book_ptr", "book_ptr__publication_ptr"])
            .ends_with(r#" FOR UPDATE OF "inh_ebook", "inh_book", "inh_publication""#),
        "{}",
        of(&["self", "book_ptr", "book_ptr__publication_ptr"])
    );
    assert_eq!(
        of(&["publication_ptr"]),
        "Invalid field name(s) given in select_for_update(of=(...)): publication_ptr. Only \
         relational fields followed in the query are allowed. Choices are: self, book_ptr, \
         book_ptr__publication_ptr."
    );
}

#[tokio::test]
async fn select_related_children_and_annotated_instances_load_in_one_query() {
    use nuages_db::capture::assert_num_queries;
    use nuages_db::query::aggregates::Count;
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let (w, _, b) = setup(alias).await;
        save(
            alias,
            EBook {
                book_ptr: book(&w, "Snow Crash", "333"),
                format: "epub".into(),
            },
        )
        .await;
        for rating in [4, 5] {
            save(
                alias,
                Review {
                    publication: ForeignKey::new(b.pk()),
                    rating,
                    ..Default::default()
                },
            )
            .await;
        }
        // The child and grandchild get the parent's values without selecting them twice.
        let all = assert_num_queries(
            1,
            Publication::objects()
                .using(alias)
                .select_related(["book__ebook"])
                .fetch(),
        )
        .await
        .unwrap();
        let titles: Vec<&str> = all.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["Dune", "Snow Crash", "Zine"], "{alias}");
        let dune = assert_num_queries(0, all[0].book()).await.unwrap();
        assert_eq!(
            (dune.title.as_str(), dune.isbn.as_str(), dune.writer.id()),
            ("Dune", "111", &Value::Int(w.id)),
            "{alias}"
        );
        assert_eq!(dune.pk(), b.pk());
        let snow = assert_num_queries(0, all[1].book()).await.unwrap();
        let ebook = assert_num_queries(0, snow.ebook()).await.unwrap();
        assert_eq!(
            (ebook.title.as_str(), ebook.isbn.as_str(), ebook.format.as_str()),
            ("Snow Crash", "333", "epub")
        );
        let err = assert_num_queries(0, all[2].book()).await.unwrap_err();
        assert_eq!(err.to_string(), "Publication has no book.");
        // Deferred parent fields stay deferred on the child.
        let only = Publication::objects()
            .using(alias)
            .only(["title"])
            .select_related(["book"])
            .get(Q::lookup("title", "Dune"))
            .await
            .unwrap();
        let child = assert_num_queries(0, only.book()).await.unwrap();
        assert_eq!((child.title.as_str(), child.isbn.as_str()), ("Dune", "111"));

        // fetch_annotated() loads select_related objects and prefetched lists as fetch().
        let annotated = assert_num_queries(
            1,
            Book::objects()
                .using(alias)
                .select_related(["writer"])
                .annotate([("n", Count::new("reviews"))])
                .order_by(["title"])
                .fetch_annotated(),
        )
        .await
        .unwrap();
        assert_eq!(annotated.len(), 2);
        assert_eq!(annotated[0].get::<i64>("n").unwrap(), 2, "{alias}");
        assert_eq!(annotated[1].get::<i64>("n").unwrap(), 0, "{alias}");
        assert_eq!(annotated[0].writer.loaded().map(|w| w.name.as_str()), Some("Ann"));
        assert_eq!(
            annotated[0].state().and_then(|s| s.annotation("n")),
            Some(&Value::Int(2))
        );
        let prefetched = assert_num_queries(
            2,
            Publication::objects()
                .using(alias)
                .prefetch_related(["reviews"])
                .annotate([("n", Count::new("reviews"))])
                .filter(Q::lookup("title", "Dune"))
                .fetch_annotated(),
        )
        .await
        .unwrap();
        assert_eq!(prefetched[0].get::<i64>("n").unwrap(), 2);
        let reviews = prefetched[0].reviews().unwrap().all_cached().unwrap();
        assert_eq!(reviews.len(), 2);
        schema::drop_models(alias, &models()).await.unwrap();
    }
}
