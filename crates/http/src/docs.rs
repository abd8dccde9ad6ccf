//! The API docs page: a self-contained HTML page rendered once, at start,
//! from the OpenAPI document (no scripts, no CDN, works offline).

use std::fmt::Write as _;

use utoipa::openapi::OpenApi;
use utoipa::openapi::path::HttpMethod;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Head => "HEAD",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Trace => "TRACE",
    }
}

/// Renders the page listing every operation of `doc`.
pub fn render(doc: &OpenApi) -> String {
    let mut h = String::new();
    let title = esc(&doc.info.title);
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} API</title>\
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}\
code,.m{{font-family:ui-monospace,monospace}}.op{{border-top:1px solid #ddd;padding:.6rem 0}}\
.m{{display:inline-block;width:4.5rem;font-weight:bold}}.d{{color:#444;margin:.2rem 0 0 4.5rem}}</style></head><body>\
<h1>{title} API {}</h1><p>{}</p><p>Machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI {}).</p>",
        esc(&doc.info.version),
        esc(doc.info.description.as_deref().unwrap_or_default()),
        match doc.openapi {
            utoipa::openapi::OpenApiVersion::Version31 => "3.1",
        },
    );
    for (path, item) in &doc.paths.paths {
        let ops = [
            (HttpMethod::Get, &item.get),
            (HttpMethod::Post, &item.post),
            (HttpMethod::Put, &item.put),
            (HttpMethod::Delete, &item.delete),
            (HttpMethod::Patch, &item.patch),
        ];
        for (m, op) in ops {
            let Some(op) = op else { continue };
            let summary = op.summary.as_deref().unwrap_or_default();
            let desc = op.description.as_deref().unwrap_or_default();
            let auth = if op.security.is_some() {
                " <small>(bearer token)</small>"
            } else {
                ""
            };
            let _ = write!(
                h,
                "<div class=\"op\"><span class=\"m\">{}</span><code>{}</code>{auth}\
<div class=\"d\"><b>{}</b> {}</div></div>",
                method_name(&m),
                esc(path),
                esc(summary),
                esc(desc),
            );
        }
    }
    h.push_str("</body></html>");
    h
}
