//! iamsim: an AWS IAM, S3 and KMS permission simulator.
//!
//! Given a small AWS world (principals and their policies, buckets, KMS keys, an organization),
//! iamsim answers whether a request succeeds, names the statements that decide it, and explains
//! every step in AWS's own terms.
#![forbid(unsafe_code)]

pub mod cli_eval;
pub mod engine;
pub mod json;
pub mod policy;
pub mod report;
pub mod scenario;
pub mod services;
pub mod world;
