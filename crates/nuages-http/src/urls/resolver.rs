//! The URL resolver. Patterns are compiled once into a flat list of endpoints (each the
//! chain of prefixes that leads to it) and a byte trie of their literal prefixes (the
//! text every match must start with: `shop/books/` for `shop/` + `books/<int:pk>/`).
//! Resolving walks the path through the trie once, which yields the only endpoints that
//! can match, in declaration order; each is then checked segment by segment exactly as
//! Django's nested resolvers would (greedy prefixes, converters that can refuse a value),
//! so the first pattern Django would pick wins without a regex per pattern. Fully
//! literal routes are compared as strings, and a path that is exactly one of them (and
//! that no earlier pattern could claim) is found with one hash look-up before any trie
//! walk: the common case of a site's fixed pages costs a hash of the path, not a walk
//! byte by byte.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use regex::Regex;

use super::converters::{get_converter, Converter};
use super::normalize::{normalize, Part};
use super::{Include, PatternKind, ResolverMatch, Target, UrlEntry};
use crate::error::{HttpError, Result};
use crate::handler::ViewFunc;
use crate::querydict::quote;
use crate::striped::Striped;
use nuages_core::pyrepr::repr_str;

/// One compiled pattern (a `path()` route or a `re_path()` regex).
struct Segment {
    /// The compiled regex, anchored as written.
    regex: Regex,
    /// For endpoints whose regex ends in `$`: Django uses `fullmatch`.
    full: Option<Regex>,
    /// Converters by parameter name (`path()` only).
    converters: HashMap<String, Arc<dyn Converter>>,
    /// The pattern as written (`<int:pk>/`), for the "tried" list and `route`.
    written: String,
    /// Django's regex text without a leading `^`, for `NoReverseMatch` messages.
    regex_display: String,
    /// The regex as a piece of a whole-chain regex (named groups made non-capturing, `^`
    /// dropped), used to verify `reverse()` candidates.
    chain_part: String,
    /// Reverse pieces, `None` when the regex cannot be reversed.
    parts: Option<Vec<Part>>,
    /// Text every match of this segment starts with.
    literal_prefix: String,
    /// Whether the segment is only literal text (a `path()` route without parameters).
    literal: bool,
    /// Whether the segment ends a pattern (matched to the end of the path).
    endpoint: bool,
}

struct Endpoint {
    segments: Vec<Arc<Segment>>,
    view: ViewFunc,
    name: Option<Arc<str>>,
    app_names: Arc<[String]>,
    namespaces: Arc<[String]>,
    default_kwargs: Vec<(String, String)>,
    route: Arc<str>,
    verify: OnceLock<Option<Regex>>,
    /// The whole path when every segment is literal: matched by string comparison.
    exact: Option<String>,
    /// The match of an `exact` endpoint, built once: it never varies (no captured
    /// arguments), so resolving hands out the same shared value, from the copy of the
    /// resolving thread (`src/striped.rs`).
    exact_match: Option<Striped<ResolverMatch>>,
}

impl Endpoint {
    /// The `ResolverMatch` of this endpoint with the captured `args` and `kwargs`.
    fn resolver_match(&self, args: Vec<String>, kwargs: IndexMap<String, String>) -> ResolverMatch {
        ResolverMatch {
            func: self.view.clone(),
            args,
            kwargs,
            url_name: self.name.clone(),
            app_names: self.app_names.clone(),
            namespaces: self.namespaces.clone(),
            route: self.route.clone(),
        }
    }
}

enum Node {
    Endpoint { seg: Arc<Segment>, name: Option<String> },
    Include { seg: Arc<Segment>, children: Vec<Node> },
}

#[derive(Default)]
struct Namespace {
    /// Application namespace -> instance namespaces, last deployed first (Django's order).
    app_dict: HashMap<String, Vec<String>>,
    children: HashMap<String, Namespace>,
    /// URL name -> endpoints, last declared first (Django tries them in that order).
    names: HashMap<String, Vec<usize>>,
}

