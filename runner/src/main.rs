//! `whest-runner`: parses the command line and hands over to the library.

use clap::Parser;
use whest_runner::cli::{Cli, Command};

fn main() {
    // Estimators this process or its workers run are charged for CPU time on threads flopscope
    // does not account for (README: "Threads and residual time"), unless the user chose (`0`
    // turns it off). Set before any thread exists.
    if std::env::var_os(estimator_api::CHARGE_OTHER_THREADS_ENV).is_none() {
        std::env::set_var(estimator_api::CHARGE_OTHER_THREADS_ENV, "1");
    }
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Run(args)) => whest_runner::run::run(&args),
        None => whest_runner::run::run(&cli.run),
        Some(Command::Validate(args)) => whest_runner::validate::validate(&args),
        Some(Command::Package(args)) => whest_runner::package::command::package(&args),
        Some(Command::ValidatePackage(args)) => {
            whest_runner::package::command::validate_package(&args)
        }
        Some(Command::Build(args)) => whest_runner::package::command::build(&args),
        Some(Command::Report(args)) => whest_runner::report_cmd::report(&args),
        Some(Command::Dataset(args)) => whest_runner::dataset::verbs::run_dataset_command(&args),
        Some(Command::Worker) => whest_runner::isolation::worker::serve(),
        Some(Command::Version(args)) => whest_runner::version_cmd::version(args.json),
        Some(Command::Init(args)) => whest_runner::init::init(&args),
        Some(Command::SmokeTest(args)) => whest_runner::smoke::smoke_test(&args),
        Some(Command::Doctor(args)) => whest_runner::doctor::doctor(&args),
        Some(Command::ProfileSimulation(args)) => whest_runner::profile::profile_simulation(&args),
    };
    std::process::exit(code);
}
