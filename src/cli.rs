//! The binary's command line: `serve` (the default), `check` and
//! `healthcheck`, and the pieces of start-up that are not serving (logging,
//! the health probe's client). `main.rs` only parses, loads and serves.

use std::io::{IsTerminal, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat, Overrides};
use crate::content::{self, CspMode, Source};

/// Serves a site's privacy policies and makes their opt-out links work.
///
/// Settings come from, in rising precedence: defaults, a TOML file
/// (--config or PRIVACY_PAGES_CONFIG), environment variables and these
/// flags. Every flag --some-setting is also the variable
/// PRIVACY_PAGES_SOME_SETTING and the key `some_setting` in the file.
#[derive(Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
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
    /// Make a content folder from a Jekyll site: its privacy pages, the
    /// includes they use, and a site.toml with the services its layouts load.
    Import(ImportArgs),
    /// Exit 0 if the server on the configured address answers /healthz, else 1
    /// (for container health checks in images without a shell or curl).
    Healthcheck(HealthcheckArgs),
}

#[derive(Args, Default)]
struct ServeArgs {
    /// TOML configuration file [env: PRIVACY_PAGES_CONFIG].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: Overrides,
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
struct ImportArgs {
    /// The Jekyll site's folder (the one with `_config.yml`).
    #[arg(value_name = "DIR")]
    site: PathBuf,
    /// The content folder to write the site's folder into (made if missing).
    #[arg(long, value_name = "DIR", default_value = "content")]
    out: PathBuf,
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

/// What the command line asks for, once the settings are merged.
pub enum Task {
    Serve,
    Check,
    /// Import the Jekyll site at `site` into the content folder `out`.
    Import {
        site: PathBuf,
        out: PathBuf,
    },
    Healthcheck,
}

impl Cli {
    /// The task and the settings for it: the command line over `env` over
    /// the configuration file over the defaults.
    pub fn settings(&self, env: &[(String, String)]) -> Result<(Task, Config), String> {
        let (task, file, flags) = match &self.command {
            None => (Task::Serve, &self.serve.config, self.serve.settings.clone()),
            Some(Command::Serve(args)) => (Task::Serve, &args.config, args.settings.clone()),
            Some(Command::Check(args)) => (
                Task::Check,
                &args.config,
                Overrides {
                    content: args.content.clone(),
                    ..Overrides::default()
                },
            ),
            Some(Command::Import(args)) => (
                Task::Import {
                    site: args.site.clone(),
                    out: args.out.clone(),
                },
                &None,
                Overrides::default(),
            ),
            Some(Command::Healthcheck(args)) => (
                Task::Healthcheck,
                &args.config,
                Overrides {
                    listen: args.listen,
                    ..Overrides::default()
                },
            ),
        };
        Ok((task, Config::load(file.as_deref(), env, &flags)?))
    }
}

/// Where the content comes from under these settings.
pub fn source(config: &Config) -> Source {
    config.content.clone().map_or(Source::Embedded, Source::Dir)
}

/// `check`: load and render everything, report every problem.
pub fn check(config: &Config) -> ExitCode {
    check_source(source(config))
}

fn check_source(source: Source) -> ExitCode {
    match content::load(&source) {
        Ok(library) => {
            for warning in library.warnings() {
                eprintln!("warning: {warning}");
            }
            for site in library.sites() {
                let Some(front) = site.front.as_ref().filter(|f| f.csp != CspMode::Off) else {
                    continue;
                };
                let reported = if front.csp == CspMode::ReportOnly {
                    " (with the default csp = \"report-only\" they are only reported)"
                } else {
                    ""
                };
                for gap in crate::front::csp_gaps(site) {
                    eprintln!(
                        "warning: {}: loads scripts or frames from {}, which is neither a declared service nor in `csp_sources`: a visitor who turns any service off would not get them{reported}; add it to `csp_sources` in {}/site.toml",
                        gap.page.display(),
                        gap.origin,
                        site.id,
                    );
                }
            }
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

/// `import`: write the site's folder, say what came from where, `check`
/// the content folder it went into, and end with what is left to decide.
/// Fails when nothing was written or the check finds problems.
pub fn import(site: &Path, out: &Path) -> ExitCode {
    let written = crate::import::plan(site).and_then(|plan| Ok((plan.write(out)?, plan)));
    let (folder, plan) = match written {
        Ok(written) => written,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}: imported from {}", folder.display(), site.display());
    for line in &plan.report {
        println!("  {line}");
    }
    let checked = check_source(Source::Dir(out.to_owned()));
    if !plan.undecided.is_empty() {
        println!("\nLeft for you to decide or check:");
        for line in &plan.undecided {
            println!("  - {line}");
        }
    }
    checked
}

/// `healthcheck`: `GET /healthz` over plain TCP, since the image has no
/// shell or curl.
pub fn healthcheck(config: &Config) -> ExitCode {
    let listen = config.listen;
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
            "GET {}/healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            config.base_path
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

/// Starts logging in `format`; `RUST_LOG` filters (default `info`). Lines
/// are written by a thread of their own, in batches, so that a request does
/// not wait for a write to stdout. Nothing is dropped: when the queue is
/// full the request waits after all. Keep the guard: it flushes the rest at
/// exit.
pub fn init_logging(format: LogFormat) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stdout());
    match format {
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
    guard
}
