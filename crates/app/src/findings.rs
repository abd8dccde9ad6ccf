//! Monitoring: incremental and scheduled scans of listings against the
//! verified rights of every rights holder, findings and their triage.
//!
//! The main design decision is that every scan is a durable job in the
//! existing jobs table, claimed with a lease by [`App::run_due_jobs`]: a
//! listing write schedules its scan (`scan_listing`, keyed by listing and
//! version) in the write's own transaction, so a listing is never written
//! without its scan being owed, and a process that dies mid-scan leaves the
//! job to be claimed again when its lease runs out. A scan never doubles a
//! finding because findings are keyed by (listing, right, cause) and each
//! scan of a listing is reconciled with what is stored in one transaction
//! ([`FindingStore::record_findings`]).
//!
//! The rights are matched through one [`ScanIndex`] (a [`TextIndex`] of the
//! marks and aliases of every verified right, and a [`ReferenceSet`] of
//! their reference images' perceptual hashes) kept per process and rebuilt
//! when a right is verified or leaves force, or its marks or images change.
//! Listing images are matched by the query hashes stored for their bytes
//! (`image_hashes`, written when the marketplace uploads an image, see
//! `images.rs`); an image without stored hashes is skipped until they come,
//! and their upload schedules the scans of the listings that show it. A rescan
//! of one rights holder (`rescan_holder`: weekly by default, and when one of
//! its rights is verified or its marks change, or on request) walks every
//! listing in id order and always builds a fresh index, so a change made by
//! another process is picked up at the latest by the next rescan; the
//! shared index is rebuilt when older than [`INDEX_MAX_AGE`], so a right
//! verified through another process (another `serve` replica) is matched by
//! incremental scans here within that time. A rescan re-run after a crash
//! starts again from the first listing; the findings it already wrote count
//! as new the second time too (each finding remembers the rescan that last
//! changed it), so its counts are those of one clean run.
//!
//! Scale-out: with a [`ScanDispatch`] set ([`App::set_scan_dispatch`], e.g.
//! NATS JetStream), the job runner does not scan; it hands each
//! `scan_listing` job to the dispatcher and splits each `rescan_holder` job
//! into partitions (ranges of listing ids, [`WorkItem::Partition`]), and
//! completes the job only once the dispatcher acknowledged: the jobs table is
//! the outbox, so nothing is lost while the stream is down. Workers run the
//! items with [`App::run_work`]; an item run twice changes nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use rightsguard_detect::clearance::ClearanceIndex;
use rightsguard_detect::image::{ImageHashes, ImageHit, MatchConfig, ReferenceSet, Transform};
use rightsguard_detect::text::{ClassSet, Field, MarkSpec, TextHit, TextIndex, fold_text};
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::complaint::{ListingRef, ReasonCode, SubmitComplaint};
use rightsguard_domain::finding::{
    Capture, Explanation, Finding, FindingState, ImageMatch, may_triage,
};
use rightsguard_domain::ids::{ComplaintId, ListingId, NiceClass, OrgId, RightId, Sha256};
use rightsguard_domain::listing::{Listing, ListingContent};
use rightsguard_domain::right::{Right, RightState};
use rightsguard_domain::rule::RuleError;
use rightsguard_store::findings::{
    FindingCounts, FindingStore, ListingScan, MonitoredRight, RightMarks, ScanPartition,
    ScanRecord, TakenDown,
};
use rightsguard_store::listings::ListingStore;
use rightsguard_store::{NewJob, Store, StoreError};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::listings::random_id;
use crate::{App, AppError, Result};

/// The job kind that scans one listing version against every monitored right.
pub const SCAN_LISTING: &str = "scan_listing";
/// The job kind that rescans every listing against one rights holder's rights.
pub const RESCAN_HOLDER: &str = "rescan_holder";
/// Listings a rescan loads per page.
const RESCAN_PAGE: i64 = 500;
/// The most findings one page lists.
const MAX_FINDINGS_PAGE: i64 = 500;
/// How old the shared scan index may get before a scan rebuilds it.
pub const INDEX_MAX_AGE: Duration = Duration::from_secs(10);
/// Listings per partition of a dispatched rescan, by default.
pub const DEFAULT_PARTITION_SIZE: i64 = 500;

/// One unit of monitoring work handed to workers through a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkItem {
    /// Scan one listing as stored now (it was created or changed); `key` is
    /// the job's key (listing and version).
    Listing {
        /// The listing.
        listing: ListingId,
        /// The job's key.
        key: String,
    },
    /// Rescan one range of listings against one rights holder's rights.
    Partition {
        /// The rights holder.
        owner: OrgId,
        /// The range and its scan.
        partition: ScanPartition,
    },
    /// A listing from the catalogue feed (`rightsguard simulate-feed`):
    /// written for `seller` as the platform, created or updated, unless the
    /// stored listing is at `revision` or later already (a redelivery, or
    /// an older event overtaken by a newer one on another worker); its scan
    /// follows as a `Listing` item.
    Feed {
        /// A unique id of this feed event.
        event: String,
        /// The listing.
        listing: ListingId,
        /// Its seller.
        seller: OrgId,
        /// Its content.
        content: ListingContent,
        /// The feed's revision of the listing: 1 for its creation, n for
        /// its (n-1)-th change (the feed being its only writer, the stored
        /// version then equals it).
        revision: i64,
    },
}

impl WorkItem {
    /// The id that makes publishing it twice a no-op (the stream's dedup key).
    pub fn message_id(&self) -> String {
        match self {
            WorkItem::Listing { key, .. } => key.clone(),
            WorkItem::Partition { partition: p, .. } => format!("partition:{}:{}", p.scan, p.part),
            WorkItem::Feed { event, .. } => format!("feed:{event}"),
        }
    }

    /// A short name of its kind (the last token of its subject).
    pub fn kind(&self) -> &'static str {
        match self {
            WorkItem::Listing { .. } => "listing",
            WorkItem::Partition { .. } => "partition",
            WorkItem::Feed { .. } => "feed",
        }
    }
}

/// What [`App::run_work`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkDone {
    /// Listings scanned.
    pub listings: i64,
    /// Findings counted.
    pub counts: FindingCounts,
}

/// A future a [`ScanDispatch`] answers.
pub type DispatchFuture<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<(), String>> + Send + 'a>>;

