//! Variables and filter expressions (`{{ a.b|f:"x"|g }}`): parsed once with Django's
//! `filter_re` rules, resolved with Django's lookup order (dict key, attribute, list index,
//! calling callables) and silent-failure rules.

use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use regex::Regex;

use crate::context::Context;
use crate::error::{Result, TemplateError};
use crate::library::{FilterArity, FilterSpec};
use crate::value::Value;

/// One dotted lookup step, with its integer form precomputed for list indexing and its
/// string form as a [`Value`] for an object's `__getitem__` (made once at parse time, not
/// on every lookup).
#[derive(Debug, Clone)]
pub(crate) struct Bit {
    pub(crate) name: Box<str>,
    pub(crate) index: Option<i64>,
    pub(crate) key: Value,
}

#[derive(Debug, Clone)]
enum VarKind {
    Literal(Value),
    Lookup(Box<[Bit]>),
}

/// Django's `Variable`: a literal (number, string) or a dotted lookup.
#[derive(Debug, Clone)]
pub struct Variable {
    var: Box<str>,
    kind: VarKind,
    translate: bool,
}

/// Python's `int(str)`: optional sign, digits with single underscores, surrounding whitespace.
pub(crate) fn parse_py_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    if !digits.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    let v: i64 = clean.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Python's `float(str)`.
pub(crate) fn parse_py_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    if matches!(body, "inf" | "infinity" | "nan") {
        let neg = lower.starts_with('-');
        let v = if body == "nan" { f64::NAN } else { f64::INFINITY };
        return Some(if neg { -v } else { v });
    }
    if t.is_empty() || t.contains("__") || t.starts_with('_') || t.ends_with('_') {
        return None;
    }
    let clean: String = t.chars().filter(|c| *c != '_').collect();
    if !clean.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
        return None;
    }
    if !clean.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    clean.parse().ok()
}

fn unescape_string_literal(s: &str) -> Option<String> {
    let first = s.chars().next()?;
    if (first != '"' && first != '\'') || s.len() < 2 || !s.ends_with(first) {
        return None;
    }
    let inner = &s[1..s.len() - 1];
    Some(
        inner
            .replace(&format!("\\{first}"), &first.to_string())
            .replace("\\\\", "\\"),
    )
}

impl Variable {
    /// Parses a variable as Django's `Variable.__init__` does.
    pub fn new(var: &str) -> Result<Variable> {
        let mut translate = false;
        let number = if var.contains('.') || var.to_lowercase().contains('e') {
            parse_py_float(var)
                .filter(|_| !var.ends_with('.'))
                .map(Value::Float)
        } else {
            parse_py_int(var).map(Value::Int)
        };
        if let Some(n) = number {
            return Ok(Variable {
                var: var.into(),
                kind: VarKind::Literal(n),
                translate,
            });
        }
        let mut inner = var;
        if var.starts_with("_(") && var.ends_with(')') && var.len() >= 3 {
            translate = true;
            inner = &var[2..var.len() - 1];
        }
        if let Some(lit) = unescape_string_literal(inner) {
            return Ok(Variable {
                var: var.into(),
                kind: VarKind::Literal(Value::safe(lit)),
                translate,
            });
        }
        if inner.contains("._") || inner.starts_with('_') {
            return Err(TemplateError::syntax(format!(
                "Variables and attributes may not begin with underscores: '{inner}'"
            )));
        }
        let bits: Vec<Bit> = inner
            .split('.')
            .map(|b| Bit {
                name: b.into(),
                index: parse_py_int(b),
                key: Value::str(b),
            })
            .collect();
        Ok(Variable {
            var: var.into(),
            kind: VarKind::Lookup(bits.into()),
            translate,
        })
    }

    /// The source text of the variable.
    pub fn as_str(&self) -> &str {
        &self.var
    }

    /// Whether this is a lookup (not a literal).
    pub fn is_lookup(&self) -> bool {
        matches!(self.kind, VarKind::Lookup(_))
    }

    /// Resolves against the context; a failed lookup is `VariableDoesNotExist`.
    pub fn resolve(&self, ctx: &mut Context) -> Result<Value> {
        match self.resolve_or_miss(ctx)? {
            Ok(v) => Ok(v),
            Err(miss) => Err(TemplateError::VariableDoesNotExist(miss.message(ctx))),
        }
    }

    /// Resolves, reporting a failed lookup without building its (costly) message.
    pub(crate) fn resolve_or_miss(&self, ctx: &mut Context) -> Result<std::result::Result<Value, Miss>> {
        let value = match &self.kind {
            VarKind::Literal(v) => v.clone(),
            VarKind::Lookup(bits) => match resolve_lookup(ctx, bits)? {
                Ok(v) => v,
                Err(miss) => return Ok(Err(miss)),
            },
        };
        if self.translate {
            // Django escapes `%` in the msgid and returns an untranslated lazy string (not safe).
            return Ok(Ok(Value::str(value.py_str().replace('%', "%%"))));
        }
        Ok(Ok(value))
    }
}

