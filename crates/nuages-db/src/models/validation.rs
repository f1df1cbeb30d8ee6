//! Model validation: Django's `full_clean()` (`clean_fields`, the `clean()` hook,
//! `validate_unique`, `validate_constraints`) and the built-in validators of
//! `django.core.validators`, with Django's messages.
//!
//! Field checks run on [`Model::get_field`] values and the static [`Field`] metadata, so
//! they need nothing from the derive beyond the [`Clean`] hook; the unique and constraint
//! checks query the database, so [`FullClean::full_clean`] is async and
//! [`FullClean::clean_local`] is the synchronous part.
//!
//! ```
//! use nuages_db::models::meta::{ConstValue, Field, FieldType, Validator};
//! use nuages_db::models::validation::run_field_validation;
//! use nuages_db::Value;
//!
//! let name = Field::new("name", FieldType::CharField).max_length(3);
//! let errors = run_field_validation(&name, &Value::Text("abcd".into()));
//! assert_eq!(errors, vec!["Ensure this value has at most 3 characters (it has 4)."]);
//! let errors = run_field_validation(&name, &Value::Text(String::new()));
//! assert_eq!(errors, vec!["This field cannot be blank."]);
//! ```

use nuages_core::pyrepr::repr_str;
use std::fmt;
use std::future::Future;
use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;

use crate::error::DbError;
use crate::models::meta::{ConstValue, Field, FieldType, Validator};
use crate::models::model::Model;
use crate::value::Value;

/// Django's `NON_FIELD_ERRORS` key (`"__all__"`).
pub const NON_FIELD_ERRORS: &str = "__all__";

/// Django's `ValidationError` with a message dict: the messages of each field, in field
/// order, and non-field messages under [`NON_FIELD_ERRORS`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidationError {
    errors: Vec<(String, Vec<String>)>,
}

impl ValidationError {
    /// A non-field error (Django's `ValidationError("message")` raised from `clean()`).
    pub fn new(message: impl Into<String>) -> Self {
        Self::field(NON_FIELD_ERRORS, message)
    }

    /// An error on one field (`ValidationError({"field": "message"})`).
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut e = ValidationError::default();
        e.add(field, message);
        e
    }

    /// Adds a message for `field`.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        match self.errors.iter_mut().find(|(f, _)| *f == field) {
            Some((_, messages)) => messages.push(message.into()),
            None => self.errors.push((field, vec![message.into()])),
        }
    }

    /// Adds every message of `other`.
    pub fn extend(&mut self, other: ValidationError) {
        for (field, messages) in other.errors {
            for m in messages {
                self.add(field.clone(), m);
            }
        }
    }

    /// True when there is no message.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Django's `message_dict`: `(field, messages)` in the order they were found.
    pub fn message_dict(&self) -> &[(String, Vec<String>)] {
        &self.errors
    }

    /// The messages of one field (or of [`NON_FIELD_ERRORS`]).
    pub fn get(&self, field: &str) -> Option<&[String]> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_slice())
    }

    /// Every message, flattened (Django's `messages`).
    pub fn messages(&self) -> Vec<&str> {
        self.errors
            .iter()
            .flat_map(|(_, m)| m.iter().map(String::as_str))
            .collect()
    }
}

impl fmt::Display for ValidationError {
    /// Django's `str(ValidationError)` for a message dict: `{'name': ['message']}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (field, messages)) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}: [", repr_str(field))?;
            for (j, m) in messages.iter().enumerate() {
                if j > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(&repr_str(m))?;
            }
            f.write_str("]")?;
        }
        f.write_str("}")
    }
}

impl std::error::Error for ValidationError {}

/// Python's `repr()` of a value, as Django's `%(value)r` shows it.
fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => py_float(*f),
        Value::Decimal(d) => format!("Decimal('{d}')"),
        Value::Text(s) => repr_str(s),
        other => format!("{other:?}"),
    }
}

fn py_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        f.to_string()
    }
}

/// `%(limit_value)s` of a constant.
fn const_str(value: ConstValue) -> String {
    match value {
        ConstValue::Null => "None".into(),
        ConstValue::Bool(b) => if b { "True" } else { "False" }.into(),
        ConstValue::Int(i) => i.to_string(),
        ConstValue::Float(f) => py_float(f),
        ConstValue::Str(s) | ConstValue::F(s) => s.into(),
    }
}

