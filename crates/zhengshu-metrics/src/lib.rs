//! The metrics of one zhengshu process, in the Prometheus / OpenMetrics
//! text format: requests by route and status with latency histograms,
//! log-in refusals, annotation applications and refusals, the job queue
//! (depth, oldest job's age), document generation time, imports and their
//! rows, database pool use.
//!
//! One registry per process, reached through [`metrics()`]: the web layer,
//! the workers and the importer record into it without being handed a
//! handle, as the `log` or `tracing` facades do; the web crate serves
//! [`encode`]'s text at `/metrics`. Gauges that describe shared state
//! (the queue, the pool) are set just before each scrape by whoever
//! serves it, so they are as fresh as the scrape. Labels are bounded:
//! routes are the matched route templates (`/verify/{code}`), never raw
//! paths; outcomes are fixed codes.
#![forbid(unsafe_code)]

use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of [`encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A request's route template, method and status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

/// A request's route template and method (latency).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub method: String,
}

/// Who was refused (`holder`, `staff`) and why (`credentials`,
/// `throttled`, `second_factor`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    pub account: &'static str,
    pub reason: &'static str,
}

/// An outcome code: `accepted`, or the error code of a refusal.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

/// What an entry of the verification index is (`annotation`,
/// `certificate`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: &'static str,
}

/// Database connections by state (`idle`, `in_use`, `max`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    pub state: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency() -> Histogram {
    // 0.5 ms … about 16 s.
    Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
}

/// Every family of the process.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: HistogramFamily<RouteLabels>,
    pub login_refusals: Family<RefusalLabels, Counter>,
    pub applications: Family<OutcomeLabels, Counter>,
    pub queue_depth: Gauge,
    pub queue_oldest_seconds: Gauge<f64, AtomicU64>,
    pub generations: Family<OutcomeLabels, Counter>,
    pub generation_seconds: Histogram,
    pub imports: Family<OutcomeLabels, Counter>,
    pub import_rows: Family<OutcomeLabels, Counter>,
    pub pool_connections: Family<PoolLabels, Gauge>,
    pub verify_index_entries: Family<KindLabels, Gauge>,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("zhengshu");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let request_seconds: HistogramFamily<RouteLabels> = Family::new_with_constructor(latency);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method",
            request_seconds.clone(),
        );
        let login_refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "login_refusals",
            "Log-ins refused, by kind of account and reason",
            login_refusals.clone(),
        );
        let applications = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "annotation_applications",
            "Annotation applications, accepted or refused (by error code)",
            applications.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "queue_depth",
            "Annotation jobs waiting or in progress",
            queue_depth.clone(),
        );
        let queue_oldest_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "queue_oldest_job_age_seconds",
            "Age of the oldest annotation job still queued (0 when none)",
            queue_oldest_seconds.clone(),
        );
        let generations = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "document_generations",
            "Annotation documents generated by this process's workers (ready, failed, retry)",
            generations.clone(),
        );
        let generation_seconds = latency();
        registry.register(
            "document_generation_duration_seconds",
            "Time to render, seal and sign one annotation document",
            generation_seconds.clone(),
        );
        let imports = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "imports",
            "Certificate imports run by this process, by outcome",
            imports.clone(),
        );
        let import_rows = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "import_rows",
            "Rows of certificate imports, by outcome (inserted, updated, unchanged, refused)",
            import_rows.clone(),
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database pool connections: idle, in use, and the pool's maximum",
            pool_connections.clone(),
        );
        let verify_index_entries = Family::<KindLabels, Gauge>::default();
        registry.register(
            "verify_index_entries",
            "Issued annotations and certificates public verification holds in memory",
            verify_index_entries.clone(),
        );
        Self {
            registry,
            requests,
            request_seconds,
            login_refusals,
            applications,
            queue_depth,
            queue_oldest_seconds,
            generations,
            generation_seconds,
            imports,
            import_rows,
            pool_connections,
            verify_index_entries,
        }
    }

    /// Counts one answered request.
    pub fn request(&self, route: &str, method: &str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.request_seconds
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
                method: method.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Counts one refused log-in.
    pub fn login_refused(&self, account: &'static str, reason: &'static str) {
        self.login_refusals
            .get_or_create(&RefusalLabels { account, reason })
            .inc();
    }

    /// Counts one annotation application: `accepted` or the refusal's code.
    pub fn application(&self, outcome: &str) {
        self.applications
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Counts one generation attempt and, when it made a document, its time.
    pub fn generation(&self, outcome: &str, took: Option<Duration>) {
        self.generations
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
        if let Some(t) = took {
            self.generation_seconds.observe(t.as_secs_f64());
        }
    }

    /// Counts one import and its rows by outcome.
    pub fn import(&self, outcome: &str, rows: &[(&str, u64)]) {
        self.imports
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
        for (kind, n) in rows {
            self.import_rows
                .get_or_create(&OutcomeLabels {
                    outcome: (*kind).to_owned(),
                })
                .inc_by(*n);
        }
    }

    /// Sets the queue gauges: jobs queued and the oldest one's age.
    pub fn set_queue(&self, depth: i64, oldest: Option<Duration>) {
        self.queue_depth.set(depth);
        self.queue_oldest_seconds
            .set(oldest.map_or(0.0, |d| d.as_secs_f64()));
    }

    /// Sets the verification index gauges.
    pub fn set_verify_index(&self, annotations: usize, certificates: usize) {
        for (kind, n) in [("annotation", annotations), ("certificate", certificates)] {
            self.verify_index_entries
                .get_or_create(&KindLabels { kind })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// Sets the pool gauges.
    pub fn set_pool(&self, idle: i64, in_use: i64, max: i64) {
        for (state, v) in [("idle", idle), ("in_use", in_use), ("max", max)] {
            self.pool_connections
                .get_or_create(&PoolLabels { state })
                .set(v);
        }
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// The process's metrics as OpenMetrics text ([`CONTENT_TYPE`]).
pub fn encode() -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &metrics().registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_values_appear_in_the_text_with_their_labels() {
        let m = metrics();
        m.request("/verify/{code}", "GET", 200, Duration::from_millis(3));
        m.login_refused("holder", "credentials");
        m.application("accepted");
        m.set_queue(7, Some(Duration::from_secs(2)));
        m.set_pool(3, 1, 8);
        m.set_verify_index(5, 4);
        let text = encode();
        assert!(text.contains(r#"zhengshu_verify_index_entries{kind="annotation"} 5"#));
        assert!(text.contains(r#"zhengshu_verify_index_entries{kind="certificate"} 4"#));
        assert!(
            text.contains(
                r#"zhengshu_http_requests_total{route="/verify/{code}",method="GET",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"zhengshu_login_refusals_total{account="holder",reason="credentials"} 1"#
            )
        );
        assert!(text.contains(r#"zhengshu_annotation_applications_total{outcome="accepted"} 1"#));
        assert!(text.contains("zhengshu_queue_depth 7"), "{text}");
        assert!(
            text.contains("zhengshu_queue_oldest_job_age_seconds 2.0"),
            "{text}"
        );
        assert!(text.contains(r#"zhengshu_db_pool_connections{state="max"} 8"#));
        assert!(text.contains("zhengshu_http_request_duration_seconds_bucket"));
        assert!(text.trim_end().ends_with("# EOF"));
    }
}
