//! `lockctl`: run the demo, inspect live locks, check a server, and (feature `bench`) benchmark
//! the backends.

#[cfg(feature = "bench")]
mod bench;
mod cli;
mod demo;
mod endpoint;
mod ops;
mod stats;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("lockctl: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(args) => demo::run(args).await,
            #[cfg(feature = "bench")]
            Command::Bench(args) => bench::run(args).await,
            Command::List(args) => ops::list::run(args).await,
            Command::Info(args) => ops::info::run(args).await,
            Command::Watch(args) => ops::watch::run(args).await,
            Command::Release(args) => ops::release::run(args).await,
            Command::Doctor(args) => ops::doctor::run(args).await,
            Command::Completions(args) => Ok(args.print()),
        }
    });
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("lockctl: {message}");
            ExitCode::FAILURE
        }
    }
}
