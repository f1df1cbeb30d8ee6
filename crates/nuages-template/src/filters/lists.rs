//! List and logic filters.

use std::cell::Cell;
use std::cmp::Ordering;

use super::{arg_or_none, conditional_escape, safe};
use crate::error::{Result, TemplateError};
use crate::expr::parse_py_float;
use crate::value::Value;

type R = Result<Value>;

fn mark_safe(v: &Value) -> Value {
    match v {
        _ if v.is_safe() => v.clone(),
        other => Value::safe(other.py_str()),
    }
}

pub(crate) fn escapeseq(v: &Value, _: Option<&Value>, _: bool) -> R {
    Ok(Value::list(v.py_iter()?.iter().map(conditional_escape).collect()))
}

pub(crate) fn safeseq(v: &Value, _: Option<&Value>, _: bool) -> R {
    Ok(Value::list(v.py_iter()?.iter().map(mark_safe).collect()))
}

/// `_property_resolver(arg)` applied to one item; `None` when the lookup fails.
fn property(item: &Value, arg: &Value) -> std::result::Result<Value, ()> {
    let arg_str = arg.py_str();
    let is_number = match arg {
        Value::Int(_) | Value::Float(_) | Value::Decimal(_) | Value::Bool(_) => true,
        _ => parse_py_float(&arg_str).is_some(),
    };
    if is_number {
        // operator.itemgetter(arg)
        return match arg {
            Value::Int(i) => item.get_index(*i).ok_or(()),
            Value::Str(s) | Value::SafeStr(s) => item.get_key(s).ok_or(()),
            _ => Err(()),
        };
    }
    if arg_str.contains("._") || arg_str.starts_with('_') {
        return Err(());
    }
    let mut cur = item.clone();
    for part in arg_str.split('.') {
        cur = match cur.get_key(part).or_else(|| cur.get_attr(part)) {
            Some(v) => v,
            None => return Err(()),
        };
        if let Value::Callable(f) = &cur {
            cur = f().map_err(|_| ())?;
        }
    }
    Ok(cur)
}

fn sort_by_property(v: &Value, arg: Option<&Value>, reverse: bool) -> R {
    let arg = arg_or_none(arg);
    let items = match v {
        Value::List(_)
        | Value::Tuple(_)
        | Value::Dict(_)
        | Value::Str(_)
        | Value::SafeStr(_)
        | Value::Object(_)
        | Value::Element(_) => match v.py_iter() {
            Ok(items) => items,
            Err(_) => return Ok(Value::str("")),
        },
        _ => return Ok(Value::str("")),
    };
    let mut keyed = Vec::with_capacity(items.len());
    for item in items {
        match property(&item, &arg) {
            Ok(k) => keyed.push((k, item)),
            Err(()) => return Ok(Value::str("")),
        }
    }
    let failed = Cell::new(false);
    keyed.sort_by(|(a, _), (b, _)| {
        let ord = if reverse { b.py_cmp(a) } else { a.py_cmp(b) };
        ord.unwrap_or_else(|| {
            failed.set(true);
            Ordering::Equal
        })
    });
    if failed.get() {
        return Ok(Value::str(""));
    }
    Ok(Value::list(keyed.into_iter().map(|(_, item)| item).collect()))
}

pub(crate) fn dictsort(v: &Value, arg: Option<&Value>, _: bool) -> R {
    sort_by_property(v, arg, false)
}

pub(crate) fn dictsortreversed(v: &Value, arg: Option<&Value>, _: bool) -> R {
    sort_by_property(v, arg, true)
}

fn index_or_error(v: &Value, i: i64) -> R {
    match v {
        Value::List(l) | Value::Tuple(l) if l.is_empty() => Ok(Value::str("")),
        Value::Str(s) | Value::SafeStr(s) if s.is_empty() => Ok(Value::str("")),
        Value::List(_) | Value::Tuple(_) | Value::Str(_) | Value::SafeStr(_) => {
            Ok(v.get_index(i).unwrap_or_default())
        }
        Value::Dict(_) => Err(TemplateError::Custom {
            class: "KeyError".into(),
            message: i.to_string(),
        }),
        Value::Object(_) | Value::Element(_) => Ok(v.get_index(i).unwrap_or_else(|| Value::str(""))),
        other => Err(TemplateError::TypeError(format!(
            "'{}' object is not subscriptable",
            other.short_type()
        ))),
    }
}

pub(crate) fn first(v: &Value, _: Option<&Value>, _: bool) -> R {
    index_or_error(v, 0)
}

pub(crate) fn last(v: &Value, _: Option<&Value>, _: bool) -> R {
    index_or_error(v, -1)
}

pub(crate) fn join(v: &Value, arg: Option<&Value>, autoescape: bool) -> R {
    let arg = arg_or_none(arg);
    let Ok(items) = v.py_iter() else {
        return Ok(v.clone());
    };
    if autoescape {
        let sep = conditional_escape(&arg).py_str();
        let parts: Vec<String> = items.iter().map(|x| conditional_escape(x).py_str()).collect();
        Ok(safe(parts.join(&sep)))
    } else {
        let Some(sep) = arg.as_str() else {
            return Ok(v.clone());
        };
        let mut parts = Vec::with_capacity(items.len());
        for x in &items {
            match x.as_str() {
                Some(s) => parts.push(s.to_string()),
                None => return Ok(v.clone()),
            }
        }
        Ok(safe(parts.join(sep)))
    }
}

pub(crate) fn length(v: &Value, _: Option<&Value>, _: bool) -> R {
    Ok(Value::Int(v.py_len().map(|n| n as i64).unwrap_or(0)))
}

