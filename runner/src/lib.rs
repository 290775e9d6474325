//! # whest-runner
//!
//! Scores WhestBench estimators: loads a participant's `cdylib` estimator, runs it on generated
//! MLPs (or a dataset) in process or in isolated worker processes, and scores its predictions
//! against Monte-Carlo ground truth exactly as the Python grader does.

pub mod cli;
pub mod contest;
pub mod dataset;
pub mod doctor;
pub mod estimator_path;
pub mod ground_truth;
pub mod init;
pub mod isolation;
pub mod mlp_gen;
pub mod names;
pub mod package;
pub mod plot;
pub mod plugin_host;
pub mod profile;
pub mod progress;
pub mod report;
pub mod report_cmd;
pub mod run;
pub mod runners;
pub mod scoring;
pub mod smoke;
pub mod validate;
pub mod version_cmd;
