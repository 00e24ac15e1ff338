//! The officer's part: enrolment from the link `zhengshu staff add`
//! printed and sign-in with codes from `oathtool`; an upload with two bad
//! rows, its report and rejects file, the corrected upload imported; a
//! revocation after the confirmation step; a correction of a holder's
//! name, with its version; a PDF attached to a certificate.

use std::path::Path;

use fantoccini::{Client, Locator};

use crate::browser::*;
use crate::{
    CORRECTED, FILE_NUMBER, FILE_TITLE, HOLDER_EMAIL, HOLDER_ID, HOLDER_NAME, HOLDER_NUMBER,
    PASSWORD, REASON,
};

/// Enrols from `link` (password twice, the first code) and signs in with
/// the next step's code; answers the TOTP secret.
pub async fn enrol_and_sign_in(c: &Client, base: &str, link: &str, username: &str) -> String {
    c.goto(link).await.unwrap();
    let secret = c
        .wait()
        .for_element(Locator::Id("totp-secret"))
        .await
        .expect("the enrolment page")
        .text()
        .await
        .unwrap();
    fill(c, "#password", PASSWORD).await;
    fill(c, "#password_confirmation", PASSWORD).await;
    fill(c, "#code", &oath(&secret, 0)).await;
    click(c, "form.form button[type=submit]").await;
    c.wait()
        .for_element(Locator::Css("ul.recovery-codes li"))
        .await
        .expect("recovery codes after enrolment");
    // The enrolment used this step's code: the next step's signs in.
    c.goto(&format!("{base}/console/login")).await.unwrap();
    fill(c, "#username", username).await;
    fill(c, "#password", PASSWORD).await;
    fill(c, "#code", &oath(&secret, 1)).await;
    click(c, "form.form button[type=submit]").await;
    wait_for_path(c, |p| p == "/console").await;
    secret
}

/// The import files: two bad rows (a wrong check digit on line 3, a date
/// of the wrong form on line 5), and the same corrected. Line 2 is the
/// holder whose name is corrected later, with the e-mail address codes go
/// to; the others are the demo holder's.
fn files(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let zhang = zhengshu_demo::DEMO.id_number;
    let bad = [
        "certificate_number,name,id_type,id_number,qualification,issue_date,sex,email".to_owned(),
        format!(
            "{HOLDER_NUMBER},{HOLDER_NAME},resident_id,{HOLDER_ID},licensed_pharmacist,2023-06-01,男,{HOLDER_EMAIL}"
        ),
        "ZY5002,张三,resident_id,110105194912310021,licensed_pharmacist,2023-06-01,男,".into(),
        format!("{FILE_NUMBER},张三,resident_id,{zhang},licensed_pharmacist,2023-06-01,男,"),
        format!("ZY5004,张三,resident_id,{zhang},licensed_pharmacist,2023/06/01,男,"),
    ]
    .join("\n");
    let fixed = bad
        .replace("110105194912310021", zhang)
        .replace("2023/06/01", "2023-06-01");
    let (b, f) = (
        dir.join("certificates.csv"),
        dir.join("certificates-fixed.csv"),
    );
    std::fs::write(&b, bad + "\n").unwrap();
    std::fs::write(&f, fixed + "\n").unwrap();
    (b, f)
}

async fn upload(c: &Client, base: &str, file: &Path) {
    c.goto(&format!("{base}/console/imports")).await.unwrap();
    c.find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    click(c, "#upload-form button[type=submit]").await;
    wait_for_path(c, |p| p.starts_with("/console/imports/")).await;
}

