//! The `regula …` command line that reproduces a lab's run headless: the page shows it beside the run
//! controls, and the CLI's tests run what these functions print. Every flag is written (not only those
//! that differ from the CLI's defaults), so the line stays right if a default changes; values are numbers
//! in Rust's shortest round-trip form or choice words, so no quoting is needed — except the names of a
//! person's own files, which `shell_word` quotes for a POSIX shell when they need it.

use crate::demo::ReduceCheckParams;
use crate::gen::{continual, double_descent, epoch_wise, noisy_labels, pskd, quadratic, student_teacher};
use crate::sketch::experiment::Config as SketchConfig;
use crate::sketch::regression::Design;
use crate::ot::{Method, ProblemSpec, SolverParams};
use crate::train::{DatasetSpec, TrainConfig};
use crate::BackendChoice;

fn list<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}

fn line(head: &str, flags: Vec<(&str, String)>) -> String {
    let mut s = head.to_owned();
    for (k, v) in flags {
        s.push_str(" --");
        s.push_str(k);
        if !v.is_empty() {
            s.push(' ');
            s.push_str(&v);
        }
    }
    s
}

/// `regula train …` for a generated dataset (an uploaded CSV would need `--data FILE` instead).
pub fn train(data: &DatasetSpec, c: &TrainConfig, backend: BackendChoice) -> String {
    let mut f = vec![
        ("dataset", data.kind.to_string()),
        ("n", data.n.to_string()),
        ("noise", data.noise.to_string()),
        ("train-ratio", data.train_ratio.to_string()),
        ("label-noise", data.label_noise.to_string()),
        ("noise-kind", data.noise_kind.to_string()),
        ("features", list(&data.features)),
        ("hidden", list(&c.hidden)),
        ("activation", c.activation.to_string()),
    ];
    if !c.layer_activations.is_empty() {
        f.push(("activations", list(&c.layer_activations)));
    }
    f.extend([
        ("loss", c.loss.to_string()),
        ("optimizer", c.optimizer.to_string()),
        ("momentum", c.momentum.to_string()),
        ("lr", c.lr.to_string()),
        ("schedule", c.schedule.to_string()),
        ("batch", c.batch.to_string()),
        ("epochs", c.epochs.to_string()),
        ("reg", c.reg.to_string()),
        ("reg-rate", c.reg_rate.to_string()),
        ("label-smoothing", c.label_smoothing.to_string()),
        ("hessian-every", c.hessian_every.to_string()),
    ]);
    if let Some(e) = c.elr {
        f.extend([("elr", String::new()), ("elr-beta", e.beta.to_string()), ("elr-lambda", e.lambda.to_string())]);
    }
    f.extend([("seed", c.seed.to_string()), ("backend", backend.to_string()), ("json", String::new())]);
    line("regula train", f)
}

/// `regula ot …`, one line per method (the page's "compare" runs two).
pub fn ot(p: &ProblemSpec, s: &SolverParams, methods: &[Method], backend: BackendChoice) -> Vec<String> {
    methods
        .iter()
        .map(|m| {
            let mut f = vec![
                ("problem", p.kind.to_string()),
                ("n", p.n.to_string()),
                ("m", p.m.to_string()),
                ("seed", p.seed.to_string()),
                ("cost", p.cost.to_string()),
            ];
            if p.normalize_cost {
                f.push(("normalize-cost", String::new()));
            }
            f.extend([("eps", s.eps.to_string()), ("method", m.to_string()), ("n1", s.n1.to_string())]);
            if let Some(d) = s.density {
                f.push(("density", d.to_string()));
            }
            f.extend([("tol", s.tol.to_string()), ("max-iter", s.max_iter.to_string())]);
            if s.eps_scaling {
                f.push(("eps-scaling", String::new()));
            }
            f.extend([("backend", backend.to_string()), ("json", String::new())]);
            line("regula ot", f)
        })
        .collect()
}

pub fn student_teacher(c: &student_teacher::Config, sweep: bool) -> String {
    let mut f = vec![
        ("alpha", c.alpha.to_string()),
        ("snr", c.snr.to_string()),
        ("n-inputs", c.n_inputs.to_string()),
        ("t-max", c.t_max.to_string()),
        ("points", c.points.to_string()),
        ("seed", c.seed.to_string()),
    ];
    if sweep {
        f.push(("sweep", String::new()));
    }
    f.push(("json", String::new()));
    line("regula gen student-teacher", f)
}

