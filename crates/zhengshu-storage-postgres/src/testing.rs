//! Fresh databases for tests: each [`FreshPg`] is a new database created
//! on the server named by `ZHENGSHU_TEST_PG_URL`, migrated, and dropped
//! when the value is dropped.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{AssertSqlSafe, Connection, PgConnection};
use zhengshu_storage::{IdVault, Storage};

use crate::PgStore;

pub const ENV: &str = "ZHENGSHU_TEST_PG_URL";

/// The server URL tests use. Panics with what to do when it is not set:
/// PostgreSQL tests are never skipped silently.
pub fn server_url() -> String {
    std::env::var(ENV).unwrap_or_else(|_| {
        panic!(
            "{ENV} is not set: PostgreSQL tests need a server, e.g. \
             {ENV}=postgres://postgres@127.0.0.1:5432/test (the README's test command sets it)"
        )
    })
}

/// Replaces the database name in a `postgres://` URL.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// A migrated store on a database of its own.
#[derive(Debug)]
pub struct FreshPg {
    pub store: PgStore,
    pub url: String,
    server: String,
    name: String,
}

impl FreshPg {
    pub async fn new(vault: IdVault) -> Self {
        let fresh = Self::empty(vault).await;
        fresh
            .store
            .migrate()
            .await
            .expect("migrate the test database");
        fresh
    }

    /// A new database with nothing in it, not even the migrations.
    pub async fn empty(vault: IdVault) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let server = server_url();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!(
            "zhengshu_test_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgConnection::connect(&server)
            .await
            .expect("connect to the test server");
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = with_database(&server, &name);
        let store = PgStore::connect(&url, vault)
            .await
            .expect("connect to the test database");
        Self {
            store,
            url,
            server,
            name,
        }
    }
}

impl std::ops::Deref for FreshPg {
    type Target = PgStore;
    fn deref(&self) -> &PgStore {
        &self.store
    }
}

impl Drop for FreshPg {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Dropping needs async work; do it on a thread and runtime of its
        // own so that it works from inside or outside a runtime. The pool's
        // connections belong to the test's runtime, which is blocked here:
        // FORCE ends them from the server side instead of closing the pool.
        let done = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&server).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sqlx::query(AssertSqlSafe(sql)).execute(&mut admin).await;
                }
            });
        });
        let _ = done.join();
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database() {
        assert_eq!(
            with_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
