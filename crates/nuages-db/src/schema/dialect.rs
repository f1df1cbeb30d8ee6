//! What differs between backends in DDL: column types, identifier and literal quoting,
//! name lengths and the statement templates of Django's `DatabaseSchemaEditor`s.
//!
//! Everything here is a direct port of Django 5.2's `data_types`,
//! `data_type_check_constraints`, `data_types_suffix`, `quote_name`, `quote_value` and
//! `max_name_length` for `sqlite3`, `postgresql` and `mysql`, so generated DDL matches
//! what `sqlmigrate` prints for the same models.

use super::Vendor;
use crate::error::{DbError, Result};
use crate::migrations::state::FieldState;
use crate::models::meta::FieldType;
use crate::value::Value;

/// Django's `connection.ops.quote_name`: the identifier in the dialect's quotes (an
/// embedded quote character is doubled, so no identifier can escape its quotes).
pub fn quote_name(vendor: Vendor, name: &str) -> String {
    match vendor {
        Vendor::MySql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// Django's `connection.ops.max_name_length()` (SQLite has none; Django then uses 200).
pub fn max_name_length(vendor: Vendor) -> usize {
    match vendor {
        Vendor::Sqlite => 200,
        Vendor::Postgres => 63,
        Vendor::MySql => 64,
    }
}

/// Django's `connection.ops.deferrable_sql()` for foreign keys.
pub fn deferrable_sql(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::MySql => "",
        _ => " DEFERRABLE INITIALLY DEFERRED",
    }
}

/// PostgreSQL's `makeObjectName(name1, name2, label)`: the name PostgreSQL gives an
/// unnamed constraint (`<table>_<column>_key`), shortening the longer part until the
/// whole fits in 63 bytes.
pub fn pg_object_name(name1: &str, name2: &str, label: &str) -> String {
    let avail = 63usize.saturating_sub(label.len() + 1 + usize::from(!name2.is_empty()));
    let (mut n1, mut n2) = (name1.len(), name2.len());
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let cut = |s: &str, n: usize| {
        let mut n = n.min(s.len());
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s[..n].to_owned()
    };
    let mut out = cut(name1, n1);
    if !name2.is_empty() {
        out.push('_');
        out.push_str(&cut(name2, n2));
    }
    out.push('_');
    out.push_str(label);
    out
}

/// Django's `features.supports_partial_indexes`.
pub fn supports_partial_indexes(vendor: Vendor) -> bool {
    !matches!(vendor, Vendor::MySql)
}

/// Django's `features.can_rollback_ddl`.
pub fn can_rollback_ddl(vendor: Vendor) -> bool {
    !matches!(vendor, Vendor::MySql)
}

fn internal_type(t: FieldType) -> FieldType {
    // EmailField and URLField are CharFields for the database (`get_internal_type`).
    match t {
        FieldType::EmailField | FieldType::URLField => FieldType::CharField,
        other => other,
    }
}

fn max_length(field: &FieldState) -> Result<u32> {
    field.max_length.ok_or_else(|| {
        DbError::ValueError(format!(
            "{} '{}' needs a max_length on this database.",
            field.field_type.name(),
            field.name
        ))
    })
}

/// Django's `connection.data_types[field.get_internal_type()] % field.__dict__` for a
/// non-relation field (`None` for a many-to-many field, which has no column).
pub fn data_type(vendor: Vendor, field: &FieldState) -> Result<Option<String>> {
    use FieldType as T;
    let t = internal_type(field.field_type);
    if crate::contrib::postgres::is_postgres_field(t) {
        return crate::contrib::postgres::fields::db_type(vendor, field).map(Some);
    }
    let s: String = match vendor {
        Vendor::Sqlite => match t {
            T::AutoField | T::BigAutoField | T::SmallAutoField => "integer".into(),
            T::BinaryField => "BLOB".into(),
            T::BooleanField => "bool".into(),
            T::CharField | T::SlugField => format!("varchar({})", max_length(field)?),
            T::DateField => "date".into(),
            T::DateTimeField => "datetime".into(),
            T::DecimalField => "decimal".into(),
            T::DurationField => "bigint".into(),
            T::FloatField => "real".into(),
            T::IntegerField => "integer".into(),
            T::BigIntegerField => "bigint".into(),
            T::JSONField => "text".into(),
            T::PositiveBigIntegerField => "bigint unsigned".into(),
            T::PositiveIntegerField => "integer unsigned".into(),
            T::PositiveSmallIntegerField => "smallint unsigned".into(),
            T::SmallIntegerField => "smallint".into(),
            T::TextField => "text".into(),
            T::TimeField => "time".into(),
            T::UUIDField => "char(32)".into(),
            T::ForeignKey | T::OneToOneField => "integer".into(),
            T::ManyToManyField => return Ok(None),
            T::EmailField | T::URLField => unreachable_internal(t)?,
            _ => unreachable_internal(t)?,
        },
        Vendor::Postgres => match t {
            T::AutoField => "integer".into(),
            T::BigAutoField => "bigint".into(),
            T::SmallAutoField => "smallint".into(),
            T::BinaryField => "bytea".into(),
            T::BooleanField => "boolean".into(),
            T::CharField => match field.max_length {
                Some(n) => format!("varchar({n})"),
                None => "varchar".into(),
            },
            T::SlugField => format!("varchar({})", max_length(field)?),
            T::DateField => "date".into(),
            T::DateTimeField => "timestamp with time zone".into(),
            T::DecimalField => match (field.max_digits, field.decimal_places) {
                (Some(d), Some(p)) => format!("numeric({d}, {p})"),
                _ => "numeric".into(),
            },
            T::DurationField => "interval".into(),
            T::FloatField => "double precision".into(),
            T::IntegerField => "integer".into(),
            T::BigIntegerField => "bigint".into(),
            T::JSONField => "jsonb".into(),
            T::PositiveBigIntegerField => "bigint".into(),
            T::PositiveIntegerField => "integer".into(),
            T::PositiveSmallIntegerField => "smallint".into(),
            T::SmallIntegerField => "smallint".into(),
            T::TextField => "text".into(),
            T::TimeField => "time".into(),
            T::UUIDField => "uuid".into(),
            T::ForeignKey | T::OneToOneField => "integer".into(),
            T::ManyToManyField => return Ok(None),
            T::EmailField | T::URLField => unreachable_internal(t)?,
            _ => unreachable_internal(t)?,
        },
        Vendor::MySql => match t {
            T::AutoField => "integer AUTO_INCREMENT".into(),
            T::BigAutoField => "bigint AUTO_INCREMENT".into(),
            T::SmallAutoField => "smallint AUTO_INCREMENT".into(),
            T::BinaryField => "longblob".into(),
            T::BooleanField => "bool".into(),
            T::CharField | T::SlugField => format!("varchar({})", max_length(field)?),
            T::DateField => "date".into(),
            T::DateTimeField => "datetime(6)".into(),
            T::DecimalField => match (field.max_digits, field.decimal_places) {
                (Some(d), Some(p)) => format!("numeric({d}, {p})"),
                _ => {
                    return Err(DbError::ValueError(format!(
                        "DecimalField '{}' needs max_digits and decimal_places.",
                        field.name
                    )))
                }
            },
            T::DurationField => "bigint".into(),
            T::FloatField => "double precision".into(),
            T::IntegerField => "integer".into(),
            T::BigIntegerField => "bigint".into(),
            T::JSONField => "json".into(),
            T::PositiveBigIntegerField => "bigint UNSIGNED".into(),
            T::PositiveIntegerField => "integer UNSIGNED".into(),
            T::PositiveSmallIntegerField => "smallint UNSIGNED".into(),
            T::SmallIntegerField => "smallint".into(),
            T::TextField => "longtext".into(),
            T::TimeField => "time(6)".into(),
            T::UUIDField => "char(32)".into(),
            T::ForeignKey | T::OneToOneField => "integer".into(),
            T::ManyToManyField => return Ok(None),
            T::EmailField | T::URLField => unreachable_internal(t)?,
            _ => unreachable_internal(t)?,
        },
    };
    Ok(Some(s))
}

fn unreachable_internal(t: FieldType) -> Result<String> {
    Err(DbError::ValueError(format!("no column type for {}", t.name())))
}

/// Django's `Field.rel_db_type`: the column type of a foreign key pointing at `target`
/// (auto fields become their plain integer counterparts; positive integers keep their
/// own type only where `related_fields_match_type`, i.e. MySQL).
pub fn rel_db_type(vendor: Vendor, target: &FieldState) -> Result<Option<String>> {
    use FieldType as T;
    let plain = match target.field_type {
        T::AutoField => Some(T::IntegerField),
        T::BigAutoField => Some(T::BigIntegerField),
        T::SmallAutoField => Some(T::SmallIntegerField),
        T::PositiveIntegerField if vendor != Vendor::MySql => Some(T::IntegerField),
        T::PositiveBigIntegerField if vendor != Vendor::MySql => Some(T::BigIntegerField),
        T::PositiveSmallIntegerField if vendor != Vendor::MySql => Some(T::SmallIntegerField),
        _ => None,
    };
    match plain {
        Some(t) => {
            let mut f = target.clone();
            f.field_type = t;
            data_type(vendor, &f)
        }
        None => data_type(vendor, target),
    }
}

/// Django's `data_types_suffix` (SQLite's `AUTOINCREMENT`, PostgreSQL's identity).
pub fn data_type_suffix(vendor: Vendor, t: FieldType) -> Option<&'static str> {
    if !t.is_auto() {
        return None;
    }
    match vendor {
        Vendor::Sqlite => Some("AUTOINCREMENT"),
        Vendor::Postgres => Some("GENERATED BY DEFAULT AS IDENTITY"),
        Vendor::MySql => None,
    }
}

