//! Text detection: folding with a span map, matching, fuzzy, class gating.
