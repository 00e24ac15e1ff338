//! The header row: which column holds which field. Columns may come in any
//! order; required ones must be there, unknown and repeated ones are errors.

use crate::ImportError;

/// The fields of the import format, in their documented order.
pub const COLUMNS: [&str; 16] = [
    "certificate_number",
    "name",
    "id_type",
    "id_number",
    "qualification",
    "issue_date",
    "management_number",
    "sex",
    "birth_date",
    "category",
    "specialty",
    "level",
    "approval_date",
    "photo",
    "phone",
    "email",
];

/// The first six are required.
pub const REQUIRED: usize = 6;

/// For each field of [`COLUMNS`], its position in the file, if present.
#[derive(Debug, Clone)]
pub struct Header {
    pub positions: [Option<usize>; COLUMNS.len()],
    pub names: Vec<String>,
}

impl Header {
    pub fn parse(fields: &[String]) -> Result<Self, ImportError> {
        let mut positions = [None; COLUMNS.len()];
        let mut names = Vec::with_capacity(fields.len());
        for (i, raw) in fields.iter().enumerate() {
            // A UTF-8 byte-order mark and surrounding blanks are tolerated.
            let name = raw.trim_start_matches('\u{feff}').trim();
            let Some(k) = COLUMNS.iter().position(|c| *c == name) else {
                return Err(ImportError::UnknownColumn {
                    column: name.chars().take(64).collect(),
                    known: COLUMNS.join(", "),
                });
            };
            if positions[k].is_some() {
                return Err(ImportError::RepeatedColumn(name.to_owned()));
            }
            positions[k] = Some(i);
            names.push(name.to_owned());
        }
        let missing: Vec<&str> = (0..REQUIRED)
            .filter(|&k| positions[k].is_none())
            .map(|k| COLUMNS[k])
            .collect();
        if !missing.is_empty() {
            return Err(ImportError::MissingColumns(missing.join(", ")));
        }
        Ok(Self { positions, names })
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }
}
