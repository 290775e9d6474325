//! # whest-dataset
//!
//! Datasets in whestbench's schema-3.0 format: parquet rows with the exact Arrow
//! types and `huggingface` features, `metadata.json`, and the `README.md` dataset card, so a
//! dataset baked here loads in Python `whestbench.load_dataset` and vice versa.
//!
//! | module | job |
//! |---|---|
//! | [`schema`], [`row`] | the row schema (Arrow types, extension metadata, HF features) |
//! | [`parquet_write`], [`parquet_read`] | rows ↔ parquet bytes (the reader rejects any corruption) |
//! | [`metadata`] | `metadata.json` model and validation (single/multi-split, partials) |
//! | [`seed_protocol`], [`kdf_v4`] | `mlp_seed` → `mlp.seed` and name seeds (2.0/3.0/4.0) |
//! | [`layout`], [`split_name`], [`staging`] | folders, split names, atomic output |
//! | [`card`] | the README dataset card |
//! | [`load`], [`source`], [`contest`] | `run --dataset` |
//! | [`seeds`], [`slice`], [`bake`] | `dataset bake` and `generate-seeds` |
//! | [`merge`], [`combine`], [`info`] | `dataset merge`, `combine-splits`, `info` |
//! | [`verify`] | `dataset verify`: re-sample rows here, differences in standard errors |

pub mod bake;
mod card;
pub mod combine;
pub mod contest;
pub mod error;
pub mod info;
mod kdf_v4;
mod layout;
pub mod load;
pub mod merge;
pub mod metadata;
pub mod parquet_read;
mod parquet_write;
mod row;
mod schema;
pub mod seed_protocol;
pub mod seeds;
pub mod slice;
pub mod source;
mod split_name;
mod staging;
pub mod verify;

pub use error::DatasetError;
pub use row::{DatasetRow, RowShape};

// The only crate of the workspace that links arrow and parquet.
