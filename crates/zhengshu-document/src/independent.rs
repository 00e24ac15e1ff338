//! Test support (feature `test-support`): a signed document judged by tools
//! zhengshu did not write — poppler's `pdfsig`, pyHanko (the virtualenv
//! made by `tests/setup.sh`, or `ZHENGSHU_PYHANKO`) and `qpdf --check`. A
//! missing tool fails the check with what to install; it never passes
//! silently.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn tool(program: &str, args: &[&OsStr]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is needed ({e}): run crates/zhengshu-document/tests/setup.sh")
        })
}

/// The pyHanko command.
pub fn pyhanko() -> PathBuf {
    let bin = std::env::var_os("ZHENGSHU_PYHANKO")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pyvenv"))
        .join("bin/pyhanko");
    assert!(
        bin.exists(),
        "pyHanko not found at {}: run crates/zhengshu-document/tests/setup.sh",
        bin.display()
    );
    bin
}

/// Panics unless `pdfsig` finds `signatures` valid signatures over the
/// whole document, pyHanko judges every signature valid and intact with
/// `ca` as the only trust root, and `qpdf --check` finds no problem.
pub fn check_signed_pdf(ca: &Path, pdf: &Path, signatures: usize) {
    let report = text(&tool("pdfsig", &[pdf.as_os_str()]));
    assert_eq!(
        report
            .matches("Signature Validation: Signature is Valid.")
            .count(),
        signatures,
        "{report}"
    );
    assert!(
        report.contains("Total document signed") || report.contains("total document signed"),
        "{report}"
    );
    let o = tool(
        pyhanko().to_str().expect("a UTF-8 path"),
        &[
            "sign".as_ref(),
            "validate".as_ref(),
            "--trust".as_ref(),
            ca.as_os_str(),
            "--trust-replace".as_ref(),
            "--pretty-print".as_ref(),
            pdf.as_os_str(),
        ],
    );
    assert!(o.status.success(), "pyHanko: {}", text(&o));
    let o = tool("qpdf", &["--check".as_ref(), pdf.as_os_str()]);
    assert!(o.status.success(), "qpdf: {}", text(&o));
}
