//! The demo data of zhengshu (`zhengshu demo`, `serve --demo`; the README
//! gives the log-in and `GET /api/v1/demo` lists it): realistic issuing bodies
//! and qualification types, the demo holder `demo` (张三) with a certificate
//! that needs annotation, one exempt from it and one revoked, a second holder
//! whose name has a CJK Extension-B character, the first service terms, and
//! 10,000 synthetic certificates that anyone can verify by number and name.
//! Loading is idempotent: whatever is present already is left as it is.
#![forbid(unsafe_code)]

mod synthetic;

use jiff::Timestamp;
use serde::Serialize;
use zhengshu_domain::{
    Actor, AnnotationPolicy, BodyCode, CertificateNumber, HolderName, IdDocument, IdType,
    IdentityProof, IssuingBody, NewCertificate, Password, QualificationCode, QualificationType,
    Revocation, Sex, Username,
};
use zhengshu_storage::{Conflict, NewHolder, Storage, StorageError};

pub use synthetic::{SYNTHETIC_COUNT, synthetic_certificate};

/// The demo holders' password (the README gives it).
pub const DEMO_PASSWORD: &str = "Demo-2024-zhengshu";

/// A demo holder account.
#[derive(Debug, Clone, Copy)]
pub struct DemoHolder {
    pub username: &'static str,
    pub name: &'static str,
    pub id_number: &'static str,
}

/// 张三, the demo holder the README logs in as.
pub const DEMO: DemoHolder = DemoHolder {
    username: "demo",
    name: "张三",
    id_number: "11010519491231002X",
};

/// The holder whose name has 𠀾 (U+2003E, CJK Extension B, no Mandarin
/// reading): found in the rare-character picker by radical and strokes.
pub const DEMO_EXT_B: DemoHolder = DemoHolder {
    username: "demo2",
    name: "陈𠀾",
    id_number: "440106198807150029",
};

pub const HOLDERS: [DemoHolder; 2] = [DEMO, DEMO_EXT_B];

/// The certificate numbers of the three certificates of `demo`.
pub const PHARMACIST_NUMBER: &str = "ZY20230315001";
pub const ECONOMIST_NUMBER: &str = "JJ20191120007";
pub const REVOKED_NUMBER: &str = "WS20220520013";
pub const EXT_B_NUMBER: &str = "ZY20240610088";

const ACTOR: &str = "demo";

/// The first version of the service terms.
pub const TERMS_TEXT: &str = "服务须知\n\n\
1. 本系统提供专业技术人员职业资格证书的查询、验证、加注和下载服务。\n\
2. 请使用取得证书时所用的证件类型和证件号码注册；姓名或证件号码更正后，请使用更正后的信息重新注册。\n\
3. 电子证书经加注后方可查看和下载；加注应注明使用场景和有效期，每次不超过90天；同一证书90日内最多3次有效加注。\n\
4. 请妥善保管账号和密码，不得将电子证书用于加注场景以外的用途。\n\
5. 您的证件号码加密存储，页面仅显示部分号码；每次对您证书的查验都会记录，您可以查看。";

/// What was loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    pub certificates: u64,
    pub holders: u64,
}

/// Loads whatever part of the demo data is absent.
pub async fn load(storage: &dyn Storage, now: Timestamp) -> Result<Loaded, StorageError> {
    storage.migrate().await?;
    let mut loaded = Loaded::default();
    for body in issuing_bodies() {
        storage.put_issuing_body(&body).await?;
    }
    for q in qualification_types() {
        storage.put_qualification_type(&q).await?;
    }
    let actor = Actor::Cli(ACTOR.into());
    let mut tx = storage.begin_import(&actor).await?;
    let showcase = showcase_certificates();
    loaded.certificates += count_inserted(&tx.write(&showcase, false, now).await?);
    for start in (0..SYNTHETIC_COUNT).step_by(1000) {
        let batch: Vec<_> = (start..(start + 1000).min(SYNTHETIC_COUNT))
            .map(synthetic_certificate)
            .collect();
        loaded.certificates += count_inserted(&tx.write(&batch, false, now).await?);
    }
    tx.commit().await?;

    let revocation = Revocation {
        at: "2024-03-01T02:30:00Z".parse().expect("constant timestamp"),
        reason: "资格考试违纪，依规取消考试成绩并撤销证书".into(),
    };
    let number = CertificateNumber::parse(REVOKED_NUMBER).expect("constant number");
    match storage
        .revoke_certificate(&number, &revocation, &actor)
        .await
    {
        Ok(()) | Err(StorageError::Conflict(Conflict::AlreadyRevoked)) => {}
        Err(e) => return Err(e),
    }

    for h in HOLDERS {
        let holder = NewHolder {
            username: Username::parse(h.username).expect("constant username"),
            name: HolderName::parse(h.name).expect("constant name"),
            id_document: IdDocument::parse(IdType::ResidentId, h.id_number).expect("constant id"),
            password_hash: Password::parse(DEMO_PASSWORD).expect("policy").hash(),
        };
        match storage.create_holder(&holder, now).await {
            Ok(id) => {
                // The demo holders have proven who they are, as if by a
                // code to the contact their issuing body recorded.
                match storage.prove_identity(id, IdentityProof::Code, now).await {
                    Ok(_) | Err(StorageError::Conflict(Conflict::IdentityHeld)) => {}
                    Err(e) => return Err(e),
                }
                loaded.holders += 1;
            }
            Err(StorageError::Conflict(Conflict::Username)) => {}
            Err(e) => return Err(e),
        }
    }
    if storage.current_terms().await?.is_none() {
        storage.publish_terms(TERMS_TEXT, now).await?;
    }
    tracing::info!(
        certificates = loaded.certificates,
        holders = loaded.holders,
        "demo data loaded"
    );
    Ok(loaded)
}

