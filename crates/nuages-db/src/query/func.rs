//! [`Func`]: Django's `Func` expression, the node every database function and
//! aggregate is built from, with Django's templates (`%(function)s(%(expressions)s)`)
//! and a template per backend where the SQL differs.
//!
//! A function stays unresolved (its arguments are [`Expression`]s) until the query
//! resolves it; the output field is then worked out the way Django's
//! `_resolve_output_field` does, and the compiler renders the template with sea-query
//! custom expressions whose only holes are the rendered arguments, so values are always
//! bound parameters.
//!
//! ```
//! use nuages_db::query::{Func, F, OutputField};
//! use nuages_db::{FieldType, Vendor};
//! // Django: class Soundex(Func): function = "SOUNDEX"
//! let f = Func::new("SOUNDEX", [F::new("title")])
//!     .output_field(OutputField::new(FieldType::CharField))
//!     .template_for(Vendor::Sqlite, "UPPER(%(expressions)s)");
//! assert_eq!(f.name(), "SOUNDEX");
//! ```

use std::borrow::Cow;

use crate::backends::Vendor;
use crate::models::meta::FieldType;
use crate::value::Value;

use super::expressions::Expression;
use super::q::Q;

/// Django's `output_field`: the type of an expression's values (and, for decimals, the
/// scale results are quantized to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputField {
    pub ty: FieldType,
    pub max_digits: Option<u32>,
    pub decimal_places: Option<u32>,
    pub max_length: Option<u32>,
}

impl OutputField {
    /// An output field of type `ty` (`FloatField()`).
    pub const fn new(ty: FieldType) -> OutputField {
        OutputField {
            ty,
            max_digits: None,
            decimal_places: None,
            max_length: None,
        }
    }

    /// `DecimalField(max_digits=, decimal_places=)`.
    pub const fn decimal(max_digits: u32, decimal_places: u32) -> OutputField {
        OutputField {
            ty: FieldType::DecimalField,
            max_digits: Some(max_digits),
            decimal_places: Some(decimal_places),
            max_length: None,
        }
    }

    /// `CharField(max_length=)`.
    pub const fn char(max_length: u32) -> OutputField {
        OutputField {
            ty: FieldType::CharField,
            max_digits: None,
            decimal_places: None,
            max_length: Some(max_length),
        }
    }

    /// The output field of a model field (a foreign key gives its target's type).
    pub(crate) fn of_field(f: &'static crate::models::meta::Field) -> OutputField {
        OutputField {
            ty: super::where_::column_type(f),
            max_digits: f.max_digits,
            decimal_places: f.decimal_places,
            max_length: f.max_length,
        }
    }

    /// Django's `Value._resolve_output_field` for a Python value.
    pub(crate) fn of_value(v: &Value) -> Option<OutputField> {
        use FieldType::*;
        let ty = match v {
            Value::Null => return None,
            Value::Bool(_) => BooleanField,
            Value::Int(_) => IntegerField,
            Value::Float(_) => FloatField,
            Value::Decimal(_) => DecimalField,
            Value::Text(_) => CharField,
            Value::Bytes(_) => BinaryField,
            Value::Date(_) => DateField,
            Value::Time(_) => TimeField,
            Value::DateTime(_) => DateTimeField,
            Value::Duration(_) => DurationField,
            Value::Uuid(_) => UUIDField,
            Value::Json(_) => JSONField,
        };
        Some(OutputField::new(ty))
    }

    /// Python's `isinstance(self, other.__class__)` over Django's field classes.
    pub(crate) fn is_instance_of(self, other: FieldType) -> bool {
        is_subclass(self.ty, other)
    }
}

/// Django's field class hierarchy: is `a` the class `b` or a subclass of it?
pub(crate) fn is_subclass(a: FieldType, b: FieldType) -> bool {
    if a == b {
        return true;
    }
    match parent_class(a) {
        Some(parent) => is_subclass(parent, b),
        None => false,
    }
}

