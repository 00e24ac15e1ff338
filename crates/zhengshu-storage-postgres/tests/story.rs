//! The storage story suite on PostgreSQL, each story in a database of its
//! own created from `ZHENGSHU_TEST_PG_URL` and dropped afterwards. Without
//! the variable every test fails saying what to set: PostgreSQL is never
//! skipped silently.

use zhengshu_storage_postgres::testing::FreshPg;

async fn fresh() -> FreshPg {
    FreshPg::new(zhengshu_storage_story::test_vault()).await
}

zhengshu_storage_story::story_tests!(fresh());

/// Writes behind the store's back, so it takes the store itself.
#[tokio::test]
async fn clear_totp_keys_are_sealed_at_start_up() {
    let db = fresh().await;
    zhengshu_storage_story::clear_totp_keys_are_sealed_at_start_up(
        &*db,
        async |id, secret: Vec<u8>| db.store_clear_totp(id, &secret).await.unwrap(),
    )
    .await;
}
