//! Annotations and their generation queue on SQLite. Every write takes the
//! database's write lock first (`BEGIN IMMEDIATE`), so an application's
//! count and insert, and a job's claim, run one at a time.

use sqlx::{Sqlite, SqlitePool, Transaction};

async fn immediate(pool: &SqlitePool) -> zhengshu_storage::Result<Transaction<'static, Sqlite>> {
    pool.begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(crate::map_err)
}

zhengshu_storage::annotation_queries! {
    db: Sqlite,
    pool: SqlitePool,
    begin: immediate,
    lock_certificate: None::<&'static str>,
    claim_lock: "",
}
