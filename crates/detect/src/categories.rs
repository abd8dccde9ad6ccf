//! A site's categories and the Nice classes each maps to.
//!
//! One table serves the batch scan (`rightsguard scan --categories C.json`)
//! and the inline keyword gate of the server alike, so a listing is gated on
//! the same classes whichever path looks at it. The file format is a JSON
//! object `{"<category name>": [nice classes], ...}`.

use std::collections::HashMap;

use crate::text::{ClassError, ClassSet};

/// The table shipped with rightsguard: common marketplace categories.
pub const BUILTIN_JSON: &str = include_str!("../data/categories.json");

/// Why a category table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CategoryError {
    /// Not a JSON object of class lists.
    #[error("not a category table ({{\"name\": [classes]}}): {0}")]
    Format(String),
    /// A class outside 1–45.
    #[error("category {name:?}: {source}")]
    Class {
        /// The category.
        name: String,
        /// The bad class.
        source: ClassError,
    },
}

/// Category name to Nice classes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Categories(HashMap<String, ClassSet>);

impl Categories {
    /// Parses a table from its JSON text.
    pub fn from_json(text: &str) -> Result<Categories, CategoryError> {
        let raw: HashMap<String, Vec<u16>> =
            serde_json::from_str(text).map_err(|e| CategoryError::Format(e.to_string()))?;
        raw.into_iter()
            .map(|(name, classes)| match ClassSet::from_classes(classes) {
                Ok(set) => Ok((name, set)),
                Err(source) => Err(CategoryError::Class { name, source }),
            })
            .collect::<Result<_, _>>()
            .map(Categories)
    }

    /// The table shipped with rightsguard.
    pub fn builtin() -> Categories {
        Self::from_json(BUILTIN_JSON).unwrap_or_default()
    }

    /// The classes of a category, or `None` for a name the site does not have.
    pub fn classes(&self, name: &str) -> Option<ClassSet> {
        self.0.get(name).copied()
    }

    /// Number of categories.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The table as a map.
    pub fn into_map(self) -> HashMap<String, ClassSet> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_parses_and_maps_food_off_class_9() {
        let c = Categories::builtin();
        assert!(c.len() > 10);
        let nine = ClassSet::from_classes([9]).unwrap();
        assert!(c.classes("Phones & Electronics").unwrap().meets(nine));
        assert!(!c.classes("Food").unwrap().meets(nine));
        assert_eq!(c.classes("No such"), None);
    }

    #[test]
    fn a_bad_class_names_its_category() {
        let e = Categories::from_json(r#"{"Odd": [46]}"#).unwrap_err();
        assert!(e.to_string().contains("Odd"), "{e}");
        assert!(Categories::from_json("[1]").is_err());
    }
}
