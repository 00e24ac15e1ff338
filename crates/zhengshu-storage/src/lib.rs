//! The storage interface of zhengshu: the [`Storage`] trait every backend
//! implements (the SQL of both engines is written once in
//! `zhengshu-storage-sql`; `zhengshu-storage-sqlite` and
//! `zhengshu-storage-postgres` add what differs), the [`StorageError`] it
//! answers with, the audit events every backend records alike, the records
//! of public verifications (with verifiers kept only as keyed hashes), the
//! record of every document issued, and the
//! [`IdVault`] that keeps ID numbers encrypted at rest (AES-256-GCM) with a
//! keyed blind index (HMAC-SHA256) for look-ups. Backends speak domain types
//! only; nothing here knows of HTTP or SQL.
#![forbid(unsafe_code)]

pub mod annotations;
pub mod certificates;
pub mod codes;
pub mod documents;
mod error;
pub mod identity;
pub mod imports;
pub mod reference;
pub mod staff;
mod vault;
pub mod verifications;

use std::sync::Arc;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use zhengshu_domain::{
    Actor, Annotation, AnnotationPolicy, AuditEvent, AuditHead, Certificate, CertificateNumber,
    Holder, HolderName, IdDocument, IdentityProof, IssueYears, IssuingBody, NewAnnotation,
    NewAuditEvent, NewCertificate, QualificationType, Revocation, Staff, TermsVersion, Username,
    VerificationCode,
};

pub use annotations::{Generated, Job, Retry};
pub use certificates::{
    CertificateFile, CertificateSearch, CertificateVersion, Correction, NewFile,
};
pub use codes::{CodeCheck, CodePurpose, NewCode};
pub use documents::IssuedDocument;
pub use error::{Conflict, StorageError};
pub use identity::Proven;
pub use imports::{ImportToken, NewImportToken, NewUpload, Upload, UploadCounts, UploadState};
pub use reference::ReferenceChange;
pub use staff::{
    AuditFilter, AuditHeadSink, Enrolment, HolderSearch, LinkedHolder, NewStaff, NewStaffSession,
    StaffSessionRecord,
};
pub use vault::{IdVault, SealedId, VaultKeys};
pub use verifications::{
    IndexStatus, NewVerification, VerifiableAnnotation, Verification, VerificationLog,
    VerifierHash, VerifierKey, VerifyAnnotation, VerifyCertificate,
};

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// A holder account to create.
#[derive(Debug, Clone)]
pub struct NewHolder {
    pub username: Username,
    pub name: HolderName,
    pub id_document: IdDocument,
    pub password_hash: String,
}

/// What [`Storage::listen_for_jobs`] calls when a job is announced.
pub type JobWake = std::sync::Arc<dyn Fn() + Send + Sync>;

/// A connection pool's use at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolUse {
    pub idle: u32,
    pub in_use: u32,
    pub max: u32,
}

/// Where a session was opened: a page session lives in a cookie, an API
/// session is a bearer token. A token of one kind is never accepted as the
/// other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Page,
    Api,
}

impl SessionKind {
    pub fn code(self) -> &'static str {
        match self {
            SessionKind::Page => "page",
            SessionKind::Api => "api",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "page" => Some(SessionKind::Page),
            "api" => Some(SessionKind::Api),
            _ => None,
        }
    }
}

/// A signed-in session to store. Only a hash of the token is kept, so a
/// copy of the database does not let anyone sign in.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: Vec<u8>,
    pub holder_id: i64,
    pub kind: SessionKind,
    pub expires_at: Timestamp,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub holder_id: i64,
    pub kind: SessionKind,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Failed log-ins recorded under one throttling key since some time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    pub count: i64,
    /// The earliest of them, if any.
    pub earliest: Option<Timestamp>,
}

/// One throttling key and how many attempts it may have within the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleRule {
    pub key: String,
    pub limit: i64,
}

/// The answer to [`Storage::reserve_attempt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt was counted under every key (one row each); release
    /// these rows when it succeeds so that it does not count as a failure.
    Granted(Vec<i64>),
    /// A key has reached its limit: nothing was counted; the earliest of
    /// that key's attempts in the window (the one whose expiry frees a
    /// slot), the latest such time over the full keys.
    Refused { oldest: Timestamp },
}

/// What happened to one row of an import batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    Inserted,
    /// The number exists already and was left as it was.
    Exists,
    Updated,
    /// `--update` found the stored certificate identical.
    Unchanged,
}

