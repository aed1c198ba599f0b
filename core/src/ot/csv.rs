//! Point-cloud CSV: one point per line, `x,y[,...]` coordinates, optionally a header whose `weight` column
//! holds the point's mass (weights are normalised). Every error names the file and the 1-based line.

use super::geometry::Points;
use crate::error::{Error, Result};

/// Parses `text` (the contents of `file`, named in errors) into a validated point cloud.
pub fn parse_points(file: &str, text: &str) -> Result<Points> {
    let err = |line: usize, message: String| Error::Csv { file: file.to_owned(), line, message };
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r'))).peekable();
    // Trailing blank lines are ignored; a blank line between points is an error.
    let total = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).last().map_or(0, |(p, _)| p + 1);
    let Some(&(_, first)) = lines.peek() else {
        return Err(err(1, "the file is empty: give one point per line, e.g. `0.5,1.25`".into()));
    };
    let mut weight_col = None;
    let mut columns = None;
    let header = first.split(',').any(|t| t.trim().parse::<f64>().is_err());
    if header {
        let names: Vec<String> = first.split(',').map(|t| t.trim().to_ascii_lowercase()).collect();
        weight_col = names.iter().position(|n| n == "weight");
        columns = Some(names.len());
        lines.next();
    }
    let mut coords = Vec::new();
    let mut weights = Vec::new();
    let mut dim = None;
    for (line, content) in lines.take_while(|(l, _)| *l <= total) {
        if content.trim().is_empty() {
            return Err(err(line, "the line is empty: remove it or give a point".into()));
        }
        let fields: Vec<&str> = content.split(',').map(str::trim).collect();
        if let Some(c) = columns {
            if fields.len() != c {
                return Err(err(line, format!("{} fields, but the header names {c}", fields.len())));
            }
        }
        let mut point = Vec::with_capacity(fields.len());
        for (k, field) in fields.iter().enumerate() {
            let v: f64 =
                field.parse().map_err(|_| err(line, format!("field {} (`{field}`) is not a number", k + 1)))?;
            if !v.is_finite() {
                return Err(err(line, format!("field {} is not finite (`{field}`)", k + 1)));
            }
            if Some(k) == weight_col {
                if v < 0.0 {
                    return Err(err(line, format!("the weight is negative ({v})")));
                }
                weights.push(v);
            } else {
                point.push(v);
            }
        }
        match dim {
            None if point.is_empty() => return Err(err(line, "no coordinates on the line".into())),
            None => dim = Some(point.len()),
            Some(d) if d != point.len() => {
                return Err(err(line, format!("{} coordinates, but earlier lines have {d}", point.len())));
            }
            Some(_) => {}
        }
        coords.extend(point);
    }
    let Some(dim) = dim else {
        return Err(err(1, "no points after the header".into()));
    };
    let weights = weight_col.map(|_| weights);
    Points::new(dim, coords, weights).map_err(|e| err(0, e.to_string()))
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
        assert!(e.to_string().contains("line 2: 3 coordinates"), "{e}");
        let e = parse_points("a.csv", "x,y,weight\n0,0,-1\n").unwrap_err();
        assert!(e.to_string().contains("line 2: the weight is negative"), "{e}");
        let e = parse_points("a.csv", "0,NaN\n").unwrap_err();
        assert!(e.to_string().contains("not finite"), "{e}");
        assert!(parse_points("a.csv", "").unwrap_err().to_string().contains("empty"));
        assert!(parse_points("a.csv", "x,y,weight\n0,0,0\n").is_err());
    }
}
