//! Django's `django.contrib` packages that belong to the ORM.
//!
//! Only [`postgres`] so far: Django's `django.contrib.postgres` (PostgreSQL-only fields,
//! lookups, aggregates and full-text search).

pub mod postgres;
