//! Django's `django.contrib.postgres.search`: `SearchVector`, `SearchQuery`,
//! `SearchRank`, `SearchHeadline`, `SearchConfig`, the `search` lookup on text fields and
//! the `exact` lookup on `SearchVectorField` (`@@`).
//!
//! Every searched text, configuration, weight and headline option is a bound
//! parameter; the SQL around them is Django's.
//!
//! ```
//! use nuages_db::contrib::postgres::search::{SearchQuery, SearchRank, SearchType, SearchVector};
//! use nuages_db::query::{DynQuerySet, Expression};
//! use nuages_db::{Field, FieldType, ModelMeta, Vendor};
//! static FIELDS: [Field; 3] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field::new("title", FieldType::CharField).max_length(100),
//!     Field::new("body", FieldType::TextField),
//! ];
//! static POST: ModelMeta = ModelMeta::new("blog", "Post", "post", "blog_post", &FIELDS);
//! let vector = SearchVector::new(["title"]).weight("A") + SearchVector::new(["body"]).weight("B");
//! let query = SearchQuery::new("rust") & !SearchQuery::new("async web").search_type(SearchType::Phrase);
//! let qs = DynQuerySet::new(&POST)
//!     .annotate([("rank", Expression::from(SearchRank::new(vector, query)))])
//!     .filter_str("title__search", "rust")
//!     .order_by(["-rank"]);
//! let sql = qs.sql(Vendor::Postgres).unwrap().unwrap().sql;
//! assert!(sql.contains(r#"setweight(to_tsvector(COALESCE("blog_post"."title", $1)), $2)"#));
//! assert!(sql.contains("(plainto_tsquery($5) && !!(phraseto_tsquery($6)))"));
//! assert!(sql.contains(r#"to_tsvector(COALESCE("blog_post"."title", $7)) @@ plainto_tsquery($8)"#));
//! ```

use std::ops::{Add, BitAnd, BitOr, Not};

use sea_query::SimpleExpr as SExpr;

use crate::error::Result;
use crate::models::meta::FieldType;
use crate::query::annotate::ResolvedFunc;
use crate::query::compiler::Compiler;
use crate::query::func::FuncKind;
use crate::query::lookups::is_text_type;
use crate::query::where_::SqlExpr;
use crate::query::{Expression, Func, OutputField, Query, F};
use crate::value::Value;

use super::PgKind;

pub(crate) fn pg_func(
    name: &'static str,
    function: &'static str,
    args: Vec<Expression>,
    output: FieldType,
) -> Func {
    let mut f = Func::new(function, args)
        .named(name)
        .output_field(OutputField::new(output));
    f.kind = FuncKind::Postgres(PgKind::Template);
    f
}

/// An argument naming a field (`"title"`) or any expression.
#[derive(Debug, Clone)]
pub struct FieldArg(Expression);

impl From<&str> for FieldArg {
    fn from(s: &str) -> FieldArg {
        FieldArg(Expression::F(s.to_owned()))
    }
}

impl From<String> for FieldArg {
    fn from(s: String) -> FieldArg {
        FieldArg(Expression::F(s))
    }
}

impl From<F> for FieldArg {
    fn from(f: F) -> FieldArg {
        FieldArg(f.into())
    }
}

impl From<Expression> for FieldArg {
    fn from(e: Expression) -> FieldArg {
        FieldArg(e)
    }
}

impl From<Func> for FieldArg {
    fn from(f: Func) -> FieldArg {
        FieldArg(f.into())
    }
}

/// Django's `SearchConfig`: a text search configuration (`'english'`), rendered as
/// `$1::regconfig`, or a column holding one (`F::new("language")`).
pub struct SearchConfig;

impl SearchConfig {
    /// `SearchConfig(config)`: a name (bound) or an expression.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(config: impl Into<Expression>) -> Func {
        pg_func("SearchConfig", "", vec![config.into()], FieldType::TextField).template("%(0)s::regconfig")
    }
}

/// `SearchVector(*expressions, config=None, weight=None)`: `to_tsvector` over the
/// expressions, each `COALESCE`d to `''`, optionally weighted with `setweight`.
#[derive(Debug, Clone)]
pub struct SearchVector {
    exprs: Vec<Expression>,
    config: Option<Expression>,
    weight: Option<Expression>,
}

impl SearchVector {
    /// The vector of `fields` (field paths or expressions).
    pub fn new<A: Into<FieldArg>>(fields: impl IntoIterator<Item = A>) -> SearchVector {
        SearchVector {
            exprs: fields.into_iter().map(|a| a.into().0).collect(),
            config: None,
            weight: None,
        }
    }

