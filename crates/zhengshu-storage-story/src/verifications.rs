//! Stories of public verification (证书查验): a 查验码 finds its annotation,
//! certificate and document hash, and a withdrawal or revocation shows on
//! the next look-up; a check by number and name answers a wrong name like
//! an unknown number; verifications are recorded in batches (500 at once, all
//! or none) and read back per annotation, counted and newest first; a
//! verifier's address is kept only as a keyed hash.

use std::net::IpAddr;

use jiff::{SignedDuration, Timestamp, ToSpan};
use zhengshu_domain::{
    Actor, Annotation, AnnotationPolicy, Channel, Outcome, Revocation, Verdict, VerificationCode,
};
use zhengshu_storage::annotations::sha256_hex;
use zhengshu_storage::{
    Generated, NewVerification, Storage, StorageError, Verification, VerifierKey,
};

use crate::annotations::{application, apply, seed_annotatable};
use crate::{T0, at};

fn code(n: u8) -> VerificationCode {
    VerificationCode::from_random([n; VerificationCode::LEN])
}

fn d0() -> zhengshu_domain::Day {
    jiff::civil::date(2024, 5, 1)
}

/// An annotation of the seeded certificate applied with `code` on
/// 2024-05-01 and generated the same day; answers it and its document.
pub(crate) async fn ready_annotation(
    s: &dyn Storage,
    cert: i64,
    holder: i64,
    code: &VerificationCode,
) -> (Annotation, Vec<u8>) {
    let a = apply(
        s,
        &application(cert, holder, d0(), code.as_str()),
        &AnnotationPolicy::default(),
    )
    .await
    .unwrap()
    .expect("inside the limit");
    let now = at("2024-05-01T03:00:00Z");
    let job = s
        .claim_job("w", now, SignedDuration::from_secs(30))
        .await
        .unwrap()
        .expect("its job");
    let content = format!("%PDF-1.7 {}", code.as_str()).into_bytes();
    let generated = Generated {
        content: content.clone(),
        valid_from: d0(),
        valid_until: AnnotationPolicy::valid_until(d0(), 90),
    };
    assert!(s.complete_job(&job, "w", &generated, now).await.unwrap());
    (s.annotation(a.id).await.unwrap(), content)
}

fn verification(
    minutes: i64,
    channel: Channel,
    annotation: Option<&Annotation>,
    certificate_id: i64,
    verdict: Verdict,
) -> NewVerification {
    NewVerification {
        at: at(T0) + SignedDuration::from_mins(minutes),
        channel,
        annotation_id: annotation.map(|a| a.id),
        certificate_id,
        verifier: VerifierKey::new([5; 32]).hash(IpAddr::from([198, 51, 100, 23])),
        verdict,
    }
}

