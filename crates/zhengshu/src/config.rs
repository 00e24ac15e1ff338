//! The typed configuration: defaults, then `zhengshu.toml` (in the data
//! directory, or `--config`), then `ZHENGSHU_*` environment variables
//! (`__` separates nesting: `ZHENGSHU_ANNOTATION__WINDOW_DAYS=60`), then
//! flags, which arrive as plain [`Overrides`] (this module knows nothing of
//! the argument parser). Secrets are [`Secret`]s: never printed, never
//! logged.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use zhengshu_domain::AnnotationPolicy;

/// A secret value: `Debug` and serialisation show `<redacted>`.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Self {
        Self(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter; `RUST_LOG` overrides it.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info,sqlx=warn".into(),
        }
    }
}

/// Keys; each one absent here is taken from `<data-dir>/secrets.toml`,
/// which the first start creates.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Secrets {
    /// 64 hex digits: AES-256-GCM key of ID numbers at rest.
    pub vault_encryption_key: Option<Secret>,
    /// 64 hex digits: HMAC-SHA256 key of the ID blind index.
    pub vault_index_key: Option<Secret>,
    /// 64 hex digits: signs session cookies.
    pub session_key: Option<Secret>,
    /// 64 hex digits: HMAC-SHA256 key of the verifiers' addresses kept
    /// with each verification.
    pub verifier_key: Option<Secret>,
}

/// The holder portal.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// TrueType fonts served for rare characters (CJK Extension A and
    /// beyond), best first; missing files are skipped with a warning.
    pub rare_fonts: Vec<PathBuf>,
    /// Behind a reverse proxy: the client address (log-in throttling) is
    /// the last `X-Forwarded-For` entry. Never set without a proxy that
    /// writes that header.
    pub trust_forwarded_for: bool,
    /// Keep signed-in holders' sessions, accounts, the current terms and
    /// their certificate lists in memory (`Storage::cache_hot_reads`):
    /// PostgreSQL announces every change to every node; on SQLite another
    /// process's change (a command beside the server) shows within a
    /// second.
    pub cache_reads: bool,
    /// With `cache_reads`: how many issued annotations, and how many
    /// certificates, public verification holds in memory (loaded in the
    /// background at start and again after certificates change); the
    /// database answers the rest. 0 holds none.
    pub verify_index: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            rare_fonts: zhengshu_web::fonts::HANAMIN
                .iter()
                .map(PathBuf::from)
                .collect(),
            trust_forwarded_for: false,
            cache_reads: true,
            verify_index: 5_000_000,
        }
    }
}

/// `/metrics` (Prometheus text format): on its own listen address, meant to
/// be reachable only by the monitoring network, and/or on the service's
/// address for a bearer of `token`. Neither set: no metrics are served.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// A separate address serving `/metrics` without a token, e.g.
    /// `127.0.0.1:9464`.
    pub addr: Option<SocketAddr>,
    /// A bearer token that opens `/metrics` on the service's own address.
    pub token: Option<Secret>,
}

/// The SMTP server that sends one-time codes by e-mail (`[notify.smtp]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Default 587 (STARTTLS).
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `starttls` (default), `tls`, or `none` (a relay on this machine or
    /// network only).
    #[serde(default)]
    pub security: zhengshu_notify::SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The From address, e.g. `证书查询验证 <noreply@example.cn>`.
    pub from: String,
}

fn default_smtp_port() -> u16 {
    587
}

/// The HTTP SMS gateway (`[notify.sms]`): one JSON `POST {"to", "text"}`
/// per message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    /// An `http://` URL on the internal network.
    pub url: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub token: Option<Secret>,
}

/// Where one-time codes go (`[notify]`). With nothing set, no code can be
/// sent and holders prove their identity otherwise.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Development only: write codes to the log (for any kind of contact
    /// without a sender below).
    pub log: bool,
    pub smtp: Option<SmtpConfig>,
    pub sms: Option<SmsConfig>,
}