    /// `config=`: a configuration name (bound) or an expression.
    pub fn config(mut self, config: impl Into<Expression>) -> SearchVector {
        self.config = Some(config.into());
        self
    }

    /// `weight=`: `'A'`, `'B'`, `'C'` or `'D'` (bound), or an expression.
    pub fn weight(mut self, weight: impl Into<Expression>) -> SearchVector {
        self.weight = Some(weight.into());
        self
    }

    /// The function node.
    pub fn into_func(self) -> Func {
        let mut args = Vec::with_capacity(self.exprs.len() + 2);
        let config = self.config.is_some();
        let weight = self.weight.is_some();
        if let Some(c) = self.config {
            args.push(SearchConfig::new(c).into());
        }
        args.extend(self.exprs);
        args.extend(self.weight);
        let mut f = pg_func("SearchVector", "to_tsvector", args, FieldType::SearchVectorField);
        f.kind = FuncKind::Postgres(PgKind::SearchVector { config, weight });
        f
    }
}

impl From<SearchVector> for Expression {
    fn from(v: SearchVector) -> Expression {
        v.into_func().into()
    }
}

/// `vector1 + vector2`: Django's `CombinedSearchVector` (`(a || b)`).
#[derive(Debug, Clone)]
pub struct CombinedSearchVector(Func);

fn combine(name: &'static str, op: &str, a: Expression, b: Expression, out: FieldType) -> Func {
    pg_func(name, "", vec![a, b], out).template(format!("(%(0)s {op} %(1)s)"))
}

impl Add for SearchVector {
    type Output = CombinedSearchVector;
    fn add(self, rhs: SearchVector) -> CombinedSearchVector {
        CombinedSearchVector(combine(
            "CombinedSearchVector",
            "||",
            self.into(),
            rhs.into(),
            FieldType::SearchVectorField,
        ))
    }
}

impl Add<SearchVector> for CombinedSearchVector {
    type Output = CombinedSearchVector;
    fn add(self, rhs: SearchVector) -> CombinedSearchVector {
        CombinedSearchVector(combine(
            "CombinedSearchVector",
            "||",
            self.into(),
            rhs.into(),
            FieldType::SearchVectorField,
        ))
    }
}

impl From<CombinedSearchVector> for Expression {
    fn from(v: CombinedSearchVector) -> Expression {
        v.0.into()
    }
}

/// `SearchQuery(search_type=)`: how the searched text is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchType {
    /// `plainto_tsquery`: words, all required (Django's default).
    Plain,
    /// `phraseto_tsquery`: the words in this order.
    Phrase,
    /// `to_tsquery`: PostgreSQL's query syntax (`'rust & !java'`).
    Raw,
    /// `websearch_to_tsquery`: a search engine's syntax (`"exact phrase" -word or`).
    Websearch,
}

impl SearchType {
    /// Django's `search_type` string (`"plain"`, `"phrase"`, `"raw"`, `"websearch"`);
    /// anything else is Django's `ValueError`.
    pub fn parse(s: &str) -> Result<SearchType> {
        Ok(match s {
            "plain" => SearchType::Plain,
            "phrase" => SearchType::Phrase,
            "raw" => SearchType::Raw,
            "websearch" => SearchType::Websearch,
            other => {
                return Err(crate::DbError::ValueError(format!(
                    "Unknown search_type argument '{other}'."
                )))
            }
        })
    }

    fn function(self) -> &'static str {
        match self {
            SearchType::Plain => "plainto_tsquery",
            SearchType::Phrase => "phraseto_tsquery",
            SearchType::Raw => "to_tsquery",
            SearchType::Websearch => "websearch_to_tsquery",
        }
    }
}

/// `SearchQuery(value, config=None, invert=False, search_type="plain")`. Combine with
/// `&`, `|`, and negate with `!` (Django's `~`).
#[derive(Debug, Clone)]
pub struct SearchQuery {
    value: Expression,
    config: Option<Expression>,
    invert: bool,
    search_type: SearchType,
}

impl SearchQuery {
    /// A query for `value` (the searched text, bound; or an expression).
    pub fn new(value: impl Into<Expression>) -> SearchQuery {
        SearchQuery {
            value: value.into(),
            config: None,
            invert: false,
            search_type: SearchType::Plain,
        }
    }

    /// `config=`: a configuration name (bound) or an expression.
    pub fn config(mut self, config: impl Into<Expression>) -> SearchQuery {
        self.config = Some(config.into());
        self
    }

