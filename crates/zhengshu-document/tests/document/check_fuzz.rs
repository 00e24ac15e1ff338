//! Mutation fuzzing of the document checker, replayed as a normal test:
//! 50,000 mutated and truncated copies of real documents (flipped bytes,
//! cut files, chunks removed, repeated or spliced in, numbers rewritten)
//! each end in a report. Every input runs under a hang guard: a generous
//! time after which the test fails naming the input, so a loop that never
//! ends cannot pass unnoticed. Inputs come from a fixed seed, so any
//! failure replays.

use std::sync::mpsc;
use std::time::Duration;

use zhengshu_document::check::{self, Standing};
use zhengshu_document::render;

use crate::support::*;

const INPUTS: usize = 50_000;
/// Far beyond any input's checking time: a hang guard, not a benchmark.
const HANG_GUARD: Duration = Duration::from_secs(30);

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Places worth aiming at: the structure the checker reads.
const TOKENS: [&[u8]; 10] = [
    b"startxref",
    b"xref",
    b"trailer",
    b"/ByteRange",
    b"/Contents",
    b"/Fields",
    b"/AcroForm",
    b"/Root",
    b"/Prev",
    b"/M ",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = b.len().max(1);
        // Half the time aim near a structural token, else anywhere.
        let at = if rng.below(2) == 0 {
            let t = TOKENS[rng.below(TOKENS.len())];
            let hits: Vec<usize> = b
                .windows(t.len())
                .enumerate()
                .filter(|(_, w)| *w == t)
                .map(|(i, _)| i)
                .collect();
            match hits.len() {
                0 => rng.below(len),
                n => (hits[rng.below(n)] + rng.below(t.len() + 24)).min(len - 1),
            }
        } else {
            rng.below(len)
        };
        match rng.below(8) {
            0 => b.truncate(at),
            1 => {
                if let Some(x) = b.get_mut(at) {
                    *x ^= 1 << rng.below(8);
                }
            }
            2 => {
                if let Some(x) = b.get_mut(at) {
                    *x = b"0123456789<>[]()/ \nRobjendxref%"[rng.below(30)];
                }
            }
            3 => {
                let n = rng.below(64).min(b.len() - at.min(b.len()));
                b.drain(at..at + n);
            }
            4 => {
                let from = rng.below(len);
                let n = rng.below(256).min(b.len().saturating_sub(from));
                let chunk = b[from..from + n].to_vec();
                b.splice(at..at, chunk);
            }
            5 => {
                let digits = format!("{}", rng.next() % 10_000_000_000);
                b.splice(at..at, digits.into_bytes());
            }
            6 => {
                let nest: &[u8] = if rng.below(2) == 0 { b"[" } else { b"<<" };
                let mut deep = nest.repeat(1 + rng.below(5_000));
                deep.extend_from_slice(b" 1 0 R");
                b.splice(at..at, deep);
            }
            _ => {
                b.truncate(at);
                b.extend_from_slice(b"\nstartxref\n0\n%%EOF\n");
            }
        }
    }
    b
}

#[test]
fn fifty_thousand_mutated_documents_end_in_a_report() {
    let keys = Keys::new();
    let seeds = [
        render(&annotated_input(), fonts(), &keys.pki, now()).unwrap(),
        render(&older_input(), fonts(), &keys.pki, now()).unwrap(),
    ];
    let trust = keys.pki.trust();
    let (tx, rx) = mpsc::channel::<usize>();
    let worker = std::thread::spawn(move || {
        let mut rng = Rng(0x5EED_2026_1202);
        for i in 0..INPUTS {
            let seed = &seeds[i % seeds.len()];
            let input = mutate(&mut rng, seed);
            let r = check::check(&input, &trust, &Standing::Unknown);
            assert!(!r.checks.is_empty(), "input {i}: an empty report");
            if tx.send(i).is_err() {
                return;
            }
        }
    });
    let mut done = 0;
    while done < INPUTS {
        match rx.recv_timeout(HANG_GUARD) {
            Ok(i) => done = i + 1,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("input {done} has not ended in {HANG_GUARD:?}: a hang")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if let Err(panic) = worker.join() {
        std::panic::resume_unwind(panic);
    }
    assert_eq!(done, INPUTS, "input {done} panicked");
}
