//! Image monitoring: the reference images of rights and the perceptual
//! hashes of listing images.
//!
//! The main design decision is that hashing happens once per file, when the
//! bytes arrive, never during a scan: a reference image gets the engine's
//! robust set of hashes ([`reference_hashes_from_bytes`]: rotations, crops,
//! banner cuts, mirrors, thumbnails, ~109 hashes) when its holder uploads
//! it, and a listing image its three query hashes
//! ([`query_hashes_from_bytes`]) when the marketplace uploads it, stored by
//! the file's SHA-256 (`image_hashes`) so a picture shown on many listings
//! is hashed once. Listings name their images by SHA-256 only, so a scan
//! looks the hashes up (one query for a listing, one per rescan page) and
//! skips images whose bytes have not come yet; their upload schedules the
//! scans of every listing that shows them, in the same transaction that
//! stores the hashes. Both kinds of bytes are kept in the evidence file
//! store (content-addressed, never overwritten), so findings and complaints
//! can show the pictures.
//!
//! Decoding runs under the engine's [`Limits`] (size, dimensions, decoder
//! memory) off the async threads: a hostile file is refused with the
//! decoder's reason before anything is stored.

use jiff::Timestamp;
use rightsguard_detect::image::{
    ImageHashes, Limits, MatchConfig, RobustConfig, query_hashes_from_bytes,
    reference_hashes_from_bytes,
};
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::event::{DomainEvent, EventKind};
use rightsguard_domain::ids::{ListingId, RightId, Sha256};
use rightsguard_domain::right::{Right, RightState};
use rightsguard_domain::rule::RuleError;
use rightsguard_store::Store;
use rightsguard_store::evidence::{EvidenceError, EvidenceStore};
use rightsguard_store::findings::{FindingStore, RightImage};
use rightsguard_store::listings::ListingStore;

use crate::findings::{image_scan_job, sha256_of};
use crate::{App, AppError, Result};

/// What an upload of a listing image's bytes did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingImageHashed {
    /// The file's SHA-256.
    pub sha256: Sha256,
    /// How many query hashes it has.
    pub variants: usize,
    /// Whether this upload computed them (false: they were stored already,
    /// and nothing was written).
    pub new: bool,
    /// The listings whose scans this upload scheduled.
    pub listings: Vec<ListingId>,
}

/// A stored picture's bytes with the type sniffed from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFile {
    /// Its SHA-256.
    pub sha256: Sha256,
    /// The sniffed content type (`text/plain` for an SVG, which is served
    /// as text, never rendered).
    pub content_type: &'static str,
    /// The bytes, checked against their hash.
    pub bytes: Vec<u8>,
}

fn image_error(e: impl std::fmt::Display) -> AppError {
    AppError::Image(e.to_string())
}

fn join_error(e: tokio::task::JoinError) -> AppError {
    AppError::Evidence(EvidenceError::Io(std::io::Error::other(e)))
}

/// Hashes that can match: those of usable quality.
fn usable(h: &ImageHashes) -> usize {
    let min = MatchConfig::default().min_quality;
    h.variants.iter().filter(|v| v.quality >= min).count()
}

fn to_json(h: &ImageHashes) -> Result<String> {
    serde_json::to_string(h)
        .map_err(|e| AppError::Store(rightsguard_store::StoreError::Corrupt(e.to_string())))
}

fn added_by(actor: &Actor) -> String {
    match &actor.user {
        Some(u) => format!("{}/{u}", actor.org),
        None => actor.org.to_string(),
    }
}

