//! Test support: servers on ports the system picks, never on one chosen in
//! advance (another test could take it first); plain HTTP/1.1 exchanges
//! with them, and ([`api`]) their JSON API as a holder drives it.
//!
//! A server in a process of its own is told to listen on port 0 and says
//! where it listens: `zhengshu serve --addr 127.0.0.1:0` logs
//! "listening on http://ADDR", `chromedriver --port=0` prints "… started
//! successfully on port N." [`spawn_listening`] starts it and reads that
//! line. A server in the test's own process binds port 0 and hands the
//! listener over (`zhengshu_web::Server::bind`, then `local_addr`).
#![forbid(unsafe_code)]

pub mod api;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a server may take to announce itself (a first start on a
/// fresh PostgreSQL database migrates and makes seal keys).
const WAIT: Duration = Duration::from_secs(60);

/// The most lines of a process's output kept (the newest).
const KEPT_LINES: usize = 20_000;

/// A process listening at `addr`; killed when dropped, so a failing test
/// leaves nothing running.
#[derive(Debug)]
pub struct Listening {
    pub child: Child,
    pub addr: SocketAddr,
    /// The newest lines of its output (standard output and error).
    kept: Arc<Mutex<VecDeque<String>>>,
}

impl Listening {
    /// The newest lines the process wrote so far (up to 20,000), oldest
    /// first: what a test reads from a server's log.
    pub fn output(&self) -> Vec<String> {
        self.kept
            .lock()
            .map(|k| k.iter().cloned().collect())
            .unwrap_or_default()
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd`, which must have been told to listen on port 0, and waits
/// for the line of its standard output or error that names the address
/// after `marker` (see [`announced_addr`]). Its output is read to the end,
/// its newest lines kept ([`Listening::output`]), so the process never
/// blocks on a full pipe. Panics,
/// showing that output, if the process ends or stays silent for a minute.
pub fn spawn_listening(cmd: &mut Command, marker: &str) -> Listening {
    spawn_listening_all(cmd, &[marker]).0
}

/// [`spawn_listening`] for a process with several listeners, each
/// announced by its own marker: the process (at the address of the first
/// marker) and every address, in the markers' order.
pub fn spawn_listening_all(cmd: &mut Command, markers: &[&str]) -> (Listening, Vec<SocketAddr>) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let (tx, lines) = mpsc::channel();
    let kept = Arc::new(Mutex::new(VecDeque::new()));
    drain(child.stdout.take(), tx.clone(), kept.clone());
    drain(child.stderr.take(), tx, kept.clone());
    let deadline = Instant::now() + WAIT;
    let mut seen = String::new();
    let mut found: Vec<Option<SocketAddr>> = vec![None; markers.len()];
    loop {
        if let Some(addrs) = found.iter().copied().collect::<Option<Vec<_>>>() {
            return (
                Listening {
                    child,
                    addr: addrs[0],
                    kept,
                },
                addrs,
            );
        }
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                for (slot, marker) in found.iter_mut().zip(markers) {
                    if slot.is_none() {
                        *slot = announced_addr(&line, marker);
                    }
                }
                seen.extend([line.as_str(), "\n"]);
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                let why = match e {
                    RecvTimeoutError::Timeout => "stayed silent",
                    RecvTimeoutError::Disconnected => "ended",
                };
                panic!("{cmd:?} {why} before announcing {markers:?}ADDR; its output:\n{seen}");
            }
        }
    }
}

/// Sends each line of `stream` to `lines` while anyone listens, keeps the
/// newest in `kept`, and reads to the end.
fn drain(
    stream: Option<impl Read + Send + 'static>,
    lines: mpsc::Sender<String>,
    kept: Arc<Mutex<VecDeque<String>>>,
) {
    let Some(stream) = stream else { return };
    std::thread::spawn(move || {
        let mut stream = BufReader::new(stream);
        let mut line = Vec::new();
        while stream.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            let text = String::from_utf8_lossy(&line).trim_end().to_owned();
            if let Ok(mut k) = kept.lock() {
                if k.len() == KEPT_LINES {
                    k.pop_front();
                }
                k.push_back(text.clone());
            }
            let _ = lines.send(text);
            line.clear();
        }
    });
}

/// The address right after `marker` in `line`: `HOST:PORT`, or a bare port
/// of 127.0.0.1. Whatever follows it (a full stop, a space, a colour code,
/// a closing quote) ends it.
pub fn announced_addr(line: &str, marker: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once(marker)?;
    let end = rest
        .find(|c: char| !(c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']')))
        .unwrap_or(rest.len());
    let text = rest[..end].trim_end_matches(['.', ':']);
    text.parse().ok().or_else(|| {
        let port = text.parse::<u16>().ok()?;
        Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
    })
}

/// One HTTP/1.1 exchange with a server of this machine: the status and
/// the body, or `None` when nothing answers. `headers` are whole lines
/// (`"Authorization: Bearer T"`); a body is sent as JSON.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[&str],
    body: Option<&str>,
) -> Option<(u16, Vec<u8>)> {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let body = body.unwrap_or("");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    write!(
        s,
        "{head}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, raw[split + 4..].to_vec()))
}

/// Waits up to `secs` seconds for `ready`, checking every 100 ms; panics
/// naming `what` when it never is. A hang guard, not a timing assertion.
pub fn wait_for(what: &str, secs: u64, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !ready() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_of_zhengshu_and_chromedriver_are_read() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        let log = "2026-12-01T22:00:00Z  INFO zhengshu::serve: listening on \
                   http://127.0.0.1:41235 addr=127.0.0.1:41235 demo=true";
        assert_eq!(
            announced_addr(log, "listening on http://"),
            Some(at("127.0.0.1:41235"))
        );
        let json = r#"{"fields":{"message":"listening on http://[::1]:8080","addr":"[::1]:8080"}}"#;
        assert_eq!(
            announced_addr(json, "listening on http://"),
            Some(at("[::1]:8080"))
        );
        let driver = "ChromeDriver was started successfully on port 34797.";
        assert_eq!(
            announced_addr(driver, "started successfully on port "),
            Some(at("127.0.0.1:34797"))
        );
        assert_eq!(
            announced_addr("listening soon", "listening on http://"),
            None
        );
    }

    #[test]
    fn a_process_that_ends_without_announcing_is_reported_with_its_output() {
        let failed = std::panic::catch_unwind(|| {
            spawn_listening(
                Command::new("sh").args(["-c", "echo no database >&2"]),
                "listening on http://",
            )
        });
        let message = *failed.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("ended"), "{message}");
        assert!(message.contains("no database"), "{message}");
    }

    #[test]
    fn a_process_that_announces_is_handed_over_and_killed_when_dropped() {
        let served = spawn_listening(
            Command::new("sh").args([
                "-c",
                "echo starting; echo listening on http://127.0.0.1:9; exec sleep 60",
            ]),
            "listening on http://",
        );
        assert_eq!(served.addr.port(), 9);
        let pid = served.child.id();
        drop(served);
        let alive = Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(!alive.success(), "process {pid} outlived its handle");
    }
}
