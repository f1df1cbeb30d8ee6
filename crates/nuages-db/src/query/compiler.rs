//! The SQL compiler: renders a resolved [`Query`] with sea-query, one builder and a
//! writer per dialect.
//!
//! Every value travels as a bound parameter. The compiler hands sea-query a marker
//! value (the parameter's index) and maps the markers back to nuages [`Value`]s after
//! rendering, so every `Value` (durations and JSON included) reaches the driver
//! unchanged and in the order of the placeholders. Where sea-query has no construct for
//! what Django renders (`LIKE ... ESCAPE '\'`, `EXTRACT`, `STRFTIME`), the compiler uses
//! sea-query's custom expressions with only sub-expressions and markers inside.

use sea_query::{
    Alias, BinOper, Expr as SExpr, ExprTrait, JoinType as SJoin, LockBehavior, LockType, NullOrdering, Order,
    Query as SQuery, SelectStatement, Value as SValue,
};

use crate::backends::Vendor;
use crate::error::{DbError, Result};
use crate::models::meta::FieldType;
use crate::value::Value;

use super::expressions::ArithOp;
use super::lookups::{escape_like, is_text_type, LookupName, Transform};
use super::names::{self, FinalField};
use super::q::Connector;
use super::query::{JoinType, OrderTerm, Query};
use super::where_::{LookupRhs, SqlExpr, WhereNode};

/// SQL text and its parameters, in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledSql {
    pub sql: String,
    pub params: Vec<Value>,
}

/// What a `SELECT` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SelectMode {
    /// The model's (loaded) concrete fields, or the `values()` columns.
    Rows,
    /// `SELECT COUNT(*)`.
    Count,
    /// `SELECT 1 AS a ... LIMIT 1`.
    Exists,
}

/// The result of compiling a `WHERE` node (Django's EmptyResultSet / FullResultSet).
pub(super) enum Cond {
    Empty,
    Full,
    Sql(SExpr),
}

/// One compilation: the vendor and the parameters collected so far.
pub(crate) struct Compiler {
    pub vendor: Vendor,
    params: Vec<Value>,
    /// The alias names of the queries enclosing the one being compiled, innermost last
    /// (how an [`SqlExpr::OuterCol`] finds its table).
    pub(crate) scopes: Vec<Vec<String>>,
    /// Alias every selected column (`AS "col1"`), for the parts of a compound statement;
    /// taken (reset) by the next `select`.
    pub(crate) with_col_aliases: bool,
    /// Django's `connection.mysql_is_mariadb`: MariaDB's SQL where it differs from
    /// MySQL 8's (only meaningful with [`Vendor::MySql`]).
    pub(crate) mysql_is_mariadb: bool,
    /// What the server can do (Django's `connection.features`): the vendor's flags, or
    /// a MySQL alias's server's ([`crate::connection::features`]).
    pub(crate) features: &'static crate::backends::Features,
}

pub(super) fn col(alias: &str, column: &str) -> SExpr {
    SExpr::col((Alias::new(alias), Alias::new(column)))
}

impl Compiler {
    pub fn new(vendor: Vendor) -> Compiler {
        Compiler {
            vendor,
            params: Vec::new(),
            scopes: Vec::new(),
            with_col_aliases: false,
            mysql_is_mariadb: false,
            features: vendor.features(),
        }
    }

    /// A compiler for `vendor`'s SQL as the server behind `alias` speaks it (MariaDB or
    /// MySQL 8 when `vendor` is MySQL and `alias` is a MySQL alias).
    pub fn for_db(vendor: Vendor, alias: &str) -> Compiler {
        let mut c = Compiler::new(vendor);
        if vendor == Vendor::MySql && crate::connection::vendor(alias).is_ok_and(|v| v == vendor) {
            c.mysql_is_mariadb = crate::connection::mysql_is_mariadb(alias);
            c.features = crate::connection::features(alias).unwrap_or(c.features);
        }
        c
    }

    /// Binds a value (a parameter marker in the statement).
    pub(crate) fn bind(&mut self, v: Value) -> SExpr {
        self.param(v)
    }

    fn param(&mut self, v: Value) -> SExpr {
        self.params.push(v);
        SExpr::Value(SValue::Unsigned(Some((self.params.len() - 1) as u32)))
    }

    /// A custom SQL template where each `{}` is one of `args`, rendered with the
    /// dialect's placeholder syntax for sea-query's custom expressions.
    pub(crate) fn template(&self, template: &str, args: Vec<SExpr>) -> SExpr {
        let mut out = String::with_capacity(template.len() + 8);
        let mut n = 0;
        let mut rest = template;
        while let Some(pos) = rest.find("{}") {
            out.push_str(&rest[..pos]);
            n += 1;
            match self.vendor {
                Vendor::Postgres => {
                    out.push('$');
                    out.push_str(&n.to_string());
                }
                _ => out.push('?'),
            }
            rest = &rest[pos + 2..];
        }
        out.push_str(rest);
        SExpr::cust_with_exprs(out, args)
    }

