//! The kit's codec on a test lab with one field of every kind: links and command lines round-trip
//! exactly, garbage is refused with a notice (links) or a typed error (command lines), older links are
//! read through their renames, and random text never panics.

use serde::{Deserialize, Serialize};

use super::*;
use crate::train::{Feature, NoiseKind};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Inner {
    rate: f64,
    steps: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Params {
    alpha: f64,
    steps: usize,
    on: bool,
    method: NoiseKind,
    hidden: Vec<usize>,
    rates: Vec<f64>,
    features: Vec<Feature>,
    density: Option<f64>,
    extra: Option<Inner>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            alpha: 0.5,
            steps: 100,
            on: false,
            method: NoiseKind::Symmetric,
            hidden: vec![8, 8],
            rates: vec![1.0],
            features: vec![Feature::X],
            density: None,
            extra: None,
        }
    }
}

fn inner_default() -> Value {
    serde_json::to_value(Inner { rate: 0.25, steps: 3 }).unwrap()
}

const FIELDS: &[Field] = &[
    field("alpha", "α", "a rate").log(1e-3, 10.0),
    field("steps", "steps", "how many").int(1, 999),
    field("on", "on", "a switch").bool(),
    field("method", "method", "a choice").choice(NoiseKind::NAMES),
    field("hidden", "hidden", "widths").ints(1, 64),
    field("rates", "rates", "numbers").reals(0.0, 1e6),
    field("features", "features", "a set").set_of(Feature::NAMES, true),
    field("density", "density", "optional").real(1e-9, 1.0).optional(),
    field("extra", "extra", "a group").group(inner_default),
    field("extra.rate", "extra rate", "in the group").real(0.0, 1.0).flag_name("extra-rate"),
    field("extra.steps", "extra steps", "in the group").int(0, 10).flag_name("extra-steps"),
];

impl Lab for Params {
    const DEF: &'static Def = &Def {
        page: "test",
        tab: Some("kinds"),
        command: "test kinds",
        title: "every kind",
        fields: FIELDS,
        renamed: &[(1, "noise_kind", "method")],
        presets: &[],
    };

    fn check(&self) -> Result<()> {
        if self.steps > 500 && self.on {
            return Err(Error::Invalid { name: "steps", message: "at most 500 with on".into() });
        }
        Ok(())
    }
}

fn changed() -> Params {
    Params {
        alpha: 0.1 + 0.2,
        steps: 7,
        on: true,
        method: NoiseKind::Asymmetric,
        hidden: vec![64, 32, 5],
        rates: vec![-0.0 + 2.5e-17, 3.0],
        features: vec![Feature::X2, Feature::SinY],
        density: Some(0.25),
        extra: Some(Inner { rate: 0.125, steps: 9 }),
    }
}

#[test]
fn links_round_trip_every_kind_exactly_and_write_only_what_differs() {
    let p = changed();
    let l = link::encode(&p);
    assert!(l.starts_with("v=2&tab=kinds&alpha=0.30000000000000004&"), "{l}");
    let d = link::decode::<Params>(&l);
    assert_eq!((d.value, d.tab.as_deref(), d.run, d.notices), (p, Some("kinds"), false, vec![]));
    assert_eq!(link::encode(&Params::default()), "v=2&tab=kinds");
    assert!(link::decode::<Params>("v=2&run=1").run);
    // A group set off again.
    let d = link::decode::<Params>("extra=false&density=none");
    assert_eq!(d.value, Params::default());
}

#[test]
fn garbage_in_a_link_keeps_the_default_with_a_notice() {
    let d = link::decode::<Params>("v=2&alpha=abc&steps=-3&on=maybe&method=<script>&hidden=1,x&unknown=1&%ZZ=1&alpha=1e400&steps=0&alpha=11&features=x,x");
    assert_eq!(d.value, Params::default(), "nothing garbage got through");
    assert_eq!(d.notices.len(), 11, "{:#?}", d.notices);
    assert!(d.notices.iter().any(|n| n.contains("unknown parameter `unknown`")), "{:#?}", d.notices);
    // Fields valid one by one but not together: the lab's own check refuses the later one.
    let d = link::decode::<Params>("on=true&steps=600");
    assert_eq!((d.value.on, d.value.steps), (true, 100));
    assert!(d.notices[0].contains("at most 500 with on"), "{:?}", d.notices);
    // Another version: read as far as it matches, said.
    let d = link::decode::<Params>("v=9&steps=5");
    assert_eq!((d.value.steps, d.notices.len()), (5, 1));
    let long = format!("steps=5&{}", "x".repeat(10_000));
    assert!(link::decode::<Params>(&long).notices.iter().any(|n| n.contains("longer than")));
}

#[test]
fn older_links_are_read_through_their_renames() {
    let d = link::decode::<Params>("v=1&noise_kind=asymmetric");
    assert_eq!((d.value.method, d.notices.len()), (NoiseKind::Asymmetric, 0));
    // In the current version the old name is unknown.
    let d = link::decode::<Params>("v=2&noise_kind=asymmetric");
    assert_eq!((d.value.method, d.notices.len()), (NoiseKind::Symmetric, 1));
}

