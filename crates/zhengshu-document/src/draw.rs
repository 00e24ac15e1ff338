//! Drawing primitives on a krilla surface: text with font fallback, filled
//! and stroked shapes, the QR code. Coordinates are PDF points with the
//! origin at the top left of the page (krilla's convention).

use krilla::color::rgb;
use krilla::geom::{Path, PathBuilder, Point, Rect, Transform};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, FillRule, LineCap, LineJoin, Stroke};
use krilla::surface::Surface;

use crate::DocumentError;
use crate::fonts::{Fonts, Style};

/// Horizontal placement of a line of text relative to its x coordinate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
}

pub(crate) fn fill(color: rgb::Color) -> Fill {
    Fill {
        paint: color.into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

pub(crate) fn stroke(color: rgb::Color, width: f32) -> Stroke {
    Stroke {
        paint: color.into(),
        width,
        miter_limit: 4.0,
        line_cap: LineCap::Butt,
        line_join: LineJoin::Miter,
        opacity: NormalizedF32::ONE,
        dash: None,
    }
}

/// Text drawing with the document's fonts.
pub(crate) struct Pen<'a> {
    pub fonts: &'a Fonts,
}

impl Pen<'_> {
    /// Width in points of `text` at `size`.
    pub fn width(&self, text: &str, size: f32, style: Style) -> Result<f32, DocumentError> {
        Ok(self
            .fonts
            .shape(text, style)?
            .iter()
            .map(|r| r.width_em)
            .sum::<f32>()
            * size)
    }

    /// Draws one line of text with its baseline at `y`; returns its width.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &self,
        s: &mut Surface<'_>,
        text: &str,
        x: f32,
        y: f32,
        size: f32,
        color: rgb::Color,
        align: Align,
        style: Style,
    ) -> Result<f32, DocumentError> {
        let runs = self.fonts.shape(text, style)?;
        let width: f32 = runs.iter().map(|r| r.width_em).sum::<f32>() * size;
        let mut cursor = match align {
            Align::Left => x,
            Align::Center => x - width / 2.0,
        };
        s.set_fill(Some(fill(color)));
        s.set_stroke(None);
        for run in runs {
            s.draw_glyphs(
                Point::from_xy(cursor, y),
                &run.glyphs,
                run.font.clone(),
                &run.text,
                size,
                false,
            );
            cursor += run.width_em * size;
        }
        Ok(width)
    }

    /// Draws `text` as vector outlines (not extractable text), each
    /// character centred on its own point and rotated by its own angle
    /// (radians, clockwise). Used for seal inscriptions.
    pub fn outlined_chars(
        &self,
        s: &mut Surface<'_>,
        placed: &[(char, f32, f32, f32)],
        size: f32,
        squash: f32,
    ) -> Result<(), DocumentError> {
        let mut buf = [0u8; 4];
        for &(ch, cx, cy, angle) in placed {
            // The bold face gives the cut-in-stone weight of seal lettering.
            let runs = self.fonts.shape(ch.encode_utf8(&mut buf), Style::Title)?;
            let Some(run) = runs.into_iter().next() else {
                continue;
            };
            let (sin, cos) = angle.sin_cos();
            // Rotate about the character's centre, narrowing it horizontally
            // the way seal engravers set long inscriptions.
            s.push_transform(&Transform::from_row(
                cos * squash,
                sin * squash,
                -sin,
                cos,
                cx,
                cy,
            ));
            // The ideographic em box centre sits about 0.38 em above the baseline.
            let w = run.width_em * size;
            s.draw_glyphs(
                Point::from_xy(-w / 2.0, size * 0.38),
                &run.glyphs,
                run.font.clone(),
                &run.text,
                size,
                true,
            );
            s.pop();
        }
        Ok(())
    }

    /// Breaks `text` into lines no wider than `max_width` (any character
    /// may start a new line, as in Chinese typesetting).
    pub fn wrap(
        &self,
        text: &str,
        size: f32,
        max_width: f32,
    ) -> Result<Vec<String>, DocumentError> {
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut buf = [0u8; 4];
        let mut width = 0.0;
        for ch in text.chars() {
            let w = self.width(ch.encode_utf8(&mut buf), size, Style::Body)?;
            if width + w > max_width && !line.is_empty() && !is_closing_punct(ch) {
                lines.push(std::mem::take(&mut line));
                width = 0.0;
            }
            line.push(ch);
            width += w;
        }
        if !line.is_empty() {
            lines.push(line);
        }
        Ok(lines)
    }
}

/// Punctuation that must not start a line (禁则).
fn is_closing_punct(ch: char) -> bool {
    matches!(
        ch,
        '，' | '。' | '、' | '；' | '：' | '）' | '」' | '》' | '！' | '？'
    )
}

pub(crate) fn circle(cx: f32, cy: f32, r: f32) -> Path {
    // Four cubic Béziers; k is the usual circle approximation constant.
    let k = 0.552_284_8 * r;
    let mut pb = PathBuilder::new();
    pb.move_to(cx + r, cy);
    pb.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
    pb.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
    pb.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
    pb.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
    pb.close();
    pb.finish().expect("a circle is a valid path")
}

pub(crate) fn rect(x: f32, y: f32, w: f32, h: f32) -> Path {
    let mut pb = PathBuilder::new();
    pb.push_rect(Rect::from_xywh(x, y, w, h).expect("positive size"));
    pb.finish().expect("a rectangle is a valid path")
}

/// Five-pointed star centred on (cx, cy) with one point up.
pub(crate) fn star(cx: f32, cy: f32, r: f32) -> Path {
    let inner = r * 0.381_966; // (3 - √5) / 2: the regular star's ratio
    let mut pb = PathBuilder::new();
    for i in 0..10 {
        let radius = if i % 2 == 0 { r } else { inner };
        let a = std::f32::consts::PI * i as f32 / 5.0;
        let (x, y) = (cx + radius * a.sin(), cy - radius * a.cos());
        if i == 0 {
            pb.move_to(x, y);
        } else {
            pb.line_to(x, y);
        }
    }
    pb.close();
    pb.finish().expect("a star is a valid path")
}

/// Draws `url` as a QR code (vector modules) in a square of side `side`.
pub(crate) fn qr_code(
    s: &mut Surface<'_>,
    url: &str,
    x: f32,
    y: f32,
    side: f32,
) -> Result<(), DocumentError> {
    use qrcodegen::{QrCode, QrCodeEcc};
    let qr = QrCode::encode_text(url, QrCodeEcc::Medium)
        .map_err(|_| DocumentError::Input("verification URL too long for a QR code".into()))?;
    let n = qr.size();
    let module = side / n as f32;
    let mut pb = PathBuilder::new();
    for row in 0..n {
        // One rectangle per horizontal run of dark modules keeps the path short.
        let mut col = 0;
        while col < n {
            if qr.get_module(col, row) {
                let start = col;
                while col < n && qr.get_module(col, row) {
                    col += 1;
                }
                let r = Rect::from_xywh(
                    x + start as f32 * module,
                    y + row as f32 * module,
                    (col - start) as f32 * module,
                    module,
                )
                .expect("positive size");
                pb.push_rect(r);
            } else {
                col += 1;
            }
        }
    }
    if let Some(path) = pb.finish() {
        s.set_stroke(None);
        s.set_fill(Some(fill(rgb::Color::black())));
        s.draw_path(&path);
    }
    Ok(())
}
