//! `regula sweep train`: many small networks over a grid of two hyperparameters, trained side by side —
//! the training page's Sweep tab headless; `regula sweep ot`: many transport problems over a grid of ε, n,
//! tolerance and seed, solved side by side — the OT page's Sweep tab headless. `--grid NAME=SPEC` (once or twice) sets the axes, `--shard i/n`
//! runs one slice of the grid (a job array's task), `--json` streams one JSON line per net as it finishes.

use clap::{Arg, ArgAction, ArgMatches, Command};
use regula_charts::sweep::{draw_phase, PhaseCell, PhaseSpec};
use regula_core::lab::sweep::{parse_grid, AxisKind, Run, Shard, SweepLab};
use regula_core::lab::Lab;
use regula_core::metrics as key;
use regula_core::ot::sweep::{Axis as OtAxis, OtSweep, Params as OtParams};
use regula_core::train::sweep::{Axis, Params, Sweep};
use regula_core::{Backend, BackendChoice, Budget, Error};
use serde_json::json;

use crate::kit::{self, Out};
use crate::out::write_png;

pub fn command() -> Command {
    Command::new("sweep")
        .about("Sweeps: many small networks (train) or OT problems (ot) over a grid of two parameters, run side by side (a phase diagram).")
        .subcommand_required(true)
        .subcommand(sweep_command(Params::DEF, "train", "lr=1e-3:1:log:16 (16 log-spaced values), width=2:32:lin:5, l2=0,1e-4,1e-3 (a list); the first is x, a second y. Names: lr, l1, l2, batch, width, label-noise, init, seed."))
        .subcommand(sweep_command(OtParams::DEF, "ot", "eps=1e-3:0.3:log:8 (8 log-spaced values), n=16:128:lin:4, tol=1e-2,1e-4 (a list); the first is x, a second y. Names: eps, n (n = m), tol, seed."))
}

/// A sweep lab's subcommand: its fields' flags, `--grid` and `--shard`.
fn sweep_command(def: &'static regula_core::lab::Def, name: &'static str, axes: &'static str) -> Command {
    kit::command(def, name, true)
        .arg(
            Arg::new("grid")
                .long("grid")
                .value_name("NAME=SPEC")
                .action(ArgAction::Append)
                .help(format!("An axis: {axes} Replaces --x/--x-values (--y/--y-values).")),
        )
        .arg(
            Arg::new("shard")
                .long("shard")
                .value_name("i/n")
                .help("Run only slice i of n of the grid (0 ≤ i < n): n runs (a job array) cover the grid; each line names its index."),
        )
}

pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    match m.subcommand() {
        Some(("train", m)) => train(m).await,
        Some(("ot", m)) => ot(m).await,
        _ => Err(Error::Invalid { name: "command", message: "name what to sweep: train or ot".into() }),
    }
}

/// `--grid` as the x/y fields' flags.
fn grid_flags<A: AxisKind>(m: &ArgMatches) -> Result<Vec<(String, Option<String>)>, Error> {
    let grids: Vec<&String> = m.get_many::<String>("grid").map(|g| g.collect()).unwrap_or_default();
    if grids.len() > 2 {
        return Err(Error::Invalid {
            name: "grid",
            message: format!("{} axes given: a sweep has two (x, then y)", grids.len()),
        });
    }
    let mut flags = Vec::new();
    for (g, (axis, values)) in
        ["x", "y"].into_iter().zip(grids.iter().map(|g| parse_grid::<A>(g, 4096)).collect::<Result<Vec<_>, _>>()?)
    {
        let list: Vec<String> = values.iter().map(f64::to_string).collect();
        flags.push((g.to_owned(), Some(axis.name().to_owned())));
        flags.push((format!("{g}-values"), Some(list.join(","))));
    }
    if grids.len() == 1 && m.value_source("y") != Some(clap::parser::ValueSource::CommandLine) {
        flags.push(("y".to_owned(), Some("none".to_owned())));
    }
    Ok(flags)
}

