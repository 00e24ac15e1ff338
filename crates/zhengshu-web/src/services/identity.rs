//! Identity proof (身份核验) for holders: an account sees its certificates
//! only once it has proven the identity it registered with, by a one-time
//! code sent to a contact the issuing body recorded for that identity
//! (strong), or by the 管理号 of one of its certificates where the body
//! recorded no contact (weak). Which proof takes an identity from which
//! account is the domain's rule
//! ([`zhengshu_domain::IdentityProof::takes_from`]), applied by storage in
//! one transaction. Codes are random, expire, are single-use and allow a
//! few tries; sending and proving are throttled per account, per client
//! address and globally. An account that lost its identity is told once.

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use rand::Rng;
use sha2::Sha256;
use zhengshu_domain::{Certificate, Contact, Holder, IdentityProof};
use zhengshu_notify::{Message, Sender};
use zhengshu_storage::{CodeCheck, CodePurpose, NewCode, Proven, ThrottleRule};

use super::sessions::client_key;
use super::{Error, throttle};
use crate::i18n::{Arg, Lang};
use crate::state::AppState;

/// One place a code can go, as the holder is shown it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// `phone` or `email`.
    pub kind: &'static str,
    /// `138****1234`, `z***@example.com`.
    pub masked: String,
}

/// How this account can prove its identity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ways {
    /// The recorded contacts a code can be sent to, in a stable order
    /// (what [`send_code`] takes an index into).
    pub channels: Vec<Channel>,
    /// The 管理号 is accepted: see [`management_number_accepted`].
    pub management_number: bool,
}

/// The 管理号 is a weak proof (it is printed on paper), so it is accepted
/// only where the issuing bodies recorded no contact for this identity at
/// all: where a code can be sent, the code is the way.
fn management_number_accepted(certs: &[Certificate]) -> bool {
    contacts(certs).is_empty() && certs.iter().any(|c| c.data.management_number.is_some())
}

/// The distinct contacts recorded on these certificates, phones first.
fn contacts(certs: &[Certificate]) -> Vec<Contact> {
    let mut out: Vec<Contact> = Vec::new();
    for c in certs {
        for contact in c.data.contacts.each() {
            if !out.contains(&contact) {
                out.push(contact);
            }
        }
    }
    out.sort_by_key(|c| c.kind() != "phone");
    out
}

/// The certificates recorded for the identity the holder registered with
/// (seen here only to find where a proof can come from).
async fn claimed(state: &AppState, holder: &Holder) -> Result<Vec<Certificate>, Error> {
    Ok(state
        .storage
        .certificates_of(&holder.id_document, &holder.name)
        .await?)
}

/// Where a code can go, and whether the 管理号 is accepted.
pub async fn ways(state: &AppState, holder: &Holder) -> Result<Ways, Error> {
    let certs = claimed(state, holder).await?;
    let channels = contacts(&certs)
        .into_iter()
        .filter(|c| state.senders.reaches(c))
        .map(|c| Channel {
            kind: c.kind(),
            masked: c.masked(),
        })
        .collect();
    let management_number = management_number_accepted(&certs);
    Ok(Ways {
        channels,
        management_number,
    })
}

