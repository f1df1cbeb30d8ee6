//! The `i18n` library (`{% load i18n %}`) without translation catalogs: `translate`/`trans`,
//! `blocktranslate`/`blocktrans` (with `with`, `count`/`plural`, `trimmed`, `asvar`) and
//! `get_current_language`, rendering the source text (English rules for plurals) exactly
//! as Django does when no catalog has the message.

use indexmap::IndexMap;

use crate::context::Context;
use crate::error::{Result, TemplateError};
use crate::expr::{token_kwargs, FilterExpression};
use crate::lexer::TokenType;
use crate::nodes::{render_value, TagNode};
use crate::value::Value;
use crate::Library;

struct TranslateNode {
    expr: FilterExpression,
    noop: bool,
    asvar: Option<String>,
}

impl TagNode for TranslateNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let v = self.expr.resolve(ctx, false)?;
        // A translated literal is a lazy (unsafe) string; a no-op keeps the literal's safety.
        let v = match (&v, self.noop) {
            (Value::SafeStr(s), false) => Value::str(s.clone()),
            _ => v,
        };
        let mut rendered = String::new();
        render_value(&v, ctx.autoescape, &mut rendered);
        let rendered = rendered.replace("%%", "%");
        let safe = ctx.autoescape || v.is_safe();
        match &self.asvar {
            Some(name) => ctx.set(
                name,
                if safe {
                    Value::safe(rendered)
                } else {
                    Value::str(rendered)
                },
            ),
            None => out.push_str(&rendered),
        }
        Ok(())
    }
}

enum Piece {
    Text(String),
    Var(String),
}

struct BlockTranslateNode {
    extra: IndexMap<String, FilterExpression>,
    singular: Vec<Piece>,
    plural: Option<Vec<Piece>>,
    counter: Option<(String, FilterExpression)>,
    trimmed: bool,
    asvar: Option<String>,
}

fn trim_text(s: &str) -> String {
    // Django's translation.trim_whitespace: strip each line, join with spaces.
    let lines: Vec<&str> = s.trim().split('\n').map(str::trim).collect();
    lines.join(" ")
}

impl BlockTranslateNode {
    fn render_pieces(&self, pieces: &[Piece], ctx: &mut Context) -> Result<String> {
        let mut text = String::new();
        let mut out = String::new();
        let mut parts: Vec<(String, Option<String>)> = Vec::new();
        for p in pieces {
            match p {
                Piece::Text(t) => text.push_str(t),
                Piece::Var(name) => {
                    parts.push((std::mem::take(&mut text), Some(name.clone())));
                }
            }
        }
        parts.push((text, None));
        let joined: String = parts
            .iter()
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>()
            .join("\u{0}");
        let joined = if self.trimmed { trim_text(&joined) } else { joined };
        let texts: Vec<&str> = joined.split('\u{0}').collect();
        for (i, (_, var)) in parts.iter().enumerate() {
            out.push_str(texts.get(i).copied().unwrap_or(""));
            if let Some(name) = var {
                let value = ctx.get(name).cloned();
                let value = match value {
                    Some(v) => v,
                    None => Value::str(ctx.string_if_invalid()),
                };
                render_value(&value, ctx.autoescape, &mut out);
            }
        }
        Ok(out)
    }
}

impl TagNode for BlockTranslateNode {
    fn render(&self, ctx: &mut Context, out: &mut String) -> Result<()> {
        let mut values = IndexMap::new();
        for (k, fe) in &self.extra {
            values.insert(k.clone(), fe.resolve(ctx, false)?);
        }
        let mut count = None;
        if let Some((name, fe)) = &self.counter {
            let c = fe.resolve(ctx, false)?;
            count = Some(c.clone());
            values.insert(name.clone(), c);
        }
        ctx.push_values(values);
        let pieces = match (&self.plural, &count) {
            (Some(plural), Some(c)) => {
                let n = crate::filters::py_float(c).unwrap_or(0.0);
                if n == 1.0 {
                    &self.singular
                } else {
                    plural
                }
            }
            _ => &self.singular,
        };
        let r = self.render_pieces(pieces, ctx);
        ctx.drop_top();
        let result = r?;
        match &self.asvar {
            Some(name) => ctx.set(name, Value::safe(result)),
            None => out.push_str(&result),
        }
        Ok(())
    }
}

struct CurrentLanguageNode {
    var: String,
}

impl TagNode for CurrentLanguageNode {
    fn render(&self, ctx: &mut Context, _out: &mut String) -> Result<()> {
        ctx.set(&self.var, Value::str("en-us"));
        Ok(())
    }
}

