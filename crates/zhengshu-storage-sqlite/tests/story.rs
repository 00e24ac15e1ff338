//! The storage story suite on SQLite, each story on its own database file.

use zhengshu_storage::Storage;

struct Fresh {
    store: zhengshu_storage_sqlite::SqliteStore,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Fresh {
    type Target = zhengshu_storage_sqlite::SqliteStore;
    fn deref(&self) -> &Self::Target {
        &self.store
    }
}

fn url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("story.db").display())
}

/// Every story runs with the hot reads cached and public verification
/// indexed, as a server runs: the store's own writes must show at its next
/// read.
async fn fresh() -> Fresh {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = zhengshu_storage_sqlite::SqliteStore::connect(
        &url(&dir),
        zhengshu_storage_story::test_vault(),
    )
    .await
    .expect("open SQLite");
    assert!(!store.cache_hot_reads().await.expect("cache hot reads"));
    store.index_verifications(1_000).await.expect("index");
    Fresh { store, _dir: dir }
}

/// Two processes on one file: one caches, the other writes.
#[tokio::test]
async fn a_cached_store_sees_another_processs_writes() {
    let db = fresh().await;
    let other = zhengshu_storage_sqlite::SqliteStore::connect(
        &url(&db._dir),
        zhengshu_storage_story::test_vault(),
    )
    .await
    .expect("a second connection");
    zhengshu_storage_story::a_cached_store_sees_another_processs_writes(&*db, &other).await;
}

/// The same for the verification index: on SQLite only an import comes
/// from another process.
#[tokio::test]
async fn the_verification_index_sees_another_processs_writes() {
    let db = fresh().await;
    let other = zhengshu_storage_sqlite::SqliteStore::connect(
        &url(&db._dir),
        zhengshu_storage_story::test_vault(),
    )
    .await
    .expect("a second connection");
    zhengshu_storage_story::the_verification_index_sees_another_processs_writes(
        &*db, &other, false,
    )
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
