//! Notifications to people end to end: the real server, a real SMTP server
//! (`aiosmtpd`, started by the test), on SQLite and PostgreSQL.
//!
//! Each notification reaches the users of the right organisations and no
//! one else (another store's seller, another rights holder, an agent not
//! involved get nothing), in each user's language, by e-mail only where the
//! user asked for it; e-mails sent while the mail server is down are
//! retried and arrive once it is up, once each (by Message-ID). Then the
//! reminders: a deadline 24 hours away, the penalty of an established
//! complaint, a counter-notice to answer, a right about to expire.
//!
//! Jobs are run explicitly (`POST /api/v1/admin/jobs/run`) and time moves
//! on the manual clock, so nothing waits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::collections::BTreeSet;

use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use rightsguard_domain::account::DisplayName;
use rightsguard_domain::actor::Role;
use rightsguard_domain::ids::{OrgId, UserId};
use rightsguard_testkit::smtp::{Mail, SmtpSink};
use rightsguard_testkit::{Backend, TestApp, spawn_app_with};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_notifications_reach_the_right_people_in_their_language_and_survive_a_mail_outage() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_notifications_reach_the_right_people_in_their_language_and_survive_a_mail_outage()
{
    run(Backend::Postgres).await;
}

async fn run(backend: Backend) {
    if !SmtpSink::available() {
        return;
    }
    let mut sink = SmtpSink::stopped().unwrap();
    let url = sink.url();
    let Some(app) = spawn_app_with(backend, |c| c.smtp = Some(url))
        .await
        .unwrap()
    else {
        return;
    };
    end_to_end(&app, &mut sink).await;
    app.finish().await.unwrap();
}

async fn command(app: &TestApp, cid: &str, token: &str, body: Value) -> Value {
    app.ok(
        Method::POST,
        &format!("/api/v1/complaints/{cid}/commands"),
        token,
        Some(body),
    )
    .await
    .unwrap()
}

async fn inbox(app: &TestApp, token: &str) -> Value {
    app.ok(Method::GET, "/api/v1/me/notifications", token, None)
        .await
        .unwrap()
}

/// The kinds in a user's inbox, oldest first.
async fn kinds(app: &TestApp, token: &str) -> Vec<String> {
    let v = inbox(app, token).await;
    let mut k: Vec<String> = v["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect();
    k.reverse();
    k
}

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn mails_to<'a>(mails: &'a [Mail], addr: &str) -> Vec<&'a Mail> {
    mails
        .iter()
        .filter(|m| m.rcpt_tos.iter().any(|r| r == addr))
        .collect()
}

/// Every mail went to one recipient, and no Message-ID repeats.
fn once_each(mails: &[Mail]) {
    let ids: BTreeSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), mails.len(), "a Message-ID repeats: {mails:#?}");
    for m in mails {
        assert_eq!(m.rcpt_tos.len(), 1, "{m:?}");
        assert!(m.message_id.starts_with("<rg-ntf-"), "{m:?}");
    }
}