    /// Renders the statement and maps the markers back to values.
    pub fn finish(self, stmt: &impl BuildAny) -> CompiledSql {
        let (sql, values) = stmt.build_for(self.vendor);
        let params = values
            .0
            .into_iter()
            .map(|v| match v {
                SValue::Unsigned(Some(i)) => self.params.get(i as usize).cloned().unwrap_or(Value::Null),
                SValue::BigUnsigned(Some(n)) => Value::Int(i64::try_from(n).unwrap_or(i64::MAX)),
                SValue::BigInt(Some(n)) => Value::Int(n),
                SValue::Int(Some(n)) => Value::Int(n as i64),
                SValue::Bool(Some(b)) => Value::Bool(b),
                SValue::String(Some(s)) => Value::Text(s),
                SValue::Double(Some(f)) => Value::Float(f),
                _ => Value::Null,
            })
            .collect();
        CompiledSql { sql, params }
    }

    /// Renders a resolved expression of `q`.
    pub(crate) fn expr(&mut self, q: &Query, e: &SqlExpr) -> Result<SExpr> {
        Ok(match e {
            SqlExpr::Col { alias, column, .. } => col(&q.joins[*alias].alias, column),
            SqlExpr::OuterCol {
                up, alias, column, ..
            } => {
                let scope = self
                    .scopes
                    .len()
                    .checked_sub(*up)
                    .and_then(|i| self.scopes.get(i));
                match scope.and_then(|s| s.get(*alias)) {
                    Some(name) => col(name, column),
                    None => return Err(super::subqueries::outer_ref_error()),
                }
            }
            SqlExpr::OuterRef { .. } => return Err(super::subqueries::outer_ref_error()),
            SqlExpr::Subquery(inner) => super::subqueries::compile_subquery(self, q, inner)?,
            SqlExpr::Exists(inner, negated) => super::subqueries::compile_exists(self, q, inner, *negated)?,
            SqlExpr::Param(v) => self.param(v.clone()),
            SqlExpr::Arith(l, op, r) if self.duration_arith(l, r) => self.duration_expr(q, l, *op, r)?,
            SqlExpr::Arith(l, op, r) => {
                let (l, r) = (self.expr(q, l)?, self.expr(q, r)?);
                match op {
                    ArithOp::Add => SExpr::Binary(Box::new(l), BinOper::Add, Box::new(r)),
                    ArithOp::Sub => SExpr::Binary(Box::new(l), BinOper::Sub, Box::new(r)),
                    ArithOp::Mul => SExpr::Binary(Box::new(l), BinOper::Mul, Box::new(r)),
                    ArithOp::Div => SExpr::Binary(Box::new(l), BinOper::Div, Box::new(r)),
                    ArithOp::Mod => SExpr::Binary(Box::new(l), BinOper::Mod, Box::new(r)),
                    ArithOp::Pow => match self.vendor {
                        Vendor::Postgres => self.template("({} ^ {})", vec![l, r]),
                        _ => self.template("POWER({}, {})", vec![l, r]),
                    },
                }
            }
            SqlExpr::Transform(t, inner, input) => {
                let inner = self.expr(q, inner)?;
                self.transform(*t, inner, *input)
            }
            other => self.expr_other(q, other)?,
        })
    }

    /// Django's `date_extract_sql` / `datetime_cast_date_sql` per backend.
    pub(super) fn transform(&self, t: Transform, e: SExpr, input: FieldType) -> SExpr {
        let datetime = input == FieldType::DateTimeField;
        match self.vendor {
            Vendor::Sqlite => {
                let fmt = match t {
                    Transform::Year => "%Y",
                    Transform::IsoYear => "%G",
                    Transform::Month => "%m",
                    Transform::Day => "%d",
                    Transform::Week => "%V",
                    Transform::IsoWeekDay => "%u",
                    Transform::Hour => "%H",
                    Transform::Minute => "%M",
                    Transform::Second => "%S",
                    Transform::WeekDay => {
                        return self.template("(CAST(STRFTIME('%w', {}) AS INTEGER) + 1)", vec![e])
                    }
                    Transform::Quarter => {
                        return self.template("((CAST(STRFTIME('%m', {}) AS INTEGER) + 2) / 3)", vec![e])
                    }
                    Transform::Date => return self.template("DATE({})", vec![e]),
                    Transform::Time => return self.template("TIME({})", vec![e]),
                };
                self.template(&format!("CAST(STRFTIME('{fmt}', {{}}) AS INTEGER)"), vec![e])
            }
            Vendor::Postgres => {
                let e = if datetime {
                    self.template("({} AT TIME ZONE 'UTC')", vec![e])
                } else {
                    e
                };
                let sql = match t {
                    Transform::Year => "EXTRACT(YEAR FROM {})",
                    Transform::IsoYear => "EXTRACT(ISOYEAR FROM {})",
                    Transform::Month => "EXTRACT(MONTH FROM {})",
                    Transform::Day => "EXTRACT(DAY FROM {})",
                    Transform::Week => "EXTRACT(WEEK FROM {})",
                    Transform::WeekDay => "(EXTRACT(DOW FROM {}) + 1)",
                    Transform::IsoWeekDay => "EXTRACT(ISODOW FROM {})",
                    Transform::Quarter => "EXTRACT(QUARTER FROM {})",
                    Transform::Hour => "EXTRACT(HOUR FROM {})",
                    Transform::Minute => "EXTRACT(MINUTE FROM {})",
                    Transform::Second => "EXTRACT(SECOND FROM DATE_TRUNC('second', {}))",
                    Transform::Date => "({})::date",
                    Transform::Time => "({})::time",
                };
                let inner = self.template(sql, vec![e]);
                match t {
                    // EXTRACT gives numeric; Django's output field is an integer.
                    Transform::Date | Transform::Time => inner,
                    _ => self.template("CAST({} AS integer)", vec![inner]),
                }
            }
            Vendor::MySql => {
                let sql = match t {
                    Transform::Year => "EXTRACT(YEAR FROM {})",
                    Transform::IsoYear => "(TRUNCATE(YEARWEEK({}, 3), -2) DIV 100)",
                    Transform::Month => "EXTRACT(MONTH FROM {})",
                    Transform::Day => "EXTRACT(DAY FROM {})",
                    Transform::Week => "WEEK({}, 3)",
                    Transform::WeekDay => "DAYOFWEEK({})",
                    Transform::IsoWeekDay => "(WEEKDAY({}) + 1)",
                    Transform::Quarter => "EXTRACT(QUARTER FROM {})",
                    Transform::Hour => "EXTRACT(HOUR FROM {})",
                    Transform::Minute => "EXTRACT(MINUTE FROM {})",
                    Transform::Second => "EXTRACT(SECOND FROM {})",
                    Transform::Date => "DATE({})",
                    Transform::Time => "TIME({})",
                };
                self.template(sql, vec![e])
            }
        }
    }