impl NotifyConfig {
    /// The senders this configuration describes.
    pub fn senders(&self) -> anyhow::Result<zhengshu_notify::Senders> {
        use std::sync::Arc;
        let log = self
            .log
            .then(|| Arc::new(zhengshu_notify::LogSender) as Arc<dyn zhengshu_notify::Sender>);
        let email = match &self.smtp {
            Some(s) => Some(Arc::new(
                zhengshu_notify::SmtpSender::new(&zhengshu_notify::SmtpSettings {
                    host: s.host.clone(),
                    port: s.port,
                    security: s.security,
                    username: s.username.clone(),
                    password: s.password.as_ref().map(|p| p.expose().to_owned()),
                    from: s.from.clone(),
                })
                .context("[notify.smtp]")?,
            ) as Arc<dyn zhengshu_notify::Sender>),
            None => log.clone(),
        };
        let sms = match &self.sms {
            Some(s) => Some(Arc::new(
                zhengshu_notify::HttpSmsSender::new(
                    &s.url,
                    s.token.as_ref().map(|t| t.expose().to_owned()),
                )
                .context("[notify.sms]")?,
            ) as Arc<dyn zhengshu_notify::Sender>),
            None => log,
        };
        Ok(zhengshu_notify::Senders { email, sms })
    }
}

/// The exam-registration platform as an OpenID Connect provider
/// (`[platform]`): holders log in with its accounts, and its verified
/// claims prove their identity. Absent: no such log-in is offered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// The issuer URL (`https://…`); its
    /// `/.well-known/openid-configuration` is read.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// As registered with the platform; default
    /// `<public_base_url>/login/platform/callback`.
    pub redirect_url: Option<String>,
    /// Scopes asked for besides `openid`; default `["profile"]`.
    #[serde(default = "default_platform_scopes")]
    pub scopes: Vec<String>,
    /// The claim carrying the holder's name; default `name`.
    #[serde(default = "default_name_claim")]
    pub name_claim: String,
    /// The claim carrying the ID type (one of zhengshu's `id_type`
    /// codes); default `id_type`; `""`: every identity is a resident ID.
    #[serde(default = "default_id_type_claim")]
    pub id_type_claim: String,
    /// The claim carrying the ID number; default `id_number`.
    #[serde(default = "default_id_number_claim")]
    pub id_number_claim: String,
}

fn default_platform_scopes() -> Vec<String> {
    vec!["profile".into()]
}
fn default_name_claim() -> String {
    "name".into()
}
fn default_id_type_claim() -> String {
    "id_type".into()
}
fn default_id_number_claim() -> String {
    "id_number".into()
}

impl PlatformConfig {
    /// The relying party these settings describe.
    pub fn relying_party(
        &self,
        public_base_url: &str,
    ) -> anyhow::Result<zhengshu_oidc::RelyingParty> {
        let redirect_url = self.redirect_url.clone().unwrap_or_else(|| {
            format!(
                "{}/login/platform/callback",
                public_base_url.trim_end_matches('/')
            )
        });
        zhengshu_oidc::RelyingParty::new(zhengshu_oidc::Settings {
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.expose().to_owned(),
            redirect_url,
            scopes: self.scopes.clone(),
            claims: zhengshu_oidc::ClaimNames {
                name: self.name_claim.clone(),
                id_type: (!self.id_type_claim.is_empty()).then(|| self.id_type_claim.clone()),
                id_number: self.id_number_claim.clone(),
            },
        })
        .context("[platform]")
    }
}

/// The e-certificate documents.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentConfig {
    /// A directory holding the CJK fonts (Noto Serif/Sans CJK, HanaMin);
    /// default: the system's fonts (fonts-noto-cjk, fonts-hanazono).
    pub font_dir: Option<PathBuf>,
    /// Seal keys and certificates; default `<data_dir>/keys`.
    pub keys_dir: Option<PathBuf>,
}

