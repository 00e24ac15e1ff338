//! zhengshu as an OpenID Connect relying party of the exam-registration
//! platform (全国专业技术人员资格考试报名服务平台), or of any standard
//! provider standing in for it: discovery (cached), the authorization code
//! flow with PKCE (S256), `state` and `nonce`, the code exchanged with the
//! client secret, and the ID token's signature (the provider's published
//! keys), issuer, audience, expiry and nonce checked by the `openidconnect`
//! crate. What it answers is the [`Identity`] the verified ID token
//! carries: subject, name, ID type and ID number under the configured
//! claim names. Nothing here knows of accounts, sessions or cookies: the
//! caller keeps the [`Pending`] half of a flow (a signed, short-lived
//! cookie) and decides what an identity opens.
#![forbid(unsafe_code)]

mod http;

use std::time::{Duration, Instant};

use base64::Engine;
use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use serde::{Deserialize, Serialize};

pub use http::HttpClient;

/// How long discovered metadata and keys are used before they are fetched
/// again (a key the provider rotated in is also fetched at once, see
/// [`RelyingParty::finish`]).
const METADATA_TTL: Duration = Duration::from_secs(600);

/// The claims that carry the holder's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimNames {
    /// The real name (持证人姓名), e.g. `name`.
    pub name: String,
    /// The ID document type, one of zhengshu's codes (`resident_id`, …);
    /// `None`: every identity is a mainland resident ID.
    pub id_type: Option<String>,
    /// The ID number, e.g. `id_number`.
    pub id_number: String,
}

/// The provider and this client's registration with it.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// The issuer URL: `https://…`, or `http://` on this machine only.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Where the provider sends the browser back (this service's
    /// `/login/platform/callback`), as registered with the provider.
    pub redirect_url: String,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    pub claims: ClaimNames,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

/// Why a federated log-in did not give an identity.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The settings cannot work (a bad URL, an `http://` issuer elsewhere
    /// than on this machine).
    #[error("OpenID Connect settings: {0}")]
    Settings(String),
    /// The provider could not be reached or answered nonsense (discovery,
    /// keys, token endpoint): try again later.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// The callback's `state` is not the one this browser was sent with:
    /// forged, replayed, or from another browser.
    #[error("state mismatch")]
    StateMismatch,
    /// The provider answered the callback with an error (the holder
    /// cancelled, for instance).
    #[error("provider refused: {0}")]
    Denied(String),
    /// The provider refused the code (used already, expired, not ours,
    /// wrong PKCE verifier).
    #[error("code refused: {0}")]
    CodeRefused(String),
    /// The ID token failed a check: signature, issuer, audience, expiry,
    /// nonce.
    #[error("ID token refused: {0}")]
    TokenRefused(String),
    /// A verified ID token without a claim zhengshu needs.
    #[error("claim missing: {0}")]
    ClaimMissing(String),
}

/// What must be kept between sending the browser to the provider and its
/// return: kept by the caller where only this browser has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Where to send the browser, and what to keep until it returns.
#[derive(Debug, Clone)]
pub struct Start {
    pub url: String,
    pub pending: Pending,
}

/// The identity a verified ID token carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    /// The provider's stable identifier of the account.
    pub subject: String,
    pub name: String,
    /// The ID type claim, if one is configured.
    pub id_type: Option<String>,
    pub id_number: String,
}

/// One provider, with its metadata and keys cached.
#[derive(Debug)]
pub struct RelyingParty {
    settings: Settings,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: HttpClient,
    metadata: tokio::sync::Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

fn loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1")
}

