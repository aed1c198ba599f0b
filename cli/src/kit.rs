//! The lab kit on the command line: a lab's clap command built from its [`Def`] (one flag per field, with
//! its help, its default and, for a choice, its words), and the parameters read back from what the
//! command line gave — through the same text codec as links, so the page's "Run it headless" line parses
//! to the page's parameters. The output flags every lab command shares live here too.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};
use indicatif::{ProgressBar, ProgressStyle};
use regula_core::lab::{self, Def, Kind, Lab};
use regula_core::Error;

/// A flag's name for clap (flags are fixed and few: leaked once each).
fn leak(s: impl Into<String>) -> &'static str {
    Box::leak(s.into().into_boxed_str())
}

/// The command `name` of a lab: every field of its [`Def`] as `--flag VALUE` (a switch takes an optional
/// `true`/`false`), with `--json`; `outputs` adds `--png` (and `--trace` when `trace`).
pub fn command(def: &'static Def, name: &'static str, trace: bool) -> Command {
    let defaults = regula_core::lab::catalog::find(&def.name()).map(|l| l.defaults()).unwrap_or_default();
    let mut c = Command::new(name).about(def.title);
    for f in def.fields {
        let flag = leak(f.flag());
        let default = lab::value::get(&defaults, f.path).map(|v| lab::value::write(f, v));
        let mut a = Arg::new(flag).long(flag).help(f.help).action(ArgAction::Set);
        a = match f.kind {
            Kind::Bool | Kind::Group(_) => {
                a.num_args(0..=1).default_missing_value("true").value_name("true|false").value_parser(["true", "false"])
            }
            Kind::Choice(words) => {
                a.value_name("WORD").value_parser(clap::builder::PossibleValuesParser::new(words.iter().copied()))
            }
            Kind::Int { .. } => a.value_name("N"),
            Kind::Real { .. } => a.value_name("X"),
            Kind::Ints { .. } | Kind::Reals { .. } => a.value_name("LIST"),
            Kind::Words { words, .. } => a.value_name("WORDS").help(leak(format!("{} ({})", f.help, words.join(", ")))),
        };
        if let Some(d) = default.filter(|d| !d.is_empty()) {
            a = a.default_value(leak(d));
        }
        if f.optional {
            a = a.value_name("X|none");
        }
        c = c.arg(a);
    }
    if !def.presets.is_empty() {
        let list: Vec<String> = def.presets.iter().map(|p| format!("{} ({})", p.name, p.title)).collect();
        c = c.arg(
            Arg::new("preset")
                .long("preset")
                .value_name("NAME")
                .value_parser(clap::builder::PossibleValuesParser::new(def.presets.iter().map(|p| p.name)))
                .help(leak(format!(
                    "Start from a paper's figure (the page's preset), then apply the other flags: {}.",
                    list.join("; ")
                ))),
        );
    }
    c = c.arg(switch("json", "Make the last line of stdout one JSON object with the results."));
    c = c.arg(
        Arg::new("png")
            .long("png")
            .value_name("FILE")
            .value_parser(clap::value_parser!(PathBuf))
            .help("Draw the page's charts (its drawing, 600 × 320): the main one into FILE, the others beside it as FILE-<chart>.png."),
    );
    if trace {
        c = c.arg(
            Arg::new("trace")
                .long("trace")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Write the run's rows as CSV."),
        );
    }
    c
}

/// The lab's parameters: its defaults — or the preset's parameters with `--preset` — with the fields the
/// command line set.
pub fn params<L: Lab>(m: &ArgMatches) -> Result<L, Error> {
    params_with(m, Vec::new())
}

/// [`params`] with `extra` flags after the command line's (what a command derives, a file's n and d).
pub fn params_with<L: Lab>(m: &ArgMatches, extra: Vec<(String, Option<String>)>) -> Result<L, Error> {
    let mut flags = given(L::DEF, m);
    flags.extend(extra);
    let preset = m.try_get_one::<String>("preset").ok().flatten().and_then(|name| L::DEF.preset(name));
    match preset {
        Some(p) => {
            let decoded = lab::link::decode::<L>(p.query);
            if let Some(notice) = decoded.notices.first() {
                return Err(Error::Invalid { name: "preset", message: format!("{}: {notice}", p.name) });
            }
            lab::args::parse_over::<L>(&decoded.value, &flags)
        }
        None => lab::args::parse::<L>(&flags),
    }
}

/// The fields the command line set, as (flag, value) pairs.
pub fn given(def: &Def, m: &ArgMatches) -> Vec<(String, Option<String>)> {
    def.fields
        .iter()
        .filter_map(|f| {
            let flag = f.flag();
            (m.value_source(&flag) == Some(ValueSource::CommandLine)).then(|| {
                let v = m.get_one::<String>(&flag).cloned();
                (flag.into_owned(), v)
            })
        })
        .collect()
}

/// The output flags of a lab command.
pub struct Out {
    pub json: bool,
    pub png: Option<PathBuf>,
    pub trace: Option<PathBuf>,
}

impl Out {
    pub fn of(m: &ArgMatches) -> Self {
        let path = |id: &str| m.try_get_one::<PathBuf>(id).ok().flatten().cloned();
        Self { json: on(m, "json"), png: path("png"), trace: path("trace") }
    }
}

/// A progress bar on stderr for `total` iterations (hidden when stderr is not a terminal).
pub fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_prefix(what.to_owned());
    bar
}

/// A switch that is off unless given: `--name`, or `--name true|false` (what a run file's `name = false`
/// becomes).
pub fn switch(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .num_args(0..=1)
        .default_missing_value("true")
        .default_value("false")
        .value_parser(clap::value_parser!(bool))
        .help(help)
}

/// Whether a [`switch`] is on.
pub fn on(m: &ArgMatches, name: &str) -> bool {
    m.try_get_one::<bool>(name).ok().flatten().copied().unwrap_or(false)
}