/// A byte trie of literal prefixes; each node lists the endpoints whose prefix ends there.
#[derive(Default)]
struct Trie {
    nodes: Vec<TrieNode>,
}

#[derive(Default)]
struct TrieNode {
    children: Vec<(u8, usize)>,
    ends: Vec<usize>,
    /// On a node with `ends`: the endpoints of this node and of every node above it, in
    /// declaration order (computed by [`Trie::finish`]), so that resolving reads one list
    /// instead of merging the lists met on the way. Its size is bounded by the number of
    /// endpoints whose prefixes nest, which stays small in real URLconfs.
    reachable: Vec<usize>,
}

impl Trie {
    fn insert(&mut self, key: &[u8], index: usize) {
        if self.nodes.is_empty() {
            self.nodes.push(TrieNode::default());
        }
        let mut node = 0;
        for &b in key {
            node = match self.nodes[node].children.iter().find(|(c, _)| *c == b) {
                Some((_, next)) => *next,
                None => {
                    self.nodes.push(TrieNode::default());
                    let next = self.nodes.len() - 1;
                    self.nodes[node].children.push((b, next));
                    next
                }
            };
        }
        self.nodes[node].ends.push(index);
    }

    /// Fills the `reachable` lists once every endpoint is inserted.
    fn finish(&mut self) {
        let mut stack = vec![(0usize, Vec::new())];
        while let Some((node, mut above)) = stack.pop() {
            let Some(n) = self.nodes.get_mut(node) else {
                continue;
            };
            if !n.ends.is_empty() {
                above.extend_from_slice(&n.ends);
                above.sort_unstable();
                n.reachable = above.clone();
            }
            for &(_, child) in &n.children {
                stack.push((child, above.clone()));
            }
        }
    }

    /// Endpoints whose literal prefix is a prefix of `path`, in declaration order.
    fn candidates(&self, path: &[u8]) -> &[usize] {
        let Some(root) = self.nodes.first() else {
            return &[];
        };
        let mut found: &[usize] = &root.reachable;
        let mut node = root;
        for b in path {
            match node.children.iter().find(|(c, _)| c == b) {
                Some(&(_, next)) => {
                    node = &self.nodes[next];
                    if !node.ends.is_empty() {
                        found = &node.reachable;
                    }
                }
                None => break,
            }
        }
        found
    }
}

/// The exact paths of fully literal endpoints that resolve to them: the path of each
/// such endpoint, when every candidate the trie lists before it is also literal (so
/// compared as a string, not through a converter or regex whose answer the map could
/// not know) and the endpoint is the first candidate whose path it is. Anything else is
/// left to the trie walk, so the map returns exactly what the walk would.
fn exact_paths(
    endpoints: &[Endpoint],
    trie: &Trie,
) -> HashMap<Box<str>, Striped<ResolverMatch>, foldhash::fast::RandomState> {
    let mut map = HashMap::default();
    for (index, ep) in endpoints.iter().enumerate() {
        let (Some(exact), Some(m)) = (&ep.exact, &ep.exact_match) else {
            continue;
        };
        for &candidate in trie.candidates(exact.as_bytes()) {
            if candidate == index {
                map.entry(exact.as_str().into()).or_insert_with(|| m.clone());
                break;
            }
            match &endpoints[candidate].exact {
                Some(other) if other != exact => continue,
                _ => break,
            }
        }
    }
    map
}

/// The compiled URLconf (Django's root `URLResolver`).
pub struct UrlResolver {
    endpoints: Vec<Endpoint>,
    tree: Vec<Node>,
    trie: Trie,
    /// Paths (without the leading `/`) that resolve to a fully literal endpoint, with
    /// that endpoint's shared match: what the trie walk would return for them, computed
    /// once (see [`exact_paths`]). foldhash rather than SipHash: the keys are the
    /// project's own routes, and a look-up with any path cannot make the map slower.
    exact_paths: HashMap<Box<str>, Striped<ResolverMatch>, foldhash::fast::RandomState>,
    namespaces: Namespace,
}

impl std::fmt::Debug for UrlResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<UrlResolver: {} patterns>", self.endpoints.len())
    }
}

