//! How the models look in templates (Django's `__str__`, `get_absolute_url` and the
//! attributes templates follow): related objects come from what the view loaded with
//! `select_related`/`prefetch_related`, annotations from `annotate()`, so rendering never
//! runs a query.

use nuages_http::db::{ModelObject, TemplateModel};
use nuages_template::Value;

use crate::models::{Author, AuthorProfile, Book, BookGenre, Genre, Loan, Publisher, Review, Stock, Store};

/// A prefetched list as a template value (`{% for g in book.genres %}`).
fn list<T: TemplateModel + Clone>(items: Option<&[T]>) -> Option<Value> {
    items.map(|items| ModelObject::list(items.to_vec()))
}

/// A loaded related object as a template value; `None` (nothing) when it was not loaded.
fn one<T: TemplateModel + Clone>(object: Option<&T>) -> Option<Value> {
    object.map(|o| ModelObject::value(o.clone()))
}

impl TemplateModel for Book {
    fn str(&self) -> String {
        self.title.clone()
    }

    fn get_absolute_url(&self) -> Option<String> {
        Some(format!("/books/{}/", self.id))
    }

    fn template_attr(&self, name: &str) -> Option<Value> {
        match name {
            "author" => one(self.author.loaded()),
            // A book without a publisher is `None`, as Django's attribute is.
            "publisher" => match &self.publisher {
                None => Some(Value::None),
                Some(fk) => one(fk.loaded()),
            },
            "genres" => list(self._state.prefetched::<Genre>("genres")),
            "reviews" => list(self._state.prefetched::<Review>("reviews")),
            _ => None,
        }
    }
}

impl TemplateModel for Author {
    fn str(&self) -> String {
        self.name.clone()
    }

    fn get_absolute_url(&self) -> Option<String> {
        Some(format!("/authors/{}/", self.id))
    }

    fn template_attr(&self, name: &str) -> Option<Value> {
        match name {
            // `select_related("profile")` found no row: Django raises
            // `RelatedObjectDoesNotExist`, which templates render as nothing.
            "profile" => match self._state.related::<AuthorProfile>("profile")? {
                Some(p) => one(Some(p)),
                None => Some(Value::None),
            },
            "books" => list(self._state.prefetched::<Book>("books")),
            _ => None,
        }
    }
}

impl TemplateModel for Genre {
    fn str(&self) -> String {
        self.name.clone()
    }

    fn get_absolute_url(&self) -> Option<String> {
        Some(format!("/genres/{}/", self.slug))
    }
}

impl TemplateModel for Publisher {
    fn str(&self) -> String {
        self.name.clone()
    }
}

impl TemplateModel for AuthorProfile {}

impl TemplateModel for Review {
    fn str(&self) -> String {
        format!("{} ({}/5)", self.reviewer_name, self.rating)
    }
}

impl TemplateModel for BookGenre {}

impl TemplateModel for Store {
    fn str(&self) -> String {
        self.name.clone()
    }
}

impl TemplateModel for Stock {
    fn template_attr(&self, name: &str) -> Option<Value> {
        match name {
            "available" => Some(Value::from(self.available())),
            _ => None,
        }
    }
}

impl TemplateModel for Loan {
    fn str(&self) -> String {
        format!("{} ({})", self.borrower, self.borrowed_at.format("%Y-%m-%d"))
    }
}
