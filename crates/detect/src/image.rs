//! Image detection: safe decoding, PDQ hashing, robust matching, Hamming index.
