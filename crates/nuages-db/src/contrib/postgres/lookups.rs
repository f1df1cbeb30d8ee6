//! The lookups and transforms `django.contrib.postgres` registers on field types, and
//! the hook the query's `build_lookup` calls before its own lookups: `search` on text
//! fields, `exact` on `SearchVectorField`; on `ArrayField` the lookups `contains`
//! (`@>`), `contained_by` (`<@`), `overlap` (`&&`) and `exact`, and the transforms `len`,
//! index (`tags__0`: Django's 0-based index, SQL's 1-based) and slice (`tags__0_2`).
//! The right-hand side of an array lookup is cast to the column's array type
//! (`$1::varchar(20)[]`), as Django's `ArrayRHSMixin` does.
//!
//! Each lookup resolves to a boolean expression node (`WhereNode::Expr`) whose SQL is a
//! Django template over the resolved sides, so values stay bound and negation, `OR`
//! and `exclude` work as for any condition.

use crate::error::{DbError, Result};
use crate::models::meta::FieldType;
use crate::query::lookups::is_text_type;
use crate::query::query::ResolvedRhs;
use crate::query::where_::{SqlExpr, WhereNode};
use crate::value::Value;

/// The right-hand side as one expression (a list of values becomes one array value).
pub(crate) fn rhs_expr(rhs: &ResolvedRhs) -> Result<SqlExpr> {
    Ok(match rhs {
        ResolvedRhs::Value(v) => SqlExpr::Param(v.clone()),
        ResolvedRhs::Expr(e) => e.clone(),
        ResolvedRhs::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                match it {
                    ResolvedRhs::Value(v) => out.push(super::fields::value_to_json(v)),
                    _ => {
                        return Err(DbError::TypeError(
                            "a list of expressions is not supported here; use values".into(),
                        ))
                    }
                }
            }
            SqlExpr::Param(Value::json(serde_json::Value::Array(out)))
        }
        ResolvedRhs::Query(_) => {
            return Err(DbError::TypeError(
                "a subquery is not valid for this lookup".into(),
            ))
        }
    })
}

/// `django.contrib.postgres`'s lookup `name` on a left-hand side of type `t`, if it has
/// one (`None`: the ordinary lookups apply).
pub(crate) fn build(t: FieldType, name: &str, lhs: &SqlExpr, rhs: &ResolvedRhs) -> Result<Option<WhereNode>> {
    let node = match (t, name) {
        (t, "search") if is_text_type(t) => {
            super::search::search_lookup(lhs.clone(), rhs_expr(rhs)?, "The 'search' lookup")
        }
        (FieldType::SearchVectorField, "exact") => {
            super::search::search_lookup(lhs.clone(), rhs_expr(rhs)?, "SearchVectorExact")
        }
        (FieldType::ArrayField, "contains" | "contained_by" | "overlap" | "exact") => {
            let (class, op) = match name {
                "contains" => ("ArrayContains", "@>"),
                "contained_by" => ("ArrayContainedBy", "<@"),
                "overlap" => ("ArrayOverlap", "&&"),
                _ => ("ArrayExact", "="),
            };
            if matches!(rhs, ResolvedRhs::Value(Value::Null)) {
                if name == "exact" {
                    return Ok(None);
                }
                return Err(DbError::ValueError("Cannot use None as a query value".into()));
            }
            let rhs = rhs_expr(rhs)?;
            let cast = match array_cast(lhs) {
                Some(t) => format!("::{t}"),
                None => String::new(),
            };
            let def = super::search::pg_func(class, "", Vec::new(), FieldType::BooleanField)
                .template(format!("%(0)s {op} %(1)s{cast}"));
            super::search::resolved(def, vec![lhs.clone(), rhs])
        }
        (t, _) if super::ranges::is_range(t) => match super::ranges::lookup(t, name, lhs, rhs)? {
            Some(e) => e,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    Ok(Some(WhereNode::Expr(node)))
}

/// The array type an array lookup's right-hand side is cast to (`varchar(20)[]`), when
/// the left-hand side's element field is known. Type names come from the metadata (never
/// from values).
fn array_cast(lhs: &SqlExpr) -> Option<String> {
    let base = super::fields::array_base(lhs)?;
    let state = crate::migrations::state::FieldState::from_field(base);
    let t = crate::schema::dialect::data_type(crate::backends::Vendor::Postgres, &state).ok()??;
    Some(format!("{t}[]"))
}

/// `django.contrib.postgres`'s transform `name` on a left-hand side of type `t`: the
/// transformed expression and its type (`None`: not one of them).
pub(crate) fn transform(t: FieldType, name: &str, lhs: &SqlExpr) -> Option<(SqlExpr, FieldType)> {
    use super::search::{pg_func, resolved};
    if super::ranges::is_range(t) {
        return super::ranges::transform(t, name, lhs);
    }
    if t != FieldType::ArrayField {
        return None;
    }
    if name == "len" {
        let def = pg_func("ArrayLenTransform", "", Vec::new(), FieldType::IntegerField)
            .template("CASE WHEN %(0)s IS NULL THEN NULL ELSE coalesce(array_length(%(0)s, 1), 0) END");
        return Some((resolved(def, vec![lhs.clone()]), FieldType::IntegerField));
    }
    if let Ok(i) = name.parse::<u32>().map(i64::from) {
        // Django's IndexTransform: 0-based in Python, 1-based in SQL. The index is an
        // integer parsed from the lookup path (written as a number, not bound: the SQL
        // builder does not substitute parameters inside `[...]`).
        let base = super::fields::array_base(lhs)?;
        let mut def = pg_func("IndexTransform", "", Vec::new(), base.field_type)
            .template(format!("%(0)s[{}]", i.checked_add(1)?));
        def.output = crate::query::Output::Field(crate::query::OutputField::of_field(base));
        let e = resolved(def, vec![lhs.clone()]);
        return Some((e, base.field_type));
    }
    let (a, b) = name.split_once('_')?;
    let (a, b) = (
        i64::from(a.parse::<u32>().ok()?),
        i64::from(b.parse::<u32>().ok()?),
    );
    // Django's SliceTransform: [start + 1 : end], integers parsed from the path.
    let def = pg_func("SliceTransform", "", Vec::new(), FieldType::ArrayField)
        .template(format!("%(0)s[{}:{b}]", a.checked_add(1)?));
    let e = resolved(def, vec![lhs.clone()]);
    Some((e, FieldType::ArrayField))
}
