//! Issue 5's "a clean model set produces no migration after every operation": for each
//! kind of change the autodetector makes, the detected migration replayed on the old
//! state leaves nothing to detect, and it applies and unapplies on every backend.

use std::collections::BTreeMap;

use nuages_db::migrations::autodetector::{changes, NotNullAlteration, Questioner};
use nuages_db::migrations::executor::{MigrateOptions, MigrationExecutor};
use nuages_db::migrations::graph::{Migration, MigrationGraph, Target};
use nuages_db::migrations::state::{
    ConstraintState, FieldState, IndexState, ManagerState, ModelState, ProjectState,
};
use nuages_db::models::meta::RelationKind;
use nuages_db::{testing, FieldType, Value};

/// Answers yes to renames and gives `0` as a one-off default.
struct Yes;
impl Questioner for Yes {
    fn ask_rename_model(&mut self, _: &ModelState, _: &ModelState) -> bool {
        true
    }
    fn ask_rename(&mut self, _: &str, _: &FieldState, _: &FieldState) -> bool {
        true
    }
    fn ask_not_null_addition(&mut self, _: &str, _: &str) -> Option<Value> {
        Some(Value::Int(0))
    }
    fn ask_not_null_alteration(&mut self, _: &str, _: &str) -> NotNullAlteration {
        NotNullAlteration::Default(Value::Int(0))
    }
}

fn base() -> ProjectState {
    let mut p = ProjectState::new();
    p.add_model(ModelState::new(
        "shop",
        "Author",
        vec![
            FieldState::new("id", FieldType::BigAutoField).primary_key(),
            FieldState::new("name", FieldType::CharField).max_length(50),
        ],
    ));
    p.add_model(ModelState::new(
        "shop",
        "Book",
        vec![
            FieldState::new("id", FieldType::BigAutoField).primary_key(),
            FieldState::new("title", FieldType::CharField).max_length(100),
            FieldState::new("pages", FieldType::IntegerField).null(),
            FieldState::new("author", FieldType::ForeignKey)
                .relation(RelationKind::ForeignKey, "shop.author"),
        ],
    ));
    p
}

fn book(p: &mut ProjectState) -> &mut ModelState {
    p.get_mut("shop.book").unwrap()
}

type Edit = fn(&mut ProjectState);

fn edits() -> Vec<(&'static str, Edit)> {
    vec![
        ("AddField", |p| {
            book(p)
                .fields
                .push(FieldState::new("rating", FieldType::FloatField).null())
        }),
        ("AddField non-null with one-off default", |p| {
            book(p)
                .fields
                .push(FieldState::new("stock", FieldType::IntegerField))
        }),
        ("AlterField null to NOT NULL with one-off default", |p| {
            book(p)
                .fields
                .iter_mut()
                .find(|f| f.name == "pages")
                .unwrap()
                .null = false;
        }),
        ("AlterModelManagers", |p| {
            book(p).managers = vec![
                ManagerState::plain("books"),
                ManagerState::new("published", "managers::PublishedManager"),
            ]
        }),
        ("RemoveField", |p| book(p).fields.retain(|f| f.name != "pages")),
        ("AlterField", |p| {
            let f = book(p).fields.iter_mut().find(|f| f.name == "title").unwrap();
            f.max_length = Some(200);
            f.db_index = true;
        }),
        ("RenameField", |p| {
            let f = book(p).fields.iter_mut().find(|f| f.name == "pages").unwrap();
            f.name = "page_count".into();
            f.column = "page_count".into();
        }),
        ("CreateModel", |p| {
            p.add_model(ModelState::new(
                "shop",
                "Store",
                vec![
                    FieldState::new("id", FieldType::BigAutoField).primary_key(),
                    FieldState::new("books", FieldType::ManyToManyField)
                        .relation(RelationKind::ManyToMany, "shop.book"),
                ],
            ))
        }),
        ("DeleteModel", |p| {
            p.remove_model("shop.book");
        }),
        ("RenameModel", |p| {
            let a = p.get_mut("shop.author").unwrap();
            a.name = "Writer".into();
            a.db_table = "shop_writer".into();
            let f = book(p).fields.iter_mut().find(|f| f.name == "author").unwrap();
            f.relation.as_mut().unwrap().to = "shop.writer".into();
        }),
        ("AlterModelTable", |p| book(p).db_table = "shop_books".into()),
        ("AlterModelTableComment", |p| {
            book(p).db_table_comment = Some("Books on sale".into())
        }),
        ("AlterField db_comment", |p| {
            let f = book(p).fields.iter_mut().find(|f| f.name == "title").unwrap();
            f.db_comment = Some("The title".into());
        }),
        ("AlterModelOptions", |p| {
            book(p).options.ordering = vec!["-title".into()]
        }),
        ("AddIndex", |p| {
            book(p).indexes.push(IndexState::new("book_title_idx", ["title"]))
        }),
        ("AddConstraint", |p| {
            book(p).constraints.push(ConstraintState::Unique {
                name: "unique_title_author".into(),
                fields: vec!["title".into(), "author".into()],
                condition: None,
            })
        }),
        ("AlterUniqueTogether", |p| {
            book(p).unique_together = vec![vec!["title".into(), "pages".into()]]
        }),
    ]
}

fn leaves() -> BTreeMap<String, (String, String)> {
    BTreeMap::from([("shop".to_owned(), ("shop".to_owned(), "0001_initial".to_owned()))])
}

fn initial() -> Migration {
    changes(&ProjectState::new(), &base(), &BTreeMap::new(), &mut Yes)
        .unwrap()
        .remove("shop")
        .unwrap()
}

#[test]
fn no_changes_after_each_detected_operation() {
    for (label, edit) in edits() {
        let old = base();
        let mut new = base();
        edit(&mut new);
        let mut out = changes(&old, &new, &leaves(), &mut Yes).unwrap();
        let m = out
            .remove("shop")
            .unwrap_or_else(|| panic!("{label}: nothing detected"));
        let mut replayed = old.clone();
        m.apply_state(&mut replayed).unwrap();
        let mut leaf = BTreeMap::new();
        leaf.insert("shop".to_owned(), ("shop".to_owned(), m.name.clone()));
        let again = changes(&replayed, &new, &leaf, &mut Yes).unwrap();
        assert!(again.is_empty(), "{label}: {:?} left {again:?}", m.operations);
    }
}

#[tokio::test]
async fn each_detected_operation_migrates_and_unmigrates() {
    for db in testing::databases().await.unwrap() {
        for (i, (label, edit)) in edits().into_iter().enumerate() {
            let mut new = base();
            edit(&mut new);
            let m = changes(&base(), &new, &leaves(), &mut Yes)
                .unwrap()
                .remove("shop")
                .unwrap();
            let graph = MigrationGraph::new(vec![initial(), m.clone()]).unwrap();
            let ex = MigrationExecutor::new(&db.alias, &graph);
            let err = |e: nuages_db::DbError| format!("{} {label} (#{i}): {e}", db.vendor.name());
            ex.migrate(None, MigrateOptions::default())
                .await
                .map_err(err)
                .unwrap();
            ex.migrate(Some(&[Target::Zero("shop".into())]), MigrateOptions::default())
                .await
                .map_err(err)
                .unwrap();
            assert!(ex.applied().await.unwrap().is_empty());
        }
    }
}