/// Python's `re.escape`.
fn py_re_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "()[]{}?*+-|^$\\.&~# \t\n\r\u{b}\u{c}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Translates Python regex syntax Rust's `regex` spells differently (`\Z`).
fn translate(py: &str) -> String {
    let mut out = String::with_capacity(py.len());
    let mut chars = py.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('Z') => out.push_str("\\z"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Makes named groups non-capturing (duplicate names across a chain are legal in Django).
fn strip_group_names(re: &str) -> String {
    let mut out = String::with_capacity(re.len());
    let bytes: Vec<char> = re.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c == '\\' {
            out.push(c);
            if let Some(n) = bytes.get(i + 1) {
                out.push(*n);
            }
            i += 2;
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
            out.push(c);
            i += 1;
            continue;
        }
        if c == '[' {
            in_class = true;
        }
        let rest: String = bytes[i..bytes.len().min(i + 4)].iter().collect();
        if rest == "(?P<"
            || (rest.starts_with("(?<") && bytes.get(i + 3).is_some_and(|c| *c != '=' && *c != '!'))
        {
            let skip = if rest == "(?P<" { 4 } else { 3 };
            let mut j = i + skip;
            while j < bytes.len() && bytes[j] != '>' {
                j += 1;
            }
            out.push_str("(?:");
            i = j + 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn improperly(msg: String) -> HttpError {
    HttpError::ImproperlyConfigured(msg)
}

fn compile_segment(kind: &PatternKind, is_endpoint: bool) -> Result<Segment> {
    match kind {
        PatternKind::Route(route) => {
            let param_re = param_regex();
            let mut py = String::from("^");
            let mut parts = Vec::new();
            let mut converters = HashMap::new();
            let mut last = 0;
            for caps in param_re.captures_iter(route) {
                let whole = caps
                    .get(0)
                    .map(|m| (m.start(), m.end(), m.as_str()))
                    .unwrap_or((0, 0, ""));
                if whole.2.chars().any(char::is_whitespace) {
                    return Err(improperly(format!(
                        "URL route '{route}' cannot contain whitespace in angle brackets <\u{2026}>."
                    )));
                }
                let literal = &route[last..whole.0];
                py.push_str(&py_re_escape(literal));
                if !literal.is_empty() {
                    parts.push(Part::Literal(literal.to_owned()));
                }
                last = whole.1;
                let param = caps.name("parameter").map(|m| m.as_str()).unwrap_or("");
                let valid_ident = param
                    .chars()
                    .next()
                    .is_some_and(|c| c == '_' || c.is_alphabetic())
                    && param.chars().all(|c| c == '_' || c.is_alphanumeric());
                if !valid_ident {
                    return Err(improperly(format!(
                        "URL route '{route}' uses parameter name {} which isn't a valid Python identifier.",
                        repr_str(param)
                    )));
                }
                let conv_name = caps.name("converter").map(|m| m.as_str()).unwrap_or("str");
                let conv = get_converter(conv_name).ok_or_else(|| {
                    improperly(format!(
                        "URL route {} uses invalid converter {}.",
                        repr_str(route),
                        repr_str(conv_name)
                    ))
                })?;
                py.push_str(&format!("(?P<{param}>{})", conv.regex()));
                parts.push(Part::Named(param.to_owned()));
                converters.insert(param.to_owned(), conv);
            }
            let tail = &route[last..];
            py.push_str(&py_re_escape(tail));
            if !tail.is_empty() {
                parts.push(Part::Literal(tail.to_owned()));
            }
            if is_endpoint {
                py.push_str("\\Z");
            }
            let literal = converters.is_empty();
            let literal_prefix = match parts.first() {
                Some(Part::Literal(s)) => s.clone(),
                _ => String::new(),
            };
            let mut seg = build_segment(route, &py, converters, Some(parts), false)?;
            seg.literal = literal;
            seg.literal_prefix = literal_prefix;
            seg.endpoint = is_endpoint;
            Ok(seg)
        }
        PatternKind::Regex(re) => {
            let full = is_endpoint && re.ends_with('$');
            let mut seg = build_segment(re, re, HashMap::new(), normalize(re), full)?;
            seg.literal_prefix = regex_literal_prefix(re);
            Ok(seg)
        }
    }
}

fn param_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")
            .unwrap_or_else(|_| unreachable_regex())
    })
}

fn unreachable_regex() -> Regex {
    // Only reached if a constant pattern above failed to compile, which tests rule out.
    Regex::new("$^").unwrap_or_else(|_| std::process::abort())
}

fn build_segment(
    written: &str,
    py: &str,
    converters: HashMap<String, Arc<dyn Converter>>,
    parts: Option<Vec<Part>>,
    fullmatch: bool,
) -> Result<Segment> {
    let rust = translate(py);
    let regex = Regex::new(&rust)
        .map_err(|e| improperly(format!("\"{py}\" is not a valid regular expression: {e}")))?;
    let full = if fullmatch {
        Some(Regex::new(&format!("^(?:{rust})\\z")).map_err(|e| improperly(e.to_string()))?)
    } else {
        None
    };
    let stripped = strip_group_names(&rust);
    let chain_part = match stripped.strip_prefix('^') {
        Some(rest) => format!("(?:{rest})"),
        None => format!("(?s:.*?)(?:{stripped})"),
    };
    let chain_part = if fullmatch {
        format!("{chain_part}\\z")
    } else {
        chain_part
    };
    Ok(Segment {
        regex,
        full,
        converters,
        written: written.to_owned(),
        regex_display: py.strip_prefix('^').unwrap_or(py).to_owned(),
        chain_part,
        parts,
        literal_prefix: String::new(),
        literal: false,
        endpoint: false,
    })
}

/// The literal text any match of an anchored regex starts with (empty when unsure).
fn regex_literal_prefix(re: &str) -> String {
    let Some(body) = re.strip_prefix('^') else {
        return String::new();
    };
    if body.contains('|') {
        return String::new();
    }
    let chars: Vec<char> = body.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let (c, width) = match chars[i] {
            '\\' => match chars.get(i + 1) {
                Some(n) if n.is_ascii_punctuation() => (*n, 2),
                _ => break,
            },
            c if c.is_alphanumeric() || "/-_~!@#%&=:;,'\" <>`".contains(c) => (c, 1),
            _ => break,
        };
        match chars.get(i + width) {
            Some('?' | '*' | '{') => break,
            Some('+') => {
                out.push(c);
                break;
            }
            _ => out.push(c),
        }
        i += width;
    }
    out
}

