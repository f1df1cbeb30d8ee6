//! `makemigrations --check` for the bookstore: the committed migrations (written by
//! `cargo run -p bookstore -- makemigrations bookstore`) describe the models exactly.

use nuages_cli::{call_command_with_settings, Apps};
use nuages_core::Settings;

#[tokio::test]
async fn migrations_describe_the_models() {
    let apps = Apps::new([bookstore::app_config()]).unwrap();
    let settings = Settings::from_toml_str("[databases.default]\nurl = \"sqlite::memory:\"").unwrap();
    let out = call_command_with_settings(
        &apps,
        settings,
        "makemigrations",
        &["bookstore", "--check", "--dry-run"],
    )
    .await
    .unwrap();
    assert_eq!(out.stdout, "No changes detected in app 'bookstore'\n");
    let graph = apps.migration_graph().unwrap();
    assert_eq!(
        graph.leaf_nodes(Some("bookstore")),
        [("bookstore".to_owned(), "0002_loan_stock".to_owned())]
    );
}
