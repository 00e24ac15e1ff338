//! The 214 Kangxi radicals (康熙部首), for the radical + strokes picker.

use std::sync::LazyLock;

use serde::Serialize;

/// `data/radicals.txt`, generated from `CJKRadicals.txt`.
const RADICALS_TXT: &str = include_str!("../data/radicals.txt");

/// One of the 214 Kangxi radicals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Radical {
    /// Radical number, 1–214, as in kRSUnicode.
    pub number: u8,
    /// The radical as a CJK unified ideograph (e.g. 一 U+4E00, 言 U+8A00);
    /// this is what a picker shows and what fonts cover best.
    pub radical: char,
    /// The Kangxi Radicals block symbol (e.g. ⼀ U+2F00); equal to the
    /// ideograph under NFKC, never to be stored in a name.
    pub symbol: char,
    /// Stroke count of the radical in its Kangxi form.
    pub strokes: u8,
    /// The simplified form, if it has one of its own (e.g. 讠 for 言);
    /// kRSUnicode writes radicals counted in that form as `149'`.
    pub simplified: Option<char>,
}

/// Stroke count of Kangxi radical `n` (the dictionary orders its radicals by
/// strokes: 1–6 have one stroke, 7–29 two, …, 214 seventeen).
pub(crate) fn kangxi_strokes(n: u8) -> u8 {
    const FIRST_OF_COUNT: [u8; 17] = [
        1, 7, 30, 61, 95, 118, 147, 167, 176, 187, 195, 201, 205, 209, 211, 212, 214,
    ];
    FIRST_OF_COUNT
        .iter()
        .take_while(|&&first| first <= n)
        .count() as u8
}

fn hex_char(s: &str) -> Option<char> {
    char::from_u32(u32::from_str_radix(s.trim(), 16).ok()?)
}

pub(crate) static RADICALS: LazyLock<Vec<Radical>> = LazyLock::new(|| {
    let mut list: Vec<Radical> = Vec::with_capacity(214);
    let mut simplified: Vec<(u8, char)> = Vec::new();
    for line in RADICALS_TXT.lines().filter(|l| !l.starts_with('#')) {
        let mut f = line.split('\t');
        let (Some(num), Some(sym), Some(ideo)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let (num, is_simplified) = match num.strip_suffix('\'') {
            Some(n) => (n, true),
            None => (num, false),
        };
        let (Ok(number), Some(symbol), Some(radical)) =
            (num.parse::<u8>(), hex_char(sym), hex_char(ideo))
        else {
            continue;
        };
        if is_simplified {
            simplified.push((number, radical));
        } else {
            list.push(Radical {
                number,
                radical,
                symbol,
                strokes: kangxi_strokes(number),
                simplified: None,
            });
        }
    }
    for (n, c) in simplified {
        if let Some(r) = list.iter_mut().find(|r| r.number == n) {
            r.simplified = Some(c);
        }
    }
    list.sort_by_key(|r| r.number);
    list
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strokes() {
        assert_eq!(kangxi_strokes(1), 1);
        assert_eq!(kangxi_strokes(6), 1);
        assert_eq!(kangxi_strokes(7), 2);
        assert_eq!(kangxi_strokes(85), 4);
        assert_eq!(kangxi_strokes(140), 6);
        assert_eq!(kangxi_strokes(149), 7);
        assert_eq!(kangxi_strokes(211), 15);
        assert_eq!(kangxi_strokes(213), 16);
        assert_eq!(kangxi_strokes(214), 17);
    }

    #[test]
    fn table() {
        let list = &*RADICALS;
        assert_eq!(list.len(), 214);
        for (i, r) in list.iter().enumerate() {
            assert_eq!(usize::from(r.number), i + 1);
            assert!((0x2F00..=0x2FD5).contains(&u32::from(r.symbol)), "{r:?}");
        }
        assert_eq!(list[0].radical, '一');
        assert_eq!(list[148].radical, '言');
        assert_eq!(list[148].simplified, Some('讠'));
        assert_eq!(list[119].simplified, Some('纟'));
        assert_eq!(list[213].radical, '龠');
        assert_eq!(list[213].strokes, 17);
    }
}
