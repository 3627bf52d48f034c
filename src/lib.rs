#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

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
