//! Tags that touch the web layer: `url` (through the engine's `UrlReverser`), `now`,
//! `lorem`, `querystring`, and the `static` library.

use indexmap::IndexMap;

use crate::context::Context;
use crate::error::{Result, TemplateError};
use crate::expr::{kwarg_match, FilterExpression};
use crate::filters::py_int;
use crate::lexer::Token;
use crate::nodes::{render_value, Node, TagNode};
use crate::parser::Parser;
use crate::value::Value;

struct UrlNode {
    view_name: FilterExpression,
    args: Vec<FilterExpression>,
    kwargs: IndexMap<String, FilterExpression>,
    asvar: Option<String>,
}

impl TagNode for UrlNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let mut args = Vec::with_capacity(self.args.len());
        for a in &self.args {
            args.push(a.resolve(ctx, false)?);
        }
        let mut kwargs = IndexMap::new();
        for (k, v) in &self.kwargs {
            kwargs.insert(k.clone(), v.resolve(ctx, false)?);
        }
        let view_name = self.view_name.resolve(ctx, false)?.py_str();
        let current_app = ctx
            .get("request")
            .and_then(|r| r.get_attr("current_app").or_else(|| r.get_key("current_app")))
            .map(|v| v.py_str());
        let reverser = ctx.engine.as_ref().and_then(|e| e.inner.url_reverser.clone());
        let result = match reverser {
            Some(r) => r.reverse(&view_name, &args, &kwargs, current_app.as_deref()),
            None => Err(TemplateError::NoReverseMatch(format!(
                "Reverse for '{view_name}' not found. No URL reverser is configured on the template engine."
            ))),
        };
        let url = match result {
            Ok(u) => u,
            Err(e) if self.asvar.is_none() => return Err(e),
            Err(_) => String::new(),
        };
        match &self.asvar {
            Some(name) => ctx.set(name, Value::str(url)),
            None => {
                if ctx.autoescape {
                    crate::html::escape_into(out, &url)
                } else {
                    out.push_str(&url)
                }
            }
        }
        Ok(())
    }
}

pub(crate) fn do_url(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let bits = token.split_contents();
    if bits.len() < 2 {
        return Err(TemplateError::syntax(format!(
            "'{}' takes at least one argument, a URL pattern name.",
            bits[0]
        )));
    }
    let view_name = p.compile_filter(&bits[1])?;
    let mut rest: Vec<String> = bits[2..].to_vec();
    let mut asvar = None;
    if rest.len() >= 2 && rest[rest.len() - 2] == "as" {
        asvar = rest.pop();
        rest.pop();
    }
    let mut args = Vec::new();
    let mut kwargs = IndexMap::new();
    for bit in &rest {
        let (name, value) =
            kwarg_match(bit).ok_or_else(|| TemplateError::syntax("Malformed arguments to url tag"))?;
        match name {
            Some(n) => {
                kwargs.insert(n.to_string(), p.compile_filter(value)?);
            }
            None => args.push(p.compile_filter(value)?),
        }
    }
    Ok(Node::Tag(Box::new(UrlNode {
        view_name,
        args,
        kwargs,
        asvar,
    })))
}

struct NowNode {
    format: String,
    asvar: Option<String>,
}

impl TagNode for NowNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let now = Value::from(chrono::Utc::now());
        let formatted = crate::filters::dates::date_filter(&now, Some(&Value::str(self.format.as_str())))?;
        match &self.asvar {
            Some(name) => ctx.set(name, formatted),
            None => render_value(&formatted, ctx.autoescape, out),
        }
        Ok(())
    }
}

pub(crate) fn do_now(token: &Token) -> Result<Node> {
    let bits = token.split_contents();
    let mut asvar = None;
    let mut bits = bits;
    if bits.len() == 4 && bits[2] == "as" {
        asvar = bits.pop();
        bits.pop();
    }
    if bits.len() != 2 {
        return Err(TemplateError::syntax("'now' statement takes one argument"));
    }
    let f = &bits[1];
    let format = if f.len() >= 2 {
        f[1..f.len() - 1].to_string()
    } else {
        String::new()
    };
    Ok(Node::Tag(Box::new(NowNode { format, asvar })))
}

