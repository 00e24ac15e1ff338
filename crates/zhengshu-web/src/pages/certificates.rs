//! The holder's certificates: the list (with what to do when it is
//! empty, and the dates of corrections that took certificates away from
//! the registered identity), [证书信息] with every field and the
//! certificate's electronic files ([查看文件], [下载文件]), [详情] with the status and a
//! revocation's time and reason, and the [下载] page with the annotation
//! state. A certificate of somebody else is 404, like one that does not
//! exist.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use zhengshu_domain::{Certificate, CertificateStatus, Holder};

use super::extract::{Csrf, PageAgreed, PageHolder};
use super::{Chrome, PageError, china_time, path_id, render};
use crate::i18n::{Arg, Lang};
use crate::services::{self, annotations, certificates, corrections, files, verification};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/certificates", get(list))
        .route("/certificates/{id}", get(information))
        .route("/certificates/{id}/details", get(details))
        .route("/certificates/{id}/download", get(download))
}

/// A certificate as the list shows it.
struct Row {
    id: i64,
    number: String,
    qualification: String,
    issued_on: String,
    issuing_body: String,
    revoked: bool,
    needs_annotation: bool,
}

impl Row {
    fn of(state: &AppState, c: &Certificate) -> Self {
        Row {
            id: c.id,
            number: c.data.number.to_string(),
            qualification: c.qualification_name.clone(),
            issued_on: c.data.issue_date.to_string(),
            issuing_body: c.body_name.clone(),
            revoked: matches!(c.status, CertificateStatus::Revoked(_)),
            needs_annotation: certificates::needs_annotation(state, c),
        }
    }
}

/// What an empty list tells the holder: why it may be empty and what to do.
struct EmptyHelp {
    name: String,
    id_type: String,
    id_number: String,
    bodies: Vec<String>,
    scope: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "certificates.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    empty: Option<EmptyHelp>,
    /// The latest correction that took a certificate away from this
    /// account's identity: when, never what it changed.
    corrected: Option<String>,
}

async fn empty_help(state: &AppState, lang: Lang, h: &Holder) -> Result<EmptyHelp, PageError> {
    let bodies = state
        .storage
        .issuing_bodies()
        .await?
        .into_iter()
        .map(|b| b.name)
        .collect();
    // The same scope, and the same years, as the scope page shows.
    let scope = services::scope::current(state)
        .await?
        .into_iter()
        .flat_map(|b| b.qualifications)
        .filter(|q| q.in_scope)
        .map(|q| {
            let q = super::scope::qualification(lang, q);
            (q.name, q.years)
        })
        .collect();
    Ok(EmptyHelp {
        name: h.name.to_string(),
        id_type: lang.t(&format!("id-type-{}", h.id_document.id_type.code())),
        id_number: h.id_document.number.masked(),
        bodies,
        scope,
    })
}

/// The list of an account that has agreed to the terms. One that has not
/// proven its identity is sent to prove it, unless corrections took every
/// certificate away from its registration (an account the holder
/// registered again with the corrected details may have taken the
/// identity): then it is shown its empty list and why.
async fn list(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    PageAgreed(h): PageAgreed,
) -> Result<Response, PageError> {
    let (certs, dates) = if h.identity.is_proven() {
        let certs = certificates::of(&state, &h).await?;
        let dates = if h.unlinked_at.is_none() {
            corrections::corrected_away(&state, &h.id_document, &h.name).await?
        } else {
            Vec::new()
        };
        (certs, dates)
    } else {
        let dates = corrections::corrected_unproven(&state, &h).await?;
        if dates.is_empty() {
            return Ok(Redirect::to("/identity?next=%2Fcertificates").into_response());
        }
        (Vec::new(), dates)
    };
    let empty = if certs.is_empty() {
        Some(empty_help(&state, lang, &h).await?)
    } else {
        None
    };
    let corrected = dates.into_iter().next_back().map(|at| {
        let date = zhengshu_domain::day_in_china(at).to_string();
        lang.t_args("certificates-corrected", &[("date", Arg::Str(&date))])
    });
    let page = ListPage {
        chrome: Chrome::new(lang, &csrf, Some(&h), "/certificates", lang.t("list-title")),
        rows: certs.iter().map(|c| Row::of(&state, c)).collect(),
        empty,
        corrected,
    };
    Ok(render(StatusCode::OK, &page))
}

