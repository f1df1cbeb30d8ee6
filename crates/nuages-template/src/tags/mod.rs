//! Django's built-in tags (`django.template.defaulttags` and `loader_tags`): each compile
//! function checks the tag's arguments with Django's messages and builds a node.

pub(crate) mod i18n;
pub(crate) mod ifexpr;
pub(crate) mod misc;
pub(crate) mod web;

use std::sync::Arc;

use crate::error::{Result, TemplateError};
use crate::expr::token_kwargs;
use crate::lexer::Token;
use crate::nodes::{BlockDef, ExtendsNode, ForNode, IfNode, IncludeNode, Node, NodeList, TagNode, WithNode};
use crate::parser::Parser;
use crate::Context;
use ifexpr::IfExpr;

/// Compiles a built-in tag; `None` when `command` is not a built-in tag.
pub(crate) fn compile_builtin(p: &mut Parser<'_>, command: &str, token: &Token) -> Option<Result<Node>> {
    Some(match command {
        "if" => do_if(p, token),
        "for" => do_for(p, token),
        "block" => do_block(p, token),
        "extends" => do_extends(p, token),
        "include" => do_include(p, token),
        "with" => do_with(p, token),
        "comment" => p.skip_past("endcomment").map(|_| Node::Empty),
        "load" => do_load(p, token),
        "verbatim" => do_verbatim(p),
        "autoescape" => do_autoescape(p, token),
        "filter" => do_filter(p, token),
        "spaceless" => do_spaceless(p),
        "cycle" => misc::do_cycle(p, token),
        "resetcycle" => misc::do_resetcycle(p, token),
        "csrf_token" => Ok(Node::Tag(Box::new(misc::CsrfTokenNode))),
        "debug" => Ok(Node::Tag(Box::new(misc::DebugNode))),
        "firstof" => misc::do_firstof(p, token),
        "ifchanged" => misc::do_ifchanged(p, token),
        "lorem" => web::do_lorem(token),
        "now" => web::do_now(token),
        "querystring" => web::do_querystring(p, token),
        "regroup" => misc::do_regroup(p, token),
        "templatetag" => misc::do_templatetag(token),
        "url" => web::do_url(p, token),
        "widthratio" => misc::do_widthratio(p, token),
        _ => return None,
    })
}

fn do_if(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let bits = token.split_contents();
    let cond = IfExpr::parse(&bits[1..], p)?;
    let body = p.parse(&["elif", "else", "endif"])?;
    let mut branches = vec![(Some(cond), body)];
    let mut tok = p.expect_end()?;
    while tok.contents.starts_with("elif") {
        let bits = tok.split_contents();
        let cond = IfExpr::parse(&bits[1..], p)?;
        let body = p.parse(&["elif", "else", "endif"])?;
        branches.push((Some(cond), body));
        tok = p.expect_end()?;
    }
    if tok.contents == "else" {
        let body = p.parse(&["endif"])?;
        branches.push((None, body));
        tok = p.expect_end()?;
    }
    if tok.contents != "endif" {
        return Err(TemplateError::syntax(format!(
            "Malformed template tag at line {}: \"{}\"",
            tok.lineno, tok.contents
        )));
    }
    Ok(Node::If(Box::new(IfNode { branches })))
}

fn do_for(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let bits = token.split_contents();
    if bits.len() < 4 {
        return Err(TemplateError::syntax(format!(
            "'for' statements should have at least four words: {}",
            token.contents
        )));
    }
    let reversed = bits[bits.len() - 1] == "reversed";
    let in_index = if reversed { bits.len() - 3 } else { bits.len() - 2 };
    if bits[in_index] != "in" {
        return Err(TemplateError::syntax(format!(
            "'for' statements should use the format 'for x in y': {}",
            token.contents
        )));
    }
    let joined = bits[1..in_index].join(" ");
    let loopvars: Vec<String> = joined
        .split(',')
        .map(|s| s.trim_matches(' ').to_string())
        .collect();
    for v in &loopvars {
        if v.is_empty() || v.contains([' ', '"', '\'', '|']) {
            return Err(TemplateError::syntax(format!(
                "'for' tag received an invalid argument: {}",
                token.contents
            )));
        }
    }
    let sequence = p.compile_filter(&bits[in_index + 1])?;
    let body = p.parse(&["empty", "endfor"])?;
    let tok = p.expect_end()?;
    let empty = if tok.contents == "empty" {
        let e = p.parse(&["endfor"])?;
        p.delete_first_token();
        e
    } else {
        NodeList::default()
    };
    Ok(Node::For(Box::new(ForNode {
        loopvars,
        sequence,
        reversed,
        body,
        empty,
    })))
}

