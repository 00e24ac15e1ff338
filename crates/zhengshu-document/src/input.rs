//! What a document shows: plain values the caller has already checked and
//! formatted (names NFC-normalised, ID numbers masked, labels in zh-CN).

use jiff::civil::Date;

/// The first issue date whose certificates carry the ministry's seal as
/// well as the issuing body's (and need an annotation before download).
pub const MINISTRY_SEAL_SINCE: Date = jiff::civil::date(2021, 12, 17);

/// The title used when a qualification type has none of its own.
pub const DEFAULT_TITLE: &str = "中华人民共和国专业技术人员职业资格证书";

/// Everything printed on one e-certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentInput {
    /// Title at the top, e.g. [`DEFAULT_TITLE`].
    pub title: String,
    /// 持证人姓名, may contain CJK Extension characters.
    pub holder_name: String,
    /// 性别 (男/女), when known.
    pub sex: Option<String>,
    /// 出生日期, when known.
    pub birth_date: Option<Date>,
    /// 证件类型, e.g. 居民身份证.
    pub id_type_label: String,
    /// 证件号码, already masked for display.
    pub id_number_masked: String,
    /// 资格名称, e.g. 执业药师.
    pub qualification_name: String,
    /// 类别, where the type has one.
    pub category: Option<String>,
    /// 专业, where the type has one.
    pub specialty: Option<String>,
    /// 级别, where the type has one.
    pub level: Option<String>,
    /// 管理号, when present.
    pub management_number: Option<String>,
    /// 证书编号.
    pub certificate_number: String,
    /// 批准日期, when present.
    pub approval_date: Option<Date>,
    /// 签发日期.
    pub issue_date: Date,
    /// 发证机构: also the text along the issuing body's seal.
    pub issuing_body_name: String,
    /// Code of the issuing body: selects its seal key in the [`crate::Pki`].
    pub body_code: String,
    /// Whether the ministry's seal is applied (before the body's). See
    /// [`DocumentInput::ministry_seal_by_date`].
    pub needs_ministry_seal: bool,
    /// The holder's photo, JPEG or PNG.
    pub photo: Option<Vec<u8>>,
    /// The annotation (加注) this document was generated for.
    pub annotation: Option<AnnotationBlock>,
    /// What the QR code opens: the verification page of this document.
    pub verify_url: String,
}

/// The annotation (加注) a document is generated for: what the holder
/// applied for, as printed in the annotation block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnotationBlock {
    /// 使用场景 as printed, e.g. 本人调用.
    pub scenario_label: String,
    /// First day of 加注有效期 (inclusive).
    pub valid_from: Date,
    /// Last day of 加注有效期 (inclusive).
    pub valid_until: Date,
    /// 加注编号.
    pub number: String,
    /// 查验码: the code of this annotated copy's verification page
    /// (`{public_base_url}/verify/{code}`, also the QR code).
    pub verification_code: String,
}

impl DocumentInput {
    /// The default rule: certificates issued on or after 2021-12-17 carry
    /// the ministry's seal. Callers with configured cut-over dates set
    /// [`DocumentInput::needs_ministry_seal`] themselves.
    pub fn ministry_seal_by_date(issue_date: Date) -> bool {
        issue_date >= MINISTRY_SEAL_SINCE
    }
}

/// `2024年01月05日`, the way certificates print dates.
pub(crate) fn zh_date(d: Date) -> String {
    format!("{}年{:02}月{:02}日", d.year(), d.month(), d.day())
}