/// A label and its value.
struct Field {
    label: String,
    value: String,
}

/// The revocation of a certificate, as shown.
struct Revoked {
    at: String,
    reason: String,
}

fn revoked(c: &Certificate) -> Option<Revoked> {
    match &c.status {
        CertificateStatus::Valid => None,
        CertificateStatus::Revoked(r) => Some(Revoked {
            at: china_time(r.at),
            reason: r.reason.clone(),
        }),
    }
}

/// Every field of a certificate, in the order of a paper certificate.
fn fields(lang: Lang, c: &Certificate) -> Vec<Field> {
    let d = &c.data;
    let none = || lang.t("value-none");
    let opt = |v: &Option<String>| v.clone().filter(|s| !s.is_empty()).unwrap_or_else(none);
    let day = |v: Option<zhengshu_domain::Day>| v.map_or_else(none, |d| d.to_string());
    let status = match c.status {
        CertificateStatus::Valid => lang.t("status-valid"),
        CertificateStatus::Revoked(_) => lang.t("status-revoked"),
    };
    [
        ("field-label-number", d.number.to_string()),
        ("field-label-management-number", opt(&d.management_number)),
        ("field-label-name", d.name.to_string()),
        (
            "field-label-sex",
            d.sex
                .map_or_else(none, |s| lang.t(&format!("sex-{}", s.code()))),
        ),
        ("field-label-birth-date", day(d.birth_date)),
        (
            "field-label-id-type",
            lang.t(&format!("id-type-{}", d.id.id_type.code())),
        ),
        ("field-label-id-number", d.id.number.masked()),
        ("field-label-qualification", c.qualification_name.clone()),
        ("field-label-category", opt(&d.category)),
        ("field-label-specialty", opt(&d.specialty)),
        ("field-label-level", opt(&d.level)),
        ("field-label-approval-date", day(d.approval_date)),
        ("field-label-issue-date", d.issue_date.to_string()),
        ("field-label-issuing-body", c.body_name.clone()),
        ("field-label-status", status),
    ]
    .into_iter()
    .map(|(key, value)| Field {
        label: lang.t(key),
        value,
    })
    .collect()
}

#[derive(Template)]
#[template(path = "certificate.html")]
struct InformationPage {
    chrome: Chrome,
    id: i64,
    fields: Vec<Field>,
    revoked: Option<Revoked>,
    /// The certificate's electronic files: (id, title).
    files: Vec<(i64, String)>,
}

async fn information(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    PageHolder(h): PageHolder,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let c = certificates::own(&state, &h, path_id(&id)?).await?;
    let path = format!("/certificates/{}", c.id);
    let page = InformationPage {
        chrome: Chrome::new(lang, &csrf, Some(&h), &path, lang.t("information-title")),
        id: c.id,
        fields: fields(lang, &c),
        revoked: revoked(&c),
        files: files::holders(&state, &h, &c)
            .await?
            .into_iter()
            .map(|f| (f.id, f.title))
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "details.html")]
struct DetailsPage {
    chrome: Chrome,
    row: Row,
    revoked: Option<Revoked>,
}

async fn details(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    PageHolder(h): PageHolder,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let c = certificates::own(&state, &h, path_id(&id)?).await?;
    let path = format!("/certificates/{}/details", c.id);
    let page = DetailsPage {
        chrome: Chrome::new(lang, &csrf, Some(&h), &path, lang.t("details-title")),
        row: Row::of(&state, &c),
        revoked: revoked(&c),
    };
    Ok(render(StatusCode::OK, &page))
}

