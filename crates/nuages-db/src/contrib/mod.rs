//! Django's `django.contrib` parts that the ORM itself has to know about.
//!
//! The contenttypes framework lives here rather than in an app crate because generic
//! relations reach into the query compiler (the `GenericRelation` join), the deletion
//! collector (generic rows go with their target) and `prefetch_related`, all of which are
//! in this crate. [`postgres`] is Django's `django.contrib.postgres` (PostgreSQL-only
//! fields, lookups, aggregates and full-text search).

pub mod contenttypes;
pub mod postgres;
