//! Numeric CSV tables, read with the `csv` crate (RFC 4180: quoted fields, `""` escapes, CRLF, a byte-order
//! mark), the one reader behind every upload: OT's point clouds, the sketching lab's A and b, the training
//! lab's data. The first line is a header when any of its fields is not a number (so `"weight"`, quoted as
//! R and spreadsheets write it, is a header name, not a third coordinate). Every error names the file and
//! the 1-based line.

use crate::error::{Error, Result};

/// A table of finite numbers, row-major, with its header's names (lower-cased, trimmed) if it had one.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header: Option<Vec<String>>,
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
    /// The 1-based line of each row (for errors found later, e.g. a negative weight).
    pub lines: Vec<usize>,
}

/// Reads `text` (the contents of `file`, named in errors). Rows must all have the header's (or the first
/// row's) number of fields; a blank line between rows is an error (trailing blank lines are ignored); every
/// field must parse as a finite number.
pub fn read(file: &str, text: &str) -> Result<Table> {
    let err = |line: usize, message: String| Error::Csv { file: file.to_owned(), line, message };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut header = None;
    let mut cols = None;
    let (mut data, mut lines) = (Vec::new(), Vec::new());
    let mut previous_line = 0;
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut record).map_err(|e| {
            let line = e.position().map_or(previous_line + 1, |p| line_at(text, p.byte()));
            err(line, format!("not CSV: {e}"))
        })?;
        if !more {
            break;
        }
        // Lines counted from the record's byte offset (the csv crate's own count skips empty lines).
        let line = record.position().map_or(previous_line + 1, |p| line_at(text, p.byte()));
        // The csv crate skips empty lines; between rows they are refused (a half-pasted file).
        if previous_line > 0 && line > previous_line + 1 {
            return Err(err(previous_line + 1, "the line is empty: remove it or give a row".into()));
        }
        previous_line = line;
        let fields: Vec<&str> = record.iter().collect();
        if header.is_none() && data.is_empty() && fields.iter().any(|f| f.parse::<f64>().is_err()) {
            header = Some(fields.iter().map(|f| f.to_ascii_lowercase()).collect::<Vec<_>>());
            cols = Some(fields.len());
            continue;
        }
        match cols {
            Some(c) if c != fields.len() => {
                let whose = if header.is_some() { "the header names" } else { "earlier lines have" };
                return Err(err(line, format!("{} fields, but {whose} {c}", fields.len())));
            }
            _ => cols = Some(fields.len()),
        }
        for (k, field) in fields.iter().enumerate() {
            let v: f64 = field
                .parse()
                .map_err(|_| err(line, format!("field {} (`{}`) is not a number", k + 1, shorten(field))))?;
            if !v.is_finite() {
                return Err(err(line, format!("field {} is not finite (`{}`)", k + 1, shorten(field))));
            }
            data.push(v);
        }
        lines.push(line);
    }
    if lines.is_empty() {
        let what = if header.is_some() { "no rows after the header" } else { "the file is empty" };
        return Err(err(1, format!("{what}: give one row of numbers per line, e.g. `0.5,1.25`")));
    }
    let cols = cols.unwrap_or(1);
    Ok(Table { header, rows: lines.len(), cols, data, lines })
}

/// The 1-based line where the record read from byte `at` of `text` starts: the csv crate's position is
/// where it began looking, before the line ends (a CRLF's `\n`, empty lines) it skipped.
fn line_at(text: &str, at: u64) -> usize {
    let bytes = text.as_bytes();
    let mut at = (at as usize).min(bytes.len());
    while at < bytes.len() && (bytes[at] == b'\n' || bytes[at] == b'\r') {
        at += 1;
    }
    1 + bytes[..at].iter().filter(|&&b| b == b'\n').count()
}

/// At most 40 characters of a field, for a message.
fn shorten(s: &str) -> String {
    crate::lab::value::shorten(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dialects R, spreadsheets and pandas write: quoted headers and numbers, CRLF, a byte-order mark,
    /// spaces after commas — each read as the plain file is.
    #[test]
    fn real_world_dialects_read_as_the_plain_file() {
        let plain = read("a.csv", "x,y,weight\n0,1,2\n3.5,-4,1e-3\n").unwrap();
        for text in [
            "\"x\",\"y\",\"weight\"\n0,1,2\n3.5,-4,1e-3\n",
            "x,y,weight\r\n0,1,2\r\n3.5,-4,1e-3\r\n",
            "\u{feff}x,y,weight\n0,1,2\n3.5,-4,1e-3\n",
            "x, y, weight\n0, 1, 2\n3.5, -4, 1e-3\n\n\n",
            "\"X\",\"Y\",\"Weight\"\n\"0\",\"1\",\"2\"\n\"3.5\",\"-4\",\"1e-3\"\n",
        ] {
            assert_eq!(read("a.csv", text).unwrap(), plain, "{text:?}");
        }
        assert_eq!(plain.header.as_deref(), Some(&["x".to_owned(), "y".to_owned(), "weight".to_owned()][..]));
        assert_eq!((plain.rows, plain.cols, plain.lines.clone()), (2, 3, vec![2, 3]));
    }

    #[test]
    fn bad_tables_name_the_line() {
        let e = |t: &str| read("t.csv", t).unwrap_err().to_string();
        assert_eq!(e("1,2\n3\n"), "t.csv, line 2: 1 fields, but earlier lines have 2");
        assert_eq!(e("a,b\n1,2,3\n"), "t.csv, line 2: 3 fields, but the header names 2");
        assert_eq!(e("1,2\n\n3,4\n"), "t.csv, line 2: the line is empty: remove it or give a row");
        assert_eq!(e("1,2\n3,zz\n"), "t.csv, line 2: field 2 (`zz`) is not a number");
        assert_eq!(e("1,2\n3,inf\n"), "t.csv, line 2: field 2 is not finite (`inf`)");
        assert!(e("").contains("the file is empty"));
        assert!(e("a,b\n").contains("no rows after the header"));
    }
}
