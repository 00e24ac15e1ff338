//! A real SMTP server for the tests: aiosmtpd (PyPI, `scripts/test.sh`
//! installs it) started per test on a port it picks, writing each message
//! it receives, decoded, to a directory the test reads.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zhengshu_notify::{Senders, SmtpSecurity, SmtpSender, SmtpSettings};

pub struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
    pub port: u16,
}

impl SmtpSink {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/web/support/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 is needed for the SMTP test server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the SMTP server's port");
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!(
                "the SMTP test server did not start: install aiosmtpd \
                 (python3 -m pip install --user aiosmtpd, as scripts/test.sh does)"
            )
        });
        Self { child, dir, port }
    }

    /// Senders that e-mail through this server (no SMS).
    pub fn senders(&self) -> Senders {
        let smtp = SmtpSender::new(&SmtpSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "证书查询验证 <noreply@zhengshu.test>".into(),
        })
        .expect("SMTP settings");
        Senders {
            email: Some(Arc::new(smtp)),
            sms: None,
        }
    }

    /// Message number `n` (from 1): its recipient line and body.
    pub fn message(&self, n: usize) -> String {
        let path = self.dir.path().join(format!("{n}.txt"));
        let start = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(&path) {
                return text;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no message {n} at the SMTP server"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// How many messages have arrived (each is written before the server
    /// acknowledges it, so a send that returned is counted).
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "txt"))
            })
            .count()
    }

    /// The six-digit code in message `n`.
    pub fn code(&self, n: usize) -> String {
        let text = self.message(n);
        text.split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .unwrap_or_else(|| panic!("no code in {text:?}"))
            .to_owned()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
