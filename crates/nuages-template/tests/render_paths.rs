//! The render fast paths give what the general path gives: `{{ obj.attr }}` rendered from
//! a borrowed `str` attribute ([`TemplateObject::str_attr`]), the builtins
//! (`True`/`False`/`None`) shared between contexts, and lists of objects sharing one
//! allocation ([`Value::objects`]).

use nuages_template::{Context, Engine, TemplateObject, Value};

const FORTUNES: &str = "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>{% for f in fortunes %}<tr><td>{{ f.id }}</td><td>{{ f.message }}</td></tr>{% endfor %}</table></body></html>";

/// A row as the TechEmpower model exposes it; `borrowed` says whether it answers
/// `str_attr` too (the fast path) or only `get_attr` (the general one).
struct Fortune {
    id: i32,
    message: String,
    borrowed: bool,
}

impl TemplateObject for Fortune {
    fn get_attr(&self, name: &str) -> Option<Value> {
        match name {
            "id" => Some(Value::from(self.id)),
            "message" => Some(Value::from(self.message.as_str())),
            _ => None,
        }
    }
    fn str_attr(&self, name: &str) -> Option<&str> {
        (self.borrowed && name == "message").then_some(self.message.as_str())
    }
    fn to_str(&self) -> String {
        format!("Fortune object ({})", self.id)
    }
}

fn rows() -> Vec<(i32, &'static str)> {
    vec![
        (
            11,
            "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
        ),
        (
            2,
            "A computer scientist is someone who fixes things that aren't broken.",
        ),
        (8, "A list is only as strong as its weakest link. — Donald Knuth"),
        (0, "Additional fortune added at request time."),
        (12, "フレームワークのベンチマーク"),
        (13, "Tom & Jerry's \"<b>\" > 'x'"),
    ]
}

/// How the rows are put in the context.
#[derive(Clone, Copy)]
enum Rows {
    /// `Value::object` each, answering `get_attr` only.
    Objects,
    /// `Value::object` each, answering `str_attr` too.
    Borrowed,
    /// `Value::objects`, answering `str_attr` too.
    Shared,
}

fn fortunes(rows_as: Rows) -> Value {
    let borrowed = !matches!(rows_as, Rows::Objects);
    let rows = rows().into_iter().map(|(id, m)| Fortune {
        id,
        message: m.to_owned(),
        borrowed,
    });
    match rows_as {
        Rows::Shared => Value::objects(rows.collect()),
        _ => Value::list(rows.map(Value::object).collect()),
    }
}

fn render_fortunes(src: &str, rows_as: Rows) -> String {
    let engine = Engine::builder().template("fortunes.html", src).build();
    let mut ctx = Context::new();
    ctx.insert("fortunes", fortunes(rows_as));
    engine.render_to_string("fortunes.html", &mut ctx).unwrap()
}

/// The page as Django 5.2 renders it (`escape()`: `& < > " '`).
fn django_page() -> String {
    let mut page = String::from(
        "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>",
    );
    for (id, message) in [
        (11, "&lt;script&gt;alert(&quot;This should not be displayed in a browser alert box.&quot;);&lt;/script&gt;"),
        (2, "A computer scientist is someone who fixes things that aren&#x27;t broken."),
        (8, "A list is only as strong as its weakest link. — Donald Knuth"),
        (0, "Additional fortune added at request time."),
        (12, "フレームワークのベンチマーク"),
        (13, "Tom &amp; Jerry&#x27;s &quot;&lt;b&gt;&quot; &gt; &#x27;x&#x27;"),
    ] {
        page.push_str(&format!("<tr><td>{id}</td><td>{message}</td></tr>"));
    }
    page.push_str("</table></body></html>");
    page
}

#[test]
fn fortunes_page_is_djangos_on_both_paths() {
    for rows_as in [Rows::Objects, Rows::Borrowed, Rows::Shared] {
        assert_eq!(render_fortunes(FORTUNES, rows_as), django_page());
    }
}

#[test]
fn borrowed_attribute_follows_autoescape_and_filters() {
    let src = "{% for f in fortunes %}{% autoescape off %}{{ f.message }}{% endautoescape %}|{{ f.message|upper }}|{{ f.message|safe }}\n{% endfor %}";
    assert_eq!(
        render_fortunes(src, Rows::Borrowed),
        render_fortunes(src, Rows::Objects)
    );
    assert_eq!(
        render_fortunes(src, Rows::Shared),
        render_fortunes(src, Rows::Objects)
    );
    assert!(render_fortunes(src, Rows::Borrowed).starts_with(
        "<script>alert(\"This should not be displayed in a browser alert box.\");</script>|&lt;SCRIPT&gt;"
    ));
}