/// How many attempts an address or an account gets before it is told to
/// wait (`[throttle]`): failed log-ins within 15 minutes, and codes sent,
/// failed 管理号 tries and registrations within an hour. Over them 429
/// with `Retry-After`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleConfig {
    /// Failed log-ins of one account from one client address.
    pub login_failures_per_account_client: i64,
    /// Failed log-ins of one account from all addresses.
    pub login_failures_per_account: i64,
    /// Failed log-ins from one client address over all accounts.
    pub login_failures_per_client: i64,
    /// One-time codes sent for one account.
    pub code_sends_per_account: i64,
    /// One-time codes sent at the request of one client address.
    pub code_sends_per_client: i64,
    /// One-time codes sent in all.
    pub code_sends_global: i64,
    /// Failed 管理号 tries of one account.
    pub management_tries_per_account: i64,
    /// Failed 管理号 tries from one client address.
    pub management_tries_per_client: i64,
    /// Registrations from one client address.
    pub registrations_per_client: i64,
    /// Registrations in all.
    pub registrations_global: i64,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        let l = zhengshu_web::Limits::default();
        let i = zhengshu_web::IdentityLimits::default();
        Self {
            login_failures_per_account_client: l.login_failures_per_account_client,
            login_failures_per_account: l.login_failures_per_account,
            login_failures_per_client: l.login_failures_per_client,
            code_sends_per_account: i.sends_per_account,
            code_sends_per_client: i.sends_per_client,
            code_sends_global: i.sends_global,
            management_tries_per_account: i.management_tries_per_account,
            management_tries_per_client: i.management_tries_per_client,
            registrations_per_client: i.registrations_per_client,
            registrations_global: i.registrations_global,
        }
    }
}

impl ThrottleConfig {
    /// Sets these counts in the server's limits; windows and lifetimes
    /// stay.
    pub fn apply(&self, state: &mut zhengshu_web::AppState) {
        let l = &mut state.limits;
        l.login_failures_per_account_client = self.login_failures_per_account_client;
        l.login_failures_per_account = self.login_failures_per_account;
        l.login_failures_per_client = self.login_failures_per_client;
        let i = &mut state.identity_limits;
        i.sends_per_account = self.code_sends_per_account;
        i.sends_per_client = self.code_sends_per_client;
        i.sends_global = self.code_sends_global;
        i.management_tries_per_account = self.management_tries_per_account;
        i.management_tries_per_client = self.management_tries_per_client;
        i.registrations_per_client = self.registrations_per_client;
        i.registrations_global = self.registrations_global;
    }
}

/// The annotation workers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// Workers inside `serve` (0: only separate `zhengshu worker`
    /// processes generate documents).
    pub in_serve: usize,
    /// Workers of one `zhengshu worker` process.
    pub concurrency: usize,
    /// Seconds a claimed job stays with its worker; a job still unfinished
    /// then is taken over by another.
    pub lease_secs: u32,
    /// Attempts before an annotation fails (the holder may apply again).
    pub max_attempts: i32,
    /// Seconds before the second attempt; doubled for each further one.
    pub backoff_secs: u32,
    /// Milliseconds between looks at the queue when idle.
    pub poll_ms: u32,
    /// Wake at once on the database's job announcements (PostgreSQL
    /// `LISTEN/NOTIFY`), from whichever process applied; polling stays.
    pub listen: bool,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            in_serve: 2,
            concurrency: 2,
            lease_secs: 60,
            max_attempts: 5,
            backoff_secs: 2,
            poll_ms: 500,
            listen: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub data_dir: PathBuf,
    /// Database URL; default `sqlite://<data_dir>/zhengshu.db`.
    pub db: Option<String>,
    pub addr: SocketAddr,
    /// The public address of this service, printed in QR codes.
    pub public_base_url: String,
    /// Demo mode: load the demo data if absent; `GET /api/v1/demo`.
    pub demo: bool,
    pub annotation: AnnotationPolicy,
    pub document: DocumentConfig,
    pub worker: WorkerSettings,
    pub web: WebConfig,
    /// 证书查验's rate limits (`[verify]`).
    pub verify: zhengshu_web::VerifyLimits,
    /// Log-in, code, 管理号 and registration throttles (`[throttle]`).
    pub throttle: ThrottleConfig,
    /// Where one-time codes go (`[notify]`).
    pub notify: NotifyConfig,
    /// The exam-registration platform's log-in (`[platform]`).
    pub platform: Option<PlatformConfig>,
    pub secrets: Secrets,
    pub log: LogConfig,
    /// Where Prometheus scrapes `/metrics` (`[metrics]`).
    pub metrics: MetricsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            db: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_base_url: "http://127.0.0.1:8080".into(),
            demo: false,
            annotation: AnnotationPolicy::default(),
            document: DocumentConfig::default(),
            worker: WorkerSettings::default(),
            web: WebConfig::default(),
            verify: zhengshu_web::VerifyLimits::default(),
            throttle: ThrottleConfig::default(),
            notify: NotifyConfig::default(),
            platform: None,
            secrets: Secrets::default(),
            log: LogConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

