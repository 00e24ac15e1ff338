//! A large import drops the random-keyed holder index inside its
//! transaction and builds it again before committing: the index must be
//! there afterwards, whether the import committed or rolled back.

use zhengshu_domain::{Actor, NewCertificate};
use zhengshu_storage::Storage;
use zhengshu_storage_sqlite::SqliteStore;

/// More rows than the bulk threshold, in batches of 1,000 like the importer.
const ROWS: u32 = 60_000;

async fn fresh(dir: &tempfile::TempDir) -> SqliteStore {
    let url = format!("sqlite://{}", dir.path().join("bulk.db").display());
    let store = SqliteStore::connect(&url, zhengshu_storage_story::test_vault())
        .await
        .expect("open SQLite");
    store.migrate().await.expect("migrate");
    for body in zhengshu_demo::issuing_bodies() {
        store.put_issuing_body(&body).await.expect("body");
    }
    for q in zhengshu_demo::qualification_types() {
        store
            .put_qualification_type(&q)
            .await
            .expect("qualification");
    }
    store
}

async fn holder_index(store: &SqliteStore) -> Option<String> {
    sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'certificates_holder_idx'",
    )
    .fetch_optional(store.pool())
    .await
    .expect("schema")
}

fn rows() -> Vec<NewCertificate> {
    (0..ROWS)
        .map(zhengshu_demo::synthetic_certificate)
        .collect()
}

async fn write_all(
    store: &SqliteStore,
    rows: &[NewCertificate],
) -> Box<dyn zhengshu_storage::ImportTx> {
    let at: jiff::Timestamp = "2024-05-01T08:00:00Z".parse().unwrap();
    let mut tx = store.begin_import(&Actor::System).await.expect("begin");
    for chunk in rows.chunks(1000) {
        tx.write(chunk, false, at).await.expect("write");
    }
    tx
}

#[tokio::test]
async fn a_committed_bulk_import_keeps_the_holder_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh(&dir).await;
    let before = holder_index(&store)
        .await
        .expect("index made by the migration");
    let rows = rows();
    write_all(&store, &rows)
        .await
        .commit()
        .await
        .expect("commit");

    assert_eq!(holder_index(&store).await.as_deref(), Some(before.as_str()));
    assert_eq!(store.count_certificates().await.unwrap(), i64::from(ROWS));
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(check, "ok");
    // The holder lookup goes through the rebuilt index and finds the rows.
    let last = rows.last().unwrap();
    let found = store.certificates_of(&last.id, &last.name).await.unwrap();
    assert!(found.iter().any(|c| c.data.number == last.number));
    let plan: Vec<String> = sqlx::query(
        "EXPLAIN QUERY PLAN SELECT id FROM certificates WHERE id_index = ? AND name = ?",
    )
    .bind(vec![0u8; 32])
    .bind("a")
    .fetch_all(store.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
    .collect();
    assert!(
        plan.iter().any(|d| d.contains("certificates_holder_idx")),
        "{plan:?}"
    );
}

#[tokio::test]
async fn a_rolled_back_bulk_import_restores_the_holder_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh(&dir).await;
    let before = holder_index(&store)
        .await
        .expect("index made by the migration");
    let dump = store.dump().await.unwrap();
    write_all(&store, &rows())
        .await
        .rollback()
        .await
        .expect("rollback");

    assert_eq!(holder_index(&store).await.as_deref(), Some(before.as_str()));
    assert_eq!(store.dump().await.unwrap(), dump);
}