impl RelyingParty {
    /// Checks the settings; nothing is fetched until the first log-in.
    pub fn new(settings: Settings) -> Result<Self, Error> {
        let issuer = IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| Error::Settings(format!("issuer: {e}")))?;
        let url = issuer.url();
        let secure = url.scheme() == "https" || url.host_str().is_some_and(loopback);
        if !secure {
            return Err(Error::Settings(
                "issuer: https:// (http:// only on this machine)".into(),
            ));
        }
        let redirect = RedirectUrl::new(settings.redirect_url.clone())
            .map_err(|e| Error::Settings(format!("redirect_url: {e}")))?;
        if settings.client_id.is_empty() || settings.claims.id_number.is_empty() {
            return Err(Error::Settings(
                "client_id and the ID number claim are required".into(),
            ));
        }
        Ok(Self {
            settings,
            issuer,
            redirect,
            http: HttpClient::new()?,
            metadata: tokio::sync::Mutex::new(None),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The provider's metadata and keys: cached, fetched again when older
    /// than [`METADATA_TTL`] or when `fresh`.
    async fn metadata(&self, fresh: bool) -> Result<CoreProviderMetadata, Error> {
        let mut cached = self.metadata.lock().await;
        if let Some((at, m)) = cached.as_ref()
            && !fresh
            && at.elapsed() < METADATA_TTL
        {
            return Ok(m.clone());
        }
        let m = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| Error::Unavailable(format!("discovery: {}", chain(&e))))?;
        *cached = Some((Instant::now(), m.clone()));
        Ok(m)
    }

    fn client(
        &self,
        m: CoreProviderMetadata,
    ) -> openidconnect::core::CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            m,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    /// The provider's authorization URL for a new flow (fresh random
    /// `state`, `nonce` and PKCE verifier), and what to keep.
    pub async fn start(&self) -> Result<Start, Error> {
        let client = self.client(self.metadata(false).await?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for s in &self.settings.scopes {
            request = request.add_scope(Scope::new(s.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(Start {
            url: url.to_string(),
            pending: Pending {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        })
    }

    /// The provider's answer at the callback: `state` must be the kept
    /// one; the code is exchanged (with the PKCE verifier and the client
    /// secret) and the ID token checked, its expiry against `now` (Unix
    /// seconds, the caller's clock). A token signed by a key not in the
    /// cached set is checked once more against freshly fetched keys.
    pub async fn finish_at(
        &self,
        pending: &Pending,
        state: &str,
        code: &str,
        now: i64,
    ) -> Result<Identity, Error> {
        if pending.state.is_empty() || !same(state.as_bytes(), pending.state.as_bytes()) {
            return Err(Error::StateMismatch);
        }
        let client = self.client(self.metadata(false).await?);
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| Error::Unavailable(format!("no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r) => {
                    Error::CodeRefused(r.to_string())
                }
                other => Error::Unavailable(format!("token endpoint: {}", chain(&other))),
            })?;
        let id_token = token
            .id_token()
            .ok_or_else(|| Error::TokenRefused("no ID token".into()))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let at = chrono::DateTime::from_timestamp(now, 0)
            .ok_or_else(|| Error::Settings("the clock is out of range".into()))?;
        let checked =
            match id_token.claims(&client.id_token_verifier().set_time_fn(move || at), &nonce) {
                Err(ClaimsVerificationError::SignatureVerification(_)) => {
                    // Perhaps a key the provider rotated in since we looked.
                    let fresh = self.client(self.metadata(true).await?);
                    id_token
                        .claims(&fresh.id_token_verifier().set_time_fn(move || at), &nonce)
                        .map(|c| (c.issuer().to_string(), c.subject().to_string()))
                }
                other => other.map(|c| (c.issuer().to_string(), c.subject().to_string())),
            };
        let (issuer, subject) = checked.map_err(|e| Error::TokenRefused(e.to_string()))?;
        // The token's signature is verified: its payload can be read for
        // the configured claims, whatever their names.
        let payload = payload(&id_token.to_string())?;
        let names = &self.settings.claims;
        let text = |name: &str| -> Result<String, Error> {
            payload
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| Error::ClaimMissing(name.to_owned()))
        };
        Ok(Identity {
            issuer,
            subject,
            name: text(&names.name)?,
            id_type: names.id_type.as_deref().map(text).transpose()?,
            id_number: text(&names.id_number)?,
        })
    }
}

/// The JSON payload of a compact JWS.
fn payload(jwt: &str) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let part = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| Error::TokenRefused("not a compact JWS".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| Error::TokenRefused(format!("payload: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::TokenRefused(format!("payload: {e}")))
}

/// Equal bytes, compared in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An error with its sources, for the log.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(issuer: &str) -> Settings {
        Settings {
            issuer: issuer.into(),
            client_id: "zhengshu".into(),
            client_secret: "s".into(),
            redirect_url: "https://zs.example/login/platform/callback".into(),
            scopes: vec!["profile".into()],
            claims: ClaimNames {
                name: "name".into(),
                id_type: None,
                id_number: "id_number".into(),
            },
        }
    }

    #[test]
    fn an_http_issuer_is_refused_unless_on_this_machine() {
        assert!(RelyingParty::new(settings("https://platform.example")).is_ok());
        assert!(RelyingParty::new(settings("http://127.0.0.1:9000")).is_ok());
        assert!(matches!(
            RelyingParty::new(settings("http://platform.example")),
            Err(Error::Settings(_))
        ));
        assert!(matches!(
            RelyingParty::new(settings("not a url")),
            Err(Error::Settings(_))
        ));
    }

    #[test]
    fn the_payload_of_a_compact_jws_is_read() {
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"name":"x"}"#);
        let got = payload(&format!("h.{body}.s")).unwrap();
        assert_eq!(got["name"], "x");
        assert!(payload("nodots").is_err());
    }

    #[test]
    fn states_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }
}
