//! Every field is real text (extractable, rare characters included) in
//! embedded subset fonts.

use tempfile::TempDir;
use zhengshu_document::{RenderOptions, render, render_with};

use crate::support::*;

#[test]
fn pdftotext_returns_every_field_including_extension_b_names() {
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    let input = annotated_input();
    let pdf = render(&input, fonts(), &keys.pki, now()).unwrap();
    let path = write(tmp.path(), "doc.pdf", &pdf);
    let o = run("pdftotext", &[&"-enc", &"UTF-8", &path, &"-"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let a = input.annotation.as_ref().unwrap();
    let expected = [
        input.title.as_str(),
        "王𪚥𠀾",
        "女",
        "1988年02月29日",
        "居民身份证",
        "**************002X",
        "执业药师",
        "药学类",
        "临床药学",
        "中级",
        "2022ZY0012345",
        "ZY2022110500123",
        "2022年10月22日",
        "2022年12月20日",
        BODY_NAME,
        "使用场景",
        a.scenario_label.as_str(),
        "加注有效期",
        "2025年03月01日 至 2025年05月29日",
        "加注编号",
        a.number.as_str(),
        "查验码",
        a.verification_code.as_str(),
        input.verify_url.as_str(),
    ];
    for field in expected {
        assert!(out.contains(field), "{field:?} missing from:\n{out}");
    }
    for label in [
        "姓名",
        "性别",
        "出生日期",
        "证件类型",
        "证件号码",
        "资格名称",
        "证书编号",
        "签发日期",
        "发证机构",
    ] {
        assert!(out.contains(label), "label {label:?} missing from:\n{out}");
    }
}

#[test]
fn characters_missing_from_noto_fall_back_to_hanamin() {
    // U+2A6A5 is in no Noto CJK face; HanaMinB has it.
    assert!(fonts().covers('\u{2A6A5}'));
    assert!(fonts().missing("王𪚥𠀾").is_empty());
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    let pdf = render(&annotated_input(), fonts(), &keys.pki, now()).unwrap();
    let path = write(tmp.path(), "doc.pdf", &pdf);
    let out = text(&run("pdffonts", &[&path]));
    assert!(out.contains("HanaMin"), "no fallback face used:\n{out}");
}

#[test]
fn pdffonts_lists_only_embedded_subset_fonts() {
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    let opts = RenderOptions::default();
    let pdf = render_with(&annotated_input(), fonts(), &keys.pki, now(), &opts).unwrap();
    let path = write(tmp.path(), "doc.pdf", &pdf);
    let o = run("pdffonts", &[&path]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let rows: Vec<&str> = out
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(rows.len() >= 2, "{out}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type… encoding emb sub uni object gen
        let n = cols.len();
        assert_eq!(
            (cols[n - 5], cols[n - 4]),
            ("yes", "yes"),
            "not an embedded subset: {row}"
        );
        assert!(cols[0].as_bytes()[6] == b'+', "no subset tag: {row}");
    }
}

#[test]
fn a_name_no_font_has_is_refused_not_dropped() {
    let keys = Keys::new();
    let mut input = annotated_input();
    input.holder_name = "王\u{E000}".into(); // private use: no font has it
    let err = render(&input, fonts(), &keys.pki, now()).unwrap_err();
    assert!(err.to_string().contains("U+E000"), "{err}");
}

#[test]
fn missing_fonts_name_the_package_to_install() {
    let empty = TempDir::new().unwrap();
    let err = zhengshu_document::Fonts::from_dir(empty.path()).unwrap_err();
    assert!(
        err.to_string().contains("apt-get install fonts-noto-cjk"),
        "{err}"
    );

    let noto_only = TempDir::new().unwrap();
    let noto = fonts()
        .files()
        .into_iter()
        .find(|p| p.to_string_lossy().contains("CJK-Regular"))
        .unwrap();
    std::os::unix::fs::symlink(&noto, noto_only.path().join(noto.file_name().unwrap())).unwrap();
    let err = zhengshu_document::Fonts::from_dir(noto_only.path()).unwrap_err();
    assert!(
        err.to_string().contains("apt-get install fonts-hanazono"),
        "{err}"
    );
}

#[test]
fn the_photo_is_placed_when_present() {
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    let mut input = annotated_input();
    input.photo = Some(TINY_PNG.to_vec());
    let pdf = render(&input, fonts(), &keys.pki, now()).unwrap();
    let path = write(tmp.path(), "photo.pdf", &pdf);
    let out = text(&run("pdfimages", &[&"-list", &path]));
    assert_eq!(out.lines().skip(2).count(), 1, "{out}");
    let (ok, out) = pyhanko(&keys.ca_pem(), &path);
    assert!(ok, "{out}");

    input.photo = Some(b"not an image".to_vec());
    let err = render(&input, fonts(), &keys.pki, now()).unwrap_err();
    assert!(err.to_string().contains("photo"), "{err}");
}

/// A 2×2 RGB PNG.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xFD, 0xD4, 0x9A,
    0x73, 0x00, 0x00, 0x00, 0x12, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xC0,
    0x00, 0xC2, 0x0C, 0xFF, 0x81, 0x00, 0x00, 0x1F, 0xEE, 0x05, 0xFB, 0x0B, 0xD9, 0x68, 0x8B, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
