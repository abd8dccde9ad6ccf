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

/// `rightsguard serve` as a separate process on `db`, on a manual clock, with
/// no background jobs and no write rate limit, plus `extra` arguments.
pub struct Server {
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Server {
    pub fn start(db: &rightsguard_testkit::Database, extra: &[&str]) -> Server {
        Self::start_on(
            db,
            &[
                "--clock",
                "manual",
                "--clock-start",
                rightsguard_testkit::CLOCK_START,
            ],
            extra,
        )
    }

    /// [`Server::start`] with other clock arguments (`["--clock", "system"]`
    /// when other processes with the system clock schedule its jobs).
    pub fn start_on(db: &rightsguard_testkit::Database, clock: &[&str], extra: &[&str]) -> Server {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let evidence = db.evidence_dir();
        let mut child = Command::new(env!("CARGO_BIN_EXE_rightsguard"))
            .args([
                "serve",
                "--db",
                &db.url,
                "--evidence-dir",
                evidence.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
                "--jobs-every",
                "0",
                // No write may be refused for its rate.
                "--write-rate",
                "0",
                // The tests' webhook receivers listen on loopback.
                "--webhooks-allow-net",
                rightsguard_testkit::LOOPBACK,
            ])
            .args(clock)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server exited before listening")
                .unwrap();
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep reading so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                eprintln!("serve: {l}");
            }
        });
        Server {
            child,
            base: format!("http://{addr}"),
        }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}
