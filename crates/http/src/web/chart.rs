//! Horizontal bar charts as inline SVG, drawn on the server.
//!
//! A page that shows figures also shows them as a table, so a chart is an
//! extra, never the only way to read a number; still, each chart is an
//! `role="img"` with a `<title>`, and each bar carries its own `<title>`
//! (label and value) for screen readers and hover. No chart crate and no
//! script: a dozen lines of SVG cover bars, and the CSP stays strict (the
//! SVG uses presentation attributes and classes, never `style`).

use std::fmt::Write as _;

/// Width of the drawing, in SVG units (it scales to its container).
const WIDTH: u64 = 600;
/// Where the bars start (labels sit to the left).
const BAR_X: u64 = 250;
/// Room kept to the right of the longest bar for its value.
const VALUE_ROOM: u64 = 50;
/// Longer labels are cut (with "…") beside the bar; its `<title>` keeps all.
const LABEL_CHARS: usize = 36;
/// Height of one row.
const ROW: u64 = 22;

/// Escapes text for SVG/HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An accessible horizontal bar chart of `(label, value)` pairs, titled
/// `title`; `id` must be unique on the page (it links the title). Bars
/// scale to the largest value; an all-zero or empty series draws no bars.
pub fn bars(id: &str, title: &str, rows: &[(String, u64)]) -> String {
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let span = WIDTH - BAR_X - VALUE_ROOM;
    let height = ROW * rows.len().max(1) as u64;
    let (id, title) = (esc(id), esc(title));
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-t\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-t\">{title}</title>"
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = ROW * i as u64;
        let w = value * span / max;
        let shown = if label.chars().count() > LABEL_CHARS {
            let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
            esc(&format!("{cut}…"))
        } else {
            esc(label)
        };
        let label = esc(label);
        // Writing to a String cannot fail.
        let _ = write!(
            svg,
            "<g><title>{label}: {value}</title>\
             <text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{shown}</text>\
             <rect x=\"{BAR_X}\" y=\"{ry}\" width=\"{w}\" height=\"{rh}\" rx=\"2\"></rect>\
             <text x=\"{vx}\" y=\"{ty}\">{value}</text></g>",
            tx = BAR_X - 8,
            ty = y + 15,
            ry = y + 3,
            rh = ROW - 6,
            vx = BAR_X + w + 6,
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(v: &[(&str, u64)]) -> Vec<(String, u64)> {
        v.iter().map(|(l, n)| ((*l).to_owned(), *n)).collect()
    }

    #[test]
    fn bars_scale_to_the_largest_and_carry_titles() {
        let svg = bars(
            "c1",
            "By type",
            &rows(&[("counterfeit", 4), ("copyright", 2)]),
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains("role=\"img\" aria-labelledby=\"c1-t\""));
        assert!(svg.contains("<title id=\"c1-t\">By type</title>"));
        assert!(svg.contains("<title>counterfeit: 4</title>"));
        assert!(svg.contains("<title>copyright: 2</title>"));
        let span = WIDTH - BAR_X - VALUE_ROOM;
        assert!(
            svg.contains(&format!("width=\"{span}\"")),
            "largest is full"
        );
        assert!(svg.contains(&format!("width=\"{}\"", span / 2)), "half");
        assert!(!svg.contains("style="), "the CSP forbids inline style");
    }

    #[test]
    fn labels_are_escaped_and_empty_series_draw_nothing() {
        let svg = bars("x\"", "<b>", &rows(&[("a<b&\"c", 0)]));
        assert!(!svg.contains("<b>") && svg.contains("&lt;b&gt;"), "{svg}");
        assert!(svg.contains("a&lt;b&amp;&quot;c: 0"));
        assert!(svg.contains("width=\"0\""), "zero is no bar");
        let empty = bars("e", "Nothing", &[]);
        assert!(!empty.contains("<rect"), "{empty}");
        assert!(empty.contains("viewBox=\"0 0 600 22\""));
        let long = "x".repeat(50);
        let svg = bars("l", "Long", &[(long.clone(), 1)]);
        assert!(
            svg.contains(&format!("<title>{long}: 1</title>")),
            "the title keeps all"
        );
        assert!(
            svg.contains(&format!(">{}…</text>", "x".repeat(LABEL_CHARS - 1))),
            "{svg}"
        );
    }
}
