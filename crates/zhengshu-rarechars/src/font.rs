//! Whether a font file has glyphs for characters (feature `font`).
//!
//! Lets the portal choose which font to serve for a block, or decide to show
//! a code point label instead of an empty box, and cuts the served fonts
//! into small subsets ([`FontCoverage::subset`]).

use std::path::Path;

use crate::Block;
use crate::subset::Malformed;

/// Why a font file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FontError {
    /// The file could not be read.
    #[error("cannot read font file: {0}")]
    Io(#[from] std::io::Error),
    /// Not a TrueType/OpenType font or collection, or no such face.
    #[error("not a usable font (face {index}): {reason}")]
    Parse {
        /// Face index in the collection.
        index: u32,
        /// What the parser said.
        reason: String,
    },
}

/// A font face loaded for coverage questions.
#[derive(Debug)]
pub struct FontCoverage {
    data: Vec<u8>,
    index: u32,
}

/// Coverage of one block by a font.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct BlockCoverage {
    /// The block.
    pub block: Block,
    /// Characters of the data in the block that have a glyph.
    pub covered: usize,
    /// Characters of the data in the block.
    pub total: usize,
}

impl FontCoverage {
    /// Loads face `index` (0 for a single font; `.ttc` collections have
    /// several) of the font file at `path`.
    pub fn from_file(path: impl AsRef<Path>, index: u32) -> Result<Self, FontError> {
        Self::from_bytes(std::fs::read(path)?, index)
    }

    /// Uses font bytes already in memory.
    pub fn from_bytes(data: Vec<u8>, index: u32) -> Result<Self, FontError> {
        ttf_parser::Face::parse(&data, index).map_err(|e| FontError::Parse {
            index,
            reason: e.to_string(),
        })?;
        Ok(FontCoverage { data, index })
    }

    /// Number of faces in a font file's bytes (1 for a plain font).
    pub fn faces_in(data: &[u8]) -> u32 {
        ttf_parser::fonts_in_collection(data).unwrap_or(1)
    }

    fn face(&self) -> Option<ttf_parser::Face<'_>> {
        ttf_parser::Face::parse(&self.data, self.index).ok()
    }

    /// Whether the face maps `c` to a glyph.
    pub fn covers(&self, c: char) -> bool {
        self.face().is_some_and(|f| f.glyph_index(c).is_some())
    }

    /// The characters of the data (CJK unified ideographs) that the face
    /// has glyphs for, in code point order.
    pub fn covered_chars(&self) -> Vec<char> {
        let Some(face) = self.face() else {
            return Vec::new();
        };
        let mut out: Vec<char> = crate::data::DB
            .records
            .iter()
            .map(|r| r.ch)
            .filter(|&c| face.glyph_index(c).is_some())
            .collect();
        out.sort_unstable();
        out
    }

    /// A font with only the glyphs of `chars` (those the face has), for
    /// serving to browsers; see the `subset` module for what it keeps.
    pub fn subset(&self, chars: &[char]) -> Result<Vec<u8>, FontError> {
        crate::subset::subset(&self.data, self.index, chars).map_err(|Malformed(reason)| {
            FontError::Parse {
                index: self.index,
                reason,
            }
        })
    }

    /// Per block, how many of the data's characters the face covers.
    pub fn block_coverage(&self) -> Vec<BlockCoverage> {
        let Some(face) = self.face() else {
            return Vec::new();
        };
        let mut out: Vec<BlockCoverage> = Block::ALL
            .iter()
            .map(|&block| BlockCoverage {
                block,
                covered: 0,
                total: 0,
            })
            .collect();
        for rec in &crate::data::DB.records {
            if let Some(bc) = out.iter_mut().find(|b| b.block == rec.block) {
                bc.total += 1;
                if face.glyph_index(rec.ch).is_some() {
                    bc.covered += 1;
                }
            }
        }
        out.retain(|b| b.total > 0);
        out
    }
}