/// One import, as a batch: each [`ImportTx::write`] is a short transaction
/// of its own (the service's other writers never wait for the whole
/// import), yet nothing of the import is visible until [`ImportTx::commit`]
/// publishes it in one small write. [`ImportTx::rollback`] discards it; an
/// import dropped or killed without either is discarded by the next import.
#[async_trait]
pub trait ImportTx: Send {
    /// Rows per [`write`](Self::write) the engine does best with: as many
    /// as keep each write short where writers wait for one another.
    fn batch_rows(&self) -> usize;
    /// Inserts `rows`; with `update`, rows whose number exists replace the
    /// stored fields (and each change is audited with before and after).
    async fn write(
        &mut self,
        rows: &[NewCertificate],
        update: bool,
        at: Timestamp,
    ) -> Result<Vec<RowOutcome>>;
    /// Records an audit event, appended when the import is published.
    async fn audit(&mut self, event: &NewAuditEvent, at: Timestamp) -> Result<()>;
    async fn commit(self: Box<Self>) -> Result<()>;
    async fn rollback(self: Box<Self>) -> Result<()>;
}

/// Everything zhengshu keeps. Implemented once per database engine; the
/// story suite (`zhengshu-storage-story`) holds every implementation to the
/// same behaviour.
#[async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Applies the embedded migrations.
    async fn migrate(&self) -> Result<()>;
    /// Answers when the database does.
    async fn ping(&self) -> Result<()>;
    /// A deterministic text dump of every table, for backups checks and
    /// tests ("nothing changed").
    async fn dump(&self) -> Result<String>;

    /// Records each `(name, fingerprint)` of the installation's keys that
    /// is not on record yet (the first process to start defines the
    /// installation) and answers every fingerprint on record, by name. An
    /// empty slice only reads.
    async fn bind_keys(
        &self,
        fingerprints: &[(String, String)],
        at: Timestamp,
    ) -> Result<Vec<(String, String)>>;

    async fn put_issuing_body(&self, body: &IssuingBody) -> Result<()>;
    async fn issuing_bodies(&self) -> Result<Vec<IssuingBody>>;
    async fn put_qualification_type(&self, q: &QualificationType) -> Result<()>;
    async fn qualification_types(&self) -> Result<Vec<QualificationType>>;
    /// Applies an operator's change to the reference data and records
    /// `event`, atomically (see [`ReferenceChange`] for its conflicts).
    async fn change_reference(
        &self,
        change: &ReferenceChange,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()>;

    /// Starts an import (discarding those whose process died); `actor` is
    /// recorded on its audit events.
    async fn begin_import(&self, actor: &Actor) -> Result<Box<dyn ImportTx>>;
    async fn certificate(&self, id: i64) -> Result<Certificate>;
    async fn certificate_by_number(&self, number: &CertificateNumber) -> Result<Certificate>;
    /// The certificates of a holder: same ID type and number, same name.
    async fn certificates_of(&self, id: &IdDocument, name: &HolderName)
    -> Result<Vec<Certificate>>;
    async fn count_certificates(&self) -> Result<i64>;
    /// Per qualification type with certificates, the first and last issue
    /// year on record and how many certificates (revoked ones included),
    /// ordered by qualification code.
    async fn issue_years(&self) -> Result<Vec<IssueYears>>;
    /// Revokes a valid certificate and audits it, atomically. `Conflict`
    /// when it is revoked already.
    async fn revoke_certificate(
        &self,
        number: &CertificateNumber,
        revocation: &Revocation,
        actor: &Actor,
    ) -> Result<()>;

    /// The visible certificates of `body` (of every body for `None`) that
    /// `search` finds, in the order of their numbers: the first `limit`
    /// whose number comes after `after` (a page starts where the last
    /// ended).
    async fn find_certificates(
        &self,
        body: Option<&str>,
        search: &CertificateSearch,
        after: Option<&CertificateNumber>,
        limit: i64,
    ) -> Result<Vec<Certificate>>;
    /// Revokes certificate `id` if it is a visible, valid certificate of
    /// `body`, and records `event`, in one transaction: `NotFound` when it
    /// is not one of `body`'s, `Conflict::AlreadyRevoked` when revoked.
    async fn revoke_in_body(
        &self,
        id: i64,
        body: &str,
        revocation: &Revocation,
        event: &NewAuditEvent,
    ) -> Result<()>;
    /// Undoes the revocation of certificate `id` and records `event`, in
    /// one transaction: `NotFound` when absent, `Conflict::Changed` when
    /// it is not revoked.
    async fn reinstate_certificate(
        &self,
        id: i64,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()>;

    /// Corrects certificate `id` of `body`: its fields become
    /// `correction.after`, the version replaced is kept, and `event` is
    /// recorded, in one transaction. `NotFound` when it is not a visible
    /// certificate of `body`; `Conflict::Changed` when it is no longer
    /// `correction.before`.
    async fn correct_certificate(
        &self,
        id: i64,
        body: &str,
        correction: &Correction,
        event: &NewAuditEvent,
    ) -> Result<()>;
    /// The versions corrections replaced of certificate `id`, newest first.
    async fn certificate_versions(&self, id: i64) -> Result<Vec<CertificateVersion>>;
    /// When certificates that had this identity (ID document and name)
    /// were corrected away from it, oldest first: what a holder account
    /// registered with the old identity is told, and nothing more.
    async fn corrections_of_identity(
        &self,
        id: &IdDocument,
        name: &HolderName,
    ) -> Result<Vec<Timestamp>>;

    /// Attaches `file` to certificate `id` of `body` (its content stored
    /// once under its hash) and records `event`, in one transaction;
    /// answers the attachment's id. `NotFound` when it is not a visible
    /// certificate of `body`.
    async fn add_certificate_file(
        &self,
        id: i64,
        body: &str,
        file: &NewFile,
        event: &NewAuditEvent,
    ) -> Result<i64>;
    /// The files attached to certificate `id`, retired ones included, in
    /// the order they were attached.
    async fn certificate_files(&self, id: i64) -> Result<Vec<CertificateFile>>;
    /// Attachment `file` with its content.
    async fn certificate_file(&self, file: i64) -> Result<(CertificateFile, Vec<u8>)>;
    /// Retires attachment `file` of a certificate of `body` (kept, no
    /// longer shown to the holder) and records `event`, in one
    /// transaction: `NotFound` when it is not one of `body`'s,
    /// `Conflict::Changed` when retired already.
    async fn retire_certificate_file(
        &self,
        file: i64,
        body: &str,
        by: &str,
        reason: &str,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()>;

    /// `Conflict::Username` when the username is taken. Several accounts
    /// may claim one ID document; none has proven it yet.
    async fn create_holder(&self, holder: &NewHolder, at: Timestamp) -> Result<i64>;
    async fn holder(&self, id: i64) -> Result<Holder>;
    async fn holder_by_username(&self, username: &Username) -> Result<Holder>;
    /// The account that holds `id` proven, if any (at most one does);
    /// `NotFound` when none has proven it.
    async fn proven_holder(&self, id: &IdDocument) -> Result<Holder>;
    /// Records that `holder` proved its identity by `proof`, audited, in one
    /// transaction: an account holding the same ID document with a weaker
    /// proof loses it (and is marked to be told at its next log-in, its
    /// annotations pass to the prover, audited too), and so does one whose
    /// registration matches no visible certificate any more (a correction
    /// took them away) when `holder`'s matches one and proves at least as
    /// strongly ([`zhengshu_domain::IdentityProof::takes`]); otherwise it
    /// keeps it, and the answer is `Conflict::IdentityHeld`. At most one
    /// account holds an ID document
    /// proven, however many prove at once. The account keeps the stronger
    /// of its old and new proof.
    async fn prove_identity(
        &self,
        holder: i64,
        proof: IdentityProof,
        at: Timestamp,
    ) -> Result<Proven>;
    /// Forgets that another account took this holder's identity (the
    /// holder has been told).
    async fn clear_identity_taken(&self, holder: i64) -> Result<()>;
    /// Replaces the account's password hash and ends every session of the
    /// account, audited, in one transaction.
    async fn set_password(
        &self,
        holder: i64,
        password_hash: &str,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()>;

    /// Stores a one-time code (its keyed hash); the holder's earlier live
    /// code of the same purpose ends.
    async fn store_code(&self, code: &NewCode, at: Timestamp) -> Result<()>;
    /// Checks `hash` against the holder's live code of `purpose` (not
    /// used, not expired at `now`, fewer than `max_tries` tries): counts
    /// one try, and uses the code up when it matches. A code is accepted
    /// at most once however many checks arrive at once.
    async fn use_code(
        &self,
        holder: i64,
        purpose: CodePurpose,
        hash: &[u8],
        max_tries: i32,
        now: Timestamp,
    ) -> Result<CodeCheck>;

    /// Publishes the next terms version.
    async fn publish_terms(&self, text: &str, at: Timestamp) -> Result<TermsVersion>;
    async fn current_terms(&self) -> Result<Option<TermsVersion>>;
    /// Every terms version, newest first.
    async fn terms_versions(&self) -> Result<Vec<TermsVersion>>;
    async fn accept_terms(&self, holder: i64, version: i32, at: Timestamp) -> Result<()>;

    /// Stores a new session; `Conflict` if the token hash exists (a
    /// collision of 256-bit random tokens: never in practice).
    async fn create_session(&self, session: &NewSession, at: Timestamp) -> Result<()>;
    /// The session stored under `token_hash` if it is still live at `now`;
    /// `NotFound` when absent or expired.
    async fn session(&self, token_hash: &[u8], now: Timestamp) -> Result<SessionRecord>;
    /// Records use of a session and moves its expiry (idle timeout).
    async fn touch_session(
        &self,
        token_hash: &[u8],
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// Ends a session (log-out); ending an absent one is not an error.
    async fn delete_session(&self, token_hash: &[u8]) -> Result<()>;

    /// Records one failed log-in under each throttling key (an account, a
    /// client address), all at `at`.
    async fn record_login_failure(&self, keys: &[String], at: Timestamp) -> Result<()>;
    /// The failures recorded under `key` at or after `since`.
    async fn login_failures(&self, key: &str, since: Timestamp) -> Result<LoginFailures>;
    /// Forgets the failures under `key` (after a successful log-in).
    async fn clear_login_failures(&self, key: &str) -> Result<()>;
    /// Counts an attempt before its password is checked: in one write
    /// transaction that excludes other reservations of the same keys, reads
    /// the attempts recorded under each rule's key at or after `since`;
    /// when every key is under its limit, records one under each (at
    /// `now`) and answers their ids, otherwise records nothing. So N
    /// simultaneous attempts get at most `limit` slots.
    async fn reserve_attempt(
        &self,
        rules: &[ThrottleRule],
        since: Timestamp,
        now: Timestamp,
    ) -> Result<Reservation>;
    /// Removes the rows of a granted reservation (the attempt succeeded).
    async fn release_attempt(&self, ids: &[i64]) -> Result<()>;
    /// Deletes sessions expired by `now` and failures older than
    /// `failures_before`; housekeeping, safe to run at any time.
    async fn purge_expired(&self, now: Timestamp, failures_before: Timestamp) -> Result<()>;

    /// Applies for an annotation: counts the certificate's annotations
    /// that count against `policy`'s limit on `new.applied_on` and, when it
    /// holds, stores the annotation (state generating, its 加注编号 made from
    /// its id), its generation job and the audit event, in one transaction
    /// serialised per certificate, so that the limit holds however many
    /// applications arrive at once. [`StorageError::LimitReached`] when
    /// the limit refuses it; which annotations count is the domain's rule
    /// ([`AnnotationPolicy::check_limit`]).
    async fn apply_annotation(
        &self,
        new: &NewAnnotation,
        policy: &AnnotationPolicy,
    ) -> Result<Annotation>;
    async fn annotation(&self, id: i64) -> Result<Annotation>;
    /// The annotations of a certificate, newest first.
    async fn annotations_of(&self, certificate_id: i64) -> Result<Vec<Annotation>>;
    /// Ends a ready annotation still valid on `today`, audited;
    /// `Conflict::AnnotationState` otherwise.
    async fn withdraw_annotation(
        &self,
        id: i64,
        today: zhengshu_domain::Day,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Annotation>;
    /// The signed document of a ready annotation; `NotFound` before.
    async fn annotation_document(&self, id: i64) -> Result<Vec<u8>>;

    /// Claims the generation job due first (`run_at` passed, lease free or
    /// over) for `worker`, under a lease of `lease` from `now`.
    async fn claim_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease: SignedDuration,
    ) -> Result<Option<Job>>;
    /// Stores the document, makes the annotation ready and ends the job, in
    /// one transaction, if `job`'s lease is still the job's; `false` (and
    /// nothing changed) when another worker has taken it over or finished
    /// it. An annotation never gets a second document.
    async fn complete_job(
        &self,
        job: &Job,
        worker: &str,
        generated: &Generated,
        at: Timestamp,
    ) -> Result<bool>;
    /// Records a failed attempt under a lease still held: the job waits for
    /// its next attempt, or with [`Retry::Never`] ends and the annotation
    /// fails. `false` when the lease was lost.
    async fn fail_job(
        &self,
        job: &Job,
        worker: &str,
        error: &str,
        retry: Retry,
        at: Timestamp,
    ) -> Result<bool>;
    /// Jobs not finished (waiting, leased or due for a retry).
    async fn pending_jobs(&self) -> Result<i64>;
    /// The unfinished jobs and when the oldest of them was applied for
    /// (the queue gauges of the metrics).
    async fn job_queue(&self) -> Result<annotations::JobQueue>;
    /// The connection pool's use at this moment (the pool gauges).
    fn pool_use(&self) -> PoolUse;
    /// Calls `wake` each time any process, on any node, applies for an
    /// annotation, for as long as the storage lives; answers `false` when
    /// the engine cannot announce jobs across processes (SQLite: one
    /// process owns the file; the workers' own waker serves). Workers poll
    /// as well: an announcement lost with a connection delays a job by one
    /// poll, never loses it.
    async fn listen_for_jobs(&self, wake: JobWake) -> Result<bool>;
    /// From now on, keeps the hot reads of signed-in holders in this
    /// process's memory: [`Storage::session`], [`Storage::holder`],
    /// [`Storage::current_terms`] and [`Storage::certificates_of`]. This
    /// store's own writes are seen by its next read; other processes'
    /// writes as soon as the database announces them (PostgreSQL, across
    /// nodes: `true`), or after a second at most where the engine cannot
    /// announce (SQLite: `false`). For serving processes; a store never
    /// asked reads everything afresh.
    async fn cache_hot_reads(&self) -> Result<bool>;

    /// The annotation whose 查验码 is `code`, with its certificate and its
    /// document's SHA-256, read afresh (a withdrawal or revocation shows at
    /// once); `NotFound` for an unknown code. What the verifier is told is
    /// the domain's ([`zhengshu_domain::Outcome::of_annotation`]).
    async fn annotation_by_code(&self, code: &VerificationCode) -> Result<VerifiableAnnotation>;
    /// What a verification by 查验码 needs ([`VerifyAnnotation`]), from
    /// memory once [`Storage::index_verifications`] holds it, else read
    /// afresh (and then held, once issued). A withdrawal, revocation or
    /// correction made through this store shows at its next call; one made
    /// by another process once announced (PostgreSQL), or within a second
    /// of an import's publication (SQLite, where only an import changes
    /// certificates from outside the serving process). `NotFound` for an
    /// unknown code.
    async fn verify_code(&self, code: &VerificationCode) -> Result<Arc<VerifyAnnotation>>;
    /// What a verification by certificate number needs, as
    /// [`Storage::verify_code`]; `NotFound` for an unknown number.
    async fn verify_number(&self, number: &CertificateNumber) -> Result<Arc<VerifyCertificate>>;
    /// Loads every issued annotation and visible certificate (at most
    /// `max` of each) into this process's memory for
    /// [`Storage::verify_code`] and [`Storage::verify_number`], in the
    /// background, and loads them again after changes to certificates.
    /// Served only while [`Storage::cache_hot_reads`] is: call that first.
    async fn index_verifications(&self, max: usize) -> Result<()>;
    /// What [`Storage::index_verifications`] holds at this moment.
    fn verify_index_status(&self) -> IndexStatus;
    /// Records a batch of verifications in one transaction: all or none.
    /// The annotation and certificate each names are taken as given, not
    /// looked up: they come from a check just made, and are never deleted.
    async fn record_verifications(&self, batch: &[NewVerification]) -> Result<()>;
    /// How often annotation `annotation_id` was verified, and the `newest`
    /// latest verifications, newest first.
    async fn verifications_of_annotation(
        &self,
        annotation_id: i64,
        newest: i64,
    ) -> Result<VerificationLog>;

    /// Records a document handed out (an annotated document is recorded by
    /// [`Storage::complete_job`] itself). `StorageError::Conflict` when its
    /// code is taken.
    async fn record_issued_document(&self, document: &IssuedDocument) -> Result<()>;
    /// The document whose 查验码 is `code`; `NotFound` otherwise.
    async fn issued_document_by_code(&self, code: &VerificationCode) -> Result<IssuedDocument>;
    /// The document whose SHA-256 (hex) is `sha256`, in either case;
    /// `NotFound` otherwise.
    async fn issued_document_by_sha256(&self, sha256: &str) -> Result<IssuedDocument>;

    async fn record_audit(&self, event: &NewAuditEvent, at: Timestamp) -> Result<i64>;
    /// Newest first; optionally only those about `subject`.
    async fn audit_events(&self, subject: Option<&str>, limit: i64) -> Result<Vec<AuditEvent>>;
    /// The events after chain position `after_seq`, oldest first, at most
    /// `limit`: what `zhengshu audit verify` walks.
    async fn audit_chain(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>>;
    /// The head of the chain as the database has it.
    async fn audit_head(&self) -> Result<AuditHead>;
    /// One page of events that `filter` selects, and how many it selects.
    async fn audit_page(&self, filter: &AuditFilter) -> Result<(Vec<AuditEvent>, i64)>;

    /// Creates a staff or operator account awaiting enrolment, audited;
    /// `Conflict::Username` when the username is taken.
    async fn create_staff(
        &self,
        new: &NewStaff,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<Staff>;
    async fn staff(&self, id: i64) -> Result<Staff>;
    async fn staff_by_username(&self, username: &Username) -> Result<Staff>;
    /// The account whose live enrolment token hashes to `hash`.
    async fn staff_by_enrolment(&self, hash: &[u8], now: Timestamp) -> Result<Staff>;
    /// Staff of `body` (every account when `None`), by username.
    async fn staff_list(&self, body: Option<&str>) -> Result<Vec<Staff>>;
    /// Completes enrolment: stores the password, the TOTP secret and the
    /// recovery codes, uses up the token, audited. `NotFound` if the
    /// token was used or expired meanwhile.
    async fn enrol_staff(
        &self,
        id: i64,
        enrolment_hash: &[u8],
        enrolment: &Enrolment,
        at: Timestamp,
    ) -> Result<()>;
    /// Records TOTP `step` as used if it is later than the last one used:
    /// `false` when it was used already (a replayed code).
    async fn use_totp_step(&self, id: i64, step: i64) -> Result<bool>;
    /// Uses up a recovery code: `false` when it is not (or no longer) one
    /// of the account's.
    async fn use_recovery_code(&self, id: i64, hash: &[u8], at: Timestamp) -> Result<bool>;
    /// Clears the password, second factor and sessions of an account and
    /// gives it a new enrolment token, audited.
    async fn reset_staff(
        &self,
        id: i64,
        enrolment_hash: &[u8],
        expires: Timestamp,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()>;

    /// The holder accounts that hold the identity (the blind index) of a
    /// certificate of `body` and that `search` finds, each with the
    /// numbers of `body`'s certificates of that identity; unlinked
    /// accounts are not listed.
    async fn holders_of_body(&self, body: &str, search: &HolderSearch)
    -> Result<Vec<LinkedHolder>>;
    /// Unlinks holder account `id` from its identity, if it holds that of
    /// a certificate of `body` (`NotFound` otherwise, also when unlinked
    /// already): its blind index is replaced by a random value (freeing
    /// the identity for another registration), its sessions end, and
    /// `event` is recorded, in one transaction.
    async fn unlink_holder(
        &self,
        id: i64,
        body: &str,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()>;

    async fn create_staff_session(&self, s: &NewStaffSession, at: Timestamp) -> Result<()>;
    /// `NotFound` when absent or expired at `now`.
    async fn staff_session(&self, token_hash: &[u8], now: Timestamp) -> Result<StaffSessionRecord>;
    async fn touch_staff_session(
        &self,
        token_hash: &[u8],
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()>;
    async fn delete_staff_session(&self, token_hash: &[u8]) -> Result<()>;

    /// Stores an upload of `new.body` and records `event` (its subject
    /// becomes `import:ID`), atomically; answers the upload's id.
    async fn create_upload(
        &self,
        new: &NewUpload,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<i64>;
    /// Upload `id` if it is `body`'s; `NotFound` otherwise.
    async fn upload(&self, id: i64, body: &str) -> Result<Upload>;
    /// The file of upload `id` of `body`; `NotFound` once the import has
    /// ended (the file is dropped then).
    async fn upload_content(&self, id: i64, body: &str) -> Result<Vec<u8>>;
    /// The newest `limit` uploads of `body`, newest first.
    async fn uploads_of(&self, body: &str, limit: i64) -> Result<Vec<Upload>>;
    /// Records how many rows a running check or import has read, and
    /// that it was alive `at`.
    async fn upload_progress(&self, id: i64, rows: i64, at: Timestamp) -> Result<()>;
    /// Ends the uploads nobody will finish: those checking or importing
    /// with no sign of life since `stalled_before` (their process ended:
    /// [`imports::UPLOAD_STOPPED`]), and those checked but not confirmed
    /// since `unconfirmed_before` ([`imports::UPLOAD_EXPIRED`]). Both fail
    /// and their files are dropped; answers how many of each.
    async fn sweep_uploads(
        &self,
        stalled_before: Timestamp,
        unconfirmed_before: Timestamp,
        at: Timestamp,
    ) -> Result<(u64, u64)>;
    /// Records the end of a check or an import: its state and counts; a
    /// finished upload's file is dropped.
    async fn finish_upload(
        &self,
        id: i64,
        state: UploadState,
        counts: &UploadCounts,
        at: Timestamp,
    ) -> Result<()>;
    /// Moves a checked upload of `body` to importing (all rows, or the
    /// valid ones only) and records `event`, atomically;
    /// `Conflict::Changed` when it is not (or no longer) checked, so that
    /// an upload is imported once however many confirmations arrive.
    async fn confirm_upload(
        &self,
        id: i64,
        body: &str,
        valid_only: bool,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()>;

    /// Stores an import token and records `event` (its subject becomes
    /// `import-token:ID`), atomically.
    async fn create_import_token(
        &self,
        new: &NewImportToken,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<ImportToken>;
    /// The import tokens of `body`, revoked ones too, newest first.
    async fn import_tokens(&self, body: &str) -> Result<Vec<ImportToken>>;
    /// The token whose hash is `hash`, revoked or not; `NotFound` when none.
    async fn import_token_by_hash(&self, hash: &[u8]) -> Result<ImportToken>;
    /// Revokes token `id` of `body` and records `event`, atomically;
    /// `NotFound` when it is not `body`'s or revoked already.
    async fn revoke_import_token(
        &self,
        id: i64,
        body: &str,
        event: &NewAuditEvent,
        at: Timestamp,
    ) -> Result<()>;
}

/// The audit event of a revocation.
pub fn revocation_event(
    number: &CertificateNumber,
    revocation: &Revocation,
    actor: &Actor,
) -> NewAuditEvent {
    NewAuditEvent {
        context: Default::default(),
        actor: actor.clone(),
        action: "certificate.revoke".into(),
        subject: format!("certificate:{number}"),
        before: Some(r#"{"status":"valid"}"#.into()),
        after: Some(
            serde_json::json!({
                "status": "revoked",
                "revoked_at": revocation.at.to_string(),
                "reason": revocation.reason,
            })
            .to_string(),
        ),
    }
}

/// The audit event of an import's update of one certificate.
pub fn update_event(
    before: &NewCertificate,
    after: &NewCertificate,
    actor: &Actor,
) -> NewAuditEvent {
    NewAuditEvent {
        context: Default::default(),
        actor: actor.clone(),
        action: "certificate.update".into(),
        subject: format!("certificate:{}", after.number),
        before: Some(audit_json(before)),
        after: Some(audit_json(after)),
    }
}

/// The JSON text of a certificate's fields for the audit log, with the ID
/// number masked: the log must not become a second copy of the numbers.
pub fn audit_json(c: &NewCertificate) -> String {
    serde_json::json!({
        "number": c.number.as_str(),
        "management_number": c.management_number,
        "name": c.name.as_str(),
        "sex": c.sex.map(|s| s.code()),
        "birth_date": c.birth_date.map(|d| d.to_string()),
        "id_type": c.id.id_type.code(),
        "id_number": c.id.number.masked(),
        "qualification": c.qualification.as_str(),
        "category": c.category,
        "specialty": c.specialty,
        "level": c.level,
        "approval_date": c.approval_date.map(|d| d.to_string()),
        "issue_date": c.issue_date.to_string(),
        "photo": c.photo,
        "phone": c.contacts.phone.as_ref().map(|p| p.masked()),
        "email": c.contacts.email.as_ref().map(|e| e.masked()),
    })
    .to_string()
}