pub(crate) fn random(v: &Value, _: Option<&Value>, _: bool) -> R {
    let items = v.py_iter()?;
    if items.is_empty() {
        return Err(TemplateError::Custom {
            class: "IndexError".into(),
            message: "Cannot choose from an empty sequence".into(),
        });
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or(0);
    Ok(items[nanos % items.len()].clone())
}

/// Python slice indices for a sequence of `len` items.
fn slice_indices(len: i64, start: Option<i64>, stop: Option<i64>, step: i64) -> Vec<usize> {
    let norm = |x: i64, lo: i64, hi: i64| -> i64 {
        let x = if x < 0 { x + len } else { x };
        x.clamp(lo, hi)
    };
    let mut out = Vec::new();
    if step > 0 {
        let s = start.map(|x| norm(x, 0, len)).unwrap_or(0);
        let e = stop.map(|x| norm(x, 0, len)).unwrap_or(len);
        let mut i = s;
        while i < e {
            out.push(i as usize);
            match i.checked_add(step) {
                Some(n) => i = n,
                None => break,
            }
        }
    } else {
        let s = start.map(|x| norm(x, -1, len - 1)).unwrap_or(len - 1);
        let e = stop.map(|x| norm(x, -1, len - 1)).unwrap_or(-1);
        let mut i = s;
        while i > e {
            out.push(i as usize);
            match i.checked_add(step) {
                Some(n) => i = n,
                None => break,
            }
        }
    }
    out
}

pub(crate) fn slice(v: &Value, arg: Option<&Value>, _: bool) -> R {
    let spec = arg_or_none(arg).py_str();
    let mut bits: Vec<Option<i64>> = Vec::new();
    for x in spec.split(':') {
        if x.is_empty() {
            bits.push(None);
        } else {
            match crate::expr::parse_py_int(x) {
                Some(n) => bits.push(Some(n)),
                None => return Ok(v.clone()),
            }
        }
    }
    let (start, stop, step) = match bits.len() {
        1 => (None, bits[0], None),
        2 => (bits[0], bits[1], None),
        3 => (bits[0], bits[1], bits[2]),
        _ => return Ok(v.clone()),
    };
    let step = step.unwrap_or(1);
    if step == 0 {
        return Ok(v.clone());
    }
    match v {
        Value::List(l) | Value::Tuple(l) => {
            let idx = slice_indices(l.len() as i64, start, stop, step);
            let items = idx.into_iter().map(|i| l[i].clone()).collect();
            Ok(if matches!(v, Value::Tuple(_)) {
                Value::tuple(items)
            } else {
                Value::list(items)
            })
        }
        Value::Str(s) | Value::SafeStr(s) => {
            let chars: Vec<char> = s.chars().collect();
            let idx = slice_indices(chars.len() as i64, start, stop, step);
            let out: String = idx.into_iter().map(|i| chars[i]).collect();
            Ok(Value::str(out))
        }
        _ => Ok(v.clone()),
    }
}

fn walk_items(items: &[Value]) -> Vec<(Value, Option<Value>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let item = items[i].clone();
        match items.get(i + 1) {
            Some(next @ (Value::List(_) | Value::Tuple(_))) => {
                out.push((item, Some(next.clone())));
                i += 2;
            }
            _ => {
                out.push((item, None));
                i += 1;
            }
        }
    }
    out
}

fn list_formatter(items: &[Value], tabs: usize, autoescape: bool) -> String {
    let indent = "\t".repeat(tabs);
    let mut output = Vec::new();
    for (item, children) in walk_items(items) {
        let mut sublist = String::new();
        if let Some(ch) = children {
            let ch_items = ch.py_iter().unwrap_or_default();
            if !ch_items.is_empty() {
                sublist = format!(
                    "\n{indent}<ul>\n{}\n{indent}</ul>\n{indent}",
                    list_formatter(&ch_items, tabs + 1, autoescape)
                );
            }
        }
        let text = if autoescape {
            conditional_escape(&item).py_str()
        } else {
            item.py_str()
        };
        output.push(format!("{indent}<li>{text}{sublist}</li>"));
    }
    output.join("\n")
}

pub(crate) fn unordered_list(v: &Value, _: Option<&Value>, autoescape: bool) -> R {
    let items = v.py_iter()?;
    Ok(safe(list_formatter(&items, 1, autoescape)))
}

pub(crate) fn default(v: &Value, arg: Option<&Value>, _: bool) -> R {
    Ok(if v.is_true() { v.clone() } else { arg_or_none(arg) })
}

pub(crate) fn default_if_none(v: &Value, arg: Option<&Value>, _: bool) -> R {
    Ok(if v.is_none() { arg_or_none(arg) } else { v.clone() })
}

pub(crate) fn yesno(v: &Value, arg: Option<&Value>, _: bool) -> R {
    let spec = match arg {
        Some(a) => a.py_str(),
        None => "yes,no,maybe".to_string(),
    };
    let bits: Vec<&str> = spec.split(',').collect();
    if bits.len() < 2 {
        return Ok(v.clone());
    }
    let (yes, no, maybe) = if bits.len() == 3 {
        (bits[0], bits[1], bits[2])
    } else {
        (bits[0], bits[1], bits[1])
    };
    let out = if v.is_none() {
        maybe
    } else if v.is_true() {
        yes
    } else {
        no
    };
    Ok(Value::str(out))
}

pub(crate) fn pprint(v: &Value, _: Option<&Value>, _: bool) -> R {
    Ok(Value::str(v.py_repr()))
}
