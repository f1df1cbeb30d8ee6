//! `db_comment` and `db_table_comment` end to end: migration state, autodetector,
//! writer, optimizer, the DDL of each backend, and comments read back from PostgreSQL
//! and MySQL/MariaDB after creating, altering and removing them (SQLite has none, as
//! Django's `supports_comments = False`, and migrates without error).

#[rustfmt::skip]
#[path = "generated/m0001_comments.rs"]
mod m0001_comments;

use std::collections::BTreeMap;

use nuages_db::migrations::autodetector::{changes, NonInteractiveQuestioner};
use nuages_db::migrations::executor::{MigrateOptions, MigrationExecutor};
use nuages_db::migrations::graph::{Migration, MigrationGraph, Target};
use nuages_db::migrations::operations::Operation;
use nuages_db::migrations::optimizer::optimize;
use nuages_db::migrations::state::{FieldState, ModelState, ProjectState};
use nuages_db::migrations::writer::migration_source;
use nuages_db::models::meta::{Field, FieldType, ModelMeta};
use nuages_db::schema::{introspection, Vendor};
use nuages_db::{connection, testing, Value};

/// The body comment has every character a literal must escape.
const BODY_COMMENT: &str = "It's the \"body\" \\ text";

fn note(
    body: Option<&str>,
    author: FieldState,
    table: Option<&str>,
    flag: Option<FieldState>,
) -> ProjectState {
    let mut body_field = FieldState::new("body", FieldType::CharField).max_length(100);
    body_field.db_comment = body.map(str::to_owned);
    let mut fields = vec![
        FieldState::new("id", FieldType::BigAutoField).primary_key(),
        body_field,
        author,
    ];
    fields.extend(flag);
    let mut m = ModelState::new("shop", "Note", fields);
    m.db_table_comment = table.map(str::to_owned);
    let mut p = ProjectState::new();
    p.add_model(m);
    p
}

fn v1() -> ProjectState {
    note(
        Some(BODY_COMMENT),
        FieldState::new("author", FieldType::CharField)
            .max_length(50)
            .db_comment("Who wrote it"),
        Some("Notes"),
        None,
    )
}

/// Comments changed, a commented field added, a commented field's type and
/// nullability changed (its comment must survive, notably MySQL's `MODIFY`).
fn v2() -> ProjectState {
    note(
        Some("Body text"),
        FieldState::new("author", FieldType::CharField)
            .max_length(80)
            .null()
            .db_comment("Who wrote it"),
        Some("Short notes"),
        Some(
            FieldState::new("flag", FieldType::IntegerField)
                .null()
                .db_comment("added"),
        ),
    )
}

/// Every comment removed.
fn v3() -> ProjectState {
    note(
        None,
        FieldState::new("author", FieldType::CharField)
            .max_length(80)
            .null(),
        None,
        Some(FieldState::new("flag", FieldType::IntegerField).null()),
    )
}

fn detect(from: &ProjectState, to: &ProjectState, leaf: Option<&str>) -> Migration {
    let leaves = leaf
        .map(|n| BTreeMap::from([("shop".to_owned(), ("shop".to_owned(), n.to_owned()))]))
        .unwrap_or_default();
    changes(from, to, &leaves, &mut NonInteractiveQuestioner)
        .unwrap()
        .remove("shop")
        .expect("changes detected")
}

fn migrations() -> Vec<Migration> {
    let first = detect(&ProjectState::new(), &v1(), None);
    let second = detect(&v1(), &v2(), Some(&first.name));
    let third = detect(&v2(), &v3(), Some(&second.name));
    vec![first, second, third]
}

#[test]
fn state_carries_comments_from_compiled_models() {
    static FIELDS: [Field; 2] = [
        Field::new("id", FieldType::BigAutoField).primary_key(),
        Field::new("title", FieldType::CharField)
            .max_length(10)
            .db_comment("The title"),
    ];
    static BOOK: ModelMeta = ModelMeta {
        db_table_comment: Some("Books"),
        ..ModelMeta::new("shop", "Book", "book", "shop_book", &FIELDS)
    };
    let m = ModelState::from_meta(&BOOK);
    assert_eq!(m.db_table_comment.as_deref(), Some("Books"));
    assert_eq!(m.field("title").unwrap().db_comment.as_deref(), Some("The title"));
    assert_eq!(m.field("id").unwrap().db_comment, None);
}

