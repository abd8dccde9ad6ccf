//! Bulk import files: reading rows of JSON Lines or CSV, and turning each
//! row into a validated listing, seller, right or brand authorisation — or
//! an error that names its line and field.
//!
//! Both formats become one [`Row`] (a JSON object, or a CSV record keyed by
//! its header), so each kind of row is validated by one function whatever
//! the file's format. In CSV a list (`images`, `nice_classes`, `aliases`,
//! `certificates`) is one cell with its items separated by `;`.
//!
//! Unknown fields are refused rather than ignored: a misspelt column
//! (`desciption`) must not load listings without their descriptions. A
//! line longer than [`MAX_LINE_BYTES`] is an error for that line, and the
//! reader goes on with the next, so a hostile file cannot make it hold more
//! than one line in memory.
//!
//! Pure: the caller hands in a reader; nothing here touches a file or a
//! database (the cli reads the files, the app writes the rows).

use std::collections::HashMap;
use std::fmt;
use std::io::BufRead;

use jiff::civil::Date;
use serde_json::{Map, Value};

use crate::account::DisplayName;
use crate::ids::{Jurisdiction, ListingId, NiceClass, OrgId, RegistrationNumber, RightId, Sha256};
use crate::listing::{
    CategoryName, Currency, ListingContent, ListingDescription, ListingTitle, Price,
};
use crate::right::RightKind;

/// The longest line (JSON Lines) or record (CSV) accepted, in bytes.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header line.
    Csv,
}

impl Format {
    /// The format a file name's extension names (`.jsonl`, `.ndjson`,
    /// `.json`, `.csv`).
    pub fn of_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(Format::Csv)
        } else if [".jsonl", ".ndjson", ".json"]
            .iter()
            .any(|e| lower.ends_with(e))
        {
            Some(Format::Jsonl)
        } else {
            None
        }
    }
}

/// A row that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The 1-based line of the file where the row starts (0: the file as a
    /// whole, e.g. a CSV header that names an unknown column).
    pub line: u64,
    /// The field at fault, if one is.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}: {field}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

impl std::error::Error for RowError {}

/// One row of an import file.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The 1-based line where it starts.
    pub line: u64,
    cells: Cells,
}

#[derive(Debug, Clone, PartialEq)]
enum Cells {
    Json(Map<String, Value>),
    Csv(HashMap<String, String>),
}

impl Row {
    /// A row from one JSON object (for tests and the API).
    pub fn from_json(line: u64, object: Map<String, Value>) -> Row {
        Row {
            line,
            cells: Cells::Json(object),
        }
    }

    fn err(&self, field: &str, message: impl Into<String>) -> RowError {
        RowError {
            line: self.line,
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// Refuses any field not in `known`.
    fn only(&self, known: &[&str]) -> Result<(), RowError> {
        let unknown: Vec<&str> = match &self.cells {
            Cells::Json(m) => m.keys().map(String::as_str).collect(),
            Cells::Csv(m) => m.keys().map(String::as_str).collect(),
        };
        let mut unknown: Vec<&str> = unknown.into_iter().filter(|k| !known.contains(k)).collect();
        unknown.sort_unstable();
        match unknown.first() {
            None => Ok(()),
            Some(k) => Err(self.err(
                k,
                format!("unknown field (expected one of: {})", known.join(", ")),
            )),
        }
    }

    /// A text field; `None` when absent, null or (CSV) an empty cell.
    fn opt_str(&self, field: &str) -> Result<Option<String>, RowError> {
        match &self.cells {
            Cells::Json(m) => match m.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(_) => Err(self.err(field, "expected a string")),
            },
            Cells::Csv(m) => Ok(m.get(field).filter(|s| !s.is_empty()).cloned()),
        }
    }

    fn str(&self, field: &str) -> Result<String, RowError> {
        self.opt_str(field)?
            .ok_or_else(|| self.err(field, "required"))
    }

    /// A list of text items: a JSON array of strings, or a CSV cell of
    /// items separated by `;`.
    fn list(&self, field: &str) -> Result<Vec<String>, RowError> {
        match &self.cells {
            Cells::Json(m) => match m.get(field) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        Value::Number(n) => Ok(n.to_string()),
                        _ => Err(self.err(field, "expected an array of strings")),
                    })
                    .collect(),
                Some(_) => Err(self.err(field, "expected an array")),
            },
            Cells::Csv(m) => Ok(m
                .get(field)
                .map(|s| {
                    s.split(';')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()),
        }
    }

