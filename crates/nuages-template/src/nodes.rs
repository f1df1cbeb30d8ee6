//! The compiled node tree and its rendering. Rendering writes into one `String`; the
//! common nodes (text, variables, `if`, `for`, blocks, `include`, `with`) are enum variants,
//! the other tags are [`TagNode`] trait objects (the same API custom tags use).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::context::{Context, RenderState, BLOCK_CONTEXT, EXTENDS_HISTORY};
use crate::error::{DebugSource, Result, TemplateError};
use crate::expr::FilterExpression;
use crate::html::escape_into;
use crate::tags::ifexpr::IfExpr;
use crate::value::{BlockValue, ForLoop, Value};

/// A node produced by a custom (or built-in) tag: Django's `Node` subclass.
pub trait TagNode: Send + Sync {
    /// Renders the node, appending to `out`.
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()>;
    /// The node lists this node holds (so `{% block %}`s inside are found).
    fn nodelists(&self) -> Vec<&NodeList> {
        Vec::new()
    }
}

/// A sequence of nodes (Django's `NodeList`).
#[derive(Default)]
pub struct NodeList {
    pub(crate) nodes: Vec<Node>,
    /// With a debug engine: the template source and each node's token position, so a
    /// render error can carry Django's `template_debug` (`render_annotated`).
    pub(crate) debug: Option<Box<NodeListDebug>>,
}

/// The debug information of a [`NodeList`]: where each node's token is in which source.
pub(crate) struct NodeListDebug {
    pub(crate) source: Arc<DebugSource>,
    pub(crate) positions: Vec<(usize, usize)>,
}

impl NodeList {
    /// Renders every node into `out`.
    pub fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        for (i, node) in self.nodes.iter().enumerate() {
            if let Err(err) = render_node(node, ctx, out) {
                return Err(match &self.debug {
                    Some(d) => match d.positions.get(i) {
                        Some(&position) => d.source.annotate(err, position),
                        None => err,
                    },
                    None => err,
                });
            }
        }
        Ok(())
    }

    /// Renders into a new string.
    pub fn render_to_string(&self, ctx: &mut Context) -> Result<String> {
        let mut out = String::new();
        self.render(ctx, &mut out)?;
        Ok(out)
    }

    /// Whether the list has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

static NEXT_ID: AtomicU32 = AtomicU32::new(16);

/// A fresh identity for a stateful node (its key in the render context).
pub(crate) fn next_node_id() -> u32 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A `{% block %}`: its name and contents.
pub struct BlockDef {
    pub(crate) name: String,
    pub(crate) nodelist: NodeList,
}

pub(crate) struct IfNode {
    pub(crate) branches: Vec<(Option<IfExpr>, NodeList)>,
}

pub(crate) struct ForNode {
    pub(crate) loopvars: Vec<String>,
    pub(crate) sequence: FilterExpression,
    pub(crate) reversed: bool,
    pub(crate) body: NodeList,
    pub(crate) empty: NodeList,
}

pub(crate) struct ExtendsNode {
    pub(crate) parent_name: FilterExpression,
    pub(crate) origin: String,
    pub(crate) blocks: Vec<Arc<BlockDef>>,
}

pub(crate) struct IncludeNode {
    pub(crate) template: FilterExpression,
    pub(crate) extra: IndexMap<String, FilterExpression>,
    pub(crate) only: bool,
    pub(crate) origin_name: Option<String>,
}

pub(crate) struct WithNode {
    pub(crate) extra: IndexMap<String, FilterExpression>,
    pub(crate) body: NodeList,
}

/// One node of the tree.
pub(crate) enum Node {
    Text(Box<str>),
    Var(FilterExpression),
    If(Box<IfNode>),
    For(Box<ForNode>),
    Block(Arc<BlockDef>),
    Extends(Box<ExtendsNode>),
    Include(Box<IncludeNode>),
    With(Box<WithNode>),
    /// A node that renders nothing (`comment`, `load`) but is not text.
    Empty,
    /// Pre-rendered text that is not a text node (`verbatim`).
    Verbatim(Box<str>),
    Tag(Box<dyn TagNode>),
}

/// Django's `render_value_in_context`: localize, then escape when autoescaping.
pub fn render_value(value: &Value, autoescape: bool, out: &mut String) {
    let text: std::borrow::Cow<'_, str> = match value {
        Value::Str(s) | Value::SafeStr(s) => std::borrow::Cow::Borrowed(s),
        // `str(i)`, written with itoa rather than through `fmt` (tables of ids,
        // counters); digits never need escaping.
        Value::Int(i) => {
            out.push_str(itoa::Buffer::new().format(*i));
            return;
        }
        other => std::borrow::Cow::Owned(crate::filters::numbers::localize(other)),
    };
    if autoescape && !value.is_safe() {
        escape_into(out, &text);
    } else {
        out.push_str(&text);
    }
}