struct LoremNode {
    count: FilterExpression,
    method: char,
    common: bool,
}

impl TagNode for LoremNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        use crate::lorem_ipsum::{paragraphs, words, Rng};
        let count = py_int(&self.count.resolve(ctx, false)?).unwrap_or(1);
        let mut rng = Rng::new();
        match self.method {
            'w' => out.push_str(&words(count, self.common, &mut rng)),
            'p' => {
                let ps: Vec<String> = paragraphs(count, self.common, &mut rng)
                    .into_iter()
                    .map(|p| format!("<p>{p}</p>"))
                    .collect();
                out.push_str(&ps.join("\n\n"));
            }
            _ => out.push_str(&paragraphs(count, self.common, &mut rng).join("\n\n")),
        }
        Ok(())
    }
}

pub(crate) fn do_lorem(token: &Token) -> Result<Node> {
    let mut bits = token.split_contents();
    let tagname = bits[0].clone();
    let common = bits.last().map(String::as_str) != Some("random");
    if !common {
        bits.pop();
    }
    let method = match bits.last().map(String::as_str) {
        Some("w") | Some("p") | Some("b") => bits.pop().and_then(|m| m.chars().next()).unwrap_or('b'),
        _ => 'b',
    };
    let count_src = if bits.len() > 1 {
        bits.pop().unwrap_or_else(|| "1".into())
    } else {
        "1".into()
    };
    if bits.len() != 1 {
        return Err(TemplateError::syntax(format!(
            "Incorrect format for {tagname} tag"
        )));
    }
    let count = FilterExpression::parse(&count_src, &crate::filters::BuiltinLookup)?;
    Ok(Node::Tag(Box::new(LoremNode {
        count,
        method,
        common,
    })))
}

struct QueryStringNode {
    args: Vec<FilterExpression>,
    kwargs: IndexMap<String, FilterExpression>,
}

fn query_pairs(v: &Value) -> Vec<(String, Vec<Value>)> {
    match v {
        Value::Dict(d) => d
            .iter()
            .map(|(k, v)| match v {
                Value::List(l) | Value::Tuple(l) => (k.clone(), l.as_ref().clone()),
                other => (k.clone(), vec![other.clone()]),
            })
            .collect(),
        _ => Vec::new(),
    }
}

impl TagNode for QueryStringNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let mut params: Vec<(String, Vec<Value>)> = Vec::new();
        let merge = |params: &mut Vec<(String, Vec<Value>)>, pairs: Vec<(String, Vec<Value>)>| {
            for (k, v) in pairs {
                match params.iter_mut().find(|(pk, _)| *pk == k) {
                    Some(slot) => slot.1 = v,
                    None => params.push((k, v)),
                }
            }
        };
        if self.args.is_empty() {
            let get = ctx
                .get("request")
                .and_then(|r| r.get_key("GET").or_else(|| r.get_attr("GET")))
                .unwrap_or_default();
            merge(&mut params, query_pairs(&get));
        }
        for a in &self.args {
            let v = a.resolve(ctx, false)?;
            merge(&mut params, query_pairs(&v));
        }
        for (k, fe) in &self.kwargs {
            let v = fe.resolve(ctx, false)?;
            match v {
                Value::None => params.retain(|(pk, _)| pk != k),
                Value::List(l) | Value::Tuple(l) => merge(&mut params, vec![(k.clone(), l.as_ref().clone())]),
                other => merge(&mut params, vec![(k.clone(), vec![other])]),
            }
        }
        let mut parts = Vec::new();
        for (k, vs) in &params {
            for v in vs {
                parts.push(format!(
                    "{}={}",
                    crate::html::quote_plus(k, ""),
                    crate::html::quote_plus(&v.py_str(), "")
                ));
            }
        }
        let qs = format!("?{}", parts.join("&"));
        if ctx.autoescape {
            crate::html::escape_into(out, &qs);
        } else {
            out.push_str(&qs);
        }
        Ok(())
    }
}

