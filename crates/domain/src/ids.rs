//! Identifiers and small value types, parsed once at the edge.
//!
//! Every value here has private fields and one fallible constructor (`parse`),
//! so a value that exists is valid: code past the edge never re-checks an id,
//! a Nice class or a hash.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a value could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {reason}")]
pub struct ParseError {
    /// The kind of value (e.g. "listing id").
    pub what: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl ParseError {
    fn new(what: &'static str, reason: impl Into<String>) -> Self {
        Self {
            what,
            reason: reason.into(),
        }
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses an id: 1 to 128 characters of ASCII letters, digits and `-_.:`.
            pub fn parse(s: &str) -> Result<Self, ParseError> {
                parse_id(s, $what).map(Self)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn parse_id(s: &str, what: &'static str) -> Result<String, ParseError> {
    if s.is_empty() {
        return Err(ParseError::new(what, "empty"));
    }
    if s.len() > 128 {
        return Err(ParseError::new(
            what,
            format!("{} characters, at most 128", s.len()),
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_.:".contains(*c)))
    {
        return Err(ParseError::new(
            what,
            format!("character {c:?} not allowed (letters, digits, - _ . :)"),
        ));
    }
    Ok(s.to_owned())
}

string_id!(
    /// An organisation: a rights holder, an agent, a seller or the platform.
    OrgId, "organisation id"
);
string_id!(
    /// A person acting for an organisation.
    UserId, "user id"
);
string_id!(
    /// An intellectual-property right registered on the platform.
    RightId, "right id"
);
string_id!(
    /// A complaint (notice).
    ComplaintId, "complaint id"
);
string_id!(
    /// A marketplace listing.
    ListingId, "listing id"
);
string_id!(
    /// A site (one marketplace front) with its policy profile.
    SiteId, "site id"
);
string_id!(
    /// A keyword block term asked for by a rights holder.
    BlockTermId, "block term id"
);
string_id!(
    /// A seller's brand authorisation on file.
    AuthorisationId, "authorisation id"
);

/// A class of the Nice classification (1 to 45).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NiceClass(u8);

impl NiceClass {
    /// Parses a class number, 1 to 45.
    pub fn new(n: u32) -> Result<Self, ParseError> {
        match u8::try_from(n) {
            Ok(c @ 1..=45) => Ok(Self(c)),
            _ => Err(ParseError::new(
                "Nice class",
                format!("{n} is not between 1 and 45"),
            )),
        }
    }

    /// The class number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl<'de> Deserialize<'de> for NiceClass {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(u32::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A jurisdiction: an ISO 3166 alpha-2 country code, or a regional office
/// (`EM` for the EUIPO, `WO` for an international registration under the
/// Madrid system).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Jurisdiction([u8; 2]);

impl Jurisdiction {
    /// Mainland China.
    pub const CN: Jurisdiction = Jurisdiction(*b"CN");
    /// An international registration under the Madrid system (WIPO).
    pub const MADRID: Jurisdiction = Jurisdiction(*b"WO");

    /// Parses two ASCII letters, upper-casing them.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(ParseError::new(
                "jurisdiction",
                format!("{s:?} is not a two-letter code"),
            )),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Jurisdiction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Jurisdiction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A registration number as the office issued it (trimmed; 1 to 64 characters
/// of letters, digits, spaces and `-/.()`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RegistrationNumber(String);

impl RegistrationNumber {
    /// Parses a registration number.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        if t.is_empty() || t.chars().count() > 64 {
            return Err(ParseError::new(
                "registration number",
                "must be 1 to 64 characters",
            ));
        }
        if let Some(c) = t
            .chars()
            .find(|c| !(c.is_alphanumeric() || " -/.()".contains(*c)))
        {
            return Err(ParseError::new(
                "registration number",
                format!("character {c:?} not allowed"),
            ));
        }
        Ok(Self(t.to_owned()))
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for RegistrationNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A SHA-256 digest, 64 lowercase hex digits; identifies evidence and
/// certificate files by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    /// Wraps a digest computed elsewhere.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 hex digits (either case).
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let b = s.as_bytes();
        if b.len() != 64 {
            return Err(ParseError::new(
                "SHA-256",
                format!("{} hex digits, need 64", b.len()),
            ));
        }
        let mut out = [0u8; 32];
        for (i, pair) in b.chunks_exact(2).enumerate() {
            let hi = hex_val(pair[0]).ok_or_else(|| ParseError::new("SHA-256", "not hex"))?;
            let lo = hex_val(pair[1]).ok_or_else(|| ParseError::new("SHA-256", "not hex"))?;
            out[i] = hi << 4 | lo;
        }
        Ok(Self(out))
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_empty_long_and_odd_characters() {
        assert!(ListingId::parse("L-1").is_ok());
        assert!(ListingId::parse("").is_err());
        assert!(ListingId::parse(&"x".repeat(129)).is_err());
        assert!(ListingId::parse("a/b").is_err());
        assert!(ListingId::parse("a b").is_err());
    }

    #[test]
    fn nice_class_is_one_to_forty_five() {
        assert!(NiceClass::new(0).is_err());
        assert_eq!(NiceClass::new(45).map(NiceClass::get), Ok(45));
        assert!(NiceClass::new(46).is_err());
        assert!(serde_json::from_str::<NiceClass>("99").is_err());
    }

    #[test]
    fn jurisdiction_upper_cases_and_rejects_non_codes() {
        assert_eq!(Jurisdiction::parse("cn"), Ok(Jurisdiction::CN));
        assert!(Jurisdiction::parse("CHN").is_err());
        assert!(Jurisdiction::parse("C1").is_err());
    }

    #[test]
    fn sha256_round_trips_through_hex() {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let h = Sha256::parse(&hex.to_uppercase()).unwrap();
        assert_eq!(h.to_string(), hex);
        assert!(Sha256::parse(&hex[1..]).is_err());
        assert!(Sha256::parse(&hex.replace('e', "g")).is_err());
    }

    #[test]
    fn registration_number_is_trimmed_and_checked() {
        assert_eq!(
            RegistrationNumber::parse("  G 1234567 ").unwrap().as_str(),
            "G 1234567"
        );
        assert!(RegistrationNumber::parse("   ").is_err());
        assert!(RegistrationNumber::parse("12<script>").is_err());
    }
}
