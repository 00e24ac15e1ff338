//! Text that leaves zhengshu in files others open: a cell of a CSV file
//! that starts like a formula (`=`, `+`, `-`, `@`, tab, carriage return)
//! is prefixed with `'`, so that no spreadsheet runs it
//! (CSV injection); every CSV zhengshu writes passes its cells here.

use std::borrow::Cow;

/// `cell` as a spreadsheet shows it without evaluating it.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_text_kept() {
        for (cell, safe) in [
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            ("@SUM(1)", "'@SUM(1)"),
            ("+cmd|x", "'+cmd|x"),
            ("-1", "'-1"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("张三", "张三"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), safe, "{cell:?}");
        }
    }
}
