use super::*;
use crate::urls::{include, path, re_path, register_converter, Converter};
use crate::{HttpRequest, HttpResponse};

async fn v(_r: HttpRequest) -> crate::error::Result<HttpResponse> {
    Ok(HttpResponse::new("ok"))
}

fn conf() -> UrlResolver {
    let books = vec![
        path("", v).name("book-list"),
        path("<int:pk>/", v).name("book-detail"),
        path("<slug:slug>/", v).name("book-by-slug"),
        re_path(r"^archive/(?P<year>[0-9]{4})/$", v).name("archive"),
    ];
    UrlResolver::new(vec![
        path("", v).name("home"),
        path("about/", v).name("about"),
        path("shop/", include(books.clone()).app_name("bookstore")),
        path("old-shop/", include(books).app_name("bookstore").namespace("old")),
        path("files/<path:rest>", v).name("files"),
        path("u/<uuid:id>/", v).name("uuid"),
        re_path(r"^page/([0-9]+)/$", v).name("page"),
        path("x/", v).name("dup"),
        path("y/", v).name("dup"),
        path("extra/", v).name("extra").kwargs([("flag", "on")]),
    ])
    .unwrap()
}

#[test]
fn resolves_in_order_with_converters() {
    let r = conf();
    assert_eq!(r.resolve("/").unwrap().url_name.as_deref(), Some("home"));
    let m = r.resolve("/shop/12/").unwrap();
    assert_eq!(m.url_name.as_deref(), Some("book-detail"));
    assert_eq!(m.kwargs["pk"], "12");
    assert_eq!(m.app_name(), "bookstore");
    assert_eq!(m.namespace(), "bookstore");
    assert_eq!(&*m.route, "shop/<int:pk>/");
    // int pattern is earlier than slug, so digits go to book-detail, others to slug.
    assert_eq!(
        r.resolve("/shop/abc/").unwrap().url_name.as_deref(),
        Some("book-by-slug")
    );
    assert_eq!(r.resolve("/old-shop/1/").unwrap().view_name(), "old:book-detail");
    assert_eq!(r.resolve("/files/a/b/c.txt").unwrap().kwargs["rest"], "a/b/c.txt");
    assert_eq!(r.resolve("/page/3/").unwrap().args, vec!["3".to_owned()]);
    assert_eq!(r.resolve("/shop/archive/2024/").unwrap().kwargs["year"], "2024");
    assert_eq!(r.resolve("/extra/").unwrap().kwargs["flag"], "on");
    assert!(r.resolve("/u/12345678-1234-1234-1234-123456789abc/").is_ok());
    assert!(r.resolve("/u/not-a-uuid/").is_err());
}

#[test]
fn not_found_lists_tried() {
    let r = conf();
    assert!(matches!(
        r.resolve("/shop/a/b/").unwrap_err(),
        HttpError::Resolver404 { .. }
    ));
    let tried = r.tried("/shop/a/b/");
    assert_eq!(tried[0], " [name='home']");
    assert!(tried.contains(&"shop/ <int:pk>/ [name='book-detail']".to_owned()));
    assert!(tried.contains(&"old-shop/".to_owned()));
}

#[test]
fn reverse_round_trips() {
    let r = conf();
    assert_eq!(r.reverse("home", &[], &[]).unwrap(), "/");
    assert_eq!(
        r.reverse("bookstore:book-detail", &[&5], &[]).unwrap(),
        "/shop/5/"
    );
    assert_eq!(
        r.reverse("bookstore:book-detail", &[], &[("pk", &5)]).unwrap(),
        "/shop/5/"
    );
    assert_eq!(r.reverse("old:book-detail", &[&5], &[]).unwrap(), "/old-shop/5/");
    assert_eq!(
        r.reverse("bookstore:archive", &[&2024], &[]).unwrap(),
        "/shop/archive/2024/"
    );
    assert_eq!(r.reverse("page", &[&7], &[]).unwrap(), "/page/7/");
    assert_eq!(r.reverse("files", &[&"a b/c"], &[]).unwrap(), "/files/a%20b/c");
    // The last pattern with a duplicated name wins.
    assert_eq!(r.reverse("dup", &[], &[]).unwrap(), "/y/");
    assert_eq!(r.reverse("extra", &[], &[]).unwrap(), "/extra/");
    for url in ["/shop/5/", "/old-shop/abc/", "/page/7/"] {
        let m = r.resolve(url).unwrap();
        let kwargs: Vec<(&str, &dyn std::fmt::Display)> = m
            .kwargs
            .iter()
            .map(|(k, v)| (k.as_str(), v as &dyn std::fmt::Display))
            .collect();
        let args: Vec<&dyn std::fmt::Display> = m.args.iter().map(|a| a as &dyn std::fmt::Display).collect();
        assert_eq!(r.reverse(&m.view_name(), &args, &kwargs).unwrap(), url);
    }
}

