//! `regula generalization <experiment>` (alias `gen`): the generalization page's tabs headless — closed-form
//! theory over simulation, and the seed papers' regularizers side by side (CPU, f64).

use clap::{ArgMatches, Command};
use regula_core::generalization::{
    continual, double_descent, epoch_wise, noisy_labels, pskd, quadratic, student_teacher,
};
use regula_core::lab::Lab;
use regula_core::metrics as key;
use regula_core::{Budget, Error};
use serde_json::json;

use crate::kit::{self, progress, Out};
use crate::out::{column, line, save_png, sibling, spec, write_csv, write_png};

pub fn command() -> Command {
    Command::new("generalization")
        .visible_alias("gen")
        .about("Generalization experiments: closed-form theory over simulation (CPU, f64).")
        .subcommand_required(true)
        .subcommand(kit::command(student_teacher::Params::DEF, "student-teacher", true))
        .subcommand(kit::command(double_descent::Config::DEF, "double-descent", true))
        .subcommand(kit::command(epoch_wise::Config::DEF, "epoch-wise", true))
        .subcommand(kit::command(noisy_labels::Config::DEF, "noisy-labels", true))
        .subcommand(kit::command(pskd::Config::DEF, "pskd", true))
        .subcommand(kit::command(continual::Config::DEF, "continual", true))
        .subcommand(kit::command(quadratic::Config::DEF, "quadratic", true))
}

pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    match m.subcommand() {
        Some(("student-teacher", m)) => student_teacher(m).await,
        Some(("double-descent", m)) => double_descent(m).await,
        Some(("epoch-wise", m)) => epoch_wise(m).await,
        Some(("noisy-labels", m)) => noisy_labels(m).await,
        Some(("pskd", m)) => pskd(m).await,
        Some(("continual", m)) => continual(m).await,
        Some(("quadratic", m)) => quadratic(m).await,
        _ => Err(Error::Invalid { name: "command", message: "name an experiment: student-teacher, double-descent, epoch-wise, noisy-labels, pskd, continual or quadratic".into() }),
    }
}

async fn student_teacher(m: &ArgMatches) -> Result<(), Error> {
    let student_teacher::Params { config, sweep } = kit::params(m)?;
    let student_teacher::Config { alpha, snr, n_inputs, t_max, .. } = config.clone();
    let points = config.points;
    let out = Out::of(m);
    let mut run = student_teacher::Run::new(config.clone())?;
    eprintln!("student–teacher: N = {n_inputs}, P = {}, SNR {snr}, gradient flow to t = {t_max}", config.samples());
    let bar = progress(points as u64, "flow");
    regula_core::frame::run_to_end(&mut run, Budget::millis(200.0), |f| bar.set_position(f.iteration)).await?;
    bar.finish_and_clear();
    let s = run.summary();
    println!(
        "α = {alpha}: best early-stopped test error {:.4} at t = {:.3} (theory {:.4} at t = {:.3})",
        s.best_test_error, s.best_time, s.theory_best_test_error, s.theory_best_time
    );
    println!(
        "       test error at t = {t_max}: {:.4} (theory {:.4}; long run {:.4})",
        s.final_test_error,
        s.theory_final_test_error,
        student_teacher::theory_long_run(alpha, config.noise_var())
    );
    if let Some(path) = &out.trace {
        write_csv(
            path,
            "t,test_error,train_error,theory_test_error,theory_train_error",
            run.curve.iter().map(|r| r.to_vec()),
        )?;
    }
    if let Some(path) = &out.png {
        let c = &run.curve;
        let lines = [
            line("test error (simulated)", 0, column(c, 1, |v| v)),
            line("test error (theory)", 1, column(c, 3, |v| v)),
            line("training error (simulated)", 2, column(c, 2, |v| v)),
            line("training error (theory)", 3, column(c, 4, |v| v)),
        ];
        save_png(
            path,
            spec("Error vs time: theory (Marchenko–Pastur) over simulation", "t (gradient-flow time)", "error", 1e-4),
            &lines,
            (true, true),
        )?;
    }
    let mut json = json!({
        (key::BEST_TEST_ERROR): s.best_test_error, (key::BEST_TIME): s.best_time, (key::FINAL_TEST_ERROR): s.final_test_error,
        (key::THEORY_BEST_TEST_ERROR): s.theory_best_test_error, (key::THEORY_BEST_TIME): s.theory_best_time,
        (key::THEORY_FINAL_TEST_ERROR): s.theory_final_test_error, (key::ALPHA): alpha, "snr": snr, "n_inputs": n_inputs, "t_max": t_max,
    });
    if sweep {
        let mut sw = student_teacher::Sweep::new(config, student_teacher::Sweep::default_alphas())?;
        let bar = progress(student_teacher::Sweep::default_alphas().len() as u64, "α sweep");
        regula_core::frame::run_to_end(&mut sw, Budget::iterations(1), |f| bar.set_position(f.iteration)).await?;
        bar.finish_and_clear();
        println!("{:>7} {:>10} {:>10} {:>10} {:>10}", "α", "best", "theory", "final", "theory");
        for r in &sw.rows {
            println!("{:>7.3} {:>10.4} {:>10.4} {:>10.4} {:>10.4}", r[0], r[1], r[3], r[2], r[4]);
        }
        json["sweep"] = json!(sw.rows.iter().map(|r| json!({(key::ALPHA): r[0], (key::BEST_TEST_ERROR): r[1], (key::FINAL_TEST_ERROR): r[2], (key::THEORY_BEST_TEST_ERROR): r[3], (key::THEORY_FINAL_TEST_ERROR): r[4]})).collect::<Vec<_>>());
        if let Some(path) = &out.png {
            let c = &sw.rows;
            let lines = [
                line("best early-stopped (simulated)", 0, column(c, 1, |v| v)),
                line("best early-stopped (theory)", 1, column(c, 3, |v| v)),
                line("at t = T (simulated)", 2, column(c, 2, |v| v)),
                line("at t = T (theory)", 3, column(c, 4, |v| v)),
            ];
            save_png(
                &sibling(path, "sweep"),
                spec("Test error vs α: best early-stopped and at t = T", "α = P/N", "test error", 1e-3),
                &lines,
                (false, true),
            )?;
        }
    }
    if out.json {
        println!("{json}");
    }
    Ok(())
}

