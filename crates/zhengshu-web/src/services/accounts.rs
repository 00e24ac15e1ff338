//! Accounts: registration and log-in, shared by the pages and the API:
//! input becomes domain types here (one [`FieldError`] per refused field),
//! passwords are hashed and checked through the bounded password gate, and
//! log-in attempts are throttled (per account and address strictly, per
//! account more loosely, per address) before the password is checked,
//! counted in the database so the limits hold across server processes.

use serde::Deserialize;
use zhengshu_domain::{
    Holder, HolderName, IdDocument, IdError, IdType, NameError, NewAuditEvent, Password, Username,
};
use zhengshu_storage::{Conflict, NewHolder, StorageError, ThrottleRule};

use super::sessions::client_key;
use super::{Error, FieldError, throttle};
use crate::state::AppState;

/// A registration as submitted (the page form, or the API's body).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Registration {
    /// 持证人姓名, as on the certificate.
    pub name: String,
    /// An [`IdType`] code.
    pub id_type: String,
    pub id_number: String,
    pub username: String,
    pub password: String,
    /// Only the page form asks for it; the API leaves it out.
    pub password_confirmation: Option<String>,
}

pub(crate) fn name_error(e: &NameError) -> FieldError {
    let f = FieldError::new("name", e.code());
    match e {
        NameError::BadChar(cp) => f.with("codepoint", format!("U+{cp:04X}")),
        NameError::TooLong => f.with("max", zhengshu_domain::name::MAX_NAME_CHARS),
        NameError::TooManyMarks => f.with("max", zhengshu_domain::name::MAX_MARKS_IN_A_ROW),
        NameError::Empty | NameError::NoLetter => f,
    }
}

pub(crate) fn id_error(e: &IdError) -> FieldError {
    let f = FieldError::new("id_number", e.code());
    match e {
        IdError::WrongLength(n) => f.with("count", n),
        _ => f,
    }
}

/// Checks every field; the holder to create, or every refusal at once.
pub fn validate(r: &Registration) -> Result<(NewHolderParts, Password), Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = HolderName::parse(&r.name)
        .map_err(|e| errors.push(name_error(&e)))
        .ok();
    let id_type = IdType::from_code(r.id_type.trim());
    if id_type.is_none() {
        errors.push(FieldError::new("id_type", "id_type_unknown"));
    }
    let id_document = id_type.and_then(|t| {
        IdDocument::parse(t, &r.id_number)
            .map_err(|e| errors.push(id_error(&e)))
            .ok()
    });
    let username = Username::parse(&r.username)
        .map_err(|e| errors.push(FieldError::new("username", e.code())))
        .ok();
    let password = Password::new_for(&r.password, &r.username)
        .map_err(|e| errors.push(FieldError::new("password", e.code())))
        .ok();
    if let Some(confirmation) = &r.password_confirmation
        && *confirmation != r.password
    {
        errors.push(FieldError::new(
            "password_confirmation",
            "password_mismatch",
        ));
    }
    match (name, id_document, username, password) {
        (Some(name), Some(id_document), Some(username), Some(password)) if errors.is_empty() => {
            Ok((
                NewHolderParts {
                    username,
                    name,
                    id_document,
                },
                password,
            ))
        }
        _ => Err(errors),
    }
}

/// A validated registration before its password is hashed.
#[derive(Debug, Clone)]
pub struct NewHolderParts {
    pub username: Username,
    pub name: HolderName,
    pub id_document: IdDocument,
}

/// Creates the account: 422 with every refused field, 409 only when the
/// username is taken. Whether the ID document is registered already is
/// never told: any number of accounts may claim it, and only the one that
/// proves it sees its certificates.
/// Registrations are throttled per client address and globally (429):
/// every registration counts, so sweeping ID numbers is slow as well as
/// pointless.
pub async fn register(state: &AppState, r: &Registration, client: &str) -> Result<i64, Error> {
    let (parts, password) = validate(r).map_err(Error::Validation)?;
    let l = &state.identity_limits;
    let rules = [
        ThrottleRule {
            key: format!("register:{}", client_key(&state.session_key, client)),
            limit: l.registrations_per_client,
        },
        ThrottleRule {
            key: "register:all".into(),
            limit: l.registrations_global,
        },
    ];
    let _slot = throttle::reserve(state, &rules, l.window, state.clock.now()).await?;
    let password_hash = state
        .passwords
        .hash(password)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let holder = NewHolder {
        username: parts.username,
        name: parts.name,
        id_document: parts.id_document,
        password_hash,
    };
    let now = state.clock.now();
    let id = match state.storage.create_holder(&holder, now).await {
        Ok(id) => id,
        Err(StorageError::Conflict(Conflict::Username)) => return Err(Error::UsernameTaken),
        Err(e) => return Err(e.into()),
    };
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
                        "username": holder.username.as_str(),
                        "id_type": holder.id_document.id_type.code(),
                        "id_number": holder.id_document.number.masked(),
                    })
                    .to_string(),
                ),
            },
            now,
        )
        .await?;
    Ok(id)
}

