//! Storage of monitoring: the marks and reference images each right is
//! searched for, the perceptual hashes of listing images, findings and scan
//! records.
//!
//! The main design decision is that [`FindingStore::record_findings`] takes
//! *everything* one scan of one listing found for a set of rights and
//! reconciles it with what is stored, in one transaction: new causes are
//! inserted, causes already stored are left alone (a resolved one is
//! reopened), and open findings of those rights that the scan no longer
//! finds are resolved. The unique key (listing, right, cause) makes a scan
//! that is run twice (a job re-run after a crash) write nothing the second
//! time.
//!
//! A rescan may be split into partitions (ranges of listing ids) that
//! several workers do ([`FindingStore::start_partitioned_scan`],
//! [`FindingStore::finish_partition`]). Each finding remembers the rescan
//! that last changed it, so a partition done again after a crash counts
//! what its first attempt wrote the same way (new, resolved), and a
//! partition's counts are kept from its first completion only: the scan's
//! totals do not depend on crashes or on how many workers shared it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;

use jiff::Timestamp;
use rightsguard_domain::event::DomainEvent;
use rightsguard_domain::finding::{Finding, FindingState};
use rightsguard_domain::ids::{ListingId, OrgId, RightId, Sha256};
use rightsguard_domain::right::Right;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{
    NewJob, Result, SqlStore, StoreError, Versioned, append_audit, corrupt, from_json, from_micros,
    insert_jobs, is_unique_violation, micros, to_json,
};

/// What a right is searched for in listings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RightMarks {
    /// The mark as registered (e.g. "NIKE").
    pub mark: String,
    /// Other spellings that count as the mark.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A reference image of a right: the file (by SHA-256, its bytes in the
/// evidence file store) and the detection engine's reference hashes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightImage {
    /// The right.
    pub right: RightId,
    /// The right's owner.
    pub owner: OrgId,
    /// SHA-256 of the file.
    pub sha256: Sha256,
    /// The engine's reference hashes as JSON (opaque to storage).
    pub hashes: String,
    /// How many hashes `hashes` holds.
    pub variants: i64,
    /// When it was added.
    pub added_at: Timestamp,
    /// Who added it: `ORG/USER` (or `ORG` without a person).
    pub added_by: String,
}

/// A verified right with its marks and reference images: what scans match
/// against. A right is monitored when it has marks, images or both (or
/// neither but open findings, until a scan resolves them).
#[derive(Debug, Clone, PartialEq)]
pub struct MonitoredRight {
    /// The right.
    pub right: Right,
    /// Its marks (empty for an image-only right).
    pub marks: RightMarks,
    /// Its reference images, oldest first.
    pub images: Vec<RightImage>,
}

/// What one reconciliation changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FindingCounts {
    /// Causes not stored before (or reopened).
    pub new: i64,
    /// Causes already stored.
    pub known: i64,
    /// Open findings no longer found.
    pub resolved: i64,
}

impl std::ops::AddAssign for FindingCounts {
    fn add_assign(&mut self, o: Self) {
        self.new += o.new;
        self.known += o.known;
        self.resolved += o.resolved;
    }
}

/// The record of one scan of a rights holder's rights over all listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanRecord {
    /// Its id.
    pub id: String,
    /// The rights holder.
    pub owner: OrgId,
    /// Why it ran: `scheduled`, `right_verified`, `marks_changed`, `images_changed`, `requested`.
    pub reason: String,
    /// When it started.
    pub started_at: Timestamp,
    /// When it finished (`None` while running).
    pub finished_at: Option<Timestamp>,
    /// Listings scanned.
    pub listings: i64,
    /// Findings counted.
    pub counts: FindingCounts,
}

/// What one scan of one listing found, for [`FindingStore::record_findings_many`].
#[derive(Debug, Clone, PartialEq)]
pub struct ListingScan {
    /// The listing.
    pub listing: ListingId,
    /// The rights it was scanned against.
    pub scope: Vec<RightId>,
    /// What it found.
    pub found: Vec<Finding>,
}