    pub(super) fn where_node(&mut self, q: &Query, node: &WhereNode) -> Result<Cond> {
        match node {
            WhereNode::Nothing => Ok(Cond::Empty),
            WhereNode::Lookup(l) => self.lookup(q, l),
            WhereNode::Expr(SqlExpr::Exists(inner, negated)) => {
                match self.nested_select(q, inner, SelectMode::Exists)? {
                    Some(stmt) => {
                        let e = SExpr::exists(stmt);
                        Ok(Cond::Sql(if *negated { e.not() } else { e }))
                    }
                    None if *negated => Ok(Cond::Full),
                    None => Ok(Cond::Empty),
                }
            }
            WhereNode::Expr(e) => Ok(Cond::Sql(self.expr(q, e)?)),
            WhereNode::Exists(inner) => match self.nested_select(q, inner, SelectMode::Rows)? {
                Some(stmt) => Ok(Cond::Sql(SExpr::exists(stmt))),
                None => Ok(Cond::Empty),
            },
            WhereNode::Node {
                connector,
                negated,
                children,
            } => {
                let (mut full_needed, mut empty_needed) = match connector {
                    Connector::And => (children.len(), 1),
                    Connector::Or => (1, children.len()),
                };
                let mut parts = Vec::new();
                for child in children {
                    match self.where_node(q, child)? {
                        Cond::Empty => empty_needed = empty_needed.saturating_sub(1),
                        Cond::Full => full_needed = full_needed.saturating_sub(1),
                        Cond::Sql(s) => parts.push(s),
                    }
                    if empty_needed == 0 {
                        return Ok(if *negated { Cond::Full } else { Cond::Empty });
                    }
                    if full_needed == 0 {
                        return Ok(if *negated { Cond::Empty } else { Cond::Full });
                    }
                }
                if parts.is_empty() {
                    return Ok(if *negated { Cond::Empty } else { Cond::Full });
                }
                // Joined as text rather than with sea-query's `and`/`or`, which parenthesise
                // custom operands (`(UPPER(..) LIKE UPPER(..)) AND ..`); every child that
                // needs parentheses (a node of several children, a negation) has them.
                let sep = match connector {
                    Connector::And => " AND ",
                    Connector::Or => " OR ",
                };
                let several = parts.len() > 1;
                let joined = if several {
                    self.template(&vec!["{}"; parts.len()].join(sep), parts)
                } else {
                    parts.remove(0)
                };
                // Django's WhereNode.as_sql: `NOT (..)`, else `(..)` around several parts.
                Ok(Cond::Sql(if *negated {
                    self.template("NOT ({})", vec![joined])
                } else if several {
                    self.template("({})", vec![joined])
                } else {
                    joined
                }))
            }
        }
    }

    fn pattern(&mut self, name: LookupName, rhs: &LookupRhs, q: &Query) -> Result<SExpr> {
        match rhs {
            LookupRhs::Expr(SqlExpr::Param(Value::Text(s))) => {
                let escaped = match (name, self.vendor) {
                    (LookupName::IExact, Vendor::Postgres) => s.clone(),
                    _ => escape_like(s),
                };
                let pattern = match name {
                    LookupName::Contains | LookupName::IContains => format!("%{escaped}%"),
                    LookupName::StartsWith | LookupName::IStartsWith => format!("{escaped}%"),
                    LookupName::EndsWith | LookupName::IEndsWith => format!("%{escaped}"),
                    _ => escaped,
                };
                Ok(self.param(Value::Text(pattern)))
            }
            LookupRhs::Expr(e) => {
                // A pattern against an expression: escape it in SQL as Django does.
                let inner = self.expr(q, e)?;
                // MySQL string literals take `\` as an escape (Django's MySQL `pattern_esc`).
                let esc = match self.vendor {
                    Vendor::MySql => r"REPLACE(REPLACE(REPLACE({}, '\\', '\\\\'), '%', '\%'), '_', '\_')",
                    _ => r"REPLACE(REPLACE(REPLACE({}, '\', '\\'), '%', '\%'), '_', '\_')",
                };
                let escaped = self.template(esc, vec![inner]);
                let concat = |c: &Compiler, t: &str, e: SExpr| match c.vendor {
                    Vendor::MySql => c.template(
                        &t.replace("'%' || {} || '%'", "CONCAT('%', {}, '%')")
                            .replace("'%' || {}", "CONCAT('%', {})")
                            .replace("{} || '%'", "CONCAT({}, '%')"),
                        vec![e],
                    ),
                    _ => c.template(t, vec![e]),
                };
                Ok(match name {
                    LookupName::Contains | LookupName::IContains => concat(self, "'%' || {} || '%'", escaped),
                    LookupName::StartsWith | LookupName::IStartsWith => concat(self, "{} || '%'", escaped),
                    LookupName::EndsWith | LookupName::IEndsWith => concat(self, "'%' || {}", escaped),
                    _ => escaped,
                })
            }
            _ => Err(DbError::TypeError(format!(
                "'{}' needs a single value",
                name.name()
            ))),
        }
    }

