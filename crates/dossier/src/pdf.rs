//! The dossier as a PDF, for a reader: the right, the complaint, the listing
//! captures with the matched text highlighted, the images side by side, the
//! evidence files and the full timeline.
//!
//! Layout is a small flow of our own (a cursor down A4 pages; text wrapped by
//! the font's advance widths) that emits draw operations; krilla then writes
//! them, embedding only the glyphs used from the bundled font (WenQuanYi
//! Micro Hei, which covers Latin and CJK, so one font serves every line and
//! no fallback logic is needed).

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use rightsguard_domain::chain::ChainRecord;
use rightsguard_domain::event::{DomainEvent, EscalationKind, EventKind};

use crate::{DossierError, DossierInput, EvidenceFile};

/// The bundled font (see assets/fonts/README.md).
static FONT: &[u8] = include_bytes!("../../../assets/fonts/wqy-microhei.ttc");

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 48.0;
const BODY: f32 = 9.0;
const SMALL: f32 = 7.5;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
const BOTTOM: f32 = PAGE_H - MARGIN - 14.0;

const BLACK: (u8, u8, u8) = (0, 0, 0);
const GREY: (u8, u8, u8) = (100, 100, 100);
const ACCENT: (u8, u8, u8) = (20, 60, 130);
const HIGHLIGHT: (u8, u8, u8) = (255, 226, 80);
const RULE: (u8, u8, u8) = (190, 190, 190);

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        color: (u8, u8, u8),
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: (u8, u8, u8),
    },
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        image: Image,
    },
}

/// Advance widths from the font's horizontal metrics.
struct Metrics<'a> {
    face: ttf_parser::Face<'a>,
    per_em: f32,
}

