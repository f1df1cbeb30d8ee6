//! Self-referential many-to-many relations (symmetrical by default, as Django's
//! `ManyToManyField("self")`) and related managers forgetting prefetched lists when they
//! write (Django's `_remove_prefetched_objects`), on every test database.

use nuages_db::capture::assert_num_queries;
use nuages_db::models::instance::{ModelInstance, SaveOptions};
use nuages_db::models::manager::Manager;
use nuages_db::models::model::ForeignKey;
use nuages_db::models::relations::ManyToMany;
use nuages_db::models::state::ModelState;
use nuages_db::{schema, testing, Model};
use nuages_macros::Model;

#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "sym")]
pub struct Person {
    pub id: i64,
    #[field(max_length = 20)]
    pub name: String,
    pub friends: ManyToMany<Person>,
    #[field(symmetrical = false, related_name = "followers")]
    pub following: ManyToMany<Person>,
    pub _state: ModelState,
}

#[derive(Debug, Clone, Default, Model)]
#[model(app_label = "sym")]
pub struct Note {
    pub id: i64,
    #[field(on_delete = Cascade, related_name = "notes")]
    pub person: ForeignKey<Person>,
    #[field(max_length = 20)]
    pub text: String,
}

async fn person(alias: &str, name: &str) -> Person {
    let mut p = Person {
        name: name.into(),
        ..Person::default()
    };
    p.save_with(SaveOptions {
        using: Some(alias.into()),
        ..SaveOptions::default()
    })
    .await
    .unwrap();
    p
}

async fn names(qs: nuages_db::query::QuerySet<Person>) -> Vec<String> {
    qs.order_by(["name"])
        .fetch()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect()
}

#[tokio::test]
async fn self_many_to_many_is_symmetrical_unless_told_otherwise() {
    assert!(
        Person::meta()
            .field("friends")
            .unwrap()
            .relation
            .unwrap()
            .symmetrical
    );
    assert_eq!(
        Person::meta()
            .field("friends")
            .unwrap()
            .relation
            .unwrap()
            .related_name,
        Some("friends_rel_+")
    );
    assert!(
        !Person::meta()
            .field("following")
            .unwrap()
            .relation
            .unwrap()
            .symmetrical
    );
    for db in testing::databases().await.unwrap() {
        let a = db.alias.as_str();
        schema::create_models(a, &[Person::meta(), Note::meta()])
            .await
            .unwrap();
        let ann = person(a, "ann").await;
        let bob = person(a, "bob").await;
        let cat = person(a, "cat").await;
        ann.friends().unwrap().add([&bob, &cat]).await.unwrap();
        assert_eq!(names(bob.friends().unwrap().all()).await, ["ann"]);
        assert_eq!(names(ann.friends().unwrap().all()).await, ["bob", "cat"]);
        // Adding the mirror again changes nothing.
        bob.friends().unwrap().add([&ann]).await.unwrap();
        assert_eq!(ann.friends().unwrap().count().await.unwrap(), 2);
        // Removing from either side removes both rows, in one DELETE.
        assert_num_queries(1, cat.friends().unwrap().remove([&ann]))
            .await
            .unwrap();
        assert_eq!(names(ann.friends().unwrap().all()).await, ["bob"]);
        assert_eq!(cat.friends().unwrap().count().await.unwrap(), 0);
        bob.friends().unwrap().clear().await.unwrap();
        assert_eq!(ann.friends().unwrap().count().await.unwrap(), 0);

        // symmetrical = false: one direction only, with its reverse accessor.
        ann.following().unwrap().add([&bob]).await.unwrap();
        assert_eq!(bob.following().unwrap().count().await.unwrap(), 0);
        assert_eq!(names(bob.followers().unwrap().all()).await, ["ann"]);
    }
}

#[tokio::test]
async fn writes_through_a_manager_forget_the_prefetched_list() {
    for db in testing::databases().await.unwrap() {
        let a = db.alias.as_str();
        schema::create_models(a, &[Person::meta(), Note::meta()])
            .await
            .unwrap();
        let ann = person(a, "ann").await;
        let bob = person(a, "bob").await;
        ann.friends().unwrap().add([&bob]).await.unwrap();
        let loaded = Person::objects()
            .using(a)
            .filter_str("name", "ann")
            .prefetch_related(["friends", "notes"])
            .fetch()
            .await
            .unwrap()
            .remove(0);
        assert_eq!(loaded.friends().unwrap().all_cached().unwrap().len(), 1);
        assert_eq!(loaded.notes().unwrap().all_cached().unwrap().len(), 0);
        loaded.friends().unwrap().remove([&bob]).await.unwrap();
        assert!(loaded.friends().unwrap().all_cached().is_none());
        loaded
            .notes()
            .unwrap()
            .create(Note {
                text: "hi".into(),
                ..Note::default()
            })
            .await
            .unwrap();
        assert!(loaded.notes().unwrap().all_cached().is_none());
        assert_eq!(loaded.notes().unwrap().count().await.unwrap(), 1);
        // A clone keeps the staleness; a new prefetch fills the list again.
        assert!(!loaded.clone()._state.is_prefetched("notes"));
    }
}
