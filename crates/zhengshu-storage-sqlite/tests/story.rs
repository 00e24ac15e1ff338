//! The storage story suite on SQLite, each story on its own database file.

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

async fn fresh() -> Fresh {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("story.db").display());
    let store =
        zhengshu_storage_sqlite::SqliteStore::connect(&url, zhengshu_storage_story::test_vault())
            .await
            .expect("open SQLite");
    Fresh { store, _dir: dir }
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
