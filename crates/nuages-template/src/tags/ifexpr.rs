//! The `{% if %}` expression language: Django's `smartif` Pratt parser, with its operator
//! precedence (`or` < `and` < `not` < `in` < comparisons) and its rule that an operator
//! that raises evaluates to False.

use std::cmp::Ordering;

use crate::context::Context;
use crate::error::{Result, TemplateError};
use crate::expr::{FilterExpression, FilterLookup};
use crate::value::Value;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Op {
    Or,
    And,
    Not,
    In,
    NotIn,
    Is,
    IsNot,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn from_token(t: &str) -> Option<Op> {
        Some(match t {
            "or" => Op::Or,
            "and" => Op::And,
            "not" => Op::Not,
            "in" => Op::In,
            "not in" => Op::NotIn,
            "is" => Op::Is,
            "is not" => Op::IsNot,
            "==" => Op::Eq,
            "!=" => Op::Ne,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "<" => Op::Lt,
            "<=" => Op::Le,
            _ => return None,
        })
    }
    fn lbp(self) -> u8 {
        match self {
            Op::Or => 6,
            Op::And => 7,
            Op::Not => 8,
            Op::In | Op::NotIn => 9,
            _ => 10,
        }
    }
    fn id(self) -> &'static str {
        match self {
            Op::Or => "or",
            Op::And => "and",
            Op::Not => "not",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::Is => "is",
            Op::IsNot => "is not",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

/// A parsed `if` condition.
pub(crate) enum IfExpr {
    Literal(FilterExpression),
    Not(Box<IfExpr>),
    Binary(Op, Box<IfExpr>, Box<IfExpr>),
}

enum Tok {
    Op(Op),
    Lit(String),
    End,
}

struct IfParser<'a> {
    tokens: Vec<Tok>,
    pos: usize,
    current: usize,
    lookup: &'a dyn FilterLookup,
}

const END: usize = usize::MAX;

impl IfParser<'_> {
    fn tok(&self, i: usize) -> &Tok {
        if i == END {
            &Tok::End
        } else {
            &self.tokens[i]
        }
    }
    fn next_token(&mut self) -> usize {
        if self.pos >= self.tokens.len() {
            END
        } else {
            self.pos += 1;
            self.pos - 1
        }
    }
    fn lbp(&self, i: usize) -> u8 {
        match self.tok(i) {
            Tok::Op(op) => op.lbp(),
            _ => 0,
        }
    }
    fn expression(&mut self, rbp: u8) -> Result<IfExpr> {
        let t = self.current;
        self.current = self.next_token();
        let mut left = self.nud(t)?;
        while rbp < self.lbp(self.current) {
            let t = self.current;
            self.current = self.next_token();
            left = self.led(t, left)?;
        }
        Ok(left)
    }
    fn nud(&mut self, t: usize) -> Result<IfExpr> {
        match self.tok(t) {
            Tok::End => Err(TemplateError::syntax("Unexpected end of expression in if tag.")),
            Tok::Lit(text) => {
                let text = text.clone();
                Ok(IfExpr::Literal(FilterExpression::parse(&text, self.lookup)?))
            }
            Tok::Op(Op::Not) => Ok(IfExpr::Not(Box::new(self.expression(Op::Not.lbp())?))),
            Tok::Op(op) => Err(TemplateError::syntax(format!(
                "Not expecting '{}' in this position in if tag.",
                op.id()
            ))),
        }
    }
    fn led(&mut self, t: usize, left: IfExpr) -> Result<IfExpr> {
        match self.tok(t) {
            Tok::Op(Op::Not) => Err(TemplateError::syntax(
                "Not expecting 'not' as infix operator in if tag.",
            )),
            Tok::Op(op) => {
                let op = *op;
                let right = self.expression(op.lbp())?;
                Ok(IfExpr::Binary(op, Box::new(left), Box::new(right)))
            }
            Tok::Lit(_) => Err(TemplateError::syntax(
                "Not expecting 'literal' as infix operator in if tag.",
            )),
            Tok::End => Err(TemplateError::syntax(
                "Not expecting 'None' as infix operator in if tag.",
            )),
        }
    }
}

