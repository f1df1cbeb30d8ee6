//! HTTP for nuages: Django's request/response cycle (`django.http`), URL routing
//! (`django.urls`), signing (`django.core.signing`), middleware, views, the test client
//! and the server.
//!
//! Depends on `nuages-core` (settings) and `nuages-template` (template responses).

#![warn(missing_docs)]

pub mod cache;
pub mod client;
pub mod conf;
pub mod context_processors;
pub mod cookies;
#[cfg(feature = "db")]
pub mod db;
pub mod debug;
pub mod error;
pub mod fileresponse;
pub mod files;
pub mod handler;
mod header_timeout;
pub mod middleware;
pub mod multipart;
pub mod paginator;
mod pyjson;
pub mod querydict;
pub mod request;
pub mod response;
pub mod router;
pub mod server;
pub mod shortcuts;
mod shutdown;
pub mod signals;
pub mod signing;
pub mod staticfiles;
mod striped;
mod target;
pub mod template;
pub mod urls;
pub mod views;

pub use client::{Client, RequestFactory, TestResponse};
pub use conf::{Conf, HttpSettings};
pub use error::{HttpError, Result};
pub use handler::{
    csrf_exempt, non_atomic_requests, non_atomic_requests_using, xframe_options_exempt, AsyncView, IntoView,
    SyncView, ViewCall, ViewFunc, ViewResult,
};
pub use middleware::Middleware;
pub use multipart::{Files, UploadedFile};
pub use querydict::QueryDict;
pub use request::HttpRequest;
pub use response::{Body, HttpResponse, JsonResponse};
pub use router::Router;
pub use server::serve;
pub use template::TemplateResponse;
pub use urls::{include, path, re_path, reverse, reverse_lazy, ResolverMatch, UrlResolver};

/// The examples of `docs/http.md`, compiled as doc tests (they use the `db` feature).
#[cfg(all(doctest, feature = "db"))]
#[doc = include_str!("../../../docs/http.md")]
pub struct HttpDocs;
