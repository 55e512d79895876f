use std::process::ExitCode;

/// mimalloc: the engine allocates many short-lived strings and vectors per text, and glibc's
/// malloc and free ran about a quarter of the analysis's instructions (docs/design.md). Its
/// purge delay is set in `cli::main`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tingjian::cli::main().await
}
