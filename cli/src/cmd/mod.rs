//! One module per group of subcommands; each command parses its flags, makes one library
//! call and prints the result.

pub(crate) mod check;
pub(crate) mod dmf;
pub(crate) mod lif;
pub(crate) mod rate;
pub(crate) mod ssn;
pub(crate) mod sweep;
pub(crate) mod theory;
pub(crate) mod verify;