#[test]
fn a_field_inside_an_off_group_turns_the_group_on() {
    let d = link::decode::<Params>("extra.rate=0.5");
    assert_eq!(d.value.extra, Some(Inner { rate: 0.5, steps: 3 }), "{:?}", d.notices);
    let p = args::parse::<Params>(&[("extra-steps".into(), Some("4".into()))]).unwrap();
    assert_eq!(p.extra, Some(Inner { rate: 0.25, steps: 4 }));
    // The group's own switch applies first, whatever the order given.
    let p = args::parse::<Params>(&[("extra-steps".into(), Some("4".into())), ("extra".into(), None)]).unwrap();
    assert_eq!(p.extra, Some(Inner { rate: 0.25, steps: 4 }));
}

#[test]
fn command_lines_round_trip_and_refuse_garbage_with_typed_errors() {
    let p = changed();
    let line = args::line(&p, &[("data", "my file.csv".into())]);
    assert!(
        line.starts_with(
            "regula test kinds --alpha 0.30000000000000004 --steps 7 --on --method asymmetric --hidden 64,32,5 "
        ),
        "{line}"
    );
    assert!(line.ends_with("--extra --extra-rate 0.125 --extra-steps 9 --data 'my file.csv' --json"), "{line}");
    let words = args::split_words(&line);
    assert_eq!(words[words.len() - 2], "my file.csv");
    let given = args::pairs(&words[3..words.len() - 3]).unwrap();
    assert_eq!(args::parse::<Params>(&given).unwrap(), p);
    // Off switches and unset options are written too, so the line does not depend on the defaults.
    let line = args::line(&Params::default(), &[]);
    assert!(
        line.contains("--on false")
            && line.contains("--density none")
            && line.contains("--extra false")
            && !line.contains("--extra-rate"),
        "{line}"
    );
    for (flag, value) in [
        ("steps", "0"),
        ("steps", "x"),
        ("alpha", "NaN"),
        ("method", "sideways"),
        ("features", "x,x"),
        ("hidden", ""),
        ("nope", "1"),
    ] {
        let e = args::parse::<Params>(&[(flag.into(), Some(value.into()))]).unwrap_err();
        assert!(e.to_string().contains('`'), "{flag} {value}: {e}");
    }
}

/// 20,000 random links over an alphabet of the codec's own delimiters, escapes, digits, words and
/// multi-byte characters: decoding never panics and always yields a set the lab accepts, which
/// re-encodes to itself.
#[test]
fn random_links_never_panic_and_always_decode_to_valid_parameters() {
    let mut rng = crate::rng::SplitMix64::new(11);
    let atoms = [
        "&",
        "=",
        "%",
        "%2",
        "%ZZ",
        "%41",
        ".",
        ",",
        "-",
        "1",
        "0.5",
        "1e400",
        "NaN",
        "none",
        "true",
        "false",
        "alpha",
        "steps",
        "hidden",
        "on",
        "extra",
        "extra.rate",
        "extra.steps",
        "density",
        "method",
        "asymmetric",
        "features",
        "x2",
        "v",
        "tab",
        "run",
        "é",
        "∞",
        "\u{0}",
        "+",
        " ",
    ];
    for _ in 0..20_000 {
        let len = (rng.next_u64() % 24) as usize;
        let q: String = (0..len).map(|_| atoms[(rng.next_u64() % atoms.len() as u64) as usize]).collect();
        let d = link::decode::<Params>(&q);
        assert!(validate(&d.value).is_ok(), "{q:?} gave {:?}", d.value);
        let again = link::decode::<Params>(&link::encode(&d.value));
        assert_eq!(again.value, d.value, "{q:?}: what a link decodes to re-encodes to itself");
        assert!(again.notices.is_empty(), "{q:?}: {:?}", again.notices);
    }
}

/// The home page and the navigation come from the catalog: every lab's page is declared once, every page
/// has labs, and every page about papers has a headline preset for its card's button.
#[test]
fn every_page_is_declared_with_its_labs_and_a_headline() {
    use super::catalog::{ALL, PAGES};
    let slugs: std::collections::BTreeSet<_> = PAGES.iter().map(|p| p.slug).collect();
    assert_eq!(slugs.len(), PAGES.len(), "a page declared twice");
    for lab in ALL {
        assert!(slugs.contains(lab.def().page), "{}: its page is not in PAGES", lab.def().name());
    }
    for page in PAGES {
        assert!(page.labs().count() >= 1, "{}: no lab", page.slug);
        assert!(!page.question.is_empty() && page.question.ends_with(['?', '.']), "{}", page.slug);
        if !page.diagnostic {
            let (query, preset) = page.headline().unwrap_or_else(|| panic!("{}: no headline preset", page.slug));
            assert!(query.contains(preset.query), "{}: {query}", page.slug);
        }
    }
}