/// One range of listing ids of a partitioned rescan: the listings with
/// `after < id <= upto` (`after` empty: from the first; `upto` `None`: to
/// the last).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanPartition {
    /// The scan's id.
    pub scan: String,
    /// The partition's number, from 0.
    pub part: i64,
    /// The exclusive lower bound.
    pub after: String,
    /// The inclusive upper bound.
    pub upto: Option<String>,
}

/// A listing taken down by a complaint (and still down).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenDown {
    /// The complaint.
    pub complaint: rightsguard_domain::ids::ComplaintId,
    /// The listing.
    pub listing: ListingId,
    /// The complaint's right.
    pub right: RightId,
    /// The complainant.
    pub owner: OrgId,
    /// The listing as stored now, if the marketplace fed it in.
    pub original: Option<rightsguard_domain::listing::Listing>,
}

/// The storage operations of monitoring.
pub trait FindingStore: Send + Sync {
    /// Sets the marks of a right and schedules `jobs` (its rescan) in the
    /// same transaction.
    fn set_right_marks(
        &self,
        right: &RightId,
        owner: &OrgId,
        marks: &RightMarks,
        now: Timestamp,
        jobs: &[NewJob],
    ) -> impl Future<Output = Result<()>> + Send;
    /// The marks of one right.
    fn right_marks(
        &self,
        right: &RightId,
    ) -> impl Future<Output = Result<Option<RightMarks>>> + Send;
    /// Every verified right that has marks or reference images, in id
    /// order; also one that has neither but still has open findings (its
    /// last reference image was removed), so that scans resolve them.
    fn monitored_rights(&self) -> impl Future<Output = Result<Vec<MonitoredRight>>> + Send;
    /// Adds a reference image to a right with its audit records and jobs
    /// (its rescan), in one transaction; `false` (and nothing written) if
    /// the right has that image already.
    fn add_right_image(
        &self,
        image: &RightImage,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The reference images of a right, oldest first.
    fn right_images(&self, right: &RightId)
    -> impl Future<Output = Result<Vec<RightImage>>> + Send;
    /// Removes a reference image from a right with its audit records and
    /// jobs, in one transaction; `false` (and nothing written) if the right
    /// has no such image. The file itself is kept.
    fn remove_right_image(
        &self,
        right: &RightId,
        sha256: &Sha256,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The listings that carry (or carried) an image, in id order.
    fn listings_with_image(
        &self,
        sha256: &Sha256,
    ) -> impl Future<Output = Result<Vec<ListingId>>> + Send;
    /// Stores the query hashes of a listing image (kept if stored already:
    /// the same bytes hash the same) and schedules `jobs` (the scans of the
    /// listings that show it) in one transaction; `true` if newly stored.
    fn put_image_hashes(
        &self,
        sha256: &Sha256,
        hashes: &str,
        now: Timestamp,
        jobs: &[NewJob],
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The stored query hashes (JSON) of those of `images` that have them,
    /// in one query per 500 images.
    fn image_hashes(
        &self,
        images: &[Sha256],
    ) -> impl Future<Output = Result<HashMap<Sha256, String>>> + Send;
    /// Every listing that a complaint took down and that is still down
    /// (upheld, counter-notice pending or forwarded, escalated, established).
    fn taken_down(&self) -> impl Future<Output = Result<Vec<TakenDown>>> + Send;
    /// Schedules jobs (idempotent by key).
    fn schedule_jobs(&self, jobs: &[NewJob]) -> impl Future<Output = Result<()>> + Send;
    /// Reconciles what a scan of `listing` against the rights `scope` found
    /// with what is stored (see the module doc); `scan` is the rescan this
    /// is part of (`None` for the scan of a new or changed listing).
    fn record_findings(
        &self,
        listing: &ListingId,
        scope: &[RightId],
        found: &[Finding],
        now: Timestamp,
        scan: Option<&str>,
    ) -> impl Future<Output = Result<FindingCounts>> + Send;
    /// [`FindingStore::record_findings`] for many listings (a page of a
    /// rescan) in one transaction.
    fn record_findings_many(
        &self,
        scans: &[ListingScan],
        now: Timestamp,
        scan: Option<&str>,
    ) -> impl Future<Output = Result<FindingCounts>> + Send;
    /// Splits the listings, in id order, into ranges of `size` listings
    /// (the last range open-ended).
    fn split_listings(
        &self,
        size: i64,
    ) -> impl Future<Output = Result<Vec<(String, Option<String>)>>> + Send;
    /// Starts a rescan split into `ranges` and answers its partitions; a
    /// scan that was started already (a re-run of the job that split it)
    /// keeps the partitions it was given the first time.
    fn start_partitioned_scan(
        &self,
        scan: &ScanRecord,
        ranges: &[(String, Option<String>)],
    ) -> impl Future<Output = Result<Vec<ScanPartition>>> + Send;
    /// Records a partition done with its counts (only its first completion
    /// counts) and adds up the scan's totals; answers the scan record, which
    /// is finished once every partition is done.
    fn finish_partition(
        &self,
        scan: &str,
        part: i64,
        listings: i64,
        counts: FindingCounts,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<ScanRecord>>> + Send;
    /// The listings with `after < id <= upto` (`upto` `None`: no upper
    /// bound), in id order, at most `limit`.
    fn listings_in_range(
        &self,
        after: &str,
        upto: Option<&str>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<rightsguard_domain::listing::Listing>>> + Send;
    /// One scan record.
    fn scan_record(&self, id: &str) -> impl Future<Output = Result<Option<ScanRecord>>> + Send;
    /// One finding.
    fn finding(&self, id: &str) -> impl Future<Output = Result<Option<Versioned<Finding>>>> + Send;
    /// Findings of one owner (or all), optionally in one state and of one
    /// right, in id order after `after`, at most `limit`.
    fn findings(
        &self,
        owner: Option<&OrgId>,
        state: Option<&str>,
        right: Option<&RightId>,
        after: Option<&str>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Finding>>> + Send;
    /// Saves a finding's new state if it is still at `expected_version`.
    fn save_finding(
        &self,
        finding: &Finding,
        expected_version: i64,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// Records the start of a scan (a second start of the same id is a no-op).
    fn start_scan(&self, scan: &ScanRecord) -> impl Future<Output = Result<()>> + Send;
    /// Writes a scan's counters and end.
    fn finish_scan(&self, scan: &ScanRecord) -> impl Future<Output = Result<()>> + Send;
    /// Scans of one owner (or all), newest first, at most `limit`.
    fn scans(
        &self,
        owner: Option<&OrgId>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ScanRecord>>> + Send;
}

fn finding_row(r: &AnyRow) -> Result<Versioned<Finding>> {
    Ok(Versioned {
        value: from_json(&r.try_get::<String, _>("body")?, "finding")?,
        version: r.try_get("version")?,
    })
}

fn scan_row(r: &AnyRow) -> Result<ScanRecord> {
    Ok(ScanRecord {
        id: r.try_get("id")?,
        owner: OrgId::parse(&r.try_get::<String, _>("owner")?).map_err(crate::corrupt)?,
        reason: r.try_get("reason")?,
        started_at: from_micros(r.try_get("started_at")?)?,
        finished_at: r
            .try_get::<Option<i64>, _>("finished_at")?
            .map(from_micros)
            .transpose()?,
        listings: r.try_get("listings")?,
        counts: FindingCounts {
            new: r.try_get("found_new")?,
            known: r.try_get("found_known")?,
            resolved: r.try_get("resolved")?,
        },
    })
}

const RIGHT_IMAGE_COLUMNS: &str =
    "i.right_id, i.sha256, i.owner, i.hashes, i.variants, i.added_at, i.added_by";

fn right_image_row(r: &AnyRow) -> Result<RightImage> {
    Ok(RightImage {
        right: RightId::parse(&r.try_get::<String, _>("right_id")?).map_err(corrupt)?,
        owner: OrgId::parse(&r.try_get::<String, _>("owner")?).map_err(corrupt)?,
        sha256: Sha256::parse(&r.try_get::<String, _>("sha256")?).map_err(corrupt)?,
        hashes: r.try_get("hashes")?,
        variants: r.try_get("variants")?,
        added_at: from_micros(r.try_get("added_at")?)?,
        added_by: r.try_get("added_by")?,
    })
}

const SCAN_COLUMNS: &str =
    "id, owner, reason, started_at, finished_at, listings, found_new, found_known, resolved";

impl FindingStore for SqlStore {
    async fn set_right_marks(
        &self,
        right: &RightId,
        owner: &OrgId,
        marks: &RightMarks,
        now: Timestamp,
        jobs: &[NewJob],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO right_marks (right_id, owner, body, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (right_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(right.as_str())
        .bind(owner.as_str())
        .bind(to_json(marks)?)
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        insert_jobs(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn right_marks(&self, right: &RightId) -> Result<Option<RightMarks>> {
        sqlx::query("SELECT body FROM right_marks WHERE right_id = $1")
            .bind(right.as_str())
            .fetch_optional(self.pool())
            .await?
            .map(|r| from_json(&r.try_get::<String, _>(0)?, "right marks"))
            .transpose()
    }

    async fn monitored_rights(&self) -> Result<Vec<MonitoredRight>> {
        let rows = sqlx::query(
            "SELECT r.body, m.body FROM rights r LEFT JOIN right_marks m ON m.right_id = r.id \
             WHERE r.state = 'verified' AND (m.right_id IS NOT NULL \
             OR EXISTS (SELECT 1 FROM right_images i WHERE i.right_id = r.id) \
             OR EXISTS (SELECT 1 FROM findings f WHERE f.right_id = r.id AND f.state = 'open')) \
             ORDER BY r.id",
        )
        .fetch_all(self.pool())
        .await?;
        let image_rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RIGHT_IMAGE_COLUMNS} FROM right_images i JOIN rights r ON r.id = i.right_id \
             WHERE r.state = 'verified' ORDER BY i.right_id, i.added_at, i.sha256"
        )))
        .fetch_all(self.pool())
        .await?;
        let mut images: BTreeMap<String, Vec<RightImage>> = BTreeMap::new();
        for r in &image_rows {
            let image = right_image_row(r)?;
            images
                .entry(image.right.as_str().to_owned())
                .or_default()
                .push(image);
        }
        rows.iter()
            .map(|r| {
                let right: Right = from_json(&r.try_get::<String, _>(0)?, "right")?;
                let marks = r
                    .try_get::<Option<String>, _>(1)?
                    .map(|b| from_json(&b, "right marks"))
                    .transpose()?
                    .unwrap_or_default();
                let images = images.remove(right.id.as_str()).unwrap_or_default();
                Ok(MonitoredRight {
                    right,
                    marks,
                    images,
                })
            })
            .collect()
    }

    async fn add_right_image(
        &self,
        image: &RightImage,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO right_images (right_id, sha256, owner, hashes, variants, added_at, added_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(image.right.as_str())
        .bind(image.sha256.to_string())
        .bind(image.owner.as_str())
        .bind(image.hashes.as_str())
        .bind(image.variants)
        .bind(micros(image.added_at))
        .bind(image.added_by.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        append_audit(&mut tx, events).await?;
        insert_jobs(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn right_images(&self, right: &RightId) -> Result<Vec<RightImage>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RIGHT_IMAGE_COLUMNS} FROM right_images i WHERE i.right_id = $1 \
             ORDER BY i.added_at, i.sha256"
        )))
        .bind(right.as_str())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(right_image_row)
        .collect()
    }

    async fn remove_right_image(
        &self,
        right: &RightId,
        sha256: &Sha256,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM right_images WHERE right_id = $1 AND sha256 = $2")
            .bind(right.as_str())
            .bind(sha256.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        append_audit(&mut tx, events).await?;
        insert_jobs(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn listings_with_image(&self, sha256: &Sha256) -> Result<Vec<ListingId>> {
        sqlx::query("SELECT listing FROM listing_images WHERE sha256 = $1 ORDER BY listing")
            .bind(sha256.to_string())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| ListingId::parse(&r.try_get::<String, _>(0)?).map_err(corrupt))
            .collect()
    }

    async fn put_image_hashes(
        &self,
        sha256: &Sha256,
        hashes: &str,
        now: Timestamp,
        jobs: &[NewJob],
    ) -> Result<bool> {
        let mut tx = self.begin_rows().await?;
        let done = sqlx::query(
            "INSERT INTO image_hashes (sha256, hashes, computed_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(sha256.to_string())
        .bind(hashes)
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        insert_jobs(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn image_hashes(&self, images: &[Sha256]) -> Result<HashMap<Sha256, String>> {
        let mut out = HashMap::new();
        let unique: Vec<Sha256> = images
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for chunk in unique.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            // Only placeholders are formatted in; the hashes are bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT sha256, hashes FROM image_hashes WHERE sha256 IN ({})",
                marks.join(", ")
            )));
            for sha in chunk {
                q = q.bind(sha.to_string());
            }
            for r in q.fetch_all(self.pool()).await? {
                let sha = Sha256::parse(&r.try_get::<String, _>(0)?).map_err(corrupt)?;
                out.insert(sha, r.try_get::<String, _>(1)?);
            }
        }
        Ok(out)
    }

    async fn taken_down(&self) -> Result<Vec<TakenDown>> {
        let rows = sqlx::query(
            "SELECT i.complaint_id, i.listing_id, c.right_id, c.complainant, l.body FROM complaint_items i \
             JOIN complaints c ON c.id = i.complaint_id \
             LEFT JOIN listings l ON l.id = i.listing_id \
             WHERE i.state IN ('upheld', 'counter_notice_pending', 'forwarded', 'escalated', 'established') \
             ORDER BY i.complaint_id, i.listing_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TakenDown {
                    complaint: rightsguard_domain::ids::ComplaintId::parse(
                        &r.try_get::<String, _>(0)?,
                    )
                    .map_err(crate::corrupt)?,
                    listing: ListingId::parse(&r.try_get::<String, _>(1)?)
                        .map_err(crate::corrupt)?,
                    right: RightId::parse(&r.try_get::<String, _>(2)?).map_err(crate::corrupt)?,
                    owner: OrgId::parse(&r.try_get::<String, _>(3)?).map_err(crate::corrupt)?,
                    original: r
                        .try_get::<Option<String>, _>(4)?
                        .map(|b| from_json(&b, "listing"))
                        .transpose()?,
                })
            })
            .collect()
    }

    async fn schedule_jobs(&self, jobs: &[NewJob]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        insert_jobs(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_findings(
        &self,
        listing: &ListingId,
        scope: &[RightId],
        found: &[Finding],
        now: Timestamp,
        scan: Option<&str>,
    ) -> Result<FindingCounts> {
        // No audit append here: on PostgreSQL the unique key and the
        // versions keep concurrent scans of one listing apart, without the
        // global write lock (workers reconcile in parallel).
        let mut tx = self.begin_rows().await?;
        let mut stored = stored_findings(&mut tx, std::slice::from_ref(listing)).await?;
        let counts = reconcile(
            &mut tx,
            listing,
            scope,
            found,
            now,
            scan,
            stored.remove(listing.as_str()).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(counts)
    }

    async fn record_findings_many(
        &self,
        scans: &[ListingScan],
        now: Timestamp,
        scan: Option<&str>,
    ) -> Result<FindingCounts> {
        let mut tx = self.begin_rows().await?;
        let ids: Vec<ListingId> = scans.iter().map(|s| s.listing.clone()).collect();
        let mut stored = stored_findings(&mut tx, &ids).await?;
        let mut counts = FindingCounts::default();
        for s in scans {
            counts += reconcile(
                &mut tx,
                &s.listing,
                &s.scope,
                &s.found,
                now,
                scan,
                stored.remove(s.listing.as_str()).unwrap_or_default(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(counts)
    }

    async fn split_listings(&self, size: i64) -> Result<Vec<(String, Option<String>)>> {
        let size = size.max(1);
        let mut out = Vec::new();
        let mut after = String::new();
        loop {
            let upto: Option<String> =
                sqlx::query("SELECT id FROM listings WHERE id > $1 ORDER BY id LIMIT 1 OFFSET $2")
                    .bind(&after)
                    .bind(size - 1)
                    .fetch_optional(self.pool())
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?;
            match upto {
                Some(u) => {
                    out.push((after, Some(u.clone())));
                    after = u;
                }
                None => {
                    // The rest (fewer than `size`, maybe none), open-ended
                    // so listings added since are in it too.
                    let any = sqlx::query("SELECT id FROM listings WHERE id > $1 LIMIT 1")
                        .bind(&after)
                        .fetch_optional(self.pool())
                        .await?
                        .is_some();
                    if any || out.is_empty() {
                        out.push((after, None));
                    } else if let Some(last) = out.last_mut() {
                        last.1 = None;
                    }
                    return Ok(out);
                }
            }
        }
    }

    async fn start_partitioned_scan(
        &self,
        scan: &ScanRecord,
        ranges: &[(String, Option<String>)],
    ) -> Result<Vec<ScanPartition>> {
        let mut tx = self.begin_rows().await?;
        let started = sqlx::query(
            "INSERT INTO scans (id, owner, reason, started_at, partitions) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&scan.id)
        .bind(scan.owner.as_str())
        .bind(&scan.reason)
        .bind(micros(scan.started_at))
        .bind(ranges.len() as i64)
        .execute(&mut *tx)
        .await?;
        if started.rows_affected() == 1 {
            for (i, (after, upto)) in ranges.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO scan_partitions (scan_id, part, after_id, upto_id) VALUES ($1, $2, $3, $4)",
                )
                .bind(&scan.id)
                .bind(i as i64)
                .bind(after)
                .bind(upto.as_deref())
                .execute(&mut *tx)
                .await?;
            }
        }
        let rows = sqlx::query(
            "SELECT part, after_id, upto_id FROM scan_partitions WHERE scan_id = $1 ORDER BY part",
        )
        .bind(&scan.id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(ScanPartition {
                    scan: scan.id.clone(),
                    part: r.try_get(0)?,
                    after: r.try_get(1)?,
                    upto: r.try_get(2)?,
                })
            })
            .collect()
    }

    async fn finish_partition(
        &self,
        scan: &str,
        part: i64,
        listings: i64,
        counts: FindingCounts,
        now: Timestamp,
    ) -> Result<Option<ScanRecord>> {
        let mut tx = self.begin_rows().await?;
        // Lock the scan's row first: two workers finishing its last two
        // partitions at once then add up one after the other, and the
        // second sees the first's partition (each statement of a
        // read-committed transaction reads what was committed before it).
        sqlx::query("UPDATE scans SET id = id WHERE id = $1")
            .bind(scan)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE scan_partitions SET done_at = $1, listings = $2, found_new = $3, found_known = $4, resolved = $5 \
             WHERE scan_id = $6 AND part = $7 AND done_at IS NULL",
        )
        .bind(micros(now))
        .bind(listings)
        .bind(counts.new)
        .bind(counts.known)
        .bind(counts.resolved)
        .bind(scan)
        .bind(part)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE scans SET \
             listings = (SELECT COALESCE(SUM(listings), 0) FROM scan_partitions WHERE scan_id = $1 AND done_at IS NOT NULL), \
             found_new = (SELECT COALESCE(SUM(found_new), 0) FROM scan_partitions WHERE scan_id = $1 AND done_at IS NOT NULL), \
             found_known = (SELECT COALESCE(SUM(found_known), 0) FROM scan_partitions WHERE scan_id = $1 AND done_at IS NOT NULL), \
             resolved = (SELECT COALESCE(SUM(resolved), 0) FROM scan_partitions WHERE scan_id = $1 AND done_at IS NOT NULL), \
             finished_at = CASE WHEN finished_at IS NULL AND \
               (SELECT COUNT(*) FROM scan_partitions WHERE scan_id = $1 AND done_at IS NOT NULL) = partitions \
               THEN $2 ELSE finished_at END \
             WHERE id = $1",
        )
        .bind(scan)
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        let record = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SCAN_COLUMNS} FROM scans WHERE id = $1"
        )))
        .bind(scan)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(scan_row)
        .transpose()?;
        tx.commit().await?;
        Ok(record)
    }

    async fn listings_in_range(
        &self,
        after: &str,
        upto: Option<&str>,
        limit: i64,
    ) -> Result<Vec<rightsguard_domain::listing::Listing>> {
        // An empty `upto` never bounds: listing ids are never empty.
        let rows = sqlx::query(
            "SELECT body FROM listings WHERE id > $1 AND ($2 = '' OR id <= $2) ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(upto.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>(0)?, "listing"))
            .collect()
    }

    async fn scan_record(&self, id: &str) -> Result<Option<ScanRecord>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SCAN_COLUMNS} FROM scans WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(scan_row)
        .transpose()
    }

    async fn finding(&self, id: &str) -> Result<Option<Versioned<Finding>>> {
        sqlx::query("SELECT body, version FROM findings WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(finding_row)
            .transpose()
    }

    async fn findings(
        &self,
        owner: Option<&OrgId>,
        state: Option<&str>,
        right: Option<&RightId>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Finding>> {
        // Unused filters compare a column with itself.
        let rows = sqlx::query(
            "SELECT body, version FROM findings WHERE \
             ($1 = '' OR owner = $1) AND ($2 = '' OR state = $2) AND ($3 = '' OR right_id = $3) \
             AND id > $4 ORDER BY id LIMIT $5",
        )
        .bind(owner.map(OrgId::as_str).unwrap_or(""))
        .bind(state.unwrap_or(""))
        .bind(right.map(RightId::as_str).unwrap_or(""))
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| finding_row(r).map(|v| v.value))
            .collect()
    }

    async fn save_finding(&self, f: &Finding, expected_version: i64) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        update_finding(&mut tx, f, expected_version).await?;
        tx.commit().await?;
        Ok(expected_version + 1)
    }

    async fn start_scan(&self, s: &ScanRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO scans (id, owner, reason, started_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&s.id)
        .bind(s.owner.as_str())
        .bind(&s.reason)
        .bind(micros(s.started_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn finish_scan(&self, s: &ScanRecord) -> Result<()> {
        sqlx::query(
            "UPDATE scans SET finished_at = $1, listings = $2, found_new = $3, found_known = $4, resolved = $5 WHERE id = $6",
        )
        .bind(s.finished_at.map(micros))
        .bind(s.listings)
        .bind(s.counts.new)
        .bind(s.counts.known)
        .bind(s.counts.resolved)
        .bind(&s.id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn scans(&self, owner: Option<&OrgId>, limit: i64) -> Result<Vec<ScanRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SCAN_COLUMNS} FROM scans WHERE ($1 = '' OR owner = $1) ORDER BY started_at DESC, id DESC LIMIT $2"
        )))
        .bind(owner.map(OrgId::as_str).unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(scan_row).collect()
    }
}

/// A stored finding and the rescan that last changed it.
type StoredFinding = (Versioned<Finding>, Option<String>);

/// The stored findings of `listings` with the rescan that last changed
/// each, by listing.
async fn stored_findings(
    tx: &mut sqlx::AnyConnection,
    listings: &[ListingId],
) -> Result<HashMap<String, Vec<StoredFinding>>> {
    let mut out: HashMap<String, Vec<StoredFinding>> = HashMap::new();
    for chunk in listings.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT listing_id, body, version, scan_id FROM findings WHERE listing_id IN ({}) ORDER BY id",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for l in chunk {
            q = q.bind(l.as_str());
        }
        for r in q.fetch_all(&mut *tx).await? {
            out.entry(r.try_get("listing_id")?)
                .or_default()
                .push((finding_row(&r)?, r.try_get::<Option<String>, _>("scan_id")?));
        }
    }
    Ok(out)
}

/// Reconciles one listing's scan with its `stored` findings (see the
/// module doc) inside the caller's transaction.
async fn reconcile(
    tx: &mut sqlx::AnyConnection,
    listing: &ListingId,
    scope: &[RightId],
    found: &[Finding],
    now: Timestamp,
    scan: Option<&str>,
    stored: Vec<StoredFinding>,
) -> Result<FindingCounts> {
    // Whether this rescan (if any) last changed a stored finding.
    let by_this_scan = |by: &Option<String>| scan.is_some_and(|s| by.as_deref() == Some(s));
    let mut counts = FindingCounts::default();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    for f in found {
        if f.listing != *listing {
            return Err(StoreError::Corrupt(format!(
                "finding {} is about listing {}, not {listing}",
                f.id, f.listing
            )));
        }
        if !seen.insert((f.right.as_str(), f.cause.as_str())) {
            continue;
        }
        let old = stored
            .iter()
            .find(|(s, _)| s.value.right == f.right && s.value.cause == f.cause);
        match old {
            Some((s, _)) if s.value.state == FindingState::Resolved => {
                let mut again = f.clone();
                again.id = s.value.id.clone();
                again.found_at = s.value.found_at;
                again.state = FindingState::Open;
                again.updated_at = now;
                update_finding(&mut *tx, &again, s.version).await?;
                set_scan_id(&mut *tx, &again.id, scan).await?;
                counts.new += 1;
            }
            Some((s, by)) if s.value.state == FindingState::Open && by_this_scan(by) => {
                counts.new += 1
            }
            Some(_) => counts.known += 1,
            None => {
                let inserted = sqlx::query(
                    "INSERT INTO findings (id, listing_id, right_id, owner, cause, state, body, version, found_at, scan_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)",
                )
                .bind(&f.id)
                .bind(f.listing.as_str())
                .bind(f.right.as_str())
                .bind(f.owner.as_str())
                .bind(&f.cause)
                .bind(f.state.name())
                .bind(to_json(f)?)
                .bind(micros(f.found_at))
                .bind(scan)
                .execute(&mut *tx)
                .await;
                match inserted {
                    Err(e) if is_unique_violation(&e) => {
                        return Err(StoreError::Conflict(format!(
                            "finding of {listing} for {} ({})",
                            f.right, f.cause
                        )));
                    }
                    r => r?,
                };
                counts.new += 1;
            }
        }
    }
    for (s, by) in &stored {
        let v = &s.value;
        if !scope.contains(&v.right) || seen.contains(&(v.right.as_str(), v.cause.as_str())) {
            continue;
        }
        if v.state == FindingState::Open {
            let mut gone = v.clone();
            gone.state = FindingState::Resolved;
            gone.updated_at = now;
            update_finding(&mut *tx, &gone, s.version).await?;
            set_scan_id(&mut *tx, &gone.id, scan).await?;
            counts.resolved += 1;
        } else if v.state == FindingState::Resolved && by_this_scan(by) {
            counts.resolved += 1;
        }
    }
    Ok(counts)
}

async fn set_scan_id(tx: &mut sqlx::AnyConnection, id: &str, scan: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE findings SET scan_id = $1 WHERE id = $2")
        .bind(scan)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn update_finding(
    tx: &mut sqlx::AnyConnection,
    f: &Finding,
    expected_version: i64,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE findings SET state = $1, body = $2, version = version + 1 WHERE id = $3 AND version = $4",
    )
    .bind(f.state.name())
    .bind(to_json(f)?)
    .bind(&f.id)
    .bind(expected_version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!("finding {}", f.id)));
    }
    Ok(())
}
