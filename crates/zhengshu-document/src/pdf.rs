//! PDF digital signatures as incremental updates.
//!
//! Each seal is appended to the file as its own revision: a signature
//! dictionary whose `/Contents` holds the CMS signature over every byte of
//! the file except that hex string (`/ByteRange`), a signature field whose
//! widget sits on the drawn seal, the page with the widget in `/Annots`,
//! the `/AcroForm` listing every signature field, and a new cross-reference
//! section pointing back (`/Prev`) to the previous one. Earlier bytes are
//! never touched, so a later seal covers the earlier ones.
//!
//! Only the small part of PDF syntax that this crate's own files use is
//! read: classic cross-reference tables and plain (non-stream) dictionaries.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::layout::SealRect;
use crate::pki::SealKey;
use crate::{DocumentError, china_time, cms};

fn bad(msg: impl Into<String>) -> DocumentError {
    DocumentError::Pdf(msg.into())
}

/// A parsed PDF object, just enough to copy dictionaries with edits.
#[derive(Clone, Debug, PartialEq)]
enum Obj {
    Null,
    Bool(bool),
    /// A number, kept as written.
    Num(String),
    /// A name without its slash, kept as written (escapes included).
    Name(Vec<u8>),
    /// A literal or hex string, kept as written with its delimiters.
    Str(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Vec<(Vec<u8>, Obj)>),
    Ref(u32, u16),
}

impl Obj {
    fn get(&self, key: &[u8]) -> Option<&Obj> {
        match self {
            Obj::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn set(&mut self, key: &[u8], value: Obj) {
        if let Obj::Dict(entries) = self {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key.to_vec(), value)),
            }
        }
    }

    fn as_ref(&self) -> Option<(u32, u16)> {
        match self {
            Obj::Ref(n, g) => Some((*n, *g)),
            _ => None,
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Obj::Null => out.extend_from_slice(b"null"),
            Obj::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Obj::Num(n) => out.extend_from_slice(n.as_bytes()),
            Obj::Name(n) => {
                out.push(b'/');
                out.extend_from_slice(n);
            }
            Obj::Str(s) => out.extend_from_slice(s),
            Obj::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Obj::Dict(entries) => {
                out.extend_from_slice(b"<<");
                for (k, v) in entries {
                    out.push(b'/');
                    out.extend_from_slice(k);
                    out.push(b' ');
                    v.write(out);
                }
                out.extend_from_slice(b">>");
            }
            Obj::Ref(n, g) => out.extend_from_slice(format!("{n} {g} R").as_bytes()),
        }
    }
}

/// A cursor over PDF bytes.
struct Lexer<'a> {
    b: &'a [u8],
    pos: usize,
}

