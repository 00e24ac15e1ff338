//! Annotation latency benchmark, the client side of
//! `scripts/bench-annotations.sh`:
//!
//! - `annotation-latency prepare FILE.csv [N]` writes an import file of N
//!   (default 100) certificates of `pharmacist_center`, issued after the
//!   cut-over, each for a holder of its own (the same file for the same N);
//! - `annotation-latency wait LOG` waits (up to 60 s) until the server
//!   writing the log file LOG (started with `--addr 127.0.0.1:0`) has
//!   announced "listening on http://HOST:PORT" and answers `GET /healthz`,
//!   then prints HOST:PORT;
//! - `annotation-latency run HOST:PORT [N]` registers those N holders on a
//!   running server, logs each in, agrees to the terms, proves the
//!   identity with the certificate's 管理号 and finds its
//!   certificate (not timed); then all N apply for an annotation at once
//!   and poll it every 20 ms until it is ready. Prints the latency from
//!   each one's application to its first `ready` (p50, p99, max), the wall
//!   time until all are ready and documents/s; checks one document is a
//!   PDF. Exits non-zero on any unexpected answer or after 60 s.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zhengshu_domain::resident_check_digit;
use zhengshu_testing::announced_addr;

const PASSWORD: &str = "Bench-2024-latency";
const POLL: Duration = Duration::from_millis(20);
const TIMEOUT: Duration = Duration::from_secs(60);
const SETUP_THREADS: usize = 4;

type Result<T> = std::result::Result<T, String>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = match args.get(2).map(|s| s.parse::<usize>()) {
        None => 100,
        Some(Ok(n)) if (1..=9999).contains(&n) => n,
        _ => usage(),
    };
    let outcome = match (args.first().map(String::as_str), args.get(1)) {
        (Some("prepare"), Some(file)) => prepare(file, n),
        (Some("run"), Some(addr)) => run(addr, n),
        (Some("wait"), Some(log)) => wait(log),
        _ => usage(),
    };
    if let Err(e) = outcome {
        eprintln!("annotation-latency: {e}");
        std::process::exit(1);
    }
}

fn usage() -> ! {
    eprintln!("usage: annotation-latency prepare FILE.csv [N] | wait LOG | run HOST:PORT [N]");
    std::process::exit(2);
}

/// The `i`-th holder: name, resident ID number, username, certificate
/// number. Region 320102 keeps them apart from the demo's holders.
fn holder(i: usize) -> (String, String, String, String) {
    const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"];
    const GIVEN: &[&str] = &["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋"];
    let name = format!(
        "{}{}{}",
        SURNAMES[i % 10],
        GIVEN[(i / 10) % 10],
        GIVEN[(i / 100) % 10]
    );
    let birth = jiff::civil::date(1975, 1, 1)
        .checked_add(jiff::Span::new().days(i as i64 * 37))
        .expect("in range");
    let first17 = format!("320102{}{:03}", birth.strftime("%Y%m%d"), 100 + i % 900);
    let check = resident_check_digit(&first17).expect("17 digits");
    (
        name,
        format!("{first17}{check}"),
        format!("bench{i:04}"),
        format!("LAT-{i:06}"),
    )
}

/// The 管理号 printed on the `i`-th holder's certificate: with no contact
/// recorded, it is how the holder proves the identity they registered.
fn management_number(i: usize) -> String {
    format!("LATM{i:06}")
}

fn prepare(file: &str, n: usize) -> Result<()> {
    let mut csv = String::from(
        "certificate_number,name,id_type,id_number,qualification,issue_date,management_number\n",
    );
    for i in 0..n {
        let (name, id, _, number) = holder(i);
        let m = management_number(i);
        csv.push_str(&format!(
            "{number},{name},resident_id,{id},licensed_pharmacist,2024-03-01,{m}\n"
        ));
    }
    std::fs::write(file, csv).map_err(|e| format!("{file}: {e}"))
}

