//! The app's signal receivers (Django's `signals.py`, connected from `AppConfig.ready()`).
//!
//! Two kinds. The denormalised counter of the seeds: `Stock.on_loan` is the number of
//! `Loan` rows of the book, kept by a `post_save` receiver on `Loan` (a new loan adds
//! one) and a `post_delete` one (a returned loan, deleted, takes one away), each an
//! `UPDATE ... SET on_loan = on_loan +/- 1` on the saving connection, so inside the
//! borrow view's transaction it is part of that transaction.
//!
//! And, since the spec fixes the nine catalogue models' columns, an audit trail of
//! catalogue changes instead of a counter column on them: every review written or removed and
//! every book removed, whether by `save()`, `obj.delete()` or a cascade of the deletion
//! collector (deleting an author removes their books and those books' reviews, and each
//! removal is recorded). Entries are logged (target `bookstore.activity`) and the most
//! recent ones are kept in memory for [`recent_activity`]. `QuerySet::update()` and
//! `bulk_create()` (the demo loader) send no signals, as in Django, so they record nothing.

use std::collections::VecDeque;
use std::sync::Mutex;

use nuages_core::dispatch::Receiver;
use nuages_db::models::signals::{model_sender, post_delete, post_save};
use nuages_db::{Model, Value};

use crate::models::{Book, Loan, Review, Stock};
use nuages_db::models::manager::Manager;
use nuages_db::query::F;

/// How many entries [`recent_activity`] keeps.
pub const KEEP: usize = 100;

/// One recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// `"created"`, `"updated"` or `"deleted"`.
    pub action: &'static str,
    /// The model's label (`"bookstore.Review"`).
    pub model: String,
    pub pk: Value,
    /// The book the change concerns (the review's book, or the book itself).
    pub book: Value,
}

static ACTIVITY: Mutex<VecDeque<Activity>> = Mutex::new(VecDeque::new());

fn record(entry: Activity) {
    tracing::info!(
        target: "bookstore.activity",
        action = entry.action,
        model = %entry.model,
        pk = ?entry.pk,
        book = ?entry.book,
        "{} {} {:?}", entry.model, entry.action, entry.pk
    );
    let mut log = ACTIVITY.lock().unwrap_or_else(|e| e.into_inner());
    if log.len() == KEEP {
        log.pop_front();
    }
    log.push_back(entry);
}

/// The most recent changes, oldest first.
pub fn recent_activity() -> Vec<Activity> {
    ACTIVITY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .cloned()
        .collect()
}

/// Adds `delta` to the `on_loan` counter of the stock of `book` on database `using`.
async fn count_loan(using: String, book: Value, delta: i64) -> Result<(), nuages_core::dispatch::BoxError> {
    Stock::objects()
        .using(&using)
        .filter_str("book", book)
        .update([("on_loan", F::new("on_loan") + delta)])
        .await?;
    Ok(())
}

/// Connects the receivers. Idempotent (each has a `dispatch_uid`), like Django's
/// `ready()`, which may run more than once.
pub fn connect() {
    post_save().connect_receiver(
        Receiver::new_async(
            |e: std::sync::Arc<nuages_core::dispatch::Event<nuages_db::models::signals::PostSave>>| async move {
                if !e.created || e.raw {
                    return Ok(());
                }
                let book = e.instance.get("book").cloned().unwrap_or_default();
                count_loan(e.using.clone(), book, 1).await
            },
        )
        .sender(model_sender(Loan::meta()))
        .dispatch_uid("bookstore.loan_saved"),
    );
    post_delete().connect_receiver(
        Receiver::new_async(
            |e: std::sync::Arc<nuages_core::dispatch::Event<nuages_db::models::signals::Delete>>| async move {
                let book = e.instance.get("book").cloned().unwrap_or_default();
                count_loan(e.using.clone(), book, -1).await
            },
        )
        .sender(model_sender(Loan::meta()))
        .dispatch_uid("bookstore.loan_deleted"),
    );
    post_save().connect_receiver(
        Receiver::new(
            |e: &nuages_core::dispatch::Event<nuages_db::models::signals::PostSave>| {
                record(Activity {
                    action: if e.created { "created" } else { "updated" },
                    model: e.model.label(),
                    pk: e.instance.pk().clone(),
                    book: e.instance.get("book").cloned().unwrap_or_default(),
                });
                Ok(())
            },
        )
        .sender(model_sender(Review::meta()))
        .dispatch_uid("bookstore.review_saved"),
    );
    for (meta, uid, book_field) in [
        (Review::meta(), "bookstore.review_deleted", "book"),
        (Book::meta(), "bookstore.book_deleted", "pk"),
    ] {
        post_delete().connect_receiver(
            Receiver::new(
                move |e: &nuages_core::dispatch::Event<nuages_db::models::signals::Delete>| {
                    record(Activity {
                        action: "deleted",
                        model: e.model.label(),
                        pk: e.instance.pk().clone(),
                        book: e.instance.get(book_field).cloned().unwrap_or_default(),
                    });
                    Ok(())
                },
            )
            .sender(model_sender(meta))
            .dispatch_uid(uid),
        );
    }
}
