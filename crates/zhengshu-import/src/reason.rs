//! Why a row or a field of an import file is refused: a stable code, the
//! values its message names, and the English text the command line prints
//! and its rejects file keeps. Readers in other languages (the console)
//! translate the code with the values; the import API answers the code
//! too, so codes are only ever added, never renamed.

/// A refusal's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// One of [`CODES`].
    pub code: &'static str,
    /// The values the message names, by name.
    pub args: Vec<(&'static str, String)>,
    /// The English text.
    pub text: String,
}

impl Reason {
    pub fn new(code: &'static str, text: impl Into<String>) -> Self {
        debug_assert!(CODES.contains(&code), "unlisted refusal code {code}");
        Self {
            code,
            args: Vec::new(),
            text: text.into(),
        }
    }

    /// The reason naming `value` as `name` in its message.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

/// Every code a refusal carries, with the names of its values.
pub const CODES: &[&str] = &[
    "field_count",    // fields, header
    "too_long",       // chars, max
    "required",       //
    "number_invalid", //
    "name_empty",
    "name_too_long",
    "name_bad_char", // char
    "name_no_letter",
    "name_too_many_marks",
    "id_type_unknown", // value, known
    "id_empty",
    "id_not_ascii",
    "id_wrong_length", // length
    "id_not_digits",
    "id_bad_region",
    "id_bad_birth_date",
    "id_bad_check_digit",
    "id_bad_format",
    "qualification_unknown", // value
    "date_invalid",          // value
    "sex_invalid",           // value
    "phone_invalid",         // value
    "email_invalid",         // value
    "photo_path",            // photo
    "photo_not_found",       // photo
    "photo_outside",         // photo
    "photo_unreadable",      // photo
    "photo_not_regular",     // photo
    "photo_too_large",       // photo, mib
    "photo_not_image",       // photo
    "photo_undecodable",     // photo
    "incomplete",
    "duplicate", // number, first
    "exists",    // number
];
