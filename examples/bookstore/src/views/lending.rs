//! The seeds' "borrow a book" example over HTTP: a CSRF-protected form on the book page
//! posts here; the view locks the book's stock row (`select_for_update`) inside
//! `atomic`, refuses when no copy is left, and otherwise records a `Loan`, whose
//! `post_save` receiver raises the stock's `on_loan` counter in the same transaction.
//! Two readers borrowing the last copy at once are serialised by the row lock: the
//! second sees the first one's loan and is refused.

use std::sync::Arc;

use http::StatusCode;
use nuages_db::models::instance::{ModelInstance, SaveOptions};
use nuages_db::models::manager::Manager;
use nuages_db::models::model::ForeignKey;
use nuages_db::transaction;
use nuages_http::{HttpError, HttpRequest, HttpResponse, TemplateResponse, ViewResult};
use nuages_template::Value;

use super::books::BookDetail;
use super::db_error;
use crate::models::{Loan, Stock};
use crate::project::Site;

/// `Loan.borrower`'s `max_length`.
const BORROWER_MAX_LENGTH: usize = 100;

/// What the transaction decided.
enum Outcome {
    Lent,
    NotLent,
    NoCopyLeft,
}

/// The form's `borrower` field, cleaned as Django's `CharField` form field does
/// (stripped, required, `max_length`, no NUL), or the field's error message.
fn clean_borrower(request: &HttpRequest) -> Result<String, String> {
    let value = request.POST().get("borrower").map(str::trim).unwrap_or("");
    if value.is_empty() {
        return Err("This field is required.".to_owned());
    }
    if value.contains('\0') {
        return Err("Null characters are not allowed.".to_owned());
    }
    let length = value.chars().count();
    if length > BORROWER_MAX_LENGTH {
        return Err(format!(
            "Ensure this value has at most {BORROWER_MAX_LENGTH} characters (it has {length})."
        ));
    }
    Ok(value.to_owned())
}

/// `POST /books/<pk>/borrow/` (`require_POST`; CSRF-checked by `CsrfViewMiddleware`):
/// lends a copy to the reader named in the form and redirects to the book page (302,
/// post/redirect/get). A missing or invalid name re-renders the page with the error
/// (400); a book without stock, or with every copy lent, re-renders it with the refusal
/// (409 Conflict) and changes nothing. An unknown book is a 404.
pub async fn borrow(site: Arc<Site>, request: HttpRequest) -> ViewResult {
    let pk: i64 = request.kwarg_as("pk")?;
    let page = BookDetail::new(&site);
    let borrower = match clean_borrower(&request) {
        Ok(name) => name,
        Err(message) => return rerender(&page, &request, StatusCode::BAD_REQUEST, &message).await,
    };
    let alias = site.alias.clone();
    let outcome = transaction::atomic_using(&site.alias, || async move {
        // `Stock.objects.select_for_update().filter(book=pk).first()`: the row stays
        // locked until the transaction ends.
        let stock = Stock::objects()
            .using(&alias)
            .select_for_update(false, false, &[], false)
            .filter_str("book", pk)
            .first()
            .await?;
        let Some(stock) = stock else {
            return Ok(Outcome::NotLent);
        };
        if stock.available() < 1 {
            return Ok(Outcome::NoCopyLeft);
        }
        let mut loan = Loan {
            book: ForeignKey::new(pk),
            borrower,
            ..Default::default()
        };
        loan.save_with(SaveOptions {
            using: Some(alias.clone()),
            ..Default::default()
        })
        .await?;
        Ok::<_, nuages_db::DbError>(Outcome::Lent)
    })
    .await
    .map_err(db_error)?;
    match outcome {
        Outcome::Lent => Ok(HttpResponse::redirect(&format!("/books/{pk}/"))?),
        Outcome::NotLent => {
            rerender(
                &page,
                &request,
                StatusCode::CONFLICT,
                "This book is not lent out.",
            )
            .await
        }
        Outcome::NoCopyLeft => {
            rerender(
                &page,
                &request,
                StatusCode::CONFLICT,
                "Sorry, every copy of this book is out on loan.",
            )
            .await
        }
    }
}

/// The book page again, with `message` as the borrow form's error.
async fn rerender(page: &BookDetail, request: &HttpRequest, status: StatusCode, message: &str) -> ViewResult {
    use nuages_http::views::generic::TemplateResponseMixin;
    let ctx = page
        .context(
            request,
            vec![
                ("borrow_error", Value::from(message)),
                (
                    "borrower",
                    Value::from(request.POST().get("borrower").unwrap_or("")),
                ),
            ],
        )
        .await
        .map_err(|e| match e {
            HttpError::Http404(m) => HttpError::Http404(m),
            other => other,
        })?;
    Ok(TemplateResponse::new(request, page.engine(), &["bookstore/book_detail.html"], ctx).status(status))
}
