//! Log-in with the exam-registration platform against a real OpenID
//! Connect provider: `oidc-provider` from the npm registry
//! (`tests/oidc/`, installed by `scripts/test.sh` with `npm ci`), started
//! per test on a port it picks, with two clients and a few accounts whose
//! claims carry a demo holder's name, ID type and ID number. The test
//! walks the provider's log-in form as a browser would (cookies, form
//! post, redirects) and hands the callback to zhengshu.

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use axum::http::StatusCode;
use zhengshu_domain::{IdDocument, IdType, IdentityProof};
use zhengshu_oidc::{ClaimNames, RelyingParty, Settings};
use zhengshu_storage::Storage;

use crate::helpers::*;

const REDIRECT: &str = "http://127.0.0.1/login/platform/callback";
pub(crate) const SECRET: &str = "platform-client-secret-for-tests";

/// The provider, running.
pub struct Platform {
    child: Child,
    /// Kept open: the provider writes there, and dies of a closed pipe.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    pub issuer: String,
    _dir: tempfile::TempDir,
}

impl Platform {
    pub fn start() -> Self {
        Self::start_with_redirect(REDIRECT)
    }

    /// A provider whose clients return to `redirect`.
    pub fn start_with_redirect(redirect: &str) -> Self {
        let here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
        assert!(
            here.join("node_modules/oidc-provider").is_dir(),
            "the test OpenID Connect provider is not installed: \
             (cd crates/zhengshu-web/tests/oidc && npm ci), as scripts/test.sh does"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let demo = zhengshu_demo::DEMO;
        let config = serde_json::json!({
            "clients": [
                {"client_id": "zhengshu", "client_secret": SECRET, "redirect_uris": [redirect]},
                {"client_id": "another-service", "client_secret": "another-secret-of-tests",
                 "redirect_uris": [redirect]},
            ],
            "accounts": {
                "zhangsan": {"password": "platform-pw-1", "claims": {
                    "name": demo.name, "id_type": "resident_id", "id_number": demo.id_number}},
                "no-id": {"password": "platform-pw-2", "claims": {"name": "王五"}},
            },
        });
        let path = dir.path().join("provider.json");
        std::fs::write(&path, config.to_string()).unwrap();
        let mut child = Command::new("node")
            .arg(here.join("provider.mjs"))
            .arg(&path)
            .current_dir(&here)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node is needed for the test OpenID Connect provider (apt-get install nodejs)");
        let mut line = String::new();
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        stdout
            .read_line(&mut line)
            .expect("read the provider's address");
        let Some(issuer) = line.trim().strip_prefix("listening ").map(str::to_owned) else {
            let _ = child.kill();
            panic!("the test OpenID Connect provider did not start: {line:?}");
        };
        Self {
            child,
            _stdout: stdout,
            issuer,
            _dir: dir,
        }
    }

    pub fn settings(&self, client_id: &str, secret: &str) -> Settings {
        self.settings_to(client_id, secret, REDIRECT)
    }

    pub fn settings_to(&self, client_id: &str, secret: &str, redirect: &str) -> Settings {
        Settings {
            issuer: self.issuer.clone(),
            client_id: client_id.into(),
            client_secret: secret.into(),
            redirect_url: redirect.into(),
            scopes: vec!["profile".into()],
            claims: ClaimNames {
                name: "name".into(),
                id_type: Some("id_type".into()),
                id_number: "id_number".into(),
            },
        }
    }

    /// zhengshu's client.
    pub fn relying_party(&self) -> std::sync::Arc<RelyingParty> {
        std::sync::Arc::new(RelyingParty::new(self.settings("zhengshu", SECRET)).unwrap())
    }

    /// Signs in at the provider from its authorization URL, as a browser
    /// would; answers where the provider sends the browser back (the
    /// callback's path and query).
    pub fn sign_in(&self, authorize_url: &str, login: &str, password: &str) -> String {
        let mut jar = BTreeMap::new();
        let to_interaction = self.http(&mut jar, "GET", authorize_url, None);
        assert_eq!(to_interaction.0, 303, "{to_interaction:?}");
        let form = serde_urlencoded::to_string([("login", login), ("password", password)]).unwrap();
        let to_auth = self.http(&mut jar, "POST", &to_interaction.1, Some(&form));
        assert_eq!(to_auth.0, 303, "{to_auth:?}");
        let back = self.http(&mut jar, "GET", &to_auth.1, None);
        assert_eq!(back.0, 303, "{back:?}");
        back.1
            .strip_prefix("http://127.0.0.1")
            .unwrap_or_else(|| panic!("not sent back to zhengshu: {}", back.1))
            .to_owned()
    }

    /// One HTTP/1.1 request to the provider: its status and `Location`
    /// (cookies kept in `jar`).
    fn http(
        &self,
        jar: &mut BTreeMap<String, String>,
        method: &str,
        url: &str,
        form: Option<&str>,
    ) -> (u16, String) {
        let path = url.strip_prefix(&self.issuer).unwrap_or(url);
        let host = self.issuer.strip_prefix("http://").unwrap();
        let mut stream = TcpStream::connect(host).expect("connect to the provider");
        let cookies: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let body = form.unwrap_or("");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
             Content-Length: {}\r\n",
            body.len()
        );
        if form.is_some() {
            req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        if !cookies.is_empty() {
            req.push_str(&format!("Cookie: {}\r\n", cookies.join("; ")));
        }
        req.push_str("\r\n");
        req.push_str(body);
        stream.write_all(req.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let head = answer.split("\r\n\r\n").next().unwrap_or("");
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut location = String::new();
        for line in head.lines().skip(1) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "location" => location = value.to_owned(),
                "set-cookie" => {
                    let pair = value.split(';').next().unwrap();
                    let (k, v) = pair.split_once('=').unwrap();
                    let gone = value
                        .to_ascii_lowercase()
                        .contains("expires=thu, 01 jan 1970");
                    if gone || v.is_empty() {
                        jar.remove(k);
                    } else {
                        jar.insert(k.to_owned(), v.to_owned());
                    }
                }
                _ => {}
            }
        }
        (status, location)
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn platform_app(p: &Platform) -> App {
    let rp = p.relying_party();
    app_with(move |s| s.platform = Some(rp)).await
}

fn zhang_doc() -> IdDocument {
    IdDocument::parse(IdType::ResidentId, zhengshu_demo::DEMO.id_number).unwrap()
}

/// Clicks the button: answers the provider's authorization URL.
async fn click(b: &mut Browser, app: &App) -> String {
    let start = b.get(app, "/login/platform").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    assert!(b.cookies.contains_key("platform_flow"));
    start.location().to_owned()
}

#[tokio::test]
async fn the_first_platform_log_in_makes_a_proven_account_and_the_next_signs_it_in() {
    let p = Platform::start();
    let app = platform_app(&p).await;
    let mut b = Browser::new();
    let login = b.get(&app, "/login").await;
    assert!(
        login.body.contains("使用报名服务平台账号登录"),
        "{}",
        login.body
    );
    assert!(login.body.contains("href=\"/login/platform\""));

    let url = click(&mut b, &app).await;
    assert!(url.starts_with(&format!("{}/auth?", p.issuer)), "{url}");
    for part in [
        "code_challenge_method=S256",
        "nonce=",
        "state=",
        "scope=openid",
    ] {
        assert!(url.contains(part), "{part} in {url}");
    }
    let back = p.sign_in(&url, "zhangsan", "platform-pw-1");
    let signed_in = b.get(&app, &back).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert_eq!(signed_in.location(), "/certificates");
    assert!(b.cookies.contains_key("session"));
    assert!(
        !b.cookies.contains_key("platform_flow"),
        "the flow is spent"
    );

    let holder = app.store.proven_holder(&zhang_doc()).await.unwrap();
    assert_eq!(holder.identity, IdentityProof::Federated);
    assert_eq!(holder.name.as_str(), "张三");
    // Terms first, then the certificates, with no further proof.
    let terms = b.get(&app, "/certificates").await;
    assert!(
        terms.location().starts_with("/terms"),
        "{}",
        terms.location()
    );
    let page = b.get(&app, "/terms").await;
    let agreed = b
        .post_raw(&app, "/terms", &[("csrf", &page.csrf()), ("version", "1")])
        .await;
    assert_eq!(agreed.status, StatusCode::SEE_OTHER, "{}", agreed.body);
    let list = b.get(&app, "/certificates").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("执业药师"), "{}", list.body);

    // A returning holder is signed in to the same account.
    let mut again = Browser::new();
    let url = click(&mut again, &app).await;
    let back = p.sign_in(&url, "zhangsan", "platform-pw-1");
    assert_eq!(again.get(&app, &back).await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.store.proven_holder(&zhang_doc()).await.unwrap().id,
        holder.id
    );
    let events = app
        .store
        .audit_events(Some(&format!("holder:{}", holder.id)), 20)
        .await
        .unwrap();
    let logins = events
        .iter()
        .filter(|e| e.action == "holder.federated_login")
        .count();
    assert_eq!(logins, 2);
    assert!(events.iter().any(|e| e.action == "holder.identity_proven"));
}

#[tokio::test]
async fn callbacks_without_their_browsers_state_are_refused_and_none_is_used_twice() {
    let p = Platform::start();
    let app = platform_app(&p).await;
    let mut b = Browser::new();
    let url = click(&mut b, &app).await;
    let back = p.sign_in(&url, "zhangsan", "platform-pw-1");

    // Another browser (no flow cookie) cannot use it: login CSRF.
    let mut other = Browser::new();
    let refused = other.get(&app, &back).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("报名服务平台登录未能完成"),
        "{}",
        refused.body
    );
    assert!(!other.cookies.contains_key("session"));

