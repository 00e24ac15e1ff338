//! Prints, per font face, how many characters of each CJK block it covers.
//!
//! ```text
//! cargo run --release --features font --example font-coverage -- \
//!     /usr/share/fonts/truetype/hanazono/HanaMinB.ttf /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
//! ```

use zhengshu_rarechars::font::FontCoverage;

fn main() {
    for path in std::env::args().skip(1) {
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        for index in 0..FontCoverage::faces_in(&data) {
            match FontCoverage::from_bytes(data.clone(), index) {
                Ok(font) => {
                    let blocks: Vec<String> = font
                        .block_coverage()
                        .iter()
                        .map(|b| format!("{} {}/{}", b.block, b.covered, b.total))
                        .collect();
                    println!("{path}#{index}: {}", blocks.join(", "));
                }
                Err(e) => eprintln!("{path}#{index}: {e}"),
            }
        }
    }
}
