//! `regula sweep train`: many small networks over a grid of two hyperparameters, trained side by side —
//! the training page's Sweep tab headless. `--grid NAME=SPEC` (once or twice) sets the axes, `--shard i/n`
//! runs one slice of the grid (a job array's task), `--json` streams one JSON line per net as it finishes.

use clap::{Arg, ArgAction, ArgMatches, Command};
use regula_charts::sweep::{draw_phase, PhaseCell, PhaseSpec};
use regula_core::lab::Lab;
use regula_core::metrics as key;
use regula_core::train::sweep::{parse_grid, Params, Shard, Sweep};
use regula_core::{Backend, BackendChoice, Budget, Error, Stepper};
use serde_json::json;

use crate::kit::{self, Out};
use crate::out::write_png;

pub fn command() -> Command {
    Command::new("sweep")
        .about("Sweeps: many small networks over a grid of hyperparameters, trained side by side (a phase diagram).")
        .subcommand_required(true)
        .subcommand(
            kit::command(Params::DEF, "train", true)
                .arg(
                    Arg::new("grid")
                        .long("grid")
                        .value_name("NAME=SPEC")
                        .action(ArgAction::Append)
                        .help("An axis: lr=1e-3:1:log:16 (16 log-spaced values), width=2:32:lin:5, l2=0,1e-4,1e-3 (a list); the first is x, a second y. Names: lr, l1, l2, batch, width, label-noise, init, seed. Replaces --x/--x-values (--y/--y-values)."),
                )
                .arg(
                    Arg::new("shard")
                        .long("shard")
                        .value_name("i/n")
                        .help("Run only slice i of n of the grid's nets (0 ≤ i < n): n runs (a job array) cover the grid; each net's line names its index."),
                ),
        )
}

pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    match m.subcommand() {
        Some(("train", m)) => train(m).await,
        _ => Err(Error::Invalid { name: "command", message: "name what to sweep: train".into() }),
    }
}