pub async fn verification_codes_find_their_annotation(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    // Generating: found by its code, no document yet, and nothing to tell
    // a verifier (the code was never shown).
    let pending = code(1);
    let a = apply(
        s,
        &application(cert, holder, d0(), pending.as_str()),
        &AnnotationPolicy::default(),
    )
    .await
    .unwrap()
    .unwrap();
    let found = s.annotation_by_code(&pending).await.unwrap();
    assert_eq!(found.annotation, a);
    assert_eq!(found.document_sha256, None);
    assert_eq!(
        Outcome::of_annotation(&found.annotation, &found.certificate.status, d0()),
        Outcome::NotFound
    );
    // Generated: the verifier sees the certificate and the document's hash.
    let now = at(T0);
    let job = s
        .claim_job("w", now, SignedDuration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    let content = b"%PDF-1.7 verified".to_vec();
    let generated = Generated {
        content: content.clone(),
        valid_from: d0(),
        valid_until: AnnotationPolicy::valid_until(d0(), 90),
    };
    assert!(s.complete_job(&job, "w", &generated, now).await.unwrap());
    // A code typed in lower case is the same code.
    let typed = VerificationCode::parse(&pending.as_str().to_lowercase()).unwrap();
    let found = s.annotation_by_code(&typed).await.unwrap();
    assert_eq!(found.annotation.id, a.id);
    assert_eq!(found.document_sha256, Some(sha256_hex(&content)));
    assert_eq!(found.certificate.id, cert);
    assert_eq!(found.certificate.data.number.as_str(), "ZY2024000001");
    assert_eq!(found.certificate.qualification_name, "执业药师");
    let today = d0() + 10.days();
    assert_eq!(
        Outcome::of_annotation(&found.annotation, &found.certificate.status, today),
        Outcome::Valid
    );
    // An unknown code is not found.
    assert!(matches!(
        s.annotation_by_code(&code(2)).await,
        Err(StorageError::NotFound)
    ));
    // A withdrawal shows on the next look-up.
    let withdrawn_at: Timestamp = at("2024-05-05T01:00:00Z");
    s.withdraw_annotation(a.id, today, &Actor::Holder(holder), withdrawn_at)
        .await
        .unwrap();
    let found = s.annotation_by_code(&pending).await.unwrap();
    assert_eq!(
        Outcome::of_annotation(&found.annotation, &found.certificate.status, today),
        Outcome::Withdrawn {
            on: jiff::civil::date(2024, 5, 5)
        }
    );
    // So does a revocation of the certificate, for another annotation.
    let other = code(3);
    let (b, _) = ready_annotation(s, cert, holder, &other).await;
    let revocation = Revocation {
        at: at("2024-05-06T02:00:00Z"),
        reason: "以不正当手段取得".into(),
    };
    s.revoke_certificate(
        &found.certificate.data.number,
        &revocation,
        &Actor::Staff("pharmacist_center".into()),
    )
    .await
    .unwrap();
    let found = s.annotation_by_code(&other).await.unwrap();
    assert_eq!(found.annotation.id, b.id);
    assert_eq!(
        Outcome::of_annotation(&found.annotation, &found.certificate.status, today),
        Outcome::Revoked(revocation)
    );
}

pub async fn verifications_round_trip_counted_newest_first(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    let (a, _) = ready_annotation(s, cert, holder, &code(1)).await;
    let (b, _) = ready_annotation(s, cert, holder, &code(2)).await;
    assert_eq!(
        s.verifications_of_annotation(a.id, 10).await.unwrap(),
        Default::default(),
        "none yet"
    );
    s.record_verifications(&[]).await.unwrap();
    // Written out of time order, across two batches; one of them of the
    // certificate itself (no annotation).
    s.record_verifications(&[
        verification(30, Channel::Batch, Some(&a), cert, Verdict::Valid),
        verification(10, Channel::Qr, Some(&a), cert, Verdict::Valid),
        verification(20, Channel::Qr, Some(&b), cert, Verdict::Valid),
        verification(25, Channel::NumberName, None, cert, Verdict::Valid),
    ])
    .await
    .unwrap();
    s.record_verifications(&[
        verification(40, Channel::Api, Some(&a), cert, Verdict::Expired),
        verification(40, Channel::File, Some(&a), cert, Verdict::Withdrawn),
    ])
    .await
    .unwrap();
    let log = s.verifications_of_annotation(a.id, 10).await.unwrap();
    assert_eq!(log.count, 4);
    let seen = |m: i64, channel, verdict| Verification {
        at: at(T0) + SignedDuration::from_mins(m),
        channel,
        verdict,
    };
    // Newest first; of two at the same time, the one recorded later.
    assert_eq!(
        log.newest,
        [
            seen(40, Channel::File, Verdict::Withdrawn),
            seen(40, Channel::Api, Verdict::Expired),
            seen(30, Channel::Batch, Verdict::Valid),
            seen(10, Channel::Qr, Verdict::Valid),
        ]
    );
    // Only the newest N, but the count of all.
    let two = s.verifications_of_annotation(a.id, 2).await.unwrap();
    assert_eq!(two.count, 4);
    assert_eq!(two.newest, log.newest[..2]);
    let other = s.verifications_of_annotation(b.id, 10).await.unwrap();
    assert_eq!(other.count, 1);
    assert_eq!(other.newest, [seen(20, Channel::Qr, Verdict::Valid)]);
}

pub async fn five_hundred_verifications_are_written_at_once(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    let (a, _) = ready_annotation(s, cert, holder, &code(1)).await;
    let batch: Vec<NewVerification> = (0..500)
        .map(|i| {
            let channel = Channel::ALL[i % Channel::ALL.len()];
            verification(i as i64, channel, Some(&a), cert, Verdict::Valid)
        })
        .collect();
    let started = std::time::Instant::now();
    s.record_verifications(&batch).await.unwrap();
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(5),
        "500 verifications took {took:?}"
    );
    let log = s.verifications_of_annotation(a.id, 3).await.unwrap();
    assert_eq!(log.count, 500);
    let newest: Vec<i64> = log
        .newest
        .iter()
        .map(|v| (v.at - at(T0)).get_seconds() / 60)
        .collect();
    assert_eq!(newest, [499, 498, 497]);
    assert_eq!(log.newest[0].channel, Channel::ALL[499 % 5]);
}

