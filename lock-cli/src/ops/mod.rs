//! Operator commands against a live Redis: list, info, watch, release, doctor.

mod clock;
pub(crate) mod doctor;
mod family;
pub(crate) mod info;
pub(crate) mod list;
mod lookup;
mod nodes;
pub(crate) mod release;
mod scan;
mod show;
pub(crate) mod watch;