impl IfExpr {
    /// Parses the bits after `if` / `elif`.
    pub(crate) fn parse(bits: &[String], lookup: &dyn FilterLookup) -> Result<IfExpr> {
        let mut tokens = Vec::with_capacity(bits.len());
        let mut i = 0;
        while i < bits.len() {
            let mut t = bits[i].as_str();
            let joined;
            if t == "is" && bits.get(i + 1).map(String::as_str) == Some("not") {
                joined = "is not";
                t = joined;
                i += 1;
            } else if t == "not" && bits.get(i + 1).map(String::as_str) == Some("in") {
                joined = "not in";
                t = joined;
                i += 1;
            }
            tokens.push(match Op::from_token(t) {
                Some(op) => Tok::Op(op),
                None => Tok::Lit(t.to_string()),
            });
            i += 1;
        }
        let mut p = IfParser {
            tokens,
            pos: 0,
            current: END,
            lookup,
        };
        p.current = p.next_token();
        let expr = p.expression(0)?;
        match p.tok(p.current) {
            Tok::End => Ok(expr),
            Tok::Lit(text) => Err(TemplateError::syntax(format!(
                "Unused '{text}' at end of if expression."
            ))),
            Tok::Op(op) => Err(TemplateError::syntax(format!(
                "Unused '{}' at end of if expression.",
                op.id()
            ))),
        }
    }

    /// Evaluates the condition.
    pub(crate) fn eval(&self, ctx: &mut Context) -> Result<Value> {
        match self {
            IfExpr::Literal(fe) => fe.resolve(ctx, true),
            IfExpr::Not(x) => Ok(Value::Bool(match x.eval(ctx) {
                Ok(v) => !v.is_true(),
                Err(_) => return Ok(Value::Bool(false)),
            })),
            IfExpr::Binary(op, x, y) => Ok(eval_binary(*op, x, y, ctx).unwrap_or(Value::Bool(false))),
        }
    }
}

fn eval_binary(op: Op, x: &IfExpr, y: &IfExpr, ctx: &mut Context) -> Option<Value> {
    let a = x.eval(ctx).ok()?;
    match op {
        Op::Or => {
            if a.is_true() {
                return Some(a);
            }
            return y.eval(ctx).ok();
        }
        Op::And => {
            if !a.is_true() {
                return Some(a);
            }
            return y.eval(ctx).ok();
        }
        _ => {}
    }
    let b = y.eval(ctx).ok()?;
    let r = match op {
        Op::In => contains(&b, &a)?,
        Op::NotIn => !contains(&b, &a)?,
        Op::Is => is_same(&a, &b),
        Op::IsNot => !is_same(&a, &b),
        Op::Eq => a.py_eq(&b),
        Op::Ne => !a.py_eq(&b),
        Op::Gt => a.py_cmp(&b)? == Ordering::Greater,
        Op::Ge => a.py_cmp(&b)? != Ordering::Less,
        Op::Lt => a.py_cmp(&b)? == Ordering::Less,
        Op::Le => a.py_cmp(&b)? != Ordering::Greater,
        Op::Or | Op::And | Op::Not => return None,
    };
    Some(Value::Bool(r))
}

/// Python's `needle in haystack`; `None` when Python raises `TypeError`.
pub(crate) fn contains(haystack: &Value, needle: &Value) -> Option<bool> {
    match haystack {
        Value::List(l) | Value::Tuple(l) => Some(l.iter().any(|v| v.py_eq(needle))),
        Value::Dict(d) => Some(needle.as_str().is_some_and(|k| d.contains_key(k))),
        Value::Str(s) | Value::SafeStr(s) => needle.as_str().map(|n| s.contains(n)),
        Value::Object(_) | Value::Element(_) => haystack
            .as_object()
            .and_then(|o| o.iter())
            .map(|items| items.iter().any(|v| v.py_eq(needle))),
        Value::ForLoop(_) => Some(needle.as_str().is_some_and(|k| {
            [
                "parentloop",
                "counter0",
                "counter",
                "revcounter",
                "revcounter0",
                "first",
                "last",
            ]
            .contains(&k)
        })),
        _ => None,
    }
}

/// Python's `is`, approximated for value types: `None`, booleans and small ints are singletons.
fn is_same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y && (-5..=256).contains(x),
        (Value::Str(x) | Value::SafeStr(x), Value::Str(y) | Value::SafeStr(y)) => {
            std::sync::Arc::ptr_eq(x, y)
        }
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => std::sync::Arc::ptr_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) => std::sync::Arc::ptr_eq(x, y),
        (Value::Object(_), Value::Object(_)) | (Value::Element(_), Value::Element(_)) => a.py_eq(b),
        _ => false,
    }
}
