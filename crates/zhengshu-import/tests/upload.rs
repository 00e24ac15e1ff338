//! Uploaded imports (what the console and the import API receive): a zip
//! of the CSV file and its photos imports like the file on disk, a photo
//! that does not decode is a refused row, a check (`dry_run`) writes
//! nothing; and hostile zips — names leaving the folder, links, an entry
//! that inflates past its limit, too many entries, no or several CSV
//! files, garbage — are refused as a whole with their reason, before
//! anything is imported.

use std::io::{Cursor, Write};
use std::path::Path;

use zhengshu_domain::{Actor, BodyCode, CertificateNumber};
use zhengshu_import::ImportOptions;
use zhengshu_import::upload::{MAX_ENTRIES, UnpackError, UploadError, import_upload, lay_out};
use zhengshu_storage::{Storage, StorageError};
use zip::write::SimpleFileOptions;

async fn store(dir: &Path) -> zhengshu_storage_sqlite::SqliteStore {
    let url = format!("sqlite://{}", dir.join("upload.db").display());
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
    o.photo_store = Some(dir.join("store"));
    o
}

/// A real 2×2 PNG.
fn png() -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, 2, 2);
    e.set_color(png::ColorType::Rgb);
    e.set_depth(png::BitDepth::Eight);
    e.write_header()
        .unwrap()
        .write_image_data(&[0u8; 12])
        .unwrap();
    out
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let o = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, o).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const CSV: &str = "certificate_number,name,id_type,id_number,qualification,issue_date,photo\n\
    ZY7001,张三,resident_id,11010519491231002X,licensed_pharmacist,2023-06-01,photos/good.png\n\
    ZY7002,张三,resident_id,11010519491231002X,licensed_pharmacist,2023-06-01,photos/broken.jpg\n\
    ZY7003,张三,resident_id,11010519491231002X,licensed_pharmacist,2023-06-01,\n";

fn number(n: &str) -> CertificateNumber {
    CertificateNumber::parse(n).unwrap()
}

#[tokio::test]
async fn a_zip_imports_like_its_folder_and_a_broken_photo_is_a_refused_row() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    let good = png();
    // JPEG magic bytes, then nothing an image decoder accepts.
    let broken = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[0x55; 300][..]].concat();
    let zip = zip_of(&[
        ("certs.csv", CSV.as_bytes()),
        ("photos/good.png", &good),
        ("photos/broken.jpg", &broken),
    ]);
    let before = s.count_certificates().await.unwrap();

    // A check writes nothing, whatever it finds.
    let mut check = options(dir.path());
    check.dry_run = true;
    check.partial = true;
    check.photo_store = None;
    let r = import_upload(&s, zip.clone(), &check, |_| {})
        .await
        .unwrap();
    assert_eq!((r.rows, r.refused, r.inserted), (3, 1, 2));
    assert!(!r.committed);
    assert_eq!(s.count_certificates().await.unwrap(), before);
    let refusal = &r.rejections[0];
    assert_eq!(refusal.line, 3);
    assert_eq!(refusal.column.as_deref(), Some("photo"));
    assert!(
        refusal.reason.contains("does not decode"),
        "{}",
        refusal.reason
    );

    // All or nothing: nothing.
    let r = import_upload(&s, zip.clone(), &options(dir.path()), |_| {})
        .await
        .unwrap();
    assert_eq!((r.refused, r.inserted), (1, 0));
    assert!(!r.committed);
    assert_eq!(s.count_certificates().await.unwrap(), before);
    assert!(matches!(
        s.certificate_by_number(&number("ZY7001")).await,
        Err(StorageError::NotFound)
    ));

    // The valid rows only: the good photo is stored under its hash.
    let mut partial = options(dir.path());
    partial.partial = true;
    let r = import_upload(&s, zip, &partial, |_| {}).await.unwrap();
    assert_eq!((r.refused, r.inserted), (1, 2));
    assert!(r.committed);
    let c = s.certificate_by_number(&number("ZY7001")).await.unwrap();
    let photo = c.data.photo.expect("a stored photo");
    assert_eq!(
        std::fs::read(dir.path().join("store").join(&photo)).unwrap(),
        good
    );
    assert!(matches!(
        s.certificate_by_number(&number("ZY7002")).await,
        Err(StorageError::NotFound)
    ));
    // The upload's folder is gone.
    assert!(!Path::new(&photo).is_absolute());
}

fn refused(bytes: &[u8]) -> UnpackError {
    match lay_out(bytes) {
        Err(e) => e,
        Ok((dir, csv)) => panic!("laid out in {}: {}", dir.path().display(), csv.display()),
    }
}

#[test]
fn hostile_zips_are_refused_whole_with_their_reason() {
    let csv = CSV.as_bytes();
    for name in [
        "../evil.csv",
        "/etc/evil.csv",
        "a/../../evil.csv",
        "C:\\evil.csv",
    ] {
        let e = refused(&zip_of(&[(name, csv)]));
        assert!(
            matches!(e, UnpackError::BadName(ref n) if n == name),
            "{name}: {e:?}"
        );
        assert_eq!(e.code(), "zip_bad_name");
    }

    // A link, wherever it points.
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let o = SimpleFileOptions::default();
    w.start_file("certs.csv", o).unwrap();
    w.write_all(csv).unwrap();
    w.add_symlink("photos/good.png", "/etc/passwd", o).unwrap();
    let e = refused(&w.finish().unwrap().into_inner());
    assert!(matches!(e, UnpackError::Link(_)), "{e:?}");

    // A small entry that inflates past the photo limit: counted while
    // inflating, never taken from the archive's word.
    let bomb = zip_of(&[("certs.csv", csv), ("photos/big.png", &vec![0u8; 3 << 20])]);
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    let e = refused(&bomb);
    assert!(
        matches!(e, UnpackError::EntryTooLarge(ref n) if n == "photos/big.png"),
        "{e:?}"
    );

    // Too many entries: refused before any is written.
    let many: Vec<(String, Vec<u8>)> = (0..=MAX_ENTRIES)
        .map(|i| (format!("p/{i}.png"), Vec::new()))
        .collect();
    let refs: Vec<(&str, &[u8])> = many.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
    assert!(matches!(
        refused(&zip_of(&refs)),
        UnpackError::TooManyEntries
    ));

    assert!(matches!(
        refused(&zip_of(&[("photos/good.png", &png())])),
        UnpackError::NoCsv
    ));
    assert!(matches!(
        refused(&zip_of(&[("a.csv", csv), ("b/c.CSV", csv)])),
        UnpackError::SeveralCsv
    ));
    let mut garbage = b"PK\x03\x04".to_vec();
    garbage.extend_from_slice(&[0xAB; 500]);
    assert!(matches!(refused(&garbage), UnpackError::BrokenZip(_)));
    assert!(matches!(refused(b""), UnpackError::Empty));

    // Folders a Mac adds are skipped; a plain CSV is laid out as it is.
    let (_dir, path) = lay_out(&zip_of(&[
        ("__MACOSX/._certs.csv", b"junk"),
        ("certs.csv", csv),
    ]))
    .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), csv);
    let (_dir, path) = lay_out(csv).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), csv);
}

#[tokio::test]
async fn a_refused_zip_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    let before = s.dump().await.unwrap();
    let zip = zip_of(&[("../certs.csv", CSV.as_bytes())]);
    let e = import_upload(&s, zip, &options(dir.path()), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(e, UploadError::Unpack(UnpackError::BadName(_))),
        "{e:?}"
    );
    assert_eq!(s.dump().await.unwrap(), before);
}
