//! The web pages over HTTP, as a browser would send them: sign-in and
//! passwords, sessions, the CSRF and origin checks, login throttling, the
//! security headers, the language switch, and that each role sees only its
//! own objects (404 for anyone else's), on both engines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::{Client, StatusCode, header};
use rightsguard_testkit::{Backend, TestApp, spawn_app};
use serde_json::{Value, json};

/// A browser: a cookie jar of one cookie (the session), no redirects.
struct Browser<'a> {
    app: &'a TestApp,
    client: Client,
    cookie: Option<String>,
    lang: Option<&'static str>,
}

struct Page {
    status: StatusCode,
    headers: header::HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
    fn csrf(&self) -> String {
        let i = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token");
        let rest = &self.body[i + 19..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
            lang: None,
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let mut req = req.header("sec-fetch-site", "same-origin");
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        if let Some(l) = self.lang {
            req = req.header(header::ACCEPT_LANGUAGE, l);
        }
        let resp = req.send().await.unwrap();
        for v in resp.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            if let Some(rest) = v.strip_prefix("rg_session=") {
                let value = rest.split(';').next().unwrap();
                self.cookie = if v.contains("Max-Age=0") || value.is_empty() {
                    None
                } else {
                    Some(format!("rg_session={value}"))
                };
            }
        }
        Page {
            status: resp.status(),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.client.get(self.app.url(path));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.client.post(self.app.url(path)).form(form);
        self.send(req).await
    }

    async fn post_multipart(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let mut m = reqwest::multipart::Form::new();
        for (k, v) in form {
            // `file:NAME` sends the value as an uploaded file.
            m = match k.strip_prefix("file:") {
                Some(name) => m.part(
                    name.to_string(),
                    reqwest::multipart::Part::bytes(v.as_bytes().to_vec()).file_name("capture.txt"),
                ),
                None => m.text(k.to_string(), v.to_string()),
            };
        }
        let req = self.client.post(self.app.url(path)).multipart(m);
        self.send(req).await
    }

    async fn login(&mut self, user: &str, password: &str) -> Page {
        let csrf = self.get("/login").await.csrf();
        self.post(
            "/login",
            &[("csrf", &csrf), ("user", user), ("password", password)],
        )
        .await
    }

    async fn signed_in(app: &'a TestApp, user: &str) -> Self {
        let mut b = Self::new(app);
        let p = b.login(user, &format!("{user}-password-1")).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{user}: {}", p.body);
        b
    }
}

async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let resp = Client::new()
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn set_passwords(app: &TestApp) {
    let t = &app.tokens;
    for user in ["adam", "rita", "alice", "bob", "sam", "sue", "ann"] {
        let (s, b) = api(
            app,
            reqwest::Method::PUT,
            &format!("/api/v1/users/{user}/password"),
            &t.admin,
            json!({"password": format!("{user}-password-1")}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    }
    // One's own: fine; someone else's: that user does not exist for you.
    let (s, _) = api(
        app,
        reqwest::Method::PUT,
        "/api/v1/users/sam/password",
        &t.seller,
        json!({"password": "sam-password-1"}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = api(
        app,
        reqwest::Method::PUT,
        "/api/v1/users/alice/password",
        &t.seller,
        json!({"password": "stolen-password"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, b) = api(
        app,
        reqwest::Method::PUT,
        "/api/v1/users/sam/password",
        &t.seller,
        json!({"password": "short"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least 10"),
        "{b}"
    );
}

/// A verified right `tm1` of acme, listings L1 (shop1) and L2 (shop2) in Shoes.
async fn seed(app: &TestApp) {
    let t = &app.tokens;
    let (s, b) = api(app, reqwest::Method::POST, "/api/v1/rights", &t.holder,
        json!({"id": "tm1", "kind": "trademark", "jurisdiction": "CN", "registration_number": "123",
               "nice_classes": [25], "valid_from": "2020-01-01", "certificates": ["11".repeat(32)]})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    for (id, seller) in [("L1", "shop1"), ("L2", "shop2")] {
        let (s, b) = api(app, reqwest::Method::POST, "/api/v1/listings", &t.admin,
            json!({"id": id, "seller": seller, "title": format!("ACME shoes {id}"), "description": "cheap ACME", "category": "Shoes"})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
}

async fn security_headers_are_on_every_response(app: &TestApp) {
    for path in [
        "/login",
        "/",
        "/assets/app.css",
        "/api/v1/policy",
        "/healthz",
        "/no-such-page",
    ] {
        let resp = Client::new().get(app.url(path)).send().await.unwrap();
        let h = resp.headers();
        let csp = h
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(
            h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff",
            "{path}"
        );
        assert!(h.get(header::REFERRER_POLICY).is_some(), "{path}");
    }
    // The pages carry no inline script or style for the CSP to block.
    let login = Client::new()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !login.contains("<script") && !login.contains("style="),
        "{login}"
    );
}

async fn sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(app: &TestApp) {
    let mut b = Browser::new(app);
    let p = b.get("/").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location(), "/login");
    let form = b.get("/login").await;
    let before = b
        .cookie
        .clone()
        .expect("an anonymous session for the CSRF token");
    let cookie = p
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP test server: {cookie}"
    );
    let p = b
        .post(
            "/login",
            &[
                ("csrf", &form.csrf()),
                ("user", "rita"),
                ("password", "rita-password-1"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_ne!(
        b.cookie.as_ref(),
        Some(&before),
        "a new session id after sign-in (no fixation)"
    );
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("rita"), "{}", home.body);
    let csrf = home.csrf();
    let stolen = b.cookie.clone();
    let p = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    // The old cookie is dead on the server, not just forgotten by the browser.
    let mut thief = Browser::new(app);
    thief.cookie = stolen;
    assert_eq!(thief.get("/review").await.location(), "/login");
    // Wrong passwords and unknown users get the same answer.
    let mut b = Browser::new(app);
    let wrong = b.login("rita", "not-her-password").await;
    let unknown = b.login("nobody", "not-her-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong user or password"));
    assert!(
        wrong.body.contains("value=\"rita\""),
        "what was typed stays"
    );
}

async fn writes_without_the_token_or_from_elsewhere_are_refused(app: &TestApp) {
    let mut b = Browser::new(app);
    let csrf = b.get("/login").await.csrf();
    let p = b
        .post(
            "/login",
            &[("user", "rita"), ("password", "rita-password-1")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "no token");
    let p = b
        .post(
            "/login",
            &[
                ("csrf", "0".repeat(csrf.len()).as_str()),
                ("user", "rita"),
                ("password", "rita-password-1"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "wrong token");
    // The right token, sent from another site's page.
    let req = b
        .client
        .post(app.url("/login"))
        .header("sec-fetch-site", "cross-site")
        .header(header::COOKIE, b.cookie.clone().unwrap())
        .form(&[
            ("csrf", csrf.as_str()),
            ("user", "rita"),
            ("password", "rita-password-1"),
        ]);
    assert_eq!(
        req.send().await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "cross-site"
    );
    let req = b
        .client
        .post(app.url("/login"))
        .header(header::ORIGIN, "https://evil.example")
        .header(header::COOKIE, b.cookie.clone().unwrap())
        .form(&[
            ("csrf", csrf.as_str()),
            ("user", "rita"),
            ("password", "rita-password-1"),
        ]);
    assert_eq!(
        req.send().await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "foreign Origin"
    );
    // A signed-in user's write without the token changes nothing.
    let mut admin = Browser::signed_in(app, "adam").await;
    let before = app.state.app.now();
    let p = admin.post("/admin/clock", &[("days", "3")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(app.state.app.now(), before);
}

async fn repeated_failures_throttle_that_account_from_that_address_only(app: &TestApp) {
    let mut b = Browser::new(app);
    for _ in 0..5 {
        assert_eq!(
            b.login("sue", "guess-guess-guess").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let p = b.login("sue", "sue-password-1").await;
    assert_eq!(
        p.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    // Another account from the same address still signs in.
    assert_eq!(
        b.login("sam", "sam-password-2").await.status,
        StatusCode::SEE_OTHER
    );
}

async fn each_role_sees_only_its_own(app: &TestApp) {
    // The rights holder files a complaint through the pages.
    let mut alice = Browser::signed_in(app, "alice").await;
    let rights = alice.get("/rights").await;
    assert!(rights.body.contains("tm1"), "{}", rights.body);
    // Not verified yet: the complaint page says so.
    let p = alice.get("/complaints/new").await;
    assert!(p.body.contains("need a verified right"), "{}", p.body);
    let mut rita = Browser::signed_in(app, "rita").await;
    let q = rita.get("/review/rights").await;
    assert!(q.body.contains("tm1"));
    let p = rita
        .post(
            "/rights/tm1/decision",
            &[("csrf", &q.csrf()), ("decision", "verify")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let form = alice.get("/complaints/new").await;
    let csrf = form.csrf();
    // A mistake keeps what was typed and names the field.
    let p = alice
        .post_multipart(
            "/complaints/new",
            &[
                ("csrf", &csrf),
                ("id", "C1"),
                ("right", "tm1"),
                ("reason", "counterfeit"),
                ("listings", "L1, NOPE"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("id=\"listings-error\""), "{}", p.body);
    assert!(p.body.contains("L1, NOPE"), "what was typed stays");
    let p = alice
        .post_multipart(
            "/complaints/new",
            &[
                ("csrf", &csrf),
                ("id", "C1"),
                ("right", "tm1"),
                ("reason", "counterfeit"),
                ("listings", "L1"),
                (
                    "file:evidence",
                    "A capture of listing L1 showing the ACME mark.",
                ),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location(), "/complaints/C1");
    assert!(
        alice
            .get("/complaints")
            .await
            .body
            .contains("/complaints/C1")
    );
    // The reviewer sees it in the queue and takes it down, with a reason required to reject.
    let q = rita.get("/review").await;
    assert!(q.body.contains("/complaints/C1"), "{}", q.body);
    let page = rita.get("/complaints/C1").await;
    assert!(page.body.contains("accuracy record"), "{}", page.body);
    assert!(page.body.contains("The registered right"), "side by side");
    // Evidence opens from the page for the parties and staff, as an inert attachment.
    let at = page
        .body
        .find("href=\"/evidence/")
        .expect("an evidence link");
    let link = page.body[at + 6..].split('"').next().unwrap().to_owned();
    let file = rita.get(&link).await;
    assert_eq!(file.status, StatusCode::OK, "{link}");
    assert!(file.body.contains("ACME mark"));
    assert!(
        file.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert!(
        file.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert!(
        page.body.contains("complaint submitted"),
        "the history names its events: {}",
        page.body
    );
    assert!(
        page.body.contains("ACME shoes L1"),
        "the listing capture: {}",
        page.body
    );
    let csrf = page.csrf();
    let p = rita
        .post_multipart(
            "/complaints/C1",
            &[
                ("csrf", &csrf),
                ("listing", "L1"),
                ("action", "reject"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = rita
        .post_multipart(
            "/complaints/C1",
            &[("csrf", &csrf), ("listing", "L1"), ("action", "uphold")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // A refusal keeps its own status: a listing not in the complaint is
    // invalid (422), deciding a decided listing again is a conflict (409).
    let p = rita
        .post_multipart(
            "/complaints/C1",
            &[("csrf", &csrf), ("listing", "L9"), ("action", "uphold")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("is not part of complaint"), "{}", p.body);
    let p = rita
        .post_multipart(
            "/complaints/C1",
            &[("csrf", &csrf), ("listing", "L1"), ("action", "uphold")],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);
    // The seller of L1 sees it and may answer; the other seller and the other
    // rights holder get 404, exactly like for a complaint that does not exist.
    let mut sam = Browser::signed_in(app, "sam").await;
    let mine = sam.get("/complaints/C1").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(
        mine.body.contains("value=\"counter_notice\""),
        "{}",
        mine.body
    );
    assert!(sam.get("/complaints").await.body.contains("/complaints/C1"));
    // The evidence dossier is a link on the page, and a download for the seller.
    assert!(
        mine.body.contains("href=\"/complaints/C1/dossier.zip\""),
        "{}",
        mine.body
    );
    let zip = sam.get("/complaints/C1/dossier.zip").await;
    assert_eq!(zip.status, StatusCode::OK);
    let pdf = sam.get("/complaints/C1/dossier.pdf").await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with("%PDF-"));
    let mut sue = Browser::signed_in(app, "sue").await;
    assert_eq!(
        sue.get("/complaints/C1/dossier.zip").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sue.get("/complaints/C1").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sue.get("/complaints/NOPE").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sue.get(&link).await.status,
        StatusCode::NOT_FOUND,
        "evidence of others"
    );
    assert!(!sue.get("/complaints").await.body.contains("C1"));
    let mut bob = Browser::signed_in(app, "bob").await;
    assert_eq!(
        bob.get("/complaints/C1").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!bob.get("/rights").await.body.contains("tm1"));
    // Writes against what one may not see are 404 too.
    let csrf = sue.get("/").await.csrf();
    let p = sue
        .post_multipart(
            "/complaints/C1",
            &[
                ("csrf", &csrf),
                ("listing", "L1"),
                ("action", "counter_notice"),
                ("statement", "mine"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    // Staff pages are refused to others.
    assert_eq!(sam.get("/review").await.status, StatusCode::FORBIDDEN);
    assert_eq!(alice.get("/admin").await.status, StatusCode::FORBIDDEN);
    assert_eq!(rita.get("/admin").await.status, StatusCode::FORBIDDEN);
    // The seller's penalty record; the admin's page.
    assert_eq!(sam.get("/standing").await.status, StatusCode::OK);
    let mut adam = Browser::signed_in(app, "adam").await;
    let admin = adam.get("/admin").await;
    assert!(
        admin.body.contains("audit chain verifies"),
        "{}",
        admin.body
    );
}

async fn the_language_follows_the_switch_and_the_browser(app: &TestApp) {
    let mut b = Browser::new(app);
    b.lang = Some("zh-CN,zh;q=0.9,en;q=0.5");
    let p = b.get("/login").await;
    assert!(
        p.body.contains("登录") && p.body.contains("lang=\"zh-CN\""),
        "{}",
        p.body
    );
    let p = b.get("/lang/en?next=/login").await;
    assert_eq!(p.location(), "/login");
    let cookie = p
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("rg_lang=en"), "{cookie}");
    let p = b.get("/lang/zh?next=//evil.example").await;
    assert_eq!(p.location(), "/", "no open redirect");
    // Empty states are stated, in the language asked for.
    let mut bob = Browser::signed_in(app, "bob").await;
    bob.lang = Some("zh");
    let p = bob.get("/complaints").await;
    assert!(p.body.contains("暂无投诉"), "{}", p.body);
}

async fn account_dashboard_and_tokens(app: &TestApp) {
    // A user changes its own password; mistakes are named beside the field.
    let mut sam = Browser::signed_in(app, "sam").await;
    let csrf = sam.get("/account").await.csrf();
    let p = sam
        .post(
            "/account",
            &[
                ("csrf", &csrf),
                ("current", "wrong-one-here"),
                ("new", "sam-password-2"),
                ("repeat", "sam-password-2"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("id=\"current-error\""), "{}", p.body);
    let p = sam
        .post(
            "/account",
            &[
                ("csrf", &csrf),
                ("current", "sam-password-1"),
                ("new", "sam-password-2"),
                ("repeat", "sam-password-3"),
            ],
        )
        .await;
    assert!(p.body.contains("id=\"repeat-error\""), "{}", p.body);
    let p = sam
        .post(
            "/account",
            &[
                ("csrf", &csrf),
                ("current", "sam-password-1"),
                ("new", "sam-password-2"),
                ("repeat", "sam-password-2"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let mut again = Browser::new(app);
    assert_eq!(
        again.login("sam", "sam-password-2").await.status,
        StatusCode::SEE_OTHER
    );
    // The rights holder's figures.
    let mut alice = Browser::signed_in(app, "alice").await;
    let home = alice.get("/").await;
    assert!(
        home.body.contains("Takedowns that held") && home.body.contains("<meter"),
        "{}",
        home.body
    );
    // Its last 12 weeks as bars: C1 filed and taken down this week.
    let now = app.state.app.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let monday = now
        .checked_sub(jiff::Span::new().days(i64::from(now.weekday().to_monday_zero_offset())))
        .unwrap();
    let label = monday.strftime("%m-%d").to_string();
    let chart = |key: &str| {
        let at = home
            .body
            .find(&format!("id=\"w-{key}-t\""))
            .unwrap_or_else(|| panic!("chart {key}: {}", home.body));
        let rest = &home.body[at..];
        rest[..rest.find("</svg>").unwrap()].to_owned()
    };
    for key in ["weekly_complaints", "weekly_takedowns", "weekly_findings"] {
        assert_eq!(chart(key).matches("<g><title>").count(), 12, "{key}");
        assert!(chart(key).contains(&format!("<title>{label}: ")), "{key}");
    }
    for key in ["weekly_complaints", "weekly_takedowns"] {
        assert!(
            !chart(key).contains(&format!("<title>{label}: 0</title>")),
            "{key}: {}",
            chart(key)
        );
    }
    assert!(
        !sam.get("/").await.body.contains("weekly_complaints"),
        "holders only"
    );
    // The admin issues a token on the page (shown once) and revokes it.
    let mut adam = Browser::signed_in(app, "adam").await;
    let csrf = adam.get("/admin").await.csrf();
    let p = adam
        .post("/admin/tokens", &[("csrf", &csrf), ("user", "bob")])
        .await;
    let at = p.body.find("rg_").expect("the new token, once");
    let token: String = p.body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let id_at = p.body.find("(tok_").unwrap();
    let id: String = p.body[id_at + 1..]
        .chars()
        .take_while(|c| *c != ')')
        .collect();
    let (s, _) = api(app, reqwest::Method::GET, "/api/v1/me", &token, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let p = adam
        .post("/admin/tokens/revoke", &[("csrf", &csrf), ("id", &id)])
        .await;
    assert!(p.body.contains("revoked"), "{}", p.body);
    let (s, _) = api(app, reqwest::Method::GET, "/api/v1/me", &token, json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn inbox_and_notification_settings(app: &TestApp) {
    use rightsguard_domain::ids::OrgId;
    use rightsguard_domain::notification::{NotificationKind, Params};
    use rightsguard_store::notifications::NotificationStore as _;
    // bob has nothing: the empty state, no count in the menu.
    let mut bob = Browser::signed_in(app, "bob").await;
    let p = bob.get("/notifications").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("No notifications yet"), "{}", p.body);
    assert!(!p.body.contains("badge unread"), "{}", p.body);
    // shop1 is told of a takedown.
    let params = Params {
        complaint: Some("CW1".into()),
        listing: Some("L1".into()),
        due: Some(app.state.app.now()),
        ..Params::default()
    };
    app.state
        .app
        .store()
        .notify_orgs(
            &[OrgId::parse("shop1").unwrap()],
            NotificationKind::ComplaintAgainstListing,
            &params,
            "web-test",
            app.state.app.now(),
        )
        .await
        .unwrap();
    let mut sam = Browser::signed_in(app, "sam").await;
    let home = sam.get("/").await;
    assert!(
        home.body.contains("href=\"/notifications\""),
        "{}",
        home.body
    );
    assert!(home.body.contains("badge unread"), "{}", home.body);
    let p = sam.get("/notifications").await;
    assert!(
        p.body.contains("Your listing L1 was taken down"),
        "{}",
        p.body
    );
    assert!(p.body.contains("/complaints/CW1"), "{}", p.body);
    sam.lang = Some("zh");
    let p = sam.get("/notifications").await;
    assert!(p.body.contains("已被下架"), "{}", p.body);
    assert!(p.body.contains("全部标为已读"), "{}", p.body);
    sam.lang = None;
    // bob still has nothing: it was shop1's.
    assert!(
        bob.get("/notifications")
            .await
            .body
            .contains("No notifications yet")
    );
    // Marking read needs the form's token.
    let csrf = p.csrf();
    let refused = sam.post("/notifications/read", &[("csrf", "forged")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let done = sam.post("/notifications/read", &[("csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), "/notifications");
    let p = sam.get("/notifications?unread=1").await;
    assert!(p.body.contains("Nothing unread."), "{}", p.body);
    assert!(!p.body.contains("badge unread"), "{}", p.body);
    // The settings form: a bad address is refused beside its field; a good
    // one is saved with the boxes as ticked.
    let form = sam.get("/notifications/settings").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("email_deadline_soon"), "{}", form.body);
    // A seller is offered only the kinds that can reach a seller.
    assert!(!form.body.contains("email_right_expiring"), "{}", form.body);
    assert!(
        !form.body.contains("email_complaint_decided"),
        "{}",
        form.body
    );
    let csrf = form.csrf();
    let bad = sam
        .post(
            "/notifications/settings",
            &[
                ("csrf", &csrf),
                ("language", "en"),
                ("email", "sam at shop1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("not an e-mail address"), "{}", bad.body);
    assert!(bad.body.contains("sam at shop1"), "{}", bad.body);
    let forged = sam
        .post(
            "/notifications/settings",
            &[("csrf", "forged"), ("language", "zh")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let ok = sam
        .post(
            "/notifications/settings",
            &[
                ("csrf", &csrf),
                ("language", "zh"),
                ("email", "sam@shop1.example"),
                ("email_deadline_soon", "1"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(ok.body.contains("Settings saved."), "{}", ok.body);
    let (st, v) = api(
        app,
        reqwest::Method::GET,
        "/api/v1/me/notification-settings",
        &app.tokens.seller,
        Value::Null,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["language"], "zh");
    assert_eq!(v["email"], "sam@shop1.example");
    let mailed: Vec<&str> = v["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["email"] == true)
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    // The seller's kinds as ticked; the others (never sent to a seller) as they were.
    assert_eq!(
        mailed,
        [
            "complaint_decided",
            "counter_notice_to_answer",
            "deadline_soon",
            "right_expiring",
            "customs_recordal_lapsing"
        ]
    );
}

async fn transparency_report_page(app: &TestApp) {
    // Staff read it: C1's takedown (each_role_sees_only_its_own) is in it.
    let mut rita = Browser::signed_in(app, "rita").await;
    let p = rita.get("/admin/transparency").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("Notices by type"), "{}", p.body);
    assert!(
        p.body.contains("<title>Counterfeit: 1</title>"),
        "the counts' labels are translated: {}",
        p.body
    );
    assert!(
        p.body.contains("<th scope=\"row\">Rights holders</th>"),
        "notices by source: {}",
        p.body
    );
    assert!(p.body.contains("role=\"img\""), "{}", p.body);
    assert!(
        p.body.contains("href=\"/admin/transparency\""),
        "in the menu"
    );
    assert!(!p.body.contains("style="), "the CSP forbids inline style");
    // A period with nothing in it says so.
    let p = rita
        .get("/admin/transparency?from=2001-01-01&to=2001-01-31")
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Nothing in this period."), "{}", p.body);
    assert!(!p.body.contains("Counterfeit: 1"), "{}", p.body);
    // A bad date is named beside its field and what was typed stays.
    let p = rita
        .get("/admin/transparency?from=2026-02-30&to=soon")
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("id=\"from-error\""), "{}", p.body);
    assert!(p.body.contains("id=\"to-error\""), "{}", p.body);
    assert!(p.body.contains("value=\"2026-02-30\""), "{}", p.body);
    assert!(p.body.contains("value=\"soon\""), "{}", p.body);
    let p = rita
        .get("/admin/transparency?from=2026-02-02&to=2026-02-01")
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("before the start date"), "{}", p.body);
    // The downloads, under the session, match the API's report.
    let page = rita.get("/admin/transparency").await;
    let i = page.body.find("/admin/transparency/export?").unwrap();
    let link = page.body[i..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let csv = rita.get(&link).await;
    assert_eq!(csv.status, StatusCode::OK, "{link}");
    assert!(
        csv.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.body.contains("counterfeit"), "{}", csv.body);
    let json = rita.get(&link.replace("format=csv", "format=json")).await;
    let v: Value =
        serde_json::from_str(&json.body).unwrap_or_else(|e| panic!("{e}: {}", json.body));
    assert_eq!(v["notices"]["by_type"][0]["key"], "counterfeit", "{v}");
    // In Chinese too.
    rita.lang = Some("zh");
    let zh = rita.get("/admin/transparency").await.body;
    assert!(zh.contains("按类型统计的通知"), "{zh}");
    assert!(zh.contains("<title>假冒: 1</title>"), "{zh}");
    // The admin reads it; a rights holder or a seller may not, whatever it types.
    let mut adam = Browser::signed_in(app, "adam").await;
    assert_eq!(adam.get("/admin/transparency").await.status, StatusCode::OK);
    let mut alice = Browser::signed_in(app, "alice").await;
    for path in [
        "/admin/transparency",
        "/admin/transparency?from=nope",
        "/admin/transparency/export?format=json",
    ] {
        assert_eq!(
            alice.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let mut sam = Browser::signed_in(app, "sam").await;
    assert_eq!(
        sam.get("/admin/transparency").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        !sam.get("/").await.body.contains("/admin/transparency"),
        "not in its menu"
    );
}

async fn art23_cases_and_calendars_pages(app: &TestApp) {
    use rightsguard_domain::ids::OrgId;
    use rightsguard_domain::notifier::AbuseCase;
    use rightsguard_store::notifiers::NotifierStore as _;
    let mut adam = Browser::signed_in(app, "adam").await;
    // No case yet: the empty state.
    let p = adam.get("/admin/notifiers").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("No open cases."), "{}", p.body);
    assert!(p.body.contains("href=\"/admin/notifiers\""), "in the menu");
    // A notifier referred for a decision shows, with the form that decides it.
    app.refer_notifier_for_decision("noisyco").await.unwrap();
    let p = adam.get("/admin/notifiers").await;
    assert!(p.body.contains("noisyco"), "{}", p.body);
    assert!(p.body.contains("Awaiting a decision"), "{}", p.body);
    assert!(
        p.body
            .contains("action=\"/admin/notifiers/noisyco/decision\""),
        "a decision form: {}",
        p.body
    );
    assert!(p.body.contains("Suspend for 30 days"), "{}", p.body);
    let mut rita = Browser::signed_in(app, "rita").await;
    assert!(rita.get("/admin/notifiers").await.body.contains("noisyco"));
    // A decision needs a reason: the error beside the field, the choice undone.
    let csrf = p.csrf();
    let back = adam
        .post(
            "/admin/notifiers/noisyco/decision",
            &[("csrf", &csrf), ("action", "suspend"), ("reason", "  ")],
        )
        .await;
    assert_eq!(
        back.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        back.body
    );
    assert!(
        back.body.contains("id=\"reason-err-noisyco\""),
        "{}",
        back.body
    );
    // Rights holders may not decide, whatever they send.
    let mut alice = Browser::signed_in(app, "alice").await;
    let mut bob = Browser::signed_in(app, "bob").await;
    for b in [&mut alice, &mut bob] {
        let csrf = b.get("/").await.csrf();
        let p = b
            .post(
                "/admin/notifiers/noisyco/decision",
                &[("csrf", &csrf), ("action", "suspend"), ("reason", "mine")],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    }
    // The reviewer suspends; the case shows as suspended with its end.
    let csrf = rita.get("/admin/notifiers").await.csrf();
    let p = rita
        .post(
            "/admin/notifiers/noisyco/decision",
            &[
                ("csrf", &csrf),
                ("action", "suspend"),
                ("reason", "Forty notices, thirty manifestly unfounded."),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = adam.get("/admin/notifiers").await;
    assert!(p.body.contains("Suspended until"), "{}", p.body);
    assert!(
        !p.body.contains("/admin/notifiers/noisyco/decision"),
        "{}",
        p.body
    );
    let case = app
        .state
        .app
        .store()
        .notifier_case(&OrgId::parse("noisyco").unwrap())
        .await
        .unwrap()
        .unwrap()
        .value;
    assert!(matches!(case, AbuseCase::Suspended { .. }), "{case:?}");
    // Deciding again: the case no longer awaits a decision (409), said so.
    let csrf = csrf_of(&mut adam).await;
    let p = adam
        .post(
            "/admin/notifiers/noisyco/decision",
            &[("csrf", &csrf), ("action", "dismiss"), ("reason", "late")],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);
    assert!(p.body.contains("no longer awaits a decision"), "{}", p.body);
    // The calendars: CN's years with data, next year's missing data flagged.
    let p = adam.get("/admin/calendars").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("Asia/Shanghai"), "{}", p.body);
    assert!(p.body.contains("<li class=\"ok\">2019 "), "{}", p.body);
    let next = app.state.app.now().to_zoned(jiff::tz::TimeZone::UTC).year() + 1;
    assert!(
        p.body.contains(&format!(
            "<li class=\"missing\">{next} ✗ no holiday data</li>"
        )),
        "{}",
        p.body
    );
    assert!(p.body.contains("Weekends only by design"), "EU and UTC");
    adam.lang = Some("zh");
    assert!(
        adam.get("/admin/calendars")
            .await
            .body
            .contains("缺少节假日数据")
    );
    // Not for rights holders or sellers.
    for path in ["/admin/notifiers", "/admin/calendars"] {
        assert_eq!(
            alice.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(bob.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
}

/// The reviewer's complaint page: the registered mark's matches highlighted in
/// the listing text (escaped: the seller writes that text), the mark beside
/// it; the seller sees its listing without the mark's highlights.
async fn complaint_page_explains_the_match(app: &TestApp) {
    let t = &app.tokens;
    let (s, b) = api(
        app,
        reqwest::Method::PUT,
        "/api/v1/rights/tm1/marks",
        &t.holder,
        json!({"mark": "ACME", "aliases": ["艾克米"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = api(app, reqwest::Method::POST, "/api/v1/listings", &t.admin,
        json!({"id": "L9", "seller": "shop1",
               "title": "<script>alert('x')</script> A.C.M.E trainers",
               "description": "Not ACME-made, but 艾克米 style. <b>cheap</b>", "category": "Shoes"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = api(app, reqwest::Method::POST, "/api/v1/complaints", &t.holder,
        json!({"id": "CM1", "right": "tm1", "reason": "counterfeit", "evidence": [evidence(app, "capture of L9").await],
               "listings": [{"id": "L9", "seller": "shop1", "category_classes": [25]}]})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let mut rita = Browser::signed_in(app, "rita").await;
    let p = rita.get("/complaints/CM1").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    // The registered mark beside the capture, with its other spellings.
    assert!(p.body.contains("Registered mark"), "{}", p.body);
    assert!(
        p.body.contains("<p class=\"title mark-text\">ACME</p>"),
        "{}",
        p.body
    );
    assert!(p.body.contains("艾克米"), "{}", p.body);
    // Each occurrence is a <mark>; the listing's markup stays text.
    assert!(p.body.contains(">A.C.M.E</mark> trainers"), "{}", p.body);
    assert!(p.body.contains(">ACME</mark>-made"), "{}", p.body);
    assert!(p.body.contains(">艾克米</mark> style"), "{}", p.body);
    assert!(!p.body.contains("<script>alert"), "{}", p.body);
    assert!(!p.body.contains("<b>cheap</b>"), "{}", p.body);
    assert!(
        p.body.contains("&#60;script&#62;") || p.body.contains("&lt;script&gt;"),
        "{}",
        p.body
    );
    // The explanation list names how each matched.
    assert!(
        p.body.contains("Where the mark occurs in the listing"),
        "{}",
        p.body
    );
    assert!(p.body.contains("spaced out"), "A.C.M.E: {}", p.body);
    // The notifier's accuracy record beside it.
    assert!(p.body.contains("accuracy record"), "{}", p.body);
    // In Chinese.
    rita.lang = Some("zh");
    let zh = rita.get("/complaints/CM1").await.body;
    assert!(zh.contains("商标在商品信息中出现的位置"), "{zh}");
    // The seller sees its listing, not the brand's marks.
    let mut sam = Browser::signed_in(app, "sam").await;
    let p = sam.get("/complaints/CM1").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("A.C.M.E trainers"), "{}", p.body);
    assert!(!p.body.contains("<mark"), "{}", p.body);
    assert!(!p.body.contains("Registered mark"), "{}", p.body);
}

/// Block terms through the pages: asked for by the rights holder (errors
/// beside the fields, what was typed kept), approved or rejected by the
/// admin (a reason to reject), lifted by the owner; reviewers read; sellers 403.
async fn blocklist_pages(app: &TestApp) {
    let mut alice = Browser::signed_in(app, "alice").await;
    let p = alice.get("/blocklist").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        p.body.contains("No block terms yet"),
        "empty state: {}",
        p.body
    );
    assert!(p.body.contains("<option value=\"tm1\""), "{}", p.body);
    let csrf = p.csrf();
    // Too short: the domain's reason beside the term, the term kept.
    let p = alice
        .post(
            "/blocklist",
            &[("csrf", &csrf), ("right", "tm1"), ("term", "A")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("id=\"bt-term-err\""), "{}", p.body);
    assert!(p.body.contains("value=\"A\""), "{}", p.body);
    // Someone else's right: beside the right.
    let p = alice
        .post(
            "/blocklist",
            &[("csrf", &csrf), ("right", "tm-nope"), ("term", "ACME")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("id=\"bt-right-err\""), "{}", p.body);
    for term in ["ACME", "ACM3"] {
        let p = alice
            .post(
                "/blocklist",
                &[("csrf", &csrf), ("right", "tm1"), ("term", term)],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    }
    let p = alice.get("/blocklist").await;
    assert!(p.body.contains("Awaiting an admin"), "{}", p.body);
    assert!(
        !p.body.contains("value=\"approve\""),
        "owners do not approve"
    );
    let id_of = |body: &str, term: &str| -> String {
        let at = body.find(&format!("<h3>{term} ")).unwrap();
        let start = body[..at].rfind("id=\"term-").unwrap() + 9;
        body[start..].split('"').next().unwrap().to_owned()
    };
    let acme = id_of(&p.body, "ACME");
    let acm3 = id_of(&p.body, "ACM3");
    // An owner's approve is refused by the rules (403), whatever it sends.
    let p = alice
        .post(
            &format!("/blocklist/{acme}"),
            &[("csrf", &csrf), ("action", "approve")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    // The admin: reject needs a reason; approve; reject with one.
    let mut adam = Browser::signed_in(app, "adam").await;
    let page = adam.get("/blocklist").await;
    assert!(page.body.contains("value=\"approve\""), "{}", page.body);
    let csrf = page.csrf();
    let p = adam
        .post(
            &format!("/blocklist/{acm3}"),
            &[("csrf", &csrf), ("action", "reject"), ("reason", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(
        p.body.contains(&format!("id=\"bt-reason-err-{acm3}\"")),
        "{}",
        p.body
    );
    let p = adam
        .post(
            &format!("/blocklist/{acme}"),
            &[("csrf", &csrf), ("action", "approve")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = adam
        .post(
            &format!("/blocklist/{acm3}"),
            &[
                ("csrf", &csrf),
                ("action", "reject"),
                ("reason", "A typo of the mark."),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = adam.get("/blocklist").await;
    assert!(p.body.contains("In force"), "{}", p.body);
    assert!(p.body.contains("A typo of the mark."), "{}", p.body);
    // Approving twice: the term changed meanwhile (409), said so.
    let p = adam
        .post(
            &format!("/blocklist/{acme}"),
            &[("csrf", &csrf), ("action", "approve")],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);
    assert!(p.body.contains("changed meanwhile"), "{}", p.body);
    // The approved term holds a new listing with it (the blocklist is live).
    let (s, b) = api(app, reqwest::Method::POST, "/api/v1/listings", &app.tokens.admin,
        json!({"id": "LB1", "seller": "shop2", "title": "ACME boots", "description": "new", "category": "Shoes"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert!(b.to_string().contains("held"), "{b}");
    // Reviewers read it; sellers are refused.
    let mut rita = Browser::signed_in(app, "rita").await;
    let p = rita.get("/blocklist").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("ACME") && !p.body.contains("value=\"approve\""),
        "{}",
        p.body
    );
    let mut sam = Browser::signed_in(app, "sam").await;
    assert_eq!(sam.get("/blocklist").await.status, StatusCode::FORBIDDEN);
    // The owner lifts its own term with a reason; in Chinese the states read so.
    let csrf = csrf_of(&mut alice).await;
    let p = alice
        .post(
            &format!("/blocklist/{acme}"),
            &[
                ("csrf", &csrf),
                ("action", "lift"),
                ("reason", "Licensing deal."),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    alice.lang = Some("zh");
    let zh = alice.get("/blocklist").await.body;
    assert!(zh.contains("已解除") && zh.contains("屏蔽词"), "{zh}");
}

/// Brand authorisations: the holder puts one on file with its evidence
/// (errors beside the fields, what was typed kept); the seller named sees
/// it; another seller does not.
async fn authorisations_pages(app: &TestApp) {
    let mut sam = Browser::signed_in(app, "sam").await;
    let p = sam.get("/authorisations").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        p.body.contains("No brand has authorised you yet"),
        "{}",
        p.body
    );
    assert!(
        !p.body.contains("action=\"/authorisations\""),
        "sellers do not grant"
    );
    let mut alice = Browser::signed_in(app, "alice").await;
    let p = alice.get("/authorisations").await;
    let csrf = p.csrf();
    // No evidence, a bad date: both beside their fields, the seller kept.
    let p = alice
        .post_multipart(
            "/authorisations",
            &[
                ("csrf", &csrf),
                ("seller", "shop1"),
                ("right", "tm1"),
                ("valid_until", "soon"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("id=\"au-evidence-err\""), "{}", p.body);
    assert!(p.body.contains("id=\"au-until-err\""), "{}", p.body);
    assert!(p.body.contains("value=\"shop1\""), "{}", p.body);
    // Not a seller: said beside the seller.
    let p = alice
        .post_multipart(
            "/authorisations",
            &[
                ("csrf", &csrf),
                ("seller", "rival"),
                ("right", "tm1"),
                ("file:evidence", "Licence"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("id=\"au-seller-err\""), "{}", p.body);
    let p = alice
        .post_multipart(
            "/authorisations",
            &[
                ("csrf", &csrf),
                ("seller", "shop1"),
                ("right", "tm1"),
                ("valid_until", "2099-12-31"),
                ("file:evidence", "Licence agreement ACME - shop1, 2026."),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = alice.get("/authorisations").await;
    assert!(
        p.body.contains("2099-12-31") && p.body.contains("shop1"),
        "{}",
        p.body
    );
    let p = sam.get("/authorisations").await;
    assert!(
        p.body.contains("tm1") && p.body.contains("Valid"),
        "{}",
        p.body
    );
    assert!(
        !p.body.contains("href=\"/evidence/"),
        "the licence is the holder's file"
    );
    assert!(
        !p.body.contains("/revoke\""),
        "the seller named does not revoke"
    );
    let mut sue = Browser::signed_in(app, "sue").await;
    assert!(!sue.get("/authorisations").await.body.contains("tm1"));
    // The holder revokes it: a reason is required (said beside the field),
    // then it shows as revoked to both sides and offers no revoke again.
    let p = alice.get("/authorisations").await;
    let at = p.body.find("/revoke\"").expect("a revoke form");
    let start = p.body[..at].rfind("/authorisations/").unwrap();
    let action = p.body[start..at + "/revoke".len()].to_owned();
    let csrf = p.csrf();
    let r = alice
        .post(&action, &[("csrf", &csrf), ("reason", " ")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("au-reason-err-"), "{}", r.body);
    let r = alice
        .post(&action, &[("csrf", &csrf), ("reason", "Licence ended.")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = alice.get("/authorisations").await;
    assert!(
        p.body.contains("Revoked") && !p.body.contains("/revoke\""),
        "{}",
        p.body
    );
    assert!(sam.get("/authorisations").await.body.contains("Revoked"));
    // Revoking again (a stale page): refused with the rule's 409.
    let r = alice
        .post(&action, &[("csrf", &csrf), ("reason", "twice")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

/// Internal complaints (DSA Art. 20) on the complaint page: the seller
/// challenges a takedown (grounds required), a reviewer other than the one
/// who decided reverses it, the listing is reinstated.
async fn internal_complaints_on_the_complaint_page(app: &TestApp) {
    let t = &app.tokens;
    let (s, b) = api(app, reqwest::Method::POST, "/api/v1/complaints", &t.holder,
        json!({"id": "CI1", "right": "tm1", "reason": "counterfeit", "evidence": [evidence(app, "capture of L2").await],
               "listings": [{"id": "L2", "seller": "shop2", "category_classes": [25]}]})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let mut rita = Browser::signed_in(app, "rita").await;
    let csrf = csrf_of(&mut rita).await;
    let p = rita
        .post_multipart(
            "/complaints/CI1",
            &[("csrf", &csrf), ("listing", "L2"), ("action", "uphold")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let mut sue = Browser::signed_in(app, "sue").await;
    let p = sue.get("/complaints/CI1").await;
    assert!(
        p.body.contains("value=\"internal_complaint\""),
        "{}",
        p.body
    );
    let csrf = p.csrf();
    let p = sue
        .post_multipart(
            "/complaints/CI1",
            &[
                ("csrf", &csrf),
                ("listing", "L2"),
                ("action", "internal_complaint"),
                ("grounds", " "),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("field-error"), "{}", p.body);
    let p = sue
        .post_multipart(
            "/complaints/CI1",
            &[
                ("csrf", &csrf),
                ("listing", "L2"),
                ("action", "internal_complaint"),
                (
                    "grounds",
                    "These are genuine ACME shoes bought from the distributor.",
                ),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = sue.get("/complaints/CI1").await;
    assert!(
        p.body.contains("Internal complaints") && p.body.contains("Awaiting a decision"),
        "{}",
        p.body
    );
    assert!(
        !p.body.contains("value=\"internal_complaint\""),
        "one at a time"
    );
    // The seller may not decide it.
    let p = sue
        .post_multipart(
            "/complaints/CI1",
            &[
                ("csrf", &csrf),
                ("listing", "L2"),
                ("action", "internal_reverse"),
                ("reason", "mine"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    // The one who decided is not offered it: another staff member decides.
    let p = rita.get("/complaints/CI1").await;
    assert!(!p.body.contains("value=\"internal_reverse\""), "{}", p.body);
    let mut adam = Browser::signed_in(app, "adam").await;
    let p = adam.get("/complaints/CI1").await;
    assert!(p.body.contains("value=\"internal_reverse\""), "{}", p.body);
    let csrf = p.csrf();
    let p = adam
        .post_multipart(
            "/complaints/CI1",
            &[
                ("csrf", &csrf),
                ("listing", "L2"),
                ("action", "internal_reverse"),
                ("reason", "The invoice shows an authorised distributor."),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = sue.get("/complaints/CI1").await;
    assert!(
        p.body.contains("Decision reversed") && p.body.contains("Reinstated"),
        "{}",
        p.body
    );
}

/// The admin's policy profiles, token list and exports page; the roles
/// that may not see them.
async fn policies_tokens_and_exports_pages(app: &TestApp) {
    let mut adam = Browser::signed_in(app, "adam").await;
    let p = adam.get("/admin/policies").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("aliexpress+dsa"), "{}", p.body);
    assert!(p.body.contains("in use"), "{}", p.body);
    assert!(
        p.body
            .contains("<code>complaints.review_sla_business_days</code>"),
        "{}",
        p.body
    );
    let p = adam.get("/admin/policies?name=aliexpress%2Bdsa").await;
    assert!(
        p.body.contains("<code>dsa.art23_suspension_days</code>"),
        "{}",
        p.body
    );
    let p = adam.get("/admin/policies?name=nope").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "{}", p.body);
    assert!(p.body.contains("role=\"alert\""), "{}", p.body);
    let mut alice = Browser::signed_in(app, "alice").await;
    assert_eq!(
        alice.get("/admin/policies").await.status,
        StatusCode::FORBIDDEN
    );
    // The tokens: listed newest first, each active one with its revoke button.
    let admin = adam.get("/admin").await;
    assert!(admin.body.contains("API tokens"), "{}", admin.body);
    let holder_token = &app.tokens.holder_token_id;
    assert!(
        admin.body.contains(&format!("<code>{holder_token}</code>")),
        "{}",
        admin.body
    );
    assert!(
        admin
            .body
            .contains(&format!("name=\"id\" value=\"{holder_token}\"")),
        "{}",
        admin.body
    );
    // Exports under the session: what each role may have.
    let p = adam.get("/exports").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    for link in [
        "/exports/dsa-statements.json",
        "/exports/lumen?format=csv",
        "/exports/complaints.csv",
        "/admin/transparency/export?format=csv",
    ] {
        assert!(
            p.body
                .contains(&format!("href=\"{}\"", link.replace('&', "&#38;")))
                || p.body.contains(link),
            "{link}: {}",
            p.body
        );
    }
    let csv = adam.get("/exports/complaints.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with("complaint_id,"), "{}", csv.body);
    assert!(csv.body.contains("C1"), "{}", csv.body);
    let dsa = adam.get("/exports/dsa-statements.json").await;
    assert_eq!(dsa.status, StatusCode::OK);
    let v: Value = serde_json::from_str(&dsa.body).unwrap();
    assert!(!v.as_array().unwrap().is_empty(), "C1's takedown: {v}");
    let lumen = alice.get("/exports/lumen?format=json").await;
    assert_eq!(lumen.status, StatusCode::OK, "{}", lumen.body);
    assert_eq!(
        alice.get("/exports/lumen?format=xml").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut sam = Browser::signed_in(app, "sam").await;
    let p = sam.get("/exports").await;
    assert!(!p.body.contains("/exports/complaints.csv"), "{}", p.body);
    assert_eq!(
        sam.get("/exports/complaints.csv").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        sam.get("/exports/dsa-statements.json").await.status,
        StatusCode::OK
    );
    sam.lang = Some("zh");
    assert!(sam.get("/exports").await.body.contains("DSA 决定理由说明"));
}

/// An agent with two principals picks the one it acts for; its rights and
/// complaints follow; a choice without a power of attorney is refused.
async fn agent_picks_its_principal(app: &TestApp) {
    let t = &app.tokens;
    let (s, b) = api(
        app,
        reqwest::Method::POST,
        "/api/v1/powers-of-attorney",
        &t.admin,
        json!({"agent": "agency", "principal": "rival"}),
    )
    .await;
    assert!(s.is_success(), "{s} {b}");
    let (s, b) = api(app, reqwest::Method::POST, "/api/v1/rights", &t.rival,
        json!({"id": "tm-rival", "kind": "trademark", "jurisdiction": "CN", "registration_number": "777",
               "nice_classes": [25], "valid_from": "2020-01-01", "certificates": ["77".repeat(32)]})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = api(
        app,
        reqwest::Method::POST,
        "/api/v1/rights/tm-rival/decision",
        &t.reviewer,
        json!({"command": "verify"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut ann = Browser::signed_in(app, "ann").await;
    let p = ann.get("/complaints/new").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("Acting for"), "{}", p.body);
    assert!(p.body.contains("<option value=\"rival\">"), "{}", p.body);
    assert!(
        p.body.contains("value=\"tm1\"") && !p.body.contains("value=\"tm-rival\""),
        "acme's rights first: {}",
        p.body
    );
    let csrf = p.csrf();
    // No power of attorney from shop1: refused, the choice unchanged.
    let r = ann
        .post(
            "/principal",
            &[
                ("csrf", &csrf),
                ("principal", "shop1"),
                ("next", "/complaints/new"),
            ],
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.body);
    let r = ann
        .post(
            "/principal",
            &[
                ("csrf", &csrf),
                ("principal", "rival"),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/", "no open redirect");
    let p = ann.get("/complaints/new").await;
    assert!(
        p.body.contains("value=\"tm-rival\"") && !p.body.contains("value=\"tm1\""),
        "{}",
        p.body
    );
    assert!(
        p.body.contains("→ rival"),
        "the header says for whom: {}",
        p.body
    );
    // A complaint filed now is rival's.
    let p = ann
        .post_multipart(
            "/complaints/new",
            &[
                ("csrf", &csrf),
                ("id", "CA1"),
                ("right", "tm-rival"),
                ("reason", "counterfeit"),
                ("listings", "L1"),
                ("file:evidence", "A capture of L1."),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let (s, b) = api(
        app,
        reqwest::Method::GET,
        "/api/v1/complaints/CA1",
        &t.rival,
        json!(null),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["complainant"], "rival", "{b}");
    assert_eq!(b["filed_by"], "agency", "{b}");
    // Only agents choose.
    let mut alice = Browser::signed_in(app, "alice").await;
    let csrf = csrf_of(&mut alice).await;
    let r = alice
        .post("/principal", &[("csrf", &csrf), ("principal", "rival")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

/// Uploads `text` as alice's evidence; its SHA-256.
async fn evidence(app: &TestApp, text: &str) -> String {
    let resp = Client::new()
        .post(app.url("/api/v1/evidence"))
        .bearer_auth(&app.tokens.holder)
        .header("content-type", "text/plain")
        .body(text.to_owned())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let v: Value = resp.json().await.unwrap();
    v["sha256"].as_str().unwrap().to_owned()
}

/// The CSRF token of a signed-in browser's session (from its home page).
async fn csrf_of(b: &mut Browser<'_>) -> String {
    b.get("/").await.csrf()
}

async fn customs_and_escalation_pages(app: &TestApp) {
    let mut alice = Browser::signed_in(app, "alice").await;
    // The rights page links a China right's recordals; none yet.
    assert!(
        alice
            .get("/rights")
            .await
            .body
            .contains("href=\"/rights/tm1/customs\"")
    );
    let p = alice.get("/rights/tm1/customs").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("id=\"no-recordals\""), "{}", p.body);
    // Approved before the right's term: refused beside the date, nothing typed lost.
    let csrf = p.csrf();
    let p = alice
        .post(
            "/rights/tm1/customs",
            &[
                ("csrf", &csrf),
                ("number", "T-2019-1"),
                ("approved_on", "2019-01-01"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("id=\"approved_on-error\""), "{}", p.body);
    assert!(p.body.contains("value=\"T-2019-1\""), "{}", p.body);
    assert!(p.body.contains("value=\"2019-01-01\""), "{}", p.body);
    let p = alice
        .post(
            "/rights/tm1/customs",
            &[
                ("csrf", &csrf),
                ("number", "T-2021-1"),
                ("approved_on", "2021-05-06"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = alice.get("/rights/tm1/customs").await;
    assert!(
        p.body.contains("T-2021-1") && p.body.contains("2031-05-06"),
        "{}",
        p.body
    );
    // The same number again: beside the number.
    let p = alice
        .post(
            "/rights/tm1/customs",
            &[
                ("csrf", &csrf),
                ("number", "T-2021-1"),
                ("approved_on", "2021-05-07"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("id=\"number-error\""), "{}", p.body);
    // Without the token: refused.
    let p = alice
        .post(
            "/rights/tm1/customs",
            &[("number", "T-2021-2"), ("approved_on", "2021-05-07")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    // A renewal before its window: the reason beside that recordal's date.
    let p = alice
        .post(
            "/rights/tm1/customs/T-2021-1/renew",
            &[("csrf", &csrf), ("renewed_on", "2026-03-01")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(
        p.body.contains("id=\"renewed_on-T-2021-1-error\""),
        "{}",
        p.body
    );
    // In Chinese.
    alice.lang = Some("zh");
    assert!(
        alice
            .get("/rights/tm1/customs")
            .await
            .body
            .contains("海关知识产权备案")
    );
    alice.lang = None;
    // Another holder: no such right.
    let mut bob = Browser::signed_in(app, "bob").await;
    assert_eq!(
        bob.get("/rights/tm1/customs").await.status,
        StatusCode::NOT_FOUND
    );

    // The complaint page links its escalation page: packages and proceedings.
    assert!(
        alice
            .get("/complaints/C1")
            .await
            .body
            .contains("href=\"/complaints/C1/escalation\"")
    );
    let p = alice.get("/complaints/C1/escalation").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("id=\"no-proceedings\""), "{}", p.body);
    assert!(
        p.body
            .contains("/complaints/C1/escalation-package.zip?route=lawsuit")
    );
    let csrf = p.csrf();
    let filed = [
        ("csrf", csrf.as_str()),
        ("route", "lawsuit"),
        ("authority", "Hangzhou Internet Court"),
        ("reference", "(2026) Zhe 0192 Min Chu 17"),
        ("filed_on", "2026-03-02"),
    ];
    // An outcome without its date: said beside the date, the rest kept.
    let mut half = filed.to_vec();
    half.push(("outcome", "settled"));
    let p = alice.post("/complaints/C1/escalation", &half).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("id=\"decided_on-error\""), "{}", p.body);
    assert!(p.body.contains("Hangzhou Internet Court"), "{}", p.body);
    let p = alice.post("/complaints/C1/escalation", &filed).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = alice.get("/complaints/C1/escalation").await;
    assert!(p.body.contains("(2026) Zhe 0192 Min Chu 17"), "{}", p.body);
    let zip = alice
        .client
        .get(app.url("/complaints/C1/escalation-package.zip?route=lawsuit"))
        .header(header::COOKIE, alice.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), StatusCode::OK);
    let report = rightsguard_dossier::verify(&zip.bytes().await.unwrap());
    assert!(report.ok(), "{:?}", report.problems);
    // The seller sees the complaint but may not export a package.
    let mut sam = Browser::signed_in(app, "sam").await;
    assert_eq!(
        sam.get("/complaints/C1/escalation-package.zip?route=lawsuit")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bob.get("/complaints/C1/escalation").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn scenario(app: TestApp) {
    set_passwords(&app).await;
    seed(&app).await;
    security_headers_are_on_every_response(&app).await;
    sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(&app).await;
    writes_without_the_token_or_from_elsewhere_are_refused(&app).await;
    each_role_sees_only_its_own(&app).await;
    the_language_follows_the_switch_and_the_browser(&app).await;
    transparency_report_page(&app).await;
    art23_cases_and_calendars_pages(&app).await;
    complaint_page_explains_the_match(&app).await;
    blocklist_pages(&app).await;
    authorisations_pages(&app).await;
    internal_complaints_on_the_complaint_page(&app).await;
    policies_tokens_and_exports_pages(&app).await;
    agent_picks_its_principal(&app).await;
    customs_and_escalation_pages(&app).await;
    inbox_and_notification_settings(&app).await;
    account_dashboard_and_tokens(&app).await;
    // Last: it locks sue out from this address for 15 minutes.
    repeated_failures_throttle_that_account_from_that_address_only(&app).await;
    app.finish().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_web_pages() {
    scenario(spawn_app(Backend::Sqlite).await.unwrap().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_web_pages() {
    let Some(app) = spawn_app(Backend::Postgres).await.unwrap() else {
        return;
    };
    scenario(app).await;
}
