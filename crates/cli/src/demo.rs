//! `rightsguard demo`: the product on its embedded default, with a demo
//! marketplace loaded ([`crate::demo_seed`]): a fresh SQLite file, the
//! server, and one API token per role printed to log in with.
//!
//! `--timeline` instead prints a complaint's whole life through the rules:
//! a rights holder files against two listings, a reviewer upholds both, one
//! seller stays silent (the complaint becomes established and counts), the
//! other answers with a valid counter-notice, and the rights holder lets the
//! 15-day window pass (the listing comes back). Every deadline is computed on
//! the profile's calendar; the clock is simulated.

use std::process::ExitCode;

use anyhow::Context;
use jiff::{Timestamp, ToSpan};
use rightsguard_domain::actor::Actor;
use rightsguard_domain::calendar::Calendar;
use rightsguard_domain::complaint::{
    Complaint, ComplaintCommand, Ctx, Decision, ListingRef, ReasonCode, SubmitComplaint,
};
use rightsguard_domain::event::DomainEvent;
use rightsguard_domain::ids::{
    ComplaintId, Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256,
    UserId,
};
use rightsguard_domain::penalty::{assess, violations_of};
use rightsguard_domain::policy::Policy;
use rightsguard_domain::right::{Right, RightCommand, RightKind, RightState};

/// Arguments of `rightsguard demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy profile of the site (e.g. aliexpress, taobao, aliexpress+dsa).
    #[arg(long, default_value = "aliexpress")]
    policy: String,
    /// Simulated start instant (RFC 3339); the demo runs on a manual clock
    /// that an admin moves with `POST /api/v1/admin/clock/advance`.
    #[arg(long, default_value = "2026-03-09T09:00:00+08:00")]
    start: Timestamp,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Database for the demo (must not exist yet); default: a new SQLite file
    /// in a fresh temporary directory.
    #[arg(long)]
    db: Option<String>,
    /// Load the demo marketplace, print the logins and exit without serving.
    #[arg(long)]
    no_serve: bool,
    /// Print one complaint's life through the rules as a timeline instead.
    #[arg(long)]
    timeline: bool,
    /// With --timeline: the audit events as JSON lines.
    #[arg(long, requires = "timeline")]
    json: bool,
}

