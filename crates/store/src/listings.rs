//! Storage of listings, keyword block terms and brand authorisations.
//!
//! The same shape as rights and complaints: the object whole as JSON beside
//! the columns queries filter on, optimistic versions, and the audit records
//! of a change appended in the change's own transaction. The one query on the
//! hot path of a listing write is [`ListingStore::authorisations_of_seller`],
//! and the app asks it only when the blocklist found something; the in-force
//! terms ([`ListingStore::in_force_block_terms`]) are read only to rebuild the
//! matching index after a term is approved or lifted.

use std::future::Future;

use jiff::Timestamp;
use rightsguard_domain::blocklist::{Authorisation, BlockTerm};
use rightsguard_domain::complaint::ImageSighting;
use rightsguard_domain::event::DomainEvent;
use rightsguard_domain::ids::{AuthorisationId, BlockTermId, ListingId, OrgId, Sha256};
use rightsguard_domain::listing::Listing;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{
    NewJob, Result, SqlStore, StoreError, Versioned, append_audit, corrupt, from_json, from_micros,
    insert_jobs, is_unique_violation, micros, state_name, to_json,
};

/// A block term with its id and version.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBlockTerm {
    /// Its id.
    pub id: BlockTermId,
    /// The term.
    pub term: BlockTerm,
    /// Its version; pass it back when saving.
    pub version: i64,
}

/// An authorisation with its id, the right's owner who granted it, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAuthorisation {
    /// Its id.
    pub id: AuthorisationId,
    /// The rights holder who granted it.
    pub owner: OrgId,
    /// The authorisation.
    pub authorisation: Authorisation,
    /// When it was put on file.
    pub created_at: Timestamp,
}

/// One listing of a batch write ([`ListingStore::write_listings`]).
#[derive(Debug, Clone)]
pub struct ListingWrite {
    /// The listing as it is to be stored.
    pub listing: Listing,
    /// `None` to create it; the version it must still be at to update it.
    pub expected_version: Option<i64>,
    /// Its audit records.
    pub events: Vec<DomainEvent>,
    /// Jobs to schedule with it (its scan).
    pub jobs: Vec<NewJob>,
}

