//! Training datasets: TensorFlow Playground's 2-D sets (circle, xor, gauss, spiral; plane and multigauss
//! for regression), a teacher network, the 8×8 digits, and CSV upload; Playground's input features
//! (x, y, x², y², xy, sin x, sin y); a seeded train/test split and label noise.
//!
//! The spiral is docs/methods.md §3's (the edge-of-stability setting): t = 3π√U, two arms
//! (x, y) = t (cos(t + πc), sin(t + πc)) / 6 for c ∈ {0, 1}, plus N(0, noise²) per coordinate.

use serde::{Deserialize, Serialize};

use super::mlp::Loss;
use crate::error::{Error, Result};
use crate::rng::SplitMix64;

crate::choice! {
    /// A generated dataset (`--dataset`).
    pub enum DatasetKind("dataset") {
        Circle => "circle",
        Xor => "xor",
        Gauss => "gauss",
        Spiral => "spiral",
        /// Regression: y = (x₁ + x₂)/10 + noise.
        Plane => "plane",
        /// Regression: a sum of Gaussian bumps + noise.
        Multigauss => "multigauss",
        /// The scikit-learn 8×8 digits (1,797 images, 10 classes).
        Digits => "digits",
        /// Regression on the output of a random 2-8-1 tanh teacher network.
        Teacher => "teacher",
        /// 4 classes in 20 dimensions: means drawn N(0, I) once per seed, points mean + N(0, noise²·I)
        /// (the noisy-labels setting of docs/methods.md §3).
        Mixture => "mixture",
    }
}

crate::choice! {
    /// An input feature (Playground's feature maps).
    pub enum Feature("feature") {
        X => "x",
        Y => "y",
        X2 => "x2",
        Y2 => "y2",
        Xy => "xy",
        SinX => "sinx",
        SinY => "siny",
    }
}

impl Feature {
    fn eval(self, x: f64, y: f64) -> f64 {
        match self {
            Feature::X => x,
            Feature::Y => y,
            Feature::X2 => x * x,
            Feature::Y2 => y * y,
            Feature::Xy => x * y,
            Feature::SinX => x.sin(),
            Feature::SinY => y.sin(),
        }
    }
}

/// The mixture's classes and dimension.
pub const MIXTURE_CLASSES: usize = 4;
pub const MIXTURE_DIM: usize = 20;

/// The 8×8 digits as bytes, pixel-major: 65 planes of 1,797 (pixel p of every image, 0..16, for p < 64; then
/// the labels) — `static/data/digits8.bin`, made from `digits8.csv` by `tools/make_digit_bins.py`.
const DIGITS8: &[u8] = include_bytes!("../../../static/data/digits8.bin");

/// What to generate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSpec {
    pub kind: DatasetKind,
    /// Points (ignored by digits: all 1,797).
    pub n: usize,
    /// Noise: the coordinate noise's standard deviation for the 2-D sets, the target noise for regression.
    pub noise: f64,
    /// Fraction of points used for training, in (0, 1].
    pub train_ratio: f64,
    /// Fraction of training labels replaced by another class (classification).
    pub label_noise: f64,
    /// How a noisy label is chosen: a uniformly drawn other class, or the next class (c → c + 1 mod k).
    #[serde(default)]
    pub label_noise_kind: NoiseKind,
    /// 2-D sets: the input features (default x, y).
    pub features: Vec<Feature>,
    /// The draw. Not a link's or the CLI's own field: the training lab sets it from its one `seed`.
    #[serde(skip)]
    pub seed: u64,
}

impl Default for DatasetSpec {
    fn default() -> Self {
        Self {
            kind: DatasetKind::Spiral,
            n: 200,
            noise: 0.05,
            train_ratio: 1.0,
            label_noise: 0.0,
            label_noise_kind: NoiseKind::Symmetric,
            features: vec![Feature::X, Feature::Y],
            seed: 0,
        }
    }
}

crate::choice! {
    /// Label noise: which wrong class a flipped label takes (`--label-noise-kind`).
    #[derive(Default)]
    pub enum NoiseKind("label-noise-kind") {
        /// A uniformly drawn other class.
        #[default]
        Symmetric => "symmetric",
        /// The next class, c → (c + 1) mod k (class-dependent noise, "asymmetric" in the papers).
        Asymmetric => "asymmetric",
    }
}

