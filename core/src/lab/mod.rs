//! The lab kit: every experiment is declared once, and its page panel, link, CLI flags, "Run it headless"
//! line and JavaScript entry are derived from that declaration.
//!
//! A lab (an experiment: a page, or one tab of a page) is a [`Lab`]: a serde parameter struct with
//! defaults, a [`Def`] listing its fields — each with its label, help text, unit, range and the words it
//! may take — and its own cross-field validation. From the [`Def`]:
//! - the link codec ([`link`]) writes and reads the fields by their serde paths (`problem.n`), with the
//!   renames of older link versions applied first;
//! - the CLI ([`args`]) takes each field as `--flag VALUE`, the flag being the path's last part with `_`
//!   written `-` (`solver.max_iter` → `--max-iter`); values are written as in a link (numbers in Rust's
//!   shortest round-trip form, lists comma-separated, `none` for an unset option);
//! - the headless line ([`line`]) writes every field, so it reproduces the run whatever the CLI's defaults;
//! - the page's panel renders each field by its [`Kind`] (`app/src/kit.rs`), and "What each knob does"
//!   lists the labels and help texts;
//! - [`catalog`] lists every lab, so a test can check all of them and the JavaScript API can start any.
//!
//! Where a run goes (CPU or GPU) is decided in core, once per lab (`ot::run`, `train::run`, …), and both
//! front ends call that decision.

pub mod args;
pub mod catalog;
#[cfg(target_arch = "wasm32")]
pub mod js;
pub mod link;
pub mod run;
pub mod sweep;
pub mod value;

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// What values a field takes, and how a panel shows it.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A whole number in `min..=max`.
    Int { min: u64, max: u64 },
    /// A finite number in `min..=max`; `log`: the panel offers a slider on a log scale.
    Real { min: f64, max: f64, log: bool },
    /// On or off (the CLI takes `--flag`, `--flag true` or `--flag false`).
    Bool,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// A comma-separated list of whole numbers in `min..=max`; `empty`: the list may be empty.
    Ints { min: u64, max: u64, empty: bool },
    /// A comma-separated list of finite numbers in `min..=max`, at least one.
    Reals { min: f64, max: f64 },
    /// A comma-separated list of words from these; `empty`: the list may be empty; `distinct`: each word
    /// at most once (a set of choices rather than one word per item).
    Words { words: &'static [&'static str], empty: bool, distinct: bool },
    /// An optional group of fields (an `Option` of a struct): off, or on with the group's defaults, which
    /// the fields under its path then change. The function gives the group's default serde form.
    Group(fn() -> Value),
}

/// One parameter of a lab.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The serde path in the lab's parameter struct (`solver.eps`): the link's key.
    pub path: &'static str,
    /// The CLI flag when it is not the path's last part (`problem.kind` → `problem`).
    flag: Option<&'static str>,
    /// The panel's label.
    pub label: &'static str,
    /// What the knob does, in a sentence (panel tooltip, "What each knob does", `--help`).
    pub help: &'static str,
    /// The unit, or "".
    pub unit: &'static str,
    pub kind: Kind,
    /// The value may be unset (`none` in a link or on the command line; empty in the panel).
    pub optional: bool,
}

/// A field at `path` with its label and help; a whole number from 0 until a kind is given.
pub const fn field(path: &'static str, label: &'static str, help: &'static str) -> Field {
    Field { path, flag: None, label, help, unit: "", kind: Kind::Int { min: 0, max: u64::MAX }, optional: false }
}

