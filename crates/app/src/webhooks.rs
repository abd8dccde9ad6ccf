//! Outbound webhooks: the marketplace hears of every enforcement action.
//!
//! The outbox rows and one delivery row per subscribed endpoint are written
//! by the transaction of the action itself (see `rightsguard_store::webhooks`),
//! so this module only has to *send*: [`App::deliver_webhooks`] claims due
//! deliveries under a lease, POSTs each event, logs the attempt and moves the
//! delivery on. Delivery is at least once: a crash after the receiver
//! answered but before the outcome was stored sends the event again when the
//! lease runs out, with the same `webhook-id`, so receivers deduplicate by it.
//! Order per listing holds because a delivery is not claimed while an earlier
//! one of the same listing to the same endpoint is pending (retries
//! included); a failed one (given up after a day) stops blocking.
//!
//! Signatures follow the Standard Webhooks layout: `webhook-id`,
//! `webhook-timestamp` (Unix seconds, from the app's clock) and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one
//! `v1,` entry per active secret, space-separated, so a receiver that has
//! either the old or the new secret verifies during a rotation.

use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::event::{DomainEvent, EventKind};
use rightsguard_domain::outbound::ActionType;
use rightsguard_domain::rule::RuleError;
use rightsguard_store::webhooks::{
    Attempt, ClaimedDelivery, Delivery, DeliveryNext, DeliveryStatus, EndpointSecret,
    WebhookEndpoint, WebhookStore,
};
use rightsguard_store::{Store, StoreError};

use crate::access::require;
use crate::egress::EgressPolicy;
use crate::{App, AppError, Result};

/// How long a claimed delivery is leased before another worker may retry it.
pub const DELIVERY_LEASE: SignedDuration = SignedDuration::from_secs(30);
/// The first retry comes this long after a failure; each next one twice as late.
pub const FIRST_RETRY: SignedDuration = SignedDuration::from_secs(10);
/// Retries are never further apart than this.
pub const MAX_RETRY_GAP: SignedDuration = SignedDuration::from_hours(1);
/// How long an old secret keeps signing after a rotation, unless told.
pub const DEFAULT_ROTATION_GRACE: SignedDuration = SignedDuration::from_hours(24);
/// Deliveries claimed per pass.
const BATCH: i64 = 32;
/// At most this much of a receiver's error answer is logged.
const ERROR_BODY_LIMIT: usize = 200;

const ADMIN: &[Role] = &[Role::Admin, Role::System];

/// The signature header value for `body` sent as event `id` at `timestamp`
/// (Unix seconds): `v1,<sig>` for each secret, space-separated. A secret is
/// `whsec_<base64 key>`; a secret without that prefix is used as raw bytes.
pub fn signature_header(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| format!("v1,{}", sign(s, id, timestamp, body)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The base64 HMAC-SHA256 of `id.timestamp.body` under `secret`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = secret_key(secret);
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return String::new();
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `header` (a `webhook-signature` value) holds a valid signature of
/// `body` under `secret`: what a receiver checks.
pub fn verify_signature(secret: &str, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let key = secret_key(secret);
    header.split(' ').any(|entry| {
        let Some(sig) = entry.strip_prefix("v1,") else {
            return false;
        };
        let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&key) else {
            return false;
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&sig).is_ok()
    })
}

fn secret_key(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix("whsec_")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("no randomness: {e}"))))?;
    Ok(b)
}

fn new_secret(now: Timestamp) -> Result<EndpointSecret> {
    Ok(EndpointSecret {
        secret: format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(random_bytes::<32>()?)
        ),
        created_at: now,
        expires_at: None,
    })
}

/// The retry instant after failed attempt `attempt` (1-based) at `now`:
/// 10 s, 20 s, 40 s, ... at most an hour apart, never past `give_up_at`;
/// `Failed` once `give_up_at` has come.
pub fn next_after_failure(attempt: i64, now: Timestamp, give_up_at: Timestamp) -> DeliveryNext {
    if now >= give_up_at {
        return DeliveryNext::Failed;
    }
    let shift = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(19);
    let gap = FIRST_RETRY
        .checked_mul(1 << shift)
        .unwrap_or(MAX_RETRY_GAP)
        .min(MAX_RETRY_GAP);
    let at = now.checked_add(gap).unwrap_or(give_up_at).min(give_up_at);
    DeliveryNext::RetryAt(at)
}

