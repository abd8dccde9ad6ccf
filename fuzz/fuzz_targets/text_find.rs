//! Text detection on arbitrary listing text: never panics, and every hit's
//! span points inside the original text, on character boundaries, with
//! `matched` equal to that slice (the fold's span map stays true through
//! every evasion it undoes).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rightsguard_detect::text::{ClassSet, Field, MarkSpec, TextIndex};

fn index() -> &'static TextIndex {
    static INDEX: OnceLock<TextIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let spec = |id: &str, mark: &str, aliases: &[&str], classes: &[u16]| MarkSpec {
            right_id: id.to_owned(),
            mark: mark.to_owned(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            nice_classes: classes.to_vec(),
        };
        let specs = [
            spec("R-1", "NIKE", &["耐克", "Air Max"], &[25]),
            spec("R-2", "Louis Vuitton", &["LV"], &[18, 25]),
            spec("R-3", "CHANEL", &["香奈儿"], &[3, 25]),
            spec("R-4", "Swarovski", &[], &[14]),
            spec("R-5", "The North Face", &["northface"], &[25]),
            spec("R-6", "Burberry", &[], &[]),
            spec("R-7", "DOVE", &[], &[3]),
            spec("R-8", "Ray-Ban", &["rayban"], &[9]),
            spec("R-9", "Balenciaga", &[], &[25]),
            spec("R-10", "Apple", &["苹果"], &[9]),
        ];
        match TextIndex::build(&specs) {
            Ok(i) => i,
            Err(e) => panic!("the fuzz index does not build: {e}"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let all = match ClassSet::from_classes(1..=45) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    for field in [Field::Title, Field::Description] {
        for hit in index().find(field, text, &all) {
            assert!(hit.start <= hit.end && hit.end <= text.len(), "{hit:?}");
            assert!(text.is_char_boundary(hit.start) && text.is_char_boundary(hit.end), "{hit:?}");
            assert_eq!(hit.matched, text[hit.start..hit.end], "{hit:?}");
            assert!(hit.score > 0.0 && hit.score <= 1.0, "{hit:?}");
        }
    }
});
