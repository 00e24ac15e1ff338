//! The CSV importer fed generated files, 10,000 of each kind, on one
//! SQLite database: arbitrary bytes, and CSV-shaped text (known and
//! unknown columns in any order, fields with quotes, commas, line breaks,
//! BOMs, GBK bytes, formulas, overlong and empty values). None panics or
//! hangs (each import has a generous time limit: a hang guard, not a
//! timing assertion); every outcome is a report or a file-level error
//! with a message; a report that committed nothing left the database as
//! it was.

use std::io::Cursor;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use zhengshu_domain::{Actor, BodyCode};
use zhengshu_import::{COLUMNS, ImportOptions, import};
use zhengshu_storage::Storage;

const CASES: u32 = 10_000;

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_\\-]{0,12}",
        "\\PC{0,12}",
        Just(String::new()),
        Just("\"a,b\"".to_owned()),
        Just("\"line\nbreak\"".to_owned()),
        Just("\"unclosed".to_owned()),
        Just("=cmd|' /C calc'!A0".to_owned()),
        Just("11010519491231002X".to_owned()),
        Just("licensed_pharmacist".to_owned()),
        Just("2023-06-01".to_owned()),
        Just("张三".to_owned()),
        Just("x".repeat(300)),
    ]
}

fn header() -> impl Strategy<Value = String> {
    let known = proptest::sample::subsequence(COLUMNS.to_vec(), 0..=COLUMNS.len())
        .prop_shuffle()
        .prop_map(|c| c.join(","));
    prop_oneof![3 => known, 1 => proptest::collection::vec(field(), 0..8).prop_map(|f| f.join(","))]
}

fn csv_text() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![Just(""), Just("\u{FEFF}")],
        header(),
        proptest::collection::vec(proptest::collection::vec(field(), 0..16), 0..12),
        prop_oneof![Just("\n"), Just("\r\n")],
        proptest::option::of(proptest::collection::vec(128u8..=255, 1..6)),
    )
        .prop_map(|(bom, header, rows, nl, gbk)| {
            let mut text = format!("{bom}{header}{nl}").into_bytes();
            for r in rows {
                text.extend(r.join(",").into_bytes());
                text.extend(nl.as_bytes());
            }
            if let Some(bytes) = gbk {
                text.extend(bytes);
            }
            text
        })
}

fn check(
    runtime: &tokio::runtime::Runtime,
    s: &dyn Storage,
    input: Vec<u8>,
) -> Result<(), TestCaseError> {
    let options = ImportOptions::new(
        BodyCode::parse("pharmacist_center").unwrap(),
        Actor::Cli("fuzz".into()),
    );
    runtime.block_on(async {
        let before = s.dump().await.unwrap();
        let outcome = tokio::time::timeout(
            Duration::from_secs(30),
            import(s, Cursor::new(input), &options, |_| {}),
        )
        .await
        .map_err(|_| TestCaseError::fail("the import hung"))?;
        match outcome {
            Ok(report) => {
                prop_assert!(report.rows >= report.refused, "{report:?}");
                if !report.committed {
                    prop_assert_eq!(s.dump().await.unwrap(), before, "{:?}", report);
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        Ok(())
    })
}

fn run(strategy: impl Strategy<Value = Vec<u8>>) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fuzz.db").display());
    let store = runtime.block_on(async {
        let s = zhengshu_storage_sqlite::SqliteStore::connect(
            &url,
            zhengshu_storage_story::test_vault(),
        )
        .await
        .unwrap();
        zhengshu_storage_story::seed_reference(&s).await;
        s
    });
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |input| check(&runtime, &store, input))
        .unwrap();
}

#[test]
fn arbitrary_bytes() {
    run(proptest::collection::vec(any::<u8>(), 0..600));
}

#[test]
fn csv_shaped_text() {
    run(csv_text());
}
