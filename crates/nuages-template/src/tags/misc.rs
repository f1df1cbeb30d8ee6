//! The smaller built-in tags: `cycle`, `resetcycle`, `firstof`, `ifchanged`, `regroup`,
//! `widthratio`, `templatetag`, `csrf_token` and `debug`.

use std::sync::Arc;

use crate::context::{Context, RenderState};
use crate::error::{Result, TemplateError};
use crate::expr::FilterExpression;
use crate::filters::{py_float, py_int};
use crate::lexer::Token;
use crate::nodes::{next_node_id, render_value, Node, NodeList, TagNode};
use crate::parser::{CycleRef, Parser};
use crate::value::{TemplateObject, Value};

struct CycleNode {
    cref: Arc<CycleRef>,
}

impl TagNode for CycleNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let c = &self.cref;
        let idx = match ctx.render.top().entry(c.id).or_insert(RenderState::Cycle(0)) {
            RenderState::Cycle(i) => {
                let cur = *i;
                *i += 1;
                cur
            }
            _ => 0,
        };
        let value = c.values[idx % c.values.len()].resolve(ctx, false)?;
        if let Some(name) = &c.name {
            ctx.set_upward(name, value.clone());
        }
        if !c.silent {
            render_value(&value, ctx.autoescape, out);
        }
        Ok(())
    }
}

pub(crate) fn do_cycle(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let mut args = token.split_contents();
    if args.len() < 2 {
        return Err(TemplateError::syntax(
            "'cycle' tag requires at least two arguments",
        ));
    }
    if args[1].contains(',') {
        let parts: Vec<String> = args[1].split(',').map(|a| format!("\"{a}\"")).collect();
        args.splice(1..2, parts);
    }
    if args.len() == 2 {
        let name = &args[1];
        if p.named_cycles.is_empty() {
            return Err(TemplateError::syntax(format!(
                "No named cycles in template. '{name}' is not defined"
            )));
        }
        let cref = p
            .named_cycles
            .get(name)
            .cloned()
            .ok_or_else(|| TemplateError::syntax(format!("Named cycle '{name}' does not exist")))?;
        return Ok(Node::Tag(Box::new(CycleNode { cref })));
    }
    let mut as_form = false;
    let mut silent = false;
    let n = args.len();
    if n > 4 {
        if args[n - 3] == "as" {
            if args[n - 1] != "silent" {
                return Err(TemplateError::syntax(format!(
                    "Only 'silent' flag is allowed after cycle's name, not '{}'.",
                    args[n - 1]
                )));
            }
            as_form = true;
            silent = true;
            args.pop();
        } else if args[n - 2] == "as" {
            as_form = true;
        }
    }
    let cref = if as_form {
        let name = args[args.len() - 1].clone();
        let values = args[1..args.len() - 2]
            .iter()
            .map(|a| p.compile_filter(a))
            .collect::<Result<Vec<_>>>()?;
        let cref = Arc::new(CycleRef {
            id: next_node_id(),
            values,
            name: Some(name.clone()),
            silent,
        });
        p.named_cycles.insert(name, cref.clone());
        cref
    } else {
        let values = args[1..]
            .iter()
            .map(|a| p.compile_filter(a))
            .collect::<Result<Vec<_>>>()?;
        Arc::new(CycleRef {
            id: next_node_id(),
            values,
            name: None,
            silent: false,
        })
    };
    p.last_cycle = Some(cref.clone());
    Ok(Node::Tag(Box::new(CycleNode { cref })))
}

struct ResetCycleNode {
    id: u32,
}

impl TagNode for ResetCycleNode {
    fn render(&self, ctx: &mut Context, _out: &mut String) -> Result<()> {
        ctx.render.top().insert(self.id, RenderState::Cycle(0));
        Ok(())
    }
}

pub(crate) fn do_resetcycle(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let args = token.split_contents();
    if args.len() > 2 {
        return Err(TemplateError::syntax(format!(
            "'{}' tag accepts at most one argument.",
            args[0]
        )));
    }
    let id = if args.len() == 2 {
        p.named_cycles
            .get(&args[1])
            .map(|c| c.id)
            .ok_or_else(|| TemplateError::syntax(format!("Named cycle '{}' does not exist.", args[1])))?
    } else {
        p.last_cycle
            .as_ref()
            .map(|c| c.id)
            .ok_or_else(|| TemplateError::syntax("No cycles in template."))?
    };
    Ok(Node::Tag(Box::new(ResetCycleNode { id })))
}

pub(crate) struct CsrfTokenNode;

impl TagNode for CsrfTokenNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        if let Some(tok) = ctx.get("csrf_token").filter(|t| t.is_true()) {
            let tok = tok.py_str();
            if tok != "NOTPROVIDED" {
                out.push_str("<input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"");
                crate::html::escape_into(out, &tok);
                out.push_str("\">");
            }
        }
        Ok(())
    }
}

pub(crate) struct DebugNode;