impl NoiseKind {
    /// The noise transition matrix T (k × k, row-major): T_ij = P(noisy label j | clean label i) when a
    /// fraction `rate` of labels is flipped.
    pub fn transition(self, rate: f64, k: usize) -> Vec<f64> {
        let mut t = vec![0.0; k * k];
        for i in 0..k {
            t[i * k + i] = 1.0 - rate;
            match self {
                NoiseKind::Symmetric => (0..k).filter(|&j| j != i).for_each(|j| t[i * k + j] = rate / (k - 1) as f64),
                NoiseKind::Asymmetric => t[i * k + (i + 1) % k] += rate,
            }
        }
        t
    }
}

/// A dataset ready to train on: raw 2-D points (for drawing), feature inputs, targets, split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Number of inputs per row (features).
    pub inputs: usize,
    /// Rows × inputs.
    pub x: Vec<f64>,
    /// The raw 2-D coordinates (rows × 2) of the Playground sets, for the decision-boundary view; empty otherwise.
    pub points: Vec<f64>,
    /// Classification: the class of each row (after label noise on training rows); empty for regression.
    pub class: Vec<usize>,
    /// The clean class (before label noise).
    pub clean_class: Vec<usize>,
    /// Number of classes (0 for regression).
    pub classes: usize,
    /// Regression targets (rows), empty for classification.
    pub target: Vec<f64>,
    pub train: Vec<usize>,
    pub test: Vec<usize>,
    pub features: Vec<Feature>,
}

impl Dataset {
    pub fn rows(&self) -> usize {
        self.x.len() / self.inputs.max(1)
    }

    /// Network outputs for a loss: 1 for regression and for binary MSE (targets ±1), else one per class.
    pub fn outputs(&self, loss: Loss) -> usize {
        match (self.classes, loss) {
            (0, _) => 1,
            (2, Loss::Mse) => 1,
            (k, _) => k,
        }
    }

    /// Regression targets as rows × outputs for `loss` (±1 or one-hot for classification under MSE).
    pub fn targets(&self, loss: Loss) -> Vec<f64> {
        let k = self.outputs(loss);
        if self.classes == 0 {
            return self.target.clone();
        }
        let mut y = vec![0.0; self.class.len() * k];
        for (r, &c) in self.class.iter().enumerate() {
            if k == 1 {
                y[r] = if c == 1 { 1.0 } else { -1.0 };
            } else {
                y[r * k + c] = 1.0;
            }
        }
        y
    }

    /// Maps a raw 2-D point through the features (for drawing the decision boundary).
    pub fn featurize(&self, px: f64, py: f64) -> Vec<f64> {
        self.features.iter().map(|f| f.eval(px, py)).collect()
    }
}

impl DatasetSpec {
    pub fn validate(&self) -> Result<()> {
        if self.kind != DatasetKind::Digits && !(4..=100_000).contains(&self.n) {
            return Err(Error::Invalid { name: "n", message: format!("it must lie in 4..=100000, got {}", self.n) });
        }
        if !(self.noise >= 0.0 && self.noise <= 10.0) {
            return Err(Error::Invalid {
                name: "noise",
                message: format!("it must lie in [0, 10], got {}", self.noise),
            });
        }
        if !(self.train_ratio > 0.0 && self.train_ratio <= 1.0) {
            return Err(Error::Invalid {
                name: "train-ratio",
                message: format!("it must lie in (0, 1], got {}", self.train_ratio),
            });
        }
        if !(0.0..=1.0).contains(&self.label_noise) {
            return Err(Error::Invalid {
                name: "label-noise",
                message: format!("it must lie in [0, 1], got {}", self.label_noise),
            });
        }
        if self.features.is_empty() && !matches!(self.kind, DatasetKind::Digits | DatasetKind::Mixture) {
            return Err(Error::Invalid { name: "features", message: "choose at least one input feature".into() });
        }
        Ok(())
    }

