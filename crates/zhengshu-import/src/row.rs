//! One data row: text fields to a [`NewCertificate`], or the reasons it is
//! refused, each naming its column.

use std::path::{Path, PathBuf};

use zhengshu_domain::{
    CertificateNumber, Contacts, Email, HolderName, IdDocument, IdType, NewCertificate, Phone,
    QualificationCode, Sex,
};

use crate::header::{COLUMNS, Header};
use crate::reason::Reason;

/// Longest accepted field, in characters: far above any real value, low
/// enough that a runaway field is caught as such.
pub const MAX_FIELD_CHARS: usize = 200;

/// A refused row or field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Line in the file (the header is line 1).
    pub line: u64,
    pub column: Option<String>,
    /// In English, as the command line prints it.
    pub reason: String,
    /// The reason's stable code ([`crate::reason::CODES`]) and the values
    /// its message names, for readers in other languages.
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Rejection {
    pub fn new(line: u64, column: Option<&str>, why: Reason) -> Self {
        Self {
            line,
            column: column.map(str::to_owned),
            reason: why.text,
            code: why.code,
            args: why.args,
        }
    }
}

/// What a row needs to know beyond itself.
pub struct RowContext<'a> {
    /// Qualification codes of the importing body.
    pub qualifications: &'a [QualificationCode],
    pub photo_base: Option<&'a Path>,
}

pub fn parse_row(
    header: &Header,
    fields: &[String],
    line: u64,
    ctx: &RowContext<'_>,
) -> Result<NewCertificate, Vec<Rejection>> {
    let mut errors = Vec::new();
    if fields.len() != header.len() {
        errors.push(Rejection::new(
            line,
            None,
            Reason::new(
                "field_count",
                format!(
                    "the row has {} fields, the header has {}",
                    fields.len(),
                    header.len()
                ),
            )
            .with("fields", fields.len())
            .with("header", header.len()),
        ));
        return Err(errors);
    }
    let get = |k: usize| -> Option<&str> {
        header.positions[k]
            .map(|i| fields[i].trim())
            .filter(|s| !s.is_empty())
    };
    for (k, column) in COLUMNS.iter().enumerate() {
        if let Some(v) = get(k) {
            let n = v.chars().count();
            if n > MAX_FIELD_CHARS {
                errors.push(Rejection::new(
                    line,
                    Some(column),
                    Reason::new(
                        "too_long",
                        format!("too long: {n} characters, at most {MAX_FIELD_CHARS}"),
                    )
                    .with("chars", n)
                    .with("max", MAX_FIELD_CHARS),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut fail = |k: usize, why: Reason| {
        errors.push(Rejection::new(line, Some(COLUMNS[k]), why));
    };
    let required = |k: usize, fail: &mut dyn FnMut(usize, Reason)| -> Option<&str> {
        let v = get(k);
        if v.is_none() {
            fail(k, Reason::new("required", "required, but empty"));
        }
        v
    };
    let number = required(0, &mut fail).and_then(|v| {
        CertificateNumber::parse(v)
            .map_err(|e| fail(0, Reason::new("number_invalid", e)))
            .ok()
    });
    let name = required(1, &mut fail).and_then(|v| {
        HolderName::parse(v)
            .map_err(|e| {
                let mut why = Reason::new(e.code(), e.to_string());
                if let zhengshu_domain::NameError::BadChar(c) = e {
                    why = why.with("char", format!("U+{c:04X}"));
                }
                fail(1, why);
            })
            .ok()
    });
    let id_type = required(2, &mut fail).and_then(|v| {
        IdType::from_code(v)
            .ok_or_else(|| {
                let known: Vec<_> = IdType::ALL.iter().map(|t| t.code()).collect();
                let known = known.join(", ");
                fail(
                    2,
                    Reason::new(
                        "id_type_unknown",
                        format!("unknown ID type {v:?}; one of {known}"),
                    )
                    .with("value", v)
                    .with("known", known),
                )
            })
            .ok()
    });
    let id_number = required(3, &mut fail);
    let id = match (id_type, id_number) {
        (Some(t), Some(n)) => IdDocument::parse(t, n)
            .map_err(|e| {
                let mut why = Reason::new(e.code(), e.to_string());
                if let zhengshu_domain::IdError::WrongLength(n) = e {
                    why = why.with("length", n);
                }
                fail(3, why);
            })
            .ok(),
        _ => None,
    };
    let qualification = required(4, &mut fail).and_then(|v| {
        match ctx.qualifications.iter().find(|q| q.as_str() == v) {
            Some(q) => Some(q.clone()),
            None => {
                fail(
                    4,
                    Reason::new(
                        "qualification_unknown",
                        format!("{v:?} is not a qualification type of this issuing body"),
                    )
                    .with("value", v),
                );
                None
            }
        }
    });
    let date = |k: usize, fail: &mut dyn FnMut(usize, Reason)| -> Option<jiff::civil::Date> {
        let v = get(k)?;
        let ok = v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-';
        match v.parse::<jiff::civil::Date>() {
            Ok(d) if ok => Some(d),
            _ => {
                fail(
                    k,
                    Reason::new(
                        "date_invalid",
                        format!("{v:?} is not a date of the form YYYY-MM-DD"),
                    )
                    .with("value", v),
                );
                None
            }
        }
    };
    let issue_date = required(5, &mut fail).and_then(|_| date(5, &mut fail));
    let birth_date = date(8, &mut fail);
    let approval_date = date(12, &mut fail);
    let sex = get(7).and_then(|v| {
        Sex::parse(v).or_else(|| {
            fail(
                7,
                Reason::new(
                    "sex_invalid",
                    format!("{v:?} is not a sex: male, female, M, F, 男 or 女"),
                )
                .with("value", v),
            );
            None
        })
    });
    let photo = get(13).and_then(|v| match check_photo(ctx.photo_base, v) {
        Ok(p) => Some(p.display().to_string()),
        Err(e) => {
            fail(13, e);
            None
        }
    });
    let phone = get(14).and_then(|v| {
        Phone::parse(v)
            .map_err(|e| {
                fail(
                    14,
                    Reason::new("phone_invalid", format!("{v:?}: {e}")).with("value", v),
                )
            })
            .ok()
    });
    let email = get(15).and_then(|v| {
        Email::parse(v)
            .map_err(|e| {
                fail(
                    15,
                    Reason::new("email_invalid", format!("{v:?}: {e}")).with("value", v),
                )
            })
            .ok()
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(number), Some(name), Some(id), Some(qualification), Some(issue_date)) =
        (number, name, id, qualification, issue_date)
    else {
        return Err(vec![Rejection::new(
            line,
            None,
            Reason::new("incomplete", "incomplete row"),
        )]);
    };
    let text = |k: usize| get(k).map(str::to_owned);
    Ok(NewCertificate {
        number,
        management_number: text(6),
        name,
        sex,
        birth_date,
        id,
        qualification,
        category: text(9),
        specialty: text(10),
        level: text(11),
        approval_date,
        issue_date,
        photo,
        contacts: Contacts { phone, email },
    })
}

/// A photo must be a JPEG or PNG file of at most 2 MiB inside the CSV's
/// folder that decodes as an image ([`crate::photo`]).
fn check_photo(base: Option<&Path>, rel: &str) -> Result<PathBuf, Reason> {
    let real = crate::photo::resolve(base, rel)?;
    crate::photo::read(&real, rel)?;
    Ok(real)
}
