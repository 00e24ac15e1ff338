//! Issuing-body staff and operators: invitations (a one-time enrolment
//! link), enrolment (password, a TOTP secret confirmed by a first code,
//! one-time recovery codes), console log-in with password and second
//! factor (RFC 6238 codes accepted once per time step, throttled like
//! holders' log-ins), and console sessions — kept apart from holders'
//! sessions, idling out after 15 minutes.

use jiff::{SignedDuration, Timestamp};
use rand::RngCore;
use zhengshu_domain::{
    Actor, AuditContext, BodyCode, NewAuditEvent, Password, Role, Staff, Username,
};
use zhengshu_storage::{
    Conflict, Enrolment, NewStaff, NewStaffSession, Storage, StorageError, ThrottleRule,
};

use super::sessions::{client_key, new_token, token_hash};
use super::throttle;
use super::{Error, FieldError};
use crate::state::AppState;

/// A console session unused this long ends.
pub const CONSOLE_IDLE: SignedDuration = SignedDuration::from_mins(15);
/// No console session lives longer than this.
pub const CONSOLE_MAX: SignedDuration = SignedDuration::from_hours(10);
/// How long an enrolment link works.
pub const ENROLMENT_VALID: SignedDuration = SignedDuration::from_hours(72);
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// The audit event of an action by `actor` (a staff account or a
/// command-line user) about `subject`.
pub fn event(
    actor: &Actor,
    role: Option<Role>,
    body: Option<&str>,
    address: Option<&str>,
    action: &str,
    subject: String,
    after: Option<String>,
) -> NewAuditEvent {
    NewAuditEvent {
        context: AuditContext {
            body: body.map(str::to_owned),
            role: role.map(|r| r.code().to_owned()),
            address: address.map(str::to_owned),
        },
        actor: actor.clone(),
        action: action.into(),
        subject,
        before: None,
        after,
    }
}

/// Creates an account awaiting enrolment; answers it and the enrolment
/// path (`/console/enrol/TOKEN`). `by` and `by_role` say who invites, for
/// the audit log; whether they may is the caller's check.
// Who invites whom, into which body, from where: each is its own input.
#[allow(clippy::too_many_arguments)]
pub async fn invite(
    storage: &dyn Storage,
    now: Timestamp,
    username: &str,
    body: Option<&str>,
    role: Role,
    by: &Actor,
    by_role: Option<Role>,
    address: Option<&str>,
) -> Result<(Staff, String), Error> {
    let username = Username::parse(username)
        .map_err(|e| Error::Validation(vec![FieldError::new("username", e.code())]))?;
    let body = match (role, body) {
        (Role::Operator, None) => None,
        (Role::Operator, Some(_)) | (_, None) => {
            return Err(Error::Validation(vec![FieldError::new(
                "body",
                "body_unknown",
            )]));
        }
        (_, Some(b)) => {
            let known = storage.issuing_bodies().await?;
            let code = BodyCode::parse(b)
                .ok()
                .filter(|c| known.iter().any(|k| k.code == *c))
                .ok_or_else(|| Error::Validation(vec![FieldError::new("body", "body_unknown")]))?;
            Some(code)
        }
    };
    let token = new_token();
    let new = NewStaff {
        username: username.clone(),
        body: body.clone(),
        role,
        enrolment_hash: token_hash(&token),
        enrolment_expires: now + ENROLMENT_VALID,
    };
    let ev = event(
        by,
        by_role,
        body.as_ref().map(BodyCode::as_str),
        address,
        "staff.create",
        format!("staff:{}", username.as_str()),
        Some(format!(
            r#"{{"role":"{}","body":{}}}"#,
            role.code(),
            body.as_ref()
                .map_or_else(|| "null".to_owned(), |b| format!("\"{b}\""))
        )),
    );
    match storage.create_staff(&new, &ev, now).await {
        Ok(staff) => Ok((staff, format!("/console/enrol/{token}"))),
        Err(StorageError::Conflict(Conflict::Username)) => Err(Error::UsernameTaken),
        Err(e) => Err(e.into()),
    }
}