/// A new endpoint as an admin describes it.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    /// Where to POST (http or https).
    pub url: String,
    /// A note for admins.
    pub description: String,
    /// Types to receive; empty: all.
    pub event_types: Vec<ActionType>,
    /// Whether it receives deliveries now.
    pub enabled: bool,
}

/// Changes to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    /// New URL.
    pub url: Option<String>,
    /// New note.
    pub description: Option<String>,
    /// New types (empty: all).
    pub event_types: Option<Vec<ActionType>>,
    /// Enable or disable.
    pub enabled: Option<bool>,
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryPass {
    /// Attempts made.
    pub attempted: usize,
    /// Of which arrived.
    pub delivered: usize,
}

/// Refuses a URL that is not http(s) with a host, or whose host resolves
/// to no address the egress policy permits (see [`crate::egress`]).
async fn check_url(url: &str, egress: &EgressPolicy) -> Result<()> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| RuleError::Invalid(format!("url {url:?} does not parse: {e}")))?;
    let (Some(host), true) = (
        parsed.host_str(),
        matches!(parsed.scheme(), "http" | "https"),
    ) else {
        return Err(RuleError::Invalid(format!("url {url:?} must be http(s) with a host")).into());
    };
    let port = parsed.port_or_known_default().unwrap_or(80);
    egress
        .check_host(host, port)
        .await
        .map_err(|e| RuleError::Invalid(format!("url {url:?}: {e}")))?;
    Ok(())
}

/// Why the URL's host, if it is an IP literal, may not be reached (names
/// are checked by the client's resolver when it connects).
fn refused_literal(url: &str, egress: &EgressPolicy) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    let ip: std::net::IpAddr = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    egress
        .refuses(ip)
        .map(|why| format!("refused: {ip} is {why} (not in --webhooks-allow-net)"))
}

fn check_description(d: &str) -> Result<()> {
    if d.chars().count() > 500 {
        return Err(RuleError::Invalid("description is longer than 500 characters".into()).into());
    }
    Ok(())
}