    fn parse<T, E: fmt::Display>(
        &self,
        field: &str,
        value: &str,
        f: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, RowError> {
        f(value).map_err(|e| self.err(field, e.to_string()))
    }
}

/// Reads the rows of an import file: each item is a row, or the error of
/// one line (the reader then goes on with the next line).
pub struct RowReader<R: BufRead> {
    inner: Inner<R>,
}

enum Inner<R: BufRead> {
    Jsonl {
        reader: R,
        line: u64,
        buf: Vec<u8>,
    },
    Csv {
        reader: Box<csv::Reader<R>>,
        headers: Option<Result<Vec<String>, RowError>>,
        record: csv::StringRecord,
        done: bool,
    },
}

impl<R: BufRead> fmt::Debug for RowReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RowReader")
    }
}

impl<R: BufRead> RowReader<R> {
    /// A reader of `format` over `reader`.
    pub fn new(reader: R, format: Format) -> RowReader<R> {
        let inner = match format {
            Format::Jsonl => Inner::Jsonl {
                reader,
                line: 0,
                buf: Vec::new(),
            },
            Format::Csv => Inner::Csv {
                reader: Box::new(
                    csv::ReaderBuilder::new()
                        .has_headers(false)
                        .flexible(true)
                        .from_reader(reader),
                ),
                headers: None,
                record: csv::StringRecord::new(),
                done: false,
            },
        };
        RowReader { inner }
    }
}

fn whole_file(message: impl Into<String>) -> RowError {
    RowError {
        line: 0,
        field: None,
        message: message.into(),
    }
}

impl<R: BufRead> Iterator for RowReader<R> {
    type Item = Result<Row, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::Jsonl { reader, line, buf } => loop {
                buf.clear();
                *line += 1;
                let n = match read_line_bounded(reader, buf) {
                    Ok(n) => n,
                    Err(e) => {
                        return Some(Err(RowError {
                            line: *line,
                            field: None,
                            message: e,
                        }));
                    }
                };
                if n == 0 {
                    return None;
                }
                if buf.len() > MAX_LINE_BYTES {
                    return Some(Err(RowError {
                        line: *line,
                        field: None,
                        message: format!("line longer than {MAX_LINE_BYTES} bytes"),
                    }));
                }
                let text = match std::str::from_utf8(buf) {
                    Ok(t) => t.trim(),
                    Err(e) => {
                        return Some(Err(RowError {
                            line: *line,
                            field: None,
                            message: format!("not UTF-8: {e}"),
                        }));
                    }
                };
                if text.is_empty() {
                    continue;
                }
                return Some(match serde_json::from_str::<Value>(text) {
                    Ok(Value::Object(m)) => Ok(Row {
                        line: *line,
                        cells: Cells::Json(m),
                    }),
                    Ok(_) => Err(RowError {
                        line: *line,
                        field: None,
                        message: "expected a JSON object".into(),
                    }),
                    Err(e) => Err(RowError {
                        line: *line,
                        field: None,
                        message: format!("invalid JSON: {e}"),
                    }),
                });
            },
            Inner::Csv {
                reader,
                headers,
                record,
                done,
            } => {
                if *done {
                    return None;
                }
                if headers.is_none() {
                    let h = match reader.read_record(record) {
                        Ok(true) => {
                            let names: Vec<String> =
                                record.iter().map(|h| h.trim().to_owned()).collect();
                            let mut seen = std::collections::HashSet::new();
                            match names.iter().find(|n| n.is_empty() || !seen.insert(*n)) {
                                Some(n) if n.is_empty() => {
                                    Err(whole_file("the CSV header has an empty column name"))
                                }
                                Some(n) => Err(whole_file(format!(
                                    "the CSV header names column {n:?} twice"
                                ))),
                                None => Ok(names),
                            }
                        }
                        Ok(false) => Err(whole_file("the CSV file is empty (no header line)")),
                        Err(e) => Err(whole_file(format!("the CSV header: {e}"))),
                    };
                    if let Err(e) = &h {
                        *done = true;
                        return Some(Err(e.clone()));
                    }
                    *headers = Some(h);
                }
                let Some(Ok(names)) = headers.as_ref() else {
                    return None;
                };
                loop {
                    match reader.read_record(record) {
                        Ok(false) => return None,
                        Ok(true) => {
                            let line = record.position().map_or(0, csv::Position::line);
                            if record.len() == 1 && record.get(0).is_some_and(str::is_empty) {
                                continue; // a blank line
                            }
                            if record.as_slice().len() > MAX_LINE_BYTES {
                                return Some(Err(RowError {
                                    line,
                                    field: None,
                                    message: format!("record longer than {MAX_LINE_BYTES} bytes"),
                                }));
                            }
                            if record.len() != names.len() {
                                return Some(Err(RowError {
                                    line,
                                    field: None,
                                    message: format!(
                                        "{} fields, but the header has {}",
                                        record.len(),
                                        names.len()
                                    ),
                                }));
                            }
                            let cells = names
                                .iter()
                                .zip(record.iter())
                                .map(|(k, v)| (k.clone(), v.trim().to_owned()))
                                .collect();
                            return Some(Ok(Row {
                                line,
                                cells: Cells::Csv(cells),
                            }));
                        }
                        Err(e) => {
                            let line = e.position().map_or(0, csv::Position::line);
                            if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                                *done = true;
                            }
                            return Some(Err(RowError {
                                line,
                                field: None,
                                message: format!("unreadable CSV record: {e}"),
                            }));
                        }
                    }
                }
            }
        }
    }
}