fn is_white(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

fn is_delim(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

impl<'a> Lexer<'a> {
    fn new(b: &'a [u8], pos: usize) -> Self {
        Lexer { b, pos }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.b.len() {
            let c = self.b[self.pos];
            if is_white(c) {
                self.pos += 1;
            } else if c == b'%' {
                while self.pos < self.b.len() && !matches!(self.b[self.pos], b'\n' | b'\r') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn word(&mut self) -> &'a [u8] {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.b.len() && !is_white(self.b[self.pos]) && !is_delim(self.b[self.pos])
        {
            self.pos += 1;
        }
        &self.b[start..self.pos]
    }

    fn expect_word(&mut self, w: &[u8]) -> Result<(), DocumentError> {
        let got = self.word();
        if got == w {
            Ok(())
        } else {
            Err(bad(format!(
                "expected {:?}, found {:?}",
                String::from_utf8_lossy(w),
                String::from_utf8_lossy(got)
            )))
        }
    }

    fn number(&mut self) -> Option<u64> {
        std::str::from_utf8(self.word()).ok()?.parse().ok()
    }

    fn object(&mut self) -> Result<Obj, DocumentError> {
        self.skip_ws();
        let c = self.peek().ok_or_else(|| bad("unexpected end of file"))?;
        match c {
            b'/' => {
                self.pos += 1;
                let start = self.pos;
                while self.pos < self.b.len()
                    && !is_white(self.b[self.pos])
                    && !is_delim(self.b[self.pos])
                {
                    self.pos += 1;
                }
                Ok(Obj::Name(self.b[start..self.pos].to_vec()))
            }
            b'<' if self.b.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                let mut entries = Vec::new();
                loop {
                    self.skip_ws();
                    if self.b[self.pos..].starts_with(b">>") {
                        self.pos += 2;
                        return Ok(Obj::Dict(entries));
                    }
                    let Obj::Name(key) = self.object()? else {
                        return Err(bad("dictionary key is not a name"));
                    };
                    let value = self.object()?;
                    entries.push((key, value));
                }
            }
            b'<' => {
                let start = self.pos;
                let end = self.b[start..]
                    .iter()
                    .position(|&c| c == b'>')
                    .ok_or_else(|| bad("unterminated hex string"))?;
                self.pos = start + end + 1;
                Ok(Obj::Str(self.b[start..self.pos].to_vec()))
            }
            b'(' => {
                let start = self.pos;
                let mut depth = 0;
                while self.pos < self.b.len() {
                    match self.b[self.pos] {
                        b'\\' => self.pos += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                return Ok(Obj::Str(self.b[start..self.pos].to_vec()));
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
                Err(bad("unterminated string"))
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        return Ok(Obj::Array(items));
                    }
                    items.push(self.object()?);
                }
            }
            _ => {
                let w = self.word();
                match w {
                    b"null" => Ok(Obj::Null),
                    b"true" => Ok(Obj::Bool(true)),
                    b"false" => Ok(Obj::Bool(false)),
                    _ if !w.is_empty() => {
                        let text = String::from_utf8_lossy(w).into_owned();
                        // `n g R` is a reference; anything else a plain number.
                        if let Ok(n) = text.parse::<u32>() {
                            let save = self.pos;
                            if let Some(g) = self.number()
                                && self.word() == b"R"
                            {
                                return Ok(Obj::Ref(n, g as u16));
                            }
                            self.pos = save;
                        }
                        Ok(Obj::Num(text))
                    }
                    _ => Err(bad(format!(
                        "unexpected byte {:?} at {}",
                        c as char, self.pos
                    ))),
                }
            }
        }
    }
}

/// What the signer needs to know about the file it appends to.
struct Parsed {
    offsets: BTreeMap<u32, usize>,
    trailer: Obj,
    startxref: usize,
}

fn parse(pdf: &[u8]) -> Result<Parsed, DocumentError> {
    let tail = &pdf[pdf.len().saturating_sub(64)..];
    let at = find_last(tail, b"startxref").ok_or_else(|| bad("no startxref"))?;
    let mut lx = Lexer::new(tail, at + b"startxref".len());
    let startxref = lx.number().ok_or_else(|| bad("bad startxref"))? as usize;

    let mut offsets = BTreeMap::new();
    let mut trailer = None;
    let mut next = Some(startxref);
    let mut seen = 0;
    while let Some(xref_at) = next {
        seen += 1;
        if seen > 64 || xref_at >= pdf.len() {
            return Err(bad("broken cross-reference chain"));
        }
        let mut lx = Lexer::new(pdf, xref_at);
        lx.expect_word(b"xref")?;
        loop {
            lx.skip_ws();
            if pdf[lx.pos..].starts_with(b"trailer") {
                lx.pos += b"trailer".len();
                break;
            }
            let first = lx.number().ok_or_else(|| bad("bad xref subsection"))? as u32;
            let count = lx.number().ok_or_else(|| bad("bad xref subsection"))? as u32;
            for i in 0..count {
                let off = lx.number().ok_or_else(|| bad("bad xref entry"))?;
                let _gen = lx.number();
                let kind = lx.word();
                // Newer sections are read first and win.
                if kind == b"n" {
                    offsets.entry(first + i).or_insert(off as usize);
                }
            }
        }
        let t = lx.object()?;
        next = t.get(b"Prev").and_then(|p| match p {
            Obj::Num(n) => n.parse().ok(),
            _ => None,
        });
        trailer.get_or_insert(t);
    }
    Ok(Parsed {
        offsets,
        trailer: trailer.ok_or_else(|| bad("no trailer"))?,
        startxref,
    })
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

impl Parsed {
    fn object(&self, pdf: &[u8], num: u32) -> Result<Obj, DocumentError> {
        let at = *self
            .offsets
            .get(&num)
            .ok_or_else(|| bad(format!("object {num} not found")))?;
        let mut lx = Lexer::new(pdf, at);
        let n = lx.number();
        let _g = lx.number();
        lx.expect_word(b"obj")?;
        if n != Some(u64::from(num)) {
            return Err(bad(format!("object {num} is not at its offset")));
        }
        lx.object()
    }

    fn size(&self) -> Result<u32, DocumentError> {
        match self.trailer.get(b"Size") {
            Some(Obj::Num(n)) => n.parse().map_err(|_| bad("bad /Size")),
            _ => Err(bad("no /Size")),
        }
    }
}

/// A PDF text string: UTF-16BE with BOM, as a hex string.
fn text_string(s: &str) -> Obj {
    let mut hex = String::from("<FEFF");
    for unit in s.encode_utf16() {
        let _ = write!(hex, "{unit:04X}");
    }
    hex.push('>');
    Obj::Str(hex.into_bytes())
}

fn num(v: impl std::fmt::Display) -> Obj {
    Obj::Num(v.to_string())
}

fn name(n: &str) -> Obj {
    Obj::Name(n.as_bytes().to_vec())
}

fn pdf_date(t: Timestamp) -> String {
    let d = china_time(t);
    format!(
        "(D:{:04}{:02}{:02}{:02}{:02}{:02}+08'00')",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

const BYTE_RANGE_PLACEHOLDER: &str = "[0 0000000000 0000000000 0000000000]";

/// Appends a revision to `pdf` carrying a signature by `seal`, shown by a
/// widget over `rect` on the first page; returns the whole new file.
pub(crate) fn sign(
    pdf: &[u8],
    seal: &SealKey,
    field_name: &str,
    seal_name: &str,
    rect: SealRect,
    when: Timestamp,
) -> Result<Vec<u8>, DocumentError> {
    let parsed = parse(pdf)?;
    let root = parsed
        .trailer
        .get(b"Root")
        .and_then(Obj::as_ref)
        .ok_or_else(|| bad("no /Root"))?;
    let mut catalog = parsed.object(pdf, root.0)?;
    let pages = catalog
        .get(b"Pages")
        .and_then(Obj::as_ref)
        .ok_or_else(|| bad("no /Pages"))?;
    let page_ref = match parsed.object(pdf, pages.0)?.get(b"Kids") {
        Some(Obj::Array(kids)) => kids.first().and_then(Obj::as_ref),
        _ => None,
    }
    .ok_or_else(|| bad("no page"))?;
    let mut page = parsed.object(pdf, page_ref.0)?;

    let mut next = parsed.size()?;
    let mut alloc = || {
        next += 1;
        next - 1
    };
    let sig_num = alloc();
    let widget_num = alloc();
    let ap_num = alloc();

    // The AcroForm lists every signature field; made on the first seal.
    let (form_num, mut form, catalog_changed) = match catalog.get(b"AcroForm").and_then(Obj::as_ref)
    {
        Some((n, _)) => (n, parsed.object(pdf, n)?, false),
        None => {
            let n = alloc();
            catalog.set(b"AcroForm", Obj::Ref(n, 0));
            (
                n,
                Obj::Dict(vec![(b"Fields".to_vec(), Obj::Array(vec![]))]),
                true,
            )
        }
    };
    let mut fields = match form.get(b"Fields") {
        Some(Obj::Array(f)) => f.clone(),
        _ => vec![],
    };
    fields.push(Obj::Ref(widget_num, 0));
    form.set(b"Fields", Obj::Array(fields));
    form.set(b"SigFlags", num(3));

    let mut annots = match page.get(b"Annots") {
        Some(Obj::Array(a)) => a.clone(),
        None => vec![],
        Some(_) => return Err(bad("indirect /Annots is not supported")),
    };
    annots.push(Obj::Ref(widget_num, 0));
    page.set(b"Annots", Obj::Array(annots));

    let (w, h) = (rect.urx - rect.llx, rect.ury - rect.lly);
    let widget = Obj::Dict(vec![
        (b"Type".to_vec(), name("Annot")),
        (b"Subtype".to_vec(), name("Widget")),
        (b"FT".to_vec(), name("Sig")),
        (
            b"T".to_vec(),
            Obj::Str(format!("({field_name})").into_bytes()),
        ),
        (b"TU".to_vec(), text_string(seal_name)),
        // Print + Locked: the seal prints and cannot be moved.
        (b"F".to_vec(), num(132)),
        (
            b"Rect".to_vec(),
            Obj::Array(vec![
                num(format!("{:.2}", rect.llx)),
                num(format!("{:.2}", rect.lly)),
                num(format!("{:.2}", rect.urx)),
                num(format!("{:.2}", rect.ury)),
            ]),
        ),
        (b"P".to_vec(), Obj::Ref(page_ref.0, page_ref.1)),
        (b"V".to_vec(), Obj::Ref(sig_num, 0)),
        (
            b"AP".to_vec(),
            Obj::Dict(vec![(b"N".to_vec(), Obj::Ref(ap_num, 0))]),
        ),
    ]);

    // The seal itself is drawn in the page content (so it prints and
    // survives any reader); the widget's own appearance is empty.
    let ap_dict = Obj::Dict(vec![
        (b"Type".to_vec(), name("XObject")),
        (b"Subtype".to_vec(), name("Form")),
        (
            b"BBox".to_vec(),
            Obj::Array(vec![
                num(0),
                num(0),
                num(format!("{w:.2}")),
                num(format!("{h:.2}")),
            ]),
        ),
        (b"Length".to_vec(), num(0)),
    ]);

    let reserve = 2 * (2048 + seal.cert_der.len() + seal.chain.len() * 1024);
    let sig_dict_head = Obj::Dict(vec![
        (b"Type".to_vec(), name("Sig")),
        (b"Filter".to_vec(), name("Adobe.PPKLite")),
        (b"SubFilter".to_vec(), name("ETSI.CAdES.detached")),
        (b"Name".to_vec(), text_string(seal_name)),
        (b"Reason".to_vec(), text_string("电子印章")),
        (b"M".to_vec(), Obj::Str(pdf_date(when).into_bytes())),
    ]);

    // Write the revision with placeholders.
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut xref: Vec<(u32, usize)> = Vec::new();
    fn put(out: &mut Vec<u8>, xref: &mut Vec<(u32, usize)>, n: u32, obj: &Obj) {
        xref.push((n, out.len()));
        out.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
        obj.write(out);
        out.extend_from_slice(b"\nendobj\n");
    }

    // The signature dictionary, written by hand to fix the placeholders' positions.
    let sig_offset = out.len();
    out.extend_from_slice(format!("{sig_num} 0 obj\n").as_bytes());
    let mut head = Vec::new();
    sig_dict_head.write(&mut head);
    head.truncate(head.len() - 2); // reopen the dictionary
    out.extend_from_slice(&head);
    out.extend_from_slice(b"/ByteRange ");
    let byte_range_at = out.len();
    out.extend_from_slice(BYTE_RANGE_PLACEHOLDER.as_bytes());
    out.extend_from_slice(b"/Contents ");
    let contents_at = out.len();
    out.push(b'<');
    out.resize(out.len() + reserve, b'0');
    out.push(b'>');
    let contents_end = out.len();
    out.extend_from_slice(b">>\nendobj\n");
    xref.push((sig_num, sig_offset));

    put(&mut out, &mut xref, widget_num, &widget);
    {
        xref.push((ap_num, out.len()));
        out.extend_from_slice(format!("{ap_num} 0 obj\n").as_bytes());
        ap_dict.write(&mut out);
        out.extend_from_slice(b"\nstream\n\nendstream\nendobj\n");
    }
    put(&mut out, &mut xref, form_num, &form);
    put(&mut out, &mut xref, page_ref.0, &page);
    if catalog_changed {
        put(&mut out, &mut xref, root.0, &catalog);
    }

    // Cross-reference section for this revision, in subsections of consecutive numbers.
    xref.sort();
    let xref_at = out.len();
    out.extend_from_slice(b"xref\n");
    let mut i = 0;
    while i < xref.len() {
        let mut j = i + 1;
        while j < xref.len() && xref[j].0 == xref[j - 1].0 + 1 {
            j += 1;
        }
        out.extend_from_slice(format!("{} {}\n", xref[i].0, j - i).as_bytes());
        for (_, off) in &xref[i..j] {
            out.extend_from_slice(format!("{off:010} 00000 n\r\n").as_bytes());
        }
        i = j;
    }
    let mut trailer = vec![
        (b"Size".to_vec(), num(next)),
        (b"Root".to_vec(), Obj::Ref(root.0, root.1)),
    ];
    for key in [&b"Info"[..], b"ID"] {
        if let Some(v) = parsed.trailer.get(key) {
            trailer.push((key.to_vec(), v.clone()));
        }
    }
    trailer.push((b"Prev".to_vec(), num(parsed.startxref)));
    out.extend_from_slice(b"trailer\n");
    Obj::Dict(trailer).write(&mut out);
    out.extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());

    // Fill in the byte range, then sign everything but the hex string.
    let byte_range = format!(
        "[0 {contents_at} {contents_end} {}]",
        out.len() - contents_end
    );
    let padded = format!("{byte_range:<width$}", width = BYTE_RANGE_PLACEHOLDER.len());
    out[byte_range_at..byte_range_at + padded.len()].copy_from_slice(padded.as_bytes());

    let mut hasher = Sha256::new();
    hasher.update(&out[..contents_at]);
    hasher.update(&out[contents_end..]);
    let digest = hasher.finalize();
    let cms = cms::sign_detached(seal, &digest)?;
    if cms.len() * 2 > reserve {
        return Err(bad("signature larger than its reserved space"));
    }
    let hex: String = cms.iter().map(|b| format!("{b:02X}")).collect();
    out[contents_at + 1..contents_at + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rewrites_dictionaries() {
        let src = b"<</Type /Page /Parent 3 0 R /MediaBox [0 0 595.28 841.89] /Contents 5 0 R /T (a\\)b) /H <AB>>>";
        let mut lx = Lexer::new(src, 0);
        let mut obj = lx.object().unwrap();
        assert_eq!(obj.get(b"Parent"), Some(&Obj::Ref(3, 0)));
        assert_eq!(obj.get(b"T"), Some(&Obj::Str(b"(a\\)b)".to_vec())));
        obj.set(b"Annots", Obj::Array(vec![Obj::Ref(9, 0)]));
        let mut out = Vec::new();
        obj.write(&mut out);
        let again = Lexer::new(&out, 0).object().unwrap();
        assert_eq!(again, obj);
    }

    #[test]
    fn text_strings_are_utf16_with_bom() {
        assert_eq!(text_string("章"), Obj::Str(b"<FEFF7AE0>".to_vec()));
    }
}
