//! The HTTP API's tokens and request log: a token found by its hash until revoked, a name
//! taken by one live token at a time, requests kept to the newest few hundred, refusals counted across batches.

use stagecraft_store::api_token::{self, NewRequest, REQUESTS_KEPT};

use crate::history::store;

fn request(status: i64, token_id: Option<i64>) -> NewRequest {
    NewRequest {
        method: "GET".to_owned(),
        path: "/api/v1/environments".to_owned(),
        status,
        millis: 1,
        token_id,
    }
}

#[tokio::test]
async fn tokens_are_found_by_hash_until_revoked_and_requests_are_kept_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let pool = store.pool();
    let hash = "a".repeat(64);
    let id = api_token::insert(pool, "ci", &hash, "stc_aaaa")
        .await
        .unwrap();
    assert!(
        api_token::insert(pool, "ci", &"b".repeat(64), "stc_bbbb")
            .await
            .is_err()
    );
    assert_eq!(api_token::valid(pool, &hash).await.unwrap().unwrap().id, id);
    assert!(
        api_token::valid(pool, &"c".repeat(64))
            .await
            .unwrap()
            .is_none()
    );

    let mut batch: Vec<NewRequest> = (0..REQUESTS_KEPT + 20)
        .map(|_| request(200, Some(id)))
        .collect();
    batch.push(request(401, None));
    api_token::record_requests(pool, &batch).await.unwrap();
    api_token::record_requests(pool, &[request(401, None), request(401, None)])
        .await
        .unwrap();
    let kept = api_token::requests(pool, 10_000).await.unwrap();
    assert_eq!(i64::try_from(kept.len()).unwrap(), REQUESTS_KEPT);
    assert_eq!((kept[0].status, kept[0].token.as_deref()), (401, None));
    assert_eq!(kept[3].token.as_deref(), Some("ci"));
    assert_eq!(api_token::refusals(pool).await.unwrap(), 3);
    let listed = api_token::list(pool).await.unwrap();
    assert!(listed[0].last_used_at.is_some(), "{listed:?}");

    assert!(api_token::revoke(pool, "ci").await.unwrap());
    assert!(!api_token::revoke(pool, "ci").await.unwrap());
    assert!(api_token::valid(pool, &hash).await.unwrap().is_none());
    assert!(api_token::list(pool).await.unwrap()[0].revoked_at.is_some());
    // A revoked token's name may be taken again; two live ones may not share it.
    api_token::insert(pool, "ci", &"d".repeat(64), "stc_dddd")
        .await
        .unwrap();
    assert!(
        api_token::insert(pool, "ci", &"e".repeat(64), "stc_eeee")
            .await
            .is_err()
    );
}