async fn noisy_labels(m: &ArgMatches) -> Result<(), Error> {
    let config: noisy_labels::Config = kit::params(m)?;
    let noisy_labels::Config { label_noise, n, hidden, epochs, elr, label_noise_kind, forward, .. } = config.clone();
    let (elr_beta, elr_lambda) = (elr.beta, elr.lambda);
    let out = Out::of(m);
    let mut e = noisy_labels::Experiment::new(config)?;
    eprintln!("noisy labels: {n} points of a 4-class 20-d mixture, {:.0} % of training labels flipped ({label_noise_kind}), 20-{hidden}-4 ReLU, Adam; CE vs ELR (β {elr_beta}, λ {elr_lambda}) vs forward correction (T {forward})", label_noise * 100.0);
    let bar = progress(epochs as u64, "epochs");
    regula_core::frame::run_to_end(&mut e, Budget::iterations(1), |f| bar.set_position(f.iteration)).await?;
    bar.finish_and_clear();
    let s = e.summary();
    println!(
        "cross-entropy: test accuracy peaks at {:.3} (epoch {}), ends at {:.3}; memorised {:.3} of the flipped labels",
        s.ce_peak_test_accuracy, s.ce_peak_epoch, s.ce_final_test_accuracy, s.ce_final_memorised
    );
    println!(
        "ELR:           test accuracy peaks at {:.3}, ends at {:.3}; memorised {:.3} (at most {:.3})",
        s.elr_peak_test_accuracy, s.elr_final_test_accuracy, s.elr_final_memorised, s.elr_max_memorised
    );
    if forward != noisy_labels::Forward::Off {
        println!("forward (T {forward}): test accuracy peaks at {:.3}, ends at {:.3}; memorised {:.3}; T off by at most {:.3}", s.fwd_peak_test_accuracy, s.fwd_final_test_accuracy, s.fwd_final_memorised, s.fwd_transition_error);
    }
    if let Some(path) = &out.trace {
        let header = "epoch,ce_test_accuracy,ce_memorised,ce_clean_fit,elr_test_accuracy,elr_memorised,elr_clean_fit,fwd_test_accuracy,fwd_memorised,fwd_clean_fit";
        write_csv(path, header, e.rows.iter().map(|r| r.to_vec()))?;
    }
    if let Some(path) = &out.png {
        let mut lines = vec![
            line("cross-entropy", 0, column(&e.rows, 1, |a| 1.0 - a)),
            line("ELR", 1, column(&e.rows, 4, |a| 1.0 - a)),
        ];
        if forward != noisy_labels::Forward::Off {
            lines.push(line("forward correction", 2, column(&e.rows, 7, |a| 1.0 - a)));
        }
        save_png(
            path,
            spec("Test error (1 − accuracy): cross-entropy vs ELR vs forward correction", "epoch", "test error", 1e-2),
            &lines,
            (false, true),
        )?;
        let mut fit = vec![
            line("noisy labels fitted, CE", 0, column(&e.rows, 2, |v| v)),
            line("noisy labels fitted, ELR", 1, column(&e.rows, 5, |v| v)),
            line("clean labels fitted, CE", 2, column(&e.rows, 3, |v| v)),
            line("clean labels fitted, ELR", 3, column(&e.rows, 6, |v| v)),
        ];
        if forward != noisy_labels::Forward::Off {
            fit.push(line("noisy labels fitted, forward", 4, column(&e.rows, 8, |v| v)));
        }
        save_png(
            &sibling(path, "fit"),
            spec("Training labels fitted: noisy (memorisation) and clean", "epoch", "fraction", 1e-2),
            &fit,
            (false, false),
        )?;
    }
    if out.json {
        let mut j = serde_json::to_value(s).expect("summary serialises");
        j["transition"] = json!(e.transition);
        j["label_noise_kind"] = json!(label_noise_kind.name());
        j["forward"] = json!(forward.name());
        println!("{j}");
    }
    Ok(())
}

