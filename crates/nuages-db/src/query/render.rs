//! Compiling the expression kinds of annotations: functions and aggregates (with
//! Django's `FILTER (WHERE ...)` or its `CASE WHEN` emulation), `Case`, conditions
//! used as values, and the `GROUP BY` / `HAVING` clauses of Django's
//! `SQLCompiler.get_group_by` and `collapse_group_by`.

use sea_query::{Alias, Expr as SExpr};

use crate::backends::Vendor;
use crate::error::Result;
use crate::value::Value;

use super::annotate::{expand, GroupBy, GroupItem, ResolvedFunc};
use super::compiler::{Compiler, Cond};
use super::func::FuncKind;
use super::query::Query;
use super::where_::{SqlExpr, WhereNode};

/// One entry of the SELECT clause: the expression and, for annotations, its alias.
pub(crate) type SelectEntry = (SqlExpr, Option<String>);

impl Compiler {
    /// Renders the expression kinds added for annotations.
    pub(crate) fn expr_other(&mut self, q: &Query, e: &SqlExpr) -> Result<SExpr> {
        Ok(match e {
            SqlExpr::Func(f) => self.func(q, f)?,
            SqlExpr::Window(w) => self.window(q, w)?,
            SqlExpr::Case(c) => {
                let mut parts = Vec::new();
                let mut args = Vec::new();
                let mut default = None;
                for (cond, then) in &c.whens {
                    match self.where_node(q, cond)? {
                        Cond::Empty => continue,
                        Cond::Full => {
                            default = Some(self.expr(q, then)?);
                            break;
                        }
                        Cond::Sql(s) => {
                            parts.push("WHEN {} THEN {}");
                            args.push(s);
                            args.push(self.expr(q, then)?);
                        }
                    }
                }
                let default = match default {
                    Some(d) => d,
                    None => self.expr(q, &c.default)?,
                };
                if parts.is_empty() {
                    return Ok(default);
                }
                args.push(default);
                self.template(&format!("CASE {} ELSE {{}} END", parts.join(" ")), args)
            }
            SqlExpr::Cond(w) => match self.where_node(q, w)? {
                Cond::Sql(s) => s,
                Cond::Empty => SExpr::cust("0"),
                Cond::Full => self.bind(Value::Bool(true)),
            },
            SqlExpr::Wrapped(inner, _) => self.expr(q, inner)?,
            SqlExpr::Star => SExpr::cust("*"),
            SqlExpr::Ref(name, _) => SExpr::col(Alias::new(name.clone())),
            other => {
                return Err(crate::DbError::NotSupportedError(format!(
                    "cannot compile {other:?}"
                )))
            }
        })
    }

    /// True when `l <op> r` is date arithmetic with a duration (Django's
    /// `DurationExpression` on backends without a native interval type, and the typed
    /// interval parameter PostgreSQL needs).
    pub(crate) fn duration_arith(&self, l: &SqlExpr, r: &SqlExpr) -> bool {
        let ty = |e: &SqlExpr| match e {
            SqlExpr::Param(v) => super::func::OutputField::of_value(v).map(|o| o.ty),
            other => other.output_type(),
        };
        ty(l) == Some(crate::models::meta::FieldType::DurationField)
            || ty(r) == Some(crate::models::meta::FieldType::DurationField)
    }

