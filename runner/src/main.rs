//! `whest-runner`: parses the command line and hands over to the library.

use clap::Parser;
use whest_runner::cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Run(args)) => whest_runner::run::run(&args),
        None => whest_runner::run::run(&cli.run),
        Some(Command::Validate(args)) => whest_runner::validate::validate(&args),
        Some(Command::Dataset(args)) => whest_runner::dataset::verbs::run_dataset_command(&args),
        Some(Command::Report(args)) => whest_runner::report_cmd::report(&args),
        Some(Command::Worker) => whest_runner::isolation::worker::serve(),
    };
    std::process::exit(code);
}
