//! Django's `django.contrib.contenttypes.management`: the `post_migrate` handler that
//! creates a content type for every model of an app.
//!
//! As in Django, rows are only added: a content type whose model was removed stays
//! (a "stale" content type; Django removes those with `remove_stale_contenttypes`),
//! because generic foreign keys may still point at it.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use nuages_db::contrib::contenttypes::management::create_contenttypes;
//! use nuages_db::contrib::contenttypes::ContentType;
//! use nuages_db::{schema, testing, Model};
//! let db = testing::databases().await.unwrap().remove(0);
//! schema::create_models(&db.alias, &[ContentType::meta()]).await.unwrap();
//! let added = create_contenttypes(&db.alias, "contenttypes", &[ContentType::meta()]).await.unwrap();
//! assert_eq!(added.len(), 1);
//! // A second run finds the row and adds nothing.
//! assert!(create_contenttypes(&db.alias, "contenttypes", &[ContentType::meta()]).await.unwrap().is_empty());
//! # });
//! ```

use crate::contrib::contenttypes::models::{clear_cache_for, ContentType};
use crate::error::Result;
use crate::models::meta::ModelMeta;
use crate::query::{BulkCreateOptions, QuerySet, Q};
use crate::value::Value;

/// `create_contenttypes(app_config, using=...)`: adds the missing content types of the
/// app `app_label`'s `models` on `using` with one `bulk_create`, and returns the rows it
/// added (Django prints "Adding content type 'app | model'" for each at verbosity 2).
pub async fn create_contenttypes(
    using: &str,
    app_label: &str,
    models: &[&'static ModelMeta],
) -> Result<Vec<ContentType>> {
    if models.is_empty() {
        return Ok(Vec::new());
    }
    // Django clears the whole cache here; only this database's entries can be stale.
    clear_cache_for(using);
    let existing: Vec<Value> = QuerySet::<ContentType>::new()
        .using(using)
        .filter(Q::lookup("app_label", app_label))
        .values_list(["model"], true, false)
        .fetch_flat()
        .await?;
    let mut new = Vec::new();
    for meta in models {
        let name = Value::Text(meta.model_name.to_owned());
        if existing.contains(&name) || new.iter().any(|c: &ContentType| c.model == meta.model_name) {
            continue;
        }
        new.push(ContentType {
            id: 0,
            app_label: app_label.to_owned(),
            model: meta.model_name.to_owned(),
        });
    }
    if new.is_empty() {
        return Ok(new);
    }
    QuerySet::<ContentType>::new()
        .using(using)
        .bulk_create(new, BulkCreateOptions::default())
        .await
}