impl Field {
    pub const fn int(self, min: u64, max: u64) -> Self {
        Self { kind: Kind::Int { min, max }, ..self }
    }
    pub const fn real(self, min: f64, max: f64) -> Self {
        Self { kind: Kind::Real { min, max, log: false }, ..self }
    }
    /// A number shown on a log-scale slider over `min..=max` (both > 0).
    pub const fn log(self, min: f64, max: f64) -> Self {
        Self { kind: Kind::Real { min, max, log: true }, ..self }
    }
    pub const fn bool(self) -> Self {
        Self { kind: Kind::Bool, ..self }
    }
    pub const fn choice(self, words: &'static [&'static str]) -> Self {
        Self { kind: Kind::Choice(words), ..self }
    }
    /// A list of whole numbers, at least one.
    pub const fn ints(self, min: u64, max: u64) -> Self {
        Self { kind: Kind::Ints { min, max, empty: false }, ..self }
    }
    /// A list of whole numbers that may be empty (no hidden layer: a linear model).
    pub const fn ints_or_none(self, min: u64, max: u64) -> Self {
        Self { kind: Kind::Ints { min, max, empty: true }, ..self }
    }
    pub const fn reals(self, min: f64, max: f64) -> Self {
        Self { kind: Kind::Reals { min, max }, ..self }
    }
    /// A set of words (each at most once; `empty`: none is allowed).
    pub const fn set_of(self, words: &'static [&'static str], empty: bool) -> Self {
        Self { kind: Kind::Words { words, empty, distinct: true }, ..self }
    }
    /// A list of words, one per item (repeats allowed; `empty`: the list may be empty).
    pub const fn words(self, words: &'static [&'static str], empty: bool) -> Self {
        Self { kind: Kind::Words { words, empty, distinct: false }, ..self }
    }
    pub const fn group(self, default: fn() -> Value) -> Self {
        Self { kind: Kind::Group(default), ..self }
    }
    pub const fn unit(self, unit: &'static str) -> Self {
        Self { unit, ..self }
    }
    pub const fn optional(self) -> Self {
        Self { optional: true, ..self }
    }
    /// A CLI flag other than the path's last part (for a path whose last part says too little, such as
    /// `problem.kind` → `--problem`).
    pub const fn flag_name(self, flag: &'static str) -> Self {
        Self { flag: Some(flag), ..self }
    }

    /// The CLI flag without its dashes, also the panel's element id.
    pub fn flag(&self) -> Cow<'static, str> {
        match self.flag {
            Some(f) => Cow::Borrowed(f),
            None => {
                let last = self.path.rsplit('.').next().unwrap_or(self.path);
                if last.contains('_') {
                    Cow::Owned(last.replace('_', "-"))
                } else {
                    Cow::Borrowed(last)
                }
            }
        }
    }

    /// The label with its unit, as the panel shows it.
    pub fn caption(&self) -> String {
        if self.unit.is_empty() {
            self.label.to_owned()
        } else {
            format!("{} ({})", self.label, self.unit)
        }
    }
}

/// A lab's declaration: where it lives in the page and the CLI, and its fields.
#[derive(Debug)]
pub struct Def {
    /// The page's slug in links (`#/ot`).
    pub page: &'static str,
    /// The tab of a page with several (`#/generalization?tab=pskd`), else `None`.
    pub tab: Option<&'static str>,
    /// The CLI command after `regula` (`ot`, `generalization pskd`).
    pub command: &'static str,
    /// One line: what the lab shows (the CLI's `--help`, the page's tab).
    pub title: &'static str,
    pub fields: &'static [Field],
    /// Link keys renamed since an older link version: (version the old key was last written in, old key,
    /// new key). Decoding a link of that version or older reads the old key as the new one.
    pub renamed: &'static [(u32, &'static str, &'static str)],
    /// The papers' figures as parameter sets: the page's preset buttons and the CLI's `--preset NAME`.
    pub presets: &'static [Preset],
}

/// A paper's figure (or our own check) as parameters over the lab's defaults.
#[derive(Debug)]
pub struct Preset {
    /// The CLI's word for it (`regula ot --preset sns-digits-w2`).
    pub name: &'static str,
    /// The button's words.
    pub title: &'static str,
    /// The paper and figure (or table) it reproduces, and what we measured.
    pub source: &'static str,
    /// The parameters, as a link's `key=value&…` over the defaults (no `v`, `tab` or `run`).
    pub query: &'static str,
}

