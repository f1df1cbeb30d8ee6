//! The model checks (Django's `Model.check()`, `Field.check()` and
//! `django.core.checks.model_checks.check_all_models`), read from `ModelMeta`.
//!
//! Reverse relations are not declared by the related model, so clashes are computed over
//! every known model: the installed apps' models plus those in
//! `nuages_db::models::registry` (linked with `#[derive(Model)]`).

use nuages_db::models::meta::{Field, FieldType, ModelMeta, OnDelete, Relation, RelationKind};
use nuages_db::models::registry;

use crate::checks::{db_comments, CheckContext, CheckMessage};

/// Django's `LOOKUP_SEP`.
const LOOKUP_SEP: &str = "__";

fn same_model(a: &ModelMeta, b: &ModelMeta) -> bool {
    a.app_label == b.app_label && a.object_name == b.object_name
}

/// `app_label.Model.field`, as Django prints a field.
fn field_label(model: &ModelMeta, field: &Field) -> String {
    format!("{}.{}", model.label(), field.name)
}

/// Every model known to the checks: installed ones first, then linked ones not listed.
pub fn known_models(ctx: &CheckContext<'_>) -> Vec<&'static ModelMeta> {
    let mut models = ctx.apps.get_models();
    for m in registry::all_models() {
        if !models.iter().any(|k| same_model(k, m)) {
            models.push(m);
        }
    }
    models
}

/// A relation field seen from its target: Django's `ForeignObjectRel`.
#[derive(Clone, Copy)]
struct RelatedObject {
    model: &'static ModelMeta,
    field: &'static Field,
    rel: Relation,
}

impl RelatedObject {
    fn target(&self) -> &'static ModelMeta {
        (self.rel.to)()
    }

    fn multiple(&self) -> bool {
        self.rel.kind != RelationKind::OneToOne
    }

    fn self_symmetrical(&self) -> bool {
        self.rel.kind == RelationKind::ManyToMany
            && self.rel.symmetrical
            && same_model(self.target(), self.model)
    }

    /// `related_name`, after `Meta.default_related_name` and the symmetrical m2m rule,
    /// with `%(class)s`, `%(model_name)s` and `%(app_label)s` filled in.
    fn related_name(&self) -> Option<String> {
        if self.self_symmetrical() {
            return Some(format!("{}_rel_+", self.field.name));
        }
        self.rel
            .related_name
            .or(self.model.default_related_name)
            .map(|n| self.interpolate(n))
    }

    fn interpolate(&self, name: &str) -> String {
        let model_name = self.model.model_name.to_lowercase();
        name.replace("%(class)s", &model_name)
            .replace("%(model_name)s", &model_name)
            .replace("%(app_label)s", &self.model.app_label.to_lowercase())
    }

    fn is_hidden(&self) -> bool {
        self.related_name().is_some_and(|n| n.ends_with('+'))
    }

    /// `get_accessor_name()`: `book_set`, `profile`, the related_name, or none.
    fn accessor_name(&self) -> Option<String> {
        if self.self_symmetrical() {
            return None;
        }
        if let Some(name) = self.related_name() {
            return Some(name);
        }
        Some(format!(
            "{}{}",
            self.model.model_name,
            if self.multiple() { "_set" } else { "" }
        ))
    }

    /// `field.related_query_name()`.
    fn related_query_name(&self) -> String {
        match self.rel.related_query_name {
            Some(q) => self.interpolate(q),
            None => self
                .related_name()
                .unwrap_or_else(|| self.model.model_name.to_owned()),
        }
    }
}

fn relations_of(model: &'static ModelMeta) -> impl Iterator<Item = RelatedObject> {
    // A proxy's fields are its concrete model's and a multi-table child's inherited
    // fields its parent's: each relation is counted on the model declaring it.
    let fields: &'static [Field] = if model.is_proxy() {
        &[]
    } else {
        model.local_fields()
    };
    fields
        .iter()
        .filter_map(move |field| field.relation.map(|rel| RelatedObject { model, field, rel }))
}

