//! `migrate`, `showmigrations` and `sqlmigrate` on SQLite (each test on its own
//! in-memory alias), driving `nuages_db::migrations`.

use nuages_cli::{App, Apps};
use nuages_core::Settings;
use nuages_db::migrations::graph::Migration;
use nuages_db::migrations::operations::Operation;
use nuages_db::migrations::state::{FieldState, ModelState};

mod support;
use support::shop::{AUTHOR, AUTHOR_FIELDS, AUTHOR_V1, BOOK};

fn migrations() -> Vec<Migration> {
    vec![
        Migration::new("shop", "0001_initial").initial().operations(vec![
            Operation::CreateModel(ModelState::from_meta(&AUTHOR_V1)),
            Operation::CreateModel(ModelState::from_meta(&BOOK)),
        ]),
        Migration::new("shop", "0002_author_age")
            .depends_on("shop", "0001_initial")
            .operations(vec![Operation::AddField {
                model_name: "Author".to_owned(),
                field: FieldState::from_field(&AUTHOR_FIELDS[2]),
                preserve_default: true,
            }]),
    ]
}

fn apps() -> Apps {
    Apps::new([
        App::new("shop")
            .model(&AUTHOR)
            .model(&BOOK)
            .with_migrations(migrations()),
        App::new("blog"),
    ])
    .unwrap()
}

fn settings(alias: &str) -> Settings {
    Settings::from_toml_str(&format!(
        "[databases.default]\nurl = \"sqlite::memory:\"\n[databases.{alias}]\nurl = \"sqlite::memory:\"\n\
         [databases.pg]\nurl = \"postgres://localhost/unused\"\n[databases.my]\nurl = \"mysql://localhost/unused\"\n"
    ))
    .unwrap()
}

struct Project {
    alias: String,
    apps: Apps,
}

impl Project {
    fn new(alias: &str) -> Project {
        Project {
            alias: alias.to_owned(),
            apps: apps(),
        }
    }

    async fn run(&self, args: &[&str]) -> (i32, String, String) {
        support::manage(self.apps.clone(), settings(&self.alias), args).await
    }

    /// Runs a database command on this project's alias.
    async fn db(&self, args: &[&str]) -> (i32, String, String) {
        let mut argv = args.to_vec();
        argv.extend(["--database", self.alias.as_str()]);
        self.run(&argv).await
    }
}

#[tokio::test]
async fn migrate_forwards_backwards_and_shows_the_state() {
    for db in nuages_db::testing::databases().await.unwrap() {
        migrate_flow(&Project::new(&db.alias)).await;
    }
}