/// The HTTP client deliveries go out with: rustls, 5 s to connect, 15 s in
/// all, no redirects (a receiver that moved must be reconfigured), no proxy,
/// and a resolver that hands the connector only addresses `egress` permits
/// (so a name rebound to a private address after registration is refused).
pub fn delivery_client(egress: &EgressPolicy) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .dns_resolver(std::sync::Arc::new(crate::egress::GuardedResolver(
            egress.clone(),
        )))
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("rightsguard-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

impl<S: Store + WebhookStore + Clone + 'static> App<S> {
    fn endpoint_event(&self, actor: &Actor, endpoint: &str, change: &str) -> DomainEvent {
        DomainEvent::account(
            actor.org.clone(),
            actor,
            self.now(),
            EventKind::WebhookEndpointChanged {
                endpoint: endpoint.to_owned(),
                change: change.to_owned(),
            },
        )
    }

    /// Adds an endpoint with a fresh secret (admins). It receives the events
    /// that happen from now on; older ones only by redelivery.
    pub async fn create_webhook_endpoint(
        &self,
        actor: &Actor,
        new: NewEndpoint,
    ) -> Result<WebhookEndpoint> {
        require(actor, ADMIN, "configure webhooks")?;
        check_url(&new.url, self.egress()).await?;
        check_description(&new.description)?;
        let now = self.now();
        let id: String = random_bytes::<8>()?
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut types = new.event_types;
        types.sort();
        types.dedup();
        let endpoint = WebhookEndpoint {
            id: format!("whe_{id}"),
            url: new.url,
            description: new.description,
            event_types: types,
            enabled: new.enabled,
            secrets: vec![new_secret(now)?],
            created_at: now,
            version: 1,
        };
        let ev = self.endpoint_event(actor, &endpoint.id, "created");
        self.store()
            .create_webhook_endpoint(&endpoint, &[ev])
            .await?;
        Ok(endpoint)
    }

    /// Every endpoint (admins).
    pub async fn webhook_endpoints(&self, actor: &Actor) -> Result<Vec<WebhookEndpoint>> {
        require(actor, ADMIN, "configure webhooks")?;
        Ok(self.store().webhook_endpoints().await?)
    }

    /// One endpoint (admins).
    pub async fn webhook_endpoint(&self, actor: &Actor, id: &str) -> Result<WebhookEndpoint> {
        require(actor, ADMIN, "configure webhooks")?;
        self.store()
            .webhook_endpoint(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("webhook endpoint {id}")))
    }

    /// Changes an endpoint (admins); a lost race is retried on the new state.
    pub async fn update_webhook_endpoint(
        &self,
        actor: &Actor,
        id: &str,
        patch: EndpointPatch,
    ) -> Result<WebhookEndpoint> {
        if let Some(u) = &patch.url {
            check_url(u, self.egress()).await?;
        }
        if let Some(d) = &patch.description {
            check_description(d)?;
        }
        self.change_endpoint(actor, id, |e| {
            let mut changes = Vec::new();
            if let Some(u) = &patch.url {
                e.url.clone_from(u);
                changes.push("url");
            }
            if let Some(d) = &patch.description {
                e.description.clone_from(d);
                changes.push("description");
            }
            if let Some(t) = &patch.event_types {
                let mut t = t.clone();
                t.sort();
                t.dedup();
                e.event_types = t;
                changes.push("event types");
            }
            if let Some(on) = patch.enabled {
                e.enabled = on;
                changes.push(if on { "enabled" } else { "disabled" });
            }
            Ok(if changes.is_empty() {
                "nothing".to_owned()
            } else {
                changes.join(", ")
            })
        })
        .await
    }

    /// Gives an endpoint a new secret (admins). Secrets made before it keep
    /// signing for `grace` (every delivery carries one signature per active
    /// secret), so the receiver can switch at its own pace.
    pub async fn rotate_webhook_secret(
        &self,
        actor: &Actor,
        id: &str,
        grace: SignedDuration,
    ) -> Result<WebhookEndpoint> {
        if grace.is_negative() || grace > SignedDuration::from_hours(24 * 30) {
            return Err(RuleError::Invalid("grace must be between 0 and 30 days".into()).into());
        }
        self.change_endpoint(actor, id, |e| {
            let now = self.now();
            let until = now.checked_add(grace).unwrap_or(now);
            for s in &mut e.secrets {
                if s.expires_at.is_none_or(|x| x > until) {
                    s.expires_at = Some(until);
                }
            }
            // Secrets expired long ago are of no use to anyone: drop them.
            e.secrets.retain(|s| s.expires_at.is_none_or(|x| x > now));
            e.secrets.push(new_secret(now)?);
            Ok("secret rotated".to_owned())
        })
        .await
    }

    async fn change_endpoint(
        &self,
        actor: &Actor,
        id: &str,
        f: impl Fn(&mut WebhookEndpoint) -> Result<String>,
    ) -> Result<WebhookEndpoint> {
        require(actor, ADMIN, "configure webhooks")?;
        for _ in 0..crate::RETRIES {
            let mut e = self.webhook_endpoint(actor, id).await?;
            let change = f(&mut e)?;
            let ev = self.endpoint_event(actor, id, &change);
            match self.store().save_webhook_endpoint(&e, &[ev]).await {
                Ok(v) => {
                    e.version = v;
                    return Ok(e);
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(AppError::Busy(format!("webhook endpoint {id}")))
    }

    /// The delivery log, newest first (admins).
    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        endpoint: Option<&str>,
        status: Option<DeliveryStatus>,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        require(actor, ADMIN, "see webhook deliveries")?;
        Ok(self
            .store()
            .deliveries(endpoint, status, limit.clamp(1, 1000))
            .await?)
    }

    /// Sends an event again to every enabled endpoint subscribed to its type
    /// (admins); returns how many deliveries were queued.
    pub async fn redeliver_webhook_event(&self, actor: &Actor, id: &str) -> Result<usize> {
        require(actor, ADMIN, "redeliver webhooks")?;
        self.store()
            .redeliver_event(id, self.now())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("event {id}")))
    }

    /// One delivery pass: claims due deliveries as `owner`, sends them
    /// (concurrently; never two of one listing to one endpoint), logs each
    /// attempt and schedules retries. The server runs it on an interval.
    pub async fn deliver_webhooks(
        &self,
        owner: &str,
        client: &reqwest::Client,
    ) -> Result<DeliveryPass> {
        let now = self.now();
        let claimed = self
            .store()
            .claim_deliveries(now, owner, DELIVERY_LEASE, BATCH)
            .await?;
        if claimed.is_empty() {
            return Ok(DeliveryPass::default());
        }
        let endpoints = self.store().webhook_endpoints().await?;
        let mut tasks = tokio::task::JoinSet::new();
        for c in claimed {
            let Some(endpoint) = endpoints.iter().find(|e| e.id == c.endpoint).cloned() else {
                continue;
            };
            let app = self.clone();
            let client = client.clone();
            let owner = owner.to_owned();
            tasks.spawn(async move { app.deliver_one(&owner, &client, &endpoint, c).await });
        }
        let mut pass = DeliveryPass::default();
        while let Some(done) = tasks.join_next().await {
            let delivered = done
                .map_err(|e| AppError::Busy(format!("delivery task: {e}")))?
                .inspect_err(|e| tracing::warn!(error = %e, "webhook delivery not recorded"))
                .unwrap_or(false);
            pass.attempted += 1;
            pass.delivered += usize::from(delivered);
        }
        Ok(pass)
    }

    async fn deliver_one(
        &self,
        owner: &str,
        client: &reqwest::Client,
        endpoint: &WebhookEndpoint,
        c: ClaimedDelivery,
    ) -> Result<bool> {
        let at = self.now();
        let ts = at.as_second();
        let body = c.event.payload.as_bytes().to_vec();
        let signature = signature_header(&endpoint.active_secrets(at), &c.event.id, ts, &body);
        let started = Instant::now();
        if let Some(refused) = refused_literal(&endpoint.url, self.egress()) {
            return self
                .record_attempt(owner, &c, endpoint, at, started, None, Some(refused))
                .await;
        }
        let sent = client
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("webhook-id", &c.event.id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let (status_code, error) = match sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => {
                let code = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                let text: String = text.chars().take(ERROR_BODY_LIMIT).collect();
                (Some(code), Some(format!("HTTP {code}: {text}")))
            }
            Err(e) => (None, Some(error_chain(&e))),
        };
        self.record_attempt(owner, &c, endpoint, at, started, status_code, error)
            .await
    }

    /// Logs an attempt and moves its delivery on; `true` if it arrived.
    #[allow(clippy::too_many_arguments)]
    async fn record_attempt(
        &self,
        owner: &str,
        c: &ClaimedDelivery,
        endpoint: &WebhookEndpoint,
        at: Timestamp,
        started: Instant,
        status_code: Option<u16>,
        error: Option<String>,
    ) -> Result<bool> {
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let attempt = Attempt {
            attempt: c.attempt,
            at,
            status_code,
            latency_ms,
            error: error.clone(),
        };
        let next = match error {
            None => DeliveryNext::Delivered,
            Some(_) => next_after_failure(c.attempt, self.now(), c.give_up_at),
        };
        if let Some(e) = &attempt.error {
            tracing::info!(event = %c.event.id, endpoint = %endpoint.id, attempt = c.attempt, error = %e, ?next, "webhook delivery failed");
        }
        self.store()
            .finish_delivery(c, owner, &attempt, next)
            .await?;
        Ok(next == DeliveryNext::Delivered)
    }
}

