//! The dataset reader on damaged files: every truncation and a sweep of bit flips of a real
//! (Python-baked) dataset parquet file must give a clean `Err` or rows that pass validation,
//! never a panic that reaches the caller. Runs the same entry point as `fuzz/`
//! (`read_parquet_bytes`).

use std::path::Path;

use bytes::Bytes;
use whest_dataset::parquet_read::read_parquet_bytes;

fn fixture_bytes() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/datasets/python_v3_fixture/data/public-00000-of-00001.parquet");
    std::fs::read(path).expect("fixture parquet")
}

#[test]
fn the_intact_fixture_reads() {
    let rows = read_parquet_bytes(Bytes::from(fixture_bytes()), "fixture").expect("valid file");
    assert_eq!(rows.rows.len(), 4);
}

#[test]
fn every_truncation_is_an_error() {
    let data = fixture_bytes();
    for len in (0..data.len()).step_by(7).chain([data.len() - 1]) {
        let got = read_parquet_bytes(Bytes::copy_from_slice(&data[..len]), "truncated");
        assert!(got.is_err(), "a file cut to {len} bytes was accepted");
    }
}

#[test]
fn bit_flips_never_escape_as_panics() {
    let data = fixture_bytes();
    let mut errors = 0;
    for pos in (0..data.len()).step_by(3) {
        for bit in [0u8, 3, 7] {
            let mut damaged = data.clone();
            damaged[pos] ^= 1 << bit;
            match read_parquet_bytes(Bytes::from(damaged), "flipped") {
                Err(e) => {
                    errors += 1;
                    assert!(!e.to_string().is_empty());
                }
                Ok(rows) => {
                    // A flip inside float data can leave a valid file: its rows passed every
                    // shape and finiteness check.
                    assert!(rows
                        .rows
                        .iter()
                        .all(|r| r.weights.iter().all(|w| w.is_finite())));
                }
            }
        }
    }
    assert!(errors > 0, "no flip was detected at all");
}