/// Where monitoring work goes when this process does not do it itself: a
/// durable stream that acknowledges each item once it is stored (NATS
/// JetStream in `rightsguard serve --nats`).
pub trait ScanDispatch: Send + Sync + std::fmt::Debug {
    /// Publishes one item; `Ok` only once the stream has stored it.
    fn publish<'a>(&'a self, item: &'a WorkItem) -> DispatchFuture<'a>;
}

/// The verified rights with marks or reference images, ready to match.
#[derive(Debug)]
pub struct ScanIndex {
    index: TextIndex,
    rights: HashMap<String, MonitoredRight>,
    /// The reference images' hashes of every right that has some (`None`
    /// when no right has one: text-only sites pay nothing).
    images: Option<ReferenceSet>,
    /// Per right: its reference images (position = the matcher's
    /// `reference`) with their hashes, and its classes.
    references: HashMap<String, (ClassSet, Vec<(Sha256, ImageHashes)>)>,
    /// Built on the first clearance search, from `rights`.
    clearance: OnceLock<ClearanceIndex>,
}

/// The stored query hashes of listing images, by the file's SHA-256.
pub type ListingImageHashes = HashMap<Sha256, ImageHashes>;

/// Parses the engine's hashes as stored.
pub(crate) fn parse_hashes(json: &str, what: &str) -> Result<ImageHashes> {
    serde_json::from_str(json)
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("hashes of {what}: {e}"))))
}

/// The classes a right is gated by (none on file: every class).
fn right_classes(r: &Right) -> ClassSet {
    if r.nice_classes.is_empty() {
        return ClassSet::ALL;
    }
    ClassSet::from_classes(r.nice_classes.iter().map(|c| u16::from(c.get())))
        .unwrap_or(ClassSet::ALL)
}

/// How a reference variant was derived, in words, for an explanation.
pub fn describe_transform(t: &Transform) -> String {
    let mut parts: Vec<String> = Vec::new();
    if t.dihedral != rightsguard_detect::image::Dihedral::Original {
        parts.push(
            serde_json::to_value(t.dihedral)
                .ok()
                .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                .unwrap_or_else(|| "mirrored".into()),
        );
    }
    if t.rotation_deg != 0.0 {
        parts.push(format!("rotated {:+.1}°", t.rotation_deg));
    }
    for (side, f) in ["left", "top", "right", "bottom"].iter().zip(t.crop) {
        if f > 0.0 {
            parts.push(format!("cut {:.1}% {side}", f * 100.0));
        }
    }
    if t.scale < 1.0 {
        parts.push(format!("thumbnail ×{:.2}", t.scale));
    }
    if t.banner_removed {
        parts.push("banner removed".into());
    }
    if parts.is_empty() {
        if t.trimmed {
            "trimmed to content".into()
        } else {
            "as is".into()
        }
    } else {
        parts.join(", ")
    }
}

/// Whether a monitored right has text to search for (an image-only right
/// has none).
fn has_marks(m: &MonitoredRight) -> bool {
    !m.marks.mark.trim().is_empty() || m.marks.aliases.iter().any(|a| !a.trim().is_empty())
}

/// A right's marks as the detection indexes take them.
fn mark_spec(m: &MonitoredRight) -> MarkSpec {
    MarkSpec {
        right_id: m.right.id.to_string(),
        mark: m.marks.mark.clone(),
        aliases: m.marks.aliases.clone(),
        nice_classes: m
            .right
            .nice_classes
            .iter()
            .map(|c| u16::from(c.get()))
            .collect(),
    }
}

impl ScanIndex {
    /// Builds the index of `rights` (each gated by its Nice classes): their
    /// marks into the text index, their reference images (with the hashes
    /// stored on upload) into the image matcher, with the same thresholds
    /// as `rightsguard scan` ([`MatchConfig::default`]).
    pub fn build(rights: Vec<MonitoredRight>) -> Result<ScanIndex> {
        let specs: Vec<MarkSpec> = rights
            .iter()
            .filter(|m| has_marks(m))
            .map(mark_spec)
            .collect();
        let index = TextIndex::build(&specs)
            .map_err(|e| AppError::Store(StoreError::Corrupt(format!("scan index: {e}"))))?;
        let mut references = HashMap::new();
        let mut sets = Vec::new();
        for m in rights.iter().filter(|m| !m.images.is_empty()) {
            let mut refs = Vec::with_capacity(m.images.len());
            for img in &m.images {
                let what = format!("reference image {} of right {}", img.sha256, m.right.id);
                refs.push((img.sha256, parse_hashes(&img.hashes, &what)?));
            }
            sets.push((
                m.right.id.to_string(),
                refs.iter().map(|(_, h)| h.clone()).collect::<Vec<_>>(),
            ));
            references.insert(m.right.id.to_string(), (right_classes(&m.right), refs));
        }
        let images = if sets.is_empty() {
            None
        } else {
            Some(
                ReferenceSet::build(sets, MatchConfig::default()).map_err(|e| {
                    AppError::Store(StoreError::Corrupt(format!("image index: {e}")))
                })?,
            )
        };
        Ok(ScanIndex {
            index,
            rights: rights
                .into_iter()
                .map(|m| (m.right.id.to_string(), m))
                .collect(),
            images,
            references,
            clearance: OnceLock::new(),
        })
    }

    /// Whether any right has reference images (else listing images need
    /// not be looked up).
    pub fn has_images(&self) -> bool {
        self.images.as_ref().is_some_and(|s| !s.is_empty())
    }

    /// The clearance index of the same rights, built on first use (most
    /// processes never search, and a rescan builds its own scan index).
    /// Its ranking breaks ties by term and right id, so the map's order
    /// does not show.
    pub fn clearance(&self) -> Result<&ClearanceIndex> {
        if let Some(c) = self.clearance.get() {
            return Ok(c);
        }
        let specs: Vec<MarkSpec> = self
            .rights
            .values()
            .filter(|m| has_marks(m))
            .map(mark_spec)
            .collect();
        let built = ClearanceIndex::build(&specs)
            .map_err(|e| AppError::Store(StoreError::Corrupt(format!("clearance index: {e}"))))?;
        Ok(self.clearance.get_or_init(|| built))
    }

    /// A right in the index, with its marks.
    pub fn right(&self, id: &str) -> Option<&MonitoredRight> {
        self.rights.get(id)
    }

    /// The rights in the index (of one owner, or all).
    pub fn rights_of(&self, owner: Option<&OrgId>) -> Vec<RightId> {
        let mut v: Vec<RightId> = self
            .rights
            .values()
            .filter(|m| owner.is_none_or(|o| &m.right.owner == o))
            .map(|m| m.right.id.clone())
            .collect();
        v.sort();
        v
    }