fn count_inserted(outcomes: &[zhengshu_storage::RowOutcome]) -> u64 {
    outcomes
        .iter()
        .filter(|o| **o == zhengshu_storage::RowOutcome::Inserted)
        .count() as u64
}

fn code<T>(parse: fn(&str) -> Result<T, String>, s: &str) -> T {
    parse(s).expect("constant code")
}

/// The demo issuing bodies.
pub fn issuing_bodies() -> Vec<IssuingBody> {
    [
        (
            "pharmacist_center",
            "国家药品监督管理局执业药师资格认证中心",
            false,
        ),
        (
            "health_talent_center",
            "国家卫生健康委人才交流服务中心",
            false,
        ),
        ("economist_association", "中国经济专业技术资格协会", true),
    ]
    .into_iter()
    .map(|(c, name, exempt)| IssuingBody {
        code: code(BodyCode::parse, c),
        name: name.into(),
        exempt_before_cutover: exempt,
    })
    .collect()
}

/// The demo qualification types.
pub fn qualification_types() -> Vec<QualificationType> {
    [
        ("licensed_pharmacist", "执业药师", "pharmacist_center", 2016),
        (
            "health_professional",
            "卫生专业技术资格",
            "health_talent_center",
            2016,
        ),
        (
            "economist",
            "经济专业技术资格",
            "economist_association",
            2010,
        ),
    ]
    .into_iter()
    .map(|(c, name, body, from)| QualificationType {
        code: code(QualificationCode::parse, c),
        name: name.into(),
        body: code(BodyCode::parse, body),
        in_scope: true,
        years_from: from,
        years_to: None,
    })
    .collect()
}

#[allow(clippy::too_many_arguments)]
fn cert(
    number: &str,
    h: DemoHolder,
    sex: Sex,
    qualification: &str,
    (category, specialty, level): (Option<&str>, Option<&str>, Option<&str>),
    approval: jiff::civil::Date,
    issue: jiff::civil::Date,
) -> NewCertificate {
    let id = IdDocument::parse(IdType::ResidentId, h.id_number).expect("constant id");
    let birth = birth_date_of(h.id_number);
    NewCertificate {
        number: CertificateNumber::parse(number).expect("constant number"),
        management_number: Some(format!("GL{}", &number[2..])),
        name: HolderName::parse(h.name).expect("constant name"),
        sex: Some(sex),
        birth_date: birth,
        id,
        qualification: code(QualificationCode::parse, qualification),
        category: category.map(Into::into),
        specialty: specialty.map(Into::into),
        level: level.map(Into::into),
        approval_date: Some(approval),
        issue_date: issue,
        photo: None,
        contacts: Default::default(),
    }
}

/// The birth date written in a resident ID (digits 7–14).
pub fn birth_date_of(resident_id: &str) -> Option<jiff::civil::Date> {
    let s = resident_id.get(6..14)?;
    jiff::civil::Date::new(
        s[..4].parse().ok()?,
        s[4..6].parse().ok()?,
        s[6..].parse().ok()?,
    )
    .ok()
}

/// The certificates of the demo holders.
pub fn showcase_certificates() -> Vec<NewCertificate> {
    use jiff::civil::date;
    vec![
        cert(
            PHARMACIST_NUMBER,
            DEMO,
            Sex::Male,
            "licensed_pharmacist",
            (Some("药学类"), Some("药学"), None),
            date(2023, 2, 28),
            date(2023, 3, 15),
        ),
        cert(
            ECONOMIST_NUMBER,
            DEMO,
            Sex::Male,
            "economist",
            (None, Some("工商管理"), Some("中级")),
            date(2019, 11, 1),
            date(2019, 11, 20),
        ),
        cert(
            REVOKED_NUMBER,
            DEMO,
            Sex::Male,
            "health_professional",
            (Some("药学"), Some("药学"), Some("初级（师）")),
            date(2022, 5, 6),
            date(2022, 5, 20),
        ),
        cert(
            EXT_B_NUMBER,
            DEMO_EXT_B,
            Sex::Female,
            "licensed_pharmacist",
            (Some("中药学类"), Some("中药学"), None),
            date(2024, 5, 30),
            date(2024, 6, 10),
        ),
    ]
}

/// One entry of `GET /api/v1/demo`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ShowcaseEntry {
    pub number: String,
    pub name: String,
    pub qualification: String,
    pub status: &'static str,
    pub needs_annotation: bool,
}

/// The numbers of the certificates a visitor is shown: the demo holders'
/// and a handful of synthetic ones.
pub fn showcase_numbers() -> Vec<CertificateNumber> {
    let mut numbers: Vec<CertificateNumber> = showcase_certificates()
        .into_iter()
        .map(|c| c.number)
        .collect();
    numbers.extend((0..5).map(|i| synthetic_certificate(i * 1999).number));
    numbers
}

/// The demo holders' certificates and a handful of synthetic ones.
pub async fn showcase(
    storage: &dyn Storage,
    policy: &AnnotationPolicy,
) -> Result<Vec<ShowcaseEntry>, StorageError> {
    let numbers = showcase_numbers();
    let mut out = Vec::with_capacity(numbers.len());
    for number in numbers {
        let n = number.to_string();
        let c = match storage.certificate_by_number(&number).await {
            Ok(c) => c,
            Err(StorageError::NotFound) => continue,
            Err(e) => return Err(e),
        };
        out.push(ShowcaseEntry {
            number: n,
            name: c.data.name.as_str().to_owned(),
            qualification: c.qualification_name.clone(),
            status: c.status.code(),
            needs_annotation: policy
                .needs_annotation(c.data.issue_date, c.body_exempt_before_cutover),
        });
    }
    Ok(out)
}
