//! The hot reads of a signed-in holder kept in this process's memory:
//! sessions by token hash, holders by id, the current terms and a
//! holder's certificates by ID document and name. Every authenticated
//! request reads all four; answered from memory, a holder's read costs no
//! trip to the database.
//!
//! What keeps an entry true: this store forgets what its own writes change
//! before they return ([`Cache::forget`]); the writes of other processes
//! reach it as the database's announcements where the engine makes them
//! (PostgreSQL's triggers of migration 0015 notify `zhengshu_changes` at
//! commit, [`Change::parse`]) — and the cache serves nothing while it is
//! not listening; an entry older than the dialect's time to live is read
//! again whatever happens (on SQLite, where other processes cannot
//! announce, this bounds how long another process's write goes unseen).
//! A read that started before a change is not kept: every change moves the
//! generation, and an entry is kept only under the generation its read
//! started in.
//!
//! A hand-written map rather than a caching crate: four small maps, one
//! lock held for a look-up, and invalidation by key or by kind is all it
//! needs.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use zhengshu_domain::{Certificate, Holder, TermsVersion};
use zhengshu_storage::SessionRecord;

use crate::verify_index::VerifyIndex;

/// Entries per map; a full map is emptied rather than grown.
const CAPACITY: usize = 100_000;

/// What a write changed, and so what must be read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// One session (by its token hash): ended or moved.
    Session(Vec<u8>),
    /// One holder: its password, proof, terms agreed, link; its sessions
    /// with it.
    Holder(i64),
    /// Any holder (an identity proof can take one from another account).
    Holders,
    /// The current terms.
    Terms,
    /// Any certificate, or the bodies and types shown with them, changed
    /// by this store: the lists and the verification index.
    Certificates,
    /// Certificates were added or published (announced `c`): the lists.
    Lists,
    /// Certificates, bodies or types were updated or deleted (announced
    /// `v`): the verification index.
    Verification,
    /// The state of the annotation whose 查验码 this is (announced
    /// `a:<code>`; a withdrawal).
    Annotation(String),
}

impl Change {
    /// An announcement's payload (`s:<hex>`, `h:<id>`, `t`, `c`, `v`,
    /// `a:<code>`); anything else is taken as every kind having changed.
    pub(crate) fn parse(payload: &str) -> Vec<Change> {
        let one = match payload.split_once(':') {
            Some(("s", hash)) => hex::decode(hash).ok().map(Change::Session),
            Some(("h", id)) => id.parse().ok().map(Change::Holder),
            None if payload == "t" => Some(Change::Terms),
            Some(("a", code)) if !code.is_empty() => Some(Change::Annotation(code.to_owned())),
            None if payload == "c" => Some(Change::Lists),
            None if payload == "v" => Some(Change::Verification),
            _ => None,
        };
        one.map(|c| vec![c])
            .unwrap_or_else(|| vec![Change::Holders, Change::Terms, Change::Certificates])
    }
}

/// A holder's certificates are found by the blind index and type of the
/// ID document and the name.
pub(crate) type CertificatesKey = (Vec<u8>, String, String);

#[derive(Debug, Default)]
struct Maps {
    sessions: HashMap<Vec<u8>, (Instant, SessionRecord)>,
    holders: HashMap<i64, (Instant, Holder)>,
    terms: Option<(Instant, Option<TermsVersion>)>,
    certificates: HashMap<CertificatesKey, (Instant, Vec<Certificate>)>,
}

/// The cache of one store, shared by its clones.
#[derive(Debug)]
pub(crate) struct Cache {
    /// Entries are served and kept only while this is set: reads were
    /// asked to be cached and, where the engine announces changes, the
    /// store is listening.
    live: AtomicBool,
    generation: AtomicU64,
    ttl: Mutex<Duration>,
    maps: Mutex<Maps>,
    /// Whether other processes' writes are announced (PostgreSQL).
    announced: AtomicBool,
    /// Public verification's data ([`crate::verify_index`]), served while
    /// the cache is.
    pub(crate) index: VerifyIndex,
}

