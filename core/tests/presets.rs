//! Every preset of every lab — the page's "paper presets" buttons and the CLI's `--preset NAME`, both read
//! from the lab's definition — is a promise that its figure appears. Its link part must decode with no
//! notice, and its run must start and step on the CPU (the path every browser has) with no error and every
//! metric finite: to the end where the run is short, for a bounded time where it is long. (The page's
//! e2e test clicks each one on WebGPU; this one holds the CPU path in `cargo test`.)

#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use regula_core::frame::Budget;
use regula_core::lab::catalog::ALL;
use regula_core::Backend;

/// Time each run of a preset steps for (debug build) before the next preset.
const PER_RUN: Duration = Duration::from_millis(1500);

/// Presets run to the end whatever it takes (lab name, preset): sketch-and-precondition stopped the whole
/// run at the first CountSketch draw whose SA was rank-deficient (half the draws at m = 1024 on [I; 0]);
/// such a draw is now counted, and the run must finish with its table.
const TO_THE_END: &[(&str, &str)] = &[("sketching/regression", "precondition")];

#[test]
fn every_preset_is_named_as_one_shell_word_and_decodes_cleanly() {
    let mut total = 0;
    for lab in ALL {
        let def = lab.def();
        let mut names = HashSet::new();
        for preset in def.presets {
            let who = format!("{} --preset {}", def.command, preset.name);
            assert!(names.insert(preset.name), "{who}: a preset name used twice");
            assert!(
                preset.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
                "{who}: a preset name is one shell word"
            );
            assert!(!preset.query.contains("tab=") && !preset.query.contains("run="), "{who}: the kit adds those");
            let (_, notices) = lab.decode(preset.query);
            assert!(notices.is_empty(), "{who}: {notices:?}");
            total += 1;
        }
    }
    assert!(total >= 27, "every lab's presets: {total}");
}

// The runs are bounded by wall time on one thread each: two halves (alternate presets) run as two tests,
// which the harness runs side by side on the two cores.
#[test]
fn the_even_presets_run_on_the_cpu() {
    assert!(run_presets(0) >= 13);
}

#[test]
fn the_odd_presets_run_on_the_cpu() {
    assert!(run_presets(1) >= 13);
}

/// Runs every preset whose index over all labs has parity `half`; returns how many ran.
fn run_presets(half: usize) -> usize {
    let cpu = Backend::Cpu { fallback: Some("the test runs every preset on the CPU".into()) };
    let presets = ALL.iter().flat_map(|lab| lab.def().presets.iter().map(move |p| (lab, p)));
    let mut ran = 0;
    for (lab, preset) in presets.skip(half).step_by(2) {
        let def = lab.def();
        let who = format!("{} --preset {}", def.command, preset.name);
        let (params, _) = lab.decode(preset.query);
        let mut runs = pollster::block_on(lab.start(&params, &cpu)).unwrap_or_else(|e| panic!("{who}: {e}"));
        assert!(!runs.is_empty(), "{who}: no run");
        let whole = TO_THE_END.contains(&(def.name().as_str(), preset.name));
        for run in &mut runs {
            let deadline = Instant::now() + if whole { Duration::from_secs(600) } else { PER_RUN };
            let mut frames = 0;
            loop {
                let f = pollster::block_on(run.step_dyn(Budget::millis(100.0)))
                    .unwrap_or_else(|e| panic!("{who}: frame {frames}: {e}"));
                frames += 1;
                for (k, v) in &f.metrics {
                    assert!(v.is_finite(), "{who}: frame {frames}: {k} = {v}");
                }
                if f.done || Instant::now() > deadline {
                    assert!(f.done || !whole, "{who}: not done in time");
                    break;
                }
            }
        }
        ran += 1;
    }
    ran
}
