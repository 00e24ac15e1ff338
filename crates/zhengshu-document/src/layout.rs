//! The page: one A4 sheet in the manner of a Chinese professional
//! qualification certificate. Produces the unsigned PDF and where the seals
//! sit, so that the signatures' widgets can be placed on them.

use jiff::Timestamp;
use krilla::color::rgb;
use krilla::geom::{Size, Transform};
use krilla::image::Image;
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::surface::Surface;
use krilla::{Document, SerializeSettings};

use crate::draw::{Align, Pen, fill, qr_code, rect, stroke};
use crate::fonts::{Fonts, Style};
use crate::input::{DocumentInput, zh_date};
use crate::seal::{SealFace, draw_seal};
use crate::{DocumentError, RenderOptions, china_time};

/// A4 in points.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;

const INK: (u8, u8, u8) = (24, 24, 24);
const LABEL: (u8, u8, u8) = (90, 62, 40);
const FRAME: (u8, u8, u8) = (150, 112, 52);
const SEAL_R: f32 = 60.0;
/// Distance between the two seals' centres, in radii: under 2 they overlap.
const SEAL_OFFSET: f32 = 1.25;

fn color(c: (u8, u8, u8)) -> rgb::Color {
    rgb::Color::new(c.0, c.1, c.2)
}

/// A seal's square on the page, in PDF user space (origin bottom left).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SealRect {
    pub llx: f32,
    pub lly: f32,
    pub urx: f32,
    pub ury: f32,
}

impl SealRect {
    fn around(cx: f32, cy_top_down: f32, r: f32) -> SealRect {
        let cy = PAGE_H - cy_top_down;
        SealRect {
            llx: cx - r,
            lly: cy - r,
            urx: cx + r,
            ury: cy + r,
        }
    }
}

/// The unsigned page and where its seals are drawn.
pub(crate) struct Laid {
    pub pdf: Vec<u8>,
    pub ministry_seal: Option<SealRect>,
    pub body_seal: SealRect,
}

pub(crate) fn lay_out(
    input: &DocumentInput,
    fonts: &Fonts,
    when: Timestamp,
    options: &RenderOptions,
) -> Result<Laid, DocumentError> {
    let settings = SerializeSettings {
        compress_content_streams: options.compress_content_streams,
        xmp_metadata: false,
        enable_tagging: false,
        ..SerializeSettings::default()
    };
    let mut doc = Document::new_with(settings);
    let local = china_time(when);
    let date = DateTime::new(local.year() as u16)
        .month(local.month() as u8)
        .day(local.day() as u8)
        .hour(local.hour() as u8)
        .minute(local.minute() as u8)
        .second(local.second() as u8)
        .utc_offset_hour(8)
        .utc_offset_minute(0);
    doc.set_metadata(
        Metadata::new()
            .title(format!("{}（{}）", input.title, input.certificate_number))
            .creator("zhengshu".into())
            .producer("zhengshu".into())
            .language("zh-CN".into())
            .creation_date(date)
            .document_id(input.certificate_number.clone()),
    );

    let mut page = doc
        .start_page_with(PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid page size"));
    let mut s = page.surface();
    let pen = Pen { fonts };
    let placed = draw_page(&mut s, &pen, input)?;
    s.finish();
    page.finish();
    let pdf = doc
        .finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))?;
    Ok(Laid {
        pdf,
        ministry_seal: placed.0,
        body_seal: placed.1,
    })
}

type Placed = (Option<SealRect>, SealRect);