async fn end_to_end(app: &TestApp, sink: &mut SmtpSink) {
    let t = &app.tokens;
    // A second user of shop1, who reads Chinese.
    let core = &app.state.app;
    let sid = UserId::parse("sid").unwrap();
    core.add_user(
        &core.system_actor(),
        sid.clone(),
        &OrgId::parse("shop1").unwrap(),
        Role::Seller,
        DisplayName::parse("sid").unwrap(),
    )
    .await
    .unwrap();
    let sid_token = core.issue_token(&core.system_actor(), &sid).await.unwrap();
    let sid_token = sid_token.secret.expose().to_owned();

    // Settings: addresses, languages; alice does not want decisions by e-mail.
    let settings = [
        (
            &t.seller,
            json!({"language": "en", "email": "sam@shop1.example"}),
        ),
        (
            &sid_token,
            json!({"language": "zh", "email": "sid@shop1.example"}),
        ),
        (
            &t.seller2,
            json!({"language": "en", "email": "sue@shop2.example"}),
        ),
        (
            &t.holder,
            json!({"language": "en", "email": "alice@acme.example",
                   "kinds": [{"kind": "complaint_decided", "email": false}]}),
        ),
        (
            &t.rival,
            json!({"language": "en", "email": "bob@rival.example"}),
        ),
        (
            &t.agent,
            json!({"language": "zh", "email": "ann@agency.example"}),
        ),
    ];
    for (token, body) in settings {
        app.ok(
            Method::PUT,
            "/api/v1/me/notification-settings",
            token,
            Some(body),
        )
        .await
        .unwrap();
    }
    let s = app
        .ok(
            Method::GET,
            "/api/v1/me/notification-settings",
            &t.holder,
            None,
        )
        .await
        .unwrap();
    assert_eq!(s["email"], "alice@acme.example");
    let decided = s["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "complaint_decided")
        .unwrap();
    assert_eq!(decided["email"], false);
    for (bad, field) in [
        (json!({"language": "fr"}), "language"),
        (json!({"language": "en", "email": "nope"}), "email"),
        (
            json!({"language": "en", "kinds": [{"kind": "gossip", "email": true}]}),
            "kinds",
        ),
    ] {
        let (st, v) = app
            .call(
                Method::PUT,
                "/api/v1/me/notification-settings",
                &t.seller,
                Some(bad),
            )
            .await
            .unwrap();
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["field"], field, "{v}");
    }

    // r1 in force; r2 valid for 60 more days.
    let until = (app
        .state
        .app
        .now()
        .checked_add(jiff::SignedDuration::from_hours(24 * 60)))
    .unwrap()
    .to_zoned(jiff::tz::TimeZone::UTC)
    .date();
    for (id, cert, valid_until) in [("r1", 1, None), ("r2", 2, Some(until.to_string()))] {
        app.ok(
            Method::POST,
            "/api/v1/rights",
            &t.holder,
            Some(json!({"id": id, "kind": "trademark", "jurisdiction": "CN",
                "registration_number": "123", "nice_classes": [25], "valid_from": "2020-01-01",
                "valid_until": valid_until, "certificates": [sha(cert)]})),
        )
        .await
        .unwrap();
        app.ok(
            Method::POST,
            &format!("/api/v1/rights/{id}/decision"),
            &t.reviewer,
            Some(json!({"command": "verify"})),
        )
        .await
        .unwrap();
    }
    // C1 names L1 of shop1 and L2 of shop2: L1 upheld, L2 rejected.
    app.ok(
        Method::POST,
        "/api/v1/complaints",
        &t.holder,
        Some(json!({"id": "C1", "right": "r1", "reason": "counterfeit",
            "listings": [{"id": "L1", "seller": "shop1", "category_classes": [25]},
                         {"id": "L2", "seller": "shop2", "category_classes": [25]}],
            "evidence": [sha(0xee)]})),
    )
    .await
    .unwrap();
    command(
        app,
        "C1",
        &t.reviewer,
        json!({"command": "decide", "listing": "L1", "decision": {"decision": "uphold"}}),
    )
    .await;
    command(
        app,
        "C1",
        &t.reviewer,
        json!({"command": "decide", "listing": "L2",
               "decision": {"decision": "reject", "reason": "not the same mark", "manifestly_unfounded": false}}),
    )
    .await;

    // The mail server is down: the e-mails fail and are kept for retry.
    app.run_jobs().await.unwrap();
    assert!(sink.messages().unwrap().is_empty());

    // The inboxes have everything already, each in its reader's language.
    let sam = inbox(app, &t.seller).await;
    assert_eq!(sam["unread"], 1);
    let n = &sam["notifications"][0];
    assert_eq!(n["kind"], "complaint_against_listing");
    assert_eq!(n["listing"], "L1");
    assert_eq!(n["email"], "pending");
    assert!(n["subject"].as_str().unwrap().contains("taken down"), "{n}");
    let body = n["body"].as_str().unwrap();
    assert!(body.contains("Statement of reasons"), "{body}");
    assert!(body.contains("counterfeit goods"), "{body}");
    assert!(body.contains("trademark CN 123"), "{body}");
    let due: Timestamp = n["due"].as_str().unwrap().parse().unwrap();
    let due_text = due.strftime("%Y-%m-%d %H:%M UTC").to_string();
    assert!(body.contains(&due_text), "{body}");
    let sid_n = &inbox(app, &sid_token).await["notifications"][0];
    assert!(
        sid_n["subject"].as_str().unwrap().contains("已被下架"),
        "{sid_n}"
    );
    assert!(
        sid_n["body"].as_str().unwrap().contains("处理理由说明"),
        "{sid_n}"
    );
    assert_eq!(
        kinds(app, &t.holder).await,
        ["complaint_decided", "complaint_decided"]
    );
    let alice = inbox(app, &t.holder).await;
    assert!(
        alice["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["email"] == "off")
    );
    // shop2's listing was not taken down: its seller hears nothing; nor does
    // the other rights holder, the agent not involved, or staff.
    for token in [&t.seller2, &t.rival, &t.agent, &t.reviewer] {
        assert!(kinds(app, token).await.is_empty());
    }

    // The mail server comes up: the retry delivers, once each.
    sink.start().unwrap();
    app.advance(60).await.unwrap();
    app.run_jobs().await.unwrap();
    let mails = sink.messages().unwrap();
    once_each(&mails);
    assert_eq!(mails.len(), 2, "{mails:#?}");
    let to_sam = mails_to(&mails, "sam@shop1.example");
    let to_sid = mails_to(&mails, "sid@shop1.example");
    assert_eq!((to_sam.len(), to_sid.len()), (1, 1));
    assert!(to_sam[0].subject.contains("taken down"));
    assert!(to_sam[0].body.contains("Statement of reasons"));
    assert!(to_sid[0].subject.contains("已被下架"), "{:?}", to_sid[0]);
    assert!(to_sid[0].body.contains("处理理由说明"));
    assert_eq!(
        inbox(app, &t.seller).await["notifications"][0]["email"],
        "sent"
    );
    // Nothing is sent twice.
    app.advance(3600).await.unwrap();
    app.run_jobs().await.unwrap();
    assert_eq!(sink.messages().unwrap().len(), 2);

    // Marking read: one's own only.
    let sid_id = sid_n["id"].as_i64().unwrap();
    let r = app
        .ok(
            Method::POST,
            "/api/v1/me/notifications/read",
            &t.seller,
            Some(json!({"ids": [sid_id]})),
        )
        .await
        .unwrap();
    assert_eq!(
        (r["marked"].as_i64(), r["unread"].as_i64()),
        (Some(0), Some(1))
    );
    let r = app
        .ok(
            Method::POST,
            "/api/v1/me/notifications/read",
            &t.seller,
            Some(json!({"all": true})),
        )
        .await
        .unwrap();
    assert_eq!(
        (r["marked"].as_i64(), r["unread"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(inbox(app, &sid_token).await["unread"], 1);
    let (st, _) = app
        .call(
            Method::POST,
            "/api/v1/me/notifications/read",
            &t.seller,
            Some(json!({})),
        )
        .await
        .unwrap();
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = app
        .call(
            Method::GET,
            "/api/v1/me/notifications?limit=0",
            &t.seller,
            None,
        )
        .await
        .unwrap();
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    // 24 hours before the counter-notice deadline: the sellers are reminded.
    app.advance_to(
        due.checked_sub(jiff::SignedDuration::from_hours(24))
            .unwrap(),
    )
    .await
    .unwrap();
    // One pass reminds; the e-mails it schedules go out in the next.
    app.run_jobs().await.unwrap();
    app.run_jobs().await.unwrap();
    assert_eq!(
        kinds(app, &t.seller).await,
        ["complaint_against_listing", "deadline_soon"]
    );
    assert_eq!(
        kinds(app, &sid_token).await,
        ["complaint_against_listing", "deadline_soon"]
    );
    assert_eq!(kinds(app, &t.holder).await.len(), 2);
    let mails = sink.messages().unwrap();
    assert_eq!(mails.len(), 4);
    assert!(
        mails_to(&mails, "sid@shop1.example")[1]
            .subject
            .contains("24 小时")
    );

    // The deadline passes without a counter-notice: established; counterfeit
    // is a serious violation, and the first one freezes the store for a day.
    app.advance_to(due.checked_add(jiff::SignedDuration::from_secs(1)).unwrap())
        .await
        .unwrap();
    for _ in 0..3 {
        app.run_jobs().await.unwrap();
    }
    assert_eq!(
        kinds(app, &t.seller).await,
        [
            "complaint_against_listing",
            "deadline_soon",
            "penalty_applied"
        ]
    );
    let p = &inbox(app, &sid_token).await["notifications"][0];
    assert!(p["subject"].as_str().unwrap().contains("店铺冻结"), "{p}");
    let p = &inbox(app, &t.seller).await["notifications"][0];
    assert!(p["body"].as_str().unwrap().contains("frozen until"), "{p}");
    assert!(kinds(app, &t.seller2).await.is_empty());

    // A counter-notice found valid reaches the complainant with its clock.
    app.ok(
        Method::POST,
        "/api/v1/complaints",
        &t.holder,
        Some(json!({"id": "C2", "right": "r1", "reason": "counterfeit",
            "listings": [{"id": "L3", "seller": "shop1", "category_classes": [25]}],
            "evidence": [sha(0xee)]})),
    )
    .await
    .unwrap();
    command(
        app,
        "C2",
        &t.reviewer,
        json!({"command": "decide", "listing": "L3", "decision": {"decision": "uphold"}}),
    )
    .await;
    command(
        app,
        "C2",
        &t.seller,
        json!({"command": "file_counter_notice", "listing": "L3",
               "statement": "authorised reseller", "evidence": [sha(0xcc)]}),
    )
    .await;
    command(
        app,
        "C2",
        &t.reviewer,
        json!({"command": "decide_counter_notice", "listing": "L3", "valid": true, "reason": "licence shown"}),
    )
    .await;
    command(
        app,
        "C2",
        &t.reviewer,
        json!({"command": "confirm_delivery", "listing": "L3"}),
    )
    .await;
    app.run_jobs().await.unwrap();
    let alice = inbox(app, &t.holder).await;
    let cn = &alice["notifications"][0];
    assert_eq!(cn["kind"], "counter_notice_to_answer");
    assert!(cn["due"].is_string());
    assert!(cn["body"].as_str().unwrap().contains("Art. 43"));
    assert_eq!(cn["email"], "sent", "alice mails every kind but decisions");
    for token in [&t.rival, &t.agent, &t.seller2] {
        assert!(kinds(app, token).await.is_empty());
    }

    // Thirty days before r2's last day, its holder is reminded (once).
    let remind = until
        .tomorrow()
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .checked_sub(jiff::SignedDuration::from_hours(24 * 30))
        .unwrap();
    app.advance_to(remind).await.unwrap();
    for _ in 0..2 {
        app.run_jobs().await.unwrap();
    }
    let alice = inbox(app, &t.holder).await;
    let expiring: Vec<&Value> = alice["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "right_expiring")
        .collect();
    assert_eq!(expiring.len(), 1, "{alice}");
    assert_eq!(expiring[0]["right"], "r2");
    assert!(kinds(app, &t.rival).await.is_empty());
    assert!(kinds(app, &t.agent).await.is_empty());

    // Regression: when the clock jumps past a deadline (the runner was off),
    // its 24-hour reminder is not sent late. (Misuse is a general violation:
    // points, no penalty rung reached, so no penalty notice either.)
    app.ok(
        Method::POST,
        "/api/v1/complaints",
        &t.holder,
        Some(
            json!({"id": "C3", "right": "r1", "reason": "trademark_misuse",
            "listings": [{"id": "L4", "seller": "shop1", "category_classes": [25]}],
            "evidence": [sha(0xee)]}),
        ),
    )
    .await
    .unwrap();
    let c3 = command(
        app,
        "C3",
        &t.reviewer,
        json!({"command": "decide", "listing": "L4", "decision": {"decision": "uphold"}}),
    )
    .await;
    let due3: Timestamp = c3["items"][0]["state"]["counter_due"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    app.advance_to(
        due3.checked_add(jiff::SignedDuration::from_hours(1))
            .unwrap(),
    )
    .await
    .unwrap();
    for _ in 0..3 {
        app.run_jobs().await.unwrap();
    }
    let sam = inbox(app, &t.seller).await;
    let about_l4: Vec<&str> = sam["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["listing"] == "L4")
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        about_l4,
        ["complaint_against_listing"],
        "no late deadline reminder"
    );

    // Every mail once, and only to those who asked for mail.
    let mails = sink.messages().unwrap();
    once_each(&mails);
    let to: BTreeSet<&str> = mails
        .iter()
        .flat_map(|m| m.rcpt_tos.iter().map(String::as_str))
        .collect();
    assert_eq!(
        to,
        BTreeSet::from([
            "alice@acme.example",
            "sam@shop1.example",
            "sid@shop1.example"
        ])
    );
    let alice_mail: Vec<&str> = mails_to(&mails, "alice@acme.example")
        .iter()
        .map(|m| m.subject.as_str())
        .collect();
    assert_eq!(alice_mail.len(), 2, "{alice_mail:?}");
    assert!(
        mails
            .iter()
            .all(|m| !(m.subject.contains("24 hours") && m.subject.contains("L4"))),
        "no late reminder by e-mail"
    );
    assert!(
        alice_mail
            .iter()
            .all(|s| !s.contains("upheld") && !s.contains("rejected"))
    );
}