/// Django's `data_type_check_constraints` for the column (`"qty" >= 0`).
pub fn data_type_check(vendor: Vendor, field: &FieldState) -> Option<String> {
    use FieldType as T;
    let col = quote_name(vendor, &field.column);
    match field.field_type {
        T::PositiveBigIntegerField | T::PositiveIntegerField | T::PositiveSmallIntegerField => {
            Some(format!("{col} >= 0"))
        }
        T::JSONField if vendor == Vendor::Sqlite => Some(format!("(JSON_VALID({col}) OR {col} IS NULL)")),
        _ => None,
    }
}

/// Django's `schema_editor.quote_value`: a value as an SQL literal, for the few places
/// DDL cannot take a bound parameter (column defaults, check constraints, partial index
/// conditions). Strings are quoted with their quote characters doubled (and backslashes
/// escaped where the dialect treats them specially), so no value can end its literal.
pub fn quote_value(vendor: Vendor, value: &Value) -> Result<String> {
    Ok(match value {
        Value::Null => "NULL".into(),
        Value::Bool(b) => match vendor {
            Vendor::Postgres => if *b { "true" } else { "false" }.into(),
            _ => if *b { "1" } else { "0" }.into(),
        },
        Value::Int(i) => i.to_string(),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(DbError::ValueError(format!("Cannot use {f} as an SQL literal.")));
            }
            format!("{f:?}")
        }
        Value::Decimal(d) => d.to_string(),
        Value::Text(s) => quote_str(vendor, s),
        Value::Bytes(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            match vendor {
                Vendor::Postgres => format!("'\\x{hex}'::bytea"),
                _ => format!("X'{hex}'"),
            }
        }
        Value::Date(d) => format!("'{}'", d.format("%Y-%m-%d")),
        Value::Time(t) => format!("'{}'", t.format("%H:%M:%S%.f")),
        Value::DateTime(dt) => match vendor {
            Vendor::Postgres => format!("'{}'", dt.format("%Y-%m-%d %H:%M:%S%.f+00:00")),
            _ => format!("'{}'", dt.format("%Y-%m-%d %H:%M:%S%.f")),
        },
        Value::Duration(d) => {
            let micros = d
                .num_microseconds()
                .ok_or_else(|| DbError::ValueError("Duration out of range.".into()))?;
            match vendor {
                Vendor::Postgres => format!("'{micros} microseconds'::interval"),
                _ => micros.to_string(),
            }
        }
        Value::Uuid(u) => match vendor {
            Vendor::Postgres => format!("'{}'::uuid", u.hyphenated()),
            _ => format!("'{}'", u.simple()),
        },
        Value::Json(j) => quote_str(vendor, &j.to_string()),
    })
}