impl TagNode for DebugNode {
    /// Django (since the CVE-2022-22818 fix) renders nothing unless DEBUG is on, and then the
    /// escaped `pformat` of each context dict (the `sys.modules` dump has no equivalent).
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        if !ctx.engine.as_ref().is_some_and(|e| e.debug()) {
            return Ok(());
        }
        for d in ctx.all_frames() {
            crate::html::escape_into(out, &Value::Dict(Arc::new(d)).py_repr());
        }
        out.push_str("\n\n");
        Ok(())
    }
}

struct FirstOfNode {
    vars: Vec<FilterExpression>,
    asvar: Option<String>,
}

impl TagNode for FirstOfNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let mut first = String::new();
        for v in &self.vars {
            let value = v.resolve(ctx, true)?;
            if value.is_true() {
                render_value(&value, ctx.autoescape, &mut first);
                break;
            }
        }
        match &self.asvar {
            Some(name) => ctx.set(name, Value::safe(first)),
            None => out.push_str(&first),
        }
        Ok(())
    }
}

pub(crate) fn do_firstof(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let mut bits: Vec<String> = token.split_contents().split_off(1);
    if bits.is_empty() {
        return Err(TemplateError::syntax(
            "'firstof' statement requires at least one argument",
        ));
    }
    let mut asvar = None;
    if bits.len() >= 2 && bits[bits.len() - 2] == "as" {
        asvar = bits.pop();
        bits.pop();
    }
    let vars = bits
        .iter()
        .map(|b| p.compile_filter(b))
        .collect::<Result<Vec<_>>>()?;
    Ok(Node::Tag(Box::new(FirstOfNode { vars, asvar })))
}

struct IfChangedNode {
    id: u32,
    vars: Vec<FilterExpression>,
    body: NodeList,
    else_body: NodeList,
}

impl IfChangedNode {
    /// Swaps the stored state for `new`, returning whether it changed.
    fn changed(&self, ctx: &mut Context, new: Value) -> bool {
        if let Some(Value::ForLoop(fl)) = ctx.get("forloop").cloned() {
            let Ok(mut states) = fl.ifchanged.lock() else {
                return true;
            };
            match states.iter_mut().find(|(k, _)| *k == self.id) {
                Some((_, old)) if old.py_eq(&new) => false,
                Some((_, old)) => {
                    *old = new;
                    true
                }
                None => {
                    states.push((self.id, new));
                    true
                }
            }
        } else {
            let key = self.id;
            let top = ctx.render.top();
            match top.get(&key) {
                Some(RenderState::Changed(old)) if old.py_eq(&new) => false,
                _ => {
                    top.insert(key, RenderState::Changed(new));
                    true
                }
            }
        }
    }
}

impl TagNode for IfChangedNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let (compare, rendered) = if self.vars.is_empty() {
            let s = self.body.render_to_string(ctx)?;
            (Value::str(s.as_str()), Some(s))
        } else {
            let mut vals = Vec::with_capacity(self.vars.len());
            for v in &self.vars {
                vals.push(v.resolve(ctx, true)?);
            }
            (Value::list(vals), None)
        };
        if self.changed(ctx, compare) {
            match rendered {
                Some(s) if !s.is_empty() => out.push_str(&s),
                _ => self.body.render(ctx, out)?,
            }
        } else if !self.else_body.is_empty() {
            self.else_body.render(ctx, out)?;
        }
        Ok(())
    }
    fn nodelists(&self) -> Vec<&NodeList> {
        vec![&self.body, &self.else_body]
    }
}

pub(crate) fn do_ifchanged(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let bits = token.split_contents();
    let body = p.parse(&["else", "endifchanged"])?;
    let tok = p.expect_end()?;
    let else_body = if tok.contents == "else" {
        let e = p.parse(&["endifchanged"])?;
        p.delete_first_token();
        e
    } else {
        NodeList::default()
    };
    let vars = bits[1..]
        .iter()
        .map(|b| p.compile_filter(b))
        .collect::<Result<Vec<_>>>()?;
    Ok(Node::Tag(Box::new(IfChangedNode {
        id: next_node_id(),
        vars,
        body,
        else_body,
    })))
}

/// `regroup`'s `GroupedResult(grouper, list)` namedtuple.
struct GroupedResult {
    grouper: Value,
    list: Value,
}

impl TemplateObject for GroupedResult {
    fn get_attr(&self, name: &str) -> Option<Value> {
        match name {
            "grouper" => Some(self.grouper.clone()),
            "list" => Some(self.list.clone()),
            _ => None,
        }
    }
    fn get_item(&self, key: &Value) -> Option<Value> {
        match key {
            Value::Int(0) | Value::Int(-2) => Some(self.grouper.clone()),
            Value::Int(1) | Value::Int(-1) => Some(self.list.clone()),
            _ => None,
        }
    }
    fn to_str(&self) -> String {
        self.repr()
    }
    fn type_name(&self) -> &str {
        "GroupedResult"
    }
    fn repr(&self) -> String {
        format!(
            "GroupedResult(grouper={}, list={})",
            self.grouper.py_repr(),
            self.list.py_repr()
        )
    }
    fn len(&self) -> Option<usize> {
        Some(2)
    }
    fn iter(&self) -> Option<Vec<Value>> {
        Some(vec![self.grouper.clone(), self.list.clone()])
    }
}

