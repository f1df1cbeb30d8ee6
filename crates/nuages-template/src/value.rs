//! The values a template sees. Django templates work on Python objects; this enum models
//! the Python types that matter for rendering (with Python's `str()`, `repr()`, truthiness,
//! equality and ordering), so filters can follow Django's code path for each type.

use std::cmp::Ordering;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use indexmap::IndexMap;
use rust_decimal::Decimal;

use crate::error::{Result, TemplateError};

/// A zero-argument function that templates call when they reach it (Django calls callables).
pub type CallableFn = dyn Fn() -> Result<Value> + Send + Sync;

/// An application object exposed to templates: attributes (computed or stored) and `__str__`.
///
/// Implement it for a model to expose `get_absolute_url` or a `@property`-like value.
///
/// ```
/// use nuages_template::{Engine, Context, TemplateObject, Value};
/// use std::sync::Arc;
///
/// struct Book { id: i64, title: String }
/// impl TemplateObject for Book {
///     fn get_attr(&self, name: &str) -> Option<Value> {
///         match name {
///             "title" => Some(Value::from(self.title.as_str())),
///             "get_absolute_url" => Some(Value::from(format!("/books/{}/", self.id))),
///             _ => None,
///         }
///     }
///     fn to_str(&self) -> String { self.title.clone() }
/// }
///
/// let engine = Engine::builder().build();
/// let t = engine.from_string("<a href=\"{{ b.get_absolute_url }}\">{{ b }}</a>").unwrap();
/// let mut ctx = Context::new();
/// ctx.insert("b", Value::object(Book { id: 3, title: "Dune".into() }));
/// assert_eq!(t.render(&mut ctx).unwrap(), "<a href=\"/books/3/\">Dune</a>");
/// ```
pub trait TemplateObject: Send + Sync + 'static {
    /// Attribute lookup (`obj.name`); `None` when the attribute does not exist.
    fn get_attr(&self, name: &str) -> Option<Value>;
    /// `str(obj)`.
    fn to_str(&self) -> String;
    /// The attribute `name` when it is a `str` the object holds, borrowed: `{{ obj.name }}`
    /// is then escaped straight from it into the page, with no [`Value`] made (and no
    /// copy of the string) for every row of a table. It must agree with
    /// [`TemplateObject::get_attr`], which answers for the same attribute with
    /// `Value::from` the same text (filters, `{% if %}` and every other use still go
    /// through `get_attr`). Default: `None`, so `get_attr` answers.
    ///
    /// ```
    /// use nuages_template::{Context, Engine, TemplateObject, Value};
    ///
    /// struct Fortune { message: String }
    /// impl TemplateObject for Fortune {
    ///     fn get_attr(&self, name: &str) -> Option<Value> {
    ///         self.str_attr(name).map(Value::from)
    ///     }
    ///     fn str_attr(&self, name: &str) -> Option<&str> {
    ///         (name == "message").then_some(self.message.as_str())
    ///     }
    ///     fn to_str(&self) -> String { "Fortune object".into() }
    /// }
    ///
    /// let t = Engine::new().from_string("{{ f.message }}|{{ f.message|upper }}").unwrap();
    /// let mut ctx = Context::new();
    /// ctx.insert("f", Value::object(Fortune { message: "<b>".into() }));
    /// assert_eq!(t.render(&mut ctx).unwrap(), "&lt;b&gt;|&lt;B&gt;");
    /// ```
    fn str_attr(&self, _name: &str) -> Option<&str> {
        None
    }
    /// Subscription (`obj[key]`), tried before attributes as Django does. Default: not subscriptable.
    fn get_item(&self, _key: &Value) -> Option<Value> {
        None
    }
    /// The Python type name used in messages.
    fn type_name(&self) -> &str {
        "object"
    }
    /// `repr(obj)`.
    fn repr(&self) -> String {
        format!("<{} object>", self.type_name())
    }
    /// `bool(obj)`.
    fn is_true(&self) -> bool {
        true
    }
    /// `len(obj)`, when the object is sized.
    fn len(&self) -> Option<usize> {
        None
    }
    /// `len(obj) == 0`.
    fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
    /// The items of `iter(obj)`, when the object is iterable.
    fn iter(&self) -> Option<Vec<Value>> {
        None
    }
    /// Whether `str(obj)` is already HTML-safe (Python's `__html__`).
    fn is_safe(&self) -> bool {
        false
    }
}

