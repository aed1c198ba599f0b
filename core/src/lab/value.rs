//! A field's value in the serde form of a lab's parameters: reading and writing it at its dotted path,
//! parsing it from text (a link's value or a command-line argument) by the field's [`Kind`], writing it
//! back as text, and checking its range.

use serde_json::{Map, Number, Value};

use super::{leak, Field, Kind};
use crate::error::{Error, Result};

/// The value at a dotted path (`solver.eps`), if every part exists.
pub fn get<'a>(form: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(form, |at, part| at.as_object()?.get(part))
}

/// Sets the value at a dotted path. A part that is unset (`null`: an optional group that is off) is an
/// error naming it — turn the group on first.
pub fn set(form: &mut Value, path: &str, leaf: Value) -> Result<()> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut at = form;
    for (k, part) in parts.iter().enumerate() {
        if k + 1 == parts.len() {
            let object = at.as_object_mut().ok_or_else(|| missing(&parts[..k]))?;
            object.insert((*part).to_owned(), leaf);
            return Ok(());
        }
        let next =
            at.as_object_mut().ok_or_else(|| missing(&parts[..k]))?.entry((*part).to_owned()).or_insert(Value::Null);
        if next.is_null() {
            return Err(missing(&parts[..=k]));
        }
        at = next;
    }
    Ok(())
}

fn missing(parts: &[&str]) -> Error {
    let group = parts.last().copied().unwrap_or("parameters").replace('_', "-");
    Error::Invalid {
        name: leak(group.clone().into()),
        message: format!("`{group}` is off: turn it on before setting its fields"),
    }
}

/// Leaves of the serde form by dotted path (arrays and `null` are leaves).
pub fn flatten(prefix: &str, v: &Value, out: &mut Map<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&path, x, out);
            }
        }
        other => {
            out.insert(prefix.to_owned(), other.clone());
        }
    }
}

/// `text` as `field`'s value. Lists are comma-separated; `none` (or nothing) unsets an optional field.
pub fn parse(field: &Field, text: &str) -> Result<Value> {
    let text = text.trim();
    let name = leak(field.flag());
    let bad = |what: &str| Error::Invalid { name, message: format!("`{}` is not {what}", shorten(text)) };
    if field.optional && (text == "none" || text.is_empty()) {
        return Ok(Value::Null);
    }
    let whole = |t: &str| t.trim().parse::<u64>().map(Value::from).map_err(|_| bad("a whole number"));
    let real = |t: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| bad("a finite number"))
    };
    let word = |t: &str, words: &[&str]| {
        let t = t.trim();
        if words.contains(&t) {
            Ok(Value::String(t.to_owned()))
        } else {
            Err(Error::UnknownChoice { name, value: shorten(t), choices: words.join(", ") })
        }
    };
    let list = |one: &dyn Fn(&str) -> Result<Value>| -> Result<Value> {
        if text.is_empty() {
            return Ok(Value::Array(Vec::new()));
        }
        text.split(',').map(one).collect::<Result<Vec<_>>>().map(Value::Array)
    };
    match field.kind {
        Kind::Int { .. } => whole(text),
        Kind::Real { .. } => real(text),
        Kind::Bool | Kind::Group(_) => match text {
            "true" | "" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad("true or false")),
        },
        Kind::Choice(words) => word(text, words),
        Kind::Ints { .. } => list(&whole),
        Kind::Reals { .. } => list(&real),
        Kind::Words { words, .. } => list(&|t| word(t, words)),
    }
}

