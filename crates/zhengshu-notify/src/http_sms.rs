//! SMS through an HTTP gateway: each message is one `POST` of
//! `{"to": "+86…", "text": "…"}` (JSON) to the configured URL, with an
//! optional bearer token; any 2xx answer is delivery accepted.

use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use zhengshu_domain::Contact;

use crate::{Message, SendError, Sender};

/// Posts each SMS to an `http://` gateway.
#[derive(Clone)]
pub struct HttpSmsSender {
    url: hyper::Uri,
    token: Option<String>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl std::fmt::Debug for HttpSmsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSmsSender")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl HttpSmsSender {
    /// `url` must be `http://…` (a gateway on the internal network).
    pub fn new(url: &str, token: Option<String>) -> Result<Self, SendError> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| SendError::Failed(format!("SMS gateway URL: {e}")))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(SendError::Failed(
                "SMS gateway URL: an http:// address with a host".into(),
            ));
        }
        Ok(Self {
            url: uri,
            token,
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }
}

/// The number as the gateway takes it: E.164 (`+86` for mainland numbers).
fn e164(number: &str) -> String {
    if number.starts_with('+') {
        number.to_owned()
    } else {
        format!("+86{number}")
    }
}

#[async_trait]
impl Sender for HttpSmsSender {
    async fn send(&self, to: &Contact, message: &Message) -> Result<(), SendError> {
        let Contact::Phone(phone) = to else {
            return Err(SendError::NotConfigured("email"));
        };
        let body = serde_json::json!({ "to": e164(phone.as_str()), "text": message.body });
        let mut req =
            Request::post(self.url.clone()).header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = &self.token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = req
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| SendError::Failed(format!("SMS request: {e}")))?;
        let answer =
            tokio::time::timeout(std::time::Duration::from_secs(20), self.client.request(req))
                .await
                .map_err(|_| SendError::Failed("SMS gateway: no answer in 20 s".into()))?
                .map_err(|e| SendError::Failed(format!("SMS gateway: {e}")))?;
        let status = answer.status();
        // Read the body so the connection can be reused.
        let _ = answer.into_body().collect().await;
        if status.is_success() {
            Ok(())
        } else {
            Err(SendError::Failed(format!("SMS gateway answered {status}")))
        }
    }
}
