//! Experiment state in a link: any lab's parameter struct ↔ `key=value&…` (the part of the URL hash after
//! `?`), versioned, so a pasted link reproduces the run.
//!
//! Encoding walks the struct's serde form and writes only the fields that differ from the lab's defaults
//! (short links), nested fields as `outer.inner`, number lists and word lists comma-separated, numbers in
//! Rust's shortest round-trip form (so f64 values come back bit-exact), everything outside `[A-Za-z0-9._,-]`
//! percent-encoded, after `v=VERSION`.
//!
//! Decoding is strict and never fails: it starts from the defaults and applies the link's keys one at a
//! time; a key the struct does not have is ignored with a notice, a value that does not parse as that
//! field's type, or that the lab's own validation rejects, leaves the default in place with a notice. A
//! link carries data only — numbers, booleans, choice words — which the labs read as parameters; nothing in
//! it is ever interpreted as markup, script or an address.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// The link format's version (`v=1`). A link with another version is read as far as its keys still
/// match, with a notice.
pub const VERSION: u32 = 1;

/// Keys the labs reserve next to their parameters: the version, the tab of a multi-tab lab, and `run=1`
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

/// `key=value&…` for the fields of `value` that differ from `default`, after `v=1` and an optional tab.
pub fn encode<T: Serialize>(value: &T, default: &T, tab: Option<&str>) -> String {
    let (mut now, mut base) = (Map::new(), Map::new());
    flatten("", &serde_json::to_value(value).unwrap_or(Value::Null), &mut now);
    flatten("", &serde_json::to_value(default).unwrap_or(Value::Null), &mut base);
    let mut parts = vec![format!("v={VERSION}")];
    if let Some(t) = tab {
        parts.push(format!("tab={}", escape(t)));
    }
    for (k, v) in &now {
        if base.get(k) != Some(v) {
            if let Some(text) = write_value(v) {
                parts.push(format!("{}={}", escape(k), escape(&text)));
            }
        }
    }
    parts.join("&")
}

/// Reads `query` over `default`; `validate` is the lab's own check of a whole parameter set.
pub fn decode<T, E: std::fmt::Display>(query: &str, default: &T, validate: impl Fn(&T) -> std::result::Result<(), E>) -> Decoded<T>
where
    T: Serialize + DeserializeOwned + Clone,
{
    let mut notices = Vec::new();
    let mut tab = None;
    let mut run = false;
    let query = if query.len() > MAX_LEN {
        notices.push(format!("the link's parameters are longer than {MAX_LEN} characters: the rest was ignored"));
        &query[..query.char_indices().map(|(i, _)| i).take_while(|&i| i <= MAX_LEN).last().unwrap_or(0)]
    } else {
        query
    };
    let start = serde_json::to_value(default).unwrap_or(Value::Null);
    let mut trial = start.clone();
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut value = default.clone();
    let mut types = Map::new();
    flatten("", &start, &mut types);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(key), Some(text)) = (unescape(raw_key), unescape(raw_value)) else {
            notices.push(format!("`{}` is not a well-formed link part: ignored", shorten(pair)));
            continue;
        };
        match key.as_str() {
            "v" => {
                if text != VERSION.to_string() {
                    notices.push(format!("this link is from format version `{}` (this page reads {VERSION}): its parameters were read as far as they still match", shorten(&text)));
                }
                continue;
            }
            "tab" => {
                tab = Some(text);
                continue;
            }
            "run" => {
                run = text == "1";
                continue;
            }
            _ => {}
        }
        let Some(kind) = kind_of(&types, &key) else {
            notices.push(format!("unknown parameter `{}` in the link: ignored", shorten(&key)));
            continue;
        };
        let Some(parsed) = read_value(&kind, &text) else {
            notices.push(format!("`{}` = `{}` is not a valid value: the default was kept", shorten(&key), shorten(&text)));
            continue;
        };
        // A struct under an unset option needs all its fields before it deserialises: such keys wait in
        // `trial` until the struct is complete; any other failure is reported at once.
        let mut candidate = trial.clone();
        set_path(&mut candidate, &key, parsed);
        match serde_json::from_value::<T>(candidate.clone()) {
            Ok(t) => match validate(&t) {
                Ok(()) => {
                    trial = candidate;
                    value = t;
                    pending.clear();
                }
                Err(e) => notices.push(format!("`{}` = `{}` was refused ({e}): the default was kept", shorten(&key), shorten(&text))),
            },
            Err(e) if e.to_string().contains("missing field") => {
                trial = candidate;
                pending.push((key, text));
            }
            Err(_) => notices.push(format!("`{}` = `{}` is not a valid value: the default was kept", shorten(&key), shorten(&text))),
        }
    }
    for (key, text) in pending {
        notices.push(format!("`{}` = `{}` is incomplete (its group's other fields are missing): the default was kept", shorten(&key), shorten(&text)));
    }
    Decoded { value, tab, run, notices }
}