/// A plain object made of named attributes and an optional `__str__`, as in Python
/// `types.SimpleNamespace`. Attributes that are [`Value::Callable`] are called on lookup.
#[derive(Clone, Debug, Default)]
pub struct AttrObject {
    /// The attributes, in definition order.
    pub attrs: IndexMap<String, Value>,
    /// What `str()` returns; defaults to the `repr()`.
    pub str_value: Option<String>,
}

impl TemplateObject for AttrObject {
    fn get_attr(&self, name: &str) -> Option<Value> {
        self.attrs.get(name).cloned()
    }
    fn to_str(&self) -> String {
        self.str_value.clone().unwrap_or_else(|| self.repr())
    }
    fn type_name(&self) -> &str {
        "SimpleNamespace"
    }
    fn repr(&self) -> String {
        let parts: Vec<String> = self
            .attrs
            .iter()
            .map(|(k, v)| format!("{k}={}", v.py_repr()))
            .collect();
        format!("namespace({})", parts.join(", "))
    }
}

/// The state of one `{% for %}` loop (Django's `forloop` dict).
pub struct ForLoop {
    pub(crate) counter0: AtomicUsize,
    pub(crate) len: usize,
    pub(crate) parentloop: Value,
    pub(crate) ifchanged: Mutex<Vec<(u32, Value)>>,
}

impl ForLoop {
    pub(crate) fn new(len: usize, parentloop: Value) -> Self {
        ForLoop {
            counter0: AtomicUsize::new(0),
            len,
            parentloop,
            ifchanged: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn set(&self, i: usize) {
        self.counter0.store(i, AtomicOrdering::Relaxed);
    }

    fn get(&self, name: &str) -> Option<Value> {
        let i = self.counter0.load(AtomicOrdering::Relaxed);
        Some(match name {
            "counter0" => Value::Int(i as i64),
            "counter" => Value::Int(i as i64 + 1),
            "revcounter" => Value::Int((self.len - i) as i64),
            "revcounter0" => Value::Int((self.len - i) as i64 - 1),
            "first" => Value::Bool(i == 0),
            "last" => Value::Bool(i + 1 == self.len),
            "parentloop" => self.parentloop.clone(),
            _ => return None,
        })
    }

    const KEYS: [&'static str; 7] = [
        "parentloop",
        "counter0",
        "counter",
        "revcounter",
        "revcounter0",
        "first",
        "last",
    ];
}

/// A block being rendered, as `{{ block }}` / `{{ block.super }}` see it.
#[derive(Clone)]
pub struct BlockValue(pub(crate) Arc<crate::nodes::BlockDef>, pub(crate) bool);

/// One element of a list of application objects that share one allocation
/// ([`Value::objects`]): a template sees it as it sees a [`Value::Object`].
///
/// Twelve rows put in a template as twelve `Value::object`s take twelve allocations, and
/// as many frees once the page is rendered; as elements they take none. The index is a
/// `u32` so that the element fits where a `Value::Object` does.
#[derive(Clone)]
pub struct ObjectElement {
    list: Arc<ObjectList>,
    index: u32,
}

impl ObjectElement {
    /// The object.
    pub fn object(&self) -> &dyn TemplateObject {
        self.list.0.element(self.index as usize)
    }

    fn same(&self, other: &ObjectElement) -> bool {
        Arc::ptr_eq(&self.list, &other.list) && self.index == other.index
    }
}

/// The objects of a [`Value::objects`] list, behind a thin pointer (the box holds the
/// vtable, so that an [`ObjectElement`] is two words).
struct ObjectList(Box<dyn ObjectSlice>);

/// A list of objects of one type, read by index.
trait ObjectSlice: Send + Sync {
    fn element(&self, index: usize) -> &dyn TemplateObject;
}

impl<T: TemplateObject> ObjectSlice for Vec<T> {
    fn element(&self, index: usize) -> &dyn TemplateObject {
        &self[index]
    }
}

/// A template value: the Python types Django templates meet, plus application objects.
#[derive(Clone, Default)]
pub enum Value {
    /// `None`.
    #[default]
    None,
    /// `True` / `False`.
    Bool(bool),
    /// `int`.
    Int(i64),
    /// `float` (including `nan` and `inf`).
    Float(f64),
    /// `decimal.Decimal`.
    Decimal(Decimal),
    /// `str`, escaped when autoescaping.
    Str(Arc<str>),
    /// `SafeString` (`mark_safe`), never escaped.
    SafeStr(Arc<str>),
    /// `list`.
    List(Arc<Vec<Value>>),
    /// `tuple`.
    Tuple(Arc<Vec<Value>>),
    /// `dict` (insertion ordered, string keys).
    Dict(Arc<IndexMap<String, Value>>),
    /// `datetime.date`.
    Date(NaiveDate),
    /// `datetime.datetime`: wall-clock time, with its UTC offset when aware.
    DateTime(NaiveDateTime, Option<FixedOffset>),
    /// `datetime.time`.
    Time(NaiveTime),
    /// An application object.
    Object(Arc<dyn TemplateObject>),
    /// An application object in a list made by [`Value::objects`].
    Element(ObjectElement),
    /// A zero-argument callable, called when a lookup reaches it.
    Callable(Arc<CallableFn>),
    /// A `{% for %}` loop's `forloop`.
    ForLoop(Arc<ForLoop>),
    /// `{{ block }}` inside a block.
    Block(BlockValue),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.py_repr())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.py_str())
    }
}

