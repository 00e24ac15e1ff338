//! The cases, each written once against the `Storage` trait.

use zhengshu_import::{ImportError, MAX_FIELD_CHARS, Report};
use zhengshu_storage::Storage;

use crate::{HEADER, options, refused, row, run, seed};

fn file(rows: &[String]) -> Vec<u8> {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

/// The one rejection of a report, checked for line and column.
fn only_rejection(report: &Report, line: u64, column: &str) -> String {
    assert_eq!(report.refused, 1, "{report:?}");
    assert_eq!(report.rejections.len(), 1, "{report:?}");
    let r = &report.rejections[0];
    assert_eq!(r.line, line, "{r:?}");
    assert_eq!(r.column.as_deref(), Some(column), "{r:?}");
    r.reason.clone()
}

pub async fn wrong_check_digit(s: &dyn Storage) {
    let bytes = file(&[
        row("ZY0002", "李四", "110101199003070011"),
        row("ZY0003", "王五", "110105194912310021"),
    ]);
    let report = refused(s, bytes).await.expect("a row report");
    assert_eq!(report.rows, 2);
    let reason = only_rejection(&report, 3, "id_number");
    assert!(reason.contains("check digit"), "{reason}");
    // The number itself is never echoed back.
    assert!(!reason.contains("110105194912310021"), "{reason}");
}

pub async fn duplicate_inside_the_file(s: &dyn Storage) {
    let bytes = file(&[
        row("ZY0002", "李四", "110101199003070011"),
        row("ZY0003", "王五", "11010519491231002X"),
        row("ZY0002", "赵六", "11010519491231002X"),
    ]);
    let report = refused(s, bytes).await.expect("a row report");
    let reason = only_rejection(&report, 4, "certificate_number");
    assert!(
        reason.contains("ZY0002") && reason.contains("line 2"),
        "{reason}"
    );
}

pub async fn duplicate_against_the_database(s: &dyn Storage) {
    let bytes = file(&[
        row("ZY0002", "李四", "110101199003070011"),
        row("ZY0001", "张三", "11010519491231002X"),
    ]);
    let report = refused(s, bytes).await.expect("a row report");
    let reason = only_rejection(&report, 3, "certificate_number");
    assert!(
        reason.contains("ZY0001") && reason.contains("exists") && reason.contains("--update"),
        "{reason}"
    );
}

pub async fn missing_column(s: &dyn Storage) {
    let bytes = b"certificate_number,name,id_type,id_number,issue_date\n\
                  ZY0002,Li,resident_id,110101199003070011,2023-06-01\n"
        .to_vec();
    match refused(s, bytes).await {
        Err(e @ ImportError::MissingColumns(_)) => {
            assert!(e.to_string().contains("qualification"), "{e}");
        }
        other => panic!("expected a missing-column error, got {other:?}"),
    }
}

pub async fn unknown_column(s: &dyn Storage) {
    let bytes = format!(
        "{HEADER},favourite_colour\n{},blue\n",
        row("ZY0002", "李四", "110101199003070011")
    )
    .into_bytes();
    match refused(s, bytes).await {
        Err(e @ ImportError::UnknownColumn { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("favourite_colour") && msg.contains("certificate_number"),
                "{msg}"
            );
        }
        other => panic!("expected an unknown-column error, got {other:?}"),
    }
}

pub async fn empty_file(s: &dyn Storage) {
    match refused(s, Vec::new()).await {
        Err(e @ ImportError::Empty) => assert!(e.to_string().contains("header"), "{e}"),
        other => panic!("expected an empty-file error, got {other:?}"),
    }
}

pub async fn header_only(s: &dyn Storage) {
    match refused(s, format!("{HEADER}\n").into_bytes()).await {
        Err(e @ ImportError::NoRows) => assert!(e.to_string().contains("no data rows"), "{e}"),
        other => panic!("expected a no-rows error, got {other:?}"),
    }
}

pub async fn random_binary_bytes(s: &dyn Storage) {
    // A fixed xorshift sequence: the same "random" file on every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..64 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect();
    match refused(s, bytes).await {
        Err(e @ ImportError::NotText { .. }) => {
            assert!(e.to_string().contains("not UTF-8 text"), "{e}");
        }
        other => panic!("expected a not-text error, got {other:?}"),
    }
}

pub async fn gbk_bytes(s: &dyn Storage) {
    let text = format!(
        "{HEADER}\n{}\n{}\n",
        row("ZY0002", "李四", "110101199003070011"),
        row("ZY0003", "王五", "11010519491231002X")
    );
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    match refused(s, gbk.into_owned()).await {
        Err(e @ ImportError::Gbk { line: 2 }) => {
            let msg = e.to_string();
            assert!(msg.contains("GBK") && msg.contains("UTF-8"), "{msg}");
        }
        other => panic!("expected a GBK error on line 2, got {other:?}"),
    }
}

pub async fn ten_thousand_character_field(s: &dyn Storage) {
    let long = "药".repeat(10_000);
    let bytes = file(&[
        row("ZY0002", "李四", "110101199003070011"),
        row("ZY0003", &long, "11010519491231002X"),
    ]);
    let report = refused(s, bytes).await.expect("a row report");
    let reason = only_rejection(&report, 3, "name");
    assert!(
        reason.contains("10000") && reason.contains(&MAX_FIELD_CHARS.to_string()),
        "{reason}"
    );
}

pub async fn one_bad_row_among_many_imports_nothing(s: &dyn Storage) {
    // More rows than one batch, the bad one last: earlier batches were
    // already written inside the transaction and must be rolled back.
    let mut rows: Vec<String> = (2..=2500)
        .map(|i| row(&format!("ZY9{i:05}"), "李四", "110101199003070011"))
        .collect();
    rows.push(row("ZY0003", "王五", "not-an-id"));
    let report = refused(s, file(&rows)).await.expect("a row report");
    assert_eq!(report.rows, 2500);
    only_rejection(&report, 2501, "id_number");
}

pub async fn partial_keeps_valid_rows_and_writes_rejects(s: &dyn Storage) {
    seed(s).await;
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.csv");
    let mut opts = options();
    opts.partial = true;
    opts.rejects = Some(rejects.clone());
    let bytes = file(&[
        row("ZY0002", "李四", "110101199003070011"),
        row("ZY0003", "王五", "110105194912310021"),
        row("ZY0001", "张三", "11010519491231002X"),
    ]);
    let report = run(s, bytes, opts).await.expect("partial import");
    assert!(report.committed);
    assert_eq!((report.inserted, report.refused), (1, 2), "{report:?}");
    assert_eq!(s.count_certificates().await.unwrap(), 2);
    let written = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines[0], "line,column,reason");
    assert!(lines[1].starts_with("3,id_number,"), "{written}");
    assert!(lines[2].starts_with("4,certificate_number,"), "{written}");
    assert_eq!(lines.len(), 3, "{written}");
}