    fn lookup(&mut self, q: &Query, l: &super::where_::Lookup) -> Result<Cond> {
        if let LookupRhs::Expr(SqlExpr::Param(v)) = &l.rhs {
            if l.lhs_type.is_integer() {
                match super::lookups::integer_overflow(self.vendor, l.lhs_type, l.name, v) {
                    Some(true) => return Ok(Cond::Full),
                    Some(false) => return Ok(Cond::Empty),
                    None => {}
                }
            }
        }
        let lhs = self.expr(q, &l.lhs)?;
        let pg = self.vendor == Vendor::Postgres;
        let like = |c: &Compiler, lhs: SExpr, rhs: SExpr, op: &str| -> SExpr {
            match c.vendor {
                Vendor::Sqlite => c.template(&format!("{{}} {op} {{}} ESCAPE '\\'"), vec![lhs, rhs]),
                _ => c.template(&format!("{{}} {op} {{}}"), vec![lhs, rhs]),
            }
        };
        let sql = match l.name {
            LookupName::IsNull => match l.rhs {
                LookupRhs::IsNull(true) => lhs.is_null(),
                _ => lhs.is_not_null(),
            },
            LookupName::In => match &l.rhs {
                LookupRhs::List(items) => {
                    let mut exprs = Vec::with_capacity(items.len());
                    for i in items {
                        // Django sends an integer outside the column's range as is, and
                        // it matches no row; left out here, so no backend refuses to bind
                        // it to the column's type (PostgreSQL's `int4` parameter).
                        if let SqlExpr::Param(v) = i {
                            let outside = l.lhs_type.is_integer()
                                && super::lookups::integer_overflow(
                                    self.vendor,
                                    l.lhs_type,
                                    LookupName::Exact,
                                    v,
                                )
                                .is_some();
                            if outside {
                                continue;
                            }
                        }
                        exprs.push(self.expr(q, i)?);
                    }
                    if exprs.is_empty() {
                        return Ok(Cond::Empty);
                    }
                    SExpr::Binary(Box::new(lhs), BinOper::In, Box::new(SExpr::Tuple(exprs)))
                }
                LookupRhs::Query(inner) | LookupRhs::Expr(SqlExpr::Subquery(inner)) => {
                    let mut inner = (**inner).clone();
                    super::subqueries::select_pk(&mut inner);
                    if !inner.is_sliced() {
                        inner.default_ordering = false;
                        inner.order_by.clear();
                    }
                    match self.nested_select(q, &inner, SelectMode::Rows)? {
                        Some(stmt) => lhs.in_subquery(stmt),
                        None => return Ok(Cond::Empty),
                    }
                }
                LookupRhs::Expr(e) => {
                    let r = self.expr(q, e)?;
                    self.template("{} IN ({})", vec![lhs, r])
                }
                _ => return Err(DbError::TypeError("'in' needs a list or a subquery".to_owned())),
            },
            LookupName::Range => match &l.rhs {
                LookupRhs::Range(a, b) => {
                    let (a, b) = (self.expr(q, a)?, self.expr(q, b)?);
                    lhs.between(a, b)
                }
                _ => return Err(DbError::TypeError("'range' needs two values".to_owned())),
            },
            LookupName::Exact | LookupName::Gt | LookupName::Gte | LookupName::Lt | LookupName::Lte => {
                let rhs = match &l.rhs {
                    LookupRhs::Expr(e) => self.expr(q, e)?,
                    LookupRhs::Query(inner) => match self.nested_select(q, inner, SelectMode::Rows)? {
                        Some(stmt) => {
                            self.template("({})", vec![SExpr::SubQuery(None, Box::new(stmt.into()))])
                        }
                        None => return Ok(Cond::Empty),
                    },
                    _ => {
                        return Err(DbError::TypeError(format!(
                            "'{}' needs a single value",
                            l.name.name()
                        )))
                    }
                };
                let custom = |e: &SExpr| matches!(e, SExpr::Custom(_) | SExpr::CustomWithExpr(..));
                if custom(&lhs) || custom(&rhs) {
                    // sea-query parenthesises custom operands (`(COUNT(..)) > $1`); Django
                    // writes `COUNT(..) > %s`.
                    let op = match l.name {
                        LookupName::Exact => "=",
                        LookupName::Gt => ">",
                        LookupName::Gte => ">=",
                        LookupName::Lt => "<",
                        _ => "<=",
                    };
                    self.template(&format!("{{}} {op} {{}}"), vec![lhs, rhs])
                } else {
                    match l.name {
                        LookupName::Exact => lhs.eq(rhs),
                        LookupName::Gt => lhs.gt(rhs),
                        LookupName::Gte => lhs.gte(rhs),
                        LookupName::Lt => lhs.lt(rhs),
                        _ => lhs.lte(rhs),
                    }
                }
            }
            LookupName::Regex | LookupName::IRegex => {
                let rhs = match &l.rhs {
                    LookupRhs::Expr(e) => self.expr(q, e)?,
                    _ => return Err(DbError::TypeError("'regex' needs a single value".to_owned())),
                };
                let ci = l.name == LookupName::IRegex;
                match self.vendor {
                    Vendor::Sqlite if ci => self.template("{} REGEXP '(?i)' || {}", vec![lhs, rhs]),
                    Vendor::Sqlite => self.template("{} REGEXP {}", vec![lhs, rhs]),
                    Vendor::Postgres if ci => self.template("({})::text ~* {}", vec![lhs, rhs]),
                    Vendor::Postgres => self.template("({})::text ~ {}", vec![lhs, rhs]),
                    // Django's `regex_lookup`: MariaDB has no REGEXP_LIKE; MySQL 8 refuses
                    // `REGEXP BINARY` on non-binary strings.
                    Vendor::MySql if self.mysql_is_mariadb && ci => {
                        self.template("{} REGEXP {}", vec![lhs, rhs])
                    }
                    Vendor::MySql if self.mysql_is_mariadb => {
                        self.template("{} REGEXP BINARY {}", vec![lhs, rhs])
                    }
                    Vendor::MySql if ci => self.template("REGEXP_LIKE({}, {}, 'i')", vec![lhs, rhs]),
                    Vendor::MySql => self.template("REGEXP_LIKE({}, {}, 'c')", vec![lhs, rhs]),
                }
            }
            name => {
                // The LIKE family.
                let rhs = self.pattern(name, &l.rhs, q)?;
                let insensitive = matches!(
                    name,
                    LookupName::IExact
                        | LookupName::IContains
                        | LookupName::IStartsWith
                        | LookupName::IEndsWith
                );
                if pg {
                    let lhs = if is_text_type(l.lhs_type) && !matches!(l.lhs, SqlExpr::Transform(..)) {
                        self.template("{}::text", vec![lhs])
                    } else {
                        self.template("({})::text", vec![lhs])
                    };
                    match (name, insensitive) {
                        (LookupName::IExact, _) => self.template("UPPER({}) = UPPER({})", vec![lhs, rhs]),
                        (_, true) => self.template("UPPER({}) LIKE UPPER({})", vec![lhs, rhs]),
                        _ => self.template("{} LIKE {}", vec![lhs, rhs]),
                    }
                } else if self.vendor == Vendor::MySql && !insensitive {
                    like(self, lhs, rhs, "LIKE BINARY")
                } else {
                    like(self, lhs, rhs, "LIKE")
                }
            }
        };
        Ok(Cond::Sql(sql))
    }