/// The two-bad-row file read, reported and its rejects downloaded; the
/// corrected file imported all or nothing.
pub async fn import(c: &Client, base: &str, dir: &Path, downloads: &Path) {
    let (bad, fixed) = files(dir);
    upload(c, base, &bad).await;
    // The page follows the check by itself, then shows the report.
    let report = wait_for_text(c, "被拒绝的行", 60).await;
    assert!(report.contains("检查完成"), "{report}");
    let counts = c
        .find(Locator::Id("import-counts"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        counts.contains("读取行数\t4") || counts.contains("读取行数 4"),
        "{counts}"
    );
    let table = c
        .find(Locator::Id("refusals"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // By line and column, each reason in the page's language.
    for (line, column, said) in [
        (3, "id_number", "校验位"),
        (5, "issue_date", "不是 年-月-日"),
    ] {
        let row = table
            .lines()
            .find(|l| {
                l.starts_with(&format!("{line}\t{column}"))
                    || l.starts_with(&format!("{line} {column}"))
            })
            .unwrap_or_else(|| panic!("no line {line} {column}: {table}"));
        assert!(row.contains(said), "{row}");
    }
    shot(c, "console-import-report").await;

    // [下载被拒绝行]: an ordinary browser download.
    click(c, "#rejects-link").await;
    let rejects = std::fs::read_to_string(downloaded(downloads, "csv").await).unwrap();
    let mut lines = rejects.lines();
    assert_eq!(lines.next(), Some("line,column,code,reason"));
    let rest: Vec<&str> = lines.collect();
    assert_eq!(rest.len(), 2, "{rejects}");
    assert!(
        rest[0].starts_with("3,\"id_number\",\"id_bad_check_digit\","),
        "{rejects}"
    );
    assert!(
        rest[1].starts_with("5,\"issue_date\",\"date_invalid\","),
        "{rejects}"
    );

    // The corrected file: no refusal, then [确认导入] (all or nothing).
    upload(c, base, &fixed).await;
    wait_for_text(c, "确认导入", 60).await;
    let text = text(c).await;
    assert!(!text.contains("被拒绝的行"), "{text}");
    click(c, "#confirm").await;
    let done = wait_for_text(c, "导入完成", 60).await;
    assert!(done.contains("新增证书"), "{done}");
    shot(c, "console-import-done").await;
    // The summary fits a phone's width too.
    c.set_window_size(390, 844).await.unwrap();
    let inner = c
        .execute("return window.innerWidth;", vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    no_sideways_scrolling(c, inner).await;
    c.set_window_size(1280, 1400).await.unwrap();
}

/// The page's text once the console says a change was made (its notice),
/// which must say `notice`.
async fn done(c: &Client, notice: &str) -> String {
    let n = c
        .wait()
        .for_element(Locator::Id("done"))
        .await
        .expect("the change's notice")
        .text()
        .await
        .unwrap();
    assert!(n.contains(notice), "{n}");
    text(c).await
}

/// Opens the certificate `number` from the search.
async fn open(c: &Client, base: &str, number: &str) {
    c.goto(&format!("{base}/console/certificates?by=number&q={number}"))
        .await
        .unwrap();
    click(c, "a.certificate-link").await;
    wait_for_path(c, |p| p.starts_with("/console/certificates/")).await;
}

/// Revokes `number` with [`REASON`] after the confirmation step.
pub async fn revoke(c: &Client, number: &str) {
    click(c, "a[href='/console/certificates']").await;
    wait_for_path(c, |p| p == "/console/certificates").await;
    fill(c, "#q", number).await;
    click(c, "form.filters button[type=submit]").await;
    click(c, "a.certificate-link").await;
    wait_for_path(c, |p| p.starts_with("/console/certificates/")).await;
    fill(c, "#revoke-reason", REASON).await;
    click(c, "#revoke-submit").await;
    let t = wait_for_text(c, "确认撤销", 10).await;
    assert!(t.contains(REASON), "{t}");
    shot(c, "console-01-revoke-confirm").await;
    click(c, "#revoke-confirmed").await;
    let t = done(c, "证书已撤销").await;
    assert!(
        t.contains(REASON) && t.contains("certificate.revoke"),
        "{t}"
    );
    shot(c, "console-02-revoked").await;
}

/// Corrects the holder's name of [`HOLDER_NUMBER`] to [`CORRECTED`]; the
/// certificate's page then lists the version it replaced.
pub async fn correct(c: &Client, base: &str) {
    open(c, base, HOLDER_NUMBER).await;
    fill(c, "#c-name", CORRECTED).await;
    fill(c, "#c-reason", "姓名录入错误，按身份证更正").await;
    click(c, "#correct-submit").await;
    let t = done(c, "已保存更正").await;
    assert!(t.contains(CORRECTED) && t.contains("姓名录入错误"), "{t}");
    let versions = c
        .execute(
            "return document.querySelectorAll('.version').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(versions.as_i64(), Some(1), "{t}");
    assert!(t.contains(HOLDER_NAME), "the version before: {t}");
    shot(c, "console-03-corrected").await;
}

/// Attaches `pdf` to [`FILE_NUMBER`] with [`FILE_TITLE`].
pub async fn attach(c: &Client, base: &str, pdf: &Path) {
    open(c, base, FILE_NUMBER).await;
    fill(c, "#file-title", FILE_TITLE).await;
    c.find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(pdf.to_str().unwrap())
        .await
        .unwrap();
    click(c, "#attach-submit").await;
    let t = done(c, "已上传电子文件").await;
    assert!(
        t.contains(FILE_TITLE) && t.contains("application/pdf"),
        "{t}"
    );
    shot(c, "console-04-file-attached").await;
}
