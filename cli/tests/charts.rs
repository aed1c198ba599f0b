//! What the CLI's charts show, read back from the PNG pixels and held against the numbers the same run
//! printed as JSON: where a peak sits, which line lies above which, which curve a guide bounds. A chart
//! that draws the wrong series, in the wrong place or in the wrong order fails here, not only a blank one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The palette's first four colours (regula_charts::PALETTE): blue, red, green, orange.
const BLUE: [u8; 3] = [31, 119, 180];
const RED: [u8; 3] = [214, 39, 40];
const GREEN: [u8; 3] = [44, 160, 44];
const ORANGE: [u8; 3] = [255, 127, 14];

fn regula(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_regula")).args(args).output().expect("run regula");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let line = stdout.lines().last().expect("some output");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("last line is not JSON ({e}): {line}"))
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("regula-charts-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Png {
    w: usize,
    h: usize,
    rgb: Vec<[u8; 3]>,
}

impl Png {
    fn read(path: &Path) -> Png {
        let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("a PNG file");
        let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
        let info = reader.next_frame(&mut buf).expect("one frame");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let rgb = buf[..info.buffer_size()].chunks(3).map(|p| [p[0], p[1], p[2]]).collect();
        Png { w: info.width as usize, h: info.height as usize, rgb }
    }

    fn at(&self, x: usize, y: usize) -> [u8; 3] {
        self.rgb[y * self.w + x]
    }

    /// A drawn line of `color`: for each pixel column, the mean row of the colour's pixels that belong to a
    /// connected group of at least 60 (a curve; the legend's 16-pixel sample and stray text are left out).
    fn curve(&self, color: [u8; 3]) -> Curve {
        let near = |p: [u8; 3]| p.iter().zip(color).all(|(a, b)| a.abs_diff(b) <= 10);
        let mut seen = vec![false; self.w * self.h];
        let mut rows: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for start in 0..self.w * self.h {
            if seen[start] || !near(self.rgb[start]) {
                continue;
            }
            let (mut group, mut stack) = (Vec::new(), vec![start]);
            seen[start] = true;
            while let Some(k) = stack.pop() {
                group.push(k);
                let (x, y) = ((k % self.w) as i64, (k / self.w) as i64);
                for (dx, dy) in [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)] {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= self.w as i64 || ny >= self.h as i64 {
                        continue;
                    }
                    let n = ny as usize * self.w + nx as usize;
                    if !seen[n] && near(self.rgb[n]) {
                        seen[n] = true;
                        stack.push(n);
                    }
                }
            }
            if group.len() >= 60 {
                for k in group {
                    rows.entry(k % self.w).or_default().push(k / self.w);
                }
            }
        }
        Curve(rows.into_iter().map(|(x, r)| (x, r.iter().sum::<usize>() as f64 / r.len() as f64)).collect())
    }

    /// Rows holding a dashed horizontal line in black (the chart's guide): at least 20 dashes of 5–7
    /// pixels (axes and the legend's border are solid; text makes short runs).
    fn dashed_rows(&self) -> Vec<usize> {
        (0..self.h)
            .filter(|&y| {
                let mut dashes = 0;
                let mut run = 0;
                for x in 0..=self.w {
                    let dark = x < self.w && self.at(x, y).iter().all(|&c| c < 60);
                    if dark {
                        run += 1;
                    } else {
                        if (5..=7).contains(&run) {
                            dashes += 1;
                        }
                        run = 0;
                    }
                }
                dashes >= 20
            })
            .collect()
    }
}

/// Column → mean row of one drawn line (a smaller row is higher on the chart: a larger value).
struct Curve(BTreeMap<usize, f64>);