    pub fn build(&self) -> Result<Dataset> {
        self.validate()?;
        let mut rng = SplitMix64::new(self.seed);
        let noise = self.noise;
        let n = self.n;
        let mut points = Vec::new();
        let mut class = Vec::new();
        let mut target = Vec::new();
        let g = |rng: &mut SplitMix64| rng.normal() * noise;
        match self.kind {
            DatasetKind::Circle => {
                for k in 0..n {
                    let c = k % 2;
                    let r = if c == 1 { 2.5 * rng.uniform() } else { 3.5 + 1.5 * rng.uniform() };
                    let a = std::f64::consts::TAU * rng.uniform();
                    points.extend([r * a.cos() + g(&mut rng), r * a.sin() + g(&mut rng)]);
                    class.push(c);
                }
            }
            DatasetKind::Xor => {
                for _ in 0..n {
                    let pad = |v: f64| if v >= 0.0 { v + 0.3 } else { v - 0.3 };
                    let (x, y) = (pad(10.0 * rng.uniform() - 5.0), pad(10.0 * rng.uniform() - 5.0));
                    class.push(usize::from(x * y >= 0.0));
                    points.extend([x + g(&mut rng), y + g(&mut rng)]);
                }
            }
            DatasetKind::Gauss => {
                for k in 0..n {
                    let c = k % 2;
                    let m = if c == 1 { 2.0 } else { -2.0 };
                    points.extend([m + rng.normal() + g(&mut rng), m + rng.normal() + g(&mut rng)]);
                    class.push(c);
                }
            }
            DatasetKind::Spiral => {
                for k in 0..n {
                    let c = k % 2;
                    let t = 3.0 * std::f64::consts::PI * rng.uniform().sqrt();
                    let phase = t + std::f64::consts::PI * c as f64;
                    points.extend([t * phase.cos() / 6.0 + g(&mut rng), t * phase.sin() / 6.0 + g(&mut rng)]);
                    class.push(c);
                }
            }
            DatasetKind::Plane | DatasetKind::Multigauss | DatasetKind::Teacher => {
                let teacher = (self.kind == DatasetKind::Teacher).then(|| {
                    let arch =
                        super::mlp::Architecture::new(2, vec![8], 1, super::mlp::Activation::Tanh).expect("valid");
                    let theta = arch.init(self.seed ^ 0x7EAC);
                    (arch, theta)
                });
                for _ in 0..n {
                    let (x, y) = (10.0 * rng.uniform() - 5.0, 10.0 * rng.uniform() - 5.0);
                    let clean = match &teacher {
                        Some((arch, theta)) => super::mlp::predict(arch, theta, &[x / 2.5, y / 2.5])[0],
                        None if self.kind == DatasetKind::Plane => (x + y) / 10.0,
                        None => {
                            let bumps = [(-2.0, 2.0, 1.0), (2.0, -2.0, 1.0), (2.0, 2.0, -1.0), (-2.0, -2.0, -1.0)];
                            bumps
                                .iter()
                                .map(|(cx, cy, s)| s * (-((x - cx).powi(2) + (y - cy).powi(2)) / 2.0).exp())
                                .sum()
                        }
                    };
                    points.extend([x, y]);
                    target.push(clean + g(&mut rng));
                }
            }
            DatasetKind::Digits => return self.digits(rng),
            DatasetKind::Mixture => return Ok(self.mixture(rng)),
        }
        let classes = if class.is_empty() { 0 } else { 2 };
        let rows = points.len() / 2;
        let x: Vec<f64> = (0..rows)
            .flat_map(|r| self.features.iter().map(move |f| (r, *f)))
            .map(|(r, f)| f.eval(points[2 * r], points[2 * r + 1]))
            .collect();
        Ok(self.finish(
            Dataset {
                inputs: self.features.len(),
                x,
                points,
                clean_class: class.clone(),
                class,
                classes,
                target,
                train: vec![],
                test: vec![],
                features: self.features.clone(),
            },
            rng,
        ))
    }

    /// MIXTURE_CLASSES Gaussian classes in MIXTURE_DIM dimensions, classes in turn.
    fn mixture(&self, mut rng: SplitMix64) -> Dataset {
        let (k, d) = (MIXTURE_CLASSES, MIXTURE_DIM);
        let means: Vec<f64> = (0..k * d).map(|_| rng.normal()).collect();
        let mut x = Vec::with_capacity(self.n * d);
        let mut class = Vec::with_capacity(self.n);
        for i in 0..self.n {
            let c = i % k;
            x.extend((0..d).map(|j| means[c * d + j] + self.noise * rng.normal()));
            class.push(c);
        }
        self.finish(
            Dataset {
                inputs: d,
                x,
                points: vec![],
                clean_class: class.clone(),
                class,
                classes: k,
                target: vec![],
                train: vec![],
                test: vec![],
                features: vec![],
            },
            rng,
        )
    }

    fn digits(&self, rng: SplitMix64) -> Result<Dataset> {
        let mut x = Vec::with_capacity(1797 * 64);
        let mut class = Vec::with_capacity(1797);
        let count = DIGITS8.len() / 65;
        for i in 0..count {
            x.extend((0..64).map(|p| f64::from(DIGITS8[p * count + i]) / 16.0));
            class.push(usize::from(DIGITS8[64 * count + i]));
        }
        Ok(self.finish(
            Dataset {
                inputs: 64,
                x,
                points: vec![],
                clean_class: class.clone(),
                class,
                classes: 10,
                target: vec![],
                train: vec![],
                test: vec![],
                features: vec![],
            },
            rng,
        ))
    }