/// The `i18n` library.
pub(crate) fn i18n_library() -> Library {
    let mut lib = Library::new();
    for name in ["translate", "trans"] {
        lib.tag(name, move |p, token| {
            let bits = token.split_contents();
            if bits.len() < 2 {
                return Err(TemplateError::syntax(format!("'{}' takes at least one argument", bits[0])));
            }
            let expr = p.compile_filter(&bits[1])?;
            let mut noop = false;
            let mut asvar = None;
            let mut i = 2;
            while i < bits.len() {
                match bits[i].as_str() {
                    "noop" => noop = true,
                    "as" => {
                        asvar = bits.get(i + 1).cloned();
                        if asvar.is_none() {
                            return Err(TemplateError::syntax(format!(
                                "No argument provided to the '{}' tag for the as option.",
                                bits[0]
                            )));
                        }
                        i += 1;
                    }
                    "context" => {
                        if bits.get(i + 1).is_none() {
                            return Err(TemplateError::syntax(format!(
                                "No argument provided to the '{}' tag for the context option.",
                                bits[0]
                            )));
                        }
                        i += 1;
                    }
                    other => {
                        return Err(TemplateError::syntax(format!(
                            "Unknown argument for '{}' tag: '{}'. The only options available are 'noop', 'context' \"xxx\", and 'as VAR'.",
                            bits[0], other
                        )))
                    }
                }
                i += 1;
            }
            Ok(Box::new(TranslateNode { expr, noop, asvar }) as Box<dyn TagNode>)
        });
    }
    for (name, end) in [
        ("blocktranslate", "endblocktranslate"),
        ("blocktrans", "endblocktrans"),
    ] {
        lib.tag(name, move |p, token| {
            let bits = token.split_contents();
            let mut remaining: Vec<String> = bits[1..].to_vec();
            let mut extra = IndexMap::new();
            let mut counter = None;
            let mut trimmed = false;
            let mut asvar = None;
            while !remaining.is_empty() {
                let option = remaining.remove(0);
                match option.as_str() {
                    "with" => {
                        let kw = token_kwargs(&mut remaining, p, true)?;
                        if kw.is_empty() {
                            return Err(TemplateError::syntax(format!(
                                "\"with\" in '{}' tag needs at least one keyword argument.",
                                bits[0]
                            )));
                        }
                        extra.extend(kw);
                    }
                    "count" => {
                        let kw = token_kwargs(&mut remaining, p, true)?;
                        if kw.len() != 1 {
                            return Err(TemplateError::syntax(format!(
                                "\"count\" in '{}' tag expected exactly one keyword argument.",
                                bits[0]
                            )));
                        }
                        counter = kw.into_iter().next();
                    }
                    "context" => {
                        if remaining.is_empty() {
                            return Err(TemplateError::syntax(format!(
                                "\"context\" in '{}' tag expected exactly one argument.",
                                bits[0]
                            )));
                        }
                        remaining.remove(0);
                    }
                    "trimmed" => trimmed = true,
                    "asvar" => {
                        if remaining.is_empty() {
                            return Err(TemplateError::syntax(format!(
                                "No argument provided to the '{}' tag for the asvar option.",
                                bits[0]
                            )));
                        }
                        asvar = Some(remaining.remove(0));
                    }
                    other => {
                        return Err(TemplateError::syntax(format!(
                            "Unknown argument for '{}' tag: '{}'.",
                            bits[0], other
                        )))
                    }
                }
            }
            let mut singular = Vec::new();
            let mut plural: Option<Vec<Piece>> = None;
            loop {
                let Some(tok) = p.next_token() else {
                    return Err(TemplateError::syntax(format!(
                        "Unclosed tag on line {}: '{}'. Looking for one of: {}.",
                        token.lineno, bits[0], end
                    )));
                };
                let target = match plural.as_mut() {
                    Some(pl) => pl,
                    None => &mut singular,
                };
                match tok.token_type {
                    TokenType::Text => target.push(Piece::Text(tok.contents)),
                    TokenType::Var => target.push(Piece::Var(tok.contents.trim().to_string())),
                    TokenType::Comment => {}
                    TokenType::Block => {
                        let c = tok.contents.trim();
                        if c == "plural" && counter.is_some() && plural.is_none() {
                            plural = Some(Vec::new());
                        } else if c == end {
                            break;
                        } else {
                            return Err(TemplateError::syntax(format!(
                                "'{}' doesn't allow other block tags (seen '{}') inside it",
                                bits[0], c
                            )));
                        }
                    }
                }
            }
            Ok(Box::new(BlockTranslateNode {
                extra,
                singular,
                plural,
                counter,
                trimmed,
                asvar,
            }) as Box<dyn TagNode>)
        });
    }
    lib.tag("get_current_language", |_p, token| {
        let bits = token.split_contents();
        if bits.len() != 3 || bits[1] != "as" {
            return Err(TemplateError::syntax(format!(
                "'{}' requires 'as variable' (got {:?})",
                bits[0], bits
            )));
        }
        Ok(Box::new(CurrentLanguageNode { var: bits[2].clone() }) as Box<dyn TagNode>)
    });
    lib
}
