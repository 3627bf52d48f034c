//! Reports: the text, JSON, JUnit and explanation forms of results. What AWS's messages say
//! comes from the services layer; reports only print it.

pub mod diff;
pub mod json;
pub mod text;
