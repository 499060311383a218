//! The HTTP API's tokens (`stagecraft auth token create/list/revoke`): 32 random bytes, shown
//! once when made, kept only as a SHA-256 (a random token needs no slow hash: nothing can be
//! guessed from its digest); and what the API answered, for the window: its last requests and
//! how many it refused.

use chacha20poly1305::aead::OsRng;
use chacha20poly1305::aead::rand_core::RngCore as _;
use serde::Serialize;
use sha2::Digest as _;
use stagecraft_store::api_token::{self, NewRequest};
use ts_rs::TS;

use crate::{Error, Stagecraft};

/// What every token starts with, so a leaked one is recognised (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "stc_";

/// Where `stagecraft serve` answers the HTTP API unless told otherwise (127.0.0.1).
pub const DEFAULT_API_PORT: u16 = 7477;

/// A token as lists show it: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    pub name: String,
    /// Its first characters.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A token just made: the only time it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewToken {
    pub name: String,
    pub token: String,
}

/// One request the API answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApiRequestView {
    pub at: String,
    pub method: String,
    pub path: String,
    #[ts(type = "number")]
    pub status: i64,
    #[ts(type = "number")]
    pub millis: i64,
    /// The token's name; none when refused.
    pub token: Option<String>,
}

/// The HTTP API as the window shows it: where `stagecraft serve` answers by default, the
/// tokens, the last requests and how many were refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApiOverview {
    pub default_port: u16,
    pub tokens: Vec<TokenView>,
    pub requests: Vec<ApiRequestView>,
    #[ts(type = "number")]
    pub refused: i64,
}

/// The token a request was made with, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenId(pub i64);

fn digest(token: &str) -> String {
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn view(row: api_token::TokenRow) -> TokenView {
    TokenView {
        name: row.name,
        prefix: row.prefix,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
    }
}

impl Stagecraft {
    /// Makes a token named `name` (what it is for: `ci`, a laptop); gives it, once.
    pub async fn create_api_token(&self, name: &str) -> Result<NewToken, Error> {
        let name = name.trim();
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(Error::InvalidRequest {
                field: "name",
                message: format!(
                    "`{name}` cannot name a token: use letters, digits, `-`, `_` and `.`, at \
                     most 64 characters (say what it is for: `ci`, `laptop`)"
                ),
            });
        }
        let pool = self.store.pool();
        if api_token::list(pool)
            .await?
            .iter()
            .any(|t| t.name == name && t.revoked_at.is_none())
        {
            return Err(Error::Conflict {
                message: format!(
                    "a token named {name} exists: revoke it (stagecraft auth token revoke \
                     {name}) or choose another name"
                ),
            });
        }
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let token = format!(
            "{TOKEN_PREFIX}{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let prefix: String = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
        api_token::insert(pool, name, &digest(&token), &prefix).await?;
        Ok(NewToken {
            name: name.to_owned(),
            token,
        })
    }

    /// Every token, revoked ones too.
    pub async fn api_tokens(&self) -> Result<Vec<TokenView>, Error> {
        Ok(api_token::list(self.store.pool())
            .await?
            .into_iter()
            .map(view)
            .collect())
    }

    /// Revokes token `name`: every request with it is refused from now on.
    pub async fn revoke_api_token(&self, name: &str) -> Result<(), Error> {
        if api_token::revoke(self.store.pool(), name).await? {
            Ok(())
        } else {
            Err(Error::NotFound {
                what: "token",
                name: name.to_owned(),
            })
        }
    }

    /// The token `token` is, when it is one and not revoked.
    pub async fn check_api_token(&self, token: &str) -> Result<Option<TokenId>, Error> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(api_token::valid(self.store.pool(), &digest(token))
            .await?
            .map(|row| TokenId(row.id)))
    }

    /// Records requests the API answered (a batch, written together).
    pub async fn record_api_requests(&self, requests: &[ApiRequest]) -> Result<(), Error> {
        let rows: Vec<NewRequest> = requests
            .iter()
            .map(|r| NewRequest {
                method: r.method.clone(),
                path: r.path.clone(),
                status: i64::from(r.status),
                millis: i64::try_from(r.millis).unwrap_or(i64::MAX),
                token_id: r.token.map(|t| t.0),
            })
            .collect();
        api_token::record_requests(self.store.pool(), &rows).await?;
        Ok(())
    }

    /// The API for the window: its default port, the tokens, the newest `limit` requests and
    /// the refusals.
    pub async fn api_overview(&self, limit: u32) -> Result<ApiOverview, Error> {
        let (requests, refused) = self.api_requests(limit).await?;
        Ok(ApiOverview {
            default_port: DEFAULT_API_PORT,
            tokens: self.api_tokens().await?,
            requests,
            refused,
        })
    }

    /// The API's newest requests, newest first, and how many it refused for want of a valid
    /// token.
    pub async fn api_requests(&self, limit: u32) -> Result<(Vec<ApiRequestView>, i64), Error> {
        let pool = self.store.pool();
        let requests = api_token::requests(pool, i64::from(limit))
            .await?
            .into_iter()
            .map(|r| ApiRequestView {
                at: r.at,
                method: r.method,
                path: r.path,
                status: r.status,
                millis: r.millis,
                token: r.token,
            })
            .collect();
        Ok((requests, api_token::refusals(pool).await?))
    }
}

/// A request as the API answered it, to be recorded.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub millis: u64,
    pub token: Option<TokenId>,
}
