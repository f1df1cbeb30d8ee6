//! The glue between the ORM and the request cycle (the `db` cargo feature): model
//! instances as template objects ([`TemplateModel`], [`ModelObject`]), ORM values as
//! template values, ORM errors as `HttpError`s, and `ATOMIC_REQUESTS`.
//!
//! It lives here, behind a feature, rather than in `nuages-template` or `nuages-db`:
//! templates must not know the ORM (DESIGN.md: `template <- http`), and the ORM must not
//! know templates; the HTTP layer is where both meet, as Django's generic views are.
//!
//! ```
//! use nuages_db::models::model::ModelRow;
//! use nuages_db::{Field, FieldType, Model, ModelMeta, Value};
//! use nuages_http::db::{ModelObject, TemplateModel};
//! use nuages_template::{Context, Engine};
//!
//! static FIELDS: [Field; 2] = [
//!     Field::new("id", FieldType::BigAutoField).primary_key(),
//!     Field::new("title", FieldType::CharField).max_length(100),
//! ];
//! static META: ModelMeta = ModelMeta::new("shop", "Book", "book", "shop_book", &FIELDS);
//!
//! #[derive(Default)]
//! struct Book { id: i64, title: String }
//! impl Model for Book {
//!     fn meta() -> &'static ModelMeta { &META }
//!     fn from_db(mut row: ModelRow) -> nuages_db::Result<Self> {
//!         Ok(Book { id: row.next()?, title: row.next()? })
//!     }
//!     fn get_field(&self, name: &str) -> Option<Value> {
//!         match name {
//!             "id" => Some(Value::Int(self.id)),
//!             "title" => Some(Value::Text(self.title.clone())),
//!             _ => None,
//!         }
//!     }
//!     fn set_field(&mut self, _: &str, _: Value) -> nuages_db::Result<()> { Ok(()) }
//! }
//! impl TemplateModel for Book {
//!     fn get_absolute_url(&self) -> Option<String> { Some(format!("/books/{}/", self.id)) }
//! }
//!
//! let engine = Engine::new();
//! let t = engine.from_string("{{ b }}: {{ b.title }} ({{ b.pk }}) {{ b.get_absolute_url }}").unwrap();
//! let mut ctx = Context::new();
//! ctx.insert("b", ModelObject::value(Book { id: 7, title: "Dune".into() }));
//! assert_eq!(t.render(&mut ctx).unwrap(), "Book object (7): Dune (7) /books/7/");
//! ```

use std::future::Future;
use std::sync::Arc;

use nuages_db::{DbError, Model, Value as DbValue};
use nuages_template::{TemplateObject, Value};

use crate::error::HttpError;
use crate::handler::ViewFunc;
use crate::request::HttpRequest;

impl From<DbError> for HttpError {
    /// An ORM error escaping a view is an uncaught exception (a 500), as in Django:
    /// `DoesNotExist` only becomes a 404 through `get_object_or_404` or a generic view.
    fn from(err: DbError) -> Self {
        HttpError::Other(Box::new(err))
    }
}

/// How a model instance looks in templates: `str()` (Django's `__str__`),
/// `get_absolute_url`, and any computed attribute. Fields (by name or attname) and `pk`
/// come from [`Model::get_field`] without anything to write; implement the trait with an
/// empty body to keep Django's defaults.
///
/// Annotations (`annotate(num_books=Count("books"))`) are attributes too
/// (`{{ author.num_books }}`), read from the instance's `ModelState`.
///
/// Relation fields are reached by their attname (`{{ book.author_id }}`); `{{ book.author }}`
/// is whatever [`TemplateModel::template_attr`] answers for `"author"` (typically the
/// related object loaded with `select_related`), because rendering never runs a query.
pub trait TemplateModel: Model {
    /// `__str__`; Django's default is `"Book object (7)"`.
    fn str(&self) -> String {
        format!(
            "{} object ({})",
            Self::meta().object_name,
            db_value_str(&self.pk())
        )
    }

