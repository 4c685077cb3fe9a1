//! The fault battery against lock-fred (see `lock_testkit::battery`). Scenarios outside the
//! timing model, and the long ones, run with `LOCK_BATTERY_FULL=1`.

mod common;

lock_testkit::battery!(common::connectors());