struct RegroupNode {
    target: FilterExpression,
    expression: FilterExpression,
    var_name: String,
}

impl TagNode for RegroupNode {
    fn render(&self, ctx: &mut Context, _out: &mut String) -> Result<()> {
        let obj_list = self.target.resolve(ctx, true)?;
        if obj_list.is_none() {
            ctx.set(&self.var_name, Value::list(Vec::new()));
            return Ok(());
        }
        let items = obj_list.py_iter()?;
        let mut groups: Vec<(Value, Vec<Value>)> = Vec::new();
        for item in items {
            ctx.set(&self.var_name, item.clone());
            let key = self.expression.resolve(ctx, true)?;
            match groups.last_mut() {
                Some((k, list)) if k.py_eq(&key) => list.push(item),
                _ => groups.push((key, vec![item])),
            }
        }
        let result = groups
            .into_iter()
            .map(|(grouper, list)| {
                Value::object(GroupedResult {
                    grouper,
                    list: Value::list(list),
                })
            })
            .collect();
        ctx.set(&self.var_name, Value::list(result));
        Ok(())
    }
}

pub(crate) fn do_regroup(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let bits = token.split_contents();
    if bits.len() != 6 {
        return Err(TemplateError::syntax("'regroup' tag takes five arguments"));
    }
    let target = p.compile_filter(&bits[1])?;
    if bits[2] != "by" {
        return Err(TemplateError::syntax(
            "second argument to 'regroup' tag must be 'by'",
        ));
    }
    if bits[4] != "as" {
        return Err(TemplateError::syntax(
            "next-to-last argument to 'regroup' tag must be 'as'",
        ));
    }
    let var_name = bits[5].clone();
    let expression = p.compile_filter(&format!("{}.{}", var_name, bits[3]))?;
    Ok(Node::Tag(Box::new(RegroupNode {
        target,
        expression,
        var_name,
    })))
}

struct WidthRatioNode {
    val: FilterExpression,
    max: FilterExpression,
    width: FilterExpression,
    asvar: Option<String>,
}

/// Python's `round()` to an integer (half to even).
fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 {
        2.0 * (x / 2.0).round()
    } else {
        r
    }
}

impl TagNode for WidthRatioNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let value = self.val.resolve(ctx, false)?;
        let max_value = self.max.resolve(ctx, false)?;
        let width_v = self.width.resolve(ctx, false)?;
        let max_width = py_int(&width_v)
            .map_err(|_| TemplateError::syntax("widthratio final argument must be a number"))?;
        let result = match (py_float(&value), py_float(&max_value)) {
            (Ok(v), Ok(m)) => {
                if m == 0.0 {
                    "0".to_string()
                } else {
                    let ratio = (v / m) * max_width as f64;
                    if ratio.is_finite() {
                        format!("{}", round_half_even(ratio) as i64)
                    } else {
                        String::new()
                    }
                }
            }
            _ => String::new(),
        };
        match &self.asvar {
            Some(name) => ctx.set(name, Value::str(result)),
            None => out.push_str(&result),
        }
        Ok(())
    }
}

pub(crate) fn do_widthratio(p: &mut Parser<'_>, token: &Token) -> Result<Node> {
    let bits = token.split_contents();
    let asvar = match bits.len() {
        4 => None,
        6 => {
            if bits[4] != "as" {
                return Err(TemplateError::syntax(
                    "Invalid syntax in widthratio tag. Expecting 'as' keyword",
                ));
            }
            Some(bits[5].clone())
        }
        _ => return Err(TemplateError::syntax("widthratio takes at least three arguments")),
    };
    Ok(Node::Tag(Box::new(WidthRatioNode {
        val: p.compile_filter(&bits[1])?,
        max: p.compile_filter(&bits[2])?,
        width: p.compile_filter(&bits[3])?,
        asvar,
    })))
}

const TEMPLATETAG_MAPPING: [(&str, &str); 8] = [
    ("openblock", "{%"),
    ("closeblock", "%}"),
    ("openvariable", "{{"),
    ("closevariable", "}}"),
    ("openbrace", "{"),
    ("closebrace", "}"),
    ("opencomment", "{#"),
    ("closecomment", "#}"),
];

pub(crate) fn do_templatetag(token: &Token) -> Result<Node> {
    let bits: Vec<&str> = token.contents.split_whitespace().collect();
    if bits.len() != 2 {
        return Err(TemplateError::syntax(
            "'templatetag' statement takes one argument",
        ));
    }
    match TEMPLATETAG_MAPPING.iter().find(|(k, _)| *k == bits[1]) {
        Some((_, v)) => Ok(Node::Verbatim((*v).into())),
        None => {
            let names: Vec<String> = TEMPLATETAG_MAPPING
                .iter()
                .map(|(k, _)| format!("'{k}'"))
                .collect();
            Err(TemplateError::syntax(format!(
                "Invalid templatetag argument: '{}'. Must be one of: [{}]",
                bits[1],
                names.join(", ")
            )))
        }
    }
}
