//! The CLI's run files: `regula <command> --config FILE.toml` reads flags from a TOML file.
//!
//! Each top-level key is a long flag of the command, written as on the command line (`normalize-cost`;
//! `normalize_cost` is accepted too) and each value its argument: a string, integer or float as is; an
//! array of scalars joined by commas (`hidden = [8, 8]` → `--hidden 8,8`); `true` turns a switch on and
//! `false` is written `--flag false` (a switch that is on by default turns off). A flag given on the command line wins over the file's. Tables, dates, nested
//! arrays, a non-finite number, an empty key or one that is not a flag's name are typed errors that
//! name the line — nothing runs on a half-read file. The command itself is not in the file (it is the
//! command line's), so one file can serve `regula ot` and the page's "Run it headless" line alike.

use toml::Value;

use crate::error::{Error, Result};

/// The flags `text` (the contents of `file`) sets, as command-line tokens, sorted by key.
pub fn flags(file: &str, text: &str) -> Result<Vec<String>> {
    Ok(pairs(file, text)?.into_iter().flat_map(|(flag, value)| std::iter::once(flag).chain(value)).collect())
}

/// Each flag `text` sets (`--name`) with its argument, or none for a switch.
fn pairs(file: &str, text: &str) -> Result<Vec<(String, Option<String>)>> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| Error::Config {
        file: file.to_owned(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: e.message().trim().to_owned(),
    })?;
    let mut out = Vec::new();
    for (key, value) in &table {
        let bad = |message: String| Error::Config { file: file.to_owned(), line: key_line(text, key), message };
        let flag = key.replace('_', "-");
        if flag.is_empty()
            || !flag.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            || flag.starts_with('-')
        {
            return Err(bad(format!("`{}` is not a flag name (lower-case letters, digits and '-')", shorten(key))));
        }
        if flag == "config" {
            return Err(bad("a run file cannot name another run file".into()));
        }
        match value {
            Value::Boolean(true) => out.push((format!("--{flag}"), None)),
            Value::Boolean(false) => out.push((format!("--{flag}"), Some("false".into()))),
            Value::Array(items) => {
                let parts = items
                    .iter()
                    .map(|v| scalar(v).ok_or_else(|| bad(format!("`{flag}`: an array holds numbers or strings only"))))
                    .collect::<Result<Vec<_>>>()?;
                if parts.is_empty() {
                    return Err(bad(format!("`{flag}`: the list is empty")));
                }
                out.push((format!("--{flag}"), Some(parts.join(","))));
            }
            Value::Table(_) => {
                return Err(bad(format!(
                    "`[{}]` is a table: write its keys at the top level, the command comes from the command line",
                    shorten(key)
                )))
            }
            v => {
                let arg = scalar(v).ok_or_else(|| {
                    bad(format!("`{flag}`: a value must be a number, a string, true/false or a list"))
                })?;
                out.push((format!("--{flag}"), Some(arg)));
            }
        }
    }
    Ok(out)
}

/// `args` (the command line without the program name) with `--config FILE` replaced by the file's flags,
/// each only where the command line does not set that flag itself. `read` loads a file's text.
pub fn expand(args: &[String], read: impl Fn(&str) -> std::io::Result<String>) -> Result<Vec<String>> {
    let Some(at) = args.iter().position(|a| a == "--config" || a.starts_with("--config=")) else {
        return Ok(args.to_vec());
    };
    let (path, consumed) = match args[at].strip_prefix("--config=") {
        Some(p) => (p.to_owned(), 1),
        None => match args.get(at + 1) {
            Some(p) => (p.clone(), 2),
            None => {
                return Err(Error::Invalid {
                    name: "config",
                    message: "give the run file's path after --config".into(),
                })
            }
        },
    };
    if args[at + consumed..].iter().any(|a| a == "--config" || a.starts_with("--config=")) {
        return Err(Error::Invalid { name: "config", message: "give one run file".into() });
    }
    let text = read(&path).map_err(|e| Error::Config {
        file: path.clone(),
        line: 0,
        message: format!("cannot read it: {e}"),
    })?;
    let given = |flag: &str| args.iter().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    let inserted = pairs(&path, &text)?
        .into_iter()
        .filter(|(flag, _)| !given(flag))
        .flat_map(|(flag, value)| std::iter::once(flag).chain(value));
    let mut out = args[..at].to_vec();
    out.extend(inserted);
    out.extend_from_slice(&args[at + consumed..]);
    Ok(out)
}

/// A scalar's command-line text; `None` for tables, dates, nested arrays and non-finite floats.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Float(f) if f.is_finite() => Some(format!("{f:?}")),
        Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    1 + text.as_bytes()[..at.min(text.len())].iter().filter(|&&b| b == b'\n').count()
}

/// The line where `key` is set (the first line starting with it), or 1.
fn key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            let header = l.trim_start_matches('[').trim_start();
            if l.starts_with('[') && header.starts_with(key) && header[key.len()..].trim_start().starts_with(']') {
                return true;
            }
            let l = l.trim_start_matches(['"', '\'']);
            l.starts_with(key)
                && l[key.len()..].trim_start().trim_start_matches(['"', '\'']).trim_start().starts_with('=')
        })
        .map_or(1, |i| i + 1)
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_flags() {
        let text = "# the SNS paper's row\nproblem = \"random\"\nn = 500\neps = 8.333e-4\nnormalize_cost = true\njson = false\nhidden = [8, 8]\n";
        assert_eq!(
            flags("run.toml", text).unwrap(),
            [
                "--eps",
                "0.0008333",
                "--hidden",
                "8,8",
                "--json",
                "false",
                "--n",
                "500",
                "--normalize-cost",
                "--problem",
                "random"
            ]
        );
    }

    #[test]
    fn bad_files_are_typed_errors_naming_the_line() {
        let cases = [
            ("n = 1\neps = \n", 2),
            ("n = 1\n[ot]\neps = 1\n", 2),
            ("n = 1\nwhen = 1979-05-27\n", 2),
            ("n = 1\n\"Bad Key\" = 3\n", 2),
            ("x = [[1], [2]]\n", 1),
            ("x = []\n", 1),
            ("config = \"other.toml\"\n", 1),
            ("eps = nan\n", 1),
            ("n = 1\nn = 2\n", 2),
        ];
        for (text, line) in cases {
            match flags("run.toml", text) {
                Err(Error::Config { file, line: l, message }) => {
                    assert_eq!((file.as_str(), l), ("run.toml", line), "{text:?}: {message}");
                    assert!(!message.is_empty());
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_command_line_wins_over_the_file() {
        let args: Vec<String> = ["ot", "--config", "run.toml", "--eps", "0.1"].map(String::from).to_vec();
        let read = |_: &str| Ok("eps = 0.5\nn = 64\nmethod = \"sns\"\nnormalize-cost = true\nseed = -3\n".to_owned());
        assert_eq!(
            expand(&args, read).unwrap(),
            ["ot", "--method", "sns", "--n", "64", "--normalize-cost", "--seed", "-3", "--eps", "0.1"]
        );
        // No --config: unchanged. A missing path or a second file: typed errors.
        let plain: Vec<String> = ["ot", "--n", "3"].map(String::from).to_vec();
        assert_eq!(expand(&plain, read).unwrap(), plain);
        assert!(expand(&["ot".into(), "--config".into()], read).is_err());
        assert!(expand(&["ot", "--config=a", "--config", "b"].map(String::from), read).is_err());
        let missing = |_: &str| Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"));
        assert!(matches!(expand(&args, missing), Err(Error::Config { line: 0, .. })));
    }
}
