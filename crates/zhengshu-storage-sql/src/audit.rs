//! The audit log as a hash chain. An append moves the single `audit_head`
//! row first (`UPDATE … RETURNING`), which takes the row's write lock on
//! PostgreSQL and the database's write lock on SQLite, so appends from any
//! number of transactions and processes queue one behind the other and
//! the chain cannot fork; the event stores its place, the previous hash
//! and its own ([`zhengshu_domain::chain_hash`]), and the head row the new
//! hash. Once the transaction commits, the store tells its
//! [`zhengshu_storage::AuditHeadSink`] the new head. Events recorded before
//! the chain existed are chained, oldest first, by [`SqlStore::seal_unchained`].

use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Database};
use zhengshu_domain::{AuditEvent, AuditHead, ChainFields, NewAuditEvent, SubjectRef, chain_hash};
use zhengshu_storage::{AuditFilter, Result};

use crate::rows::{AUDIT_COLUMNS, AuditRow, ms};
use crate::{Conn, Dialect, SqlStore, map_err};

/// An appended event: its row id and the chain's new head.
#[derive(Debug, Clone)]
pub(crate) struct Appended {
    pub id: i64,
    pub head: AuditHead,
}

/// Records an audit event on `conn` (inside the caller's transaction) as
/// the next link of the chain. The caller announces `head` after commit
/// ([`SqlStore::announce`]).
pub(crate) async fn insert_audit<D: Dialect>(
    conn: &mut Conn<D>,
    event: &NewAuditEvent,
    at: Timestamp,
) -> Result<Appended>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Vec<u8>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<String>: sqlx::Encode<'v, D::Db>,
{
    let (seq, prev): (i64, Vec<u8>) =
        sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *conn)
            .await
            .map_err(map_err::<D>)?;
    let actor = event.actor.label();
    let mut c = event.context.clone();
    if c.body.is_none() {
        c.body = body_of_subject::<D>(conn, &event.subject).await?;
    }
    let c = &c;
    let hash = chain_hash(&ChainFields {
        seq,
        at_ms: ms(at),
        actor: &actor,
        role: c.role.as_deref(),
        body: c.body.as_deref(),
        address: c.address.as_deref(),
        action: &event.action,
        subject: &event.subject,
        before: event.before.as_deref(),
        after: event.after.as_deref(),
        prev_hash: &prev,
    });
    let id = sqlx::query_scalar(
        "INSERT INTO audit_events (seq, at_ms, actor, role, body_code, address, action, subject, \
         before_json, after_json, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(seq)
    .bind(ms(at))
    .bind(actor)
    .bind(c.role.clone())
    .bind(c.body.clone())
    .bind(c.address.clone())
    .bind(event.action.clone())
    .bind(event.subject.clone())
    .bind(event.before.clone())
    .bind(event.after.clone())
    .bind(prev)
    .bind(hash.clone())
    .fetch_one(&mut *conn)
    .await
    .map_err(map_err::<D>)?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(hash.clone())
        .execute(&mut *conn)
        .await
        .map_err(map_err::<D>)?;
    Ok(Appended {
        id,
        head: AuditHead { count: seq, hash },
    })
}

/// The body an event about `subject` belongs to when its recorder did not
/// say: the body of the certificate (or of an annotation's certificate)
/// it concerns, read in the appending transaction, so that holders' and
/// workers' events reach that body's auditors.
async fn body_of_subject<D: Dialect>(conn: &mut Conn<D>, subject: &str) -> Result<Option<String>>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
{
    const BY_CERTIFICATE: &str = "SELECT q.body_code FROM certificates c \
         JOIN qualification_types q ON q.code = c.qualification_code WHERE c.number = $1";
    const BY_ANNOTATION: &str = "SELECT q.body_code FROM annotations a \
         JOIN certificates c ON c.id = a.certificate_id \
         JOIN qualification_types q ON q.code = c.qualification_code WHERE a.id = $1";
    let found = match SubjectRef::parse(subject) {
        SubjectRef::Certificate(number) => sqlx::query_scalar::<_, String>(BY_CERTIFICATE)
            .bind(number.to_owned())
            .fetch_optional(&mut *conn)
            .await
            .map_err(map_err::<D>)?,
        SubjectRef::Annotation(id) => sqlx::query_scalar::<_, String>(BY_ANNOTATION)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(map_err::<D>)?,
        SubjectRef::Body(code) => Some(code.to_owned()),
        SubjectRef::Other => None,
    };
    Ok(found)
}

impl<D: Dialect> SqlStore<D>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'n> &'n str: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Vec<u8>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<String>: sqlx::Encode<'v, D::Db>,
{
    /// Tells the sink, if any, the head a committed append left.
    pub(crate) fn announce(&self, appended: Option<&Appended>) {
        if let (Some(sink), Some(a)) = (&self.sink, appended) {
            sink.appended(&a.head);
        }
    }