fn wait(log: &str) -> Result<()> {
    let deadline = Instant::now() + TIMEOUT;
    let mut addr = None;
    loop {
        if addr.is_none() {
            // Absent until the server's shell redirection has made it.
            let text = std::fs::read_to_string(log).unwrap_or_default();
            addr = text
                .lines()
                .find_map(|l| announced_addr(l, "listening on http://"))
                .map(|a| a.to_string());
        }
        if let Some(addr) = &addr
            && let Ok((200, _)) = Conn::new(addr).call("GET", "/healthz", None, None)
        {
            println!("{addr}");
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(match addr {
                None => format!("{log}: no \"listening on\" line within {TIMEOUT:?}"),
                Some(a) => format!("{a}: no answer to /healthz within {TIMEOUT:?}"),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One keep-alive HTTP/1.1 connection of one simulated client: with the
/// server told to trust `X-Forwarded-For` (as behind a proxy), each holder
/// comes from an address of its own, as it would in the field, so that
/// the per-address registration limits see N people, not one.
struct Conn {
    addr: String,
    client: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_owned(),
            client: "10.0.0.0".to_owned(),
            stream: None,
        }
    }

    /// Speaks for the `i`-th holder's client from now on.
    fn as_client(&mut self, i: usize) {
        self.client = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    }

    /// One exchange: status and body. A reused connection the server
    /// closed meanwhile is opened again once.
    fn call(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<(u16, Vec<u8>)> {
        let reused = self.stream.is_some();
        match self.exchange(method, path, token, body) {
            Ok(r) => Ok(r),
            Err(_) if reused => {
                self.stream = None;
                self.exchange(method, path, token, body)
            }
            Err(e) => Err(e),
        }
        .map_err(|e| format!("{method} {path}: {e}"))
    }

    fn exchange(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> std::io::Result<(u16, Vec<u8>)> {
        if self.stream.is_none() {
            let s = TcpStream::connect(&self.addr)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(30)))?;
            self.stream = Some(BufReader::new(s));
        }
        let r = self.stream.as_mut().expect("connected");
        let body = body.map(Value::to_string).unwrap_or_default();
        let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nX-Forwarded-For: {}\r\n{auth}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            self.client,
            body.len()
        );
        r.get_mut().write_all(request.as_bytes())?;
        let bad =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        let (mut length, mut chunked, mut close) = (None, false, false);
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let (key, value) = header.split_once(':').ok_or_else(|| bad("bad header"))?;
            let value = value.trim();
            match key.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        let mut out = Vec::new();
        if status == 204 || status == 304 || (100..200).contains(&status) {
            // No body.
        } else if chunked {
            loop {
                line.clear();
                r.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| bad("bad chunk size"))?;
                let start = out.len();
                out.resize(start + size + 2, 0);
                r.read_exact(&mut out[start..])?;
                out.truncate(start + size);
                if size == 0 {
                    break;
                }
            }
        } else if let Some(len) = length {
            out.resize(len, 0);
            r.read_exact(&mut out)?;
        } else {
            r.read_to_end(&mut out)?;
            close = true;
        }
        if close {
            self.stream = None;
        }
        Ok((status, out))
    }

    /// An exchange expected to answer `want` with JSON (or nothing).
    fn json(
        &mut self,
        want: u16,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Value> {
        let (status, bytes) = self.call(method, path, token, body.as_ref())?;
        if status != want {
            return Err(format!(
                "{method} {path}: {status} (expected {want}): {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("{method} {path}: not JSON: {e}"))
    }
}

/// A holder ready to apply: bearer token and certificate id.
struct Ready {
    token: String,
    certificate: i64,
}

/// Registers the `i`-th holder, logs in, agrees to the terms and finds the
/// certificate.
fn set_up(conn: &mut Conn, i: usize) -> Result<Ready> {
    let (name, id_number, username, number) = holder(i);
    conn.json(
        201,
        "POST",
        "/api/v1/holders",
        None,
        Some(json!({
            "name": name, "id_type": "resident_id", "id_number": id_number,
            "username": username, "password": PASSWORD,
        })),
    )?;
    let session = conn.json(
        200,
        "POST",
        "/api/v1/sessions",
        None,
        Some(json!({"username": username, "password": PASSWORD})),
    )?;
    let token = session["token"]
        .as_str()
        .ok_or_else(|| format!("no token: {session}"))?
        .to_owned();
    conn.json(204, "POST", "/api/v1/terms/accept", Some(&token), None)?;
    conn.json(
        200,
        "POST",
        "/api/v1/me/identity/management-number",
        Some(&token),
        Some(json!({"management_number": management_number(i)})),
    )?;
    let list = conn.json(200, "GET", "/api/v1/me/certificates", Some(&token), None)?;
    let certificate = list
        .as_array()
        .and_then(|l| l.iter().find(|c| c["number"] == number.as_str()))
        .and_then(|c| c["id"].as_i64())
        .ok_or_else(|| format!("{username}: certificate {number} not listed: {list}"))?;
    Ok(Ready { token, certificate })
}

/// Applies, then polls until ready: the annotation id, the moment of
/// applying and the latency.
fn apply_and_wait(conn: &mut Conn, r: &Ready) -> Result<(i64, Instant, Duration)> {
    let start = Instant::now();
    let a = conn.json(
        202,
        "POST",
        &format!("/api/v1/me/certificates/{}/annotations", r.certificate),
        Some(&r.token),
        Some(json!({"scenario": "self_use", "days": 90})),
    )?;
    let id = a["id"].as_i64().ok_or_else(|| format!("no id: {a}"))?;
    let mut state = a["state"].as_str().unwrap_or_default().to_owned();
    if state != "generating" && state != "ready" {
        return Err(format!("annotation {id}: applied in state {a}"));
    }
    let path = format!("/api/v1/me/annotations/{id}");
    while state != "ready" {
        if start.elapsed() > TIMEOUT {
            return Err(format!("annotation {id}: not ready within {TIMEOUT:?}"));
        }
        std::thread::sleep(POLL);
        let a = conn.json(200, "GET", &path, Some(&r.token), None)?;
        state = a["state"].as_str().unwrap_or_default().to_owned();
        if state != "generating" && state != "ready" {
            return Err(format!("annotation {id}: {a}"));
        }
    }
    Ok((id, start, start.elapsed()))
}

fn run(addr: &str, n: usize) -> Result<()> {
    let setup = Instant::now();
    let next = AtomicUsize::new(0);
    let holders: Mutex<Vec<Option<Ready>>> = Mutex::new((0..n).map(|_| None).collect());
    std::thread::scope(|s| -> Result<()> {
        let threads: Vec<_> = (0..SETUP_THREADS.min(n))
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    let mut conn = Conn::new(addr);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            return Ok(());
                        }
                        conn.as_client(i);
                        let ready = set_up(&mut conn, i)?;
                        holders.lock().expect("not poisoned")[i] = Some(ready);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().map_err(|_| "a set-up thread panicked")??;
        }
        Ok(())
    })?;
    let holders: Vec<Ready> = holders
        .into_inner()
        .expect("not poisoned")
        .into_iter()
        .map(|h| h.expect("set up"))
        .collect();
    eprintln!(
        "set up {n} holders in {:.1} s; {n} applications at once…",
        setup.elapsed().as_secs_f64()
    );

    let barrier = Arc::new(Barrier::new(n));
    let results = std::thread::scope(|s| {
        let threads: Vec<_> = holders
            .iter()
            .map(|h| {
                let barrier = barrier.clone();
                s.spawn(move || {
                    let mut conn = Conn::new(addr);
                    // Connected before the barrier, so applying is one write.
                    let health = conn.call("GET", "/healthz", None, None);
                    barrier.wait();
                    health?;
                    apply_and_wait(&mut conn, h)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| {
                t.join()
                    .map_err(|_| "a client thread panicked".to_owned())?
            })
            .collect::<Result<Vec<_>>>()
    })?;

    let t0 = results.iter().map(|r| r.1).min().expect("n ≥ 1");
    let wall = results
        .iter()
        .map(|r| r.1 + r.2)
        .max()
        .expect("n ≥ 1")
        .duration_since(t0);
    let mut ms: Vec<f64> = results.iter().map(|r| r.2.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    // Nearest rank.
    let pct = |q: f64| ms[((q * n as f64).ceil() as usize).clamp(1, n) - 1];

    let (id, _, _) = results[0];
    let (status, pdf) = Conn::new(addr).call(
        "GET",
        &format!("/api/v1/me/annotations/{id}/document"),
        Some(&holders[0].token),
        None,
    )?;
    if status != 200 || !pdf.starts_with(b"%PDF-") {
        return Err(format!(
            "annotation {id}: document {status}, {} bytes, not a PDF",
            pdf.len()
        ));
    }

    println!("annotations n={n} poll_ms={}", POLL.as_millis());
    println!(
        "latency_ms p50={:.0} p99={:.0} max={:.0}",
        pct(0.50),
        pct(0.99),
        ms[n - 1]
    );
    println!(
        "all_ready_s={:.2} docs_per_s={:.1}",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64()
    );
    println!("document_bytes={}", pdf.len());
    Ok(())
}