impl Def {
    pub fn field(&self, path: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.path == path)
    }

    pub fn by_flag(&self, flag: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.flag() == flag)
    }

    /// The preset called `name`.
    pub fn preset(&self, name: &str) -> Option<&'static Preset> {
        self.presets.iter().find(|p| p.name == name)
    }

    /// A preset's link part on the page: its parameters, after the tab when the page has several.
    pub fn preset_query(&self, preset: &Preset) -> String {
        match self.tab {
            Some(t) if preset.query.is_empty() => format!("tab={t}"),
            Some(t) => format!("tab={t}&{}", preset.query),
            None => preset.query.to_owned(),
        }
    }

    /// A stable name: the page, and the tab after a `/` (`generalization/pskd`).
    pub fn name(&self) -> String {
        match self.tab {
            Some(t) => format!("{}/{t}", self.page),
            None => self.page.to_owned(),
        }
    }
}

/// An experiment's parameters, declared with the kit (see the module docs): the default is the page's
/// opening state and the CLI's defaults.
pub trait Lab: Serialize + DeserializeOwned + Clone + PartialEq + std::fmt::Debug + Default + 'static {
    const DEF: &'static Def;

    /// The lab's own checks across fields (the ranges in [`Def::fields`] are checked by [`validate`]).
    fn check(&self) -> Result<()>;
}

/// Every field within its declared range, then the lab's own checks.
pub fn validate<L: Lab>(params: &L) -> Result<()> {
    let form =
        serde_json::to_value(params).map_err(|e| Error::Invalid { name: "parameters", message: e.to_string() })?;
    check_ranges(L::DEF, &form)?;
    params.check()
}

/// Every field of `def` present in `form` within its declared range (the part of [`validate`] that needs no
/// types: one copy for every lab).
pub(crate) fn check_ranges(def: &Def, form: &Value) -> Result<()> {
    for f in def.fields {
        if let Some(v) = value::get(form, f.path) {
            value::check(f, v)?;
        }
    }
    Ok(())
}

/// `params` with `text` (as in a link, on the command line or in a panel's field) set at `field`, not yet
/// checked against its range ([`validate`] does that, for the whole set). A field inside an optional group
/// that is off turns the group on (with its defaults) first; a group's own field takes true/false.
pub fn set<L: Lab>(params: &L, field: &Field, text: &str) -> Result<L> {
    let mut form =
        serde_json::to_value(params).map_err(|e| Error::Invalid { name: "parameters", message: e.to_string() })?;
    set_in(L::DEF, &mut form, field, text)?;
    serde_json::from_value(form).map_err(|e| Error::Invalid { name: leak(field.flag()), message: e.to_string() })
}

/// [`set`] on the serde form of a lab declared by `def` (untyped: one copy for every lab).
pub(crate) fn set_in(def: &Def, form: &mut Value, field: &Field, text: &str) -> Result<()> {
    for g in def.fields {
        if let (Kind::Group(default), true) = (g.kind, field.path.starts_with(&format!("{}.", g.path))) {
            if value::get(form, g.path).is_none_or(Value::is_null) {
                value::set(form, g.path, default())?;
            }
        }
    }
    let parsed = match (field.kind, value::parse(field, text)?) {
        (Kind::Group(default), Value::Bool(true)) => match value::get(form, field.path) {
            Some(on @ Value::Object(_)) => on.clone(),
            _ => default(),
        },
        (Kind::Group(_), Value::Bool(false)) => Value::Null,
        (_, v) => v,
    };
    value::set(form, field.path, parsed)
}

/// The text of `field` in `params` (as a link or the command line writes it).
pub fn text<L: Lab>(params: &L, field: &Field) -> String {
    let form = serde_json::to_value(params).unwrap_or(Value::Null);
    value::get(&form, field.path).map(|v| value::write(field, v)).unwrap_or_else(|| "none".to_owned())
}

/// A flag's name as the `&'static str` typed errors carry (flags are few and fixed: leaking each once
/// per error is harmless).
pub(crate) fn leak(s: Cow<'static, str>) -> &'static str {
    match s {
        Cow::Borrowed(b) => b,
        Cow::Owned(o) => Box::leak(o.into_boxed_str()),
    }
}

#[cfg(test)]
mod tests;