fn draw_page(
    s: &mut Surface<'_>,
    pen: &Pen<'_>,
    input: &DocumentInput,
) -> Result<Placed, DocumentError> {
    let ink = color(INK);
    let label = color(LABEL);

    draw_frame(s);

    // Title and subtitle.
    let title_size = if input.title.chars().count() > 19 {
        19.0
    } else {
        21.0
    };
    pen.text(
        s,
        &input.title,
        PAGE_W / 2.0,
        104.0,
        title_size,
        ink,
        Align::Center,
        Style::Title,
    )?;
    pen.text(
        s,
        &input.qualification_name,
        PAGE_W / 2.0,
        140.0,
        15.0,
        label,
        Align::Center,
        Style::Title,
    )?;

    // Statement.
    let statement = format!(
        "本证书由中华人民共和国人力资源和社会保障部批准颁发。它表明持证人通过国家统一组织的考试，取得{}的职业资格。",
        input.qualification_name
    );
    let mut y = 176.0;
    for line in pen.wrap(&statement, 11.0, PAGE_W - 2.0 * 86.0)? {
        pen.text(s, &line, 86.0, y, 11.0, ink, Align::Left, Style::Body)?;
        y += 18.0;
    }

    // Photo, top right of the field table.
    let table_top = y + 22.0;
    let (px, py, pw, ph) = (PAGE_W - 86.0 - 96.0, table_top - 12.0, 96.0, 128.0);
    s.set_fill(None);
    s.set_stroke(Some(stroke(color(FRAME), 0.6)));
    s.draw_path(&rect(px, py, pw, ph));
    match &input.photo {
        Some(bytes) => draw_photo(s, bytes, px, py, pw, ph)?,
        None => {
            pen.text(
                s,
                "照片",
                px + pw / 2.0,
                py + ph / 2.0 + 4.0,
                11.0,
                label,
                Align::Center,
                Style::Body,
            )?;
        }
    }

    // Field table: label, then value aligned in a second column.
    let mut rows: Vec<(&str, String)> = vec![("姓名", input.holder_name.clone())];
    if let Some(sex) = &input.sex {
        rows.push(("性别", sex.clone()));
    }
    if let Some(d) = input.birth_date {
        rows.push(("出生日期", zh_date(d)));
    }
    rows.push(("证件类型", input.id_type_label.clone()));
    rows.push(("证件号码", input.id_number_masked.clone()));
    rows.push(("资格名称", input.qualification_name.clone()));
    for (name, value) in [
        ("类别", &input.category),
        ("专业", &input.specialty),
        ("级别", &input.level),
    ] {
        if let Some(v) = value {
            rows.push((name, v.clone()));
        }
    }
    if let Some(m) = &input.management_number {
        rows.push(("管理号", m.clone()));
    }
    rows.push(("证书编号", input.certificate_number.clone()));
    if let Some(d) = input.approval_date {
        rows.push(("批准日期", zh_date(d)));
    }
    rows.push(("签发日期", zh_date(input.issue_date)));
    rows.push(("发证机构", input.issuing_body_name.clone()));

    let row_h = if rows.len() > 12 { 23.0 } else { 25.0 };
    let mut y = table_top;
    for (name, value) in &rows {
        pen.text(s, name, 86.0, y, 12.0, label, Align::Left, Style::Body)?;
        let size = if *name == "姓名" { 15.0 } else { 12.5 };
        let max_w = if y < py + ph + 8.0 {
            px - 170.0 - 8.0
        } else {
            PAGE_W - 86.0 - 170.0
        };
        let size = fit(pen, value, size, max_w)?;
        pen.text(s, value, 170.0, y, size, ink, Align::Left, Style::Value)?;
        y += row_h;
    }

    // Seals at the lower right, over the end of the table as stamps are.
    // With two, the ministry's is stamped first and the issuing body's
    // second, overlapping it and drawn over it (the second covers the
    // first); each signature's widget sits on its own seal.
    let seal_y = (y + SEAL_R - 10.0).max(560.0);
    let body_cx = PAGE_W - 86.0 - SEAL_R - 10.0;
    let ministry = if input.needs_ministry_seal {
        let cx = body_cx - SEAL_R * SEAL_OFFSET;
        draw_seal(s, pen, &SealFace::ministry(), cx, seal_y, SEAL_R)?;
        Some(SealRect::around(cx, seal_y, SEAL_R))
    } else {
        None
    };
    draw_seal(
        s,
        pen,
        &SealFace::body(&input.issuing_body_name),
        body_cx,
        seal_y,
        SEAL_R,
    )?;
    let body = SealRect::around(body_cx, seal_y, SEAL_R);

    draw_annotation(s, pen, input, seal_y + SEAL_R + 16.0)?;
    Ok((ministry, body))
}

/// Shrinks the font size until `text` (a value) fits in `max_w`.
fn fit(pen: &Pen<'_>, text: &str, size: f32, max_w: f32) -> Result<f32, DocumentError> {
    let w = pen.width(text, size, Style::Value)?;
    Ok(if w > max_w {
        (size * max_w / w).max(7.0)
    } else {
        size
    })
}

