//! The properties the fuzz targets (`fuzz/`, cargo fuzz) check, shared with `core/tests/fuzz_corpus.rs`,
//! which replays the kept corpus and every input a fuzzer ever found in `cargo test`. Each check panics
//! when a property fails; a typed error is always an accepted answer.

/// The link codec over every lab's parameters (`regula_core::lab::link`): any text decodes (never a
/// panic) to parameters the lab accepts; what it decodes to re-encodes to a link that decodes to the same
/// value with no notice.
pub fn urlstate(data: &[u8]) {
    let q = String::from_utf8_lossy(data);
    for lab in regula_core::lab::catalog::ALL {
        let (value, notices) = lab.decode(&q);
        for n in &notices {
            // A notice quotes at most 40 characters of the link per value, with no control characters.
            assert!(!n.chars().any(char::is_control) && n.chars().count() < 600, "notice {n:?}");
        }
        assert!(lab.parse_json(&value).is_ok(), "{}: {q:?} decoded to parameters the lab refuses", lab.def().name());
        let again = lab.encode(&value).expect("a decoded value encodes");
        let (back, notices) = lab.decode(&again);
        assert!(notices.is_empty(), "{again}: {notices:?}");
        assert_eq!(back, value, "{again}");
    }
}

/// The CSV and NumPy readers: a typed error, or data that is finite and of the stated shape.
pub fn readers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(p) = regula_core::ot::csv::parse_points("points.csv", &text) {
        assert!(p.dim >= 1 && p.coords.len() == p.dim * p.len() && !p.is_empty());
        assert!(p.coords.iter().all(|v| v.is_finite()));
        assert!(p.weights.iter().all(|w| w.is_finite() && *w >= 0.0));
        assert!((p.weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
    if let Ok(m) = regula_core::sketch::data::parse_csv("a.csv", &text) {
        assert_eq!(m.data.len(), m.rows * m.cols);
        assert!(m.data.iter().all(|v| v.is_finite()));
    }
    if let Ok(m) = regula_core::sketch::data::parse_npy("a.npy", data) {
        assert_eq!(m.data.len(), m.rows * m.cols);
        assert!(m.data.iter().all(|v| v.is_finite()));
    }
    for classify in [false, true] {
        if let Ok(d) = regula_core::train::data::from_csv("data.csv", &text, classify, 0.8, 1) {
            assert_eq!(d.x.len(), d.inputs * d.rows());
            assert!(d.x.iter().all(|v| v.is_finite()));
            assert!(d.train.iter().chain(&d.test).all(|&r| r < d.rows()));
            assert!(d.class.iter().all(|&c| c < d.classes.max(1)));
        }
    }
}

/// The run-file reader: a typed error, or flags (a file cannot name another), spliced before the command
/// line's own.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(flags) = regula_core::config::flags("run.toml", &text) {
        if let Some(first) = flags.first() {
            assert!(first.starts_with("--") && first != "--config", "{flags:?}");
        }
    }
    let args: Vec<String> = ["ot", "--config", "run.toml", "--n", "3"].map(String::from).to_vec();
    if let Ok(expanded) = regula_core::config::expand(&args, |_| Ok(text.to_string())) {
        assert_eq!(expanded[0], "ot");
        assert!(expanded.ends_with(&["--n".to_owned(), "3".to_owned()]));
    }
}
