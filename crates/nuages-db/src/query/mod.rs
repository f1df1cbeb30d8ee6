//! Queries: Django's `Q`/`F`/lookups, the SQL compiler and the lazy `QuerySet`.
//!
//! One query tree, two front ends (DESIGN.md section 4). The dynamic front end takes
//! Django's strings (`filter_str("author__name__icontains", "x")`, `order_by(["-rating"])`)
//! and validates them against [`ModelMeta`](crate::ModelMeta) with Django's messages; the
//! typed front end (`q!`, `typed`) builds the same [`Q`] through [`Q::lookup`].
//! Resolution follows Django's `sql.Query` (joins, promotion, `split_exclude`), and the
//! compiler renders with sea-query per dialect, every value bound.
//!
//! ```
//! use nuages_db::query::{DynQuerySet, Q, F};
//! use nuages_db::{Field, FieldType, ModelMeta, Vendor};
//! static FIELDS: [Field; 3] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field::new("title", FieldType::CharField).max_length(200),
//!     Field::new("pages", FieldType::IntegerField),
//! ];
//! static BOOK: ModelMeta = ModelMeta::new("shop", "Book", "book", "shop_book", &FIELDS);
//! let qs = DynQuerySet::new(&BOOK)
//!     .filter(Q::lookup("title__icontains", "rust") | Q::lookup("pages__gt", F::new("id") * 2))
//!     .order_by(["-pages"]);
//! let sql = qs.sql(Vendor::Postgres).unwrap().unwrap();
//! assert!(sql.sql.contains(r#"UPPER("shop_book"."title"::text) LIKE UPPER($1)"#));
//! assert_eq!(sql.params[0], nuages_db::Value::Text("%rust%".into()));
//! ```

pub mod aggregates;
mod aggregation;
pub(crate) mod annotate;
mod annotated;
mod bulk_update;
mod combinators;
pub(crate) mod compiler;
pub mod conditional;
pub(crate) mod convert;
mod create;
pub mod custom_lookups;
mod dates;
mod explain;
mod expressions;
pub(crate) mod func;
pub mod functions;
pub(crate) mod insert;
mod iterables;
mod json;
pub(crate) mod lookups;
mod model_qs;
pub(crate) mod names;
mod pk_get;
mod prefetch;
mod q;
mod qualify;
#[allow(clippy::module_inception)]
pub(crate) mod query;
mod queryset;
mod related;
mod render;
mod repr;
mod subqueries;
pub(crate) mod through;
pub(crate) mod where_;
pub(crate) mod write;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_agg;
pub mod typed;
pub mod window;

pub use aggregation::AggregateSql;
pub use annotated::Annotated;
pub use combinators::CombinatorKind;
pub use compiler::CompiledSql;
pub(crate) use convert::convert as convert_value;
pub use create::BulkCreateOptions;
pub use explain::explain_prefix;
pub use expressions::{ArithOp, Expression, OrderBy, Rhs, F};
pub use func::{AggregateOpts, Func, Output, OutputField};
pub use insert::OnConflictOptions;
pub use json::json_key_text;
pub(crate) use lookups::py_str as lookups_py_str;
pub use lookups::{LookupName, Transform};
pub use model_qs::{QuerySet, RawQuerySet};
pub use prefetch::Prefetch;
pub use q::{Connector, QChild, Q};
pub use query::Query;
pub use queryset::{DynQuerySet, RowsKind};
pub use related::{ModelObject, ObjectParts};
pub use subqueries::{Exists, OuterRef, OuterRefTarget, Subquery};
pub use window::{RowRange, ValueRange, Window, WindowFrame, WindowFrameExclusion, WindowOrder};