pub async fn verifiers_are_kept_only_as_keyed_hashes(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    let (a, _) = ready_annotation(s, cert, holder, &code(1)).await;
    let address = "203.0.113.77";
    let ip: IpAddr = address.parse().unwrap();
    let key = VerifierKey::new([42; 32]);
    let keyed = key.hash(ip);
    let mut v = verification(1, Channel::Qr, Some(&a), cert, Verdict::Valid);
    v.verifier = keyed;
    s.record_verifications(&[v.clone(), v]).await.unwrap();

    let dump = s.dump().await.unwrap().to_lowercase();
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert!(
        dump.contains(&hex(keyed.as_bytes())),
        "the keyed hash is what is stored"
    );
    for (what, needle) in [
        ("the address", address.to_owned()),
        ("the address as hex text", hex(address.as_bytes())),
        ("the address's bytes as hex", hex(&[203, 0, 113, 77])),
        ("an unkeyed SHA-256 of it", sha256_hex(address.as_bytes())),
        (
            "its hash under another key",
            hex(VerifierKey::new([0; 32]).hash(ip).as_bytes()),
        ),
    ] {
        assert!(!dump.contains(&needle), "{what} is readable in the dump");
    }
    // The holder's log tells when and how, nothing of the verifier.
    let log = s.verifications_of_annotation(a.id, 10).await.unwrap();
    assert_eq!(log.count, 2);
    let shown = format!("{log:?}");
    assert!(!shown.contains(&hex(keyed.as_bytes())));
    assert!(!shown.contains(address));
}

/// A check by number and name, as the web layer makes it: the certificate
/// stored under the number, then the domain's comparison of names.
async fn by_number_and_name(s: &dyn Storage, number: &str, typed_name: &str) -> Outcome {
    let number = zhengshu_domain::CertificateNumber::parse(number).unwrap();
    match s.certificate_by_number(&number).await {
        Ok(c) => Outcome::of_number_and_name(Some((c.data.name.as_str(), &c.status)), typed_name),
        Err(StorageError::NotFound) => Outcome::of_number_and_name(None, typed_name),
        Err(e) => panic!("{e}"),
    }
}

pub async fn number_and_name_answer_a_wrong_name_like_an_unknown_number(s: &dyn Storage) {
    crate::seed_reference(s).await;
    let foreign = "阿卜杜·热合曼";
    let c = crate::certificate(
        "ZY2023000007",
        foreign,
        crate::OTHER_ID,
        "licensed_pharmacist",
    );
    crate::import(s, std::slice::from_ref(&c), false).await;
    assert_eq!(
        by_number_and_name(s, "ZY2023000007", foreign).await,
        Outcome::Valid
    );
    // Another middle dot, as a verifier may type it.
    assert_eq!(
        by_number_and_name(s, "ZY2023000007", "阿卜杜．热合曼").await,
        Outcome::Valid
    );
    let wrong_name = by_number_and_name(s, "ZY2023000007", "张三").await;
    let unknown_number = by_number_and_name(s, "ZY2023009999", foreign).await;
    assert_eq!(wrong_name, Outcome::NotFound);
    assert_eq!(wrong_name, unknown_number);
    let revocation = Revocation {
        at: at("2024-06-01T02:03:04Z"),
        reason: "证书信息有误".into(),
    };
    s.revoke_certificate(&c.number, &revocation, &Actor::System)
        .await
        .unwrap();
    assert_eq!(
        by_number_and_name(s, "ZY2023000007", foreign).await,
        Outcome::Revoked(revocation)
    );
    // A revoked certificate under a wrong name still tells nothing.
    assert_eq!(
        by_number_and_name(s, "ZY2023000007", "张三").await,
        Outcome::NotFound
    );
}

/// Look-ups at the same moment (which the store may answer together) each
/// get their own answer: two annotations, an unknown code, the certificate
/// by number and an unknown number, 200 look-ups at once.
pub async fn simultaneous_look_ups_each_get_their_own_answer(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    let (first, _) = ready_annotation(s, cert, holder, &code(1)).await;
    let (second, _) = ready_annotation(s, cert, holder, &code(2)).await;
    let number = zhengshu_domain::CertificateNumber::parse("ZY2024000001").unwrap();
    let unknown = zhengshu_domain::CertificateNumber::parse("ZY2024999999").unwrap();
    let looks = (0..200u8).map(|i| {
        let (number, unknown) = (&number, &unknown);
        async move {
            match i % 5 {
                0 => assert_eq!(
                    s.annotation_by_code(&code(1)).await.unwrap().annotation.id,
                    first.id
                ),
                1 => assert_eq!(
                    s.annotation_by_code(&code(2)).await.unwrap().annotation.id,
                    second.id
                ),
                2 => assert!(matches!(
                    s.annotation_by_code(&code(3)).await,
                    Err(StorageError::NotFound)
                )),
                3 => assert_eq!(s.certificate_by_number(number).await.unwrap().id, cert),
                _ => assert!(matches!(
                    s.certificate_by_number(unknown).await,
                    Err(StorageError::NotFound)
                )),
            }
        }
    });
    futures_util::future::join_all(looks).await;
}
