#![doc = include_str!("../README.md")]
// No unsafe code anywhere; the page engine's entry points (built into its WebAssembly module
// only, see build.rs) are exported symbols, which the lint counts as unsafe, allowed one by one.
#![cfg_attr(not(page_engine_exports), forbid(unsafe_code))]
#![cfg_attr(page_engine_exports, deny(unsafe_code))]

pub mod advice;
pub mod engine;
pub mod import;
pub mod json;
pub mod learn;
pub mod policy;
pub mod report;
pub mod scenario;
pub mod services;
pub mod world;