/// Django's `_meta.related_objects` of `target`: relations pointing at it, hidden
/// ones only for many-to-many.
fn related_objects(universe: &[&'static ModelMeta], target: &ModelMeta) -> Vec<RelatedObject> {
    universe
        .iter()
        .flat_map(|m| relations_of(m))
        .filter(|r| same_model(r.target(), target))
        .filter(|r| !r.is_hidden() || r.rel.kind == RelationKind::ManyToMany)
        .collect()
}

/// Runs every model's checks and the cross-model ones (table, index and constraint names).
pub fn check_all_models(ctx: &CheckContext<'_>) -> Vec<CheckMessage> {
    let universe = known_models(ctx);
    let mut errors = Vec::new();
    let mut db_tables: Vec<(&str, Vec<String>)> = Vec::new();
    let mut indexes: Vec<(&str, Vec<String>)> = Vec::new();
    let mut constraints: Vec<(&str, Vec<String>)> = Vec::new();
    fn push<'a>(list: &mut Vec<(&'a str, Vec<String>)>, key: &'a str, label: String) {
        match list.iter_mut().find(|(k, _)| *k == key) {
            Some((_, labels)) => labels.push(label),
            None => list.push((key, vec![label])),
        }
    }
    for model in ctx.models() {
        if model.managed {
            push(&mut db_tables, model.db_table, model.label());
        }
        errors.extend(check_model(ctx, &universe, model));
        for index in model.indexes {
            push(&mut indexes, index.name, model.label());
        }
        for constraint in model.constraints {
            push(&mut constraints, constraint.name(), model.label());
        }
    }
    for (db_table, labels) in db_tables {
        if labels.len() != 1 {
            errors.push(
                CheckMessage::error(
                    format!(
                        "db_table '{db_table}' is used by multiple models: {}.",
                        labels.join(", ")
                    ),
                    "models.E028",
                )
                .with_obj(db_table),
            );
        }
    }
    for (kind, list, same, among) in [
        ("index", indexes, "models.E029", "models.E030"),
        ("constraint", constraints, "models.E031", "models.E032"),
    ] {
        for (name, labels) in list {
            if labels.len() > 1 {
                let mut unique: Vec<String> = labels;
                unique.sort();
                unique.dedup();
                let (which, id) = if unique.len() == 1 {
                    ("for model", same)
                } else {
                    ("among models:", among)
                };
                errors.push(CheckMessage::error(
                    format!(
                        "{kind} name '{name}' is not unique {which} {}.",
                        unique.join(", ")
                    ),
                    id,
                ));
            }
        }
    }
    errors
}

/// Django's `Model.check()` for one model: its fields, then its options.
pub fn check_model(
    ctx: &CheckContext<'_>,
    universe: &[&'static ModelMeta],
    model: &'static ModelMeta,
) -> Vec<CheckMessage> {
    let mut errors = Vec::new();
    let local: &'static [Field] = if model.is_proxy() {
        &[]
    } else {
        model.local_fields()
    };
    for field in local {
        errors.extend(check_field(ctx, universe, model, field));
    }
    for g in model.generic_relations {
        let target = (g.to)();
        if !is_installed(ctx, target) {
            let obj = format!("{}.{}", model.label(), g.name);
            errors.push(relation_model_missing(target, &obj));
        }
    }
    errors.extend(check_ordering(universe, model));
    errors.extend(db_comments::check_db_table_comment(ctx, model));
    errors
}

fn unlimited_charfield(ctx: &CheckContext<'_>) -> bool {
    // Django asks the default connection's `supports_unlimited_charfield` (PostgreSQL).
    ctx.settings
        .databases
        .get("default")
        .is_some_and(|db| db.url.starts_with("postgres"))
}

