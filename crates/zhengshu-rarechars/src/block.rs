//! The Unicode blocks of CJK unified ideographs.

use serde::Serialize;

/// A block of CJK unified ideographs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Block {
    /// CJK Unified Ideographs, U+4E00–U+9FFF.
    Unified,
    /// The twelve unified ideographs of CJK Compatibility Ideographs
    /// (U+FA0E, U+FA0F, U+FA11, …); the others there are not unified and
    /// normalise (NFC) to a unified ideograph.
    CompatibilityUnified,
    /// Extension A, U+3400–U+4DBF.
    ExtA,
    /// Extension B, U+20000–U+2A6DF.
    ExtB,
    /// Extension C, U+2A700–U+2B73F.
    ExtC,
    /// Extension D, U+2B740–U+2B81F.
    ExtD,
    /// Extension E, U+2B820–U+2CEAF.
    ExtE,
    /// Extension F, U+2CEB0–U+2EBEF.
    ExtF,
    /// Extension I, U+2EBF0–U+2EE5F (Unicode 15.1).
    ExtI,
    /// Extension G, U+30000–U+3134F.
    ExtG,
    /// Extension H, U+31350–U+323AF.
    ExtH,
}

/// `(first, last, block)`, by code point.
const RANGES: &[(u32, u32, Block)] = &[
    (0x3400, 0x4DBF, Block::ExtA),
    (0x4E00, 0x9FFF, Block::Unified),
    (0xF900, 0xFAFF, Block::CompatibilityUnified),
    (0x20000, 0x2A6DF, Block::ExtB),
    (0x2A700, 0x2B73F, Block::ExtC),
    (0x2B740, 0x2B81F, Block::ExtD),
    (0x2B820, 0x2CEAF, Block::ExtE),
    (0x2CEB0, 0x2EBEF, Block::ExtF),
    (0x2EBF0, 0x2EE5F, Block::ExtI),
    (0x30000, 0x3134F, Block::ExtG),
    (0x31350, 0x323AF, Block::ExtH),
];

impl Block {
    /// Every block, in the order used for ranking rare characters
    /// (URO first, then the extensions in the order they were encoded).
    pub const ALL: [Block; 11] = [
        Block::Unified,
        Block::CompatibilityUnified,
        Block::ExtA,
        Block::ExtB,
        Block::ExtC,
        Block::ExtD,
        Block::ExtE,
        Block::ExtF,
        Block::ExtG,
        Block::ExtH,
        Block::ExtI,
    ];

    /// The block whose range holds `cp` (whether or not `cp` is assigned).
    pub fn of_codepoint(cp: u32) -> Option<Block> {
        RANGES
            .iter()
            .find(|&&(a, b, _)| (a..=b).contains(&cp))
            .map(|&(_, _, b)| b)
    }

    /// The block of `c`.
    pub fn of(c: char) -> Option<Block> {
        Self::of_codepoint(u32::from(c))
    }

    /// The short label shown next to a candidate: `"CJK"`, `"CJK Ext B"`, ….
    pub fn label(self) -> &'static str {
        match self {
            Block::Unified => "CJK",
            Block::CompatibilityUnified => "CJK Compat",
            Block::ExtA => "CJK Ext A",
            Block::ExtB => "CJK Ext B",
            Block::ExtC => "CJK Ext C",
            Block::ExtD => "CJK Ext D",
            Block::ExtE => "CJK Ext E",
            Block::ExtF => "CJK Ext F",
            Block::ExtG => "CJK Ext G",
            Block::ExtH => "CJK Ext H",
            Block::ExtI => "CJK Ext I",
        }
    }

    /// The code point range of the block.
    pub fn range(self) -> std::ops::RangeInclusive<u32> {
        let &(a, b, _) = RANGES
            .iter()
            .find(|&&(_, _, blk)| blk == self)
            .unwrap_or(&RANGES[0]);
        a..=b
    }

    /// Position in [`Block::ALL`]; used in ranking.
    pub(crate) fn order(self) -> u8 {
        Block::ALL
            .iter()
            .position(|&b| b == self)
            .unwrap_or(usize::MAX) as u8
    }
}

impl std::fmt::Display for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks() {
        assert_eq!(Block::of('严'), Some(Block::Unified));
        assert_eq!(Block::of('\u{3400}'), Some(Block::ExtA));
        assert_eq!(Block::of('\u{2003E}'), Some(Block::ExtB));
        assert_eq!(Block::of('\u{323AF}'), Some(Block::ExtH));
        assert_eq!(Block::of('a'), None);
        assert_eq!(Block::ExtB.label(), "CJK Ext B");
        assert_eq!(Block::ExtB.range(), 0x20000..=0x2A6DF);
        for b in Block::ALL {
            assert_eq!(Block::of_codepoint(*b.range().start()), Some(b));
            assert_eq!(
                usize::from(b.order()),
                Block::ALL.iter().position(|&x| x == b).unwrap()
            );
        }
    }
}
