//! Escalation pages: a right's customs (GACC) recordals (record one, record
//! a renewal) and a complaint's escalation (its proceedings, recording one
//! or its outcome with documents to add, and the packages to file with an
//! AMR, a court or customs).
//!
//! The proceeding form is multipart: up to [`DOCUMENT_SLOTS`] files, each
//! with its label, are uploaded as the viewer's evidence and attached;
//! each document in the list links `/evidence/{sha256}`, which serves it to
//! the complaint's parties and staff.
//!
//! The pages decide nothing: the app says who may see (404 otherwise) and
//! who may record (403). A refused form comes back with what was typed and
//! the reason beside the field it concerns.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use rightsguard_app::AppError;
use rightsguard_app::ProceedingDetail;
use rightsguard_domain::customs::CustomsRecordal;
use rightsguard_domain::escalation::{Document, Outcome, RecordProceeding, Route};
use rightsguard_domain::ids::{ComplaintId, RightId};
use rightsguard_store::StoreError;
use serde::Deserialize;

use super::i18n::tr;
use super::pages::{
    FormData, Frame, PageResult, app_message, finish, for_the_form, read_multipart,
};
use super::{Lang, PageError, Web, render, see_other};
use crate::AppState;

/// A recordal as a row.
#[derive(Debug, Clone)]
pub struct RecordalRow {
    /// Customs' number.
    pub number: String,
    /// Approved on.
    pub approved_on: String,
    /// Renewed on, or empty.
    pub renewed_on: String,
    /// Valid until.
    pub valid_until: String,
    /// Whether the right's term caps it.
    pub capped: bool,
    /// Renewal opens on.
    pub renewal_opens_on: String,
}

fn recordal_row(r: &CustomsRecordal) -> RecordalRow {
    RecordalRow {
        number: r.number.clone(),
        approved_on: r.approved_on.to_string(),
        renewed_on: r.renewed_on.map(|d| d.to_string()).unwrap_or_default(),
        valid_until: r.valid_until.to_string(),
        capped: r.capped_by_right,
        renewal_opens_on: r.renewal_opens_on().to_string(),
    }
}

/// What was typed, and the errors beside the fields.
#[derive(Debug, Default, Clone)]
pub struct Typed {
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
}

impl Typed {
    /// What was typed in a field.
    pub fn v(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }
    /// The error beside a field.
    pub fn e(&self, k: &str) -> Option<&str> {
        self.errors.get(k).map(String::as_str)
    }
    /// Whether a select option is the chosen one.
    pub fn is(&self, k: &str, v: &str) -> bool {
        self.v(k) == v
    }
}

#[derive(Template)]
#[template(path = "customs.html")]
struct CustomsPage {
    f: Frame,
    right: String,
    rows: Vec<RecordalRow>,
    /// The record form.
    form: Typed,
    /// The renewal forms, by recordal number.
    renew: BTreeMap<String, Typed>,
}

impl CustomsPage {
    fn renewal(&self, number: &str) -> Typed {
        self.renew.get(number).cloned().unwrap_or_default()
    }
}

/// The form fields of the customs page.
#[derive(Debug, Deserialize)]
pub(super) struct CustomsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    approved_on: String,
    #[serde(default)]
    renewed_on: String,
}

fn right_id(id: &str) -> Result<RightId, PageError> {
    RightId::parse(id).map_err(|_| AppError::NotFound(format!("right {id}")).into())
}

fn date(lang: Lang, s: &str) -> Result<Date, String> {
    s.trim()
        .parse()
        .map_err(|_| tr(lang, "date_expected").to_owned())
}

/// The message of a refusal the form shows beside a field; other failures
/// (not found, forbidden, the database) go to the error page.
fn refusal(e: AppError) -> Result<String, PageError> {
    match e {
        AppError::Rule(r) if r.code() != "forbidden" => Ok(r.to_string()),
        AppError::Store(StoreError::Duplicate(what)) => Ok(format!("{what} exists already")),
        e => Err(e.into()),
    }
}

async fn customs_render(
    s: &AppState,
    web: &Web,
    id: &RightId,
    status: StatusCode,
    form: Typed,
    renew: BTreeMap<String, Typed>,
) -> PageResult {
    let list = s.app.customs_recordals(web.actor()?, id).await?;
    Ok(render(
        status,
        &CustomsPage {
            f: Frame::new(web, s, "customs_recordals"),
            right: id.to_string(),
            rows: list.iter().map(recordal_row).collect(),
            form,
            renew,
        },
    ))
}

