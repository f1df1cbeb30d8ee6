//! Django's `Parser`: turns tokens into a node tree, dispatching `{% tag %}` to the built-in
//! tags or to the tags of loaded libraries, with Django's error messages for unknown,
//! misplaced and unclosed tags.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::Engine;
use crate::error::{DebugSource, Result, SourceLocation, TemplateError};
use crate::expr::{FilterExpression, FilterLookup};
use crate::lexer::{Token, TokenType};
use crate::library::{FilterSpec, Library, TagCompileFn};
use crate::nodes::{BlockDef, Node, NodeList, NodeListDebug};

pub(crate) struct CycleRef {
    pub(crate) id: u32,
    pub(crate) values: Vec<FilterExpression>,
    pub(crate) name: Option<String>,
    pub(crate) silent: bool,
}

/// How deeply block tags may nest.
const MAX_NESTING: usize = 100;

/// The template parser, handed to tag compile functions (Django's `parser` argument).
pub struct Parser<'a> {
    tokens: Vec<Token>,
    pub(crate) engine: &'a Engine,
    pub(crate) origin: String,
    pub(crate) template_name: Option<String>,
    source: &'a str,
    tags: HashMap<String, Arc<TagCompileFn>>,
    filters: HashMap<String, Arc<FilterSpec>>,
    command_stack: Vec<(String, Token)>,
    pub(crate) blocks: Vec<Arc<BlockDef>>,
    pub(crate) block_names: Vec<String>,
    pub(crate) named_cycles: HashMap<String, Arc<CycleRef>>,
    pub(crate) last_cycle: Option<Arc<CycleRef>>,
    pub(crate) seen_extends: bool,
    depth: usize,
    /// With a debug engine, the source kept for `template_debug`.
    debug_source: Option<Arc<DebugSource>>,
}

impl FilterLookup for Parser<'_> {
    fn find_filter(&self, name: &str) -> Option<Arc<FilterSpec>> {
        self.filters
            .get(name)
            .cloned()
            .or_else(|| crate::filters::builtin(name))
    }
}

impl<'a> Parser<'a> {
    pub(crate) fn new(
        source: &'a str,
        tokens: Vec<Token>,
        engine: &'a Engine,
        template_name: Option<String>,
        origin: String,
    ) -> Self {
        let mut tokens = tokens;
        tokens.reverse();
        let debug_source = engine.debug().then(|| {
            // Django's `origin.name`: the path (filesystem loaders) or the name (locmem);
            // the origin key is "<loader index>:<origin>".
            let name = match origin.split_once(':') {
                Some((index, rest)) if index.bytes().all(|b| b.is_ascii_digit()) => rest.to_owned(),
                _ if origin.is_empty() => "<unknown source>".to_owned(),
                _ => origin.clone(),
            };
            Arc::new(DebugSource {
                name,
                source: Arc::from(source),
            })
        });
        let mut p = Parser {
            tokens,
            engine,
            origin,
            template_name,
            source,
            tags: HashMap::new(),
            filters: HashMap::new(),
            command_stack: Vec::new(),
            blocks: Vec::new(),
            block_names: Vec::new(),
            named_cycles: HashMap::new(),
            last_cycle: None,
            seen_extends: false,
            depth: 0,
            debug_source,
        };
        for lib in engine.inner.builtins.iter() {
            p.add_library(lib);
        }
        p
    }

    /// Makes a library's tags and filters available (`{% load %}`).
    pub fn add_library(&mut self, lib: &Library) {
        for (k, v) in &lib.tags {
            self.tags.insert(k.clone(), v.clone());
        }
        for (k, v) in &lib.filters {
            self.filters.insert(k.clone(), v.clone());
        }
    }

    /// The engine's registered libraries, by load name.
    pub(crate) fn library(&self, name: &str) -> Option<Arc<Library>> {
        self.engine.inner.libraries.get(name).cloned()
    }

