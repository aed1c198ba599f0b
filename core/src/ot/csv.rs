//! Point-cloud CSV: one point per line, `x,y[,...]` coordinates, optionally a header whose `weight` column
//! holds the point's mass (weights are normalised). Every error names the file and the 1-based line.

use super::geometry::Points;
use crate::error::{Error, Result};

/// Parses `text` (the contents of `file`, named in errors) into a validated point cloud (the table is
/// read by [`crate::table::read`]: quoted fields, CRLF and a header such as `"x","y","weight"` as R writes it).
pub fn parse_points(file: &str, text: &str) -> Result<Points> {
    let err = |line: usize, message: String| Error::Csv { file: file.to_owned(), line, message };
    let t = crate::table::read(file, text)?;
    let weight_col = t.header.as_ref().and_then(|h| h.iter().position(|n| n == "weight"));
    let dim = t.cols - usize::from(weight_col.is_some());
    if dim == 0 {
        return Err(err(t.lines[0], "no coordinates on the line".into()));
    }
    let mut coords = Vec::with_capacity(t.rows * dim);
    let mut weights = Vec::with_capacity(t.rows);
    for (row, line) in t.data.chunks(t.cols).zip(&t.lines) {
        for (k, &v) in row.iter().enumerate() {
            if Some(k) == weight_col {
                if v < 0.0 {
                    return Err(err(*line, format!("the weight is negative ({v})")));
                }
                weights.push(v);
            } else {
                coords.push(v);
            }
        }
    }
    Points::new(dim, coords, weight_col.map(|_| weights)).map_err(|e| err(0, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_weighted_files() {
        let p = parse_points("a.csv", "0,0\n1,2\n\n").unwrap();
        assert_eq!((p.dim, p.len()), (2, 2));
        assert_eq!(p.weights, vec![0.5, 0.5]);
        let p = parse_points("b.csv", "x,y,weight\n0,0,1\n1,1,3\n").unwrap();
        assert_eq!(p.coords, vec![0.0, 0.0, 1.0, 1.0]);
        assert_eq!(p.weights, vec![0.25, 0.75]);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_points("a.csv", "0,0\n1,zz\n").unwrap_err();
        assert_eq!(e.to_string(), "a.csv, line 2: field 2 (`zz`) is not a number");
        let e = parse_points("a.csv", "0,0\n\n1,1\n").unwrap_err();
        assert!(e.to_string().starts_with("a.csv, line 2: the line is empty"), "{e}");
        let e = parse_points("a.csv", "0,0\n1,1,1\n").unwrap_err();
        assert_eq!(e.to_string(), "a.csv, line 2: 3 fields, but earlier lines have 2");
        // R's and spreadsheets' quoting: a quoted header names the weight column, not a third coordinate.
        let p = parse_points("r.csv", "\"x\",\"y\",\"weight\"\r\n0,0,1\r\n1,1,3\r\n").unwrap();
        assert_eq!((p.dim, p.weights.clone()), (2, vec![0.25, 0.75]));
        let e = parse_points("a.csv", "x,y,weight\n0,0,-1\n").unwrap_err();
        assert!(e.to_string().contains("line 2: the weight is negative"), "{e}");
        let e = parse_points("a.csv", "0,NaN\n").unwrap_err();
        assert!(e.to_string().contains("not finite"), "{e}");
        assert!(parse_points("a.csv", "").unwrap_err().to_string().contains("empty"));
        assert!(parse_points("a.csv", "x,y,weight\n0,0,0\n").is_err());
    }
}
