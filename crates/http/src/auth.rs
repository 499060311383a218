//! Every request carries a token Stagecraft made (`stagecraft auth token create`), as Release's
//! API takes one: `X-User-Token` (with `X-User-Email`, which is not checked: there is one local
//! account), or `Authorization: Bearer`. A request without a valid one is refused (401) and
//! counted; the token a request was made with goes with it to the request log.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use stagecraft_api::{ErrorCode, TokenId};

use crate::AppState;
use crate::error::ApiError;

/// The token a request carries, from either header.
fn token_of(headers: &HeaderMap) -> Option<&str> {
    if let Some(token) = headers.get("x-user-token").and_then(|v| v.to_str().ok()) {
        return Some(token.trim());
    }
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let checked = match token_of(request.headers()) {
        None => Err(
            "no token: send one as X-User-Token (or Authorization: Bearer); make one \
                     with `stagecraft auth token create NAME`",
        ),
        Some(token) => match state.stagecraft.check_api_token(token).await {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(
                "the token is not one of this Stagecraft's, or it was revoked: \
                             `stagecraft auth token list` shows them",
            ),
            Err(error) => return ApiError::from(error).into_response(),
        },
    };
    match checked {
        Ok(id) => {
            request.extensions_mut().insert::<TokenId>(id);
            let mut response = next.run(request).await;
            response.extensions_mut().insert::<TokenId>(id);
            response
        }
        Err(why) => {
            ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, why).into_response()
        }
    }
}
