//! Any change inside the signed bytes breaks both seals; anything appended
//! after the last seal is reported as a modification.

use std::path::Path;

use jiff::civil::date;
use tempfile::TempDir;
use zhengshu_document::{DocumentInput, Pki, RenderOptions, render_with};

use crate::support::*;

fn uncompressed(input: &DocumentInput, pki: &Pki, t: jiff::Timestamp) -> Vec<u8> {
    let opts = RenderOptions {
        compress_content_streams: false,
    };
    render_with(input, fonts(), pki, t, &opts).unwrap()
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .expect("documents are identical")
}

/// The first offset where the documents differ inside a stream's data
/// (where the name is drawn), past differences in font dictionaries such
/// as a subset's tag.
fn first_difference_in_a_stream(a: &[u8], b: &[u8]) -> usize {
    let last = |hay: &[u8], needle: &[u8], before: usize| {
        hay[..before]
            .windows(needle.len())
            .rposition(|w| w == needle)
    };
    a.iter()
        .zip(b)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, _)| i)
        .find(|&i| {
            let opened = last(a, b"stream\n", i);
            let closed = last(a, b"endstream", i);
            opened.is_some_and(|o| closed.is_none_or(|c| o > c + b"end".len()))
        })
        .expect("the documents differ inside a stream")
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Offset where the first signature's hex string starts: everything before
/// it belongs to the page as laid out.
fn first_contents(pdf: &[u8]) -> usize {
    find(pdf, b"/Contents <", 0).expect("no signature")
}

/// The byte range of the data of the stream object that starts at or after `from`.
fn stream_data(pdf: &[u8], from: usize) -> (usize, usize) {
    let start = find(pdf, b"stream\n", from).unwrap() + b"stream\n".len();
    let end = find(pdf, b"endstream", start).unwrap();
    (start, end)
}

fn assert_both_tools_reject(keys: &Keys, pdf: &[u8], at: usize, what: &str) {
    assert!(
        at < first_contents(pdf),
        "{what}: offset {at} is not in the page"
    );
    let mut bad = pdf.to_vec();
    bad[at] ^= 0x01;
    let tmp = TempDir::new().unwrap();
    let path = write(tmp.path(), "tampered.pdf", &bad);

    let out = pdfsig_trusting(&keys.ca_pem(), &path);
    assert_eq!(
        count(&out, "Signature is Valid."),
        0,
        "{what}: pdfsig still valid\n{out}"
    );
    assert_eq!(count(&out, "Digest Mismatch."), 2, "{what}:\n{out}");

    let (ok, out) = pyhanko(&keys.ca_pem(), &path);
    assert!(!ok, "{what}: pyHanko accepted\n{out}");
    assert_eq!(count(&out, "judged VALID"), 0, "{what}:\n{out}");
    assert_eq!(count(&out, "judged INVALID"), 2, "{what}:\n{out}");
}

#[test]
fn changing_a_byte_of_the_holder_name_breaks_both_seals() {
    let keys = Keys::new();
    let t = now();
    // Characters of the statement above the table, so both renders embed
    // the same glyphs and differ only where the name is drawn.
    let mut a = annotated_input();
    a.holder_name = "华国民".into();
    let mut b = a.clone();
    b.holder_name = "民国华".into();
    let pa = uncompressed(&a, &keys.pki, t);
    let at = first_difference_in_a_stream(&pa, &uncompressed(&b, &keys.pki, t));
    assert_both_tools_reject(&keys, &pa, at, "name");
}

#[test]
fn changing_a_byte_of_the_annotation_dates_breaks_both_seals() {
    let keys = Keys::new();
    let t = now();
    let a = annotated_input();
    let mut b = a.clone();
    let ann = b.annotation.as_mut().unwrap();
    ann.valid_from = date(2025, 5, 29);
    ann.valid_until = date(2025, 3, 1);
    let pa = uncompressed(&a, &keys.pki, t);
    let at = first_difference(&pa, &uncompressed(&b, &keys.pki, t));
    assert_both_tools_reject(&keys, &pa, at, "annotation dates");
}

#[test]
fn changing_a_byte_of_the_seal_drawing_breaks_both_seals() {
    let keys = Keys::new();
    let pdf = uncompressed(&annotated_input(), &keys.pki, now());
    // The seals are form XObjects (they are drawn with ink opacity).
    let form = find(&pdf, b"/Subtype/Form", 0).expect("no seal drawing");
    let (start, end) = stream_data(&pdf, form);
    assert!(end - start > 1000, "seal drawing too short");
    assert_both_tools_reject(&keys, &pdf, start + (end - start) / 2, "seal drawing");
}