#[test]
fn no_reverse_match_messages() {
    let r = conf();
    assert_eq!(
        r.reverse("nope", &[], &[]).unwrap_err().to_string(),
        "Reverse for 'nope' not found. 'nope' is not a valid view function or pattern name."
    );
    assert_eq!(
        r.reverse("bookstore:book-detail", &[&"x"], &[]).unwrap_err().to_string(),
        "Reverse for 'book-detail' with arguments '('x',)' not found. 1 pattern(s) tried: ['shop/(?P<pk>[0-9]+)/\\\\Z']"
    );
    assert_eq!(
        r.reverse("about", &[], &[("pk", &1)]).unwrap_err().to_string(),
        "Reverse for 'about' with keyword arguments '{'pk': 1}' not found. 1 pattern(s) tried: ['about/\\\\Z']"
    );
    assert_eq!(
        r.reverse("nons:x", &[], &[]).unwrap_err().to_string(),
        "'nons' is not a registered namespace"
    );
    assert_eq!(
        r.reverse("old:inner:x", &[], &[]).unwrap_err().to_string(),
        "'inner' is not a registered namespace inside 'old'"
    );
}

#[test]
fn app_namespace_default_instance() {
    let sub = vec![path("p/", v).name("p")];
    let r = UrlResolver::new(vec![
        path("one/", include(sub.clone()).app_name("app").namespace("one")),
        path("two/", include(sub.clone()).app_name("app").namespace("two")),
    ])
    .unwrap();
    // No instance named like the app: the last deployed instance is used.
    assert_eq!(r.reverse("app:p", &[], &[]).unwrap(), "/two/p/");
    let r = UrlResolver::new(vec![
        path("default/", include(sub.clone()).app_name("app")),
        path("two/", include(sub).app_name("app").namespace("two")),
    ])
    .unwrap();
    assert_eq!(r.reverse("app:p", &[], &[]).unwrap(), "/default/p/");
}

