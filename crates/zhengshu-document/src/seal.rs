//! The visible electronic seal (电子印章): a red double ring, a five-pointed
//! star, the owner's name along the upper arc and the seal's purpose below
//! the star, all vector graphics drawn from text.

use std::f32::consts::PI;

use krilla::color::rgb;
use krilla::num::NormalizedF32;
use krilla::surface::Surface;

use crate::DocumentError;
use crate::draw::{Pen, circle, fill, star, stroke};

/// Seal red (朱红).
const RED: (u8, u8, u8) = (222, 32, 32);

pub use zhengshu_check::{BODY_SEAL_PURPOSE, MINISTRY_SEAL_NAME};
/// What the ministry's seal shows along its arc; the rest of the name
/// (专用章) is its purpose line.
const MINISTRY_ARC: &str = "人力资源和社会保障部专业技术人员职业资格证书";
const MINISTRY_PURPOSE: &str = "专用章";

/// Which seal to draw or apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealFace {
    /// Text along the upper arc.
    pub arc: String,
    /// Text below the star.
    pub purpose: String,
}

impl SealFace {
    /// The ministry's special seal for professional qualification certificates.
    pub fn ministry() -> SealFace {
        SealFace {
            arc: MINISTRY_ARC.into(),
            purpose: MINISTRY_PURPOSE.into(),
        }
    }

    /// An issuing body's certificate seal.
    pub fn body(name: &str) -> SealFace {
        SealFace {
            arc: name.into(),
            purpose: BODY_SEAL_PURPOSE.into(),
        }
    }
}

/// Draws `face` as a round seal of radius `r` centred on (cx, cy).
pub(crate) fn draw_seal(
    s: &mut Surface<'_>,
    pen: &Pen<'_>,
    face: &SealFace,
    cx: f32,
    cy: f32,
    r: f32,
) -> Result<(), DocumentError> {
    let red = rgb::Color::new(RED.0, RED.1, RED.2);
    // Ink lets the printing underneath show through, as a real stamp does.
    s.push_opacity(NormalizedF32::new(0.88).expect("in range"));

    s.set_fill(None);
    s.set_stroke(Some(stroke(red, r * 0.055)));
    s.draw_path(&circle(cx, cy, r * 0.97));
    s.set_stroke(Some(stroke(red, r * 0.012)));
    s.draw_path(&circle(cx, cy, r * 0.87));

    s.set_stroke(None);
    s.set_fill(Some(fill(red)));
    s.draw_path(&star(cx, cy, r * 0.26));

    // The inscription runs clockwise over the top, centred on the vertical;
    // long names get tall, narrow characters, as engraved seals do.
    let chars: Vec<char> = face.arc.chars().collect();
    let n = chars.len().max(1) as f32;
    let span = (PI * (0.5 + 0.07 * n)).min(PI * 1.42);
    let text_r = r * 0.68;
    let pitch = span / n;
    let size = r * 0.25;
    let squash = (text_r * pitch * 0.92 / size).min(1.0);
    let placed: Vec<(char, f32, f32, f32)> = chars
        .iter()
        .enumerate()
        .map(|(i, &ch)| {
            let a = -span / 2.0 + pitch * (i as f32 + 0.5);
            (ch, cx + text_r * a.sin(), cy - text_r * a.cos(), a)
        })
        .collect();
    pen.outlined_chars(s, &placed, size, squash)?;

    let purpose: Vec<char> = face.purpose.chars().collect();
    let psize = r * 0.2;
    let pitch = psize * 1.0;
    let start = cx - pitch * (purpose.len() as f32 - 1.0) / 2.0;
    let placed: Vec<(char, f32, f32, f32)> = purpose
        .iter()
        .enumerate()
        .map(|(i, &ch)| (ch, start + pitch * i as f32, cy + r * 0.52, 0.0))
        .collect();
    pen.outlined_chars(s, &placed, psize, 1.0)?;

    s.pop();
    Ok(())
}
