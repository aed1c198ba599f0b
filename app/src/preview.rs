//! What the page shows of an uploaded file before it runs (the first rows as the lab read them) and the
//! small parsers of the page's text fields: pure functions, unit-tested natively.

/// A whole number typed into the field `id`, or the message the page shows under it.
pub fn parse_usize(id: &'static str, s: &str) -> Result<usize, String> {
    s.parse::<usize>().map_err(|_| format!("`{id}` must be a whole number"))
}

/// Rows an upload preview shows.
pub const PREVIEW_ROWS: usize = 5;

/// The first rows of an uploaded file as the lab read it (columns named by their role), so a person sees
/// how the file was understood before running anything.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    /// The file's name.
    pub file: String,
    pub header: Vec<String>,
    /// At most [`PREVIEW_ROWS`] rows, as read.
    pub rows: Vec<Vec<f64>>,
    /// Rows in the whole file.
    pub total: usize,
}

impl Preview {
    /// The preview of a row-major `rows × cols` table (`values.len() == rows · cols`).
    pub fn of(file: &str, header: Vec<String>, values: &[f64], cols: usize) -> Self {
        let cols = cols.max(1);
        Self {
            file: file.to_owned(),
            header,
            rows: values.chunks(cols).take(PREVIEW_ROWS).map(<[f64]>::to_vec).collect(),
            total: values.len() / cols,
        }
    }
}

/// Numbered column names: `prefix1 … prefixN`.
pub fn numbered(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|k| format!("{prefix}{k}")).collect()
}

/// A preview cell: whole numbers as integers, others with four decimals, and the very large or very small
/// in scientific notation (four decimals of 1e-7 would read as 0).
pub fn cell(v: f64) -> String {
    if !v.is_finite() {
        v.to_string()
    } else if v.abs() >= 1e9 || (v != 0.0 && v.abs() < 1e-3) {
        format!("{v:.4e}")
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_shows_the_first_rows_as_read_and_counts_them_all() {
        let values: Vec<f64> = (0..24).map(f64::from).collect();
        let p = Preview::of("a.csv", numbered("x", 3), &values, 3);
        assert_eq!(p.file, "a.csv");
        assert_eq!(p.header, ["x1", "x2", "x3"]);
        assert_eq!(p.total, 8, "24 values in 3 columns");
        assert_eq!(p.rows.len(), PREVIEW_ROWS);
        assert_eq!(p.rows[0], [0.0, 1.0, 2.0]);
        assert_eq!(p.rows[4], [12.0, 13.0, 14.0], "row by row, not column by column");
        // Fewer rows than the preview holds: all of them; no columns: one, never a division by zero.
        let short = Preview::of("b.csv", vec![], &[1.0, 2.0], 2);
        assert_eq!((short.rows.len(), short.total), (1, 1));
        let zero = Preview::of("c.csv", vec![], &[1.0, 2.0], 0);
        assert_eq!((zero.rows.len(), zero.total), (2, 2));
        assert_eq!(Preview::of("d.csv", vec![], &[], 3).total, 0);
    }

    #[test]
    fn cells_and_whole_numbers_read_as_typed() {
        assert_eq!(cell(3.0), "3");
        assert_eq!(cell(-2.0), "-2");
        assert_eq!(cell(0.123456), "0.1235");
        assert_eq!(cell(2e12), "2.0000e12");
        assert_eq!(cell(1.5e-7), "1.5000e-7", "not 0.0000");
        assert_eq!(cell(0.0), "0");
        assert_eq!(parse_usize("n", "42"), Ok(42));
        assert_eq!(parse_usize("n", "-1"), Err("`n` must be a whole number".to_owned()));
        assert!(parse_usize("n", "4.5").is_err() && parse_usize("n", "").is_err());
    }
}