    /// Django's `DurationExpression`: `django_format_dtdelta('-', a, b)` on SQLite,
    /// `(a - INTERVAL b MICROSECOND)` on MariaDB, `a - $1::interval` on PostgreSQL.
    pub(crate) fn duration_expr(
        &mut self,
        q: &Query,
        l: &SqlExpr,
        op: super::expressions::ArithOp,
        r: &SqlExpr,
    ) -> Result<SExpr> {
        use super::expressions::ArithOp;
        let sym = match op {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            _ => {
                return Err(crate::DbError::DatabaseError(
                    "Invalid connector for timedelta.".into(),
                ))
            }
        };
        let side = |c: &mut Compiler, e: &SqlExpr| -> Result<(SExpr, bool)> {
            let is_duration = c.duration_arith(e, &SqlExpr::Star);
            let out = match e {
                SqlExpr::Param(Value::Duration(d)) if c.vendor != Vendor::Postgres => {
                    c.bind(Value::Int(d.num_microseconds().unwrap_or(i64::MAX)))
                }
                SqlExpr::Param(Value::Duration(_)) => {
                    let p = c.expr(q, e)?;
                    c.template("{}::interval", vec![p])
                }
                other => c.expr(q, other)?,
            };
            Ok((out, is_duration))
        };
        let (ls, ld) = side(self, l)?;
        let (rs, rd) = side(self, r)?;
        Ok(match self.vendor {
            Vendor::Sqlite => self.template(
                &format!("django_format_dtdelta('{sym}', {{}}, {{}})"),
                vec![ls, rs],
            ),
            Vendor::MySql => {
                let wrap = |c: &Compiler, e: SExpr, d: bool| {
                    if d {
                        c.template("INTERVAL {} MICROSECOND", vec![e])
                    } else {
                        e
                    }
                };
                let (ls, rs) = (wrap(self, ls, ld), wrap(self, rs, rd));
                self.template(&format!("({{}} {sym} {{}})"), vec![ls, rs])
            }
            Vendor::Postgres => self.template(&format!("({{}} {sym} {{}})"), vec![ls, rs]),
        })
    }

    /// Renders every argument of `f`.
    pub(crate) fn func_args(&mut self, q: &Query, f: &ResolvedFunc) -> Result<Vec<SExpr>> {
        let mut out = Vec::with_capacity(f.args.len());
        for (i, a) in f.args.iter().enumerate() {
            let e = self.expr(q, a)?;
            let int_param = matches!(a, SqlExpr::Param(Value::Int(_))) && f.def.int_args.contains(&i);
            out.push(match a {
                // MariaDB/MySQL take only literal offsets in LAG/LEAD/NTH_VALUE (Django
                // interpolates them there); the value is a checked integer, not text.
                SqlExpr::Param(Value::Int(n))
                    if int_param && f.def.window_compatible && self.vendor == Vendor::MySql =>
                {
                    SExpr::cust(n.to_string())
                }
                _ if int_param && self.vendor == Vendor::Postgres => self.template("{}::integer", vec![e]),
                _ => e,
            });
        }
        Ok(out)
    }

    /// Renders a function from its template with `args` in argument order.
    pub(crate) fn render_template(
        &self,
        f: &ResolvedFunc,
        template: Option<&str>,
        mut args: Vec<SExpr>,
        extra: &[(&str, String)],
        named: Vec<(&str, SExpr)>,
    ) -> Result<SExpr> {
        if let Some((_, message)) = f.def.not_supported.iter().find(|(v, _)| *v == self.vendor) {
            return Err(crate::DbError::NotSupportedError(message.to_string()));
        }
        let (function, default_template) = f.def.sql_for(self.vendor);
        let template = template.unwrap_or(default_template);
        let mut keys: Vec<(&str, String)> = f
            .def
            .extra
            .iter()
            .map(|(k, v)| (k.as_ref(), v.to_string()))
            .collect();
        keys.extend(extra.iter().cloned());
        let nargs = args.len();
        let names: Vec<&str> = named.iter().map(|(k, _)| *k).collect();
        args.extend(named.into_iter().map(|(_, e)| e));
        let (text, order) = expand(template, function, &f.def.arg_joiner, nargs, &keys, &names)?;
        let ordered: Vec<SExpr> = order.iter().map(|&i| args[i].clone()).collect();
        Ok(self.template(&text, ordered))
    }

