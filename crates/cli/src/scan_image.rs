//! The image half of `rightsguard scan`: listing images against the rights'
//! reference images.
//!
//! Reference images are hashed once, before the scan, into a
//! [`ReferenceSet`] (each reference image yields the robust set of hashes:
//! rotations, crops, banner cuts, mirrors). Each listing image is then read,
//! hashed and looked up in the worker that handles its listing. A missing,
//! oversized, broken or hostile image is an error for that image only: it is
//! reported on stderr with the listing and path, counted, and the scan goes
//! on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use rightsguard_detect::image::{
    Limits, MatchConfig, ReferenceSet, RobustConfig, query_hashes_from_bytes,
    reference_hashes_from_bytes,
};
use rightsguard_detect::text::ClassSet;

use crate::scan::{Detector, Finding, Listing, Right, Source};

/// Matches listing images against the rights' reference images.
#[derive(Debug)]
pub struct ImageDetector {
    set: ReferenceSet,
    /// Per right: its classes (empty = not class-bound) and its image paths.
    rights: HashMap<String, (ClassSet, Vec<Arc<str>>)>,
    base: PathBuf,
    limits: Limits,
    errors: AtomicU64,
    images: AtomicU64,
}

/// Reads a file of at most `max` bytes, refusing larger ones before reading.
fn read_bounded(path: &Path, max: usize) -> anyhow::Result<Vec<u8>> {
    let len = std::fs::metadata(path)?.len();
    if len > max as u64 {
        anyhow::bail!("{len} bytes, more than the limit of {max}");
    }
    Ok(std::fs::read(path)?)
}

impl ImageDetector {
    /// Hashes every reference image of `rights` (on `threads` threads);
    /// listing image paths will resolve against `listings_dir`. Returns `None`
    /// when no right has an image, so text-only scans pay nothing.
    pub fn new(
        rights: &[Right],
        listings_dir: &Path,
        threads: usize,
    ) -> anyhow::Result<Option<Self>> {
        let with_images: Vec<&Right> = rights.iter().filter(|r| !r.images.is_empty()).collect();
        if with_images.is_empty() {
            return Ok(None);
        }
        let limits = Limits::default();
        let robust = RobustConfig::default();
        let per_thread = with_images.len().div_ceil(threads.max(1));
        // Per right: id, hashes of the images that could be read, their
        // paths (position i of one is position i of the other), failures.
        type Hashed = (
            String,
            Vec<rightsguard_detect::image::ImageHashes>,
            Vec<Arc<str>>,
            u64,
        );
        let hashed: Vec<Hashed> = std::thread::scope(|s| {
            let handles: Vec<_> = with_images
                .chunks(per_thread.max(1))
                .map(|chunk| {
                    let (limits, robust) = (&limits, &robust);
                    s.spawn(move || {
                        chunk
                            .iter()
                            .map(|r| {
                                let mut hashes = Vec::new();
                                let mut paths: Vec<Arc<str>> = Vec::new();
                                let mut failed = 0;
                                for p in &r.images {
                                    let got = read_bounded(p, limits.max_bytes).and_then(|b| {
                                        Ok(reference_hashes_from_bytes(&b, limits, robust)?)
                                    });
                                    match got {
                                        Ok(h) => {
                                            hashes.push(h);
                                            paths.push(Arc::from(p.display().to_string()));
                                        }
                                        Err(e) => {
                                            failed += 1;
                                            eprintln!(
                                                "error: right {} image {}: {e:#} (skipped)",
                                                r.id,
                                                p.display()
                                            );
                                        }
                                    }
                                }
                                (r.id.clone(), hashes, paths, failed)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let errors: u64 = hashed.iter().map(|h| h.3).sum();
        let mut info = HashMap::new();
        let mut refs = Vec::with_capacity(hashed.len());
        for (r, (id, hashes, paths, _)) in with_images.iter().zip(hashed) {
            let classes = ClassSet::from_classes(r.nice_classes.iter().copied())
                .with_context(|| format!("right {}", r.id))?;
            info.insert(id.clone(), (classes, paths));
            refs.push((id, hashes));
        }
        let set = ReferenceSet::build(refs, MatchConfig::default())
            .context("building the image index")?;
        Ok(Some(Self {
            set,
            rights: info,
            base: listings_dir.to_owned(),
            limits,
            errors: AtomicU64::new(errors),
            images: AtomicU64::new(0),
        }))
    }

    /// Reference hashes indexed.
    pub fn reference_hashes(&self) -> usize {
        self.set.len()
    }

    /// Listing images read, and images (reference or listing) that failed.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.images.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
        )
    }
}

impl Detector for ImageDetector {
    fn detect(&self, listing: &Listing<'_>, classes: ClassSet, out: &mut Vec<Finding>) {
        for (rel, path) in listing.images.iter().zip(listing.image_paths(&self.base)) {
            self.images.fetch_add(1, Ordering::Relaxed);
            let hashes = match read_bounded(&path, self.limits.max_bytes)
                .and_then(|b| Ok(query_hashes_from_bytes(&b, &self.limits)?))
            {
                Ok(h) => h,
                Err(e) => {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                    eprintln!(
                        "error: listing {} image {}: {e:#} (skipped)",
                        listing.id,
                        path.display()
                    );
                    continue;
                }
            };
            for hit in self.set.match_image(&hashes) {
                let Some((right_classes, paths)) = self.rights.get(&hit.right_id) else {
                    continue;
                };
                if !right_classes.is_empty() && !classes.meets(*right_classes) {
                    continue;
                }
                out.push(Finding {
                    listing_id: listing.id.to_string(),
                    right_id: Arc::from(hit.right_id.as_str()),
                    source: Source::Image,
                    method: "pdq",
                    field: "image",
                    matched: rel.to_string(),
                    term: paths
                        .get(hit.reference as usize)
                        .cloned()
                        .unwrap_or_else(|| Arc::from("")),
                    score: 1.0 - hit.distance as f32 / 256.0,
                    start: None,
                    end: None,
                    distance: Some(hit.distance),
                });
            }
        }
    }
}