async fn train(m: &ArgMatches) -> Result<(), Error> {
    let params: Params = kit::params_with(m, grid_flags::<Axis>(m)?)?;
    let shard = m.get_one::<String>("shard").map(|s| Shard::parse(s)).transpose()?.unwrap_or(Shard::WHOLE);
    let device = if params.train.backend == BackendChoice::Cpu {
        Backend::Cpu { fallback: None }
    } else {
        Backend::acquire(BackendChoice::Auto).await?
    };
    let sweep = Sweep::new(params.clone(), shard, &device)?;
    let what = format!("{} epochs each", params.train.config.epochs);
    drive(m, sweep, &params, shard, &what, &TRAIN_TRACE).await
}

async fn ot(m: &ArgMatches) -> Result<(), Error> {
    let params: OtParams = kit::params_with(m, grid_flags::<OtAxis>(m)?)?;
    let shard = m.get_one::<String>("shard").map(|s| Shard::parse(s)).transpose()?.unwrap_or(Shard::WHOLE);
    let device = if params.backend == BackendChoice::Cpu {
        Backend::Cpu { fallback: None }
    } else {
        Backend::acquire(BackendChoice::Auto).await?
    };
    let sweep = OtSweep::new(params.clone(), shard, &device).await?;
    let what =
        format!("log-domain Sinkhorn to {:e} (at most {} iterations)", params.solver.tol, params.solver.max_iter);
    drive(m, sweep, &params, shard, &what, &OT_TRACE).await
}

const OT_TRACE: [&str; 4] = ["iterations", "stop", key::MARGINAL_ERROR, key::TRANSPORT_COST];