async fn pskd(m: &ArgMatches) -> Result<(), Error> {
    let config: pskd::Config = kit::params(m)?;
    let pskd::Config { alpha_t, smoothing, hidden, epochs, .. } = config.clone();
    let out = Out::of(m);
    let mut e = pskd::Experiment::new(config)?;
    eprintln!("PS-KD: digits, 64-{hidden}-10 ReLU, Adam, {epochs} epochs; cross-entropy vs label smoothing {smoothing} vs PS-KD α_T {alpha_t}");
    let bar = progress(epochs as u64, "epochs");
    regula_core::frame::run_to_end(&mut e, Budget::iterations(1), |f| bar.set_position(f.iteration)).await?;
    bar.finish_and_clear();
    println!("{:<16} {:>9} {:>9} {:>9}", "", "accuracy", "NLL", "ECE");
    for (name, c) in pskd::RUNS.iter().zip(&e.last) {
        println!("{name:<16} {:>9.4} {:>9.4} {:>9.4}", c.accuracy, c.nll, c.ece);
    }
    if let Some(path) = &out.trace {
        write_csv(
            path,
            "epoch,ce_accuracy,ce_nll,ce_ece,ls_accuracy,ls_nll,ls_ece,pskd_accuracy,pskd_nll,pskd_ece",
            e.rows.iter().map(|r| r.to_vec()),
        )?;
    }
    if let Some(path) = &out.png {
        let lines = [
            line("cross-entropy", 0, column(&e.rows, 3, |v| v)),
            line("label smoothing", 2, column(&e.rows, 6, |v| v)),
            line("PS-KD", 1, column(&e.rows, 9, |v| v)),
        ];
        save_png(
            path,
            spec("Expected calibration error (15 bins) vs epoch", "epoch", "ECE", 1e-3),
            &lines,
            (false, true),
        )?;
        let nll = [
            line("cross-entropy", 0, column(&e.rows, 2, |v| v)),
            line("label smoothing", 2, column(&e.rows, 5, |v| v)),
            line("PS-KD", 1, column(&e.rows, 8, |v| v)),
        ];
        save_png(
            &sibling(path, "nll"),
            spec("Test negative log-likelihood vs epoch", "epoch", "NLL", 1e-3),
            &nll,
            (false, true),
        )?;
        let bins = |c: &pskd::Calibration| c.bins.iter().filter(|b| b.0 > 0).map(|b| (b.1, b.2)).collect::<Vec<_>>();
        let mut reliability = vec![line("perfect calibration", 3, vec![(0.0, 0.0), (1.0, 1.0)])];
        for ((name, color), c) in [("cross-entropy", 0), ("label smoothing", 2), ("PS-KD", 1)].into_iter().zip(&e.last)
        {
            reliability.push(line(name, color, bins(c)));
        }
        let title = "Reliability diagram (last epoch): accuracy vs confidence";
        save_png(
            &sibling(path, "reliability"),
            spec(title, "confidence (top probability)", "accuracy", 1e-3),
            &reliability,
            (false, false),
        )?;
    }
    if out.json {
        let mut j = json!({"epochs": epochs, "alpha_t": alpha_t, "smoothing": smoothing});
        for (prefix, c) in pskd::RUN_KEYS.iter().zip(&e.last) {
            j[key::of_run(prefix, key::ACCURACY)] = json!(c.accuracy);
            j[key::of_run(prefix, key::NLL)] = json!(c.nll);
            j[key::of_run(prefix, key::ECE)] = json!(c.ece);
            j[format!("{prefix}_reliability")] = json!(c
                .bins
                .iter()
                .filter(|b| b.0 > 0)
                .map(|b| json!({"count": b.0, "confidence": b.1, "accuracy": b.2}))
                .collect::<Vec<_>>());
        }
        println!("{j}");
    }
    Ok(())
}

