//! `cargo xtask <command>` — the project's set-up, serve, test and dist commands.
//!
//! - `setup`: installs what a fresh Debian 12 machine lacks, idempotently (each step is skipped when the
//!   right version is present): Debian `chromium`, `chromium-driver`, `mesa-vulkan-drivers`; the
//!   `wasm32-unknown-unknown` target; `wasm-bindgen-cli` at the Cargo.lock version; Trunk 0.21.14; wasm-pack
//!   0.15.1 (tests only; it finds that wasm-bindgen and Debian's chromedriver, and downloads nothing);
//!   `wasm-opt` 132 from npm `binaryen` into `.tools/`; the end-to-end test's npm packages.
//! - `serve`: set-up (web tools only), then `trunk serve --release` on http://127.0.0.1:8080.
//! - `test`: set-up, formatting (`cargo fmt --check`, `rustfmt.toml`: 120 columns) and lints (`cargo
//!   clippy -D warnings`, native and wasm32), then the three test layers — native `cargo test` (real WGSL on lavapipe), the same
//!   GPU-vs-CPU comparison in headless Chromium's WebGPU (`wasm-pack test --headless --chrome core`), and the end-to-end
//!   test that builds the app, serves it on 127.0.0.1 and drives Chromium with playwright-core.
//! - `dist`: a self-contained static folder in `dist/` (release build, wasm-opt -O1: see index.html).
//! - `soak`: the long checks of README "Guarantees": the property sweeps at 10,000 cases per lab
//!   (`--cases`), then every lab's default run for 600 s each (`--seconds`) in headless Chromium with the
//!   tab's memory and frame times sampled (e2e/soak.mjs; figures in e2e/artifacts/soak.json).
//! - `fuzz`: installs cargo-fuzz and runs each fuzz target for 600 s (`--seconds`) on its kept corpus.

use std::env;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::thread;

type Result<T = ()> = std::result::Result<T, String>;

const TRUNK_VERSION: &str = "0.21.14";
const WASM_PACK_VERSION: &str = "0.15.1";
const BINARYEN_VERSION: &str = "132";
const APT_PACKAGES: &[&str] = &["chromium", "chromium-driver", "mesa-vulkan-drivers", "libvulkan1"];
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CARGO_DENY_VERSION: &str = "0.20.2";
const CARGO_FUZZ_VERSION: &str = "0.13.2";
const FUZZ_TARGETS: &[&str] = &["urlstate", "readers", "config"];

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(Needs::All),
        Some("serve") => serve(),
        Some("test") => test(),
        Some("dist") => dist(),
        Some("soak") => soak(&args[1..]),
        Some("fuzz") => fuzz(&args[1..]),
        Some("deny") => deny(),
        _ => Err(
            "usage: cargo xtask <setup | serve | test | deny | dist | soak [--seconds N] [--cases N] | fuzz [--seconds N]>"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// PATH with cargo's bin folder and `.tools/node_modules/.bin` (wasm-opt) in front.
fn tool_path() -> String {
    let home = env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cargo"));
    let mut parts = vec![root().join(".tools/node_modules/.bin"), home.join("bin")];
    parts.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
    env::join_paths(parts).expect("valid PATH").to_string_lossy().into_owned()
}

fn cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root()).env("PATH", tool_path());
    c
}

