//! Builds the page engine: this library compiled to WebAssembly, which a large HTML report
//! carries so that the browser computes a check's trace, with the same code, when the check is
//! opened (writing 20,000 traces into the page would cost many times the run itself).
//!
//! The engine needs Rust's `wasm32-unknown-unknown` target (`rustup target add
//! wasm32-unknown-unknown`; `.ci/run` adds it). Without it the build goes on with a warning, and
//! a large report keeps each check's trace as text in the page instead.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";

/// Set for the nested build, whose own run of this script must not build an engine again.
const NESTED: &str = "IAMSIM_BUILDING_PAGE_ENGINE";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(page_engine)");
    println!("cargo::rerun-if-changed=src");
    println!("cargo::rerun-if-changed=Cargo.toml");
    println!("cargo::rerun-if-changed=Cargo.lock");
    println!("cargo::rerun-if-env-changed={NESTED}");
    if env::var_os(NESTED).is_some() || env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32")) {
        return;
    }
    let (Some(out_dir), Some(manifest_dir)) =
        (env::var_os("OUT_DIR"), env::var_os("CARGO_MANIFEST_DIR"))
    else {
        return;
    };
    // OUT_DIR is <target dir>[/<triple>]/<profile>/build/iamsim-<hash>/out: the engine is built
    // once beside the profiles, whichever of them asks (tests, lints, benchmarks, releases).
    let out_dir = PathBuf::from(out_dir);
    let engine_dir = out_dir
        .ancestors()
        .nth(4)
        .unwrap_or(&out_dir)
        .join("page-engine");
    match build_engine(Path::new(&manifest_dir), &engine_dir) {
        Ok(wasm) => {
            println!("cargo::rustc-env=IAMSIM_PAGE_ENGINE={}", wasm.display());
            println!("cargo::rustc-cfg=page_engine");
        }
        Err(why) => println!(
            "cargo::warning=the HTML report's page engine was not built ({why}); large reports \
             will keep their traces as text. `rustup target add {TARGET}` lets it build."
        ),
    }
}

/// Runs `cargo rustc` for the library as a WebAssembly module and returns the module's path.
fn build_engine(manifest_dir: &Path, engine_dir: &Path) -> Result<PathBuf, String> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["rustc", "--lib", "--release", "--quiet", "--target", TARGET])
        .args(["--crate-type", "cdylib"])
        // Small rather than fast: the module travels inside every large report.
        .args(["--config", "profile.release.opt-level=\"s\""])
        .arg("--manifest-path")
        .arg(manifest_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(engine_dir)
        .env(NESTED, "1");
    // The outer build's wrappers and flags (clippy's among them) are for its own target.
    for name in [
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CLIPPY_ARGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(name);
    }
    let output = command
        .output()
        .map_err(|e| format!("cargo did not run: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(format!(
            "cargo rustc --target {TARGET} failed: {}",
            last.trim()
        ));
    }
    let wasm = engine_dir.join(TARGET).join("release").join("iamsim.wasm");
    if wasm.is_file() {
        Ok(wasm)
    } else {
        Err(format!("{} was not written", wasm.display()))
    }
}