#[test]
fn autodetector_emits_alter_field_and_alter_model_table_comment() {
    let [first, second, third] = <[Migration; 3]>::try_from(migrations()).unwrap();
    // CreateModel carries both comments.
    let [Operation::CreateModel(created)] = first.operations.as_slice() else {
        panic!("{:?}", first.operations)
    };
    assert_eq!(created.db_table_comment.as_deref(), Some("Notes"));
    assert_eq!(
        created.field("body").unwrap().db_comment.as_deref(),
        Some(BODY_COMMENT)
    );

    // Table comment first (Django's `generate_altered_db_table_comment` runs before the
    // field operations), then the added and altered fields.
    let described: Vec<String> = second.operations.iter().map(Operation::describe).collect();
    assert_eq!(
        described,
        [
            "Alter note table comment",
            "Add field flag to note",
            "Alter field author on note",
            "Alter field body on note",
        ]
    );
    assert_eq!(
        second.name,
        "0002_alter_note_table_comment_note_flag_alter_note_author_and_more"
    );
    let Operation::AlterModelTableComment { table_comment, .. } = &second.operations[0] else {
        panic!()
    };
    assert_eq!(table_comment.as_deref(), Some("Short notes"));

    // Removing comments: AlterModelTableComment(None) and AlterFields without comment.
    let described: Vec<String> = third.operations.iter().map(Operation::describe).collect();
    assert_eq!(
        described,
        [
            "Alter note table comment",
            "Alter field author on note",
            "Alter field body on note",
            "Alter field flag on note",
        ]
    );
    assert!(matches!(
        &third.operations[0],
        Operation::AlterModelTableComment {
            table_comment: None,
            ..
        }
    ));
    assert_eq!(
        third.operations[0].migration_name_fragment().as_deref(),
        Some("alter_note_table_comment")
    );

    // A comment-only change is an AlterField; replaying leaves nothing to detect.
    let mut state = ProjectState::new();
    for m in [&first, &second, &third] {
        m.apply_state(&mut state).unwrap();
    }
    assert!(
        changes(&state, &v3(), &BTreeMap::new(), &mut NonInteractiveQuestioner)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn writer_writes_comments_and_the_written_file_replays() {
    let first = &migrations()[0];
    let src = migration_source(first, "nuages_db").unwrap();
    assert!(src.contains(".db_table_comment(\"Notes\")"), "{src}");
    assert!(
        src.contains(r#".db_comment("It's the \"body\" \\ text")"#),
        "{src}"
    );
    let path = format!("{}/tests/generated/m0001_comments.rs", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("NUAGES_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &src).unwrap();
    }
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&src), body(&std::fs::read_to_string(&path).unwrap()));
    let mut replayed = ProjectState::new();
    m0001_comments::migration().apply_state(&mut replayed).unwrap();
    assert_eq!(replayed, v1());

    let op = Operation::AlterModelTableComment {
        name: "Note".into(),
        table_comment: None,
    };
    let m = Migration::new("shop", "0002_x").operations(vec![op]);
    let src = migration_source(&m, "nuages_db").unwrap();
    assert!(
        src.contains("Operation::AlterModelTableComment {\n                name: \"Note\".into(),\n                table_comment: None,\n            }"),
        "{src}"
    );
}

#[test]
fn optimizer_keeps_the_last_table_comment() {
    let comment = |c: Option<&str>| Operation::AlterModelTableComment {
        name: "Note".into(),
        table_comment: c.map(str::to_owned),
    };
    let out = optimize(&[comment(Some("a")), comment(Some("b"))], "shop");
    assert!(
        matches!(out.as_slice(), [Operation::AlterModelTableComment { table_comment: Some(c), .. }] if c == "b")
    );
    let out = optimize(
        &[comment(Some("a")), Operation::DeleteModel { name: "Note".into() }],
        "shop",
    );
    assert!(
        matches!(out.as_slice(), [Operation::DeleteModel { .. }]),
        "{out:?}"
    );
    // Another model's comment does not merge.
    let other = Operation::AlterModelTableComment {
        name: "Tag".into(),
        table_comment: Some("c".into()),
    };
    assert_eq!(optimize(&[comment(Some("a")), other], "shop").len(), 2);
}

fn sql(vendor: Vendor, index: usize, backwards: bool) -> Vec<String> {
    let migrations = migrations();
    let key = ("shop".to_owned(), migrations[index].name.clone());
    let graph = MigrationGraph::new(migrations).unwrap();
    MigrationExecutor::new("default", &graph)
        .sql_for(vendor, &key, backwards)
        .unwrap()
        .into_iter()
        .filter(|l| !l.starts_with("--"))
        .collect()
}

#[test]
fn postgres_ddl() {
    assert_eq!(
        sql(Vendor::Postgres, 0, false),
        [
            "CREATE TABLE \"shop_note\" (\"id\" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, \"body\" varchar(100) NOT NULL, \"author\" varchar(50) NOT NULL)",
            "COMMENT ON TABLE \"shop_note\" IS 'Notes'",
            "COMMENT ON COLUMN \"shop_note\".\"body\" IS E'It''s the \"body\" \\\\ text'",
            "COMMENT ON COLUMN \"shop_note\".\"author\" IS 'Who wrote it'",
        ]
    );
    assert_eq!(
        sql(Vendor::Postgres, 1, false),
        [
            "COMMENT ON TABLE \"shop_note\" IS 'Short notes'",
            "ALTER TABLE \"shop_note\" ADD COLUMN \"flag\" integer NULL",
            "COMMENT ON COLUMN \"shop_note\".\"flag\" IS 'added'",
            "ALTER TABLE \"shop_note\" ALTER COLUMN \"author\" TYPE varchar(80)",
            "ALTER TABLE \"shop_note\" ALTER COLUMN \"author\" DROP NOT NULL",
            // Django repeats the column type when only the comment changes.
            "ALTER TABLE \"shop_note\" ALTER COLUMN \"body\" TYPE varchar(100)",
            "COMMENT ON COLUMN \"shop_note\".\"body\" IS 'Body text'",
        ]
    );
    assert_eq!(
        sql(Vendor::Postgres, 2, false),
        [
            "COMMENT ON TABLE \"shop_note\" IS ''",
            "ALTER TABLE \"shop_note\" ALTER COLUMN \"author\" TYPE varchar(80)",
            "COMMENT ON COLUMN \"shop_note\".\"author\" IS ''",
            "ALTER TABLE \"shop_note\" ALTER COLUMN \"body\" TYPE varchar(100)",
            "COMMENT ON COLUMN \"shop_note\".\"body\" IS ''",
            "ALTER TABLE \"shop_note\" ALTER COLUMN \"flag\" TYPE integer",
            "COMMENT ON COLUMN \"shop_note\".\"flag\" IS ''",
        ]
    );
    // Backwards puts the comments back.
    assert_eq!(
        sql(Vendor::Postgres, 2, true)[..2],
        [
            "ALTER TABLE \"shop_note\" ALTER COLUMN \"flag\" TYPE integer",
            "COMMENT ON COLUMN \"shop_note\".\"flag\" IS 'added'",
        ]
    );
}

#[test]
fn mysql_ddl() {
    assert_eq!(
        sql(Vendor::MySql, 0, false),
        [
            "CREATE TABLE `shop_note` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `body` varchar(100) COMMENT 'It''s the \"body\" \\\\ text' NOT NULL, `author` varchar(50) COMMENT 'Who wrote it' NOT NULL)",
            "ALTER TABLE `shop_note` COMMENT = 'Notes'",
        ]
    );
    assert_eq!(
        sql(Vendor::MySql, 1, false),
        [
            "ALTER TABLE `shop_note` COMMENT = 'Short notes'",
            "ALTER TABLE `shop_note` ADD COLUMN `flag` integer COMMENT 'added' NULL",
            "ALTER TABLE `shop_note` MODIFY `author` varchar(80) NOT NULL COMMENT 'Who wrote it'",
            "ALTER TABLE `shop_note` MODIFY `author` varchar(80) NULL COMMENT 'Who wrote it'",
            "ALTER TABLE `shop_note` MODIFY `body` varchar(100) NOT NULL COMMENT 'Body text'",
        ]
    );
    assert_eq!(
        sql(Vendor::MySql, 2, false),
        [
            "ALTER TABLE `shop_note` COMMENT = ''",
            "ALTER TABLE `shop_note` MODIFY `author` varchar(80) NULL",
            "ALTER TABLE `shop_note` MODIFY `body` varchar(100) NOT NULL",
            "ALTER TABLE `shop_note` MODIFY `flag` integer NULL",
        ]
    );
}

#[test]
fn sqlite_ddl_has_no_comments() {
    let all: Vec<String> = (0..3).flat_map(|i| sql(Vendor::Sqlite, i, false)).collect();
    assert!(all.iter().all(|s| !s.contains("COMMENT")), "{all:#?}");
    assert!(all[0].starts_with("CREATE TABLE \"shop_note\""));
}

/// `(table comment, [(column, comment)])` as the database reports them.
async fn comments(alias: &str) -> (Option<String>, Vec<(String, Option<String>)>) {
    let table = introspection::table_list(alias)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "shop_note")
        .expect("shop_note exists");
    let columns = introspection::table_description(alias, "shop_note")
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.comment))
        .collect();
    (table.comment, columns)
}