#[test]
fn configuration_errors() {
    let err = UrlResolver::new(vec![path("<foo:x>/", v)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ImproperlyConfigured: URL route '<foo:x>/' uses invalid converter 'foo'."
    );
    let err = UrlResolver::new(vec![path("<int:1x>/", v)]).unwrap_err();
    assert!(err.to_string().contains("isn't a valid Python identifier"));
    let err = UrlResolver::new(vec![path("a/", include(vec![]).namespace("n"))]).unwrap_err();
    assert!(err.to_string().contains("without providing an app_name"));
    assert!(UrlResolver::new(vec![re_path(r"^(?P<a>x", v)]).is_err());
}

struct EvenConverter;
impl Converter for EvenConverter {
    fn regex(&self) -> &str {
        "[0-9]+"
    }
    fn to_python(&self, value: &str) -> Result<String, crate::urls::converters::ValueError> {
        match value.parse::<u64>() {
            Ok(n) if n % 2 == 0 => Ok(n.to_string()),
            _ => Err(crate::urls::converters::ValueError),
        }
    }
    fn to_url(&self, value: &str) -> Result<String, crate::urls::converters::ValueError> {
        self.to_python(value)
    }
}

#[test]
fn custom_converter_can_refuse() {
    register_converter("even", EvenConverter);
    let r = UrlResolver::new(vec![
        path("n/<even:n>/", v).name("even"),
        path("n/<int:n>/", v).name("any"),
    ])
    .unwrap();
    assert_eq!(r.resolve("/n/4/").unwrap().url_name.as_deref(), Some("even"));
    assert_eq!(r.resolve("/n/5/").unwrap().url_name.as_deref(), Some("any"));
    assert_eq!(r.reverse("even", &[&4], &[]).unwrap(), "/n/4/");
    assert!(r.reverse("even", &[&3], &[]).is_err());
}

#[test]
fn greedy_prefix_like_django() {
    // Django's include prefix matches greedily once; the rest must match after it.
    let r = UrlResolver::new(vec![re_path(
        r"^(?P<x>.+)/",
        include(vec![path("a/", v).name("a")]),
    )])
    .unwrap();
    assert!(r.resolve("/b/c/a/").is_err());
    assert!(r.resolve("/b/a/").is_err());
}

#[test]
fn literal_prefixes() {
    assert_eq!(regex_literal_prefix(r"^archive/(?P<y>[0-9]+)/$"), "archive/");
    assert_eq!(regex_literal_prefix(r"^a\.b/c?d"), "a.b/");
    assert_eq!(regex_literal_prefix(r"^ab+c"), "ab");
    assert_eq!(regex_literal_prefix(r"^a|b"), "");
    assert_eq!(regex_literal_prefix(r"x/"), "");
    assert_eq!(regex_literal_prefix(r"^(?i)abc"), "");
}

#[test]
fn unanchored_and_converter_first_patterns_are_candidates() {
    let r = UrlResolver::new(vec![
        path("<slug:s>/", v).name("slug"),
        re_path(r"feed", v).name("feed"),
        path("about/", v).name("about"),
    ])
    .unwrap();
    assert_eq!(r.resolve("/about/").unwrap().url_name.as_deref(), Some("slug"));
    assert_eq!(r.resolve("/x/feed/y").unwrap().url_name.as_deref(), Some("feed"));
}

/// The exact-path map answers as the trie walk would: same endpoint (by name, route,
/// namespaces, captured values) or the same miss, for literal routes, routes shadowed by
/// an earlier converter or regex, duplicates, includes with namespaces, default kwargs,
/// and the slash-less paths `APPEND_SLASH` probes.
#[test]
fn exact_paths_resolve_like_the_trie() {
    let shadowed = UrlResolver::new(vec![
        path("<str:word>/", v).name("word"),
        path("about/", v).name("about"),
        re_path(r"^cont", v).name("regex-first"),
        path("contact/", v).name("contact"),
        path("plain", v).name("plain"),
        path("plain", v).name("plain-again"),
        path(
            "api/",
            include(vec![path("ping", v).name("ping")]).app_name("api"),
        ),
        path("api/ping", v).name("ping-top"),
    ])
    .unwrap();
    let paths = [
        "/",
        "/about",
        "/about/",
        "/shop/",
        "/shop/1/",
        "/old-shop/",
        "/x/",
        "/y/",
        "/extra/",
        "/contact/",
        "/plain",
        "/plain/",
        "/api/ping",
        "/api/ping/",
        "/files/",
        "/nope/",
        "",
    ];
    for resolver in [conf(), shadowed] {
        for p in paths {
            let fast = resolver.resolve_shared(p);
            let walked = match p.strip_prefix('/') {
                Some(rest) => resolver.resolve_by_trie(p, rest),
                None => Err(HttpError::Resolver404 {
                    path: p.to_owned(),
                    tried: Vec::new(),
                }),
            };
            match (fast, walked) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.view_name(), b.view_name(), "{p}");
                    assert_eq!(a.route, b.route, "{p}");
                    assert_eq!(a.kwargs, b.kwargs, "{p}");
                    assert_eq!(a.args, b.args, "{p}");
                }
                (Err(_), Err(_)) => {}
                (a, b) => panic!("{p}: map {:?} against trie {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }
    // The shadowed literal routes are left to the walk, which gives the earlier pattern.
    let r = UrlResolver::new(vec![
        path("<str:word>/", v).name("word"),
        path("about/", v).name("about"),
    ])
    .unwrap();
    assert_eq!(r.resolve("/about/").unwrap().url_name.as_deref(), Some("word"));
    assert!(!r.exact_paths.contains_key("about/"));
    // Unshadowed ones are in the map, the first of duplicates only.
    let r = conf();
    assert!(Arc::ptr_eq(
        &r.resolve_shared("/about/").unwrap(),
        r.exact_paths.get("about/").unwrap().get()
    ));
    assert_eq!(r.resolve("/extra/").unwrap().kwargs["flag"], "on");
}
