//! What every command writes besides its summary: CSV rows (`--trace`), PNG charts (`--png`, drawn by
//! `regula-charts` exactly as the page draws them) and their file names.

use std::path::{Path, PathBuf};

use regula_charts::{LineSpec, Series};
use regula_core::Error;

/// Writes `header` and `rows` as CSV to `path`.
pub fn write_csv(path: &Path, header: &str, rows: impl Iterator<Item = Vec<f64>>) -> Result<(), Error> {
    use std::io::Write;
    let err = |e: std::io::Error| Error::Invalid { name: "trace", message: format!("{}: {e}", path.display()) };
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(err)?);
    writeln!(w, "{header}").map_err(err)?;
    for r in rows {
        writeln!(w, "{}", r.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")).map_err(err)?;
    }
    w.flush().map_err(err)
}

/// A CSV writer fed one row at a time (a run's frames), with the first write error kept for the end.
pub struct Trace {
    w: Option<std::io::BufWriter<std::fs::File>>,
    error: Option<String>,
}

impl Trace {
    /// A trace into `path` (none when `path` is `None`) that starts with `header`.
    pub fn create(path: Option<&Path>, header: &str) -> Result<Self, Error> {
        use std::io::Write;
        let Some(path) = path else { return Ok(Self { w: None, error: None }) };
        let err = |e: std::io::Error| Error::Invalid {
            name: "trace",
            message: format!("cannot create {}: {e}", path.display()),
        };
        let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(err)?);
        writeln!(w, "{header}").map_err(err)?;
        Ok(Self { w: Some(w), error: None })
    }

    pub fn on(&self) -> bool {
        self.w.is_some()
    }

    /// One row (its cells already written as text).
    pub fn row(&mut self, cells: &[String]) {
        use std::io::Write;
        if let Some(w) = self.w.as_mut() {
            if let Err(e) = writeln!(w, "{}", cells.join(",")) {
                self.error.get_or_insert(e.to_string());
            }
        }
    }

    /// Flushes; the first error of any write, if one failed.
    pub fn finish(self) -> Result<(), Error> {
        use std::io::Write;
        if let Some(mut w) = self.w {
            w.flush().map_err(|e| Error::Invalid { name: "trace", message: e.to_string() })?;
        }
        match self.error {
            Some(e) => Err(Error::Invalid { name: "trace", message: e }),
            None => Ok(()),
        }
    }
}

/// `FILE.png` → `FILE-<what>.png`, beside it (the further charts of a lab's `--png`).
pub fn sibling(path: &Path, what: &str) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    path.with_file_name(format!("{stem}-{what}{ext}"))
}

/// A named line for a chart (a CLI process draws once, so leaking the name is fine).
pub fn line(name: impl Into<String>, color: usize, points: Vec<(f64, f64)>) -> Series {
    Series {
        name: Box::leak(name.into().into_boxed_str()),
        color: regula_charts::PALETTE[color % regula_charts::PALETTE.len()],
        points,
    }
}

/// Column `k` of `rows` against column 0, mapped by `f`.
pub fn column<const N: usize>(rows: &[[f64; N]], k: usize, f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    rows.iter().map(|r| (r[0], f(r[k]))).collect()
}

/// `--png`: draws a chart into `path` and says so on stderr.
pub fn write_png(
    path: &Path,
    draw: impl FnOnce(regula_charts::png::PngArea<'_>) -> regula_charts::DrawResult<()>,
) -> Result<(), Error> {
    regula_charts::png::write(path, draw)
        .map_err(|e| Error::Invalid { name: "png", message: format!("{}: {e}", path.display()) })?;
    eprintln!("chart: {}", path.display());
    Ok(())
}

/// `--png` for a line chart (the page's `LogChart`).
pub fn save_png(path: &Path, spec: LineSpec, lines: &[Series], axes: (bool, bool)) -> Result<(), Error> {
    write_png(path, |root| regula_charts::draw_lines(root, spec, lines, axes).map(drop))
}

/// A line chart's labels (the page's titles).
pub fn spec(title: &'static str, x_label: &'static str, y_label: &'static str, floor: f64) -> LineSpec {
    LineSpec { title, x_label, y_label, guide: None, floor }
}

/// A file's text, or a typed error naming it.
pub fn read_text(path: &Path) -> Result<String, Error> {
    let name = path.display().to_string();
    std::fs::read_to_string(path).map_err(|e| Error::Csv {
        file: name,
        line: 0,
        message: format!("cannot read the file: {e}"),
    })
}
