//! A lab's parameters on the command line: the headless line the page shows (`regula ot --n 200 …`) and
//! the reading of flags back into parameters, which the CLI does after clap has split them (clap's
//! arguments are built from the same [`super::Def`], in `cli/src/kit.rs`).

use serde_json::Value;

use super::value::{self, shell_word};
use super::{validate, Def, Kind, Lab};
use crate::error::{Error, Result};

/// `regula <command> --flag value …` with every field written (so the line stays right if a default
/// changes), then `extra` (a run's files: `--data 'my file.csv'`) and `--json`. A switch is `--flag` when
/// on and `--flag false` when off; an optional group that is off is written `--group false`, without its
/// fields.
pub fn line<L: Lab>(params: &L, extra: &[(&str, String)]) -> String {
    line_form(L::DEF, &serde_json::to_value(params).unwrap_or(Value::Null), extra)
}

/// [`line`] on the serde form (untyped: one copy for every lab).
fn line_form(def: &Def, form: &Value, extra: &[(&str, String)]) -> String {
    let mut s = format!("regula {}", def.command);
    for f in def.fields {
        let Some(v) = value::get(form, f.path) else { continue }; // inside a group that is off
        s.push_str(" --");
        s.push_str(&f.flag());
        let text = value::write(f, v);
        match f.kind {
            Kind::Bool | Kind::Group(_) if text == "true" => {}
            _ => {
                s.push(' ');
                s.push_str(&shell_word(&text));
            }
        }
    }
    for (flag, v) in extra {
        s.push_str(&format!(" --{flag} {}", shell_word(v)));
    }
    s.push_str(" --json");
    s
}

/// The lab's parameters from `(flag, value)` pairs (flags without dashes; a switch given alone has no
/// value), applied over the defaults in order, groups before their fields; then validated as a whole.
pub fn parse<L: Lab>(given: &[(String, Option<String>)]) -> Result<L> {
    parse_over(&L::default(), given)
}

/// [`parse`] over `base` instead of the defaults (a preset's parameters, which the flags then change).
pub fn parse_over<L: Lab>(base: &L, given: &[(String, Option<String>)]) -> Result<L> {
    let mut form =
        serde_json::to_value(base).map_err(|e| Error::Invalid { name: "parameters", message: e.to_string() })?;
    apply_flags(L::DEF, &mut form, given)?;
    let params: L =
        serde_json::from_value(form).map_err(|e| Error::Invalid { name: "parameters", message: e.to_string() })?;
    validate::<L>(&params)?;
    Ok(params)
}

/// The flags set into the serde form, groups before their fields (untyped: one copy for every lab).
fn apply_flags(def: &Def, form: &mut Value, given: &[(String, Option<String>)]) -> Result<()> {
    let mut ordered: Vec<_> = given.iter().collect();
    // A group's own switch before the fields inside it (their paths are longer).
    ordered.sort_by_key(|(flag, _)| def.by_flag(flag).map_or(0, |f| f.path.matches('.').count()));
    for (flag, text) in ordered {
        let f = def.by_flag(flag).ok_or_else(|| Error::Invalid {
            name: "flag",
            message: format!("`--{}` is not a flag of `regula {}`", value::shorten(flag), def.command),
        })?;
        super::set_in(def, form, f, text.as_deref().unwrap_or(""))?;
    }
    Ok(())
}

/// The words of a headless line as a POSIX shell splits them (single quotes only: the line quotes with
/// nothing else).
pub fn split_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted, mut started) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// `(flag, value)` pairs from command-line words after the command (`--n 5 --elr --eps 0.1`), for tests
/// and the JavaScript API's lines; a flag followed by another flag (or nothing) is a switch.
pub fn pairs(words: &[String]) -> Result<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let flag = words[i].strip_prefix("--").ok_or_else(|| Error::Invalid {
            name: "flag",
            message: format!("`{}` is not a flag", value::shorten(&words[i])),
        })?;
        match words.get(i + 1).filter(|w| !w.starts_with("--")) {
            Some(v) => {
                out.push((flag.to_owned(), Some(v.clone())));
                i += 2;
            }
            None => {
                out.push((flag.to_owned(), None));
                i += 1;
            }
        }
    }
    Ok(out)
}
