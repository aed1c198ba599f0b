//! What every sweep shares — the training sweep (`train::sweep`: many nets) and the OT sweep (`ot::sweep`:
//! many transport problems): a grid of two axes with `seeds` members per cell, the phase diagram's cells,
//! the CLI's `--grid NAME=SPEC` values and `--shard i/n`, and the two traits the front ends draw, link and
//! export any sweep through (`app/src/sweep.rs`, `cli/src/cmd/sweep.rs`).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::Stepper;

/// What a sweep's axis varies: a `choice!` enum with a `none` (no second axis).
pub trait AxisKind: Copy + PartialEq + std::fmt::Display + std::str::FromStr<Err = Error> {
    const NONE: Self;
    /// A seed axis (then a cell has one member).
    const SEED: Self;
    fn name(self) -> &'static str;
    /// The axis's caption on a phase diagram.
    fn label(self) -> &'static str;
    /// Whether its values are whole numbers (a range's values are rounded).
    fn whole(self) -> bool;
    /// Why `v` is not a value of this axis, if it is not.
    fn check(self, v: f64) -> std::result::Result<(), String>;
    /// A value as a tick label.
    fn value_label(self, v: f64) -> String {
        v.to_string()
    }
}

/// What a sweep's cells show: a `choice!` enum.
pub trait MeasureKind: Copy {
    fn name(self) -> &'static str;
    /// What a cell's colour means, in words.
    fn label(self) -> &'static str;
}

/// The grid of a sweep: two axes (y may be none) and `seeds` members per cell, and what the cells show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axes<A, S> {
    pub x: A,
    pub x_values: Vec<f64>,
    pub y: A,
    /// Ignored when `y` is `none`.
    pub y_values: Vec<f64>,
    /// Members per cell, seeds `seed`, `seed + 1`, … (1 when an axis is the seed).
    pub seeds: usize,
    pub show: S,
}

impl<A: AxisKind, S: MeasureKind> Axes<A, S> {
    /// Rows of the phase diagram (1 when `y` is `none`).
    pub fn rows(&self) -> usize {
        if self.y == A::NONE {
            1
        } else {
            self.y_values.len()
        }
    }

    /// Cells in the grid (x × y).
    pub fn cells(&self) -> usize {
        self.x_values.len() * self.rows()
    }

    /// Members in the grid (cells × seeds).
    pub fn len(&self) -> usize {
        self.cells() * self.seeds.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Member `k`'s place: (x index, y index, seed index); members run y-major, then x, then seed.
    pub fn place(&self, k: usize) -> (usize, usize, usize) {
        let s = self.seeds.max(1);
        let cell = k / s;
        let nx = self.x_values.len().max(1);
        (cell % nx, cell / nx, k % s)
    }

    /// The columns' and rows' tick labels.
    pub fn ticks(&self) -> (Vec<String>, Vec<String>) {
        let x = self.x_values.iter().map(|&v| self.x.value_label(v)).collect();
        let y = if self.y == A::NONE {
            vec![String::new()]
        } else {
            self.y_values.iter().map(|&v| self.y.value_label(v)).collect()
        };
        (x, y)
    }

    /// The diagram's words, with `progress` and `member` from the lab.
    pub fn labels(&self, progress: &'static str, member: &'static str) -> Labels {
        Labels {
            x: self.x.label(),
            y: if self.y == A::NONE { "" } else { self.y.label() },
            value: self.show.label(),
            progress,
            member,
        }
    }

    /// The grid's own rules: x varies something, the axes differ, a seed axis has one seed a cell, every
    /// value suits its axis, and there are 1..=`max` members (`member`: what one is called).
    pub fn check(&self, max: usize, member: &str) -> Result<()> {
        if self.x == A::NONE {
            return Err(invalid("x", "the x axis must vary something (y may be none)".into()));
        }
        if self.x == self.y {
            return Err(invalid("y", format!("both axes are {}", self.x)));
        }
        if self.seeds > 1 && (self.x == A::SEED || self.y == A::SEED) {
            return Err(invalid("seeds", "an axis is the seed: use 1 seed per cell".into()));
        }
        for (axis, values, name) in [(self.x, &self.x_values, "x-values"), (self.y, &self.y_values, "y-values")] {
            for &v in values.iter().filter(|_| axis != A::NONE) {
                axis.check(v).map_err(|m| invalid(name, m))?;
            }
        }
        let n = self.len();
        if n == 0 {
            return Err(invalid("x-values", "the grid is empty".into()));
        }
        if n > max {
            return Err(invalid(
                "seeds",
                format!("{n} {member}s: a sweep holds at most {max} (split it with --shard)"),
            ));
        }
        Ok(())
    }
}

/// A grid axis from the CLI's `--grid NAME=SPEC`: `lr=1e-3:1:log:16` (16 values from 1e-3 to 1,
/// log-spaced), `width=2:32:lin:4` or `width=2:32:4` (evenly spaced; whole-number axes rounded), or a list
/// `l2=0,1e-4,1e-3`; at most `max` values.
pub fn parse_grid<A: AxisKind>(text: &str, max: usize) -> Result<(A, Vec<f64>)> {
    let bad = |m: String| invalid("grid", format!("`{text}`: {m}"));
    let (name, spec) = text.split_once('=').ok_or_else(|| bad("write NAME=SPEC, e.g. lr=1e-3:1:log:16".into()))?;
    let axis: A = name.trim().parse()?;
    if axis == A::NONE {
        return Err(bad("`none` is not an axis to sweep".into()));
    }
    let values = parse_values(text, spec, axis.whole(), max)?;
    for &v in &values {
        axis.check(v).map_err(bad)?;
    }
    Ok((axis, values))
}

/// A cell of the phase diagram: its members' mean of the shown value.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub ix: usize,
    pub iy: usize,
    /// The mean over the cell's members that have a value and did not diverge (`None`: none has one yet).
    pub value: Option<f64>,
    /// Members (nets, or problems) in the cell.
    pub members: usize,
    pub done: usize,
    pub diverged: usize,
    /// The first error among its members.
    pub error: Option<String>,
    /// How far its members have got, on average (epochs, or iterations: [`Labels::progress`]).
    pub progress: f64,
}

