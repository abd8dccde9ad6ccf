//! The demo marketplace that `rightsguard demo` loads before it serves.
//!
//! Everything is created through the same use cases the API calls, on a
//! manual clock that the seeding steps forward, so the demo's complaints
//! carry real deadlines, real audit chains and real penalties: two rights
//! holders with verified marks (and one right still in verification), an
//! agent under a power of attorney, three sellers, and complaints in every
//! state a reviewer meets: under review, taken down and awaiting a
//! counter-notice, counter-notice to decide, forwarded with the escalation
//! clock running, established (with the seller's penalty), rejected and
//! withdrawn; and a listing held by the keyword blocklist.

use anyhow::Context;
use jiff::SignedDuration;
use rightsguard_app::{App, ManualClock};
use rightsguard_domain::account::{DisplayName, OrgKind};
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::blocklist::BlockTermCommand;
use rightsguard_domain::complaint::{
    ComplaintCommand, Decision, ListingRef, ReasonCode, SubmitComplaint,
};
use rightsguard_domain::ids::{
    ComplaintId, Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256,
    UserId,
};
use rightsguard_domain::right::{Right, RightCommand, RightKind, RightState};
use rightsguard_store::SqlStore;

/// A login to print: who, in which role, with which token.
#[derive(Debug)]
pub struct Login {
    /// Role name.
    pub role: &'static str,
    /// User id.
    pub user: String,
    /// Organisation id.
    pub org: String,
    /// The API token (shown once).
    pub token: String,
    /// The web password (`<user>-demo-2026`).
    pub password: String,
}

fn org(s: &str) -> anyhow::Result<OrgId> {
    Ok(OrgId::parse(s)?)
}

fn user(s: &str) -> anyhow::Result<UserId> {
    Ok(UserId::parse(s)?)
}

fn hash_of(label: &str) -> Sha256 {
    use sha2::Digest;
    Sha256::from_bytes(sha2::Sha256::digest(label.as_bytes()).into())
}