/// Clears the password and second factor of the account `username` and
/// ends its sessions, for `by`, who must manage such an account (a body's
/// admin for that body's staff, the operator for admins) and is not that
/// account; answers the new enrolment path. Any other account, also one
/// of another body, is `NotFound`, as if absent.
pub async fn reset(
    state: &AppState,
    by: &Staff,
    username: &str,
    address: &str,
) -> Result<String, Error> {
    let name = Username::parse(username).map_err(|_| Error::NotFound)?;
    let target = state.storage.staff_by_username(&name).await?;
    let body = target.body.as_ref().map(BodyCode::as_str);
    if target.id == by.id || !by.manages(body, target.role) {
        return Err(Error::NotFound);
    }
    let now = state.clock.now();
    let token = new_token();
    let ev = event(
        &Actor::Staff(by.username.as_str().to_owned()),
        Some(by.role),
        body,
        Some(address),
        "staff.reset",
        format!("staff:{}", target.username.as_str()),
        Some(r#"{"enrolled":false,"sessions":0}"#.to_owned()),
    );
    state
        .storage
        .reset_staff(
            target.id,
            &token_hash(&token),
            now + ENROLMENT_VALID,
            &ev,
            now,
        )
        .await?;
    Ok(format!("/console/enrol/{token}"))
}

/// The account a live enrolment link is for; `NotFound` otherwise.
pub async fn enrolling(state: &AppState, token: &str) -> Result<Staff, Error> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::NotFound);
    }
    Ok(state
        .storage
        .staff_by_enrolment(&token_hash(token), state.clock.now())
        .await?)
}

/// A fresh TOTP secret, 160 bits.
pub fn new_secret() -> Vec<u8> {
    let mut s = vec![0u8; 20];
    rand::rng().fill_bytes(&mut s);
    s
}

pub fn secret_base32(secret: &[u8]) -> String {
    totp_rs::Secret::from(secret.to_vec()).to_base32()
}

pub fn secret_from_base32(text: &str) -> Option<Vec<u8>> {
    let s = totp_rs::Secret::try_from_base32(text.trim()).ok()?;
    (s.as_bytes().len() >= 16).then(|| s.as_bytes().to_vec())
}

/// The `otpauth://` URI authenticator apps read from the QR code.
pub fn otpauth_uri(username: &str, secret: &[u8]) -> String {
    let label = format!("zhengshu:{username}");
    let label = percent_encoding::utf8_percent_encode(&label, percent_encoding::NON_ALPHANUMERIC);
    format!(
        "otpauth://totp/{label}?secret={}&issuer=zhengshu&algorithm=SHA1&digits=6&period=30",
        secret_base32(secret)
    )
}

fn totp(secret: &[u8]) -> Result<totp_rs::Totp, Error> {
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .build()
        .map_err(|e| Error::Internal(format!("totp: {e:?}")))
}

/// The time step `code` is valid in at `now` (one step of clock drift
/// either way), if any.
pub fn code_step(secret: &[u8], code: &str, now: Timestamp) -> Result<Option<i64>, Error> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let secs = u64::try_from(now.as_second()).unwrap_or(0);
    Ok(totp(secret)?
        .check(code, secs)
        .and_then(|s| i64::try_from(s).ok()))
}

/// What enrolment submits.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct EnrolForm {
    pub password: String,
    pub password_confirmation: String,
    /// The secret shown on the enrolment page, base32.
    pub secret: String,
    pub code: String,
}

/// Completes enrolment; answers the recovery codes to show once.
pub async fn enrol(state: &AppState, token: &str, form: &EnrolForm) -> Result<Vec<String>, Error> {
    let staff = enrolling(state, token).await?;
    let mut errors = Vec::new();
    // Staff passwords meet the holders' strength rule: not the username,
    // not weak by zxcvbn.
    let password = Password::new_for(&form.password, staff.username.as_str())
        .map_err(|e| errors.push(FieldError::new("password", e.code())))
        .ok();
    if form.password != form.password_confirmation {
        errors.push(FieldError::new(
            "password_confirmation",
            "password_mismatch",
        ));
    }
    let now = state.clock.now();
    let secret = secret_from_base32(&form.secret);
    let step = match &secret {
        Some(s) => code_step(s, &form.code, now)?,
        None => None,
    };
    if step.is_none() {
        errors.push(FieldError::new("code", "totp_wrong"));
    }
    let (Some(password), Some(secret), Some(step), true) =
        (password, secret, step, errors.is_empty())
    else {
        return Err(Error::Validation(errors));
    };
    let password_hash = tokio::task::spawn_blocking(move || password.hash())
        .await
        .map_err(|e| Error::Internal(format!("hashing task: {e}")))?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let enrolment = Enrolment {
        password_hash,
        totp_secret: secret,
        totp_step: step,
        recovery_hashes: codes.iter().map(|c| token_hash(&normalise(c))).collect(),
    };
    state
        .storage
        .enrol_staff(staff.id, &token_hash(token), &enrolment, now)
        .await?;
    Ok(codes)
}

/// A recovery code: ten letters and digits without look-alikes, grouped
/// `xxxxx-xxxxx`.
fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 10];
    rand::rng().fill_bytes(&mut bytes);
    let chars: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

fn normalise(code: &str) -> String {
    code.trim().to_lowercase().replace(['-', ' '], "")
}

