#![doc = include_str!("../README.md")]
// No unsafe code anywhere; the page engine's entry points (WebAssembly only) are exported
// symbols, which the lint counts as unsafe, and are allowed there alone.
#![cfg_attr(not(target_arch = "wasm32"), forbid(unsafe_code))]
#![cfg_attr(target_arch = "wasm32", deny(unsafe_code))]

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
