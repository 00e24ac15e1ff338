//! Generates `data/unihan-han.txt` and `data/radicals.txt` from the Unicode
//! Character Database (Unihan plus `CJKRadicals.txt` and `Blocks.txt`).
//!
//! ```text
//! apt-get install -y unicode-data        # Debian: files under /usr/share/unicode
//! cargo run --features generate --bin gen-rarechars -- /usr/share/unicode data
//! ```
//!
//! The Unihan files may be plain (`Unihan_Readings.txt`) or bzip2-compressed
//! (`Unihan_Readings.txt.bz2`, as Debian ships them; `bzcat` must then be on
//! `PATH`). The output is deterministic: running it twice on the same input
//! gives byte-identical files.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Blocks whose ideographs are taken (names as in `Blocks.txt`).
const WANTED_BLOCKS: &[&str] = &[
    "CJK Unified Ideographs",
    "CJK Unified Ideographs Extension A",
    "CJK Unified Ideographs Extension B",
    "CJK Unified Ideographs Extension C",
    "CJK Unified Ideographs Extension D",
    "CJK Unified Ideographs Extension E",
    "CJK Unified Ideographs Extension F",
    "CJK Unified Ideographs Extension G",
    "CJK Unified Ideographs Extension H",
    "CJK Unified Ideographs Extension I",
    // Only its twelve unified ideographs (those without kCompatibilityVariant).
    "CJK Compatibility Ideographs",
];

/// Sort key of a ranked character: (通用规范汉字表 tier, corpus count
/// descending, kFrequency, kGradeLevel, GB 2312 level, kTGH serial, code point).
type RankKey = (u32, std::cmp::Reverse<u32>, u32, u32, u32, u32, u32);

#[derive(Default)]
struct Entry {
    rs: Vec<String>,
    total_strokes: Option<u32>,
    /// Readings from current dictionaries, in source order, first kMandarin.
    modern: Vec<String>,
    /// Readings found only in kHanyuPinyin (漢語大字典, incl. historical ones).
    hdz: Vec<String>,
    compat: bool,
    tgh: Option<u32>,
    pinlu: u32,
    frequency: Option<u32>,
    grade: Option<u32>,
    gb0: Option<u32>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: gen-rarechars <unicode-data dir> <output dir>");
        return ExitCode::from(2);
    }
    match run(Path::new(&args[1]), Path::new(&args[2])) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-rarechars: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read_source(dir: &Path, name: &str) -> Result<String, String> {
    let plain: PathBuf = dir.join(name);
    if plain.exists() {
        return std::fs::read_to_string(&plain).map_err(|e| format!("{}: {e}", plain.display()));
    }
    let bz = dir.join(format!("{name}.bz2"));
    if bz.exists() {
        let out = Command::new("bzcat")
            .arg(&bz)
            .output()
            .map_err(|e| format!("bzcat {}: {e}", bz.display()))?;
        if !out.status.success() {
            return Err(format!("bzcat {} failed", bz.display()));
        }
        return String::from_utf8(out.stdout).map_err(|e| format!("{}: {e}", bz.display()));
    }
    Err(format!(
        "neither {} nor {} exists",
        plain.display(),
        bz.display()
    ))
}

fn unicode_version(text: &str) -> Option<String> {
    text.lines()
        .take(20)
        .find_map(|l| l.strip_prefix("# Unicode version: "))
        .map(|v| v.trim().to_owned())
}

fn parse_cp(s: &str) -> Option<u32> {
    u32::from_str_radix(s.strip_prefix("U+")?, 16).ok()
}

/// `(code point, field, value)` of every data line.
fn records(text: &str) -> impl Iterator<Item = (u32, &str, &str)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut it = l.splitn(3, '\t');
            let cp = parse_cp(it.next()?)?;
            Some((cp, it.next()?, it.next()?))
        })
}

fn push_unique(v: &mut Vec<String>, r: &str) {
    let r = r.trim();
    if !r.is_empty() && !v.iter().any(|x| x == r) {
        v.push(r.to_owned());
    }
}

