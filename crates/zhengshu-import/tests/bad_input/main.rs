//! Bad import input, on SQLite and on PostgreSQL: every case gives a clear
//! report (or a clear error for the file as a whole) and leaves the
//! database exactly as it was, compared by a dump of every table before
//! and after.

mod cases;

use std::io::Cursor;

use zhengshu_domain::{Actor, BodyCode};
use zhengshu_import::{ImportError, ImportOptions, Report, import};
use zhengshu_storage::Storage;

/// The header of the files below.
pub const HEADER: &str = "certificate_number,name,id_type,id_number,qualification,issue_date";

/// A valid data row.
pub fn row(number: &str, name: &str, id: &str) -> String {
    format!("{number},{name},resident_id,{id},licensed_pharmacist,2023-06-01")
}

/// A body and its qualification types, and one certificate already
/// imported, so that "before" is not an empty database.
pub async fn seed(s: &dyn Storage) {
    zhengshu_storage_story::seed_reference(s).await;
    let file = format!(
        "{HEADER}\n{}\n",
        row("ZY0001", "张三", "11010519491231002X")
    );
    let report = run(s, file.into_bytes(), options())
        .await
        .expect("seed import");
    assert_eq!(report.inserted, 1, "{report:?}");
    assert!(report.committed);
}

pub fn options() -> ImportOptions {
    ImportOptions::new(
        BodyCode::parse("pharmacist_center").unwrap(),
        Actor::Cli("test".into()),
    )
}

pub async fn run(
    s: &dyn Storage,
    bytes: Vec<u8>,
    options: ImportOptions,
) -> Result<Report, ImportError> {
    import(s, Cursor::new(bytes), &options, |_| {}).await
}

/// Imports `bytes` into a seeded database, checks that the dump is the same
/// afterwards, and hands back the outcome.
pub async fn refused(s: &dyn Storage, bytes: Vec<u8>) -> Result<Report, ImportError> {
    seed(s).await;
    let before = s.dump().await.expect("dump before");
    let outcome = run(s, bytes, options()).await;
    let after = s.dump().await.expect("dump after");
    assert_eq!(before, after, "the database changed; outcome: {outcome:?}");
    if let Ok(report) = &outcome {
        assert!(!report.committed, "{report:?}");
        assert_eq!(report.inserted + report.updated, 0, "{report:?}");
    }
    outcome
}

macro_rules! on_backend {
    ($fresh:expr) => {
        on_backend!(@each $fresh;
            wrong_check_digit,
            duplicate_inside_the_file,
            duplicate_against_the_database,
            missing_column,
            unknown_column,
            empty_file,
            header_only,
            random_binary_bytes,
            gbk_bytes,
            ten_thousand_character_field,
            one_bad_row_among_many_imports_nothing,
            partial_keeps_valid_rows_and_writes_rejects,
            update_changes_existing_rows
        );
    };
    (@each $fresh:expr; $($case:ident),*) => {
        $(
            #[tokio::test]
            async fn $case() {
                let db = $fresh.await;
                crate::cases::$case(&*db).await;
            }
        )*
    };
}

mod sqlite {
    struct Fresh {
        store: zhengshu_storage_sqlite::SqliteStore,
        _dir: tempfile::TempDir,
    }

    impl std::ops::Deref for Fresh {
        type Target = zhengshu_storage_sqlite::SqliteStore;
        fn deref(&self) -> &Self::Target {
            &self.store
        }
    }

    async fn fresh() -> Fresh {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("import.db").display());
        let store = zhengshu_storage_sqlite::SqliteStore::connect(
            &url,
            zhengshu_storage_story::test_vault(),
        )
        .await
        .expect("open SQLite");
        Fresh { store, _dir: dir }
    }

    on_backend!(fresh());
}

mod postgres {
    async fn fresh() -> zhengshu_storage_postgres::testing::FreshPg {
        zhengshu_storage_postgres::testing::FreshPg::new(zhengshu_storage_story::test_vault()).await
    }

    on_backend!(fresh());
}
