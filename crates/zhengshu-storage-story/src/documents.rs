//! Stories of issued documents: a generated annotation's document is
//! recorded under its 查验码 by the generation itself; a certificate's own
//! document is recorded when handed out, with no annotation; each is found
//! by its code and by its SHA-256 (in either case); a code is never taken
//! twice; unknown codes and hashes are not found.

use zhengshu_domain::VerificationCode;
use zhengshu_storage::annotations::sha256_hex;
use zhengshu_storage::{IssuedDocument, Storage, StorageError};

use crate::annotations::seed_annotatable;
use crate::at;
use crate::verifications::ready_annotation;

fn code(n: u8) -> VerificationCode {
    VerificationCode::from_random([n; VerificationCode::LEN])
}

pub async fn issued_documents_are_found_by_code_and_hash(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    // An annotated document: recorded when generated.
    let annotated = code(11);
    let (a, content) = ready_annotation(s, cert, holder, &annotated).await;
    let found = s.issued_document_by_code(&annotated).await.unwrap();
    assert_eq!(found.code, annotated);
    assert_eq!(found.sha256, sha256_hex(&content));
    assert_eq!(found.certificate_id, cert);
    assert_eq!(found.annotation_id, Some(a.id));
    assert_eq!(
        s.issued_document_by_sha256(&sha256_hex(&content))
            .await
            .unwrap(),
        found
    );

    // A certificate's own document: recorded by whoever hands it out.
    let plain = IssuedDocument {
        code: code(12),
        sha256: sha256_hex(b"%PDF-1.7 plain"),
        certificate_id: cert,
        annotation_id: None,
        issued_at: at("2024-05-02T01:02:03.004Z"),
    };
    s.record_issued_document(&plain).await.unwrap();
    assert_eq!(s.issued_document_by_code(&plain.code).await.unwrap(), plain);
    // A hash in upper case is the same hash.
    assert_eq!(
        s.issued_document_by_sha256(&plain.sha256.to_uppercase())
            .await
            .unwrap(),
        plain
    );
    // A code is never given twice.
    let again = IssuedDocument {
        sha256: sha256_hex(b"%PDF-1.7 other"),
        ..plain.clone()
    };
    assert!(matches!(
        s.record_issued_document(&again).await,
        Err(StorageError::Conflict(_))
    ));
    assert!(matches!(
        s.record_issued_document(&IssuedDocument {
            code: annotated.clone(),
            ..again.clone()
        })
        .await,
        Err(StorageError::Conflict(_))
    ));
    assert!(matches!(
        s.issued_document_by_sha256(&again.sha256).await,
        Err(StorageError::NotFound)
    ));
    // Unknown codes and hashes are not found.
    assert!(matches!(
        s.issued_document_by_code(&code(13)).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        s.issued_document_by_sha256("not a hash").await,
        Err(StorageError::NotFound)
    ));
}
