//! Audit events (§8): who did what, when, to which subject, with the state
//! before and after as JSON text, and the hash chain that makes the log
//! tamper-evident: every event carries the hash of the one before it and
//! its own, SHA-256 over a canonical encoding ([`chain_hash`]);
//! [`verify_chain`] recomputes it and names the first event that breaks it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    System,
    Holder(i64),
    /// Issuing-body staff or an operator, by username.
    Staff(String),
    /// A command-line operator.
    Cli(String),
    /// An anonymous verifier, by a hashed client key.
    Verifier(String),
    /// A document-generation worker, by its name.
    Worker(String),
    /// A program importing with an issuing body's import token, by the
    /// token's id.
    ImportToken(i64),
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
            Actor::ImportToken(id) => format!("import-token:{id}"),
        }
    }
}

/// Where an event belongs and where it came from: the issuing body whose
/// data it touches (what scopes it to that body's auditors), the actor's
/// role, and the client address of the request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditContext {
    pub body: Option<String>,
    pub role: Option<String>,
    pub address: Option<String>,
}

/// An event to record. Subjects are `kind:key`, e.g. `certificate:ZY0001`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub context: AuditContext,
    pub actor: Actor,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What an event's subject names, as far as it decides the event's body:
/// a certificate (by number) and an annotation (by id) belong to the body
/// of the certificate's qualification type, `body:CODE` to that body;
/// anything else (a holder account, a staff account) to none by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectRef<'a> {
    Certificate(&'a str),
    Annotation(i64),
    Body(&'a str),
    Other,
}

impl<'a> SubjectRef<'a> {
    pub fn parse(subject: &'a str) -> Self {
        match subject.split_once(':') {
            Some(("certificate", n)) if !n.is_empty() => SubjectRef::Certificate(n),
            Some(("annotation", id)) => {
                id.parse().map_or(SubjectRef::Other, SubjectRef::Annotation)
            }
            Some(("body", code)) if !code.is_empty() => SubjectRef::Body(code),
            _ => SubjectRef::Other,
        }
    }
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: i64,
    /// Its place in the chain, from 1, without gaps.
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    pub role: Option<String>,
    pub body: Option<String>,
    pub address: Option<String>,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
    /// The hash of event `seq - 1` (all zeros for the first).
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// The hash before the first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// The newest end of the chain: how many events, and the last one's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub count: i64,
    #[serde(with = "hex_bytes")]
    pub hash: Vec<u8>,
}

impl AuditHead {
    pub fn empty() -> Self {
        Self {
            count: 0,
            hash: GENESIS.to_vec(),
        }
    }
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::to_hex(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        super::from_hex(&s).ok_or_else(|| serde::de::Error::custom("not hex"))
    }
}

/// Lower-case hex.
pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The fields of an event that its hash covers, in their canonical order.
#[derive(Debug, Clone, Copy)]
pub struct ChainFields<'a> {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub role: Option<&'a str>,
    pub body: Option<&'a str>,
    pub address: Option<&'a str>,
    pub action: &'a str,
    pub subject: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub prev_hash: &'a [u8],
}

/// SHA-256 over a canonical encoding: a version tag, then every field as a
/// presence byte and, when present, its length (8 bytes, big-endian) and
/// bytes, so that no two different events encode alike.
pub fn chain_hash(f: &ChainFields<'_>) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"zhengshu-audit-v1");
    let mut field = |v: Option<&[u8]>| match v {
        None => h.update([0u8]),
        Some(b) => {
            h.update([1u8]);
            h.update((b.len() as u64).to_be_bytes());
            h.update(b);
        }
    };
    field(Some(&f.seq.to_be_bytes()));
    field(Some(&f.at_ms.to_be_bytes()));
    field(Some(f.actor.as_bytes()));
    field(f.role.map(str::as_bytes));
    field(f.body.map(str::as_bytes));
    field(f.address.map(str::as_bytes));
    field(Some(f.action.as_bytes()));
    field(Some(f.subject.as_bytes()));
    field(f.before.map(str::as_bytes));
    field(f.after.map(str::as_bytes));
    field(Some(f.prev_hash));
    h.finalize().to_vec()
}

impl AuditEvent {
    pub fn chain_fields(&self) -> ChainFields<'_> {
        ChainFields {
            seq: self.seq,
            at_ms: self.at.as_millisecond(),
            actor: &self.actor,
            role: self.role.as_deref(),
            body: self.body.as_deref(),
            address: self.address.as_deref(),
            action: &self.action,
            subject: &self.subject,
            before: self.before.as_deref(),
            after: self.after.as_deref(),
            prev_hash: &self.prev_hash,
        }
    }
}

/// Why the chain is broken, naming the first event that breaks it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// Its content no longer matches its hash: edited.
    #[error("event #{seq} (id {id}) was edited: its hash does not match its content")]
    Edited { seq: i64, id: i64 },
    /// The event before it is missing or different: deleted or reordered.
    #[error(
        "event #{seq} (id {id}) does not follow the event before it: event #{expected} was deleted or replaced"
    )]
    Unlinked { seq: i64, id: i64, expected: i64 },
    /// Fewer events than the head written outside the database says.
    #[error(
        "the newest events were cut off: the recorded head has {recorded} events, the log {found}; event #{first_missing} is missing"
    )]
    CutOff {
        recorded: i64,
        found: i64,
        first_missing: i64,
    },
    /// The event at the recorded head's place is not the one recorded.
    #[error("event #{seq} differs from the head recorded outside the database")]
    HeadMismatch { seq: i64 },
}