/// Runs a sweep to its end: a progress bar, one JSON line per member as it finishes (`--json`), the
/// members' CSV (`--trace`), then the phase diagram as a table, its PNG (`--png`) and a summary line.
async fn drive<R: Run>(
    m: &ArgMatches,
    mut sweep: R,
    params: &impl SweepLab,
    shard: Shard,
    what: &str,
    trace_keys: &[&str],
) -> Result<(), Error> {
    let out = Out::of(m);
    let l = params.labels();
    let (xt, yt) = params.ticks();
    let n = sweep.members();
    eprintln!(
        "sweep: {} × {} cells × {} seeds = {} {}s{}; {what}; {}",
        xt.len(),
        yt.len(),
        params.seeds(),
        params.len(),
        l.member,
        if shard == Shard::WHOLE {
            String::new()
        } else {
            format!(" (shard {}/{}: {n} {}s)", shard.index, shard.count, l.member)
        },
        sweep.placement()
    );
    let bar = kit::progress(n as u64, &format!("{}s", l.member));
    let mut reported = vec![false; n];
    let header = format!("{},x,x_value,y,y_value,seed,diverged,error,{}", l.member, trace_keys.join(","));
    let mut trace = crate::out::Trace::create(out.trace.as_deref(), &header)?;
    let last = loop {
        let f = sweep.step(Budget::iterations(1)).await?;
        for (k, done) in reported.iter_mut().enumerate() {
            if sweep.member_done(k) && !*done {
                *done = true;
                let r = sweep.record(k);
                if out.json {
                    println!("{r}");
                }
                trace.row(&trace_row(&r, l.member, trace_keys));
            }
        }
        bar.set_position(f.metric(key::SWEEP_DONE).unwrap_or(0.0) as u64);
        if f.done {
            break f;
        }
    };
    bar.finish_and_clear();
    trace.finish()?;
    let cells = sweep.cells();
    // The phase diagram as a table: rows from the top (the last y value) down, as the picture shows them.
    println!(
        "{} ({}), mean over {} seed(s); x: {}{}",
        l.value,
        params.show_name(),
        params.seeds(),
        l.x,
        if l.y.is_empty() { String::new() } else { format!(", y: {}", l.y) }
    );
    for iy in (0..yt.len()).rev() {
        let row: Vec<String> = cells
            .iter()
            .filter(|c| c.iy == iy)
            .map(|c| match (&c.error, c.all_diverged(), c.value) {
                (Some(_), ..) => format!("{:>9}", "error"),
                (_, true, _) => format!("{:>9}", "diverged"),
                (_, _, Some(v)) => format!("{:>9}", short(v)),
                _ => format!("{:>9}", "-"),
            })
            .collect();
        println!("{:>10} |{}", yt[iy], row.join(""));
    }
    println!("{:>10} |{}", "", xt.iter().map(|t| format!("{t:>9}")).collect::<String>());
    let rate = last.metric(key::NET_STEPS_PER_SECOND).unwrap_or(0.0);
    let (per_second, rate_key) = if l.member == "net" {
        ("net-steps/s", "net_steps_per_second")
    } else {
        ("problem-iterations/s", "problem_iterations_per_second")
    };
    println!(
        "{n} {}s: {} diverged, {} could not run; {rate:.0} {per_second} over {:.2} s of work ({:.2} s in all)",
        l.member,
        last.metric(key::SWEEP_DIVERGED).unwrap_or(0.0),
        last.metric(key::SWEEP_FAILED).unwrap_or(0.0),
        last.metric(key::TRAIN_SECONDS).unwrap_or(0.0),
        last.elapsed_ms / 1e3
    );
    for c in cells.iter().filter(|c| c.error.is_some()) {
        eprintln!("cell ({}, {}): {}", xt[c.ix], yt[c.iy], c.error.as_deref().unwrap_or(""));
    }
    if let Some(path) = &out.png {
        let phase: Vec<PhaseCell> = cells
            .iter()
            .map(|c| PhaseCell {
                value: c.value,
                diverged: c.all_diverged(),
                failed: c.error.is_some() && c.value.is_none(),
            })
            .collect();
        let title = format!("Sweep: {} over {} × {}", l.value, l.x, if l.y.is_empty() { "—" } else { l.y });
        let spec =
            PhaseSpec { title: &title, x_label: l.x, y_label: l.y, x_ticks: &xt, y_ticks: &yt, value_label: l.value };
        write_png(path, |root| draw_phase(&root, &spec, xt.len(), yt.len(), &phase).map(drop))?;
    }
    if out.json {
        let mut j = json!({
            format!("{}s", l.member): n, "grid_members": params.len(), "shard": format!("{}/{}", shard.index, shard.count),
            "diverged": last.metric(key::SWEEP_DIVERGED), "failed": last.metric(key::SWEEP_FAILED),
            "work_seconds": last.metric(key::TRAIN_SECONDS), "seconds": last.elapsed_ms / 1e3,
            "placement": sweep.placement(), "show": params.show_name(),
            "cells": cells.iter().filter(|c| c.members > 0).map(|c| json!({"ix": c.ix, "iy": c.iy, "x": xt.get(c.ix), "y": yt.get(c.iy), "value": c.value, "diverged": c.diverged, "members": c.members, "error": c.error})).collect::<Vec<_>>(),
        });
        j[rate_key] = rate.into();
        println!("{j}");
    }
    Ok(())
}

/// A value in a 9-wide column: four decimals, or a whole number when large.
fn short(v: f64) -> String {
    if v.abs() >= 1e4 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

const TRAIN_TRACE: [&str; 8] = [
    key::EPOCH,
    key::TRAIN_LOSS,
    key::TEST_LOSS,
    key::TRAIN_ACCURACY,
    key::TEST_ACCURACY,
    key::SHARPNESS,
    key::HESSIAN_TRACE,
    key::STABILITY_THRESHOLD,
];

/// One member's CSV row from its JSON record.
fn trace_row(r: &serde_json::Value, member: &str, keys: &[&str]) -> Vec<String> {
    let text = |k: &str| match &r[k] {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => format!("\"{}\"", s.replace('"', "\"\"")),
        v => v.to_string(),
    };
    [member, "x", "x_value", "y", "y_value", "seed", "diverged", "error"]
        .iter()
        .chain(keys.iter())
        .map(|k| text(k))
        .collect()
}
