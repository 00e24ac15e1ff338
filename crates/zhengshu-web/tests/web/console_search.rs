//! The console's certificate search pages: 50 certificates a page in the
//! order of their numbers; when more match the page says so, in the
//! page's language, and links to the next page, which links back to the
//! first. The operator's search spans every body; a body's staff page
//! through their own body's only.

use axum::http::StatusCode;
use zhengshu_domain::{Actor, Role};
use zhengshu_storage::Storage;

use crate::console::staff;
use crate::helpers::*;

const NAME: &str = "王五";
const ID: &str = "110101199003070011";

/// The search's address.
fn search(by: &str, q: &str, after: &str) -> String {
    let query = serde_urlencoded::to_string([("by", by), ("q", q), ("after", after)]).unwrap();
    format!("/console/certificates?{query}")
}

/// The `href` of the link with id `id` on `page`, unescaped.
fn link(page: &str, id: &str) -> Option<String> {
    let at = page.find(&format!("id=\"{id}\""))?;
    let start = page[..at].rfind("href=\"")? + 6;
    let end = start + page[start..].find('"')?;
    Some(page[start..end].replace("&amp;", "&").replace("&#38;", "&"))
}

#[tokio::test]
async fn a_search_with_more_than_a_page_says_so_and_pages_on() {
    let app = app().await;
    // 51 certificates of one holder in body A, one in body B.
    let mut rows: Vec<_> = (1..=51)
        .map(|i| {
            zhengshu_storage_story::certificate(
                &format!("ZY2025{i:06}"),
                NAME,
                ID,
                "licensed_pharmacist",
            )
        })
        .collect();
    rows.push(zhengshu_storage_story::certificate(
        "JJ2025000001",
        NAME,
        ID,
        "economist",
    ));
    let mut tx = app
        .store
        .begin_import(&Actor::Cli("test".into()))
        .await
        .unwrap();
    tx.write(&rows, false, app.clock.now_ts()).await.unwrap();
    tx.commit().await.unwrap();
    let (mut officer, _) = staff(&app, "officer_a", Some("pharmacist_center"), Role::Officer).await;

    for (by, q) in [("name", NAME), ("id", ID)] {
        let first = officer.get(&app, &search(by, q, "")).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(first.body.matches("class=\"certificate-link\"").count(), 50);
        assert!(first.body.contains("ZY2025000050") && !first.body.contains("ZY2025000051"));
        assert!(
            first.body.contains("id=\"certificates-more\"") && first.body.contains("还有更多"),
            "{}",
            first.body
        );
        assert!(link(&first.body, "certificates-first").is_none());
        let next = link(&first.body, "certificates-next").expect("a next page");
        assert!(next.contains("after=ZY2025000050"), "{next}");
        let second = officer.get(&app, &next).await;
        assert_eq!(second.status, StatusCode::OK);
        assert_eq!(second.body.matches("class=\"certificate-link\"").count(), 1);
        assert!(second.body.contains("ZY2025000051"));
        // Body B's certificate is not body A's staff's to see.
        assert!(!second.body.contains("JJ2025000001"));
        assert!(!second.body.contains("id=\"certificates-more\""));
        assert!(link(&second.body, "certificates-next").is_none());
        let back = link(&second.body, "certificates-first").expect("the first page");
        assert!(!back.contains("after="), "{back}");
    }

    // In English too; an `after` that is no certificate number is the
    // first page.
    officer.accept_language = Some("en".into());
    let en = officer
        .get(&app, &search("name", NAME, "<not a number>"))
        .await;
    assert_eq!(en.status, StatusCode::OK);
    assert!(en.body.contains("More certificates match"), "{}", en.body);
    assert!(en.body.contains("ZY2025000001"));

    // The operator's search spans both bodies, in number order: body B's
    // number comes first.
    let (mut operator, _) = staff(&app, "operator1", None, Role::Operator).await;
    let all = operator.get(&app, &search("name", NAME, "")).await;
    assert!(all.body.contains("JJ2025000001"), "{}", all.body);
    assert!(!all.body.contains("ZY2025000050"));
}