fn join_route(a: &str, b: &str) -> String {
    format!("{a}{}", b.strip_prefix('^').unwrap_or(b))
}

struct Builder {
    endpoints: Vec<Endpoint>,
}

struct Chain<'a> {
    segments: Vec<Arc<Segment>>,
    app_names: Vec<String>,
    namespaces: Vec<String>,
    default_kwargs: Vec<(String, String)>,
    route: String,
    ns: &'a mut Namespace,
}

impl Builder {
    fn build_level(&mut self, entries: &[UrlEntry], chain: &mut Chain<'_>) -> Result<Vec<Node>> {
        let mut nodes = Vec::with_capacity(entries.len());
        for entry in entries {
            match &entry.target {
                Target::View(view) => {
                    let seg = Arc::new(compile_segment(&entry.pattern, true)?);
                    let index = self.endpoints.len();
                    let mut segments = chain.segments.clone();
                    segments.push(seg.clone());
                    let exact = segments.iter().all(|s| s.literal).then(|| {
                        segments
                            .iter()
                            .map(|s| s.literal_prefix.as_str())
                            .collect::<String>()
                    });
                    let mut default_kwargs = chain.default_kwargs.clone();
                    default_kwargs.extend(entry.default_kwargs.iter().cloned());
                    self.endpoints.push(Endpoint {
                        segments,
                        view: view.clone(),
                        name: entry.name.as_deref().map(Arc::from),
                        app_names: chain.app_names.clone().into(),
                        namespaces: chain.namespaces.clone().into(),
                        default_kwargs,
                        route: join_route(&chain.route, &seg.written).into(),
                        verify: OnceLock::new(),
                        exact,
                        exact_match: None,
                    });
                    if let Some(name) = &entry.name {
                        chain.ns.names.entry(name.clone()).or_default().insert(0, index);
                    }
                    nodes.push(Node::Endpoint {
                        seg,
                        name: entry.name.clone(),
                    });
                }
                Target::Include(Include {
                    entries: sub,
                    app_name,
                    namespace,
                }) => {
                    let seg = Arc::new(compile_segment(&entry.pattern, false)?);
                    if namespace.is_some() && app_name.is_none() {
                        return Err(improperly(
                            "Specifying a namespace in include() without providing an app_name is not supported. \
                             Set the app_name attribute in the included module, or pass a 2-tuple containing the \
                             list of patterns and app_name instead."
                                .to_owned(),
                        ));
                    }
                    let instance = namespace.clone().or_else(|| app_name.clone());
                    let mut segments = chain.segments.clone();
                    segments.push(seg.clone());
                    let mut default_kwargs = chain.default_kwargs.clone();
                    default_kwargs.extend(entry.default_kwargs.iter().cloned());
                    let route = join_route(&chain.route, &seg.written);
                    let children = match (&instance, app_name) {
                        (Some(inst), Some(app)) => {
                            let list = chain.ns.app_dict.entry(app.clone()).or_default();
                            list.retain(|n| n != inst);
                            list.insert(0, inst.clone());
                            // The first include with a namespace keeps it (Django's populate order).
                            let existed = chain.ns.children.contains_key(inst);
                            let mut fresh = Namespace::default();
                            let ns_ref: &mut Namespace = if existed {
                                &mut fresh
                            } else {
                                chain.ns.children.entry(inst.clone()).or_default()
                            };
                            let mut app_names = chain.app_names.clone();
                            app_names.push(app.clone());
                            let mut namespaces = chain.namespaces.clone();
                            namespaces.push(inst.clone());
                            let mut sub_chain = Chain {
                                segments,
                                app_names,
                                namespaces,
                                default_kwargs,
                                route,
                                ns: ns_ref,
                            };
                            self.build_level(sub, &mut sub_chain)?
                        }
                        _ => {
                            let mut sub_chain = Chain {
                                segments,
                                app_names: chain.app_names.clone(),
                                namespaces: chain.namespaces.clone(),
                                default_kwargs,
                                route,
                                ns: &mut *chain.ns,
                            };
                            self.build_level(sub, &mut sub_chain)?
                        }
                    };
                    nodes.push(Node::Include { seg, children });
                }
            }
        }
        Ok(nodes)
    }
}

