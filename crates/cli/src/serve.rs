//! `rightsguard serve`: the HTTP server.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rightsguard_domain::ids::OrgId;
use rightsguard_http::{ClockChoice, Config, Server, WriteRate};

/// Which clock the server runs on.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ClockKind {
    /// The wall clock.
    System,
    /// A clock that moves only when an admin calls
    /// `POST /api/v1/admin/clock/advance` (demos and end-to-end tests).
    Manual,
}

/// Arguments of `rightsguard serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Database URL: `sqlite:PATH` (created if missing) or `postgres://...`.
    /// Migrations run on start.
    #[arg(
        long,
        env = "RIGHTSGUARD_DB",
        default_value = "sqlite:rightsguard.sqlite"
    )]
    db: String,
    /// Address to listen on.
    #[arg(long, env = "RIGHTSGUARD_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Policy profile of the site (`rightsguard policy list`), e.g. `aliexpress` or `taobao+dsa`.
    #[arg(long, default_value = "aliexpress")]
    policy: String,
    /// The clock: `system`, or `manual` (moved by an admin through the API).
    #[arg(long, value_enum, default_value = "system")]
    clock: ClockKind,
    /// Where a manual clock starts (RFC 3339); default: the current time.
    #[arg(long)]
    clock_start: Option<jiff::Timestamp>,
    /// The platform organisation's id (the organisation of staff and timers).
    #[arg(long, default_value = "platform")]
    platform: String,
    /// The site's category table, `{"<category>": [Nice classes], ...}` (the
    /// format `rightsguard scan --categories` reads); default: the built-in table.
    #[arg(long, env = "RIGHTSGUARD_CATEGORIES")]
    categories: Option<std::path::PathBuf>,
    /// Seconds between runs of the background deadline-job runner; 0 turns it off.
    #[arg(long, default_value_t = 10)]
    jobs_every: u64,
    /// Where evidence files are kept (content-addressed). Default: beside a
    /// SQLite database (`PATH.evidence/`), or `./rightsguard-evidence`.
    #[arg(long, env = "RIGHTSGUARD_EVIDENCE_DIR")]
    evidence_dir: Option<std::path::PathBuf>,
    /// Writes (POST/PUT/PATCH/DELETE) allowed per caller per second; 0 turns
    /// the limit off (e.g. behind a gateway that limits already).
    #[arg(long, env = "RIGHTSGUARD_WRITE_RATE", default_value_t = WriteRate::DEFAULT.writes_per_second())]
    write_rate: u32,
    /// Writes a caller may make at once on top of the rate.
    #[arg(long, default_value_t = WriteRate::DEFAULT.burst.get(), value_parser = clap::value_parser!(u32).range(1..))]
    write_burst: u32,
    /// Mark the session cookie `Secure` (sent only over HTTPS): set this when
    /// the server is reached through a TLS-terminating proxy.
    #[arg(long, env = "RIGHTSGUARD_SECURE_COOKIES")]
    secure_cookies: bool,
    /// The largest evidence upload accepted, in MiB.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=1024))]
    evidence_max_mib: u16,
    /// Milliseconds between passes of the webhook delivery worker; 0 turns
    /// it off (another server on the same database may deliver).
    #[arg(long, env = "RIGHTSGUARD_WEBHOOKS_EVERY_MS", default_value_t = 1000)]
    webhooks_every_ms: u64,
    /// Hours between the scheduled rescans of each rights holder's rights
    /// over every listing (1 to 8784); default: the policy profile's
    /// `monitoring.rescan_interval_days` (weekly in the built-in profiles).
    #[arg(long, env = "RIGHTSGUARD_RESCAN_EVERY_HOURS",
          value_parser = clap::value_parser!(u16).range(1..=8784))]
    rescan_every_hours: Option<u16>,
    /// NATS server URL (JetStream enabled): scans are published to the work
    /// stream for `rightsguard worker` processes instead of run here
    /// (scale-out; use with PostgreSQL), and every outbound action (the
    /// webhook events) to `<stream>.events.<type>` in the stream
    /// `<stream>-events`.
    #[arg(long, env = "RIGHTSGUARD_NATS")]
    nats: Option<String>,
    /// The JetStream stream (and subject prefix) of the work.
    #[arg(long, default_value = "rightsguard", requires = "nats")]
    stream: String,
    /// With `--nats`: milliseconds between passes of the relays that
    /// publish owed scans from the jobs table and events from the outbox
    /// (at once again while a pass found work).
    #[arg(long, default_value_t = 200, requires = "nats")]
    relay_every_ms: u64,
    /// With `--nats`: listings per partition of a rescan.
    #[arg(long, default_value_t = rightsguard_app::DEFAULT_PARTITION_SIZE, requires = "nats")]
    partition_size: i64,
    /// The SMTP server notifications are also mailed through:
    /// `smtp://host:port` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host` (TLS). Off by default: the
    /// in-app inbox only.
    #[arg(long, env = "RIGHTSGUARD_SMTP")]
    smtp: Option<String>,
    /// Networks webhook endpoints may be on besides public addresses
    /// (comma-separated CIDRs, e.g. `10.20.0.0/16,127.0.0.1/32`): loopback,
    /// private, link-local (cloud metadata), unique-local and other
    /// non-public addresses are refused unless listed here.
    #[arg(long, env = "RIGHTSGUARD_WEBHOOKS_ALLOW_NET", value_delimiter = ',')]
    webhooks_allow_net: Vec<ipnet::IpNet>,
    /// The sender of notification e-mails (`Name <addr>` or `addr`).
    #[arg(long, env = "RIGHTSGUARD_SMTP_FROM", default_value = rightsguard_http::DEFAULT_SMTP_FROM)]
    smtp_from: String,
}