/// A string literal in the dialect's syntax.
pub fn quote_str(vendor: Vendor, s: &str) -> String {
    let doubled = s.replace('\'', "''");
    match vendor {
        Vendor::MySql => format!("'{}'", doubled.replace('\\', "\\\\").replace('\0', "\\0")),
        Vendor::Postgres if s.contains('\\') => format!("E'{}'", doubled.replace('\\', "\\\\")),
        _ => format!("'{doubled}'"),
    }
}

/// Django's `_is_limited_data_type` on MySQL: columns MySQL cannot index without a
/// prefix length (Django skips their `db_index`).
pub fn is_limited_data_type(vendor: Vendor, field: &FieldState) -> bool {
    vendor == Vendor::MySql
        && matches!(
            field.field_type,
            FieldType::TextField | FieldType::BinaryField | FieldType::JSONField
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_escape_their_quotes() {
        let v = Value::Text("a'); DROP TABLE x; --".into());
        assert_eq!(
            quote_value(Vendor::Sqlite, &v).unwrap(),
            "'a''); DROP TABLE x; --'"
        );
        assert_eq!(
            quote_value(Vendor::MySql, &Value::Text("a\\'b".into())).unwrap(),
            "'a\\\\''b'"
        );
        assert_eq!(
            quote_value(Vendor::Postgres, &Value::Text("a\\b".into())).unwrap(),
            "E'a\\\\b'"
        );
        assert_eq!(quote_value(Vendor::Postgres, &Value::Bool(true)).unwrap(), "true");
        assert_eq!(quote_value(Vendor::Sqlite, &Value::Bool(true)).unwrap(), "1");
        assert!(quote_value(Vendor::Sqlite, &Value::Float(f64::NAN)).is_err());
        assert_eq!(quote_name(Vendor::Sqlite, "a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_name(Vendor::MySql, "a`b"), "`a``b`");
    }

    #[test]
    fn django_column_types() {
        let f = FieldState::new("price", FieldType::DecimalField).decimal(8, 2);
        assert_eq!(data_type(Vendor::Sqlite, &f).unwrap().unwrap(), "decimal");
        assert_eq!(data_type(Vendor::Postgres, &f).unwrap().unwrap(), "numeric(8, 2)");
        assert_eq!(data_type(Vendor::MySql, &f).unwrap().unwrap(), "numeric(8, 2)");
        let id = FieldState::new("id", FieldType::BigAutoField).primary_key();
        assert_eq!(rel_db_type(Vendor::Sqlite, &id).unwrap().unwrap(), "bigint");
        assert_eq!(rel_db_type(Vendor::MySql, &id).unwrap().unwrap(), "bigint");
        let c = FieldState::new("name", FieldType::CharField);
        assert!(data_type(Vendor::Sqlite, &c).is_err());
        assert_eq!(data_type(Vendor::Postgres, &c).unwrap().unwrap(), "varchar");
    }
}
