//! The 10,000 synthetic certificates: deterministic, so a number and name
//! printed in the README or returned by `GET /api/v1/demo` always verify.

use jiff::civil::date;
use zhengshu_domain::{
    CertificateNumber, HolderName, IdDocument, IdType, NewCertificate, QualificationCode, Sex,
    resident_check_digit,
};

pub const SYNTHETIC_COUNT: u32 = 10_000;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "桂英", "建华", "志强", "晓东", "海燕", "雨欣", "子涵", "浩然", "思远", "婧",
    "翀", "喆",
];
const REGIONS: &[&str] = &[
    "110105", "310104", "440106", "510107", "330106", "420111", "610113",
];
/// Qualification code, number prefix, category, specialty, level.
type Kind = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

const QUALIFICATIONS: &[Kind] = &[
    (
        "licensed_pharmacist",
        "ZY",
        Some("药学类"),
        Some("药学"),
        None,
    ),
    (
        "licensed_pharmacist",
        "ZY",
        Some("中药学类"),
        Some("中药学"),
        None,
    ),
    (
        "health_professional",
        "WS",
        Some("护理"),
        Some("护理学"),
        Some("中级"),
    ),
    (
        "health_professional",
        "WS",
        Some("药学"),
        Some("临床药学"),
        Some("初级（师）"),
    ),
    ("economist", "JJ", None, Some("金融"), Some("中级")),
    ("economist", "JJ", None, Some("人力资源管理"), Some("初级")),
];

/// A small deterministic mixer (SplitMix64), enough to spread the fields.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn pick<T: Copy>(items: &[T], r: u64) -> T {
    items[(r % items.len() as u64) as usize]
}

/// The `i`-th synthetic certificate (`i < SYNTHETIC_COUNT`), numbered
/// `SYN-<qualification prefix>-<i+1, six digits>`.
pub fn synthetic_certificate(i: u32) -> NewCertificate {
    let r = |k: u64| mix(u64::from(i) * 16 + k);
    let (qualification, prefix, category, specialty, level) = pick(QUALIFICATIONS, r(0));
    let name = format!("{}{}", pick(SURNAMES, r(1)), pick(GIVEN, r(2)));
    let birth = date(1960, 1, 1)
        .checked_add(jiff::Span::new().days((r(3) % 14_000) as i64))
        .expect("in range");
    let female = r(4) % 2 == 0;
    let seq = (r(5) % 900 + 100) as u32;
    let seq = seq - seq % 2 + u32::from(!female);
    let first17 = format!(
        "{}{}{seq:03}",
        pick(REGIONS, r(6)),
        birth.strftime("%Y%m%d")
    );
    let id = format!(
        "{first17}{}",
        resident_check_digit(&first17).expect("17 digits")
    );
    let issue = date(2015, 6, 1)
        .checked_add(jiff::Span::new().days((r(7) % 3_800) as i64))
        .expect("in range");
    let approval = issue
        .checked_sub(jiff::Span::new().days(14))
        .expect("in range");
    NewCertificate {
        number: CertificateNumber::parse(&format!("SYN-{prefix}-{:06}", i + 1))
            .expect("synthetic number"),
        management_number: Some(format!("GL{}{:08}", issue.year(), r(8) % 100_000_000)),
        name: HolderName::parse(&name).expect("synthetic name"),
        sex: Some(if female { Sex::Female } else { Sex::Male }),
        birth_date: Some(birth),
        id: IdDocument::parse(IdType::ResidentId, &id).expect("synthetic id"),
        qualification: QualificationCode::parse(qualification).expect("code"),
        category: category.map(Into::into),
        specialty: specialty.map(Into::into),
        level: level.map(Into::into),
        approval_date: Some(approval),
        issue_date: issue,
        photo: None,
        contacts: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_certificates_are_valid_distinct_and_stable() {
        let mut numbers = std::collections::HashSet::new();
        for i in 0..SYNTHETIC_COUNT {
            let c = synthetic_certificate(i);
            assert!(numbers.insert(c.number.clone()), "duplicate {}", c.number);
            assert!(c.issue_date >= date(2015, 6, 1));
        }
        assert_eq!(synthetic_certificate(41), synthetic_certificate(41));
    }
}