fn do_block(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let bits: Vec<&str> = token.contents.split_whitespace().collect();
    if bits.len() != 2 {
        return Err(TemplateError::syntax(format!(
            "'{}' tag takes only one argument",
            bits[0]
        )));
    }
    let name = bits[1].to_string();
    if p.block_names.contains(&name) {
        return Err(TemplateError::syntax(format!(
            "'{}' tag with name '{}' appears more than once",
            bits[0], name
        )));
    }
    p.block_names.push(name.clone());
    let nodelist = p.parse(&["endblock"])?;
    let end = p.expect_end()?;
    let named = format!("endblock {name}");
    if end.contents != "endblock" && end.contents != named {
        return Err(p.invalid_end_tag(&end, "endblock", &["endblock", &named]));
    }
    let def = Arc::new(BlockDef { name, nodelist });
    p.blocks.push(def.clone());
    Ok(Node::Block(def))
}

fn do_extends(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let bits = token.split_contents();
    if bits.len() != 2 {
        return Err(TemplateError::syntax(format!("'{}' takes one argument", bits[0])));
    }
    if p.seen_extends {
        return Err(TemplateError::syntax(format!(
            "'{}' cannot appear more than once in the same template",
            bits[0]
        )));
    }
    p.seen_extends = true;
    let name = crate::template::construct_relative_path(p.template_name.as_deref(), &bits[1])?;
    let parent_name = p.compile_filter(&name)?;
    let first_block = p.blocks.len();
    let _rest = p.parse(&[])?;
    let blocks = p.blocks[first_block..].to_vec();
    Ok(Node::Extends(Box::new(ExtendsNode {
        parent_name,
        origin: p.origin.clone(),
        blocks,
    })))
}

fn do_include(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let bits = token.split_contents();
    if bits.len() < 2 {
        return Err(TemplateError::syntax(format!(
            "'{}' tag takes at least one argument: the name of the template to be included.",
            bits[0]
        )));
    }
    let mut remaining: Vec<String> = bits[2..].to_vec();
    let mut extra = None;
    let mut only = false;
    let mut seen: Vec<String> = Vec::new();
    while !remaining.is_empty() {
        let option = remaining.remove(0);
        if seen.contains(&option) {
            return Err(TemplateError::syntax(format!(
                "The '{option}' option was specified more than once."
            )));
        }
        if option == "with" {
            let value = token_kwargs(&mut remaining, p, false)?;
            if value.is_empty() {
                return Err(TemplateError::syntax(format!(
                    "\"with\" in '{}' tag needs at least one keyword argument.",
                    bits[0]
                )));
            }
            extra = Some(value);
        } else if option == "only" {
            only = true;
        } else {
            return Err(TemplateError::syntax(format!(
                "Unknown argument for '{}' tag: '{}'.",
                bits[0], option
            )));
        }
        seen.push(option);
    }
    let name = crate::template::construct_relative_path(p.template_name.as_deref(), &bits[1])?;
    Ok(Node::Include(Box::new(IncludeNode {
        template: p.compile_filter(&name)?,
        extra: extra.unwrap_or_default(),
        only,
        origin_name: p.template_name.clone(),
    })))
}

fn do_with(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let bits = token.split_contents();
    let mut remaining: Vec<String> = bits[1..].to_vec();
    let extra = token_kwargs(&mut remaining, p, true)?;
    if extra.is_empty() {
        return Err(TemplateError::syntax(format!(
            "'{}' expected at least one variable assignment",
            bits[0]
        )));
    }
    if let Some(first) = remaining.first() {
        return Err(TemplateError::syntax(format!(
            "'{}' received an invalid token: '{}'",
            bits[0], first
        )));
    }
    let body = p.parse(&["endwith"])?;
    p.delete_first_token();
    Ok(Node::With(Box::new(WithNode { extra, body })))
}

