//! The fault battery against lock-fred (see `lock_testkit::battery`). The per-PR set runs by
//! default; everything with `LOCK_BATTERY_FULL=1`.

mod common;

lock_testkit::battery!(common::connectors());
