//! The lookups and transforms `django.contrib.postgres` registers on field types, and
//! the hook the query's `build_lookup` calls before its own lookups: `search` on text
//! fields, `exact` on `SearchVectorField`.
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
            SqlExpr::Param(Value::Json(serde_json::Value::Array(out)))
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
        _ => return Ok(None),
    };
    Ok(Some(WhereNode::Expr(node)))
}