fn fresh<T>(entry: Option<&(Instant, T)>, ttl: Duration) -> Option<&T> {
    entry.filter(|(at, _)| at.elapsed() < ttl).map(|(_, v)| v)
}

impl Default for Cache {
    fn default() -> Self {
        Self {
            live: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            ttl: Mutex::new(Duration::ZERO),
            maps: Mutex::default(),
            announced: AtomicBool::new(false),
            index: VerifyIndex::default(),
        }
    }
}

impl Cache {
    fn maps(&self) -> std::sync::MutexGuard<'_, Maps> {
        // A panic while the lock was held leaves at worst a missing entry.
        self.maps.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ttl(&self) -> Duration {
        *self.ttl.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Entries are served while younger than `ttl`.
    pub(crate) fn set_ttl(&self, ttl: Duration) {
        *self.ttl.lock().unwrap_or_else(|e| e.into_inner()) = ttl;
    }

    /// Empties the maps; serves entries again or not, per `live`. Called
    /// with `false` when announcements may be missed, `true` once they
    /// are heard again.
    pub(crate) fn reset(&self, live: bool) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        *self.maps() = Maps::default();
        self.live.store(live, Ordering::SeqCst);
        self.index.empty();
    }

    /// Records whether other processes' writes are announced.
    pub(crate) fn set_announced(&self, announced: bool) {
        self.announced.store(announced, Ordering::SeqCst);
    }

    pub(crate) fn announced(&self) -> bool {
        self.announced.load(Ordering::SeqCst)
    }

