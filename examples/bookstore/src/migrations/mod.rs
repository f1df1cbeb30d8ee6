//! This app's migrations, in order. Maintained by `makemigrations`.

pub mod m0001_initial;
pub mod m0002_loan_stock;

/// Every migration of the app.
pub fn migrations() -> Vec<nuages_db::migrations::graph::Migration> {
    vec![m0001_initial::migration(), m0002_loan_stock::migration()]
}