/// An error and its sources, `: `-separated.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(sig, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let header = signature_header(
            &["whsec_AAAA", secret],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            body,
        );
        assert!(verify_signature(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            body,
            &header
        ));
        assert!(!verify_signature(
            secret,
            "msg_other",
            1614265330,
            body,
            &header
        ));
        assert!(!verify_signature(
            "whsec_BBBB",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            body,
            &header
        ));
    }

    #[test]
    fn retries_back_off_to_an_hour_and_give_up_after_the_deadline() {
        let t0: Timestamp = "2026-03-09T00:00:00Z".parse().unwrap();
        let give_up = t0.checked_add(SignedDuration::from_hours(24)).unwrap();
        let gap = |n| match next_after_failure(n, t0, give_up) {
            DeliveryNext::RetryAt(t) => t.duration_since(t0).as_secs(),
            other => panic!("{other:?}"),
        };
        assert_eq!([gap(1), gap(2), gap(3)], [10, 20, 40]);
        assert_eq!(gap(12), 3600);
        assert_eq!(gap(1000), 3600);
        let late = give_up.checked_sub(SignedDuration::from_secs(5)).unwrap();
        assert_eq!(
            next_after_failure(3, late, give_up),
            DeliveryNext::RetryAt(give_up)
        );
        assert_eq!(
            next_after_failure(3, give_up, give_up),
            DeliveryNext::Failed
        );
    }
}