    // The right browser with another state is refused, and its flow spent.
    let forged = back.replace("state=", "state=x");
    let mut tampered = b.clone();
    assert_eq!(
        tampered.get(&app, &forged).await.status,
        StatusCode::BAD_REQUEST
    );
    // A forged flow cookie (signature broken) is refused too.
    let mut forger = b.clone();
    let flow = forger.cookies["platform_flow"].clone();
    forger
        .cookies
        .insert("platform_flow".into(), format!("{flow}A"));
    assert_eq!(
        forger.get(&app, &back).await.status,
        StatusCode::BAD_REQUEST
    );

    // The genuine one works once; replayed, it is refused.
    let mut replay = b.clone();
    assert_eq!(b.get(&app, &back).await.status, StatusCode::SEE_OTHER);
    let again = replay.get(&app, &back).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    // A cancelled log-in (the provider's error answer) is refused alike.
    let mut cancelled = Browser::new();
    click(&mut cancelled, &app).await;
    let a = cancelled
        .get(&app, "/login/platform/callback?error=access_denied&state=x")
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.store
            .proven_holder(&zhang_doc())
            .await
            .unwrap()
            .identity,
        IdentityProof::Federated
    );
}

#[tokio::test]
async fn a_code_issued_to_another_client_or_an_expired_id_token_is_refused() {
    let p = Platform::start();
    let app = platform_app(&p).await;

    // A code the platform issued to another service, slipped into this
    // browser's callback with its own state: the token endpoint refuses it.
    let mut b = Browser::new();
    let url = click(&mut b, &app).await;
    let own_state = url
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let other =
        RelyingParty::new(p.settings("another-service", "another-secret-of-tests")).unwrap();
    let foreign = other.start().await.unwrap();
    let back = p.sign_in(&foreign.url, "zhangsan", "platform-pw-1");
    let code = back
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let injected = format!("/login/platform/callback?code={code}&state={own_state}");
    let refused = b.get(&app, &injected).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);

    // An ID token past its expiry (the platform's last one hour) by the
    // service's clock.
    // The flow itself is fresh by that clock: only the token is late.
    app.clock
        .set(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(3));
    let mut late = Browser::new();
    let url = click(&mut late, &app).await;
    let back = p.sign_in(&url, "zhangsan", "platform-pw-1");
    let expired = late.get(&app, &back).await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST, "{}", expired.body);
    assert!(!late.cookies.contains_key("session"));
    assert!(matches!(
        app.store.proven_holder(&zhang_doc()).await,
        Err(zhengshu_storage::StorageError::NotFound)
    ));
}