#[test]
fn changing_a_byte_of_the_compressed_page_text_breaks_both_seals() {
    let keys = Keys::new();
    let pdf = render_with(
        &annotated_input(),
        fonts(),
        &keys.pki,
        now(),
        &RenderOptions::default(),
    )
    .unwrap();
    let page = find(&pdf, b"/Type/Page/", 0).expect("no page");
    let contents = find(&pdf, b"/Contents ", page).unwrap() + b"/Contents ".len();
    let num: String = pdf[contents..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .map(|&c| c as char)
        .collect();
    let obj = find(&pdf, format!("\n{num} 0 obj").as_bytes(), 0).unwrap();
    let (start, end) = stream_data(&pdf, obj);
    assert_both_tools_reject(
        &keys,
        &pdf,
        start + (end - start) / 3,
        "page content stream",
    );
}

/// Appends a revision that draws a box over the page, the classic way to
/// alter a signed PDF without touching the signed bytes.
fn append_drawing(pdf: &[u8]) -> Vec<u8> {
    let tail = String::from_utf8_lossy(&pdf[pdf.len() - 40..]).into_owned();
    let startxref: usize = tail
        .split("startxref")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let trailer_at = find(pdf, b"trailer", startxref).unwrap();
    let trailer = String::from_utf8_lossy(&pdf[trailer_at..]).into_owned();
    let field = |key: &str| -> String {
        let rest = &trailer[trailer.find(key).unwrap() + key.len()..];
        rest.trim_start()
            .split(['/', '>'])
            .next()
            .unwrap()
            .trim()
            .to_string()
    };
    let size: u32 = field("/Size").parse().unwrap();
    let root = field("/Root");
    let id_at = trailer.find("/ID").unwrap();
    let id = &trailer[id_at..trailer[id_at..].find(']').unwrap() + id_at + 1];

    // The page object as it stands now: take its latest definition.
    let page_num: u32 = {
        let s = String::from_utf8_lossy(pdf);
        let at = s.rfind("/Type/Page/").unwrap();
        let obj_start = s[..at].rfind(" 0 obj").unwrap();
        let line_start = s[..obj_start].rfind('\n').unwrap() + 1;
        s[line_start..obj_start].parse().unwrap()
    };
    let page_obj = {
        let s = String::from_utf8_lossy(pdf);
        let marker = format!("\n{page_num} 0 obj\n");
        let at = s.rfind(&marker).unwrap() + marker.len();
        let end = s[at..].find("\nendobj").unwrap() + at;
        s[at..end].to_string()
    };
    let contents_at = page_obj.find("/Contents ").unwrap() + "/Contents ".len();
    let old_contents: String = page_obj[contents_at..]
        .split(['/', '>'])
        .next()
        .unwrap()
        .trim()
        .to_string();
    let new_page = page_obj.replacen(
        &format!("/Contents {old_contents}"),
        &format!("/Contents [{old_contents} {size} 0 R]"),
        1,
    );

    let mut out = pdf.to_vec();
    let content = b"1 1 1 rg 160 430 200 40 re f";
    let o1 = out.len();
    out.extend_from_slice(
        format!("{size} 0 obj\n<</Length {}>>\nstream\n", content.len()).as_bytes(),
    );
    out.extend_from_slice(content);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    let o2 = out.len();
    out.extend_from_slice(format!("{page_num} 0 obj\n{new_page}\nendobj\n").as_bytes());
    let xref = out.len();
    out.extend_from_slice(
        format!(
            "xref\n{page_num} 1\n{o2:010} 00000 n\r\n{size} 1\n{o1:010} 00000 n\r\ntrailer\n<</Size {} /Root {root} {id} /Prev {startxref}>>\nstartxref\n{xref}\n%%EOF\n",
            size + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn a_revision_appended_after_the_last_seal_is_reported() {
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    let pdf = render_with(
        &annotated_input(),
        fonts(),
        &keys.pki,
        now(),
        &RenderOptions::default(),
    )
    .unwrap();
    let changed = append_drawing(&pdf);
    let path = write(tmp.path(), "appended.pdf", &changed);
    check_qpdf_reads(&path);

    let out = pdfsig_trusting(&keys.ca_pem(), &path);
    assert_eq!(count(&out, "Not total document signed"), 2, "{out}");
    assert!(!out.contains("- Total document signed"), "{out}");

    let (ok, out) = pyhanko(&keys.ca_pem(), &path);
    assert!(!ok, "pyHanko accepted a modified document\n{out}");
    assert_eq!(
        count(&out, "The signature covers the entire file."),
        0,
        "{out}"
    );
    assert!(
        out.contains("incremental update") || out.contains("modification"),
        "{out}"
    );
}

fn check_qpdf_reads(path: &Path) {
    let o = run("qpdf", &[&"--check", &path]);
    assert!(
        o.status.success(),
        "the appended revision is not a valid PDF: {}",
        text(&o)
    );
}