/// The keyed hash a code is stored under: bound to its account and
/// purpose, so a code is worth nothing anywhere else.
pub fn code_hash(state: &AppState, holder: i64, purpose: CodePurpose, code: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&state.session_key)
        .expect("HMAC takes keys of any length");
    mac.update(b"one-time-code\0");
    mac.update(purpose.code().as_bytes());
    mac.update(&holder.to_be_bytes());
    mac.update(code.trim().as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn send_rules(state: &AppState, holder: i64, client: &str) -> Vec<ThrottleRule> {
    let l = &state.identity_limits;
    vec![
        ThrottleRule {
            key: format!("code-send:holder:{holder}"),
            limit: l.sends_per_account,
        },
        ThrottleRule {
            key: format!("code-send:{}", client_key(&state.session_key, client)),
            limit: l.sends_per_client,
        },
        ThrottleRule {
            key: "code-send:all".into(),
            limit: l.sends_global,
        },
    ]
}

/// Sends a fresh code for `purpose` to contact number `channel` of
/// [`ways`] (or, for a recovery, of the account's proven identity); the
/// holder's earlier code ends. Throttled per account, per address and
/// globally; every send counts. Answers where it went, masked.
pub async fn send_code(
    state: &AppState,
    lang: Lang,
    holder: &Holder,
    purpose: CodePurpose,
    channel: usize,
    client: &str,
) -> Result<Channel, Error> {
    let certs = claimed(state, holder).await?;
    let reachable: Vec<Contact> = contacts(&certs)
        .into_iter()
        .filter(|c| state.senders.reaches(c))
        .collect();
    let to = reachable.get(channel).cloned().ok_or(Error::NoContact)?;
    let now = state.clock.now();
    let l = &state.identity_limits;
    // The slot is kept: every code sent counts.
    let _slot =
        throttle::reserve(state, &send_rules(state, holder.id, client), l.window, now).await?;
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    state
        .storage
        .store_code(
            &NewCode {
                holder_id: holder.id,
                purpose,
                hash: code_hash(state, holder.id, purpose, &code),
                expires_at: now + l.code_ttl,
            },
            now,
        )
        .await?;
    let minutes = l.code_ttl.as_mins();
    let message = Message {
        subject: lang.t(&format!("code-subject-{}", purpose.code())),
        body: lang.t_args(
            &format!("code-body-{}", purpose.code()),
            &[("code", Arg::Str(&code)), ("minutes", Arg::Num(minutes))],
        ),
    };
    state.senders.send(&to, &message).await.map_err(|e| {
        tracing::error!(error = %e, kind = to.kind(), "one-time code not sent");
        Error::CodeNotSent
    })?;
    Ok(Channel {
        kind: to.kind(),
        masked: to.masked(),
    })
}

/// Checks a code of `purpose` for the account: used up when right.
pub async fn check_code(
    state: &AppState,
    holder: i64,
    purpose: CodePurpose,
    code: &str,
) -> Result<(), Error> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::CodeWrong { tries_left: None });
    }
    let now = state.clock.now();
    let hash = code_hash(state, holder, purpose, code);
    match state
        .storage
        .use_code(
            holder,
            purpose,
            &hash,
            state.identity_limits.code_tries,
            now,
        )
        .await?
    {
        CodeCheck::Accepted => Ok(()),
        CodeCheck::Wrong { tries_left } => Err(Error::CodeWrong {
            tries_left: Some(tries_left),
        }),
        CodeCheck::NoLiveCode => Err(Error::CodeExpired),
    }
}

/// Proves the account's identity by the code it was sent (strong: takes
/// the identity from an account that holds it more weakly).
pub async fn prove_by_code(state: &AppState, holder: &Holder, code: &str) -> Result<Proven, Error> {
    check_code(state, holder.id, CodePurpose::Identity, code).await?;
    let proven = state
        .storage
        .prove_identity(holder.id, IdentityProof::Code, state.clock.now())
        .await?;
    if let Some(other) = proven.taken_from {
        tracing::info!(
            holder = holder.id,
            from = other,
            "identity reclaimed by a code"
        );
    }
    Ok(proven)
}

/// Proves the account's identity by the 管理号 of one of its certificates,
/// accepted only where the issuing body recorded no contact; a few tries
/// per account and address. Weak: it never takes an identity another
/// account has proven.
pub async fn prove_by_management_number(
    state: &AppState,
    holder: &Holder,
    management_number: &str,
    client: &str,
) -> Result<Proven, Error> {
    let now = state.clock.now();
    let l = &state.identity_limits;
    let rules = vec![
        ThrottleRule {
            key: format!("management-number:holder:{}", holder.id),
            limit: l.management_tries_per_account,
        },
        ThrottleRule {
            key: format!(
                "management-number:{}",
                client_key(&state.session_key, client)
            ),
            limit: l.management_tries_per_client,
        },
    ];
    let slot = throttle::reserve(state, &rules, l.window, now).await?;
    let typed = management_number.trim();
    let certs = claimed(state, holder).await?;
    let matches = !typed.is_empty()
        && management_number_accepted(&certs)
        && certs
            .iter()
            .any(|c| c.data.management_number.as_deref() == Some(typed));
    if !matches {
        // The slot stays taken: it is the recorded failure.
        return Err(Error::ManagementNumberWrong);
    }
    slot.succeeded(state).await?;
    Ok(state
        .storage
        .prove_identity(holder.id, IdentityProof::ManagementNumber, now)
        .await?)
}

/// When another account took this holder's identity, if it has not been
/// told yet; telling it once forgets the mark.
pub async fn take_notice(state: &AppState, holder: &Holder) -> Result<Option<Timestamp>, Error> {
    let Some(at) = holder.identity_taken_at else {
        return Ok(None);
    };
    state.storage.clear_identity_taken(holder.id).await?;
    Ok(Some(at))
}
