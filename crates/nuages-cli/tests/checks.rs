//! System checks through the `check` command, with hand-built model metadata.

mod support;

use nuages_cli::checks::{CheckMessage, Level};
use nuages_cli::{App, Apps};
use nuages_core::Settings;
use nuages_db::models::meta::{
    ConstValue, Constraint, Field, FieldType, Index, ModelMeta, OnDelete, Relation, RelationKind, StaticQ,
};
use nuages_db::Value;

// --- bookstore: a Book with a CharField missing max_length -------------------------

static BAD_BOOK_FIELDS: [Field; 2] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("title", FieldType::CharField),
];
static BAD_BOOK: ModelMeta = ModelMeta::new("bookstore", "Book", "book", "bookstore_book", &BAD_BOOK_FIELDS);

// --- library: a clean Author/Book pair, then one with every kind of mistake --------

fn author() -> &'static ModelMeta {
    &AUTHOR
}
fn genre() -> &'static ModelMeta {
    &GENRE
}

static AUTHOR_FIELDS: [Field; 2] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("name", FieldType::CharField).max_length(100),
];
static AUTHOR: ModelMeta = ModelMeta {
    ordering: &["name", "-id", "pk", "book__title", "book__published__year"],
    ..ModelMeta::new("library", "Author", "author", "library_author", &AUTHOR_FIELDS)
};

const fn fk(name: &'static str, attname: &'static str, rel: Relation) -> Field {
    Field {
        attname,
        column: attname,
        relation: Some(rel),
        ..Field::new(name, FieldType::ForeignKey)
    }
}

static BOOK_FIELDS: [Field; 5] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("title", FieldType::CharField).max_length(200),
    Field::new("published", FieldType::DateField),
    Field {
        max_digits: Some(6),
        decimal_places: Some(2),
        ..Field::new("price", FieldType::DecimalField)
    },
    fk(
        "author",
        "author_id",
        Relation::new(RelationKind::ForeignKey, author),
    ),
];
static BOOK: ModelMeta = ModelMeta {
    ordering: &["-published", "author__name", "title"],
    indexes: &[Index::new("book_title_idx", &["title"])],
    constraints: &[Constraint::Check {
        name: "price_gte_0",
        condition: StaticQ::Lookup("price__gte", ConstValue::Int(0)),
    }],
    ..ModelMeta::new("library", "Book", "book", "library_book", &BOOK_FIELDS)
};

fn zero() -> Value {
    Value::Int(0)
}

static GENRE_FIELDS: [Field; 11] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("name_", FieldType::CharField).max_length(10),
    Field::new("decimal", FieldType::DecimalField),
    Field {
        max_digits: Some(2),
        decimal_places: Some(3),
        ..Field::new("ratio", FieldType::DecimalField)
    },
    // Two relations to Author without related_name: both reverse accessors are genre_set.
    fk(
        "writer",
        "writer_id",
        Relation::new(RelationKind::ForeignKey, author),
    ),
    fk(
        "editor",
        "editor_id",
        Relation::new(RelationKind::ForeignKey, author),
    ),
    fk(
        "curator",
        "curator_id",
        Relation {
            on_delete: OnDelete::SetNull,
            related_name: Some("curated genres"),
            ..Relation::new(RelationKind::ForeignKey, author)
        },
    ),
    fk(
        "reviewer",
        "reviewer_id",
        Relation {
            on_delete: OnDelete::SetDefault,
            related_name: Some("genre"),
            ..Relation::new(RelationKind::ForeignKey, author)
        },
    ),
    Field {
        default: Some(zero),
        ..fk(
            "translator",
            "translator_id",
            Relation {
                on_delete: OnDelete::SetDefault,
                related_name: Some("+"),
                ..Relation::new(RelationKind::ForeignKey, author)
            },
        )
    },
    Field {
        relation: Some(Relation {
            symmetrical: true,
            ..Relation::new(RelationKind::ManyToMany, genre)
        }),
        ..Field::new("related", FieldType::ManyToManyField)
    },
    fk(
        "parent",
        "parent_id",
        Relation {
            related_name: Some("name"),
            ..Relation::new(RelationKind::ForeignKey, author)
        },
    ),
];
static GENRE: ModelMeta = ModelMeta {
    ordering: &[
        "nope",
        "-related",
        "writer__nme",
        "writer_id",
        "?",
        "published__year",
    ],
    indexes: &[Index::new("book_title_idx", &["name_"])],
    constraints: &[
        Constraint::Unique {
            name: "uniq",
            fields: &["name_"],
            condition: None,
        },
        Constraint::Unique {
            name: "uniq",
            fields: &["decimal"],
            condition: None,
        },
    ],
    ..ModelMeta::new("catalog", "Genre", "genre", "library_book", &GENRE_FIELDS)
};