#[tokio::test]
async fn a_provider_naming_another_issuer_or_missing_claims_signs_nobody_in() {
    let p = Platform::start();
    // Configured with another issuer than the one the provider names in
    // its metadata: discovery is refused.
    let mut settings = p.settings("zhengshu", SECRET);
    settings.issuer = format!("{}/", p.issuer);
    let wrong = std::sync::Arc::new(RelyingParty::new(settings).unwrap());
    let app = app_with(move |s| s.platform = Some(wrong)).await;
    let mut b = Browser::new();
    let a = b.get(&app, "/login/platform").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.body);
    assert!(a.body.contains("暂时无法连接报名服务平台"), "{}", a.body);

    // An account whose claims carry no ID number.
    let app = platform_app(&p).await;
    let mut b = Browser::new();
    let url = click(&mut b, &app).await;
    let back = p.sign_in(&url, "no-id", "platform-pw-2");
    let a = b.get(&app, &back).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(!b.cookies.contains_key("session"));

    // Without a configured platform there is no button and no route.
    let plain = app_with(|_| {}).await;
    let mut b = Browser::new();
    assert!(
        !b.get(&plain, "/login")
            .await
            .body
            .contains("/login/platform")
    );
    assert_eq!(
        b.get(&plain, "/login/platform").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_platform_log_in_reclaims_an_identity_squatted_by_a_management_number() {
    let p = Platform::start();
    let app = platform_app(&p).await;
    let d = zhengshu_demo::DEMO;
    let squatter = unproven_holder(&app, "squatter", d.name, d.id_number).await;
    app.store
        .prove_identity(
            squatter,
            IdentityProof::ManagementNumber,
            app.clock.now_ts(),
        )
        .await
        .unwrap();

    let mut b = Browser::new();
    let url = click(&mut b, &app).await;
    let back = p.sign_in(&url, "zhangsan", "platform-pw-1");
    assert_eq!(b.get(&app, &back).await.status, StatusCode::SEE_OTHER);
    let genuine = app.store.proven_holder(&zhang_doc()).await.unwrap();
    assert_ne!(genuine.id, squatter);
    assert_eq!(genuine.identity, IdentityProof::Federated);
    let lost = app.store.holder(squatter).await.unwrap();
    assert_eq!(lost.identity, IdentityProof::None);
    assert!(lost.identity_taken_at.is_some(), "the squatter is told");
}

#[tokio::test]
async fn a_signed_in_holder_proves_by_the_platform_only_their_own_identity() {
    let p = Platform::start();
    let app = platform_app(&p).await;
    let d = zhengshu_demo::DEMO;
    let own = unproven_holder(&app, "zhangsan", d.name, d.id_number).await;
    let e = zhengshu_demo::DEMO_EXT_B;
    unproven_holder(&app, "someone", e.name, e.id_number).await;

    // Someone else's account cannot take 张三's platform identity.
    let mut stranger = Browser::new();
    stranger.log_in(&app, "someone", PASSWORD).await;
    let url = click(&mut stranger, &app).await;
    let back = p.sign_in(&url, "zhangsan", "platform-pw-1");
    let a = stranger.get(&app, &back).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);

    // 张三's own account is linked and proven, from the identity page.
    let mut b = Browser::new();
    b.log_in_agreed(&app, "zhangsan").await;
    let page = b.get(&app, "/identity").await;
    assert!(
        page.body.contains("href=\"/login/platform\""),
        "{}",
        page.body
    );
    let url = click(&mut b, &app).await;
    let back = p.sign_in(&url, "zhangsan", "platform-pw-1");
    let a = b.get(&app, &back).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), "/identity");
    let h = app.store.holder(own).await.unwrap();
    assert_eq!(h.identity, IdentityProof::Federated);
}