    /// `search_type=`.
    pub fn search_type(mut self, t: SearchType) -> SearchQuery {
        self.search_type = t;
        self
    }

    /// The function node.
    pub fn into_func(self) -> Func {
        let mut args = Vec::with_capacity(2);
        if let Some(c) = self.config {
            args.push(SearchConfig::new(c).into());
        }
        args.push(self.value);
        let f = pg_func(
            "SearchQuery",
            self.search_type.function(),
            args,
            FieldType::SearchQueryField,
        );
        if self.invert {
            f.template("!!(%(function)s(%(expressions)s))")
        } else {
            f
        }
    }
}

impl Not for SearchQuery {
    type Output = SearchQuery;
    fn not(mut self) -> SearchQuery {
        self.invert = !self.invert;
        self
    }
}

impl From<SearchQuery> for Expression {
    fn from(q: SearchQuery) -> Expression {
        q.into_func().into()
    }
}

/// `query1 & query2`, `query1 | query2`: Django's `CombinedSearchQuery`.
#[derive(Debug, Clone)]
pub struct CombinedSearchQuery(Func);

impl From<CombinedSearchQuery> for Expression {
    fn from(q: CombinedSearchQuery) -> Expression {
        q.0.into()
    }
}

macro_rules! query_ops {
    ($($lhs:ty, $rhs:ty;)*) => {$(
        impl BitAnd<$rhs> for $lhs {
            type Output = CombinedSearchQuery;
            fn bitand(self, rhs: $rhs) -> CombinedSearchQuery {
                CombinedSearchQuery(combine("CombinedSearchQuery", "&&", self.into(), rhs.into(), FieldType::SearchQueryField))
            }
        }
        impl BitOr<$rhs> for $lhs {
            type Output = CombinedSearchQuery;
            fn bitor(self, rhs: $rhs) -> CombinedSearchQuery {
                CombinedSearchQuery(combine("CombinedSearchQuery", "||", self.into(), rhs.into(), FieldType::SearchQueryField))
            }
        }
    )*};
}
query_ops!(
    SearchQuery, SearchQuery;
    SearchQuery, CombinedSearchQuery;
    CombinedSearchQuery, SearchQuery;
    CombinedSearchQuery, CombinedSearchQuery;
);

/// A vector argument: a field path becomes `SearchVector(field)` (as in Django), a
/// stored `SearchVectorField` is named with `F`.
#[derive(Debug, Clone)]
pub struct VectorArg(Expression);

impl From<&str> for VectorArg {
    fn from(s: &str) -> VectorArg {
        VectorArg(SearchVector::new([s]).into())
    }
}
/// `From` conversions of expression types into an argument wrapper.
macro_rules! arg_from_expressions {
    ($arg:ident: $($t:ty),*) => {$(
        impl From<$t> for $arg {
            fn from(e: $t) -> $arg {
                $arg(e.into())
            }
        }
    )*};
}
arg_from_expressions!(VectorArg: F, SearchVector, CombinedSearchVector, Expression);

/// A query argument: text becomes `SearchQuery(text)`, as in Django.
#[derive(Debug, Clone)]
pub struct QueryArg(Expression);

impl From<&str> for QueryArg {
    fn from(s: &str) -> QueryArg {
        QueryArg(SearchQuery::new(s).into())
    }
}
impl From<String> for QueryArg {
    fn from(s: String) -> QueryArg {
        QueryArg(SearchQuery::new(s).into())
    }
}
arg_from_expressions!(QueryArg: SearchQuery, CombinedSearchQuery, Expression);

/// `SearchRank(vector, query, weights=None, normalization=None, cover_density=False)`:
/// `ts_rank` (or `ts_rank_cd`), a float.
#[derive(Debug, Clone)]
pub struct SearchRank {
    vector: Expression,
    query: Expression,
    weights: Option<[f64; 4]>,
    normalization: Option<Expression>,
    cover_density: bool,
}

impl SearchRank {
    /// The rank of `vector` against `query`.
    pub fn new(vector: impl Into<VectorArg>, query: impl Into<QueryArg>) -> SearchRank {
        SearchRank {
            vector: vector.into().0,
            query: query.into().0,
            weights: None,
            normalization: None,
            cover_density: false,
        }
    }

    /// `weights=[D, C, B, A]`: the weight of each label (bound as a `real[]`).
    pub fn weights(mut self, weights: [f64; 4]) -> SearchRank {
        self.weights = Some(weights);
        self
    }

