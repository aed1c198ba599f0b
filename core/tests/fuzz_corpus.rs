//! Guarantee 4 (README "Guarantees"): the fuzz targets' properties (`tests/common/fuzz_checks.rs`) over
//! the kept corpus `fuzz/corpus/<target>/` and every input a fuzzer found, `fuzz/regressions/<target>/`,
//! so a fixed crash stays fixed without cargo fuzz (which needs a nightly-style build) in CI.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/fuzz_checks.rs"]
mod fuzz_checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut count = 0;
    for dir in [root.join("corpus").join(target), root.join("regressions").join(target)] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let data = std::fs::read(entry.path()).unwrap();
            let name = entry.path().display().to_string();
            if let Err(e) = std::panic::catch_unwind(|| check(&data)) {
                let msg =
                    e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
                panic!("{name}: {}", msg.unwrap_or_default());
            }
            count += 1;
        }
    }
    println!("fuzz corpus {target}: {count} inputs replayed");
    count
}

#[test]
fn url_state_corpus() {
    assert!(replay("urlstate", fuzz_checks::urlstate) > 0, "the corpus is committed");
}

#[test]
fn readers_corpus() {
    assert!(replay("readers", fuzz_checks::readers) > 0, "the corpus is committed");
}

#[test]
fn config_corpus() {
    assert!(replay("config", fuzz_checks::config) > 0, "the corpus is committed");
}