/// Python's `repr()` of a float.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{x:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let point = exp as usize + 1;
            if digits.len() <= point {
                out.push_str(&digits);
                for _ in digits.len()..point {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
    }
    out
}

pub use nuages_core::pyrepr::repr_str;

fn decimal_str(d: &Decimal) -> String {
    d.to_string()
}

fn time_iso(t: &NaiveTime) -> String {
    let micro = t.nanosecond() / 1000;
    if micro != 0 {
        format!("{:02}:{:02}:{:02}.{:06}", t.hour(), t.minute(), t.second(), micro)
    } else {
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
    }
}

pub(crate) fn offset_iso(o: &FixedOffset) -> String {
    let secs = o.local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.abs();
    format!("{sign}{:02}:{:02}", secs / 3600, (secs / 60) % 60)
}

pub(crate) fn datetime_iso(dt: &NaiveDateTime, tz: &Option<FixedOffset>, sep: char) -> String {
    let mut s = format!("{}{sep}{}", dt.date().format("%Y-%m-%d"), time_iso(&dt.time()));
    if let Some(o) = tz {
        s.push_str(&offset_iso(o));
    }
    s
}

impl Value {
    /// A plain (escapable) string.
    pub fn str(s: impl Into<Arc<str>>) -> Value {
        Value::Str(s.into())
    }

    /// A safe string (`mark_safe`).
    pub fn safe(s: impl Into<Arc<str>>) -> Value {
        Value::SafeStr(s.into())
    }

    /// Wraps an application object.
    pub fn object(obj: impl TemplateObject) -> Value {
        Value::Object(Arc::new(obj))
    }