async fn continual(m: &ArgMatches) -> Result<(), Error> {
    let config: continual::Config = kit::params(m)?;
    let continual::Config { lambdas, lora_rank, seeds, .. } = config.clone();
    let out = Out::of(m);
    let mut e = continual::Experiment::new(config)?;
    let bar = progress((seeds * (1 + lambdas.len())) as u64, "draw × (A, λ)");
    regula_core::frame::run_to_end(&mut e, Budget::iterations(1), |f| bar.set_position(f.iteration)).await?;
    bar.finish_and_clear();
    let acc_a = e.after_a.as_ref().map_or(f64::NAN, |a| a.1);
    println!("task A (circle) test accuracy after A: {acc_a:.3} (first draw); below, means over {seeds} draws");
    println!(
        "{:>10} {:>11} {:>12} {:>12}   LoRA r = {lora_rank}: {:>10} {:>10}",
        "λ", "forgetting", "A after B", "B accuracy", "forgetting", "B accuracy"
    );
    for o in &e.outcomes {
        let lora = o.lora.map_or(String::new(), |l| {
            format!("{:>10.3} {:>10.3}{}", l.forgetting, l.b_accuracy, if l.diverged { " (diverged)" } else { "" })
        });
        println!(
            "{:>10} {:>11.3} {:>12.3} {:>12.3}{}   {:>12}{lora}",
            o.lambda,
            o.forgetting,
            o.a_accuracy,
            o.b_accuracy,
            if o.diverged { " (diverged)" } else { "" },
            ""
        );
    }
    if let Some(path) = &out.trace {
        write_csv(
            path,
            "lambda,forgetting,a_accuracy,b_accuracy",
            e.outcomes.iter().map(|o| vec![o.lambda, o.forgetting, o.a_accuracy, o.b_accuracy]),
        )?;
    }
    if let Some(path) = &out.png {
        let col = |f: fn(&continual::Outcome) -> f64| e.outcomes.iter().map(|o| (o.lambda, f(o))).collect::<Vec<_>>();
        let lines = [
            line("forgetting of A", 0, col(|o| o.forgetting)),
            line("A's accuracy after B", 2, col(|o| o.a_accuracy)),
            line("B's accuracy", 1, col(|o| o.b_accuracy)),
        ];
        save_png(
            path,
            spec("Forgetting and accuracy vs the penalty weight λ (λ = 0 in the table)", "λ", "fraction", 1e-3),
            &lines,
            (true, false),
        )?;
        if let Some((_, _, fisher)) = &e.after_a {
            let points = fisher.iter().enumerate().map(|(i, v)| (i as f64, *v)).collect();
            let x_label = "parameter index (layer by layer: weights, then biases)";
            save_png(
                &sibling(path, "fisher"),
                spec("Diagonal Fisher information of task A per parameter", x_label, "F_i", 1e-10),
                &[line("F_i (task A, at θ*_A)", 0, points)],
                (false, true),
            )?;
            let layers = e.layer_shapes();
            write_png(&sibling(path, "fisher-heatmap"), |root| {
                regula_charts::train::draw_fisher(root, fisher, &layers)
            })?;
        }
    }
    if out.json {
        println!("{}", json!({(key::A_ACCURACY_AFTER_A): acc_a, "seeds": seeds, "outcomes": e.outcomes}));
    }
    Ok(())
}

