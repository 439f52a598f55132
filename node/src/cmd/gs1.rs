//! `tracechain gs1 check CODE` — validate and normalise a GS1 key, element
//! string, Digital Link URI, EPC URN or unified social credit code (rules
//! R-I2, R-I4). Prints the normalised reading as pretty JSON on success; on
//! failure prints one line `error: …` to stderr and exits with status 2.

use std::process::ExitCode;

/// Run `gs1 check` on one input.
pub fn check(input: &str) -> ExitCode {
    match tracechain_gs1::check(input) {
        Ok(normalised) => match serde_json::to_string_pretty(&normalised) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot render result as JSON: {e}");
                ExitCode::from(2)
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
