//! `Meta.indexes` with Django's index options (`opclasses`, `include`, `condition`) and
//! the classes of `django.contrib.postgres.indexes`: the DDL per backend, the migration
//! the autodetector writes (checked in under `tests/generated/` and compiled here), its
//! round trip, and the indexes PostgreSQL really builds (a stored `SearchVectorField`
//! with a GIN index, searched through it). SQLite and MySQL refuse the PostgreSQL classes.

#[rustfmt::skip]
#[path = "generated/m0001_pg_indexes.rs"]
mod m0001_pg_indexes;

use std::collections::BTreeMap;

use nuages_db::contrib::postgres::search::SearchVector;
use nuages_db::contrib::postgres::tsvector::TsVector;
use nuages_db::migrations::autodetector::{changes, NonInteractiveQuestioner};
use nuages_db::migrations::executor::{MigrateOptions, MigrationExecutor};
use nuages_db::migrations::graph::{Migration, MigrationGraph, Target};
use nuages_db::migrations::operations::Operation;
use nuages_db::migrations::state::{IndexState, ProjectState};
use nuages_db::migrations::writer::migration_source;
use nuages_db::models::indexes::IndexType;
use nuages_db::models::meta::{ConstValue, Index, StaticQ};
use nuages_db::models::registry::ModelRegistration;
use nuages_db::query::{DynQuerySet, Expression};
use nuages_db::schema::create_models_sql;
use nuages_db::{connection, testing, DbError, Field, FieldType, ModelMeta, Value, Vendor};

static DOC_FIELDS: [Field; 6] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("title", FieldType::CharField).max_length(100),
    Field::new("body", FieldType::TextField),
    Field::new("search", FieldType::SearchVectorField).null(),
    Field::new("rating", FieldType::IntegerField),
    Field::new("published", FieldType::DateField),
];

static DOC_INDEXES: [Index; 7] = [
    Index {
        index_type: IndexType::GinIndex {
            fastupdate: Some(false),
            gin_pending_list_limit: Some(128),
        },
        ..Index::new("doc_search_gin", &["search"])
    },
    Index {
        opclasses: &["varchar_pattern_ops"],
        index_type: IndexType::BTreeIndex {
            fillfactor: Some(80),
            deduplicate_items: Some(false),
        },
        ..Index::new("doc_title_btree", &["title"])
    },
    Index {
        index_type: IndexType::BrinIndex {
            autosummarize: Some(true),
            pages_per_range: Some(16),
        },
        ..Index::new("doc_published_brin", &["published"])
    },
    Index {
        index_type: IndexType::GistIndex {
            buffering: Some(true),
            fillfactor: Some(70),
        },
        ..Index::new("doc_search_gist", &["search"])
    },
    Index {
        index_type: IndexType::HashIndex { fillfactor: Some(60) },
        ..Index::new("doc_title_hash", &["title"])
    },
    Index {
        index_type: IndexType::SpGistIndex { fillfactor: None },
        ..Index::new("doc_body_spgist", &["body"])
    },
    Index {
        include: &["title"],
        condition: Some(StaticQ::Lookup("rating__gte", ConstValue::Int(3))),
        ..Index::new("doc_rating_idx", &["-rating"])
    },
];

static DOC: ModelMeta = ModelMeta {
    indexes: &DOC_INDEXES,
    ..ModelMeta::new("pgi", "Document", "document", "pgi_document", &DOC_FIELDS)
};

/// A model with only Django's generic options, which every backend can create.
static NOTE_FIELDS: [Field; 3] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("title", FieldType::CharField).max_length(50),
    Field::new("body", FieldType::TextField),
];

static NOTE_INDEXES: [Index; 1] = [Index {
    opclasses: &["varchar_pattern_ops"],
    include: &["body"],
    ..Index::new("note_title_idx", &["title"])
}];

static NOTE: ModelMeta = ModelMeta {
    indexes: &NOTE_INDEXES,
    ..ModelMeta::new("pgi", "Note", "note", "pgi_note", &NOTE_FIELDS)
};

/// A GIN index over a column every backend has (jsonb on PostgreSQL).
static ITEM_FIELDS: [Field; 2] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("data", FieldType::JSONField),
];

static ITEM_INDEXES: [Index; 1] = [Index {
    index_type: IndexType::GinIndex {
        fastupdate: None,
        gin_pending_list_limit: None,
    },
    ..Index::new("item_data_gin", &["data"])
}];

static ITEM: ModelMeta = ModelMeta {
    indexes: &ITEM_INDEXES,
    ..ModelMeta::new("pgi", "Item", "item", "pgi_item", &ITEM_FIELDS)
};

