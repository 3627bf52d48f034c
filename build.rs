//! Builds the page engine: this library compiled to WebAssembly, which a large HTML report
//! carries so that the browser computes a check's trace, with the same code, when the check is
//! opened (writing 20,000 traces into the page would cost many times the run itself).
//!
//! The engine needs Rust's `wasm32-unknown-unknown` target (`rustup target add
//! wasm32-unknown-unknown`; `.ci/run` adds it). Without it the build goes on with a warning, and
//! a large report keeps each check's trace as text in the page instead. A release build makes
//! the engine; a debug build only when `IAMSIM_REQUIRE_PAGE_ENGINE` is set (as CI does), so that
//! `cargo check` after each edit does not also compile the library for WebAssembly. With that
//! variable set, a missing engine fails the build.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";

/// Set for the nested build, whose own run of this script must not build an engine again.
const NESTED: &str = "IAMSIM_BUILDING_PAGE_ENGINE";

/// Set where the engine must be built: in every profile, and its absence is an error.
const REQUIRE: &str = "IAMSIM_REQUIRE_PAGE_ENGINE";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(page_engine)");
    println!("cargo::rustc-check-cfg=cfg(page_engine_exports)");
    println!("cargo::rerun-if-changed=src");
    println!("cargo::rerun-if-changed=Cargo.toml");
    println!("cargo::rerun-if-changed=Cargo.lock");
    println!("cargo::rerun-if-env-changed={NESTED}");
    println!("cargo::rerun-if-env-changed={REQUIRE}");
    if env::var_os(NESTED).is_some() {
        // The engine's entry points exist in this build only, not in the library a WebAssembly
        // application of someone else's links.
        println!("cargo::rustc-cfg=page_engine_exports");
        return;
    }
    let required = env::var_os(REQUIRE).is_some_and(|v| !v.is_empty() && v != "0");
    let release = env::var("PROFILE").is_ok_and(|p| p == "release");
    let wasm_host = env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32"));
    if wasm_host || env::var_os("DOCS_RS").is_some() || !(release || required) {
        return;
    }
    let (Some(out_dir), Some(manifest_dir)) =
        (env::var_os("OUT_DIR"), env::var_os("CARGO_MANIFEST_DIR"))
    else {
        return;
    };
    let out_dir = PathBuf::from(out_dir);
    // Adding the target changes the toolchain's `lib/rustlib`: the engine is tried again then.
    if let Some(rustlib) = sysroot().map(|s| s.join("lib").join("rustlib")) {
        println!("cargo::rerun-if-changed={}", rustlib.display());
    }
    // OUT_DIR is <target dir>[/<triple>]/<profile>/build/iamsim-<hash>/out: the engine is built
    // once beside the profiles, whichever of them asks (tests, lints, benchmarks, releases).
    let engine_dir = out_dir
        .ancestors()
        .nth(4)
        .unwrap_or(&out_dir)
        .join("page-engine");
    let built = target_installed()
        .and_then(|()| build_engine(Path::new(&manifest_dir), &engine_dir))
        // The binary embeds its own copy: a target folder shared with another checkout may get
        // that checkout's engine, and this build's module must stay the one it embeds.
        .and_then(|wasm| {
            let copy = out_dir.join("iamsim-page-engine.wasm");
            std::fs::copy(&wasm, &copy)
                .map(|_| copy)
                .map_err(|e| format!("{} could not be copied: {e}", wasm.display()))
        });
    match built {
        Ok(wasm) => {
            println!("cargo::rustc-env=IAMSIM_PAGE_ENGINE={}", wasm.display());
            println!("cargo::rustc-cfg=page_engine");
        }
        Err(why) if required => {
            panic!("{REQUIRE} is set, but the page engine was not built: {why}")
        }
        Err(why) => println!(
            "cargo::warning=the HTML report's page engine was not built ({why}); large reports \
             will keep their traces as text."
        ),
    }
}

/// The compiler of this build.
fn rustc() -> Command {
    Command::new(env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
}

/// The toolchain's sysroot, as the compiler of this build reports it.
fn sysroot() -> Option<PathBuf> {
    let output = rustc().args(["--print", "sysroot"]).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    output.status.success().then(|| PathBuf::from(text.trim()))
}

/// Whether the toolchain has the WebAssembly target's standard library, asked before a build
/// that would otherwise fail only after compiling its build scripts.
fn target_installed() -> Result<(), String> {
    let output = rustc()
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .map_err(|e| format!("rustc did not run: {e}"))?;
    let libdir = String::from_utf8_lossy(&output.stdout);
    let has_std = std::fs::read_dir(libdir.trim()).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
    });
    if output.status.success() && has_std {
        Ok(())
    } else {
        Err(format!(
            "the {TARGET} target is not installed; `rustup target add {TARGET}` adds it"
        ))
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