fn render_node(node: &Node, ctx: &mut Context, out: &mut String) -> Result<()> {
    match node {
        Node::Text(t) | Node::Verbatim(t) => out.push_str(t),
        Node::Var(fe) => {
            if !fe.render_object_attr(ctx, out)? {
                let v = fe.resolve(ctx, false)?;
                render_value(&v, ctx.autoescape, out);
            }
        }
        Node::If(n) => {
            for (cond, list) in &n.branches {
                let matched = match cond {
                    None => true,
                    Some(c) => c.eval(ctx)?.is_true(),
                };
                if matched {
                    return list.render(ctx, out);
                }
            }
        }
        Node::For(n) => render_for(n, ctx, out)?,
        Node::Block(b) => render_block(b, ctx, out)?,
        Node::Extends(e) => render_extends(e, ctx, out)?,
        Node::Include(i) => render_include(i, ctx, out)?,
        Node::With(w) => {
            let mut values = IndexMap::with_capacity(w.extra.len());
            for (k, fe) in &w.extra {
                values.insert(k.clone(), fe.resolve(ctx, false)?);
            }
            ctx.push_values(values);
            let r = w.body.render(ctx, out);
            ctx.drop_top();
            r?;
        }
        Node::Empty => {}
        Node::Tag(t) => t.render(ctx, out)?,
    }
    Ok(())
}

fn render_for(n: &ForNode, ctx: &mut Context, out: &mut String) -> Result<()> {
    let parentloop = ctx.get("forloop").cloned().unwrap_or_else(empty_parentloop);
    ctx.push();
    let r = render_for_inner(n, ctx, out, parentloop);
    ctx.drop_top();
    r
}

/// The `forloop.parentloop` of an outermost loop (Django's `{}`): one empty dict shared
/// by every render, as nothing can write into a template's dict values.
fn empty_parentloop() -> Value {
    static EMPTY: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Value::dict(IndexMap::new())).clone()
}

fn render_for_inner(n: &ForNode, ctx: &mut Context, out: &mut String, parentloop: Value) -> Result<()> {
    let values = n.sequence.resolve(ctx, true)?;
    let items: Arc<Vec<Value>> = match values {
        Value::None => Arc::new(Vec::new()),
        Value::List(l) | Value::Tuple(l) => l,
        other => Arc::new(other.py_iter()?),
    };
    let len = items.len();
    if len == 0 {
        return n.empty.render(ctx, out);
    }
    let fl = Arc::new(ForLoop::new(len, parentloop));
    ctx.set("forloop", Value::ForLoop(fl.clone()));
    let unpack = n.loopvars.len() > 1;
    for i in 0..len {
        let item = if n.reversed {
            &items[len - 1 - i]
        } else {
            &items[i]
        };
        fl.set(i);
        if unpack {
            let parts = match item.py_len() {
                Ok(_) => item.py_iter()?,
                Err(_) => vec![item.clone()],
            };
            if parts.len() != n.loopvars.len() {
                return Err(TemplateError::ValueError(format!(
                    "Need {} values to unpack in for loop; got {}. ",
                    n.loopvars.len(),
                    parts.len()
                )));
            }
            ctx.push_small(n.loopvars.iter().cloned().zip(parts).collect());
            let r = n.body.render(ctx, out);
            ctx.drop_top();
            r?;
        } else {
            ctx.set(&n.loopvars[0], item.clone());
            n.body.render(ctx, out)?;
        }
    }
    Ok(())
}

fn block_context_pop(ctx: &mut Context, name: &str) -> Option<Option<Arc<BlockDef>>> {
    match ctx.render.top().get_mut(&BLOCK_CONTEXT) {
        Some(RenderState::Blocks(map)) => Some(map.get_mut(name).and_then(|v| v.pop())),
        _ => None,
    }
}

fn block_context_push(ctx: &mut Context, name: &str, block: Arc<BlockDef>) {
    if let Some(RenderState::Blocks(map)) = ctx.render.top().get_mut(&BLOCK_CONTEXT) {
        map.entry(name.to_string()).or_default().push(block);
    }
}