impl<S: Store + ListingStore + FindingStore> App<S> {
    /// The right, if the actor may change or read its images: the owner (or
    /// its agent) and staff; a seller is refused (403), anyone else is told
    /// the right does not exist (404).
    async fn images_right(&self, actor: &Actor, right: &RightId) -> Result<Right> {
        if actor.role == Role::Seller {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: "manage the reference images of a right",
            }
            .into());
        }
        self.right_visible_to(actor, right).await
    }

    /// Stores `bytes` in the evidence file store, when this process has one.
    /// A type the store does not keep (an SVG with an XML declaration is
    /// sniffed as XML) is not kept: its hashes are stored all the same, and
    /// the pages show no picture for it.
    async fn keep_file(&self, bytes: Vec<u8>) -> Result<()> {
        let Some(files) = self.evidence.clone() else {
            return Ok(());
        };
        match tokio::task::spawn_blocking(move || files.put(&bytes))
            .await
            .map_err(join_error)?
        {
            Ok(_) | Err(EvidenceError::TypeNotAccepted(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// A stored file, if this process has an evidence store and the file is
    /// in it.
    pub(crate) async fn stored_file(&self, sha: &Sha256) -> Result<Option<Vec<u8>>> {
        let Some(files) = self.evidence.clone() else {
            return Ok(None);
        };
        let sha = *sha;
        match tokio::task::spawn_blocking(move || files.get(&sha))
            .await
            .map_err(join_error)?
        {
            Ok(b) => Ok(Some(b)),
            Err(EvidenceError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Adds a reference image to a right (PNG, JPEG, WebP, GIF or SVG, as
    /// the engine decodes them): hashed under the engine's limits, the file
    /// kept, audited; a verified right's owner is rescanned. The same image
    /// again answers the stored row and `false`, writing nothing.
    pub async fn add_right_image(
        &self,
        actor: &Actor,
        right: &RightId,
        bytes: Vec<u8>,
    ) -> Result<(RightImage, bool)> {
        let r = self.images_right(actor, right).await?;
        if bytes.is_empty() {
            return Err(image_error("the file is empty"));
        }
        let sha = sha256_of(&bytes);
        if let Some(existing) = self.right_image(&r.id, &sha).await? {
            return Ok((existing, false));
        }
        let (hashes, bytes) = tokio::task::spawn_blocking(move || {
            let h =
                reference_hashes_from_bytes(&bytes, &Limits::default(), &RobustConfig::default());
            (h, bytes)
        })
        .await
        .map_err(join_error)?;
        let hashes = hashes.map_err(image_error)?;
        if usable(&hashes) == 0 {
            return Err(image_error(
                "the image has too little detail to match (every hash is under PDQ quality 50): \
                 upload the mark on a plain background, not a flat or blank picture",
            ));
        }
        self.keep_file(bytes).await?;
        let now = self.now();
        let image = RightImage {
            right: r.id.clone(),
            owner: r.owner.clone(),
            sha256: sha,
            hashes: to_json(&hashes)?,
            variants: hashes.variants.len() as i64,
            added_at: now,
            added_by: added_by(actor),
        };
        let event = DomainEvent::right(
            r.id.clone(),
            actor,
            now,
            EventKind::RightImageAdded {
                sha256: sha,
                hashes: u32::try_from(hashes.variants.len()).unwrap_or(u32::MAX),
            },
        );
        let jobs = self.images_rescan(&r, now, &format!("added-{sha}"));
        if !self
            .store()
            .add_right_image(&image, &[event], &jobs)
            .await?
        {
            // Added concurrently: the first one stands.
            if let Some(existing) = self.right_image(&r.id, &sha).await? {
                return Ok((existing, false));
            }
        }
        self.rebuild_scan_index().await?;
        // As stored (instants at the store's microsecond precision).
        let stored = self.right_image(&r.id, &sha).await?;
        Ok((stored.unwrap_or(image), true))
    }

    /// The rescan a change of a right's images owes (a verified right
    /// only); `change` names it (`added-SHA`, `removed-SHA`).
    fn images_rescan(
        &self,
        r: &Right,
        now: Timestamp,
        change: &str,
    ) -> Vec<rightsguard_store::NewJob> {
        if r.state == RightState::Verified {
            let change = format!("{}-{change}", r.id);
            self.rescan_jobs_for(&r.owner, "images_changed", now, Some(&change))
        } else {
            Vec::new()
        }
    }

    async fn right_image(&self, right: &RightId, sha: &Sha256) -> Result<Option<RightImage>> {
        Ok(self
            .store()
            .right_images(right)
            .await?
            .into_iter()
            .find(|i| &i.sha256 == sha))
    }

    /// The reference images of a right the actor may see, oldest first.
    pub async fn right_images_visible_to(
        &self,
        actor: &Actor,
        right: &RightId,
    ) -> Result<Vec<RightImage>> {
        let r = self.images_right(actor, right).await?;
        Ok(self.store().right_images(&r.id).await?)
    }

    /// Removes a reference image from a right (the file is kept), audited;
    /// a verified right's owner is rescanned, so findings that rested on the
    /// image are resolved.
    pub async fn remove_right_image(
        &self,
        actor: &Actor,
        right: &RightId,
        sha: &Sha256,
    ) -> Result<RightImage> {
        let r = self.images_right(actor, right).await?;
        let not_found = || AppError::NotFound(format!("image {sha} of right {right}"));
        let image = self.right_image(&r.id, sha).await?.ok_or_else(not_found)?;
        let now = self.now();
        let event = DomainEvent::right(
            r.id.clone(),
            actor,
            now,
            EventKind::RightImageRemoved { sha256: *sha },
        );
        let jobs = self.images_rescan(&r, now, &format!("removed-{sha}"));
        if !self
            .store()
            .remove_right_image(&r.id, sha, &[event], &jobs)
            .await?
        {
            return Err(not_found());
        }
        self.rebuild_scan_index().await?;
        Ok(image)
    }

    /// The bytes of a right's reference image, for those who may see the
    /// right.
    pub async fn right_image_file(
        &self,
        actor: &Actor,
        right: &RightId,
        sha: &Sha256,
    ) -> Result<ImageFile> {
        let r = self.images_right(actor, right).await?;
        let not_found = || AppError::NotFound(format!("image {sha} of right {right}"));
        self.right_image(&r.id, sha).await?.ok_or_else(not_found)?;
        self.image_file(sha).await?.ok_or_else(not_found)
    }

    async fn image_file(&self, sha: &Sha256) -> Result<Option<ImageFile>> {
        Ok(self.stored_file(sha).await?.map(|bytes| ImageFile {
            sha256: *sha,
            content_type: EvidenceStore::sniff(&bytes).unwrap_or("application/octet-stream"),
            bytes,
        }))
    }

    /// The marketplace (an admin, or the system) uploads the bytes of a
    /// listing image named by `claimed` (its SHA-256): the query hashes are
    /// computed and stored once per file, the bytes kept, and every listing
    /// that shows the image gets its scan, in the same transaction.
    pub async fn put_listing_image(
        &self,
        actor: &Actor,
        claimed: &Sha256,
        bytes: Vec<u8>,
    ) -> Result<ListingImageHashed> {
        if !matches!(actor.role, Role::Admin | Role::System) {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: "upload listing images",
            }
            .into());
        }
        let sha = sha256_of(&bytes);
        if &sha != claimed {
            return Err(RuleError::Invalid(format!(
                "the body's SHA-256 is {sha}, not the {claimed} named in the path"
            ))
            .into());
        }
        if let Some(json) = self.store().image_hashes(&[sha]).await?.remove(&sha) {
            let stored = crate::findings::parse_hashes(&json, &format!("listing image {sha}"))?;
            return Ok(ListingImageHashed {
                sha256: sha,
                variants: stored.variants.len(),
                new: false,
                listings: Vec::new(),
            });
        }
        let (hashes, bytes) = tokio::task::spawn_blocking(move || {
            (query_hashes_from_bytes(&bytes, &Limits::default()), bytes)
        })
        .await
        .map_err(join_error)?;
        let hashes = hashes.map_err(image_error)?;
        self.keep_file(bytes).await?;
        let now = self.now();
        let listings = self.store().listings_with_image(&sha).await?;
        let jobs: Vec<_> = listings
            .iter()
            .map(|l| image_scan_job(l, &sha, now))
            .collect();
        let new = self
            .store()
            .put_image_hashes(&sha, &to_json(&hashes)?, now, &jobs)
            .await?;
        Ok(ListingImageHashed {
            sha256: sha,
            variants: hashes.variants.len(),
            new,
            listings: if new { listings } else { Vec::new() },
        })
    }

    /// A picture of an image finding (the listing's image or the right's
    /// reference image), for those who may see the finding; `None` when the
    /// bytes are not stored.
    pub async fn finding_image_file(
        &self,
        actor: &Actor,
        finding: &str,
        sha: &Sha256,
    ) -> Result<Option<ImageFile>> {
        let f = self.finding_visible_to(actor, finding).await?.value;
        let named = f
            .capture
            .image_match
            .as_ref()
            .is_some_and(|m| &m.listing_image == sha || &m.reference_image == sha);
        if !named {
            return Err(AppError::NotFound(format!(
                "image {sha} of finding {finding}"
            )));
        }
        self.image_file(sha).await
    }
}
