//! The `privacy-pages` binary: parse the command line, load content, serve.
//! Everything else lives in the library so tests can drive it directly.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use privacy_pages::content::{self, Source};
use privacy_pages::{AppState, router, server};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// Serves a site's privacy policies and makes their opt-out links work.
#[derive(Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the policies over HTTP (the default).
    Serve(ServeArgs),
    /// Load and render all content, report every problem as `file:line: reason`, and exit.
    Check(ContentArgs),
}

#[derive(Args)]
struct ContentArgs {
    /// Serve this content folder instead of the bundled one.
    #[arg(long, env = "PRIVACY_PAGES_CONTENT", value_name = "DIR")]
    content: Option<PathBuf>,
}

impl ContentArgs {
    fn source(&self) -> Source {
        self.content.clone().map_or(Source::Embedded, Source::Dir)
    }
}

#[derive(Args)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "PRIVACY_PAGES_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    content: ContentArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Check(args)) => check(&args),
        Some(Command::Serve(args)) => run(serve(args)),
        None => run(serve(cli.serve)),
    }
}

fn check(args: &ContentArgs) -> ExitCode {
    let source = args.source();
    match content::load(&source) {
        Ok(library) => {
            println!(
                "{source}: {} sites, {} documents, no problems",
                library.sites().len(),
                library.documents().count()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("{source}: {} problem(s)", errors.0.len());
            ExitCode::FAILURE
        }
    }
}

fn run(future: impl Future<Output = anyhow::Result<()>>) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        // Colour only for people; logs read by machines stay plain text.
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(future) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let source = args.content.source();
    let library = content::load(&source).with_context(|| format!("cannot load {source}"))?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, content = %source, sites = library.sites().len(), "serving");
    server::serve(listener, router(AppState::new(library)), shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for SIGTERM");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