/// A failed lookup: the missing key and where it was looked for.
pub(crate) enum Miss {
    Context(Box<str>),
    In(Box<str>, Value),
}

impl Miss {
    fn message(&self, ctx: &Context) -> String {
        match self {
            Miss::Context(bit) => format!("Failed lookup for key [{bit}] in {}", ctx.repr()),
            Miss::In(bit, v) => format!("Failed lookup for key [{bit}] in {}", v.py_repr()),
        }
    }
}

fn lookup_step(current: &Value, bit: &Bit) -> Option<Value> {
    let item = match current {
        // `Value::get_key`, with the key's value made at parse time.
        Value::Object(o) => o.get_item(&bit.key),
        Value::Element(e) => e.object().get_item(&bit.key),
        _ => current.get_key(&bit.name),
    };
    item.or_else(|| current.get_attr(&bit.name))
        .or_else(|| bit.index.and_then(|i| current.get_index(i)))
}

/// Builtin methods that Django finds by attribute lookup but cannot call without arguments.
fn method_requires_args(v: &Value, name: &str) -> bool {
    match v {
        Value::Dict(_) => matches!(name, "get" | "pop" | "setdefault" | "update" | "fromkeys"),
        Value::List(_) => matches!(
            name,
            "append" | "count" | "index" | "insert" | "remove" | "extend"
        ),
        Value::Tuple(_) => matches!(name, "count" | "index"),
        Value::Str(_) | Value::SafeStr(_) => matches!(
            name,
            "count"
                | "find"
                | "rfind"
                | "index"
                | "rindex"
                | "join"
                | "startswith"
                | "endswith"
                | "replace"
                | "center"
                | "ljust"
                | "rjust"
                | "zfill"
                | "partition"
                | "rpartition"
                | "translate"
        ),
        _ => false,
    }
}

fn resolve_lookup(ctx: &mut Context, bits: &[Bit]) -> Result<std::result::Result<Value, Miss>> {
    let first = &bits[0];
    let mut current = match ctx.get(&first.name) {
        Some(v) => v.clone(),
        None => return Ok(Err(Miss::Context(first.name.clone()))),
    };
    if let Value::Callable(f) = &current {
        current = f()?;
    }
    for bit in &bits[1..] {
        let next = match &current {
            Value::Block(b) if &*bit.name == "super" => Some(crate::nodes::block_super(b, ctx)?),
            // A method that needs arguments: Django's failed call gives string_if_invalid.
            _ if method_requires_args(&current, &bit.name) && current.get_key(&bit.name).is_none() => {
                Some(Value::str(ctx.string_if_invalid()))
            }
            Value::Block(b) if &*bit.name == "name" => Some(Value::str(b.0.name.as_str())),
            _ => lookup_step(&current, bit),
        };
        match next {
            Some(v) => current = v,
            None => return Ok(Err(Miss::In(bit.name.clone(), current))),
        }
        if let Value::Callable(f) = &current {
            current = f()?;
        }
    }
    Ok(Ok(current))
}

/// A filter argument: a constant (already marked safe) or a variable.
#[derive(Debug, Clone)]
enum FilterArg {
    Const(Value),
    Var(Variable),
}

#[derive(Clone)]
struct FilterCall {
    spec: Arc<FilterSpec>,
    arg: Option<FilterArg>,
}

#[derive(Debug, Clone)]
enum Head {
    Const(Value),
    Var(Variable),
}

/// Django's `FilterExpression`: a variable or constant followed by filters.
#[derive(Clone)]
pub struct FilterExpression {
    token: Box<str>,
    head: Head,
    filters: Vec<FilterCall>,
}

impl std::fmt::Debug for FilterExpression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FilterExpression({:?})", self.token)
    }
}

fn filter_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let strdq = r#""[^"\\]*(?:\\.[^"\\]*)*""#;
        let strsq = r#"'[^'\\]*(?:\\.[^'\\]*)*'"#;
        let constant = format!(r#"(?:_\({strdq}\)|_\({strsq}\)|{strdq}|{strsq})"#);
        let num = r"[-+.]?\d[\d.e]*";
        let var_chars = r"[\w.]";
        let pat = format!(
            r"^(?P<constant>{constant})|^(?P<var>{var_chars}+|{num})|(?:\s*\|\s*(?P<filter_name>\w+)(?::(?:(?P<constant_arg>{constant})|(?P<var_arg>{var_chars}+|{num})))?)"
        );
        Regex::new(&pat).unwrap_or_else(|e| panic!("filter_re: {e}"))
    })
}

