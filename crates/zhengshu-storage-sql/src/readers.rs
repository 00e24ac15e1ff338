//! Connections kept for the hot point reads (a verification by 查验码 or by
//! number, a holder's session and certificates) and for recording
//! verifications: a few connections taken from the pool once and held,
//! each behind its own lock.
//!
//! Why not the pool itself: sqlx's pool pings a connection every time it
//! goes back (and, by default, before it is handed out), so a one-statement
//! read through the pool costs two or three round trips to the database —
//! a trip to the connection's thread on SQLite, to the server on
//! PostgreSQL. A held connection costs one. A connection that fails with
//! anything but a database answer (I/O, protocol, a closed pool) is given
//! back to the pool, which closes it, and the slot takes a fresh one on its
//! next use.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool};
use tokio::sync::{Mutex, MutexGuard};

/// The held connections of one store; cheap to clone.
#[derive(Debug)]
pub(crate) struct Readers<DB: Database> {
    slots: Arc<[Mutex<Option<PoolConnection<DB>>>]>,
    next: Arc<AtomicUsize>,
}

impl<DB: Database> Clone for Readers<DB> {
    fn clone(&self) -> Self {
        Self {
            slots: self.slots.clone(),
            next: self.next.clone(),
        }
    }
}

/// One held connection, locked for one read.
pub(crate) struct Reader<'a, DB: Database> {
    slot: MutexGuard<'a, Option<PoolConnection<DB>>>,
}

impl<DB: Database> Readers<DB> {
    /// `n` slots (at least one), empty until first used.
    pub(crate) fn new(n: usize) -> Self {
        Self {
            slots: (0..n.max(1)).map(|_| Mutex::new(None)).collect(),
            next: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A free slot if one is free (starting from the next in turn), else
    /// the next in turn once it frees; its connection taken from `pool` if
    /// the slot has none.
    pub(crate) async fn get(&self, pool: &Pool<DB>) -> Result<Reader<'_, DB>, sqlx::Error> {
        let n = self.slots.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let free = (0..n).find_map(|i| self.slots[(start + i) % n].try_lock().ok());
        let mut slot = match free {
            Some(slot) => slot,
            None => self.slots[start].lock().await,
        };
        if slot.is_none() {
            *slot = Some(pool.acquire().await?);
        }
        Ok(Reader { slot })
    }
}

impl<DB: Database> Reader<'_, DB> {
    /// The connection.
    pub(crate) fn conn(&mut self) -> &mut DB::Connection {
        self.slot
            .as_mut()
            .expect("a reader holds a connection until it is discarded")
    }

    /// Passes `result` through, giving the connection back to the pool
    /// (which closes a broken one) when the error is not the database's
    /// answer to the statement.
    pub(crate) fn check<T>(mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if let Err(e) = &result
            && !matches!(
                e,
                sqlx::Error::RowNotFound
                    | sqlx::Error::Database(_)
                    | sqlx::Error::ColumnDecode { .. }
            )
        {
            self.slot.take();
        }
        result
    }
}
