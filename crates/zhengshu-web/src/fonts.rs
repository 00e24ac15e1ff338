//! Fonts for rare characters. Names may use characters of CJK Extension A
//! and the supplementary planes that common system fonts lack; the portal
//! serves them from the fonts it is configured with (by default HanaMin A
//! and B of Debian's `fonts-hanazono`), cut into slices of 256 code points
//! and subset on first request. `/fonts/rare.css` declares each slice with
//! its `unicode-range`, so a browser fetches only the slices of characters
//! it has to draw and has no glyph for; the common block (U+4E00–U+9FFF)
//! is left to the system's fonts. Characters no configured font covers
//! (Extensions G and H today) show with their code point label beside
//! them in the picker.
//!
//! This module keeps the fonts and cuts the slices; the pages serve them
//! (`pages::fonts`).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use zhengshu_rarechars::font::FontCoverage;

/// The font family name the style sheets use.
pub const FAMILY: &str = "Zhengshu Rare";

/// Slices kept in memory at most (each a few hundred kilobytes).
const CACHE_SLICES: usize = 64;

/// Where Debian puts HanaMin A (BMP incl. Extension A) and B (Extensions
/// B–F).
pub const HANAMIN: [&str; 2] = [
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
];

/// A slice of a font could not be cut.
#[derive(Debug, thiserror::Error)]
#[error("font subset: {0}")]
pub struct SubsetError(String);

/// The configured fonts, read on first use.
#[derive(Debug, Default)]
pub struct RareFonts {
    paths: Vec<PathBuf>,
    loaded: OnceLock<Loaded>,
    cache: Mutex<HashMap<u32, Arc<Vec<u8>>>>,
}

#[derive(Debug)]
struct Loaded {
    fonts: Vec<FontCoverage>,
    /// Slice start → (font, the slice's characters that font covers).
    slices: BTreeMap<u32, (usize, Vec<char>)>,
    css: String,
}

/// Whether `c` is left to the system's fonts.
fn common(c: char) -> bool {
    u32::from(c) < 0x3400 || ('\u{4E00}'..='\u{FAFF}').contains(&c)
}

impl RareFonts {
    /// No fonts: the style sheet is empty.
    pub fn none() -> Self {
        Self::default()
    }

    /// The font files to serve from, best first.
    pub fn from_files(paths: impl IntoIterator<Item = PathBuf>) -> Self {
        Self {
            paths: paths.into_iter().collect(),
            ..Self::default()
        }
    }

    fn loaded(&self) -> &Loaded {
        self.loaded.get_or_init(|| {
            let fonts: Vec<FontCoverage> = self
                .paths
                .iter()
                .filter_map(|p| match FontCoverage::from_file(p, 0) {
                    Ok(f) => Some(f),
                    Err(e) => {
                        tracing::warn!(path = %p.display(), error = %e, "rare-character font not usable; its characters show with code point labels");
                        None
                    }
                })
                .collect();
            // Per slice, the font covering most of it.
            let mut by_slice: BTreeMap<u32, Vec<Vec<char>>> = BTreeMap::new();
            for (i, font) in fonts.iter().enumerate() {
                for c in font.covered_chars().into_iter().filter(|&c| !common(c)) {
                    let per_font = by_slice
                        .entry(u32::from(c) & !0xFF)
                        .or_insert_with(|| vec![Vec::new(); fonts.len()]);
                    per_font[i].push(c);
                }
            }
            let slices: BTreeMap<u32, (usize, Vec<char>)> = by_slice
                .into_iter()
                .filter_map(|(start, per_font)| {
                    per_font
                        .into_iter()
                        .enumerate()
                        .max_by_key(|(i, chars)| (chars.len(), std::cmp::Reverse(*i)))
                        .map(|best| (start, best))
                })
                .collect();
            let css = slices
                .iter()
                .map(|(start, (_, chars))| {
                    let (first, last) = (u32::from(chars[0]), u32::from(chars[chars.len() - 1]));
                    format!(
                        "@font-face{{font-family:\"{FAMILY}\";src:url(\"/fonts/rare/{start:X}.ttf\") format(\"truetype\");unicode-range:U+{first:X}-{last:X};font-display:swap}}\n"
                    )
                })
                .collect();
            Loaded { fonts, slices, css }
        })
    }

    /// The style sheet declaring every slice.
    pub fn css(&self) -> &str {
        &self.loaded().css
    }

    /// The font of the slice starting at `start`, if there is one.
    pub fn slice(&self, start: u32) -> Result<Option<Arc<Vec<u8>>>, SubsetError> {
        let cache = |c: &Mutex<HashMap<u32, Arc<Vec<u8>>>>| {
            c.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&start)
                .cloned()
        };
        if let Some(hit) = cache(&self.cache) {
            return Ok(Some(hit));
        }
        let loaded = self.loaded();
        let Some((font, chars)) = loaded.slices.get(&start) else {
            return Ok(None);
        };
        let bytes = Arc::new(
            loaded.fonts[*font]
                .subset(chars)
                .map_err(|e| SubsetError(e.to_string()))?,
        );
        let mut map = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= CACHE_SLICES {
            map.clear();
        }
        map.insert(start, bytes.clone());
        Ok(Some(bytes))
    }

    /// Whether a configured font has a glyph for `c` (the common block
    /// counts as covered: the system's fonts have it).
    pub fn covers(&self, c: char) -> bool {
        common(c)
            || self
                .loaded()
                .slices
                .get(&(u32::from(c) & !0xFF))
                .is_some_and(|(_, chars)| chars.binary_search(&c).is_ok())
    }
}
