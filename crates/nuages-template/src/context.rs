//! The context stack (Django's `Context`): a stack of dicts searched from the top, plus the
//! per-render state (Django's `render_context`) that tags like `cycle` and `block` keep.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::engine::Engine;
use crate::error::Result;
use crate::nodes::BlockDef;
use crate::value::Value;

type Dict = IndexMap<String, Value>;

/// The most names a [`Frame`] keeps in a plain vector before it becomes a map.
const SMALL_FRAME: usize = 8;

/// One dict of the stack. Most hold one to three names (a loop's variable and
/// `forloop`, a `with`'s names): those are a vector searched in order, which costs
/// less than hashing the key, and one allocation where a map makes two. A frame that
/// grows past [`SMALL_FRAME`] names, or that arrives as a map, is a map.
#[derive(Clone)]
pub(crate) enum Frame {
    Small(Vec<(String, Value)>),
    Map(Dict),
}

impl Default for Frame {
    fn default() -> Self {
        Frame::Small(Vec::new())
    }
}

impl Frame {
    fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Frame::Small(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Frame::Map(map) => crate::value::dict_get(map, key),
        }
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self {
            Frame::Small(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            Frame::Map(map) => map.get_mut(key),
        }
    }

    /// Sets `key`, keeping its place when it is already there (as a dict does).
    fn set(&mut self, key: &str, value: Value) {
        if let Some(slot) = self.get_mut(key) {
            *slot = value;
            return;
        }
        match self {
            Frame::Small(entries) if entries.len() < SMALL_FRAME => {
                if entries.capacity() == 0 {
                    entries.reserve_exact(4);
                }
                entries.push((key.to_owned(), value));
            }
            Frame::Small(entries) => {
                let mut map: Dict = std::mem::take(entries).into_iter().collect();
                map.insert(key.to_owned(), value);
                *self = Frame::Map(map);
            }
            Frame::Map(map) => {
                map.insert(key.to_owned(), value);
            }
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = (&String, &Value)> + '_> {
        match self {
            Frame::Small(entries) => Box::new(entries.iter().map(|(k, v)| (k, v))),
            Frame::Map(map) => Box::new(map.iter()),
        }
    }

    fn into_dict(self) -> Dict {
        match self {
            Frame::Small(entries) => entries.into_iter().collect(),
            Frame::Map(map) => map,
        }
    }
}

/// State kept per template render (`context.render_context` in Django).
pub(crate) enum RenderState {
    Cycle(usize),
    Blocks(HashMap<String, Vec<Arc<BlockDef>>>),
    ExtendsHistory(Vec<String>),
    Changed(Value),
}

/// Render-context key of the block context (`BLOCK_CONTEXT_KEY`).
pub(crate) const BLOCK_CONTEXT: u32 = 1;
/// Render-context key of the extends history.
pub(crate) const EXTENDS_HISTORY: u32 = 2;

#[derive(Default)]
pub(crate) struct RenderContext {
    pub(crate) stack: Vec<HashMap<u32, RenderState>>,
}

impl RenderContext {
    pub(crate) fn top(&mut self) -> &mut HashMap<u32, RenderState> {
        if self.stack.is_empty() {
            self.stack.push(HashMap::new());
        }
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }
}

/// The variables a template renders with: a stack of dicts, the autoescape flag and the
/// render state.
///
/// ```
/// use nuages_template::{Context, Engine};
///
/// #[derive(serde::Serialize)]
/// struct Page { title: &'static str, tags: Vec<&'static str> }
///
/// let engine = Engine::builder().build();
/// let t = engine.from_string("{{ title }}: {{ tags|join:', ' }}").unwrap();
/// let mut ctx = Context::from_serialize(&Page { title: "Home", tags: vec!["a", "b"] }).unwrap();
/// ctx.insert("extra", 1);
/// assert_eq!(t.render(&mut ctx).unwrap(), "Home: a, b");
/// ```
pub struct Context {
    /// The dicts above Django's builtins dict, bottom first.
    pub(crate) dicts: Vec<Frame>,
    /// Django's builtins dict (the bottom of the stack), `None` while it holds only
    /// `True`, `False` and `None`: those are then read from the shared [`BUILTINS`], so a
    /// new context (one per rendered page) allocates nothing for them. It becomes a copy of
    /// its own only when a template writes into it (`set_upward` of a builtin name), so
    /// no context ever sees another's writes.
    builtins: Option<Box<Dict>>,
    /// Whether variables are HTML-escaped when rendered (Django's `Context(autoescape=...)`).
    pub autoescape: bool,
    pub(crate) render: RenderContext,
    pub(crate) engine: Option<Engine>,
    pub(crate) processors_index: Option<usize>,
    pub(crate) depth: usize,
}

impl Default for Context {
    fn default() -> Self {
        Self::new()
    }
}

/// Django's `builtins` (`{'True': True, 'False': False, 'None': None}`), shared by every
/// context that has not written into its own.
static BUILTINS: [(&str, Value); 3] = [
    ("True", Value::Bool(true)),
    ("False", Value::Bool(false)),
    ("None", Value::None),
];

fn builtin(key: &str) -> Option<&'static Value> {
    BUILTINS.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

impl Context {
    /// An empty context (with Django's `True`/`False`/`None` builtins), autoescaping on.
    pub fn new() -> Self {
        Context {
            dicts: vec![Frame::default()],
            builtins: None,
            autoescape: true,
            render: RenderContext::default(),
            engine: None,
            processors_index: None,
            depth: 0,
        }
    }

