//! The types of annotations' (加注) generation queue that cross the
//! [`Storage`](crate::Storage) trait — a leased [`Job`], the [`Generated`]
//! document, what a failure leads to ([`Retry`]) — and the audit events of
//! an annotation's life, which every backend records the same way.

use jiff::Timestamp;
use zhengshu_domain::{Actor, Day, NewAnnotation, NewAuditEvent};

/// A generation job a worker holds under a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub annotation_id: i64,
    /// 1 on the first claim; a lease taken over counts as an attempt.
    pub attempt: i32,
    /// Proves the lease: completing or failing with a token that is no
    /// longer the job's does nothing.
    pub lease_token: String,
}

/// The document a worker made for an annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub content: Vec<u8>,
    pub valid_from: Day,
    pub valid_until: Day,
}

/// What a failed attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again, not before this time.
    At(Timestamp),
    /// Give up: the annotation becomes `failed`.
    Never,
}

fn subject(id: i64) -> String {
    format!("annotation:{id}")
}

/// The audit event of an application.
pub fn apply_event(a: &NewAnnotation, id: i64, number: &str) -> NewAuditEvent {
    NewAuditEvent {
        context: Default::default(),
        actor: Actor::Holder(a.holder_id),
        action: "annotation.apply".into(),
        subject: subject(id),
        before: None,
        after: Some(
            serde_json::json!({
                "certificate_id": a.certificate_id,
                "number": number,
                "scenario": a.scenario,
                "days": a.days,
                "applied_on": a.applied_on.to_string(),
                "state": "generating",
            })
            .to_string(),
        ),
    }
}

/// The audit event of a document generated (or of a generation given up).
pub fn generation_event(
    job: &Job,
    worker: &str,
    outcome: Result<(&Generated, &str), &str>,
) -> NewAuditEvent {
    let (action, after) = match outcome {
        Ok((g, sha256)) => (
            "annotation.generate",
            serde_json::json!({
                "state": "ready",
                "valid_from": g.valid_from.to_string(),
                "valid_until": g.valid_until.to_string(),
                "sha256": sha256,
                "attempt": job.attempt,
            }),
        ),
        Err(error) => (
            "annotation.fail",
            serde_json::json!({"state": "failed", "error": error, "attempt": job.attempt}),
        ),
    };
    NewAuditEvent {
        context: Default::default(),
        actor: Actor::Worker(worker.to_owned()),
        action: action.into(),
        subject: subject(job.annotation_id),
        before: Some(r#"{"state":"generating"}"#.into()),
        after: Some(after.to_string()),
    }
}

/// The audit event of a withdrawal.
pub fn withdraw_event(id: i64, actor: &Actor) -> NewAuditEvent {
    NewAuditEvent {
        context: Default::default(),
        actor: actor.clone(),
        action: "annotation.withdraw".into(),
        subject: subject(id),
        before: Some(r#"{"state":"ready"}"#.into()),
        after: Some(r#"{"state":"withdrawn"}"#.into()),
    }
}

/// The audit event of a holder viewing (`inline`) or downloading a
/// document.
pub fn document_event(subject: String, actor: &Actor, inline: bool) -> NewAuditEvent {
    NewAuditEvent {
        context: Default::default(),
        actor: actor.clone(),
        action: if inline {
            "document.view"
        } else {
            "document.download"
        }
        .into(),
        subject,
        before: None,
        after: None,
    }
}

/// Hex SHA-256 of a document.
pub fn sha256_hex(content: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(content))
}

/// The annotation jobs not finished and the oldest one's application time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobQueue {
    pub depth: i64,
    pub oldest_applied: Option<Timestamp>,
}