impl Curve {
    fn first(&self) -> (usize, f64) {
        self.0.iter().next().map(|(&x, &y)| (x, y)).expect("a drawn curve")
    }
    fn last(&self) -> (usize, f64) {
        self.0.iter().next_back().map(|(&x, &y)| (x, y)).expect("a drawn curve")
    }
    /// The column of the curve's highest point (its largest value).
    fn peak(&self) -> (usize, f64) {
        self.0.iter().map(|(&x, &y)| (x, y)).min_by(|a, b| a.1.total_cmp(&b.1)).expect("a drawn curve")
    }
    fn row(&self, x: usize) -> Option<f64> {
        self.0.get(&x).copied()
    }
    /// Rows of this curve and `other` at the columns both have.
    fn shared<'a>(&'a self, other: &'a Curve) -> impl Iterator<Item = (usize, f64, f64)> + 'a {
        self.0.iter().filter_map(|(&x, &a)| other.row(x).map(|b| (x, a, b)))
    }
    /// The column where `value` falls, the curve's ends standing for the first and last x of its data, on a
    /// linear or a log axis.
    fn column_of(&self, value: f64, first: f64, last: f64, log: bool) -> f64 {
        let (x0, x1) = (self.first().0 as f64, self.last().0 as f64);
        let t = if log { (value / first).ln() / (last / first).ln() } else { (value - first) / (last - first) };
        x0 + t * (x1 - x0)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    assert!(!v.is_empty());
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn column(json: &serde_json::Value, key: &str, field: &str) -> Vec<f64> {
    json[key].as_array().unwrap_or_else(|| panic!("{key}: {json}")).iter().map(|r| r[field].as_f64().unwrap()).collect()
}

/// Ridgeless regression's double descent: the simulated median risk peaks where the run says it does (γ
/// of the printed peak), the theory peaks at the interpolation threshold γ = 1, and both peaks stand well
/// above the curve's left end.
#[test]
fn the_double_descent_chart_peaks_where_the_run_peaked() {
    let d = dir("dd");
    let path = d.join("dd.png");
    let json = regula(&[
        "generalization",
        "double-descent",
        "--n",
        "40",
        "--trials",
        "3",
        "--json",
        "--png",
        path.to_str().unwrap(),
    ]);
    let gammas = column(&json, "rows", "gamma");
    let (first, last) = (gammas[0], *gammas.last().unwrap());
    let peak_gamma = json["peak_gamma"].as_f64().unwrap();
    let png = Png::read(&path);
    // Theory (red) is drawn last, on top: its ends calibrate the log γ axis.
    let theory = png.curve(RED);
    let median_risk = png.curve(BLUE);
    let at_one = theory.column_of(1.0, first, last, true);
    let at_peak = theory.column_of(peak_gamma, first, last, true);
    assert!(
        (theory.peak().0 as f64 - at_one).abs() <= 12.0,
        "theory peaks at column {:?}, γ = 1 is {at_one}",
        theory.peak()
    );
    assert!(
        (median_risk.peak().0 as f64 - at_peak).abs() <= 8.0,
        "the median risk peaks at column {:?}; the run's peak γ = {peak_gamma} is column {at_peak}",
        median_risk.peak()
    );
    // The peaks' heights in the run's order: theory's largest value against the median's peak.
    let theory_peak = column(&json, "rows", "theory_risk").into_iter().filter(|v| v.is_finite()).fold(0.0, f64::max);
    let median_peak = json["peak_risk_median"].as_f64().unwrap();
    assert!(theory_peak > 1.2 * median_peak, "this run's theory peak {theory_peak} over its median's {median_peak}");
    assert!(
        median_risk.peak().1 - theory.peak().1 > 5.0,
        "the theory's peak ({theory_peak}) is drawn above the median's ({median_peak}): rows {} vs {}",
        theory.peak().1,
        median_risk.peak().1
    );
    assert!(theory.first().1 - theory.peak().1 > 80.0, "the theory's peak stands above its start");
    assert!(median_risk.first().1 - median_risk.peak().1 > 60.0, "the simulated peak stands above its start");
    std::fs::remove_dir_all(&d).ok();
}

/// Advani & Saxe's sweep over α = P/N: the risk at the end of training peaks at α = 1 (simulated and
/// theory together), early stopping removes the peak, and the simulated curves follow the theory's.
#[test]
fn the_student_teacher_sweep_shows_the_peak_and_early_stopping_removing_it() {
    let d = dir("st");
    let path = d.join("st.png");
    let json = regula(&[
        "generalization",
        "student-teacher",
        "--n-inputs",
        "60",
        "--points",
        "40",
        "--sweep",
        "--json",
        "--png",
        path.to_str().unwrap(),
    ]);
    let alphas = column(&json, "sweep", "alpha");
    let (first, last) = (alphas[0], *alphas.last().unwrap());
    let png = Png::read(&d.join("st-sweep.png"));
    let (best_sim, best_theory, final_sim, final_theory) =
        (png.curve(BLUE), png.curve(RED), png.curve(GREEN), png.curve(ORANGE));
    let at_one = final_theory.column_of(1.0, first, last, false);
    let (peak_x, peak_row) = final_theory.peak();
    assert!((peak_x as f64 - at_one).abs() <= 8.0, "the final risk's theory peaks at {peak_x}, α = 1 is {at_one}");
    assert!((final_sim.peak().0 as f64 - at_one).abs() <= 8.0, "the simulation's peak {:?}", final_sim.peak());
    assert!(final_theory.first().1 - peak_row > 60.0 && final_theory.last().1 - peak_row > 60.0, "an interior peak");
    // Early-stopped risk at the peak's column sits far below the peak (the peak is gone).
    let best_there = best_theory.row(peak_x).or_else(|| best_theory.row(peak_x + 1)).expect("the early-stopped curve");
    assert!(best_there - peak_row > 60.0, "early stopping leaves {best_there} vs the peak {peak_row}");
    // The simulations follow their theories (median vertical distance in pixels on a log axis).
    for (name, sim, theory) in [("final", &final_sim, &final_theory), ("best", &best_sim, &best_theory)] {
        let gaps: Vec<f64> = sim.shared(theory).map(|(_, a, b)| (a - b).abs()).collect();
        assert!(gaps.len() > 100, "{name}: {} shared columns", gaps.len());
        assert!(median(gaps.clone()) <= 10.0, "{name}: median gap {} px", median(gaps));
    }
    std::fs::remove_dir_all(&d).ok();
}

/// The sharpness chart: λmax (blue) under the stability threshold 2/η (red, flat since η is constant),
/// and the batch bound tr(H)/B + (1 − 1/B)λmax (green) at or above λmax wherever the run's trace is.
#[test]
fn the_sharpness_chart_puts_the_sharpness_under_the_flat_threshold() {
    let d = dir("sharp");
    let path = d.join("train.png");
    let json = regula(&[
        "train",
        "--dataset",
        "xor",
        "--n",
        "200",
        "--hidden",
        "8",
        "--lr",
        "0.05",
        "--epochs",
        "20",
        "--hessian-every",
        "5",
        "--backend",
        "cpu",
        "--json",
        "--png",
        path.to_str().unwrap(),
    ]);
    let (sharpness, trace) = (json["sharpness"].as_f64().unwrap(), json["hessian_trace"].as_f64().unwrap());
    assert!(sharpness < 2.0 / 0.05, "the run itself is stable: λmax {sharpness}");
    let png = Png::read(&d.join("train-sharpness.png"));
    let (lambda, threshold, bound) = (png.curve(BLUE), png.curve(RED), png.curve(GREEN));
    let rows: Vec<f64> = threshold.0.values().copied().collect();
    let (lo, hi) = rows.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &r| (a.min(r), b.max(r)));
    assert!(hi - lo <= 1.0, "2/η is one flat line: rows {lo}..{hi}");
    assert!(threshold.0.len() > 300, "the threshold spans the run");
    for (x, row) in &lambda.0 {
        assert!(*row > hi + 20.0, "λmax at column {x} (row {row}) is under 2/η (row {hi})");
    }
    // The bound is at least λmax when tr(H) ≥ λmax (the run's last measurement says so).
    assert!(trace >= sharpness, "trace {trace} vs λmax {sharpness}");
    let shared: Vec<_> = bound.shared(&lambda).collect();
    assert!(shared.len() > 300);
    let above = shared.iter().filter(|(_, b, l)| *b <= l + 1.0).count();
    assert!(above * 10 >= shared.len() * 9, "the bound above λmax in {above} of {} columns", shared.len());
    std::fs::remove_dir_all(&d).ok();
}

/// The kernel check's chart: every trial's worst |gpu − cpu| / tolerance (blue) under the dashed line at 1.
#[test]
fn the_check_chart_draws_the_differences_under_the_tolerance_line() {
    let d = dir("check");
    let path = d.join("check.png");
    let json = regula(&[
        "kernels",
        "--rows",
        "64",
        "--cols",
        "64",
        "--trials",
        "5",
        "--json",
        "--png",
        path.to_str().unwrap(),
    ]);
    let worst = json["worst_diff_over_tolerance"].as_f64().or_else(|| json["diff_over_tolerance"].as_f64());
    let worst = worst.unwrap_or_else(|| panic!("the worst ratio: {json}"));
    assert!(worst < 1.0, "the GPU agrees with the CPU twin: {worst}");
    let png = Png::read(&path);
    let guide = png.dashed_rows();
    assert!(!guide.is_empty() && guide.len() <= 2, "one dashed guide line: rows {guide:?}");
    let ratio = png.curve(BLUE);
    let (first, last) = (ratio.first().0, ratio.last().0);
    assert!(last - first > 300, "one point per trial, from the first to the last: columns {first}..{last}");
    for (x, row) in &ratio.0 {
        assert!(*row > guide[0] as f64 + 10.0, "trial at column {x}: row {row} is under the guide at {}", guide[0]);
    }
    std::fs::remove_dir_all(&d).ok();
}

/// PS-KD's charts: the calibration errors end in the order the run printed them, and the reliability
/// diagram's diagonal is a straight line from (0, 0) to (1, 1) with each method's top bin on the side of it
/// the run's numbers put it.
#[test]
fn the_pskd_charts_order_their_lines_as_the_run_printed_them() {
    let d = dir("pskd");
    let path = d.join("pskd.png");
    let json = regula(&[
        "generalization",
        "pskd",
        "--hidden",
        "16",
        "--epochs",
        "2",
        "--json",
        "--png",
        path.to_str().unwrap(),
    ]);
    let png = Png::read(&path);
    let methods = [("ce", BLUE), ("ls", GREEN), ("pskd", RED)];
    let mut ends: Vec<(f64, f64)> = methods
        .iter()
        .map(|(m, color)| (json[format!("{m}_ece")].as_f64().unwrap(), png.curve(*color).last().1))
        .collect();
    // A larger ECE is higher on the chart (a smaller row) — for values apart by more than 3 %.
    ends.sort_by(|a, b| a.0.total_cmp(&b.0));
    for w in ends.windows(2) {
        if w[1].0 > w[0].0 * 1.03 {
            assert!(w[1].1 < w[0].1, "ECE {} drawn at row {} vs ECE {} at row {}", w[1].0, w[1].1, w[0].0, w[0].1);
        }
    }
    let png = Png::read(&d.join("pskd-reliability.png"));
    let diagonal = png.curve(ORANGE);
    let ((x0, y0), (x1, y1)) = (diagonal.first(), diagonal.last());
    assert!(x1 - x0 > 400 && y0 - y1 > 200.0, "from bottom left to top right: {x0},{y0} → {x1},{y1}");
    let on_line = |x: usize| y0 + (y1 - y0) * (x - x0) as f64 / (x1 - x0) as f64;
    let off: Vec<f64> = diagonal.0.iter().map(|(&x, &y)| (y - on_line(x)).abs()).collect();
    assert!(off.iter().all(|&o| o <= 2.0), "straight: {} px off", off.iter().fold(0.0f64, |a, &b| a.max(b)));
    for (m, color) in methods {
        let bins = json[format!("{m}_reliability")].as_array().unwrap();
        let top =
            bins.iter().max_by(|a, b| a["confidence"].as_f64().unwrap().total_cmp(&b["confidence"].as_f64().unwrap()));
        let top = top.expect("bins");
        let (conf, acc) = (top["confidence"].as_f64().unwrap(), top["accuracy"].as_f64().unwrap());
        if (acc - conf).abs() < 0.1 {
            continue;
        }
        // The curve's rightmost column is its highest-confidence bin.
        let (x, row) = png.curve(color).last();
        let above = row < on_line(x);
        assert_eq!(above, acc > conf, "{m}: the top bin (confidence {conf}, accuracy {acc}) drawn at row {row}");
    }
    std::fs::remove_dir_all(&d).ok();
}

/// `regula bench`: both benchmarks run small, print their ratios and JSON with every measured figure
/// finite and positive, the GPU's included (CI has lavapipe).
#[test]
fn the_benchmarks_run_and_report_their_ratios() {
    let json = regula(&["bench", "sketch-apply", "--n", "4096", "--d", "8", "--reps", "1", "--json"]);
    for key in ["cpu_gaussian_seconds", "cpu_srht_seconds", "gpu_gaussian_seconds", "gpu_srht_seconds"] {
        let v = json[key].as_f64().unwrap_or_else(|| panic!("{key}: {json}"));
        assert!(v.is_finite() && v > 0.0, "{key} = {v}");
    }
    let ratio = json["cpu_speedup"].as_f64().unwrap();
    let want = json["cpu_gaussian_seconds"].as_f64().unwrap() / json["cpu_srht_seconds"].as_f64().unwrap();
    assert!((ratio - want).abs() <= 1e-12 * want, "the printed ratio is the measured one");
    assert_eq!((json["n"].as_u64(), json["d"].as_u64(), json["m"].as_u64()), (Some(4096), Some(8), Some(32)));

    let json = regula(&["bench", "train-gpu", "--epochs", "1", "--max-width", "32", "--json"]);
    let nets = json["nets"].as_array().unwrap_or_else(|| panic!("{json}"));
    assert_eq!(nets.len(), 2, "the 2-8-8-1 Playground net and 64-32-10 on digits: {json}");
    for net in nets {
        for key in ["cpu_steps_per_second", "one_workgroup_steps_per_second", "tiled_steps_per_second"] {
            let v = net[key].as_f64().unwrap_or_else(|| panic!("{key}: {net}"));
            assert!(v.is_finite() && v > 0.0, "{key} = {v}");
        }
    }
    assert!(json["device"].is_string(), "the GPU named: {json}");

    let json = regula(&["bench", "sweep", "--nets", "16", "--epochs", "2", "--solo", "2", "--json"]);
    let rows = json["rows"].as_array().unwrap_or_else(|| panic!("{json}"));
    assert_eq!(rows.len(), 2, "2-8-8-1 and digits: {json}");
    for row in rows {
        assert_eq!(row["nets"], 16);
        for key in ["cpu_sweep", "cpu_solo", "gpu_sweep", "gpu_solo"] {
            let v = row[key].as_f64().unwrap_or_else(|| panic!("{key}: {row}"));
            assert!(v.is_finite() && v > 0.0, "{key} = {v}");
        }
    }

    let json = regula(&["bench", "sweep-ot", "--problems", "16", "--n", "12", "--solo", "2", "--json"]);
    let row = &json["rows"][0];
    assert_eq!((row["problems"].as_u64(), row["n"].as_u64()), (Some(16), Some(12)), "{json}");
    assert!(row["iterations"].as_u64().unwrap() >= 16, "{json}");
    for key in ["cpu_sweep", "cpu_solo", "gpu_batch", "gpu_solo"] {
        let v = row[key].as_f64().unwrap_or_else(|| panic!("{key}: {row}"));
        assert!(v.is_finite() && v > 0.0, "{key} = {v}");
    }
}