    /// `get_absolute_url()`, used by `{{ obj.get_absolute_url }}` and by
    /// [`crate::shortcuts::redirect_to_object`]; `None` when the model has none.
    fn get_absolute_url(&self) -> Option<String> {
        None
    }

    /// Attributes other than the concrete fields (properties, methods without
    /// arguments, loaded related objects); looked up before the fields.
    fn template_attr(&self, _name: &str) -> Option<Value> {
        None
    }
}

/// A model instance as a template object (what Django's templates see of a model).
/// Shared (`Arc`), so a view can keep using the instance it put in the context.
pub struct ModelObject<M>(pub Arc<M>);

/// A model instance owned by its template value ([`ModelObject::value`],
/// [`ModelObject::list`]): one allocation less than sharing it.
struct OwnedModel<M>(M);

impl<M: TemplateModel> ModelObject<M> {
    /// The instance as a template value.
    pub fn value(instance: M) -> Value {
        Value::object(OwnedModel(instance))
    }

    /// A shared instance as a template value.
    pub fn shared(instance: Arc<M>) -> Value {
        Value::object(ModelObject(instance))
    }

    /// Instances as a template list, held in one allocation ([`Value::objects`]) rather
    /// than one per instance: what a list view puts in its context.
    ///
    /// ```
    /// # use nuages_http::db::{ModelObject, TemplateModel};
    /// # #[derive(Debug, Clone, Default, nuages_macros::Model)]
    /// # #[model(app_label = "shop")]
    /// # pub struct Book { pub id: i64, #[field(max_length = 100)] pub title: String }
    /// # impl TemplateModel for Book {}
    /// use nuages_template::{Context, Engine};
    ///
    /// let books = vec![Book { id: 1, title: "Dune".into() }, Book { id: 2, title: "Emma".into() }];
    /// let mut ctx = Context::new();
    /// ctx.insert("books", ModelObject::list(books));
    /// let t = Engine::new().from_string("{% for b in books %}{{ b.pk }}:{{ b.title }} {% endfor %}").unwrap();
    /// assert_eq!(t.render(&mut ctx).unwrap(), "1:Dune 2:Emma ");
    /// ```
    pub fn list(instances: Vec<M>) -> Value {
        Value::objects(instances.into_iter().map(OwnedModel).collect())
    }
}

/// `TemplateObject` for a holder of a model instance, shared or owned.
macro_rules! model_template_object {
    ($holder:ident) => {
        impl<M: TemplateModel> TemplateObject for $holder<M> {
            fn get_attr(&self, name: &str) -> Option<Value> {
                model_attr(self.instance(), name)
            }

            fn to_str(&self) -> String {
                self.instance().str()
            }

            fn type_name(&self) -> &str {
                M::meta().object_name
            }

            fn repr(&self) -> String {
                format!("<{}: {}>", M::meta().object_name, self.to_str())
            }
        }

        impl<M> $holder<M> {
            fn instance(&self) -> &M {
                &self.0
            }
        }
    };
}

model_template_object!(ModelObject);
model_template_object!(OwnedModel);

/// An attribute of a model instance in a template: `template_attr`, an annotation, `pk`,
/// `get_absolute_url`, then a concrete field.
fn model_attr<M: TemplateModel>(m: &M, name: &str) -> Option<Value> {
    if let Some(v) = m.template_attr(name) {
        return Some(v);
    }
    // `annotate(num_books=...)` values are attributes of the instance in Django.
    if let Some(v) = m.state().and_then(|s| s.annotation(name)) {
        return Some(template_value(v));
    }
    match name {
        "pk" => return Some(template_value(&m.pk())),
        "get_absolute_url" => return m.get_absolute_url().map(Value::from),
        _ => {}
    }
    let meta = M::meta();
    let field = meta.fields.iter().find(|f| f.name == name || f.attname == name)?;
    if field.relation.is_some() && field.attname != name {
        // The related object, not its key: only what `template_attr` provides.
        return None;
    }
    m.get_field(field.attname).map(|v| template_value(&v))
}

/// Python's `str()` of an ORM value (what `__str__` defaults interpolate).
pub fn db_value_str(v: &DbValue) -> String {
    template_value(v).py_str()
}

