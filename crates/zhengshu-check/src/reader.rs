//! A bounded reader of the little PDF structure a signature check needs:
//! the cross-reference chain, the catalog, the signature fields and their
//! signature dictionaries (`/ByteRange`, `/Contents`, `/M`). It never
//! recurses deeper than [`MAX_DEPTH`], reads at most [`MAX_SECTIONS`]
//! cross-reference sections and [`MAX_FIELDS`] form fields, and every
//! index is checked: any input ends in a value or a [`Bad`] reason.

use std::collections::BTreeMap;

/// Why the file could not be read as a PDF, as a reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bad {
    /// No `%PDF-` header.
    NotPdf,
    /// No `startxref` / `%%EOF` at the end: the file was cut short.
    Truncated,
    /// The structure is broken or uses what zhengshu never writes.
    Malformed,
}

/// Nesting of arrays and dictionaries read at most.
const MAX_DEPTH: usize = 16;
/// Cross-reference sections (revisions) read at most.
pub(crate) const MAX_SECTIONS: usize = 64;
/// Objects one cross-reference section may list.
const MAX_ENTRIES: u64 = 1_000_000;
/// Form fields looked at.
const MAX_FIELDS: usize = 64;
/// Elements of one array or dictionary.
const MAX_ITEMS: usize = 100_000;

/// A parsed object; strings are kept as the byte span they occupy.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Obj {
    Null,
    Other,
    Num(f64),
    Name(Vec<u8>),
    /// A literal `(…)` or hex `<…>` string: its span in the file,
    /// delimiters included.
    Str(usize, usize),
    Array(Vec<Obj>),
    Dict(Vec<(Vec<u8>, Obj)>),
    Ref(u32),
}

