//! The web crate's integration tests, one binary: the router driven
//! in-process on a fresh SQLite database per test (pages like a browser
//! with cookies, the API with bearer tokens), and the end-to-end test in
//! headless Chromium against a real bound server.

mod access;
mod annotations;
mod api;
mod browser;
mod certificates;
mod console;
mod console_certificates;
mod console_search;
mod csrf;
mod e2e;
mod e2e_annotate;
mod e2e_platform;
mod e2e_recovery;
mod e2e_verify_file;
mod fonts;
mod hardening;
mod helpers;
mod i18n;
mod identity;
mod import_reasons;
mod imports;
mod login;
mod masking;
mod operator;
mod platform;
mod rarechars;
mod recovery_pages;
mod registration;
mod reregister;
mod scope;
mod smtp;
mod terms;
mod throttle;
mod verify;
mod verify_document;
mod verify_pages;
mod verify_records;
