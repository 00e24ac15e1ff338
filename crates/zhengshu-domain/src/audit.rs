//! Audit events (§8): who did what, when, to which subject, with the state
//! before and after as JSON text.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    System,
    Holder(i64),
    /// Issuing-body staff or an operator, by login or body code.
    Staff(String),
    /// A command-line operator.
    Cli(String),
    /// An anonymous verifier, by a hashed client key.
    Verifier(String),
    /// A document-generation worker, by its name.
    Worker(String),
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Actor::System => "system".into(),
            Actor::Holder(id) => format!("holder:{id}"),
            Actor::Staff(s) => format!("staff:{s}"),
            Actor::Cli(s) => format!("cli:{s}"),
            Actor::Verifier(s) => format!("verifier:{s}"),
            Actor::Worker(s) => format!("worker:{s}"),
        }
    }
}

/// An event to record. Subjects are `kind:key`, e.g. `certificate:ZY0001`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub actor: Actor,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
}