    /// `normalization=`: PostgreSQL's rank normalization bit mask (bound).
    pub fn normalization(mut self, n: impl Into<Expression>) -> SearchRank {
        self.normalization = Some(n.into());
        self
    }

    /// `cover_density=True`: `ts_rank_cd`.
    pub fn cover_density(mut self) -> SearchRank {
        self.cover_density = true;
        self
    }

    /// The function node.
    pub fn into_func(self) -> Func {
        let mut args = Vec::with_capacity(4);
        if let Some(w) = self.weights {
            let list: serde_json::Value = w.iter().map(|x| serde_json::Value::from(*x)).collect();
            let cast = pg_func(
                "Cast",
                "",
                vec![Expression::Value(Value::json(list))],
                FieldType::ArrayField,
            )
            .template("(%(0)s)::real[]");
            args.push(cast.into());
        }
        args.push(self.vector);
        args.push(self.query);
        args.extend(self.normalization);
        let function = if self.cover_density {
            "ts_rank_cd"
        } else {
            "ts_rank"
        };
        pg_func("SearchRank", function, args, FieldType::FloatField)
    }
}

impl From<SearchRank> for Expression {
    fn from(r: SearchRank) -> Expression {
        r.into_func().into()
    }
}

/// One `ts_headline` option value.
#[derive(Debug, Clone)]
enum Opt {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// `SearchHeadline(expression, query, config=None, start_sel=None, ...)`:
/// `ts_headline`, the text with the matches highlighted.
#[derive(Debug, Clone)]
pub struct SearchHeadline {
    expr: Expression,
    query: Expression,
    config: Option<Expression>,
    options: Vec<(&'static str, Opt)>,
}

impl SearchHeadline {
    /// The headline of `expression` (a field path or expression) for `query`.
    pub fn new(expression: impl Into<FieldArg>, query: impl Into<QueryArg>) -> SearchHeadline {
        SearchHeadline {
            expr: expression.into().0,
            query: query.into().0,
            config: None,
            options: Vec::new(),
        }
    }

    fn opt(mut self, key: &'static str, v: Opt) -> SearchHeadline {
        self.options.retain(|(k, _)| *k != key);
        self.options.push((key, v));
        self
    }

    /// `config=`.
    pub fn config(mut self, config: impl Into<Expression>) -> SearchHeadline {
        self.config = Some(config.into());
        self
    }
    /// `start_sel=` (PostgreSQL's `StartSel`, `<b>` by default).
    pub fn start_sel(self, s: impl Into<String>) -> SearchHeadline {
        self.opt("StartSel", Opt::Text(s.into()))
    }
    /// `stop_sel=` (`StopSel`).
    pub fn stop_sel(self, s: impl Into<String>) -> SearchHeadline {
        self.opt("StopSel", Opt::Text(s.into()))
    }
    /// `max_words=` (`MaxWords`).
    pub fn max_words(self, n: i64) -> SearchHeadline {
        self.opt("MaxWords", Opt::Int(n))
    }
    /// `min_words=` (`MinWords`).
    pub fn min_words(self, n: i64) -> SearchHeadline {
        self.opt("MinWords", Opt::Int(n))
    }
    /// `short_word=` (`ShortWord`).
    pub fn short_word(self, n: i64) -> SearchHeadline {
        self.opt("ShortWord", Opt::Int(n))
    }
    /// `highlight_all=` (`HighlightAll`).
    pub fn highlight_all(self, b: bool) -> SearchHeadline {
        self.opt("HighlightAll", Opt::Bool(b))
    }
    /// `max_fragments=` (`MaxFragments`).
    pub fn max_fragments(self, n: i64) -> SearchHeadline {
        self.opt("MaxFragments", Opt::Int(n))
    }
    /// `fragment_delimiter=` (`FragmentDelimiter`).
    pub fn fragment_delimiter(self, s: impl Into<String>) -> SearchHeadline {
        self.opt("FragmentDelimiter", Opt::Text(s.into()))
    }

    /// The options string Django composes (`StartSel='<b>', MaxWords=10`), bound as one
    /// parameter: quotes inside values are doubled, so a value cannot end its quotes.
    fn options_text(&self) -> Option<String> {
        if self.options.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .options
            .iter()
            .map(|(k, v)| match v {
                Opt::Text(s) => format!("{k}='{}'", s.replace('\'', "''")),
                Opt::Int(i) => format!("{k}={i}"),
                Opt::Bool(b) => format!("{k}={b}"),
            })
            .collect();
        Some(parts.join(", "))
    }

