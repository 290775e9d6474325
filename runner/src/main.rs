//! `whest-runner`: parses the command line and hands each command to its module; everything
//! reusable lives in the library crates (`whest-contest`, `whest-score`, `whest-dataset`,
//! `whest-host`, `whest-package`).
//!
//! | module | job |
//! |---|---|
//! | [`cli`], [`parsers`] | argument definitions and strict value parsers |
//! | [`sampler_args`] | `--device/--stream/--gpu-index` → a ground-truth sampler (CUDA with the `cuda` feature) |
//! | [`output`], [`progress`], [`threads`] | error output, progress bars, `--max-threads` |
//! | [`run`] | `run` (and the default command): contest → runner → scores → report |
//! | [`smoke`] | `smoke-test` (the built-in estimator through `run`'s pipeline) |
//! | [`validate`] | `validate` |
//! | [`dataset_cmd`] | `dataset bake / info / merge / combine-splits / generate-seeds / verify` |
//! | [`package_cmd`] | `package`, `validate-package`, `build` |
//! | [`report_cmd`] | `report` |
//! | [`init`], [`doctor`], [`profile`], [`version_cmd`] | `init`, `doctor`, `profile-simulation`, `version` |

mod cli;
mod dataset_cmd;
mod doctor;
mod init;
mod output;
mod package_cmd;
mod parsers;
mod profile;
mod progress;
mod report_cmd;
mod run;
mod sampler_args;
mod smoke;
mod threads;
mod validate;
mod version_cmd;

use clap::Parser;
use cli::{Cli, Command};

fn main() {
    // Estimators this process or its workers run are charged for CPU time on threads flopscope
    // does not account for (README: "Threads and residual time"), unless the user chose (`0`
    // turns it off). Set before any thread exists.
    if std::env::var_os(estimator_api::CHARGE_OTHER_THREADS_ENV).is_none() {
        std::env::set_var(estimator_api::CHARGE_OTHER_THREADS_ENV, "1");
    }
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Run(args)) => run::run(&args),
        None => run::run(&cli.run),
        Some(Command::Validate(args)) => validate::validate(&args),
        Some(Command::Package(args)) => package_cmd::package(&args),
        Some(Command::ValidatePackage(args)) => package_cmd::validate_package(&args),
        Some(Command::Build(args)) => package_cmd::build(&args),
        Some(Command::Report(args)) => report_cmd::report(&args),
        Some(Command::Dataset(args)) => dataset_cmd::run_dataset_command(&args),
        Some(Command::Worker) => whest_host::isolation::worker::serve(),
        Some(Command::Version(args)) => version_cmd::version(args.json),
        Some(Command::Init(args)) => init::init(&args),
        Some(Command::SmokeTest(args)) => smoke::smoke_test(&args),
        Some(Command::Doctor(args)) => doctor::doctor(&args),
        Some(Command::ProfileSimulation(args)) => profile::profile_simulation(&args),
    };
    std::process::exit(code);
}