impl Cell {
    pub fn empty(ix: usize, iy: usize) -> Self {
        Self { ix, iy, value: None, members: 0, done: 0, diverged: 0, error: None, progress: 0.0 }
    }

    /// Every member diverged.
    pub fn all_diverged(&self) -> bool {
        self.members > 0 && self.diverged == self.members
    }
}

/// The words a sweep's diagram, status and exports use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Labels {
    /// The axes' captions (`y` empty for a one-row sweep).
    pub x: &'static str,
    pub y: &'static str,
    /// What a cell's colour means.
    pub value: &'static str,
    /// What [`Cell::progress`] counts ("epoch", "iteration").
    pub progress: &'static str,
    /// What a member is ("net", "problem"), singular.
    pub member: &'static str,
}

/// A sweep's parameters, as the front ends see them.
pub trait SweepLab {
    /// The columns' and rows' tick labels (one empty row label when `y` is none).
    fn ticks(&self) -> (Vec<String>, Vec<String>);
    fn labels(&self) -> Labels;
    /// The shown measure's name (`--show`).
    fn show_name(&self) -> &'static str;
    /// Members per cell.
    fn seeds(&self) -> usize;
    /// Cells in the grid (x × y).
    fn cells(&self) -> usize;
    /// Members in the grid (cells × seeds).
    fn len(&self) -> usize {
        self.cells() * self.seeds().max(1)
    }
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The phase diagram before any member has run: one empty cell per (x, y), row-major from y = 0.
    fn empty_cells(&self) -> Vec<Cell> {
        let nx = self.ticks().0.len().max(1);
        (0..self.cells()).map(|c| Cell::empty(c % nx, c / nx)).collect()
    }
    /// The single run member `k` is: its page and its link's query.
    fn member_link(&self, k: usize) -> (&'static str, String);
}

/// A sweep in progress, as the front ends see it.
pub trait Run: Stepper {
    /// The phase diagram: one cell per (x, y), over this run's members.
    fn cells(&self) -> Vec<Cell>;
    /// Where the members run, in words (the status line).
    fn placement(&self) -> &str;
    /// Members in this run (a shard's share of the grid).
    fn members(&self) -> usize;
    /// Whether member `i` of this run (0-based within the run) has finished.
    fn member_done(&self, i: usize) -> bool;
    /// Member `i`'s JSON record (the CLI's line per member): its place, values, seed, results and link.
    fn record(&self, i: usize) -> serde_json::Value;
}

/// One slice of a sweep's members (`--shard i/n`, 0 ≤ i < n): members `i·N/n .. (i+1)·N/n`, so that n runs
/// (a job array) share a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// `i/n`.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || invalid("shard", format!("`{text}`: write i/n with 0 ≤ i < n (e.g. 0/4)"));
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    /// The members of a sweep of `len` this shard runs.
    pub fn range(self, len: usize) -> std::ops::Range<usize> {
        self.index * len / self.count..(self.index + 1) * len / self.count
    }
}

