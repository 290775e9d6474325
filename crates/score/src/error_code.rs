//! The error codes a report carries: per-MLP `error_code` and the top-level payload's
//! `error.code`, spelled exactly as Python whestbench spells them.

use std::fmt;

/// Defines [`ErrorCode`] with each variant's report spelling and meaning in one place.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $text:literal,)*) => {
        /// A report error code. [`ErrorCode::as_str`] is the string the report JSON carries.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as reports spell it (`"PREDICT_TIMEOUT"`, …).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }

            /// The code a report string names, if it is one of ours.
            pub fn parse(text: &str) -> Option<ErrorCode> {
                match text {
                    $($text => Some(ErrorCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    /// `setup` raised / panicked.
    SetupError => "SETUP_ERROR",
    /// `setup` ran past the setup cap.
    SetupTimeout => "SETUP_TIMEOUT",
    /// The worker's reply to `start` was unreadable.
    SetupProtocolError => "SETUP_PROTOCOL_ERROR",
    /// `predict` raised / panicked.
    PredictError => "PREDICT_ERROR",
    /// The host's read timeout for a predict reply fired.
    PredictTimeout => "PREDICT_TIMEOUT",
    /// A predict reply carried no predictions.
    PredictNoData => "PREDICT_NO_DATA",
    /// `predict` was called before a successful `start`, or no worker could be started.
    RunnerNotStarted => "RUNNER_NOT_STARTED",
    /// The worker closed its output (died).
    WorkerEof => "WORKER_EOF",
    /// Writing to the worker failed (it died).
    WorkerBrokenPipe => "WORKER_BROKEN_PIPE",
    /// Other I/O failure talking to the worker.
    WorkerIoError => "WORKER_IO_ERROR",
    /// The worker sent something unparseable.
    WorkerProtocolError => "WORKER_PROTOCOL_ERROR",
    /// Restarting a dead worker failed.
    WorkerRestartFailed => "WORKER_RESTART_FAILED",
    /// The worker sandbox `--sandbox require` asks for could not be applied.
    SandboxUnavailable => "SANDBOX_UNAVAILABLE",
    /// The wall time the estimator reported disagrees with the runner's own measurement.
    HostTimingMismatch => "HOST_TIMING_MISMATCH",
    /// The estimator library could not be found or built.
    EstimatorMissingModule => "ESTIMATOR_MISSING_MODULE",
    /// The estimator library was found but could not be loaded (symbols, ABI version).
    EstimatorLoadError => "ESTIMATOR_LOAD_ERROR",
    /// The estimator used a dtype flopscope refuses to meter.
    EstimatorUnsupportedDtype => "ESTIMATOR_UNSUPPORTED_DTYPE",
    /// Predictions contained NaN or ±inf.
    EstimatorNonFinite => "ESTIMATOR_NON_FINITE",
    /// Predictions had the wrong shape.
    EstimatorBadShape => "ESTIMATOR_BAD_SHAPE",
    /// Packaging rejected the submission.
    PackagingValidationError => "PACKAGING_VALIDATION_ERROR",
    /// Packaging crashed.
    PackagingRuntimeError => "PACKAGING_RUNTIME_ERROR",
    /// Invalid input to scoring (bad arguments, bad dataset, refused ground truth).
    ScoringValidationError => "SCORING_VALIDATION_ERROR",
    /// Anything else that failed while scoring.
    ScoringRuntimeError => "SCORING_RUNTIME_ERROR",
    /// Bad command-line usage.
    UsageError => "USAGE_ERROR",
    /// An output file (plot, report) could not be written.
    OutputWriteError => "OUTPUT_WRITE_ERROR",
    /// A file given to `report` is not a report.
    InvalidReport => "INVALID_REPORT",
    /// `init` could not write the new crate.
    InitWriteError => "INIT_WRITE_ERROR",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ErrorCode> for String {
    fn from(code: ErrorCode) -> String {
        code.as_str().to_string()
    }
}

impl PartialEq<ErrorCode> for String {
    fn eq(&self, code: &ErrorCode) -> bool {
        self == code.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_is_spelled_in_upper_snake_case() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert!(code
                .as_str()
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_'));
        }
        assert_eq!(ErrorCode::PredictTimeout.to_string(), "PREDICT_TIMEOUT");
        assert_eq!(ErrorCode::parse("InvalidDatasetError"), None);
    }
}
