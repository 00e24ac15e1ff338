//! Font coverage and subsetting against fonts Debian ships: DejaVu Sans
//! (`fonts-dejavu-core`, with composite glyphs) and HanaMin B
//! (`fonts-hanazono`, CJK Extensions B–F). A missing font fails the test
//! with the package to install.

use ttf_parser::{Face, GlyphId, OutlineBuilder, Rect};
use zhengshu_rarechars::font::FontCoverage;

const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const HANAMIN_B: &str = "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf";

fn read(path: &str, package: &str) -> Vec<u8> {
    std::fs::read(path)
        .unwrap_or_else(|e| panic!("{path}: {e}; install it with: apt-get install -y {package}"))
}

/// Records an outline as text, to compare glyphs across fonts.
#[derive(Default)]
struct Pen(String);

impl OutlineBuilder for Pen {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0 += &format!("M{x},{y}");
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.0 += &format!("L{x},{y}");
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.0 += &format!("Q{x1},{y1},{x},{y}");
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        self.0 += &format!("C{x1},{y1},{x2},{y2},{x},{y}");
    }
    fn close(&mut self) {
        self.0 += "Z";
    }
}

fn outline(face: &Face<'_>, c: char) -> (String, Option<Rect>, Option<u16>) {
    let g = face
        .glyph_index(c)
        .unwrap_or_else(|| panic!("no glyph for {c}"));
    let mut pen = Pen::default();
    let bbox = face.outline_glyph(g, &mut pen);
    (pen.0, bbox, face.glyph_hor_advance(g))
}

fn whole_font_checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

fn check_subset(original: &[u8], chars: &[char], absent: &[char]) -> Vec<u8> {
    let font = FontCoverage::from_bytes(original.to_vec(), 0).unwrap();
    let small = font.subset(chars).unwrap();
    let before = Face::parse(original, 0).unwrap();
    let after = Face::parse(&small, 0).expect("the subset parses");
    for &c in chars {
        assert_eq!(outline(&after, c), outline(&before, c), "glyph of {c}");
    }
    for &c in absent {
        assert!(after.glyph_index(c).is_none(), "{c} should be left out");
    }
    assert_eq!(after.units_per_em(), before.units_per_em());
    assert_eq!(after.glyph_index('\u{0}'), None);
    assert!(after.number_of_glyphs() < 16);
    assert_eq!(
        whole_font_checksum(&small),
        0xB1B0_AFBA,
        "head checksum adjustment"
    );
    small
}

#[test]
fn subsets_keep_outlines_metrics_and_composite_components() {
    let dejavu = read(DEJAVU, "fonts-dejavu-core");
    // Ä and é are composite glyphs in DejaVu Sans (base letter + accent).
    let before = Face::parse(&dejavu, 0).unwrap();
    let a_umlaut = before.glyph_index('Ä').unwrap();
    assert!(
        is_composite(&before, a_umlaut),
        "test premise: Ä is composite"
    );
    let small = check_subset(&dejavu, &['A', 'Ä', 'é', 'z'], &['B', 'e']);
    let after = Face::parse(&small, 0).unwrap();
    // The components came along (A, e, the accents) but not as characters.
    assert!(after.number_of_glyphs() > 5);
}

fn is_composite(face: &Face<'_>, g: GlyphId) -> bool {
    let raw = face.raw_face();
    let glyf = raw.table(ttf_parser::Tag::from_bytes(b"glyf")).unwrap();
    let loca = raw.table(ttf_parser::Tag::from_bytes(b"loca")).unwrap();
    let head = raw.table(ttf_parser::Tag::from_bytes(b"head")).unwrap();
    let long = head[50..52] == [0, 1];
    let i = usize::from(g.0);
    let start = if long {
        u32::from_be_bytes(loca[i * 4..i * 4 + 4].try_into().unwrap()) as usize
    } else {
        usize::from(u16::from_be_bytes(
            loca[i * 2..i * 2 + 2].try_into().unwrap(),
        )) * 2
    };
    i16::from_be_bytes(glyf[start..start + 2].try_into().unwrap()) < 0
}

#[test]
fn an_extension_b_glyph_subsets_to_a_few_kilobytes() {
    let hanamin = read(HANAMIN_B, "fonts-hanazono");
    let small = check_subset(&hanamin, &['\u{2003E}', '\u{20000}'], &['\u{20001}']);
    assert!(small.len() < 16 * 1024, "{} bytes", small.len());
    let font = FontCoverage::from_bytes(hanamin, 0).unwrap();
    assert!(font.covers('\u{2003E}'));
    let covered = font.covered_chars();
    assert!(covered.contains(&'\u{2003E}'));
    assert!(covered.windows(2).all(|w| w[0] < w[1]), "sorted");
    // HanaMin B has no Extension G.
    assert!(
        !covered
            .iter()
            .any(|&c| ('\u{30000}'..='\u{3134F}').contains(&c))
    );
}

#[test]
fn an_empty_request_still_gives_a_valid_font() {
    let dejavu = read(DEJAVU, "fonts-dejavu-core");
    let font = FontCoverage::from_bytes(dejavu, 0).unwrap();
    let small = font.subset(&[]).unwrap();
    let face = Face::parse(&small, 0).unwrap();
    assert_eq!(face.number_of_glyphs(), 1, ".notdef only");
}
