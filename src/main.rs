//! The `privacy-pages` binary: read the configuration, load content, serve.
//! Everything else lives in the library so tests can drive it directly.

use std::io::{IsTerminal, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use ipnet::IpNet;
use privacy_pages::config::{Config, LogFormat, Overrides};
use privacy_pages::content::{self, Source};
use privacy_pages::reload::Reloader;
use privacy_pages::server::{self, ServeOptions};
use privacy_pages::{AppState, app};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// Serves a site's privacy policies and makes their opt-out links work.
///
/// Settings come from, in rising precedence: defaults, a TOML file
/// (--config or PRIVACY_PAGES_CONFIG), PRIVACY_PAGES_<SETTING> environment
/// variables, and these flags.
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
    Serve(Box<ServeArgs>),
    /// Load and render all content, report every problem as `file:line: reason`, and exit.
    Check(CheckArgs),
    /// Exit 0 if the server on the configured address answers /healthz, else 1
    /// (for container health checks in images without a shell or curl).
    Healthcheck(HealthcheckArgs),
}

#[derive(Args, Default)]
struct ServeArgs {
    /// TOML configuration file [env: PRIVACY_PAGES_CONFIG].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:8080] [env: PRIVACY_PAGES_LISTEN].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Serve this content folder instead of the bundled one [env: PRIVACY_PAGES_CONTENT].
    #[arg(long, value_name = "DIR")]
    content: Option<PathBuf>,
    /// Path prefix to answer under, e.g. /legal [default: none] [env: PRIVACY_PAGES_BASE_PATH].
    #[arg(long, value_name = "PATH")]
    base_path: Option<String>,
    /// Peers whose Forwarded/X-Forwarded-* headers are believed, comma-separated
    /// [default: 127.0.0.0/8,::1/128] [env: PRIVACY_PAGES_TRUSTED_PROXIES].
    #[arg(long, value_name = "CIDR,...", value_delimiter = ',')]
    trusted_proxies: Option<Vec<IpNet>>,
    /// Seconds in-flight requests get after SIGTERM/SIGINT [default: 10]
    /// [env: PRIVACY_PAGES_SHUTDOWN_GRACE_SECS].
    #[arg(long, value_name = "SECONDS")]
    shutdown_grace_secs: Option<u64>,
    /// `text` or `json` [default: text] [env: PRIVACY_PAGES_LOG_FORMAT].
    #[arg(long, value_name = "FORMAT", value_parser = parse_log_format)]
    log_format: Option<LogFormat>,
    /// Reload the content folder when a file in it changes, for writing
    /// policies (in production send SIGHUP instead) [env: PRIVACY_PAGES_WATCH].
    #[arg(long)]
    watch: bool,
    /// Who may frame the pages, a CSP source list [default: 'self']
    /// [env: PRIVACY_PAGES_FRAME_ANCESTORS].
    #[arg(long, value_name = "SOURCES")]
    frame_ancestors: Option<String>,
    /// Send Strict-Transport-Security with this max-age on HTTPS requests;
    /// 0 sends none [default: 0] [env: PRIVACY_PAGES_HSTS_MAX_AGE_SECS].
    #[arg(long, value_name = "SECONDS")]
    hsts_max_age_secs: Option<u64>,
    /// Largest request head (request line and headers) in bytes; more gets
    /// 431 [default: 16384, at least 8192] [env: PRIVACY_PAGES_MAX_HEADER_BYTES].
    #[arg(long, value_name = "BYTES")]
    max_header_bytes: Option<usize>,
    /// Seconds a client has to send its request headers, and the longest an
    /// idle kept-alive connection stays open [default: 10]
    /// [env: PRIVACY_PAGES_HEADER_READ_TIMEOUT_SECS].
    #[arg(long, value_name = "SECONDS")]
    header_read_timeout_secs: Option<u64>,
    /// Seconds a request may take, body included, before it is answered 408
    /// [default: 30] [env: PRIVACY_PAGES_REQUEST_TIMEOUT_SECS].
    #[arg(long, value_name = "SECONDS")]
    request_timeout_secs: Option<u64>,
    /// Requests handled at once; beyond this they are refused with 503 and
    /// Retry-After [default: 512] [env: PRIVACY_PAGES_MAX_CONCURRENT_REQUESTS].
    #[arg(long, value_name = "N")]
    max_concurrent_requests: Option<usize>,
    /// Connections open at once; at the bound an idle one (silent first) is closed
    /// to make room [default: the open-file limit less 64]
    /// [env: PRIVACY_PAGES_MAX_CONNECTIONS].
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
}