    /// The findings in `listing` (of rights of `owner` only, if given): one
    /// per right and cause, the title's first, then its images' (matched
    /// through `images`, the stored hashes of its image files; an image
    /// without hashes is skipped).
    pub fn scan(
        &self,
        listing: &Listing,
        classes: ClassSet,
        owner: Option<&OrgId>,
        images: &ListingImageHashes,
        now: Timestamp,
    ) -> Result<Vec<Finding>> {
        if self.rights.is_empty() {
            return Ok(Vec::new());
        }
        let capture = capture_of(listing, now);
        let capture_sha256 = sha256_of(capture.canonical_json().as_bytes());
        let mut out: Vec<Finding> = Vec::new();
        let c = &listing.content;
        for (field, text) in [
            (Field::Title, c.title.as_str()),
            (Field::Description, c.description.as_str()),
        ] {
            for h in self.index.find(field, text, &classes) {
                let Some(m) = self.rights.get(&*h.right_id) else {
                    continue;
                };
                if owner.is_some_and(|o| o != &m.right.owner) {
                    continue;
                }
                let cause = format!("text:{}:{}", h.method.as_str(), h.term);
                if out
                    .iter()
                    .any(|f| f.right == m.right.id && f.cause == cause)
                {
                    continue;
                }
                out.push(Finding {
                    id: random_id("fd-")?,
                    listing: listing.id.clone(),
                    right: m.right.id.clone(),
                    owner: m.right.owner.clone(),
                    cause,
                    explanation: explanation(field, h),
                    capture: capture.clone(),
                    capture_sha256,
                    relisting_of: None,
                    state: FindingState::Open,
                    found_at: now,
                    updated_at: now,
                });
            }
        }
        self.scan_images(listing, classes, owner, images, &capture, now, &mut out)?;
        Ok(out)
    }

    /// The image half of [`ScanIndex::scan`]: one finding per (listing
    /// image, reference image), cause `image:LISTING_SHA:REFERENCE_SHA`.
    #[allow(clippy::too_many_arguments)]
    fn scan_images(
        &self,
        listing: &Listing,
        classes: ClassSet,
        owner: Option<&OrgId>,
        images: &ListingImageHashes,
        capture: &Capture,
        now: Timestamp,
        out: &mut Vec<Finding>,
    ) -> Result<()> {
        let Some(set) = &self.images else {
            return Ok(());
        };
        let mut seen: BTreeSet<Sha256> = BTreeSet::new();
        for sha in &listing.content.image_hashes {
            if !seen.insert(*sha) {
                continue;
            }
            let Some(query) = images.get(sha) else {
                continue;
            };
            for hit in set.match_image(query) {
                let Some(m) = self.rights.get(&hit.right_id) else {
                    continue;
                };
                if owner.is_some_and(|o| o != &m.right.owner) {
                    continue;
                }
                let Some((right_classes, refs)) = self.references.get(&hit.right_id) else {
                    continue;
                };
                if !classes.meets(*right_classes) {
                    continue;
                }
                let Some((reference, ref_hashes)) = refs.get(hit.reference as usize) else {
                    continue;
                };
                let cause = format!("image:{sha}:{reference}");
                if out
                    .iter()
                    .any(|f| f.right == m.right.id && f.cause == cause)
                {
                    continue;
                }
                let mut capture = capture.clone();
                capture.image_match = Some(image_match(sha, query, reference, ref_hashes, &hit));
                let capture_sha256 = sha256_of(capture.canonical_json().as_bytes());
                out.push(Finding {
                    id: random_id("fd-")?,
                    listing: listing.id.clone(),
                    right: m.right.id.clone(),
                    owner: m.right.owner.clone(),
                    cause,
                    explanation: image_explanation(sha, reference, &hit),
                    capture,
                    capture_sha256,
                    relisting_of: None,
                    state: FindingState::Open,
                    found_at: now,
                    updated_at: now,
                });
            }
        }
        Ok(())
    }
}

/// An image hit as a finding explains it: `matched` is the listing image's
/// SHA-256, `term` the reference image's, `distance` the PDQ Hamming
/// distance (of 256 bits; at most 31 counts) and the score falls with it.
fn image_explanation(listing_image: &Sha256, reference: &Sha256, hit: &ImageHit) -> Explanation {
    let matched = listing_image.to_string();
    Explanation {
        method: "image".to_owned(),
        term: reference.to_string(),
        field: "images".to_owned(),
        start: 0,
        end: matched.len() as u64,
        matched,
        score: 1.0 - hit.distance as f32 / 256.0,
        distance: u8::try_from(hit.distance).ok(),
        transform: Some(describe_transform(&hit.transform)),
    }
}

/// The hashes an image finding rests on, for its capture.
fn image_match(
    listing_image: &Sha256,
    query: &ImageHashes,
    reference: &Sha256,
    ref_hashes: &ImageHashes,
    hit: &ImageHit,
) -> ImageMatch {
    let reference_pdq = ref_hashes
        .variants
        .iter()
        .find(|v| v.transform == hit.transform)
        .map(|v| v.hash.to_string())
        .unwrap_or_default();
    ImageMatch {
        listing_image: *listing_image,
        listing_pdq: query.variants.iter().map(|v| v.hash.to_string()).collect(),
        reference_image: *reference,
        reference_pdq,
        distance: u8::try_from(hit.distance).unwrap_or(u8::MAX),
    }
}

/// A text hit as a finding explains it.
fn explanation(field: Field, h: TextHit) -> Explanation {
    Explanation {
        method: h.method.as_str().to_owned(),
        term: h.term.to_string(),
        field: field.as_str().to_owned(),
        start: h.start as u64,
        end: h.end as u64,
        matched: h.matched,
        score: h.score,
        distance: h.method.distance(),
        transform: None,
    }
}

fn capture_of(l: &Listing, now: Timestamp) -> Capture {
    Capture {
        listing: l.id.clone(),
        seller: l.seller.clone(),
        title: l.content.title.as_str().to_owned(),
        description: l.content.description.as_str().to_owned(),
        image_hashes: l.content.image_hashes.clone(),
        captured_at: now,
        image_match: None,
    }
}

pub(crate) fn sha256_of(bytes: &[u8]) -> Sha256 {
    Sha256::from_bytes(sha2::Sha256::digest(bytes).into())
}