/// What the command line sets; it beats the file and the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub db: Option<String>,
    /// The configuration file, which then must exist; default
    /// `<data_dir>/zhengshu.toml`, read if present.
    pub config_file: Option<PathBuf>,
    pub addr: Option<SocketAddr>,
    /// Turns demo mode on (never off).
    pub demo: bool,
}

const ENV_PREFIX: &str = "ZHENGSHU_";
/// The top-level keys the environment may set; other `ZHENGSHU_*` variables
/// (test settings, for instance) are not configuration.
const KEYS: &[&str] = &[
    "data_dir",
    "db",
    "addr",
    "public_base_url",
    "demo",
    "annotation",
    "document",
    "worker",
    "web",
    "verify",
    "throttle",
    "platform",
    "secrets",
    "log",
    "metrics",
];

impl Config {
    /// Defaults → file → environment → flags.
    pub fn load(flags: &Overrides) -> anyhow::Result<Self> {
        Self::load_from(flags, std::env::vars())
    }

    pub fn load_from(
        flags: &Overrides,
        env: impl Iterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let env_table = env_table(env)?;
        // Where the file is depends on the data dir, which the environment
        // and the flags may set.
        let data_dir = flags
            .data_dir
            .clone()
            .or_else(|| {
                env_table
                    .get("data_dir")
                    .and_then(|v| v.as_str())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| Config::default().data_dir);
        let (path, required) = match &flags.config_file {
            Some(p) => (p.clone(), true),
            None => (data_dir.join("zhengshu.toml"), false),
        };
        let mut table = read_file(&path, required)?;
        merge(&mut table, env_table);
        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .context("invalid configuration (file or ZHENGSHU_* environment)")?;
        config.apply(flags);
        Ok(config)
    }

    fn apply(&mut self, flags: &Overrides) {
        if let Some(d) = &flags.data_dir {
            self.data_dir.clone_from(d);
        }
        if let Some(db) = &flags.db {
            self.db = Some(db.clone());
        }
        if let Some(addr) = flags.addr {
            self.addr = addr;
        }
        self.demo |= flags.demo;
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.db
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("zhengshu.db").display()))
    }

    /// Where the seal keys are.
    pub fn keys_dir(&self) -> PathBuf {
        self.document
            .keys_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys"))
    }

    /// The configuration as TOML, secrets and URL passwords redacted.
    pub fn to_redacted_toml(&self) -> anyhow::Result<String> {
        let mut shown = self.clone();
        shown.db = Some(redact_url(&self.database_url()));
        Ok(toml::to_string_pretty(&shown)?)
    }
}

fn read_file(path: &Path, required: bool) -> anyhow::Result<toml::Table> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .with_context(|| format!("invalid configuration file {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(toml::Table::new()),
        Err(e) => {
            Err(e).with_context(|| format!("cannot read configuration file {}", path.display()))
        }
    }
}

