//! The policy language: the checked model, JSON parsing, wildcard and ARN patterns, condition
//! operators and policy variables.

pub mod arn;
pub mod condition;
pub mod keys;
pub mod limiting;
pub mod lint;
pub mod model;
pub mod parse;
pub mod reference;
pub mod variables;
pub mod wildcard;

pub use model::{Effect, Policy, PolicyType, Statement, Version};
pub use parse::{parse_policy, parse_policy_text, PolicyError};
