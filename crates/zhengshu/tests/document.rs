//! `zhengshu keys` and `zhengshu render` as an operator runs them, the
//! documents checked by tools we did not write: poppler's `pdfsig` and
//! `pdftotext`, pyHanko (virtualenv made by
//! crates/zhengshu-document/tests/setup.sh) and `qpdf --check`.

use std::path::Path;
use std::process::{Command, Output};

fn zhengshu(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhengshu"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("ZHENGSHU_DB")
        .output()
        .expect("run zhengshu")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A tool we did not write; its absence fails the test.
fn tool(program: &str, args: &[&std::ffi::OsStr]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is needed ({e}): run crates/zhengshu-document/tests/setup.sh")
        })
}

/// A data directory with the demo data loaded.
fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let o = zhengshu(dir.path(), &["demo"]);
    assert!(o.status.success(), "{}", text(&o));
    dir
}

fn render(dir: &Path, number: &str, out: &Path) -> Output {
    zhengshu(
        dir,
        &[
            "render",
            "--certificate",
            number,
            "--signed-at",
            "2026-11-23T02:00:00Z",
            "-o",
            out.to_str().unwrap(),
        ],
    )
}

fn validate(ca: &Path, pdf: &Path, signatures: usize) {
    zhengshu_document::independent::check_signed_pdf(ca, pdf, signatures);
}

#[test]
fn render_signs_a_demo_certificate_with_the_keys_it_made() {
    let dir = demo_dir();
    let o = zhengshu(dir.path(), &["keys", "init"]);
    assert!(o.status.success(), "{}", text(&o));
    let keys = dir.path().join("keys");
    for seal in ["ministry", "pharmacist_center", "economist_association"] {
        let key = keys.join("seals").join(format!("{seal}.key"));
        let mode = std::fs::metadata(&key).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600,
            "{seal}"
        );
    }
    // A second init keeps the keys.
    let ca_before = std::fs::read(keys.join("ca.pem")).unwrap();
    assert!(zhengshu(dir.path(), &["keys", "init"]).status.success());
    assert_eq!(std::fs::read(keys.join("ca.pem")).unwrap(), ca_before);

    // Issued 2023: the ministry's seal and the body's.
    let pdf = dir.path().join("pharmacist.pdf");
    let o = render(dir.path(), "ZY20230315001", &pdf);
    assert!(o.status.success(), "{}", text(&o));
    validate(&keys.join("ca.pem"), &pdf, 2);
    let o = tool("pdftotext", &[pdf.as_os_str(), "-".as_ref()]);
    let page = String::from_utf8_lossy(&o.stdout);
    for field in ["ZY20230315001", "执业药师", "**************002X"] {
        assert!(page.contains(field), "{field} missing from {page}");
    }
    assert!(
        !page.contains("11010519491231002X"),
        "full ID number printed"
    );

    // Issued 2019 by an exempt body: its seal only.
    let pdf = dir.path().join("economist.pdf");
    let o = render(dir.path(), "JJ20191120007", &pdf);
    assert!(o.status.success(), "{}", text(&o));
    validate(&keys.join("ca.pem"), &pdf, 1);

    // Each document is recorded under a 查验码 of its own, which its QR
    // code (and the address printed under it) opens.
    let again = dir.path().join("economist-again.pdf");
    assert!(render(dir.path(), "JJ20191120007", &again).status.success());
    let url = |pdf: &Path| {
        let o = tool("pdftotext", &[pdf.as_os_str(), "-".as_ref()]);
        let page = String::from_utf8_lossy(&o.stdout).into_owned();
        let at = page.find("/verify/").unwrap_or_else(|| panic!("{page}"));
        page[at..].split_whitespace().next().unwrap().to_owned()
    };
    let (first, second) = (url(&pdf), url(&again));
    assert_ne!(first, second);
    assert_eq!(first.len(), "/verify/".len() + 20, "{first}");
}

#[test]
fn render_refuses_revoked_and_unknown_certificates() {
    let dir = demo_dir();
    let out = dir.path().join("x.pdf");
    let o = render(dir.path(), "WS20220520013", &out);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("revoked"), "{}", text(&o));
    assert!(!out.exists());

    let o = render(dir.path(), "NO20990000001", &out);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("no certificate numbered"), "{}", text(&o));

    let o = zhengshu(
        dir.path(),
        &[
            "render",
            "--certificate",
            "ZY20230315001",
            "--annotation",
            "1",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("has no annotation 1"), "{}", text(&o));
    assert!(!out.exists());
}