    /// The generation a read starts in: what it finds may be kept under it.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(crate) fn serving(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    /// Forgets what `change` made stale.
    pub(crate) fn forget(&self, change: &Change) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        match change {
            Change::Annotation(code) => self.index.forget_code(code),
            Change::Certificates | Change::Verification => self.index.empty(),
            _ => {}
        }
        if !self.serving() {
            return;
        }
        let mut maps = self.maps();
        match change {
            Change::Session(hash) => {
                maps.sessions.remove(hash);
            }
            Change::Holder(id) => {
                maps.holders.remove(id);
                maps.sessions.retain(|_, (_, s)| s.holder_id != *id);
            }
            Change::Holders => {
                maps.holders.clear();
                maps.sessions.clear();
            }
            Change::Terms => maps.terms = None,
            Change::Certificates | Change::Lists => maps.certificates.clear(),
            Change::Verification | Change::Annotation(_) => {}
        }
    }

    /// Keeps an entry read in `generation`, unless something changed since.
    fn keep(&self, generation: u64, put: impl FnOnce(&mut Maps)) {
        if !self.serving() {
            return;
        }
        let mut maps = self.maps();
        // Checked under the lock: a change moves the generation before it
        // takes the lock to forget.
        if self.generation() == generation {
            put(&mut maps);
        }
    }

    /// The session of `hash`, live at `now`.
    pub(crate) fn session(&self, hash: &[u8], now: Timestamp) -> Option<SessionRecord> {
        if !self.serving() {
            return None;
        }
        let ttl = self.ttl();
        fresh(self.maps().sessions.get(hash), ttl)
            .filter(|s| s.expires_at > now)
            .cloned()
    }

    pub(crate) fn keep_session(&self, generation: u64, hash: &[u8], session: &SessionRecord) {
        self.keep(generation, |m| {
            if m.sessions.len() >= CAPACITY {
                m.sessions.clear();
            }
            m.sessions
                .insert(hash.to_vec(), (Instant::now(), session.clone()));
        });
    }

    pub(crate) fn holder(&self, id: i64) -> Option<Holder> {
        if !self.serving() {
            return None;
        }
        let ttl = self.ttl();
        fresh(self.maps().holders.get(&id), ttl).cloned()
    }

    pub(crate) fn keep_holder(&self, generation: u64, holder: &Holder) {
        self.keep(generation, |m| {
            if m.holders.len() >= CAPACITY {
                m.holders.clear();
            }
            m.holders
                .insert(holder.id, (Instant::now(), holder.clone()));
        });
    }

    /// `Some(current terms)` when known.
    pub(crate) fn terms(&self) -> Option<Option<TermsVersion>> {
        if !self.serving() {
            return None;
        }
        let ttl = self.ttl();
        fresh(self.maps().terms.as_ref(), ttl).cloned()
    }

    pub(crate) fn keep_terms(&self, generation: u64, terms: &Option<TermsVersion>) {
        self.keep(generation, |m| {
            m.terms = Some((Instant::now(), terms.clone()))
        });
    }

    pub(crate) fn certificates(&self, key: &CertificatesKey) -> Option<Vec<Certificate>> {
        if !self.serving() {
            return None;
        }
        let ttl = self.ttl();
        fresh(self.maps().certificates.get(key), ttl).cloned()
    }

    pub(crate) fn keep_certificates(
        &self,
        generation: u64,
        key: CertificatesKey,
        list: &[Certificate],
    ) {
        self.keep(generation, |m| {
            if m.certificates.len() >= CAPACITY {
                m.certificates.clear();
            }
            m.certificates.insert(key, (Instant::now(), list.to_vec()));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_name_what_changed() {
        assert_eq!(
            Change::parse("s:0aff"),
            vec![Change::Session(vec![10, 255])]
        );
        assert_eq!(Change::parse("h:42"), vec![Change::Holder(42)]);
        assert_eq!(Change::parse("t"), vec![Change::Terms]);
        assert_eq!(Change::parse("c"), vec![Change::Lists]);
        assert_eq!(Change::parse("v"), vec![Change::Verification]);
        assert_eq!(
            Change::parse("a:ABCD"),
            vec![Change::Annotation("ABCD".into())]
        );
        let all = vec![Change::Holders, Change::Terms, Change::Certificates];
        for odd in ["", "x", "s:zz", "h:", "h:1x", "c:1", "a:"] {
            assert_eq!(Change::parse(odd), all, "{odd:?}");
        }
    }

    fn session(holder_id: i64) -> SessionRecord {
        let t = Timestamp::from_second(1_700_000_000).unwrap();
        SessionRecord {
            holder_id,
            kind: zhengshu_storage::SessionKind::Api,
            created_at: t,
            last_seen_at: t,
            expires_at: t + jiff::SignedDuration::from_hours(1),
        }
    }

    #[test]
    fn nothing_is_served_until_started_nor_kept_across_a_change() {
        let now = Timestamp::from_second(1_700_000_100).unwrap();
        let cache = Cache::default();
        let g = cache.generation();
        cache.keep_session(g, b"a", &session(1));
        assert_eq!(cache.session(b"a", now), None, "not started");

        cache.set_ttl(Duration::from_secs(60));
        cache.reset(true);
        let g = cache.generation();
        cache.keep_session(g, b"a", &session(1));
        assert_eq!(cache.session(b"a", now), Some(session(1)));

        // A read that began before a change is not kept.
        let g = cache.generation();
        cache.forget(&Change::Terms);
        cache.keep_session(g, b"b", &session(2));
        assert_eq!(cache.session(b"b", now), None);

        // A holder's change forgets its sessions; others stay.
        let g = cache.generation();
        cache.keep_session(g, b"b", &session(2));
        cache.forget(&Change::Holder(1));
        assert_eq!(cache.session(b"a", now), None);
        assert_eq!(cache.session(b"b", now), Some(session(2)));

        // Expired sessions and stale entries are not served.
        let later = now + jiff::SignedDuration::from_hours(2);
        assert_eq!(cache.session(b"b", later), None);
        cache.set_ttl(Duration::ZERO);
        cache.reset(true);
        let g = cache.generation();
        cache.keep_session(g, b"b", &session(2));
        assert_eq!(
            cache.session(b"b", now),
            None,
            "older than its time to live"
        );

        // Not listening: nothing served.
        cache.set_ttl(Duration::from_secs(60));
        cache.reset(true);
        let g = cache.generation();
        cache.keep_session(g, b"b", &session(2));
        cache.reset(false);
        let g = cache.generation();
        cache.keep_session(g, b"b", &session(2));
        assert_eq!(cache.session(b"b", now), None);
    }
}