/// Django looks `obj[key]` up before `obj.key`: an object that answers both renders its
/// item, even when the attribute could be borrowed.
#[test]
fn item_lookup_still_comes_before_the_borrowed_attribute() {
    struct Both;
    impl TemplateObject for Both {
        fn get_attr(&self, name: &str) -> Option<Value> {
            self.str_attr(name).map(Value::from)
        }
        fn str_attr(&self, name: &str) -> Option<&str> {
            (name == "x").then_some("attribute")
        }
        fn get_item(&self, key: &Value) -> Option<Value> {
            (key.py_str() == "x").then(|| Value::from("<item>"))
        }
        fn to_str(&self) -> String {
            "both".into()
        }
    }
    let engine = Engine::new();
    let mut ctx = Context::new();
    ctx.insert("o", Value::object(Both));
    let t = engine.from_string("{{ o.x }} {{ o.y }}.").unwrap();
    assert_eq!(t.render(&mut ctx).unwrap(), "&lt;item&gt; .");
}

#[test]
fn callable_attributes_are_called_on_the_direct_path() {
    struct Lazy;
    impl TemplateObject for Lazy {
        fn get_attr(&self, name: &str) -> Option<Value> {
            (name == "now").then(|| Value::callable(|| Ok(Value::from("<called>"))))
        }
        fn to_str(&self) -> String {
            "lazy".into()
        }
    }
    let mut ctx = Context::new();
    ctx.insert("o", Value::object(Lazy));
    let t = Engine::new().from_string("{{ o.now }}").unwrap();
    assert_eq!(t.render(&mut ctx).unwrap(), "&lt;called&gt;");
}

/// The builtins are one shared dict until a template writes into them; shadowing them
/// (`with`, `for`) or assigning one (`cycle ... as`) never shows in another context.
#[test]
fn shared_builtins_are_never_written_through() {
    let engine = Engine::new();
    let shadowing = engine
        .from_string(
            "{% with True=1 %}{{ True }}{% endwith %} {% for None in items %}{{ None }}{% endfor %} \
             {% cycle 'a' 'b' as False silent %}{{ False }} {% cycle False %}{{ False }} {{ True }} {{ None }}",
        )
        .unwrap();
    let mut ctx = Context::new();
    ctx.insert("items", vec![7]);
    assert_eq!(shadowing.render(&mut ctx).unwrap(), "1 7 a b True None");
    assert_eq!(ctx.get("False").map(Value::py_str).as_deref(), Some("b"));

    let plain = engine
        .from_string("{{ True }} {{ False }} {{ None }} {% if not None and True %}ok{% endif %}")
        .unwrap();
    assert_eq!(plain.render(&mut Context::new()).unwrap(), "True False None ok");
    let flat = Context::new().flatten();
    assert_eq!(
        flat.keys().map(String::as_str).collect::<Vec<_>>(),
        ["True", "False", "None"]
    );
}

#[test]
fn builtins_stay_at_the_bottom_of_the_stack() {
    let mut ctx = Context::new();
    ctx.insert("True", "shadowed");
    assert_eq!(ctx.get("True").map(Value::py_str).as_deref(), Some("shadowed"));
    assert!(ctx.pop().is_some());
    assert!(ctx.pop().is_none(), "the builtins are never popped");
    assert!(matches!(ctx.get("True"), Some(Value::Bool(true))));
    ctx.insert("x", 1);
    assert_eq!(ctx.get("x").map(Value::py_str).as_deref(), Some("1"));
}

/// The elements of a `Value::objects` list behave as `Value::object`s everywhere a
/// template meets them: filters, indexing, `{% with %}`, comparisons and `is`, `in`.
#[test]
fn shared_list_elements_behave_as_objects() {
    let src = "{{ fortunes|length }}|{{ fortunes.1.id }}|{{ fortunes|first }}|{{ fortunes|last }}|\
        {% for f in fortunes|dictsort:'id' %}{{ f.id }} {% endfor %}|\
        {% with a=fortunes.0 b=fortunes.0 c=fortunes.1 %}{% if a == b %}eq{% endif %} {% if a is b %}is{% endif %} \
        {% if a != c %}ne{% endif %} {% if a in fortunes %}in{% endif %} {% if a %}true{% endif %}{% endwith %}|\
        {{ fortunes|slice:':2'|join:', ' }}";
    for rows_as in [Rows::Objects, Rows::Shared] {
        assert_eq!(
            render_fortunes(src, rows_as),
            "6|2|Fortune object (11)|Fortune object (13)|0 2 8 11 12 13 |eq is ne in true|\
             Fortune object (11), Fortune object (2)",
        );
    }
    // An element of one list is not the same object as its twin in another.
    let engine = Engine::new();
    let mut ctx = Context::new();
    ctx.insert("x", fortunes(Rows::Shared));
    ctx.insert("y", fortunes(Rows::Shared));
    let t = engine
        .from_string("{% if x.0 == y.0 %}same{% else %}different{% endif %}")
        .unwrap();
    assert_eq!(t.render(&mut ctx).unwrap(), "different");
}
