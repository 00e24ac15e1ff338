//! A TrueType subsetter for web fonts (feature `font`): keeps the glyphs of
//! the requested characters (and the components of composite glyphs), and
//! writes a font that browsers accept (checked by Chromium's OpenType
//! sanitizer in the portal's end-to-end test): `cmap` formats 4 and 12,
//! long `loca`, `post` version 3, hinting tables copied, layout and
//! vertical-metrics tables dropped. Only `glyf` outlines are supported; the
//! CJK fonts of Debian's `fonts-hanazono` are of that kind.
//!
//! It works on font bytes alone; the `font` module, its only user, wraps
//! it and turns a [`Malformed`] face into its own error.

use std::collections::BTreeMap;

type Tag = [u8; 4];

/// Tables copied as they are.
const COPIED: [&Tag; 6] = [b"OS/2", b"name", b"cvt ", b"fpgm", b"prep", b"gasp"];

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// What is wrong with a face that cannot be subset.
#[derive(Debug)]
pub(crate) struct Malformed(pub(crate) String);

fn bad(reason: &str) -> Malformed {
    Malformed(reason.to_owned())
}

/// Composite glyph flags (OpenType `glyf`).
const ARG_1_AND_2_ARE_WORDS: u16 = 0x0001;
const WE_HAVE_A_SCALE: u16 = 0x0008;
const MORE_COMPONENTS: u16 = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE: u16 = 0x0040;
const WE_HAVE_A_TWO_BY_TWO: u16 = 0x0080;

/// The offsets of the glyph-index fields of a composite glyph's components.
fn component_offsets(glyph: &[u8]) -> Option<Vec<usize>> {
    let contours = i16::from_be_bytes(glyph.get(0..2)?.try_into().ok()?);
    if contours >= 0 {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    let mut at = 10;
    loop {
        let flags = be16(glyph, at)?;
        out.push(at + 2);
        at += 4;
        at += if flags & ARG_1_AND_2_ARE_WORDS != 0 {
            4
        } else {
            2
        };
        if flags & WE_HAVE_A_SCALE != 0 {
            at += 2;
        } else if flags & WE_HAVE_AN_X_AND_Y_SCALE != 0 {
            at += 4;
        } else if flags & WE_HAVE_A_TWO_BY_TWO != 0 {
            at += 8;
        }
        if flags & MORE_COMPONENTS == 0 {
            return Some(out);
        }
        if at >= glyph.len() {
            return None;
        }
    }
}

struct Source<'a> {
    face: ttf_parser::RawFace<'a>,
    glyf: &'a [u8],
    loca: Vec<u32>,
}

impl<'a> Source<'a> {
    fn table(&self, tag: &Tag) -> Option<&'a [u8]> {
        self.face.table(ttf_parser::Tag::from_bytes(tag))
    }

    fn glyph(&self, gid: u16) -> Result<&'a [u8], Malformed> {
        let i = usize::from(gid);
        let (Some(&start), Some(&end)) = (self.loca.get(i), self.loca.get(i + 1)) else {
            return Err(bad("glyph outside loca"));
        };
        self.glyf
            .get(start as usize..end as usize)
            .ok_or_else(|| bad("loca points outside glyf"))
    }
}