pub async fn update_changes_existing_rows(s: &dyn Storage) {
    seed(s).await;
    let changed = "certificate_number,name,id_type,id_number,qualification,issue_date,specialty\n\
                   ZY0001,张三,resident_id,11010519491231002X,licensed_pharmacist,2023-06-01,中药学\n";
    // Without --update: refused, nothing changes.
    let before = s.dump().await.unwrap();
    let report = run(s, changed.as_bytes().to_vec(), options())
        .await
        .unwrap();
    assert_eq!(report.refused, 1, "{report:?}");
    assert_eq!(before, s.dump().await.unwrap());
    // With it: updated once, then unchanged on a second run.
    let mut opts = options();
    opts.update = true;
    let report = run(s, changed.as_bytes().to_vec(), opts.clone())
        .await
        .unwrap();
    assert_eq!((report.updated, report.refused), (1, 0), "{report:?}");
    let number = zhengshu_domain::CertificateNumber::parse("ZY0001").unwrap();
    let stored = s.certificate_by_number(&number).await.unwrap();
    assert_eq!(stored.data.specialty.as_deref(), Some("中药学"));
    let report = run(s, changed.as_bytes().to_vec(), opts).await.unwrap();
    assert_eq!((report.unchanged, report.updated), (1, 0), "{report:?}");
}