/// What the app keeps for monitoring.
#[derive(Debug)]
pub(crate) struct Monitor {
    index: RwLock<Option<(Arc<ScanIndex>, Instant)>>,
    /// Set by [`App::set_scan_interval`]; otherwise the policy's.
    interval: RwLock<Option<SignedDuration>>,
    rebuild: tokio::sync::Mutex<()>,
    dispatch: RwLock<Option<Arc<dyn ScanDispatch>>>,
    partition_size: AtomicI64,
    /// The index of the rescan whose partitions this process ran last.
    partition_index: tokio::sync::Mutex<Option<(String, Arc<ScanIndex>)>>,
}

impl Default for Monitor {
    fn default() -> Self {
        Self {
            index: RwLock::new(None),
            interval: RwLock::new(None),
            rebuild: tokio::sync::Mutex::new(()),
            dispatch: RwLock::new(None),
            partition_size: AtomicI64::new(DEFAULT_PARTITION_SIZE),
            partition_index: tokio::sync::Mutex::new(None),
        }
    }
}

/// One complaint filed from findings.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintFiled {
    /// The complaint.
    pub complaint: ComplaintId,
    /// Its right.
    pub right: RightId,
    /// The findings it was filed from.
    pub findings: Vec<String>,
    /// The listings it names.
    pub listings: Vec<ListingId>,
    /// The evidence attached (the captures, by SHA-256).
    pub evidence: Vec<Sha256>,
}

fn field(payload: &serde_json::Value, k: &str) -> String {
    payload
        .get(k)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn dispatch_failed(e: String) -> AppError {
    AppError::Busy(format!("the work stream did not take the item: {e}"))
}

fn bad_job(e: impl std::fmt::Display) -> AppError {
    AppError::NotFound(format!("job payload: {e}"))
}

/// The job that scans one listing version.
pub(crate) fn scan_job(l: &Listing, version: i64, now: Timestamp) -> NewJob {
    NewJob {
        key: format!("{SCAN_LISTING}:{}:{version}", l.id),
        kind: SCAN_LISTING.to_owned(),
        payload: serde_json::json!({"listing": l.id}),
        due_at: now,
    }
}

/// The job that scans a listing again because the hashes of one of its
/// images arrived (one per listing and image: a second upload of the same
/// bytes schedules nothing new).
pub(crate) fn image_scan_job(l: &ListingId, image: &Sha256, now: Timestamp) -> NewJob {
    NewJob {
        key: format!("{SCAN_LISTING}:{l}:image:{image}"),
        kind: SCAN_LISTING.to_owned(),
        payload: serde_json::json!({"listing": l}),
        due_at: now,
    }
}

/// The job that rescans one rights holder now, and its scan record's id.
fn rescan_job(owner: &OrgId, reason: &str, due: Timestamp, key_suffix: &str) -> NewJob {
    let scan = format!("scan-{owner}-{reason}-{}", due.as_microsecond());
    NewJob {
        key: format!("{RESCAN_HOLDER}:{owner}:{reason}:{key_suffix}"),
        kind: RESCAN_HOLDER.to_owned(),
        payload: serde_json::json!({"owner": owner, "reason": reason, "scan": scan}),
        due_at: due,
    }
}

/// Stay-down: the listings taken down by a complaint (of `owner`'s, if
/// given) that `l` re-posts under another id: the same title after
/// folding, or one of the same images. One finding per earlier
/// complaint and listing, linked to the complaint.
///
/// Compares with every taken-down listing (loaded once per scan job or
/// partition): fine for thousands of takedowns, not for millions (an
/// index of folded titles and image hashes would be the next step).
fn relistings(
    l: &Listing,
    owner: Option<&OrgId>,
    now: Timestamp,
    taken: &[TakenDown],
) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    let title = fold_text(l.content.title.as_str());
    let capture = capture_of(l, now);
    let capture_sha256 = sha256_of(capture.canonical_json().as_bytes());
    for td in taken {
        if td.listing == l.id || owner.is_some_and(|o| o != &td.owner) {
            continue;
        }
        let Some(orig) = &td.original else {
            continue;
        };
        let same_image = l
            .content
            .image_hashes
            .iter()
            .find(|h| orig.content.image_hashes.contains(h));
        let (field, matched) =
            if !title.trim().is_empty() && fold_text(orig.content.title.as_str()) == title {
                ("title", l.content.title.as_str().to_owned())
            } else if let Some(h) = same_image {
                ("images", h.to_string())
            } else {
                continue;
            };
        out.push(Finding {
            id: random_id("fd-")?,
            listing: l.id.clone(),
            right: td.right.clone(),
            owner: td.owner.clone(),
            cause: format!("relisting:{}:{}", td.complaint, td.listing),
            explanation: Explanation {
                method: "relisting".into(),
                term: td.listing.to_string(),
                field: field.into(),
                start: 0,
                end: matched.len() as u64,
                matched,
                score: 1.0,
                distance: None,
                transform: None,
            },
            capture: capture.clone(),
            capture_sha256,
            relisting_of: Some(td.complaint.clone()),
            state: FindingState::Open,
            found_at: now,
            updated_at: now,
        });
    }
    Ok(out)
}

fn classes_to_set(c: ClassSet) -> BTreeSet<NiceClass> {
    (1u16..=45)
        .filter(|n| ClassSet::from_classes([*n]).is_ok_and(|one| one.meets(c)))
        .filter_map(|n| NiceClass::new(u32::from(n)).ok())
        .collect()
}

impl<S: Store + ListingStore + FindingStore> App<S> {
    /// Sets how often each rights holder's rights are rescanned, in place of
    /// the policy's `monitoring.rescan_interval_days` (`serve --rescan-every-hours`).
    pub fn set_scan_interval(&self, every: SignedDuration) {
        *self
            .monitor
            .interval
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(every);
    }

    /// The time between scheduled rescans: as set, or the policy's.
    pub fn scan_interval(&self) -> SignedDuration {
        let set = *self
            .monitor
            .interval
            .read()
            .unwrap_or_else(|p| p.into_inner());
        set.unwrap_or_else(|| {
            SignedDuration::from_hours(
                24 * i64::from(self.policy().monitoring.rescan_interval_days),
            )
        })
    }

    /// Hands scans to `dispatch` instead of running them here (scale-out).
    pub fn set_scan_dispatch(&self, dispatch: Arc<dyn ScanDispatch>) {
        *self
            .monitor
            .dispatch
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(dispatch);
    }