/// The storage operations of listings and the keyword blocklist.
pub trait ListingStore: Send + Sync {
    /// Creates a listing ([`StoreError::Duplicate`] if the id is taken) with
    /// its audit records; returns its version (1).
    fn create_listing(
        &self,
        listing: &Listing,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<i64>> + Send {
        self.create_listing_with_jobs(listing, events, &[])
    }
    /// [`ListingStore::create_listing`], scheduling `jobs` (its scan) in the
    /// same transaction.
    fn create_listing_with_jobs(
        &self,
        listing: &Listing,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> impl Future<Output = Result<i64>> + Send;
    /// Saves a changed listing if it is still at `expected_version`.
    fn save_listing(
        &self,
        listing: &Listing,
        expected_version: i64,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<i64>> + Send {
        self.save_listing_with_jobs(listing, expected_version, events, &[])
    }
    /// [`ListingStore::save_listing`], scheduling `jobs` in the same transaction.
    fn save_listing_with_jobs(
        &self,
        listing: &Listing,
        expected_version: i64,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> impl Future<Output = Result<i64>> + Send;
    /// Loads a listing.
    fn listing(
        &self,
        id: &ListingId,
    ) -> impl Future<Output = Result<Option<Versioned<Listing>>>> + Send;
    /// The listings of `ids` that exist, in no particular order.
    fn listings_by_ids(
        &self,
        ids: &[ListingId],
    ) -> impl Future<Output = Result<Vec<Versioned<Listing>>>> + Send;
    /// Writes a batch of listings (an import) in one transaction, all or
    /// nothing: each is created ([`StoreError::Duplicate`] if its id is
    /// taken) or saved at its expected version ([`StoreError::Conflict`] if
    /// it moved on), with its audit records and jobs.
    fn write_listings(&self, writes: &[ListingWrite]) -> impl Future<Output = Result<()>> + Send;
    /// The earliest listing that carried each of `images` (by the file's
    /// SHA-256), for those some listing has carried; ties go to the smaller
    /// listing id.
    fn first_sightings(
        &self,
        images: &[Sha256],
    ) -> impl Future<Output = Result<Vec<ImageSighting>>> + Send;
    /// Listings of one seller (or all), in id order, after `after`, at most `limit`.
    fn listings(
        &self,
        seller: Option<&OrgId>,
        after: Option<&ListingId>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Versioned<Listing>>>> + Send;
    /// Creates a block term with its audit records.
    fn create_block_term(
        &self,
        id: &BlockTermId,
        term: &BlockTerm,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<()>> + Send;
    /// Saves a changed block term if it is still at `expected_version`.
    fn save_block_term(
        &self,
        id: &BlockTermId,
        term: &BlockTerm,
        expected_version: i64,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<i64>> + Send;
    /// Loads a block term.
    fn block_term(
        &self,
        id: &BlockTermId,
    ) -> impl Future<Output = Result<Option<StoredBlockTerm>>> + Send;
    /// Block terms of one owner (or all), oldest first, at most `limit`.
    fn block_terms(
        &self,
        owner: Option<&OrgId>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<StoredBlockTerm>>> + Send;
    /// Every block term in force (approved), in id order.
    fn in_force_block_terms(&self) -> impl Future<Output = Result<Vec<StoredBlockTerm>>> + Send;
    /// Puts an authorisation on file with its audit records.
    fn create_authorisation(
        &self,
        stored: &StoredAuthorisation,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<()>> + Send;
    /// The authorisations naming a seller (what the gate checks).
    fn authorisations_of_seller(
        &self,
        seller: &OrgId,
    ) -> impl Future<Output = Result<Vec<Authorisation>>> + Send;
    /// Authorisations granted by `owner` and/or naming `seller` (all when
    /// both are `None`), oldest first.
    fn authorisations(
        &self,
        owner: Option<&OrgId>,
        seller: Option<&OrgId>,
    ) -> impl Future<Output = Result<Vec<StoredAuthorisation>>> + Send;
    /// Loads one authorisation.
    fn authorisation(
        &self,
        id: &AuthorisationId,
    ) -> impl Future<Output = Result<Option<StoredAuthorisation>>> + Send;
    /// Replaces an authorisation that is still `before` by `after`, with its
    /// audit records: [`StoreError::Conflict`] when it changed meanwhile.
    fn update_authorisation(
        &self,
        id: &AuthorisationId,
        before: &Authorisation,
        after: &Authorisation,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<()>> + Send;
}

fn versioned<T: for<'de> serde::Deserialize<'de>>(r: &AnyRow, what: &str) -> Result<Versioned<T>> {
    Ok(Versioned {
        value: from_json(&r.try_get::<String, _>("body")?, what)?,
        version: r.try_get("version")?,
    })
}

fn block_term_row(r: &AnyRow) -> Result<StoredBlockTerm> {
    Ok(StoredBlockTerm {
        id: BlockTermId::parse(&r.try_get::<String, _>("id")?).map_err(corrupt)?,
        term: from_json(&r.try_get::<String, _>("body")?, "block term")?,
        version: r.try_get("version")?,
    })
}

fn authorisation_row(r: &AnyRow) -> Result<StoredAuthorisation> {
    Ok(StoredAuthorisation {
        id: AuthorisationId::parse(&r.try_get::<String, _>("id")?).map_err(corrupt)?,
        owner: OrgId::parse(&r.try_get::<String, _>("owner")?).map_err(corrupt)?,
        authorisation: from_json(&r.try_get::<String, _>("body")?, "authorisation")?,
        created_at: from_micros(r.try_get("created_at")?)?,
    })
}

const BLOCK_TERM_COLUMNS: &str = "id, body, version";
const AUTHORISATION_COLUMNS: &str = "id, owner, body, created_at";

impl ListingStore for SqlStore {
    async fn create_listing_with_jobs(
        &self,
        l: &Listing,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> Result<i64> {
        self.write_listings(&[ListingWrite {
            listing: l.clone(),
            expected_version: None,
            events: events.to_vec(),
            jobs: jobs.to_vec(),
        }])
        .await?;
        Ok(1)
    }

    async fn save_listing_with_jobs(
        &self,
        l: &Listing,
        expected_version: i64,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> Result<i64> {
        self.write_listings(&[ListingWrite {
            listing: l.clone(),
            expected_version: Some(expected_version),
            events: events.to_vec(),
            jobs: jobs.to_vec(),
        }])
        .await?;
        Ok(expected_version + 1)
    }

    async fn listing(&self, id: &ListingId) -> Result<Option<Versioned<Listing>>> {
        sqlx::query("SELECT body, version FROM listings WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.pool())
            .await?
            .map(|r| versioned(&r, "listing"))
            .transpose()
    }

    async fn listings_by_ids(&self, ids: &[ListingId]) -> Result<Vec<Versioned<Listing>>> {
        let mut out = Vec::with_capacity(ids.len());
        // Bound the parameters per statement (SQLite allows 32766).
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            // Only placeholders are formatted in; the ids are bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT body, version FROM listings WHERE id IN ({})",
                marks.join(", ")
            )));
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for r in q.fetch_all(self.pool()).await? {
                out.push(versioned(&r, "listing")?);
            }
        }
        Ok(out)
    }

    async fn write_listings(&self, writes: &[ListingWrite]) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for w in writes {
            let l = &w.listing;
            match w.expected_version {
                None => {
                    let inserted = sqlx::query(
                        "INSERT INTO listings (id, seller, state, body, version, updated_at) VALUES ($1, $2, $3, $4, 1, $5)",
                    )
                    .bind(l.id.as_str())
                    .bind(l.seller.as_str())
                    .bind(l.state.name())
                    .bind(to_json(l)?)
                    .bind(micros(l.updated_at))
                    .execute(&mut *tx)
                    .await;
                    match inserted {
                        Err(e) if is_unique_violation(&e) => {
                            return Err(StoreError::Duplicate(format!("listing {}", l.id)));
                        }
                        r => r?,
                    };
                }
                Some(expected) => {
                    let done = sqlx::query(
                        "UPDATE listings SET state = $1, body = $2, updated_at = $3, version = version + 1 \
                         WHERE id = $4 AND version = $5",
                    )
                    .bind(l.state.name())
                    .bind(to_json(l)?)
                    .bind(micros(l.updated_at))
                    .bind(l.id.as_str())
                    .bind(expected)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::Conflict(format!("listing {}", l.id)));
                    }
                }
            }
        }
        // Where each image was seen: kept from the first write that showed it.
        for l in writes.iter().map(|w| &w.listing) {
            for sha in &l.content.image_hashes {
                sqlx::query(
                    "INSERT INTO listing_images (sha256, listing, seller, first_seen) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(sha.to_string())
                .bind(l.id.as_str())
                .bind(l.seller.as_str())
                .bind(micros(l.updated_at))
                .execute(&mut *tx)
                .await?;
            }
        }
        let events: Vec<DomainEvent> = writes.iter().flat_map(|w| w.events.clone()).collect();
        let jobs: Vec<NewJob> = writes.iter().flat_map(|w| w.jobs.clone()).collect();
        append_audit(&mut tx, &events).await?;
        insert_jobs(&mut tx, &jobs).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn first_sightings(&self, images: &[Sha256]) -> Result<Vec<ImageSighting>> {
        let mut out: Vec<ImageSighting> = Vec::new();
        for chunk in images.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            // Only placeholders are formatted in; the hashes are bound. Each
            // image's earliest sighting comes first among its rows.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT sha256, listing, seller, first_seen FROM listing_images \
                 WHERE sha256 IN ({}) ORDER BY sha256, first_seen, listing",
                marks.join(", ")
            )));
            for sha in chunk {
                q = q.bind(sha.to_string());
            }
            for r in q.fetch_all(self.pool()).await? {
                let sha: String = r.try_get("sha256")?;
                let sha256 = Sha256::parse(&sha).map_err(corrupt)?;
                if out.last().is_some_and(|s| s.sha256 == sha256) {
                    continue;
                }
                let listing: String = r.try_get("listing")?;
                let seller: String = r.try_get("seller")?;
                out.push(ImageSighting {
                    sha256,
                    listing: ListingId::parse(&listing).map_err(corrupt)?,
                    seller: OrgId::parse(&seller).map_err(corrupt)?,
                    first_seen: from_micros(r.try_get("first_seen")?)?,
                });
            }
        }
        Ok(out)
    }

    async fn listings(
        &self,
        seller: Option<&OrgId>,
        after: Option<&ListingId>,
        limit: i64,
    ) -> Result<Vec<Versioned<Listing>>> {
        let after = after.map(ListingId::as_str).unwrap_or("");
        let rows = match seller {
            Some(s) => {
                sqlx::query(
                    "SELECT body, version FROM listings WHERE seller = $1 AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(s.as_str())
                .bind(after)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query("SELECT body, version FROM listings WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(after)
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.iter().map(|r| versioned(r, "listing")).collect()
    }

    async fn create_block_term(
        &self,
        id: &BlockTermId,
        t: &BlockTerm,
        events: &[DomainEvent],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO block_terms (id, right_id, owner, state, body, version, requested_at) \
             VALUES ($1, $2, $3, $4, $5, 1, $6)",
        )
        .bind(id.as_str())
        .bind(t.right.as_str())
        .bind(t.owner.as_str())
        .bind(state_name(&t.state))
        .bind(to_json(t)?)
        .bind(micros(t.requested_at))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Duplicate(format!("block term {id}")));
            }
            r => r?,
        };
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn save_block_term(
        &self,
        id: &BlockTermId,
        t: &BlockTerm,
        expected_version: i64,
        events: &[DomainEvent],
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE block_terms SET state = $1, body = $2, version = version + 1 WHERE id = $3 AND version = $4",
        )
        .bind(state_name(&t.state))
        .bind(to_json(t)?)
        .bind(id.as_str())
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("block term {id}")));
        }
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(expected_version + 1)
    }

    async fn block_term(&self, id: &BlockTermId) -> Result<Option<StoredBlockTerm>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {BLOCK_TERM_COLUMNS} FROM block_terms WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(block_term_row)
        .transpose()
    }