/// Reads one line into `buf`, keeping at most [`MAX_LINE_BYTES`] + 1 bytes
/// of it (the rest of an overlong line is read and dropped). Returns the
/// bytes consumed.
fn read_line_bounded<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> Result<usize, String> {
    let mut consumed = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("read error: {e}")),
        };
        if available.is_empty() {
            return Ok(consumed);
        }
        let (chunk, found) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let room = (MAX_LINE_BYTES + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let n = chunk.len();
        reader.consume(n);
        consumed += n;
        if found {
            return Ok(consumed);
        }
    }
}

// ---------------------------------------------------------------- listings

/// A listing to create or update.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingRow {
    /// The 1-based line it came from.
    pub line: u64,
    /// The listing.
    pub id: ListingId,
    /// Its seller.
    pub seller: OrgId,
    /// What it shows.
    pub content: ListingContent,
}

/// Fields of a listing row: the scan file format's (`id`, `seller_id`,
/// `title`, `description`, `category`; `images` as paths is not accepted
/// here: images enter as evidence, by hash) plus `price_minor_units`,
/// `currency` and `image_hashes`.
pub const LISTING_FIELDS: &[&str] = &[
    "id",
    "seller_id",
    "title",
    "description",
    "category",
    "price_minor_units",
    "currency",
    "image_hashes",
];

/// Validates a listing row.
pub fn listing(row: &Row) -> Result<ListingRow, RowError> {
    row.only(LISTING_FIELDS)?;
    let id = row.parse("id", &row.str("id")?, ListingId::parse)?;
    let seller = row.parse("seller_id", &row.str("seller_id")?, OrgId::parse)?;
    let title = row.parse("title", &row.str("title")?, ListingTitle::parse)?;
    let description = match row.opt_str("description")? {
        Some(d) => row.parse("description", &d, ListingDescription::parse)?,
        None => ListingDescription::default(),
    };
    let category = row.parse("category", &row.str("category")?, CategoryName::parse)?;
    let price = match (row.opt_str("price_minor_units")?, row.opt_str("currency")?) {
        (None, None) => None,
        (Some(p), Some(c)) => Some(Price {
            minor_units: row.parse("price_minor_units", &p, |s| s.trim().parse::<u64>())?,
            currency: row.parse("currency", &c, Currency::parse)?,
        }),
        (Some(_), None) => return Err(row.err("currency", "required with a price")),
        (None, Some(_)) => return Err(row.err("price_minor_units", "required with a currency")),
    };
    let image_hashes = row
        .list("image_hashes")?
        .iter()
        .map(|h| row.parse("image_hashes", h, Sha256::parse))
        .collect::<Result<Vec<_>, _>>()?;
    let content = ListingContent {
        title,
        description,
        category,
        price,
        image_hashes,
    };
    content
        .check()
        .map_err(|e| row.err("image_hashes", e.to_string()))?;
    Ok(ListingRow {
        line: row.line,
        id,
        seller,
        content,
    })
}

// ---------------------------------------------------------------- sellers

/// A seller organisation to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerRow {
    /// The 1-based line it came from.
    pub line: u64,
    /// Its id.
    pub id: OrgId,
    /// Its name.
    pub name: DisplayName,
}

/// Fields of a seller row.
pub const SELLER_FIELDS: &[&str] = &["id", "name"];

/// Validates a seller row.
pub fn seller(row: &Row) -> Result<SellerRow, RowError> {
    row.only(SELLER_FIELDS)?;
    Ok(SellerRow {
        line: row.line,
        id: row.parse("id", &row.str("id")?, OrgId::parse)?,
        name: row.parse("name", &row.str("name")?, DisplayName::parse)?,
    })
}

// ---------------------------------------------------------------- rights

