//! The integration tests of `whest-runner`: one test binary (one link) that drives the built
//! `whest-runner` like a user does, one module per area.

mod package_support;
mod support;
mod svg_check;

mod dataset_cli;
mod device;
mod e2e_run;
mod examples_e2e;
mod examples_flops;
mod package_build;
mod package_create;
mod package_refusals;
mod package_validate;
mod plot_report;
mod plot_run;
mod readme_commands;
mod sandbox_faults;
mod tools_doctor;
mod tools_init;
mod tools_profile;
mod tools_smoke;
mod tools_version;