fn draw_frame(s: &mut Surface<'_>) {
    let c = color(FRAME);
    s.set_fill(None);
    s.set_stroke(Some(stroke(c, 2.4)));
    s.draw_path(&rect(30.0, 30.0, PAGE_W - 60.0, PAGE_H - 60.0));
    s.set_stroke(Some(stroke(c, 0.7)));
    s.draw_path(&rect(37.0, 37.0, PAGE_W - 74.0, PAGE_H - 74.0));
    // Corner ornaments: small filled squares turned 45°.
    s.set_stroke(None);
    s.set_fill(Some(fill(c)));
    for (x, y) in [
        (37.0, 37.0),
        (PAGE_W - 37.0, 37.0),
        (37.0, PAGE_H - 37.0),
        (PAGE_W - 37.0, PAGE_H - 37.0),
    ] {
        s.push_transform(&Transform::from_rotate_at(45.0, x, y));
        s.push_transform(&Transform::from_translate(x, y));
        s.draw_path(&rect(-4.0, -4.0, 8.0, 8.0));
        s.pop();
        s.pop();
    }
    // A thin rule under the title block.
    s.set_fill(Some(fill(c)));
    s.draw_path(&rect(150.0, 152.0, PAGE_W - 300.0, 0.8));
}

fn draw_photo(
    s: &mut Surface<'_>,
    bytes: &[u8],
    x: f32,
    y: f32,
    w: f32,
    h: f32,
) -> Result<(), DocumentError> {
    let data = bytes.to_vec().into();
    let image = if bytes.starts_with(&[0xFF, 0xD8]) {
        Image::from_jpeg(data, true)
    } else if bytes.starts_with(b"\x89PNG") {
        Image::from_png(data, true)
    } else {
        Err("not JPEG or PNG".to_string())
    }
    .map_err(|e| DocumentError::Input(format!("photo: {e}")))?;
    let (iw, ih) = image.size();
    // Fit inside the frame, keeping the aspect ratio, with a small margin.
    let scale = ((w - 4.0) / iw as f32).min((h - 4.0) / ih as f32);
    let (dw, dh) = (iw as f32 * scale, ih as f32 * scale);
    s.push_transform(&Transform::from_translate(
        x + (w - dw) / 2.0,
        y + (h - dh) / 2.0,
    ));
    s.draw_image(image, Size::from_wh(dw, dh).expect("positive size"));
    s.pop();
    Ok(())
}

fn draw_annotation(
    s: &mut Surface<'_>,
    pen: &Pen<'_>,
    input: &DocumentInput,
    top: f32,
) -> Result<(), DocumentError> {
    let ink = color(INK);
    let label = color(LABEL);
    let (left, right) = (72.0, PAGE_W - 72.0);
    let bottom = PAGE_H - 52.0;
    let height = bottom - top;
    s.set_fill(None);
    s.set_stroke(Some(stroke(color(FRAME), 0.8)));
    s.draw_path(&rect(left, top, right - left, height));

    let qr_side = (height - 26.0).min(92.0);
    let qr_x = right - 10.0 - qr_side;
    qr_code(s, &input.verify_url, qr_x, top + 8.0, qr_side)?;
    pen.text(
        s,
        "扫码查验",
        qr_x + qr_side / 2.0,
        top + 8.0 + qr_side + 12.0,
        8.5,
        label,
        Align::Center,
        Style::Body,
    )?;

    let x = left + 14.0;
    let mut y = top + 22.0;
    match &input.annotation {
        Some(a) => {
            pen.text(s, "加注信息", x, y, 12.0, label, Align::Left, Style::Title)?;
            y += 21.0;
            let lines = [
                ("使用场景", a.scenario_label.clone()),
                (
                    "加注有效期",
                    format!("{} 至 {}", zh_date(a.valid_from), zh_date(a.valid_until)),
                ),
                ("加注编号", a.number.clone()),
                ("查验码", a.verification_code.clone()),
            ];
            for (name, value) in lines {
                pen.text(s, name, x, y, 10.5, label, Align::Left, Style::Body)?;
                pen.text(s, &value, x + 66.0, y, 10.5, ink, Align::Left, Style::Value)?;
                y += 17.0;
            }
        }
        None => {
            pen.text(s, "查验信息", x, y, 12.0, label, Align::Left, Style::Title)?;
            y += 21.0;
            pen.text(
                s,
                "本电子证书无需加注，可直接查看和下载。",
                x,
                y,
                10.5,
                ink,
                Align::Left,
                Style::Body,
            )?;
            y += 17.0;
        }
    }
    let max_w = qr_x - x - 10.0;
    let size = fit(pen, &input.verify_url, 8.0, max_w)?;
    pen.text(
        s,
        &input.verify_url,
        x,
        y.max(bottom - 10.0),
        size,
        label,
        Align::Left,
        Style::Value,
    )?;
    Ok(())
}