    /// A context from a dict-like value.
    pub fn from_map(values: IndexMap<String, Value>) -> Self {
        let mut c = Context::new();
        c.dicts[0] = Frame::Map(values);
        c
    }

    /// A context from any `serde::Serialize` value that serializes to a map (a struct or map).
    pub fn from_serialize<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self> {
        match Value::from_serialize(value)? {
            Value::Dict(d) => Ok(Context::from_map(
                Arc::try_unwrap(d).unwrap_or_else(|d| (*d).clone()),
            )),
            Value::None => Ok(Context::new()),
            other => Err(crate::TemplateError::TypeError(format!(
                "context must be a dict rather than {}.",
                other.type_name()
            ))),
        }
    }

    /// Sets `key` in the top dict (`context[key] = value`).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        let key = key.into();
        let value = value.into();
        self.set(&key, value);
    }

    pub(crate) fn set(&mut self, key: &str, value: Value) {
        self.top().set(key, value);
    }

    fn top(&mut self) -> &mut Frame {
        if self.dicts.is_empty() {
            self.dicts.push(Frame::default());
        }
        let last = self.dicts.len() - 1;
        &mut self.dicts[last]
    }

    /// Looks `key` up from the top of the stack down.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.dicts
            .iter()
            .rev()
            .find_map(|d| d.get(key))
            .or_else(|| match &self.builtins {
                Some(own) => crate::value::dict_get(own, key),
                None => builtin(key),
            })
    }

    /// The builtins dict as it is now (a copy; for the rare readers of the whole stack).
    pub(crate) fn builtins_frame(&self) -> Dict {
        match &self.builtins {
            Some(own) => (**own).clone(),
            None => BUILTINS
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
        }
    }

    /// Every dict of the stack, bottom (the builtins) first, as Django's `context.dicts`.
    pub(crate) fn all_frames(&self) -> impl Iterator<Item = Dict> + '_ {
        std::iter::once(self.builtins_frame()).chain(self.dicts.iter().map(|d| d.clone().into_dict()))
    }

    /// Whether `key` is set anywhere in the stack.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Pushes a new, empty dict.
    pub fn push(&mut self) {
        self.dicts.push(Frame::default());
    }

    /// Pushes a dict of values.
    pub fn push_values(&mut self, values: IndexMap<String, Value>) {
        self.dicts.push(Frame::Map(values));
    }

    /// Pushes a dict of a few values, kept as a small frame.
    pub(crate) fn push_small(&mut self, values: Vec<(String, Value)>) {
        self.dicts.push(if values.len() <= SMALL_FRAME {
            Frame::Small(values)
        } else {
            Frame::Map(values.into_iter().collect())
        });
    }

    /// Pops the top dict (never the builtins).
    pub fn pop(&mut self) -> Option<IndexMap<String, Value>> {
        self.dicts.pop().map(Frame::into_dict)
    }

    /// Pops the top dict, for a tag done with it (no map made of a small frame).
    pub(crate) fn drop_top(&mut self) {
        self.dicts.pop();
    }

    /// Django's `set_upward`: sets `key` in the nearest dict that has it, else the top one.
    pub fn set_upward(&mut self, key: &str, value: Value) {
        for d in self.dicts.iter_mut().rev() {
            if let Some(slot) = d.get_mut(key) {
                *slot = value;
                return;
            }
        }
        if self.get(key).is_some() {
            // Only the builtins dict has it: write into this context's own copy.
            if self.builtins.is_none() {
                self.builtins = Some(Box::new(self.builtins_frame()));
            }
            if let Some(slot) = self.builtins.as_mut().and_then(|own| own.get_mut(key)) {
                *slot = value;
            }
            return;
        }
        self.set(key, value);
    }

    /// All values flattened into one dict, upper dicts winning.
    pub fn flatten(&self) -> IndexMap<String, Value> {
        let mut out = IndexMap::new();
        for (k, v) in self.builtins_frame() {
            out.insert(k, v);
        }
        for d in &self.dicts {
            for (k, v) in d.iter() {
                out.insert(k.clone(), v.clone());
            }
        }
        out
    }

    /// Python's `repr(context)` (the list of dicts), as `VariableDoesNotExist` shows it.
    pub(crate) fn repr(&self) -> String {
        let parts: Vec<String> = self
            .all_frames()
            .map(|d| Value::Dict(Arc::new(d)).py_repr())
            .collect();
        format!("[{}]", parts.join(", "))
    }

    pub(crate) fn string_if_invalid(&self) -> &str {
        self.engine.as_ref().map(|e| e.string_if_invalid()).unwrap_or("")
    }

    /// Runs `f` with a fresh dict stack holding only `values` (Django's `context.new()`),
    /// keeping autoescape and render state.
    pub(crate) fn with_new_dicts<T>(
        &mut self,
        values: IndexMap<String, Value>,
        f: impl FnOnce(&mut Context) -> T,
    ) -> T {
        let saved = std::mem::replace(&mut self.dicts, vec![Frame::Map(values)]);
        let saved_builtins = self.builtins.take();
        let saved_index = self.processors_index.take();
        let out = f(self);
        self.dicts = saved;
        self.builtins = saved_builtins;
        self.processors_index = saved_index;
        out
    }

    pub(crate) fn apply_processors(&mut self, engine: &Engine) {
        if self.processors_index.is_some() || engine.inner.context_processors.is_empty() {
            return;
        }
        let mut updates = IndexMap::new();
        for p in &engine.inner.context_processors {
            for (k, v) in p(self) {
                updates.insert(k, v);
            }
        }
        self.dicts.insert(0, Frame::Map(updates));
        self.processors_index = Some(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(v: Option<&Value>) -> Option<String> {
        v.map(Value::py_repr)
    }

    /// A frame keeps its names in the order set, whether it is still a small vector or
    /// has become a map; setting a name again keeps its place, as in a dict.
    #[test]
    fn frames_behave_as_dicts_past_the_small_size() {
        let mut ctx = Context::new();
        ctx.push();
        for i in 0..12 {
            ctx.insert(format!("k{i}"), i);
            ctx.insert("k0", 100);
        }
        assert_eq!(repr(ctx.get("k11")).as_deref(), Some("11"));
        assert_eq!(repr(ctx.get("k0")).as_deref(), Some("100"));
        let top = ctx.pop().unwrap();
        let keys: Vec<&str> = top.keys().map(String::as_str).collect();
        assert_eq!(keys, (0..12).map(|i| format!("k{i}")).collect::<Vec<_>>());
        assert!(ctx.get("k1").is_none());
        // A small frame popped is a dict too, and `set_upward` writes where the name is.
        ctx.insert("outer", 1);
        ctx.push();
        ctx.insert("inner", 2);
        ctx.set_upward("outer", Value::Int(3));
        let inner = ctx.pop().unwrap();
        assert_eq!(inner.keys().collect::<Vec<_>>(), ["inner"]);
        assert_eq!(repr(ctx.get("outer")).as_deref(), Some("3"));
        assert_eq!(repr(ctx.flatten().get("True")).as_deref(), Some("True"));
    }
}