/// Runs the server until ctrl-c or SIGTERM.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    init_tracing("info,tower_http=info,sqlx=warn");
    let clock = match args.clock {
        ClockKind::System => ClockChoice::System,
        ClockKind::Manual => {
            use rightsguard_app::Clock as _;
            ClockChoice::Manual(
                args.clock_start
                    .unwrap_or_else(|| rightsguard_app::SystemClock.now()),
            )
        }
    };
    let config = Config {
        db: args.db,
        listen: args.listen,
        policy: args.policy,
        clock,
        platform: OrgId::parse(&args.platform).context("--platform")?,
        jobs_every: (args.jobs_every > 0).then(|| Duration::from_secs(args.jobs_every)),
        evidence_dir: args.evidence_dir,
        evidence_limit: usize::from(args.evidence_max_mib) * 1024 * 1024,
        write_rate: match (
            NonZeroU32::new(args.write_rate),
            NonZeroU32::new(args.write_burst),
        ) {
            (Some(rate), Some(burst)) => Some(WriteRate::per_second(rate, burst)),
            _ => None,
        },
        secure_cookies: args.secure_cookies,
        webhooks_every: (args.webhooks_every_ms > 0)
            .then(|| Duration::from_millis(args.webhooks_every_ms)),
        smtp: args.smtp,
        smtp_from: args.smtp_from,
        webhook_egress: rightsguard_app::egress::EgressPolicy::new(args.webhooks_allow_net),
        rescan_every: args
            .rescan_every_hours
            .map(|h| jiff::SignedDuration::from_hours(i64::from(h))),
    };
    let categories = read_categories(args.categories.as_deref())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let server = Server::bind(&config).await?;
        if let Some(c) = categories {
            server.state().app.set_categories(c);
        }
        let relay = match &args.nats {
            Some(url) => {
                let layout = crate::stream::Layout::new(&args.stream)?;
                let js = crate::stream::connect(url, &layout).await?;
                crate::events::ensure_stream(&js, &layout).await?;
                let app = server.state().app.clone();
                let every = Duration::from_millis(args.relay_every_ms.max(1));
                let events = tokio::spawn(crate::events::relay(
                    app.store().clone(),
                    js.clone(),
                    layout.clone(),
                    every,
                ));
                app.set_scan_dispatch(Arc::new(crate::stream::Publisher::new(js, layout)));
                app.set_partition_size(args.partition_size);
                let name = format!("{}-relay", server.state().worker);
                Some((tokio::spawn(relay(app, name, every)), events))
            }
            None => None,
        };
        let addr = server.local_addr()?;
        eprintln!("rightsguard: listening on http://{addr} (API docs at http://{addr}/api/docs)");
        server.run(rightsguard_http::shutdown_signal()).await?;
        if let Some((jobs, events)) = relay {
            jobs.abort();
            events.abort();
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The relay of `serve --nats`: runs due jobs with the work stream as the
/// dispatcher, so each owed scan is published (and its job completed only
/// once the stream stored it) and each rescan is split into partitions.
async fn relay(
    app: rightsguard_app::App<rightsguard_store::SqlStore>,
    name: String,
    every: Duration,
) {
    loop {
        match app.run_due_jobs(&name, 500).await {
            Ok(n) if n.total() > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "relay to the work stream failed"),
        }
        tokio::time::sleep(every).await;
    }
}

/// Reads a category table file (`--categories`).
pub(crate) fn read_categories(
    path: Option<&std::path::Path>,
) -> anyhow::Result<Option<rightsguard_detect::categories::Categories>> {
    path.map(|p| {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        rightsguard_detect::categories::Categories::from_json(&text)
            .with_context(|| format!("parsing {}", p.display()))
    })
    .transpose()
}

/// Logs to stderr, filtered by `RUST_LOG` (default: `default`).
pub(crate) fn init_tracing(default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
