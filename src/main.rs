//! The `privacy-pages` binary: read the settings, load content, serve.
//! Everything else lives in the library ([`privacy_pages::cli`] for the
//! command line) so tests can drive it directly.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use privacy_pages::cli::{self, Cli, Task};
use privacy_pages::config::Config;
use privacy_pages::serve::reload::Reloader;
use privacy_pages::serve::server::{self, ServeOptions};
use privacy_pages::{AppState, app, content};
use tokio::net::TcpListener;

fn main() -> ExitCode {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let (task, config) = match Cli::parse().settings(&env) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: invalid configuration\n{error}");
            return ExitCode::from(2);
        }
    };
    match task {
        Task::Check => cli::check(&config),
        Task::Import { site, out } => cli::import(&site, &out),
        Task::Healthcheck => cli::healthcheck(&config),
        Task::Serve => {
            let _flush_at_exit = cli::init_logging(config.log_format);
            let served = tokio::runtime::Runtime::new()
                .context("cannot start the async runtime")
                .and_then(|runtime| runtime.block_on(serve(config)));
            match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("error: {err:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let source = cli::source(&config);
    let library = content::load(&source).with_context(|| format!("cannot load {source}"))?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    for warning in library.warnings() {
        tracing::warn!(%warning, "content");
    }
    tracing::info!(address = %listener.local_addr()?, content = %source, sites = library.sites().len(), "serving");
    let state = AppState::from_config(library, &config).map_err(anyhow::Error::msg)?;
    let reloader = Reloader::new(state.library.clone(), source);
    #[cfg(unix)]
    tokio::spawn(reloader.clone().on_sighup());
    if let (true, Some(dir)) = (config.watch, &config.content) {
        reloader
            .watch(dir)
            .with_context(|| format!("cannot watch {}", dir.display()))?;
    }
    let options = ServeOptions {
        grace: Duration::from_secs(config.shutdown_grace_secs),
        limits: config.connection_limits(),
    };
    server::serve(listener, app(state), server::shutdown_signal(), options).await?;
    tracing::info!("stopped");
    Ok(())
}