/// Runs the demo.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.timeline {
        return timeline(args);
    }
    // Warnings and errors only: the demo's own output is the logins.
    crate::serve::init_tracing("warn,sqlx=error");
    let db = match &args.db {
        Some(db) => db.clone(),
        None => {
            let dir = std::env::temp_dir().join(format!("rightsguard-demo-{}", std::process::id()));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            format!("sqlite:{}", dir.join("demo.sqlite").display())
        }
    };
    if let Some(path) = db.strip_prefix("sqlite:")
        && std::path::Path::new(path).exists()
    {
        anyhow::bail!(
            "{path} exists already; the demo loads its data into a new database (omit --db for a temporary one)"
        );
    }
    let config = rightsguard_http::Config {
        db: db.clone(),
        // Without serving, the data is loaded through a server on a free
        // port, so a demo loaded beside a running one does not collide.
        listen: if args.no_serve {
            std::net::SocketAddr::from(([127, 0, 0, 1], 0))
        } else {
            args.listen
        },
        policy: args.policy.clone(),
        clock: rightsguard_http::ClockChoice::Manual(args.start),
        platform: OrgId::parse("platform")?,
        jobs_every: Some(std::time::Duration::from_secs(5)),
        evidence_dir: None,
        evidence_limit: rightsguard_http::DEFAULT_EVIDENCE_LIMIT,
        write_rate: Some(rightsguard_http::WriteRate::DEFAULT),
        secure_cookies: false,
        webhooks_every: Some(std::time::Duration::from_secs(1)),
        smtp: None,
        smtp_from: rightsguard_http::DEFAULT_SMTP_FROM.to_owned(),
        // A demo runs on one machine: its receivers may be local.
        webhook_egress: rightsguard_app::egress::EgressPolicy::new(vec![
            "127.0.0.0/8".parse()?,
            "::1/128".parse()?,
        ]),
        rescan_every: None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let server = rightsguard_http::Server::bind(&config).await?;
        // The address printed is the one `demo` serves on.
        let addr = if args.no_serve {
            args.listen
        } else {
            server.local_addr()?
        };
        let state = server.state();
        let clock = state
            .manual_clock
            .clone()
            .ok_or_else(|| anyhow::anyhow!("the demo server has no manual clock"))?;
        let logins = crate::demo_seed::seed(&state.app, &clock)
            .await
            .context("loading the demo marketplace")?;
        let now = state
            .app
            .now()
            .to_zoned(state.app.calendar().time_zone().clone());
        outln!("rightsguard demo marketplace")?;
        outln!("  database  {db}")?;
        outln!(
            "  policy    {}   clock: manual, now {}",
            args.policy,
            now.strftime("%Y-%m-%d %H:%M %Z")
        )?;
        outln!("  API docs  http://{addr}/api/docs   (OpenAPI: http://{addr}/api/openapi.json)")?;
        outln!("  web UI    http://{addr}/   (sign in with a user and its password)")?;
        outln!(
            "\nLog in on the pages with user and password, or with a token (header `Authorization: Bearer TOKEN`):"
        )?;
        for l in &logins {
            outln!(
                "  {:<24} {:<6} {:<13} {:<18} {}",
                l.role,
                l.user,
                l.org,
                l.password,
                l.token
            )?;
        }
        let reviewer = logins
            .iter()
            .find(|l| l.user == "rita")
            .map_or("TOKEN", |l| l.token.as_str());
        outln!("\nTry:")?;
        outln!("  curl -H 'Authorization: Bearer {reviewer}' http://{addr}/api/v1/review-queue")?;
        outln!(
            "  curl -H 'Authorization: Bearer {reviewer}' http://{addr}/api/v1/complaints/C-1002"
        )?;
        if args.no_serve {
            state.app.store().close().await;
            return Ok(ExitCode::SUCCESS);
        }
        outln!("\nServing; ctrl-c stops it.")?;
        server.run(rightsguard_http::shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `demo --timeline`: one complaint through the rules, printed.
fn timeline(args: Args) -> anyhow::Result<ExitCode> {
    let policy = Policy::builtin(&args.policy)?;
    let calendar = Calendar::builtin(&policy.calendar)?;
    let ctx = Ctx {
        policy: &policy,
        calendar: &calendar,
    };
    let id = |s: &str| OrgId::parse(s).context("demo id");
    let user = |s: &str| UserId::parse(s).context("demo id");
    let platform = id("platform")?;
    let holder = Actor::rights_holder(id("acme-brands")?, user("alice")?);
    let reviewer = Actor::reviewer(platform.clone(), user("rita")?);
    let system = Actor::system(platform.clone());
    let (shop1, shop2) = (id("shop-1")?, id("shop-2")?);
    let mut log: Vec<DomainEvent> = Vec::new();
    let mut now = args.start;

    let right = Right {
        id: RightId::parse("tm-acme-cn")?,
        owner: holder.org.clone(),
        kind: RightKind::Trademark,
        jurisdiction: if policy.accepts_jurisdiction(Jurisdiction::CN) {
            Jurisdiction::CN
        } else {
            Jurisdiction::parse("EM")?
        },
        registration_number: RegistrationNumber::parse("G 1234567")?,
        nice_classes: [NiceClass::new(25)?].into(),
        valid_from: jiff::civil::date(2020, 1, 1),
        valid_until: Some(jiff::civil::date(2030, 12, 31)),
        certificates: [Sha256::from_bytes([0xAC; 32])].into(),
        cn_extension_certificate: None,
        state: RightState::Pending,
    };
    let t = right.apply(
        &RightCommand::Verify,
        &reviewer,
        now,
        calendar.local_date(now),
    )?;
    log.extend(t.events);
    let right = t.state;

    let listing = |n: &str, seller: &OrgId| -> anyhow::Result<ListingRef> {
        Ok(ListingRef {
            id: ListingId::parse(n)?,
            seller: seller.clone(),
            category_classes: [NiceClass::new(25)?].into(),
        })
    };
    let submit = SubmitComplaint {
        id: ComplaintId::parse("C-0001")?,
        right: right.id.clone(),
        reason: ReasonCode::Counterfeit,
        listings: vec![listing("L-100", &shop1)?, listing("L-200", &shop2)?],
        evidence: vec![Sha256::from_bytes([0xE1; 32])],
    };
    let t = Complaint::submit(submit, &right, &holder, now, ctx)?;
    log.extend(t.events);
    let mut c = t.state;
    let step = |c: &mut Complaint,
                log: &mut Vec<DomainEvent>,
                cmd: ComplaintCommand,
                who: &Actor,
                at: Timestamp|
     -> anyhow::Result<()> {
        let t = c.apply(&cmd, who, at, ctx)?;
        log.extend(t.events);
        *c = t.state;
        Ok(())
    };
    let (l1, l2) = (ListingId::parse("L-100")?, ListingId::parse("L-200")?);

    now += 20.hours();
    for l in [&l1, &l2] {
        step(
            &mut c,
            &mut log,
            ComplaintCommand::Decide {
                listing: l.clone(),
                decision: Decision::Uphold,
            },
            &reviewer,
            now,
        )?;
    }
    now += 26.hours();
    let seller2 = Actor::seller(shop2.clone(), user("sam")?);
    step(
        &mut c,
        &mut log,
        ComplaintCommand::FileCounterNotice {
            listing: l2.clone(),
            statement: "Authorised reseller; distribution contract attached.".into(),
            evidence: vec![Sha256::from_bytes([0xC0; 32])],
        },
        &seller2,
        now,
    )?;
    now += 5.hours();
    step(
        &mut c,
        &mut log,
        ComplaintCommand::DecideCounterNotice {
            listing: l2.clone(),
            valid: true,
            reason: "contract verified with the brand's distributor list".into(),
        },
        &reviewer,
        now,
    )?;
    step(
        &mut c,
        &mut log,
        ComplaintCommand::ConfirmDelivery {
            listing: l2.clone(),
        },
        &system,
        now,
    )?;
    // The timer fires each deadline as it passes.
    for l in [&l1, &l2] {
        if let Some(due) = c.item(l).and_then(|i| i.next_deadline()) {
            step(
                &mut c,
                &mut log,
                ComplaintCommand::ExpireWindow { listing: l.clone() },
                &system,
                due,
            )?;
        }
    }
    log.sort_by_key(|e| e.at);

    let end = log.last().map_or(now, |e| e.at);
    let standing = assess(&violations_of(&c, &shop1), end, &policy, &calendar);
    if args.json {
        for e in &log {
            outln!("{}", serde_json::to_string(e)?)?;
        }
        outln!(
            "{}",
            serde_json::json!({"seller": shop1, "standing": standing})
        )?;
    } else {
        let tz = calendar.time_zone().clone();
        outln!(
            "rightsguard demo — site policy {} (calendar {})\n",
            policy.name,
            calendar.id()
        )?;
        for e in &log {
            let subject = match &e.subject {
                rightsguard_domain::event::Subject::Complaint { complaint, listing } => {
                    format!(
                        "{complaint}{}",
                        listing
                            .as_ref()
                            .map(|l| format!("/{l}"))
                            .unwrap_or_default()
                    )
                }
                rightsguard_domain::event::Subject::Right { right } => right.to_string(),
                rightsguard_domain::event::Subject::Notifier { notifier } => notifier.to_string(),
                rightsguard_domain::event::Subject::Account { org } => org.to_string(),
                rightsguard_domain::event::Subject::Evidence { sha256 } => sha256.to_string(),
                rightsguard_domain::event::Subject::Listing { listing } => listing.to_string(),
                rightsguard_domain::event::Subject::BlockTerm { term } => term.to_string(),
                rightsguard_domain::event::Subject::Authorisation { authorisation } => {
                    authorisation.to_string()
                }
                rightsguard_domain::event::Subject::Store { seller } => format!("store {seller}"),
            };
            let kind = serde_json::to_value(&e.kind)?;
            outln!(
                "{}  {:<13} {:<16} {}",
                e.at.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M %Z"),
                format!("{:?}", e.actor_role),
                subject,
                kind
            )?;
        }
        outln!(
            "\nseller shop-1 standing: {}",
            serde_json::to_string(&standing)?
        )?;
        for i in &c.items {
            outln!(
                "listing {}: {} (down: {})",
                i.listing,
                i.state.name(),
                i.state.listing_down()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
