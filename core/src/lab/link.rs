//! A lab's parameters in a link: `key=value&…` (the part of the URL hash after `?`), versioned, so a pasted
//! link reproduces the run.
//!
//! Encoding writes only the fields that differ from the lab's defaults (short links), each under its
//! serde path (`solver.eps`), values as [`super::value::write`] gives them, everything outside
//! `[A-Za-z0-9._,-]` percent-encoded, after `v=VERSION` and the tab.
//!
//! Decoding is strict and never fails: it starts from the defaults and applies the link's keys; a key the
//! lab does not have is ignored with a notice, a value that does not parse as that field's kind, lies
//! outside its range, or that the lab's own validation rejects, leaves the default in place with a notice.
//! Keys renamed since the link's version are read under their new names first. A link carries data only —
//! numbers, booleans, choice words — which the labs read as parameters; nothing in it is ever interpreted
//! as markup, script or an address.

use serde_json::Value;

use super::value::{self, shorten};
use super::{validate, Def, Lab};

/// The link format's version (`v=2`). Version 1 (before the lab kit) is read through each lab's renames.
pub const VERSION: u32 = 2;

/// Keys a link reserves next to a lab's parameters: the version, the tab of a multi-tab page, and `run=1`
/// (start the run on opening: the paper presets use it).
pub const RESERVED: [&str; 3] = ["v", "tab", "run"];

/// Longest link part read (a longer one is cut, with a notice): no real parameter set comes near it.
pub const MAX_LEN: usize = 4096;

/// What a link decoded to.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<T> {
    pub value: T,
    /// The reserved `tab` key, if present.
    pub tab: Option<String>,
    /// `run=1`: start the run once the lab has opened.
    pub run: bool,
    /// What was ignored or replaced by a default, one line each, for the page to show.
    pub notices: Vec<String>,
}

/// The link part of `params`: `v=2`, the lab's tab, then each field that differs from the defaults.
pub fn encode<L: Lab>(params: &L) -> String {
    let now = serde_json::to_value(params).unwrap_or(Value::Null);
    let base = serde_json::to_value(L::default()).unwrap_or(Value::Null);
    encode_form(L::DEF, &now, &base)
}

/// [`encode`] on serde forms (untyped: one copy for every lab).
fn encode_form(def: &Def, now: &Value, base: &Value) -> String {
    let mut parts = vec![format!("v={VERSION}")];
    if let Some(t) = def.tab {
        parts.push(format!("tab={}", escape(t)));
    }
    for f in def.fields {
        let v = value::get(now, f.path);
        if v.is_some() && v != value::get(base, f.path) {
            parts.push(format!("{}={}", escape(f.path), escape(&value::write(f, v.unwrap_or(&Value::Null)))));
        }
    }
    parts.join("&")
}

/// The reserved keys of any link (its tab and `run`), without reading a lab's parameters.
pub fn reserved(query: &str) -> (Option<String>, bool) {
    let (mut tab, mut run) = (None, false);
    for pair in query.split('&') {
        match pair.split_once('=').map(|(k, v)| (unescape(k), unescape(v))) {
            Some((Some(k), Some(v))) if k == "tab" => tab = Some(v),
            Some((Some(k), Some(v))) if k == "run" => run = v == "1",
            _ => {}
        }
    }
    (tab, run)
}

/// Reads `query` over the lab's defaults.
pub fn decode<L: Lab>(query: &str) -> Decoded<L> {
    let default = serde_json::to_value(L::default()).unwrap_or(Value::Null);
    let accept = |form: &Value| -> crate::error::Result<()> {
        let p: L = serde_json::from_value(form.clone())
            .map_err(|e| crate::error::Error::Invalid { name: "parameters", message: e.to_string() })?;
        validate::<L>(&p)
    };
    let d = decode_form(L::DEF, default, query, &accept);
    Decoded { value: serde_json::from_value(d.value).unwrap_or_default(), tab: d.tab, run: d.run, notices: d.notices }
}

/// [`decode`] on serde forms (untyped: one copy for every lab); `accept` says whether a form is a valid
/// parameter set of the lab.
fn decode_form(
    def: &Def,
    default: Value,
    query: &str,
    accept: &dyn Fn(&Value) -> crate::error::Result<()>,
) -> Decoded<Value> {
    let mut notices = Vec::new();
    let (mut tab, mut run, mut version) = (None, false, VERSION);
    let query = if query.len() > MAX_LEN {
        notices.push(format!("the link's parameters are longer than {MAX_LEN} characters: the rest was ignored"));
        &query[..query.char_indices().map(|(i, _)| i).take_while(|&i| i <= MAX_LEN).last().unwrap_or(0)]
    } else {
        query
    };
    let mut pairs = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(key), Some(text)) = (unescape(raw_key), unescape(raw_value)) else {
            notices.push(format!("`{}` is not a well-formed link part: ignored", shorten(pair)));
            continue;
        };
        match key.as_str() {
            "v" => match text.parse::<u32>() {
                Ok(v) if (1..=VERSION).contains(&v) => version = v,
                _ => notices.push(format!(
                    "this link is from format version `{}` (this page reads 1 to {VERSION}): its parameters were read as far as they still match",
                    shorten(&text)
                )),
            },
            "tab" => tab = Some(text),
            "run" => run = text == "1",
            _ => pairs.push((key, text)),
        }
    }
    // Renamed keys: a link written in version `version` uses every name that was current then.
    for (key, _) in &mut pairs {
        if let Some(&(_, _, new)) = def.renamed.iter().find(|&&(last, old, _)| version <= last && old == key.as_str()) {
            *key = new.to_owned();
        }
    }
    // All at once first (fields checked against each other as a whole); key by key if that fails, so one
    // bad key keeps only its own default.
    let mut form = default.clone();
    let mut all_applied = true;
    for (key, text) in &pairs {
        match def.field(key) {
            None => {
                notices.push(format!("unknown parameter `{}` in the link: ignored", shorten(key)));
            }
            Some(f) => {
                if let Err(e) = super::set_in(def, &mut form, f, text) {
                    notices.push(format!(
                        "`{}` = `{}` is not a valid value ({e}): the default was kept",
                        shorten(key),
                        shorten(text)
                    ));
                    all_applied = false;
                }
            }
        }
    }
    let value = if all_applied && accept(&form).is_ok() {
        form
    } else {
        // Key by key over the defaults: each kept only if the set stays valid.
        notices.retain(|n| !n.contains("is not a valid value"));
        let mut value = default;
        for (key, text) in &pairs {
            let Some(f) = def.field(key) else { continue };
            let mut next = value.clone();
            match super::set_in(def, &mut next, f, text).and_then(|()| accept(&next)) {
                Ok(()) => value = next,
                Err(e) => notices.push(format!(
                    "`{}` = `{}` was refused ({e}): the default was kept",
                    shorten(key),
                    shorten(text)
                )),
            }
        }
        value
    };
    Decoded { value, tab, run, notices }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"._,-".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decoding; `None` for a malformed escape or bytes that are not UTF-8.
fn unescape(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}
