//! [使用报名服务平台账号登录]: the log-in with the exam-registration
//! platform. `GET /login/platform` sends the browser to the platform with
//! a fresh flow kept in a signed, ten-minute cookie; the platform sends
//! it back to `GET /login/platform/callback`, where the flow's cookie is
//! spent whatever happens, and the account is signed in (or, for a
//! signed-in holder, linked and proven). A forged, replayed, expired or
//! cancelled callback gets the error page saying to start again, never a
//! 500. Both routes answer 404 when no platform is configured.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use zhengshu_storage::SessionKind;

use super::PageError;
use super::extract::SESSION_COOKIE;
use crate::cookies::{cookie, set_cookie};
use crate::services::federated::{self, Callback, FLOW_COOKIE};
use crate::services::sessions;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/platform", get(start))
        .route("/login/platform/callback", get(callback))
}

async fn start(State(state): State<AppState>) -> Result<Response, PageError> {
    let (url, flow) = federated::start(&state).await?;
    let mut response = Redirect::to(&url).into_response();
    let max_age = federated::FLOW_TTL.as_secs();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FLOW_COOKIE, &flow, state.secure_cookies(), Some(max_age)),
    );
    Ok(response)
}

async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(answer): Query<Callback>,
) -> Response {
    let now = state.clock.now();
    let pending = cookie(&headers, FLOW_COOKIE).and_then(|v| federated::open(&state, v, now));
    let token = cookie(&headers, SESSION_COOKIE).unwrap_or("");
    let result = async {
        let session = sessions::find(&state, token, SessionKind::Page).await?;
        let linking = session.as_ref().map(|s| &s.holder);
        let id = federated::finish(&state, pending.as_ref(), &answer, linking).await?;
        if linking.is_some() {
            Ok(Redirect::to("/identity").into_response())
        } else {
            super::auth::signed_in(&state, id, "/certificates").await
        }
    }
    .await;
    let mut response = result.unwrap_or_else(|e: PageError| e.into_response());
    // The flow is spent: a second use of this callback finds no cookie.
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FLOW_COOKIE, "", state.secure_cookies(), Some(0)),
    );
    response
}
