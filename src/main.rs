use std::process::ExitCode;

/// mimalloc: the engine allocates many short-lived strings and vectors per text, and glibc's
/// allocator spent a quarter of the analysis time on them (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tingjian::cli::main().await
}