    /// Shuffles into train/test and flips `label_noise` of the training labels (as `label_noise_kind` says).
    pub(crate) fn finish(&self, mut d: Dataset, mut rng: SplitMix64) -> Dataset {
        let rows = d.rows();
        let mut order: Vec<usize> = (0..rows).collect();
        for i in (1..rows).rev() {
            order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
        let n_train = ((rows as f64 * self.train_ratio).round() as usize).clamp(1, rows);
        d.test = order.split_off(n_train);
        d.train = order;
        if d.classes > 1 && self.label_noise > 0.0 {
            for &r in &d.train {
                if rng.uniform() < self.label_noise {
                    let shift = match self.label_noise_kind {
                        NoiseKind::Symmetric => 1 + (rng.next_u64() % (d.classes as u64 - 1)) as usize,
                        NoiseKind::Asymmetric => 1,
                    };
                    d.class[r] = (d.class[r] + shift) % d.classes;
                }
            }
        }
        d
    }
}

/// A person's CSV: numeric columns, the last one the target (integer labels 0..k−1 make it classification
/// when `classify`), optional header; all rows train and test alike split by `train_ratio`.
pub fn from_csv(file: &str, text: &str, classify: bool, train_ratio: f64, seed: u64) -> Result<Dataset> {
    let m = crate::table::read(file, text)?;
    if m.cols < 2 {
        return Err(Error::Csv {
            file: file.to_owned(),
            line: 1,
            message: "need at least one input column and the target column".into(),
        });
    }
    let inputs = m.cols - 1;
    let x: Vec<f64> = m.data.chunks(m.cols).flat_map(|r| r[..inputs].to_vec()).collect();
    let last: Vec<f64> = m.data.chunks(m.cols).map(|r| r[inputs]).collect();
    let (class, target, classes) = if classify {
        if let Some((k, v)) = last.iter().enumerate().find(|(_, v)| v.fract() != 0.0 || **v < 0.0 || **v > 1000.0) {
            return Err(Error::Csv {
                file: file.to_owned(),
                line: m.lines[k],
                message: format!("the label {v} is not a class number 0, 1, 2, …"),
            });
        }
        let class: Vec<usize> = last.iter().map(|v| *v as usize).collect();
        let k = class.iter().max().map_or(0, |m| m + 1).max(2);
        (class, vec![], k)
    } else {
        (vec![], last, 0)
    };
    let points = if inputs == 2 { x.clone() } else { vec![] };
    let spec = DatasetSpec { train_ratio, seed, ..DatasetSpec::default() };
    spec.validate()?;
    Ok(spec.finish(
        Dataset {
            inputs,
            x,
            points,
            clean_class: class.clone(),
            class,
            classes,
            target,
            train: vec![],
            test: vec![],
            features: vec![Feature::X, Feature::Y],
        },
        SplitMix64::new(seed),
    ))
}

#[cfg(test)]
mod tests {

    /// The embedded bytes are the CSV's digits (tools/make_digit_bins.py keeps them in step).
    #[test]
    fn the_embedded_digits_are_the_csvs() {
        let csv = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../static/data/digits8.csv")).unwrap();
        let rows: Vec<Vec<u8>> = csv
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect())
            .collect();
        assert_eq!(rows.len() * 65, DIGITS8.len());
        for (i, r) in rows.iter().enumerate() {
            for (p, &v) in r.iter().enumerate() {
                assert_eq!(DIGITS8[p * rows.len() + i], v, "image {i}, value {p}");
            }
        }
    }
    use super::*;