/// `v` (a field's serde value) as text: what [`parse`] reads back to the same value.
pub fn write(field: &Field, v: &Value) -> String {
    match (v, field.kind) {
        (Value::Null, Kind::Group(_)) => "false".to_owned(),
        (Value::Object(_), Kind::Group(_)) => "true".to_owned(),
        (Value::Null, _) => "none".to_owned(),
        (Value::Bool(b), _) => b.to_string(),
        (Value::Number(n), _) => number(n),
        (Value::String(s), _) => s.clone(),
        (Value::Array(items), _) => items
            .iter()
            .map(|x| match x {
                Value::Number(n) => number(n),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(","),
        (Value::Object(_), _) => String::new(),
    }
}

/// A number in Rust's shortest round-trip form (f64 values come back bit for bit).
fn number(n: &Number) -> String {
    match (n.as_u64(), n.as_i64(), n.as_f64()) {
        (Some(u), _, _) => u.to_string(),
        (_, Some(i), _) => i.to_string(),
        (_, _, Some(f)) => f.to_string(),
        _ => n.to_string(),
    }
}

/// The field's declared range and words, for a value already of its kind.
pub fn check(field: &Field, v: &Value) -> Result<()> {
    let name = leak(field.flag());
    let real_range = |x: f64, min: f64, max: f64| {
        if x.is_finite() && x >= min && x <= max {
            Ok(())
        } else {
            Err(Error::Invalid { name, message: format!("it must lie in [{min}, {max}], got {x}") })
        }
    };
    let int_range = |x: u64, min: u64, max: u64| {
        if x < min {
            Err(Error::TooSmall { name, value: x as i64, min: min as i64 })
        } else if x > max {
            Err(Error::TooBig { name, value: x.min(i64::MAX as u64) as i64, max: max.min(i64::MAX as u64) as i64 })
        } else {
            Ok(())
        }
    };
    let as_int =
        |x: &Value| x.as_u64().ok_or_else(|| Error::Invalid { name, message: format!("`{x}` is not a whole number") });
    let as_real =
        |x: &Value| x.as_f64().ok_or_else(|| Error::Invalid { name, message: format!("`{x}` is not a number") });
    match (field.kind, v) {
        (_, Value::Null) if field.optional => Ok(()),
        (Kind::Group(_), Value::Null | Value::Object(_) | Value::Bool(_)) => Ok(()),
        (Kind::Int { min, max }, x) => int_range(as_int(x)?, min, max),
        (Kind::Real { min, max, .. }, x) => real_range(as_real(x)?, min, max),
        (Kind::Bool, Value::Bool(_)) => Ok(()),
        (Kind::Choice(words), Value::String(s)) if words.contains(&s.as_str()) => Ok(()),
        (Kind::Ints { min, max, empty }, Value::Array(xs)) if empty || !xs.is_empty() => {
            xs.iter().try_for_each(|x| int_range(as_int(x)?, min, max))
        }
        (Kind::Reals { min, max }, Value::Array(xs)) if !xs.is_empty() => {
            xs.iter().try_for_each(|x| real_range(as_real(x)?, min, max))
        }
        (Kind::Words { words, empty, distinct }, Value::Array(xs)) if empty || !xs.is_empty() => {
            let mut seen = Vec::new();
            for x in xs {
                match x.as_str() {
                    Some(w) if words.contains(&w) && !(distinct && seen.contains(&w)) => seen.push(w),
                    _ if distinct => {
                        return Err(Error::Invalid {
                            name,
                            message: format!("choose from {}, each at most once", words.join(", ")),
                        })
                    }
                    _ => {
                        return Err(Error::Invalid {
                            name,
                            message: format!("each item is one of {}", words.join(", ")),
                        })
                    }
                }
            }
            Ok(())
        }
        (Kind::Ints { .. } | Kind::Reals { .. } | Kind::Words { .. }, Value::Array(_)) => {
            Err(Error::Invalid { name, message: "the list is empty: give at least one value".into() })
        }
        (_, other) => Err(Error::Invalid {
            name,
            message: format!("`{}` is not a value this field takes", shorten(&other.to_string())),
        }),
    }
}

/// At most 40 characters of a person's text, control characters shown as `�`, for a message.
pub fn shorten(s: &str) -> String {
    let clean = |c: char| if c.is_control() { '\u{FFFD}' } else { c };
    let mut out: String = s.chars().take(40).map(clean).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// A value as one POSIX shell word: as is when it is made of letters, digits and `._/-+=,:@%`, otherwise
/// in single quotes (a quote inside written as `'\''`).
pub fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "._/-+=,:@%".contains(c)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
