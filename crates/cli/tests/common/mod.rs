//! Helpers shared by the CLI's test binaries.

#![allow(dead_code, clippy::unwrap_used)] // each test binary uses a subset

use std::io::{Read, Write};
use std::net::TcpStream;

/// A GET over plain HTTP/1.1 with a bearer token: (status line, body).
pub fn http_get(addr: &str, path: &str, token: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp.lines().next().unwrap_or_default().to_owned();
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
