//! Throughput of business-day arithmetic: the bitset implementation against a
//! day-by-day walk over `is_working_day` (the obvious implementation).
//! Prints per-call times and their ratio; not a test.
//!
//! Run: `cargo run --release -p rightsguard-domain --example calendar_bench`

use std::hint::black_box;
use std::time::Instant;

use jiff::Timestamp;
use rightsguard_domain::calendar::{Calendar, CalendarError};

fn walk(cal: &Calendar, from: Timestamp, n: u32) -> Option<jiff::civil::Date> {
    let mut d = cal.local_date(from);
    let mut left = n;
    while left > 0 {
        d = d.tomorrow().ok()?;
        if cal.is_working_day(d) {
            left -= 1;
        }
    }
    Some(d)
}

fn main() -> Result<(), CalendarError> {
    let cal = Calendar::builtin("CN")?;
    let from: Timestamp = "2024-09-30T10:00:00+08:00"
        .parse()
        .map_err(|_| CalendarError::OutOfRange)?;
    println!(
        "{:>9}  {:>12}  {:>12}  {:>7}",
        "N", "bitset ns", "walk ns", "ratio"
    );
    for (n, iters) in [
        (3u32, 200_000u32),
        (27, 200_000),
        (250, 50_000),
        (10_000, 2_000),
        (1_000_000, 50),
    ] {
        let t = Instant::now();
        for i in 0..iters {
            black_box(cal.try_add_business_days(black_box(from), black_box(n + i % 2))?);
        }
        let fast = t.elapsed().as_nanos() as f64 / f64::from(iters);
        let t = Instant::now();
        for i in 0..iters {
            black_box(walk(&cal, black_box(from), black_box(n + i % 2)));
        }
        let slow = t.elapsed().as_nanos() as f64 / f64::from(iters);
        println!("{n:>9}  {fast:>12.0}  {slow:>12.0}  {:>6.1}x", slow / fast);
    }
    let t = Instant::now();
    let iters = 1000;
    for _ in 0..iters {
        black_box(Calendar::builtin(black_box("CN"))?);
    }
    println!(
        "Calendar::builtin(\"CN\") (cached, clone): {:.0} ns",
        t.elapsed().as_nanos() as f64 / f64::from(iters)
    );
    Ok(())
}