fn expected(
    vendor: Vendor,
    table: Option<&str>,
    columns: &[(&str, Option<&str>)],
) -> (Option<String>, Vec<(String, Option<String>)>) {
    let on = vendor != Vendor::Sqlite;
    let c = |s: Option<&str>| s.filter(|_| on).map(str::to_owned);
    (
        c(table),
        columns.iter().map(|(n, s)| ((*n).to_owned(), c(*s))).collect(),
    )
}

#[tokio::test]
async fn comments_are_created_altered_and_removed_in_the_database() {
    let migrations = migrations();
    let names: Vec<String> = migrations.iter().map(|m| m.name.clone()).collect();
    let graph = MigrationGraph::new(migrations).unwrap();
    for db in testing::databases().await.unwrap() {
        let a = db.alias.as_str();
        let v = db.vendor;
        let ex = MigrationExecutor::new(a, &graph);
        let to = |i: usize| vec![Target::Migration("shop".into(), names[i].clone())];
        let fail = |e: nuages_db::DbError| panic!("{}: {e}", v.name());

        ex.migrate(Some(&to(0)), MigrateOptions::default())
            .await
            .unwrap_or_else(fail);
        let created = expected(
            v,
            Some("Notes"),
            &[
                ("id", None),
                ("body", Some(BODY_COMMENT)),
                ("author", Some("Who wrote it")),
            ],
        );
        assert_eq!(comments(a).await, created, "{}", v.name());
        connection::execute(a, "INSERT INTO shop_note (body, author) VALUES ('b', 'ann')", &[])
            .await
            .unwrap();

        ex.migrate(Some(&to(1)), MigrateOptions::default())
            .await
            .unwrap_or_else(fail);
        let altered = expected(
            v,
            Some("Short notes"),
            &[
                ("id", None),
                ("body", Some("Body text")),
                ("author", Some("Who wrote it")),
                ("flag", Some("added")),
            ],
        );
        assert_eq!(comments(a).await, altered, "{}", v.name());

        ex.migrate(None, MigrateOptions::default())
            .await
            .unwrap_or_else(fail);
        let removed = expected(
            v,
            None,
            &[("id", None), ("body", None), ("author", None), ("flag", None)],
        );
        assert_eq!(comments(a).await, removed, "{}", v.name());
        let rows = connection::fetch(a, "SELECT body, author FROM shop_note", &[])
            .await
            .unwrap();
        assert_eq!(
            rows[0].clone().into_values(),
            [Value::Text("b".into()), Value::Text("ann".into())],
            "{}",
            v.name()
        );

        // Backwards restores them.
        ex.migrate(Some(&to(1)), MigrateOptions::default())
            .await
            .unwrap_or_else(fail);
        assert_eq!(comments(a).await, altered, "{}", v.name());
        ex.migrate(Some(&to(0)), MigrateOptions::default())
            .await
            .unwrap_or_else(fail);
        assert_eq!(comments(a).await, created, "{}", v.name());
        ex.migrate(Some(&[Target::Zero("shop".into())]), MigrateOptions::default())
            .await
            .unwrap_or_else(fail);
    }
}