/// `--grid` as the x/y fields' flags.
fn grid_flags(m: &ArgMatches) -> Result<Vec<(String, Option<String>)>, Error> {
    let grids: Vec<&String> = m.get_many::<String>("grid").map(|g| g.collect()).unwrap_or_default();
    if grids.len() > 2 {
        return Err(Error::Invalid {
            name: "grid",
            message: format!("{} axes given: a sweep has two (x, then y)", grids.len()),
        });
    }
    let mut flags = Vec::new();
    for (g, (axis, values)) in
        ["x", "y"].into_iter().zip(grids.iter().map(|g| parse_grid(g)).collect::<Result<Vec<_>, _>>()?)
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
    let params: Params = kit::params_with(m, grid_flags(m)?)?;
    let shard = m.get_one::<String>("shard").map(|s| Shard::parse(s)).transpose()?.unwrap_or(Shard::WHOLE);
    let out = Out::of(m);
    let device = if params.train.backend == BackendChoice::Cpu {
        Backend::Cpu { fallback: None }
    } else {
        Backend::acquire(BackendChoice::Auto).await?
    };
    let mut sweep = Sweep::new(params.clone(), shard, &device)?;
    let g = &params.sweep;
    let n = sweep.nets().len();
    eprintln!(
        "sweep: {} × {} cells × {} seeds = {} nets{}; {} epochs each; {}",
        g.x_values.len(),
        params.rows(),
        g.seeds,
        params.len(),
        if shard == Shard::WHOLE {
            String::new()
        } else {
            format!(" (shard {}/{}: {n} nets)", shard.index, shard.count)
        },
        params.train.config.epochs,
        sweep.placement()
    );
    let bar = kit::progress(n as u64, "nets");
    let mut reported = vec![false; n];
    let mut trace = crate::out::Trace::create(out.trace.as_deref(), &trace_header())?;
    let last = loop {
        let f = sweep.step(Budget::iterations(1)).await?;
        for (k, net) in sweep.nets().iter().enumerate() {
            if net.done() && !reported[k] {
                reported[k] = true;
                let r = sweep.record(net);
                if out.json {
                    println!("{r}");
                }
                trace.row(&trace_row(&r));
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
    let (xt, yt) = params.ticks();
    // The phase diagram as a table: rows from the top (the last y value) down, as the picture shows them.
    println!(
        "{} ({}), mean over {} seed(s); x: {}{}",
        g.show.label(),
        g.show.name(),
        g.seeds,
        g.x.label(),
        if g.y.name() == "none" { String::new() } else { format!(", y: {}", g.y.label()) }
    );
    for iy in (0..params.rows()).rev() {
        let row: Vec<String> = cells
            .iter()
            .filter(|c| c.iy == iy)
            .map(|c| match (&c.error, c.diverged == c.nets && c.nets > 0, c.value) {
                (Some(_), ..) => format!("{:>9}", "error"),
                (_, true, _) => format!("{:>9}", "diverged"),
                (_, _, Some(v)) => format!("{v:>9.4}"),
                _ => format!("{:>9}", "-"),
            })
            .collect();
        println!("{:>10} |{}", yt[iy], row.join(""));
    }
    println!("{:>10} |{}", "", xt.iter().map(|t| format!("{t:>9}")).collect::<String>());
    let rate = last.metric(key::NET_STEPS_PER_SECOND).unwrap_or(0.0);
    println!(
        "{n} nets: {} diverged, {} could not run; {:.0} net-steps/s over {:.2} s of training ({:.2} s in all)",
        last.metric(key::SWEEP_DIVERGED).unwrap_or(0.0),
        last.metric(key::SWEEP_FAILED).unwrap_or(0.0),
        rate,
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
                diverged: c.nets > 0 && c.diverged == c.nets,
                failed: c.error.is_some() && c.value.is_none(),
            })
            .collect();
        let title = format!(
            "Sweep: {} over {} × {}",
            g.show.label(),
            g.x.label(),
            if g.y.name() == "none" { "—" } else { g.y.label() }
        );
        let spec = PhaseSpec {
            title: &title,
            x_label: g.x.label(),
            y_label: g.y.label(),
            x_ticks: &xt,
            y_ticks: &yt,
            value_label: g.show.label(),
        };
        write_png(path, |root| draw_phase(&root, &spec, xt.len(), yt.len(), &phase).map(drop))?;
    }
    if out.json {
        let j = json!({
            "nets": n, "grid_nets": params.len(), "shard": format!("{}/{}", shard.index, shard.count),
            "diverged": last.metric(key::SWEEP_DIVERGED), "failed": last.metric(key::SWEEP_FAILED),
            "net_steps_per_second": rate, "train_seconds": last.metric(key::TRAIN_SECONDS), "seconds": last.elapsed_ms / 1e3,
            "placement": sweep.placement(), "show": g.show.name(),
            "cells": cells.iter().filter(|c| c.nets > 0).map(|c| json!({"ix": c.ix, "iy": c.iy, "x": g.x_values.get(c.ix), "y": g.y_values.get(c.iy), "value": c.value, "diverged": c.diverged, "nets": c.nets, "error": c.error})).collect::<Vec<_>>(),
        });
        println!("{j}");
    }
    Ok(())
}

const TRACE_KEYS: [&str; 8] = [
    key::EPOCH,
    key::TRAIN_LOSS,
    key::TEST_LOSS,
    key::TRAIN_ACCURACY,
    key::TEST_ACCURACY,
    key::SHARPNESS,
    key::HESSIAN_TRACE,
    key::STABILITY_THRESHOLD,
];

fn trace_header() -> String {
    format!("net,x,x_value,y,y_value,seed,diverged,error,{}", TRACE_KEYS.join(","))
}

/// One net's CSV row from its JSON record.
fn trace_row(r: &serde_json::Value) -> Vec<String> {
    let text = |k: &str| match &r[k] {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => format!("\"{}\"", s.replace('"', "\"\"")),
        v => v.to_string(),
    };
    ["net", "x", "x_value", "y", "y_value", "seed", "diverged", "error"]
        .iter()
        .chain(TRACE_KEYS.iter())
        .map(|k| text(k))
        .collect()
}
