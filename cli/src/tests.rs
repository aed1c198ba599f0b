//! The lab kit's promise on the command line: for every lab, random parameters written as the page's
//! "Run it headless" line parse back through this CLI's clap commands to the same parameters, and their
//! link round-trips through the codec — so a field cannot be forgotten by one front end.

use regula_core::lab::catalog::{AnyLab, ALL};
use regula_core::lab::{args, Field, Kind};
use regula_core::rng::SplitMix64;
use serde_json::Value;

/// A random value of `f`'s kind as text (what a link or the command line carries).
fn random_text(f: &Field, rng: &mut SplitMix64) -> String {
    let pick = |rng: &mut SplitMix64, n: usize| (rng.next_u64() % n as u64) as usize;
    let int = |rng: &mut SplitMix64, min: u64, max: u64| -> u64 {
        // Mostly small values (most labs' costs grow with their sizes), sometimes the bounds.
        let hi = max.min(min.saturating_add(64));
        match pick(rng, 8) {
            0 => min,
            1 => max.min(min.saturating_add(1)),
            _ => min + rng.next_u64() % (hi - min + 1),
        }
    };
    let real = |rng: &mut SplitMix64, min: f64, max: f64| -> f64 {
        let u = rng.uniform();
        match pick(rng, 6) {
            0 => min,
            1 => max.min(1.0).max(min),
            _ if min > 0.0 => (min.ln() + u * (max.min(1e3).ln() - min.ln())).exp(),
            _ => min + u * (max.min(1.0) - min) + 1e-3 * rng.uniform(),
        }
    };
    if f.optional && pick(rng, 3) == 0 {
        return "none".into();
    }
    let list = |rng: &mut SplitMix64, one: &dyn Fn(&mut SplitMix64) -> String| {
        (0..1 + pick(rng, 3)).map(|_| one(rng)).collect::<Vec<_>>().join(",")
    };
    match f.kind {
        Kind::Int { min, max } => int(rng, min, max).to_string(),
        Kind::Real { min, max, .. } => real(rng, min, max).to_string(),
        Kind::Bool | Kind::Group(_) => ["true", "false"][pick(rng, 2)].into(),
        Kind::Choice(words) => words[pick(rng, words.len())].into(),
        Kind::Ints { min, max, .. } => list(rng, &|r| int(r, min, max.min(64)).to_string()),
        Kind::Reals { min, max } => list(rng, &|r| real(r, min, max).to_string()),
        Kind::Words { words, empty, distinct } => {
            let mut chosen: Vec<&str> = Vec::new();
            for _ in 0..pick(rng, words.len() + 1) + usize::from(!empty) {
                let w = words[pick(rng, words.len())];
                if !(distinct && chosen.contains(&w)) {
                    chosen.push(w);
                }
            }
            chosen.join(",")
        }
    }
}

/// Random parameter sets the lab accepts: each field set with probability ½.
fn samples(lab: &dyn AnyLab, rng: &mut SplitMix64, wanted: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for _ in 0..wanted * 40 {
        let mut given: Vec<(String, Option<String>)> = Vec::new();
        for f in lab.def().fields {
            if rng.next_u64().is_multiple_of(2) {
                given.push((f.flag().into_owned(), Some(random_text(f, rng))));
            }
        }
        if let Ok(p) = lab.parse_args(&given) {
            out.push(p);
            if out.len() == wanted {
                break;
            }
        }
    }
    out
}