async fn epoch_wise(m: &ArgMatches) -> Result<(), Error> {
    let config: epoch_wise::Config = kit::params(m)?;
    let epoch_wise::Config { label_noise, n, categories, epochs, seeds, control: with_control, .. } = config.clone();
    let out = Out::of(m);
    let mut e = epoch_wise::Experiment::new(config)?;
    eprintln!(
        "epoch-wise double descent: {n} training points of {} inputs, {seeds} draws{}, {epochs} epochs",
        1 + categories + 2,
        if !with_control { "" } else { " (and their noise-free controls)" }
    );
    let bar = progress(e.eval_epochs().len() as u64, "evaluations");
    regula_core::frame::run_to_end(&mut e, Budget::millis(200.0), |f| bar.set_position(f.iteration)).await?;
    bar.finish_and_clear();
    let (noisy, control) = (e.mean_curve(true), e.mean_curve(false));
    let s = e.summary();
    let shape = |name: &str, sh: Option<epoch_wise::Shape>| match sh {
        Some(x) => println!(
            "{name}: first minimum {:.4} at epoch {}, peak {:.4} at {}, second minimum {:.4} at {}, final {:.4}",
            x.first_min_error,
            x.first_min_epoch,
            x.peak_error,
            x.peak_epoch,
            x.second_min_error,
            x.second_min_epoch,
            x.final_error
        ),
        None => println!("{name}: too few evaluations for a shape"),
    };
    shape(&format!("label noise {label_noise} (mean test error of {seeds} draws)"), s.noisy);
    if with_control {
        shape("no label noise (control)", s.control);
    }
    let rows: Vec<[f64; 6]> = (0..noisy.epochs.len())
        .map(|i| {
            [
                noisy.epochs[i],
                noisy.test_error[i],
                noisy.train_error[i],
                noisy.memorised[i],
                control.test_error.get(i).copied().unwrap_or(f64::NAN),
                control.train_error.get(i).copied().unwrap_or(f64::NAN),
            ]
        })
        .collect();
    if let Some(path) = &out.trace {
        write_csv(
            path,
            "epoch,test_error,train_error,memorised,control_test_error,control_train_error",
            rows.iter().map(|r| r.to_vec()),
        )?;
    }
    if let Some(path) = &out.png {
        let mut lines = vec![line(format!("test error, label noise {label_noise}"), 0, column(&rows, 1, |v| v))];
        if with_control {
            lines.push(line("test error, no label noise", 1, column(&rows, 4, |v| v)));
        }
        save_png(
            path,
            spec("Test error vs epoch (mean over the draws)", "epoch", "test error (clean labels)", 1e-3),
            &lines,
            (true, false),
        )?;
        let fit = [
            line("training error (noisy labels)", 0, column(&rows, 2, |v| v)),
            line("flipped labels fitted", 2, column(&rows, 3, |v| v)),
        ];
        save_png(
            &sibling(path, "fit"),
            spec("What the network fits: training error and memorised flips", "epoch", "fraction", 1e-3),
            &fit,
            (true, false),
        )?;
    }
    if out.json {
        println!(
            "{}",
            json!({"label_noise": label_noise, "seeds": seeds, "epochs": epochs, "noisy": s.noisy, "control": s.control})
        );
    }
    Ok(())
}