/// Django's `Field.empty_values`: `None`, `""`, and empty lists and dicts.
pub fn is_empty_value(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Text(s) => s.is_empty(),
        Value::Json(j) => match &**j {
            serde_json::Value::Array(a) => a.is_empty(),
            serde_json::Value::Object(o) => o.is_empty(),
            _ => false,
        },
        _ => false,
    }
}

fn as_decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Int(i) => Some(Decimal::from(*i)),
        Value::Decimal(d) => Some(*d),
        Value::Float(f) => Decimal::try_from(*f).ok(),
        Value::Bool(b) => Some(Decimal::from(*b as i64)),
        _ => None,
    }
}

fn const_decimal(value: ConstValue) -> Option<Decimal> {
    match value {
        ConstValue::Int(i) => Some(Decimal::from(i)),
        ConstValue::Float(f) => Decimal::try_from(f).ok(),
        _ => None,
    }
}

/// Compares a value with a limit: numbers numerically, text by code points.
fn compare(value: &Value, limit: ConstValue) -> Option<std::cmp::Ordering> {
    if let (Value::Float(v), ConstValue::Float(l)) = (value, limit) {
        return v.partial_cmp(&l);
    }
    if let (Value::Text(v), ConstValue::Str(l)) = (value, limit) {
        return Some(v.as_str().cmp(l));
    }
    Some(as_decimal(value)?.cmp(&const_decimal(limit)?))
}

/// Text length in characters (Python's `len(str)`), or the element count.
fn length(value: &Value) -> Option<usize> {
    match value {
        Value::Text(s) => Some(s.chars().count()),
        Value::Bytes(b) => Some(b.len()),
        Value::Json(j) => j.as_array().map(Vec::len),
        _ => None,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_owned()
    } else {
        many.to_owned()
    }
}

static SLUG_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[-a-zA-Z0-9_]+\z").expect("valid regex"));
static EMAIL_USER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*\z|^"([\x01-\x08\x0b\x0c\x0e-\x1f!#-\[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*"\z)"#,
    )
    .expect("valid regex")
});
static EMAIL_DOMAIN_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63})\z")
        .expect("valid regex")
});
static URL_RE: LazyLock<Regex> = LazyLock::new(|| {
    // Django's URLValidator.regex, with its look-arounds (`(?!-)`, `(?<!-)`) written as
    // "starts and ends with a letter or digit", which the `regex` crate can express.
    let ul = "\u{a1}-\u{ffff}";
    let ipv4 = r"(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)(?:\.(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)){3}";
    let ipv6 = r"\[[0-9a-f:.]+\]";
    let hostname = format!(r"[a-z{ul}0-9](?:[a-z{ul}0-9-]{{0,61}}[a-z{ul}0-9])?");
    let domain = format!(r"(?:\.[a-z{ul}0-9](?:[a-z{ul}0-9-]{{0,61}}[a-z{ul}0-9])?)*");
    let tld = format!(r"\.(?:[a-z{ul}](?:[a-z{ul}-]{{0,61}}[a-z{ul}])|xn--[a-z0-9]{{1,59}})\.?");
    let host = format!("({hostname}{domain}{tld}|localhost)");
    Regex::new(&format!(
        r"(?i)^(?:[a-z0-9.+-]*)://(?:[^\s:@/]+(?::[^\s:@/]*)?@)?(?:{ipv4}|{ipv6}|{host})(?::[0-9]{{1,5}})?(?:[/?#][^\s]*)?\z"
    ))
    .expect("valid regex")
});

/// Django's `validate_email` (`EmailValidator()`), without the IDNA fallback for
/// non-ASCII domains.
pub fn validate_email(value: &str) -> bool {
    if value.is_empty() || value.chars().count() > 320 {
        return false;
    }
    let Some((user, domain)) = value.rsplit_once('@') else {
        return false;
    };
    if !EMAIL_USER_RE.is_match(user) {
        return false;
    }
    domain == "localhost"
        || (EMAIL_DOMAIN_RE.is_match(domain) && !domain.ends_with('-'))
        || is_ip_literal(domain)
}

fn is_ip_literal(domain: &str) -> bool {
    let Some(inner) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) else {
        return false;
    };
    match inner.strip_prefix("IPv6:") {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => inner.parse::<std::net::Ipv4Addr>().is_ok(),
    }
}

