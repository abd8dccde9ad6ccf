//! The detection engine.
//!
//! Everything here is synchronous, CPU-bound and free of I/O: callers hand in
//! text and decoded bytes, the engine hands back findings with their
//! explanation. That keeps it usable inline on a listing write (microseconds),
//! in the batch `scan` command (all cores) and in workers alike.

pub mod categories;
pub mod clearance;
pub mod image;
pub mod text;