fn run(c: &mut Command) -> Result {
    eprintln!("xtask: $ {c:?}");
    let status = c.status().map_err(|e| format!("could not start {:?}: {e}", c.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{:?} failed ({status})", c.get_program()))
    }
}

/// stdout of a command, or None when it cannot run or fails.
fn output(c: &mut Command) -> Option<String> {
    let out = c.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[derive(Clone, Copy, PartialEq)]
enum Needs {
    /// Everything the tests need (browser, drivers, Vulkan).
    All,
    /// What building and serving the page needs.
    Web,
}

fn setup(needs: Needs) -> Result {
    if needs == Needs::All {
        apt_packages()?;
    }
    wasm_target()?;
    wasm_bindgen()?;
    trunk()?;
    binaryen()?;
    if needs == Needs::All {
        lint_tools()?;
        wasm_pack()?;
        e2e_packages()?;
        cargo_deny()?;
    }
    eprintln!("xtask: set-up complete");
    Ok(())
}

fn apt_packages() -> Result {
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            output(Command::new("dpkg-query").args(["-W", "-f=${Status}", p]))
                .is_none_or(|s| !s.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() != "0");
    let apt = |args: &[&str]| {
        let mut c = if sudo { Command::new("sudo") } else { Command::new("apt-get") };
        if sudo {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    run(&mut apt(&["update", "-qq"]))?;
    let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(&missing);
    run(&mut install)
}

fn wasm_target() -> Result {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// rustfmt and clippy (`cargo xtask test` checks formatting and lints).
fn lint_tools() -> Result {
    let installed = output(Command::new("rustup").args(["component", "list", "--installed"])).unwrap_or_default();
    let missing: Vec<&str> = ["rustfmt", "clippy"]
        .into_iter()
        .filter(|c| !installed.lines().any(|l| l.starts_with(&format!("{c}-"))))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut c = Command::new("rustup");
    c.args(["component", "add"]).args(&missing);
    run(&mut c)
}

/// Clippy inside a real build: the workspace's own crates are compiled by `clippy-driver` (what `cargo clippy`
/// runs: rustc plus the lints) with warnings as errors, so the lints cost no separate `cargo check` of every
/// dependency (about 12 minutes on two cores for the native and wasm32 trees); dependencies build as usual.
/// Every target a test builds is linted: the libraries, binaries and tests natively, core's browser tests
/// and the page (its wasm32-only code) for wasm32.
fn linted(c: &mut Command) -> &mut Command {
    c.env("RUSTC_WORKSPACE_WRAPPER", "clippy-driver")
        .env("CLIPPY_ARGS", "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__")
}

/// The wasm-bindgen version Cargo.lock pins (the CLI must match it exactly).
fn locked_wasm_bindgen() -> Result<String> {
    let lock = fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

fn wasm_bindgen() -> Result {
    let want = locked_wasm_bindgen()?;
    let trunk_toml = fs::read_to_string(root().join("Trunk.toml")).map_err(|e| format!("Trunk.toml: {e}"))?;
    if !trunk_toml.contains(&format!("wasm_bindgen = \"{want}\"")) {
        return Err(format!("Trunk.toml's [tools] wasm_bindgen must be \"{want}\" (the Cargo.lock version)"));
    }
    let have = output(cmd("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(want.as_str()) {
        return Ok(());
    }
    // Not --locked: a locked install of wasm-bindgen-cli fails to resolve on this registry.
    run(cmd("cargo").args(["install", "wasm-bindgen-cli", "--version", &want]))
}

fn trunk() -> Result {
    let have = output(cmd("trunk").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(TRUNK_VERSION) {
        return Ok(());
    }
    run(cmd("cargo").args(["install", "--locked", &format!("trunk@{TRUNK_VERSION}")]))
}

/// wasm-pack, for `wasm-pack test --headless --chrome core` (the browser tests as Rust/wasm projects run them).
fn wasm_pack() -> Result {
    let have = output(cmd("wasm-pack").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(WASM_PACK_VERSION) {
        return Ok(());
    }
    run(cmd("cargo").args(["install", "--locked", &format!("wasm-pack@{WASM_PACK_VERSION}")]))
}

fn binaryen() -> Result {
    let have = output(cmd("wasm-opt").arg("--version")).unwrap_or_default();
    if have.contains(&format!("version {BINARYEN_VERSION}")) && !have.contains("version 108") {
        return Ok(());
    }
    fs::create_dir_all(root().join(".tools")).map_err(|e| e.to_string())?;
    run(cmd("npm").args([
        "install",
        "--no-audit",
        "--no-fund",
        "--prefix",
        ".tools",
        &format!("binaryen@{BINARYEN_VERSION}"),
    ]))
}

/// `cargo deny` (licences, bans, sources; see deny.toml), without its default features (no git, no TLS
/// stack it does not need here).
fn cargo_deny() -> Result {
    let have = output(cmd("cargo").args(["deny", "--version"])).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(CARGO_DENY_VERSION) {
        return Ok(());
    }
    run(cmd("cargo").args([
        "install",
        "--locked",
        "--no-default-features",
        &format!("cargo-deny@{CARGO_DENY_VERSION}"),
    ]))
}

/// The folder cargo-deny 0.20 reads the RustSec database from for its default source (`deny.toml`'s
/// `db-path` joined with the name it derives from the default URL; vendor/rustsec-advisory-db/SNAPSHOT.md).
const ADVISORY_DB_DIR: &str = "target/advisory-db/advisory-db-3157b0e258782691";

/// Sets up the offline RustSec snapshot (`vendor/rustsec-advisory-db`) where cargo-deny reads it: a copy in
/// [`ADVISORY_DB_DIR`] committed to git with the snapshot's own date (cargo-deny takes the database's age
/// from its HEAD commit). Redone when the snapshot's description changes.
fn advisory_db() -> Result {
    let source = root().join("vendor/rustsec-advisory-db");
    let described = fs::read_to_string(source.join("SNAPSHOT.md")).map_err(|e| {
        format!("{}: {e} (the offline RustSec snapshot `cargo deny check advisories` reads)", source.display())
    })?;
    let date = snapshot_date(&described).ok_or("SNAPSHOT.md names no commit date (YYYY-MM-DDTHH:MM:SS±hh:mm)")?;
    let dest = root().join(ADVISORY_DB_DIR);
    if fs::read_to_string(dest.join("SNAPSHOT.md")).ok().as_deref() == Some(described.as_str())
        && dest.join(".git").exists()
    {
        return Ok(());
    }
    let _ = fs::remove_dir_all(&dest);
    copy_dir(&source, &dest)?;
    let git = |args: &[&str]| {
        let mut c = Command::new("git");
        c.current_dir(&dest)
            .args([
                "-c",
                "user.name=RustSec snapshot",
                "-c",
                "user.email=snapshot@localhost",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date);
        c
    };
    run(&mut git(&["init", "-q"]))?;
    run(&mut git(&["add", "-A"]))?;
    run(&mut git(&["commit", "-q", "-m", "RustSec advisory-db snapshot"]))
}

/// The first ISO 8601 date-time in `text` (the snapshot's commit date).
fn snapshot_date(text: &str) -> Option<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != ':' && c != '-' && c != '+'))
        .find(|w| w.len() >= 20 && w.as_bytes()[4] == b'-' && w.as_bytes()[10] == b'T')
        .map(str::to_owned)
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            fs::copy(&src, &dst).map_err(|e| format!("{}: {e}", src.display()))?;
        }
    }
    Ok(())
}

/// Value of `--name N` in `args`, or `default`.
fn flag(args: &[String], name: &str, default: u64) -> Result<u64> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).ok_or_else(|| format!("{name} takes a whole number")),
    }
}

fn soak(args: &[String]) -> Result {
    let seconds = flag(args, "--seconds", 600)?;
    let cases = flag(args, "--cases", 10_000)?;
    setup(Needs::All)?;
    let xdg = xdg_dir()?;
    eprintln!("xtask: soak [1/2] property sweeps, {cases} cases per lab");
    run(cmd("cargo")
        .args(["test", "-p", "regula-core", "--test", "sweeps", "--", "--nocapture", "--test-threads=1"])
        .env("REGULA_SWEEP_CASES", cases.to_string())
        .env("REGULA_SWEEP_SEED", "1")
        .env("XDG_RUNTIME_DIR", &xdg))?;
    eprintln!("xtask: soak [2/2] every lab's default run for {seconds} s in headless Chromium");
    build_web()?;
    let url = serve_static(root().join("dist"))?;
    let artifacts = root().join("e2e/artifacts");
    fs::create_dir_all(&artifacts).map_err(|e| e.to_string())?;
    run(cmd("node")
        .args(["e2e/soak.mjs", "--seconds", &seconds.to_string()])
        .env("REGULA_URL", &url)
        .env("REGULA_CHROMIUM", CHROMIUM)
        .env("REGULA_ARTIFACTS", &artifacts))
}

fn fuzz(args: &[String]) -> Result {
    let seconds = flag(args, "--seconds", 600)?;
    let have = output(cmd("cargo").args(["fuzz", "--version"])).unwrap_or_default();
    if !have.contains(CARGO_FUZZ_VERSION) {
        run(cmd("cargo").args(["install", "--locked", &format!("cargo-fuzz@{CARGO_FUZZ_VERSION}")]))?;
    }
    for target in FUZZ_TARGETS {
        // libFuzzer's instrumentation takes unstable flags: RUSTC_BOOTSTRAP lets the stable toolchain
        // (the only one this machine has) accept them.
        run(cmd("cargo")
            .args(["fuzz", "run", "-O", target, &format!("fuzz/corpus/{target}"), "--"])
            .args([
                format!("-max_total_time={seconds}"),
                "-rss_limit_mb=4096".into(),
                "-max_len=4096".into(),
                "-print_final_stats=1".into(),
            ])
            .env("RUSTC_BOOTSTRAP", "1"))?;
    }
    eprintln!("xtask: fuzzing found nothing; new inputs are in fuzz/corpus/ (commit them after `cargo fuzz cmin`)");
    Ok(())
}

fn xdg_dir() -> Result<PathBuf> {
    let xdg = env::temp_dir().join("regula-xdg");
    fs::create_dir_all(&xdg).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(&xdg, fs::Permissions::from_mode(0o700));
    }
    Ok(xdg)
}

fn e2e_packages() -> Result {
    if root().join("e2e/node_modules/playwright-core/package.json").exists() {
        return Ok(());
    }
    run(cmd("npm").args(["ci", "--no-audit", "--no-fund", "--prefix", "e2e"]))
}

/// Builds the page exactly as `dist` deploys it (the Content-Security-Policy sealed in) and serves `dist/` on
/// 127.0.0.1:8080, so development sees what deployment enforces; rebuilds when a source of the page changes.
fn serve() -> Result {
    setup(Needs::Web)?;
    build_web()?;
    let listener = TcpListener::bind("127.0.0.1:8080").map_err(|e| format!("bind 127.0.0.1:8080: {e}"))?;
    let url = serve_on(listener, root().join("dist"))?;
    eprintln!("xtask: serving dist/ (the page as deployed, under its CSP) on {url}; rebuilt when a source changes (Ctrl-C stops)");
    let mut seen = newest_source();
    loop {
        thread::sleep(std::time::Duration::from_secs(1));
        let now = newest_source();
        if now > seen {
            seen = now;
            eprintln!("xtask: a source changed: rebuilding");
            match build_web() {
                Ok(()) => eprintln!("xtask: rebuilt; reload the page"),
                Err(e) => eprintln!("xtask: the build failed ({e}); still serving the last good page"),
            }
        }
    }
}

/// The latest modification time among the page's sources (what `trunk build` reads).
fn newest_source() -> std::time::SystemTime {
    fn walk(path: &Path, newest: &mut std::time::SystemTime) {
        let Ok(meta) = fs::metadata(path) else { return };
        if meta.is_dir() {
            for entry in fs::read_dir(path).into_iter().flatten().flatten() {
                walk(&entry.path(), newest);
            }
        } else if let Ok(t) = meta.modified() {
            *newest = (*newest).max(t);
        }
    }
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    for part in
        ["app", "web", "core/src", "shaders", "static", "vendor/plotters", "index.html", "Trunk.toml", "Cargo.toml"]
    {
        walk(&root().join(part), &mut newest);
    }
    newest
}

fn dist() -> Result {
    setup(Needs::Web)?;
    build_web()?;
    eprintln!("xtask: dist/ is a self-contained static site (with a Content-Security-Policy)");
    Ok(())
}

/// `trunk build --release --cargo-profile web` (Cargo.toml: the page's profile), then the Content-Security-Policy
/// sealed into dist/index.html.
fn build_web() -> Result {
    build_web_with(false)
}

/// [`build_web`], with clippy's lints on the page's crates when `lint` (see [`linted`]).
fn build_web_with(lint: bool) -> Result {
    let mut trunk = cmd("trunk");
    trunk.args(["build", "--release", "--cargo-profile", "web"]);
    if lint {
        linted(&mut trunk);
    }
    run(&mut trunk)?;
    let path = root().join("dist/index.html");
    let html = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    fs::write(&path, seal_csp(&html)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// The page's policy: scripts only from the origin plus trunk's one inline loader (by its hash), wasm
/// compilation ('wasm-unsafe-eval', not 'unsafe-eval'), style sheets, images and fetches from the origin
/// only, no plugins, no base or form targets. One allowance: `style` attributes (`style-src-attr`), because
/// plotters measures chart text with a styled `<span>`; no `<style>` element or inline script is allowed.
fn csp(loader_hash: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-{loader_hash}'; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"
    )
}

/// Inserts the CSP meta tag after `<meta charset>`, hashing the inline module script trunk writes.
fn seal_csp(html: &str) -> std::result::Result<String, String> {
    if html.contains("Content-Security-Policy") {
        return Ok(html.to_owned());
    }
    let open = "<script type=\"module\">";
    let start = html.find(open).ok_or("dist/index.html: trunk's inline loader script is missing")? + open.len();
    let end = start + html[start..].find("</script>").ok_or("dist/index.html: unterminated loader script")?;
    let hash = base64(&sha256(&html.as_bytes()[start..end]));
    let anchor = "<meta charset=\"utf-8\" />";
    let at = html.find(anchor).ok_or("dist/index.html: no <meta charset> to put the policy after")? + anchor.len();
    Ok(format!(
        "{}\n    <meta http-equiv=\"Content-Security-Policy\" content=\"{}\" />{}",
        &html[..at],
        csp(&hash),
        &html[at..]
    ))
}

/// SHA-256 (FIPS 180-4), for the loader script's CSP hash: xtask stays std-only.
fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            (hh, g, f, e, d, c, b, a) = (g, f, e, d.wrapping_add(t1), c, b, a, t1.wrapping_add(t2));
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                s.push(A[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// The supply-chain check: cargo deny over advisories (the vendored RustSec snapshot), licences, banned and
/// duplicate crates and sources, offline.
fn deny() -> Result {
    cargo_deny()?;
    eprintln!("xtask: [0/3] supply chain: cargo deny (advisories from the offline RustSec snapshot, licences, banned and duplicate crates, sources)");
    // cargo deny reads every crate's manifest: fetch them all (every target) first, then check offline.
    run(cmd("cargo").args(["fetch", "--locked"]))?;
    advisory_db()?;
    run(cmd("cargo").args(["deny", "--offline", "check", "advisories", "licenses", "bans", "sources"]))
}

fn test() -> Result {
    setup(Needs::All)?;
    let xdg = xdg_dir()?;

    deny()?;

    eprintln!("xtask: [0/3] formatting: cargo fmt --check (clippy -D warnings runs inside the builds below)");
    run(cmd("cargo").args(["fmt", "--all", "--check"]))?;

    eprintln!(
        "xtask: [1/3] native tests: real WGSL on the native adapter (lavapipe), CLI, the page's pure helpers, units"
    );
    run(linted(cmd("cargo").args(["test", "--workspace"]).env("XDG_RUNTIME_DIR", &xdg)))?;

    eprintln!("xtask: [2/3] browser tests: the same kernels on Chromium's WebGPU (wasm-pack test --headless --chrome)");
    // README's line, made explicit: the chromedriver Debian installed and no downloads (`--mode no-install`:
    // the wasm-bindgen-test-runner on PATH, which setup pinned to the Cargo.lock version). core/webdriver.json
    // turns WebGPU on. Only tests/web.rs runs in the browser (the other test files are native).
    run(linted(
        cmd("wasm-pack")
            .args(["test", "--headless", "--chrome", "--chromedriver", CHROMEDRIVER, "--mode", "no-install", "core"])
            .args(["--test", "web"])
            .env("WASM_BINDGEN_TEST_TIMEOUT", "300"),
    ))?;

    eprintln!("xtask: [3/3] end-to-end: build the app (with its CSP), serve it on 127.0.0.1, drive headless Chromium");
    build_web_with(true)?;
    let url = serve_static(root().join("dist"))?;
    let artifacts = root().join("e2e/artifacts");
    fs::create_dir_all(&artifacts).map_err(|e| e.to_string())?;
    run(cmd("node")
        .args(["--test", "--test-concurrency=1", "e2e/"])
        .env("REGULA_URL", &url)
        .env("REGULA_CHROMIUM", CHROMIUM)
        .env("REGULA_ARTIFACTS", &artifacts))?;
    eprintln!("xtask: all three test layers passed; screenshots in e2e/artifacts/");
    Ok(())
}

/// Serves `dir` on 127.0.0.1 (an ephemeral port) from a background thread; returns the URL.
/// GET only, files inside `dir` only, `application/wasm` for .wasm (streaming instantiation needs it).
fn serve_static(dir: PathBuf) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1: {e}"))?;
    serve_on(listener, dir)
}

/// Serves the files under `dir` from `listener`, each request on its own thread; returns the address.
fn serve_on(listener: TcpListener, dir: PathBuf) -> Result<String> {
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            thread::spawn(move || {
                let _ = respond(stream, &dir);
            });
        }
    });
    Ok(format!("http://127.0.0.1:{port}/"))
}