fn render_block(this: &Arc<BlockDef>, ctx: &mut Context, out: &mut String) -> Result<()> {
    ctx.push();
    let r = match block_context_pop(ctx, &this.name) {
        None => {
            ctx.set("block", Value::Block(BlockValue(this.clone(), false)));
            this.nodelist.render(ctx, out)
        }
        Some(popped) => {
            let block = popped.clone().unwrap_or_else(|| this.clone());
            ctx.set("block", Value::Block(BlockValue(block.clone(), true)));
            let r = block.nodelist.render(ctx, out);
            if let Some(p) = popped {
                block_context_push(ctx, &this.name, p);
            }
            r
        }
    };
    ctx.drop_top();
    r
}

/// `{{ block.super }}`.
pub(crate) fn block_super(b: &BlockValue, ctx: &mut Context) -> Result<Value> {
    if !b.1 {
        return Err(TemplateError::syntax(
            "'BlockNode' object has no attribute 'context'. Did you use {{ block.super }} in a base template?",
        ));
    }
    let has_next = match ctx.render.top().get(&BLOCK_CONTEXT) {
        Some(RenderState::Blocks(map)) => map.get(&b.0.name).is_some_and(|v| !v.is_empty()),
        _ => false,
    };
    if has_next {
        let mut out = String::new();
        render_block(&b.0, ctx, &mut out)?;
        Ok(Value::safe(out))
    } else {
        Ok(Value::safe(""))
    }
}

fn add_blocks(ctx: &mut Context, blocks: &[Arc<BlockDef>]) {
    let top = ctx.render.top();
    let entry = top
        .entry(BLOCK_CONTEXT)
        .or_insert_with(|| RenderState::Blocks(Default::default()));
    if let RenderState::Blocks(map) = entry {
        for b in blocks {
            map.entry(b.name.clone()).or_default().insert(0, b.clone());
        }
    }
}

fn render_extends(e: &ExtendsNode, ctx: &mut Context, out: &mut String) -> Result<()> {
    let parent_val = e.parent_name.resolve(ctx, false)?;
    if !parent_val.is_true() {
        let mut msg = format!(
            "Invalid template name in 'extends' tag: {}.",
            parent_val.py_repr()
        );
        if e.parent_name.is_var_or_filtered() {
            msg.push_str(&format!(
                " Got this from the '{}' variable.",
                e.parent_name.token()
            ));
        }
        return Err(TemplateError::syntax(msg));
    }
    let engine = ctx
        .engine
        .clone()
        .ok_or_else(|| TemplateError::syntax("{% extends %} needs an engine to load the parent template"))?;
    let name = parent_val.py_str();
    let history = {
        let top = ctx.render.top();
        let entry = top
            .entry(EXTENDS_HISTORY)
            .or_insert_with(|| RenderState::ExtendsHistory(vec![e.origin.clone()]));
        match entry {
            RenderState::ExtendsHistory(h) => h.clone(),
            _ => Vec::new(),
        }
    };
    let parent = engine.find_template(&name, &history)?;
    if let Some(RenderState::ExtendsHistory(h)) = ctx.render.top().get_mut(&EXTENDS_HISTORY) {
        h.push(parent.origin.clone());
    }
    add_blocks(ctx, &e.blocks);
    if !parent.is_child {
        add_blocks(ctx, &parent.blocks);
    }
    parent.nodelist.render(ctx, out)
}

fn render_include(n: &IncludeNode, ctx: &mut Context, out: &mut String) -> Result<()> {
    let tv = n.template.resolve(ctx, false)?;
    let names: Vec<String> = match &tv {
        Value::Str(s) | Value::SafeStr(s) if !s.is_empty() => {
            vec![crate::template::construct_relative_path(
                n.origin_name.as_deref(),
                s,
            )?]
        }
        Value::List(l) | Value::Tuple(l) => l.iter().map(Value::py_str).collect(),
        v if !v.is_true() => Vec::new(),
        v => vec![v.py_str()],
    };
    let engine = ctx
        .engine
        .clone()
        .ok_or_else(|| TemplateError::syntax("{% include %} needs an engine to load templates"))?;
    let template = engine.select_template(&names)?;
    let mut values = IndexMap::with_capacity(n.extra.len());
    for (k, fe) in &n.extra {
        values.insert(k.clone(), fe.resolve(ctx, false)?);
    }
    if n.only {
        ctx.with_new_dicts(values, |c| template.render_nested(c, out))
    } else {
        ctx.push_values(values);
        let r = template.render_nested(ctx, out);
        ctx.drop_top();
        r
    }
}