async fn quadratic(m: &ArgMatches) -> Result<(), Error> {
    let config: quadratic::Config = kit::params(m)?;
    let quadratic::Config { d, kappa, alphas, restarts, lr, .. } = config.clone();
    let out = Out::of(m);
    let mut sweep = quadratic::Sweep::new(config.clone())?;
    let threshold = quadratic::recovery_threshold(kappa);
    eprintln!("quadratic teacher: d = {d}, width {} (student {}), {restarts} gradient-descent starts per α; recovery threshold α_PR = {threshold}", config.teacher_width(), config.student_width());
    let bar = progress(alphas.len() as u64, "α");
    regula_core::frame::run_to_end(&mut sweep, Budget::millis(200.0), |f| bar.set_position(f.iteration)).await?;
    bar.finish_and_clear();
    println!("{:>7} {:>6} {:>11} {:>11} {:>11} {:>11}", "α", "n", "one run", "mean", "averaged", "train");
    for r in &sweep.rows {
        println!(
            "{:>7.3} {:>6} {:>11.4} {:>11.4} {:>11.4} {:>11.2e}",
            r[0],
            config.samples(r[0]),
            r[1],
            r[2],
            r[3],
            r[4]
        );
    }
    if let Some(a) = sweep.diverged_at() {
        eprintln!("gradient descent diverged at α = {a}: the sweep stopped there; lower --lr (now {lr})");
    }
    if let Some(path) = &out.trace {
        write_csv(
            path,
            "alpha,single_test_error,mean_test_error,averaged_test_error,train_error",
            sweep.rows.iter().map(|r| r.to_vec()),
        )?;
    }
    if let Some(path) = &out.png {
        let lines = [
            line("one gradient-descent run", 0, column(&sweep.rows, 1, |v| v)),
            line("mean over runs", 2, column(&sweep.rows, 2, |v| v)),
            line("averaged predictor", 1, column(&sweep.rows, 3, |v| v)),
            line("recovery threshold α_PR", 3, vec![(threshold, 1e-6), (threshold, 2.0)]),
        ];
        save_png(
            path,
            spec(
                "Test error vs α = n/d²: one run, the average over runs, and the averaged predictor",
                "α = n/d²",
                "test error",
                1e-6,
            ),
            &lines,
            (false, true),
        )?;
        if !sweep.curve.is_empty() {
            let c = &sweep.curve;
            let lines = [line("test error", 0, column(c, 2, |v| v)), line("training error", 1, column(c, 1, |v| v))];
            save_png(
                &sibling(path, "curve"),
                spec("The last start: errors vs gradient-descent step", "step", "relative error", 1e-10),
                &lines,
                (false, true),
            )?;
        }
    }
    if out.json {
        let rows: Vec<_> = sweep.rows.iter().map(|r| json!({(key::ALPHA): r[0], (key::SINGLE_TEST_ERROR): r[1], (key::MEAN_TEST_ERROR): r[2], (key::AVERAGED_TEST_ERROR): r[3], (key::TRAIN_ERROR): r[4]})).collect();
        println!(
            "{}",
            json!({"d": d, "kappa": kappa, "restarts": restarts, "recovery_threshold": threshold, "diverged_at": sweep.diverged_at(), "rows": rows})
        );
    }
    Ok(())
}

async fn double_descent(m: &ArgMatches) -> Result<(), Error> {
    let config: double_descent::Config = kit::params(m)?;
    let double_descent::Config { n, noise_var, signal, trials, .. } = config.clone();
    let out = Out::of(m);
    let mut sweep = double_descent::Sweep::new(config.clone())?;
    let bar = progress(config.grid().len() as u64, "γ sweep");
    regula_core::frame::run_to_end(&mut sweep, Budget::iterations(1), |f| bar.set_position(f.iteration)).await?;
    bar.finish_and_clear();
    println!("{:>7} {:>12} {:>12} {:>12}", "γ", "risk mean", "median", "theory");
    for r in &sweep.rows {
        println!("{:>7.3} {:>12.4} {:>12.4} {:>12.4}", r[0], r[1], r[2], r[3]);
    }
    let peak = sweep.rows.iter().copied().max_by(|a, b| a[2].total_cmp(&b[2])).unwrap_or([f64::NAN; 4]);
    println!("peak of the median risk: {:.4} at γ = {:.3}", peak[2], peak[0]);
    if let Some(path) = &out.trace {
        write_csv(path, "gamma,risk_mean,risk_median,theory_risk", sweep.rows.iter().map(|r| r.to_vec()))?;
    }
    if let Some(path) = &out.png {
        let lines = [
            line("median risk (simulated)", 0, column(&sweep.rows, 2, |v| v)),
            line("mean risk (simulated)", 2, column(&sweep.rows, 1, |v| v)),
            line("theory", 1, column(&sweep.rows, 3, |v| v)),
        ];
        save_png(
            path,
            spec("Excess test risk of ridgeless regression vs γ = p/n", "γ = p/n", "E‖β̂ − β‖²", 1e-3),
            &lines,
            (true, true),
        )?;
    }
    if out.json {
        let rows: Vec<_> = sweep
            .rows
            .iter()
            .map(|r| json!({(key::GAMMA): r[0], (key::RISK_MEAN): r[1], (key::RISK_MEDIAN): r[2], (key::THEORY_RISK): r[3]}))
            .collect();
        println!(
            "{}",
            json!({"n": n, "noise_var": noise_var, "signal": signal, "trials": trials, "peak_gamma": peak[0], "peak_risk_median": peak[2], "rows": rows})
        );
    }
    Ok(())
}
