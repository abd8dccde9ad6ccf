//! Monitoring findings: a hit of a verified right in a listing, kept once per
//! (listing, right, cause) with its explanation and a capture of the listing
//! as it was when found.
//!
//! The main design decision is that a finding is keyed by its *cause* (the
//! matching method and term, or an image hash), not by the scan that found
//! it: rescanning an unchanged listing finds the same keys and changes
//! nothing, so a scan that is re-run after a crash never doubles a finding.
//! Triage is a small state machine: `open → dismissed | complained`, and
//! `open → resolved` when the listing changes so it no longer matches
//! (a resolved finding that matches again is reopened).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::ids::{ComplaintId, ListingId, OrgId, RightId, Sha256};
use crate::rule::RuleError;

/// Why a listing matched, as the engine explained it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    /// How it matched: `exact`, `folded`, `homoglyph`, `leet`, `spaced`,
    /// `joined`, `fuzzy`, `image` or `relisting`.
    pub method: String,
    /// The mark or alias (or image hash) that matched.
    pub term: String,
    /// `title`, `description` or `images`.
    pub field: String,
    /// Byte offset of the match in the field.
    pub start: u64,
    /// Byte offset just past the match.
    pub end: u64,
    /// The listing's text at the match.
    pub matched: String,
    /// Confidence in (0, 1].
    pub score: f32,
    /// Edit distance of a fuzzy match, or the Hamming distance (PDQ bits)
    /// of an image match.
    pub distance: Option<u8>,
    /// For an image match: how the reference variant that matched was
    /// derived from the reference image (e.g. `trimmed, crop 5% left`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<String>,
}

/// The listing as it was when the finding was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Capture {
    /// The listing.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub listing: ListingId,
    /// Its seller.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub seller: OrgId,
    /// Its title then.
    pub title: String,
    /// Its description then.
    pub description: String,
    /// SHA-256 of its images then.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub image_hashes: Vec<Sha256>,
    /// When it was captured.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub captured_at: Timestamp,
    /// For an image finding: the perceptual match it rests on (absent for
    /// text findings, whose canonical JSON is unchanged by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_match: Option<ImageMatch>,
}

/// The perceptual hashes behind an image finding, as captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageMatch {
    /// SHA-256 of the listing's image file.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub listing_image: Sha256,
    /// Its PDQ hashes (64 hex digits each; the plain hash first).
    pub listing_pdq: Vec<String>,
    /// SHA-256 of the right's reference image it matched.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub reference_image: Sha256,
    /// The reference hash within reach (64 hex digits).
    pub reference_pdq: String,
    /// Hamming distance between the two, in bits of 256.
    pub distance: u8,
}

impl Capture {
    /// The canonical JSON of the capture (fields in declaration order, no
    /// whitespace): the bytes whose SHA-256 is the capture's hash and that
    /// are stored as evidence.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Where a finding stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FindingState {
    /// Waiting for triage.
    Open,
    /// The rights holder (or staff) decided it is not an infringement.
    Dismissed {
        /// Why.
        reason: String,
    },
    /// Filed in a complaint.
    Complained {
        /// The complaint.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        complaint: ComplaintId,
    },
    /// The listing changed and no longer matches.
    Resolved,
}

impl FindingState {
    /// The state's name as stored (`open`, `dismissed`, `complained`, `resolved`).
    pub fn name(&self) -> &'static str {
        match self {
            FindingState::Open => "open",
            FindingState::Dismissed { .. } => "dismissed",
            FindingState::Complained { .. } => "complained",
            FindingState::Resolved => "resolved",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Its id (`fd-` and 16 hex digits).
    pub id: String,
    /// The listing.
    pub listing: ListingId,
    /// The right that matched.
    pub right: RightId,
    /// The right's owner (who may see and triage it).
    pub owner: OrgId,
    /// The cause: `text:METHOD:TERM`, `image:LISTING_IMAGE:REFERENCE_IMAGE`
    /// (both SHA-256) or `relisting:COMPLAINT:LISTING`.
    pub cause: String,
    /// Why it matched.
    pub explanation: Explanation,
    /// The listing when found (or last reopened).
    pub capture: Capture,
    /// SHA-256 of the capture's canonical JSON.
    pub capture_sha256: Sha256,
    /// For a relisting: the earlier complaint that took the original down.
    pub relisting_of: Option<ComplaintId>,
    /// Where it stands.
    pub state: FindingState,
    /// When it was first found.
    pub found_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// Whether `actor` may see and triage findings of rights owned by `owner`:
/// the owner (or its agent) and staff; sellers never.
pub fn may_triage(actor: &Actor, owner: &OrgId) -> bool {
    match actor.role {
        Role::Reviewer | Role::Admin | Role::System => true,
        Role::RightsHolder | Role::Agent => actor.acts_for_rights_holder(owner),
        Role::Seller => false,
    }
}

impl Finding {
    /// Dismisses an open finding with a reason.
    pub fn dismiss(&self, actor: &Actor, reason: &str) -> Result<FindingState, RuleError> {
        if !may_triage(actor, &self.owner) {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: "dismiss a finding",
            });
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(RuleError::Invalid("a dismissal needs a reason".into()));
        }
        if self.state != FindingState::Open {
            return Err(RuleError::WrongState {
                command: "dismiss a finding",
                state: self.state.name().to_owned(),
            });
        }
        Ok(FindingState::Dismissed {
            reason: reason.to_owned(),
        })
    }

    /// Checks that an open finding may go into a complaint by `actor`.
    pub fn may_complain(&self, actor: &Actor) -> Result<(), RuleError> {
        if !may_triage(actor, &self.owner) || actor.is_staff() {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: "file a complaint from a finding",
            });
        }
        if self.state != FindingState::Open {
            return Err(RuleError::WrongState {
                command: "file a complaint from a finding",
                state: self.state.name().to_owned(),
            });
        }
        Ok(())
    }
}