/// Checks username, password and second factor (a TOTP code, accepted
/// once, or an unused recovery code); every refusal is the same
/// `InvalidCredentials`, counted by the holders' throttle under its own
/// account key.
pub async fn log_in(
    state: &AppState,
    username: &str,
    password: &str,
    code: &str,
    client: &str,
) -> Result<Staff, Error> {
    let checked = check_log_in(state, username, password, code, client).await;
    super::count_refusal("staff", &checked);
    checked
}

async fn check_log_in(
    state: &AppState,
    username: &str,
    password: &str,
    code: &str,
    client: &str,
) -> Result<Staff, Error> {
    let now = state.clock.now();
    let account = format!("staff:{}", username.trim().to_lowercase());
    let client = client_key(&state.session_key, client);
    let rules = [
        ThrottleRule {
            key: format!("{account}|{client}"),
            limit: state.limits.login_failures_per_account_client,
        },
        ThrottleRule {
            key: account,
            limit: state.limits.login_failures_per_account,
        },
        ThrottleRule {
            key: client,
            limit: state.limits.login_failures_per_client,
        },
    ];
    let slot = throttle::reserve(state, &rules, state.limits.login_window, now).await?;
    let staff = match Username::parse(username) {
        Ok(u) => match state.storage.staff_by_username(&u).await {
            Ok(s) if s.enrolled() && !s.disabled => Some(s),
            Ok(_) | Err(StorageError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        Err(_) => None,
    };
    let hash = staff
        .as_ref()
        .and_then(|s| s.password_hash.clone())
        .unwrap_or_else(|| zhengshu_domain::password::dummy_hash().to_owned());
    let password_ok = state
        .passwords
        .verify(hash, password.to_owned())
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let second_ok = match (&staff, password_ok) {
        (Some(s), true) => second_factor(state, s, code, now).await?,
        _ => false,
    };
    match staff {
        Some(s) if second_ok => {
            slot.succeeded(state).await?;
            state.storage.clear_login_failures(&rules[0].key).await?;
            Ok(s)
        }
        // The slot stays taken: it is the recorded failure.
        _ => Err(Error::InvalidCredentials),
    }
}

async fn second_factor(
    state: &AppState,
    staff: &Staff,
    code: &str,
    now: Timestamp,
) -> Result<bool, Error> {
    let Some(secret) = &staff.totp_secret else {
        return Ok(false);
    };
    if let Some(step) = code_step(secret, code, now)? {
        return Ok(state.storage.use_totp_step(staff.id, step).await?);
    }
    let n = normalise(code);
    if n.len() == 10 {
        return Ok(state
            .storage
            .use_recovery_code(staff.id, &token_hash(&n), now)
            .await?);
    }
    Ok(false)
}

/// Opens a console session; answers its token.
pub async fn open_session(state: &AppState, staff: &Staff) -> Result<String, Error> {
    let token = new_token();
    let now = state.clock.now();
    state
        .storage
        .create_staff_session(
            &NewStaffSession {
                token_hash: token_hash(&token),
                staff_id: staff.id,
                expires_at: now + CONSOLE_IDLE,
            },
            now,
        )
        .await?;
    Ok(token)
}

/// The staff account of a live console session; moves its idle expiry.
pub async fn find_session(
    state: &AppState,
    token: &str,
) -> Result<Option<(Staff, Vec<u8>)>, Error> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let hash = token_hash(token);
    let now = state.clock.now();
    let record = match state.storage.staff_session(&hash, now).await {
        Ok(r) => r,
        Err(StorageError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let end_of_life = record.created_at + CONSOLE_MAX;
    if end_of_life <= now {
        return Ok(None);
    }
    if now.duration_since(record.last_seen_at) >= SignedDuration::from_secs(30) {
        let expires = (now + CONSOLE_IDLE).min(end_of_life);
        state
            .storage
            .touch_staff_session(&hash, now, expires)
            .await?;
    }
    match state.storage.staff(record.staff_id).await {
        Ok(s) if s.enrolled() && !s.disabled => Ok(Some((s, hash))),
        Ok(_) | Err(StorageError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub async fn close_session(state: &AppState, hash: &[u8]) -> Result<(), Error> {
    state.storage.delete_staff_session(hash).await?;
    Ok(())
}

/// Staff of the body `viewer` sees (every account for an operator, who
/// manages admins of every body).
pub async fn visible_staff(state: &AppState, viewer: &Staff) -> Result<Vec<Staff>, Error> {
    match (viewer.role, &viewer.body) {
        (Role::Operator, _) => Ok(state.storage.staff_list(None).await?),
        (Role::Admin, Some(b)) => Ok(state.storage.staff_list(Some(b.as_str())).await?),
        _ => Err(Error::NotFound),
    }
}
