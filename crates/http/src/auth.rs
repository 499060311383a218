//! Every request carries a token Stagecraft made (`stagecraft auth token create`), as Release's
//! API takes one: `X-User-Token` (with `X-User-Email`, which is not checked: there is one local
//! account), or `Authorization: Bearer`. A request without a valid one is refused (401) and
//! counted; the token a request was made with goes with it to the request log. A token found
//! valid is taken as valid for a second ([`TRUSTED_FOR`]) without asking the database again:
//! a revocation (made by another process, `stagecraft auth token revoke`) holds within a
//! second. A refusal is never remembered, so a token just made works at once.
//!
//! Each token may make [`crate::Limits::rate`] requests a second (100 unless `serve` is told
//! otherwise; as many at once in a burst); one more is refused 429 `RATE_LIMITED` with
//! `Retry-After`. A token is the unit, as scripts hold one each.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use stagecraft_api::{ErrorCode, TokenId};

use crate::error::ApiError;
use crate::{AppState, Rates};

/// How long a token found valid is taken as valid without looking again.
pub const TRUSTED_FOR: std::time::Duration = std::time::Duration::from_secs(1);
/// The most tokens remembered at once (a local API has a handful).
const REMEMBERED: usize = 64;

/// Tokens found valid lately, with when.
#[derive(Debug, Default)]
pub struct Trusted(
    std::sync::Mutex<std::collections::HashMap<String, (TokenId, std::time::Instant)>>,
);

impl Trusted {
    fn get(&self, token: &str) -> Option<TokenId> {
        let trusted = self.0.lock().ok()?;
        let (id, at) = trusted.get(token)?;
        (at.elapsed() < TRUSTED_FOR).then_some(*id)
    }

    fn put(&self, token: &str, id: TokenId) {
        if let Ok(mut trusted) = self.0.lock() {
            if trusted.len() >= REMEMBERED {
                trusted.retain(|_, (_, at)| at.elapsed() < TRUSTED_FOR);
            }
            if trusted.len() < REMEMBERED {
                trusted.insert(token.to_owned(), (id, std::time::Instant::now()));
            }
        }
    }
}

/// How long until `id` may make a request, when it may not now.
fn too_soon(rates: &Rates, id: TokenId) -> Option<std::time::Duration> {
    let limiter = &rates.limiter;
    limiter
        .check_key(&id)
        .err()
        .map(|not_until| not_until.wait_time_from(governor::clock::Clock::now(limiter.clock())))
}

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
        Some(token) if let Some(id) = state.trusted.get(token) => Ok(id),
        Some(token) => match state.stagecraft.check_api_token(token).await {
            Ok(Some(id)) => {
                state.trusted.put(token, id);
                Ok(id)
            }
            Ok(None) => Err(
                "the token is not one of this Stagecraft's, or it was revoked: \
                             `stagecraft auth token list` shows them",
            ),
            Err(error) => return ApiError::from(error).into_response(),
        },
    };
    match checked {
        Ok(id) if let Some(wait) = state.rates.as_ref().and_then(|r| too_soon(r, id)) => {
            let seconds = wait.as_secs() + 1;
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!(
                    "this token made more requests than the API takes ({} a second); \
                     try again in {seconds} s (`stagecraft serve --api-rate-limit` sets it)",
                    state.rates.as_ref().map_or(0, |r| r.per_second.get())
                ),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            response.extensions_mut().insert::<TokenId>(id);
            response
        }
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
