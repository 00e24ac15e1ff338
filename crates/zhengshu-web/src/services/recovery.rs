//! Password recovery (找回密码) for holders, through the code channel: a
//! code goes to the contact the issuing body recorded for the account's
//! proven identity, and with it the holder sets a new password; every
//! session of the account ends. The request answers alike for unknown
//! usernames, unproven accounts and accounts without a contact, so it
//! tells nobody which accounts exist; it is throttled per username, per
//! client address and globally like every code sent.

use zhengshu_domain::{Holder, NewAuditEvent, Password, Username};
use zhengshu_storage::{CodePurpose, StorageError, ThrottleRule};

use super::sessions::client_key;
use super::{Error, FieldError, identity, throttle};
use crate::i18n::Lang;
use crate::state::AppState;

/// The account a recovery is for: proven accounts only (an unproven one
/// has no contact of its own, and can register again).
async fn account(state: &AppState, username: &str) -> Result<Option<Holder>, Error> {
    let Ok(u) = Username::parse(username) else {
        return Ok(None);
    };
    match state.storage.holder_by_username(&u).await {
        Ok(h) if h.identity.is_proven() => Ok(Some(h)),
        Ok(_) | Err(StorageError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Sends a recovery code to the first recorded contact of the account's
/// identity, if there is one; answers `Ok` alike when there is not.
///
/// Every request takes a slot of the address's and the global limits
/// first, whatever the username, so a refusal (429) tells nothing about
/// the account; an account's own limit, reached, only stops sending.
pub async fn request(
    state: &AppState,
    lang: Lang,
    username: &str,
    client: &str,
) -> Result<(), Error> {
    let l = &state.identity_limits;
    let rules = [
        ThrottleRule {
            key: format!("recovery:{}", client_key(&state.session_key, client)),
            limit: l.sends_per_client,
        },
        ThrottleRule {
            key: "recovery:all".into(),
            limit: l.sends_global,
        },
    ];
    // The slot is kept: every request counts.
    let _slot = throttle::reserve(state, &rules, l.window, state.clock.now()).await?;
    let Some(h) = account(state, username).await? else {
        return Ok(());
    };
    match identity::send_code(state, lang, &h, CodePurpose::Recovery, 0, client).await {
        Ok(_) | Err(Error::NoContact | Error::Throttled { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sets a new password with the code sent; ends every session of the
/// account. A wrong username answers like an expired code.
pub async fn reset(
    state: &AppState,
    username: &str,
    code: &str,
    password: &str,
) -> Result<(), Error> {
    let new = Password::new_for(password, username)
        .map_err(|e| Error::Validation(vec![FieldError::new("password", e.code())]))?;
    let Some(h) = account(state, username).await? else {
        return Err(Error::CodeExpired);
    };
    identity::check_code(state, h.id, CodePurpose::Recovery, code).await?;
    let hash = state
        .passwords
        .hash(new)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let event = NewAuditEvent {
        context: Default::default(),
        actor: zhengshu_domain::Actor::Holder(h.id),
        action: "holder.password_reset".into(),
        subject: format!("holder:{}", h.id),
        before: None,
        after: Some(r#"{"sessions":"ended"}"#.into()),
    };
    state
        .storage
        .set_password(h.id, &hash, &event, state.clock.now())
        .await?;
    Ok(())
}