async fn migrate_flow(p: &Project) {
    assert_eq!(
        p.db(&["showmigrations"]).await,
        (
            0,
            "shop\n [ ] 0001_initial\n [ ] 0002_author_age\n".to_owned(),
            String::new()
        )
    );
    let (code, out, _) = p.db(&["showmigrations", "blog", "shop", "--plan"]).await;
    assert_eq!(
        (code, out.as_str()),
        (0, "[ ]  shop.0001_initial\n[ ]  shop.0002_author_age\n")
    );
    assert_eq!(
        p.db(&["showmigrations", "blog"]).await.1,
        "blog\n (no migrations)\n"
    );

    let (code, out, _) = p.db(&["migrate", "--plan"]).await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "Planned operations:\nshop.0001_initial\n    Create model Author\n    Create model Book\n\
         shop.0002_author_age\n    Add field age to Author\n"
    );
    assert_eq!(
        p.db(&["migrate", "--check"]).await,
        (1, String::new(), String::new())
    );

    let (code, out, err) = p.db(&["migrate"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        "Operations to perform:\n  Apply all migrations: shop\nRunning migrations:\n\
         \x20 Applying shop.0001_initial... OK\n  Applying shop.0002_author_age... OK\n"
    );
    assert_eq!(p.db(&["migrate", "--check"]).await.0, 0);
    assert_eq!(
        p.db(&["showmigrations", "shop"]).await.1,
        "shop\n [X] 0001_initial\n [X] 0002_author_age\n"
    );
    let (_, out, _) = p.db(&["showmigrations", "-v", "2"]).await;
    assert!(out.contains(" [X] 0001_initial (applied at 20"), "{out}");
    let (_, out, _) = p.db(&["showmigrations", "--plan", "-v", "2"]).await;
    assert_eq!(
        out,
        "[X]  shop.0001_initial\n[X]  shop.0002_author_age ... (shop.0001_initial)\n"
    );

    // Models and migrations agree: no notice.
    let (code, out, _) = p.db(&["migrate"]).await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "Operations to perform:\n  Apply all migrations: shop\nRunning migrations:\n  No migrations to apply.\n"
    );

    let (code, out, _) = p.db(&["migrate", "shop", "0001"]).await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "Operations to perform:\n  Target specific migration: 0001_initial, from shop\nRunning migrations:\n\
         \x20 Unapplying shop.0002_author_age... OK\n"
    );
    let (_, out, _) = p.db(&["migrate", "shop", "zero", "--plan"]).await;
    // Like Django, operations are listed in their declared order, prefixed "Undo".
    assert_eq!(
        out,
        "Planned operations:\nshop.0001_initial\n    Undo Create model Author\n    Undo Create model Book\n"
    );
    let (code, out, _) = p.db(&["migrate", "shop", "zero"]).await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "Operations to perform:\n  Unapply all migrations: shop\nRunning migrations:\n\
         \x20 Unapplying shop.0001_initial... OK\n"
    );
    let (code, out, _) = p.db(&["migrate", "shop", "--fake", "-v", "0"]).await;
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(
        p.db(&["showmigrations", "shop"]).await.1,
        "shop\n [X] 0001_initial\n [X] 0002_author_age\n"
    );
    let (_, out, _) = p.db(&["migrate", "shop", "zero", "--fake"]).await;
    assert!(
        out.ends_with(
            "  Unapplying shop.0002_author_age... FAKED\n  Unapplying shop.0001_initial... FAKED\n"
        ),
        "{out}"
    );
}

#[tokio::test]
async fn migrate_reports_models_without_migrations() {
    let mut p = Project::new("cli_mig_notice");
    p.apps = Apps::new([App::new("shop").model(&AUTHOR_V1).with_migrations(migrations())]).unwrap();
    assert_eq!(p.db(&["migrate", "-v", "0"]).await.0, 0);
    let (code, out, _) = p.db(&["migrate"]).await;
    assert_eq!(code, 0);
    assert!(
        out.ends_with(
            "  No migrations to apply.\n  Your models in app(s): 'shop' have changes that are not yet reflected in a migration, and so won't be applied.\n\
             \x20 Run 'manage makemigrations' to make new migrations, and then re-run 'manage migrate' to apply them.\n"
        ),
        "{out}"
    );
}

#[tokio::test]
async fn bad_targets_are_command_errors() {
    let p = Project::new("cli_mig_errors");
    for (args, message) in [
        (
            &["migrate", "nope"][..],
            "CommandError: No installed app with label 'nope'.\n",
        ),
        (
            &["migrate", "blog"][..],
            "CommandError: App 'blog' does not have migrations.\n",
        ),
        (
            &["migrate", "shop", "9"][..],
            "CommandError: Cannot find a migration matching '9' from app 'shop'.\n",
        ),
        (
            &["migrate", "shop", "000"][..],
            "CommandError: More than one migration matches '000' in app 'shop'. Please be more specific.\n",
        ),
        (
            &["sqlmigrate", "blog", "0001"][..],
            "CommandError: App 'blog' does not have migrations\n",
        ),
        (
            &["sqlmigrate", "shop", "9"][..],
            "CommandError: Cannot find a migration matching '9' from app 'shop'. Is it in INSTALLED_APPS?\n",
        ),
    ] {
        let (code, out, err) = p.db(args).await;
        assert_eq!((code, out.as_str(), err.as_str()), (1, "", message), "{args:?}");
    }
    let (code, _, err) = p.db(&["showmigrations", "nope", "shop"]).await;
    assert_eq!((code, err.as_str()), (2, "No installed app with label 'nope'.\n"));
    let (code, _, err) = p.run(&["migrate", "--database", "missing"]).await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "ImproperlyConfigured: The connection 'missing' doesn't exist.\n"
        )
    );
}

