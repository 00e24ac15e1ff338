//! Fonts for the document: Noto CJK first, HanaMin (Extensions A/B and more)
//! as fallback, and the per-character fallback that splits text into runs so
//! that every character of a name is drawn with a font that has it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::charmap::MappingIndex;
use skrifa::instance::{LocationRef, Size};
use skrifa::raw::{FileRef, TableProvider};
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};

use crate::DocumentError;

/// Primary faces, best first: (file name, family wanted inside a collection).
const PRIMARY: &[(&str, &str)] = &[
    ("NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
    ("NotoSerifCJKsc-Regular.otf", "Noto Serif CJK SC"),
    ("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ("NotoSansCJKsc-Regular.otf", "Noto Sans CJK SC"),
];
/// A heavier face for the title; the regular face is used when absent.
const TITLE: &[(&str, &str)] = &[
    ("NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"),
    ("NotoSerifCJKsc-Bold.otf", "Noto Serif CJK SC"),
    ("NotoSansCJK-Bold.ttc", "Noto Sans CJK SC"),
];
/// The face certificate values (name, numbers, dates) are set in: labels and
/// fixed wording stay in the primary face, so that face's subset is the same
/// from one document to the next and is made once.
const VALUE: &[(&str, &str)] = &[
    ("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ("NotoSansCJKsc-Regular.otf", "Noto Sans CJK SC"),
];
/// Fallbacks for characters the primary face lacks (CJK Extensions).
const FALLBACK: &[(&str, &str)] = &[("HanaMinA.ttf", ""), ("HanaMinB.ttf", "")];

const SYSTEM_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts"];

/// One font face loaded in memory, ready for krilla and for glyph look-ups.
#[derive(Clone)]
struct Face {
    data: Arc<Vec<u8>>,
    index: u32,
    font: Font,
    mapping: MappingIndex,
    units_per_em: f32,
    path: PathBuf,
}

impl std::fmt::Debug for Face {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.path.display(), self.index)
    }
}

impl Face {
    fn load(path: &Path, family: &str) -> Result<Face, DocumentError> {
        let bytes = std::fs::read(path).map_err(|e| DocumentError::Font {
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        let data = Arc::new(bytes);
        let index = pick_index(&data, family).ok_or_else(|| DocumentError::Font {
            message: format!("{} has no face of family {family:?}", path.display()),
        })?;
        let font_ref = FontRef::from_index(&data, index).map_err(|e| DocumentError::Font {
            message: format!("cannot parse {}: {e}", path.display()),
        })?;
        let mapping = MappingIndex::new(&font_ref);
        let units_per_em = f32::from(font_ref.head().map(|h| h.units_per_em()).unwrap_or(1000));
        let font = Font::new(data.clone().into(), index).ok_or_else(|| DocumentError::Font {
            message: format!("cannot load {} for embedding", path.display()),
        })?;
        Ok(Face {
            data,
            index,
            font,
            mapping,
            units_per_em,
            path: path.to_path_buf(),
        })
    }

    fn font_ref(&self) -> FontRef<'_> {
        FontRef::from_index(&self.data, self.index).expect("face was parsed when loaded")
    }

    fn glyph(&self, font_ref: &FontRef<'_>, ch: char) -> Option<skrifa::GlyphId> {
        self.mapping
            .charmap(font_ref)
            .map(ch)
            .filter(|g| g.to_u32() != 0)
    }
}

/// Picks the face of a collection whose family name is `family` (any face of
/// a single font, or the first one when `family` is empty).
fn pick_index(data: &[u8], family: &str) -> Option<u32> {
    let faces: Vec<(u32, FontRef<'_>)> = match FileRef::new(data).ok()? {
        FileRef::Font(f) => vec![(0, f)],
        FileRef::Collection(c) => (0..c.len())
            .filter_map(|i| c.get(i).ok().map(|f| (i, f)))
            .collect(),
    };
    if family.is_empty() {
        return faces.first().map(|(i, _)| *i);
    }
    faces.into_iter().find_map(|(i, f)| {
        let name: String = f
            .localized_strings(StringId::FAMILY_NAME)
            .english_or_first()?
            .chars()
            .collect();
        (name == family).then_some(i)
    })
}

/// The fonts a document is set in. Load once (tens of megabytes) and share.
#[derive(Clone, Debug)]
pub struct Fonts {
    /// Body text face followed by fallbacks, in look-up order.
    chain: Vec<Face>,
    /// Title face (bold when installed), looked up before the chain.
    title: Option<Face>,
    /// Value face, looked up before the chain for [`Style::Value`].
    value: Option<Face>,
}

/// Which face of a [`Fonts`] to start the look-up with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Body,
    Title,
    /// What differs from one certificate to the next.
    Value,
}

/// A run of text drawn with one face.
pub(crate) struct Run {
    pub font: Font,
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
    /// Advance width in ems.
    pub width_em: f32,
}

impl Fonts {
    /// Finds the fonts in the system font directories (and `~/.local/share/fonts`).
    ///
    /// Fails with a message naming the Debian package to install when a font
    /// is missing: `fonts-noto-cjk` for the body text, `fonts-hanazono` for
    /// rare characters.
    pub fn discover() -> Result<Fonts, DocumentError> {
        let mut dirs: Vec<PathBuf> = SYSTEM_DIRS.iter().map(PathBuf::from).collect();
        if let Some(home) = std::env::var_os("HOME") {
            dirs.push(Path::new(&home).join(".local/share/fonts"));
            dirs.push(Path::new(&home).join(".fonts"));
        }
        Fonts::from_dirs(&dirs)
    }

    /// Finds the fonts under one configured directory (searched recursively).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Fonts, DocumentError> {
        Fonts::from_dirs(&[dir.as_ref().to_path_buf()])
    }

    fn from_dirs(dirs: &[PathBuf]) -> Result<Fonts, DocumentError> {
        let mut files = Vec::new();
        for dir in dirs {
            collect_files(dir, 0, &mut files);
        }
        let find = |name: &str| {
            files
                .iter()
                .find(|p| p.file_name().is_some_and(|n| n == name))
        };
        let searched = dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");

        let (primary_path, primary_family) = PRIMARY
            .iter()
            .find_map(|(name, family)| find(name).map(|p| (p, *family)))
            .ok_or_else(|| DocumentError::FontMissing {
                package: "fonts-noto-cjk",
                wanted: "Noto Serif CJK or Noto Sans CJK",
                searched: searched.clone(),
            })?;
        let mut chain = vec![Face::load(primary_path, primary_family)?];
        for (name, family) in FALLBACK {
            let path = find(name).ok_or_else(|| DocumentError::FontMissing {
                package: "fonts-hanazono",
                wanted: "HanaMinA and HanaMinB (rare characters)",
                searched: searched.clone(),
            })?;
            chain.push(Face::load(path, family)?);
        }
        let title = TITLE
            .iter()
            .find_map(|(name, family)| find(name).map(|p| (p, *family)))
            .map(|(p, family)| Face::load(p, family))
            .transpose()?;
        let value = VALUE
            .iter()
            .find_map(|(name, family)| find(name).map(|p| (p, *family)))
            .map(|(p, family)| Face::load(p, family))
            .transpose()?;
        Ok(Fonts {
            chain,
            title,
            value,
        })
    }

    /// The font files in use, primary first.
    pub fn files(&self) -> Vec<PathBuf> {
        self.title
            .iter()
            .chain(&self.value)
            .chain(&self.chain)
            .map(|f| f.path.clone())
            .collect()
    }

    /// Whether some loaded font can draw `ch`.
    pub fn covers(&self, ch: char) -> bool {
        self.chain
            .iter()
            .any(|f| f.glyph(&f.font_ref(), ch).is_some())
    }

    /// The characters of `text` that no loaded font can draw.
    pub fn missing(&self, text: &str) -> Vec<char> {
        let refs: Vec<FontRef<'_>> = self.chain.iter().map(Face::font_ref).collect();
        let mut out: Vec<char> = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .filter(|&c| {
                !self
                    .chain
                    .iter()
                    .zip(&refs)
                    .any(|(f, r)| f.glyph(r, c).is_some())
            })
            .collect();
        out.dedup();
        out
    }

    /// Splits `text` into runs by the first face (title face, then the
    /// chain) that has each character, with glyphs and advances.
    pub(crate) fn shape(&self, text: &str, style: Style) -> Result<Vec<Run>, DocumentError> {
        let faces: Vec<&Face> = match (style, &self.title) {
            (Style::Title, Some(t)) => std::iter::once(t).chain(&self.chain).collect(),
            (Style::Value, _) => self.value.iter().chain(&self.chain).collect(),
            _ => self.chain.iter().collect(),
        };
        let refs: Vec<FontRef<'_>> = faces.iter().map(|f| f.font_ref()).collect();
        let metrics: Vec<_> = refs
            .iter()
            .map(|r| r.glyph_metrics(Size::unscaled(), LocationRef::default()))
            .collect();

        let mut runs: Vec<(usize, Run)> = Vec::new();
        for ch in text.chars() {
            // Whitespace stays in the current run's face when it has it.
            let preferred = runs.last().map(|(i, _)| *i).filter(|_| ch.is_whitespace());
            let order = preferred.into_iter().chain(0..faces.len());
            let (idx, gid) = order
                .filter_map(|i| faces[i].glyph(&refs[i], ch).map(|g| (i, g)))
                .next()
                .ok_or(DocumentError::UnsupportedCharacter(ch))?;
            let face = faces[idx];
            let advance =
                metrics[idx].advance_width(gid).unwrap_or(face.units_per_em) / face.units_per_em;
            if runs.last().is_none_or(|(i, _)| *i != idx) {
                runs.push((
                    idx,
                    Run {
                        font: face.font.clone(),
                        text: String::new(),
                        glyphs: Vec::new(),
                        width_em: 0.0,
                    },
                ));
            }
            let run = &mut runs.last_mut().expect("pushed above").1;
            let start = run.text.len();
            run.text.push(ch);
            run.glyphs.push(KrillaGlyph::new(
                GlyphId::new(gid.to_u32()),
                advance,
                0.0,
                0.0,
                0.0,
                start..run.text.len(),
                None,
            ));
            run.width_em += advance;
        }
        Ok(runs.into_iter().map(|(_, r)| r).collect())
    }
}

fn collect_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > 4 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(&path, depth + 1, out);
        } else {
            out.push(path);
        }
    }
}
