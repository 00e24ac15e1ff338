//! The certificate pages and calls: the list with qualification, number,
//! issue date, issuing body and status; [证书信息] with every field and the
//! ID number masked; [详情] of a revoked certificate with 撤销时间 and
//! 撤销原因; the [下载] page with the annotation state; and the empty list
//! with each possible reason and what to do.

use axum::http::{Method, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn the_list_shows_every_certificate_with_its_status() {
    let app = app().await;
    zhang(&app).await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let list = b.get(&app, "/certificates").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("<title>我的证书 - "));
    for text in [
        "执业药师",
        zhengshu_demo::PHARMACIST_NUMBER,
        "2023-03-15",
        "国家药品监督管理局执业药师资格认证中心",
        "经济专业技术资格",
        zhengshu_demo::ECONOMIST_NUMBER,
        "卫生专业技术资格",
        zhengshu_demo::REVOKED_NUMBER,
        ">有效</span>",
        ">已撤销</span>",
        ">证书信息<",
        ">详情<",
        ">下载<",
    ] {
        assert!(list.body.contains(text), "{text}");
    }
    let revoked = certificate_id(&app, zhengshu_demo::REVOKED_NUMBER).await;
    assert!(
        list.body
            .contains(&format!("href=\"/certificates/{revoked}/details\""))
    );
}

#[tokio::test]
async fn information_shows_every_field_with_the_id_number_masked() {
    let app = app().await;
    zhang(&app).await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let id = certificate_id(&app, zhengshu_demo::PHARMACIST_NUMBER).await;
    let page = b.get(&app, &format!("/certificates/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "证书编号",
        zhengshu_demo::PHARMACIST_NUMBER,
        "管理号",
        "GL20230315001",
        "持证人姓名",
        "张三",
        "性别",
        "男",
        "出生日期",
        "1949-12-31",
        "证件类型",
        "居民身份证",
        "证件号码",
        "**************002X",
        "资格名称",
        "执业药师",
        "类别",
        "药学类",
        "专业",
        "药学",
        "级别",
        "批准日期",
        "2023-02-28",
        "签发日期",
        "2023-03-15",
        "发证机构",
        "国家药品监督管理局执业药师资格认证中心",
        "证书状态",
        "有效",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert!(
        !page.body.contains(zhengshu_demo::DEMO.id_number),
        "never in full"
    );
    assert!(!page.body.contains("19491231002"));

    let t = agreed_token(&app, "demo").await;
    let a = api(
        &app,
        Method::GET,
        &format!("/api/v1/me/certificates/{id}"),
        Some(&t),
        None,
    )
    .await;
    let c = a.json();
    assert_eq!(c["number"], zhengshu_demo::PHARMACIST_NUMBER);
    assert_eq!(c["id_number"], "**************002X");
    assert_eq!(c["name"], "张三");
    assert_eq!(c["status"], "valid");
    assert_eq!(c["needs_annotation"], true);
    assert_eq!(c["issued_on"], "2023-03-15");
    assert_eq!(c["approved_on"], "2023-02-28");
    assert_eq!(c["specialty"], "药学");
    assert!(c.get("revoked_at").is_none());
    assert!(!a.body.contains(zhengshu_demo::DEMO.id_number));
}

#[tokio::test]
async fn details_of_a_revoked_certificate_show_when_and_why() {
    let app = app().await;
    zhang(&app).await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let id = certificate_id(&app, zhengshu_demo::REVOKED_NUMBER).await;
    let page = b.get(&app, &format!("/certificates/{id}/details")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("撤销时间"));
    // 02:30 UTC is 10:30 China Standard Time.
    assert!(page.body.contains("2024-03-01 10:30"));
    assert!(page.body.contains("撤销原因"));
    assert!(
        page.body
            .contains("资格考试违纪，依规取消考试成绩并撤销证书")
    );
    assert!(page.body.contains(">已撤销</span>"));
    // The information page has them as well.
    let info = b.get(&app, &format!("/certificates/{id}")).await;
    assert!(info.body.contains("2024-03-01 10:30"));

    let t = agreed_token(&app, "demo").await;
    let list = api(&app, Method::GET, "/api/v1/me/certificates", Some(&t), None).await;
    let revoked = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == zhengshu_demo::REVOKED_NUMBER)
        .cloned()
        .unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoked_at"], "2024-03-01T02:30:00Z");
    assert_eq!(
        revoked["revocation_reason"],
        "资格考试违纪，依规取消考试成绩并撤销证书"
    );
    assert_eq!(revoked["issuing_body"], "国家卫生健康委人才交流服务中心");
}

#[tokio::test]
async fn the_download_page_has_the_information_and_the_annotation_state() {
    let app = app().await;
    zhang(&app).await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "demo").await;
    let needs = certificate_id(&app, zhengshu_demo::PHARMACIST_NUMBER).await;
    let page = b
        .get(&app, &format!("/certificates/{needs}/download"))
        .await;
    assert!(page.body.contains("id=\"annotation-state\""));
    assert!(page.body.contains("加注状态"));
    assert!(page.body.contains("尚未申请加注"));
    assert!(page.body.contains("**************002X"));
    let exempt = certificate_id(&app, zhengshu_demo::ECONOMIST_NUMBER).await;
    let page = b
        .get(&app, &format!("/certificates/{exempt}/download"))
        .await;
    assert!(page.body.contains("无需加注"));
    let revoked = certificate_id(&app, zhengshu_demo::REVOKED_NUMBER).await;
    let page = b
        .get(&app, &format!("/certificates/{revoked}/download"))
        .await;
    assert!(page.body.contains("该证书已撤销，不能查看或下载电子证书"));
}

#[tokio::test]
async fn an_empty_list_gives_every_reason_and_what_to_do() {
    let app = app().await;
    holder(&app, "wangwu", "王五", "110101199003070011").await;
    let mut b = Browser::new();
    b.log_in_agreed(&app, "wangwu").await;
    let page = b.get(&app, "/certificates").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "没有找到您的证书",
        // What was searched with, the ID number masked.
        "王五",
        "**************0011",
        // The four reasons a list may be empty, each with what to do.
        "您尚未取得证书",
        "证书数据尚未上线",
        "2016 年以前的证书数据正在陆续导入",
        "2017 年及以后取得的证书，请联系证书发放机构",
        "国家药品监督管理局执业药师资格认证中心",
        "证书类型不在查询验证范围内",
        // The years /scope shows: those configured that the data holds.
        "执业药师: 2023–2024 年",
        "姓名或证件号码已更正",
        "请使用更正后的姓名和证件号码重新注册",
        "href=\"/register\"",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert!(!page.body.contains("110101199003070011"));
    // In English too.
    b.get(&app, "/lang/en?next=/certificates").await;
    let page = b.get(&app, "/certificates").await;
    assert!(page.body.contains("Your name or ID number was corrected"));
    assert!(
        page.body
            .contains("register again with the corrected name and ID number")
    );
}