/// `ZHENGSHU_A__B=v` → `{a = {b = v}}`; numbers and booleans typed, the
/// rest strings.
fn env_table(env: impl Iterator<Item = (String, String)>) -> anyhow::Result<toml::Table> {
    let mut table = toml::Table::new();
    for (key, raw) in env {
        let Some(rest) = key.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        if !KEYS.contains(&path[0].as_str()) {
            continue;
        }
        let value = if let Ok(i) = raw.parse::<i64>() {
            toml::Value::Integer(i)
        } else if let Ok(b) = raw.parse::<bool>() {
            toml::Value::Boolean(b)
        } else {
            toml::Value::String(raw)
        };
        let mut node = &mut table;
        for part in &path[..path.len() - 1] {
            let entry = node
                .entry(part.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            node = entry
                .as_table_mut()
                .with_context(|| format!("environment variable {key} conflicts with another"))?;
        }
        node.insert(path[path.len() - 1].clone(), value);
    }
    Ok(table)
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// A database URL without its password.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:<redacted>@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn precedence_is_defaults_file_env_flags() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("zhengshu.toml"),
            "addr = \"127.0.0.1:9000\"\npublic_base_url = \"https://file.example\"\n\
             [annotation]\nwindow_days = 60\nmax_in_window = 5\n",
        )
        .unwrap();
        let d = dir.path().to_str().unwrap();
        let flags = Overrides {
            data_dir: Some(dir.path().to_owned()),
            addr: Some("127.0.0.1:9100".parse().unwrap()),
            ..Overrides::default()
        };
        let c = Config::load_from(
            &flags,
            env(&[
                ("ZHENGSHU_ANNOTATION__MAX_IN_WINDOW", "4"),
                ("ZHENGSHU_VERIFY__PER_ADDRESS_PER_MINUTE", "7"),
                ("ZHENGSHU_THROTTLE__LOGIN_FAILURES_PER_CLIENT", "1000"),
                ("ZHENGSHU_PUBLIC_BASE_URL", "https://env.example"),
                ("ZHENGSHU_TEST_PG_URL", "postgres://ignored"),
                ("OTHER", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.addr.port(), 9100, "flag beats file");
        assert_eq!(c.public_base_url, "https://env.example", "env beats file");
        assert_eq!(c.annotation.window_days, 60, "file beats default");
        assert_eq!(c.annotation.max_in_window, 4, "env beats file, nested");
        assert_eq!(c.verify.per_address_per_minute, 7);
        assert_eq!(c.verify.global_per_second, 200, "default");
        assert_eq!(c.throttle.login_failures_per_client, 1000);
        assert_eq!(c.throttle.login_failures_per_account_client, 5, "default");
        assert_eq!(c.annotation.max_validity_days, 90, "default");
        assert_eq!(c.database_url(), format!("sqlite://{d}/zhengshu.db"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("z.toml");
        std::fs::write(&file, "adress = \"x\"\n").unwrap();
        let flags = Overrides {
            config_file: Some(file),
            ..Overrides::default()
        };
        let e = Config::load_from(&flags, env(&[])).unwrap_err();
        assert!(format!("{e:#}").contains("adress"), "{e:#}");
        let none = Overrides::default();
        assert!(Config::load_from(&none, env(&[("ZHENGSHU_ADDR", "not an address")])).is_err());
        let missing = Overrides {
            config_file: Some("/nonexistent/z.toml".into()),
            ..Overrides::default()
        };
        assert!(Config::load_from(&missing, env(&[])).is_err());
    }

    #[test]
    fn secrets_and_passwords_are_redacted() {
        let flags = Overrides {
            db: Some("postgres://app:hunter2@db/z".into()),
            ..Overrides::default()
        };
        let c = Config::load_from(
            &flags,
            env(&[("ZHENGSHU_SECRETS__SESSION_KEY", "abcdef0123")]),
        )
        .unwrap();
        assert_eq!(
            c.secrets.session_key.as_ref().unwrap().expose(),
            "abcdef0123"
        );
        let shown = c.to_redacted_toml().unwrap();
        assert!(
            !shown.contains("hunter2") && !shown.contains("abcdef0123"),
            "{shown}"
        );
        assert!(shown.contains("<redacted>"));
        assert!(!format!("{c:?}").contains("abcdef0123"));
    }
}
