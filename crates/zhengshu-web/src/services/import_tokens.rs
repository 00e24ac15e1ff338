//! An issuing body's import tokens, with which its programs import into
//! it over the import API: only the body's admin issues and revokes them;
//! a token is shown once and kept as its hash; an unknown and a revoked
//! token are refused alike. Issuing and revoking are audited.

use zhengshu_domain::{Actor, BodyCode, Role, Staff};
use zhengshu_storage::{ImportToken, NewImportToken, StorageError};

use super::staff::event;
use super::{Error, FieldError, sessions};
use crate::state::AppState;

/// The longest token label, in characters.
pub const LABEL_CHARS: usize = 60;
/// What a token starts with, so that it can be recognised in a leak.
pub const TOKEN_PREFIX: &str = "zsi_";

/// The body whose import tokens `me` manages: an admin's own.
pub fn token_body(me: &Staff) -> Result<&BodyCode, Error> {
    match (me.role, &me.body) {
        (Role::Admin, Some(b)) => Ok(b),
        _ => Err(Error::NotFound),
    }
}

/// The live token `bearer` names; a revoked or unknown one is refused
/// alike.
pub async fn token_of(state: &AppState, bearer: &str) -> Result<ImportToken, Error> {
    if !bearer.starts_with(TOKEN_PREFIX) {
        return Err(Error::InvalidCredentials);
    }
    match state
        .storage
        .import_token_by_hash(&sessions::token_hash(bearer))
        .await
    {
        Ok(t) if t.revoked_at.is_none() => Ok(t),
        Ok(_) | Err(StorageError::NotFound) => Err(Error::InvalidCredentials),
        Err(e) => Err(e.into()),
    }
}

/// The import tokens of `me`'s body.
pub async fn tokens(state: &AppState, me: &Staff) -> Result<Vec<ImportToken>, Error> {
    let body = token_body(me)?;
    Ok(state.storage.import_tokens(body.as_str()).await?)
}

/// Issues a token of `me`'s body labelled `label`; answers it and the
/// token itself, which is shown this once.
pub async fn issue_token(
    state: &AppState,
    me: &Staff,
    label: &str,
    address: &str,
) -> Result<(ImportToken, String), Error> {
    let body = token_body(me)?.clone();
    let label = label.trim();
    let chars = label.chars().count();
    if chars == 0 || chars > LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(Error::Validation(vec![
            FieldError::new("label", "token_label").with("max", LABEL_CHARS),
        ]));
    }
    let secret = format!("{TOKEN_PREFIX}{}", sessions::new_token());
    let actor = Actor::Staff(me.username.as_str().to_owned());
    let e = event(
        &actor,
        Some(me.role),
        Some(body.as_str()),
        Some(address),
        "import_token.issue",
        String::new(),
        Some(serde_json::json!({ "label": label }).to_string()),
    );
    let new = NewImportToken {
        body,
        label: label.to_owned(),
        token_hash: sessions::token_hash(&secret),
        created_by: actor.label(),
    };
    let token = state
        .storage
        .create_import_token(&new, &e, state.clock.now())
        .await?;
    Ok((token, secret))
}

/// Revokes token `id` of `me`'s body; `NotFound` for another body's or
/// one revoked already.
pub async fn revoke_token(
    state: &AppState,
    me: &Staff,
    id: i64,
    address: &str,
) -> Result<(), Error> {
    let body = token_body(me)?.clone();
    let actor = Actor::Staff(me.username.as_str().to_owned());
    let e = event(
        &actor,
        Some(me.role),
        Some(body.as_str()),
        Some(address),
        "import_token.revoke",
        format!("import-token:{id}"),
        None,
    );
    Ok(state
        .storage
        .revoke_import_token(id, body.as_str(), &e, state.clock.now())
        .await?)
}