#[test]
fn missing_fonts_stop_with_the_package_to_install() {
    let dir = demo_dir();
    let empty = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_zhengshu"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["render", "--certificate", "ZY20230315001", "-o"])
        .arg(dir.path().join("x.pdf"))
        .env("ZHENGSHU_DOCUMENT__FONT_DIR", empty.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("fonts-noto-cjk"), "{}", text(&o));
}

/// A seal issued by someone else's CA (made here with openssl) is imported
/// and used; its root is what the server then publishes.
#[test]
fn keys_import_takes_a_seal_issued_elsewhere() {
    let dir = demo_dir();
    let pki = tempfile::tempdir().unwrap();
    let p = |name: &str| pki.path().join(name);
    let openssl = |args: &[&str]| {
        let o = Command::new("openssl")
            .args(args)
            .current_dir(pki.path())
            .output()
            .expect("openssl is needed");
        assert!(o.status.success(), "openssl {args:?}: {}", text(&o));
    };
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "ca.key",
    ]);
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-days",
        "3650",
        "-subj",
        "/C=CN/O=Test Authority/CN=Test Root",
        "-out",
        "ca.pem",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "seal.key",
    ]);
    openssl(&[
        "req",
        "-new",
        "-key",
        "seal.key",
        "-subj",
        "/C=CN/O=Test Authority/CN=Imported Economist Seal",
        "-out",
        "seal.csr",
    ]);
    std::fs::write(
        p("ext.cnf"),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "seal.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "365",
        "-extfile",
        "ext.cnf",
        "-out",
        "seal.pem",
    ]);

    assert!(zhengshu(dir.path(), &["keys", "init"]).status.success());
    let o = zhengshu(
        dir.path(),
        &[
            "keys",
            "import",
            "--seal",
            "economist_association",
            "--key",
            p("seal.key").to_str().unwrap(),
            "--cert",
            p("seal.pem").to_str().unwrap(),
            "--ca",
            p("ca.pem").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Imported Economist Seal"), "{}", text(&o));
    assert_eq!(
        std::fs::read(dir.path().join("keys/ca.pem")).unwrap(),
        std::fs::read(p("ca.pem")).unwrap()
    );

    let pdf = dir.path().join("economist.pdf");
    let o = render(dir.path(), "JJ20191120007", &pdf);
    assert!(o.status.success(), "{}", text(&o));
    validate(&p("ca.pem"), &pdf, 1);
    let report = text(&tool("pdfsig", &[pdf.as_os_str()]));
    assert!(report.contains("Imported Economist Seal"), "{report}");

    // A key that does not match the certificate is refused, nothing changed.
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "other.key",
    ]);
    let before = std::fs::read(dir.path().join("keys/seals/economist_association.key")).unwrap();
    let o = zhengshu(
        dir.path(),
        &[
            "keys",
            "import",
            "--seal",
            "economist_association",
            "--key",
            p("other.key").to_str().unwrap(),
            "--cert",
            p("seal.pem").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(
        std::fs::read(dir.path().join("keys/seals/economist_association.key")).unwrap(),
        before
    );
}

/// With an imported root (no `ca.key`), a body added later (on the
/// operator's console) has no seal and none can be made: the commands that
/// load the keys still run, warning which body has none, and the other
/// bodies' documents are still made.
#[tokio::test]
async fn an_imported_root_and_a_body_without_a_seal_still_start() {
    use zhengshu_storage::Storage;
    let dir = demo_dir();
    assert!(zhengshu(dir.path(), &["keys", "init"]).status.success());
    std::fs::remove_file(dir.path().join("keys/ca.key")).unwrap();
    let db = format!("sqlite://{}", dir.path().join("zhengshu.db").display());
    let store = zhengshu_storage_sqlite::SqliteStore::connect(
        &db,
        zhengshu_storage::IdVault::new(&zhengshu_storage::VaultKeys {
            encryption: [1; 32],
            index: [2; 32],
        }),
    )
    .await
    .unwrap();
    store
        .put_issuing_body(&zhengshu_domain::IssuingBody {
            code: zhengshu_domain::BodyCode::parse("new_body").unwrap(),
            name: "新设机构".into(),
            exempt_before_cutover: false,
        })
        .await
        .unwrap();
    drop(store);
    let o = zhengshu(dir.path(), &["keys", "init"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("new_body"), "{}", text(&o));
    assert!(!dir.path().join("keys/seals/new_body.pem").exists());
    let pdf = dir.path().join("pharmacist.pdf");
    let o = render(dir.path(), "ZY20230315001", &pdf);
    assert!(o.status.success(), "{}", text(&o));
}
