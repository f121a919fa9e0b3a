//! The verification layer of balnet: golden reference values with provenance and the
//! parameter-file reader shared by the `balnet` CLI and the tests.

pub mod api;
pub mod check;
pub mod error;
pub mod golden;
pub mod params_toml;
pub mod protocol;

pub use error::{Error, Result};
