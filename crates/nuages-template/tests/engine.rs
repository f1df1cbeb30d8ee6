//! Engine-level behaviour: loaders, libraries, errors with locations, hooks, threads.

use std::sync::Arc;

use indexmap::IndexMap;
use nuages_template::{
    Context, Engine, FilterArity, FilterOptions, Library, Parser, TagNode, Template, TemplateError, Token,
    UrlReverser, Value,
};

fn render(engine: &Engine, src: &str, ctx: &mut Context) -> Result<String, TemplateError> {
    engine.from_string(src)?.render(ctx)
}

#[test]
fn syntax_errors_carry_name_line_column_and_source_line() {
    let engine = Engine::builder()
        .template("bad.html", "line one\n  {% if x %}\n{% endfor %}")
        .build();
    let err = engine.get_template("bad.html").unwrap_err();
    assert_eq!(err.class_name(), "TemplateSyntaxError");
    assert_eq!(
        err.to_string(),
        "Invalid block tag on line 3: 'endfor', expected 'elif', 'else' or 'endif'. Did you forget to register or load this tag?"
    );
    let loc = err.location().expect("location");
    assert_eq!(loc.template_name.as_deref(), Some("bad.html"));
    assert_eq!((loc.line, loc.column), (3, 1));
    assert_eq!(loc.source_line, "{% endfor %}");

    let err = engine.from_string("ab\nc {{ x|nope }}").unwrap_err();
    assert_eq!(err.to_string(), "Invalid filter: 'nope'");
    let loc = err.location().expect("location");
    assert_eq!((loc.line, loc.column), (2, 3));
    assert!(err.describe().contains("line 2, column 3"));
}

#[test]
fn unclosed_tag_points_at_the_opening_tag() {
    let err = Engine::new().from_string("a\n{% for x in y %}\nz").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unclosed tag on line 2: 'for'. Looking for one of: empty, endfor."
    );
    assert_eq!(err.location().map(|l| l.line), Some(2));
}

