//! Writes a demo annotated e-certificate: `cargo run --example demo -- OUT.pdf [KEYS_DIR]`.
//! Keys are made in KEYS_DIR (default: a `demo-keys` directory beside OUT.pdf).

use std::path::PathBuf;

use jiff::civil::date;
use zhengshu_document::{AnnotationBlock, DEFAULT_TITLE, DocumentInput, Fonts, Pki, render};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let out = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "annotated-certificate.pdf".into()),
    );
    let keys = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| out.with_file_name("demo-keys"));

    let fonts = Fonts::discover()?;
    let pki = Pki::init(
        &keys,
        &[(
            "pharmacist_center",
            "国家药品监督管理局执业药师资格认证中心",
        )],
    )?;
    let input = demo_input();
    let signing_time: jiff::Timestamp = "2025-03-01T02:00:00Z".parse()?;
    let pdf = render(&input, &fonts, &pki, signing_time)?;
    std::fs::write(&out, &pdf)?;
    println!("{} ({} bytes)", out.display(), pdf.len());
    Ok(())
}

fn demo_input() -> DocumentInput {
    DocumentInput {
        title: DEFAULT_TITLE.into(),
        holder_name: "张𠀾三".into(),
        sex: Some("男".into()),
        birth_date: Some(date(1990, 5, 17)),
        id_type_label: "居民身份证".into(),
        id_number_masked: "**************002X".into(),
        qualification_name: "执业药师".into(),
        category: Some("药学类".into()),
        specialty: None,
        level: None,
        management_number: Some("2022ZY0012345".into()),
        certificate_number: "ZY2022110500123".into(),
        approval_date: Some(date(2022, 10, 22)),
        issue_date: date(2022, 12, 20),
        issuing_body_name: "国家药品监督管理局执业药师资格认证中心".into(),
        body_code: "pharmacist_center".into(),
        needs_ministry_seal: DocumentInput::ministry_seal_by_date(date(2022, 12, 20)),
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
