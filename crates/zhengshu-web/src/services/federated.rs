//! Log-in with the exam-registration platform (OpenID Connect): the
//! platform's verified claims (name, ID type and number) are a strong
//! proof of identity (`federated`). What a verified identity opens:
//!
//! - a signed-in holder links the platform account to theirs, and proves
//!   their identity by it, when the claims are the identity they
//!   registered with (anything else is refused: the platform vouches for
//!   someone else);
//! - otherwise, the account that holds that identity with a strong proof
//!   (a code or an earlier federated log-in) is signed in;
//! - otherwise a new account is made for the claims and proven
//!   `federated`, which takes the identity from an account that held it
//!   only by a 管理号 (a squatter's, perhaps) through storage's one
//!   reclaiming path ([`zhengshu_storage::Storage::prove_identity`]).
//!
//! The flow's `state`, `nonce` and PKCE verifier travel in a cookie
//! signed with the session key, valid ten minutes ([`seal`], [`open`]);
//! the protocol itself is `zhengshu-oidc`'s.

use base64::Engine;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use rand::distr::{Alphanumeric, SampleString};
use sha2::Sha256;
use zhengshu_domain::{
    Holder, HolderName, IdDocument, IdType, IdentityProof, NewAuditEvent, Password, Strength,
    Username,
};
use zhengshu_oidc::{Identity, Pending};
use zhengshu_storage::{Conflict, NewHolder, StorageError};

use super::Error;
use crate::state::AppState;

/// How long a started log-in may take at the platform.
pub const FLOW_TTL: SignedDuration = SignedDuration::from_mins(10);

/// The cookie that carries a started flow.
pub const FLOW_COOKIE: &str = "platform_flow";

fn platform(state: &AppState) -> Result<&zhengshu_oidc::RelyingParty, Error> {
    state.platform.as_deref().ok_or(Error::NotFound)
}

fn refusal(e: &zhengshu_oidc::Error) -> Error {
    tracing::warn!(error = %e, "exam-registration platform");
    match e {
        zhengshu_oidc::Error::Unavailable(_) | zhengshu_oidc::Error::Settings(_) => {
            Error::FederatedUnavailable
        }
        zhengshu_oidc::Error::ClaimMissing(_) => Error::FederatedClaims,
        _ => Error::FederatedRefused,
    }
}

/// Starts a log-in: where to send the browser, and the cookie value that
/// must come back with it.
pub async fn start(state: &AppState) -> Result<(String, String), Error> {
    let started = platform(state)?.start().await.map_err(|e| refusal(&e))?;
    let cookie = seal(state, &started.pending, state.clock.now());
    Ok((started.url, cookie))
}

fn flow_mac(key: &[u8; 32], payload: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(b"platform-flow\0");
    mac.update(payload);
    mac
}

/// The cookie value of a started flow: its JSON and its expiry, signed.
pub fn seal(state: &AppState, pending: &Pending, now: Timestamp) -> String {
    let body = serde_json::json!({
        "p": pending,
        "exp": (now + FLOW_TTL).as_second(),
    })
    .to_string();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let tag = flow_mac(&state.session_key, body.as_bytes())
        .finalize()
        .into_bytes();
    format!("{}.{}", b64.encode(body), b64.encode(tag))
}

/// The flow of a cookie value, if its signature holds and it has not
/// expired.
pub fn open(state: &AppState, value: &str, now: Timestamp) -> Option<Pending> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (body, tag) = value.split_once('.')?;
    let body = b64.decode(body).ok()?;
    let tag = b64.decode(tag).ok()?;
    flow_mac(&state.session_key, &body)
        .verify_slice(&tag)
        .ok()?;
    #[derive(serde::Deserialize)]
    struct Sealed {
        p: Pending,
        exp: i64,
    }
    let sealed: Sealed = serde_json::from_slice(&body).ok()?;
    (now.as_second() < sealed.exp).then_some(sealed.p)
}

/// The platform's answer at the callback.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// The identity the claims name, in zhengshu's types.
fn identity_of(claims: &Identity) -> Result<(HolderName, IdDocument), Error> {
    let name = HolderName::parse(&claims.name).map_err(|_| Error::FederatedClaims)?;
    let id_type = match &claims.id_type {
        Some(code) => IdType::from_code(code.trim()).ok_or(Error::FederatedClaims)?,
        None => IdType::ResidentId,
    };
    let doc = IdDocument::parse(id_type, &claims.id_number).map_err(|_| Error::FederatedClaims)?;
    Ok((name, doc))
}