    /// Resolves the ordering of `q` into rendered terms (adding joins to `q`), with the
    /// ordering expressions that are not references to selected annotations (they join
    /// the GROUP BY), and whether the ordering is the model's `Meta.ordering`.
    #[allow(clippy::type_complexity)]
    fn ordering(
        &mut self,
        q: &mut Query,
    ) -> Result<(Vec<(SExpr, bool, Option<NullOrdering>)>, Vec<SqlExpr>, bool)> {
        let (terms, plain, meta) = self.resolve_ordering(q)?;
        let mut out = Vec::with_capacity(terms.len());
        for (e, desc, nulls) in terms {
            out.push((self.order_expr(q, e.as_ref())?, desc, nulls));
        }
        Ok((out, plain, meta))
    }

    /// One resolved ordering term rendered (`None`: Django's `"?"`).
    pub(crate) fn order_expr(&mut self, q: &Query, e: Option<&SqlExpr>) -> Result<SExpr> {
        Ok(match e {
            Some(e) => self.expr(q, e)?,
            None if self.vendor == Vendor::MySql => SExpr::cust("RAND()"),
            None => SExpr::cust("RANDOM()"),
        })
    }

    /// The ordering of `q` resolved (adding joins to `q`) but not rendered: each term's
    /// expression (`None` for random), direction and NULLs placement; the expressions
    /// that join the GROUP BY; whether it is the model's `Meta.ordering`.
    #[allow(clippy::type_complexity)]
    pub(crate) fn resolve_ordering(
        &mut self,
        q: &mut Query,
    ) -> Result<(
        Vec<(Option<SqlExpr>, bool, Option<NullOrdering>)>,
        Vec<SqlExpr>,
        bool,
    )> {
        let mut meta_ordering = false;
        let terms: Vec<OrderTerm> = if !q.order_by.is_empty() {
            q.order_by.clone()
        } else if q.default_ordering {
            meta_ordering = !q.model.ordering.is_empty();
            q.model.ordering.iter().map(|s| order_term_from_str(s)).collect()
        } else {
            Vec::new()
        };
        // Django drops Meta.ordering from GROUP BY queries.
        if meta_ordering && q.group_by.is_some() {
            return Ok((Vec::new(), Vec::new(), true));
        }
        let mut out = Vec::new();
        let mut plain = Vec::new();
        for t in &terms {
            match t {
                OrderTerm::Random => out.push((None, false, None)),
                OrderTerm::Expr(o) => {
                    let mut resolved = Vec::new();
                    match &o.expr {
                        super::expressions::Expression::F(path) if q.annotation(path).is_some() => {
                            if let Some(a) = q.annotation(path) {
                                if a.select {
                                    resolved.push((
                                        SqlExpr::Ref(a.name.clone(), a.expr.output_field()),
                                        o.descending,
                                    ));
                                } else {
                                    plain.push(a.expr.clone());
                                    resolved.push((a.expr.clone(), o.descending));
                                }
                            }
                        }
                        super::expressions::Expression::F(path)
                            if q.select
                                .as_ref()
                                .is_some_and(|s| s.iter().any(|c| c.name == *path)) =>
                        {
                            // A name selected by values() orders by the selected column.
                            if let Some(c) =
                                q.select.as_ref().and_then(|s| s.iter().find(|c| c.name == *path))
                            {
                                plain.push(c.expr.clone());
                                resolved.push((c.expr.clone(), o.descending));
                            }
                        }
                        super::expressions::Expression::F(path) => {
                            find_ordering_name(q, path, o.descending, 0, &mut resolved)?;
                            plain.extend(resolved.iter().map(|(e, _)| e.clone()));
                        }
                        e => {
                            let r = q.resolve_expression(e, None)?;
                            plain.push(r.clone());
                            resolved.push((r, o.descending));
                        }
                    }
                    for (expr, desc) in resolved {
                        let desc = desc == q.standard_ordering;
                        let (nf, nl) = if q.standard_ordering {
                            (o.nulls_first, o.nulls_last)
                        } else {
                            (o.nulls_last, o.nulls_first)
                        };
                        let nulls = if nf {
                            Some(NullOrdering::First)
                        } else if nl {
                            Some(NullOrdering::Last)
                        } else {
                            None
                        };
                        out.push((Some(expr), desc, nulls));
                    }
                }
            }
        }
        Ok((out, plain, meta_ordering))
    }

