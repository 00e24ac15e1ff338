//! Hostile files around an import, on SQLite (the file handling is the
//! same on every backend): a photo that is a link out of the CSV's folder,
//! a FIFO, a file with JPEG or PNG magic bytes and a broken body — each a
//! refused row with a clear reason, nothing written to the database or the
//! photo store, no hang; a rejects file that exists or is a link — refused
//! before the import, the link's target untouched; no rejects file when
//! nothing is refused; formula characters neutralised in the rejects file.

use std::io::Cursor;
use std::path::Path;

use zhengshu_domain::{Actor, BodyCode};
use zhengshu_import::{ImportError, ImportOptions, Report, import};
use zhengshu_storage::Storage;

const HEADER: &str = "certificate_number,name,id_type,id_number,qualification,issue_date,photo";

async fn store(dir: &Path) -> zhengshu_storage_sqlite::SqliteStore {
    let url = format!("sqlite://{}", dir.join("files.db").display());
    let s =
        zhengshu_storage_sqlite::SqliteStore::connect(&url, zhengshu_storage_story::test_vault())
            .await
            .unwrap();
    zhengshu_storage_story::seed_reference(&s).await;
    s
}

fn options(dir: &Path) -> ImportOptions {
    let mut o = ImportOptions::new(
        BodyCode::parse("pharmacist_center").unwrap(),
        Actor::Cli("test".into()),
    );
    o.photo_base = Some(dir.join("csv"));
    o.photo_store = Some(dir.join("store"));
    o
}

async fn run(s: &dyn Storage, text: String, o: &ImportOptions) -> Result<Report, ImportError> {
    // A hang guard: a FIFO read would block forever.
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        import(s, Cursor::new(text.into_bytes()), o, |_| {}),
    )
    .await
    .expect("the import ends")
}

fn row(photo: &str) -> String {
    format!(
        "{HEADER}\nZY7001,张三,resident_id,11010519491231002X,licensed_pharmacist,2023-06-01,{photo}\n"
    )
}

/// A real 2×2 PNG.
fn png() -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, 2, 2);
    e.set_color(png::ColorType::Rgb);
    e.set_depth(png::BitDepth::Eight);
    e.write_header()
        .unwrap()
        .write_image_data(&[200; 12])
        .unwrap();
    out
}

/// The only refusal of `report`, of the photo column.
fn photo_refusal(report: &Report) -> String {
    assert!(!report.committed, "{report:?}");
    assert_eq!(report.refused, 1, "{report:?}");
    let r = &report.rejections[0];
    assert_eq!(r.column.as_deref(), Some("photo"), "{r:?}");
    r.reason.clone()
}

#[tokio::test]
async fn hostile_photos_are_refused_rows_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    let csv = dir.path().join("csv");
    std::fs::create_dir_all(&csv).unwrap();
    let outside = dir.path().join("secret.png");
    std::fs::write(&outside, png()).unwrap();
    std::os::unix::fs::symlink(&outside, csv.join("link.png")).unwrap();
    let fifo = csv.join("fifo.jpg");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut fake_jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    fake_jpeg.extend((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    std::fs::write(csv.join("fake.jpg"), &fake_jpeg).unwrap();
    let mut fake_png = png();
    fake_png.truncate(30);
    std::fs::write(csv.join("fake.png"), &fake_png).unwrap();
    std::fs::create_dir_all(csv.join("folder.png")).unwrap();
    let before = s.dump().await.unwrap();
    let o = options(dir.path());
    for (photo, says) in [
        ("link.png", "outside the CSV file's folder"),
        ("fifo.jpg", "not a regular file"),
        ("folder.png", "not a regular file"),
        ("fake.jpg", "does not decode"),
        ("fake.png", "does not decode"),
        ("missing.png", "not found"),
        ("../secret.png", "stays below it"),
    ] {
        let report = run(&s, row(photo), &o).await.expect("a row report");
        let reason = photo_refusal(&report);
        assert!(reason.contains(says), "{photo}: {reason}");
    }
    assert_eq!(s.dump().await.unwrap(), before, "the database is as it was");
    assert!(!dir.path().join("store").exists(), "no photo stored");

    // A real image is taken, stored privately under its hash.
    std::fs::write(csv.join("real.png"), png()).unwrap();
    let report = run(&s, row("real.png"), &o).await.unwrap();
    assert!(report.committed, "{report:?}");
    let stored: Vec<_> = std::fs::read_dir(dir.path().join("store"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].ends_with(".png"), "{stored:?}");
}

#[tokio::test]
async fn a_rejects_file_is_new_written_only_on_refusals_and_safe_for_spreadsheets() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    let good = format!(
        "{HEADER}\nZY7002,李四,resident_id,110101199003070011,licensed_pharmacist,2023-06-01,\n"
    );
    let mut o = options(dir.path());
    o.partial = true;

    // Nothing refused: no file.
    let rejects = dir.path().join("none.csv");
    o.rejects = Some(rejects.clone());
    let report = run(&s, good.clone(), &o).await.unwrap();
    assert_eq!(report.refused, 0);
    assert!(!rejects.exists(), "no rejects file without a refusal");

    // An existing file and a link are refused before anything is imported.
    let target = dir.path().join("precious.txt");
    std::fs::write(&target, "keep me").unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let dangling = dir.path().join("dangling.csv");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
    let before = s.dump().await.unwrap();
    for path in [&target, &link, &dangling] {
        o.rejects = Some(path.clone());
        let e = run(&s, good.replace("ZY7002", "ZY7003"), &o)
            .await
            .expect_err("refused");
        assert!(e.to_string().contains("exists: name a new one"), "{e}");
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert!(!dir.path().join("nowhere").exists());
    assert_eq!(s.dump().await.unwrap(), before);

    // A refused formula is echoed in the file only where no spreadsheet
    // runs it (the rule itself: `zhengshu_domain::spreadsheet_safe`).
    let rejects = dir.path().join("rejects.csv");
    o.rejects = Some(rejects.clone());
    let bad = format!(
        "{HEADER}\nZY7004,李四,resident_id,110101199003070011,licensed_pharmacist,=cmd|' /C calc'!A0,\n"
    );
    let report = run(&s, bad, &o).await.unwrap();
    assert_eq!(report.refused, 1, "{report:?}");
    let written = std::fs::read_to_string(&rejects).unwrap();
    let mut cells = 0;
    for record in csv::Reader::from_reader(written.as_bytes()).records() {
        for cell in record.unwrap().iter() {
            cells += 1;
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula cell: {written}"
            );
        }
    }
    assert_eq!(cells, 3, "{written}");
    assert!(
        written.contains("=cmd|"),
        "the value is still shown: {written}"
    );
}