pub(crate) fn do_querystring(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let bits = token.split_contents();
    let mut args = Vec::new();
    let mut kwargs = IndexMap::new();
    for bit in &bits[1..] {
        match kwarg_match(bit) {
            Some((Some(k), v)) => {
                kwargs.insert(k.to_string(), p.compile_filter(v)?);
            }
            _ => {
                if !kwargs.is_empty() {
                    return Err(TemplateError::syntax(
                        "'querystring' received some positional argument(s) after some keyword argument(s)",
                    ));
                }
                args.push(p.compile_filter(bit)?);
            }
        }
    }
    Ok(Node::Tag(Box::new(QueryStringNode { args, kwargs })))
}

struct StaticNode {
    path: Option<FilterExpression>,
    prefix: &'static str,
    asvar: Option<String>,
}

impl TagNode for StaticNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let (static_url, media_url, storage) = ctx
            .engine
            .as_ref()
            .map(|e| {
                (
                    e.inner.static_url.clone(),
                    e.inner.media_url.clone(),
                    e.inner.static_urls.clone(),
                )
            })
            .unwrap_or_default();
        let url = match &self.path {
            Some(p) => {
                let path = p.resolve(ctx, false)?.py_str();
                match storage {
                    Some(storage) => storage.url(&path)?,
                    None => urljoin(&static_url, &crate::html::quote(&path, "/")),
                }
            }
            None => {
                if self.prefix == "media" {
                    media_url
                } else {
                    static_url
                }
            }
        };
        match &self.asvar {
            Some(name) => ctx.set(name, Value::str(url)),
            None => {
                if ctx.autoescape && self.path.is_some() {
                    crate::html::escape_into(out, &url)
                } else {
                    out.push_str(&url)
                }
            }
        }
        Ok(())
    }
}

/// Python's `urljoin(base, path)` for the relative paths `static` produces.
fn urljoin(base: &str, path: &str) -> String {
    if path.contains("://") || base.is_empty() {
        return path.to_string();
    }
    if let Some(abs) = path.strip_prefix('/') {
        if let Some(pos) = base.find("://") {
            let host_end = base[pos + 3..]
                .find('/')
                .map(|p| pos + 3 + p)
                .unwrap_or(base.len());
            return format!("{}/{}", &base[..host_end], abs);
        }
        return path.to_string();
    }
    match base.rfind('/') {
        Some(p) => format!("{}{}", &base[..=p], path),
        None => path.to_string(),
    }
}

/// The `static` library (`{% load static %}`): `static`, `get_static_prefix`, `get_media_prefix`.
pub(crate) fn static_library() -> crate::Library {
    let mut lib = crate::Library::new();
    lib.tag("static", |p, token| {
        let bits = token.split_contents();
        if bits.len() < 2 {
            return Err(TemplateError::syntax(format!(
                "'{}' takes at least one argument (path to file)",
                bits[0]
            )));
        }
        let path = p.compile_filter(&bits[1])?;
        let asvar = if bits.len() >= 2 && bits.len() > 3 && bits[bits.len() - 2] == "as" {
            Some(bits[bits.len() - 1].clone())
        } else {
            None
        };
        Ok(Box::new(StaticNode {
            path: Some(path),
            prefix: "static",
            asvar,
        }) as Box<dyn TagNode>)
    });
    for (tag, prefix) in [("get_static_prefix", "static"), ("get_media_prefix", "media")] {
        lib.tag(tag, move |_p, token| {
            let bits = token.split_contents();
            let asvar = match bits.len() {
                1 => None,
                3 if bits[1] == "as" => Some(bits[2].clone()),
                _ => {
                    return Err(TemplateError::syntax(format!(
                        "First argument in '{}' must be 'as'",
                        bits[0]
                    )))
                }
            };
            Ok(Box::new(StaticNode {
                path: None,
                prefix,
                asvar,
            }) as Box<dyn TagNode>)
        });
    }
    lib
}
