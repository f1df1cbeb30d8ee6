//! The autodetector: Django's operation choice, order and migration names.

mod common;

use std::collections::BTreeMap;

use nuages_db::migrations::autodetector::{changes, NonInteractiveQuestioner, NotNullAlteration, Questioner};
use nuages_db::migrations::operations::Operation;
use nuages_db::migrations::state::{FieldState, ModelState, ProjectState};
use nuages_db::{FieldType, Value};

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

fn apply(state: &ProjectState, m: &nuages_db::migrations::graph::Migration) -> ProjectState {
    let mut s = state.clone();
    m.apply_state(&mut s).unwrap();
    s
}

#[test]
fn initial_migration_orders_models_like_django_and_round_trips() {
    let models = ProjectState::from_metas(&common::all());
    let out = changes(
        &ProjectState::new(),
        &models,
        &BTreeMap::new(),
        &mut NonInteractiveQuestioner,
    )
    .unwrap();
    let m = &out["bookstore"];
    assert_eq!(m.name, "0001_initial");
    assert!(m.initial);
    let names: Vec<String> = m.operations.iter().map(|o| o.describe()).collect();
    assert_eq!(
        names,
        [
            "Create model Author",
            "Create model Genre",
            "Create model Publisher",
            "Create model Book"
        ]
    );
    // A clean model set produces no migration.
    let replayed = apply(&ProjectState::new(), m);
    let leaves = BTreeMap::from([("bookstore".to_owned(), ("bookstore".to_owned(), m.name.clone()))]);
    let again = changes(&replayed, &models, &leaves, &mut NonInteractiveQuestioner).unwrap();
    assert!(again.is_empty(), "{again:?}");
}

fn book(fields: Vec<FieldState>) -> ProjectState {
    let mut all = vec![FieldState::new("id", FieldType::BigAutoField).primary_key()];
    all.extend(fields);
    let mut p = ProjectState::new();
    p.add_model(ModelState::new("bookstore", "Book", all));
    p
}

fn leaves(name: &str) -> BTreeMap<String, (String, String)> {
    BTreeMap::from([("bookstore".to_owned(), ("bookstore".to_owned(), name.to_owned()))])
}

#[test]
fn added_field_and_names() {
    let old = book(vec![FieldState::new("name", FieldType::CharField).max_length(100)]);
    let new = book(vec![
        FieldState::new("name", FieldType::CharField).max_length(100),
        FieldState::new("rating", FieldType::IntegerField).null(),
    ]);
    let out = changes(&old, &new, &leaves("0001_initial"), &mut NonInteractiveQuestioner).unwrap();
    let m = &out["bookstore"];
    assert_eq!(m.name, "0002_book_rating");
    assert_eq!(
        m.dependencies,
        vec![("bookstore".to_owned(), "0001_initial".to_owned())]
    );
    assert_eq!(apply(&old, m), new);
}

#[test]
fn renames_only_when_the_questioner_says_yes() {
    let old = book(vec![FieldState::new("name", FieldType::CharField)
        .max_length(100)
        .null()]);
    let new = book(vec![FieldState::new("title", FieldType::CharField)
        .max_length(100)
        .null()]);
    let out = changes(&old, &new, &leaves("0002_book_rating"), &mut Yes).unwrap();
    let m = &out["bookstore"];
    assert_eq!(m.name, "0003_rename_name_book_title");
    assert!(matches!(m.operations.as_slice(), [Operation::RenameField { .. }]));
    assert_eq!(apply(&old, m), new);
    // --no-input never guesses a rename.
    let out = changes(
        &old,
        &new,
        &leaves("0002_book_rating"),
        &mut NonInteractiveQuestioner,
    )
    .unwrap();
    let m = &out["bookstore"];
    assert_eq!(m.name, "0003_remove_book_name_book_title");
    assert_eq!(apply(&old, m), new);
}