    async fn block_terms(&self, owner: Option<&OrgId>, limit: i64) -> Result<Vec<StoredBlockTerm>> {
        let rows = match owner {
            Some(o) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {BLOCK_TERM_COLUMNS} FROM block_terms WHERE owner = $1 ORDER BY requested_at, id LIMIT $2"
                )))
                .bind(o.as_str())
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {BLOCK_TERM_COLUMNS} FROM block_terms ORDER BY requested_at, id LIMIT $1"
                )))
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(block_term_row).collect()
    }

    async fn in_force_block_terms(&self) -> Result<Vec<StoredBlockTerm>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {BLOCK_TERM_COLUMNS} FROM block_terms WHERE state = 'approved' ORDER BY id"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(block_term_row).collect()
    }

    async fn create_authorisation(
        &self,
        s: &StoredAuthorisation,
        events: &[DomainEvent],
    ) -> Result<()> {
        let a = &s.authorisation;
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO authorisations (id, seller, right_id, owner, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(s.id.as_str())
        .bind(a.seller.as_str())
        .bind(a.right.as_str())
        .bind(s.owner.as_str())
        .bind(to_json(a)?)
        .bind(micros(s.created_at))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Duplicate(format!("authorisation {}", s.id)));
            }
            r => r?,
        };
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn authorisations_of_seller(&self, seller: &OrgId) -> Result<Vec<Authorisation>> {
        let rows = sqlx::query("SELECT body FROM authorisations WHERE seller = $1 ORDER BY id")
            .bind(seller.as_str())
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>(0)?, "authorisation"))
            .collect()
    }

    async fn authorisations(
        &self,
        owner: Option<&OrgId>,
        seller: Option<&OrgId>,
    ) -> Result<Vec<StoredAuthorisation>> {
        let base = format!("SELECT {AUTHORISATION_COLUMNS} FROM authorisations");
        let order = "ORDER BY created_at, id";
        let rows = match (owner, seller) {
            (Some(o), Some(s)) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{base} WHERE owner = $1 AND seller = $2 {order}"
                )))
                .bind(o.as_str())
                .bind(s.as_str())
                .fetch_all(self.pool())
                .await?
            }
            (Some(o), None) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{base} WHERE owner = $1 {order}"
                )))
                .bind(o.as_str())
                .fetch_all(self.pool())
                .await?
            }
            (None, Some(s)) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{base} WHERE seller = $1 {order}"
                )))
                .bind(s.as_str())
                .fetch_all(self.pool())
                .await?
            }
            (None, None) => {
                sqlx::query(sqlx::AssertSqlSafe(format!("{base} {order}")))
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.iter().map(authorisation_row).collect()
    }

    async fn authorisation(&self, id: &AuthorisationId) -> Result<Option<StoredAuthorisation>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AUTHORISATION_COLUMNS} FROM authorisations WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(authorisation_row).transpose()
    }

    async fn update_authorisation(
        &self,
        id: &AuthorisationId,
        before: &Authorisation,
        after: &Authorisation,
        events: &[DomainEvent],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // The body is the version: the update applies only to what was read.
        let done = sqlx::query("UPDATE authorisations SET body = $1 WHERE id = $2 AND body = $3")
            .bind(to_json(after)?)
            .bind(id.as_str())
            .bind(to_json(before)?)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("authorisation {id}")));
        }
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }
}