/// A right to register, with its certificate files (names inside the
/// certificates archive) and the marks it is monitored for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightRow {
    /// The 1-based line it came from.
    pub line: u64,
    /// Its id.
    pub id: RightId,
    /// Its owner (a rights holder).
    pub owner: OrgId,
    /// Trademark, patent, design or copyright.
    pub kind: RightKind,
    /// Where it is registered.
    pub jurisdiction: Jurisdiction,
    /// The office's number.
    pub registration_number: RegistrationNumber,
    /// Nice classes.
    pub nice_classes: Vec<NiceClass>,
    /// First day in force.
    pub valid_from: Date,
    /// Last day in force.
    pub valid_until: Option<Date>,
    /// Certificate file names in the archive (at least one).
    pub certificates: Vec<String>,
    /// The mark monitored for, if any.
    pub mark: Option<String>,
    /// Other spellings of the mark.
    pub aliases: Vec<String>,
}

/// Fields of a right row.
pub const RIGHT_FIELDS: &[&str] = &[
    "id",
    "owner",
    "kind",
    "jurisdiction",
    "registration_number",
    "nice_classes",
    "valid_from",
    "valid_until",
    "certificates",
    "mark",
    "aliases",
];

fn date(row: &Row, field: &str, s: &str) -> Result<Date, RowError> {
    row.parse(field, s, |s| {
        s.trim()
            .parse::<Date>()
            .map_err(|e| format!("expected a date YYYY-MM-DD ({e})"))
    })
}

