//! `/metrics`: Prometheus (OpenMetrics text) for the people who run the server.
//!
//! Two kinds of numbers. Request metrics (count by method, route template and
//! status; latency histogram by method and route) are recorded by a
//! middleware on every request. Work metrics (complaint items per state,
//! overdue reviews, due and retrying deadline jobs, audit log length) are read
//! from the database at scrape time, so they are right after a restart and
//! across several servers on one database.
//!
//! The route label is the matched route template (`/api/v1/complaints/{id}`),
//! never the raw path, so label cardinality is bounded by the route table; a
//! request that matches no route counts as `unmatched`. The registry is per
//! server (no global recorder), so tests can run many servers in one process.
//! Nothing here names a tenant: the endpoint shows aggregate counts only.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;
use crate::error::ApiError;

/// The content type of the OpenMetrics text format.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

fn latency_histogram() -> Histogram {
    // 250 µs .. ~16 s, doubling.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 17))
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    items: Family<StateLabels, Gauge>,
    webhooks: Family<StatusLabels, Gauge>,
    review_overdue: Gauge,
    jobs_due: Gauge,
    jobs_retrying: Gauge,
    audit_records: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("rightsguard");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let latency: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            latency.clone(),
        );
        let items = Family::<StateLabels, Gauge>::default();
        registry.register(
            "complaint_items",
            "Complaint items (one listing of one complaint) per state",
            items.clone(),
        );
        let webhooks = Family::<StatusLabels, Gauge>::default();
        registry.register(
            "webhook_deliveries",
            "Webhook deliveries (one event to one endpoint) per status: pending, delivered, failed",
            webhooks.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let review_overdue = gauge(
            &mut registry,
            "review_overdue",
            "Complaint items under review past their review deadline",
        );
        let jobs_due = gauge(
            &mut registry,
            "jobs_due",
            "Deadline jobs that are due and not yet done",
        );
        let jobs_retrying = gauge(
            &mut registry,
            "jobs_retrying",
            "Due deadline jobs that failed or lost their lease at least once",
        );
        let audit_records = gauge(
            &mut registry,
            "audit_records",
            "Records in the hash-chained audit log",
        );
        Self {
            registry,
            requests,
            latency,
            items,
            webhooks,
            review_overdue,
            jobs_due,
            jobs_retrying,
            audit_records,
        }
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }
}

/// Middleware: counts and times every request by its route template.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`: the current counts, in OpenMetrics text.
pub async fn get_metrics(State(s): State<AppState>) -> Response {
    let stats = match s.app.store().stats(s.app.now()).await {
        Ok(stats) => stats,
        Err(e) => return ApiError::from(rightsguard_app::AppError::Store(e)).into_response(),
    };
    let m = &s.metrics;
    m.items.clear();
    for (state, n) in &stats.items_by_state {
        m.items
            .get_or_create(&StateLabels {
                state: state.clone(),
            })
            .set(*n);
    }
    m.webhooks.clear();
    for (status, n) in &stats.webhook_deliveries {
        m.webhooks
            .get_or_create(&StatusLabels {
                status: status.clone(),
            })
            .set(*n);
    }
    m.review_overdue.set(stats.review_overdue);
    m.jobs_due.set(stats.jobs_due);
    m.jobs_retrying.set(stats.jobs_retrying);
    m.audit_records.set(stats.audit_records);
    let mut body = String::new();
    if let Err(e) = encode(&mut body, &m.registry) {
        tracing::error!(error = %e, "cannot encode metrics");
        let e = rightsguard_store::StoreError::Corrupt(format!("metrics encoding: {e}"));
        return ApiError::from(rightsguard_app::AppError::Store(e)).into_response();
    }
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(OPENMETRICS))],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_template_and_status() {
        let m = Metrics::new();
        m.observe("GET", "/api/v1/complaints/{id}", 200, 0.002);
        m.observe("GET", "/api/v1/complaints/{id}", 200, 0.004);
        m.observe("GET", "/api/v1/complaints/{id}", 404, 0.001);
        let mut out = String::new();
        encode(&mut out, &m.registry).unwrap();
        assert!(
            out.contains(
                r#"rightsguard_http_requests_total{method="GET",route="/api/v1/complaints/{id}",status="200"} 2"#
            ),
            "{out}"
        );
        assert!(out.contains(r#"status="404"} 1"#), "{out}");
        assert!(
            out.contains(
                r#"rightsguard_http_request_duration_seconds_count{method="GET",route="/api/v1/complaints/{id}"} 3"#
            ),
            "{out}"
        );
        assert!(out.ends_with("# EOF\n"), "{out}");
    }
}
