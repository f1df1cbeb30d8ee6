//! The schema editor: DDL for models, as Django's `connection.schema_editor()` writes it.
//!
//! Generation is pure ([`SchemaEditor`] collects statements) so that `sqlmigrate`, the
//! migration executor and snapshot tests share one code path; [`create_models`] and
//! [`drop_models`] run the result on a connection alias. Column types, constraint and
//! index names follow Django 5.2 exactly (see [`dialect`] and [`names`]), so databases
//! created by Django and by nuages are interchangeable.

mod alter;
pub mod check;
mod comments;
mod constraints;
pub mod dialect;
mod editor;
pub mod introspection;
pub mod names;

pub use editor::{ConstraintInfo, ConstraintKind, SchemaEditor};

pub use crate::backends::Vendor;

use crate::error::Result;
use crate::migrations::state::{ModelState, ProjectState};
use crate::models::meta::ModelMeta;

/// Orders models so that every model comes after the models its foreign keys point at
/// (when there is no cycle), keeping the given order otherwise.
pub fn dependency_order(models: &[ModelState]) -> Vec<ModelState> {
    let mut done: Vec<String> = Vec::new();
    let mut out = Vec::new();
    fn visit(
        models: &[ModelState],
        m: &ModelState,
        done: &mut Vec<String>,
        visiting: &mut Vec<String>,
        out: &mut Vec<ModelState>,
    ) {
        let label = m.label_lower();
        if done.contains(&label) || visiting.contains(&label) {
            return;
        }
        visiting.push(label.clone());
        for f in &m.fields {
            let targets = f
                .relation
                .iter()
                .flat_map(|r| std::iter::once(&r.to).chain(r.through.iter()));
            for t in targets {
                if let Some(dep) = models.iter().find(|x| x.label_lower() == *t) {
                    visit(models, dep, done, visiting, out);
                }
            }
        }
        visiting.pop();
        done.push(label);
        out.push(m.clone());
    }
    let mut visiting = Vec::new();
    for m in models {
        visit(models, m, &mut done, &mut visiting, &mut out);
    }
    out
}

/// The statements creating `models` (tables in dependency order, auto-created
/// many-to-many tables included, deferred foreign keys and indexes last), as Django's
/// `sqlmigrate` prints them for an initial migration (without the `;`).
///
/// Related models not in `models` are only referenced, never created.
pub fn create_models_sql(vendor: Vendor, models: &[&'static ModelMeta]) -> Result<Vec<String>> {
    let project = ProjectState::from_metas(models);
    let wanted: Vec<ModelState> = models.iter().map(|m| ModelState::from_meta(m)).collect();
    let mut editor = SchemaEditor::new(vendor);
    for model in dependency_order(&wanted).iter().filter(|m| m.has_table()) {
        editor.create_model(&project, model)?;
    }
    Ok(editor.finish())
}

/// The statements dropping `models` (and their auto-created many-to-many tables),
/// referencing tables first.
pub fn drop_models_sql(vendor: Vendor, models: &[&'static ModelMeta]) -> Result<Vec<String>> {
    let project = ProjectState::from_metas(models);
    let wanted: Vec<ModelState> = models.iter().map(|m| ModelState::from_meta(m)).collect();
    let mut editor = SchemaEditor::new(vendor);
    for model in dependency_order(&wanted).iter().rev().filter(|m| m.has_table()) {
        editor.delete_model(&project, model)?;
    }
    Ok(editor.finish())
}

/// Runs DDL statements on `alias`, in one transaction where the backend can roll DDL
/// back (SQLite, PostgreSQL), one by one otherwise (MySQL commits each DDL statement).
pub async fn execute_statements(alias: &str, statements: &[String]) -> Result<()> {
    let vendor = crate::connection::vendor(alias)?;
    if dialect::can_rollback_ddl(vendor) {
        crate::transaction::atomic_using(alias, || async {
            for sql in statements {
                crate::connection::execute(alias, sql, &[]).await?;
            }
            Ok::<(), crate::DbError>(())
        })
        .await
    } else {
        for sql in statements {
            crate::connection::execute(alias, sql, &[]).await?;
        }
        Ok(())
    }
}

/// Creates the tables of `models` on `alias` (dependency order, auto-created
/// many-to-many tables included, foreign keys and indexes after the tables), in one
/// transaction on SQLite and PostgreSQL.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use nuages_db::models::meta::{Field, FieldType, ModelMeta};
/// use nuages_db::{connection, schema, testing};
/// static FIELDS: [Field; 2] = [
///     Field::new("id", FieldType::BigAutoField).primary_key(),
///     Field::new("name", FieldType::CharField).max_length(100),
/// ];
/// static GENRE: ModelMeta = ModelMeta::new("bookstore", "Genre", "genre", "bookstore_genre", &FIELDS);
/// for db in testing::databases().await.unwrap() {
///     schema::create_models(&db.alias, &[&GENRE]).await.unwrap();
///     connection::execute(&db.alias, "INSERT INTO bookstore_genre (name) VALUES ('Poetry')", &[]).await.unwrap();
///     schema::drop_models(&db.alias, &[&GENRE]).await.unwrap();
/// }
/// # });
/// ```
pub async fn create_models(alias: &str, models: &[&'static ModelMeta]) -> Result<()> {
    let vendor = crate::connection::vendor(alias)?;
    let statements = create_models_sql(vendor, models)?;
    execute_statements(alias, &statements).await
}

/// Drops the tables of `models` (and their auto-created many-to-many tables) on `alias`.
pub async fn drop_models(alias: &str, models: &[&'static ModelMeta]) -> Result<()> {
    let vendor = crate::connection::vendor(alias)?;
    let statements = drop_models_sql(vendor, models)?;
    execute_statements(alias, &statements).await
}