/// The built-in parent class of a field class (`None` under Django's `Field`).
pub(crate) fn parent_class(a: FieldType) -> Option<FieldType> {
    use FieldType::*;
    Some(match a {
        AutoField | BigIntegerField | SmallIntegerField | PositiveIntegerField => IntegerField,
        BigAutoField | PositiveBigIntegerField => BigIntegerField,
        SmallAutoField | PositiveSmallIntegerField => SmallIntegerField,
        EmailField | SlugField | URLField => CharField,
        DateTimeField => DateField,
        _ => return None,
    })
}

/// How a function's output field is found when none is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Django's default: every source has the same type (else "Expression contains
    /// mixed types").
    Sources,
    /// Django's `NumericOutputFieldMixin`: decimal when a source is a decimal, float
    /// when one is an integer.
    Numeric,
    /// The first argument's output field (Django's transforms: `Abs`, `Round`, ...).
    First,
    /// A fixed output field.
    Field(OutputField),
}

/// The special renderings that a template alone cannot express (Django's
/// `as_<vendor>` methods that rewrite their arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FuncKind {
    /// Rendered from the templates.
    Template,
    /// `Cast(expr, output_field)`.
    Cast,
    /// `Concat(a, b, ...)` (nested `ConcatPair`s).
    Concat,
    /// `Extract(expr, lookup)`, `TruncDate`, `TruncTime` (the lookup transforms).
    Extract(super::lookups::Transform),
    /// `Trunc(expr, kind)`.
    Trunc(&'static str),
    /// `Now()`.
    Now,
    /// `Left(expr, n)` (SQLite: `SUBSTR(expr, 1, n)`).
    Left,
    /// `Right(expr, n)` (SQLite: `SUBSTR(expr, n * -1)`).
    Right,
    /// Django's `FixDecimalInputMixin`: float arguments cast to numeric on PostgreSQL
    /// (`MOD`, `LOG`, `ROUND`, ... have no double precision signature there).
    FixDecimal,
    /// `SHA1`/`SHA224`/`SHA256`/`SHA384`/`SHA512` with the digest size.
    Sha(u32),
    /// A `django.contrib.postgres` function: refused on other backends, rendered by
    /// `contrib::postgres`.
    Postgres(crate::contrib::postgres::PgKind),
}

/// Aggregate options: Django's `Aggregate(distinct=, filter=, default=)`.
#[derive(Debug, Clone)]
pub struct AggregateOpts {
    pub distinct: bool,
    pub filter: Option<Q>,
    pub default: Option<Expression>,
    /// `allow_distinct`: whether `distinct=True` is accepted.
    pub allow_distinct: bool,
    /// `empty_result_set_value` (`Count`: 0): the value over no rows, which also
    /// refuses `default`.
    pub empty_value: Option<Value>,
}

/// A backend's override of a function: `(vendor, function, template)`.
pub(crate) type VendorSql = (Vendor, Option<Cow<'static, str>>, Option<Cow<'static, str>>);

/// Django's `Func`: a SQL function over expressions.
#[derive(Debug, Clone)]
pub struct Func {
    /// Django's class name (`"Lower"`, `"Count"`), used in messages.
    pub(crate) name: Cow<'static, str>,
    pub(crate) function: Cow<'static, str>,
    pub(crate) template: Cow<'static, str>,
    pub(crate) arg_joiner: Cow<'static, str>,
    /// `(vendor, function, template)` overrides (Django's `as_<vendor>`).
    pub(crate) vendor: Vec<VendorSql>,
    /// Extra `%(key)s` substitutions (static SQL from code, never values).
    pub(crate) extra: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    pub(crate) args: Vec<Expression>,
    pub(crate) output: Output,
    pub(crate) kind: FuncKind,
    pub(crate) aggregate: Option<AggregateOpts>,
    /// Django's construction-time argument checks (`Coalesce must take at least two
    /// expressions`), run when the function is resolved.
    pub(crate) check: Option<fn(&Func) -> crate::error::Result<()>>,
    /// Arguments that are SQL `integer`s (positions, lengths): bound values there are
    /// cast on PostgreSQL, where a bigint parameter matches no `SUBSTRING`/`LPAD`/...
    pub(crate) int_args: &'static [usize],
    /// Backends that refuse the function (Django's `NotSupportedError`), with the message.
    pub(crate) not_supported: Vec<(Vendor, Cow<'static, str>)>,
    /// Django's `window_compatible`: usable as a [`Window`](super::Window)'s expression
    /// (aggregates always are).
    pub(crate) window_compatible: bool,
}

impl Func {
    /// A function called `function` over `args`, rendered as `FUNCTION(arg, ...)`.
    pub fn new<E: Into<Expression>>(
        function: impl Into<Cow<'static, str>>,
        args: impl IntoIterator<Item = E>,
    ) -> Func {
        let function = function.into();
        Func {
            name: function.clone(),
            function,
            template: Cow::Borrowed("%(function)s(%(expressions)s)"),
            arg_joiner: Cow::Borrowed(", "),
            vendor: Vec::new(),
            extra: Vec::new(),
            args: args.into_iter().map(Into::into).collect(),
            output: Output::Sources,
            kind: FuncKind::Template,
            aggregate: None,
            check: None,
            int_args: &[],
            not_supported: Vec::new(),
            window_compatible: false,
        }
    }

