//! The bulk import reader and row validators: any bytes, read as JSON Lines
//! and as CSV, give rows or errors — never a panic — with line numbers that
//! start at 1 and never go back, and every row is validated as a listing, a
//! seller and a right without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rightsguard_domain::import::{self, Format, RowReader};

fuzz_target!(|data: &[u8]| {
    for format in [Format::Jsonl, Format::Csv] {
        let mut last = 0;
        for item in RowReader::new(data, format) {
            match item {
                Ok(row) => {
                    assert!(row.line >= 1 && row.line >= last, "line {} after {last}", row.line);
                    last = row.line;
                    if let Ok(l) = import::listing(&row) {
                        assert_eq!(l.line, row.line);
                    }
                    let _ = import::seller(&row);
                    let _ = import::right(&row);
                }
                Err(e) => {
                    // A whole-file error (line 0) only for CSV headers.
                    assert!(e.line >= 1 || format == Format::Csv, "{e}");
                    if e.line > 0 {
                        assert!(e.line >= last, "line {} after {last}", e.line);
                        last = e.line;
                    }
                }
            }
        }
    }
});
