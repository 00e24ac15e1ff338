//! Public verification's data held in this process's memory: issued
//! annotations by 查验码 and visible certificates by number, in the
//! compact form an answer is made of ([`VerifyAnnotation`],
//! [`VerifyCertificate`]). Every QR scan and every check by number is then
//! answered without a trip to the database, however the codes are spread
//! over the certificates — which a cache filled by demand alone cannot do
//! for a million codes checked at random.
//!
//! The index belongs to the store's cache of hot reads and is served only
//! while the cache is, so what keeps it true is the cache's: this store's
//! own writes forget what they change before they return; other
//! processes' writes arrive as announcements on PostgreSQL (migration
//! 0017: `a:<code>` when an annotation's state changes, `v` when
//! certificates, bodies or types are updated or deleted); on SQLite, where
//! nothing is announced and the only other process that changes
//! certificates is an import, the loader looks for a newly published
//! import every second. A withdrawal forgets one code; any change of
//! certificates empties the index, and the loader fills it again once
//! such changes have stopped for [`QUIET`]. Until then, and for whatever
//! it does not hold, the database answers, and an issued annotation or a
//! certificate it answers is kept. Only issued annotations (ready, or
//! withdrawn since) are kept: nothing else ever changes them, so a kept
//! one goes stale only by a withdrawal.
//!
//! Races are settled as in the cache: every change moves the index's
//! generation before it forgets, a read from the database is kept only
//! under the generation it started in, and a load is kept only if nothing
//! emptied the index while it ran (codes withdrawn meanwhile are forgotten
//! from its result).
//!
//! A hand-written pair of maps rather than a caching crate: nothing is
//! evicted (the loader stops at its limit and the database answers the
//! rest), and invalidation is by key or all at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use zhengshu_storage::{IndexStatus, VerifyAnnotation, VerifyCertificate};

/// How long certificates must stay unchanged before the index is loaded
/// again after they changed: an import or a run of corrections empties it
/// once rather than once per statement.
pub(crate) const QUIET: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub(crate) struct Maps {
    pub(crate) codes: HashMap<Box<str>, Arc<VerifyAnnotation>>,
    pub(crate) numbers: HashMap<Box<str>, Arc<VerifyCertificate>>,
}

#[derive(Debug, Default)]
struct State {
    maps: Maps,
    /// Codes withdrawn while a load runs, forgotten from its result.
    withdrawn_during_load: Option<Vec<Box<str>>>,
}

/// The index of one store, shared by its clones (through the cache).
#[derive(Debug)]
pub(crate) struct VerifyIndex {
    /// Moves at every change of what the index holds.
    generation: AtomicU64,
    /// Moves when the index is emptied; the loader watches it.
    emptied: tokio::sync::watch::Sender<u64>,
    /// Complete loads kept.
    loads: AtomicU64,
    /// The most entries of each map; 0 until the index is asked for.
    max: AtomicU64,
    state: RwLock<State>,
}

impl Default for VerifyIndex {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            emptied: tokio::sync::watch::Sender::new(0),
            loads: AtomicU64::new(0),
            max: AtomicU64::new(0),
            state: RwLock::default(),
        }
    }
}

impl VerifyIndex {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A panic while the lock was held leaves at worst a missing entry.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Holds up to `max` entries of each kind from now on.
    pub(crate) fn enable(&self, max: usize) {
        self.max.store(max as u64, Ordering::SeqCst);
    }

