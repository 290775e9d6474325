//! Fuzzes the dataset parquet reader: any byte string must give `Ok` rows that passed
//! validation or a clean `Err`, never a panic, abort or hang. The stable-toolchain counterpart
//! is `runner/tests/dataset_robustness.rs` (truncations and bit flips of a real file).
//!
//! Seed corpus: `mkdir -p corpus/dataset_reader && cp ../runner/tests/fixtures/datasets/*/data/*.parquet corpus/dataset_reader/`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use whest_dataset::parquet_read::read_parquet_bytes;

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = read_parquet_bytes(bytes::Bytes::copy_from_slice(data), "fuzz input") {
        for row in &rows.rows {
            assert!(row.weights.iter().all(|w| w.is_finite()));
        }
    }
});