/// The subset of font `data` (face `index`) with the glyphs of `chars`.
/// Characters the font lacks are left out. Errors when the font has no
/// `glyf` outlines or its tables do not parse.
pub(crate) fn subset(data: &[u8], index: u32, chars: &[char]) -> Result<Vec<u8>, Malformed> {
    let face = ttf_parser::Face::parse(data, index).map_err(|e| bad(&e.to_string()))?;
    let raw = ttf_parser::RawFace::parse(data, index).map_err(|e| bad(&e.to_string()))?;
    let need = |tag: &Tag| {
        raw.table(ttf_parser::Tag::from_bytes(tag))
            .ok_or_else(|| bad(&format!("no {} table", String::from_utf8_lossy(tag))))
    };
    let head = need(b"head")?;
    let (hhea, maxp, hmtx, glyf, loca_raw) = (
        need(b"hhea")?,
        need(b"maxp")?,
        need(b"hmtx")?,
        need(b"glyf")?,
        need(b"loca")?,
    );
    let num_glyphs = usize::from(face.number_of_glyphs());
    let long_loca = be16(head, 50).ok_or_else(|| bad("short head"))? == 1;
    let loca: Vec<u32> = (0..=num_glyphs)
        .map(|i| {
            if long_loca {
                be32(loca_raw, i * 4)
            } else {
                be16(loca_raw, i * 2).map(|o| u32::from(o) * 2)
            }
        })
        .collect::<Option<_>>()
        .ok_or_else(|| bad("short loca"))?;
    let src = Source {
        face: raw,
        glyf,
        loca,
    };

    // The glyphs to keep: .notdef, the characters', and their components.
    let mut mapping: BTreeMap<char, u16> = BTreeMap::new();
    for &c in chars {
        if let Some(g) = face.glyph_index(c) {
            mapping.insert(c, g.0);
        }
    }
    let mut keep: Vec<u16> = std::iter::once(0)
        .chain(mapping.values().copied())
        .collect();
    let mut i = 0;
    while i < keep.len() {
        let glyph = src.glyph(keep[i])?;
        for at in component_offsets(glyph).ok_or_else(|| bad("bad composite glyph"))? {
            let component = be16(glyph, at).ok_or_else(|| bad("bad composite glyph"))?;
            if usize::from(component) >= num_glyphs {
                return Err(bad("component outside the font"));
            }
            if !keep.contains(&component) {
                keep.push(component);
            }
        }
        i += 1;
    }
    keep.sort_unstable();
    keep.dedup();
    let new_id = |old: u16| keep.binary_search(&old).ok().map(|i| i as u16);

    // glyf and loca (long offsets).
    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity((keep.len() + 1) * 4);
    for &old in &keep {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        let mut glyph = src.glyph(old)?.to_vec();
        for at in component_offsets(&glyph).unwrap_or_default() {
            let component = be16(&glyph, at).unwrap_or(0);
            let renumbered = new_id(component).unwrap_or(0);
            glyph[at..at + 2].copy_from_slice(&renumbered.to_be_bytes());
        }
        new_glyf.extend_from_slice(&glyph);
        while new_glyf.len() % 4 != 0 {
            new_glyf.push(0);
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());

    // hmtx: one full metric per glyph.
    let metrics = usize::from(be16(hhea, 34).ok_or_else(|| bad("short hhea"))?);
    if metrics == 0 {
        return Err(bad("no horizontal metrics"));
    }
    let mut new_hmtx = Vec::with_capacity(keep.len() * 4);
    for &old in &keep {
        let g = usize::from(old);
        let advance = be16(hmtx, 4 * g.min(metrics - 1));
        let lsb = if g < metrics {
            be16(hmtx, 4 * g + 2)
        } else {
            be16(hmtx, 4 * metrics + 2 * (g - metrics))
        };
        let (Some(advance), Some(lsb)) = (advance, lsb) else {
            return Err(bad("short hmtx"));
        };
        new_hmtx.extend_from_slice(&advance.to_be_bytes());
        new_hmtx.extend_from_slice(&lsb.to_be_bytes());
    }

    let count = keep.len() as u16;
    let mut new_head = head.to_vec();
    new_head[8..12].copy_from_slice(&[0; 4]);
    new_head[50..52].copy_from_slice(&1u16.to_be_bytes());
    let mut new_hhea = hhea.to_vec();
    new_hhea[34..36].copy_from_slice(&count.to_be_bytes());
    let mut new_maxp = maxp.to_vec();
    new_maxp
        .get_mut(4..6)
        .ok_or_else(|| bad("short maxp"))?
        .copy_from_slice(&count.to_be_bytes());
    let mut post = src
        .table(b"post")
        .and_then(|p| p.get(..32))
        .map_or_else(|| vec![0; 32], <[u8]>::to_vec);
    post[0..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());

    let renumbered: Vec<(u32, u16)> = mapping
        .iter()
        .filter_map(|(&c, &g)| Some((u32::from(c), new_id(g)?)))
        .collect();

    let mut tables: Vec<(Tag, Vec<u8>)> = vec![
        (*b"cmap", cmap(&renumbered)),
        (*b"glyf", new_glyf),
        (*b"head", new_head),
        (*b"hhea", new_hhea),
        (*b"hmtx", new_hmtx),
        (*b"loca", new_loca),
        (*b"maxp", new_maxp),
        (*b"post", post),
    ];
    for tag in COPIED {
        if let Some(t) = src.table(tag) {
            tables.push((*tag, t.to_vec()));
        }
    }
    tables.sort_by_key(|t| t.0);
    Ok(write_font(tables))
}

/// A `cmap` with a (3,1) format 4 subtable for the BMP characters and a
/// (3,10) format 12 subtable for all of them.
fn cmap(map: &[(u32, u16)]) -> Vec<u8> {
    // Format 4: one segment per BMP character, then the final 0xFFFF one.
    let bmp: Vec<(u16, u16)> = map
        .iter()
        .filter(|(c, _)| *c < 0xFFFF)
        .map(|&(c, g)| (c as u16, g))
        .collect();
    let seg_count = bmp.len() + 1;
    let mut f4 = Vec::new();
    let pow = 1usize << (usize::BITS - 1 - seg_count.leading_zeros());
    let search_range = 2 * pow;
    let len = 16 + seg_count * 8;
    for v in [
        4,
        len,
        0,
        seg_count * 2,
        search_range,
        pow.trailing_zeros() as usize,
        seg_count * 2 - search_range,
    ] {
        f4.extend_from_slice(&(v as u16).to_be_bytes());
    }
    let ends = bmp.iter().map(|&(c, _)| c).chain([0xFFFF]);
    for e in ends {
        f4.extend_from_slice(&e.to_be_bytes());
    }
    f4.extend_from_slice(&0u16.to_be_bytes());
    for s in bmp.iter().map(|&(c, _)| c).chain([0xFFFF]) {
        f4.extend_from_slice(&s.to_be_bytes());
    }
    for d in bmp.iter().map(|&(c, g)| g.wrapping_sub(c)).chain([1]) {
        f4.extend_from_slice(&d.to_be_bytes());
    }
    for _ in 0..seg_count {
        f4.extend_from_slice(&0u16.to_be_bytes());
    }

    // Format 12: one group per run of consecutive characters and glyphs.
    let mut groups: Vec<(u32, u32, u32)> = Vec::new();
    for &(c, g) in map {
        match groups.last_mut() {
            Some((start, end, start_gid))
                if *end + 1 == c && *start_gid + (c - *start) == u32::from(g) =>
            {
                *end = c;
            }
            _ => groups.push((c, c, u32::from(g))),
        }
    }
    let mut f12 = Vec::new();
    f12.extend_from_slice(&12u16.to_be_bytes());
    f12.extend_from_slice(&0u16.to_be_bytes());
    f12.extend_from_slice(&((16 + groups.len() * 12) as u32).to_be_bytes());
    f12.extend_from_slice(&0u32.to_be_bytes());
    f12.extend_from_slice(&(groups.len() as u32).to_be_bytes());
    for (start, end, gid) in groups {
        f12.extend_from_slice(&start.to_be_bytes());
        f12.extend_from_slice(&end.to_be_bytes());
        f12.extend_from_slice(&gid.to_be_bytes());
    }

    let mut out = Vec::new();
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&2u16.to_be_bytes());
    let first = 4 + 2 * 8;
    for (platform, encoding, offset) in [(3u16, 1u16, first), (3, 10, first + f4.len())] {
        out.extend_from_slice(&platform.to_be_bytes());
        out.extend_from_slice(&encoding.to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
    }
    out.extend_from_slice(&f4);
    out.extend_from_slice(&f12);
    out
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// Writes an sfnt from tables sorted by tag, and sets the `head`
/// checksum adjustment.
fn write_font(tables: Vec<(Tag, Vec<u8>)>) -> Vec<u8> {
    let n = tables.len();
    let pow = 1usize << (usize::BITS - 1 - n.leading_zeros());
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    for v in [
        n,
        pow * 16,
        pow.trailing_zeros() as usize,
        n * 16 - pow * 16,
    ] {
        out.extend_from_slice(&(v as u16).to_be_bytes());
    }
    let mut offset = 12 + 16 * n;
    let mut head_at = None;
    for (tag, data) in &tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        if tag == b"head" {
            head_at = Some(offset);
        }
        offset += data.len().div_ceil(4) * 4;
    }
    for (_, data) in &tables {
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    if let Some(at) = head_at {
        let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at + 8..at + 12].copy_from_slice(&adjustment.to_be_bytes());
    }
    out
}
