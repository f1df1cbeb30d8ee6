//! `dates()` and `datetimes()`: the distinct dates (or datetimes) of a field, truncated to
//! a unit, as Django builds them: an annotation of `Trunc(field, kind)`, `values_list`
//! of it, `distinct()`, NULLs left out, ordered by the truncated value.
//!
//! ```
//! use nuages_db::query::DynQuerySet;
//! use nuages_db::{Field, FieldType, ModelMeta, Vendor};
//! static FIELDS: [Field; 2] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field::new("published", FieldType::DateField),
//! ];
//! static BOOK: ModelMeta = ModelMeta::new("shop", "Book", "book", "shop_book", &FIELDS);
//! let sql = DynQuerySet::new(&BOOK).dates("published", "year", "DESC").sql(Vendor::Postgres).unwrap().unwrap().sql;
//! assert_eq!(
//!     sql,
//!     r#"SELECT DISTINCT DATE_TRUNC('year', "shop_book"."published") AS "datefield" FROM "shop_book" WHERE "shop_book"."published" IS NOT NULL ORDER BY "datefield" DESC"#
//! );
//! let err = DynQuerySet::new(&BOOK).dates("published", "hour", "ASC").sql(Vendor::Sqlite).unwrap_err();
//! assert_eq!(err.to_string(), "'kind' must be one of 'year', 'month', 'week', or 'day'.");
//! ```

use crate::error::DbError;
use crate::models::meta::FieldType;

use super::expressions::F;
use super::func::OutputField;
use super::functions::Trunc;
use super::q::Q;
use super::queryset::DynQuerySet;

impl DynQuerySet {
    /// Django's `dates(field_name, kind, order="ASC")`: the distinct values of a date or
    /// datetime field truncated to `kind` (`year`, `month`, `week` or `day`) as dates,
    /// without NULLs, in `order` (`ASC` or `DESC`). The rows are one value each
    /// (`values_list(flat=True)`).
    pub fn dates(self, field_name: &str, kind: &str, order: &str) -> DynQuerySet {
        if !["year", "month", "week", "day"].contains(&kind) {
            return self.fail(DbError::ValueError(
                "'kind' must be one of 'year', 'month', 'week', or 'day'.".into(),
            ));
        }
        self.truncated(field_name, kind, order, "datefield", FieldType::DateField)
    }

    /// Django's `datetimes(field_name, kind, order="ASC")`: as [`dates`](Self::dates),
    /// for `year`, `month`, `week`, `day`, `hour`, `minute` or `second`, as datetimes
    /// (truncated in UTC, the time zone datetimes are stored in).
    pub fn datetimes(self, field_name: &str, kind: &str, order: &str) -> DynQuerySet {
        if !["year", "month", "week", "day", "hour", "minute", "second"].contains(&kind) {
            return self.fail(DbError::ValueError(
                "'kind' must be one of 'year', 'month', 'week', 'day', 'hour', 'minute', or 'second'.".into(),
            ));
        }
        self.truncated(field_name, kind, order, "datetimefield", FieldType::DateTimeField)
    }

    fn truncated(
        self,
        field_name: &str,
        kind: &str,
        order: &str,
        name: &str,
        output: FieldType,
    ) -> DynQuerySet {
        let descending = match order {
            "ASC" => false,
            "DESC" => true,
            _ => {
                return self.fail(DbError::ValueError(
                    "'order' must be either 'ASC' or 'DESC'.".into(),
                ))
            }
        };
        let trunc = match Trunc::new(F::new(field_name), kind, Some(OutputField::new(output))) {
            Ok(t) => t,
            Err(e) => return self.fail(e),
        };
        self.annotate([(name, trunc)])
            .alias([("plain_field", F::new(field_name))])
            .values_list([name], true, false)
            .distinct()
            .filter(Q::lookup("plain_field__isnull", false))
            .order_by([if descending {
                format!("-{name}")
            } else {
                name.to_owned()
            }])
    }
}
