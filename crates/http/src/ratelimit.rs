//! Rate limiting of writes, per caller.
//!
//! Every `POST`, `PUT`, `PATCH` and `DELETE` spends one cell of its caller's
//! bucket (GCRA, the `governor` crate): a steady rate with a burst on top.
//! The caller is its credential — the SHA-256 of the bearer token, else of
//! the session cookie — or, for anonymous requests, the peer's IP address, so
//! one noisy integration cannot slow down the others and an unauthenticated
//! flood is held per address. Reads are not limited here: they change
//! nothing and are cheap. A refused request gets `429 rate_limited` with
//! `Retry-After` in whole seconds.
//!
//! The limiter runs on the monotonic clock, not the app's [`Clock`]: it
//! protects the process, it is not a business rule, and a manual test clock
//! must not freeze it. Idle callers are forgotten by [`WriteLimiter::forget_idle`],
//! which the job loop calls, so memory stays bounded by recently active callers.
//!
//! [`Clock`]: rightsguard_app::Clock

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::Digest as _;

use crate::error::ApiError;

/// How many writes a caller may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteRate {
    /// One more write is allowed each time this passes (1/rate).
    pub every: Duration,
    /// Writes allowed at once (the bucket's size).
    pub burst: NonZeroU32,
}

impl WriteRate {
    /// The default: 50 writes a second, bursts of 200, per caller. A rights
    /// holder's batch tool filing complaints one by one stays well inside it.
    pub const DEFAULT: WriteRate = WriteRate::per_second(nonzero(50), nonzero(200));

    /// `rate` writes a second with bursts of `burst`.
    pub const fn per_second(rate: NonZeroU32, burst: NonZeroU32) -> Self {
        Self {
            every: Duration::from_nanos(1_000_000_000 / rate.get() as u64),
            burst,
        }
    }

    /// Sustained writes per second (rounded down).
    pub fn writes_per_second(&self) -> u32 {
        u32::try_from(1_000_000_000 / self.every.as_nanos().max(1)).unwrap_or(u32::MAX)
    }
}

const fn nonzero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    }
}

/// The per-caller write limiter.
#[derive(Debug)]
pub struct WriteLimiter {
    limiter: DefaultKeyedRateLimiter<[u8; 32]>,
    clock: DefaultClock,
}

impl WriteLimiter {
    /// A limiter allowing `rate` per caller.
    pub fn new(rate: WriteRate) -> Self {
        Self {
            limiter: RateLimiter::keyed(
                Quota::with_period(rate.every)
                    .unwrap_or(Quota::per_second(NonZeroU32::MAX))
                    .allow_burst(rate.burst),
            ),
            clock: DefaultClock::default(),
        }
    }

    /// Spends one write of `caller`; `Err(seconds to wait)` if none is left.
    fn check(&self, caller: &[u8; 32]) -> Result<(), u64> {
        self.limiter.check_key(caller).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// Forgets callers whose buckets are full again (idle ones).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// How many callers are tracked.
    pub fn tracked(&self) -> usize {
        self.limiter.len()
    }
}

/// Who is calling, as a fixed-size key that holds no secret.
fn caller_key(req: &Request) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    let headers = req.headers();
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        h.update(b"auth:");
        h.update(auth.as_bytes());
    } else if let Some(cookie) = headers.get(header::COOKIE) {
        h.update(b"cookie:");
        h.update(cookie.as_bytes());
    } else {
        h.update(b"ip:");
        let ip = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default();
        h.update(ip.as_bytes());
    }
    h.finalize().into()
}

/// Middleware: refuses a caller's write beyond its rate.
pub async fn limit_writes(
    State(limiter): State<Arc<WriteLimiter>>,
    req: Request,
    next: Next,
) -> Response {
    let writes = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if writes && let Err(retry_after) = limiter.check(&caller_key(&req)) {
        return ApiError::RateLimited { retry_after }.into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_gets_its_burst_then_waits_and_others_are_not_affected() {
        // One write an hour: no test is slow enough to earn another.
        let l = WriteLimiter::new(WriteRate {
            every: Duration::from_secs(3600),
            burst: NonZeroU32::new(3).unwrap(),
        });
        let (a, b) = ([1; 32], [2; 32]);
        for _ in 0..3 {
            assert_eq!(l.check(&a), Ok(()));
        }
        let wait = l.check(&a).unwrap_err();
        assert!((3000..=3600).contains(&wait), "wait {wait}s at one an hour");
        assert_eq!(l.check(&b), Ok(()), "another caller has its own bucket");
        assert_eq!(l.tracked(), 2);
    }

    #[test]
    fn rates_are_given_per_second() {
        let r = WriteRate::per_second(nonzero(50), nonzero(200));
        assert_eq!(r.every, Duration::from_millis(20));
        assert_eq!(r.writes_per_second(), 50);
        assert_eq!(WriteRate::DEFAULT, r);
    }

    #[test]
    fn the_key_depends_on_the_credential_and_never_is_it() {
        let req = |auth: Option<&str>| {
            let mut b = Request::builder().method("POST").uri("/api/v1/complaints");
            if let Some(a) = auth {
                b = b.header(header::AUTHORIZATION, a);
            }
            b.body(axum::body::Body::empty()).unwrap()
        };
        let one = caller_key(&req(Some("Bearer rg_one")));
        assert_eq!(one, caller_key(&req(Some("Bearer rg_one"))));
        assert_ne!(one, caller_key(&req(Some("Bearer rg_two"))));
        assert_ne!(one, caller_key(&req(None)));
        assert!(!one.windows(6).any(|w| w == b"rg_one"));
    }
}