/// Looks up filters while parsing (the parser's loaded libraries plus the builtins).
pub(crate) trait FilterLookup {
    fn find_filter(&self, name: &str) -> Option<Arc<FilterSpec>>;
}

fn mark_safe(v: Value) -> Value {
    match v {
        Value::Str(s) => Value::SafeStr(s),
        _ if v.is_safe() => v,
        other => Value::safe(other.py_str()),
    }
}

impl FilterExpression {
    /// Parses `token` (Django's `parser.compile_filter`).
    pub(crate) fn parse(token: &str, lookup: &dyn FilterLookup) -> Result<FilterExpression> {
        let mut head: Option<Head> = None;
        let mut filters = Vec::new();
        let mut upto = 0;
        for caps in filter_re().captures_iter(token) {
            let Some(m) = caps.get(0) else { continue };
            let start = m.start();
            if upto != start {
                return Err(TemplateError::syntax(format!(
                    "Could not parse some characters: {}|{}|{}",
                    &token[..upto],
                    &token[upto..start],
                    &token[start..]
                )));
            }
            if head.is_none() {
                if let Some(c) = caps.name("constant") {
                    let v = Variable::new(c.as_str())?;
                    let mut empty = Context::new();
                    head = Some(Head::Const(v.resolve(&mut empty).unwrap_or(Value::None)));
                } else if let Some(v) = caps.name("var") {
                    head = Some(Head::Var(Variable::new(v.as_str())?));
                } else {
                    return Err(TemplateError::syntax(format!(
                        "Could not find variable at start of {token}."
                    )));
                }
            } else {
                let name = caps.name("filter_name").map(|m| m.as_str()).unwrap_or("");
                let arg = if let Some(c) = caps.name("constant_arg") {
                    let v = Variable::new(c.as_str())?;
                    let mut empty = Context::new();
                    Some(FilterArg::Const(mark_safe(
                        v.resolve(&mut empty).unwrap_or(Value::None),
                    )))
                } else if let Some(v) = caps.name("var_arg") {
                    let var = Variable::new(v.as_str())?;
                    match var.kind {
                        VarKind::Literal(ref lit) if !var.translate => Some(FilterArg::Const(lit.clone())),
                        _ => Some(FilterArg::Var(var)),
                    }
                } else {
                    None
                };
                let spec = lookup
                    .find_filter(name)
                    .ok_or_else(|| TemplateError::syntax(format!("Invalid filter: '{name}'")))?;
                args_check(&spec, arg.is_some())?;
                filters.push(FilterCall { spec, arg });
            }
            upto = m.end();
        }
        if upto != token.len() {
            return Err(TemplateError::syntax(format!(
                "Could not parse the remainder: '{}' from '{}'",
                &token[upto..],
                token
            )));
        }
        let head = head
            .ok_or_else(|| TemplateError::syntax(format!("Could not find variable at start of {token}.")))?;
        Ok(FilterExpression {
            token: token.into(),
            head,
            filters,
        })
    }

    /// The source text.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether the expression is a plain variable lookup (not a constant) or has filters.
    pub(crate) fn is_var_or_filtered(&self) -> bool {
        !self.filters.is_empty() || matches!(&self.head, Head::Var(v) if v.is_lookup())
    }

    /// The names of the filters applied, in order.
    pub(crate) fn filter_names(&self) -> impl Iterator<Item = &str> {
        self.filters.iter().map(|f| f.spec.name.as_str())
    }

    /// Renders `{{ obj.attr }}` (no filters, an application object's attribute) straight
    /// from the object in the context, without cloning the object out of the context nor
    /// making a `str` [`Value`] of a string attribute ([`TemplateObject::str_attr`]): the
    /// common variable of a table row. Django's lookup order is kept (the object's
    /// `__getitem__` first, then the attribute, a callable attribute called); `Ok(false)`
    /// when the expression is not of that form or the lookup does not find a plain
    /// attribute, and the caller then resolves it the general way.
    ///
    /// [`TemplateObject::str_attr`]: crate::TemplateObject::str_attr
    pub(crate) fn render_object_attr(&self, ctx: &Context, out: &mut String) -> Result<bool> {
        let Head::Var(var) = &self.head else {
            return Ok(false);
        };
        let VarKind::Lookup(bits) = &var.kind else {
            return Ok(false);
        };
        let [first, bit] = &**bits else {
            return Ok(false);
        };
        if !self.filters.is_empty() || var.translate {
            return Ok(false);
        }
        let Some(o) = ctx.get(&first.name).and_then(Value::as_object) else {
            return Ok(false);
        };
        if o.get_item(&bit.key).is_some() {
            return Ok(false);
        }
        if let Some(s) = o.str_attr(&bit.name) {
            if ctx.autoescape {
                crate::html::escape_into(out, s);
            } else {
                out.push_str(s);
            }
            return Ok(true);
        }
        let value = match o.get_attr(&bit.name) {
            Some(Value::Callable(f)) => f()?,
            Some(v) => v,
            None => return Ok(false),
        };
        crate::nodes::render_value(&value, ctx.autoescape, out);
        Ok(true)
    }