    pub(crate) fn library_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.engine.inner.libraries.keys().cloned().collect();
        names.sort();
        names
    }

    /// Django's `parser.compile_filter(token)`.
    pub fn compile_filter(&self, token: &str) -> Result<FilterExpression> {
        FilterExpression::parse(token, self)
    }

    /// Takes the next token.
    pub fn next_token(&mut self) -> Option<Token> {
        self.tokens.pop()
    }

    /// Puts a token back.
    pub fn prepend_token(&mut self, token: Token) {
        self.tokens.push(token);
    }

    /// Drops the next token (the end tag a nested `parse` stopped at).
    pub fn delete_first_token(&mut self) {
        self.tokens.pop();
    }

    /// The end tag `parse(until)` stopped at, which must exist (else Django's unclosed error).
    pub(crate) fn expect_end(&mut self) -> Result<Token> {
        self.next_token()
            .ok_or_else(|| TemplateError::syntax("Unexpected end of template"))
    }

    /// Skips tokens up to and including the block tag `endtag` (Django's `skip_past`).
    pub fn skip_past(&mut self, endtag: &str) -> Result<()> {
        while let Some(token) = self.next_token() {
            if token.token_type == TokenType::Block && token.contents == endtag {
                return Ok(());
            }
        }
        Err(self.unclosed_block_tag(&[endtag]))
    }

    /// Attaches the token's location to a syntax error that has none (and, with a debug
    /// engine, Django's `template_debug`, as `Parser.error` does).
    pub fn error(&self, token: &Token, err: TemplateError) -> TemplateError {
        let err = self.locate(token, err);
        match &self.debug_source {
            Some(source) if matches!(err, TemplateError::TemplateSyntaxError { .. }) => {
                source.annotate(err, token.position)
            }
            _ => err,
        }
    }

    fn locate(&self, token: &Token, err: TemplateError) -> TemplateError {
        match err {
            TemplateError::TemplateSyntaxError {
                message,
                location: None,
            } => {
                let start = token.position.0.min(self.source.len());
                let line_start = self.source[..start].rfind('\n').map(|p| p + 1).unwrap_or(0);
                let line_end = self.source[start..]
                    .find('\n')
                    .map(|p| start + p)
                    .unwrap_or(self.source.len());
                let column = self.source[line_start..start].chars().count() + 1;
                TemplateError::TemplateSyntaxError {
                    message,
                    location: Some(Box::new(SourceLocation {
                        template_name: self.template_name.clone(),
                        line: token.lineno,
                        column,
                        source_line: self.source[line_start..line_end].to_string(),
                    })),
                }
            }
            other => other,
        }
    }

    fn unclosed_block_tag(&mut self, parse_until: &[&str]) -> TemplateError {
        match self.command_stack.pop() {
            Some((command, token)) => {
                let msg = format!(
                    "Unclosed tag on line {}: '{}'. Looking for one of: {}.",
                    token.lineno,
                    command,
                    parse_until.join(", ")
                );
                self.error(&token, TemplateError::syntax(msg))
            }
            None => TemplateError::syntax(format!(
                "Unclosed tag. Looking for one of: {}.",
                parse_until.join(", ")
            )),
        }
    }

    fn invalid_block_tag(&self, token: &Token, command: &str, parse_until: &[&str]) -> TemplateError {
        let msg = if parse_until.is_empty() {
            format!(
                "Invalid block tag on line {}: '{}'. Did you forget to register or load this tag?",
                token.lineno, command
            )
        } else {
            let quoted: Vec<String> = parse_until.iter().map(|p| format!("'{p}'")).collect();
            format!(
                "Invalid block tag on line {}: '{}', expected {}. Did you forget to register or load this tag?",
                token.lineno,
                command,
                get_text_list(&quoted, "or")
            )
        };
        self.error(token, TemplateError::syntax(msg))
    }

    /// Reports an end tag other than the expected ones (used by `block`'s endblock check).
    pub(crate) fn invalid_end_tag(&self, token: &Token, command: &str, expected: &[&str]) -> TemplateError {
        self.invalid_block_tag(token, command, expected)
    }

    /// Parses until one of the `parse_until` block tags (left as the next token).
    pub fn parse(&mut self, parse_until: &[&str]) -> Result<NodeList> {
        if self.depth >= MAX_NESTING {
            return Err(TemplateError::Custom {
                class: "RecursionError".into(),
                message: "maximum recursion depth exceeded".into(),
            });
        }
        self.depth += 1;
        let r = self.parse_inner(parse_until);
        self.depth -= 1;
        r
    }

    fn parse_inner(&mut self, parse_until: &[&str]) -> Result<NodeList> {
        let mut nodes: Vec<Node> = Vec::new();
        let mut positions: Vec<(usize, usize)> = Vec::new();
        let debug = self.debug_source.is_some();
        let mut contains_nontext = false;
        while let Some(token) = self.next_token() {
            if debug && token.token_type != TokenType::Comment {
                positions.push(token.position);
            }
            match token.token_type {
                TokenType::Text => nodes.push(Node::Text(token.contents.into_boxed_str())),
                TokenType::Comment => {}
                TokenType::Var => {
                    if token.contents.is_empty() {
                        let msg = format!("Empty variable tag on line {}", token.lineno);
                        return Err(self.error(&token, TemplateError::syntax(msg)));
                    }
                    let fe = self
                        .compile_filter(&token.contents)
                        .map_err(|e| self.error(&token, e))?;
                    nodes.push(Node::Var(fe));
                    contains_nontext = true;
                }
                TokenType::Block => {
                    let Some(command) = token.contents.split_whitespace().next().map(str::to_string) else {
                        let msg = format!("Empty block tag on line {}", token.lineno);
                        return Err(self.error(&token, TemplateError::syntax(msg)));
                    };
                    if parse_until.contains(&command.as_str()) {
                        if debug {
                            positions.pop();
                        }
                        self.prepend_token(token);
                        return Ok(self.nodelist(nodes, positions));
                    }
                    self.command_stack.push((command.clone(), token.clone()));
                    let node = if let Some(f) = self.tags.get(&command).cloned() {
                        f(self, &token).map(Node::Tag)
                    } else {
                        match crate::tags::compile_builtin(self, &command, &token) {
                            Some(r) => r,
                            None => return Err(self.invalid_block_tag(&token, &command, parse_until)),
                        }
                    };
                    let node = node.map_err(|e| self.error(&token, e))?;
                    if matches!(node, Node::Extends(_)) && contains_nontext {
                        let origin = match &self.template_name {
                            Some(n) => crate::value::repr_str(n),
                            None => "the template".to_string(),
                        };
                        let msg = format!("{{% {} %}} must be the first tag in {}.", token.contents, origin);
                        return Err(self.error(&token, TemplateError::syntax(msg)));
                    }
                    contains_nontext = true;
                    nodes.push(node);
                    self.command_stack.pop();
                }
            }
        }
        if !parse_until.is_empty() {
            return Err(self.unclosed_block_tag(parse_until));
        }
        Ok(self.nodelist(nodes, positions))
    }

    fn nodelist(&self, nodes: Vec<Node>, positions: Vec<(usize, usize)>) -> NodeList {
        let debug = self.debug_source.as_ref().map(|source| {
            Box::new(NodeListDebug {
                source: source.clone(),
                positions,
            })
        });
        NodeList { nodes, debug }
    }
}

/// Django's `get_text_list(['a', 'b', 'c'], 'or')` -> `a, b or c`.
pub(crate) fn get_text_list(items: &[String], last_word: &str) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} {} {}", items[..n - 1].join(", "), last_word, items[n - 1]),
    }
}
