//! `dumpdata` serializes what the model's default manager shows (Django's
//! `_default_manager`, the first declared manager), and every row with `--all` (Django's
//! `_base_manager`), on SQLite, PostgreSQL and MySQL.

mod support;

use nuages_cli::{App, Apps};
use nuages_db::models::manager::{Manager, ManagerClass};
use nuages_db::query::{QuerySet, Q};
use nuages_db::Model;
use nuages_macros::Model;

/// Django's `PublishedManager`: only the published notes.
pub struct PublishedManager;
impl ManagerClass<Note> for PublishedManager {
    fn get_queryset() -> QuerySet<Note> {
        QuerySet::new().filter(Q::lookup("published", true))
    }
}

/// A note whose default manager hides the drafts.
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "dm", managers = [manager(name = "published", class = PublishedManager)])]
pub struct Note {
    pub id: i64,
    #[field(max_length = 40)]
    pub title: String,
    pub published: bool,
}

/// A model without declared managers: its implicit `objects` shows every row.
#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "dm")]
pub struct Tag {
    pub id: i64,
    #[field(max_length = 40)]
    pub name: String,
}

fn apps() -> Apps {
    Apps::new([App::new("dm").model(Note::meta()).model(Tag::meta())]).unwrap()
}

async fn run(argv: &[&str]) -> (i32, String, String) {
    support::manage(apps(), support::sqlite_settings(&[]), argv).await
}

const PUBLISHED: &str = r#"{"model": "dm.note", "pk": 1, "fields": {"title": "out", "published": true}}"#;
const DRAFT: &str = r#"{"model": "dm.note", "pk": 2, "fields": {"title": "draft", "published": false}}"#;
const TAG: &str = r#"{"model": "dm.tag", "pk": 1, "fields": {"name": "misc"}}"#;

#[tokio::test]
async fn dumpdata_uses_the_default_manager_unless_all() {
    for db in nuages_db::testing::databases().await.unwrap() {
        let (a, v) = (db.alias.as_str(), db.vendor.name());
        nuages_db::schema::create_models(a, &[Note::meta(), Tag::meta()])
            .await
            .unwrap();
        for (id, title, published) in [(1, "out", true), (2, "draft", false)] {
            Note::objects()
                .using(a)
                .create(Note {
                    id,
                    title: title.to_owned(),
                    published,
                })
                .await
                .unwrap();
        }
        Tag::objects()
            .using(a)
            .create(Tag {
                id: 1,
                name: "misc".to_owned(),
            })
            .await
            .unwrap();

        let (code, out, err) = run(&["dumpdata", "dm", "--database", a]).await;
        assert_eq!((code, err.as_str()), (0, ""), "{v}");
        assert_eq!(out.trim_end(), format!("[{PUBLISHED}, {TAG}]"), "{v}");

        for all in ["--all", "-a"] {
            let (code, out, _) = run(&["dumpdata", "dm", all, "--database", a]).await;
            assert_eq!(code, 0, "{v}");
            assert_eq!(
                out.trim_end(),
                format!("[{PUBLISHED}, {DRAFT}, {TAG}]"),
                "{v} {all}"
            );
        }

        // `--pks` narrows the default manager's rows: a draft's key finds nothing.
        let (_, out, _) = run(&["dumpdata", "dm.note", "--pks", "1,2", "--database", a]).await;
        assert_eq!(out.trim_end(), format!("[{PUBLISHED}]"), "{v}");
        let (_, out, _) = run(&["dumpdata", "dm.note", "--pks", "2", "--all", "--database", a]).await;
        assert_eq!(out.trim_end(), format!("[{DRAFT}]"), "{v}");

        // The progress total (with `-o`) counts the same rows.
        let file = std::env::temp_dir().join(format!("nuages_dm_{}_{v}.json", std::process::id()));
        let path = file.to_str().unwrap();
        let (code, _, _) = run(&["dumpdata", "dm", "-o", path, "--database", a]).await;
        assert_eq!(code, 0, "{v}");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            format!("[{PUBLISHED}, {TAG}]")
        );
        std::fs::remove_file(&file).unwrap();
    }
}
