//! The storage story suite on PostgreSQL, each story in a database of its
//! own created from `ZHENGSHU_TEST_PG_URL` and dropped afterwards. Without
//! the variable every test fails saying what to set: PostgreSQL is never
//! skipped silently.

use zhengshu_storage::Storage;
use zhengshu_storage_postgres::PgStore;
use zhengshu_storage_postgres::testing::FreshPg;

/// Every story runs with the hot reads cached and public verification
/// indexed, as a server runs: the store's own writes must show at its next
/// read.
async fn fresh() -> FreshPg {
    let db = FreshPg::new(zhengshu_storage_story::test_vault()).await;
    assert!(db.store.cache_hot_reads().await.expect("cache hot reads"));
    db.store.index_verifications(1_000).await.expect("index");
    db
}

/// Two processes on one database: one caches, the other writes.
#[tokio::test]
async fn a_cached_store_sees_another_processs_writes() {
    let db = fresh().await;
    let other = PgStore::connect(&db.url, zhengshu_storage_story::test_vault())
        .await
        .expect("a second connection");
    zhengshu_storage_story::a_cached_store_sees_another_processs_writes(&*db, &other).await;
}

/// The same for the verification index.
#[tokio::test]
async fn the_verification_index_sees_another_processs_writes() {
    let db = fresh().await;
    let other = PgStore::connect(&db.url, zhengshu_storage_story::test_vault())
        .await
        .expect("a second connection");
    zhengshu_storage_story::the_verification_index_sees_another_processs_writes(&*db, &other, true)
        .await;
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