    /// Django's `window_compatible = True`: the function may be the expression of a
    /// [`Window`](super::Window) (a custom window function).
    pub fn window_compatible(mut self) -> Func {
        self.window_compatible = true;
        self
    }

    /// The Django class name shown in messages (`Cannot compute Sum('n')`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sets the class name used in messages (a custom function's class).
    pub fn named(mut self, name: impl Into<Cow<'static, str>>) -> Func {
        self.name = name.into();
        self
    }

    /// Django's `template` (`%(function)s`, `%(expressions)s`, `%(distinct)s`,
    /// `%(filter)s`, `%(0)s` for the first argument, `%%` for a percent sign).
    pub fn template(mut self, template: impl Into<Cow<'static, str>>) -> Func {
        self.template = template.into();
        self
    }

    /// The template on one backend (Django's `as_sqlite` / `as_postgresql` / `as_mysql`).
    pub fn template_for(mut self, vendor: Vendor, template: impl Into<Cow<'static, str>>) -> Func {
        self.vendor.push((vendor, None, Some(template.into())));
        self
    }

    /// The SQL function name on one backend (`STRPOS` on PostgreSQL, `INSTR` elsewhere).
    pub fn function_for(mut self, vendor: Vendor, function: impl Into<Cow<'static, str>>) -> Func {
        self.vendor.push((vendor, Some(function.into()), None));
        self
    }

    /// Django's `arg_joiner` (`" || "` for a pipe concatenation).
    pub fn arg_joiner(mut self, joiner: impl Into<Cow<'static, str>>) -> Func {
        self.arg_joiner = joiner.into();
        self
    }

    /// An extra template key (`%(key)s`), e.g. a keyword of the SQL syntax. It is SQL
    /// text from code: never pass user input here.
    pub fn extra(mut self, key: impl Into<Cow<'static, str>>, sql: impl Into<Cow<'static, str>>) -> Func {
        self.extra.push((key.into(), sql.into()));
        self
    }

    /// Django's `output_field=`.
    pub fn output_field(mut self, field: OutputField) -> Func {
        self.output = Output::Field(field);
        self
    }

    /// How the output field is found when none is given.
    pub fn output(mut self, output: Output) -> Func {
        self.output = output;
        self
    }

    pub(crate) fn kind(mut self, kind: FuncKind) -> Func {
        self.kind = kind;
        self
    }

    pub(crate) fn int_args(mut self, args: &'static [usize]) -> Func {
        self.int_args = args;
        self
    }

    /// Refuses to render on `vendor` with Django's `NotSupportedError(message)`.
    pub(crate) fn not_supported_on(mut self, vendor: Vendor, message: Cow<'static, str>) -> Func {
        self.not_supported.push((vendor, message));
        self
    }

    pub(crate) fn checked(mut self, check: fn(&Func) -> crate::error::Result<()>) -> Func {
        self.check = Some(check);
        self
    }