// --- shop: a relation to a model of an app that is not installed ------------------

fn warehouse_crate() -> &'static ModelMeta {
    &CRATE
}

static CRATE_FIELDS: [Field; 1] = [Field::new("id", FieldType::BigAutoField).primary_key()];
static CRATE: ModelMeta = ModelMeta::new("warehouse", "Crate", "crate", "warehouse_crate", &CRATE_FIELDS);

fn stock() -> &'static ModelMeta {
    &STOCK
}
static STOCK: ModelMeta = ModelMeta::new("warehouse", "Stock", "stock", "warehouse_stock", &CRATE_FIELDS);

static ORDER_FIELDS: [Field; 3] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    fk(
        "crate",
        "crate_id",
        Relation::new(RelationKind::ForeignKey, warehouse_crate),
    ),
    // A many-to-many to an installed model through a model that is not installed.
    Field {
        relation: Some(Relation {
            through: Some(stock),
            related_name: Some("orders"),
            ..Relation::new(RelationKind::ManyToMany, warehouse_crate)
        }),
        ..Field::new("crates", FieldType::ManyToManyField)
    },
];
static ORDER: ModelMeta = ModelMeta::new("shop", "Order", "order", "shop_order", &ORDER_FIELDS);

fn settings(extra: &str) -> Settings {
    Settings::from_toml_str(&format!(
        "{extra}\n[databases.default]\nurl = \"sqlite::memory:\"\n"
    ))
    .unwrap()
}

async fn run(apps: Apps, argv: &[&str]) -> (i32, String, String) {
    support::execute(apps, settings(""), argv).await
}

fn bad_bookstore() -> Apps {
    Apps::new([App::new("bookstore").model(&BAD_BOOK)]).unwrap()
}

fn library() -> Apps {
    Apps::new([App::new("library").model(&AUTHOR).model(&BOOK)]).unwrap()
}

#[tokio::test]
async fn missing_max_length_fails_the_check_command() {
    let (code, out, err) = run(bad_bookstore(), &["manage", "check"]).await;
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "SystemCheckError: System check identified some issues:\n\nERRORS:\n\
         bookstore.Book.title: (fields.E120) CharFields must define a 'max_length' attribute.\n\n\
         System check identified 1 issue (0 silenced).\n"
    );
}

#[tokio::test]
async fn postgres_allows_unlimited_charfields() {
    let pg = Settings::from_toml_str("[databases.default]\nurl = \"postgres://localhost/x\"").unwrap();
    let (code, out, _) = support::execute(bad_bookstore(), pg, &["manage", "check"]).await;
    assert_eq!(
        (code, out.as_str()),
        (0, "System check identified no issues (0 silenced).\n")
    );
}

#[tokio::test]
async fn a_clean_project_has_no_issues() {
    let (code, out, err) = run(library(), &["manage", "check"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "System check identified no issues (0 silenced).\n");
}

#[tokio::test]
async fn checks_run_before_other_commands_unless_skipped() {
    let (code, out, err) = run(bad_bookstore(), &["manage", "diffsettings"]).await;
    assert_eq!(code, 0, "diffsettings requires no checks: {err}");
    assert!(out.contains("DATABASES"), "{out}");
    struct Noop;
    #[nuages_cli::async_trait]
    impl nuages_cli::Command for Noop {
        fn name(&self) -> &str {
            "noop"
        }
        async fn handle(
            &self,
            ctx: &nuages_cli::CommandContext,
            _: &nuages_cli::clap::ArgMatches,
        ) -> nuages_cli::Result<()> {
            ctx.stdout.write("ran")?;
            Ok(())
        }
    }
    let apps = Apps::new([App::new("bookstore").model(&BAD_BOOK).command(Noop)]).unwrap();
    let (code, out, err) = run(apps.clone(), &["manage", "noop"]).await;
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "SystemCheckError: System check identified some issues:\n\nERRORS:\n\
         bookstore.Book.title: (fields.E120) CharFields must define a 'max_length' attribute.\n"
    );
    assert_eq!(
        run(apps, &["manage", "noop", "--skip-checks"]).await,
        (0, "ran\n".to_owned(), String::new())
    );
}