#[test]
fn every_labs_headless_line_parses_back_to_its_parameters_and_its_link_round_trips() {
    let mut rng = SplitMix64::new(23);
    for lab in ALL {
        let def = lab.def();
        let sets = samples(*lab, &mut rng, 12);
        assert!(sets.len() >= 6, "{}: only {} random parameter sets were valid", def.name(), sets.len());
        for p in std::iter::once(lab.defaults()).chain(sets) {
            let line = lab.line(&p).unwrap();
            let words = args::split_words(&line);
            assert_eq!(words[0], "regula");
            let matches = crate::cli().try_get_matches_from(&words).unwrap_or_else(|e| panic!("{line}\n{e}"));
            let mut leaf = &matches;
            while let Some((_, sub)) = leaf.subcommand() {
                leaf = sub;
            }
            let back = lab.parse_args(&crate::kit::given(def, leaf)).unwrap_or_else(|e| panic!("{line}\n{e}"));
            assert_eq!(back, p, "{}: {line}", def.name());
            let link = lab.encode(&p).unwrap();
            let (decoded, notices) = lab.decode(&link);
            assert_eq!(notices, Vec::<String>::new(), "{}: {link}", def.name());
            assert_eq!(decoded, p, "{}: {link}", def.name());
        }
    }
}

/// A field added to a lab's parameters but not to its definition (or the other way round) fails here:
/// every leaf of every lab's serde form is a field, and every field is a leaf or an optional group.
#[test]
fn every_labs_fields_cover_its_parameters_exactly() {
    for lab in ALL {
        let def = lab.def();
        let mut leaves = serde_json::Map::new();
        regula_core::lab::value::flatten("", &lab.defaults(), &mut leaves);
        for path in leaves.keys() {
            assert!(def.field(path).is_some(), "{}: `{path}` has no field in its definition", def.name());
        }
        let mut flags = std::collections::BTreeSet::new();
        for f in def.fields {
            assert!(flags.insert(f.flag()), "{}: two fields take `--{}`", def.name(), f.flag());
            let inside_group = def
                .fields
                .iter()
                .any(|g| matches!(g.kind, Kind::Group(_)) && f.path.starts_with(&format!("{}.", g.path)));
            assert!(
                leaves.contains_key(f.path) || inside_group,
                "{}: field `{}` is not in its parameters",
                def.name(),
                f.path
            );
        }
    }
}

/// `--preset NAME` is the page's preset (the same definition, decoded by the link codec), and the other
/// flags change it; a name that is not a preset is refused with the list.
#[test]
fn a_preset_on_the_command_line_is_the_pages_preset_with_the_flags_applied() {
    use regula_core::lab::Lab;
    use regula_core::ot::lab::Params;
    let m = crate::cli().try_get_matches_from(["regula", "ot", "--preset", "sns-digits-w2", "--n", "64"]).unwrap();
    let p: Params = crate::kit::params(m.subcommand().unwrap().1).unwrap();
    let preset = Params::DEF.preset("sns-digits-w2").unwrap();
    let mut want = regula_core::lab::link::decode::<Params>(preset.query).value;
    assert_ne!(want, Params::default(), "the preset changes something");
    want.problem.n = 64;
    assert_eq!(p, want);
    let err = crate::cli().try_get_matches_from(["regula", "ot", "--preset", "nope"]).unwrap_err().to_string();
    assert!(err.contains("sns-random") && err.contains("moons-compare"), "{err}");
    // Every lab with presets takes the flag; every preset parses to its decoded parameters.
    for lab in ALL {
        let def = lab.def();
        for preset in def.presets {
            let mut words = vec!["regula".to_owned()];
            words.extend(def.command.split(' ').map(str::to_owned));
            words.extend(["--preset".to_owned(), preset.name.to_owned()]);
            let m = crate::cli().try_get_matches_from(&words).unwrap_or_else(|e| panic!("{words:?}\n{e}"));
            let mut leaf = &m;
            while let Some((_, sub)) = leaf.subcommand() {
                leaf = sub;
            }
            assert_eq!(leaf.get_one::<String>("preset").map(String::as_str), Some(preset.name));
            let (decoded, notices) = lab.decode(preset.query);
            assert!(notices.is_empty(), "{}: {notices:?}", preset.name);
            assert!(lab.parse_json(&decoded).is_ok(), "{}: valid", preset.name);
        }
    }
}