    /// The function and template for `vendor`.
    pub(crate) fn sql_for(&self, vendor: Vendor) -> (&str, &str) {
        let mut function: &str = &self.function;
        let mut template: &str = &self.template;
        for (v, f, t) in &self.vendor {
            if *v == vendor {
                if let Some(f) = f {
                    function = f;
                }
                if let Some(t) = t {
                    template = t;
                }
            }
        }
        (function, template)
    }

    /// True for an aggregate (`Count`, `Sum`, a custom `Aggregate`).
    pub fn is_aggregate(&self) -> bool {
        self.aggregate.is_some()
    }

    /// Django's `repr` of the first argument as shown in "Cannot compute" messages.
    pub(crate) fn arg_name(&self, i: usize) -> String {
        match self.args.get(i) {
            Some(Expression::F(p)) => p.clone(),
            Some(other) => format!("{other:?}"),
            None => String::new(),
        }
    }
}

impl From<Func> for Expression {
    fn from(f: Func) -> Expression {
        Expression::Func(Box::new(f))
    }
}

/// Renders a Django template into sea-query's custom-expression syntax: every
/// argument becomes `{}` in order of appearance; returns the text and the argument
/// indexes in that order. `expressions` is the joined list of the `nargs` arguments;
/// `named` keys (`filter`) are the arguments after them, in order.
pub(crate) fn expand_template(
    template: &str,
    function: &str,
    arg_joiner: &str,
    nargs: usize,
    extra: &[(&str, String)],
    named: &[&str],
) -> Result<(String, Vec<usize>), String> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut order = Vec::new();
    let mut rest = template;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos + 1..];
        if let Some(r) = rest.strip_prefix('%') {
            out.push('%');
            rest = r;
            continue;
        }
        let Some(r) = rest.strip_prefix('(') else {
            return Err(format!("unsupported format character in template {template:?}"));
        };
        let Some(end) = r.find(")s") else {
            return Err(format!("unterminated key in template {template:?}"));
        };
        let key = &r[..end];
        rest = &r[end + 2..];
        match key {
            "function" => out.push_str(function),
            "expressions" => {
                for i in 0..nargs {
                    if i > 0 {
                        out.push_str(arg_joiner);
                    }
                    out.push_str("{}");
                    order.push(i);
                }
            }
            k => {
                if let Ok(i) = k.parse::<usize>() {
                    if i >= nargs {
                        return Err(format!("template argument {i} out of range"));
                    }
                    out.push_str("{}");
                    order.push(i);
                } else if let Some(j) = named.iter().position(|n| *n == k) {
                    out.push_str("{}");
                    order.push(nargs + j);
                } else if let Some((_, v)) = extra.iter().find(|(n, _)| *n == k) {
                    out.push_str(v);
                } else {
                    return Err(format!("KeyError: '{k}'"));
                }
            }
        }
    }
    out.push_str(rest);
    Ok((out, order))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_in_order() {
        let (t, o) = expand_template(
            "%(function)s(%(distinct)s%(expressions)s)",
            "COUNT",
            ", ",
            2,
            &[("distinct", "DISTINCT ".into())],
            &[],
        )
        .unwrap();
        assert_eq!(t, "COUNT(DISTINCT {}, {})");
        assert_eq!(o, vec![0, 1]);
        let (t, o) = expand_template("SUBSTR(%(0)s, 1, %(1)s) %% x", "", ", ", 2, &[], &[]).unwrap();
        assert_eq!(t, "SUBSTR({}, 1, {}) % x");
        assert_eq!(o, vec![0, 1]);
        assert!(expand_template("%(nope)s", "", ", ", 0, &[], &[]).is_err());
        let (t, o) =
            expand_template("F(%(expressions)s) W %(filter)s", "", ", ", 1, &[], &["filter"]).unwrap();
        assert_eq!(t, "F({}) W {}");
        assert_eq!(o, vec![0, 1]);
    }

    #[test]
    fn field_classes() {
        assert!(is_subclass(FieldType::BigAutoField, FieldType::IntegerField));
        assert!(!is_subclass(FieldType::IntegerField, FieldType::BigIntegerField));
        assert!(is_subclass(FieldType::DateTimeField, FieldType::DateField));
    }
}