/// A segment match: kwargs, args and the unconsumed rest.
type SegmentMatch<'p> = (Vec<(String, String)>, Vec<String>, &'p str);

fn match_segment<'p>(seg: &Segment, path: &'p str) -> Option<SegmentMatch<'p>> {
    if seg.literal {
        // A `path()` route without parameters: `^literal` (or `^literal\Z` for a view).
        let rest = path.strip_prefix(seg.literal_prefix.as_str())?;
        if seg.endpoint && !rest.is_empty() {
            return None;
        }
        return Some((Vec::new(), Vec::new(), rest));
    }
    let caps = match &seg.full {
        Some(full) => full.captures(path)?,
        None => seg.regex.captures(path)?,
    };
    let end = caps.get(0)?.end();
    let re = seg.full.as_ref().unwrap_or(&seg.regex);
    let mut kwargs = Vec::new();
    for name in re.capture_names().flatten() {
        if let Some(m) = caps.name(name) {
            let value = match seg.converters.get(name) {
                Some(conv) => conv.to_python(m.as_str()).ok()?,
                None => m.as_str().to_owned(),
            };
            kwargs.push((name.to_owned(), value));
        }
    }
    let args = if kwargs.is_empty() {
        caps.iter()
            .skip(1)
            .flatten()
            .map(|m| m.as_str().to_owned())
            .collect()
    } else {
        Vec::new()
    };
    Some((kwargs, args, &path[end..]))
}