/// Django's `URLValidator()` (schemes http, https, ftp, ftps), without the IDNA fallback.
pub fn validate_url(value: &str) -> bool {
    if value.chars().count() > 2048 || value.contains(['\t', '\r', '\n']) {
        return false;
    }
    let scheme = value.split("://").next().unwrap_or("").to_ascii_lowercase();
    if !["http", "https", "ftp", "ftps"].contains(&scheme.as_str()) || !URL_RE.is_match(value) {
        return false;
    }
    // The host name (between "://", any "user:pass@", and the port or path) is at most
    // 253 characters, and a bracketed IPv6 literal must parse.
    let rest = &value[value.find("://").map_or(0, |i| i + 3)..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host_port.strip_prefix('[') {
        let addr = v6.split(']').next().unwrap_or("");
        return addr.parse::<std::net::Ipv6Addr>().is_ok();
    }
    let host = host_port.split(':').next().unwrap_or("");
    !host.is_empty() && host.chars().count() <= 253
}

/// Django's `validate_slug`.
pub fn validate_slug(value: &str) -> bool {
    SLUG_RE.is_match(value)
}

fn slug_validator(value: &Value) -> Result<(), String> {
    match value {
        Value::Text(s) if validate_slug(s) => Ok(()),
        _ => Err("Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.".into()),
    }
}

/// Runs one validator on a non-empty value; `Err` holds Django's message.
pub fn run_validator(validator: &Validator, value: &Value) -> Result<(), String> {
    match *validator {
        Validator::MinValue(limit) => match compare(value, limit) {
            Some(std::cmp::Ordering::Less) => Err(format!(
                "Ensure this value is greater than or equal to {}.",
                const_str(limit)
            )),
            _ => Ok(()),
        },
        Validator::MaxValue(limit) => match compare(value, limit) {
            Some(std::cmp::Ordering::Greater) => Err(format!(
                "Ensure this value is less than or equal to {}.",
                const_str(limit)
            )),
            _ => Ok(()),
        },
        Validator::MinLength(limit) => match length(value) {
            Some(n) if n < limit => Err(format!(
                "Ensure this value has at least {limit} {} (it has {n}).",
                plural(limit, "character", "characters")
            )),
            _ => Ok(()),
        },
        Validator::MaxLength(limit) => match length(value) {
            Some(n) if n > limit => Err(format!(
                "Ensure this value has at most {limit} {} (it has {n}).",
                plural(limit, "character", "characters")
            )),
            _ => Ok(()),
        },
        Validator::Regex {
            pattern,
            message,
            inverse_match,
        } => {
            let text = match value {
                Value::Text(s) => s.clone(),
                other => const_or_display(other),
            };
            let matched = Regex::new(pattern)
                .map(|re| re.is_match(&text))
                .map_err(|e| e.to_string())?;
            if matched == inverse_match {
                Err(if message.is_empty() {
                    "Enter a valid value."
                } else {
                    message
                }
                .to_owned())
            } else {
                Ok(())
            }
        }
        Validator::Email => match value {
            Value::Text(s) if validate_email(s) => Ok(()),
            _ => Err("Enter a valid email address.".into()),
        },
        Validator::Url => match value {
            Value::Text(s) if validate_url(s) => Ok(()),
            _ => Err("Enter a valid URL.".into()),
        },
        Validator::Custom(f) => f(value),
    }
}

fn const_or_display(value: &Value) -> String {
    match value {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => py_float(*f),
        Value::Decimal(d) => d.to_string(),
        other => py_repr(other),
    }
}

/// Django's `DecimalValidator(max_digits, decimal_places)`.
pub fn validate_decimal(
    value: &Decimal,
    max_digits: Option<u32>,
    decimal_places: Option<u32>,
) -> Result<(), String> {
    let mantissa = value.mantissa().unsigned_abs();
    let digit_count = if mantissa == 0 {
        1
    } else {
        mantissa.to_string().len() as u32
    };
    let scale = value.scale();
    let (digits, decimals) = if scale == 0 {
        (digit_count, 0)
    } else if scale > digit_count {
        (scale, scale)
    } else {
        (digit_count, scale)
    };
    let whole_digits = digits - decimals;
    if let Some(max) = max_digits {
        if digits > max {
            return Err(format!(
                "Ensure that there are no more than {max} {} in total.",
                plural(max as usize, "digit", "digits")
            ));
        }
    }
    if let Some(places) = decimal_places {
        if decimals > places {
            return Err(format!(
                "Ensure that there are no more than {places} {}.",
                plural(places as usize, "decimal place", "decimal places")
            ));
        }
    }
    if let (Some(max), Some(places)) = (max_digits, decimal_places) {
        let max_whole = max.saturating_sub(places);
        if whole_digits > max_whole {
            return Err(format!(
                "Ensure that there are no more than {max_whole} {} before the decimal point.",
                plural(max_whole as usize, "digit", "digits")
            ));
        }
    }
    Ok(())
}

/// The integer range of a (non-auto) field class (Django's `integer_field_ranges`).
fn integer_range(field_type: FieldType) -> Option<(i64, i64)> {
    if matches!(
        field_type,
        FieldType::AutoField | FieldType::BigAutoField | FieldType::SmallAutoField
    ) {
        return None;
    }
    let (min, max) = crate::backends::operations::base_integer_field_range(field_type)?;
    Some((i64::try_from(min).ok()?, i64::try_from(max).ok()?))
}

/// `django.contrib.postgres.validators.ArrayMaxLengthValidator`: an `ArrayField(size=)`
/// holds at most `size` items.
fn array_max_length(size: usize, value: &Value) -> Result<(), String> {
    let items = match value {
        Value::Json(j) => j.as_array(),
        _ => None,
    };
    match items {
        Some(items) if items.len() > size => Err(format!(
            "List contains {n} {}, it should contain no more than {size}.",
            plural(items.len(), "item", "items"),
            n = items.len()
        )),
        _ => Ok(()),
    }
}

/// Django's `Field.validators` for a value: the field class's default validators, the
/// field's own, then `max_length`, the decimal digits check and the integer range.
fn field_validators(field: &Field, value: &Value, errors: &mut Vec<String>) {
    // `ArrayField.default_validators` (the only default validator of its class).
    if let (FieldType::ArrayField, Some(size)) = (field.field_type, field.size) {
        if let Err(m) = array_max_length(size as usize, value) {
            errors.push(m);
        }
    }
    let mut run = |v: &Validator| {
        if let Err(m) = run_validator(v, value) {
            errors.push(m);
        }
    };
    match field.field_type {
        FieldType::EmailField => run(&Validator::Email),
        FieldType::URLField => run(&Validator::Url),
        FieldType::SlugField => run(&Validator::Custom(slug_validator)),
        _ => {}
    }
    field.validators.iter().for_each(&mut run);
    if let Some(max) = field.max_length {
        if matches!(
            field.field_type,
            FieldType::CharField | FieldType::EmailField | FieldType::SlugField | FieldType::URLField
        ) {
            run(&Validator::MaxLength(max as usize));
        }
    }
    if let Some((min, max)) = integer_range(field.field_type) {
        let has_tighter = |pred: &dyn Fn(&Validator) -> bool| field.validators.iter().any(pred);
        if !has_tighter(&|v| matches!(v, Validator::MinValue(ConstValue::Int(l)) if *l >= min)) {
            run(&Validator::MinValue(ConstValue::Int(min)));
        }
        if !has_tighter(&|v| matches!(v, Validator::MaxValue(ConstValue::Int(l)) if *l <= max)) {
            run(&Validator::MaxValue(ConstValue::Int(max)));
        }
    }
    if field.field_type == FieldType::DecimalField {
        if let Value::Decimal(d) = value {
            if let Err(m) = validate_decimal(d, field.max_digits, field.decimal_places) {
                errors.push(m);
            }
        }
    }
}

/// Django's `Field.clean()` for one value, minus the type conversion: `validate()`
/// (choices, null, blank; skipped for non-editable fields) then `run_validators()`.
/// Returns every message, in Django's order.
pub fn run_field_validation(field: &Field, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    if field.field_type.is_auto() {
        return errors;
    }
    if field.editable {
        if !field.choices.is_empty()
            && !is_empty_value(value)
            && !field
                .choices
                .iter()
                .any(|c| c.value.to_value() == *value || const_matches(c.value, value))
        {
            errors.push(format!("Value {} is not a valid choice.", py_repr(value)));
            return errors;
        }
        if value.is_null() && !field.null {
            errors.push("This field cannot be null.".into());
            return errors;
        }
        if !field.blank && is_empty_value(value) {
            errors.push("This field cannot be blank.".into());
            return errors;
        }
    }
    if !is_empty_value(value) {
        field_validators(field, value, &mut errors);
    }
    errors
}

fn const_matches(c: ConstValue, value: &Value) -> bool {
    matches!((c, value), (ConstValue::Int(a), Value::Decimal(_)) if as_decimal(value) == Some(Decimal::from(a)))
}

/// A model's `clean()` hook (Django's `Model.clean`), called by
/// [`FullClean::full_clean`] after the field checks. `#[derive(Model)]` implements it
/// with the default; write your own with `#[model(clean)]` on the struct and
/// `impl Clean for MyModel { fn clean(&mut self) -> Result<(), ValidationError> { .. } }`.
pub trait Clean {
    /// Cross-field validation; may also adjust values. Non-field errors use
    /// [`ValidationError::new`].
    fn clean(&mut self) -> Result<(), ValidationError> {
        Ok(())
    }
}

/// Django's `Model.full_clean()` and its steps, for every model.
///
/// [`full_clean`](FullClean::full_clean) is async because, as in Django, it checks
/// uniqueness and constraints with queries; [`clean_local`](FullClean::clean_local) is
/// the part that needs no database (Django's
/// `full_clean(validate_unique=False, validate_constraints=False)`).
pub trait FullClean: Model + Clean {
    /// Django's `clean_fields(exclude)`: every concrete field's checks, messages keyed by
    /// field name. A blank-allowed field holding an empty value is skipped.
    fn clean_fields(&self, exclude: &[&str]) -> Result<(), ValidationError> {
        let mut errors = ValidationError::default();
        for field in Self::meta().concrete_fields() {
            if exclude.contains(&field.name) {
                continue;
            }
            let value = self.get_field(field.attname).unwrap_or(Value::Null);
            if field.blank && is_empty_value(&value) {
                continue;
            }
            for message in run_field_validation(field, &value) {
                errors.add(field.name, message);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// [`clean_fields`](FullClean::clean_fields) then the [`Clean::clean`] hook, every
    /// message collected: `full_clean` without the database checks.
    fn clean_local(&mut self, exclude: &[&str]) -> Result<(), ValidationError> {
        let mut errors = ValidationError::default();
        if let Err(e) = self.clean_fields(exclude) {
            errors.extend(e);
        }
        if let Err(e) = self.clean() {
            errors.extend(e);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Django's `validate_unique(exclude)`: unique fields and `unique_together`, checked
    /// with a query each ("Author with this Email already exists."). Violations are
    /// [`DbError::ValidationError`]. `using` names the database alias (default: `"default"`).
    fn validate_unique(
        &self,
        exclude: &[&str],
        using: Option<&str>,
    ) -> impl Future<Output = Result<(), DbError>> + Send {
        async move { into_result(validate_db::validate_unique(self, exclude, using).await?) }
    }

    /// Django's `validate_constraints(exclude)`: `Meta.constraints` (unique constraints
    /// with a query, check constraints on the instance's values).
    fn validate_constraints(
        &self,
        exclude: &[&str],
        using: Option<&str>,
    ) -> impl Future<Output = Result<(), DbError>> + Send {
        async move { into_result(validate_db::validate_constraints(self, exclude, using).await?) }
    }

    /// Django's `full_clean(exclude)`: field checks, the `clean()` hook, then unique and
    /// constraint checks for the fields that passed (on the `using` alias, default
    /// `"default"`); all messages in one [`DbError::ValidationError`].
    fn full_clean_using(
        &mut self,
        using: Option<&str>,
        exclude: &[&str],
    ) -> impl Future<Output = Result<(), DbError>> + Send {
        async move {
            let mut errors = match self.clean_local(exclude) {
                Ok(()) => ValidationError::default(),
                Err(e) => e,
            };
            // Unique and constraint checks run only on fields that passed validation.
            let failed = |e: &ValidationError| -> Vec<String> {
                e.message_dict()
                    .iter()
                    .map(|(f, _)| f.clone())
                    .filter(|f| f != NON_FIELD_ERRORS)
                    .collect()
            };
            let mut failed_fields = failed(&errors);
            let skip: Vec<&str> = exclude
                .iter()
                .copied()
                .chain(failed_fields.iter().map(String::as_str))
                .collect();
            let unique = validate_db::validate_unique(&*self, &skip, using).await?;
            errors.extend(unique);
            failed_fields = failed(&errors);
            let skip: Vec<&str> = exclude
                .iter()
                .copied()
                .chain(failed_fields.iter().map(String::as_str))
                .collect();
            let constraints = validate_db::validate_constraints(&*self, &skip, using).await?;
            errors.extend(constraints);
            into_result(errors)
        }
    }

    /// Django's `full_clean()` on the default database.
    fn full_clean(&mut self) -> impl Future<Output = Result<(), DbError>> + Send {
        self.full_clean_using(None, &[])
    }
}

fn into_result(errors: ValidationError) -> Result<(), DbError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DbError::ValidationError(errors))
    }
}

impl<M: Model + Clean> FullClean for M {}

#[path = "validation_db.rs"]
mod validate_db;
pub use validate_db::{static_q, unique_error_message, violation_message};

#[cfg(test)]
#[path = "validation_tests.rs"]
mod tests;
