//! `rightsguard demo`: a complaint's whole life through the rules, printed as
//! a timeline.
//!
//! Until the server lands this is the quickest way to see what the rules do:
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
    /// Simulated start instant (RFC 3339).
    #[arg(long, default_value = "2026-03-09T09:00:00+08:00")]
    start: Timestamp,
    /// Print the audit events as JSON lines instead of a timeline.
    #[arg(long)]
    json: bool,
}

/// Runs the demo.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
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
