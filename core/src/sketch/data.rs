//! A person's own least-squares data: A and b as numeric CSV (one row per line, comma-separated, an
//! optional header line of names) or as NumPy `.npy` (little-endian f8/f4, C order, 1-D or 2-D). Every CSV
//! error names the file and the 1-based line.

use crate::error::{Error, Result};

/// A dense row-major matrix read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Matrix {
    /// The entries as a vector when the matrix is one column or one row (a right-hand side b).
    pub fn into_vector(self, file: &str) -> Result<Vec<f64>> {
        if self.cols == 1 || self.rows == 1 {
            Ok(self.data)
        } else {
            Err(Error::Csv {
                file: file.to_owned(),
                line: 0,
                message: format!("b must be one column, got {} × {}", self.rows, self.cols),
            })
        }
    }
}

/// Parses numeric CSV text (`file` names it in errors).
pub fn parse_csv(file: &str, text: &str) -> Result<Matrix> {
    let t = crate::table::read(file, text)?;
    Ok(Matrix { rows: t.rows, cols: t.cols, data: t.data })
}

/// Parses a `.npy` file (format 1.0–3.0; dtype `<f8` or `<f4`; C order; 1-D is one column).
pub fn parse_npy(file: &str, bytes: &[u8]) -> Result<Matrix> {
    let err = |message: String| Error::Csv { file: file.to_owned(), line: 0, message };
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(err("not a .npy file (no \\x93NUMPY magic)".into()));
    }
    let (header_len, start): (usize, usize) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => return Err(err(format!("unsupported .npy version {v}"))),
    };
    let body_start = start.checked_add(header_len).ok_or_else(|| err("the header's length overflows".into()))?;
    let header = bytes.get(start..body_start).ok_or_else(|| err("truncated header".into()))?;
    let header = std::str::from_utf8(header).map_err(|_| err("the header is not text".into()))?;
    let field = |key: &str| -> Option<&str> {
        let at = header.find(&format!("'{key}'"))? + key.len() + 2;
        Some(header[at..].trim_start_matches([' ', ':']))
    };
    let descr = field("descr").ok_or_else(|| err("no descr in the header".into()))?;
    let width = if descr.starts_with("'<f8'") {
        8
    } else if descr.starts_with("'<f4'") {
        4
    } else {
        return Err(err(format!(
            "dtype {} is not supported: save float64 or float32",
            descr.split(',').next().unwrap_or("")
        )));
    };
    if field("fortran_order").is_some_and(|v| v.starts_with("True")) {
        return Err(err("Fortran order is not supported: save np.ascontiguousarray(A)".into()));
    }
    let shape = field("shape").ok_or_else(|| err("no shape in the header".into()))?;
    let inner = shape.trim_start_matches('(').split(')').next().unwrap_or("");
    let dims: Vec<usize> = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| err(format!("bad shape ({inner})"))))
        .collect::<Result<_>>()?;
    let (rows, cols) = match dims[..] {
        [n] => (n, 1),
        [n, d] => (n, d),
        _ => return Err(err(format!("shape ({inner}) is not 1-D or 2-D"))),
    };
    let body = &bytes[body_start..];
    // A crafted shape must not wrap: rows·cols·width is checked, and anything past the file is refused.
    let want = rows
        .checked_mul(cols)
        .and_then(|e| e.checked_mul(width))
        .ok_or_else(|| err(format!("shape ({inner}) is too large")))?;
    if body.len() != want {
        return Err(err(format!("{} data bytes for shape ({inner}), expected {want}", body.len())));
    }
    let data: Vec<f64> = if width == 8 {
        body.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()
    } else {
        body.chunks_exact(4).map(|c| f64::from(f32::from_le_bytes(c.try_into().expect("4 bytes")))).collect()
    };
    crate::error::ensure_finite("the .npy data", data.iter().copied())?;
    Ok(Matrix { rows, cols, data })
}

/// Writes a 2-D `<f8` `.npy` (for the benchmarks' side-by-side runs).
pub fn write_npy(rows: usize, cols: usize, data: &[f64]) -> Vec<u8> {
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    data.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_and_without_header() {
        let m = parse_csv("a.csv", "x1,x2\n1,2\n3,4.5\n\n").unwrap();
        assert_eq!((m.rows, m.cols, m.data), (2, 2, vec![1.0, 2.0, 3.0, 4.5]));
        let b = parse_csv("b.csv", "1\n2\n3\n").unwrap().into_vector("b.csv").unwrap();
        assert_eq!(b, vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn malformed_csv_names_the_line() {
        for (text, line) in
            [("1,2\n3\n", 2), ("1,2\n\n3,4\n", 2), ("1,2\n3,x\n", 2), ("1,nan\n", 1), ("", 1), ("a,b\n", 1)]
        {
            match parse_csv("f.csv", text) {
                Err(Error::Csv { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
        assert!(parse_csv("f.csv", "1,2\n3,4\n").unwrap().into_vector("f.csv").is_err());
    }

    #[test]
    fn npy_round_trip_and_bad_files() {
        let data = vec![1.0, -2.5, 3.0, 4.0, 5.0, 6.25];
        let bytes = write_npy(3, 2, &data);
        assert_eq!(bytes.len() % 16, 0, "header padded to 64 bytes, data 48");
        let m = parse_npy("a.npy", &bytes).unwrap();
        assert_eq!((m.rows, m.cols, m.data), (3, 2, data));
        assert!(parse_npy("a.npy", b"not numpy at all").is_err());
        assert!(parse_npy("a.npy", &bytes[..bytes.len() - 3]).is_err());
        let mut nan = write_npy(1, 1, &[f64::NAN]);
        assert!(parse_npy("a.npy", &nan).is_err());
        nan.truncate(5);
        assert!(parse_npy("a.npy", &nan).is_err());
    }

    /// Hostile headers: a shape whose byte count overflows usize (it used to wrap in release and panic in
    /// debug), and a version-2 header length past the file, are typed errors.
    #[test]
    fn crafted_npy_headers_are_typed_errors_not_overflows() {
        let header = |shape: &str| {
            let mut h = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({shape}), }}");
            while (10 + h.len() + 1) % 64 != 0 {
                h.push(' ');
            }
            h.push('\n');
            let mut b = b"\x93NUMPY\x01\x00".to_vec();
            b.extend_from_slice(&(h.len() as u16).to_le_bytes());
            b.extend_from_slice(h.as_bytes());
            b.extend_from_slice(&[0u8; 16]);
            b
        };
        for shape in ["4611686018427387904, 8", "18446744073709551615, 2", "2305843009213693952, 2305843009213693952"] {
            let e = parse_npy("evil.npy", &header(shape)).unwrap_err();
            assert!(e.to_string().contains("too large") || e.to_string().contains("bad shape"), "{shape}: {e}");
        }
        let mut v2 = b"\x93NUMPY\x02\x00".to_vec();
        v2.extend_from_slice(&u32::MAX.to_le_bytes());
        v2.extend_from_slice(b"{}");
        assert!(parse_npy("evil.npy", &v2).is_err());
    }
}