#[test]
fn non_null_field_without_default_needs_an_answer() {
    let old = book(vec![]);
    let new = book(vec![FieldState::new("pages", FieldType::IntegerField)]);
    let err = changes(&old, &new, &leaves("0001_initial"), &mut NonInteractiveQuestioner).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("It is impossible to add a non-nullable field 'pages' to book"),
        "{err}"
    );
    let out = changes(&old, &new, &leaves("0001_initial"), &mut Yes).unwrap();
    match &out["bookstore"].operations[0] {
        Operation::AddField {
            field,
            preserve_default,
            ..
        } => {
            assert_eq!(field.default, Some(Value::Int(0)));
            assert!(!preserve_default);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(apply(&old, &out["bookstore"]), new);
}

#[test]
fn renamed_model_with_yes() {
    let old = book(vec![FieldState::new("name", FieldType::CharField).max_length(100)]);
    let mut new = old.clone();
    new.models[0].name = "Novel".into();
    new.models[0].db_table = "bookstore_novel".into();
    let out = changes(&old, &new, &leaves("0001_initial"), &mut Yes).unwrap();
    assert_eq!(out["bookstore"].name, "0002_rename_book_novel");
    assert_eq!(apply(&old, &out["bookstore"]), new);
    let out = changes(&old, &new, &leaves("0001_initial"), &mut NonInteractiveQuestioner).unwrap();
    assert_eq!(out["bookstore"].name, "0002_delete_book_novel");
}

#[test]
fn cross_app_relations_add_dependencies() {
    let mut to = ProjectState::new();
    to.add_model(ModelState::new(
        "bookstore",
        "Author",
        vec![FieldState::new("id", FieldType::BigAutoField).primary_key()],
    ));
    to.add_model(ModelState::new(
        "library",
        "Loan",
        vec![
            FieldState::new("id", FieldType::BigAutoField).primary_key(),
            FieldState::new("author", FieldType::ForeignKey).relation(
                nuages_db::models::meta::RelationKind::ForeignKey,
                "bookstore.author",
            ),
        ],
    ));
    let out = changes(
        &ProjectState::new(),
        &to,
        &BTreeMap::new(),
        &mut NonInteractiveQuestioner,
    )
    .unwrap();
    assert_eq!(out["library"].name, "0001_initial");
    assert_eq!(
        out["library"].dependencies,
        vec![("bookstore".to_owned(), "0001_initial".to_owned())]
    );
    assert!(out["bookstore"].dependencies.is_empty());
    // Applying both (bookstore first) gives the target state.
    let mut state = ProjectState::new();
    out["bookstore"].apply_state(&mut state).unwrap();
    out["library"].apply_state(&mut state).unwrap();
    assert_eq!(state.get("library.loan"), to.get("library.loan"));
}

#[test]
fn long_names_end_with_and_more() {
    let old = book(vec![]);
    let new = book(vec![
        FieldState::new("a_rather_long_field_name", FieldType::IntegerField).null(),
        FieldState::new("another_rather_long_field_name", FieldType::IntegerField).null(),
    ]);
    let out = changes(&old, &new, &leaves("0001_initial"), &mut NonInteractiveQuestioner).unwrap();
    assert_eq!(
        out["bookstore"].name,
        "0002_book_a_rather_long_field_name_and_more"
    );
}

fn shelf(pages_null: bool, managers: Vec<nuages_db::migrations::state::ManagerState>) -> ProjectState {
    let mut pages = FieldState::new("pages", FieldType::IntegerField);
    pages.null = pages_null;
    let mut p = ProjectState::new();
    p.add_model(
        ModelState::new(
            "shelf",
            "Book",
            vec![
                FieldState::new("id", FieldType::BigAutoField).primary_key(),
                pages,
            ],
        )
        .managers(managers),
    );
    p
}

fn shelf_leaf() -> BTreeMap<String, (String, String)> {
    BTreeMap::from([(
        "shelf".to_owned(),
        ("shelf".to_owned(), "0001_initial".to_owned()),
    )])
}

#[test]
fn changed_managers_give_alter_model_managers() {
    use nuages_db::migrations::state::ManagerState;
    let managers = vec![ManagerState::new("objects", "BookManager")];
    let out = changes(
        &shelf(true, vec![]),
        &shelf(true, managers.clone()),
        &shelf_leaf(),
        &mut NonInteractiveQuestioner,
    )
    .unwrap();
    let m = &out["shelf"];
    assert_eq!(m.name, "0002_alter_book_managers");
    let [Operation::AlterModelManagers { name, managers: got }] = m.operations.as_slice() else {
        panic!("{:?}", m.operations)
    };
    assert_eq!((name.as_str(), got), ("book", &managers));
    assert_eq!(m.operations[0].describe(), "Change managers on book");
    // Replayed, nothing is left; the initial migration carries them in CreateModel.
    let replayed = apply(&shelf(true, vec![]), m);
    assert_eq!(replayed, shelf(true, managers.clone()));
    let initial = changes(
        &ProjectState::new(),
        &shelf(true, managers.clone()),
        &BTreeMap::new(),
        &mut NonInteractiveQuestioner,
    )
    .unwrap();
    let Operation::CreateModel(created) = &initial["shelf"].operations[0] else {
        panic!()
    };
    assert_eq!(created.managers, managers);
}

/// Answers the NOT NULL question with a one-off default.
struct OneOff;
impl Questioner for OneOff {
    fn ask_rename_model(&mut self, _: &ModelState, _: &ModelState) -> bool {
        false
    }
    fn ask_rename(&mut self, _: &str, _: &FieldState, _: &FieldState) -> bool {
        false
    }
    fn ask_not_null_addition(&mut self, _: &str, _: &str) -> Option<Value> {
        None
    }
    fn ask_not_null_alteration(&mut self, field: &str, model: &str) -> NotNullAlteration {
        assert_eq!((field, model), ("pages", "book"));
        NotNullAlteration::Default(Value::Int(1))
    }
}

#[test]
fn nullable_to_not_null_asks_for_a_one_off_default() {
    let out = changes(
        &shelf(true, vec![]),
        &shelf(false, vec![]),
        &shelf_leaf(),
        &mut OneOff,
    )
    .unwrap();
    let m = &out["shelf"];
    assert_eq!(m.name, "0002_alter_book_pages");
    let [Operation::AlterField {
        field,
        preserve_default,
        ..
    }] = m.operations.as_slice()
    else {
        panic!("{:?}", m.operations)
    };
    assert_eq!(
        (field.default.clone(), *preserve_default),
        (Some(Value::Int(1)), false)
    );
    // The default was a one-off: the replayed state equals the models.
    assert_eq!(apply(&shelf(true, vec![]), m), shelf(false, vec![]));
    // --no-input: Django's NOT_PROVIDED, the AlterField as the model has it.
    let out = changes(
        &shelf(true, vec![]),
        &shelf(false, vec![]),
        &shelf_leaf(),
        &mut NonInteractiveQuestioner,
    )
    .unwrap();
    let [Operation::AlterField {
        field,
        preserve_default,
        ..
    }] = out["shelf"].operations.as_slice()
    else {
        panic!()
    };
    assert_eq!((field.default.clone(), *preserve_default), (None, true));
    // NOT NULL to nullable asks nothing.
    let back = changes(
        &shelf(false, vec![]),
        &shelf(true, vec![]),
        &shelf_leaf(),
        &mut OneOff,
    )
    .unwrap();
    assert_eq!(back["shelf"].operations.len(), 1);
}

#[test]
fn field_operations_follow_djangos_sorted_field_keys() {
    // Django walks `sorted(old_field_keys - new_field_keys)`, `sorted(new - old)` and
    // `sorted(old & new)`: by field name, not in declaration order.
    let int = |name: &str| FieldState::new(name, FieldType::IntegerField).null();
    let text = |name: &str, n: u32| FieldState::new(name, FieldType::CharField).max_length(n);
    let old = book(vec![text("zeta", 10), text("alpha", 10), int("yy"), int("bb")]);
    let new = book(vec![text("zeta", 20), int("mm"), text("alpha", 20), int("cc")]);
    let out = changes(&old, &new, &leaves("0001_initial"), &mut NonInteractiveQuestioner).unwrap();
    let m = &out["bookstore"];
    let ops: Vec<String> = m.operations.iter().map(|o| o.describe()).collect();
    assert_eq!(
        ops,
        [
            "Remove field bb from book",
            "Remove field yy from book",
            "Add field cc to book",
            "Add field mm to book",
            "Alter field alpha on book",
            "Alter field zeta on book",
        ]
    );

    // Renames: each added field by name is offered the removed ones by name.
    struct Asked(Vec<(String, String)>);
    impl Questioner for Asked {
        fn ask_rename_model(&mut self, _: &ModelState, _: &ModelState) -> bool {
            false
        }
        fn ask_rename(&mut self, _: &str, old: &FieldState, new: &FieldState) -> bool {
            self.0.push((old.name.clone(), new.name.clone()));
            true
        }
        fn ask_not_null_addition(&mut self, _: &str, _: &str) -> Option<Value> {
            None
        }
        fn ask_not_null_alteration(&mut self, _: &str, _: &str) -> NotNullAlteration {
            NotNullAlteration::Ignore
        }
    }
    let old = book(vec![int("b_old"), int("a_old")]);
    let new = book(vec![int("z_new"), int("c_new")]);
    let mut asked = Asked(Vec::new());
    let out = changes(&old, &new, &leaves("0001_initial"), &mut asked).unwrap();
    let pairs = |v: &[(&str, &str)]| {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(asked.0, pairs(&[("a_old", "c_new"), ("b_old", "z_new")]));
    let ops: Vec<String> = out["bookstore"].operations.iter().map(|o| o.describe()).collect();
    assert_eq!(
        ops,
        [
            "Rename field a_old on book to c_new",
            "Rename field b_old on book to z_new",
        ]
    );
}