pub(crate) fn invalid(name: &'static str, message: String) -> Error {
    Error::Invalid { name, message }
}

/// An axis's values from the CLI's `--grid NAME=SPEC` (`text` is the whole argument, for messages; `spec`
/// the part after `=`): `FROM:TO:log:COUNT` (log-spaced, 3 significant digits), `FROM:TO:lin:COUNT` or
/// `FROM:TO:COUNT` (evenly spaced), or a comma-separated list. `whole` rounds to whole numbers; at most
/// `max` values.
fn parse_values(text: &str, spec: &str, whole: bool, max: usize) -> Result<Vec<f64>> {
    let bad = |m: String| invalid("grid", format!("`{text}`: {m}"));
    let num = |s: &str| {
        s.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| bad(format!("`{s}` is not a number")))
    };
    let parts: Vec<&str> = spec.split(':').collect();
    Ok(match parts.as_slice() {
        [list] => list.split(',').map(num).collect::<Result<Vec<_>>>()?,
        [a, b, rest @ ..] if rest.len() <= 2 => {
            let (a, b) = (num(a)?, num(b)?);
            let (log, n) = match rest {
                [n] => (false, *n),
                [kind, n] if *kind == "log" || *kind == "lin" => (*kind == "log", *n),
                _ => return Err(bad("the spacing is lin or log".into())),
            };
            let n: usize = n
                .trim()
                .parse()
                .ok()
                .filter(|&n| (1..=max).contains(&n))
                .ok_or_else(|| bad(format!("`{n}` values: give 1..={max}")))?;
            if log && (a <= 0.0 || b <= 0.0) {
                return Err(bad("a log-spaced range needs both ends > 0".into()));
            }
            let at = |k: usize| if n == 1 { 0.0 } else { k as f64 / (n - 1) as f64 };
            let mut v: Vec<f64> = (0..n)
                .map(|k| if log { (a.ln() + at(k) * (b.ln() - a.ln())).exp() } else { a + at(k) * (b - a) })
                .map(|v| if whole { v.round() } else { significant(v, if log { 3 } else { 12 }) })
                .collect();
            v.dedup();
            v
        }
        _ => return Err(bad("write FROM:TO:log:COUNT, FROM:TO:COUNT or a comma-separated list".into())),
    })
}

/// `v` rounded to `digits` significant digits (a log-spaced grid's 0.0313 rather than 0.031291346…).
fn significant(v: f64, digits: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let scale = 10f64.powi(digits - 1 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

/// The mean of `values` per cell: `cells[c].value` from the `(cell, value)` pairs.
pub(crate) fn fill_means(cells: &mut [Cell], values: impl IntoIterator<Item = (usize, f64)>) {
    let mut sums = vec![(0.0, 0usize); cells.len()];
    for (c, v) in values {
        if let Some(s) = sums.get_mut(c) {
            s.0 += v;
            s.1 += 1;
        }
    }
    for (cell, (sum, k)) in cells.iter_mut().zip(sums) {
        cell.value = (k > 0).then(|| sum / k as f64);
        cell.progress /= cell.members.max(1) as f64;
    }
}

/// Mutable borrows of `items[k]` for the distinct indices `ks` (in increasing order).
pub(crate) fn disjoint<'a, T>(items: &'a mut [T], ks: &[usize]) -> Vec<&'a mut T> {
    let mut sorted = ks.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut picked = Vec::with_capacity(sorted.len());
    let mut rest = items;
    let mut offset = 0;
    for k in sorted {
        let Some((item, tail)) = std::mem::take(&mut rest).get_mut(k - offset..).and_then(<[T]>::split_first_mut)
        else {
            break;
        };
        picked.push(item);
        rest = tail;
        offset = k + 1;
    }
    picked
}
