//! Document benchmark: renders and double-signs `-n` annotated
//! e-certificates one after another on the calling thread and prints the
//! median time per document, documents/s (1 / median, as the Python peer
//! reports it) and the median file size.
//! `cargo run --release -p zhengshu-document --example bench -- -n 200`

use std::time::Instant;

use jiff::civil::date;
use zhengshu_document::{AnnotationBlock, DEFAULT_TITLE, DocumentInput, Fonts, Pki, render};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = match args.iter().position(|a| a == "-n") {
        Some(i) => args.get(i + 1).ok_or("-n needs a number")?.parse()?,
        None => 200,
    };
    let t0 = Instant::now();
    let keys = std::env::temp_dir().join(format!("zhengshu-bench-keys-{}", std::process::id()));
    let fonts = Fonts::discover()?;
    let pki = Pki::init(&keys, &[("pharmacist_center", BODY)])?;
    let setup_ms = t0.elapsed().as_secs_f64() * 1e3;
    let signing_time: jiff::Timestamp = "2025-03-01T02:00:00Z".parse()?;

    let mut times = Vec::with_capacity(n);
    let mut sizes = Vec::with_capacity(n);
    for i in 0..n {
        let input = input(i);
        let t = Instant::now();
        let pdf = render(&input, &fonts, &pki, signing_time)?;
        times.push(t.elapsed().as_secs_f64());
        sizes.push(pdf.len());
    }
    std::fs::remove_dir_all(&keys)?;
    times.sort_by(f64::total_cmp);
    sizes.sort_unstable();
    let median = times[n / 2];
    println!("zhengshu n={n} signatures=2 setup_ms={setup_ms:.1}");
    println!(
        "total_ms median={:.2} p10={:.2} p90={:.2} docs_per_s={:.1}",
        median * 1e3,
        times[n / 10] * 1e3,
        times[n * 9 / 10] * 1e3,
        1.0 / median
    );
    println!("size_signed median={}", sizes[n / 2]);
    Ok(())
}

const BODY: &str = "国家药品监督管理局执业药师资格认证中心";

/// The `i`-th document: an annotated certificate issued after 2021-12-17
/// (two seals), names varying so that every document subsets its fonts anew.
fn input(i: usize) -> DocumentInput {
    const GIVEN: [&str; 6] = ["𠀾", "伟", "芳", "娜", "敏", "静"];
    let number = format!("ZY2022{:09}", 110_500_000 + i);
    let code = format!("JZ2025{:010}", i);
    DocumentInput {
        title: DEFAULT_TITLE.into(),
        holder_name: format!("张{}{}", GIVEN[i % 6], GIVEN[(i / 6) % 6]),
        sex: Some("男".into()),
        birth_date: Some(date(1990, 5, 17)),
        id_type_label: "居民身份证".into(),
        id_number_masked: "**************002X".into(),
        qualification_name: "执业药师".into(),
        category: Some("药学类".into()),
        specialty: None,
        level: None,
        management_number: Some(format!("GL{number}")),
        certificate_number: number,
        approval_date: Some(date(2022, 10, 22)),
        issue_date: date(2022, 12, 20),
        issuing_body_name: BODY.into(),
        body_code: "pharmacist_center".into(),
        needs_ministry_seal: true,
        photo: None,
        annotation: Some(AnnotationBlock {
            scenario_label: "本人调用".into(),
            valid_from: date(2025, 3, 1),
            valid_until: date(2025, 5, 29),
            number: code,
            verification_code: format!("V{i:09}"),
        }),
        verify_url: format!("https://zhengshu.example.cn/verify/V{i:09}"),
    }
}