/// Django's `Field.check()` for one field.
pub fn check_field(
    ctx: &CheckContext<'_>,
    universe: &[&'static ModelMeta],
    model: &'static ModelMeta,
    field: &'static Field,
) -> Vec<CheckMessage> {
    let obj = field_label(model, field);
    let err = |msg: &str, id: &str| CheckMessage::error(msg, id).with_obj(obj.clone());
    let mut errors = Vec::new();
    if field.name.ends_with('_') {
        errors.push(err("Field names must not end with an underscore.", "fields.E001"));
    } else if field.name.contains(LOOKUP_SEP) {
        errors.push(err("Field names must not contain \"__\".", "fields.E002"));
    } else if field.name == "pk" {
        errors.push(err(
            "'pk' is a reserved word that cannot be used as a field name.",
            "fields.E003",
        ));
    }
    match field.field_type {
        FieldType::CharField => match field.max_length {
            None if !unlimited_charfield(ctx) => errors.push(err(
                "CharFields must define a 'max_length' attribute.",
                "fields.E120",
            )),
            Some(0) => errors.push(err("'max_length' must be a positive integer.", "fields.E121")),
            _ => {}
        },
        FieldType::DecimalField => {
            let mut digits = Vec::new();
            if field.decimal_places.is_none() {
                digits.push(err(
                    "DecimalFields must define a 'decimal_places' attribute.",
                    "fields.E130",
                ));
            }
            match field.max_digits {
                None => digits.push(err(
                    "DecimalFields must define a 'max_digits' attribute.",
                    "fields.E132",
                )),
                Some(0) => digits.push(err("'max_digits' must be a positive integer.", "fields.E133")),
                Some(_) => {}
            }
            if digits.is_empty() && field.decimal_places > field.max_digits {
                errors.push(err(
                    "'max_digits' must be greater or equal to 'decimal_places'.",
                    "fields.E134",
                ));
            }
            errors.extend(digits);
        }
        _ => {}
    }
    if let Some(rel) = field.relation {
        let related = RelatedObject { model, field, rel };
        errors.extend(check_related_name(&related, &obj));
        errors.extend(check_related_query_name(&related, &obj));
        if is_installed(ctx, related.target()) {
            errors.extend(check_clashes(universe, &related, &obj));
        } else {
            // Django skips the clash checks of a relation whose model is unresolved.
            errors.push(relation_model_missing(related.target(), &obj));
        }
        if let Some(through) = rel.through.map(|t| t()) {
            if !is_installed(ctx, through) {
                errors.push(err(
                    &format!(
                        "Field specifies a many-to-many relation through model '{}', which has not been installed.",
                        through.label()
                    ),
                    "fields.E331",
                ));
            }
        }
        if rel.kind != RelationKind::ManyToMany {
            match rel.on_delete {
                OnDelete::SetNull if !field.null => errors.push(
                    err(
                        "Field specifies on_delete=SET_NULL, but cannot be null.",
                        "fields.E320",
                    )
                    .with_hint("Set null=True argument on the field, or change the on_delete rule."),
                ),
                OnDelete::SetDefault if field.default.is_none() => errors.push(
                    err(
                        "Field specifies on_delete=SET_DEFAULT, but has no default value.",
                        "fields.E321",
                    )
                    .with_hint("Set a default value, or change the on_delete rule."),
                ),
                _ => {}
            }
        }
    }
    errors.extend(db_comments::check_db_comment(ctx, model, field, &obj));
    errors
}

/// True when `model` belongs to an installed app's model list (Django's
/// `apps.get_models()`, proxies and children included).
fn is_installed(ctx: &CheckContext<'_>, model: &ModelMeta) -> bool {
    ctx.apps.get_models().iter().any(|m| same_model(m, model))
}

/// `fields.E300`: a relation to a model that is not installed. (Django's other case, an
/// abstract model, cannot be written: an abstract base does not implement `Model`, so
/// `ForeignKey<Base>` is a compile error.)
fn relation_model_missing(target: &ModelMeta, obj: &str) -> CheckMessage {
    CheckMessage::error(
        format!(
            "Field defines a relation with model '{}', which is either not installed, or is abstract.",
            target.object_name
        ),
        "fields.E300",
    )
    .with_obj(obj)
}

/// `fields.E307` (Django's `check_lazy_references`): a relation of an installed model
/// names a model that no installed app provides. A typed relation target is resolved
/// when the app list is, as Django's lazy `"app_label.Model"` references are, so this is
/// where an app missing from the project's list shows. Like Django, every installed
/// model is looked at whatever apps were selected.
pub fn check_lazy_references(ctx: &CheckContext<'_>) -> Vec<CheckMessage> {
    let mut errors = Vec::new();
    for model in ctx.apps.get_models() {
        if model.is_proxy() {
            continue;
        }
        // The target and, for many-to-many, an explicit through model.
        let relations = model.local_fields().iter().flat_map(|f| {
            let rel = f.relation;
            let target = rel.map(|r| (f.name, (r.to)()));
            let through = rel.and_then(|r| r.through).map(|t| (f.name, t()));
            target.into_iter().chain(through)
        });
        let generic = model.generic_relations.iter().map(|g| (g.name, (g.to)()));
        for (name, target) in relations.chain(generic) {
            if is_installed(ctx, target) {
                continue;
            }
            let model_error = match ctx.apps.get_app_config(target.app_label) {
                Ok(_) => format!(
                    "app '{}' doesn't provide model '{}'",
                    target.app_label, target.model_name
                ),
                Err(_) => format!("app '{}' isn't installed", target.app_label),
            };
            let field = format!("{}.{name}", model.label());
            errors.push(
                CheckMessage::error(
                    format!(
                        "The field {field} was declared with a lazy reference to '{}.{}', but {model_error}.",
                        target.app_label, target.model_name
                    ),
                    "fields.E307",
                )
                .with_obj(field),
            );
        }
    }
    errors
}

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
    "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
    "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

fn is_python_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
        && !PYTHON_KEYWORDS.contains(&s)
}