    /// Tells of every emptying from now on: the loader's wake-up.
    pub(crate) fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.emptied.subscribe()
    }

    pub(crate) fn max(&self) -> usize {
        usize::try_from(self.max.load(Ordering::SeqCst)).unwrap_or(usize::MAX)
    }

    /// The generation a read starts in: what it finds may be kept under it.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// How many times the index was emptied: a load is kept only if this
    /// did not move while it ran.
    pub(crate) fn emptied(&self) -> u64 {
        *self.emptied.borrow()
    }

    /// Forgets the annotation of `code`: it was withdrawn (or its state
    /// changed some other way).
    pub(crate) fn forget_code(&self, code: &str) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let mut state = self.write();
        state.maps.codes.remove(code);
        if let Some(during) = &mut state.withdrawn_during_load {
            during.push(code.into());
        }
    }

    /// Empties the index (certificates, bodies or types changed, or
    /// changes may have been missed); the loader fills it again.
    pub(crate) fn empty(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let mut state = self.write();
        state.maps = Maps::default();
        // Under the lock, which a load's end takes to compare.
        self.emptied.send_modify(|n| *n += 1);
    }

    pub(crate) fn code(&self, code: &str) -> Option<Arc<VerifyAnnotation>> {
        self.read().maps.codes.get(code).cloned()
    }

    pub(crate) fn number(&self, number: &str) -> Option<Arc<VerifyCertificate>> {
        self.read().maps.numbers.get(number).cloned()
    }

    /// Keeps an issued annotation read in `generation`, unless something
    /// changed since or the index is full.
    pub(crate) fn keep_code(&self, generation: u64, code: &str, a: &Arc<VerifyAnnotation>) {
        if !a.issued() {
            return;
        }
        let max = self.max();
        let mut state = self.write();
        // Checked under the lock: a change moves the generation before it
        // takes the lock to forget.
        if self.generation() == generation && state.maps.codes.len() < max {
            state.maps.codes.insert(code.into(), a.clone());
        }
    }

    /// Keeps a certificate read in `generation`, as [`Self::keep_code`].
    pub(crate) fn keep_number(&self, generation: u64, c: &Arc<VerifyCertificate>) {
        let max = self.max();
        let mut state = self.write();
        if self.generation() == generation && state.maps.numbers.len() < max {
            state.maps.numbers.insert(c.number.clone(), c.clone());
        }
    }

    /// A load starts: withdrawals from now on are noted for its result.
    pub(crate) fn load_starts(&self) -> u64 {
        self.write().withdrawn_during_load = Some(Vec::new());
        self.emptied()
    }

    /// A load that started when [`Self::emptied`] was `emptied` ends with
    /// `loaded`: kept (less what was withdrawn meanwhile, plus what was
    /// kept meanwhile) unless the index was emptied since. Answers whether
    /// it was kept.
    pub(crate) fn load_ends(&self, emptied: u64, mut loaded: Maps) -> bool {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let mut state = self.write();
        let withdrawn = state.withdrawn_during_load.take().unwrap_or_default();
        if self.emptied() != emptied {
            return false;
        }
        for code in &withdrawn {
            loaded.codes.remove(code);
        }
        let kept = std::mem::take(&mut state.maps);
        for (code, a) in kept.codes {
            loaded.codes.entry(code).or_insert(a);
        }
        for (number, c) in kept.numbers {
            loaded.numbers.entry(number).or_insert(c);
        }
        state.maps = loaded;
        self.loads.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// How many loads were kept, and how many annotations and
    /// certificates it holds.
    pub(crate) fn status(&self) -> IndexStatus {
        let state = self.read();
        IndexStatus {
            loads: self.loads.load(Ordering::SeqCst),
            annotations: state.maps.codes.len(),
            certificates: state.maps.numbers.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhengshu_domain::{AnnotationState, CertificateStatus};

    fn certificate(number: &str) -> Arc<VerifyCertificate> {
        Arc::new(VerifyCertificate {
            id: 1,
            number: number.into(),
            holder_name: "张三".into(),
            id_number_masked: "1101**********0011".into(),
            qualification: "执业药师".into(),
            issuing_body: "国家药监局".into(),
            status: CertificateStatus::Valid,
        })
    }

    fn annotation(state: AnnotationState) -> Arc<VerifyAnnotation> {
        Arc::new(VerifyAnnotation {
            id: 7,
            number: "JZ2026120100000007".into(),
            scenario: "self_use".into(),
            stored_state: state,
            valid_from: None,
            valid_until: None,
            withdrawn_at: None,
            document_sha256: None,
            certificate: certificate("ZY1"),
        })
    }

    #[test]
    fn only_issued_annotations_are_kept_and_not_across_a_change() {
        let index = VerifyIndex::default();
        index.enable(10);
        let g = index.generation();
        index.keep_code(g, "PENDING", &annotation(AnnotationState::Generating));
        assert_eq!(index.code("PENDING"), None, "not issued");
        index.keep_code(g, "A", &annotation(AnnotationState::Ready));
        assert!(index.code("A").is_some());

        // A read that began before a change is not kept.
        let g = index.generation();
        index.forget_code("A");
        assert_eq!(index.code("A"), None);
        index.keep_code(g, "A", &annotation(AnnotationState::Ready));
        assert_eq!(index.code("A"), None, "read before the withdrawal");

        let g = index.generation();
        index.keep_number(g, &certificate("ZY1"));
        assert!(index.number("ZY1").is_some());
        index.empty();
        assert_eq!(index.number("ZY1"), None);
    }

    #[test]
    fn a_full_index_keeps_no_more() {
        let index = VerifyIndex::default();
        index.enable(1);
        let g = index.generation();
        index.keep_number(g, &certificate("ZY1"));
        index.keep_number(g, &certificate("ZY2"));
        assert_eq!(
            (index.status().annotations, index.status().certificates),
            (0, 1)
        );
        assert_eq!(index.number("ZY2"), None);
    }

    #[test]
    fn a_load_keeps_withdrawals_made_while_it_ran_and_is_dropped_if_emptied() {
        let index = VerifyIndex::default();
        index.enable(10);
        let mut loaded = Maps::default();
        loaded
            .codes
            .insert("A".into(), annotation(AnnotationState::Ready));
        loaded
            .codes
            .insert("B".into(), annotation(AnnotationState::Ready));
        let started = index.load_starts();
        index.forget_code("B");
        assert!(index.load_ends(started, loaded));
        assert_eq!(index.status().loads, 1);
        assert!(index.code("A").is_some());
        assert_eq!(index.code("B"), None, "withdrawn while loading");

        let mut loaded = Maps::default();
        loaded.numbers.insert("ZY1".into(), certificate("ZY1"));
        let started = index.load_starts();
        index.empty();
        assert!(!index.load_ends(started, loaded));
        assert_eq!(index.status().loads, 1, "not kept");
        assert_eq!(index.number("ZY1"), None, "emptied while loading");
        assert_eq!(index.code("A"), None);
    }
}
