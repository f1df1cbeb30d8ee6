//! Apps of `django.contrib` that a project installs by listing them (Django's
//! `INSTALLED_APPS` entries).
//!
//! ```
//! let app = nuages_cli::contrib::contenttypes();
//! assert_eq!((app.label.as_str(), app.name.as_str()), ("contenttypes", "django.contrib.contenttypes"));
//! assert_eq!(app.migrations.len(), 2);
//! ```

use nuages_db::contrib::contenttypes::{migrations, ContentType};
use nuages_db::Model;

use crate::apps::App;

/// `django.contrib.contenttypes`: the `ContentType` model and its migrations. When it is
/// installed, `migrate` creates the content types of every installed app's models
/// afterwards (Django's `post_migrate` handler `create_contenttypes`).
pub fn contenttypes() -> App {
    App::new("django.contrib.contenttypes")
        .with_verbose_name("Content Types")
        .with_db_crate("nuages_db")
        .model(ContentType::meta())
        .with_migrations(migrations::migrations())
}
