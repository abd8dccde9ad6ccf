//! A small CSV writer (RFC 4180) for the exports, safe to open in a spreadsheet.
//!
//! Fields with a comma, a quote or a line break are quoted; a field a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
//! or a carriage return) gets a leading `'`, because exported texts (reasons,
//! names, listing titles) come from users.

/// Rows of text, written with a header line.
#[derive(Debug, Clone, Default)]
pub struct Csv {
    out: String,
}

impl Csv {
    /// A document starting with its header row.
    pub fn with_header(header: &[&str]) -> Self {
        let mut c = Self::default();
        c.row(header.iter().copied());
        c
    }

    /// Appends one row.
    pub fn row<I, S>(&mut self, fields: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for (i, f) in fields.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_field(&mut self.out, f.as_ref());
        }
        self.out.push_str("\r\n");
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

fn push_field(out: &mut String, f: &str) {
    let formula = f.starts_with(['=', '+', '-', '@', '\t', '\r']);
    // A negative number is data, not a formula.
    let number = f.parse::<f64>().is_ok();
    let guard = formula && !number;
    if guard || f.contains([',', '"', '\n', '\r']) {
        out.push('"');
        if guard {
            out.push('\'');
        }
        out.push_str(&f.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_when_needed_and_formulas_defused() {
        let mut c = Csv::with_header(&["a", "b"]);
        c.row(["plain", "with, comma"]);
        c.row(["say \"hi\"", "two\nlines"]);
        c.row(["=HYPERLINK(\"x\")", "-3.5"]);
        c.row(["@SUM(A1)", ""]);
        assert_eq!(
            c.finish(),
            "a,b\r\nplain,\"with, comma\"\r\n\"say \"\"hi\"\"\",\"two\nlines\"\r\n\"'=HYPERLINK(\"\"x\"\")\",-3.5\r\n\"'@SUM(A1)\",\r\n"
        );
    }
}