fn do_load(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let bits: Vec<&str> = token.contents.split_whitespace().collect();
    let not_registered = |p: &Parser<'_>, name: &str| {
        TemplateError::syntax(format!(
            "'{}' is not a registered tag library. Must be one of:\n{}",
            name,
            p.library_names().join("\n")
        ))
    };
    if bits.len() >= 4 && bits[bits.len() - 2] == "from" {
        let name = bits[bits.len() - 1];
        let lib = p.library(name).ok_or_else(|| not_registered(p, name))?;
        let mut subset = crate::Library::new();
        for item in &bits[1..bits.len() - 2] {
            let mut found = false;
            if let Some(t) = lib.tags.get(*item) {
                subset.tags.insert(item.to_string(), t.clone());
                found = true;
            }
            if let Some(f) = lib.filters.get(*item) {
                subset.filters.insert(item.to_string(), f.clone());
                found = true;
            }
            if !found {
                return Err(TemplateError::syntax(format!(
                    "'{item}' is not a valid tag or filter in tag library '{name}'"
                )));
            }
        }
        p.add_library(&subset);
    } else {
        for name in &bits[1..] {
            let lib = p.library(name).ok_or_else(|| not_registered(p, name))?;
            p.add_library(&lib);
        }
    }
    Ok(Node::Empty)
}

fn do_verbatim(p: &mut Parser<'_>) -> Result<Node> {
    let nodelist = p.parse(&["endverbatim"])?;
    p.delete_first_token();
    let mut text = String::new();
    for n in &nodelist.nodes {
        if let Node::Text(t) = n {
            text.push_str(t);
        }
    }
    Ok(Node::Verbatim(text.into_boxed_str()))
}

struct AutoEscapeNode {
    setting: bool,
    body: NodeList,
}

impl TagNode for AutoEscapeNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let old = ctx.autoescape;
        ctx.autoescape = self.setting;
        let r = self.body.render(ctx, out);
        ctx.autoescape = old;
        r
    }
    fn nodelists(&self) -> Vec<&NodeList> {
        vec![&self.body]
    }
}

fn do_autoescape(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let args: Vec<&str> = token.contents.split_whitespace().collect();
    if args.len() != 2 {
        return Err(TemplateError::syntax(
            "'autoescape' tag requires exactly one argument.",
        ));
    }
    if args[1] != "on" && args[1] != "off" {
        return Err(TemplateError::syntax(
            "'autoescape' argument should be 'on' or 'off'",
        ));
    }
    let body = p.parse(&["endautoescape"])?;
    p.delete_first_token();
    Ok(Node::Tag(Box::new(AutoEscapeNode {
        setting: args[1] == "on",
        body,
    })))
}

struct FilterNode {
    expr: crate::expr::FilterExpression,
    body: NodeList,
}

impl TagNode for FilterNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let output = self.body.render_to_string(ctx)?;
        ctx.push();
        ctx.set("var", crate::Value::safe(output));
        let r = self.expr.resolve(ctx, false);
        ctx.drop_top();
        out.push_str(&r?.py_str());
        Ok(())
    }
    fn nodelists(&self) -> Vec<&NodeList> {
        vec![&self.body]
    }
}

fn do_filter(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let rest = token
        .contents
        .split_once(char::is_whitespace)
        .map(|(_, r)| r.trim_start())
        .unwrap_or("");
    let expr = p.compile_filter(&format!("var|{rest}"))?;
    for name in expr.filter_names() {
        if name == "escape" || name == "safe" {
            return Err(TemplateError::syntax(format!(
                "\"filter {name}\" is not permitted.  Use the \"autoescape\" tag instead."
            )));
        }
    }
    let body = p.parse(&["endfilter"])?;
    p.delete_first_token();
    Ok(Node::Tag(Box::new(FilterNode { expr, body })))
}

struct SpacelessNode {
    body: NodeList,
}

impl TagNode for SpacelessNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let s = self.body.render_to_string(ctx)?;
        out.push_str(&crate::html::strip_spaces_between_tags(s.trim()));
        Ok(())
    }
    fn nodelists(&self) -> Vec<&NodeList> {
        vec![&self.body]
    }
}

fn do_spaceless(p: &mut Parser<'_>) -> Result<Node> {
    let body = p.parse(&["endspaceless"])?;
    p.delete_first_token();
    Ok(Node::Tag(Box::new(SpacelessNode { body })))
}
