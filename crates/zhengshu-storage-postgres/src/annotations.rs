//! Annotations and their generation queue on PostgreSQL. An application
//! locks its certificate's row (`FOR UPDATE`) before counting, so
//! applications for one certificate run one after the other while others
//! go on in parallel; workers claim jobs with `FOR UPDATE SKIP LOCKED`.

use sqlx::{PgPool, Postgres, Transaction};

async fn begin(pool: &PgPool) -> zhengshu_storage::Result<Transaction<'static, Postgres>> {
    pool.begin().await.map_err(crate::map_err)
}

zhengshu_storage::annotation_queries! {
    db: Postgres,
    pool: PgPool,
    begin: begin,
    lock_certificate: Some("SELECT id FROM certificates WHERE id = $1 FOR UPDATE"),
    claim_lock: "FOR UPDATE SKIP LOCKED",
}