fn display_value(v: &str) -> String {
    if !v.is_empty() && v.parse::<i64>().is_ok() {
        v.to_owned()
    } else {
        repr_str(v)
    }
}

impl UrlResolver {
    /// Compiles a URLconf. Invalid routes, converters and regexes are
    /// `ImproperlyConfigured`.
    pub fn new(urlpatterns: Vec<UrlEntry>) -> Result<UrlResolver> {
        let mut builder = Builder {
            endpoints: Vec::new(),
        };
        let mut namespaces = Namespace::default();
        let tree = {
            let mut chain = Chain {
                segments: Vec::new(),
                app_names: Vec::new(),
                namespaces: Vec::new(),
                default_kwargs: Vec::new(),
                route: String::new(),
                ns: &mut namespaces,
            };
            builder.build_level(&urlpatterns, &mut chain)?
        };
        for ep in &mut builder.endpoints {
            if ep.exact.is_some() {
                let kwargs = ep.default_kwargs.iter().cloned().collect();
                ep.exact_match = Some(Striped::new(ep.resolver_match(Vec::new(), kwargs)));
            }
        }
        let mut trie = Trie::default();
        for (index, ep) in builder.endpoints.iter().enumerate() {
            let mut prefix = String::new();
            for seg in &ep.segments {
                prefix.push_str(&seg.literal_prefix);
                if !seg.literal {
                    break;
                }
            }
            trie.insert(prefix.as_bytes(), index);
        }
        trie.finish();
        let exact_paths = exact_paths(&builder.endpoints, &trie);
        Ok(UrlResolver {
            endpoints: builder.endpoints,
            tree,
            trie,
            exact_paths,
            namespaces,
        })
    }

    /// Number of view patterns.
    pub fn len(&self) -> usize {
        self.endpoints.len()
    }