#[tokio::test]
async fn every_model_mistake_is_reported_with_djangos_messages() {
    let apps = Apps::new([
        App::new("library").model(&AUTHOR).model(&BOOK),
        App::new("catalog").model(&GENRE),
    ])
    .unwrap();
    let (code, out, err) = run(apps, &["manage", "check", "catalog"]).await;
    assert_eq!((code, out.as_str()), (1, ""));
    let lines: Vec<&str> = err.lines().collect();
    let want = [
        "SystemCheckError: System check identified some issues:",
        "",
        "ERRORS:",
        "catalog.Genre.curator: (fields.E306) The name 'curated genres' is invalid related_name for field Genre.curator",
        "\tHINT: Related name must be a valid Python identifier or end with a '+'",
        "catalog.Genre.curator: (fields.E320) Field specifies on_delete=SET_NULL, but cannot be null.",
        "\tHINT: Set null=True argument on the field, or change the on_delete rule.",
        "catalog.Genre.decimal: (fields.E130) DecimalFields must define a 'decimal_places' attribute.",
        "catalog.Genre.decimal: (fields.E132) DecimalFields must define a 'max_digits' attribute.",
        "catalog.Genre.editor: (fields.E304) Reverse accessor 'Author.genre_set' for 'catalog.Genre.editor' clashes with reverse accessor for 'catalog.Genre.writer'.",
        "\tHINT: Add or change a related_name argument to the definition for 'catalog.Genre.editor' or 'catalog.Genre.writer'.",
        "catalog.Genre.editor: (fields.E305) Reverse query name for 'catalog.Genre.editor' clashes with reverse query name for 'catalog.Genre.reviewer'.",
        "\tHINT: Add or change a related_name argument to the definition for 'catalog.Genre.editor' or 'catalog.Genre.reviewer'.",
        "catalog.Genre.name_: (fields.E001) Field names must not end with an underscore.",
        "catalog.Genre.parent: (fields.E302) Reverse accessor 'Author.name' for 'catalog.Genre.parent' clashes with field name 'library.Author.name'.",
        "\tHINT: Rename field 'library.Author.name', or add/change a related_name argument to the definition for field 'catalog.Genre.parent'.",
        "catalog.Genre.parent: (fields.E303) Reverse query name for 'catalog.Genre.parent' clashes with field name 'library.Author.name'.",
        "\tHINT: Rename field 'library.Author.name', or add/change a related_name argument to the definition for field 'catalog.Genre.parent'.",
        "catalog.Genre.ratio: (fields.E134) 'max_digits' must be greater or equal to 'decimal_places'.",
        "catalog.Genre.reviewer: (fields.E321) Field specifies on_delete=SET_DEFAULT, but has no default value.",
        "\tHINT: Set a default value, or change the on_delete rule.",
        "catalog.Genre.writer: (fields.E304) Reverse accessor 'Author.genre_set' for 'catalog.Genre.writer' clashes with reverse accessor for 'catalog.Genre.editor'.",
        "\tHINT: Add or change a related_name argument to the definition for 'catalog.Genre.writer' or 'catalog.Genre.editor'.",
        "catalog.Genre.writer: (fields.E305) Reverse query name for 'catalog.Genre.writer' clashes with reverse query name for 'catalog.Genre.reviewer'.",
        "\tHINT: Add or change a related_name argument to the definition for 'catalog.Genre.writer' or 'catalog.Genre.reviewer'.",
        "catalog.Genre: (models.E015) 'ordering' refers to the nonexistent field, related field, or lookup 'nope'.",
        "catalog.Genre: (models.E015) 'ordering' refers to the nonexistent field, related field, or lookup 'published__year'.",
        "catalog.Genre: (models.E015) 'ordering' refers to the nonexistent field, related field, or lookup 'related'.",
        "catalog.Genre: (models.E015) 'ordering' refers to the nonexistent field, related field, or lookup 'writer__nme'.",
        "?: (models.E031) constraint name 'uniq' is not unique for model catalog.Genre.",
    ];
    for line in want {
        assert!(lines.contains(&line), "missing {line:?} in\n{err}");
    }
    // Like Django, each unresolvable part of a related ordering path is reported.
    let year = "catalog.Genre: (models.E015) 'ordering' refers to the nonexistent field, related field, or lookup 'published__year'.";
    assert_eq!(lines.iter().filter(|l| **l == year).count(), 2);
    // Only the checked app's names are compared: no E030 for the shared index name.
    assert!(!err.contains("models.E030"), "{err}");
    assert!(
        err.ends_with("System check identified 19 issues (0 silenced).\n"),
        "{err}"
    );
}