/// Loads the demo marketplace; returns the logins to print.
pub async fn seed(app: &App<SqlStore>, clock: &ManualClock) -> anyhow::Result<Vec<Login>> {
    let orgs: [(&str, OrgKind, &str); 7] = [
        ("platform", OrgKind::Platform, "Demo Marketplace"),
        ("acme-brands", OrgKind::RightsHolder, "ACME Brands Ltd."),
        ("lumen-sports", OrgKind::RightsHolder, "Lumen Sports GmbH"),
        ("brandguard", OrgKind::Agent, "BrandGuard IP Agency"),
        ("shop-1", OrgKind::Seller, "Shenzhen Sunrise Trading"),
        ("shop-2", OrgKind::Seller, "Yiwu Happy Goods"),
        ("shop-3", OrgKind::Seller, "Global Outlet Store"),
    ];
    for (id, kind, name) in orgs {
        app.add_org(
            &app.system_actor(),
            org(id)?,
            kind,
            DisplayName::parse(name)?,
        )
        .await?;
    }
    app.grant_power_of_attorney(
        &app.system_actor(),
        &org("brandguard")?,
        &org("acme-brands")?,
    )
    .await?;
    let users: [(&str, &str, Role, &str, &'static str); 9] = [
        ("ada", "platform", Role::Admin, "Ada (admin)", "admin"),
        (
            "rita",
            "platform",
            Role::Reviewer,
            "Rita (reviewer)",
            "reviewer",
        ),
        (
            "reza",
            "platform",
            Role::Reviewer,
            "Reza (reviewer)",
            "reviewer",
        ),
        (
            "alice",
            "acme-brands",
            Role::RightsHolder,
            "Alice at ACME",
            "rights holder",
        ),
        (
            "lena",
            "lumen-sports",
            Role::RightsHolder,
            "Lena at Lumen",
            "rights holder",
        ),
        (
            "gus",
            "brandguard",
            Role::Agent,
            "Gus at BrandGuard",
            "agent (for acme-brands)",
        ),
        ("sam", "shop-1", Role::Seller, "Sam at Sunrise", "seller"),
        (
            "sue",
            "shop-2",
            Role::Seller,
            "Sue at Happy Goods",
            "seller",
        ),
        (
            "sid",
            "shop-3",
            Role::Seller,
            "Sid at Global Outlet",
            "seller",
        ),
    ];
    let mut logins = Vec::new();
    for (id, o, role, name, label) in users {
        app.add_user(
            &app.system_actor(),
            user(id)?,
            &org(o)?,
            role,
            DisplayName::parse(name)?,
        )
        .await?;
        let t = app.issue_token(&app.system_actor(), &user(id)?).await?;
        let password = format!("{id}-demo-2026");
        app.set_password(
            &app.system_actor(),
            &user(id)?,
            rightsguard_app::Secret::new(password.clone()),
        )
        .await?;
        logins.push(Login {
            role: label,
            user: id.to_owned(),
            org: o.to_owned(),
            token: t.secret.expose().to_owned(),
            password,
        });
    }

    let alice = Actor::rights_holder(org("acme-brands")?, user("alice")?);
    let lena = Actor::rights_holder(org("lumen-sports")?, user("lena")?);
    let rita = Actor::reviewer(org("platform")?, user("rita")?);
    let right = |id: &str, owner: &str, reg: &str, classes: &[u32]| -> anyhow::Result<Right> {
        Ok(Right {
            id: RightId::parse(id)?,
            owner: org(owner)?,
            kind: RightKind::Trademark,
            jurisdiction: Jurisdiction::CN,
            registration_number: RegistrationNumber::parse(reg)?,
            nice_classes: classes
                .iter()
                .map(|c| NiceClass::new(*c))
                .collect::<Result<_, _>>()?,
            valid_from: jiff::civil::date(2019, 6, 1),
            valid_until: Some(jiff::civil::date(2029, 5, 31)),
            certificates: [hash_of(&format!("certificate of {id}"))].into(),
            cn_extension_certificate: None,
            state: RightState::Pending,
        })
    };
    let acme = app
        .register_right(
            &alice,
            right("tm-acme", "acme-brands", "31234567", &[25, 18])?,
        )
        .await?;
    let lumen = app
        .register_right(
            &lena,
            right("tm-lumen", "lumen-sports", "45678901", &[25, 28])?,
        )
        .await?;
    app.register_right(
        &lena,
        right("tm-lumen-kids", "lumen-sports", "45678902", &[28])?,
    )
    .await?;
    for r in [&acme.id, &lumen.id] {
        app.act_on_right(&rita, r, &RightCommand::Verify).await?;
    }
    // ACME's mark is recorded with customs (GACC): ten years from approval,
    // capped at the mark's own last day, with its lapse reminder scheduled.
    app.record_customs_recordal(
        &alice,
        &acme.id,
        "T2021-0031234",
        jiff::civil::date(2021, 3, 1),
    )
    .await
    .context("the demo's customs recordal")?;

    // A dozen listings, so the pages have captures to show: those the
    // complaints below name, and four more to file new complaints against.
    let ada = Actor::admin(org("platform")?, user("ada")?);
    let catalogue: [(u32, &str, &str, &str, &str); 12] = [
        (
            101,
            "shop-1",
            "ACME classic sneakers, factory original",
            "Brand new ACME sneakers, same as in the shops, half price.",
            "Shoes",
        ),
        (
            201,
            "shop-2",
            "ACMF running shoes",
            "Famous brand running shoes, ACME style, all sizes.",
            "Shoes",
        ),
        (
            202,
            "shop-3",
            "A.C.M.E sports trainers",
            "Original quality trainers with the A.C.M.E logo.",
            "Shoes",
        ),
        (
            203,
            "shop-2",
            "ACME canvas high-tops",
            "Canvas high-tops, imported, authentic ACME.",
            "Shoes",
        ),
        (
            301,
            "shop-1",
            "Lumen pro football",
            "Match ball, Lumen pattern, size 5.",
            "Sports",
        ),
        (
            302,
            "shop-3",
            "LUMEN training jersey",
            "Breathable jersey with LUMEN print.",
            "Clothing",
        ),
        (
            303,
            "shop-2",
            "Lumen-style kids ball",
            "Soft ball for kids.",
            "Toys",
        ),
        (
            401,
            "shop-3",
            "ACME leather belt",
            "Leather belt with ACME buckle.",
            "Clothing",
        ),
        (
            601,
            "shop-1",
            "ACME limited edition sneakers",
            "Limited ACME edition, no box, cheap.",
            "Shoes",
        ),
        (
            602,
            "shop-2",
            "Acme-like travel backpack",
            "Backpack with the ACME logo, factory outlet.",
            "Bags & Luggage",
        ),
        (
            603,
            "shop-3",
            "L U M E N football socks",
            "Sports socks, L U M E N print, 3 pairs.",
            "Sports",
        ),
        (
            604,
            "shop-1",
            "Plain white T-shirt",
            "Cotton T-shirt, no print.",
            "Clothing",
        ),
    ];
    for (n, seller, title, description, category) in catalogue {
        let content: rightsguard_domain::listing::ListingContent =
            serde_json::from_value(serde_json::json!({
                "title": title, "description": description, "category": category,
            }))?;
        app.create_listing(
            &ada,
            ListingId::parse(&format!("L-{n}"))?,
            Some(org(seller)?),
            content,
        )
        .await?;
    }

    let listing = |n: u32, seller: &str| -> anyhow::Result<ListingRef> {
        Ok(ListingRef {
            id: ListingId::parse(&format!("L-{n}"))?,
            seller: org(seller)?,
            category_classes: [NiceClass::new(25)?].into(),
        })
    };
    let submit =
        |id: &str, right: &RightId, listings: Vec<ListingRef>| -> anyhow::Result<SubmitComplaint> {
            Ok(SubmitComplaint {
                id: ComplaintId::parse(id)?,
                right: right.clone(),
                reason: ReasonCode::Counterfeit,
                listings,
                evidence: vec![hash_of(&format!("capture for {id}"))],
            })
        };
    let lid = |n: u32| ListingId::parse(&format!("L-{n}"));
    let decide = |n: u32, d: Decision| -> anyhow::Result<ComplaintCommand> {
        Ok(ComplaintCommand::Decide {
            listing: lid(n)?,
            decision: d,
        })
    };

    // A week ago: a takedown nobody answered, now established.
    let old = app
        .submit_complaint(
            &alice,
            submit("C-1001", &acme.id, vec![listing(101, "shop-1")?])?,
        )
        .await?;
    app.act_on_complaint(&rita, &old.id, &decide(101, Decision::Uphold)?)
        .await?;
    clock.advance(SignedDuration::from_hours(24 * 8));
    app.run_due_jobs("demo-seed", 100).await?;

    // Today.
    let sue = Actor::seller(org("shop-2")?, user("sue")?);
    let sid = Actor::seller(org("shop-3")?, user("sid")?);
    let system = Actor::system(org("platform")?);
    let c = app
        .submit_complaint(
            &alice,
            submit(
                "C-1002",
                &acme.id,
                vec![
                    listing(201, "shop-2")?,
                    listing(202, "shop-3")?,
                    listing(203, "shop-2")?,
                ],
            )?,
        )
        .await?;
    for n in [201, 202, 203] {
        app.act_on_complaint(&rita, &c.id, &decide(n, Decision::Uphold)?)
            .await?;
    }
    let counter = |n: u32, text: &str| -> anyhow::Result<ComplaintCommand> {
        Ok(ComplaintCommand::FileCounterNotice {
            listing: lid(n)?,
            statement: text.to_owned(),
            evidence: vec![hash_of(&format!("invoice for L-{n}"))],
        })
    };
    // L-202: counter-notice waiting for a reviewer.
    app.act_on_complaint(
        &sid,
        &c.id,
        &counter(
            202,
            "Genuine stock bought from an authorised distributor; invoice attached.",
        )?,
    )
    .await?;
    // L-203: valid counter-notice forwarded; the 15-day escalation clock runs.
    app.act_on_complaint(
        &sue,
        &c.id,
        &counter(203, "Licensed reseller; licence attached.")?,
    )
    .await?;
    let valid = ComplaintCommand::DecideCounterNotice {
        listing: lid(203)?,
        valid: true,
        reason: "Licence verified with the brand's published distributor list.".into(),
    };
    app.act_on_complaint(&rita, &c.id, &valid).await?;
    app.act_on_complaint(
        &system,
        &c.id,
        &ComplaintCommand::ConfirmDelivery { listing: lid(203)? },
    )
    .await?;
    // L-201 stays upheld, waiting for its seller.

    // Lumen: one listing under review, one rejected, one withdrawn.
    let l = app
        .submit_complaint(
            &lena,
            submit(
                "C-1003",
                &lumen.id,
                vec![
                    listing(301, "shop-1")?,
                    listing(302, "shop-3")?,
                    listing(303, "shop-2")?,
                ],
            )?,
        )
        .await?;
    let reject = Decision::Reject {
        reason: "The listing shows a generic ball with no mark; add a capture of the logo.".into(),
        manifestly_unfounded: false,
    };
    app.act_on_complaint(&rita, &l.id, &decide(302, reject)?)
        .await?;
    app.act_on_complaint(
        &lena,
        &l.id,
        &ComplaintCommand::Withdraw { listing: lid(303)? },
    )
    .await?;

    // The agent files for ACME: waiting in the queue.
    let gus = Actor::agent(org("brandguard")?, user("gus")?, org("acme-brands")?);
    app.submit_complaint(
        &gus,
        submit("C-1004", &acme.id, vec![listing(401, "shop-3")?])?,
    )
    .await?;

    // The keyword blocklist: ACME's mark is blocked, and a listing that uses
    // it without ACME's authorisation is held from publication.
    let ada = Actor::admin(org("platform")?, user("ada")?);
    let term = app.request_block_term(&alice, &acme.id, "ACME").await?;
    app.decide_block_term(&ada, &term.id, &BlockTermCommand::Approve)
        .await?;
    let sid = Actor::seller(org("shop-3")?, user("sid")?);
    app.create_listing(
        &sid,
        ListingId::parse("L-501")?,
        None,
        serde_json::from_value(
            serde_json::json!({"title": "ACME style hoodie, unisex", "category": "Clothing"}),
        )?,
    )
    .await?;

    // Monitoring: the rights holders' marks are searched for in every
    // listing; the scans run as jobs and leave findings to triage.
    app.set_right_marks(
        &alice,
        &acme.id,
        rightsguard_store::findings::RightMarks {
            mark: "ACME".into(),
            aliases: vec!["AKME".into()],
        },
    )
    .await?;
    app.set_right_marks(
        &lena,
        &lumen.id,
        rightsguard_store::findings::RightMarks {
            mark: "LUMEN".into(),
            aliases: Vec::new(),
        },
    )
    .await?;
    for (id, seller, title, category) in [
        ("L-701", &sue, "Lum3n pro running shoes", "Shoes"),
        ("L-702", &sid, "AKME canvas sneakers, all sizes", "Shoes"),
        ("L-703", &sue, "L.U.M.E.N training jersey", "Clothing"),
        ("L-704", &sid, "Plain white sneakers", "Shoes"),
    ] {
        app.create_listing(
            seller,
            ListingId::parse(id)?,
            None,
            serde_json::from_value(serde_json::json!({"title": title, "category": category}))?,
        )
        .await?;
    }
    app.run_due_jobs("demo-seed", 100).await?;
    chinese_mark_case(app, &alice, &rita).await?;
    Ok(logins)
}

/// ACME's Chinese mark 爱克美, registered with a scan of its certificate (an
/// image showing the logo), and a listing that uses the mark and the logo:
/// the scan finds it, ACME files a complaint from the findings (the listing
/// capture attached as evidence) and a reviewer takes it down. Its evidence
/// dossier has every element: the right, the capture with the matched text,
/// the listing image beside the certificate's, and the timeline.
async fn chinese_mark_case(app: &App<SqlStore>, alice: &Actor, rita: &Actor) -> anyhow::Result<()> {
    let certificate = app
        .upload_evidence(alice, logo_png(false)?, None)
        .await?
        .record
        .sha256;
    let right = app
        .register_right(
            alice,
            Right {
                id: RightId::parse("tm-acme-cn")?,
                owner: org("acme-brands")?,
                kind: RightKind::Trademark,
                jurisdiction: Jurisdiction::CN,
                registration_number: RegistrationNumber::parse("31234568")?,
                nice_classes: [NiceClass::new(25)?].into(),
                valid_from: jiff::civil::date(2020, 3, 14),
                valid_until: Some(jiff::civil::date(2030, 3, 13)),
                certificates: [certificate].into(),
                cn_extension_certificate: None,
                state: RightState::Pending,
            },
        )
        .await?;
    app.act_on_right(rita, &right.id, &RightCommand::Verify)
        .await?;
    app.set_right_marks(
        alice,
        &right.id,
        rightsguard_store::findings::RightMarks {
            mark: "爱克美".into(),
            aliases: vec!["AIKEMEI".into()],
        },
    )
    .await?;
    let sue = Actor::seller(org("shop-2")?, user("sue")?);
    let photo = app
        .upload_evidence(&sue, logo_png(true)?, None)
        .await?
        .record
        .sha256;
    app.create_listing(
        &sue,
        ListingId::parse("L-705")?,
        None,
        serde_json::from_value(serde_json::json!({
            "title": "爱克美 正品运动鞋 factory original",
            "description": "Aikemei sneakers, 爱克美 logo on the tongue, 包邮 free shipping.",
            "category": "Shoes",
            "image_hashes": [photo],
        }))?,
    )
    .await?;
    app.run_due_jobs("demo-seed", 100).await?;
    let found: Vec<String> = app
        .findings_visible_to(alice, Some("open"), Some(&right.id), None, 100)
        .await?
        .into_iter()
        .filter(|f| f.listing.as_str() == "L-705")
        .map(|f| f.id)
        .collect();
    anyhow::ensure!(
        !found.is_empty(),
        "the scan found no use of 爱克美 in L-705"
    );
    for filed in app
        .complain_findings(alice, &found, ReasonCode::Counterfeit)
        .await?
    {
        app.act_on_complaint(
            rita,
            &filed.complaint,
            &ComplaintCommand::Decide {
                listing: ListingId::parse("L-705")?,
                decision: Decision::Uphold,
            },
        )
        .await?;
    }
    Ok(())
}

/// A small PNG of a logo (a red disc with a white bar): as printed on a
/// certificate, or as photographed on a product (on grey, smaller, off
/// centre).
fn logo_png(photo: bool) -> anyhow::Result<Vec<u8>> {
    let (w, h) = (240u32, 180u32);
    let (cx, cy, r) = if photo {
        (150.0f32, 100.0f32, 48.0f32)
    } else {
        (120.0, 90.0, 70.0)
    };
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let inside = dx * dx + dy * dy <= r * r;
        let bar = dy.abs() < r * 0.18 && dx.abs() < r * 0.7;
        if inside && bar {
            image::Rgb([255, 255, 255])
        } else if inside {
            image::Rgb([200, 30, 40])
        } else if photo {
            let v = 150 + ((x * 7 + y * 13) % 40) as u8;
            image::Rgb([v, v, v - 10])
        } else {
            image::Rgb([255, 255, 255])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}
