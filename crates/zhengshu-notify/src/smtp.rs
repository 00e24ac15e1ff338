//! E-mail through SMTP with lettre: plain (a local relay), STARTTLS or
//! implicit TLS, with optional credentials.

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use zhengshu_domain::Contact;

use crate::{Message, SendError, Sender};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// No TLS: only for a relay on the same machine or network.
    None,
    /// STARTTLS on the submission port.
    #[default]
    Starttls,
    /// TLS from the first byte.
    Tls,
}

/// Where and as whom to send.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The From address, e.g. `zhengshu <noreply@example.cn>`.
    pub from: String,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// Sends e-mail through one SMTP server.
#[derive(Debug, Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpSender {
    pub fn new(s: &SmtpSettings) -> Result<Self, SendError> {
        let fail = |e: &dyn std::fmt::Display| SendError::Failed(format!("SMTP settings: {e}"));
        let mut builder = match s.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|e| fail(&e))?,
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(|e| fail(&e))?
            }
        }
        .port(s.port)
        .timeout(Some(std::time::Duration::from_secs(20)));
        if let (Some(u), Some(p)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        let from: Mailbox = s.from.parse().map_err(|e| fail(&e))?;
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

#[async_trait]
impl Sender for SmtpSender {
    async fn send(&self, to: &Contact, message: &Message) -> Result<(), SendError> {
        let Contact::Email(address) = to else {
            return Err(SendError::NotConfigured("phone"));
        };
        let to: Mailbox = address
            .as_str()
            .parse()
            .map_err(|e| SendError::Failed(format!("address: {e}")))?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| SendError::Failed(format!("message: {e}")))?;
        self.transport
            .send(email)
            .await
            .map_err(|e| SendError::Failed(format!("SMTP: {e}")))?;
        Ok(())
    }
}
