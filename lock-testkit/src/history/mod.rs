//! A history of critical sections and the checkers run over it: no two claimed ownership
//! intervals overlap (C1), fencing tokens follow real-time order (C2), and a fenced register
//! accepts no stale write (C3); for semaphores, never more claims open than the limit, and for
//! reader-writer locks, never a writer's claim beside another; for multi-resource locks, never
//! two sets sharing a member at once.

mod checks;
mod recorder;
mod register;

pub use checks::{
    Overlap, fence_inversions, over_limit, overlaps, shared_members, writer_conflicts,
};
pub use recorder::{Acquisition, History, SpanId};
pub use register::{FencedRegister, RegisterStats};
