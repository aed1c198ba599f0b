//! The CLI held to the page: the command lines the page shows run as printed, a run file sets flags, every
//! lab draws its charts into PNGs that show what the JSON says, and both front ends place runs alike.

use super::{last_json, regula};

/// The command lines the page shows (`regula_core::lab::args::line`) run as printed and reproduce the page's
/// parameters: every flag exists, every value parses, and the JSON echoes what was asked.
#[test]
fn the_pages_command_lines_run_as_printed() {
    use regula_core::generalization::{
        continual, double_descent, epoch_wise, noisy_labels, pskd, quadratic, student_teacher,
    };
    use regula_core::lab::args::{line, split_words};
    use regula_core::train::{DatasetKind, DatasetSpec, Feature, NoiseKind, Optimizer, TrainConfig};
    use regula_core::BackendChoice;
    let run = |line: &str| {
        let words = split_words(line);
        let args: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
        let (ok, stdout, stderr) = regula(&args);
        assert!(ok, "{line}\n{stderr}");
        last_json(&stdout)
    };
    let data = DatasetSpec {
        kind: DatasetKind::Circle,
        n: 120,
        noise: 0.1,
        train_ratio: 0.75,
        label_noise: 0.1,
        label_noise_kind: NoiseKind::Asymmetric,
        features: vec![Feature::X, Feature::Y, Feature::Xy],
        seed: 3,
    };
    let config = TrainConfig {
        hidden: vec![5, 3],
        optimizer: Optimizer::Momentum,
        momentum: 0.8,
        lr: 0.05,
        batch: 12,
        epochs: 7,
        seed: 3,
        ..TrainConfig::default()
    };
    let train = regula_core::train::lab::Params { data, config, backend: BackendChoice::Cpu, ..Default::default() };
    let v = run(&line(&train, &[]));
    assert_eq!(
        (v["epochs"].as_f64(), v["params"].as_u64(), v["backend"].as_str()),
        (Some(7.0), Some(3 * 5 + 5 + 5 * 3 + 3 + 3 + 1), Some("cpu")),
        "{v}"
    );
    let problem =
        regula_core::ot::ProblemSpec { kind: regula_core::ot::ProblemKind::Moons, n: 60, m: 50, ..Default::default() };
    let solver = regula_core::ot::SolverParams { eps: 0.05, tol: 1e-8, density: Some(0.2), ..Default::default() };
    let ot = regula_core::ot::lab::Params {
        problem,
        solver,
        method: regula_core::ot::lab::Mode::Compare,
        backend: BackendChoice::Cpu,
    };
    let v = run(&line(&ot, &[]));
    let runs = v["runs"].as_array().expect("compare runs both methods");
    assert_eq!(runs.iter().map(|r| r["method"].as_str().unwrap()).collect::<Vec<_>>(), ["log-sinkhorn", "sns"], "{v}");
    for r in runs {
        assert_eq!((r["n"].as_u64(), r["m"].as_u64(), r["eps"].as_f64()), (Some(60), Some(50), Some(0.05)), "{v}");
    }
    let st = student_teacher::Params {
        config: student_teacher::Config { alpha: 1.5, n_inputs: 80, points: 30, ..Default::default() },
        sweep: false,
    };
    let v = run(&line(&st, &[]));
    assert_eq!(v["alpha"].as_f64(), Some(1.5));
    run(&line(&double_descent::Config { n: 30, trials: 2, points: 6, ..Default::default() }, &[]));
    let v = run(&line(
        &noisy_labels::Config {
            n: 200,
            hidden: 8,
            epochs: 3,
            warmup: 1,
            forward: noisy_labels::Forward::Given,
            ..Default::default()
        },
        &[],
    ));
    assert_eq!(v["forward"].as_str(), Some("given"));
    run(&line(&pskd::Config { hidden: 8, epochs: 2, ..Default::default() }, &[]));
    let v = run(&line(
        &continual::Config {
            lambdas: vec![0.0, 10.0],
            epochs_a: 5,
            epochs_b: 5,
            lora_rank: 1,
            seeds: 2,
            input_scale: 0.5,
            ..Default::default()
        },
        &[],
    ));
    assert_eq!((v["outcomes"].as_array().map(Vec::len), v["seeds"].as_u64()), (Some(2), Some(2)));
    for control in [true, false] {
        let v = run(&line(
            &epoch_wise::Config {
                epochs: 30,
                seeds: 2,
                n_test: 100,
                label_noise: 0.2,
                hidden: vec![8, 4],
                control,
                ..Default::default()
            },
            &[],
        ));
        assert_eq!(
            (v["label_noise"].as_f64(), v["seeds"].as_u64(), v["epochs"].as_u64()),
            (Some(0.2), Some(2), Some(30)),
            "{v}"
        );
        assert!(v["noisy"]["final_error"].is_f64(), "{v}");
        assert_eq!(v["control"].is_null(), !control, "{v}");
    }
    let v =
        run(&line(&quadratic::Config { d: 8, alphas: vec![0.5], restarts: 1, steps: 200, ..Default::default() }, &[]));
    assert_eq!(v["d"].as_u64(), Some(8));
    use regula_core::sketch::{
        experiment::Solver, lab::Params as SketchParams, operators::SketchKind, regression::Design,
    };
    let sketch = SketchParams {
        design: Design::Spiky,
        n: 512,
        d: 8,
        m: 32,
        sketches: vec![SketchKind::Gaussian, SketchKind::Osnap],
        trials: 2,
        seed: 5,
        solver: Solver::Solve,
        backend: BackendChoice::Cpu,
        ..Default::default()
    };
    let v = run(&line(&sketch, &[]));
    let cells = v["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), 4, "two sketches × two sizes (2d and m): {v}");
    assert!(cells.iter().all(|c| c["trials"].as_u64() == Some(2) && c["design"].as_str() == Some("spiky")), "{v}");
    let nuclear = regula_core::sketch::lab::NuclearParams { n: 64, d: 48, rank: 2, collapse: 0.75 };
    let v = run(&line(&nuclear, &[]));
    let rows = v["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3, "your matrix and the two references: {v}");
    assert_eq!(
        (v["n"].as_u64(), v["d"].as_u64(), v["rank"].as_u64(), v["collapse"].as_f64()),
        (Some(64), Some(48), Some(2), Some(0.75)),
        "{v}"
    );
    // The page's point: the proxy overstates a collapsed (rank-1) matrix far more than i.i.d. rows.
    let ratio = |k: usize| rows[k]["ratio"].as_f64().unwrap();
    assert!(ratio(2) > 3.0 * ratio(1), "{v}");
    let params = regula_core::kernels::Params {
        rows: 40,
        cols: 24,
        trials: 3,
        seed: 9,
        backend: BackendChoice::Cpu,
        ..Default::default()
    };
    let v = run(&line(&params, &[]));
    assert_eq!(
        (v["rows"].as_u64(), v["cols"].as_u64(), v["trials"].as_u64(), v["op"].as_str()),
        (Some(40), Some(24), Some(3), Some("lse")),
        "{v}"
    );
}

#[test]
fn a_run_file_sets_flags_and_the_command_line_overrides_it() {
    let dir = std::env::temp_dir().join(format!("regula-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("run.toml");
    std::fs::write(&file, "# a small SNS run\nproblem = \"random\"\nn = 40\neps = 0.05\nmethod = \"sns\"\ntol = 1e-10\nbackend = \"cpu\"\njson = true\n").unwrap();
    let path = file.to_str().unwrap();
    let (ok, stdout, stderr) = regula(&["ot", "--config", path]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    assert_eq!((v["method"].as_str(), v["n"].as_u64(), v["eps"].as_f64()), (Some("sns"), Some(40), Some(0.05)), "{v}");
    assert_eq!(v["converged"], true);
    // The command line wins: same file, another ε and method.
    let (ok, stdout, stderr) = regula(&["ot", "--config", path, "--eps", "0.1", "--method", "log-sinkhorn"]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    assert_eq!((v["method"].as_str(), v["eps"].as_f64()), (Some("log-sinkhorn"), Some(0.1)), "{v}");
    // A bad file is a message naming the file and line; an unknown key is clap's own message.
    std::fs::write(&file, "n = 40\neps = [[1]]\n").unwrap();
    let (ok, _, stderr) = regula(&["ot", "--config", path]);
    assert!(!ok && stderr.contains("run.toml, line 2"), "{stderr}");
    std::fs::write(&file, "n = 40\nepsilon = 0.1\n").unwrap();
    let (ok, _, stderr) = regula(&["ot", "--config", path]);
    assert!(!ok && stderr.contains("--epsilon"), "{stderr}");
    let (ok, _, stderr) = regula(&["ot", "--config", dir.join("missing.toml").to_str().unwrap()]);
    assert!(!ok && stderr.contains("cannot read it"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Decodes a PNG file: (width, height, RGB pixels).
fn read_png(path: &std::path::Path) -> (u32, u32, Vec<[u8; 3]>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("a PNG file");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("one frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let rgb = buf[..info.buffer_size()].chunks(3).map(|p| [p[0], p[1], p[2]]).collect();
    (info.width, info.height, rgb)
}

#[test]
fn every_lab_draws_its_charts_into_pngs() {
    let dir = std::env::temp_dir().join(format!("regula-png-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let runs: [(&str, &[&str]); 10] = [
        (
            "ot",
            &[
                "ot",
                "--problem",
                "random",
                "--n",
                "100",
                "--m",
                "100",
                "--eps",
                "0.01",
                "--method",
                "sns",
                "--tol",
                "1e-10",
            ],
        ),
        (
            "sketch",
            &[
                "sketch",
                "--design",
                "spiky",
                "--n",
                "1024",
                "--d",
                "8",
                "--m",
                "128",
                "--sketches",
                "gaussian,countsketch",
                "--trials",
                "3",
                "--backend",
                "cpu",
            ],
        ),
        (
            "train",
            &[
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
                "5",
                "--backend",
                "cpu",
            ],
        ),
        ("student-teacher", &["generalization", "student-teacher", "--n-inputs", "60", "--points", "40"]),
        ("double-descent", &["generalization", "double-descent", "--n", "40", "--trials", "3"]),
        (
            "noisy-labels",
            &["generalization", "noisy-labels", "--n", "200", "--hidden", "16", "--epochs", "3", "--warmup", "1"],
        ),
        ("pskd", &["generalization", "pskd", "--hidden", "16", "--epochs", "2"]),
        (
            "continual",
            &[
                "generalization",
                "continual",
                "--lambdas",
                "0,10,100",
                "--epochs-a",
                "5",
                "--epochs-b",
                "5",
                "--seeds",
                "2",
            ],
        ),
        ("epoch-wise", &["generalization", "epoch-wise", "--epochs", "60", "--seeds", "2", "--n-test", "200"]),
        (
            "quadratic",
            &["generalization", "quadratic", "--d", "8", "--alphas", "0.3,1", "--restarts", "1", "--steps", "300"],
        ),
    ];
    for (name, args) in runs {
        let path = dir.join(format!("{name}.png"));
        let path_arg = path.to_str().unwrap().to_owned();
        let mut argv: Vec<&str> = args.to_vec();
        argv.extend(["--png", &path_arg]);
        let (ok, _, stderr) = regula(&argv);
        assert!(ok, "{name}: {stderr}");
        assert!(stderr.contains(&format!("chart: {path_arg}")), "{name}: {stderr}");
        let (w, h, rgb) = read_png(&path);
        assert_eq!((w, h), (600, 320), "{name}");
        // The first series is drawn in the palette's blue, and there is text (dark pixels): not a blank file.
        let blue = rgb.iter().filter(|p| p[0] < 60 && (100..140).contains(&p[1]) && p[2] > 160).count();
        let dark = rgb.iter().filter(|p| p.iter().all(|&c| c < 80)).count();
        assert!(blue > 40, "{name}: {blue} blue pixels");
        assert!(dark > 300, "{name}: {dark} dark pixels");
    }
    // OT draws the page's four charts: FILE, then FILE-time, FILE-plan and FILE-sparsity beside it.
    for what in ["time", "plan", "sparsity"] {
        let path = dir.join(format!("ot-{what}.png"));
        let (w, h, rgb) = read_png(&path);
        assert_eq!((w, h), (600, 320), "ot-{what}");
        let count = |f: &dyn Fn(&[u8; 3]) -> bool| rgb.iter().filter(|p| f(p)).count();
        match what {
            "time" => assert!(count(&|p| p[0] < 60 && (100..140).contains(&p[1]) && p[2] > 160) > 40, "the error line"),
            // The random problem's plan is a heatmap: shades of blue (r = g < 255, b = 255) in most cells.
            "plan" => {
                let tinted = count(&|p| p[2] == 255 && p[0] == p[1] && p[0] < 255);
                let strong = count(&|p| p[2] == 255 && p[0] == p[1] && p[0] < 230);
                assert!(tinted > 50_000 && strong > 2_000, "a heatmap of P: {tinted} tinted, {strong} strong pixels");
            }
            // Kept entries (k = 10 of 100 per row) in orange, and the mass-captured curve in blue.
            _ => {
                let orange = count(&|p| p[0] > 200 && (80..100).contains(&p[1]) && p[2] < 60);
                assert!(orange > 2_000, "{orange} orange pixels of kept entries");
                assert!(
                    count(&|p| p[0] < 60 && (100..120).contains(&p[1]) && p[2] > 190) > 100,
                    "the mass-captured curve"
                );
            }
        }
    }
    // Sketching, training and the generalization experiments draw their pages' further line charts
    // beside FILE too.
    let further = [
        ("sketch-eps2", true),
        ("sketch-spike", true),
        ("sketch-hist", true),
        ("train-error", true),
        ("train-sharpness", false),
        ("noisy-labels-fit", true),
        ("pskd-nll", true),
        ("pskd-reliability", true),
        ("continual-fisher", true),
        ("epoch-wise-fit", true),
        ("quadratic-curve", true),
    ];
    for (file, blue_line) in further {
        let (w, h, rgb) = read_png(&dir.join(format!("{file}.png")));
        assert_eq!((w, h), (600, 320), "{file}");
        let blue = rgb.iter().filter(|p| p[0] < 60 && (100..140).contains(&p[1]) && p[2] > 160).count();
        let dark = rgb.iter().filter(|p| p.iter().all(|&c| c < 80)).count();
        assert!(dark > 300, "{file}: {dark} dark pixels (title and axes)");
        if blue_line {
            assert!(blue > 40, "{file}: {blue} blue pixels");
        }
    }
    // Training's pictures of the final network: weights, decision boundary, exact Hessian and its spectrum.
    let count = |rgb: &[[u8; 3]], f: &dyn Fn(&[u8; 3]) -> bool| rgb.iter().filter(|p| f(p)).count();
    let (w, h, rgb) = read_png(&dir.join("train-network.png"));
    assert_eq!((w, h), (600, 320));
    assert!(count(&rgb, &|p| *p == [29, 39, 51]) > 50, "neurons drawn as dark dots");
    let (_, _, rgb) = read_png(&dir.join("train-boundary.png"));
    let tinted = count(&rgb, &|p| p[0].abs_diff(p[2]) > 40);
    assert!(tinted > 50_000, "the boundary's blue and orange regions fill the plot: {tinted}");
    let (w, h, rgb) = read_png(&dir.join("train-hessian.png"));
    assert_eq!((w, h), (600, 420), "the Hessian picture keeps the page's size");
    assert!(count(&rgb, &|p| p[2] == 255 && p[0] == p[1] && p[0] < 200) > 5_000, "|H| cells in blue");
    let (_, _, rgb) = read_png(&dir.join("continual-fisher-heatmap.png"));
    assert!(count(&rgb, &|p| p[2] == 255 && p[0] == p[1] && p[0] < 235) > 3_000, "Fisher cells in blue");
    let (_, _, rgb) = read_png(&dir.join("train-density.png"));
    assert!(count(&rgb, &|p| p[0] < 60 && (100..140).contains(&p[1]) && p[2] > 160) > 40, "the density line");
    // The nuclear-norm panel's chart: the singular values of R̂.
    let nn = dir.join("nuclear.png");
    let (ok, _, stderr) = regula(&["nuclear", "--n", "64", "--d", "48", "--png", nn.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let (_, _, rgb) = read_png(&nn);
    assert!(count(&rgb, &|p| p[0] < 60 && (100..140).contains(&p[1]) && p[2] > 160) > 40, "the spectrum's line");
    // The kernel check draws its page's two charts (GPU vs CPU difference, time per trial).
    let check = dir.join("check.png");
    let (ok, _, stderr) =
        regula(&["kernels", "--rows", "64", "--cols", "64", "--trials", "5", "--png", check.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let (w, h, _) = read_png(&check);
    assert_eq!((w, h), (600, 320));
    let (_, _, rgb) = read_png(&dir.join("check-time.png"));
    let lines = count(&rgb, &|p| {
        (p[0] < 60 && (100..140).contains(&p[1]) && p[2] > 160) || (p[0] > 190 && p[1] < 60 && p[2] < 60)
    });
    assert!(lines > 40, "a time line (GPU blue or CPU red): {lines}");
    // A file that cannot be written is an error naming the flag, after the run.
    let (ok, _, stderr) = regula(&[
        "ot",
        "--problem",
        "random",
        "--n",
        "20",
        "--m",
        "20",
        "--eps",
        "0.1",
        "--method",
        "sinkhorn",
        "--png",
        "/nonexistent-dir/x.png",
    ]);
    assert!(!ok);
    assert!(stderr.contains("`png`") && stderr.contains("/nonexistent-dir/x.png"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The page and the CLI place a run the same way: both call core's placement (`ot::run::start`,
/// `train::run::start`), which this test runs in-process on the same device the CLI opens, for parameter
/// sets that go each way — the CLI's reported placement must be core's, word for word.
#[test]
fn the_cli_places_runs_exactly_as_core_decides_for_the_page() {
    use regula_core::lab::args::{line, split_words};
    use regula_core::{Backend, BackendChoice};
    let device = pollster::block_on(Backend::acquire(BackendChoice::Auto)).unwrap();
    let run = |line: &str| {
        let words = split_words(line);
        let args: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
        let (ok, stdout, stderr) = regula(&args);
        assert!(ok, "{line}\n{stderr}");
        last_json(&stdout)
    };
    // OT: SNS to 1e-10 needs f64 (CPU); to 1e-5 f32 suffices (GPU when there is one); kernel Sinkhorn is
    // CPU-only whatever the choice; `cpu` is the CPU.
    use regula_core::ot::lab::{Mode, Params as Ot};
    let base = Ot {
        problem: regula_core::ot::ProblemSpec {
            kind: regula_core::ot::ProblemKind::Moons,
            n: 40,
            m: 40,
            ..Default::default()
        },
        ..Default::default()
    };
    let cases = [
        Ot { method: Mode::Sns, ..base.clone() },
        Ot {
            method: Mode::Sns,
            solver: regula_core::ot::SolverParams { tol: 1e-5, ..base.solver.clone() },
            ..base.clone()
        },
        Ot {
            method: Mode::Compare,
            backend: BackendChoice::Gpu,
            solver: regula_core::ot::SolverParams { tol: 1e-5, ..base.solver.clone() },
            ..base.clone()
        },
        Ot {
            method: Mode::Sinkhorn,
            backend: BackendChoice::Gpu,
            solver: regula_core::ot::SolverParams { eps: 0.1, ..base.solver.clone() },
            ..base.clone()
        },
        Ot { method: Mode::LogSinkhorn, backend: BackendChoice::Cpu, ..base.clone() },
    ];
    let mut seen = std::collections::BTreeSet::new();
    for p in cases {
        let problem = p.problem.build().unwrap();
        let core: Vec<String> = pollster::block_on(regula_core::ot::run::start(&p, &problem, &device))
            .unwrap()
            .iter()
            .map(|r| r.label().to_owned())
            .collect();
        let v = run(&line(&p, &[]));
        let cli: Vec<String> = match v["runs"].as_array() {
            Some(runs) => runs.iter().map(|r| r["placement"].as_str().unwrap().to_owned()).collect(),
            None => vec![v["placement"].as_str().unwrap().to_owned()],
        };
        assert_eq!(cli, core, "{}", line(&p, &[]));
        seen.extend(core.iter().map(|l| l.contains("GPU")));
    }
    assert!(seen.contains(&false), "some OT case ran on the CPU");
    if device.gpu().is_some() {
        assert!(seen.contains(&true), "some OT case ran on the GPU");
    }
    // Training: the GPU when it can take the net, the CPU with the reason when it cannot (ELR).
    use regula_core::train::lab::Params as Train;
    let small = Train {
        config: regula_core::train::TrainConfig { hidden: vec![4], epochs: 2, ..Train::default().config },
        ..Train::default()
    };
    let elr = Train {
        data: regula_core::train::DatasetSpec { kind: regula_core::train::DatasetKind::Circle, ..small.data.clone() },
        config: regula_core::train::TrainConfig {
            loss: regula_core::train::Loss::Xent,
            elr: Some(Default::default()),
            ..small.config.clone()
        },
        ..small.clone()
    };
    // `auto` beside a software adapter (lavapipe here): the CPU, saying why, on the page and in the CLI alike.
    let software = device.gpu().is_some_and(|g| g.summary().is_software());
    let on_gpu = Train { backend: BackendChoice::Gpu, ..small.clone() };
    for p in [on_gpu, small, elr] {
        let core =
            pollster::block_on(regula_core::train::run::start(&p, p.dataset().build().unwrap(), &device)).unwrap();
        let v = run(&line(&p, &[]));
        assert_eq!(v["placement"].as_str(), Some(core.label()), "{}", line(&p, &[]));
        if software && p.backend == BackendChoice::Auto {
            assert_eq!(core.label(), "CPU, f64; software GPU, the CPU is faster");
        }
    }
}
