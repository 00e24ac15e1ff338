//! The verification scope (证书查询验证范围): per issuing body, which
//! qualification types can be checked and for which years. It is a pure
//! function of the operator's settings on each [`QualificationType`]
//! (`in_scope`, `years_from`, `years_to`) and of the issue years present in
//! the certificates ([`IssueYears`]): a type in scope covers the years its
//! settings allow *and* its data holds; a type out of scope is listed as
//! such, so a holder sees why a certificate of it is not found.

use serde::{Deserialize, Serialize};

use crate::{IssuingBody, QualificationCode, QualificationType};

/// The issue years found in the certificates of one qualification type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueYears {
    pub qualification: QualificationCode,
    /// The earliest issue year on record.
    pub first: i16,
    /// The latest issue year on record.
    pub last: i16,
    /// How many certificates of the type are on record, all years.
    pub certificates: i64,
}

/// A span of years, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Years {
    pub from: i16,
    pub to: i16,
}

/// One qualification type in the scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualificationScope {
    pub code: QualificationCode,
    pub name: String,
    /// Whether the operator put the type in the verification scope.
    pub in_scope: bool,
    /// The years whose certificates can be checked: the configured years
    /// that the data holds. `None` when the type is out of scope or no
    /// certificate of a configured year is on record.
    pub years: Option<Years>,
}

/// One issuing body and its qualification types, in scope first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyScope {
    pub body: IssuingBody,
    pub qualifications: Vec<QualificationScope>,
}

/// The scope of every body that issues at least one qualification type,
/// bodies in the order given; within a body the types in scope come first,
/// each group in the order given. A type whose body is unknown is left out.
pub fn verification_scope(
    bodies: &[IssuingBody],
    types: &[QualificationType],
    issued: &[IssueYears],
) -> Vec<BodyScope> {
    bodies
        .iter()
        .filter_map(|body| {
            let (mut qualifications, out): (Vec<_>, Vec<_>) = types
                .iter()
                .filter(|q| q.body == body.code)
                .map(|q| qualification_scope(q, issued))
                .partition(|q| q.in_scope);
            qualifications.extend(out);
            (!qualifications.is_empty()).then(|| BodyScope {
                body: body.clone(),
                qualifications,
            })
        })
        .collect()
}

fn qualification_scope(q: &QualificationType, issued: &[IssueYears]) -> QualificationScope {
    let years = issued
        .iter()
        .find(|i| i.qualification == q.code)
        .filter(|_| q.in_scope)
        .and_then(|i| {
            let from = i.first.max(q.years_from);
            let to = q.years_to.map_or(i.last, |to| to.min(i.last));
            (from <= to).then_some(Years { from, to })
        });
    QualificationScope {
        code: q.code.clone(),
        name: q.name.clone(),
        in_scope: q.in_scope,
        years,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BodyCode;

    fn body(code: &str) -> IssuingBody {
        IssuingBody {
            code: BodyCode::parse(code).unwrap(),
            name: format!("{code} name"),
            exempt_before_cutover: false,
        }
    }

    fn qualification(
        code: &str,
        body: &str,
        in_scope: bool,
        from: i16,
        to: Option<i16>,
    ) -> QualificationType {
        QualificationType {
            code: QualificationCode::parse(code).unwrap(),
            name: format!("{code} name"),
            body: BodyCode::parse(body).unwrap(),
            in_scope,
            years_from: from,
            years_to: to,
        }
    }

    fn issued(code: &str, first: i16, last: i16) -> IssueYears {
        IssueYears {
            qualification: QualificationCode::parse(code).unwrap(),
            first,
            last,
            certificates: 1,
        }
    }

    /// In scope, configured from and to, the data's first and last year,
    /// the covered years wanted.
    type Case = (
        bool,
        i16,
        Option<i16>,
        Option<(i16, i16)>,
        Option<(i16, i16)>,
    );

    #[test]
    fn covered_years_are_the_configured_years_the_data_holds() {
        let cases: &[Case] = &[
            (true, 2016, None, Some((2010, 2024)), Some((2016, 2024))),
            (true, 2016, None, Some((2018, 2020)), Some((2018, 2020))),
            (
                true,
                2016,
                Some(2019),
                Some((2010, 2024)),
                Some((2016, 2019)),
            ),
            (
                true,
                2016,
                Some(2019),
                Some((2017, 2018)),
                Some((2017, 2018)),
            ),
            (
                true,
                2016,
                Some(2016),
                Some((2016, 2016)),
                Some((2016, 2016)),
            ),
            // Data only before the configured years, or only after them.
            (true, 2016, None, Some((2001, 2015)), None),
            (true, 2016, Some(2018), Some((2019, 2024)), None),
            // No certificate on record.
            (true, 2016, None, None, None),
            // Out of scope: never any years, whatever the data.
            (false, 2016, None, Some((2016, 2024)), None),
        ];
        for &(in_scope, from, to, data, want) in cases {
            let types = [qualification("pharmacist", "center", in_scope, from, to)];
            let data: Vec<_> = data
                .map(|(f, l)| issued("pharmacist", f, l))
                .into_iter()
                .collect();
            let scope = verification_scope(&[body("center")], &types, &data);
            let got = scope[0].qualifications[0].years;
            assert_eq!(
                got,
                want.map(|(from, to)| Years { from, to }),
                "in_scope {in_scope}, configured {from}..{to:?}, data {data:?}"
            );
            assert_eq!(scope[0].qualifications[0].in_scope, in_scope);
        }
    }

    #[test]
    fn types_group_under_their_body_in_scope_first() {
        let bodies = [body("center"), body("association"), body("idle")];
        let types = [
            qualification("retired", "center", false, 2000, Some(2010)),
            qualification("pharmacist", "center", true, 2016, None),
            qualification("economist", "association", true, 2016, None),
            qualification("orphan", "unknown_body", true, 2016, None),
        ];
        let data = [
            issued("pharmacist", 2017, 2024),
            issued("orphan", 2017, 2024),
        ];
        let scope = verification_scope(&bodies, &types, &data);
        let summary: Vec<(&str, Vec<(&str, bool)>)> = scope
            .iter()
            .map(|b| {
                (
                    b.body.code.as_str(),
                    b.qualifications
                        .iter()
                        .map(|q| (q.code.as_str(), q.in_scope))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("center", vec![("pharmacist", true), ("retired", false)]),
                ("association", vec![("economist", true)]),
            ]
        );
        assert_eq!(scope[1].qualifications[0].years, None);
    }
}