#[test]
fn template_does_not_exist_lists_places_tried() {
    let dir = std::env::temp_dir().join(format!("nuages-tpl-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(
        dir.join("page.html"),
        "{% extends 'base.html' %}{% block b %}page{% endblock %}",
    )
    .unwrap();
    std::fs::write(dir.join("app/base.html"), "<{% block b %}{% endblock %}>").unwrap();
    let engine = Engine::builder().dir(&dir).app_dir(dir.join("app")).build();
    assert_eq!(
        engine.render_to_string("page.html", &mut Context::new()).unwrap(),
        "<page>"
    );
    let err = engine.get_template("missing.html").unwrap_err();
    match &err {
        TemplateError::TemplateDoesNotExist { name, tried } => {
            assert_eq!(name, "missing.html");
            assert_eq!(tried.len(), 2);
            assert!(tried[0].ends_with("missing.html (Source does not exist)"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(engine.get_template("../etc/passwd").is_err());
    let t = engine.select_template(&["missing.html", "page.html"]).unwrap();
    assert_eq!(t.name(), Some("page.html"));
    let err = engine.select_template(&["a.html", "b.html"]).unwrap_err();
    assert_eq!(err.to_string(), "a.html, b.html");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cached_loader_parses_once() {
    let engine = Engine::builder().template("a.html", "x").build();
    let a = engine.get_template("a.html").unwrap();
    let b = engine.get_template("a.html").unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    let uncached = Engine::builder().template("a.html", "x").cached(false).build();
    assert!(!Arc::ptr_eq(
        &uncached.get_template("a.html").unwrap(),
        &uncached.get_template("a.html").unwrap()
    ));
}

#[test]
fn extends_skips_the_template_itself_across_loaders() {
    let dir = std::env::temp_dir().join(format!("nuages-tpl-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("base.html"), "[{% block a %}fs{% endblock %}]").unwrap();
    let engine = Engine::builder()
        .template(
            "base.html",
            "{% extends 'base.html' %}{% block a %}mem+{{ block.super }}{% endblock %}",
        )
        .dir(&dir)
        .build();
    assert_eq!(
        engine.render_to_string("base.html", &mut Context::new()).unwrap(),
        "[mem+fs]"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn custom_filters_simple_and_inclusion_tags() {
    let mut lib = Library::new();
    lib.filter(
        "shout",
        FilterOptions {
            is_safe: true,
            stringfilter: true,
            ..Default::default()
        },
        |v, _, _| Ok(Value::from(format!("{}!", v.py_str().to_uppercase()))),
    );
    lib.filter(
        "times",
        FilterOptions {
            arity: FilterArity::Required,
            ..Default::default()
        },
        |v, arg, _| {
            let n = arg
                .map(|a| a.py_str())
                .unwrap_or_default()
                .parse::<usize>()
                .unwrap_or(1);
            Ok(Value::from(v.py_str().repeat(n)))
        },
    );
    lib.simple_tag("sum", |call| {
        let total: i64 = call
            .args
            .iter()
            .map(|a| a.py_str().parse::<i64>().unwrap_or(0))
            .sum();
        let bonus = call
            .kwargs
            .get("bonus")
            .map(|b| b.py_str().parse::<i64>().unwrap_or(0))
            .unwrap_or(0);
        Ok(Value::from(total + bonus))
    });
    lib.simple_tag("who", |call| {
        Ok(call.context.get("user").cloned().unwrap_or_default())
    });
    lib.inclusion_tag("card", "card.html", |call| {
        let mut m = IndexMap::new();
        m.insert(
            "title".to_string(),
            call.args.first().cloned().unwrap_or_default(),
        );
        Ok(m)
    });
    let engine = Engine::builder()
        .template("card.html", "<div>{{ title }}|{{ user }}|{% csrf_token %}</div>")
        .library("demo", lib)
        .build();
    let mut ctx = Context::new();
    ctx.insert("user", "<ann>");
    ctx.insert("csrf_token", "TOKEN");
    let out = render(
        &engine,
        "{% load demo %}{{ 'a'|shout }}{{ 'ab'|times:3 }} {% sum 1 2 bonus=10 %} {% sum 1 2 as s %}[{{ s }}] {% who %} {% card 'T<' %}",
        &mut ctx,
    )
    .unwrap();
    assert_eq!(
        out,
        "A!ababab 13 [3] &lt;ann&gt; <div>T<||<input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"TOKEN\"></div>"
    );
    let err = engine
        .from_string("{% load nothing from demo %}")
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "'nothing' is not a valid tag or filter in tag library 'demo'"
    );
    assert!(engine
        .from_string("{% load times from demo %}{{ 'x'|times:2 }}")
        .is_ok());
    let err = engine.from_string("{% sum a=1 2 %}").unwrap_err();
    assert!(err.to_string().contains("Invalid block tag"));
}

struct Upper {
    body: nuages_template::NodeList,
}

impl TagNode for Upper {
    fn render(&self, ctx: &mut Context, out: &mut String) -> nuages_template::Result<()> {
        out.push_str(&self.body.render_to_string(ctx)?.to_uppercase());
        Ok(())
    }
    fn nodelists(&self) -> Vec<&nuages_template::NodeList> {
        vec![&self.body]
    }
}

fn compile_upper(p: &mut Parser<'_>, _t: &Token) -> nuages_template::Result<Box<dyn TagNode>> {
    let body = p.parse(&["endupper"])?;
    p.delete_first_token();
    Ok(Box::new(Upper { body }))
}

#[test]
fn low_level_tags_parse_their_own_body() {
    let mut lib = Library::new();
    lib.tag("upper", compile_upper);
    let engine = Engine::builder().builtin(lib).build();
    let mut ctx = Context::new();
    ctx.insert("x", "b");
    assert_eq!(
        render(&engine, "a{% upper %}x{{ x }}{% endupper %}", &mut ctx).unwrap(),
        "aXB"
    );
    let err = engine.from_string("{% upper %}x").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unclosed tag on line 1: 'upper'. Looking for one of: endupper."
    );
}

struct Reverser;

impl UrlReverser for Reverser {
    fn reverse(
        &self,
        view: &str,
        args: &[Value],
        kwargs: &IndexMap<String, Value>,
        _app: Option<&str>,
    ) -> nuages_template::Result<String> {
        match view {
            "book" => Ok(format!(
                "/books/{}/?a&b",
                args.first()
                    .or_else(|| kwargs.get("pk"))
                    .map(|v| v.py_str())
                    .unwrap_or_default()
            )),
            _ => Err(TemplateError::NoReverseMatch(format!(
                "Reverse for '{view}' not found."
            ))),
        }
    }
}

#[test]
fn url_static_and_context_processors() {
    let engine = Engine::builder()
        .url_reverser(Arc::new(Reverser))
        .static_url("/assets/")
        .context_processor(|_| {
            vec![
                ("site".into(), Value::from("nuages")),
                ("user".into(), Value::from("proc")),
            ]
        })
        .build();
    let mut ctx = Context::new();
    ctx.insert("user", "mine");
    let out = render(
        &engine,
        "{% load static %}{% url 'book' 3 %}|{% url 'book' pk=4 as u %}{{ u }}|{% url 'nope' as v %}[{{ v }}]|{% static 'css/a b.css' %}|{{ site }} {{ user }}",
        &mut ctx,
    )
    .unwrap();
    assert_eq!(
        out,
        "/books/3/?a&amp;b|/books/4/?a&amp;b|[]|/assets/css/a%20b.css|nuages mine"
    );
    let err = render(&engine, "{% url 'nope' %}", &mut Context::new()).unwrap_err();
    assert_eq!(err.class_name(), "NoReverseMatch");
    let err = engine.from_string("{% static 'x' %}").unwrap_err();
    assert!(err
        .to_string()
        .starts_with("Invalid block tag on line 1: 'static'"));
}

#[test]
fn objects_and_serialize_contexts() {
    #[derive(serde::Serialize)]
    struct Row {
        id: i64,
        message: String,
    }
    let rows = vec![
        Row {
            id: 1,
            message: "<script>".into(),
        },
        Row {
            id: 2,
            message: "fine".into(),
        },
    ];
    let mut ctx = Context::new();
    ctx.insert("rows", Value::from_serialize(&rows).unwrap());
    let out = render(
        &Engine::new(),
        "{% for r in rows %}{{ r.id }}:{{ r.message }};{% endfor %}",
        &mut ctx,
    )
    .unwrap();
    assert_eq!(out, "1:&lt;script&gt;;2:fine;");
}

#[test]
fn templates_render_from_many_threads() {
    let engine = Engine::builder()
        .template(
            "t.html",
            "{% for i in items %}{% cycle 'a' 'b' %}{{ i }}{% endfor %}",
        )
        .build();
    let template: Arc<Template> = engine.get_template("t.html").unwrap();
    let handles: Vec<_> = (0..4)
        .map(|n| {
            let t = template.clone();
            std::thread::spawn(move || {
                let mut ctx = Context::new();
                ctx.insert("items", vec![n, n]);
                t.render(&mut ctx).unwrap()
            })
        })
        .collect();
    for (n, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().unwrap(), format!("a{n}b{n}"));
    }
}

#[test]
fn context_stack_push_pop_and_set_upward() {
    let mut ctx = Context::new();
    ctx.insert("a", 1);
    ctx.push();
    ctx.insert("a", 2);
    assert_eq!(ctx.get("a").map(|v| v.py_str()), Some("2".into()));
    ctx.set_upward("a", Value::from(3));
    ctx.pop();
    assert_eq!(ctx.get("a").map(|v| v.py_str()), Some("1".into()));
    assert!(ctx.get("True").is_some());
    assert!(ctx.pop().is_some());
    assert!(ctx.pop().is_none(), "the builtins dict is never popped");
}

#[test]
fn runaway_include_recursion_is_an_error_not_a_crash() {
    let engine = Engine::builder()
        .template("a.html", "x{% include 'a.html' %}")
        .build();
    let handle = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || engine.render_to_string("a.html", &mut Context::new()))
        .unwrap();
    let err = handle.join().unwrap().unwrap_err();
    assert_eq!(err.class_name(), "RecursionError");
    let deep = "{% if x %}".repeat(500);
    let err = Engine::new().from_string(&deep).unwrap_err();
    assert_eq!(err.class_name(), "RecursionError");
}

#[test]
fn i18n_tags_render_the_source_text() {
    let engine = Engine::new();
    let mut ctx = Context::new();
    ctx.insert("name", "<Ann>");
    ctx.insert("n", 3);
    ctx.insert("one", 1);
    let out = render(
        &engine,
        "{% load i18n %}{% translate \"Hello & 100%\" %}|{% trans 'x' as v %}[{{ v }}]|\
         {% blocktranslate with who=name %}Hi {{ who }}!{% endblocktranslate %}|\
         {% blocktrans count c=n %}{{ c }} item{% plural %}{{ c }} items{% endblocktrans %}|\
         {% blocktrans count c=one %}{{ c }} item{% plural %}{{ c }} items{% endblocktrans %}|\
         {% blocktranslate trimmed %}\n  a\n  b\n{% endblocktranslate %}|\
         {% get_current_language as lang %}{{ lang }}",
        &mut ctx,
    )
    .unwrap();
    assert_eq!(
        out,
        "Hello &amp; 100%|[x]|Hi &lt;Ann&gt;!|3 items|1 item|a b|en-us"
    );
    let err = engine
        .from_string("{% load i18n %}{% blocktrans %}{% if x %}{% endblocktrans %}")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "'blocktrans' doesn't allow other block tags (seen 'if x') inside it"
    );
}

#[test]
fn debug_engines_attach_template_debug_to_render_errors() {
    // Error inside a loop inside a block of a child template: the innermost node wins.
    let mut lines: Vec<String> = (1..=30).map(|i| format!("line {i}\n")).collect();
    lines[19] = "  <li>{% for y in items %}{% endfor %}</li>\n".to_owned();
    let long = lines.concat();
    let engine = Engine::builder()
        .debug(true)
        .template("base.html", "<body>{% block main %}{% endblock %}</body>")
        .template(
            "child.html",
            "{% extends \"base.html\" %}\n{% block main %}\n{% for x in xs %}\n{% include \"long.html\" %}{% endfor %}{% endblock %}",
        )
        .template("long.html", long.as_str())
        .build();
    let mut ctx = Context::new();
    ctx.insert("xs", vec![1]);
    ctx.insert("items", 5);
    let err = engine.render_to_string("child.html", &mut ctx).unwrap_err();
    assert_eq!(err.class_name(), "TypeError");
    let info = err.template_debug().expect("template_debug");
    assert_eq!(info.name, "long.html");
    assert_eq!(info.line, 20);
    assert_eq!(info.message, err.to_string());
    assert_eq!(info.before, "  <li>");
    assert_eq!(info.during, "{% for y in items %}");
    assert_eq!(info.after, "{% endfor %}</li>\n");
    // Django: ten lines either side, `top`/`bottom` tell what was cut.
    assert_eq!((info.top, info.bottom, info.total), (10, 31, 32));
    assert_eq!(info.source_lines.first().map(|l| l.0), Some(10));
    assert_eq!(info.source_lines.last().map(|l| l.0), Some(30));
    assert!(matches!(err.cause(), TemplateError::TypeError(_)));

    // A syntax error: the opening tag of an unclosed block, with the location too.
    let err = engine.from_string("a\n{% if x %}\nb").unwrap_err();
    let info = err.template_debug().expect("template_debug");
    assert_eq!(info.name, "<unknown source>");
    assert_eq!((info.line, info.during.as_str()), (2, "{% if x %}"));
    assert_eq!(err.class_name(), "TemplateSyntaxError");
    assert_eq!(err.location().map(|l| l.line), Some(2));
    assert_eq!(
        err.to_string(),
        "Unclosed tag on line 2: 'if'. Looking for one of: elif, else, endif."
    );

    // An included template's syntax error keeps the included template's excerpt.
    let engine = Engine::builder()
        .debug(true)
        .template("outer.html", "x\n{% include \"bad.html\" %}")
        .template("bad.html", "ok\n{{ a|nosuchfilter }}")
        .build();
    let err = engine
        .render_to_string("outer.html", &mut Context::new())
        .unwrap_err();
    let info = err.template_debug().expect("template_debug");
    assert_eq!((info.name.as_str(), info.line), ("bad.html", 2));
    assert_eq!(info.message, "Invalid filter: 'nosuchfilter'");

    // Without debug, errors are the plain ones (Django adds nothing).
    let engine = Engine::builder()
        .template("t.html", "{% for x in 5 %}{% endfor %}")
        .build();
    let err = engine
        .render_to_string("t.html", &mut Context::new())
        .unwrap_err();
    assert!(err.template_debug().is_none());
    assert!(matches!(err, TemplateError::TypeError(_)));
}

#[test]
fn lorem_uses_djangos_lists() {
    let engine = Engine::new();
    let mut ctx = Context::new();
    let common = "lorem ipsum dolor sit amet consectetur adipisicing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua";
    let out = render(&engine, "{% lorem 25 w %}", &mut ctx).unwrap();
    let words: Vec<&str> = out.split(' ').collect();
    assert_eq!(words.len(), 25);
    assert_eq!(words[..19].join(" "), common);
    assert_eq!(
        render(&engine, "{% lorem 2 w %}", &mut ctx).unwrap(),
        "lorem ipsum"
    );
    let p = "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.";
    assert_eq!(render(&engine, "{% lorem %}", &mut ctx).unwrap(), p);
    let out = render(&engine, "{% lorem 3 p %}", &mut ctx).unwrap();
    let paras: Vec<&str> = out.split("\n\n").collect();
    assert_eq!(paras.len(), 3);
    assert_eq!(paras[0], format!("<p>{p}</p>"));
    assert!(paras[1..]
        .iter()
        .all(|x| x.starts_with("<p>") && (x.ends_with(".</p>") || x.ends_with("?</p>"))));
    // `random`: no common words first; every word from Django's WORDS pool.
    let out = render(&engine, "{% lorem 200 w random %}", &mut ctx).unwrap();
    assert_eq!(out.split(' ').count(), 200);
    assert!(!out.starts_with("lorem ipsum dolor sit amet consectetur"));
}