/// Validates a right row.
pub fn right(row: &Row) -> Result<RightRow, RowError> {
    row.only(RIGHT_FIELDS)?;
    let kind = match row.str("kind")?.trim() {
        "trademark" => RightKind::Trademark,
        "patent" => RightKind::Patent,
        "design" => RightKind::Design,
        "copyright" => RightKind::Copyright,
        _ => {
            return Err(row.err("kind", "expected trademark, patent, design or copyright"));
        }
    };
    let nice_classes = row
        .list("nice_classes")?
        .iter()
        .map(|c| {
            row.parse("nice_classes", c, |s| {
                s.trim()
                    .parse::<u32>()
                    .map_err(|_| format!("{s:?} is not a class number"))
                    .and_then(|n| NiceClass::new(n).map_err(|e| e.to_string()))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if kind == RightKind::Trademark && nice_classes.is_empty() {
        return Err(row.err("nice_classes", "a trademark needs at least one class"));
    }
    let valid_from = date(row, "valid_from", &row.str("valid_from")?)?;
    let valid_until = row
        .opt_str("valid_until")?
        .map(|s| date(row, "valid_until", &s))
        .transpose()?;
    if valid_until.is_some_and(|u| u < valid_from) {
        return Err(row.err("valid_until", "before valid_from"));
    }
    let certificates = row.list("certificates")?;
    if certificates.is_empty() {
        return Err(row.err(
            "certificates",
            "at least one certificate file (its name in the certificates archive)",
        ));
    }
    let mark = row
        .opt_str("mark")?
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    let aliases = row.list("aliases")?;
    if mark.is_none() && !aliases.is_empty() {
        return Err(row.err("mark", "required with aliases"));
    }
    for (field, text) in mark
        .iter()
        .map(|m| ("mark", m))
        .chain(aliases.iter().map(|a| ("aliases", a)))
    {
        if text.chars().count() > 100 {
            return Err(row.err(field, "at most 100 characters"));
        }
    }
    Ok(RightRow {
        line: row.line,
        id: row.parse("id", &row.str("id")?, RightId::parse)?,
        owner: row.parse("owner", &row.str("owner")?, OrgId::parse)?,
        kind,
        jurisdiction: row.parse(
            "jurisdiction",
            &row.str("jurisdiction")?,
            Jurisdiction::parse,
        )?,
        registration_number: row.parse(
            "registration_number",
            &row.str("registration_number")?,
            RegistrationNumber::parse,
        )?,
        nice_classes,
        valid_from,
        valid_until,
        certificates,
        mark,
        aliases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, format: Format) -> Vec<Result<Row, RowError>> {
        RowReader::new(text.as_bytes(), format).collect()
    }

    #[test]
    fn jsonl_and_csv_give_the_same_listing() {
        let jsonl = r#"{"id":"L1","seller_id":"shop-1","title":"ACME shoes","category":"Shoes","image_hashes":["ab"]}"#
            .replace("\"ab\"", &format!("\"{}\"", "ab".repeat(32)));
        let csv = format!(
            "id,seller_id,title,category,image_hashes\nL1,shop-1,ACME shoes,Shoes,{}\n",
            "ab".repeat(32)
        );
        let a = listing(rows(&jsonl, Format::Jsonl)[0].as_ref().unwrap()).unwrap();
        let b = listing(rows(&csv, Format::Csv)[0].as_ref().unwrap()).unwrap();
        assert_eq!(a.content, b.content);
        assert_eq!(a.id, b.id);
        assert_eq!((a.line, b.line), (1, 2));
    }

    #[test]
    fn every_bad_row_names_its_line_and_field() {
        let text = [
            r#"{"id":"L1","seller_id":"shop-1","title":"ok","category":"Shoes"}"#,
            r#"{"id":"L2","seller_id":"shop-1","title":"","category":"Shoes"}"#,
            "not json",
            "",
            r#"{"id":"L4","seller_id":"shop-1","title":"x","category":"Shoes","desciption":"typo"}"#,
            r#"[1,2]"#,
            r#"{"id":"L6","seller_id":"shop 1","title":"x","category":"Shoes"}"#,
            r#"{"id":"L7","seller_id":"shop-1","title":"x","category":"Shoes","price_minor_units":5}"#,
        ]
        .join("\n");
        let got: Vec<Result<u64, (u64, Option<String>)>> = rows(&text, Format::Jsonl)
            .into_iter()
            .map(|r| {
                r.and_then(|row| listing(&row))
                    .map(|l| l.line)
                    .map_err(|e| (e.line, e.field))
            })
            .collect();
        assert_eq!(
            got,
            vec![
                Ok(1),
                Err((2, Some("title".into()))),
                Err((3, None)),
                Err((5, Some("desciption".into()))),
                Err((6, None)),
                Err((7, Some("seller_id".into()))),
                Err((8, Some("currency".into()))),
            ]
        );
    }

    #[test]
    fn csv_errors_name_their_line_and_quoted_newlines_keep_the_count() {
        let text =
            "id,seller_id,title,category\nL1,s1,\"two\nlines\",Shoes\nL2,s1\nL3,s1,ok,Shoes\n";
        let got: Vec<Result<u64, u64>> = rows(text, Format::Csv)
            .into_iter()
            .map(|r| r.map(|row| row.line).map_err(|e| e.line))
            .collect();
        assert_eq!(got, vec![Ok(2), Err(4), Ok(5)]);
        let bad_header = rows("id,id\n1,2\n", Format::Csv);
        assert_eq!(bad_header.len(), 1);
        assert!(bad_header[0].as_ref().is_err_and(|e| e.line == 0));
        assert!(rows("", Format::Csv)[0].is_err());
    }

    #[test]
    fn an_overlong_line_is_one_error_and_the_next_line_is_read() {
        let mut text = "x".repeat(MAX_LINE_BYTES + 10);
        text.push('\n');
        text.push_str(r#"{"id":"L2","seller_id":"s","title":"t","category":"c"}"#);
        let got = rows(&text, Format::Jsonl);
        assert_eq!(got.len(), 2);
        assert!(
            got[0]
                .as_ref()
                .is_err_and(|e| e.line == 1 && e.message.contains("longer"))
        );
        assert_eq!(got[1].as_ref().map(|r| r.line), Ok(2));
    }

    #[test]
    fn rights_rows_are_validated_field_by_field() {
        let csv = "id,owner,kind,jurisdiction,registration_number,nice_classes,valid_from,valid_until,certificates,mark,aliases\n\
            tm-1,acme,trademark,CN,123,25;18,2020-01-01,2030-01-01,a.pdf,ACME,AKME;艾克美\n\
            tm-2,acme,trademark,CN,124,,2020-01-01,,a.pdf,,\n\
            tm-3,acme,trademark,CN,125,46,2020-01-01,,a.pdf,,\n\
            tm-4,acme,trademark,CN,126,25,2020-01-01,2019-01-01,a.pdf,,\n\
            tm-5,acme,trademark,CN,127,25,2020-01-01,,,,\n";
        let got: Vec<Result<RightRow, RowError>> = rows(csv, Format::Csv)
            .into_iter()
            .map(|r| r.and_then(|row| right(&row)))
            .collect();
        let ok = got[0].as_ref().unwrap();
        assert_eq!(ok.aliases, vec!["AKME", "艾克美"]);
        assert_eq!(ok.nice_classes.len(), 2);
        let fields: Vec<Option<String>> = got[1..]
            .iter()
            .map(|r| r.as_ref().unwrap_err().field.clone())
            .collect();
        assert_eq!(
            fields,
            [
                "nice_classes",
                "nice_classes",
                "valid_until",
                "certificates"
            ]
            .map(|f| Some(f.to_owned()))
        );
    }
}
