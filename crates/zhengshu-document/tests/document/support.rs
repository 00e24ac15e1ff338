//! Shared fixtures: fonts, keys, inputs and the external tools.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::civil::date;
use tempfile::TempDir;
use zhengshu_document::{AnnotationBlock, DEFAULT_TITLE, DocumentInput, Fonts, Pki};

pub const BODY_CODE: &str = "pharmacist_center";
pub const BODY_NAME: &str = "国家药品监督管理局执业药师资格认证中心";

pub fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS
        .get_or_init(|| Fonts::discover().unwrap_or_else(|e| panic!("{e} (or run tests/setup.sh)")))
}

/// A fresh key directory with the ministry's and one body's seal.
pub struct Keys {
    pub dir: TempDir,
    pub pki: Pki,
}

impl Keys {
    pub fn new() -> Keys {
        let dir = TempDir::new().unwrap();
        let pki = Pki::init(dir.path(), &[(BODY_CODE, BODY_NAME)]).unwrap();
        Keys { dir, pki }
    }

    pub fn ca_pem(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }
}

/// Signing "now" (to the second), so certificates made now are valid at it.
pub fn now() -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second()).unwrap()
}

/// A certificate issued after 2021-12-17, annotated, every optional field set.
pub fn annotated_input() -> DocumentInput {
    DocumentInput {
        title: DEFAULT_TITLE.into(),
        holder_name: "王𪚥𠀾".into(),
        sex: Some("女".into()),
        birth_date: Some(date(1988, 2, 29)),
        id_type_label: "居民身份证".into(),
        id_number_masked: "**************002X".into(),
        qualification_name: "执业药师".into(),
        category: Some("药学类".into()),
        specialty: Some("临床药学".into()),
        level: Some("中级".into()),
        management_number: Some("2022ZY0012345".into()),
        certificate_number: "ZY2022110500123".into(),
        approval_date: Some(date(2022, 10, 22)),
        issue_date: date(2022, 12, 20),
        issuing_body_name: BODY_NAME.into(),
        body_code: BODY_CODE.into(),
        needs_ministry_seal: true,
        photo: None,
        annotation: Some(AnnotationBlock {
            scenario_label: "本人调用".into(),
            valid_from: date(2025, 3, 1),
            valid_until: date(2025, 5, 29),
            number: "JZ20250301A7K3Q9".into(),
            verification_code: "K7Q3A9M2X5".into(),
        }),
        verify_url: "https://zhengshu.example.cn/verify/K7Q3A9M2X5".into(),
    }
}

/// A certificate issued in 2019 by an exempt association: body seal only.
pub fn older_input() -> DocumentInput {
    DocumentInput {
        holder_name: "张三".into(),
        qualification_name: "经济专业技术资格".into(),
        category: None,
        specialty: Some("金融".into()),
        level: Some("中级".into()),
        certificate_number: "JJ2019000001".into(),
        issue_date: date(2019, 11, 30),
        needs_ministry_seal: DocumentInput::ministry_seal_by_date(date(2019, 11, 30)),
        annotation: None,
        verify_url: "https://zhengshu.example.cn/verify/B4T8C6N1P3XQ7M2K9R5D".into(),
        ..annotated_input()
    }
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs an external tool; a missing tool fails with what to install.
pub fn run(program: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = Command::new(program);
    for a in args {
        cmd.arg(a);
    }
    cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{program}` ({e}): run crates/zhengshu-document/tests/setup.sh \
             (poppler-utils, qpdf, libnss3-tools, pyHanko)"
        )
    })
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `pdfsig` with a fresh NSS database that trusts the platform root.
pub fn pdfsig_trusting(ca_pem: &Path, pdf: &Path) -> String {
    let nss = TempDir::new().unwrap();
    let db = format!("sql:{}", nss.path().display());
    let o = run("certutil", &[&"-N", &"-d", &db, &"--empty-password"]);
    assert!(o.status.success(), "certutil -N: {}", text(&o));
    // Trusted for issuing e-mail/object-signing certificates, which is what
    // poppler asks NSS about a PDF signer.
    let o = run(
        "certutil",
        &[
            &"-A",
            &"-n",
            &"zhengshu",
            &"-t",
            &"C,C,C",
            &"-i",
            &ca_pem,
            &"-d",
            &db,
        ],
    );
    assert!(o.status.success(), "certutil -A: {}", text(&o));
    text(&run("pdfsig", &[&"-nssdir", &db, &pdf]))
}

pub fn pdfsig(pdf: &Path) -> String {
    text(&run("pdfsig", &[&pdf]))
}

fn pyhanko_bin() -> PathBuf {
    let venv = std::env::var_os("ZHENGSHU_PYHANKO")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pyvenv"));
    let bin = venv.join("bin/pyhanko");
    assert!(
        bin.exists(),
        "pyHanko not found at {}: run crates/zhengshu-document/tests/setup.sh",
        bin.display()
    );
    bin
}

/// `pyhanko sign validate --trust ca.pem --pretty-print`: (success, output).
pub fn pyhanko(ca_pem: &Path, pdf: &Path) -> (bool, String) {
    let bin = pyhanko_bin();
    let o = run(
        bin.to_str().unwrap(),
        &[
            &"sign",
            &"validate",
            &"--trust",
            &ca_pem,
            &"--trust-replace",
            &"--pretty-print",
            &pdf,
        ],
    );
    (o.status.success(), text(&o))
}

pub fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}
