//! A real SMTP server for the notification tests: `scripts/smtp_sink.py`
//! (PyPI `aiosmtpd`, run with `$RG_PYTHON`) on a port of 127.0.0.1, writing
//! each message it accepts to a directory as JSON. The sink can be created
//! stopped (nothing listens on its port: the mail server is down) and
//! started later, to show that e-mails sent meanwhile are retried, not lost.

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::Error;

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    /// The envelope's recipients (`RCPT TO`).
    pub rcpt_tos: Vec<String>,
    /// The `Message-ID` header.
    pub message_id: String,
    /// The subject, decoded.
    pub subject: String,
    /// The `From` header.
    pub from: String,
    /// The body, decoded.
    pub body: String,
}

/// The sink; killed when dropped.
#[derive(Debug)]
pub struct SmtpSink {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

fn python() -> String {
    std::env::var("RG_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn script() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/smtp_sink.py"))
}

impl SmtpSink {
    /// Whether the sink can run here (`aiosmtpd` importable by `$RG_PYTHON`).
    /// Under CI it must: this panics instead of answering `false`.
    pub fn available() -> bool {
        let ok = Command::new(python())
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok && std::env::var_os("CI").is_some() {
            #[allow(clippy::panic)] // the one place a missing tool must stop CI
            {
                panic!(
                    "aiosmtpd is missing under CI: scripts/test installs it into its venv (RG_PYTHON)"
                );
            }
        }
        if !ok {
            eprintln!(
                "SKIPPED: SMTP tests — aiosmtpd not found (run scripts/test, which sets RG_PYTHON)"
            );
        }
        ok
    }

    /// A sink on a free port, not started: connections to it are refused.
    pub fn stopped() -> Result<Self, Error> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        Ok(Self {
            port,
            dir: tempfile::tempdir()?,
            child: None,
        })
    }

    /// Its URL for `serve --smtp`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts listening (returns once it does).
    pub fn start(&mut self) -> Result<(), Error> {
        if self.child.is_some() {
            return Ok(());
        }
        let mut child = Command::new(python())
            .arg(script())
            .arg(self.port.to_string())
            .arg(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            std::io::BufReader::new(out).read_line(&mut line)?;
        }
        if line.trim() != "ready" {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the SMTP sink did not start (said {line:?})").into());
        }
        self.child = Some(child);
        Ok(())
    }

    /// Stops listening (the mail server goes down); received messages stay.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every message received so far, in the order received.
    pub fn messages(&self) -> Result<Vec<Mail>, Error> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p)?)?;
                let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
                Ok(Mail {
                    rcpt_tos: v["rcpt_tos"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    message_id: s("message_id"),
                    subject: s("subject"),
                    from: s("from"),
                    body: s("body"),
                })
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
