//! The HTTP client the `openidconnect` crate talks to the provider
//! through: hyper over rustls (ring, the Web PKI roots), HTTP/1.1, no
//! redirects followed, no connection kept idle, a time limit per request
//! and a size limit on answers.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

use crate::Error;

/// Time for one request to the provider, answer included.
const TIMEOUT: Duration = Duration::from_secs(15);
/// The largest answer read (metadata, keys, tokens are a few KiB).
const MAX_ANSWER: usize = 1 << 20;

/// Why a request to the provider failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// A client for the provider's endpoints.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient").finish_non_exhaustive()
    }
}

impl HttpClient {
    pub fn new() -> Result<Self, Error> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| Error::Settings(format!("TLS: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        // A few requests per log-in: a fresh connection each, rather than
        // a pooled one the provider may have closed meanwhile.
        Ok(Self {
            client: Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(0)
                .build(https),
        })
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let request = hyper::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let answer = tokio::time::timeout(TIMEOUT, async {
            let answer = self
                .client
                .request(request)
                .await
                .map_err(|e| HttpError(format!("request: {e}")))?;
            let (parts, body) = answer.into_parts();
            let bytes = Limited::new(body, MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| HttpError(format!("answer: {e}")))?
                .to_bytes();
            Ok::<_, HttpError>(hyper::Response::from_parts(parts, bytes.to_vec()))
        })
        .await
        .map_err(|_| HttpError(format!("no answer in {} s", TIMEOUT.as_secs())))??;
        Ok(answer)
    }
}

impl<'c> AsyncHttpClient<'c> for HttpClient {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
