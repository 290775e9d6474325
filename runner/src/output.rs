//! Top-level error output shared by the commands.

use whest_score::report::text::render_error_text;
use whest_score::report::ErrorPayload;

use crate::cli::Format;

/// Prints a top-level error in the chosen format and returns its exit code.
pub fn fail(format: Format, payload: ErrorPayload) -> i32 {
    match format {
        Format::Json => print!("{}", payload.to_json_string()),
        _ => eprintln!("{}", render_error_text(&payload)),
    }
    payload.exit_code()
}