#[derive(Args)]
struct CheckArgs {
    /// TOML configuration file [env: PRIVACY_PAGES_CONFIG].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The content folder to check instead of the bundled one [env: PRIVACY_PAGES_CONTENT].
    #[arg(long, value_name = "DIR")]
    content: Option<PathBuf>,
}

#[derive(Args)]
struct HealthcheckArgs {
    /// TOML configuration file [env: PRIVACY_PAGES_CONFIG].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The address the server listens on [env: PRIVACY_PAGES_LISTEN].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
}

fn parse_log_format(value: &str) -> Result<LogFormat, String> {
    match value {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(format!("`{other}` is not a log format (text, json)")),
    }
}

impl ServeArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen,
            content: self.content.clone(),
            base_path: self.base_path.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            shutdown_grace_secs: self.shutdown_grace_secs,
            log_format: self.log_format,
            watch: self.watch.then_some(true),
            frame_ancestors: self.frame_ancestors.clone(),
            hsts_max_age_secs: self.hsts_max_age_secs,
            max_header_bytes: self.max_header_bytes,
            header_read_timeout_secs: self.header_read_timeout_secs,
            request_timeout_secs: self.request_timeout_secs,
            max_concurrent_requests: self.max_concurrent_requests,
            max_connections: self.max_connections,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: Vec<(String, String)> = std::env::vars().collect();
    let (file, overrides) = match &cli.command {
        Some(Command::Serve(args)) => (args.config.clone(), args.overrides()),
        None => (cli.serve.config.clone(), cli.serve.overrides()),
        Some(Command::Check(args)) => (
            args.config.clone(),
            Overrides {
                content: args.content.clone(),
                ..Overrides::default()
            },
        ),
        Some(Command::Healthcheck(args)) => (
            args.config.clone(),
            Overrides {
                listen: args.listen,
                ..Overrides::default()
            },
        ),
    };
    let config = match Config::load(file.as_deref(), &env, &overrides) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: invalid configuration\n{error}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Some(Command::Check(_)) => check(&config),
        Some(Command::Healthcheck(_)) => healthcheck(config.listen, &config.base_path),
        Some(Command::Serve(_)) | None => run(config),
    }
}

fn source(config: &Config) -> Source {
    config.content.clone().map_or(Source::Embedded, Source::Dir)
}

fn check(config: &Config) -> ExitCode {
    let source = source(config);
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

/// `GET /healthz` over plain TCP: the image has no shell or curl.
fn healthcheck(listen: SocketAddr, base_path: &str) -> ExitCode {
    let target = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), listen.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), listen.port())
        }
        _ => listen,
    };
    let answer = (|| -> std::io::Result<String> {
        let timeout = Duration::from_secs(3);
        let mut stream = TcpStream::connect_timeout(&target, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        let request = format!(
            "GET {base_path}/healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes())?;
        let mut head = [0u8; 64];
        let read = stream.read(&mut head)?;
        Ok(String::from_utf8_lossy(&head[..read]).into_owned())
    })();
    match answer {
        Ok(answer) if answer.starts_with("HTTP/1.1 200") => ExitCode::SUCCESS,
        Ok(answer) => {
            eprintln!(
                "unhealthy: {}",
                answer.lines().next().unwrap_or("no answer")
            );
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("unhealthy: {target}: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: Config) -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Lines are written by a thread of their own, in batches, so that a
    // request does not wait for a write to stdout (a fifth of a cached
    // page's cost when measured). Nothing is dropped: when the queue is full
    // the request waits after all. The guard flushes the rest at exit.
    let (writer, _flush_at_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stdout());
    match config.log_format {
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .with_writer(writer)
            .init(),
        // Colour only for people; logs read by machines stay plain text.
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::stdout().is_terminal())
            .with_writer(writer)
            .init(),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let source = source(&config);
    let library = content::load(&source).with_context(|| format!("cannot load {source}"))?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(address = %listener.local_addr()?, content = %source, sites = library.sites().len(), "serving");
    let security = config.security_headers().map_err(anyhow::Error::msg)?;
    let state = AppState::new(library)
        .with_base_path(&config.base_path)
        .with_trusted_proxies(config.trusted_proxies.clone())
        .with_security(security)
        .with_limits(config.request_limits());
    let reloader = Reloader::new(state.library.clone(), source.clone());
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
    server::serve(listener, app(state), shutdown_signal(), options).await?;
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