/// The throttling rules of a log-in attempt. Keys name the account by the
/// username as typed, registered or not (so refusals say nothing about
/// which accounts exist), and the client address by a keyed hash:
///
/// - the account from this address: strict ([`Limits::login_failures_per_account_client`]);
/// - the account from anywhere: looser, so that strangers' failures do not
///   lock the owner out, yet a guesser rotating addresses is stopped
///   ([`Limits::login_failures_per_account`]);
/// - this address, whatever the account (password spraying).
///
/// [`Limits::login_failures_per_account_client`]: crate::state::Limits
/// [`Limits::login_failures_per_account`]: crate::state::Limits
fn throttle_rules(state: &AppState, username: &str, client: &str) -> Vec<ThrottleRule> {
    let account = format!("account:{}", username.trim().to_lowercase());
    let client = client_key(&state.session_key, client);
    let limits = &state.limits;
    vec![
        ThrottleRule {
            key: format!("{account}|{client}"),
            limit: limits.login_failures_per_account_client,
        },
        ThrottleRule {
            key: account,
            limit: limits.login_failures_per_account,
        },
        ThrottleRule {
            key: client,
            limit: limits.login_failures_per_client,
        },
    ]
}

/// Checks a username and password: the holder, 401 `invalid_credentials`
/// (the same for an unknown user and a wrong password, in about the same
/// time), or 429 while throttled. The attempt is counted before the
/// password is checked, so simultaneous attempts cannot pass the limits.
pub async fn log_in(
    state: &AppState,
    username: &str,
    password: &str,
    client: &str,
) -> Result<Holder, Error> {
    let checked = check_log_in(state, username, password, client).await;
    super::count_refusal("holder", &checked);
    checked
}

async fn check_log_in(
    state: &AppState,
    username: &str,
    password: &str,
    client: &str,
) -> Result<Holder, Error> {
    let now = state.clock.now();
    let rules = throttle_rules(state, username, client);
    let slot = throttle::reserve(state, &rules, state.limits.login_window, now).await?;
    let holder = match Username::parse(username) {
        Ok(u) => match state.storage.holder_by_username(&u).await {
            Ok(h) => Some(h),
            Err(StorageError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        Err(_) => None,
    };
    let hash = holder.as_ref().map_or_else(
        || zhengshu_domain::password::dummy_hash().to_owned(),
        |h| h.password_hash.clone(),
    );
    let matches = state
        .passwords
        .verify(hash, password.to_owned())
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    match holder {
        Some(h) if matches => {
            slot.succeeded(state).await?;
            // The owner's own earlier mistakes from this address are
            // forgiven; the account's count from elsewhere stays.
            state.storage.clear_login_failures(&rules[0].key).await?;
            let forget_before = now - state.limits.login_window - state.limits.login_window;
            state.storage.purge_expired(now, forget_before).await?;
            Ok(h)
        }
        // The slot stays taken: it is the recorded failure.
        _ => Err(Error::InvalidCredentials),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Registration {
        Registration {
            name: "张三".into(),
            id_type: "resident_id".into(),
            id_number: "11010519491231002X".into(),
            username: "zhangsan".into(),
            password: "Zq8-lamp-river".into(),
            password_confirmation: Some("Zq8-lamp-river".into()),
        }
    }

    fn codes(r: &Registration) -> Vec<(&'static str, &'static str)> {
        validate(r)
            .err()
            .unwrap_or_default()
            .iter()
            .map(|f| (f.field, f.code))
            .collect()
    }

    #[test]
    fn every_field_is_checked_at_once() {
        assert!(validate(&reg()).is_ok());
        let all_bad = Registration {
            name: "".into(),
            id_type: "resident_id".into(),
            id_number: "110105194912310021".into(),
            username: "1x".into(),
            password: "short".into(),
            password_confirmation: Some("other".into()),
        };
        assert_eq!(
            codes(&all_bad),
            [
                ("name", "name_empty"),
                ("id_number", "id_bad_check_digit"),
                ("username", "username_length"),
                ("password", "password_length"),
                ("password_confirmation", "password_mismatch"),
            ]
        );
        let unknown_type = Registration {
            id_type: "library_card".into(),
            ..reg()
        };
        assert_eq!(codes(&unknown_type), [("id_type", "id_type_unknown")]);
    }
}
