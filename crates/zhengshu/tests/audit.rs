//! `zhengshu audit verify` as an operator runs it, on SQLite and on
//! PostgreSQL: it passes on a fresh database and after accounts are
//! invited, and exits 1 naming the event when the newest events are cut
//! off (head row wound back too), an event is deleted, or one is edited.

use std::path::Path;
use std::process::{Command, Output};

use zhengshu_domain::{BodyCode, IssuingBody};
use zhengshu_storage::Storage;
use zhengshu_storage_sql::Tamper;

fn zhengshu(data_dir: &Path, db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhengshu"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--db", db])
        .args(args)
        .env_remove("ZHENGSHU_DB")
        .output()
        .expect("run zhengshu")
}

fn verify(data_dir: &Path, db: &str) -> (i32, String) {
    let out = zhengshu(data_dir, db, &["audit", "verify"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The whole story on one database; `tamper` reaches into it.
async fn story(data_dir: &Path, db: &str, store: &dyn Storage, tamper: impl AsyncFn(Tamper)) {
    let migrated = zhengshu(data_dir, db, &["migrate"]);
    assert!(migrated.status.success(), "{migrated:?}");
    let (code, text) = verify(data_dir, db);
    assert_eq!(code, 0, "a fresh database verifies: {text}");
    assert!(text.contains("intact: 0 events"), "{text}");

    store
        .put_issuing_body(&IssuingBody {
            code: BodyCode::parse("pharmacist_center").unwrap(),
            name: "国家药品监督管理局执业药师资格认证中心".into(),
            exempt_before_cutover: false,
        })
        .await
        .unwrap();
    for args in [
        &["operator", "add", "operator1"][..],
        &[
            "staff",
            "add",
            "--body",
            "pharmacist_center",
            "--role",
            "admin",
            "admin_a",
        ],
        &[
            "staff",
            "add",
            "--body",
            "pharmacist_center",
            "--role",
            "auditor",
            "auditor_a",
        ],
        &[
            "staff",
            "add",
            "--body",
            "pharmacist_center",
            "--role",
            "officer",
            "officer_a",
        ],
        &[
            "staff",
            "add",
            "--body",
            "pharmacist_center",
            "--role",
            "officer",
            "officer_b",
        ],
    ] {
        let out = zhengshu(data_dir, db, args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert!(text.contains("/console/enrol/"), "{text}");
    }
    let refused = zhengshu(
        data_dir,
        db,
        &[
            "staff", "add", "--body", "nowhere", "--role", "admin", "x_one",
        ],
    );
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let refused = zhengshu(
        data_dir,
        db,
        &[
            "staff",
            "add",
            "--body",
            "pharmacist_center",
            "--role",
            "root",
            "x_two",
        ],
    );
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");

    let (code, text) = verify(data_dir, db);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("intact: 5 events"), "{text}");
    let head = std::fs::read_to_string(data_dir.join("audit-head.json")).unwrap();
    assert!(head.contains("\"count\":5"), "{head}");

    // The newest two cut off, the head row wound back: the file notices.
    tamper(Tamper::CutNewest(2)).await;
    let (code, text) = verify(data_dir, db);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("cut off") && text.contains("event #4"),
        "{text}"
    );
    // A deleted event: the next one no longer follows.
    tamper(Tamper::Delete(2)).await;
    let (code, text) = verify(data_dir, db);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("event #3") && text.contains("#2 was deleted"),
        "{text}"
    );
    // An edited event is named before anything after it.
    tamper(Tamper::Edit(1)).await;
    let (code, text) = verify(data_dir, db);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("event #1") && text.contains("edited"),
        "{text}"
    );
}

#[tokio::test]
async fn audit_verify_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("zhengshu.db").display());
    // The store the test tampers through opens the same file; the vault
    // keys do not matter to the audit log.
    let out = zhengshu(dir.path(), &db, &["migrate"]);
    assert!(out.status.success(), "{out:?}");
    let store = zhengshu_storage_sqlite::SqliteStore::connect(
        &db,
        zhengshu_storage::IdVault::new(&zhengshu_storage::VaultKeys {
            encryption: [1; 32],
            index: [2; 32],
        }),
    )
    .await
    .unwrap();
    story(dir.path(), &db, &store, async |t| {
        store.tamper_audit(t).await.unwrap()
    })
    .await;
}

#[tokio::test]
async fn audit_verify_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let pg = zhengshu_storage_postgres::testing::FreshPg::empty(zhengshu_storage::IdVault::new(
        &zhengshu_storage::VaultKeys {
            encryption: [1; 32],
            index: [2; 32],
        },
    ))
    .await;
    let url = pg.url.clone();
    story(dir.path(), &url, &pg.store, async |t| {
        pg.store.tamper_audit(t).await.unwrap()
    })
    .await;
}