    /// Builds the `SELECT` of `inner`, a query nested in `outer` (its outer references
    /// resolve to `outer`'s aliases as they are now).
    pub(crate) fn nested_select(
        &mut self,
        outer: &Query,
        inner: &Query,
        mode: SelectMode,
    ) -> Result<Option<SelectStatement>> {
        self.scopes
            .push(outer.joins.iter().map(|j| j.alias.to_string()).collect());
        let aliases = std::mem::take(&mut self.with_col_aliases);
        let out = self.select(inner, mode);
        self.with_col_aliases = aliases;
        self.scopes.pop();
        out
    }

    /// Builds the `SELECT` for `q`; `None` when the query can match nothing.
    pub(crate) fn select(&mut self, q: &Query, mode: SelectMode) -> Result<Option<SelectStatement>> {
        if q.combinator.is_some() {
            return super::combinators::compile(self, q, mode);
        }
        if q.where_.contains_over_clause() {
            // A filter against a window: Django's `get_qualify_sql`.
            return super::qualify::compile(self, q, mode);
        }
        let col_aliases = std::mem::take(&mut self.with_col_aliases);
        let mut q = q.clone();
        let (order, order_exprs, meta_ordering) = match mode {
            SelectMode::Rows => self.ordering(&mut q)?,
            _ => (Vec::new(), Vec::new(), false),
        };
        let mut distinct_cols = Vec::new();
        for name in q.distinct_fields.clone() {
            if let (SqlExpr::Col { alias, column, .. }, _) = q.resolve_ref(&name, None)? {
                distinct_cols.push((Alias::new(q.joins[alias].alias.clone()), Alias::new(column)));
            }
        }
        let (where_part, having_part) = q.where_.split_having(false);
        let cond = match &where_part {
            Some(w) => self.where_node(&q, w)?,
            None => Cond::Full,
        };
        if matches!(cond, Cond::Empty) {
            return Ok(None);
        }
        let having = match &having_part {
            Some(h) => match self.where_node(&q, h)? {
                Cond::Empty => return Ok(None),
                Cond::Full => None,
                Cond::Sql(s) => Some(s),
            },
            None => None,
        };
        let mut stmt = SQuery::select();
        let mut selected: Vec<SExpr> = Vec::new();
        let mut entries: Vec<super::render::SelectEntry> = Vec::new();
        let mut related_entries: Vec<super::render::SelectEntry> = Vec::new();
        match mode {
            SelectMode::Count => {
                stmt.expr_as(SExpr::cust("COUNT(*)"), Alias::new("__count"));
            }
            SelectMode::Exists => {
                stmt.expr_as(SExpr::cust("1"), Alias::new("a"));
            }
            SelectMode::Rows => {
                let mut col_names: Vec<String> = Vec::new();
                match &q.select {
                    Some(cols) => {
                        for c in cols {
                            entries.push((c.expr.clone(), None));
                            col_names.push(c.name.clone());
                        }
                    }
                    None => {
                        let fields: Vec<_> = match &q.loaded_fields {
                            Some(fields) => fields.clone(),
                            None => q.model.concrete_fields().collect(),
                        };
                        for (i, f) in fields.into_iter().enumerate() {
                            entries.push((q.model_col(q.model, 0, f), None));
                            col_names.push(format!("col{}", i + 1));
                        }
                    }
                }
                for a in q.annotations.iter().filter(|a| a.select) {
                    entries.push((a.expr.clone(), Some(a.name.clone())));
                }
                for (i, (e, alias)) in entries.iter().enumerate() {
                    let e = self.expr(&q, e)?;
                    selected.push(e.clone());
                    match alias {
                        Some(a) => stmt.expr_as(e, Alias::new(a.clone())),
                        None if col_aliases => stmt.expr_as(e, Alias::new(col_names[i].clone())),
                        None => stmt.expr(e),
                    };
                }
                // select_related columns and the prefetch column (query/related.rs);
                // grouped like the rest of the select list (Django's `get_group_by`
                // walks the whole select, related klass columns included).
                for e in super::related::extra_columns(&mut q)? {
                    related_entries.push((e.clone(), None));
                    let e = self.expr(&q, &e)?;
                    selected.push(e.clone());
                    stmt.expr(e);
                }
            }
        }
        if q.distinct && mode == SelectMode::Rows {
            // DISTINCT needs the ordering columns in the select list (Django's extra select);
            // a term naming a selected annotation (`ORDER BY "datefield"`) is in it already.
            let selected_names: Vec<SExpr> = entries
                .iter()
                .filter_map(|(_, alias)| alias.as_ref().map(|a| SExpr::col(Alias::new(a.clone()))))
                .collect();
            for (e, _, _) in &order {
                if !selected.contains(e) && !selected_names.contains(e) {
                    stmt.expr(e.clone());
                }
            }
        }
        let group_by = if mode == SelectMode::Count {
            Vec::new()
        } else {
            entries.extend(related_entries);
            self.group_by(&q, &entries, &order_exprs, having_part.as_ref(), meta_ordering)?
        };
        self.add_from_and_joins(&q, &mut stmt);
        if let Cond::Sql(w) = cond {
            stmt.and_where(w);
        }
        let group_by_empty = group_by.is_empty();
        if !group_by_empty {
            stmt.add_group_by(group_by);
        }
        if let Some(h) = having {
            stmt.and_having(h);
        }
        if !q.distinct_fields.is_empty() && mode != SelectMode::Count {
            if !self.vendor.features().can_distinct_on_fields {
                return Err(DbError::NotSupportedError(
                    "DISTINCT ON fields is not supported by this database backend.".into(),
                ));
            }
            stmt.distinct_on(distinct_cols);
        } else if q.distinct && mode != SelectMode::Count {
            stmt.distinct();
        }
        if order.is_empty() && !group_by_empty && !meta_ordering && self.vendor == Vendor::MySql {
            // Django's `force_no_ordering` on MySQL: `ORDER BY NULL` keeps MySQL/MariaDB
            // from sorting the groups (sea-query writes it `NULL ASC`).
            stmt.order_by_expr(SExpr::cust("NULL"), Order::Asc);
        }
        for (e, desc, nulls) in order {
            let ord = if desc { Order::Desc } else { Order::Asc };
            match nulls {
                Some(n) => stmt.order_by_expr_with_nulls(e, ord, n),
                None => stmt.order_by_expr(e, ord),
            };
        }
        if mode == SelectMode::Exists {
            // Django's `Query.exists()`: `set_limits(high=1)` over any slice.
            q.set_limits(None, Some(1));
            self.limits(&q, &mut stmt);
        } else if mode == SelectMode::Rows {
            self.limits(&q, &mut stmt);
        }
        if let Some(lock) = &q.lock {
            self.lock(&q, lock, &mut stmt)?;
        }
        Ok(Some(stmt))
    }