/// Checks the chain one page at a time: feed [`ChainCheck::push`] the
/// events in `seq` order, then [`ChainCheck::finish`] with the head
/// recorded outside the database, if any.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    count: i64,
    last_hash: Vec<u8>,
    recorded_hash_at: Option<(i64, Vec<u8>)>,
    head_seen: bool,
}

impl ChainCheck {
    /// `recorded` is the head written outside the database.
    pub fn new(recorded: Option<&AuditHead>) -> Self {
        Self {
            count: 0,
            last_hash: GENESIS.to_vec(),
            recorded_hash_at: recorded.map(|h| (h.count, h.hash.clone())),
            head_seen: false,
        }
    }

    pub fn push(&mut self, e: &AuditEvent) -> Result<(), ChainBreak> {
        let expected = self.count + 1;
        if e.seq != expected || e.prev_hash != self.last_hash {
            return Err(ChainBreak::Unlinked {
                seq: e.seq,
                id: e.id,
                expected,
            });
        }
        if chain_hash(&e.chain_fields()) != e.hash {
            return Err(ChainBreak::Edited {
                seq: e.seq,
                id: e.id,
            });
        }
        if let Some((n, hash)) = &self.recorded_hash_at
            && *n == e.seq
        {
            if *hash != e.hash {
                return Err(ChainBreak::HeadMismatch { seq: e.seq });
            }
            self.head_seen = true;
        }
        self.count = e.seq;
        self.last_hash = e.hash.clone();
        Ok(())
    }

    /// The head of the verified chain, or what is missing at its end.
    pub fn finish(self) -> Result<AuditHead, ChainBreak> {
        if let Some((n, _)) = &self.recorded_hash_at
            && *n > self.count
        {
            return Err(ChainBreak::CutOff {
                recorded: *n,
                found: self.count,
                first_missing: self.count + 1,
            });
        }
        Ok(AuditHead {
            count: self.count,
            hash: self.last_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn subjects_say_which_record_decides_the_body() {
        assert_eq!(
            SubjectRef::parse("certificate:ZY0001"),
            SubjectRef::Certificate("ZY0001")
        );
        assert_eq!(
            SubjectRef::parse("annotation:42"),
            SubjectRef::Annotation(42)
        );
        assert_eq!(
            SubjectRef::parse("body:pharmacist_center"),
            SubjectRef::Body("pharmacist_center")
        );
        for other in [
            "holder:7",
            "staff:admin_a",
            "annotation:x",
            "certificate:",
            "plain",
        ] {
            assert_eq!(SubjectRef::parse(other), SubjectRef::Other, "{other}");
        }
    }

    use super::*;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS.to_vec();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEvent {
                    id: seq + 100,
                    seq,
                    at: Timestamp::from_second(1_700_000_000 + seq).unwrap(),
                    actor: "system".into(),
                    role: None,
                    body: Some("b".into()),
                    address: None,
                    action: "x.y".into(),
                    subject: format!("s:{seq}"),
                    before: None,
                    after: Some("{}".into()),
                    prev_hash: prev.clone(),
                    hash: Vec::new(),
                };
                e.hash = chain_hash(&e.chain_fields());
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn check(events: &[AuditEvent], head: Option<&AuditHead>) -> Result<AuditHead, ChainBreak> {
        let mut c = ChainCheck::new(head);
        for e in events {
            c.push(e)?;
        }
        c.finish()
    }

    #[test]
    fn an_intact_chain_passes_and_any_change_names_its_event() {
        let events = chain(5);
        let head = check(&events, None).unwrap();
        assert_eq!(head.count, 5);
        assert_eq!(check(&events, Some(&head)).unwrap(), head);
        assert_eq!(check(&[], None).unwrap(), AuditHead::empty());

        let mut edited = events.clone();
        edited[2].after = Some(r#"{"x":1}"#.into());
        assert_eq!(
            check(&edited, None),
            Err(ChainBreak::Edited { seq: 3, id: 103 })
        );
        // Editing an absent field into present changes the encoding too.
        let mut role = events.clone();
        role[1].role = Some(String::new());
        assert_eq!(
            check(&role, None),
            Err(ChainBreak::Edited { seq: 2, id: 102 })
        );

        let mut deleted = events.clone();
        deleted.remove(1);
        assert_eq!(
            check(&deleted, None),
            Err(ChainBreak::Unlinked {
                seq: 3,
                id: 103,
                expected: 2
            })
        );

        let cut = &events[..3];
        assert_eq!(
            check(cut, Some(&head)),
            Err(ChainBreak::CutOff {
                recorded: 5,
                found: 3,
                first_missing: 4
            })
        );
        // A head recorded earlier than the newest event is fine (it lags).
        let early = check(&events[..2], None).unwrap();
        assert!(check(&events, Some(&early)).is_ok());
        let wrong = AuditHead {
            count: 2,
            hash: GENESIS.to_vec(),
        };
        assert_eq!(
            check(&events, Some(&wrong)),
            Err(ChainBreak::HeadMismatch { seq: 2 })
        );
    }

    #[test]
    fn heads_round_trip_as_json() {
        let h = AuditHead {
            count: 7,
            hash: vec![0xab, 0x01],
        };
        let text = serde_json::to_string(&h).unwrap();
        assert_eq!(text, r#"{"count":7,"hash":"ab01"}"#);
        assert_eq!(serde_json::from_str::<AuditHead>(&text).unwrap(), h);
    }
}