    fn func(&mut self, q: &Query, f: &ResolvedFunc) -> Result<SExpr> {
        if let FuncKind::Postgres(kind) = f.def.kind {
            crate::contrib::postgres::require_postgres(self.vendor, f.def.name())?;
            if let Some(sql) = crate::contrib::postgres::render(self, q, f, kind)? {
                return Ok(sql);
            }
        }
        if let Some(agg) = &f.aggregate {
            let distinct = if agg.distinct { "DISTINCT " } else { "" };
            let extra = [("distinct", distinct.to_owned())];
            let mut args = self.func_args(q, f)?;
            let Some(filter) = &agg.filter else {
                return self.render_template(f, None, args, &extra, Vec::new());
            };
            let cond = match self.where_node(q, filter)? {
                Cond::Full => return self.render_template(f, None, args, &extra, Vec::new()),
                Cond::Empty => {
                    // EmptyResultSet in a SELECT column: the aggregate's empty value.
                    return Ok(match &agg.empty_value {
                        Some(v) => self.bind(v.clone()),
                        None => SExpr::cust("NULL"),
                    });
                }
                Cond::Sql(c) => c,
            };
            if self.vendor.features().supports_aggregate_filter_clause {
                let (_, template) = f.def.sql_for(self.vendor);
                let template = format!("{template} FILTER (WHERE %(filter)s)");
                return self.render_template(f, Some(&template), args, &extra, vec![("filter", cond)]);
            }
            // MySQL/MariaDB: the first argument becomes CASE WHEN filter THEN arg ELSE NULL END.
            if let Some(first) = args.first_mut() {
                *first = self.template("CASE WHEN {} THEN {} ELSE NULL END", vec![cond, first.clone()]);
            }
            return self.render_template(f, None, args, &extra, Vec::new());
        }
        match f.def.kind {
            FuncKind::Template | FuncKind::Postgres(_) => {
                let args = self.func_args(q, f)?;
                self.render_template(f, None, args, &[], Vec::new())
            }
            _ => self.special_func(q, f),
        }
    }

    /// Django's `get_group_by`: the rendered GROUP BY terms of `q`, given its SELECT
    /// entries, its non-reference ordering expressions and its HAVING node.
    pub(crate) fn group_by(
        &mut self,
        q: &Query,
        select: &[SelectEntry],
        order: &[SqlExpr],
        having: Option<&WhereNode>,
        meta_ordering: bool,
    ) -> Result<Vec<SExpr>> {
        let Some(group_by) = &q.group_by else {
            return Ok(Vec::new());
        };
        let mut exprs: Vec<SqlExpr> = Vec::new();
        let mut refs: Vec<String> = Vec::new();
        if let GroupBy::Items(items) = group_by {
            for it in items {
                match it {
                    GroupItem::Ref(name) => {
                        if !refs.contains(name) {
                            refs.push(name.clone());
                            if let Some(a) = q.annotation(name) {
                                exprs.push(a.expr.clone());
                            }
                        }
                    }
                    GroupItem::Expr(e) => exprs.push(e.clone()),
                }
            }
        }
        for (e, alias) in select {
            if alias.as_ref().is_some_and(|a| refs.contains(a)) {
                continue;
            }
            exprs.extend(e.group_by_cols());
        }
        if !meta_ordering {
            for o in order {
                exprs.extend(o.group_by_cols());
            }
        }
        let having_cols = having
            .map(|h| SqlExpr::Cond(Box::new(h.clone())).group_by_cols())
            .unwrap_or_default();
        exprs.extend(having_cols.iter().cloned());
        let exprs = self.collapse_group_by(q, exprs, &having_cols);
        // Selected annotations are grouped by their position (allows_group_by_select_index).
        let positions: Vec<(String, usize)> = select
            .iter()
            .enumerate()
            .filter(|(_, (_, alias))| alias.is_some())
            .map(|(i, (e, _))| (format!("{e:?}"), i + 1))
            .collect();
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for e in exprs {
            let key = format!("{e:?}");
            if seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            match positions.iter().find(|(k, _)| *k == key) {
                Some((_, pos)) => out.push(SExpr::cust(pos.to_string())),
                None => out.push(self.expr(q, &e)?),
            }
        }
        Ok(out)
    }

    /// Django's `collapse_group_by`: with functional dependency (PostgreSQL, MariaDB),
    /// a table whose primary key is grouped needs no other column grouped.
    fn collapse_group_by(&self, q: &Query, exprs: Vec<SqlExpr>, having: &[SqlExpr]) -> Vec<SqlExpr> {
        if self.vendor == Vendor::Sqlite {
            return exprs;
        }
        let pk_aliases: Vec<usize> = exprs
            .iter()
            .filter_map(|e| match e {
                SqlExpr::Col { alias, field, .. } if field.primary_key && q.joins.get(*alias).is_some() => {
                    Some(*alias)
                }
                _ => None,
            })
            .collect();
        let having_keys: Vec<String> = having.iter().map(|e| format!("{e:?}")).collect();
        exprs
            .into_iter()
            .filter(|e| match e {
                SqlExpr::Col { alias, field, .. } => {
                    field.primary_key
                        || !pk_aliases.contains(alias)
                        || having_keys.contains(&format!("{e:?}"))
                }
                _ => true,
            })
            .collect()
    }
}