nuages_db::__private::inventory::submit! { ModelRegistration(|| &DOC) }
nuages_db::__private::inventory::submit! { ModelRegistration(|| &ITEM) }
nuages_db::__private::inventory::submit! { ModelRegistration(|| &NOTE) }

fn refused(err: DbError, what: &str) {
    assert_eq!(err.class_name(), "NotSupportedError", "{err}");
    assert_eq!(
        err.to_string(),
        format!("{what} is only supported on PostgreSQL.")
    );
}

#[test]
fn postgres_index_classes_render_using_and_with() {
    let sql = create_models_sql(Vendor::Postgres, &[&DOC]).unwrap();
    let indexes: Vec<&str> = sql
        .iter()
        .map(String::as_str)
        .filter(|s| s.starts_with("CREATE INDEX"))
        .collect();
    assert_eq!(
        indexes,
        [
            r#"CREATE INDEX "doc_search_gin" ON "pgi_document" USING gin ("search") WITH (fastupdate = off, gin_pending_list_limit = 128)"#,
            r#"CREATE INDEX "doc_title_btree" ON "pgi_document" USING btree ("title" varchar_pattern_ops) WITH (fillfactor = 80, deduplicate_items = off)"#,
            r#"CREATE INDEX "doc_published_brin" ON "pgi_document" USING brin ("published") WITH (autosummarize = on, pages_per_range = 16)"#,
            r#"CREATE INDEX "doc_search_gist" ON "pgi_document" USING gist ("search") WITH (buffering = on, fillfactor = 70)"#,
            r#"CREATE INDEX "doc_title_hash" ON "pgi_document" USING hash ("title") WITH (fillfactor = 60)"#,
            r#"CREATE INDEX "doc_body_spgist" ON "pgi_document" USING spgist ("body")"#,
            r#"CREATE INDEX "doc_rating_idx" ON "pgi_document" ("rating" DESC) INCLUDE ("title") WHERE "rating" >= 3"#,
        ]
    );
}

#[test]
fn other_backends_refuse_postgres_indexes_and_drop_postgres_options() {
    for vendor in [Vendor::Sqlite, Vendor::MySql] {
        refused(create_models_sql(vendor, &[&ITEM]).unwrap_err(), "GinIndex");
    }
    assert_eq!(
        create_models_sql(Vendor::Postgres, &[&ITEM]).unwrap()[1],
        r#"CREATE INDEX "item_data_gin" ON "pgi_item" USING gin ("data")"#
    );
    // Django's base schema editor has no operator classes and no covering indexes.
    let last = |v| create_models_sql(v, &[&NOTE]).unwrap().pop().unwrap();
    assert_eq!(
        last(Vendor::Postgres),
        r#"CREATE INDEX "note_title_idx" ON "pgi_note" ("title" varchar_pattern_ops) INCLUDE ("body")"#
    );
    assert_eq!(
        last(Vendor::Sqlite),
        r#"CREATE INDEX "note_title_idx" ON "pgi_note" ("title")"#
    );
    assert_eq!(
        last(Vendor::MySql),
        "CREATE INDEX `note_title_idx` ON `pgi_note` (`title`)"
    );
}

#[test]
fn brin_pages_per_range_must_be_positive() {
    let mut state = ProjectState::from_metas(&[&NOTE]);
    let bad = IndexState::new("note_brin", ["title"]).index_type(IndexType::BrinIndex {
        autosummarize: None,
        pages_per_range: Some(0),
    });
    let m = state.models.iter_mut().find(|m| m.name == "Note").unwrap();
    m.indexes.push(bad);
    let mut graph_state = ProjectState::new();
    let create = Migration::new("pgi", "0001_initial")
        .initial()
        .operations(vec![Operation::CreateModel(state.models[0].clone())]);
    create.apply_state(&mut graph_state).unwrap();
    let graph = MigrationGraph::new(vec![create]).unwrap();
    let err = MigrationExecutor::new("unused", &graph)
        .sql_for(
            Vendor::Postgres,
            &("pgi".to_owned(), "0001_initial".to_owned()),
            false,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "pages_per_range must be None or a positive integer"
    );
}

fn generated() -> Migration {
    let models = ProjectState::from_metas(&[&DOC, &NOTE, &ITEM]);
    let out = changes(
        &ProjectState::new(),
        &models,
        &BTreeMap::new(),
        &mut NonInteractiveQuestioner,
    )
    .unwrap();
    out["pgi"].clone()
}