impl Obj {
    pub(crate) fn get(&self, key: &[u8]) -> Option<&Obj> {
        match self {
            Obj::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
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

struct Lexer<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(b: &'a [u8], pos: usize) -> Self {
        Lexer {
            b,
            pos: pos.min(b.len()),
        }
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    fn rest(&self) -> &'a [u8] {
        self.b.get(self.pos..).unwrap_or_default()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.at(self.pos) {
            if is_white(c) {
                self.pos += 1;
            } else if c == b'%' {
                while self.at(self.pos).is_some_and(|c| c != b'\n' && c != b'\r') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn word(&mut self) -> &'a [u8] {
        self.skip_ws();
        let start = self.pos;
        while self
            .at(self.pos)
            .is_some_and(|c| !is_white(c) && !is_delim(c))
        {
            self.pos += 1;
        }
        &self.b[start..self.pos]
    }

    fn number(&mut self) -> Option<u64> {
        let w = self.word();
        if w.is_empty() || w.len() > 19 || !w.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(w).ok()?.parse().ok()
    }

    fn object(&mut self, depth: usize) -> Result<Obj, Bad> {
        if depth > MAX_DEPTH {
            return Err(Bad::Malformed);
        }
        self.skip_ws();
        let c = self.at(self.pos).ok_or(Bad::Malformed)?;
        match c {
            b'/' => {
                self.pos += 1;
                let start = self.pos;
                while self
                    .at(self.pos)
                    .is_some_and(|c| !is_white(c) && !is_delim(c))
                {
                    self.pos += 1;
                }
                Ok(Obj::Name(self.b[start..self.pos].to_vec()))
            }
            b'<' if self.at(self.pos + 1) == Some(b'<') => {
                self.pos += 2;
                let mut entries = Vec::new();
                loop {
                    self.skip_ws();
                    if self.rest().starts_with(b">>") {
                        self.pos += 2;
                        return Ok(Obj::Dict(entries));
                    }
                    if entries.len() >= MAX_ITEMS {
                        return Err(Bad::Malformed);
                    }
                    let Obj::Name(key) = self.object(depth + 1)? else {
                        return Err(Bad::Malformed);
                    };
                    let value = self.object(depth + 1)?;
                    entries.push((key, value));
                }
            }
            b'<' => {
                let start = self.pos;
                let len = self
                    .rest()
                    .iter()
                    .position(|&c| c == b'>')
                    .ok_or(Bad::Malformed)?;
                self.pos = start + len + 1;
                Ok(Obj::Str(start, self.pos))
            }
            b'(' => {
                let start = self.pos;
                let mut depth = 0usize;
                while let Some(c) = self.at(self.pos) {
                    match c {
                        b'\\' => self.pos += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                self.pos += 1;
                                return Ok(Obj::Str(start, self.pos));
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
                self.pos = self.b.len();
                Err(Bad::Malformed)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.at(self.pos) == Some(b']') {
                        self.pos += 1;
                        return Ok(Obj::Array(items));
                    }
                    if items.len() >= MAX_ITEMS {
                        return Err(Bad::Malformed);
                    }
                    items.push(self.object(depth + 1)?);
                }
            }
            _ => {
                let w = self.word();
                if w.is_empty() {
                    return Err(Bad::Malformed);
                }
                match w {
                    b"null" => return Ok(Obj::Null),
                    b"true" | b"false" => return Ok(Obj::Other),
                    _ => {}
                }
                let text = std::str::from_utf8(w).map_err(|_| Bad::Malformed)?;
                if let Ok(n) = text.parse::<u32>() {
                    let save = self.pos;
                    if self.number().is_some() && self.word() == b"R" {
                        return Ok(Obj::Ref(n));
                    }
                    self.pos = save;
                }
                text.parse::<f64>()
                    .map(Obj::Num)
                    .map_err(|_| Bad::Malformed)
            }
        }
    }
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The file's cross-reference: where each object is, and the newest trailer.
pub(crate) struct Pdf<'a> {
    pub bytes: &'a [u8],
    offsets: BTreeMap<u32, usize>,
    pub trailer: Obj,
}

impl<'a> Pdf<'a> {
    /// Reads the header, the `startxref` at the end and the chain of
    /// classic cross-reference sections.
    pub(crate) fn read(bytes: &'a [u8]) -> Result<Pdf<'a>, Bad> {
        let head = &bytes[..bytes.len().min(1024)];
        if find_last(head, b"%PDF-").is_none() {
            return Err(Bad::NotPdf);
        }
        let tail_from = bytes.len().saturating_sub(1024);
        let tail = &bytes[tail_from..];
        let at = find_last(tail, b"startxref").ok_or(Bad::Truncated)?;
        if find_last(&tail[at..], b"%%EOF").is_none() {
            return Err(Bad::Truncated);
        }
        let mut lx = Lexer::new(bytes, tail_from + at + b"startxref".len());
        let startxref = lx.number().ok_or(Bad::Malformed)?;

        let mut offsets = BTreeMap::new();
        let mut trailer = None;
        let mut next = Some(startxref);
        let mut seen = Vec::new();
        while let Some(xref_at) = next {
            let xref_at = usize::try_from(xref_at).map_err(|_| Bad::Malformed)?;
            if seen.len() >= MAX_SECTIONS || seen.contains(&xref_at) || xref_at >= bytes.len() {
                return Err(Bad::Malformed);
            }
            seen.push(xref_at);
            let mut lx = Lexer::new(bytes, xref_at);
            if lx.word() != b"xref" {
                return Err(Bad::Malformed);
            }
            loop {
                lx.skip_ws();
                if lx.rest().starts_with(b"trailer") {
                    lx.pos += b"trailer".len();
                    break;
                }
                let first = lx.number().ok_or(Bad::Malformed)?;
                let count = lx.number().ok_or(Bad::Malformed)?;
                if count > MAX_ENTRIES || first > u64::from(u32::MAX) - count {
                    return Err(Bad::Malformed);
                }
                for i in 0..count {
                    let off = lx.number().ok_or(Bad::Malformed)?;
                    lx.number().ok_or(Bad::Malformed)?;
                    let kind = lx.word();
                    // Newer sections are read first and win.
                    let num = (first + i) as u32;
                    match kind {
                        b"n" => {
                            let off = usize::try_from(off).map_err(|_| Bad::Malformed)?;
                            offsets.entry(num).or_insert(off);
                        }
                        b"f" => {
                            offsets.entry(num).or_insert(usize::MAX);
                        }
                        _ => return Err(Bad::Malformed),
                    }
                }
            }
            let t = lx.object(0)?;
            if !matches!(t, Obj::Dict(_)) {
                return Err(Bad::Malformed);
            }
            next = match t.get(b"Prev") {
                Some(Obj::Num(n)) if *n >= 0.0 && n.fract() == 0.0 => Some(*n as u64),
                Some(_) => return Err(Bad::Malformed),
                None => None,
            };
            trailer.get_or_insert(t);
        }
        Ok(Pdf {
            bytes,
            offsets,
            trailer: trailer.ok_or(Bad::Malformed)?,
        })
    }

    /// Whether `bytes` end in a cross-reference stream (PDF 1.5 and
    /// later): `startxref` points at an indirect object whose dictionary
    /// is of `/Type /XRef` and names a `/Root`.
    pub(crate) fn xref_stream(bytes: &[u8]) -> bool {
        let head = &bytes[..bytes.len().min(1024)];
        if find_last(head, b"%PDF-").is_none() {
            return false;
        }
        let tail_from = bytes.len().saturating_sub(1024);
        let tail = &bytes[tail_from..];
        let Some(at) = find_last(tail, b"startxref") else {
            return false;
        };
        if find_last(&tail[at..], b"%%EOF").is_none() {
            return false;
        }
        let mut lx = Lexer::new(bytes, tail_from + at + b"startxref".len());
        let Some(start) = lx.number().and_then(|n| usize::try_from(n).ok()) else {
            return false;
        };
        if start >= bytes.len() {
            return false;
        }
        let mut lx = Lexer::new(bytes, start);
        if lx.number().is_none() || lx.number().is_none() || lx.word() != b"obj" {
            return false;
        }
        let Ok(dict) = lx.object(0) else {
            return false;
        };
        matches!(dict.get(b"Type"), Some(Obj::Name(n)) if n == b"XRef")
            && dict.get(b"Root").is_some()
    }

    /// Object `num` as its cross-reference places it.
    pub(crate) fn object(&self, num: u32) -> Result<Obj, Bad> {
        let at = *self.offsets.get(&num).ok_or(Bad::Malformed)?;
        if at >= self.bytes.len() {
            return Err(Bad::Malformed);
        }
        let mut lx = Lexer::new(self.bytes, at);
        if lx.number() != Some(u64::from(num)) {
            return Err(Bad::Malformed);
        }
        lx.number().ok_or(Bad::Malformed)?;
        if lx.word() != b"obj" {
            return Err(Bad::Malformed);
        }
        lx.object(0)
    }

    /// `obj`, or what it refers to.
    pub(crate) fn resolve(&self, obj: &Obj) -> Result<Obj, Bad> {
        match obj {
            Obj::Ref(n) => match self.object(*n)? {
                Obj::Ref(_) => Err(Bad::Malformed),
                o => Ok(o),
            },
            o => Ok(o.clone()),
        }
    }

    /// The bytes of a string's span.
    pub(crate) fn span(&self, start: usize, end: usize) -> &'a [u8] {
        self.bytes.get(start..end).unwrap_or_default()
    }

    /// The signature dictionaries of the form's signature fields, in the
    /// order of `/Fields`.
    pub(crate) fn signatures(&self) -> Result<Vec<SigDict>, Bad> {
        let root = self
            .trailer
            .get(b"Root")
            .ok_or(Bad::Malformed)
            .and_then(|r| self.resolve(r))?;
        if root.get(b"Type") != Some(&Obj::Name(b"Catalog".to_vec())) {
            return Err(Bad::Malformed);
        }
        let Some(form) = root.get(b"AcroForm") else {
            return Ok(vec![]);
        };
        let form = self.resolve(form)?;
        let fields = match form.get(b"Fields") {
            Some(f) => self.resolve(f)?,
            None => return Ok(vec![]),
        };
        let Obj::Array(fields) = fields else {
            return Err(Bad::Malformed);
        };
        let mut out = Vec::new();
        for field in fields.iter().take(MAX_FIELDS) {
            let field = self.resolve(field)?;
            if field.get(b"FT") != Some(&Obj::Name(b"Sig".to_vec())) {
                continue;
            }
            let Some(v) = field.get(b"V") else { continue };
            let sig = self.resolve(v)?;
            out.push(self.sig_dict(&sig)?);
        }
        Ok(out)
    }

    fn sig_dict(&self, sig: &Obj) -> Result<SigDict, Bad> {
        let Some(Obj::Array(range)) = sig.get(b"ByteRange") else {
            return Err(Bad::Malformed);
        };
        let mut r = [0usize; 4];
        if range.len() != 4 {
            return Err(Bad::Malformed);
        }
        for (slot, item) in r.iter_mut().zip(range) {
            match item {
                Obj::Num(n) if *n >= 0.0 && n.fract() == 0.0 && *n < 1e15 => *slot = *n as usize,
                _ => return Err(Bad::Malformed),
            }
        }
        let Some(Obj::Str(cs, ce)) = sig.get(b"Contents") else {
            return Err(Bad::Malformed);
        };
        let contents = self.span(*cs, *ce);
        if contents.first() != Some(&b'<') {
            return Err(Bad::Malformed);
        }
        let hex = &contents[1..contents.len().saturating_sub(1)];
        let cms = decode_hex(hex).ok_or(Bad::Malformed)?;
        let signed_at = match sig.get(b"M") {
            Some(Obj::Str(s, e)) => Some(self.span(*s, *e).to_vec()),
            _ => None,
        };
        Ok(SigDict {
            byte_range: r,
            contents_span: (*cs, *ce),
            cms,
            signed_at,
        })
    }
}

/// One signature dictionary as found.
#[derive(Debug, Clone)]
pub(crate) struct SigDict {
    pub byte_range: [usize; 4],
    /// Where the `/Contents` hex string is, delimiters included.
    pub contents_span: (usize, usize),
    pub cms: Vec<u8>,
    /// `/M` as written, e.g. `(D:20250301093000+08'00')`.
    pub signed_at: Option<Vec<u8>>,
}

/// The largest `/Contents` accepted (a CMS with a short chain is ~2 KiB).
const MAX_CMS: usize = 64 * 1024;

fn decode_hex(hex: &[u8]) -> Option<Vec<u8>> {
    let digits: Vec<u8> = hex.iter().copied().filter(|c| !is_white(*c)).collect();
    if digits.len() / 2 > MAX_CMS {
        return None;
    }
    let val = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(digits.len() / 2 + 1);
    for pair in digits.chunks(2) {
        let hi = val(pair[0])?;
        let lo = match pair.get(1) {
            Some(&c) => val(c)?,
            None => 0,
        };
        out.push(hi << 4 | lo);
    }
    Some(out)
}

/// How many `%%EOF`-ended revisions `bytes` holds (an appended part may
/// be an incremental update, or any bytes at all).
pub(crate) fn revisions_in(bytes: &[u8]) -> usize {
    bytes.windows(9).filter(|w| w == b"startxref").count()
}

/// `/M` (`D:YYYYMMDDHHmmSS+HH'mm'`) as a timestamp.
pub(crate) fn pdf_date(raw: &[u8]) -> Option<jiff::Timestamp> {
    let s = std::str::from_utf8(raw).ok()?;
    let s = s.strip_prefix('(')?.strip_suffix(')')?;
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits = |a: usize, b: usize| -> Option<i32> {
        let part = s.get(a..b)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (digits(0, 4)?, digits(4, 6)?, digits(6, 8)?);
    let (h, mi, sec) = (digits(8, 10)?, digits(10, 12)?, digits(12, 14)?);
    let offset_secs = match s.get(14..15) {
        Some("Z") | None => 0,
        Some(sign @ ("+" | "-")) => {
            let oh = digits(15, 17)?;
            let om = s
                .get(18..20)
                .and_then(|p| p.parse::<i32>().ok())
                .unwrap_or(0);
            let v = oh * 3600 + om * 60;
            if sign == "-" { -v } else { v }
        }
        _ => return None,
    };
    let dt = jiff::civil::DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(sec).ok()?,
        0,
    )
    .ok()?;
    let offset = jiff::tz::Offset::from_seconds(offset_secs).ok()?;
    offset.to_timestamp(dt).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_not_recursed() {
        let mut src = vec![b'['; 100_000];
        src.extend(vec![b']'; 100_000]);
        assert_eq!(Lexer::new(&src, 0).object(0), Err(Bad::Malformed));
    }

    #[test]
    fn unterminated_strings_end_in_an_error() {
        for src in [&b"(abc\\"[..], b"(a(b)", b"<AB", b"<</A", b"[1 2"] {
            assert!(Lexer::new(src, 0).object(0).is_err(), "{src:?}");
        }
    }

    #[test]
    fn signing_times_are_read_with_their_offset() {
        let t = pdf_date(b"(D:20250301093000+08'00')").unwrap();
        assert_eq!(t.to_string(), "2025-03-01T01:30:00Z");
        assert!(pdf_date(b"(D:2025)").is_none());
    }
}