pub fn double_descent(c: &double_descent::Config) -> String {
    line(
        "regula gen double-descent",
        vec![
            ("n", c.n.to_string()),
            ("noise", c.noise_var.to_string()),
            ("signal", c.signal.to_string()),
            ("gamma-min", c.gamma_min.to_string()),
            ("gamma-max", c.gamma_max.to_string()),
            ("points", c.points.to_string()),
            ("trials", c.trials.to_string()),
            ("seed", c.seed.to_string()),
            ("json", String::new()),
        ],
    )
}

pub fn noisy_labels(c: &noisy_labels::Config) -> String {
    line(
        "regula gen noisy-labels",
        vec![
            ("noise-rate", c.noise_rate.to_string()),
            ("noise-kind", c.noise_kind.to_string()),
            ("spread", c.spread.to_string()),
            ("n", c.n.to_string()),
            ("hidden", c.hidden.to_string()),
            ("epochs", c.epochs.to_string()),
            ("lr", c.lr.to_string()),
            ("batch", c.batch.to_string()),
            ("elr-beta", c.elr.beta.to_string()),
            ("elr-lambda", c.elr.lambda.to_string()),
            ("forward", c.forward.to_string()),
            ("warmup", c.warmup.to_string()),
            ("seed", c.seed.to_string()),
            ("json", String::new()),
        ],
    )
}

pub fn pskd(c: &pskd::Config) -> String {
    line(
        "regula gen pskd",
        vec![
            ("alpha-t", c.alpha_t.to_string()),
            ("smoothing", c.smoothing.to_string()),
            ("train-ratio", c.train_ratio.to_string()),
            ("hidden", c.hidden.to_string()),
            ("epochs", c.epochs.to_string()),
            ("lr", c.lr.to_string()),
            ("batch", c.batch.to_string()),
            ("seed", c.seed.to_string()),
            ("json", String::new()),
        ],
    )
}

pub fn continual(c: &continual::Config) -> String {
    let mut f = vec![
        ("lambdas", list(&c.lambdas)),
        ("hidden", list(&c.hidden)),
        ("n", c.n.to_string()),
        ("epochs-a", c.epochs_a.to_string()),
        ("epochs-b", c.epochs_b.to_string()),
        ("lr", c.lr.to_string()),
        ("batch", c.batch.to_string()),
    ];
    if c.momentum {
        f.push(("momentum", String::new()));
    }
    f.extend([
        ("lora-rank", c.lora_rank.to_string()),
        ("input-scale", c.input_scale.to_string()),
        ("seeds", c.seeds.to_string()),
        ("seed", c.seed.to_string()),
        ("json", String::new()),
    ]);
    line("regula gen continual", f)
}

pub fn epoch_wise(c: &epoch_wise::Config) -> String {
    let mut f = vec![
        ("label-noise", c.label_noise.to_string()),
        ("n", c.n.to_string()),
        ("n-test", c.n_test.to_string()),
        ("categories", c.categories.to_string()),
        ("fast-scale", c.fast_scale.to_string()),
        ("slow-scale", c.slow_scale.to_string()),
        ("fast-weight", c.fast_weight.to_string()),
        ("hidden", list(&c.hidden)),
        ("activation", c.activation.to_string()),
        ("lr", c.lr.to_string()),
        ("l2", c.l2.to_string()),
        ("epochs", c.epochs.to_string()),
        ("seeds", c.seeds.to_string()),
    ];
    if !c.control {
        f.push(("no-control", String::new()));
    }
    f.extend([("seed", c.seed.to_string()), ("json", String::new())]);
    line("regula gen epoch-wise", f)
}

pub fn quadratic(c: &quadratic::Config) -> String {
    line(
        "regula gen quadratic",
        vec![
            ("d", c.d.to_string()),
            ("kappa", c.kappa.to_string()),
            ("student-kappa", c.student_kappa.to_string()),
            ("alphas", list(&c.alphas)),
            ("restarts", c.restarts.to_string()),
            ("steps", c.steps.to_string()),
            ("lr", c.lr.to_string()),
            ("init-scale", c.init_scale.to_string()),
            ("seed", c.seed.to_string()),
            ("json", String::new()),
        ],
    )
}