#[test]
fn the_writer_writes_index_classes_and_the_migration_round_trips() {
    let path = format!(
        "{}/tests/generated/m0001_pg_indexes.rs",
        env!("CARGO_MANIFEST_DIR")
    );
    let src = migration_source(&generated(), "nuages_db").unwrap();
    if std::env::var_os("NUAGES_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &src).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap();
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&src), body(&on_disk));
    assert!(src.contains(
        ".index_type(IndexType::GinIndex { fastupdate: Some(false), gin_pending_list_limit: Some(128) })"
    ));
    assert!(src.contains(r#".opclasses(["varchar_pattern_ops"]).include(["body"])"#));
    // The checked-in file, compiled, replays to the models: makemigrations finds nothing.
    let mut replayed = ProjectState::new();
    m0001_pg_indexes::migration().apply_state(&mut replayed).unwrap();
    let models = ProjectState::from_metas(&[&DOC, &NOTE, &ITEM]);
    let leaves = BTreeMap::from([("pgi".to_owned(), ("pgi".to_owned(), "0001_initial".to_owned()))]);
    let again = changes(&replayed, &models, &leaves, &mut NonInteractiveQuestioner).unwrap();
    assert!(again.is_empty(), "{again:?}");
}

#[test]
fn changing_an_option_is_remove_and_add_and_a_new_name_is_a_rename() {
    let old = ProjectState::from_metas(&[&DOC, &NOTE, &ITEM]);
    let mut new = old.clone();
    let doc = new.models.iter_mut().find(|m| m.name == "Document").unwrap();
    doc.indexes[0].index_type = IndexType::GinIndex {
        fastupdate: Some(true),
        gin_pending_list_limit: None,
    };
    doc.indexes[4].name = "doc_title_h".into();
    let leaves = BTreeMap::from([("pgi".to_owned(), ("pgi".to_owned(), "0001_initial".to_owned()))]);
    let out = changes(&old, &new, &leaves, &mut NonInteractiveQuestioner).unwrap();
    let ops: Vec<String> = out["pgi"].operations.iter().map(|o| o.describe()).collect();
    assert_eq!(
        ops,
        [
            "Remove index doc_search_gin from document",
            "Rename index doc_title_hash on document to doc_title_h",
            "Create index doc_search_gin on field(s) search of model document",
        ]
    );
}

async fn index_defs(alias: &str) -> Vec<(String, String)> {
    connection::fetch(
        alias,
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'pgi_document' ORDER BY indexname",
        &[],
    )
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        let v = r.into_values();
        match (&v[0], &v[1]) {
            (Value::Text(n), Value::Text(d)) => (n.clone(), d.clone()),
            other => panic!("{other:?}"),
        }
    })
    .collect()
}

