//! Django's checks on database comments: `fields.W163` and `models.W046` (a comment on a
//! database that cannot store it, for each database `check --database` names) and
//! `fields.W346` (`db_comment` on a many-to-many field, which has no column).

use nuages_db::backends::Vendor;
use nuages_db::models::meta::{Field, FieldType, ModelMeta};

use crate::checks::{CheckContext, CheckMessage};

/// Django's `connection.display_name`.
fn display_name(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Sqlite => "SQLite",
        Vendor::Postgres => "PostgreSQL",
        Vendor::MySql => "MySQL",
    }
}

/// The checked databases that migrate `model` (Django's `router.allow_migrate_model`:
/// managed, not a proxy) and have no comments.
fn without_comments<'a>(ctx: &'a CheckContext<'_>, model: &ModelMeta) -> impl Iterator<Item = Vendor> + 'a {
    let migrates = model.managed && !model.is_proxy();
    ctx.databases
        .iter()
        .filter(move |_| migrates)
        .filter_map(|alias| ctx.settings.databases.get(alias))
        .filter_map(|db| Vendor::from_url(&db.url).ok())
        .filter(|v| !v.features().supports_comments)
}

/// `Field._check_db_comment` (`fields.W163`) and `ManyToManyField`'s `fields.W346`.
pub fn check_db_comment(
    ctx: &CheckContext<'_>,
    model: &ModelMeta,
    field: &Field,
    obj: &str,
) -> Vec<CheckMessage> {
    if field.db_comment.is_none() {
        return Vec::new();
    }
    if field.field_type == FieldType::ManyToManyField {
        return vec![
            CheckMessage::warning("db_comment has no effect on ManyToManyField.", "fields.W346")
                .with_obj(obj),
        ];
    }
    without_comments(ctx, model)
        .map(|v| {
            CheckMessage::warning(
                format!(
                    "{} does not support comments on columns (db_comment).",
                    display_name(v)
                ),
                "fields.W163",
            )
            .with_obj(obj)
        })
        .collect()
}

/// `Model._check_db_table_comment` (`models.W046`).
pub fn check_db_table_comment(ctx: &CheckContext<'_>, model: &ModelMeta) -> Vec<CheckMessage> {
    if model.db_table_comment.is_none() {
        return Vec::new();
    }
    without_comments(ctx, model)
        .map(|v| {
            CheckMessage::warning(
                format!(
                    "{} does not support comments on tables (db_table_comment).",
                    display_name(v)
                ),
                "models.W046",
            )
            .with_obj(model.label())
        })
        .collect()
}
