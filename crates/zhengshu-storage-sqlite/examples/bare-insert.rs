//! The bare reference of the import benchmark on SQLite: copies the
//! certificates of database SRC into a new database DST whose
//! `certificates` table has the same columns and indexes, with prepared
//! multi-row inserts of 1,000 rows in one transaction, and prints the
//! insert rate. Only the inserts are timed (reading SRC is not).
//! Usage: `bare-insert SRC.db DST.db`.

use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Connection, QueryBuilder, Sqlite, SqliteConnection};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    number: String,
    management_number: Option<String>,
    name: String,
    sex: Option<String>,
    birth_date: Option<String>,
    id_type: String,
    id_cipher: Vec<u8>,
    id_index: Vec<u8>,
    qualification_code: String,
    category: Option<String>,
    specialty: Option<String>,
    level: Option<String>,
    approval_date: Option<String>,
    issue_date: String,
    photo: Option<String>,
    created_at_ms: i64,
    updated_at_ms: i64,
    import_batch: Option<i64>,
}

async fn open(path: &str) -> Result<SqliteConnection, sqlx::Error> {
    SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal),
    )
    .await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, src, dst] = args.as_slice() else {
        eprintln!("usage: bare-insert SRC.db DST.db");
        std::process::exit(2);
    };
    let mut src = open(src).await?;
    let mut dst = open(dst).await?;
    // The table and its indexes, as the source has them (without foreign
    // keys' parents, which the destination does not have).
    let schema: Vec<String> = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'certificates' AND sql IS NOT NULL \
         ORDER BY type DESC",
    )
    .fetch_all(&mut src)
    .await?;
    for sql in schema {
        let sql = sql.replace("REFERENCES qualification_types (code)", "");
        sqlx::query(AssertSqlSafe(sql)).execute(&mut dst).await?;
    }
    let mut tx = dst.begin().await?;
    let (mut last, mut rows, mut spent) = (0_i64, 0_u64, Duration::ZERO);
    loop {
        let chunk: Vec<Row> = sqlx::query_as(
            "SELECT id, number, management_number, name, sex, birth_date, id_type, id_cipher, \
             id_index, qualification_code, category, specialty, level, approval_date, \
             issue_date, photo, created_at_ms, updated_at_ms, import_batch FROM certificates \
             WHERE id > $1 ORDER BY id LIMIT 1000",
        )
        .bind(last)
        .fetch_all(&mut src)
        .await?;
        let Some(end) = chunk.last() else { break };
        last = end.id;
        let started = Instant::now();
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO certificates (number, management_number, name, sex, birth_date, \
             id_type, id_cipher, id_index, qualification_code, category, specialty, level, \
             approval_date, issue_date, photo, created_at_ms, updated_at_ms, import_batch) ",
        );
        qb.push_values(&chunk, |mut b, r| {
            b.push_bind(&r.number)
                .push_bind(&r.management_number)
                .push_bind(&r.name)
                .push_bind(&r.sex)
                .push_bind(&r.birth_date)
                .push_bind(&r.id_type)
                .push_bind(&r.id_cipher)
                .push_bind(&r.id_index)
                .push_bind(&r.qualification_code)
                .push_bind(&r.category)
                .push_bind(&r.specialty)
                .push_bind(&r.level)
                .push_bind(&r.approval_date)
                .push_bind(&r.issue_date)
                .push_bind(&r.photo)
                .push_bind(r.created_at_ms)
                .push_bind(r.updated_at_ms)
                .push_bind(r.import_batch);
        });
        qb.build().execute(&mut *tx).await?;
        spent += started.elapsed();
        rows += chunk.len() as u64;
    }
    let started = Instant::now();
    tx.commit().await?;
    spent += started.elapsed();
    let secs = spent.as_secs_f64().max(1e-9);
    println!(
        "bare: {rows} rows in {secs:.1} s ({:.0} rows/s)",
        rows as f64 / secs
    );
    Ok(())
}
