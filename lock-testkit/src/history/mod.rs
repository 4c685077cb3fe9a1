//! A history of critical sections and the checkers run over it: no two claimed ownership
//! intervals overlap (C1), fencing tokens follow real-time order (C2), and a fenced register
//! accepts no stale write (C3).

mod checks;
mod recorder;
mod register;

pub use checks::{Overlap, fence_inversions, overlaps};
pub use recorder::{Acquisition, History, SpanId};
pub use register::{FencedRegister, RegisterStats};