    /// Whether the URLconf is empty.
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }

    /// `resolve(path)`: the first pattern, in order, that matches; otherwise
    /// `Resolver404` (its `tried` list is computed by [`UrlResolver::tried`] when a debug
    /// page needs it, not on every miss).
    pub fn resolve(&self, path: &str) -> Result<ResolverMatch> {
        self.resolve_shared(path).map(Arc::unwrap_or_clone)
    }

    /// [`UrlResolver::resolve`] as the shared value a request keeps
    /// (`request.resolver_match`): patterns without captured arguments answer with a match
    /// built once, so resolving them allocates nothing.
    ///
    /// ```
    /// use nuages_http::urls::UrlResolver;
    /// use nuages_http::{path, HttpRequest, HttpResponse, ViewResult};
    ///
    /// async fn index(_r: HttpRequest) -> ViewResult { Ok(HttpResponse::new("")) }
    /// let resolver = UrlResolver::new(vec![path("", index).name("index")]).unwrap();
    /// let first = resolver.resolve_shared("/").unwrap();
    /// assert_eq!(first.url_name.as_deref(), Some("index"));
    /// assert!(std::sync::Arc::ptr_eq(&first, &resolver.resolve_shared("/").unwrap()));
    /// ```
    pub fn resolve_shared(&self, path: &str) -> Result<Arc<ResolverMatch>> {
        let Some(rest) = path.strip_prefix('/') else {
            return Err(HttpError::Resolver404 {
                path: path.to_owned(),
                tried: Vec::new(),
            });
        };
        if let Some(m) = self.exact_paths.get(rest) {
            return Ok(m.get().clone());
        }
        self.resolve_by_trie(path, rest)
    }

    /// Resolution through the trie: the candidates of `rest` (`path` without its `/`),
    /// each checked in declaration order.
    fn resolve_by_trie(&self, path: &str, rest: &str) -> Result<Arc<ResolverMatch>> {
        for &index in self.trie.candidates(rest.as_bytes()) {
            if let Some(m) = self.match_endpoint(index, rest) {
                return Ok(m);
            }
        }
        Err(HttpError::Resolver404 {
            path: path.to_owned(),
            tried: Vec::new(),
        })
    }

    /// Whether `path` resolves (Django's `is_valid_path`).
    pub fn is_valid_path(&self, path: &str) -> bool {
        self.resolve(path).is_ok()
    }

    /// The patterns Django lists as tried for `path`, in Django's display form
    /// (`shop/ <int:pk>/ [name='book-detail']`).
    pub fn tried(&self, path: &str) -> Vec<String> {
        let mut tried = Vec::new();
        collect_tried(
            &self.tree,
            path.strip_prefix('/').unwrap_or(path),
            &[],
            &mut tried,
        );
        tried
    }

    fn match_endpoint(&self, index: usize, path: &str) -> Option<Arc<ResolverMatch>> {
        let ep = &self.endpoints[index];
        if let (Some(exact), Some(m)) = (&ep.exact, &ep.exact_match) {
            return (exact == path).then(|| m.get().clone());
        }
        let mut rest = path;
        let mut kwargs: IndexMap<String, String> = IndexMap::new();
        let mut args: Vec<String> = Vec::new();
        for seg in &ep.segments {
            let (k, a, r) = match_segment(seg, rest)?;
            if kwargs.is_empty() && k.is_empty() {
                args.extend(a);
            } else {
                args = a;
            }
            kwargs.extend(k);
            rest = r;
        }
        for (k, v) in &ep.default_kwargs {
            kwargs.insert(k.clone(), v.clone());
        }
        Some(Arc::new(ep.resolver_match(args, kwargs)))
    }

    /// `reverse(viewname, args, kwargs)`: `viewname` may carry namespaces
    /// (`"bookstore:book-detail"`); application namespaces resolve to their default
    /// instance as in Django.
    pub fn reverse(
        &self,
        viewname: &str,
        args: &[&dyn Display],
        kwargs: &[(&str, &dyn Display)],
    ) -> Result<String> {
        let mut parts: Vec<&str> = viewname.split(':').collect();
        let view = parts.pop().unwrap_or("");
        let mut node = &self.namespaces;
        let mut resolved: Vec<String> = Vec::new();
        for ns in parts {
            let mut ns = ns.to_owned();
            if let Some(list) = node.app_dict.get(&ns) {
                if !list.contains(&ns) {
                    if let Some(first) = list.first() {
                        ns = first.clone();
                    }
                }
            }
            match node.children.get(&ns) {
                Some(child) => {
                    node = child;
                    resolved.push(ns);
                }
                None if resolved.is_empty() => {
                    return Err(HttpError::NoReverseMatch(format!(
                        "{} is not a registered namespace",
                        repr_str(&ns)
                    )))
                }
                None => {
                    return Err(HttpError::NoReverseMatch(format!(
                        "{} is not a registered namespace inside '{}'",
                        repr_str(&ns),
                        resolved.join(":")
                    )))
                }
            }
        }
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let kwargs: Vec<(String, String)> = kwargs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.to_string()))
            .collect();
        let candidates = node.names.get(view).map(Vec::as_slice).unwrap_or(&[]);
        if candidates.is_empty() {
            return Err(HttpError::NoReverseMatch(format!(
                "Reverse for '{view}' not found. '{view}' is not a valid view function or pattern name."
            )));
        }
        for &index in candidates {
            if let Some(url) = self.try_reverse(index, &args, &kwargs) {
                return Ok(url);
            }
        }
        let arg_msg = if !args.is_empty() {
            let items: Vec<String> = args.iter().map(|a| display_value(a)).collect();
            let tuple = if items.len() == 1 {
                format!("({},)", items[0])
            } else {
                format!("({})", items.join(", "))
            };
            format!("arguments '{tuple}'")
        } else if !kwargs.is_empty() {
            let items: Vec<String> = kwargs
                .iter()
                .map(|(k, v)| format!("{}: {}", repr_str(k), display_value(v)))
                .collect();
            format!("keyword arguments '{{{}}}'", items.join(", "))
        } else {
            "no arguments".to_owned()
        };
        let patterns: Vec<String> = candidates
            .iter()
            .map(|&i| {
                repr_str(
                    &self.endpoints[i]
                        .segments
                        .iter()
                        .map(|s| s.regex_display.as_str())
                        .collect::<String>(),
                )
            })
            .collect();
        Err(HttpError::NoReverseMatch(format!(
            "Reverse for '{view}' with {arg_msg} not found. {} pattern(s) tried: [{}]",
            candidates.len(),
            patterns.join(", ")
        )))
    }

    fn try_reverse(&self, index: usize, args: &[String], kwargs: &[(String, String)]) -> Option<String> {
        let ep = &self.endpoints[index];
        let mut parts: Vec<&Part> = Vec::new();
        let mut converters: HashMap<&str, &Arc<dyn Converter>> = HashMap::new();
        for seg in &ep.segments {
            parts.extend(seg.parts.as_ref()?.iter());
            converters.extend(seg.converters.iter().map(|(k, v)| (k.as_str(), v)));
        }
        let mut params: Vec<String> = Vec::new();
        let mut positional = 0;
        for p in &parts {
            match p {
                Part::Named(n) => params.push(n.clone()),
                Part::Positional => {
                    params.push(format!("_{positional}"));
                    positional += 1;
                }
                Part::Literal(_) => {}
            }
        }
        let defaults: HashMap<&str, &str> = ep
            .default_kwargs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let subs: HashMap<String, String> = if !args.is_empty() {
            if args.len() != params.len() {
                return None;
            }
            params.iter().cloned().zip(args.iter().cloned()).collect()
        } else {
            let given: std::collections::HashSet<&str> = kwargs.iter().map(|(k, _)| k.as_str()).collect();
            let wanted: std::collections::HashSet<&str> = params.iter().map(String::as_str).collect();
            if given
                .symmetric_difference(&wanted)
                .any(|k| !defaults.contains_key(k))
            {
                return None;
            }
            for (k, v) in &defaults {
                if let Some((_, given)) = kwargs.iter().find(|(gk, _)| gk == k) {
                    if given != v {
                        return None;
                    }
                }
            }
            kwargs.iter().cloned().collect()
        };
        let mut candidate = String::new();
        let mut pos = 0;
        for p in &parts {
            match p {
                Part::Literal(s) => candidate.push_str(s),
                Part::Named(n) => {
                    let v = subs.get(n)?;
                    match converters.get(n.as_str()) {
                        Some(conv) => candidate.push_str(&conv.to_url(v).ok()?),
                        None => candidate.push_str(v),
                    }
                }
                Part::Positional => {
                    candidate.push_str(subs.get(&format!("_{pos}"))?);
                    pos += 1;
                }
            }
        }
        let verify = ep.verify.get_or_init(|| {
            Regex::new(&format!(
                "^{}",
                ep.segments
                    .iter()
                    .map(|s| s.chain_part.as_str())
                    .collect::<String>()
            ))
            .ok()
        });
        if !verify.as_ref()?.is_match(&candidate) {
            return None;
        }
        let url = format!("/{}", quote(&candidate, "!$&'()*+,;=/~:@"));
        Some(match url.strip_prefix("//") {
            Some(rest) => format!("/%2F{rest}"),
            None => url,
        })
    }
}

fn collect_tried(nodes: &[Node], path: &str, prefix: &[String], tried: &mut Vec<String>) {
    for node in nodes {
        match node {
            Node::Endpoint { seg, name, .. } => {
                let mut line: Vec<String> = prefix.to_vec();
                line.push(match name {
                    Some(n) => format!("{} [name='{n}']", seg.written),
                    None => seg.written.clone(),
                });
                tried.push(line.join(" "));
            }
            Node::Include { seg, children } => {
                let mut sub_prefix = prefix.to_vec();
                sub_prefix.push(seg.written.clone());
                match match_segment(seg, path) {
                    Some((_, _, rest)) if !children.is_empty() => {
                        collect_tried(children, rest, &sub_prefix, tried);
                    }
                    _ => tried.push(sub_prefix.join(" ")),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
