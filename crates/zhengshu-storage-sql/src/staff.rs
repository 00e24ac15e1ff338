//! Staff and operator accounts, their enrolment, second factor (the last
//! TOTP step used, one-time recovery codes) and console sessions. Every
//! change to an account is audited in its own transaction; a TOTP step is
//! used up by one conditional `UPDATE`, so a code is accepted once however
//! many requests carry it. TOTP keys are stored sealed by the vault,
//! bound to the account's id.

use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Database};
use zhengshu_domain::{Actor, NewAuditEvent, Staff};
use zhengshu_storage::{
    Enrolment, NewStaff, NewStaffSession, Result, StaffSessionRecord, StorageError,
};

use crate::rows::{
    STAFF_COLUMNS, STAFF_SESSION_COLUMNS, StaffRow, StaffSessionRow, ms, totp_context,
};
use crate::{Conn, Dialect, SqlStore, insert_audit, map_err};

impl<D: Dialect> SqlStore<D>
where
    for<'c> &'c mut Conn<D>: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    usize: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'n> &'n str: sqlx::ColumnIndex<<D::Db as Database>::Row>,
    for<'v> i64: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> bool: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> String: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Vec<u8>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db> + sqlx::Type<D::Db>,
    for<'v> Option<String>: sqlx::Encode<'v, D::Db> + sqlx::Decode<'v, D::Db>,
    for<'v> Option<Vec<u8>>: sqlx::Decode<'v, D::Db>,
    for<'v> Option<i64>: sqlx::Encode<'v, D::Db>,
{
    pub(crate) async fn staff_where<T>(&self, condition: &str, value: T) -> Result<Staff>
    where
        T: for<'v> sqlx::Encode<'v, D::Db> + sqlx::Type<D::Db> + Send + 'static,
    {
        sqlx::query_as::<_, StaffRow>(AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE {condition}"
        )))
        .bind(value)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_staff(&self.vault)
    }

    pub(crate) async fn staff_enrolling(&self, hash: &[u8], now: Timestamp) -> Result<Staff> {
        sqlx::query_as::<_, StaffRow>(AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE enrolment_hash = $1 \
             AND enrolment_expires_ms > $2 AND NOT disabled"
        )))
        .bind(hash.to_vec())
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_staff(&self.vault)
    }

    pub(crate) async fn list_staff(&self, body: Option<&str>) -> Result<Vec<Staff>> {
        sqlx::query_as::<_, StaffRow>(AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE ($1 IS NULL OR body_code = $1) \
             ORDER BY username"
        )))
        .bind(body.map(str::to_owned))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .into_iter()
        .map(|r| r.into_staff(&self.vault))
        .collect()
    }

    pub(crate) async fn insert_staff(
        &self,
        new: &NewStaff,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<Staff> {
        let mut tx = D::begin_write(&self.pool).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO staff (username, body_code, role, enrolment_hash, enrolment_expires_ms, \
             created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(new.username.as_str().to_owned())
        .bind(new.body.as_ref().map(|b| b.as_str().to_owned()))
        .bind(new.role.code().to_owned())
        .bind(new.enrolment_hash.clone())
        .bind(ms(new.enrolment_expires))
        .bind(ms(at))
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        let appended = insert_audit::<D>(&mut tx, event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        self.staff_where("id = $1", id).await
    }

    pub(crate) async fn enrol(
        &self,
        id: i64,
        enrolment_hash: &[u8],
        e: &Enrolment,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE staff SET password_hash = $1, totp_secret = $2, totp_sealed = TRUE, \
             last_totp_step = $3, enrolment_hash = NULL, enrolment_expires_ms = NULL \
             WHERE id = $4 AND enrolment_hash = $5 AND enrolment_expires_ms > $6",
        )
        .bind(e.password_hash.clone())
        .bind(self.vault.seal_secret(&e.totp_secret, &totp_context(id)))
        .bind(e.totp_step)
        .bind(id)
        .bind(enrolment_hash.to_vec())
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if D::rows_affected(&done) != 1 {
            return Err(StorageError::NotFound);
        }
        sqlx::query("DELETE FROM staff_recovery_codes WHERE staff_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
        for h in &e.recovery_hashes {
            sqlx::query("INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES ($1, $2)")
                .bind(id)
                .bind(h.clone())
                .execute(&mut *tx)
                .await
                .map_err(map_err::<D>)?;
        }
        let staff: Staff = sqlx::query_as::<_, StaffRow>(AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err::<D>)?
        .into_staff(&self.vault)?;
        let event = NewAuditEvent {
            context: zhengshu_domain::AuditContext {
                body: staff.body.as_ref().map(|b| b.to_string()),
                role: Some(staff.role.code().to_owned()),
                address: None,
            },
            actor: Actor::Staff(staff.username.as_str().to_owned()),
            action: "staff.enrol".into(),
            subject: format!("staff:{}", staff.username.as_str()),
            before: None,
            after: Some(format!(
                r#"{{"recovery_codes":{}}}"#,
                e.recovery_hashes.len()
            )),
        };
        let appended = insert_audit::<D>(&mut tx, &event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(())
    }

    pub(crate) async fn totp_step(&self, id: i64, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE staff SET last_totp_step = $1 WHERE id = $2 AND last_totp_step < $1",
        )
        .bind(step)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        Ok(D::rows_affected(&done) == 1)
    }

    pub(crate) async fn recovery_code(&self, id: i64, hash: &[u8], at: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE staff_recovery_codes SET used_at_ms = $1 \
             WHERE staff_id = $2 AND code_hash = $3 AND used_at_ms IS NULL",
        )
        .bind(ms(at))
        .bind(id)
        .bind(hash.to_vec())
        .execute(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        Ok(D::rows_affected(&done) == 1)
    }

    pub(crate) async fn reset(
        &self,
        id: i64,
        enrolment_hash: &[u8],
        expires: Timestamp,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = D::begin_write(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE staff SET password_hash = NULL, totp_secret = NULL, totp_sealed = FALSE, \
             last_totp_step = 0, \
             enrolment_hash = $1, enrolment_expires_ms = $2 WHERE id = $3",
        )
        .bind(enrolment_hash.to_vec())
        .bind(ms(expires))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(map_err::<D>)?;
        if D::rows_affected(&done) != 1 {
            return Err(StorageError::NotFound);
        }
        for table in ["staff_recovery_codes", "staff_sessions"] {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE staff_id = $1"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err::<D>)?;
        }
        let appended = insert_audit::<D>(&mut tx, event, at).await?;
        tx.commit().await.map_err(map_err::<D>)?;
        self.announce(Some(&appended));
        Ok(())
    }

    /// Seals the TOTP keys stored in clear before keys were sealed.
    pub(crate) async fn seal_clear_totp(&self) -> Result<()> {
        let clear: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT id, totp_secret FROM staff WHERE totp_secret IS NOT NULL AND NOT totp_sealed",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        for (id, secret) in clear {
            sqlx::query(
                "UPDATE staff SET totp_secret = $1, totp_sealed = TRUE \
                 WHERE id = $2 AND NOT totp_sealed",
            )
            .bind(self.vault.seal_secret(&secret, &totp_context(id)))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err::<D>)?;
        }
        Ok(())
    }

    /// Writes account `id`'s TOTP key in clear, as a database from before
    /// keys were sealed holds it (tests of the sealing at start-up).
    pub async fn store_clear_totp(&self, id: i64, secret: &[u8]) -> Result<()> {
        sqlx::query("UPDATE staff SET totp_secret = $1, totp_sealed = FALSE WHERE id = $2")
            .bind(secret.to_vec())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err::<D>)?;
        Ok(())
    }

    pub(crate) async fn open_staff_session(
        &self,
        s: &NewStaffSession,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO staff_sessions (token_hash, staff_id, created_at_ms, last_seen_ms, \
             expires_at_ms) VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(s.token_hash.clone())
        .bind(s.staff_id)
        .bind(ms(at))
        .bind(ms(s.expires_at))
        .execute(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        Ok(())
    }

    pub(crate) async fn find_staff_session(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<StaffSessionRecord> {
        sqlx::query_as::<_, StaffSessionRow>(AssertSqlSafe(format!(
            "SELECT {STAFF_SESSION_COLUMNS} FROM staff_sessions \
             WHERE token_hash = $1 AND expires_at_ms > $2"
        )))
        .bind(token_hash.to_vec())
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err::<D>)?
        .try_into()
    }

    pub(crate) async fn move_staff_session(
        &self,
        token_hash: &[u8],
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE staff_sessions SET last_seen_ms = $1, expires_at_ms = $2 WHERE token_hash = $3",
        )
        .bind(ms(at))
        .bind(ms(expires_at))
        .bind(token_hash.to_vec())
        .execute(&self.pool)
        .await
        .map_err(map_err::<D>)?;
        Ok(())
    }

    pub(crate) async fn end_staff_session(&self, token_hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
            .bind(token_hash.to_vec())
            .execute(&self.pool)
            .await
            .map_err(map_err::<D>)?;
        Ok(())
    }
}