    /// Records one event in its own write transaction.
    pub(crate) async fn record_event(&self, event: &NewAuditEvent, at: Timestamp) -> Result<i64> {
        let mut tx = D::begin_write(&self.pool).await?;
        let appended = insert_audit::<D>(&mut tx, event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(appended.id)
    }

    /// Chains the events recorded before the chain existed, oldest first,
    /// after whatever is chained already.
    pub(crate) async fn seal_unchained(&self) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        let rows = sqlx::query_as::<_, AuditRow>(AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE seq IS NULL ORDER BY id"
        )))
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if rows.is_empty() {
            return Ok(());
        }
        let (mut seq, mut prev): (i64, Vec<u8>) =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
        for row in rows {
            let mut e = AuditEvent::try_from(row)?;
            seq += 1;
            e.seq = seq;
            e.prev_hash = prev;
            e.hash = chain_hash(&e.chain_fields());
            sqlx::query(
                "UPDATE audit_events SET seq = $1, prev_hash = $2, hash = $3 WHERE id = $4",
            )
            .bind(seq)
            .bind(e.prev_hash.clone())
            .bind(e.hash.clone())
            .bind(e.id)
            .execute(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
            prev = e.hash;
        }
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(prev.clone())
            .execute(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&Appended {
            id: 0,
            head: AuditHead {
                count: seq,
                hash: prev,
            },
        }));
        Ok(())
    }

    pub(crate) async fn chain_after(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>> {
        sqlx::query_as::<_, AuditRow>(AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
        )))
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_iter()
        .map(AuditEvent::try_from)
        .collect()
    }

    pub(crate) async fn head(&self) -> Result<AuditHead> {
        let (count, hash): (i64, Vec<u8>) =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&self.pool)
                .await
                .map_err(map_err::<D>)?;
        Ok(AuditHead { count, hash })
    }

    pub(crate) async fn events_about(
        &self,
        subject: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>> {
        sqlx::query_as::<_, AuditRow>(AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events \
             WHERE ($1 IS NULL OR subject = $1) ORDER BY seq DESC LIMIT $2"
        )))
        .bind(subject.map(str::to_owned))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_iter()
        .map(AuditEvent::try_from)
        .collect()
    }

    /// A page of the events `f` selects and how many it selects; the
    /// filters are bound parameters, the order one of two fixed texts.
    pub(crate) async fn page(&self, f: &AuditFilter) -> Result<(Vec<AuditEvent>, i64)> {
        let mut conds = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(b) = &f.body {
            args.push(b.clone());
            conds.push(format!("body_code = ${}", args.len()));
        }
        if let Some(a) = &f.action {
            // A prefix match without LIKE's wildcards.
            args.push(a.clone());
            conds.push(format!(
                "substr(action, 1, length(${n})) = ${n}",
                n = args.len()
            ));
        }
        if let Some(a) = &f.actor {
            args.push(a.clone());
            conds.push(format!("actor = ${}", args.len()));
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM audit_events {filter}"
        )));
        for a in &args {
            count = count.bind(a.clone());
        }
        let total = count.fetch_one(&self.pool).await.map_err(map_err::<D>)?;
        let order = if f.ascending { "ASC" } else { "DESC" };
        let n = args.len();
        let mut q = sqlx::query_as::<_, AuditRow>(AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events {filter} ORDER BY seq {order} \
             LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        )));
        for a in &args {
            q = q.bind(a.clone());
        }
        let events = q
            .bind(f.limit.clamp(1, 1000))
            .bind(f.offset.max(0))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err::<D>)?
            .into_iter()
            .map(AuditEvent::try_from)
            .collect::<Result<Vec<_>>>()?;
        Ok((events, total))
    }
}

/// What a test does to the audit log behind the chain's back, as someone
/// with write access to the database could.
#[derive(Debug, Clone, Copy)]
pub enum Tamper {
    /// Rewrites the `after` of event `seq`.
    Edit(i64),
    /// Deletes event `seq`.
    Delete(i64),
    /// Deletes the newest `n` events and winds the head row back to match.
    CutNewest(i64),
}

impl<D: Dialect> SqlStore<D>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Vec<u8>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
{
    /// Tampers with the audit log (tests of `zhengshu audit verify`).
    pub async fn tamper_audit(&self, t: Tamper) -> Result<()> {
        let mut conn = self.pool.acquire().await.map_err(map_err::<D>)?;
        match t {
            Tamper::Edit(seq) => {
                sqlx::query(
                    "UPDATE audit_events SET after_json = '{\"edited\":true}' WHERE seq = $1",
                )
                .bind(seq)
                .execute(&mut *conn)
                .await
                .map_err(map_err::<D>)?;
            }
            Tamper::Delete(seq) => {
                sqlx::query("DELETE FROM audit_events WHERE seq = $1")
                    .bind(seq)
                    .execute(&mut *conn)
                    .await
                    .map_err(map_err::<D>)?;
            }
            Tamper::CutNewest(n) => {
                let (count,): (i64,) = sqlx::query_as("SELECT seq FROM audit_head WHERE id = 1")
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(map_err::<D>)?;
                let keep = count - n;
                sqlx::query("DELETE FROM audit_events WHERE seq > $1")
                    .bind(keep)
                    .execute(&mut *conn)
                    .await
                    .map_err(map_err::<D>)?;
                let (hash,): (Vec<u8>,) =
                    sqlx::query_as("SELECT hash FROM audit_events WHERE seq = $1")
                        .bind(keep)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(map_err::<D>)?;
                sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                    .bind(keep)
                    .bind(hash)
                    .execute(&mut *conn)
                    .await
                    .map_err(map_err::<D>)?;
            }
        }
        Ok(())
    }
}