    /// The function node.
    pub fn into_func(self) -> Func {
        let options = self.options_text();
        let mut args = Vec::with_capacity(4);
        if let Some(c) = self.config {
            args.push(SearchConfig::new(c).into());
        }
        args.push(self.expr);
        args.push(self.query);
        args.extend(options.map(|o| Expression::Value(Value::Text(o))));
        pg_func("SearchHeadline", "ts_headline", args, FieldType::TextField)
    }
}

impl From<SearchHeadline> for Expression {
    fn from(h: SearchHeadline) -> Expression {
        h.into_func().into()
    }
}

/// Django's `SearchVector.as_sql`: `to_tsvector([config, ]COALESCE(expr, '') || ' ' ||
/// ...)`, non-text expressions cast to text, then `setweight(..., weight)`.
pub(crate) fn render_vector(
    c: &mut Compiler,
    q: &Query,
    f: &ResolvedFunc,
    config: bool,
    weight: bool,
) -> Result<SExpr> {
    let n = f.args.len();
    let start = usize::from(config);
    let end = n.saturating_sub(usize::from(weight)).max(start);
    let mut args = Vec::with_capacity(n);
    if config {
        args.push(c.expr(q, &f.args[0])?);
    }
    let mut parts = Vec::new();
    for a in &f.args[start..end] {
        let e = c.expr(q, a)?;
        let text = a.output_type().is_some_and(is_text_type);
        let e = if text {
            e
        } else {
            c.template("({})::text", vec![e])
        };
        let empty = c.bind(Value::Text(String::new()));
        args.push(c.template("COALESCE({}, {})", vec![e, empty]));
        parts.push("{}");
    }
    let body = parts.join(" || ' ' || ");
    let mut sql = if config {
        format!("to_tsvector({{}}, {body})")
    } else {
        format!("to_tsvector({body})")
    };
    if weight {
        args.push(c.expr(q, &f.args[n - 1])?);
        sql = format!("setweight({sql}, {{}})");
    }
    Ok(c.template(&sql, args))
}

/// A resolved function node built from already resolved arguments.
pub(crate) fn resolved(def: Func, args: Vec<SqlExpr>) -> SqlExpr {
    let output = match def.output {
        crate::query::Output::Field(o) => Some(o),
        _ => None,
    };
    let mut def = def;
    def.args = Vec::new();
    SqlExpr::Func(Box::new(ResolvedFunc {
        def,
        args,
        output,
        aggregate: None,
    }))
}

/// The resolved config argument of a resolved `SearchVector`/`SearchQuery`, if any.
fn config_of(e: &SqlExpr) -> Option<SqlExpr> {
    match e {
        SqlExpr::Func(f) if matches!(f.def.name(), "SearchVector" | "SearchQuery") => match f.args.first() {
            Some(first @ SqlExpr::Func(c)) if c.def.name() == "SearchConfig" => Some(first.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn is_query(e: &SqlExpr) -> bool {
    e.output_type() == Some(FieldType::SearchQueryField)
}

/// Django's `SearchLookup` (`title__search=...`) and `SearchVectorExact`
/// (`search_vector=...`): `vector @@ query`. A text left-hand side becomes
/// `SearchVector(lhs)` and a plain value `SearchQuery(value)`, sharing the other side's
/// config as Django does.
pub(crate) fn search_lookup(lhs: SqlExpr, rhs: SqlExpr, lookup: &'static str) -> SqlExpr {
    let rhs_config = if is_query(&rhs) { config_of(&rhs) } else { None };
    let lhs = if lhs.output_type() == Some(FieldType::SearchVectorField) {
        lhs
    } else {
        let mut args = Vec::new();
        let config = rhs_config.is_some();
        args.extend(rhs_config);
        args.push(lhs);
        let mut def = pg_func(
            "SearchVector",
            "to_tsvector",
            Vec::new(),
            FieldType::SearchVectorField,
        );
        def.kind = FuncKind::Postgres(PgKind::SearchVector {
            config,
            weight: false,
        });
        resolved(def, args)
    };
    let rhs = if is_query(&rhs) {
        rhs
    } else {
        let mut args = Vec::new();
        args.extend(config_of(&lhs));
        args.push(rhs);
        let def = pg_func(
            "SearchQuery",
            SearchType::Plain.function(),
            Vec::new(),
            FieldType::SearchQueryField,
        );
        resolved(def, args)
    };
    let def = pg_func(lookup, "", Vec::new(), FieldType::BooleanField).template("%(0)s @@ %(1)s");
    resolved(def, vec![lhs, rhs])
}
