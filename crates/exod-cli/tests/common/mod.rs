//! Helpers shared by the CLI tests: the external readers the outputs are checked with.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The Python of the virtual environment `scripts/test-deps.sh` prepares (target/py-venv), or
/// python3 on the PATH; `EXOD_PYTHON` overrides.
fn default_python() -> String {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/py-venv/bin/python");
    if venv.exists() {
        venv.display().to_string()
    } else {
        "python3".into()
    }
}

/// An external tool given by `var` (default `default`), found by running it with `probe`, or
/// None (skip with a message); in CI (env CI set) a missing tool fails the test.
pub fn tool(var: &str, default: &str, probe: &[&str], what: &str) -> Option<String> {
    let exe = std::env::var(var)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| default.into());
    let ok = Command::new(&exe)
        .args(probe)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("CI: {what} is required (scripts/test-deps.sh installs it; {var}={exe})");
        }
        eprintln!("{what} not available ({var}={exe}): run scripts/test-deps.sh first; skipped");
    }
    ok.then_some(exe)
}

/// A Python that imports `module` (astropy, stingray).
pub fn python_with(module: &str) -> Option<String> {
    tool(
        "EXOD_PYTHON",
        &default_python(),
        &["-c", &format!("import {module}")],
        module,
    )
}

/// fitsverify (HEASARC's FITS verifier).
pub fn fitsverify() -> Option<String> {
    tool("EXOD_FITSVERIFY", "fitsverify", &["-h"], "fitsverify")
}

/// Run the exod binary with `SOURCE_DATE_EPOCH=0` (reproducible outputs); panics with its stderr
/// if it fails; returns its stdout.
pub fn exod_ok(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_exod"))
        .env("SOURCE_DATE_EPOCH", "0")
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The data lines of an ECSV file (its `#` header, which names the command line, left out).
pub fn ecsv_data_lines(p: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// The simulated event lists (`*EVLI*.FTZ`) of a folder, sorted.
pub fn event_lists(dir: &std::path::Path) -> Vec<String> {
    let mut lists: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.contains("EVLI") && p.ends_with(".FTZ"))
        .collect();
    lists.sort();
    lists
}