    fn scan_dispatch(&self) -> Option<Arc<dyn ScanDispatch>> {
        self.monitor
            .dispatch
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sets how many listings each partition of a dispatched rescan has.
    pub fn set_partition_size(&self, listings: i64) {
        self.monitor
            .partition_size
            .store(listings.max(1), Ordering::Relaxed);
    }

    /// The scan index, built from the store on first use and rebuilt when
    /// older than [`INDEX_MAX_AGE`].
    pub async fn scan_index(&self) -> Result<Arc<ScanIndex>> {
        let cached = self
            .monitor
            .index
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match cached {
            Some((i, built)) if built.elapsed() < INDEX_MAX_AGE => Ok(i),
            _ => self.rebuild_scan_index().await,
        }
    }

    /// Rebuilds the scan index from the verified rights with marks.
    pub async fn rebuild_scan_index(&self) -> Result<Arc<ScanIndex>> {
        let _one_at_a_time = self.monitor.rebuild.lock().await;
        let built = Arc::new(ScanIndex::build(self.store().monitored_rights().await?)?);
        *self
            .monitor
            .index
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some((built.clone(), Instant::now()));
        Ok(built)
    }

    /// Called after a right changed state: a right entering or leaving
    /// force changes the index; a newly verified one is rescanned.
    pub(crate) async fn right_changed(&self, before: &Right, after: &Right) -> Result<()> {
        let was = before.state == RightState::Verified;
        let is = after.state == RightState::Verified;
        if was == is {
            return Ok(());
        }
        self.rebuild_scan_index().await?;
        if is
            && (self.store().right_marks(&after.id).await?.is_some()
                || !self.store().right_images(&after.id).await?.is_empty())
        {
            let now = self.now();
            self.store()
                .schedule_jobs(&self.rescan_jobs(&after.owner, "right_verified", now))
                .await?;
        }
        Ok(())
    }

    /// A rescan of `owner` now, and the first of its scheduled rescans
    /// (scheduled once per owner; each scheduled rescan schedules the next).
    pub(crate) fn rescan_jobs(&self, owner: &OrgId, reason: &str, now: Timestamp) -> Vec<NewJob> {
        self.rescan_jobs_for(owner, reason, now, None)
    }

    /// [`App::rescan_jobs`] owed by one named change (`change`, e.g. an image
    /// added or removed): its job key and scan id name the change, so two
    /// changes in the same instant each get their rescan.
    pub(crate) fn rescan_jobs_for(
        &self,
        owner: &OrgId,
        reason: &str,
        now: Timestamp,
        change: Option<&str>,
    ) -> Vec<NewJob> {
        let next = now.checked_add(self.scan_interval()).unwrap_or(now);
        let at = now.as_microsecond().to_string();
        let mut first = match change {
            Some(c) => rescan_job(owner, reason, now, &format!("{at}:{c}")),
            None => rescan_job(owner, reason, now, &at),
        };
        if let Some(c) = change {
            let scan = format!("scan-{owner}-{reason}-{at}-{c}");
            first.payload["scan"] = serde_json::Value::String(scan);
        }
        vec![first, rescan_job(owner, "scheduled", next, "first")]
    }

    /// Sets the mark and aliases a right is monitored for (its owner or the
    /// owner's agent); rescans the owner's listings.
    pub async fn set_right_marks(
        &self,
        actor: &Actor,
        right: &RightId,
        marks: RightMarks,
    ) -> Result<RightMarks> {
        let r = self.right_visible_to(actor, right).await?;
        if !matches!(actor.role, Role::RightsHolder | Role::Agent) {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: "set the marks a right is monitored for",
            }
            .into());
        }
        let marks = RightMarks {
            mark: marks.mark.trim().to_owned(),
            aliases: marks
                .aliases
                .iter()
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect(),
        };
        if marks.mark.is_empty() && marks.aliases.is_empty() {
            return Err(RuleError::Invalid("a mark or an alias is required".into()).into());
        }
        let now = self.now();
        let jobs = if r.state == RightState::Verified {
            self.rescan_jobs(&r.owner, "marks_changed", now)
        } else {
            Vec::new()
        };
        self.store()
            .set_right_marks(&r.id, &r.owner, &marks, now, &jobs)
            .await?;
        self.rebuild_scan_index().await?;
        Ok(marks)
    }

    /// Runs a `scan_listing` job (or hands it to the dispatcher).
    pub(crate) async fn run_scan_listing(
        &self,
        key: &str,
        payload: &serde_json::Value,
    ) -> Result<()> {
        let id = ListingId::parse(&field(payload, "listing")).map_err(bad_job)?;
        if let Some(d) = self.scan_dispatch() {
            let item = WorkItem::Listing {
                listing: id,
                key: key.to_owned(),
            };
            return d.publish(&item).await.map_err(dispatch_failed);
        }
        self.scan_listing_now(&id).await.map(|_| ())
    }

    async fn scan_listing_now(&self, id: &ListingId) -> Result<WorkDone> {
        let Some(l) = self.store().listing(id).await? else {
            return Err(AppError::NotFound(format!("listing {id}")));
        };
        let index = self.scan_index().await?;
        let taken = self.store().taken_down().await?;
        let counts = self.scan_one(&index, &l.value, None, None, &taken).await?;
        Ok(WorkDone {
            listings: 1,
            counts,
        })
    }

    /// Runs one item of work from the stream (a worker); running it twice
    /// changes nothing. `NotFound` means the item is moot (its listing is
    /// gone); other errors are worth a retry.
    pub async fn run_work(&self, item: &WorkItem) -> Result<WorkDone> {
        match item {
            WorkItem::Listing { listing, .. } => self.scan_listing_now(listing).await,
            WorkItem::Partition { owner, partition } => self.run_partition(owner, partition).await,
            WorkItem::Feed {
                listing,
                seller,
                content,
                revision,
                ..
            } => {
                self.feed_listing(listing, seller, content, *revision)
                    .await?;
                Ok(WorkDone::default())
            }
        }
    }

    /// Writes a listing from the feed as the platform: creates it, or
    /// updates it unless it is at `revision` already (so a redelivered or
    /// overtaken event is a no-op and the newest content wins).
    async fn feed_listing(
        &self,
        id: &ListingId,
        seller: &OrgId,
        content: &ListingContent,
        revision: i64,
    ) -> Result<()> {
        let system = self.system_actor();
        for _ in 0..crate::RETRIES {
            let outcome = match self.store().listing(id).await? {
                Some(l) if l.version >= revision => return Ok(()),
                Some(l) => self
                    .update_listing(&system, id, content.clone(), l.version)
                    .await
                    .map(|_| ()),
                None => self
                    .create_listing(&system, id.clone(), Some(seller.clone()), content.clone())
                    .await
                    .map(|_| ()),
            };
            match outcome {
                // Another worker wrote it meanwhile: look again.
                Err(AppError::Store(StoreError::Conflict(_) | StoreError::Duplicate(_))) => {
                    continue;
                }
                r => return r,
            }
        }
        Err(AppError::Busy(format!("listing {id}")))
    }

    /// The index a rescan's partitions match with: built once per rescan
    /// in each process (all partitions of one rescan see the same rights).
    async fn partition_index(&self, scan: &str) -> Result<Arc<ScanIndex>> {
        let mut slot = self.monitor.partition_index.lock().await;
        if let Some((s, index)) = &*slot
            && s == scan
        {
            return Ok(index.clone());
        }
        let built = Arc::new(ScanIndex::build(self.store().monitored_rights().await?)?);
        *slot = Some((scan.to_owned(), built.clone()));
        Ok(built)
    }

    /// Scans one partition of a rescan and records it done (with its counts,
    /// which only its first completion sets).
    async fn run_partition(&self, owner: &OrgId, p: &ScanPartition) -> Result<WorkDone> {
        let index = self.partition_index(&p.scan).await?;
        let taken = self.store().taken_down().await?;
        let mut done = WorkDone::default();
        let mut after = p.after.clone();
        loop {
            let page = self
                .store()
                .listings_in_range(&after, p.upto.as_deref(), RESCAN_PAGE)
                .await?;
            let listings: Vec<&Listing> = page.iter().collect();
            done.counts += self
                .scan_page(&index, &listings, owner, &p.scan, &taken)
                .await?;
            done.listings += page.len() as i64;
            match page.last() {
                Some(l) if page.len() as i64 == RESCAN_PAGE => after = l.id.to_string(),
                _ => break,
            }
        }
        let now = self.now();
        self.store()
            .finish_partition(&p.scan, p.part, done.listings, done.counts, now)
            .await?;
        Ok(done)
    }

    /// What a scan of `l` finds against the rights `scope` (of `owner`, if
    /// given), relistings included, not yet reconciled; `None` for a
    /// category the site does not have.
    #[allow(clippy::too_many_arguments)]
    fn scan_found(
        &self,
        index: &ScanIndex,
        l: &Listing,
        owner: Option<&OrgId>,
        taken: &[TakenDown],
        scope: &[RightId],
        images: &ListingImageHashes,
        now: Timestamp,
    ) -> Result<Option<ListingScan>> {
        let Some(classes) = self.category_classes(l.content.category.as_str()) else {
            return Ok(None);
        };
        let mut found = index.scan(l, classes, owner, images, now)?;
        let mut scope = scope.to_vec();
        for f in relistings(l, owner, now, taken)? {
            if !scope.contains(&f.right) {
                scope.push(f.right.clone());
            }
            found.push(f);
        }
        Ok(Some(ListingScan {
            listing: l.id.clone(),
            scope,
            found,
        }))
    }

    /// The stored hashes of the images of `listings`, in one query (none
    /// when no right has reference images).
    async fn listing_image_hashes(
        &self,
        index: &ScanIndex,
        listings: &[&Listing],
    ) -> Result<ListingImageHashes> {
        if !index.has_images() {
            return Ok(HashMap::new());
        }
        let shas: Vec<Sha256> = listings
            .iter()
            .flat_map(|l| l.content.image_hashes.iter().copied())
            .collect();
        if shas.is_empty() {
            return Ok(HashMap::new());
        }
        self.store()
            .image_hashes(&shas)
            .await?
            .into_iter()
            .map(|(sha, json)| -> Result<(Sha256, ImageHashes)> {
                Ok((sha, parse_hashes(&json, &format!("listing image {sha}"))?))
            })
            .collect()
    }

    async fn scan_one(
        &self,
        index: &ScanIndex,
        l: &Listing,
        owner: Option<&OrgId>,
        scan: Option<&str>,
        taken: &[TakenDown],
    ) -> Result<FindingCounts> {
        let now = self.now();
        let scope = index.rights_of(owner);
        let images = self.listing_image_hashes(index, &[l]).await?;
        let Some(s) = self.scan_found(index, l, owner, taken, &scope, &images, now)? else {
            return Ok(FindingCounts::default());
        };
        for _ in 0..crate::RETRIES {
            match self
                .store()
                .record_findings(&s.listing, &s.scope, &s.found, now, scan)
                .await
            {
                Err(StoreError::Conflict(_)) => continue,
                r => return Ok(r?),
            }
        }
        Err(AppError::Busy(format!("findings of listing {}", l.id)))
    }

    /// Scans a page of a rescan and reconciles it in one transaction (one
    /// commit per page, not per listing).
    async fn scan_page(
        &self,
        index: &ScanIndex,
        page: &[&Listing],
        owner: &OrgId,
        scan: &str,
        taken: &[TakenDown],
    ) -> Result<FindingCounts> {
        let now = self.now();
        let scope = index.rights_of(Some(owner));
        let images = self.listing_image_hashes(index, page).await?;
        let mut scans = Vec::with_capacity(page.len());
        for l in page {
            if let Some(s) = self.scan_found(index, l, Some(owner), taken, &scope, &images, now)? {
                scans.push(s);
            }
        }
        for _ in 0..crate::RETRIES {
            match self
                .store()
                .record_findings_many(&scans, now, Some(scan))
                .await
            {
                Err(StoreError::Conflict(_)) => continue,
                r => return Ok(r?),
            }
        }
        Err(AppError::Busy(format!(
            "findings of a page of rescan {scan}"
        )))
    }

    /// Runs a `rescan_holder` job: every listing against one owner's rights
    /// (or, with a dispatcher, splits it into partitions and hands them on).
    pub(crate) async fn run_rescan_holder(&self, payload: &serde_json::Value) -> Result<()> {
        if let Some(d) = self.scan_dispatch() {
            return self.dispatch_rescan(d.as_ref(), payload).await;
        }
        let owner = OrgId::parse(&field(payload, "owner")).map_err(bad_job)?;
        let reason = field(payload, "reason");
        let mut scan = ScanRecord {
            id: field(payload, "scan"),
            owner: owner.clone(),
            reason: reason.clone(),
            started_at: self.now(),
            finished_at: None,
            listings: 0,
            counts: FindingCounts::default(),
        };
        self.store().start_scan(&scan).await?;
        let index = self.rebuild_scan_index().await?;
        let mut after: Option<ListingId> = None;
        loop {
            let page = self
                .store()
                .listings(None, after.as_ref(), RESCAN_PAGE)
                .await?;
            let taken = self.store().taken_down().await?;
            let listings: Vec<&Listing> = page.iter().map(|l| &l.value).collect();
            scan.counts += self
                .scan_page(&index, &listings, &owner, &scan.id, &taken)
                .await?;
            scan.listings += page.len() as i64;
            match page.last() {
                Some(l) if page.len() as i64 == RESCAN_PAGE => after = Some(l.value.id.clone()),
                _ => break,
            }
        }
        let now = self.now();
        scan.finished_at = Some(now);
        self.store().finish_scan(&scan).await?;
        self.schedule_next_rescan(&owner, &reason, now).await
    }

    async fn schedule_next_rescan(
        &self,
        owner: &OrgId,
        reason: &str,
        now: Timestamp,
    ) -> Result<()> {
        if reason == "scheduled" {
            let next = now.checked_add(self.scan_interval()).unwrap_or(now);
            self.store()
                .schedule_jobs(&[rescan_job(
                    owner,
                    "scheduled",
                    next,
                    &next.as_microsecond().to_string(),
                )])
                .await?;
        }
        Ok(())
    }

    /// Splits a rescan into partitions of listing ids, starts its record
    /// and publishes each partition (again, if the job is re-run: the
    /// stream drops what it already has).
    async fn dispatch_rescan(
        &self,
        d: &dyn ScanDispatch,
        payload: &serde_json::Value,
    ) -> Result<()> {
        let owner = OrgId::parse(&field(payload, "owner")).map_err(bad_job)?;
        let reason = field(payload, "reason");
        let now = self.now();
        let scan = ScanRecord {
            id: field(payload, "scan"),
            owner: owner.clone(),
            reason: reason.clone(),
            started_at: now,
            finished_at: None,
            listings: 0,
            counts: FindingCounts::default(),
        };
        let size = self.monitor.partition_size.load(Ordering::Relaxed);
        let ranges = self.store().split_listings(size).await?;
        let parts = self.store().start_partitioned_scan(&scan, &ranges).await?;
        for partition in parts {
            let item = WorkItem::Partition {
                owner: owner.clone(),
                partition,
            };
            d.publish(&item).await.map_err(dispatch_failed)?;
        }
        self.schedule_next_rescan(&owner, &reason, now).await
    }

    /// A rights holder (or its agent) asks for a rescan of its rights now;
    /// returns the id its scan record will have.
    pub async fn request_rescan(&self, actor: &Actor) -> Result<String> {
        let owner = self.own_rights_holder(actor, "start a rescan")?;
        self.schedule_rescan(&owner, "requested").await
    }

    /// Schedules a rescan of `owner` now (operators, `rightsguard rescan`).
    pub async fn schedule_rescan(&self, owner: &OrgId, reason: &str) -> Result<String> {
        let now = self.now();
        let jobs = self.rescan_jobs(owner, reason, now);
        self.store().schedule_jobs(&jobs).await?;
        Ok(field(&jobs[0].payload, "scan"))
    }

    fn own_rights_holder(&self, actor: &Actor, command: &'static str) -> Result<OrgId> {
        match (actor.role, &actor.principal) {
            (Role::RightsHolder, _) => Ok(actor.org.clone()),
            (Role::Agent, Some(p)) => Ok(p.clone()),
            _ => Err(RuleError::Forbidden {
                role: actor.role,
                command,
            }
            .into()),
        }
    }

    /// Whose findings the actor sees: `None` for all (staff), the owner for
    /// a rights holder or agent; sellers are refused.
    fn findings_scope(&self, actor: &Actor) -> Result<Option<OrgId>> {
        match actor.role {
            Role::Reviewer | Role::Admin | Role::System => Ok(None),
            Role::RightsHolder | Role::Agent | Role::Seller => {
                self.own_rights_holder(actor, "see findings").map(Some)
            }
        }
    }

    /// A page of findings the actor may see, in id order after `after`.
    pub async fn findings_visible_to(
        &self,
        actor: &Actor,
        state: Option<&str>,
        right: Option<&RightId>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Finding>> {
        let owner = self.findings_scope(actor)?;
        if let Some(s) = state
            && !matches!(s, "open" | "dismissed" | "complained" | "resolved")
        {
            return Err(RuleError::Invalid(format!(
                "state {s:?}: use open, dismissed, complained or resolved"
            ))
            .into());
        }
        Ok(self
            .store()
            .findings(
                owner.as_ref(),
                state,
                right,
                after,
                limit.clamp(1, MAX_FINDINGS_PAGE),
            )
            .await?)
    }

    /// One finding, if the actor may see it (its right's owner, the owner's
    /// agent, staff); `NotFound` otherwise.
    pub async fn finding_visible_to(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<rightsguard_store::Versioned<Finding>> {
        let not_found = || AppError::NotFound(format!("finding {id}"));
        let f = self.store().finding(id).await?.ok_or_else(not_found)?;
        if may_triage(actor, &f.value.owner) {
            Ok(f)
        } else {
            Err(not_found())
        }
    }

    /// Where the marks of `right` occur in `listing`'s title and description,
    /// every occurrence in text order, with the marks themselves: what a
    /// reviewer's complaint page highlights. Not gated by class (the
    /// complaint's scope check did that; the reviewer sees the text match
    /// whatever the category), and computed on the listing as given, so
    /// the spans fit the text shown beside them. For those who may see the
    /// right (its owner or agent, staff); `None` when it has no marks on
    /// file.
    pub async fn mark_matches(
        &self,
        actor: &Actor,
        right: &RightId,
        listing: &Listing,
    ) -> Result<Option<(RightMarks, Vec<Explanation>)>> {
        self.right_visible_to(actor, right).await?;
        let Some(marks) = self.store().right_marks(right).await? else {
            return Ok(None);
        };
        let spec = MarkSpec {
            right_id: right.to_string(),
            mark: marks.mark.clone(),
            aliases: marks.aliases.clone(),
            nice_classes: Vec::new(),
        };
        let index = TextIndex::build(std::slice::from_ref(&spec))
            .map_err(|e| AppError::Store(StoreError::Corrupt(format!("marks of {right}: {e}"))))?;
        let c = &listing.content;
        let mut out = Vec::new();
        for (field, text) in [
            (Field::Title, c.title.as_str()),
            (Field::Description, c.description.as_str()),
        ] {
            let mut hits = index.find(field, text, &ClassSet::ALL);
            hits.sort_by_key(|h| (h.start, h.end));
            out.extend(hits.into_iter().map(|h| explanation(field, h)));
        }
        Ok(Some((marks, out)))
    }

    /// Dismisses an open finding with a reason.
    pub async fn dismiss_finding(&self, actor: &Actor, id: &str, reason: &str) -> Result<Finding> {
        for _ in 0..crate::RETRIES {
            let loaded = self.finding_visible_to(actor, id).await?;
            let mut f = loaded.value.clone();
            f.state = loaded.value.dismiss(actor, reason)?;
            f.updated_at = self.now();
            match self.store().save_finding(&f, loaded.version).await {
                Ok(_) => return Ok(f),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy(format!("finding {id}")))
    }

    /// Scan records the actor may see: its own (rights holder, agent) or all (staff).
    pub async fn scans_visible_to(&self, actor: &Actor, limit: i64) -> Result<Vec<ScanRecord>> {
        let owner = self.findings_scope(actor)?;
        Ok(self
            .store()
            .scans(owner.as_ref(), limit.clamp(1, MAX_FINDINGS_PAGE))
            .await?)
    }

    /// Files complaints from open findings: one complaint per right and per
    /// `max_listings_per_complaint` listings, each with the captures of its
    /// findings attached as evidence (stored in the evidence store when this
    /// process has one), through [`App::submit_complaint`]; the findings
    /// become `complained`.
    ///
    /// Not atomic across complaints: a failure part-way leaves the
    /// complaints filed so far (and their findings marked) in place and
    /// answers the error; the remaining findings stay open.
    pub async fn complain_findings(
        &self,
        actor: &Actor,
        ids: &[String],
        reason: ReasonCode,
    ) -> Result<Vec<ComplaintFiled>> {
        if ids.is_empty() {
            return Err(RuleError::Invalid("select at least one finding".into()).into());
        }
        let mut by_right: BTreeMap<RightId, Vec<Finding>> = BTreeMap::new();
        let unique: BTreeSet<&String> = ids.iter().collect();
        for id in unique {
            let f = self.finding_visible_to(actor, id).await?.value;
            f.may_complain(actor)?;
            by_right.entry(f.right.clone()).or_default().push(f);
        }
        let limit = usize::try_from(self.policy().complaints.max_listings_per_complaint)
            .unwrap_or(300)
            .max(1);
        let mut filed = Vec::new();
        for (right, findings) in by_right {
            // Group by listing, keeping listing order stable.
            let mut per_listing: BTreeMap<ListingId, Vec<Finding>> = BTreeMap::new();
            for f in findings {
                per_listing.entry(f.listing.clone()).or_default().push(f);
            }
            let groups: Vec<(ListingId, Vec<Finding>)> = per_listing.into_iter().collect();
            for chunk in groups.chunks(limit) {
                filed.push(self.file_chunk(actor, &right, chunk, reason).await?);
            }
        }
        Ok(filed)
    }

    async fn file_chunk(
        &self,
        actor: &Actor,
        right: &RightId,
        chunk: &[(ListingId, Vec<Finding>)],
        reason: ReasonCode,
    ) -> Result<ComplaintFiled> {
        let mut refs = Vec::new();
        let mut evidence: BTreeSet<Sha256> = BTreeSet::new();
        for (listing, findings) in chunk {
            let l = self
                .store()
                .listing(listing)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("listing {listing}")))?
                .value;
            let classes = self
                .category_classes(l.content.category.as_str())
                .map(classes_to_set)
                .unwrap_or_default();
            refs.push(ListingRef {
                id: l.id.clone(),
                seller: l.seller.clone(),
                category_classes: classes,
            });
            for f in findings {
                evidence.insert(self.keep_capture(actor, f).await?);
                evidence.extend(self.keep_pictures(actor, f).await?);
            }
        }
        let id = ComplaintId::parse(&random_id("c-")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let complaint = self
            .submit_complaint(
                actor,
                SubmitComplaint {
                    id: id.clone(),
                    right: right.clone(),
                    reason,
                    listings: refs,
                    evidence: evidence.iter().copied().collect(),
                },
            )
            .await?;
        let mut ids = Vec::new();
        for (_, findings) in chunk {
            for f in findings {
                self.mark_complained(&f.id, &complaint.id).await?;
                ids.push(f.id.clone());
            }
        }
        Ok(ComplaintFiled {
            complaint: complaint.id,
            right: right.clone(),
            findings: ids,
            listings: chunk.iter().map(|(l, _)| l.clone()).collect(),
            evidence: evidence.into_iter().collect(),
        })
    }

    /// Stores a finding's capture as an evidence file of the actor's
    /// organisation (when this process has an evidence store) and returns
    /// its SHA-256, which is the capture's hash either way.
    async fn keep_capture(&self, actor: &Actor, f: &Finding) -> Result<Sha256> {
        if self.evidence.is_some() {
            let bytes = f.capture.canonical_json().into_bytes();
            let up = self
                .upload_evidence(actor, bytes, Some(f.capture.captured_at))
                .await?;
            return Ok(up.record.sha256);
        }
        Ok(f.capture_sha256)
    }

    /// For an image finding: the listing's picture and the right's
    /// reference picture, stored as evidence files of the actor's
    /// organisation (those whose bytes this process has), so the complaint
    /// shows both; their SHA-256s.
    async fn keep_pictures(&self, actor: &Actor, f: &Finding) -> Result<Vec<Sha256>> {
        let Some(m) = &f.capture.image_match else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for sha in [m.listing_image, m.reference_image] {
            if let Some(bytes) = self.stored_file(&sha).await? {
                let up = self.upload_evidence(actor, bytes, None).await?;
                out.push(up.record.sha256);
            }
        }
        Ok(out)
    }

    async fn mark_complained(&self, id: &str, complaint: &ComplaintId) -> Result<()> {
        for _ in 0..crate::RETRIES {
            let Some(loaded) = self.store().finding(id).await? else {
                return Err(AppError::NotFound(format!("finding {id}")));
            };
            let mut f = loaded.value;
            f.state = FindingState::Complained {
                complaint: complaint.clone(),
            };
            f.updated_at = self.now();
            match self.store().save_finding(&f, loaded.version).await {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy(format!("finding {id}")))
    }
}