fn respond(mut stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    let mut request = String::new();
    BufReader::new(&stream).read_line(&mut request)?;
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let file = dir.join(rel);
    let safe = !rel.split('/').any(|part| part == "..");
    let (status, body, mime) = match (safe, fs::read(&file)) {
        (true, Ok(body)) => ("200 OK", body, mime(&file)),
        _ => ("404 Not Found", b"not found".to_vec(), "text/plain"),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {mime}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("csv") => "text/csv",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_date_is_read_from_its_description() {
        let text = "A copy at commit bf5c, committed 2026-08-21T08:28:40+02:00. Only `crates/`";
        assert_eq!(snapshot_date(text).as_deref(), Some("2026-08-21T08:28:40+02:00"));
        assert_eq!(snapshot_date("no date here, 2026-08-21 only"), None);
    }

    #[test]
    fn sha256_and_base64_match_known_vectors() {
        assert_eq!(base64(&sha256(b"abc")), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
        assert_eq!(base64(&sha256(b"")), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
        assert_eq!(base64(b"ab"), "YWI=");
    }

    #[test]
    fn the_policy_goes_after_the_charset_and_hashes_the_loader() {
        let html = "<head>\n<meta charset=\"utf-8\" />\n<script type=\"module\">abc</script></head>";
        let sealed = seal_csp(html).unwrap();
        assert!(sealed.contains("'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='"), "{sealed}");
        assert!(sealed.find("Content-Security-Policy").unwrap() < sealed.find("<script").unwrap());
        assert!(!sealed.contains("'unsafe-eval'") && !sealed.contains("script-src 'unsafe-inline'"));
        assert_eq!(seal_csp(&sealed).unwrap(), sealed, "sealing twice changes nothing");
    }
}