/// The default's leaf kind at `key`. A key under an unset option (`elr.beta` when the default has
/// `elr: null`) reads as an option's value; `key` naming a struct (`elr` when the default has `elr.beta`)
/// takes only `none`.
fn kind_of(types: &Map<String, Value>, key: &str) -> Option<Value> {
    if let Some(k) = types.get(key) {
        return Some(k.clone());
    }
    let mut prefix = key;
    while let Some((head, _)) = prefix.rsplit_once('.') {
        if types.get(head) == Some(&Value::Null) {
            return Some(Value::Null);
        }
        prefix = head;
    }
    let nested = format!("{key}.");
    types.keys().any(|k| k.starts_with(&nested)).then_some(Value::Null)
}

/// A value as a notice shows it: at most 40 characters.
/// A link's text for a notice: at most 40 characters, control characters shown as `�`.
fn shorten(s: &str) -> String {
    let clean = |c: char| if c.is_control() { '\u{FFFD}' } else { c };
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).map(clean).collect::<String>())
    } else {
        s.chars().map(clean).collect()
    }
}

/// Leaves of the serde form by dotted path. Arrays are leaves; `null` leaves (an unset option) too.
fn flatten(prefix: &str, v: &Value, out: &mut Map<String, Value>) {
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

fn set_path(root: &mut Value, path: &str, leaf: Value) {
    let mut at = root;
    for part in path.split('.') {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        at = at.as_object_mut().expect("made an object").entry(part.to_owned()).or_insert(Value::Null);
    }
    *at = leaf;
}

/// The text of a leaf, or `None` for what a link does not carry (lists of objects, nested lists).
fn write_value(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("none".to_owned()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(number_text(n)),
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items
            .iter()
            .map(|x| match x {
                Value::Number(n) => Some(number_text(n)),
                Value::String(s) if !s.contains(',') => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(",")),
        Value::Object(_) => None,
    }
}

fn number_text(n: &serde_json::Number) -> String {
    match (n.as_u64(), n.as_i64(), n.as_f64()) {
        (Some(u), _, _) => u.to_string(),
        (_, Some(i), _) => i.to_string(),
        (_, _, Some(f)) => f.to_string(),
        _ => n.to_string(),
    }
}

/// Parses `text` as the kind of the default's leaf. Numbers must be finite; an unset option (`null`)
/// takes `none`, a number, a boolean or a word (the struct's deserialisation then decides).
fn read_value(kind: &Value, text: &str) -> Option<Value> {
    let number = |t: &str| -> Option<Value> {
        if let Ok(u) = t.parse::<u64>() {
            return Some(Value::from(u));
        }
        if let Ok(i) = t.parse::<i64>() {
            return Some(Value::from(i));
        }
        t.parse::<f64>().ok().filter(|f| f.is_finite()).and_then(serde_json::Number::from_f64).map(Value::Number)
    };
    let word = |t: &str| t.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) && !t.is_empty();
    if text == "none" && !matches!(kind, Value::String(_)) {
        return Some(Value::Null);
    }
    match kind {
        Value::Bool(_) => text.parse::<bool>().ok().map(Value::Bool),
        Value::Number(_) => number(text),
        Value::String(_) => word(text).then(|| Value::String(text.to_owned())),
        Value::Array(items) => {
            if text.is_empty() {
                return Some(Value::Array(vec![]));
            }
            let as_words = items.first().is_some_and(Value::is_string);
            text.split(',')
                .map(|t| if as_words { word(t).then(|| Value::String(t.to_owned())) } else { number(t).or_else(|| (items.is_empty() && word(t)).then(|| Value::String(t.to_owned()))) })
                .collect::<Option<Vec<_>>>()
                .map(Value::Array)
        }
        Value::Null => match text {
            "none" => Some(Value::Null),
            "true" | "false" => text.parse::<bool>().ok().map(Value::Bool),
            t => number(t).or_else(|| word(t).then(|| Value::String(t.to_owned()))),
        },
        Value::Object(_) => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Inner {
        n: usize,
        rate: f64,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Params {
        alpha: f64,
        steps: usize,
        on: bool,
        method: crate::train::NoiseKind,
        hidden: Vec<usize>,
        words: Vec<crate::train::Feature>,
        inner: Inner,
        density: Option<f64>,
    }

    fn base() -> Params {
        Params {
            alpha: 0.5,
            steps: 100,
            on: false,
            method: crate::train::NoiseKind::Symmetric,
            hidden: vec![8, 8],
            words: vec![crate::train::Feature::X],
            inner: Inner { n: 10, rate: 1e-3 },
            density: None,
        }
    }

    fn ok(_: &Params) -> std::result::Result<(), String> {
        Ok(())
    }

    #[test]
    fn round_trips_every_kind_of_field_exactly() {
        let p = Params {
            alpha: 0.1 + 0.2,
            steps: 7,
            on: true,
            method: crate::train::NoiseKind::Asymmetric,
            hidden: vec![64, 32, 5],
            words: vec![crate::train::Feature::X2, crate::train::Feature::SinY],
            inner: Inner { n: 3, rate: -2.5e-17 },
            density: Some(0.25),
        };
        let link = encode(&p, &base(), Some("quadratic"));
        assert!(link.starts_with("v=1&tab=quadratic&"), "{link}");
        let d = decode(&link, &base(), ok);
        assert_eq!((d.value, d.tab.as_deref(), d.run, d.notices), (p, Some("quadratic"), false, vec![]));
        assert!(decode("v=1&run=1", &base(), ok).run);
        // Only what differs is written.
        assert_eq!(encode(&base(), &base(), None), "v=1");
    }

    #[test]
    fn garbage_is_ignored_or_defaulted_with_notices() {
        let d = decode("v=1&alpha=abc&steps=-3&on=maybe&method=<script>&hidden=1,x&unknown=1&%ZZ=1&inner.n=NaN&alpha=inf", &base(), ok);
        assert_eq!(d.value, base(), "nothing garbage got through");
        assert_eq!(d.notices.len(), 9, "{:#?}", d.notices);
        assert!(d.notices.iter().any(|n| n.contains("unknown parameter `unknown`")));
        // A value of the right type that the lab refuses is also replaced by the default.
        let d = decode("alpha=-1&steps=5", &base(), |p: &Params| if p.alpha > 0.0 { Ok(()) } else { Err("α must be positive") });
        assert_eq!((d.value.alpha, d.value.steps), (0.5, 5));
        assert!(d.notices[0].contains("α must be positive"), "{:?}", d.notices);
        // Another version: read as far as it matches, said.
        let d = decode("v=9&steps=5", &base(), ok);
        assert_eq!(d.value.steps, 5);
        assert_eq!(d.notices.len(), 1);
        // Overlong links are cut.
        let long = format!("steps=5&{}", "x".repeat(10_000));
        assert!(decode(&long, &base(), ok).notices.iter().any(|n| n.contains("longer than")));
    }

    /// 20,000 random links over an alphabet of the codec's own delimiters, escapes, digits, words and
    /// multi-byte characters: decoding never panics and always yields a set the lab accepts.
    #[test]
    fn random_links_never_panic_and_always_decode_to_valid_parameters() {
        let mut rng = crate::rng::SplitMix64::new(11);
        let atoms = ["&", "=", "%", "%2", "%ZZ", "%41", ".", ",", "-", "1", "0.5", "1e400", "NaN", "none", "true", "alpha", "steps", "hidden", "inner", "inner.n", "inner.rate", "density", "method", "asymmetric", "words", "x2", "v", "tab", "run", "é", "∞", "\u{0}", "+", " "];
        let valid = |p: &Params| if p.alpha > 0.0 && p.steps < 1000 { Ok(()) } else { Err("out of range") };
        for _ in 0..20_000 {
            let len = (rng.next_u64() % 24) as usize;
            let q: String = (0..len).map(|_| atoms[(rng.next_u64() % atoms.len() as u64) as usize]).collect();
            let d = decode(&q, &base(), valid);
            assert!(valid(&d.value).is_ok(), "{q:?} gave {:?}", d.value);
            let again = decode(&encode(&d.value, &base(), d.tab.as_deref()), &base(), valid);
            assert_eq!(again.value, d.value, "{q:?}: what a link decodes to re-encodes to itself");
        }
    }

    #[test]
    fn options_take_none_or_a_value() {
        let d = decode("density=0.5", &base(), ok);
        assert_eq!(d.value.density, Some(0.5));
        let set = Params { density: Some(0.5), ..base() };
        let d = decode("density=none", &set, ok);
        assert_eq!(d.value.density, None);
        assert!(decode("density=word", &base(), ok).notices.len() == 1);
    }

    #[test]
    fn every_lab_parameter_set_round_trips() {
        fn check<T: Serialize + DeserializeOwned + Clone + PartialEq + std::fmt::Debug>(changed: T, default: T) {
            let link = encode(&changed, &default, None);
            let d = decode(&link, &default, |_: &T| Ok::<(), String>(()));
            assert_eq!(d.notices, Vec::<String>::new(), "{link}");
            assert_eq!(d.value, changed, "{link}");
        }
        use crate::gen::*;
        check(student_teacher::Config { alpha: 2.5, snr: 0.3, ..Default::default() }, student_teacher::Config::default());
        check(double_descent::Config { n: 33, noise_var: 1.5, ..Default::default() }, double_descent::Config::default());
        check(noisy_labels::Config { noise_kind: crate::train::NoiseKind::Asymmetric, forward: noisy_labels::Forward::Given, elr: crate::train::elr::Elr { beta: 0.5, lambda: 1.0 }, ..Default::default() }, noisy_labels::Config::default());
        check(pskd::Config { alpha_t: 0.3, ..Default::default() }, pskd::Config::default());
        check(continual::Config { lambdas: vec![0.0, 5.5], hidden: vec![4], lora_rank: 0, input_scale: 1.0, seeds: 3, ..Default::default() }, continual::Config::default());
        check(epoch_wise::Config { label_noise: 0.1, hidden: vec![16, 8], activation: crate::train::Activation::Tanh, control: false, ..Default::default() }, epoch_wise::Config::default());
        check(quadratic::Config { alphas: vec![0.1, 0.7], kappa: 1.5, ..Default::default() }, quadratic::Config::default());
        let data = crate::train::DatasetSpec { kind: crate::train::DatasetKind::Digits, features: vec![crate::train::Feature::Xy], label_noise: 0.1, ..Default::default() };
        check(data, crate::train::DatasetSpec::default());
        let train = crate::train::TrainConfig { hidden: vec![3, 2, 1], elr: Some(crate::train::elr::Elr::default()), layer_activations: vec![crate::train::Activation::Relu], ..Default::default() };
        check(train, crate::train::TrainConfig::default());
    }
}