#[tokio::test]
async fn cross_model_names_are_checked_over_all_apps() {
    let apps = Apps::new([
        App::new("library").model(&AUTHOR).model(&BOOK),
        App::new("catalog").model(&GENRE),
    ])
    .unwrap();
    let (code, _, err) = run(apps, &["manage", "check", "--tag", "models"]).await;
    assert_eq!(code, 1);
    for line in [
        "?: (models.E030) index name 'book_title_idx' is not unique among models: catalog.Genre, library.Book.",
        "library_book: (models.E028) db_table 'library_book' is used by multiple models: library.Book, catalog.Genre.",
    ] {
        assert!(err.lines().any(|l| l == line), "missing {line:?} in\n{err}");
    }
}

#[tokio::test]
async fn unknown_app_labels_and_tags_are_errors() {
    let (code, _, err) = run(library(), &["manage", "check", "nope"]).await;
    assert_eq!(
        (code, err.as_str()),
        (1, "LookupError: No installed app with label 'nope'.\n")
    );
    let (code, _, err) = run(library(), &["manage", "check", "--tag", "security"]).await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "CommandError: There is no system check with the \"security\" tag.\n"
        )
    );
}

#[tokio::test]
async fn list_tags_and_deploy_checks() {
    assert_eq!(
        run(library(), &["manage", "check", "--list-tags"]).await.1,
        "models\n"
    );
    assert_eq!(
        run(library(), &["manage", "check", "--list-tags", "--deploy"])
            .await
            .1,
        "models\nsecurity\n"
    );
    let (code, out, err) = run(library(), &["manage", "check", "--deploy"]).await;
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(
        err,
        "System check identified some issues:\n\nWARNINGS:\n\
         ?: (security.W018) You should not have DEBUG set to True in deployment.\n\
         ?: (security.W020) ALLOWED_HOSTS must not be empty in deployment.\n\n\
         System check identified 2 issues (0 silenced).\n"
    );
    let (code, _, err) = run(
        library(),
        &["manage", "check", "--deploy", "--fail-level", "WARNING"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with("SystemCheckError: System check identified some issues:\n\nWARNINGS:\n"),
        "{err}"
    );
    let strong = settings(
        "debug = false\nsecret_key = 'q8#v!2kz@p0s^x7m&w3r(l9t-e5y+u1i=o4a6d8f0g2h4j6k8b'\nallowed_hosts = ['example.com']",
    );
    let (code, out, err) = support::execute(
        library(),
        strong,
        &["manage", "check", "--deploy", "--fail-level", "WARNING"],
    )
    .await;
    assert_eq!(
        (code, out.as_str()),
        (0, "System check identified no issues (0 silenced).\n"),
        "{err}"
    );
}

#[tokio::test]
async fn silenced_checks_are_counted_but_not_shown() {
    let s = settings("silenced_system_checks = ['fields.E120']");
    let (code, out, err) = support::execute(bad_bookstore(), s, &["manage", "check"]).await;
    assert_eq!(
        (code, out.as_str()),
        (0, "System check identified no issues (1 silenced).\n"),
        "{err}"
    );
}

fn app_check(_: &nuages_cli::checks::CheckContext<'_>) -> Vec<CheckMessage> {
    vec![
        CheckMessage::new(Level::Info, "Cache warmed.", "bookstore.I001"),
        CheckMessage::critical("Storage unreachable.", "bookstore.C001")
            .with_obj("bookstore")
            .with_hint("Mount it."),
    ]
}

#[tokio::test]
async fn apps_register_their_own_checks_with_tags() {
    let apps = Apps::new([App::new("bookstore").check(&["storage"], app_check)]).unwrap();
    assert_eq!(
        run(apps.clone(), &["manage", "check", "--list-tags"]).await.1,
        "models\nstorage\n"
    );
    let (code, _, err) = run(apps.clone(), &["manage", "check", "-t", "storage"]).await;
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "SystemCheckError: System check identified some issues:\n\nCRITICALS:\n\
         bookstore: (bookstore.C001) Storage unreachable.\n\tHINT: Mount it.\n\n\
         INFOS:\n?: (bookstore.I001) Cache warmed.\n\n\
         System check identified 2 issues (0 silenced).\n"
    );
    let (code, out, _) = run(apps, &["manage", "check", "-t", "models"]).await;
    assert_eq!(
        (code, out.as_str()),
        (0, "System check identified no issues (0 silenced).\n")
    );
}