    pub(crate) fn limits(&self, q: &Query, stmt: &mut SelectStatement) {
        match q.high_mark {
            Some(h) => {
                stmt.limit(h - q.low_mark);
            }
            None if q.low_mark > 0 && self.vendor != Vendor::Postgres => {
                stmt.limit(i64::MAX as u64);
            }
            None => {}
        }
        if q.low_mark > 0 {
            stmt.offset(q.low_mark);
        }
    }

    fn lock(&self, q: &Query, lock: &super::query::LockSpec, stmt: &mut SelectStatement) -> Result<()> {
        let features = self.features;
        if !features.has_select_for_update {
            return Ok(());
        }
        let unsupported = |what: &str| {
            DbError::NotSupportedError(format!("{what} is not supported on this database backend."))
        };
        if lock.nowait && !features.has_select_for_update_nowait {
            return Err(unsupported("NOWAIT"));
        }
        if lock.skip_locked && !features.has_select_for_update_skip_locked {
            return Err(unsupported("SKIP LOCKED"));
        }
        if !lock.of.is_empty() && !features.has_select_for_update_of {
            return Err(unsupported("FOR UPDATE OF"));
        }
        if lock.no_key && !features.has_select_for_no_key_update {
            return Err(unsupported("FOR NO KEY UPDATE"));
        }
        let ty = if lock.no_key {
            LockType::NoKeyUpdate
        } else {
            LockType::Update
        };
        let tables: Vec<Alias> = if lock.of.is_empty() {
            Vec::new()
        } else {
            super::related::lock_of_aliases(q, &lock.of)?
                .into_iter()
                .map(Alias::new)
                .collect()
        };
        let behavior = if lock.nowait {
            Some(LockBehavior::Nowait)
        } else if lock.skip_locked {
            Some(LockBehavior::SkipLocked)
        } else {
            None
        };
        match (tables.is_empty(), behavior) {
            (true, None) => stmt.lock(ty),
            (true, Some(b)) => stmt.lock_with_behavior(ty, b),
            (false, None) => stmt.lock_with_tables(ty, tables),
            (false, Some(b)) => stmt.lock_with_tables_behavior(ty, tables, b),
        };
        Ok(())
    }