    /// A list of application objects (a page of model instances, say), held in one
    /// allocation: the list's values are [`Value::Element`]s, which templates read as
    /// they read `Value::object`s.
    ///
    /// ```
    /// use nuages_template::{Context, Engine, TemplateObject, Value};
    ///
    /// struct Book { title: String }
    /// impl TemplateObject for Book {
    ///     fn get_attr(&self, name: &str) -> Option<Value> {
    ///         (name == "title").then(|| Value::from(self.title.as_str()))
    ///     }
    ///     fn to_str(&self) -> String { self.title.clone() }
    /// }
    ///
    /// let books = vec![Book { title: "Dune".into() }, Book { title: "Emma".into() }];
    /// let t = Engine::new()
    ///     .from_string("{% for b in books %}{{ b.title }}{% if not forloop.last %}, {% endif %}{% endfor %} ({{ books|length }}, {{ books.1 }})")
    ///     .unwrap();
    /// let mut ctx = Context::new();
    /// ctx.insert("books", Value::objects(books));
    /// assert_eq!(t.render(&mut ctx).unwrap(), "Dune, Emma (2, Emma)");
    /// ```
    pub fn objects<T: TemplateObject>(objects: Vec<T>) -> Value {
        let len = objects.len();
        if u32::try_from(len).is_err() {
            return Value::list(objects.into_iter().map(Value::object).collect());
        }
        let list = Arc::new(ObjectList(Box::new(objects)));
        Value::list(
            (0..len as u32)
                .map(|index| {
                    Value::Element(ObjectElement {
                        list: list.clone(),
                        index,
                    })
                })
                .collect(),
        )
    }

    /// The application object this value is ([`Value::Object`] or [`Value::Element`]).
    pub fn as_object(&self) -> Option<&dyn TemplateObject> {
        match self {
            Value::Object(o) => Some(&**o),
            Value::Element(e) => Some(e.object()),
            _ => None,
        }
    }

    /// A zero-argument callable.
    pub fn callable(f: impl Fn() -> Result<Value> + Send + Sync + 'static) -> Value {
        Value::Callable(Arc::new(f))
    }