#[tokio::test]
async fn relations_to_models_that_are_not_installed_are_e300_and_e307() {
    // The target's app is not installed.
    let apps = Apps::new([App::new("shop").model(&ORDER)]).unwrap();
    let (code, out, err) = run(apps, &["manage", "check"]).await;
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "SystemCheckError: System check identified some issues:\n\nERRORS:\n\
         shop.Order.crate: (fields.E300) Field defines a relation with model 'Crate', which is either not installed, or is abstract.\n\
         shop.Order.crate: (fields.E307) The field shop.Order.crate was declared with a lazy reference to 'warehouse.crate', but app 'warehouse' isn't installed.\n\
         shop.Order.crates: (fields.E300) Field defines a relation with model 'Crate', which is either not installed, or is abstract.\n\
         shop.Order.crates: (fields.E307) The field shop.Order.crates was declared with a lazy reference to 'warehouse.crate', but app 'warehouse' isn't installed.\n\
         shop.Order.crates: (fields.E307) The field shop.Order.crates was declared with a lazy reference to 'warehouse.stock', but app 'warehouse' isn't installed.\n\
         shop.Order.crates: (fields.E331) Field specifies a many-to-many relation through model 'warehouse.Stock', which has not been installed.\n\n\
         System check identified 6 issues (0 silenced).\n"
    );
    // The target's app is installed but does not list the model.
    let apps = Apps::new([App::new("library").model(&BOOK)]).unwrap();
    let (code, _, err) = run(apps, &["manage", "check"]).await;
    assert_eq!(code, 1);
    for line in [
        "library.Book.author: (fields.E300) Field defines a relation with model 'Author', which is either not installed, or is abstract.",
        "library.Book.author: (fields.E307) The field library.Book.author was declared with a lazy reference to 'library.author', but app 'library' doesn't provide model 'author'.",
    ] {
        assert!(err.lines().any(|l| l == line), "missing {line:?} in\n{err}");
    }
    // Installing the target's app and the through model fixes them all.
    let apps = Apps::new([
        App::new("shop").model(&ORDER),
        App::new("warehouse").model(&CRATE).model(&STOCK),
    ])
    .unwrap();
    let (code, out, err) = run(apps, &["manage", "check"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "System check identified no issues (0 silenced).\n");
}

// --- notes: comments on a database without them (fields.W163, models.W046, fields.W346)

static NOTE_FIELDS: [Field; 3] = [
    Field::new("id", FieldType::BigAutoField).primary_key(),
    Field::new("body", FieldType::CharField)
        .max_length(10)
        .db_comment("The body"),
    Field {
        db_comment: Some("Who"),
        relation: Some(Relation::new(RelationKind::ManyToMany, author)),
        ..Field::new("authors", FieldType::ManyToManyField)
    },
];
static NOTE: ModelMeta = ModelMeta {
    db_table_comment: Some("Notes"),
    ..ModelMeta::new("library", "Note", "note", "library_note", &NOTE_FIELDS)
};

#[tokio::test]
async fn comments_warn_on_databases_without_comments() {
    let apps = || Apps::new([App::new("library").model(&AUTHOR).model(&BOOK).model(&NOTE)]).unwrap();
    let two = || {
        Settings::from_toml_str(
            "[databases.default]\nurl = \"sqlite::memory:\"\n[databases.pg]\nurl = \"postgres://localhost/x\"\n",
        )
        .unwrap()
    };
    // Only `check --database` runs database checks, as in Django.
    let (code, _, err) = support::execute(apps(), two(), &["manage", "check"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("library.Note.authors: (fields.W346) db_comment has no effect on ManyToManyField."),
        "{err}"
    );
    assert!(!err.contains("W163") && !err.contains("W046"), "{err}");
    let argv = ["manage", "check", "--database", "default", "--database", "pg"];
    let (code, _, err) = support::execute(apps(), two(), &argv).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "library.Note.body: (fields.W163) SQLite does not support comments on columns (db_comment)."
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "library.Note: (models.W046) SQLite does not support comments on tables (db_table_comment)."
        ),
        "{err}"
    );
    assert_eq!(err.matches("W163").count(), 1, "PostgreSQL has comments: {err}");
    assert_eq!(err.matches("W046").count(), 1, "{err}");
}
