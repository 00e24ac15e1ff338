//! Bulk insertion on SQLite: prepared multi-row inserts (the same statement
//! text for every full batch, so it is prepared once) that skip existing
//! numbers, and who runs an import (the process, by its ID and start time,
//! read from `/proc`).

use std::collections::HashSet;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use zhengshu_domain::NewCertificate;
use zhengshu_storage::{IdVault, Result};
use zhengshu_storage_sql::rows::{day_text, ms};
use zhengshu_storage_sql::{BulkInsert, map_err};

use crate::SqliteDialect;

/// Needs no state of its own.
#[derive(Debug, Default)]
pub struct SqliteBulk;

#[async_trait]
impl BulkInsert<SqliteDialect> for SqliteBulk {
    async fn insert(
        &mut self,
        conn: &mut SqliteConnection,
        rows: &[NewCertificate],
        vault: &IdVault,
        at: Timestamp,
        batch: i64,
    ) -> Result<HashSet<String>> {
        let mut inserted = HashSet::with_capacity(rows.len());
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            inserted.extend(insert_chunk(conn, chunk, vault, ms(at), batch).await?);
        }
        Ok(inserted)
    }
}

/// Rows per `INSERT`: SQLite binds at most 32,766 parameters per
/// statement (a batch may be larger); every full chunk has the same text,
/// prepared once. Placeholders are `?`, bound in order: numbered ones
/// would be looked up by name, at a cost that grows with their square.
const ROWS_PER_INSERT: usize = 1000;

async fn insert_chunk(
    conn: &mut SqliteConnection,
    rows: &[NewCertificate],
    vault: &IdVault,
    now: i64,
    batch: i64,
) -> Result<Vec<String>> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "INSERT INTO certificates (number, management_number, name, sex, birth_date, id_type, \
         id_cipher, id_index, qualification_code, category, specialty, level, approval_date, \
         issue_date, photo, created_at_ms, updated_at_ms, import_batch) ",
    );
    qb.push_values(rows, |mut b, r| {
        let sealed = vault.seal(&r.id);
        b.push_bind(r.number.as_str().to_owned())
            .push_bind(r.management_number.clone())
            .push_bind(r.name.as_str().to_owned())
            .push_bind(r.sex.map(|s| s.code()))
            .push_bind(day_text(r.birth_date))
            .push_bind(r.id.id_type.code())
            .push_bind(sealed.cipher)
            .push_bind(sealed.index)
            .push_bind(r.qualification.as_str().to_owned())
            .push_bind(r.category.clone())
            .push_bind(r.specialty.clone())
            .push_bind(r.level.clone())
            .push_bind(day_text(r.approval_date))
            .push_bind(r.issue_date.to_string())
            .push_bind(r.photo.clone())
            .push_bind(now)
            .push_bind(now)
            .push_bind(batch);
    });
    qb.push(" ON CONFLICT (number) DO NOTHING RETURNING number");
    qb.build_query_scalar::<String>()
        .persistent(true)
        .fetch_all(&mut *conn)
        .await
        .map_err(map_err::<SqliteDialect>)
}

/// This process, as `PID/START` (its start time in clock ticks since boot),
/// so that a later process that reuses the ID is not taken for it.
pub(crate) fn owner() -> String {
    let pid = std::process::id();
    format!("{pid}/{}", start_time(pid).unwrap_or_default())
}

/// Whether the process `owner` names still runs. Where `/proc` cannot be
/// read, every owner counts as running: an abandoned batch then stays
/// invisible until an operator removes it, never half-visible.
pub(crate) fn owner_alive(owner: &str) -> bool {
    let Some((pid, start)) = owner.split_once('/') else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    if !std::path::Path::new("/proc/self/stat").exists() {
        return true;
    }
    start_time(pid).is_some_and(|s| s == start)
}

/// Field 22 of `/proc/PID/stat`, read after the command name (which may
/// hold spaces and parentheses).
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    // Field 3 (state) is the first after the name; 22 is the 20th.
    rest.split_whitespace().nth(19).map(str::to_owned)
}