/// `fields.E306`: `related_name` must be an identifier or end with `+`.
fn check_related_name(related: &RelatedObject, obj: &str) -> Vec<CheckMessage> {
    match related.rel.related_name {
        Some(name) if !is_python_identifier(name) && !name.ends_with('+') => vec![CheckMessage::error(
            format!(
                "The name '{name}' is invalid related_name for field {}.{}",
                related.model.object_name, related.field.name
            ),
            "fields.E306",
        )
        .with_obj(obj)
        .with_hint("Related name must be a valid Python identifier or end with a '+'")],
        _ => Vec::new(),
    }
}

/// `fields.E308`/`fields.E309`: the reverse query name's shape.
fn check_related_query_name(related: &RelatedObject, obj: &str) -> Vec<CheckMessage> {
    if related.is_hidden() {
        return Vec::new();
    }
    let name = related.related_query_name();
    let hint = "Add or change a related_name or related_query_name argument for this field.";
    let mut errors = Vec::new();
    if name.ends_with('_') {
        errors.push(
            CheckMessage::error(
                format!("Reverse query name '{name}' must not end with an underscore."),
                "fields.E308",
            )
            .with_obj(obj)
            .with_hint(hint),
        );
    }
    if name.contains(LOOKUP_SEP) {
        errors.push(
            CheckMessage::error(
                format!("Reverse query name '{name}' must not contain '{LOOKUP_SEP}'."),
                "fields.E309",
            )
            .with_obj(obj)
            .with_hint(hint),
        );
    }
    errors
}