    #[test]
    fn every_dataset_builds_with_the_right_shapes() {
        for kind in DatasetKind::ALL {
            let spec = DatasetSpec { kind, n: 100, train_ratio: 0.5, ..DatasetSpec::default() };
            let d = spec.build().unwrap();
            let rows = if kind == DatasetKind::Digits { 1797 } else { 100 };
            assert_eq!(d.rows(), rows, "{kind}");
            assert_eq!(d.train.len() + d.test.len(), rows);
            assert!(d.x.iter().all(|v| v.is_finite()));
            match kind {
                DatasetKind::Digits => assert_eq!((d.inputs, d.classes), (64, 10)),
                DatasetKind::Mixture => {
                    assert_eq!((d.inputs, d.classes), (MIXTURE_DIM, MIXTURE_CLASSES));
                    assert!((0..MIXTURE_CLASSES).all(|c| d.class.iter().filter(|&&k| k == c).count() == 25));
                }
                DatasetKind::Plane | DatasetKind::Multigauss | DatasetKind::Teacher => assert_eq!(d.target.len(), 100),
                _ => {
                    // Balanced by construction, except xor (by quadrant: binomial around 50).
                    let ones = d.class.iter().filter(|&&c| c == 1).count();
                    assert_eq!(d.classes, 2);
                    assert!(
                        if kind == DatasetKind::Xor { (25..=75).contains(&ones) } else { ones == 50 },
                        "{kind}: {ones}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_spiral_follows_reference_md() {
        let d = DatasetSpec { noise: 0.0, ..DatasetSpec::default() }.build().unwrap();
        for r in 0..d.rows() {
            let (x, y) = (d.points[2 * r], d.points[2 * r + 1]);
            // t = 6·|p| ∈ [0, 3π], and the angle is t + πc (mod 2π).
            let t = 6.0 * x.hypot(y);
            assert!(t <= 3.0 * std::f64::consts::PI + 1e-9);
            let phase = t + std::f64::consts::PI * d.class[r] as f64;
            if t > 1e-6 {
                assert!((x - t * phase.cos() / 6.0).abs() < 1e-12 && (y - t * phase.sin() / 6.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn asymmetric_noise_moves_labels_to_the_next_class() {
        let spec = DatasetSpec {
            kind: DatasetKind::Mixture,
            n: 4000,
            noise: 1.0,
            train_ratio: 1.0,
            label_noise: 0.3,
            label_noise_kind: NoiseKind::Asymmetric,
            features: vec![],
            ..DatasetSpec::default()
        };
        let d = spec.build().unwrap();
        let k = d.classes;
        let flipped: Vec<usize> = d.train.iter().copied().filter(|&r| d.class[r] != d.clean_class[r]).collect();
        assert!(flipped.iter().all(|&r| d.class[r] == (d.clean_class[r] + 1) % k));
        let rate = flipped.len() as f64 / d.train.len() as f64;
        assert!((rate - 0.3).abs() < 0.03, "flipped {rate}");
        let t = NoiseKind::Asymmetric.transition(0.3, 4);
        assert_eq!(&t[..4], &[0.7, 0.3, 0.0, 0.0]);
        assert_eq!(&t[12..], &[0.3, 0.0, 0.0, 0.7]);
        let s = NoiseKind::Symmetric.transition(0.3, 4);
        assert!(s.chunks(4).all(|r| (r.iter().sum::<f64>() - 1.0).abs() < 1e-12) && (s[1] - 0.1).abs() < 1e-12);
    }

    #[test]
    fn features_and_label_noise() {
        let spec = DatasetSpec {
            kind: DatasetKind::Circle,
            n: 1000,
            features: vec![Feature::X2, Feature::Xy],
            label_noise: 0.3,
            ..DatasetSpec::default()
        };
        let d = spec.build().unwrap();
        assert_eq!(d.inputs, 2);
        assert!(
            (d.x[0] - d.points[0] * d.points[0]).abs() < 1e-12 && (d.x[1] - d.points[0] * d.points[1]).abs() < 1e-12
        );
        let flipped = d.train.iter().filter(|&&r| d.class[r] != d.clean_class[r]).count() as f64 / d.train.len() as f64;
        assert!((flipped - 0.3).abs() < 0.05, "{flipped}");
    }

    #[test]
    fn csv_upload_and_bad_input() {
        let d = from_csv("d.csv", "a,b,label\n0,1,0\n1,0,1\n1,1,2\n0,0,0\n", true, 1.0, 0).unwrap();
        assert_eq!((d.inputs, d.classes, d.rows()), (2, 3, 4));
        assert!(matches!(from_csv("d.csv", "0,1,0.5\n", true, 1.0, 0), Err(Error::Csv { line: 1, .. })));
        assert!(matches!(from_csv("d.csv", "1\n2\n", false, 1.0, 0), Err(Error::Csv { .. })));
        assert!(DatasetSpec { n: 2, ..DatasetSpec::default() }.build().is_err());
        assert!(DatasetSpec { train_ratio: 0.0, ..DatasetSpec::default() }.build().is_err());
        assert!(DatasetSpec { noise: f64::NAN, ..DatasetSpec::default() }.build().is_err());
    }
}
