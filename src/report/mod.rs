//! Reports: AWS-style messages, and the text, JSON, JUnit and explanation forms of results.

pub mod diff;
pub mod json;
pub mod messages;
pub mod text;
