//! The one RESP reader of the testkit: [`frame_len`] finds where a frame ends (the fault proxy
//! counts commands and replies with it), and [`decode`] reads the value of a complete frame
//! (the harness's admin connection). Both read lines and lengths with the same helpers.

mod frames;
mod value;

pub use frames::{FrameError, frame_len};
pub use value::{RespValue, decode};