    fn add_from_and_joins(&self, q: &Query, stmt: &mut SelectStatement) {
        let mut from_done = false;
        for j in q.joins.iter() {
            if j.refcount == 0 {
                continue;
            }
            if !from_done || j.join_type == JoinType::Base {
                if j.alias == j.table {
                    stmt.from(Alias::new(j.table.clone()));
                } else {
                    stmt.from_as(Alias::new(j.table.clone()), Alias::new(j.alias.clone()));
                }
                from_done = true;
                continue;
            }
            let parent = &q.joins[j.parent];
            let mut on = col(&parent.alias, j.from_col)
                .equals((Alias::new(j.alias.clone()), Alias::new(j.to_col.clone())));
            if let Some(x) = &j.extra {
                // AND <generic side>.content_type_id IN (SELECT id FROM django_content_type
                // WHERE app_label = %s AND model = %s): the id of the owner's content type.
                let side = if x.on_child { &j.alias } else { &parent.alias };
                let ct = crate::contrib::contenttypes::ContentType::meta_static();
                let mut sub = SQuery::select();
                sub.column(Alias::new(ct.pk().column))
                    .from(Alias::new(ct.db_table))
                    .and_where(SExpr::col(Alias::new("app_label")).eq(x.app_label))
                    .and_where(SExpr::col(Alias::new("model")).eq(x.model));
                on = on.and(col(side, x.column).in_subquery(sub));
            }
            let kind = if j.join_type == JoinType::LeftOuter {
                SJoin::LeftJoin
            } else {
                SJoin::InnerJoin
            };
            if j.alias == j.table {
                stmt.join(kind, Alias::new(j.table.clone()), on);
            } else {
                stmt.join_as(kind, Alias::new(j.table.clone()), Alias::new(j.alias.clone()), on);
            }
        }
    }

    /// The `WHERE` of `q` alone (for UPDATE and DELETE); `None` for "matches nothing".
    pub(crate) fn where_only(&mut self, q: &Query) -> Result<Option<Option<SExpr>>> {
        Ok(match self.where_node(q, &q.where_)? {
            Cond::Empty => None,
            Cond::Full => Some(None),
            Cond::Sql(s) => Some(Some(s)),
        })
    }
}

/// Django's `get_order_dir` for a string term.
pub(crate) fn order_term_from_str(s: &str) -> OrderTerm {
    use super::expressions::{Expression, OrderBy};
    if s == "?" {
        return OrderTerm::Random;
    }
    let (name, desc) = match s.strip_prefix('-') {
        Some(rest) => (rest, true),
        None => (s.strip_prefix('+').unwrap_or(s), false),
    };
    OrderTerm::Expr(OrderBy {
        expr: Expression::F(name.to_owned()),
        descending: desc,
        nulls_first: false,
        nulls_last: false,
    })
}

/// Django's `find_ordering_name`: a relation orders by the related model's ordering.
fn find_ordering_name(
    q: &mut Query,
    path: &str,
    descending: bool,
    depth: usize,
    out: &mut Vec<(SqlExpr, bool)>,
) -> Result<()> {
    let names: Vec<&str> = path.split("__").collect();
    let info = q.setup_joins(&names, None)?;
    if let FinalField::Relation { .. } = info.final_field {
        let last_name = names.last().copied().unwrap_or("");
        let opts = info.path.last().and_then(|p| p.to_meta);
        let is_attname = names::names_to_path(&names[..names.len().saturating_sub(1)], q.model, true)
            .ok()
            .and_then(|r| r.opts.field(last_name))
            .is_some_and(|f| f.attname == last_name && f.attname != f.name);
        if let Some(opts) = opts {
            if !opts.ordering.is_empty()
                && !is_attname
                && path != "pk"
                && info.transforms.is_empty()
                && depth < 8
            {
                for item in opts.ordering {
                    let (sub, sub_desc) = match item.strip_prefix('-') {
                        Some(r) => (r, true),
                        None => (*item, false),
                    };
                    let full = format!("{path}__{sub}");
                    find_ordering_name(q, &full, descending != sub_desc, depth + 1, out)?;
                }
                return Ok(());
            }
        }
    }
    let (alias, column, field, _) = q.trim_joins(&info);
    let mut expr = SqlExpr::Col { alias, column, field };
    let mut kind = match info.final_field {
        FinalField::Field(f) => super::lookups::LhsKind::Field(f.field_type),
        FinalField::Relation { class_name } => super::lookups::LhsKind::Relation(class_name),
    };
    for (i, t) in info.transforms.iter().enumerate() {
        let Some((next, next_kind, _)) = super::custom_lookups::transform_step(kind, t, expr)? else {
            return Err(kind.unsupported(&info.transforms, i));
        };
        expr = next;
        kind = next_kind;
    }
    out.push((expr, descending));
    Ok(())
}

/// Statements the compiler can render.
pub(crate) trait BuildAny {
    fn build_for(&self, vendor: Vendor) -> (String, sea_query::Values);
}

macro_rules! build_any {
    ($($t:ty),*) => {$(
        impl BuildAny for $t {
            fn build_for(&self, vendor: Vendor) -> (String, sea_query::Values) {
                match vendor {
                    Vendor::Sqlite => self.build(sea_query::SqliteQueryBuilder),
                    Vendor::Postgres => self.build(sea_query::PostgresQueryBuilder),
                    Vendor::MySql => self.build(sea_query::MysqlQueryBuilder),
                }
            }
        }
    )*};
}
build_any!(
    SelectStatement,
    sea_query::UpdateStatement,
    sea_query::DeleteStatement,
    sea_query::InsertStatement
);