pub(super) async fn customs_page(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
) -> Response {
    let r = async {
        let id = right_id(&id)?;
        customs_render(
            &s,
            &web,
            &id,
            StatusCode::OK,
            Typed::default(),
            BTreeMap::new(),
        )
        .await
    }
    .await;
    finish(&web, &s, r)
}

pub(super) async fn record_customs(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<CustomsForm>,
) -> Response {
    let r = async {
        web.check_write(&form.csrf)?;
        let id = right_id(&id)?;
        let mut typed = Typed::default();
        typed.values.insert("number".into(), form.number.clone());
        typed
            .values
            .insert("approved_on".into(), form.approved_on.clone());
        let (field, msg) = match date(web.lang, &form.approved_on) {
            Err(msg) => ("approved_on", msg),
            Ok(d) => match s
                .app
                .record_customs_recordal(web.actor()?, &id, &form.number, d)
                .await
            {
                Ok(_) => return Ok(see_other(&format!("/rights/{id}/customs"))),
                Err(e) => {
                    let duplicate = matches!(e, AppError::Store(StoreError::Duplicate(_)));
                    let msg = refusal(e)?;
                    if duplicate || msg.contains("number") {
                        ("number", msg)
                    } else {
                        ("approved_on", msg)
                    }
                }
            },
        };
        typed.errors.insert(field.into(), msg);
        customs_render(
            &s,
            &web,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            typed,
            BTreeMap::new(),
        )
        .await
    }
    .await;
    finish(&web, &s, r)
}

pub(super) async fn renew_customs(
    State(s): State<AppState>,
    web: Web,
    Path((id, number)): Path<(String, String)>,
    axum::Form(form): axum::Form<CustomsForm>,
) -> Response {
    let r = async {
        web.check_write(&form.csrf)?;
        let id = right_id(&id)?;
        let mut typed = Typed::default();
        typed
            .values
            .insert("renewed_on".into(), form.renewed_on.clone());
        let msg = match date(web.lang, &form.renewed_on) {
            Err(msg) => msg,
            Ok(d) => match s
                .app
                .renew_customs_recordal(web.actor()?, &id, &number, d)
                .await
            {
                Ok(_) => return Ok(see_other(&format!("/rights/{id}/customs"))),
                Err(e) => refusal(e)?,
            },
        };
        typed.errors.insert("renewed_on".into(), msg);
        let renew = BTreeMap::from([(number, typed)]);
        customs_render(
            &s,
            &web,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            Typed::default(),
            renew,
        )
        .await
    }
    .await;
    finish(&web, &s, r)
}

/// A proceeding as a row.
#[derive(Debug, Clone)]
pub struct ProceedingRow {
    /// The route's key.
    pub route: String,
    /// The authority.
    pub authority: String,
    /// The reference.
    pub reference: String,
    /// Filed on.
    pub filed_on: String,
    /// The outcome's key, or empty while pending.
    pub outcome: String,
    /// Decided on, or empty.
    pub decided_on: String,
    /// Its documents.
    pub documents: Vec<DocumentRow>,
}

/// A proceeding's document as a list item.
#[derive(Debug, Clone)]
pub struct DocumentRow {
    /// SHA-256 (hex).
    pub sha256: String,
    /// The first 12 hex digits, shown.
    pub short: String,
    /// Its label.
    pub label: String,
    /// "image/png, 2.1 KiB", or empty if the file's record is gone.
    pub about: String,
}

