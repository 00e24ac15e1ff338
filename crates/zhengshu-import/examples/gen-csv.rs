//! Writes a valid import file of N rows for the issuing body
//! `pharmacist_center` to standard output, the same file for the same N:
//! `cargo run --release -p zhengshu-import --example gen-csv -- 1000000 > big.csv`.

use std::io::{BufWriter, Write};

use zhengshu_domain::resident_check_digit;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "欧阳",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "晓东", "喆",
];
const REGIONS: &[&str] = &["110105", "310104", "440106", "510107", "330106", "420111"];
const SPECIALTIES: &[&str] = &["药学", "中药学", "药学与中药学"];

fn main() -> std::io::Result<()> {
    let n: u64 = match std::env::args().nth(1).map(|s| s.parse()) {
        Some(Ok(n)) => n,
        _ => {
            eprintln!("usage: gen-csv ROWS");
            std::process::exit(2);
        }
    };
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    writeln!(
        out,
        "certificate_number,name,id_type,id_number,qualification,issue_date,sex,birth_date,specialty"
    )?;
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 1..=n {
        let r = next();
        let pick = |list: &[&'static str], shift: u32| list[((r >> shift) as usize) % list.len()];
        let year = 1960 + (r % 40);
        let month = 1 + (r >> 8) % 12;
        let day = 1 + (r >> 12) % 28;
        let seq = (r >> 20) % 1000;
        let first17 = format!("{}{year:04}{month:02}{day:02}{seq:03}", pick(REGIONS, 32));
        let check = resident_check_digit(&first17).expect("17 digits");
        let sex = if seq % 2 == 1 { "男" } else { "女" };
        writeln!(
            out,
            "BM{i:010},{}{},resident_id,{first17}{check},licensed_pharmacist,{}-{:02}-{:02},{sex},{year:04}-{month:02}-{day:02},{}",
            pick(SURNAMES, 40),
            pick(GIVEN, 48),
            2016 + (r >> 24) % 9,
            1 + (r >> 28) % 12,
            1 + (r >> 36) % 28,
            pick(SPECIALTIES, 56),
        )?;
    }
    out.flush()
}
