//! Messages to holders: the one-time codes that prove an identity or
//! recover a password, sent to the contact the issuing body recorded. One
//! [`Sender`] trait; three senders: e-mail through SMTP ([`SmtpSender`],
//! lettre), SMS through a configurable HTTP gateway ([`HttpSmsSender`]),
//! and a development sender that writes the message to the log
//! ([`LogSender`]). [`Senders`] picks the one for a contact's kind. Nothing
//! here knows of accounts or storage.
#![forbid(unsafe_code)]

mod http_sms;
mod smtp;

use async_trait::async_trait;
use zhengshu_domain::Contact;

pub use http_sms::HttpSmsSender;
pub use smtp::{SmtpSecurity, SmtpSender, SmtpSettings};

/// A message to one contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The e-mail subject (SMS gateways ignore it).
    pub subject: String,
    pub body: String,
}

/// Why a message was not handed over.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No sender is configured for this kind of contact.
    #[error("no sender configured for {0}")]
    NotConfigured(&'static str),
    #[error("{0}")]
    Failed(String),
}

/// Hands a message to whatever delivers it.
#[async_trait]
pub trait Sender: Send + Sync + std::fmt::Debug {
    async fn send(&self, to: &Contact, message: &Message) -> Result<(), SendError>;
}

/// Writes the message to the log: for development and demonstrations
/// only, since the log then holds the code.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogSender;

#[async_trait]
impl Sender for LogSender {
    async fn send(&self, to: &Contact, message: &Message) -> Result<(), SendError> {
        tracing::warn!(
            to = %to.as_str(),
            subject = %message.subject,
            body = %message.body,
            "message written to the log (development sender)"
        );
        Ok(())
    }
}

/// The sender of each kind of contact; `None` sends nothing of that kind.
#[derive(Debug, Default, Clone)]
pub struct Senders {
    pub email: Option<std::sync::Arc<dyn Sender>>,
    pub sms: Option<std::sync::Arc<dyn Sender>>,
}

impl Senders {
    /// Both kinds to the log.
    pub fn log() -> Self {
        Self {
            email: Some(std::sync::Arc::new(LogSender)),
            sms: Some(std::sync::Arc::new(LogSender)),
        }
    }

    /// Whether a contact of this kind can be reached.
    pub fn reaches(&self, to: &Contact) -> bool {
        match to {
            Contact::Email(_) => self.email.is_some(),
            Contact::Phone(_) => self.sms.is_some(),
        }
    }
}

#[async_trait]
impl Sender for Senders {
    async fn send(&self, to: &Contact, message: &Message) -> Result<(), SendError> {
        let sender = match to {
            Contact::Email(_) => self.email.as_ref(),
            Contact::Phone(_) => self.sms.as_ref(),
        };
        sender
            .ok_or(SendError::NotConfigured(to.kind()))?
            .send(to, message)
            .await
    }
}