#[tokio::test]
async fn conflicting_leaves_stop_migrate() {
    let mut p = Project::new("cli_mig_conflict");
    let mut list = migrations();
    list.push(Migration::new("shop", "0002_other").depends_on("shop", "0001_initial"));
    p.apps = Apps::new([App::new("shop").with_migrations(list)]).unwrap();
    let (code, _, err) = p.db(&["migrate"]).await;
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "CommandError: Conflicting migrations detected; multiple leaf nodes in the migration graph: \
         (0002_author_age, 0002_other in shop).\nTo fix them run 'manage makemigrations --merge'\n"
    );
}

#[tokio::test]
async fn sqlmigrate_prints_each_backends_sql() {
    let p = Project::new("cli_mig_sql");
    let (code, out, _) = p.db(&["sqlmigrate", "shop", "0001"]).await;
    assert_eq!(code, 0);
    assert!(
        out.starts_with("BEGIN;\n--\n-- Create model Author\n--\nCREATE TABLE \"shop_author\""),
        "{out}"
    );
    assert!(
        out.contains("\n--\n-- Create model Book\n--\nCREATE TABLE \"shop_book\""),
        "{out}"
    );
    assert!(out.ends_with(";\nCOMMIT;\n"), "{out}");
    let (_, back, _) = p.db(&["sqlmigrate", "shop", "0002", "--backwards"]).await;
    assert!(
        back.starts_with("BEGIN;\n--\n-- Add field age to Author\n--\n"),
        "{back}"
    );
    let (_, pg, _) = p
        .run(&["sqlmigrate", "shop", "0001_initial", "--database", "pg"])
        .await;
    assert!(pg.starts_with("BEGIN;\n"), "{pg}");
    assert!(
        pg.contains("\"id\" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY"),
        "{pg}"
    );
    let (_, my, _) = p.run(&["sqlmigrate", "shop", "0001", "--database", "my"]).await;
    assert!(
        my.starts_with("--\n-- Create model Author\n--\nCREATE TABLE `shop_author`"),
        "{my}"
    );
    assert!(!my.contains("COMMIT;"), "MySQL cannot roll back DDL: {my}");
}

fn only_initial() -> Vec<Migration> {
    migrations().into_iter().take(1).collect()
}

#[tokio::test]
async fn makemigrations_detects_and_writes_changes() {
    let mut p = Project::new("cli_mkm");
    p.apps = Apps::new([
        App::new("shop")
            .model(&AUTHOR)
            .model(&BOOK)
            .with_migrations(only_initial()),
        App::new("blog"),
    ])
    .unwrap();
    let expected =
        "Migrations for 'shop':\n  shop/migrations/m0002_author_age.rs\n    + Add field age to author\n";
    assert_eq!(
        p.run(&["makemigrations", "--no-input", "--dry-run"]).await,
        (0, expected.to_owned(), String::new())
    );
    assert_eq!(
        p.run(&["makemigrations", "--no-input", "--check"]).await,
        (1, expected.to_owned(), String::new())
    );
    let (code, out, _) = p
        .run(&["makemigrations", "--no-input", "--dry-run", "-v", "3"])
        .await;
    assert_eq!(code, 0);
    assert!(
        out.contains("Full migrations file 'm0002_author_age.rs':\n//! Generated by nuages"),
        "{out}"
    );
    assert!(
        out.contains("Migration::new(\"shop\", \"0002_author_age\")"),
        "{out}"
    );

    // Without a path the files cannot be written.
    let (code, _, err) = p.run(&["makemigrations", "--no-input"]).await;
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "CommandError: App 'shop' has no path: give it one with App::with_path so its migrations can be written.\n"
    );

    let dir = std::env::temp_dir().join(format!("nuages-cli-mkm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    p.apps = Apps::new([App::new("shop")
        .with_path(&dir)
        .model(&AUTHOR)
        .model(&BOOK)
        .with_migrations(only_initial())
        .with_db_crate("nuages_db")])
    .unwrap();
    let (code, out, _) = p
        .run(&["makemigrations", "--no-input", "--name", "add_age"])
        .await;
    assert_eq!(code, 0);
    assert!(
        out.contains("m0002_add_age.rs\n    + Add field age to author\n"),
        "{out}"
    );
    let source = std::fs::read_to_string(dir.join("migrations/m0002_add_age.rs")).unwrap();
    assert!(
        source.contains("use nuages_db::migrations::prelude::*;"),
        "{source}"
    );
    assert!(
        source.contains(".depends_on(\"shop\", \"0001_initial\")"),
        "{source}"
    );
    let modules = std::fs::read_to_string(dir.join("migrations/mod.rs")).unwrap();
    assert!(
        modules.contains("pub mod m0001_initial;\npub mod m0002_add_age;\n"),
        "{modules}"
    );
    assert!(
        modules.contains("vec![m0001_initial::migration(), m0002_add_age::migration()]"),
        "{modules}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let (code, _, err) = p.run(&["makemigrations", "--name", "not-an-identifier"]).await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "CommandError: The migration name must be a valid Python identifier.\n"
        )
    );
    let (code, _, err) = p.run(&["makemigrations", "nope"]).await;
    assert_eq!((code, err.as_str()), (2, "No installed app with label 'nope'.\n"));
}

