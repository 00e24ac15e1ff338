//! Stories of the verification scope's data: the issue years on record per
//! qualification type, read from each engine's own date column.

use zhengshu_domain::{Actor, Revocation};
use zhengshu_storage::Storage;

use crate::{T0, ZHANG_ID, at, certificate, import, seed_reference};

pub async fn issue_years_span_each_types_certificates(s: &dyn Storage) {
    seed_reference(s).await;
    assert!(
        s.issue_years().await.unwrap().is_empty(),
        "no certificates yet"
    );

    let mut rows = Vec::new();
    // The first and last days of a year: the year is the date's, not a
    // neighbour's after a time-zone shift or an off-by-one substring.
    for (number, day) in [
        ("ZY2016000001", jiff::civil::date(2016, 1, 1)),
        ("ZY2023000001", jiff::civil::date(2023, 12, 31)),
        ("ZY2019000001", jiff::civil::date(2019, 7, 15)),
    ] {
        let mut c = certificate(number, "张三", ZHANG_ID, "licensed_pharmacist");
        c.issue_date = day;
        rows.push(c);
    }
    let mut economist = certificate("JJ2009000001", "张三", ZHANG_ID, "economist");
    economist.issue_date = jiff::civil::date(2009, 12, 31);
    rows.push(economist);
    import(s, &rows, false).await;
    // A revoked certificate can still be checked: it counts.
    s.revoke_certificate(
        &rows[1].number,
        &Revocation {
            at: at(T0),
            reason: "以不正当手段取得".into(),
        },
        &Actor::Cli("story".into()),
    )
    .await
    .unwrap();

    let years: Vec<(String, i16, i16, i64)> = s
        .issue_years()
        .await
        .unwrap()
        .into_iter()
        .map(|y| (y.qualification.to_string(), y.first, y.last, y.certificates))
        .collect();
    assert_eq!(
        years,
        [
            ("economist".to_owned(), 2009, 2009, 1),
            ("licensed_pharmacist".to_owned(), 2016, 2023, 3),
        ]
    );
}