/// The readings of `kHanyuPinyin`, `kXHC1983`, `kTGHZ2013`: `loc[,loc]:r[,r] …`.
fn located_readings(value: &str) -> Vec<&str> {
    value
        .split(' ')
        .filter_map(|item| item.split_once(':').map(|(_, r)| r))
        .flat_map(|r| r.split(','))
        .collect()
}

fn run(src: &Path, out: &Path) -> Result<(), String> {
    let blocks_txt = read_source(src, "Blocks.txt")?;
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for line in blocks_txt.lines().filter(|l| !l.starts_with('#')) {
        let Some((range, name)) = line.split_once("; ") else {
            continue;
        };
        if WANTED_BLOCKS.contains(&name.trim()) {
            let (a, b) = range.split_once("..").ok_or("bad Blocks.txt line")?;
            let a = u32::from_str_radix(a, 16).map_err(|e| e.to_string())?;
            let b = u32::from_str_radix(b, 16).map_err(|e| e.to_string())?;
            ranges.push((a, b));
        }
    }
    let in_blocks = |cp: u32| ranges.iter().any(|&(a, b)| (a..=b).contains(&cp));

    let mut entries: BTreeMap<u32, Entry> = BTreeMap::new();

    let irg = read_source(src, "Unihan_IRGSources.txt")?;
    let version = unicode_version(&irg).ok_or("no '# Unicode version' header")?;
    for (cp, field, value) in records(&irg) {
        if !in_blocks(cp) {
            continue;
        }
        match field {
            "kRSUnicode" => {
                let e = entries.entry(cp).or_default();
                e.rs = value.split(' ').map(str::to_owned).collect();
            }
            // Unicode 15.0 keeps it here; older versions in Unihan_Variants.txt.
            "kCompatibilityVariant" => entries.entry(cp).or_default().compat = true,
            "kTotalStrokes" => {
                let e = entries.entry(cp).or_default();
                e.total_strokes = value.split(' ').next().and_then(|s| s.parse().ok());
            }
            _ => {}
        }
    }

    let dict = read_source(src, "Unihan_DictionaryLikeData.txt")?;
    for (cp, field, value) in records(&dict) {
        let Some(e) = entries.get_mut(&cp) else {
            continue;
        };
        match field {
            "kFrequency" => e.frequency = value.parse().ok(),
            "kGradeLevel" => e.grade = value.parse().ok(),
            _ => {}
        }
    }

    let variants = read_source(src, "Unihan_Variants.txt")?;
    for (cp, field, _) in records(&variants) {
        if field == "kCompatibilityVariant"
            && let Some(e) = entries.get_mut(&cp)
        {
            e.compat = true;
        }
    }

    let other = read_source(src, "Unihan_OtherMappings.txt")?;
    for (cp, field, value) in records(&other) {
        let Some(e) = entries.get_mut(&cp) else {
            continue;
        };
        match field {
            // 通用规范汉字表 (2013) serial number: 1–3500 level 1, –6500 level 2, –8105 level 3.
            "kTGH" => {
                e.tgh = value
                    .split(' ')
                    .find_map(|v| v.strip_prefix("2013:"))
                    .and_then(|n| n.parse().ok());
            }
            // GB 2312 row/cell; rows 16–55 are level 1 (常用), ordered by pinyin.
            "kGB0" => e.gb0 = value.parse().ok(),
            _ => {}
        }
    }

    let readings = read_source(src, "Unihan_Readings.txt")?;
    // Field order matters: kMandarin first so its reading comes first.
    let mut by_field: HashMap<&str, Vec<(u32, &str)>> = HashMap::new();
    for (cp, field, value) in records(&readings) {
        by_field.entry(field).or_default().push((cp, value));
    }
    for (field, list) in [
        "kMandarin",
        "kTGHZ2013",
        "kXHC1983",
        "kHanyuPinlu",
        "kHanyuPinyin",
    ]
    .iter()
    .map(|f| (*f, by_field.get(f).map(Vec::as_slice).unwrap_or_default()))
    {
        for &(cp, value) in list {
            let Some(e) = entries.get_mut(&cp) else {
                continue;
            };
            match field {
                "kMandarin" => value.split(' ').for_each(|r| push_unique(&mut e.modern, r)),
                "kTGHZ2013" | "kXHC1983" => located_readings(value)
                    .into_iter()
                    .for_each(|r| push_unique(&mut e.modern, r)),
                "kHanyuPinlu" => {
                    for item in value.split(' ') {
                        if let Some((r, n)) = item.split_once('(') {
                            push_unique(&mut e.modern, r);
                            e.pinlu += n.trim_end_matches(')').parse::<u32>().unwrap_or(0);
                        }
                    }
                }
                _ => {
                    for r in located_readings(value) {
                        if !e.modern.iter().any(|m| m == r) {
                            push_unique(&mut e.hdz, r);
                        }
                    }
                }
            }
        }
    }

    entries.retain(|_, e| !e.compat && !e.rs.is_empty());

    // Commonness rank: 通用规范汉字表 level, then corpus frequency
    // (kHanyuPinlu counts), kFrequency, kGradeLevel, GB 2312 level.
    let mut ranked: Vec<(u32, RankKey)> = entries
        .iter()
        .filter_map(|(&cp, e)| {
            let tier = match e.tgh {
                Some(n) if n <= 3500 => 0,
                Some(n) if n <= 6500 => 1,
                Some(_) => 2,
                None if e.pinlu > 0
                    || e.frequency.is_some()
                    || e.grade.is_some()
                    || e.gb0.is_some() =>
                {
                    3
                }
                None => return None,
            };
            let gb_level = match e.gb0 {
                Some(n) if (1600..5600).contains(&n) => 0,
                Some(_) => 1,
                None => 2,
            };
            Some((
                cp,
                (
                    tier,
                    std::cmp::Reverse(e.pinlu),
                    e.frequency.unwrap_or(9),
                    e.grade.unwrap_or(9),
                    gb_level,
                    e.tgh.unwrap_or(u32::MAX),
                    cp,
                ),
            ))
        })
        .collect();
    ranked.sort_by_key(|&(_, k)| k);
    let rank: HashMap<u32, usize> = ranked
        .iter()
        .enumerate()
        .map(|(i, &(cp, _))| (cp, i + 1))
        .collect();

    let mut text = String::new();
    let _ = writeln!(
        text,
        "# zhengshu-rarechars data, generated by gen-rarechars from Unihan {version}\n\
         # code point\trank (1 = most common; empty = not ranked)\tkRSUnicode\tkTotalStrokes\treadings (~ = only in kHanyuPinyin)"
    );
    for (cp, e) in &entries {
        let _ = write!(text, "{cp:X}\t");
        if let Some(r) = rank.get(cp) {
            let _ = write!(text, "{r}");
        }
        let _ = write!(text, "\t{}\t", e.rs.join(" "));
        if let Some(s) = e.total_strokes {
            let _ = write!(text, "{s}");
        }
        text.push('\t');
        let mut first = true;
        for r in &e.modern {
            if !first {
                text.push(' ');
            }
            first = false;
            text.push_str(r);
        }
        for r in &e.hdz {
            if !first {
                text.push(' ');
            }
            first = false;
            text.push('~');
            text.push_str(r);
        }
        text.push('\n');
    }

    let radicals_txt = read_source(src, "CJKRadicals.txt")?;
    let mut rad = String::new();
    let _ = writeln!(
        rad,
        "# zhengshu-rarechars Kangxi radicals, generated by gen-rarechars from CJKRadicals.txt (Unicode {version})\n\
         # number ('=simplified form)\tradical symbol\tunified ideograph"
    );
    for line in radicals_txt.lines().filter(|l| !l.starts_with('#')) {
        let parts: Vec<&str> = line.split(';').map(str::trim).collect();
        if parts.len() == 3 {
            let _ = writeln!(rad, "{}\t{}\t{}", parts[0], parts[1], parts[2]);
        }
    }

    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    std::fs::write(out.join("unihan-han.txt"), &text).map_err(|e| e.to_string())?;
    std::fs::write(out.join("radicals.txt"), &rad).map_err(|e| e.to_string())?;
    eprintln!(
        "Unihan {version}: {} characters ({} ranked), {} bytes",
        entries.len(),
        ranked.len(),
        text.len()
    );
    Ok(())
}