fn size_text(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

fn wire<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn proceeding_row(d: &ProceedingDetail) -> ProceedingRow {
    let p = &d.proceeding;
    ProceedingRow {
        route: format!("route_{}", p.route.as_str()),
        authority: p.authority.clone(),
        reference: p.reference.clone(),
        filed_on: p.filed_on.to_string(),
        outcome: p
            .outcome
            .map(|o| format!("outcome_{}", wire(&o)))
            .unwrap_or_default(),
        decided_on: p.decided_on.map(|d| d.to_string()).unwrap_or_default(),
        documents: d
            .documents
            .iter()
            .map(|doc| {
                let sha256 = doc.document.sha256.to_string();
                DocumentRow {
                    short: sha256.get(..12).unwrap_or(&sha256).to_owned(),
                    sha256,
                    label: doc.document.label.clone(),
                    about: doc
                        .record
                        .as_ref()
                        .map(|r| format!("{}, {}", r.content_type, size_text(r.size)))
                        .unwrap_or_default(),
                }
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "escalation.html")]
struct EscalationPage {
    f: Frame,
    complaint: String,
    rows: Vec<ProceedingRow>,
    routes: Vec<&'static str>,
    outcomes: Vec<&'static str>,
    /// The document slots of the form, 1-based.
    slots: Vec<usize>,
    form: Typed,
    error: Option<String>,
}

/// How many documents the proceeding form takes at once (more: record
/// again, they accumulate).
pub const DOCUMENT_SLOTS: usize = 3;

const OUTCOMES: [&str; 4] = [
    "infringement_found",
    "no_infringement",
    "settled",
    "withdrawn",
];

/// The text fields of the proceeding form.
const PROCEEDING_FIELDS: [&str; 6] = [
    "route",
    "authority",
    "reference",
    "filed_on",
    "outcome",
    "decided_on",
];

fn complaint_id(id: &str) -> Result<ComplaintId, PageError> {
    ComplaintId::parse(id).map_err(|_| AppError::NotFound(format!("complaint {id}")).into())
}

async fn escalation_render(
    s: &AppState,
    web: &Web,
    id: &ComplaintId,
    status: StatusCode,
    form: Typed,
    error: Option<String>,
) -> PageResult {
    let list = s.app.proceedings(web.actor()?, id).await?;
    Ok(render(
        status,
        &EscalationPage {
            f: Frame::new(web, s, "escalation"),
            complaint: id.to_string(),
            rows: list.iter().map(proceeding_row).collect(),
            routes: Route::ALL.iter().map(|r| r.as_str()).collect(),
            outcomes: OUTCOMES.to_vec(),
            slots: (1..=DOCUMENT_SLOTS).collect(),
            form,
            error,
        },
    ))
}

pub(super) async fn escalation_page(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
) -> Response {
    let r = async {
        let id = complaint_id(&id)?;
        escalation_render(&s, &web, &id, StatusCode::OK, Typed::default(), None).await
    }
    .await;
    finish(&web, &s, r)
}

/// What a proceeding form holds, as typed (the labels too; files are not
/// sent back, a browser cannot be given them).
fn typed_of(f: &FormData) -> Typed {
    let mut t = Typed::default();
    let labels = (1..=DOCUMENT_SLOTS).map(|i| format!("document_label_{i}"));
    for k in PROCEEDING_FIELDS
        .map(str::to_owned)
        .into_iter()
        .chain(labels)
    {
        let v = f.fields.get(&k).cloned().unwrap_or_default();
        t.values.insert(k, v);
    }
    t
}

/// A filled document slot of the form: its number, label and file.
type Slot = (usize, String, Vec<u8>);

/// The files and labels of the form's document slots, or the errors beside
/// the slots: a file needs a label, a label a file.
fn document_slots(lang: Lang, f: &FormData) -> Result<Vec<Slot>, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let mut out = Vec::new();
    for i in 1..=DOCUMENT_SLOTS {
        let label = f.get(&format!("document_label_{i}"));
        let field = format!("document_{i}");
        let file = f
            .file_fields
            .iter()
            .position(|n| *n == field)
            .and_then(|k| f.files.get(k));
        match (label.is_empty(), file) {
            (true, None) => {}
            (true, Some(_)) => {
                errors.insert(
                    format!("document_label_{i}"),
                    tr(lang, "document_label_required").to_owned(),
                );
            }
            (false, None) => {
                errors.insert(field, tr(lang, "document_file_required").to_owned());
            }
            (false, Some(bytes)) => out.push((i, label, bytes.clone())),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The proceeding a form describes (without documents), or the errors
/// beside its fields.
fn parse_proceeding(
    lang: Lang,
    f: &FormData,
) -> Result<RecordProceeding, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let route = Route::parse(&f.get("route"));
    if route.is_none() {
        errors.insert("route".into(), tr(lang, "reason_required").into());
    }
    let filed_on = date(lang, &f.get("filed_on"))
        .map_err(|m| errors.insert("filed_on".into(), m))
        .ok();
    let outcome: Option<Outcome> =
        serde_json::from_value(serde_json::Value::String(f.get("outcome"))).ok();
    let decided_on = if f.get("decided_on").is_empty() {
        None
    } else {
        date(lang, &f.get("decided_on"))
            .map_err(|m| errors.insert("decided_on".into(), m))
            .ok()
    };
    match (route, filed_on) {
        (Some(route), Some(filed_on)) if errors.is_empty() => Ok(RecordProceeding {
            route,
            authority: f.get("authority"),
            reference: f.get("reference"),
            filed_on,
            outcome,
            decided_on,
            documents: Vec::new(),
        }),
        _ => Err(errors),
    }
}

pub(super) async fn record_proceeding(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    m: Multipart,
) -> Response {
    let r = async {
        let data = read_multipart(m, s.evidence_limit).await?;
        web.check_write(&data.get("csrf"))?;
        let id = complaint_id(&id)?;
        let actor = web.actor()?;
        let lang = web.lang;
        let mut typed = typed_of(&data);
        let mut error = None;
        let parsed = parse_proceeding(lang, &data);
        let slots = document_slots(lang, &data);
        let (mut cmd, slots) = match (parsed, slots) {
            (Ok(cmd), Ok(slots)) => (cmd, slots),
            (parsed, slots) => {
                typed.errors.extend(parsed.err().unwrap_or_default());
                typed.errors.extend(slots.err().unwrap_or_default());
                return escalation_render(
                    &s,
                    &web,
                    &id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    typed,
                    None,
                )
                .await;
            }
        };
        // Who may record first, so neither a stranger's nor a seller's
        // files are stored.
        let c = s.app.complaint_visible_to(actor, &id).await?.value;
        rightsguard_domain::escalation::may_record(actor, &c).map_err(AppError::from)?;
        let mut slot_of = Vec::new();
        for (slot, label, bytes) in slots {
            match s.app.upload_evidence(actor, bytes, None).await {
                Ok(u) => {
                    cmd.documents.push(Document {
                        sha256: u.record.sha256,
                        label,
                    });
                    slot_of.push(slot);
                }
                Err(e) if for_the_form(&e) => {
                    typed
                        .errors
                        .insert(format!("document_{slot}"), app_message(lang, &e));
                }
                Err(e) => return Err(e.into()),
            }
        }
        if typed.errors.is_empty() {
            match s.app.record_proceeding(actor, &id, cmd).await {
                Ok(_) => return Ok(see_other(&format!("/complaints/{id}/escalation"))),
                Err(e) => {
                    let msg = refusal(e)?;
                    // Beside the field the rules name, else above the form.
                    let doc_field = (0..slot_of.len()).find_map(|i| {
                        let slot = slot_of.get(i)?;
                        if msg.contains(&format!("documents[{i}].label")) {
                            Some(format!("document_label_{slot}"))
                        } else if msg.contains(&format!("documents[{i}]")) {
                            Some(format!("document_{slot}"))
                        } else {
                            None
                        }
                    });
                    let field = doc_field.or_else(|| {
                        [
                            "decided_on",
                            "filed_on",
                            "authority",
                            "reference",
                            "outcome",
                        ]
                        .into_iter()
                        .find(|k| msg.contains(k))
                        .map(str::to_owned)
                    });
                    match field {
                        Some(field) => {
                            typed.errors.insert(field, msg);
                        }
                        None => error = Some(msg),
                    }
                }
            }
        }
        escalation_render(
            &s,
            &web,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            typed,
            error,
        )
        .await
    }
    .await;
    finish(&web, &s, r)
}

/// Which package.
#[derive(Debug, Deserialize)]
pub(super) struct PackageQuery {
    #[serde(default)]
    route: String,
}

pub(super) async fn download_package(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<PackageQuery>,
) -> Response {
    let r = async {
        let actor = web.actor()?;
        let id = complaint_id(&id)?;
        let route = Route::parse(&q.route)
            .ok_or_else(|| AppError::NotFound(format!("escalation route {:?}", q.route)))?;
        let p = s.app.escalation_package(actor, &id, route).await?;
        Ok(crate::dossier::attachment(
            "application/zip",
            &format!("escalation-{id}-{}.zip", route.as_str()),
            p.zip,
        ))
    }
    .await;
    finish(&web, &s, r)
}