/// `fields.E302`–`fields.E305`: reverse accessors and query names that clash with the
/// target's fields or with other relations to the same model.
fn check_clashes(
    universe: &[&'static ModelMeta],
    related: &RelatedObject,
    field_name: &str,
) -> Vec<CheckMessage> {
    let target = related.target();
    let rel_is_hidden = related.is_hidden();
    let rel_name = related.accessor_name();
    let rel_query_name = related.related_query_name();
    let mut errors = Vec::new();
    for clash_field in target.fields {
        let clash_name = format!("{}.{}", target.label(), clash_field.name);
        if !rel_is_hidden && rel_name.as_deref() == Some(clash_field.name) {
            errors.push(
                CheckMessage::error(
                    format!(
                        "Reverse accessor '{}.{}' for '{field_name}' clashes with field name '{clash_name}'.",
                        target.object_name,
                        rel_name.as_deref().unwrap_or_default()
                    ),
                    "fields.E302",
                )
                .with_obj(field_name)
                .with_hint(format!(
                    "Rename field '{clash_name}', or add/change a related_name argument to the definition for field '{field_name}'."
                )),
            );
        }
        if clash_field.name == rel_query_name {
            errors.push(
                CheckMessage::error(
                    format!("Reverse query name for '{field_name}' clashes with field name '{clash_name}'."),
                    "fields.E303",
                )
                .with_obj(field_name)
                .with_hint(format!(
                    "Rename field '{clash_name}', or add/change a related_name argument to the definition for field '{field_name}'."
                )),
            );
        }
    }
    for other in related_objects(universe, target) {
        if same_model(other.model, related.model) && other.field.name == related.field.name {
            continue;
        }
        let clash_name = format!("{}.{}", other.model.label(), other.field.name);
        let other_accessor = other.accessor_name();
        let hint = format!(
            "Add or change a related_name argument to the definition for '{field_name}' or '{clash_name}'."
        );
        if !rel_is_hidden && other_accessor.is_some() && other_accessor == rel_name {
            errors.push(
                CheckMessage::error(
                    format!(
                        "Reverse accessor '{}.{}' for '{field_name}' clashes with reverse accessor for '{clash_name}'.",
                        target.object_name,
                        rel_name.as_deref().unwrap_or_default()
                    ),
                    "fields.E304",
                )
                .with_obj(field_name)
                .with_hint(hint.clone()),
            );
        }
        if other_accessor.as_deref() == Some(rel_query_name.as_str()) {
            errors.push(
                CheckMessage::error(
                    format!("Reverse query name for '{field_name}' clashes with reverse query name for '{clash_name}'."),
                    "fields.E305",
                )
                .with_obj(field_name)
                .with_hint(hint),
            );
        }
    }
    errors
}

/// Lookups and transforms Django registers on every field (valid at the end of an
/// `ordering` path).
const COMMON_LOOKUPS: &[&str] = &[
    "exact",
    "iexact",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "range",
    "isnull",
    "regex",
    "iregex",
];
const DATE_TRANSFORMS: &[&str] = &[
    "year",
    "iso_year",
    "month",
    "day",
    "week",
    "week_day",
    "iso_week_day",
    "quarter",
];
const TIME_TRANSFORMS: &[&str] = &["hour", "minute", "second"];

fn has_transform_or_lookup(field: &Field, part: &str) -> bool {
    match field.field_type {
        FieldType::JSONField => true,
        FieldType::DateField => DATE_TRANSFORMS.contains(&part) || COMMON_LOOKUPS.contains(&part),
        FieldType::DateTimeField => {
            DATE_TRANSFORMS.contains(&part)
                || TIME_TRANSFORMS.contains(&part)
                || matches!(part, "date" | "time")
                || COMMON_LOOKUPS.contains(&part)
        }
        FieldType::TimeField => TIME_TRANSFORMS.contains(&part) || COMMON_LOOKUPS.contains(&part),
        _ => COMMON_LOOKUPS.contains(&part),
    }
}

/// What a name resolves to on a model (Django's `_meta.get_field`): a forward field
/// or a reverse relation (by its query name).
enum Resolved {
    Forward(&'static Field),
    Reverse(&'static ModelMeta),
}

fn get_field(universe: &[&'static ModelMeta], model: &ModelMeta, name: &str) -> Option<Resolved> {
    if let Some(f) = model.field(name) {
        return Some(Resolved::Forward(f));
    }
    related_objects(universe, model)
        .into_iter()
        .find(|r| r.related_query_name() == name)
        .map(|r| Resolved::Reverse(r.model))
}

/// `models.E015`: `ordering` naming a field, relation or lookup that does not exist.
pub fn check_ordering(universe: &[&'static ModelMeta], model: &'static ModelMeta) -> Vec<CheckMessage> {
    let error = |name: &str| {
        CheckMessage::error(
            format!("'ordering' refers to the nonexistent field, related field, or lookup '{name}'."),
            "models.E015",
        )
        .with_obj(model.label())
    };
    let mut errors = Vec::new();
    let names = model
        .ordering
        .iter()
        .filter(|f| **f != "?")
        .map(|f| f.strip_prefix('-').unwrap_or(f));
    let (related, plain): (Vec<&str>, Vec<&str>) = names.partition(|f| f.contains(LOOKUP_SEP));
    for path in related {
        let mut current: Option<&'static ModelMeta> = Some(model);
        let mut fld: Option<&'static Field> = None;
        for part in path.split(LOOKUP_SEP) {
            let found = current.and_then(|cls| {
                if part == "pk" {
                    Some(Resolved::Forward(cls.pk()))
                } else {
                    get_field(universe, cls, part)
                }
            });
            match found {
                Some(Resolved::Forward(f)) => {
                    fld = Some(f);
                    current = f.relation.map(|r| (r.to)());
                }
                Some(Resolved::Reverse(m)) => {
                    // A reverse relation is a relation to the declaring model.
                    fld = None;
                    current = Some(m);
                }
                None => {
                    let valid = match (fld, current) {
                        (Some(f), _) => has_transform_or_lookup(f, part),
                        // After a reverse relation Django's `fld` is the relation object,
                        // which only has the relation lookups.
                        (None, Some(m)) if !same_model(m, model) => COMMON_LOOKUPS.contains(&part),
                        _ => false,
                    };
                    if !valid {
                        errors.push(error(path));
                    }
                }
            }
        }
    }
    let mut valid: Vec<String> = model
        .fields
        .iter()
        .filter(|f| f.field_type != FieldType::ManyToManyField)
        .flat_map(|f| [f.name.to_owned(), f.attname.to_owned()])
        .collect();
    valid.extend(
        related_objects(universe, model)
            .iter()
            .map(|r| r.related_query_name()),
    );
    let mut invalid: Vec<&str> = plain
        .into_iter()
        .filter(|f| *f != "pk" && !valid.iter().any(|v| v == f))
        .collect();
    invalid.sort_unstable();
    invalid.dedup();
    errors.extend(invalid.into_iter().map(error));
    errors
}