/// Finishes a log-in: the account to sign in (or, when `signed_in`, the
/// account linked and proven). `pending` is the flow of this browser's
/// cookie, if it had a valid one.
pub async fn finish(
    state: &AppState,
    pending: Option<&Pending>,
    callback: &Callback,
    signed_in: Option<&Holder>,
) -> Result<i64, Error> {
    let rp = platform(state)?;
    let pending = pending.ok_or(Error::FederatedRefused)?;
    if let Some(e) = &callback.error {
        tracing::info!(error = %e, "the platform answered the log-in with an error");
        return Err(Error::FederatedRefused);
    }
    let (Some(code), Some(returned_state)) = (&callback.code, &callback.state) else {
        return Err(Error::FederatedRefused);
    };
    let claims = rp
        .finish_at(pending, returned_state, code, state.clock.now().as_second())
        .await
        .map_err(|e| refusal(&e))?;
    let (name, doc) = identity_of(&claims)?;
    let now = state.clock.now();
    let id = match signed_in {
        Some(h) => {
            if h.name != name || h.id_document != doc {
                return Err(Error::FederatedMismatch);
            }
            state
                .storage
                .prove_identity(h.id, IdentityProof::Federated, now)
                .await?;
            h.id
        }
        None => match strong_holder(state, &doc, &name).await? {
            Some(h) => h,
            None => create(state, &name, &doc, &claims).await?,
        },
    };
    state
        .storage
        .record_audit(
            &NewAuditEvent {
                context: Default::default(),
                actor: zhengshu_domain::Actor::Holder(id),
                action: "holder.federated_login".into(),
                subject: format!("holder:{id}"),
                before: None,
                after: Some(
                    serde_json::json!({
                        "issuer": claims.issuer,
                        "subject": claims.subject,
                        "linked": signed_in.is_some(),
                    })
                    .to_string(),
                ),
            },
            now,
        )
        .await?;
    Ok(id)
}

/// The account holding `doc` with a strong proof under the same name.
async fn strong_holder(
    state: &AppState,
    doc: &IdDocument,
    name: &HolderName,
) -> Result<Option<i64>, Error> {
    match state.storage.proven_holder(doc).await {
        Ok(h) if h.identity.strength() == Strength::Strong && h.name == *name => Ok(Some(h.id)),
        // Proven more weakly (or under another name): not signed in by
        // the platform; a new account takes the identity if it can.
        Ok(_) | Err(StorageError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A new account for a first federated log-in: a generated username, a
/// random password nobody knows (it signs in through the platform, or
/// recovers a password of its own), proven `federated`.
async fn create(
    state: &AppState,
    name: &HolderName,
    doc: &IdDocument,
    claims: &Identity,
) -> Result<i64, Error> {
    let suffix = Alphanumeric
        .sample_string(&mut rand::rng(), 12)
        .to_ascii_lowercase();
    let username = Username::parse(&format!("p{suffix}"))
        .map_err(|e| Error::Internal(format!("generated username: {e}")))?;
    let secret = super::sessions::new_token();
    let password = Password::new_for(&secret, username.as_str())
        .map_err(|e| Error::Internal(format!("generated password: {e}")))?;
    let password_hash = state
        .passwords
        .hash(password)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let now = state.clock.now();
    let id = state
        .storage
        .create_holder(
            &NewHolder {
                username: username.clone(),
                name: name.clone(),
                id_document: doc.clone(),
                password_hash,
            },
            now,
        )
        .await?;
    state
        .storage
        .record_audit(
            &NewAuditEvent {
                context: Default::default(),
                actor: zhengshu_domain::Actor::Holder(id),
                action: "holder.register".into(),
                subject: format!("holder:{id}"),
                before: None,
                after: Some(
                    serde_json::json!({
                        "username": username.as_str(),
                        "id_type": doc.id_type.code(),
                        "id_number": doc.number.masked(),
                        "via": "federated",
                        "issuer": claims.issuer,
                    })
                    .to_string(),
                ),
            },
            now,
        )
        .await?;
    match state
        .storage
        .prove_identity(id, IdentityProof::Federated, now)
        .await
    {
        Ok(_) => Ok(id),
        // A simultaneous first log-in of the same person won: sign in
        // to that account (this one stays unproven, seeing nothing).
        Err(StorageError::Conflict(Conflict::IdentityHeld)) => strong_holder(state, doc, name)
            .await?
            .ok_or(Error::IdentityHeld),
        Err(e) => Err(e.into()),
    }
}
