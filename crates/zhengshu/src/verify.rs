//! `zhengshu verify FILE.pdf [--trust CA.pem] [--online URL] [--json]`:
//! the checks of an uploaded file, made here without a server. The trust
//! root is `--trust`, or the data directory's `keys/ca.pem`. The status
//! checks (on record, annotation, certificate) are indeterminate unless
//! `--online` reaches a zhengshu server, whose answer then fills them in.
//! The report prints in zh-CN unless `--lang` says otherwise; `--json`
//! prints the API's shape. Exit codes: 0 passed, 1 failed, 3
//! indeterminate, 2 usage or environment.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use zhengshu_document::check::{self, Check, Indication, STATUS_CHECKS, Standing, Status, Trust};
use zhengshu_web::{DocumentReport, Lang, check_title, reason_text};

use crate::Failure;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The e-certificate file (PDF)
    #[arg(value_name = "FILE.pdf")]
    pub file: PathBuf,
    /// The root certificate to trust [default: <data-dir>/keys/ca.pem]
    #[arg(long, value_name = "CA.pem")]
    pub trust: Option<PathBuf>,
    /// Ask this zhengshu server (http://…) for the record and the status
    #[arg(long, value_name = "URL")]
    pub online: Option<String>,
    /// Print the report as JSON, in the shape of POST /api/v1/verify/document
    #[arg(long)]
    pub json: bool,
    /// Language of the report: zh-CN, zh-TW or en
    #[arg(long, default_value = "zh-CN", value_name = "LANG")]
    pub lang: String,
}

/// The file's size limit here is the checker's own, not the upload limit.
pub async fn run(config: &Config, args: VerifyArgs) -> Result<(), Failure> {
    let lang = Lang::from_tag(&args.lang).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown language {:?}: use zhengshu verify --lang zh-CN, zh-TW or en",
            args.lang
        )
    })?;
    let trust_path = args
        .trust
        .clone()
        .unwrap_or_else(|| config.keys_dir().join("ca.pem"));
    let pem = std::fs::read(&trust_path).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}; give the root with --trust CA.pem (the server publishes it at /.well-known/zhengshu/ca.pem)",
            trust_path.display()
        )
    })?;
    let trust =
        Trust::from_pem(&pem).map_err(|e| anyhow::anyhow!("{}: {e}", trust_path.display()))?;
    let meta = std::fs::metadata(&args.file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    if meta.len() > check::MAX_FILE as u64 {
        return Err(anyhow::anyhow!(
            "{}: larger than {} MiB, not an e-certificate",
            args.file.display(),
            check::MAX_FILE / (1024 * 1024)
        )
        .into());
    }
    let bytes =
        std::fs::read(&args.file).map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;

    let mut report = check::check(&bytes, &trust, &Standing::Unknown);
    if let Some(url) = &args.online {
        match ask_server(url, &bytes, lang).await {
            Ok(server) => {
                for c in server
                    .checks
                    .into_iter()
                    .filter(|c| STATUS_CHECKS.contains(&c.check.as_str()))
                {
                    report.replace(c);
                }
            }
            Err(e) => eprintln!("zhengshu: {url}: {e:#}; the status checks stay indeterminate"),
        }
    }

    if args.json {
        let json = serde_json::to_string_pretty(&DocumentReport::of(lang, &report))?;
        println!("{json}");
    } else {
        print_text(lang, &args.file, &report);
    }
    match report.indication() {
        Indication::TotalPassed => Ok(()),
        Indication::TotalFailed => Err(Failure::Rejected),
        Indication::Indeterminate => Err(Failure::Indeterminate),
    }
}

fn print_text(lang: Lang, file: &std::path::Path, report: &check::Report) {
    let indication = report.indication().code();
    println!("{}", file.display());
    println!("SHA-256 {}", report.sha256);
    println!("{}", lang.t(&format!("verify-indication-{indication}")));
    for c in &report.checks {
        let mark = match c.status {
            Status::Passed => "✓",
            Status::Failed => "✗",
            Status::Indeterminate => "?",
            Status::Skipped => "-",
        };
        println!(
            "{mark} [{}] {}: {}",
            lang.t(&format!("check-status-{}", c.status.code())),
            check_title(lang, c),
            reason_text(lang, c)
        );
    }
}

/// The server's status checks, as its report gives them.
struct ServerReport {
    checks: Vec<Check>,
}

async fn ask_server(url: &str, bytes: &[u8], lang: Lang) -> anyhow::Result<ServerReport> {
    let uri: hyper::Uri =
        format!("{}/api/v1/verify/document", url.trim_end_matches('/')).parse()?;
    if uri.scheme_str() != Some("http") {
        anyhow::bail!(
            "only http:// addresses are supported here; check over https with the web page or the API"
        );
    }
    let client = Client::builder(TokioExecutor::new()).build_http();
    let request = hyper::Request::post(uri)
        .header("content-type", "application/pdf")
        .header("accept-language", lang.tag())
        .body(Full::new(hyper::body::Bytes::copy_from_slice(bytes)))?;
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request)).await??;
    let status = response.status();
    let body = tokio::time::timeout(Duration::from_secs(30), response.into_body().collect())
        .await??
        .to_bytes();
    if !status.is_success() {
        anyhow::bail!("the server answered {status}");
    }
    let value: serde_json::Value = serde_json::from_slice(&body)?;
    let checks = value["checks"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("not a zhengshu report"))?
        .iter()
        .filter_map(|c| {
            let args: BTreeMap<String, String> = c["args"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            Some(Check {
                check: c["check"].as_str()?.to_owned(),
                seal: c["seal"].as_str().map(str::to_owned),
                status: Status::from_code(c["status"].as_str()?)?,
                reason: c["reason_code"].as_str()?.to_owned(),
                args: args.into_iter().collect(),
            })
        })
        .collect();
    Ok(ServerReport { checks })
}