/// The newest annotation as the [下载] page shows it.
pub(super) struct AnnotationBox {
    pub id: i64,
    /// `generating`, `ready`, `expired`, `withdrawn`, `failed`.
    pub state: &'static str,
    pub state_label: String,
    pub number: String,
    pub code: String,
    pub scenario: String,
    pub applied_on: String,
    /// "from – until", once generated.
    pub validity: Option<String>,
    /// 查验记录: how many times it was verified, and the newest checks.
    pub verified: String,
    pub verifications: Vec<VerificationRow>,
}

/// One verification as the holder sees it: when and how.
pub(super) struct VerificationRow {
    pub at: String,
    pub channel: String,
}

impl AnnotationBox {
    fn of(
        state: &AppState,
        lang: Lang,
        a: &zhengshu_domain::Annotation,
        log: zhengshu_storage::VerificationLog,
    ) -> Self {
        let st = a.state_on(state.clock.today());
        AnnotationBox {
            id: a.id,
            state: st.code(),
            state_label: lang.t(&format!("annotation-state-{}", st.code())),
            number: a.number.clone(),
            code: a.verification_code.clone(),
            scenario: lang.t(&format!("scenario-{}", a.scenario)),
            applied_on: a.applied_on.to_string(),
            validity: a.valid_from.zip(a.valid_until).map(|(from, until)| {
                lang.t_args(
                    "annotation-validity-range",
                    &[
                        ("from", Arg::Str(&from.to_string())),
                        ("until", Arg::Str(&until.to_string())),
                    ],
                )
            }),
            verified: lang.t_args("verifications-count", &[("count", Arg::Num(log.count))]),
            verifications: log
                .newest
                .iter()
                .map(|v| VerificationRow {
                    at: china_time(v.at),
                    channel: lang.t(&format!("verify-channel-{}", v.channel.code())),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "download.html")]
struct DownloadPage {
    chrome: Chrome,
    row: Row,
    fields: Vec<Field>,
    revoked: Option<Revoked>,
    annotation: Option<AnnotationBox>,
    /// Reload by itself while generating.
    refresh: bool,
    can_apply: bool,
    notice: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DownloadQuery {
    /// `applied` or `withdrawn`: what the holder just did.
    done: Option<String>,
}

async fn download(
    State(state): State<AppState>,
    lang: Lang,
    Csrf(csrf): Csrf,
    PageHolder(h): PageHolder,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DownloadQuery>,
) -> Result<Response, PageError> {
    let c = certificates::own(&state, &h, path_id(&id)?).await?;
    let path = format!("/certificates/{}/download", c.id);
    let row = Row::of(&state, &c);
    let revoked = revoked(&c);
    let latest = if row.needs_annotation && revoked.is_none() {
        annotations::latest(&state, &h, &c).await?
    } else {
        None
    };
    let annotation = match latest {
        Some(a) => {
            let log = verification::log_of(&state, &a).await?;
            Some(AnnotationBox::of(&state, lang, &a, log))
        }
        None => None,
    };
    let busy = annotation
        .as_ref()
        .is_some_and(|a| matches!(a.state, "generating" | "ready"));
    let notice = match q.done.as_deref() {
        Some("applied") => Some(lang.t("annotation-applied-notice")),
        Some("withdrawn") => Some(lang.t("annotation-withdrawn-notice")),
        _ => None,
    };
    let page = DownloadPage {
        chrome: Chrome::new(lang, &csrf, Some(&h), &path, lang.t("download-title")),
        refresh: annotation.as_ref().is_some_and(|a| a.state == "generating"),
        can_apply: row.needs_annotation && revoked.is_none() && !busy,
        fields: fields(lang, &c),
        row,
        revoked,
        annotation,
        notice,
    };
    Ok(render(StatusCode::OK, &page))
}
