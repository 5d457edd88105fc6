//! Every setting, its default, and where it may come from.
//!
//! Layers, later ones winning: built-in defaults → a TOML file (`--config`,
//! `PRIVACY_PAGES_CONFIG`) → environment variables `PRIVACY_PAGES_<KEY>` →
//! command-line flags. Merged by figment; an unknown key or an invalid value
//! stops start-up with a message naming the key and where it came from.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

use crate::layers::limits::{ConnectionLimits, MIN_HEADER_BYTES, RequestLimits};
use crate::layers::security::SecurityHeaders;
use crate::request::forwarded::path_prefix;

/// The prefix of every environment variable the service reads.
pub const ENV_PREFIX: &str = "PRIVACY_PAGES_";

/// Declares every setting once: its doc (the `--help` text too), its type,
/// its default, and what the flag takes. From that one list come [`Config`]
/// (merged from defaults, file, environment and flags), its `Default`, and
/// [`Overrides`], the command-line flags (`--listen`, `--base-path`).
///
/// `name: Type = default;` for a setting that always has a value,
/// `name: Type;` for one that may be absent (`Option<Type>` in [`Config`]).
/// Either way its flag takes a `Type`.
macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])*
        $(#[arg($($arg:tt)*)])?
        $(#[serde($($serde:tt)*)])?
        $name:ident : $ty:ty $(= $default:expr)?;
    )*) => {
        #[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct Config {
            $(
                $(#[doc = $doc])*
                $(#[serde($($serde)*)])?
                pub $name: settings!(@config $ty $(, $default)?),
            )*
        }

        impl Default for Config {
            fn default() -> Self {
                Config {
                    $($name: settings!(@default $($default)?),)*
                }
            }
        }

        /// Settings given on the command line; `None` leaves the layers below in charge.
        #[derive(Clone, Debug, Default, Serialize, clap::Args)]
        pub struct Overrides {
            $(
                $(#[doc = $doc])*
                #[arg(long $(, $($arg)*)?)]
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $name: Option<$ty>,
            )*
        }
    };
    (@config $ty:ty, $default:expr) => { $ty };
    (@config $ty:ty) => { Option<$ty> };
    (@default $default:expr) => { $default };
    (@default) => { None };
}

settings! {
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(value_name = "ADDR")]
    listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8080));
    /// Serve this content folder instead of the bundled one.
    #[arg(value_name = "DIR")]
    content: PathBuf;
    /// Path prefix to answer under, e.g. /legal, for proxies that pass the
    /// prefix through (proxies that strip it send X-Forwarded-Prefix instead)
    /// [default: none].
    #[arg(value_name = "PATH")]
    base_path: String = String::new();
    /// Peers whose Forwarded/X-Forwarded-* headers are believed: CIDR
    /// networks, comma-separated [default: 127.0.0.0/8,::1/128].
    #[arg(value_name = "CIDR,...", value_delimiter = ',')]
    #[serde(deserialize_with = "cidr_list")]
    trusted_proxies: Vec<IpNet> = default_trusted_proxies();
    /// Seconds in-flight requests get after SIGTERM/SIGINT [default: 10].
    #[arg(value_name = "SECONDS")]
    shutdown_grace_secs: u64 = 10;
    /// `text` for people, `json` for log collectors [default: text].
    #[arg(value_name = "FORMAT", value_parser = parse_log_format)]
    log_format: LogFormat = LogFormat::Text;
    /// Reload the content folder when a file in it changes, for writing
    /// policies (in production send SIGHUP instead).
    #[arg(num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    watch: bool = false;
    /// Who may frame the pages: a CSP `frame-ancestors` source list
    /// [default: 'self'].
    #[arg(value_name = "SOURCES")]
    frame_ancestors: String = "'self'".to_owned();
    /// Send Strict-Transport-Security with this max-age on HTTPS requests;
    /// 0 sends none [default: 0].
    #[arg(value_name = "SECONDS")]
    hsts_max_age_secs: u64 = 0;
    /// Largest request head (request line and headers) in bytes; more gets
    /// 431 [default: 16384, at least 8192].
    #[arg(value_name = "BYTES")]
    max_header_bytes: usize = ConnectionLimits::default().max_header_bytes;
    /// Seconds a client has to send its request headers, and the longest an
    /// idle kept-alive connection stays open [default: 10].
    #[arg(value_name = "SECONDS")]
    header_read_timeout_secs: u64 = ConnectionLimits::default().header_read_timeout.as_secs();
    /// Seconds a request may take, body included, before it is answered 408
    /// [default: 30].
    #[arg(value_name = "SECONDS")]
    request_timeout_secs: u64 = RequestLimits::default().request_timeout.as_secs();
    /// Requests handled at once; beyond this they are refused with 503 and
    /// Retry-After [default: 512].
    #[arg(value_name = "N")]
    max_concurrent_requests: usize = RequestLimits::default().max_concurrent_requests;
    /// Connections open at once; at the bound an idle one (silent first, then
    /// ones that never completed a request) is closed to make room
    /// [default: the open-file limit, raised to its maximum, less 64].
    #[arg(value_name = "N")]
    max_connections: usize;
    /// Log each consent decision (site, policy version, answer, receipt id;
    /// no address, no user agent), as proof that consent was given
    /// [default: false].
    #[arg(num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    consent_log: bool = false;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

fn parse_log_format(value: &str) -> Result<LogFormat, String> {
    match value {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(format!("`{other}` is not a log format (text, json)")),
    }
}

