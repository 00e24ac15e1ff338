//! Sessions: a token is 32 random bytes, given to the browser in a cookie
//! or to an API client as a bearer token; the database keeps only its
//! SHA-256, with an idle timeout and an absolute lifetime; log-out deletes
//! it. Also the keyed hashes made with the session key: the CSRF tokens of
//! the pages' forms (signed double submit) and the client-address keys of
//! log-in throttling.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zhengshu_domain::Holder;
use zhengshu_storage::{SessionKind, StorageError};

use super::Error;
use crate::state::AppState;

/// A fresh random token, 64 hex digits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn mac(key: &[u8; 32], purpose: &str, value: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    mac
}

fn csrf_mac(key: &[u8; 32], cookie_value: &str, session: &str) -> Hmac<Sha256> {
    let mut m = mac(key, "csrf", cookie_value);
    m.update(&[0]);
    m.update(session.as_bytes());
    m
}

/// The form token for the browser whose `csrf` cookie is `cookie_value`
/// and whose session cookie is `session` (empty before log-in).
pub fn csrf_token(key: &[u8; 32], cookie_value: &str, session: &str) -> String {
    hex::encode(csrf_mac(key, cookie_value, session).finalize().into_bytes())
}

/// Whether `submitted` is the form token of `cookie_value` and `session`
/// (compared in constant time).
pub fn csrf_ok(key: &[u8; 32], cookie_value: &str, session: &str, submitted: &str) -> bool {
    let Ok(bytes) = hex::decode(submitted) else {
        return false;
    };
    !cookie_value.is_empty()
        && csrf_mac(key, cookie_value, session)
            .verify_slice(&bytes)
            .is_ok()
}

/// A keyed, truncated hash of a client address: enough to throttle, not a
/// copy of the address.
pub fn client_key(key: &[u8; 32], addr: &str) -> String {
    let digest = mac(key, "client", addr).finalize().into_bytes();
    format!("client:{}", hex::encode(&digest[..16]))
}

/// A session found by its token.
#[derive(Debug, Clone)]
pub struct Session {
    pub holder: Holder,
    pub token_hash: Vec<u8>,
}

/// Opens a session for `holder_id`; answers its token.
pub async fn open(state: &AppState, holder_id: i64, kind: SessionKind) -> Result<String, Error> {
    let token = new_token();
    let now = state.clock.now();
    let new = zhengshu_storage::NewSession {
        token_hash: token_hash(&token),
        holder_id,
        kind,
        expires_at: now + state.limits.session_idle,
    };
    state.storage.create_session(&new, now).await?;
    Ok(token)
}

/// The live session of `token`, if any; moves its idle expiry.
pub async fn find(
    state: &AppState,
    token: &str,
    kind: SessionKind,
) -> Result<Option<Session>, Error> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let hash = token_hash(token);
    let now = state.clock.now();
    let record = match state.storage.session(&hash, now).await {
        Ok(r) => r,
        Err(StorageError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let end_of_life = record.created_at + state.limits.session_max;
    if record.kind != kind || end_of_life <= now {
        return Ok(None);
    }
    // Moving the expiry costs a write: at most once a minute per session.
    if now.duration_since(record.last_seen_at) >= jiff::SignedDuration::from_mins(1) {
        let expires = (now + state.limits.session_idle).min(end_of_life);
        state.storage.touch_session(&hash, now, expires).await?;
    }
    let holder = match state.storage.holder(record.holder_id).await {
        Ok(h) => h,
        Err(StorageError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(Some(Session {
        holder,
        token_hash: hash,
    }))
}

/// Ends the session of `token_hash` (log-out).
pub async fn close(state: &AppState, token_hash: &[u8]) -> Result<(), Error> {
    state.storage.delete_session(token_hash).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_bind_to_the_cookie_and_the_key() {
        let key = [5u8; 32];
        let t = csrf_token(&key, "abc", "s1");
        assert!(csrf_ok(&key, "abc", "s1", &t));
        assert!(!csrf_ok(&key, "abc", "s2", &t), "another session");
        assert!(!csrf_ok(&key, "abc", "", &t), "no session");
        assert!(!csrf_ok(&key, "abd", "s1", &t));
        assert!(!csrf_ok(&[6u8; 32], "abc", "s1", &t));
        assert!(!csrf_ok(&key, "", "", &csrf_token(&key, "", "")));
        assert!(!csrf_ok(&key, "abc", "s1", "not hex"));
        assert!(!csrf_ok(&key, "abc", "s1", ""));
    }
}