#[tokio::test]
async fn makemigrations_reports_no_changes_and_starts_named_apps() {
    let p = Project::new("cli_mkm_clean");
    assert_eq!(
        p.run(&["makemigrations", "--no-input"]).await.1,
        "No changes detected\n"
    );
    assert_eq!(
        p.run(&["makemigrations", "--no-input", "shop"]).await.1,
        "No changes detected in app 'shop'\n"
    );
    assert_eq!(
        p.run(&["makemigrations", "--no-input", "shop", "blog"]).await.1,
        "No changes detected in apps 'blog', 'shop'\n"
    );
    // An app with models but no migrations takes part only when named.
    let mut fresh = Project::new("cli_mkm_fresh");
    fresh.apps = Apps::new([App::new("shop").model(&AUTHOR).model(&BOOK)]).unwrap();
    assert_eq!(
        fresh.run(&["makemigrations", "--no-input", "--dry-run"]).await.1,
        "No changes detected\n"
    );
    let (code, out, _) = fresh
        .run(&["makemigrations", "--no-input", "--dry-run", "shop"])
        .await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "Migrations for 'shop':\n  shop/migrations/m0001_initial.rs\n    + Create model Author\n    + Create model Book\n"
    );
}

#[tokio::test]
async fn migrate_creates_content_types_when_contenttypes_is_installed() {
    use nuages_db::contrib::contenttypes::ContentType;
    use nuages_db::models::manager::Manager;
    for db in nuages_db::testing::databases().await.unwrap() {
        let mut p = Project::new(&db.alias);
        p.apps = Apps::new([
            nuages_cli::contrib::contenttypes(),
            App::new("shop")
                .model(&AUTHOR)
                .model(&BOOK)
                .with_migrations(migrations()),
        ])
        .unwrap();
        let (code, out, err) = p.db(&["migrate", "--verbosity", "2"]).await;
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("Applying contenttypes.0002_remove_content_type_name... OK"),
            "{out}"
        );
        assert!(
            out.contains("Adding content type 'contenttypes | contenttype'"),
            "{out}"
        );
        assert!(out.contains("Adding content type 'shop | author'"), "{out}");
        let names: Vec<String> = ContentType::objects()
            .using(&db.alias)
            .order_by(["app_label", "model"])
            .fetch()
            .await
            .unwrap()
            .into_iter()
            .map(|c| format!("{}.{}", c.app_label, c.model))
            .collect();
        assert_eq!(names, ["contenttypes.contenttype", "shop.author", "shop.book"]);
        // Nothing to apply: the handler still runs and adds nothing.
        let (code, out, _) = p.db(&["migrate", "--verbosity", "2"]).await;
        assert_eq!(code, 0);
        assert!(!out.contains("Adding content type"), "{out}");
    }
}
