//! `cargo xtask <command>` — the project's set-up, serve, test and dist commands.
//!
//! - `setup`: installs what a fresh Debian 12 machine lacks, idempotently (each step is skipped when the
//!   right version is present): Debian `chromium`, `chromium-driver`, `mesa-vulkan-drivers`; the
//!   `wasm32-unknown-unknown` target; `wasm-bindgen-cli` at the Cargo.lock version; Trunk 0.21.14;
//!   `wasm-opt` 132 from npm `binaryen` into `.tools/`; the end-to-end test's npm packages.
//! - `serve`: set-up (web tools only), then `trunk serve --release` on http://127.0.0.1:8080.
//! - `test`: set-up, then the three test layers — native `cargo test` (real WGSL on lavapipe), the same
//!   GPU-vs-CPU comparison in headless Chromium's WebGPU (wasm-bindgen-test-runner), and the end-to-end
//!   test that builds the app, serves it on 127.0.0.1 and drives Chromium with playwright-core.
//! - `dist`: a self-contained static folder in `dist/` (release build, wasm-opt -Oz).

use std::env;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::thread;

type Result<T = ()> = std::result::Result<T, String>;

const TRUNK_VERSION: &str = "0.21.14";
const BINARYEN_VERSION: &str = "132";
const APT_PACKAGES: &[&str] = &["chromium", "chromium-driver", "mesa-vulkan-drivers", "libvulkan1"];
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(Needs::All),
        Some("serve") => serve(),
        Some("test") => test(),
        Some("dist") => dist(),
        _ => Err("usage: cargo xtask <setup | serve | test | dist>".to_owned()),
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
    let home = env::var("CARGO_HOME").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cargo")
    });
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
        e2e_packages()?;
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
    // Not --locked: a locked install fails on this registry (see shared/TOOLCHAIN.md).
    run(cmd("cargo").args(["install", "wasm-bindgen-cli", "--version", &want]))
}

fn trunk() -> Result {
    let have = output(cmd("trunk").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(TRUNK_VERSION) {
        return Ok(());
    }
    run(cmd("cargo").args(["install", "--locked", &format!("trunk@{TRUNK_VERSION}")]))
}

fn binaryen() -> Result {
    let have = output(cmd("wasm-opt").arg("--version")).unwrap_or_default();
    if have.contains(&format!("version {BINARYEN_VERSION}")) && !have.contains("version 108") {
        return Ok(());
    }
    fs::create_dir_all(root().join(".tools")).map_err(|e| e.to_string())?;
    run(cmd("npm").args(["install", "--no-audit", "--no-fund", "--prefix", ".tools", &format!("binaryen@{BINARYEN_VERSION}")]))
}

fn e2e_packages() -> Result {
    if root().join("e2e/node_modules/playwright-core/package.json").exists() {
        return Ok(());
    }
    run(cmd("npm").args(["ci", "--no-audit", "--no-fund", "--prefix", "e2e"]))
}

fn serve() -> Result {
    setup(Needs::Web)?;
    eprintln!("xtask: serving the lab on http://127.0.0.1:8080 (Ctrl-C stops)");
    run(cmd("trunk").args(["serve", "--release"]))
}

fn dist() -> Result {
    setup(Needs::Web)?;
    run(cmd("trunk").args(["build", "--release"]))?;
    eprintln!("xtask: dist/ is a self-contained static site");
    Ok(())
}

fn test() -> Result {
    setup(Needs::All)?;
    let xdg = env::temp_dir().join("regula-xdg");
    fs::create_dir_all(&xdg).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(&xdg, fs::Permissions::from_mode(0o700));
    }

    eprintln!("xtask: [1/3] native tests: real WGSL on the native adapter (lavapipe), CLI, units");
    run(cmd("cargo").args(["test", "--workspace", "--exclude", "regula-app"]).env("XDG_RUNTIME_DIR", &xdg))?;

    eprintln!("xtask: [2/3] browser tests: the same kernels on Chromium's WebGPU (wasm-bindgen-test-runner)");
    run(cmd("cargo")
        .args(["test", "-p", "regula-core", "--target", "wasm32-unknown-unknown", "--test", "web"])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner")
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "300"))?;

    eprintln!("xtask: [3/3] end-to-end: build the app, serve it on 127.0.0.1, drive headless Chromium");
    run(cmd("trunk").args(["build", "--release"]))?;
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
