//! `regula nuclear`: the sketching page's nuclear-norm tab headless — the same three matrices (seed 7),
//! the same table.

use clap::{ArgMatches, Command};
use regula_core::lab::Lab;
use regula_core::sketch::lab::NuclearParams;
use regula_core::sketch::nuclear::{Comparison, MATRICES};
use regula_core::{Budget, Error};
use serde_json::json;

use crate::kit::{self, Out};
use crate::out::{line, save_png, spec};

pub fn command() -> Command {
    kit::command(NuclearParams::DEF, "nuclear", false)
}

pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    let p: NuclearParams = kit::params(m)?;
    let out = Out::of(m);
    let mut comparison = Comparison::new(p.n, p.d, p.rank, p.collapse)?;
    // One step per matrix (each an SVD of N × d: a few seconds at the largest N·d).
    let bar = kit::progress(MATRICES.len() as u64, "nuclear");
    regula_core::frame::run_to_end(&mut comparison, Budget::iterations(1), |f| bar.set_position(f.iteration)).await?;
    bar.finish_and_clear();
    let rows = comparison.rows();
    println!(
        "{:<20} {:>16} {:>10} {:>12} {:>9} {:>9}",
        "matrix", "‖R̂‖_* / N (SVD)", "MNN proxy", "proxy / true", "SVD ms", "proxy ms"
    );
    for (label, r) in MATRICES.iter().zip(rows) {
        println!(
            "{label:<20} {:>16.4} {:>10.4} {:>12.2} {:>9.1} {:>9.2}",
            r.exact,
            r.proxy,
            r.ratio,
            r.exact_seconds * 1e3,
            r.proxy_seconds * 1e3
        );
    }
    if let Some(path) = &out.png {
        let points = rows[0].spectrum.iter().enumerate().map(|(k, s)| ((k + 1) as f64, *s)).collect();
        save_png(
            path,
            spec("Singular values of R̂ (your matrix)", "k", "σ_k", 1e-8),
            &[line("σ_k(R̂)", 0, points)],
            (false, true),
        )?;
    }
    if out.json {
        let rows: Vec<_> = MATRICES
            .iter()
            .zip(rows)
            .map(|(label, r)| json!({"matrix": label, "exact": r.exact, "proxy": r.proxy, "ratio": r.ratio, "exact_seconds": r.exact_seconds, "proxy_seconds": r.proxy_seconds}))
            .collect();
        println!("{}", json!({"n": p.n, "d": p.d, "rank": p.rank, "collapse": p.collapse, "rows": rows}));
    }
    Ok(())
}
