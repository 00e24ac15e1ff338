//! File-check benchmark: renders `-d` distinct annotated e-certificates
//! (two seals each) into `--out DIR` with the root as `DIR/ca.pem`, then
//! checks `-n` of them one after another on the calling thread, as the
//! upload route does (the record's answer given), and prints the median
//! time per document and documents/s (1 / median).
//! `cargo run --release -p zhengshu-document --example bench-verify -- -n 2000 --out /tmp/v`

use std::time::Instant;

use jiff::civil::date;
use zhengshu_document::check::{self, Indication, OnRecord, Standing};
use zhengshu_document::{AnnotationBlock, DEFAULT_TITLE, DocumentInput, Fonts, Pki, render};
use zhengshu_domain::Outcome;

const BODY: &str = "国家药品监督管理局执业药师资格认证中心";

fn arg(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "-n").map_or(Ok(2000), |v| v.parse())?;
    let distinct: usize = arg(&args, "-d").map_or(Ok(20), |v| v.parse())?;
    let out = std::path::PathBuf::from(arg(&args, "--out").ok_or("--out DIR is needed")?);
    std::fs::create_dir_all(&out)?;
    let keys = out.join("keys");
    let fonts = Fonts::discover()?;
    let pki = Pki::init(&keys, &[("pharmacist_center", BODY)])?;
    std::fs::copy(keys.join("ca.pem"), out.join("ca.pem"))?;
    let signing_time = jiff::Timestamp::now();
    let mut docs = Vec::with_capacity(distinct);
    for i in 0..distinct {
        let pdf = render(&input(i), &fonts, &pki, signing_time)?;
        std::fs::write(out.join(format!("doc-{i:03}.pdf")), &pdf)?;
        docs.push(pdf);
    }
    let trust = pki.trust();
    let standing = Standing::OnRecord(OnRecord {
        ministry_seal: true,
        body_seal_name: format!("{BODY}证书专用章"),
        annotation: Some((Outcome::Valid, Some(date(2025, 5, 29)))),
        certificate: Outcome::Valid,
    });
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let pdf = &docs[i % docs.len()];
        let t = Instant::now();
        let report = check::check(pdf, &trust, &standing);
        times.push(t.elapsed().as_secs_f64());
        if report.indication() != Indication::TotalPassed {
            return Err(format!("document {i} did not pass: {report:#?}").into());
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[n / 2];
    let size = docs.iter().map(Vec::len).sum::<usize>() / docs.len();
    println!("zhengshu n={n} distinct={distinct} signatures=2 mean_size={size}");
    println!(
        "check_ms median={:.3} p10={:.3} p90={:.3} docs_per_s={:.1}",
        median * 1e3,
        times[n / 10] * 1e3,
        times[n * 9 / 10] * 1e3,
        1.0 / median
    );
    Ok(())
}

fn input(i: usize) -> DocumentInput {
    let number = format!("ZY2022{:09}", 110_500_000 + i);
    DocumentInput {
        title: DEFAULT_TITLE.into(),
        holder_name: format!("张{}", ["伟", "芳", "娜", "敏", "静"][i % 5]),
        sex: Some("男".into()),
        birth_date: Some(date(1990, 5, 17)),
        id_type_label: "居民身份证".into(),
        id_number_masked: "110105********002X".into(),
        qualification_name: "执业药师".into(),
        category: Some("药学类".into()),
        specialty: None,
        level: None,
        management_number: None,
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
            number: format!("JZ2025{i:010}"),
            verification_code: format!("K7Q3A9M{:03}", i % 1000),
        }),
        verify_url: format!("https://zhengshu.example.cn/verify/K7Q3A9M{:03}", i % 1000),
    }
}
