use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tingjian::cli::main().await
}
