#![no_main]
//! cargo fuzz target: see `core/tests/common/fuzz_checks.rs` for the properties.

#[allow(dead_code)] // each target uses one of the checks
#[path = "../../core/tests/common/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::config(data));