    /// A list.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    /// A tuple.
    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(Arc::new(items))
    }

    /// A dict.
    pub fn dict(items: IndexMap<String, Value>) -> Value {
        Value::Dict(Arc::new(items))
    }

    /// Converts anything `serde::Serialize` through its JSON form.
    pub fn from_serialize<T: serde::Serialize + ?Sized>(value: &T) -> Result<Value> {
        serde_json::to_value(value)
            .map(Value::from)
            .map_err(|e| TemplateError::TypeError(format!("cannot convert context value: {e}")))
    }

    /// Whether this is a `SafeString` (or an object declaring `__html__`).
    pub fn is_safe(&self) -> bool {
        match self {
            Value::SafeStr(_) => true,
            Value::Object(o) => o.is_safe(),
            Value::Element(e) => e.object().is_safe(),
            _ => false,
        }
    }

    /// `x is None`.
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    /// The string content when this is a `str` or `SafeString`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::SafeStr(s) => Some(s),
            _ => None,
        }
    }

    /// Python's `bool(x)`.
    pub fn is_true(&self) -> bool {
        match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Decimal(d) => !d.is_zero(),
            Value::Str(s) | Value::SafeStr(s) => !s.is_empty(),
            Value::List(l) | Value::Tuple(l) => !l.is_empty(),
            Value::Dict(d) => !d.is_empty(),
            Value::Object(o) => o.is_true(),
            Value::Element(e) => e.object().is_true(),
            _ => true,
        }
    }

    /// The Python type name, for messages.
    pub fn type_name(&self) -> &str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Decimal(_) => "decimal.Decimal",
            Value::Str(_) => "str",
            Value::SafeStr(_) => "SafeString",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) | Value::ForLoop(_) => "dict",
            Value::Date(_) => "datetime.date",
            Value::DateTime(..) => "datetime.datetime",
            Value::Time(_) => "datetime.time",
            Value::Object(o) => o.type_name(),
            Value::Element(e) => e.object().type_name(),
            Value::Callable(_) => "function",
            Value::Block(_) => "BlockNode",
        }
    }

    /// Python's `str(x)`.
    pub fn py_str(&self) -> String {
        match self {
            Value::Str(s) | Value::SafeStr(s) => s.to_string(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::DateTime(dt, tz) => datetime_iso(dt, tz, ' '),
            Value::Time(t) => time_iso(t),
            Value::Decimal(d) => decimal_str(d),
            Value::Object(o) => o.to_str(),
            Value::Element(e) => e.object().to_str(),
            Value::Block(b) => format!("<Block Node: {}. Contents: {}>", b.0.name, "[...]"),
            _ => self.py_repr(),
        }
    }

    /// Python's `repr(x)`.
    pub fn py_repr(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => float_repr(*f),
            Value::Decimal(d) => format!("Decimal('{}')", decimal_str(d)),
            Value::Str(s) | Value::SafeStr(s) => repr_str(s),
            Value::List(l) => {
                let parts: Vec<String> = l.iter().map(Value::py_repr).collect();
                format!("[{}]", parts.join(", "))
            }
            Value::Tuple(l) => {
                let parts: Vec<String> = l.iter().map(Value::py_repr).collect();
                if parts.len() == 1 {
                    format!("({},)", parts[0])
                } else {
                    format!("({})", parts.join(", "))
                }
            }
            Value::Dict(d) => {
                let parts: Vec<String> = d
                    .iter()
                    .map(|(k, v)| format!("{}: {}", repr_str(k), v.py_repr()))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            Value::ForLoop(f) => {
                let parts: Vec<String> = ForLoop::KEYS
                    .iter()
                    .map(|k| format!("'{k}': {}", f.get(k).unwrap_or_default().py_repr()))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            Value::Date(d) => format!("datetime.date({}, {}, {})", d.year(), d.month(), d.day()),
            Value::DateTime(dt, tz) => {
                let mut parts = vec![
                    dt.year().to_string(),
                    dt.month().to_string(),
                    dt.day().to_string(),
                    dt.hour().to_string(),
                    dt.minute().to_string(),
                ];
                let micro = dt.nanosecond() / 1000;
                if dt.second() != 0 || micro != 0 {
                    parts.push(dt.second().to_string());
                }
                if micro != 0 {
                    parts.push(micro.to_string());
                }
                if let Some(o) = tz {
                    if o.local_minus_utc() == 0 {
                        parts.push("tzinfo=datetime.timezone.utc".into());
                    } else {
                        parts.push(format!(
                            "tzinfo=datetime.timezone(datetime.timedelta(seconds={}))",
                            o.local_minus_utc()
                        ));
                    }
                }
                format!("datetime.datetime({})", parts.join(", "))
            }
            Value::Time(t) => {
                let micro = t.nanosecond() / 1000;
                let mut parts = vec![t.hour().to_string(), t.minute().to_string()];
                if t.second() != 0 || micro != 0 {
                    parts.push(t.second().to_string());
                }
                if micro != 0 {
                    parts.push(micro.to_string());
                }
                format!("datetime.time({})", parts.join(", "))
            }
            Value::Object(o) => o.repr(),
            Value::Element(e) => e.object().repr(),
            Value::Callable(_) => "<function>".into(),
            Value::Block(b) => format!("<Block Node: {}. Contents: [...]>", b.0.name),
        }
    }

    /// As a Python number for arithmetic: ints (and bools) as `Int`, others as `Float`/`Decimal`.
    fn numeric_rank(&self) -> Option<u8> {
        match self {
            Value::Bool(_) | Value::Int(_) => Some(0),
            Value::Decimal(_) => Some(1),
            Value::Float(_) => Some(2),
            _ => None,
        }
    }

    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Bool(b) => Some(*b as i64 as f64),
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Decimal(d) => d.to_string().parse().ok(),
            _ => None,
        }
    }

    fn as_i64_exact(&self) -> Option<i64> {
        match self {
            Value::Bool(b) => Some(*b as i64),
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// Python's `==`.
    pub fn py_eq(&self, other: &Value) -> bool {
        if let (Some(a), Some(b)) = (self.numeric_rank(), other.numeric_rank()) {
            if a == 0 && b == 0 {
                return self.as_i64_exact() == other.as_i64_exact();
            }
            if let (Some(x), Some(y)) = (self.to_decimal_exact(), other.to_decimal_exact()) {
                if a <= 1 && b <= 1 {
                    return x == y;
                }
            }
            return self.as_f64() == other.as_f64();
        }
        match (self, other) {
            (Value::None, Value::None) => true,
            (Value::Str(a) | Value::SafeStr(a), Value::Str(b) | Value::SafeStr(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.py_eq(y))
            }
            (Value::Dict(a), Value::Dict(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.py_eq(w)))
            }
            (Value::Date(a), Value::Date(b)) => a == b,
            (Value::DateTime(a, ta), Value::DateTime(b, tb)) => match (ta, tb) {
                (None, None) => a == b,
                (Some(x), Some(y)) => utc_of(a, x) == utc_of(b, y),
                _ => false,
            },
            (Value::Time(a), Value::Time(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => Arc::ptr_eq(a, b),
            (Value::Element(a), Value::Element(b)) => a.same(b),
            (Value::ForLoop(a), Value::ForLoop(b)) => Arc::ptr_eq(a, b),
            (Value::Callable(a), Value::Callable(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    fn to_decimal_exact(&self) -> Option<Decimal> {
        match self {
            Value::Bool(b) => Some(Decimal::from(*b as i64)),
            Value::Int(i) => Some(Decimal::from(*i)),
            Value::Decimal(d) => Some(*d),
            _ => None,
        }
    }

    /// Python's `<` family: `None` when Python raises `TypeError`.
    pub fn py_cmp(&self, other: &Value) -> Option<Ordering> {
        if let (Some(a), Some(b)) = (self.numeric_rank(), other.numeric_rank()) {
            if a <= 1 && b <= 1 {
                return self.to_decimal_exact()?.partial_cmp(&other.to_decimal_exact()?);
            }
            return self.as_f64()?.partial_cmp(&other.as_f64()?);
        }
        match (self, other) {
            (Value::Str(a) | Value::SafeStr(a), Value::Str(b) | Value::SafeStr(b)) => Some(a.cmp(b)),
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                for (x, y) in a.iter().zip(b.iter()) {
                    if !x.py_eq(y) {
                        return x.py_cmp(y);
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            (Value::DateTime(a, ta), Value::DateTime(b, tb)) => match (ta, tb) {
                (None, None) => Some(a.cmp(b)),
                (Some(x), Some(y)) => Some(utc_of(a, x).cmp(&utc_of(b, y))),
                _ => None,
            },
            (Value::Time(a), Value::Time(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// Python's `len(x)`.
    pub fn py_len(&self) -> Result<usize> {
        if let Some(o) = self.as_object() {
            return o.len().ok_or_else(|| {
                TemplateError::TypeError(format!("object of type '{}' has no len()", o.type_name()))
            });
        }
        match self {
            Value::Str(s) | Value::SafeStr(s) => Ok(s.chars().count()),
            Value::List(l) | Value::Tuple(l) => Ok(l.len()),
            Value::Dict(d) => Ok(d.len()),
            Value::ForLoop(_) => Ok(ForLoop::KEYS.len()),
            _ => Err(TemplateError::TypeError(format!(
                "object of type '{}' has no len()",
                self.short_type()
            ))),
        }
    }

    pub(crate) fn short_type(&self) -> &str {
        match self {
            Value::Date(_) => "date",
            Value::DateTime(..) => "datetime",
            Value::Time(_) => "time",
            Value::Decimal(_) => "decimal.Decimal",
            v => v.type_name(),
        }
    }

    /// Python's `list(iter(x))`.
    pub fn py_iter(&self) -> Result<Vec<Value>> {
        if let Some(o) = self.as_object() {
            return o.iter().ok_or_else(|| {
                TemplateError::TypeError(format!("'{}' object is not iterable", o.type_name()))
            });
        }
        match self {
            Value::List(l) | Value::Tuple(l) => Ok(l.as_ref().clone()),
            Value::Str(s) | Value::SafeStr(s) => Ok(s.chars().map(|c| Value::str(c.to_string())).collect()),
            Value::Dict(d) => Ok(d.keys().map(|k| Value::str(k.as_str())).collect()),
            Value::ForLoop(_) => Ok(ForLoop::KEYS.iter().map(|k| Value::str(*k)).collect()),
            _ => Err(TemplateError::TypeError(format!(
                "'{}' object is not iterable",
                self.short_type()
            ))),
        }
    }

    /// `x[key]` with a string key (dict lookup), as Django's first lookup step.
    pub(crate) fn get_key(&self, key: &str) -> Option<Value> {
        match self {
            Value::Dict(d) => dict_get(d, key).cloned(),
            Value::ForLoop(f) => f.get(key),
            Value::Object(o) => o.get_item(&Value::str(key)),
            Value::Element(e) => e.object().get_item(&Value::str(key)),
            _ => None,
        }
    }

    /// `x[i]` with an integer (Python indexing, negative from the end).
    pub(crate) fn get_index(&self, i: i64) -> Option<Value> {
        let pick = |len: usize| -> Option<usize> {
            let idx = if i < 0 { len as i64 + i } else { i };
            (0..len as i64).contains(&idx).then_some(idx as usize)
        };
        match self {
            Value::List(l) | Value::Tuple(l) => pick(l.len()).map(|k| l[k].clone()),
            Value::Str(s) | Value::SafeStr(s) => {
                let chars: Vec<char> = s.chars().collect();
                pick(chars.len()).map(|k| Value::str(chars[k].to_string()))
            }
            Value::Object(o) => o.get_item(&Value::Int(i)),
            Value::Element(e) => e.object().get_item(&Value::Int(i)),
            _ => None,
        }
    }

    /// `getattr(x, name)`, with the zero-argument methods of Python builtins that templates use.
    pub(crate) fn get_attr(&self, name: &str) -> Option<Value> {
        match self {
            Value::Object(o) => o.get_attr(name),
            Value::Element(e) => e.object().get_attr(name),
            Value::Dict(d) => match name {
                "items" => Some(Value::list(
                    d.iter()
                        .map(|(k, v)| Value::tuple(vec![Value::str(k.as_str()), v.clone()]))
                        .collect(),
                )),
                "keys" => Some(Value::list(d.keys().map(|k| Value::str(k.as_str())).collect())),
                "values" => Some(Value::list(d.values().cloned().collect())),
                "copy" => Some(self.clone()),
                _ => None,
            },
            Value::ForLoop(f) => match name {
                "items" => Some(Value::list(
                    ForLoop::KEYS
                        .iter()
                        .map(|k| Value::tuple(vec![Value::str(*k), f.get(k).unwrap_or_default()]))
                        .collect(),
                )),
                "keys" => Some(Value::list(
                    ForLoop::KEYS.iter().map(|k| Value::str(*k)).collect(),
                )),
                "values" => Some(Value::list(
                    ForLoop::KEYS
                        .iter()
                        .map(|k| f.get(k).unwrap_or_default())
                        .collect(),
                )),
                _ => None,
            },
            Value::Str(s) | Value::SafeStr(s) => str_method(s, name),
            Value::Date(d) => date_attr(d, name),
            Value::DateTime(dt, tz) => match name {
                "hour" => Some(Value::Int(dt.hour() as i64)),
                "minute" => Some(Value::Int(dt.minute() as i64)),
                "second" => Some(Value::Int(dt.second() as i64)),
                "microsecond" => Some(Value::Int((dt.nanosecond() / 1000) as i64)),
                "date" => Some(Value::Date(dt.date())),
                "time" => Some(Value::Time(dt.time())),
                "isoformat" => Some(Value::str(datetime_iso(dt, tz, 'T'))),
                "timestamp" => {
                    let utc = match tz {
                        Some(o) => utc_of(dt, o),
                        None => *dt,
                    };
                    let micros = utc.and_utc().timestamp_micros();
                    Some(Value::Float(micros as f64 / 1e6))
                }
                _ => date_attr(&dt.date(), name),
            },
            Value::Time(t) => match name {
                "hour" => Some(Value::Int(t.hour() as i64)),
                "minute" => Some(Value::Int(t.minute() as i64)),
                "second" => Some(Value::Int(t.second() as i64)),
                "microsecond" => Some(Value::Int((t.nanosecond() / 1000) as i64)),
                "isoformat" => Some(Value::str(time_iso(t))),
                _ => None,
            },
            Value::List(l) | Value::Tuple(l) if name == "copy" => Some(Value::list(l.as_ref().clone())),
            _ => None,
        }
    }
}

/// A dict lookup: small dicts are scanned (cheaper than hashing the key).
#[inline]
pub(crate) fn dict_get<'a>(d: &'a IndexMap<String, Value>, key: &str) -> Option<&'a Value> {
    if d.len() <= 8 {
        d.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        d.get(key)
    }
}

pub(crate) fn utc_of(dt: &NaiveDateTime, o: &FixedOffset) -> NaiveDateTime {
    *dt - chrono::Duration::seconds(o.local_minus_utc() as i64)
}

fn date_attr(d: &NaiveDate, name: &str) -> Option<Value> {
    Some(match name {
        "year" => Value::Int(d.year() as i64),
        "month" => Value::Int(d.month() as i64),
        "day" => Value::Int(d.day() as i64),
        "weekday" => Value::Int(d.weekday().num_days_from_monday() as i64),
        "isoweekday" => Value::Int(d.weekday().number_from_monday() as i64),
        "isoformat" => Value::str(d.format("%Y-%m-%d").to_string()),
        "toordinal" => Value::Int(d.num_days_from_ce() as i64),
        _ => return None,
    })
}

fn str_method(s: &str, name: &str) -> Option<Value> {
    let b = |v: bool| Some(Value::Bool(v));
    match name {
        "upper" => Some(Value::str(s.to_uppercase())),
        "lower" => Some(Value::str(s.to_lowercase())),
        "casefold" => Some(Value::str(s.to_lowercase())),
        "strip" => Some(Value::str(s.trim())),
        "lstrip" => Some(Value::str(s.trim_start())),
        "rstrip" => Some(Value::str(s.trim_end())),
        "title" => Some(Value::str(crate::filters::strings::py_title(s))),
        "capitalize" => {
            let mut cs = s.chars();
            Some(Value::str(match cs.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(cs.flat_map(|c| c.to_lowercase()))
                    .collect::<String>(),
                None => String::new(),
            }))
        }
        "swapcase" => Some(Value::str(
            s.chars()
                .flat_map(|c| -> Vec<char> {
                    if c.is_uppercase() {
                        c.to_lowercase().collect()
                    } else {
                        c.to_uppercase().collect()
                    }
                })
                .collect::<String>(),
        )),
        "split" => Some(Value::list(s.split_whitespace().map(Value::str).collect())),
        "splitlines" => Some(Value::list(s.lines().map(Value::str).collect())),
        "isdigit" | "isnumeric" | "isdecimal" => b(!s.is_empty() && s.chars().all(|c| c.is_numeric())),
        "isalpha" => b(!s.is_empty() && s.chars().all(char::is_alphabetic)),
        "isalnum" => b(!s.is_empty() && s.chars().all(char::is_alphanumeric)),
        "isspace" => b(!s.is_empty() && s.chars().all(char::is_whitespace)),
        "isupper" => b(s.chars().any(char::is_uppercase) && !s.chars().any(char::is_lowercase)),
        "islower" => b(s.chars().any(char::is_lowercase) && !s.chars().any(char::is_uppercase)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(34.23234), "34.23234");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1.5e-5), "1.5e-05");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(123456789012345.0), "123456789012345.0");
        assert_eq!(float_repr(-2.5), "-2.5");
    }

    #[test]
    fn repr_of_containers() {
        let v = Value::list(vec![
            Value::Int(1),
            Value::str("a"),
            Value::None,
            Value::str("it's"),
        ]);
        assert_eq!(v.py_repr(), "[1, 'a', None, \"it's\"]");
        assert_eq!(Value::tuple(vec![Value::Int(1)]).py_repr(), "(1,)");
    }

    #[test]
    fn equality_and_ordering_follow_python() {
        assert!(Value::Int(1).py_eq(&Value::Float(1.0)));
        assert!(Value::Bool(true).py_eq(&Value::Int(1)));
        assert!(!Value::str("1").py_eq(&Value::Int(1)));
        assert_eq!(Value::None.py_cmp(&Value::Int(1)), None);
        assert_eq!(Value::str("a").py_cmp(&Value::str("b")), Some(Ordering::Less));
    }
}