/// An ORM value as the template value of the Python object Django's field would give.
pub fn template_value(v: &DbValue) -> Value {
    match v {
        DbValue::Null => Value::None,
        DbValue::Bool(b) => Value::Bool(*b),
        DbValue::Int(i) => Value::Int(*i),
        DbValue::Float(f) => Value::Float(*f),
        DbValue::Decimal(d) => Value::Decimal(*d),
        DbValue::Text(s) => Value::from(s.as_str()),
        DbValue::Bytes(b) => Value::from(bytes_repr(b)),
        DbValue::Date(d) => Value::Date(*d),
        DbValue::Time(t) => Value::Time(*t),
        DbValue::DateTime(dt) => Value::from(*dt),
        DbValue::Duration(d) => Value::from(timedelta_str(*d)),
        DbValue::Uuid(u) => Value::from(u.hyphenated().to_string()),
        DbValue::Json(j) => Value::from((**j).clone()),
    }
}

/// Python's `str(bytes)`: `b'...'` with Python's escapes.
fn bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut s = String::from("b");
    s.push(quote);
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            c if c as char == quote => {
                s.push('\\');
                s.push(quote);
            }
            0x20..=0x7e => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push(quote);
    s
}

/// Python's `str(timedelta)`: `[D day[s], ]H:MM:SS[.ffffff]`, days floored.
fn timedelta_str(d: chrono::TimeDelta) -> String {
    let micros = d.num_microseconds().unwrap_or(i64::MAX);
    let day = 86_400_000_000i64;
    let days = micros.div_euclid(day);
    let rest = micros.rem_euclid(day);
    let (secs, us) = (rest / 1_000_000, rest % 1_000_000);
    let mut s = String::new();
    if days != 0 {
        let plural = if days.abs() != 1 { "s" } else { "" };
        s.push_str(&format!("{days} day{plural}, "));
    }
    s.push_str(&format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60));
    if us != 0 {
        s.push_str(&format!(".{us:06}"));
    }
    s
}

/// The aliases whose `ATOMIC_REQUESTS` wraps `view` (Django's `make_view_atomic`): every
/// database with `atomic_requests = true` that the view did not exempt with
/// [`crate::non_atomic_requests`].
pub fn atomic_aliases(settings: &nuages_core::Settings, view: &ViewFunc) -> Vec<String> {
    settings
        .databases
        .iter()
        .filter(|(alias, db)| db.atomic_requests && !view.attrs.non_atomic_requests.contains(*alias))
        .map(|(alias, _)| alias.clone())
        .collect()
}

/// Runs `view` inside one `atomic` block per alias (outermost first): committed when the
/// view returns a response (even an error page it made itself), rolled back when it
/// returns `Err` or panics, as Django rolls back only when the view raises.
pub fn call_atomic(
    aliases: Vec<String>,
    view: ViewFunc,
    request: HttpRequest,
) -> std::pin::Pin<Box<dyn Future<Output = crate::handler::ViewResult> + Send>> {
    Box::pin(async move {
        match aliases.split_first() {
            None => view.call(request).await,
            Some((first, rest)) => {
                let rest = rest.to_vec();
                let first = first.clone();
                nuages_db::transaction::atomic_using(&first, move || call_atomic(rest, view, request)).await
            }
        }
    })
}

/// With DEBUG on: runs the view capturing its SQL statements (`nuages_db::capture`) and
/// leaves them on the request as [`crate::debug::RequestQueries`], which the technical
/// 500 page lists ("SQL queries of the request").
pub fn capture_for_debug(
    request: HttpRequest,
    call: crate::handler::ViewCall,
) -> crate::handler::BoxFuture<crate::handler::ViewResult> {
    Box::pin(async move {
        let (result, queries) = nuages_db::capture::capture_queries(call).await;
        let records = queries
            .into_iter()
            .map(|q| crate::debug::QueryRecord {
                params: format!("{:?}", q.params),
                alias: q.alias,
                sql: q.sql,
                duration: q.duration,
            })
            .collect();
        request.set_ext(crate::debug::RequestQueries(records));
        result
    })
}