impl Metrics<'_> {
    fn char_width(&self, c: char, size: f32) -> f32 {
        let adv = self
            .face
            .glyph_index(c)
            .and_then(|g| self.face.glyph_hor_advance(g))
            .unwrap_or(0);
        f32::from(adv) * size / self.per_em
    }

    fn width(&self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.char_width(c, size)).sum()
    }

    /// Breaks `text` into lines no wider than `max`, as byte ranges; breaks
    /// after spaces, around CJK characters (which need no spaces), at
    /// newlines, and anywhere inside a word longer than a line.
    fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<(usize, usize)> {
        let mut lines = Vec::new();
        let mut start = 0usize;
        let mut width = 0f32;
        let mut last_break: Option<usize> = None;
        let mut iter = text.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            if c == '\n' {
                lines.push((start, i));
                start = i + 1;
                width = 0.0;
                last_break = None;
                continue;
            }
            let w = self.char_width(c, size);
            if width + w > max && i > start {
                let cut = match last_break {
                    Some(b) if b > start => b,
                    _ => i,
                };
                lines.push((start, cut));
                start = cut;
                // Skip the spaces the line was broken at.
                while text[start..].starts_with(' ') {
                    start += 1;
                }
                width = self.width(&text[start..i], size);
                last_break = None;
            }
            width += w;
            if c == ' ' || is_cjk(c) {
                last_break = Some(i + c.len_utf8());
            }
            if let Some(&(_, next)) = iter.peek()
                && is_cjk(next)
            {
                last_break = Some(i + c.len_utf8());
            }
        }
        if start < text.len() || lines.is_empty() {
            lines.push((start, text.len()));
        }
        lines
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// A cursor over pages of draw operations.
struct Flow<'a> {
    metrics: Metrics<'a>,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'a> Flow<'a> {
    fn new(metrics: Metrics<'a>) -> Self {
        Self {
            metrics,
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Makes room for `h` points, starting a page if needed.
    fn need(&mut self, h: f32) {
        if self.y + h > BOTTOM && self.y > MARGIN {
            self.new_page();
        }
    }

    fn gap(&mut self, h: f32) {
        self.y += h;
    }

    fn text_at(&mut self, x: f32, y: f32, size: f32, color: (u8, u8, u8), text: &str) {
        if text.is_empty() {
            return;
        }
        self.ops().push(Op::Text {
            x,
            y,
            size,
            color,
            text: text.to_owned(),
        });
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: (u8, u8, u8)) {
        self.ops().push(Op::Rect { x, y, w, h, color });
    }

    fn title(&mut self, text: &str) {
        self.need(30.0);
        self.y += 16.0;
        self.text_at(MARGIN, self.y, 16.0, ACCENT, text);
        self.y += 10.0;
    }

    fn heading(&mut self, text: &str) {
        self.need(40.0);
        self.y += 14.0;
        self.text_at(MARGIN, self.y, 12.0, ACCENT, text);
        self.y += 4.0;
        self.rect(MARGIN, self.y, CONTENT_W, 0.6, ACCENT);
        self.y += 8.0;
    }

    fn subheading(&mut self, text: &str) {
        self.need(28.0);
        self.y += 6.0;
        self.paragraph_at(MARGIN, CONTENT_W, 10.0, BLACK, text, &[]);
        self.y += 2.0;
    }

    /// Wrapped text at `x` in a column `w` wide, with `spans` (byte ranges)
    /// highlighted.
    fn paragraph_at(
        &mut self,
        x: f32,
        w: f32,
        size: f32,
        color: (u8, u8, u8),
        text: &str,
        spans: &[(usize, usize)],
    ) {
        let line_h = size * 1.45;
        for (s, e) in self.metrics.wrap(text, size, w) {
            self.need(line_h);
            self.y += line_h;
            let baseline = self.y - size * 0.3;
            let line = &text[s..e];
            for &(hs, he) in spans {
                let a = hs.max(s);
                let b = he.min(e);
                if a < b && text.is_char_boundary(a) && text.is_char_boundary(b) {
                    let x0 = x + self.metrics.width(&text[s..a], size);
                    let wd = self.metrics.width(&text[a..b], size);
                    self.rect(x0, baseline - size * 0.95, wd, size * 1.25, HIGHLIGHT);
                }
            }
            self.text_at(x, baseline, size, color, line);
        }
    }

    fn note(&mut self, text: &str) {
        self.paragraph_at(MARGIN, CONTENT_W, SMALL, GREY, text, &[]);
    }

    /// A label and a value on one line (the value wraps in its column).
    fn field(&mut self, label: &str, value: &str) {
        let label_w = 130.0;
        let start_page = self.pages.len();
        let top = self.y;
        self.paragraph_at(
            MARGIN + label_w,
            CONTENT_W - label_w,
            BODY,
            BLACK,
            value,
            &[],
        );
        // The label goes on the line the value started on.
        let (page, y) = if self.pages.len() == start_page {
            (start_page - 1, top + BODY * 1.45 - BODY * 0.3)
        } else {
            (self.pages.len() - 1, MARGIN + BODY * 1.45 - BODY * 0.3)
        };
        if let Some(ops) = self.pages.get_mut(page) {
            ops.push(Op::Text {
                x: MARGIN,
                y,
                size: BODY,
                color: GREY,
                text: label.to_owned(),
            });
        }
    }

    fn rule(&mut self) {
        self.need(8.0);
        self.y += 4.0;
        self.rect(MARGIN, self.y, CONTENT_W, 0.4, RULE);
        self.y += 4.0;
    }
}

fn color(c: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn fmt_time(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

fn fmt_us(us: i64) -> String {
    Timestamp::from_microsecond(us)
        .map(fmt_time)
        .unwrap_or_else(|_| format!("{us} µs"))
}

fn decode_image(f: &EvidenceFile) -> Option<Image> {
    let data: krilla::Data = f.bytes.clone().into();
    match f.content_type.as_str() {
        "image/png" => Image::from_png(data, true).ok(),
        "image/jpeg" => Image::from_jpeg(data, true).ok(),
        "image/gif" => Image::from_gif(data, true).ok(),
        "image/webp" => Image::from_webp(data, true).ok(),
        _ => None,
    }
}

/// Draws an image scaled into a `w`×`h` box at the cursor's top, with a caption.
fn image_box(
    flow: &mut Flow<'_>,
    x: f32,
    top: f32,
    w: f32,
    h: f32,
    f: Option<&EvidenceFile>,
    caption: &str,
) {
    flow.rect(x, top, w, 0.4, RULE);
    flow.rect(x, top + h, w, 0.4, RULE);
    flow.rect(x, top, 0.4, h, RULE);
    flow.rect(x + w, top, 0.4, h + 0.4, RULE);
    match f.and_then(|f| decode_image(f).map(|i| (f, i))) {
        Some((_, image)) => {
            let (pw, ph) = image.size();
            let (pw, ph) = (pw.max(1) as f32, ph.max(1) as f32);
            let scale = ((w - 8.0) / pw).min((h - 8.0) / ph);
            let (iw, ih) = (pw * scale, ph * scale);
            flow.ops().push(Op::Image {
                x: x + (w - iw) / 2.0,
                y: top + (h - ih) / 2.0,
                w: iw,
                h: ih,
                image,
            });
        }
        None => {
            let msg = if f.is_some() {
                "(image could not be decoded)"
            } else {
                "(no image on file)"
            };
            flow.text_at(x + 8.0, top + h / 2.0, BODY, GREY, msg);
        }
    }
    let saved = flow.y;
    flow.y = top + h + 2.0;
    flow.paragraph_at(x, w, SMALL, GREY, caption, &[]);
    flow.y = saved;
}

fn event_summary(rec: &ChainRecord) -> (String, String) {
    match serde_json::from_str::<DomainEvent>(&rec.event) {
        Ok(e) => {
            let actor = match &e.actor_user {
                Some(u) => format!("{} {} ({u})", role_name(&e), e.actor_org),
                None => format!("{} {}", role_name(&e), e.actor_org),
            };
            let kind = serde_json::to_value(&e.kind).unwrap_or_default();
            let mut what = kind
                .get("event")
                .and_then(|v| v.as_str())
                .unwrap_or("event")
                .replace('_', " ");
            if let Some(obj) = kind.as_object() {
                for (k, v) in obj {
                    if k == "event" || v.is_null() {
                        continue;
                    }
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    what.push_str(&format!(" · {}: {v}", k.replace('_', " ")));
                }
            }
            (actor, what)
        }
        Err(_) => ("?".to_owned(), rec.event.clone()),
    }
}

fn role_name(e: &DomainEvent) -> String {
    serde_json::to_value(e.actor_role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Renders the dossier PDF.
pub fn render(input: &DossierInput) -> Result<Vec<u8>, DossierError> {
    let face = ttf_parser::Face::parse(FONT, 0)
        .map_err(|e| DossierError::Pdf(format!("bundled font: {e}")))?;
    let per_em = f32::from(face.units_per_em());
    let mut flow = Flow::new(Metrics { face, per_em });
    let c = &input.complaint;
    let r = &input.right;

    flow.title(&format!("Evidence dossier — complaint {}", c.id));
    flow.note(&format!(
        "Generated {} by rightsguard. The ZIP this PDF comes in holds every evidence file, \
         the case data, the audit records of the case with their chain hashes and manifest.json \
         with the SHA-256 of each file; check it offline with `rightsguard dossier verify FILE.zip`.",
        fmt_time(input.generated_at)
    ));
    if let Some(h) = &input.chain_head {
        flow.note(&format!(
            "Audit chain head at export: record #{} {}",
            h.seq, h.hash
        ));
    }

    // The registered right.
    flow.heading("1. The registered right");
    let mark = r.mark.clone().unwrap_or_else(|| "(no mark on file)".into());
    flow.field("Mark", &mark);
    if !r.aliases.is_empty() {
        flow.field("Also monitored as", &r.aliases.join(", "));
    }
    flow.field("Kind", &format!("{:?}", r.right.kind).to_lowercase());
    flow.field("Registration no.", r.right.registration_number.as_str());
    flow.field("Jurisdiction", r.right.jurisdiction.as_str());
    let classes: Vec<String> = r
        .right
        .nice_classes
        .iter()
        .map(|n| n.get().to_string())
        .collect();
    flow.field(
        "Nice classes",
        &if classes.is_empty() {
            "—".to_owned()
        } else {
            classes.join(", ")
        },
    );
    flow.field("Holder", &format!("{} ({})", r.holder_name, r.right.owner));
    flow.field(
        "In force",
        &format!(
            "from {} until {}",
            r.right.valid_from,
            r.right
                .valid_until
                .map(|d| d.to_string())
                .unwrap_or_else(|| "— (no term on record)".into())
        ),
    );
    let verification: Vec<String> = input
        .audit
        .iter()
        .filter(|a| a.subject.starts_with("right:"))
        .map(|a| {
            let (actor, what) = event_summary(a);
            format!("{} {what} by {actor}", fmt_us(a.at_us))
        })
        .collect();
    let state = format!("{:?}", r.right.state).to_lowercase();
    let verification = if verification.is_empty() {
        state
    } else {
        format!("{state} — {}", verification.join("; "))
    };
    flow.field("Verification", &verification);
    if !r.right.certificates.is_empty() {
        let certs: Vec<String> = r.right.certificates.iter().map(|s| s.to_string()).collect();
        flow.field("Certificates (SHA-256)", &certs.join("\n"));
    }

    // The complaint.
    flow.heading("2. The complaint");
    flow.field("Complaint", c.id.as_str());
    flow.field("Ground", c.reason.as_str());
    flow.field("Submitted", &fmt_time(c.submitted_at));
    flow.field("Complainant", c.complainant.as_str());
    if c.filed_by != c.complainant {
        flow.field("Filed by (agent)", c.filed_by.as_str());
    }
    for item in &c.items {
        let state = serde_json::to_value(&item.state).unwrap_or_default();
        let mut s = item.state.name().replace('_', " ");
        if let Some(obj) = state.as_object() {
            for (k, v) in obj {
                if k != "state" {
                    let v = v
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string());
                    s.push_str(&format!(" · {}: {v}", k.replace('_', " ")));
                }
            }
        }
        flow.field(
            &format!("Listing {}", item.listing),
            &format!("seller {} — {s}", item.seller),
        );
    }

    // Escalation after a counter-notice (lawsuit, administrative complaint)
    // and its recorded outcome, when there is any.
    let escalations: Vec<String> = input
        .audit
        .iter()
        .filter_map(|a| {
            let e = serde_json::from_str::<DomainEvent>(&a.event).ok()?;
            let listing = a.subject.rsplit('/').next().unwrap_or_default();
            match e.kind {
                EventKind::EscalationRecorded { kind, reference } => Some(format!(
                    "{} · listing {listing}: {} filed, reference {reference}",
                    fmt_time(e.at),
                    match kind {
                        EscalationKind::Lawsuit => "lawsuit",
                        EscalationKind::AdministrativeComplaint => "administrative complaint",
                    }
                )),
                EventKind::EscalationProceedingRecorded {
                    route,
                    authority,
                    reference,
                    filed_on,
                    outcome,
                    decided_on,
                    documents,
                } => Some(format!(
                    "{} · {}: {authority}, reference {reference}, filed {filed_on}{}{}",
                    fmt_time(e.at),
                    route.as_str().replace('_', " "),
                    match (outcome, decided_on) {
                        (Some(o), Some(d)) => format!(
                            ", decided {d}: {}",
                            serde_json::to_value(o)
                                .ok()
                                .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                                .unwrap_or_default()
                        ),
                        _ => ", pending".to_owned(),
                    },
                    documents
                        .iter()
                        .map(|d| {
                            let sha = d.sha256.to_string();
                            format!("; {} ({})", d.label, sha.get(..8).unwrap_or(&sha))
                        })
                        .collect::<String>()
                )),
                EventKind::CustomsRecordalRecorded {
                    number,
                    approved_on,
                    valid_until,
                    ..
                } => Some(format!(
                    "{} · customs recordal {number} (GACC) approved {approved_on}, valid until {valid_until}",
                    fmt_time(e.at)
                )),
                EventKind::CustomsRecordalRenewed {
                    number,
                    renewed_on,
                    valid_until,
                    ..
                } => Some(format!(
                    "{} · customs recordal {number} renewed {renewed_on}, valid until {valid_until}",
                    fmt_time(e.at)
                )),
                EventKind::EscalationOutcomeRecorded { infringement_found } => Some(format!(
                    "{} · listing {listing}: outcome recorded: {}",
                    fmt_time(e.at),
                    if infringement_found {
                        "infringement found"
                    } else {
                        "no infringement found"
                    }
                )),
                _ => None,
            }
        })
        .collect();
    if !escalations.is_empty() {
        flow.subheading("Escalation");
        for line in &escalations {
            flow.paragraph_at(MARGIN, CONTENT_W, BODY, BLACK, line, &[]);
        }
    }

    // Listing captures.
    flow.heading("3. Listing captures");
    if input.captures.is_empty() {
        flow.note("No automatic listing captures are attached to this complaint; see the evidence files in section 5.");
    }
    for cap in &input.captures {
        let k = &cap.capture;
        flow.subheading(&format!("Listing {} (seller {})", k.listing, k.seller));
        flow.field("Captured at", &fmt_time(k.captured_at));
        flow.field("Capture SHA-256", &cap.sha256.to_string());
        let spans = |field: &str| -> Vec<(usize, usize)> {
            cap.explanations
                .iter()
                .filter(|e| e.field == field)
                .filter_map(|e| {
                    Some((usize::try_from(e.start).ok()?, usize::try_from(e.end).ok()?))
                })
                .collect()
        };
        flow.gap(2.0);
        flow.paragraph_at(
            MARGIN,
            CONTENT_W,
            SMALL,
            GREY,
            "Title (matched text highlighted)",
            &[],
        );
        flow.paragraph_at(MARGIN, CONTENT_W, 10.5, BLACK, &k.title, &spans("title"));
        if !k.description.is_empty() {
            flow.gap(2.0);
            flow.paragraph_at(MARGIN, CONTENT_W, SMALL, GREY, "Description", &[]);
            flow.paragraph_at(
                MARGIN,
                CONTENT_W,
                BODY,
                BLACK,
                &k.description,
                &spans("description"),
            );
        }
        for e in &cap.explanations {
            let dist = e
                .distance
                .map(|d| format!(", distance {d}"))
                .unwrap_or_default();
            flow.note(&format!(
                "Match: {} «{}» in {} bytes {}–{} as {:?} (score {:.2}{dist})",
                e.method, e.term, e.field, e.start, e.end, e.matched, e.score
            ));
        }
        flow.rule();
    }

    // Side by side.
    flow.heading("4. Side-by-side comparison");
    let listing_images: BTreeSet<_> = input
        .captures
        .iter()
        .flat_map(|c| c.capture.image_hashes.iter().copied())
        .collect();
    let references: Vec<&EvidenceFile> = input
        .files
        .iter()
        .filter(|f| f.content_type.starts_with("image/"))
        .filter(|f| !listing_images.contains(&f.sha256))
        .filter(|f| f.role != "counter-notice")
        .collect();
    let mut pairs = 0;
    for cap in &input.captures {
        let own: Vec<&EvidenceFile> = cap
            .capture
            .image_hashes
            .iter()
            .filter_map(|h| input.files.iter().find(|f| &f.sha256 == h))
            .collect();
        if own.is_empty() && references.is_empty() {
            continue;
        }
        let rows = own.len().max(references.len()).max(1);
        for i in 0..rows {
            let box_h = 190.0;
            flow.need(box_h + 40.0);
            flow.gap(4.0);
            let top = flow.y;
            let half = (CONTENT_W - 16.0) / 2.0;
            let l = own.get(i).copied();
            let rf = references
                .get(i.min(references.len().saturating_sub(1)))
                .copied();
            image_box(
                &mut flow,
                MARGIN,
                top,
                half,
                box_h,
                l,
                &format!(
                    "Listing {} image{}",
                    cap.capture.listing,
                    l.map(|f| format!(" {}", f.sha256)).unwrap_or_default()
                ),
            );
            image_box(
                &mut flow,
                MARGIN + half + 16.0,
                top,
                half,
                box_h,
                rf,
                &format!(
                    "Reference ({}) {}",
                    rf.map(|f| f.role.as_str()).unwrap_or("none"),
                    rf.map(|f| f.sha256.to_string()).unwrap_or_default()
                ),
            );
            flow.y = top + box_h + 26.0;
            pairs += 1;
        }
    }
    if pairs == 0 {
        flow.note("No images on file for these listings or for the right.");
    }

    // Evidence files.
    flow.heading("5. Evidence files");
    if input.files.is_empty() {
        flow.note("No evidence files.");
    }
    for f in &input.files {
        flow.field(
            &f.role,
            &format!(
                "{} · {} · {} bytes · uploaded by {} at {}{}",
                f.sha256,
                f.content_type,
                f.bytes.len(),
                f.uploaded_by,
                fmt_time(f.uploaded_at),
                f.captured_at
                    .map(|t| format!(" · captured {}", fmt_time(t)))
                    .unwrap_or_default()
            ),
        );
    }

    // Timeline.
    flow.heading("6. Timeline (audit records)");
    flow.note("Every audit record of the case, in chain order: record number, time, actor, event; the hash is the record's chain hash.");
    for a in &input.audit {
        let (actor, what) = event_summary(a);
        flow.need(30.0);
        flow.paragraph_at(
            MARGIN,
            CONTENT_W,
            BODY,
            BLACK,
            &format!("#{} · {} · {actor} · {}", a.seq, fmt_us(a.at_us), a.subject),
            &[],
        );
        flow.paragraph_at(MARGIN + 12.0, CONTENT_W - 12.0, BODY, BLACK, &what, &[]);
        flow.paragraph_at(
            MARGIN + 12.0,
            CONTENT_W - 12.0,
            SMALL,
            GREY,
            &format!("hash {}", a.hash),
            &[],
        );
    }
    if input.audit.is_empty() {
        flow.note("No audit records.");
    }

    write(flow, input)
}

fn write(flow: Flow<'_>, input: &DossierInput) -> Result<Vec<u8>, DossierError> {
    let data: Arc<dyn AsRef<[u8]> + Send + Sync> = Arc::new(FONT);
    let font = Font::new(data.into(), 0)
        .ok_or_else(|| DossierError::Pdf("the bundled font does not load".into()))?;
    let mut doc = Document::new();
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(format!(
                "Evidence dossier — complaint {}",
                input.complaint.id
            ))
            .creator("rightsguard".to_owned()),
    );
    let total = flow.pages.len();
    let settings = || {
        PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| DossierError::Pdf("page size".into()))
    };
    for (n, ops) in flow.pages.into_iter().enumerate() {
        let mut page = doc.start_page_with(settings()?);
        let mut surface = page.surface();
        let footer = format!(
            "rightsguard evidence dossier · complaint {} · page {} of {total}",
            input.complaint.id,
            n + 1
        );
        let all = ops.into_iter().chain(std::iter::once(Op::Text {
            x: MARGIN,
            y: PAGE_H - MARGIN + 10.0,
            size: SMALL,
            color: GREY,
            text: footer,
        }));
        for op in all {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    color: c,
                    text,
                } => {
                    surface.set_fill(Some(color(c)));
                    surface.draw_text(
                        Point::from_xy(x, y),
                        font.clone(),
                        size,
                        &text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Rect {
                    x,
                    y,
                    w,
                    h,
                    color: c,
                } => {
                    if let Some(rect) = Rect::from_xywh(x, y, w.max(0.1), h.max(0.1)) {
                        let mut pb = PathBuilder::new();
                        pb.push_rect(rect);
                        if let Some(path) = pb.finish() {
                            surface.set_fill(Some(color(c)));
                            surface.draw_path(&path);
                        }
                    }
                }
                Op::Image { x, y, w, h, image } => {
                    if let Some(size) = Size::from_wh(w, h) {
                        surface.push_transform(&Transform::from_translate(x, y));
                        surface.draw_image(image, size);
                        surface.pop();
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    doc.finish()
        .map_err(|e| DossierError::Pdf(format!("{e:?}")))
}

/// Renders the PDF and packages the ZIP: `(pdf, zip)`.
pub fn build(input: &DossierInput) -> Result<(Vec<u8>, Vec<u8>), DossierError> {
    build_with(input, std::collections::BTreeMap::new())
}

/// [`build`] with `extra` files in the ZIP (see [`crate::package_with`]).
pub fn build_with(
    input: &DossierInput,
    extra: std::collections::BTreeMap<String, Vec<u8>>,
) -> Result<(Vec<u8>, Vec<u8>), DossierError> {
    let pdf = render(input)?;
    let zip = crate::package_with(input, &pdf, extra)?;
    Ok((pdf, zip))
}
