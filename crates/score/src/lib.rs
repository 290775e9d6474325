//! # whest-score
//!
//! Scoring exactly as the Python grader does it, and the reports that carry the result.
//!
//! | module | job |
//! |---|---|
//! | [`scoring`] | per-MLP metrics and flags ([`scoring::score_mlp`]), run aggregates, FLOP/time breakdowns |
//! | [`report`] | whestbench's report JSON (schema 1.1), error payloads, text report, exit codes, reading reports back |
//! | [`plot`] | per-layer MSE charts of one or more reports (SVG) |
//!
//! `report` uses `scoring`; `plot` uses `report`; `scoring` uses neither.

pub mod plot;
pub mod report;
pub mod scoring;