#[tokio::test]
async fn migrate_builds_the_indexes_on_postgresql_and_refuses_elsewhere() {
    let second = Migration::new("pgi", "0002_indexes")
        .depends_on("pgi", "0001_initial")
        .operations(vec![
            Operation::RemoveIndex {
                model_name: "Document".into(),
                name: "doc_search_gist".into(),
            },
            Operation::AddIndex {
                model_name: "Document".into(),
                index: IndexState::new("doc_body_hash", ["body"])
                    .index_type(IndexType::HashIndex { fillfactor: None }),
            },
        ]);
    let graph = MigrationGraph::new(vec![m0001_pg_indexes::migration(), second]).unwrap();
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        let ex = MigrationExecutor::new(alias, &graph);
        if db.vendor != Vendor::Postgres {
            let err = ex.migrate(None, MigrateOptions::default()).await.unwrap_err();
            refused(err, "SearchVectorField");
            continue;
        }
        let first = vec![Target::Migration("pgi".into(), "0001_initial".into())];
        ex.migrate(Some(&first), MigrateOptions::default()).await.unwrap();
        let defs = index_defs(alias).await;
        // pg_indexes gives the definition PostgreSQL stored; compare what follows the
        // (schema-qualified) table name.
        let def = |name: &str| {
            defs.iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, d)| d.split_once("pgi_document ").map(|(_, rest)| rest.to_owned()))
                .unwrap_or_else(|| panic!("no index {name}: {defs:?}"))
        };
        assert_eq!(
            def("doc_search_gin"),
            "USING gin (search) WITH (fastupdate=off, gin_pending_list_limit='128')"
        );
        assert_eq!(
            def("doc_title_btree"),
            "USING btree (title varchar_pattern_ops) WITH (fillfactor='80', deduplicate_items=off)"
        );
        assert_eq!(
            def("doc_published_brin"),
            "USING brin (published) WITH (autosummarize='on', pages_per_range='16')"
        );
        assert_eq!(
            def("doc_search_gist"),
            "USING gist (search) WITH (buffering='on', fillfactor='70')"
        );
        assert_eq!(def("doc_title_hash"), "USING hash (title) WITH (fillfactor='60')");
        assert_eq!(def("doc_body_spgist"), "USING spgist (body)");
        assert_eq!(
            def("doc_rating_idx"),
            "USING btree (rating DESC) INCLUDE (title) WHERE (rating >= 3)"
        );

        // The stored vector, filled with SearchVector and searched through the GIN index.
        let docs = || DynQuerySet::new(&DOC).using(alias);
        for (title, body, rating) in [
            ("Rust web", "Async servers in Rust", 4),
            ("Django", "Querysets and templates", 5),
        ] {
            connection::execute(
                alias,
                "INSERT INTO pgi_document (title, body, rating, published) VALUES ($1, $2, $3, '2024-01-02')",
                &[
                    Value::Text(title.into()),
                    Value::Text(body.into()),
                    Value::Int(rating),
                ],
            )
            .await
            .unwrap();
        }
        docs()
            .update(vec![(
                "search".to_owned(),
                Expression::from(SearchVector::new(["title", "body"])),
            )])
            .await
            .unwrap();
        let found = docs()
            .filter_str("search", "servers")
            .values_list(["title"], true, false)
            .fetch()
            .await
            .unwrap();
        let titles: Vec<Value> = found.into_iter().flat_map(|r| r.into_values()).collect();
        assert_eq!(titles, [Value::Text("Rust web".into())]);

        // AddIndex / RemoveIndex of PostgreSQL classes, forwards and backwards.
        let names =
            |defs: Vec<(String, String)>| -> Vec<String> { defs.into_iter().map(|(n, _)| n).collect() };
        ex.migrate(None, MigrateOptions::default()).await.unwrap();
        let after = names(index_defs(alias).await);
        assert!(
            after.contains(&"doc_body_hash".to_owned()) && !after.contains(&"doc_search_gist".to_owned())
        );
        ex.migrate(Some(&first), MigrateOptions::default()).await.unwrap();
        let back = names(index_defs(alias).await);
        assert!(!back.contains(&"doc_body_hash".to_owned()) && back.contains(&"doc_search_gist".to_owned()));

        // Unapplying drops the table with its indexes.
        ex.migrate(Some(&[Target::Zero("pgi".to_owned())]), MigrateOptions::default())
            .await
            .unwrap();
        assert!(index_defs(alias).await.is_empty());
    }
}

/// The seeds' full-text setup in a derived model: a stored vector with a GIN index.
#[derive(Debug, Clone, Default, nuages_macros::Model)]
#[model(app_label = "pgi", indexes = [gin_index(fields = ["search"], name = "post_search_gin")])]
pub struct Post {
    pub id: i64,
    #[field(max_length = 100)]
    pub title: String,
    pub search: Option<TsVector>,
}

#[tokio::test]
async fn a_derived_search_vector_field_is_stored_indexed_and_read_back() {
    use nuages_db::models::instance::{ModelInstance, SaveOptions};
    use nuages_db::models::manager::Manager;
    use nuages_db::Model;
    let field = Post::meta().field("search").unwrap();
    assert_eq!(field.field_type, FieldType::SearchVectorField);
    assert!(field.null);
    for db in testing::databases().await.unwrap() {
        let alias = db.alias.as_str();
        if db.vendor != Vendor::Postgres {
            refused(
                create_models_sql(db.vendor, &[Post::meta()]).unwrap_err(),
                "SearchVectorField",
            );
            continue;
        }
        nuages_db::schema::create_models(alias, &[Post::meta()])
            .await
            .unwrap();
        for title in ["Rust web servers", "Django templates"] {
            let mut p = Post {
                title: title.into(),
                ..Post::default()
            };
            p.save_with(SaveOptions {
                using: Some(alias.to_owned()),
                ..Default::default()
            })
            .await
            .unwrap();
        }
        Post::objects()
            .using(alias)
            .update([("search", SearchVector::new(["title"]).config("english"))])
            .await
            .unwrap();
        let posts = Post::objects()
            .using(alias)
            .filter_str("search", "server")
            .fetch()
            .await
            .unwrap();
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].title, "Rust web servers");
        assert_eq!(
            posts[0].search,
            Some(TsVector("'rust':1 'server':3 'web':2".into()))
        );
        // A value written from Rust is parsed by PostgreSQL.
        let mut p = posts[0].clone();
        p.search = Some(TsVector("'hand':1A 'made':2".into()));
        p.save_with(SaveOptions {
            using: Some(alias.to_owned()),
            ..Default::default()
        })
        .await
        .unwrap();
        let back = Post::objects()
            .using(alias)
            .filter_str("search", "hand")
            .fetch()
            .await
            .unwrap();
        assert_eq!(back[0].search, Some(TsVector("'hand':1A 'made':2".into())));
    }
}
