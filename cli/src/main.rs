//! `regula`: every lab, headless. Each lab command's flags come from the lab's kit definition (the same
//! one the page's panel, its links and its "Run it headless" line come from); the command builds the
//! parameters, lets core place the run (CPU or GPU, the page's rule), drives the stepper to the end with a
//! progress bar on stderr, prints a summary, and with `--json` makes the last stdout line one JSON object.
//! Errors are printed in words and exit non-zero.

mod cmd;
mod kit;
mod out;

use std::process::ExitCode;

use clap::Command;
use regula_core::Error;

fn cli() -> Command {
    Command::new("regula")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Regula: regularization labs on WebGPU and CPU, headless")
        .after_help(
            "Every command also takes --config FILE.toml: a run file whose keys are the command's flags \
             (eps = 0.01, hidden = [8, 8], normalize-cost = true); flags on the command line win.",
        )
        .subcommand_required(true)
        .subcommand(cmd::device::command())
        .subcommand(cmd::kernels::command())
        .subcommand(cmd::ot::command())
        .subcommand(cmd::sketch::command())
        .subcommand(cmd::nuclear::command())
        .subcommand(cmd::train::command())
        .subcommand(cmd::sweep::command())
        .subcommand(cmd::generalization::command())
        .subcommand(cmd::solvers::command())
        .subcommand(cmd::bench::command())
}

fn main() -> ExitCode {
    // `--config FILE.toml` (any command): the file's flags, under the command line's own.
    let args: Vec<String> = std::env::args().collect();
    let expanded = match regula_core::config::expand(&args[1..], |p| std::fs::read_to_string(p)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let matches = cli().get_matches_from(std::iter::once(args[0].clone()).chain(expanded));
    match pollster::block_on(run(&matches)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(m: &clap::ArgMatches) -> Result<(), Error> {
    match m.subcommand() {
        Some(("device", m)) => cmd::device::run(m).await,
        Some(("kernels", m)) => cmd::kernels::run(m).await,
        Some(("ot", m)) => cmd::ot::run(m).await,
        Some(("sketch", m)) => cmd::sketch::run(m).await,
        Some(("nuclear", m)) => cmd::nuclear::run(m).await,
        Some(("train", m)) => cmd::train::run(m).await,
        Some(("sweep", m)) => cmd::sweep::run(m).await,
        Some(("generalization", m)) => cmd::generalization::run(m).await,
        Some(("solvers", m)) => cmd::solvers::run(m).await,
        Some(("bench", m)) => cmd::bench::run(m).await,
        _ => Err(Error::Invalid { name: "command", message: "run `regula --help` for the commands".into() }),
    }
}

#[cfg(test)]
mod tests;