/// Loopback: a proxy on the same machine (or in the same pod).
fn default_trusted_proxies() -> Vec<IpNet> {
    vec![
        Ipv4Net::new_assert(Ipv4Addr::new(127, 0, 0, 0), 8).into(),
        Ipv6Net::new_assert(Ipv6Addr::LOCALHOST, 128).into(),
    ]
}

/// `["10.0.0.0/8", "::1/128"]` or `"10.0.0.0/8, ::1/128"`.
fn cidr_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<IpNet>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<IpNet>),
        One(String),
    }
    match OneOrMany::deserialize(deserializer)? {
        OneOrMany::Many(list) => Ok(list),
        OneOrMany::One(text) => text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>().map_err(|_| {
                    serde::de::Error::custom(format!(
                        "`{item}` is not a CIDR network such as 10.0.0.0/8"
                    ))
                })
            })
            .collect(),
    }
}

impl Config {
    /// Merges the layers. `file` is the `--config` path, if given; otherwise
    /// `PRIVACY_PAGES_CONFIG` names one, if set.
    pub fn load(
        file: Option<&Path>,
        env: &[(String, String)],
        flags: &Overrides,
    ) -> Result<Config, String> {
        let file = file.map(Path::to_path_buf).or_else(|| {
            env.iter()
                .find(|(key, _)| key == &format!("{ENV_PREFIX}CONFIG"))
                .map(|(_, value)| PathBuf::from(value))
        });
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = &file {
            if !file.is_file() {
                return Err(format!("{}: configuration file not found", file.display()));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        let config: Config = figment
            .merge(EnvVars::new(env))
            .merge(Serialized::globals(flags))
            .extract()
            .map_err(|errors| {
                errors
                    .into_iter()
                    .map(|error| {
                        // "TOML file (/etc/pp.toml): `listen`: …" or
                        // "environment variable: `PRIVACY_PAGES_LISTEN`: …"
                        let (source, key) = match &error.metadata {
                            Some(meta) => {
                                let source = match (&meta.source, &file) {
                                    // The path as the operator gave it: figment
                                    // prints it relative to the working directory
                                    // when that is shorter (`../.tmpXY.toml`).
                                    (Some(figment::Source::File(_)), Some(file)) => {
                                        format!("{} ({})", meta.name, file.display())
                                    }
                                    (Some(source), _) => format!("{} ({source})", meta.name),
                                    (None, _) => meta.name.to_string(),
                                };
                                let profile = error.profile.clone().unwrap_or_default();
                                let key = (!error.path.is_empty())
                                    .then(|| meta.interpolate(&profile, &error.path));
                                (source, key)
                            }
                            None => (
                                "configuration".to_owned(),
                                (!error.path.is_empty()).then(|| error.path.join(".")),
                            ),
                        };
                        match key {
                            Some(key) => format!("{source}: `{key}`: {}", error.kind),
                            None => format!("{source}: {}", error.kind),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        config.validate()
    }

    /// The security headers these settings ask for.
    pub fn security_headers(&self) -> Result<SecurityHeaders, String> {
        SecurityHeaders::new(&self.frame_ancestors, self.hsts_max_age_secs)
    }

    /// What hyper enforces on each connection.
    pub fn connection_limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_header_bytes: self.max_header_bytes,
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            max_connections: self.max_connections,
        }
    }

    /// What the middleware enforces on each request.
    pub fn request_limits(&self) -> RequestLimits {
        RequestLimits {
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            max_concurrent_requests: self.max_concurrent_requests,
        }
    }

    fn validate(mut self) -> Result<Config, String> {
        if self.max_header_bytes < MIN_HEADER_BYTES {
            return Err(format!(
                "`max_header_bytes`: {} is below the smallest hyper accepts, {MIN_HEADER_BYTES}",
                self.max_header_bytes
            ));
        }
        for (key, value) in [
            ("header_read_timeout_secs", self.header_read_timeout_secs),
            ("request_timeout_secs", self.request_timeout_secs),
            (
                "max_concurrent_requests",
                self.max_concurrent_requests as u64,
            ),
            (
                "max_connections",
                self.max_connections.map_or(1, |max| max as u64),
            ),
        ] {
            if value == 0 {
                return Err(format!("`{key}`: must be at least 1"));
            }
        }
        let Some(base) = path_prefix(&self.base_path) else {
            return Err(format!(
                "`base_path`: `{}` is not a path prefix such as `/legal`",
                self.base_path
            ));
        };
        self.base_path = base;
        if let Err(reason) = self.security_headers() {
            return Err(format!("`frame_ancestors`: {reason}"));
        }
        if self.watch && self.content.is_none() {
            return Err(
                "`watch`: the bundled content is compiled in; watching needs a `content` folder"
                    .to_owned(),
            );
        }
        Ok(self)
    }
}

/// `PRIVACY_PAGES_<KEY>` variables from a given list (the process's, or a
/// test's), parsed the way figment parses environment values (`3`, `true`,
/// `[a, b]`), and named as such in error messages.
struct EnvVars(Dict);

impl EnvVars {
    fn new(env: &[(String, String)]) -> Self {
        let config_var = format!("{ENV_PREFIX}CONFIG");
        let dict = env
            .iter()
            .filter(|(key, _)| *key != config_var)
            .filter_map(|(key, value)| {
                let name = key.strip_prefix(ENV_PREFIX)?.to_ascii_lowercase();
                let value: Value = value.parse().unwrap_or_else(|_| Value::from(value.clone()));
                Some((name, value))
            })
            .collect();
        EnvVars(dict)
    }
}

impl Provider for EnvVars {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment variable")
            .interpolater(|_, keys| format!("{ENV_PREFIX}{}", keys.join("_").to_ascii_uppercase()))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.0.clone()))
    }
}
