//! The `api_token`, `api_request` and `api_refusals` tables: the HTTP API's tokens (hashes
//! only), its last requests, and how many it refused.

use sqlx::SqliteExecutor;

use crate::StoreError;

/// How many requests are kept for the window.
pub const REQUESTS_KEPT: i64 = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub at: String,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub millis: i64,
    pub token: Option<String>,
}

/// One request as the API answered it.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub method: String,
    pub path: String,
    pub status: i64,
    pub millis: i64,
    pub token_id: Option<i64>,
}

/// Records a token by its hash; gives its id. A name in use is a unique-constraint error.
pub async fn insert(
    executor: impl SqliteExecutor<'_>,
    name: &str,
    hash: &str,
    prefix: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"INSERT INTO api_token (name, hash, prefix) VALUES (?, ?, ?) RETURNING id AS "id!""#,
        name,
        hash,
        prefix
    )
    .fetch_one(executor)
    .await?)
}

/// Every token, revoked ones too, oldest first.
pub async fn list(executor: impl SqliteExecutor<'_>) -> Result<Vec<TokenRow>, StoreError> {
    Ok(sqlx::query_as!(
        TokenRow,
        r#"SELECT id, name, prefix, created_at, last_used_at, revoked_at
           FROM api_token ORDER BY id"#
    )
    .fetch_all(executor)
    .await?)
}

/// The token whose hash is `hash`, when it is not revoked.
pub async fn valid(
    executor: impl SqliteExecutor<'_>,
    hash: &str,
) -> Result<Option<TokenRow>, StoreError> {
    Ok(sqlx::query_as!(
        TokenRow,
        r#"SELECT id, name, prefix, created_at, last_used_at, revoked_at
           FROM api_token WHERE hash = ? AND revoked_at IS NULL"#,
        hash
    )
    .fetch_optional(executor)
    .await?)
}

/// Revokes token `name`; `false` when there is no such token not revoked yet.
pub async fn revoke(executor: impl SqliteExecutor<'_>, name: &str) -> Result<bool, StoreError> {
    let done = sqlx::query!(
        r#"UPDATE api_token SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
           WHERE name = ? AND revoked_at IS NULL"#,
        name
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records requests the API answered, the tokens' last use, and its refusals (status 401), in
/// one transaction; keeps only the newest [`REQUESTS_KEPT`].
pub async fn record_requests(
    pool: &sqlx::SqlitePool,
    requests: &[NewRequest],
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    let mut refused = 0i64;
    for request in requests {
        sqlx::query!(
            r#"INSERT INTO api_request (method, path, status, millis, token_id)
               VALUES (?, ?, ?, ?, ?)"#,
            request.method,
            request.path,
            request.status,
            request.millis,
            request.token_id
        )
        .execute(&mut *tx)
        .await?;
        if let Some(token) = request.token_id {
            sqlx::query!(
                r#"UPDATE api_token SET last_used_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                   WHERE id = ?"#,
                token
            )
            .execute(&mut *tx)
            .await?;
        }
        if request.status == 401 {
            refused += 1;
        }
    }
    sqlx::query!(
        "UPDATE api_refusals SET count = count + ? WHERE id = 1",
        refused
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"DELETE FROM api_request
           WHERE id <= (SELECT MAX(id) FROM api_request) - ?"#,
        REQUESTS_KEPT
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The newest `limit` requests, newest first.
pub async fn requests(
    executor: impl SqliteExecutor<'_>,
    limit: i64,
) -> Result<Vec<RequestRow>, StoreError> {
    Ok(sqlx::query_as!(
        RequestRow,
        r#"SELECT r.at, r.method, r.path, r.status, r.millis, t.name AS token
           FROM api_request r LEFT JOIN api_token t ON t.id = r.token_id
           ORDER BY r.id DESC LIMIT ?"#,
        limit
    )
    .fetch_all(executor)
    .await?)
}

/// How many requests were refused for want of a valid token.
pub async fn refusals(executor: impl SqliteExecutor<'_>) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar!("SELECT count FROM api_refusals WHERE id = 1")
            .fetch_optional(executor)
            .await?
            .unwrap_or(0),
    )
}
