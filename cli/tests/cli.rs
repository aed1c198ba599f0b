//! The `regula` binary end to end: JSON on the last line, typed errors with a non-zero exit. The checks that
//! hold the CLI to the page (its command lines, run files, charts and placement) are in `cli/front_ends.rs`.

use std::process::Command;

fn regula(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_regula")).args(args).output().expect("run regula");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn last_json(stdout: &str) -> serde_json::Value {
    let line = stdout.lines().last().expect("some output");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("last line is not JSON ({e}): {line}"))
}

#[test]
fn device_reports_the_gpu_adapter_and_its_limits() {
    let (ok, stdout, stderr) = regula(&["device", "--backend", "gpu", "--json"]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    assert_eq!(v["backend"], "gpu");
    let limit = v["adapter"]["limits"]["max_storage_buffer_binding_size"].as_u64().unwrap();
    assert!(limit >= 128 << 20, "binding limit {limit}");
    assert!(stdout.contains("invocations/workgroup"));
}

#[test]
fn device_on_the_cpu_says_so() {
    let (ok, stdout, _) = regula(&["device", "--backend", "cpu", "--json"]);
    assert!(ok);
    let v = last_json(&stdout);
    assert_eq!(v["backend"], "cpu");
    assert_eq!(v["label"], "CPU (chosen)");
}

#[test]
fn check_compares_gpu_with_cpu_and_prints_json() {
    let (ok, stdout, stderr) = regula(&[
        "kernels", "--rows", "257", "--cols", "1000", "--op", "sum", "--axis", "rows", "--trials", "4", "--json",
    ]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    assert_eq!(v["backend"], "gpu");
    assert_eq!(v["trials"], 4);
    assert_eq!(v["agree"], true);
    assert!(v["worst_diff_over_tolerance"].as_f64().unwrap() <= 1.0);
    assert!(v["gpu_ms_median"].as_f64().unwrap() > 0.0);
}

#[test]
fn check_runs_on_the_cpu_backend() {
    let (ok, stdout, stderr) =
        regula(&["kernels", "--backend", "cpu", "--rows", "10", "--cols", "10", "--trials", "2", "--json"]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    assert_eq!(v["backend"], "cpu");
    assert!(v["gpu_ms_median"].is_null());
}

#[test]
fn bad_input_is_a_message_and_a_failure_exit() {
    let (ok, _, stderr) = regula(&["kernels", "--rows", "0"]);
    assert!(!ok);
    assert!(stderr.contains("`rows` must be at least 1"), "{stderr}");
    let (ok, _, stderr) = regula(&["kernels", "--rows", "100000", "--cols", "100000"]);
    assert!(!ok);
    assert!(stderr.contains("must be at most"), "{stderr}");
    let (ok, _, stderr) = regula(&["kernels", "--op", "mean"]);
    assert!(!ok);
    assert!(stderr.contains("sum, max, lse"), "{stderr}");
}

#[test]
fn ot_sns_reaches_the_tolerance_and_prints_the_json_keys() {
    let (ok, stdout, stderr) = regula(&[
        "ot",
        "--problem",
        "random",
        "--n",
        "60",
        "--m",
        "60",
        "--eps",
        "0.01",
        "--method",
        "sns",
        "--tol",
        "1e-10",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    for key in [
        "method",
        "backend",
        "n",
        "m",
        "eps",
        "iterations",
        "newton_steps",
        "marginal_error",
        "transport_cost",
        "dual_objective",
        "seconds",
        "converged",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["method"], "sns");
    assert_eq!(v["converged"], true);
    assert!(v["marginal_error"].as_f64().unwrap() <= 1e-10);
    assert!(v["newton_steps"].as_u64().unwrap() >= 1);
    // 1e-10 is below f32's floor: `auto` ran SNS on the CPU in f64.
    assert_eq!(v["backend"], "cpu");
}

#[test]
fn ot_sns_runs_its_dense_passes_on_the_gpu_when_f32_can_meet_the_tolerance() {
    let args = [
        "ot",
        "--problem",
        "random",
        "--n",
        "300",
        "--m",
        "300",
        "--eps",
        "0.00083",
        "--normalize-cost",
        "--method",
        "sns",
        // `auto` keeps to the CPU beside a software adapter (lavapipe here): ask for the GPU.
        "--backend",
        "gpu",
        "--tol",
        "1e-5",
        "--json",
    ];
    let (ok, stdout, stderr) = regula(&args);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    assert_eq!((v["backend"].as_str(), v["converged"].as_bool()), (Some("gpu"), Some(true)), "{v}");
    assert!(v["marginal_error"].as_f64().unwrap() <= 1e-5);
    let newton = v["newton_steps"].as_u64().unwrap();
    assert!((1..=15).contains(&newton), "{v}");
    // Asked for 1e-12 on the GPU explicitly: it stops at f32's floor and says so, not converged.
    let mut strict = args.to_vec();
    strict.splice(strict.len() - 3.., ["--tol", "1e-12", "--json"]);
    let (ok, stdout, stderr) = regula(&strict);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    assert_eq!((v["backend"].as_str(), v["converged"].as_bool()), (Some("gpu"), Some(false)), "{v}");
    assert!(stderr.contains("Stalled") || stdout.contains("Stalled"), "{stdout}\n{stderr}");
}

#[test]
fn ot_reads_csv_point_clouds_and_writes_a_trace() {
    let dir = std::env::temp_dir().join(format!("regula-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b, t) = (dir.join("a.csv"), dir.join("b.csv"), dir.join("trace.csv"));
    std::fs::write(&a, "x,y,weight\n0,0,1\n1,0,1\n0,1,2\n").unwrap();
    std::fs::write(&b, "0.5,0.5\n2,2\n").unwrap();
    let args = [
        "ot",
        "--source",
        a.to_str().unwrap(),
        "--target",
        b.to_str().unwrap(),
        "--eps",
        "0.05",
        "--method",
        "log-sinkhorn",
        "--trace",
        t.to_str().unwrap(),
        "--json",
    ];
    let (ok, stdout, stderr) = regula(&args);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    assert_eq!((v["n"].as_u64(), v["m"].as_u64()), (Some(3), Some(2)));
    let trace = std::fs::read_to_string(&t).unwrap();
    let mut lines = trace.lines();
    assert!(lines.next().unwrap().starts_with("iteration,phase,marginal_error"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as u64, v["iterations"].as_u64().unwrap().max(1));

    std::fs::write(&b, "0.5,0.5\n2,oops\n").unwrap();
    let (ok, _, stderr) = regula(&args);
    assert!(!ok);
    assert!(stderr.contains("b.csv, line 2: field 2 (`oops`) is not a number"), "{stderr}");
}

#[test]
fn ot_bad_input_is_a_message() {
    let (ok, _, stderr) = regula(&["ot", "--n", "10", "--eps", "0"]);
    assert!(!ok);
    assert!(stderr.contains("`eps` is invalid"), "{stderr}");
    let (ok, _, stderr) =
        regula(&["ot", "--problem", "moons", "--n", "30", "--m", "30", "--eps", "1e-4", "--method", "sinkhorn"]);
    assert!(!ok);
    assert!(stderr.contains("use the log domain"), "{stderr}");
}

#[test]
fn sketch_prints_the_issue_json_keys() {
    let (ok, stdout, stderr) = regula(&[
        "sketch",
        "--design",
        "spiky",
        "--n",
        "512",
        "--d",
        "8",
        "--m",
        "64",
        "--sketches",
        "osnap",
        "--s",
        "2",
        "--trials",
        "5",
        "--backend",
        "cpu",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    for key in [
        "sketch",
        "design",
        "n",
        "d",
        "m",
        "trials",
        "eps2_median",
        "epsinf_median",
        "epsinf_p99",
        "spike_median",
        "seconds",
    ] {
        assert!(!v[key].is_null(), "missing {key}: {v}");
    }
    assert_eq!(
        (v["sketch"].as_str(), v["design"].as_str(), v["m"].as_u64(), v["trials"].as_u64()),
        (Some("osnap"), Some("spiky"), Some(64), Some(5))
    );
    let eps2 = v["eps2_median"].as_f64().unwrap();
    assert!((0.0..10.0).contains(&eps2), "{v}");
}

#[test]
fn sketch_and_precondition_reaches_the_exact_solution_from_the_cli() {
    let (ok, stdout, stderr) = regula(&[
        "sketch",
        "--design",
        "heavy",
        "--n",
        "1000",
        "--d",
        "10",
        "--m",
        "40",
        "--sketches",
        "countsketch,srht",
        "--trials",
        "2",
        "--solver",
        "precondition",
        "--backend",
        "cpu",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    assert!(v["relative_error_vs_exact"].as_f64().unwrap() < 1e-10, "{v}");
    assert!(v["lsqr_iterations"].as_f64().unwrap() >= 1.0, "{v}");
    assert_eq!(v["cells"].as_array().unwrap().len(), 2);
}

#[test]
fn sketch_reads_csv_and_npy_and_rejects_bad_input() {
    let dir = std::env::temp_dir().join(format!("regula-sketch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (n, d) = (60, 3);
    let a: Vec<f64> = (0..n * d).map(|k| ((k * 37 % 101) as f64 / 50.0) - 1.0).collect();
    let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.3).sin()).collect();
    let csv: String =
        a.chunks(d).map(|r| r.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",") + "\n").collect();
    std::fs::write(dir.join("A.csv"), format!("x1,x2,x3\n{csv}")).unwrap();
    std::fs::write(dir.join("b.csv"), b.iter().map(|v| format!("{v}\n")).collect::<String>()).unwrap();
    std::fs::write(dir.join("b.npy"), regula_core::sketch::data::write_npy(n, 1, &b)).unwrap();
    let path = |f: &str| dir.join(f).display().to_string();
    for rhs in ["b.csv", "b.npy"] {
        let (ok, stdout, stderr) = regula(&[
            "sketch",
            "--matrix",
            &path("A.csv"),
            "--rhs",
            &path(rhs),
            "--m",
            "20",
            "--sketches",
            "gaussian",
            "--trials",
            "3",
            "--backend",
            "cpu",
            "--json",
        ]);
        assert!(ok, "{stderr}");
        let v = last_json(&stdout);
        assert_eq!((v["design"].as_str(), v["n"].as_u64(), v["d"].as_u64()), (Some("data"), Some(60), Some(3)));
    }
    // Malformed CSV: the file and line are named.
    std::fs::write(dir.join("bad.csv"), "1,2,3\n4,5\n").unwrap();
    let (ok, _, stderr) =
        regula(&["sketch", "--matrix", &path("bad.csv"), "--rhs", &path("b.csv"), "--m", "20", "--backend", "cpu"]);
    assert!(!ok && stderr.contains("bad.csv") && stderr.contains("line 2"), "{stderr}");
    // NaN entries.
    std::fs::write(dir.join("nan.csv"), "1,2,3\nNaN,5,6\n").unwrap();
    let (ok, _, stderr) =
        regula(&["sketch", "--matrix", &path("nan.csv"), "--rhs", &path("b.csv"), "--backend", "cpu"]);
    assert!(!ok && stderr.contains("line 2"), "{stderr}");
    // m < d, m > n, d > n.
    for args in [
        ["--m", "4", "--d", "8", "--n", "100"],
        ["--m", "200", "--d", "8", "--n", "100"],
        ["--m", "50", "--d", "120", "--n", "100"],
    ] {
        let mut full = vec!["sketch", "--trials", "1", "--backend", "cpu"];
        full.extend(args);
        let (ok, _, stderr) = regula(&full);
        assert!(!ok && stderr.starts_with("error:") && !stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn train_prints_the_issue_json_keys() {
    let (ok, stdout, stderr) = regula(&[
        "train",
        "--dataset",
        "xor",
        "--n",
        "200",
        "--noise",
        "0",
        "--train-ratio",
        "0.8",
        "--hidden",
        "8,8",
        "--lr",
        "0.05",
        "--batch",
        "10",
        "--epochs",
        "60",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    for key in [
        "epochs",
        "train_loss",
        "test_loss",
        "train_accuracy",
        "test_accuracy",
        "sharpness",
        "hessian_trace",
        "params",
        "steps_per_second",
        "seconds",
    ] {
        assert!(!v[key].is_null(), "missing {key}: {v}");
    }
    assert_eq!(v["params"].as_u64(), Some(2 * 8 + 8 + 8 * 8 + 8 + 8 + 1));
    assert!(v["test_accuracy"].as_f64().unwrap() > 0.9, "{v}");
}

#[test]
fn train_reports_divergence_and_bad_input() {
    let (ok, stdout, stderr) = regula(&[
        "train",
        "--dataset",
        "spiral",
        "--hidden",
        "32,32",
        "--lr",
        "5",
        "--batch",
        "0",
        "--epochs",
        "200",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("diverged"), "{stderr}");
    let v = last_json(&stdout);
    assert_eq!(v["diverged"], true);
    assert!(v["train_loss"].as_f64().unwrap().is_finite());
    for args in [
        &["--lr=-1"][..],
        &["--lr", "0.1", "--batch", "1000"],
        &["--lr", "0.1", "--hidden", "0"],
        &["--lr", "0.1", "--dataset", "plane", "--loss", "xent"],
    ] {
        let mut full = vec!["train", "--epochs", "1"];
        full.extend(args);
        if !args.iter().any(|a| a.starts_with("--lr")) {
            full.extend(["--lr", "0.1"]);
        }
        let (ok, _, stderr) = regula(&full);
        assert!(!ok && stderr.starts_with("error:") && !stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn train_runs_on_the_gpu_when_asked() {
    let (ok, stdout, stderr) = regula(&[
        "train",
        "--dataset",
        "circle",
        "--n",
        "200",
        "--hidden",
        "8",
        "--lr",
        "0.1",
        "--batch",
        "20",
        "--epochs",
        "5",
        "--backend",
        "gpu",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    assert_eq!(v["backend"], "gpu");
    assert!(v["train_loss"].as_f64().unwrap().is_finite() && v["sharpness"].as_f64().is_some(), "{v}");
    // Per-layer activations.
    let (ok, stdout, stderr) = regula(&[
        "train",
        "--dataset",
        "circle",
        "--hidden",
        "6,4",
        "--layer-activations",
        "relu,sigmoid",
        "--lr",
        "0.1",
        "--epochs",
        "2",
        "--backend",
        "cpu",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    assert_eq!(last_json(&stdout)["params"].as_u64(), Some(2 * 6 + 6 + 6 * 4 + 4 + 4 + 1));
    let (ok, _, stderr) = regula(&[
        "train",
        "--dataset",
        "circle",
        "--hidden",
        "6,4",
        "--layer-activations",
        "relu",
        "--lr",
        "0.1",
        "--epochs",
        "1",
    ]);
    assert!(!ok && stderr.contains("activations"), "{stderr}");
    // A net past the one-workgroup kernel's limits trains layer by layer (tiled), and says so.
    let (ok, stdout, stderr) = regula(&[
        "train",
        "--dataset",
        "circle",
        "--hidden",
        "65",
        "--lr",
        "0.1",
        "--epochs",
        "2",
        "--backend",
        "gpu",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("tiled matmul per layer"), "{stderr}");
    let v = last_json(&stdout);
    assert_eq!((v["backend"].as_str(), v["params"].as_u64()), (Some("gpu"), Some(2 * 65 + 65 + 65 + 1)));
    assert!(v["train_loss"].as_f64().unwrap().is_finite(), "{v}");
}

#[test]
fn gen_student_teacher_prints_simulation_and_theory() {
    let dir = std::env::temp_dir().join(format!("regula-gen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("st.csv");
    let (ok, stdout, stderr) =
        regula(&["gen", "student-teacher", "--alpha", "2", "--snr", "5", "--json", "--trace", trace.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    for key in ["best_test_error", "best_time", "final_test_error", "theory_best_test_error", "theory_final_test_error"]
    {
        assert!(v[key].as_f64().is_some_and(f64::is_finite), "missing {key}: {v}");
    }
    // docs/methods.md: long-run 0.40 at α = 2 (SNR 5): theory exactly, one N = 400 draw within a few %.
    assert!((v["theory_final_test_error"].as_f64().unwrap() - 0.40).abs() < 0.005, "{v}");
    assert!((v["final_test_error"].as_f64().unwrap() - 0.40).abs() < 0.04, "{v}");
    let csv = std::fs::read_to_string(&trace).unwrap();
    assert!(csv.starts_with("t,test_error,train_error,theory_test_error,theory_train_error\n"), "{csv}");
    assert_eq!(csv.lines().count(), 201);
    // The α sweep and double descent.
    let (ok, stdout, stderr) = regula(&["generalization", "student-teacher", "--n-inputs", "100", "--sweep", "--json"]);
    assert!(ok, "{stderr}");
    assert_eq!(last_json(&stdout)["sweep"].as_array().map(Vec::len), Some(29));
    let (ok, stdout, stderr) = regula(&["generalization", "double-descent", "--n", "60", "--trials", "5", "--json"]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    let peak = v["peak_gamma"].as_f64().unwrap();
    assert!((0.8..1.3).contains(&peak), "the risk peaks at the threshold: {v}");
    // Noisy labels, small and short: both runs' curves and the headline keys.
    let (ok, stdout, stderr) = regula(&[
        "generalization",
        "noisy-labels",
        "--n",
        "400",
        "--hidden",
        "32",
        "--epochs",
        "5",
        "--warmup",
        "2",
        "--label-noise-kind",
        "asymmetric",
        "--json",
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    for key in [
        "ce_peak_test_accuracy",
        "ce_final_test_accuracy",
        "ce_final_memorised",
        "elr_peak_test_accuracy",
        "elr_final_test_accuracy",
        "elr_final_memorised",
        "fwd_final_test_accuracy",
        "fwd_final_memorised",
    ] {
        assert!(v[key].as_f64().is_some_and(|a| (0.0..=1.0).contains(&a)), "{key}: {v}");
    }
    assert_eq!((v["label_noise_kind"].as_str(), v["forward"].as_str()), (Some("asymmetric"), Some("estimated")), "{v}");
    assert_eq!(v["transition"].as_array().map(Vec::len), Some(16), "T̂ is 4 × 4: {v}");
    let csv = std::fs::read_to_string(&trace).unwrap();
    assert!(csv.starts_with("epoch,ce_test_accuracy,ce_memorised,ce_clean_fit,elr_test_accuracy,elr_memorised,elr_clean_fit,fwd_test_accuracy,fwd_memorised,fwd_clean_fit\n"), "{csv}");
    assert_eq!(csv.lines().count(), 6);
    // The quadratic teacher, small: far above the threshold one start recovers S*.
    let (ok, stdout, stderr) = regula(&[
        "generalization",
        "quadratic",
        "--d",
        "10",
        "--alphas",
        "0.15,1",
        "--restarts",
        "2",
        "--steps",
        "3000",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    assert_eq!(v["recovery_threshold"].as_f64(), Some(0.375));
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows[1]["single_test_error"].as_f64().unwrap() < 1e-3 && rows[0]["single_test_error"].as_f64().unwrap() > 0.05,
        "{v}"
    );
    assert!(v["diverged_at"].is_null(), "{v}");
    // Too large a step: the divergence is reported, not a NaN row.
    let (ok, stdout, stderr) = regula(&[
        "generalization",
        "quadratic",
        "--d",
        "10",
        "--alphas",
        "0.5",
        "--restarts",
        "1",
        "--steps",
        "500",
        "--lr",
        "1000",
        "--json",
    ]);
    assert!(ok && stderr.contains("diverged at α = 0.5"), "{stderr}");
    assert_eq!(last_json(&stdout)["rows"].as_array().map(Vec::len), Some(0));
    // Self-distillation, small and short.
    let (ok, stdout, stderr) = regula(&["generalization", "pskd", "--hidden", "16", "--epochs", "3", "--json"]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    for run in ["ce", "ls", "pskd"] {
        for key in ["accuracy", "nll", "ece"] {
            assert!(v[format!("{run}_{key}")].as_f64().is_some_and(f64::is_finite), "{run}_{key}: {v}");
        }
        assert!(!v[format!("{run}_reliability")].as_array().unwrap().is_empty(), "{v}");
    }
    // Continual learning, short.
    let (ok, stdout, stderr) = regula(&[
        "generalization",
        "continual",
        "--lambdas",
        "0,100",
        "--epochs-a",
        "20",
        "--epochs-b",
        "20",
        "--seeds",
        "2",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let v = last_json(&stdout);
    assert!(v["a_accuracy_after_a"].as_f64().is_some(), "{v}");
    let outcomes = v["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 2);
    for o in outcomes {
        for key in ["lambda", "forgetting", "a_accuracy", "b_accuracy"] {
            assert!(o[key].as_f64().is_some_and(f64::is_finite), "{key}: {o}");
        }
        for key in ["forgetting", "a_accuracy", "b_accuracy"] {
            assert!(o["lora"][key].as_f64().is_some_and(f64::is_finite), "lora {key}: {o}");
        }
    }
    // Bad input: typed errors, no panic.
    for args in [
        &["generalization", "continual", "--lambdas", "-1"][..],
        &["generalization", "continual", "--seeds", "0"],
        &["generalization", "continual", "--input-scale", "0"],
        &["generalization", "epoch-wise", "--label-noise", "1"],
        &["generalization", "epoch-wise", "--seeds", "0"],
        &["generalization", "epoch-wise", "--slow-scale=-1"],
        &["generalization", "epoch-wise", "--epochs", "100000", "--seeds", "50"],
        &["generalization", "pskd", "--alpha-t", "1.5"],
        &["generalization", "noisy-labels", "--label-noise", "1"],
        &["generalization", "noisy-labels", "--elr-beta", "1"],
        &["generalization", "noisy-labels", "--label-noise-kind", "sideways"],
        &["generalization", "noisy-labels", "--warmup", "0"],
        &["generalization", "quadratic", "--alphas", "0"],
        &["generalization", "quadratic", "--kappa=-1"],
        &["generalization", "quadratic", "--d", "1000"],
        &["generalization", "student-teacher", "--alpha", "0"],
        &["generalization", "student-teacher", "--alpha", "-1"],
        &["generalization", "student-teacher", "--snr", "0"],
        &["generalization", "double-descent", "--noise-var", "-0.1"],
        &["generalization", "double-descent", "--gamma-min", "3", "--gamma-max", "2"],
    ] {
        let (ok, _, stderr) = regula(args);
        assert!(!ok && stderr.starts_with("error:") && !stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[path = "cli/front_ends.rs"]
mod front_ends;

#[test]
fn sweep_ot_streams_a_json_line_per_problem_and_shards_split_the_grid() {
    let base = ["sweep", "ot", "--problem", "gaussian", "--tol", "1e-5", "--backend", "cpu", "--json"];
    let grid = ["--grid", "eps=0.01:0.3:log:3", "--grid", "n=8,16", "--seeds", "2"];
    let args: Vec<&str> = base.iter().chain(&grid).copied().collect();
    let (ok, stdout, stderr) = regula(&args);
    assert!(ok, "{stderr}");
    let lines: Vec<serde_json::Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let problems: Vec<&serde_json::Value> = lines.iter().filter(|v| v.get("problem").is_some()).collect();
    assert_eq!(problems.len(), 12, "{stdout}");
    for v in &problems {
        assert_eq!(
            (v["x"].as_str(), v["y"].as_str(), v["stop"].as_str()),
            (Some("eps"), Some("n"), Some("Tolerance")),
            "{v}"
        );
        assert!(v["iterations"].as_u64().unwrap() >= 1 && v["marginal_error"].as_f64().unwrap() <= 1e-5, "{v}");
        assert!(v["link"].as_str().unwrap().contains("method=log-sinkhorn"), "{v}");
    }
    // Smaller ε, more iterations: the first column's problems against the last's.
    let its = |x: f64| -> f64 {
        problems.iter().filter(|v| v["x_value"].as_f64() == Some(x)).map(|v| v["iterations"].as_f64().unwrap()).sum()
    };
    assert!(its(0.01) > its(0.3), "{stdout}");
    let summary = last_json(&stdout);
    assert_eq!((summary["problems"].as_u64(), summary["cells"].as_array().map(Vec::len)), (Some(12), Some(6)));
    assert!(summary["problem_iterations_per_second"].as_f64().unwrap() > 0.0);
    assert!(stdout.contains("iterations (iterations), mean over 2 seed(s); x: ε, y: points n (= m)"), "{stdout}");
    // Shard 2 of 4 runs problems 6..9 with the same numbers.
    let shard: Vec<&str> = args.iter().copied().chain(["--shard", "2/4"]).collect();
    let (ok, stdout, stderr) = regula(&shard);
    assert!(ok, "{stderr}");
    let part: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("problem").is_some())
        .collect();
    assert_eq!(part.iter().map(|v| v["problem"].as_u64().unwrap()).collect::<Vec<_>>(), vec![6, 7, 8]);
    for v in &part {
        let w = problems.iter().find(|w| w["problem"] == v["problem"]).unwrap();
        assert_eq!((&v["iterations"], &v["transport_cost"]), (&w["iterations"], &w["transport_cost"]));
    }
    for (extra, word) in
        [(["--grid", "lr=0.1"], "axis"), (["--grid", "n=0"], "whole number"), (["--grid", "eps=1:0:log:3"], "log")]
    {
        let bad: Vec<&str> = base.iter().copied().chain(extra).collect();
        let (ok, _, stderr) = regula(&bad);
        assert!(!ok && stderr.contains(word), "{bad:?}: {stderr}");
    }
}

#[test]
fn sweep_streams_a_json_line_per_net_and_shards_split_the_grid() {
    let png = std::env::temp_dir().join(format!("regula-sweep-{}.png", std::process::id()));
    let base = ["sweep", "train", "--dataset", "xor", "--n", "60", "--hidden", "4", "--epochs", "6", "--batch", "8"];
    let grid = ["--grid", "lr=0.01:1:log:3", "--grid", "l2=0,1e-3", "--seeds", "2", "--json", "--backend", "cpu"];
    let whole: Vec<&str> = base.iter().chain(&grid).copied().chain(["--png", png.to_str().unwrap()]).collect();
    let (ok, stdout, stderr) = regula(&whole);
    assert!(ok, "{stderr}");
    let lines: Vec<serde_json::Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    // 3 × 2 cells × 2 seeds: a line per net, then the summary.
    let nets: Vec<&serde_json::Value> = lines.iter().filter(|v| v.get("net").is_some()).collect();
    assert_eq!(nets.len(), 12, "{stdout}");
    let mut indices: Vec<u64> = nets.iter().map(|v| v["net"].as_u64().unwrap()).collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..12).collect::<Vec<_>>());
    for v in &nets {
        assert_eq!((v["x"].as_str(), v["y"].as_str()), (Some("lr"), Some("l2")));
        assert!([0.01, 0.1, 1.0].contains(&v["x_value"].as_f64().unwrap()), "{v}");
        assert!(v["train_loss"].as_f64().unwrap().is_finite() && v["link"].as_str().unwrap().contains("data.kind=xor"));
    }
    let summary = last_json(&stdout);
    assert_eq!(summary["nets"], 12);
    assert_eq!(summary["cells"].as_array().unwrap().len(), 6);
    assert!(summary["net_steps_per_second"].as_f64().unwrap() > 0.0);
    let header = std::fs::read(&png).expect("the phase diagram");
    assert_eq!(&header[1..4], b"PNG");
    let _ = std::fs::remove_file(&png);
    // Shard 1 of 3 runs nets 4..8 of the same grid, with the same numbers.
    let shard: Vec<&str> = base.iter().chain(&grid).copied().chain(["--shard", "1/3"]).collect();
    let (ok, stdout, stderr) = regula(&shard);
    assert!(ok, "{stderr}");
    let part: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("net").is_some())
        .collect();
    assert_eq!(part.iter().map(|v| v["net"].as_u64().unwrap()).collect::<Vec<_>>(), vec![4, 5, 6, 7]);
    for v in &part {
        let w = nets.iter().find(|w| w["net"] == v["net"]).unwrap();
        assert_eq!(v["train_loss"], w["train_loss"], "net {}", v["net"]);
    }
    // Bad grids are messages.
    for (args, word) in [
        (vec!["--grid", "lr=0.1", "--grid", "l2=0", "--grid", "batch=2"], "two"),
        (vec!["--grid", "eta=0.1"], "axis"),
        (vec!["--grid", "lr=0.1", "--shard", "2/2"], "shard"),
    ] {
        let bad: Vec<&str> = base.iter().copied().chain(args).collect();
        let (ok, _, stderr) = regula(&bad);
        assert!(!ok && stderr.contains(word), "{bad:?}: {stderr}");
    }
}
