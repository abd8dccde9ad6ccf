//! Login throttling that an attacker cannot turn against a victim.
//!
//! Failed logins are counted in two buckets: per (client address, account)
//! and per client address. The first stops guessing one account's password
//! from one place (5 failures per 15 minutes); the second stops spraying
//! many accounts from one place (50 per 15 minutes). Neither is per account
//! alone: failures from the attacker's address never block the victim
//! logging in from theirs. A success clears the (address, account) bucket.
//! Counters live in memory, per process, on the monotonic clock (the demo's
//! manual clock must not reset them), and idle ones are forgotten.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per (address, account) in a window.
pub const PER_ACCOUNT: u32 = 5;
/// Failures allowed per address in a window.
pub const PER_ADDRESS: u32 = 50;
/// The window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Default)]
struct Counts {
    pairs: HashMap<(IpAddr, String), (Instant, u32)>,
    addrs: HashMap<IpAddr, (Instant, u32)>,
}

/// The failure counters.
#[derive(Debug, Default)]
pub struct LoginThrottle(Mutex<Counts>);

fn live(entry: Option<&(Instant, u32)>, now: Instant) -> u32 {
    match entry {
        Some((start, n)) if now.duration_since(*start) < WINDOW => *n,
        _ => 0,
    }
}

fn bump<K: std::hash::Hash + Eq>(map: &mut HashMap<K, (Instant, u32)>, key: K, now: Instant) {
    let e = map.entry(key).or_insert((now, 0));
    if now.duration_since(e.0) >= WINDOW {
        *e = (now, 0);
    }
    e.1 += 1;
}

impl LoginThrottle {
    /// Whether a login attempt from `addr` for `account` may be tried now.
    pub fn allowed(&self, addr: IpAddr, account: &str) -> bool {
        let now = Instant::now();
        let c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        live(c.pairs.get(&(addr, account.to_owned())), now) < PER_ACCOUNT
            && live(c.addrs.get(&addr), now) < PER_ADDRESS
    }

    /// Counts a failed attempt.
    pub fn failed(&self, addr: IpAddr, account: &str) {
        let now = Instant::now();
        let mut c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if c.pairs.len() > 100_000 {
            c.pairs.retain(|_, (t, _)| now.duration_since(*t) < WINDOW);
            c.addrs.retain(|_, (t, _)| now.duration_since(*t) < WINDOW);
        }
        bump(&mut c.pairs, (addr, account.to_owned()), now);
        bump(&mut c.addrs, addr, now);
    }

    /// Clears the (address, account) counter after a success.
    pub fn succeeded(&self, addr: IpAddr, account: &str) {
        let mut c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        c.pairs.remove(&(addr, account.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attacker_elsewhere_cannot_lock_the_victim_out() {
        let t = LoginThrottle::default();
        let attacker: IpAddr = "203.0.113.9".parse().unwrap();
        let victim: IpAddr = "198.51.100.7".parse().unwrap();
        for _ in 0..PER_ACCOUNT {
            assert!(t.allowed(attacker, "ruth"));
            t.failed(attacker, "ruth");
        }
        assert!(!t.allowed(attacker, "ruth"));
        assert!(t.allowed(victim, "ruth"));
        assert!(t.allowed(attacker, "sam"));
    }

    #[test]
    fn spraying_from_one_address_is_stopped() {
        let t = LoginThrottle::default();
        let a: IpAddr = "203.0.113.9".parse().unwrap();
        for i in 0..PER_ADDRESS {
            t.failed(a, &format!("user{i}"));
        }
        assert!(!t.allowed(a, "someone-new"));
    }
}