/// A file name as one POSIX shell word: as is when it is made of letters, digits and `._/-+=,:@%`,
/// otherwise in single quotes (a quote inside written as `'\''`).
pub fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "._/-+=,:@%".contains(c)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// `regula sketch …`: a generated design (n × d), or the person's own A and b (`files`: the names they
/// were uploaded under; the line expects them in the working directory).
pub fn sketch(design: Design, n: usize, d: usize, c: &SketchConfig, files: Option<(&str, &str)>, backend: BackendChoice) -> String {
    let mut f = match files {
        Some((a, b)) => vec![("matrix", shell_word(a)), ("rhs", shell_word(b))],
        None => vec![("design", design.to_string()), ("n", n.to_string()), ("d", d.to_string())],
    };
    f.extend([
        ("m", list(&c.ms)),
        ("sketch", list(&c.sketches)),
        ("s", c.s.to_string()),
        ("trials", c.trials.to_string()),
        ("seed", c.seed.to_string()),
        ("solver", c.solver.to_string()),
        ("tol", c.tol.to_string()),
        ("backend", backend.to_string()),
        ("json", String::new()),
    ]);
    line("regula sketch", f)
}

/// `regula check …`: the kernels page's reduction check.
pub fn check(p: &ReduceCheckParams, backend: BackendChoice) -> String {
    line(
        "regula check",
        vec![
            ("rows", p.rows.to_string()),
            ("cols", p.cols.to_string()),
            ("op", p.op.to_string()),
            ("axis", p.axis.to_string()),
            ("trials", p.trials.to_string()),
            ("seed", p.seed.to_string()),
            ("backend", backend.to_string()),
            ("json", String::new()),
        ],
    )
}

/// `regula nuclear …`: the sketching page's nuclear-norm panel.
pub fn nuclear(n: usize, d: usize, rank: usize, collapse: f64) -> String {
    line(
        "regula nuclear",
        vec![("n", n.to_string()), ("d", d.to_string()), ("rank", rank.to_string()), ("collapse", collapse.to_string()), ("json", String::new())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_every_flag_with_exact_values() {
        let c = quadratic::Config { alphas: vec![0.1 + 0.2, 1.0], ..Default::default() };
        let l = quadratic(&c);
        assert!(l.starts_with("regula gen quadratic --d 20 --kappa 0.5 "), "{l}");
        assert!(l.contains("--alphas 0.30000000000000004,1 "), "{l}");
        assert!(l.ends_with("--seed 0 --json"), "{l}");
        let t = train(&DatasetSpec::default(), &TrainConfig { elr: Some(crate::train::elr::Elr::default()), ..Default::default() }, BackendChoice::Cpu);
        assert!(t.contains("--features x,y ") && t.contains("--elr --elr-beta 0.7 --elr-lambda 3 ") && t.contains("--backend cpu --json"), "{t}");
        let o = ot(&ProblemSpec::default(), &SolverParams::default(), &[Method::LogSinkhorn, Method::Sns], BackendChoice::Auto);
        assert_eq!(o.len(), 2);
        assert!(o[0].contains("--method log-sinkhorn") && o[1].contains("--method sns") && o[0].contains("--normalize-cost"), "{o:?}");
        let c = SketchConfig { ms: vec![64, 128], ..Default::default() };
        let k = sketch(Design::Spiky, 512, 8, &c, None, BackendChoice::Gpu);
        assert!(k.starts_with("regula sketch --design spiky --n 512 --d 8 --m 64,128 --sketch ") && k.ends_with("--backend gpu --json"), "{k}");
        let k = sketch(Design::Spiky, 512, 8, &c, Some(("my A.csv", "b.csv")), BackendChoice::Cpu);
        assert!(k.starts_with("regula sketch --matrix 'my A.csv' --rhs b.csv --m 64,128 "), "{k}");
        let r = check(&ReduceCheckParams::default(), BackendChoice::Auto);
        assert_eq!(r, "regula check --rows 512 --cols 512 --op lse --axis cols --trials 60 --seed 1 --backend auto --json");
    }

    #[test]
    fn file_names_are_quoted_only_when_a_shell_needs_it() {
        assert_eq!(shell_word("data/A-1.csv"), "data/A-1.csv");
        assert_eq!(shell_word("my A.csv"), "'my A.csv'");
        assert_eq!(shell_word("it's.csv"), "'it'\\''s.csv'");
        assert_eq!(shell_word("$(rm -rf x).csv"), "'$(rm -rf x).csv'");
        assert_eq!(shell_word(""), "''");
    }
}