    /// Resolves the expression (Django's `FilterExpression.resolve`).
    pub fn resolve(&self, ctx: &mut Context, ignore_failures: bool) -> Result<Value> {
        let mut obj = match &self.head {
            Head::Const(v) => v.clone(),
            Head::Var(var) => match var.resolve_or_miss(ctx)? {
                Ok(v) => v,
                Err(_) => {
                    if ignore_failures {
                        Value::None
                    } else {
                        let sii = ctx.string_if_invalid();
                        if !sii.is_empty() {
                            return Ok(Value::str(if sii.contains("%s") {
                                sii.replace("%s", var.as_str())
                            } else {
                                sii.to_string()
                            }));
                        }
                        Value::str("")
                    }
                }
            },
        };
        for call in &self.filters {
            let arg = match &call.arg {
                None => None,
                Some(FilterArg::Const(v)) => Some(v.clone()),
                Some(FilterArg::Var(var)) => Some(var.resolve(ctx)?),
            };
            obj = apply_filter(&call.spec, obj, arg.as_ref(), ctx.autoescape)?;
        }
        Ok(obj)
    }
}

/// Applies one filter with Django's `stringfilter`, `is_safe` and `expects_localtime` rules.
pub(crate) fn apply_filter(
    spec: &FilterSpec,
    obj: Value,
    arg: Option<&Value>,
    autoescape: bool,
) -> Result<Value> {
    let input_safe = obj.is_safe();
    let mut input = obj;
    if spec.expects_localtime {
        input = crate::filters::dates::localtime(input);
    }
    if spec.stringfilter && !matches!(input, Value::Str(_) | Value::SafeStr(_)) {
        input = Value::str(input.py_str());
    }
    let out = (spec.func)(&input, arg, autoescape)?;
    if spec.is_safe && input_safe {
        Ok(mark_safe(out))
    } else {
        Ok(out)
    }
}

fn args_check(spec: &FilterSpec, provided: bool) -> Result<()> {
    let plen = 1 + usize::from(provided);
    let has_arg = spec.arity != FilterArity::None;
    let alen = 1 + usize::from(has_arg) + usize::from(spec.needs_autoescape);
    let dlen = usize::from(spec.arity == FilterArity::Optional) + usize::from(spec.needs_autoescape);
    if plen < alen - dlen || plen > alen {
        return Err(TemplateError::syntax(format!(
            "{} requires {} arguments, {} provided",
            spec.name,
            alen - dlen,
            plen
        )));
    }
    Ok(())
}

static KWARG_RE: OnceLock<Regex> = OnceLock::new();

/// Django's `kwarg_re.match(bit)`: `(name, value)` where name may be absent.
pub(crate) fn kwarg_match(bit: &str) -> Option<(Option<&str>, &str)> {
    let re =
        KWARG_RE.get_or_init(|| Regex::new(r"^(?:(\w+)=)?(.+)").unwrap_or_else(|e| panic!("kwarg_re: {e}")));
    let caps = re.captures(bit)?;
    Some((
        caps.get(1).map(|m| m.as_str()),
        caps.get(2).map(|m| m.as_str()).unwrap_or(""),
    ))
}

/// Django's `token_kwargs()`: consumes `a=b c=d` (or legacy `b as a and d as c`) from `bits`.
pub(crate) fn token_kwargs(
    bits: &mut Vec<String>,
    lookup: &dyn FilterLookup,
    support_legacy: bool,
) -> Result<IndexMap<String, FilterExpression>> {
    let mut kwargs = IndexMap::new();
    if bits.is_empty() {
        return Ok(kwargs);
    }
    let kwarg_format = kwarg_match(&bits[0]).and_then(|(k, _)| k).is_some();
    if !kwarg_format && (!support_legacy || bits.len() < 3 || bits[1] != "as") {
        return Ok(kwargs);
    }
    while !bits.is_empty() {
        let (key, value) = if kwarg_format {
            match kwarg_match(&bits[0]) {
                Some((Some(k), v)) => {
                    let kv = (k.to_string(), v.to_string());
                    bits.remove(0);
                    kv
                }
                _ => return Ok(kwargs),
            }
        } else {
            if bits.len() < 3 || bits[1] != "as" {
                return Ok(kwargs);
            }
            let kv = (bits[2].clone(), bits[0].clone());
            bits.drain(..3);
            kv
        };
        kwargs.insert(key, FilterExpression::parse(&value, lookup)?);
        if !bits.is_empty() && !kwarg_format {
            if bits[0] != "and" {
                return Ok(kwargs);
            }
            bits.remove(0);
        }
    }
    Ok(kwargs)
}
