//! # whest-score
//!
//! Scoring exactly as the Python grader does it, and the reports that carry the result.
//!
//! | module | job |
//! |---|---|
//! | [`error_code`] | [`ErrorCode`]: every report error code, spelled as whestbench spells it |
//! | [`scoring`] | per-MLP metrics and flags ([`scoring::score_mlp`]), run aggregates, FLOP/time breakdowns |
//! | [`report`] | whestbench's report JSON (schema 1.1), error payloads, text report, exit codes, reading reports back |
//! | [`timing`] | [`Timing`]: the wall / kernel / accounting / residual seconds of a predict or a run |
//! | [`plot`] | per-layer MSE charts of one or more reports (SVG) |
//!
//! `scoring` uses `error_code` and `timing`; `report` uses those three; `plot` uses `report`.

mod error_code;
pub mod plot;
pub mod report;
pub mod scoring;
mod timing;

pub use error_code::ErrorCode;
pub use timing::Timing;
