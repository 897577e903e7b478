use clap::Parser;

/// Many small allocations per request (rows, JSON, SQL values): mimalloc spends far less time
/// in them than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = jiceng::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("错误：无法启动运行时：{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(jiceng::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
