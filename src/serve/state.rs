//! [`AppState`]: what the router is built from, assembled from the
//! configuration (the binary) or piece by piece (tests, an operator's app).

use std::sync::Arc;

use ipnet::IpNet;

use crate::config::Config;
use crate::content::{Library, LiveLibrary};
use crate::front::Upstreams;
use crate::layers::limits::RequestLimits;
use crate::layers::response_cache::ResponseCache;
use crate::layers::security::SecurityHeaders;

/// What every handler and layer shares: the content, where the service is
/// mounted, and the infrastructure settings.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The content; replaced as a whole on reload.
    pub library: LiveLibrary,
    /// The path prefix the service answers under; empty at the root.
    pub base_path: Arc<str>,
    /// Peers whose forwarded headers are believed (see [`crate::request::forwarded`]).
    pub trusted_proxies: Arc<[IpNet]>,
    /// Framing and HSTS, as the operator set them (see [`crate::layers::security`]).
    pub security: SecurityHeaders,
    /// Request timeout and load shedding (see [`crate::layers::limits`]).
    pub limits: RequestLimits,
    /// Finished responses, kept (see [`crate::layers::response_cache`]).
    pub response_cache: ResponseCache,
    /// The pooled client to fronted sites' upstreams (see [`crate::front`]).
    pub upstreams: Upstreams,
    /// Whether consent decisions are logged (see [`crate::consent::ConsentLog`]).
    pub consent_log: bool,
}

/// Enough for every variant of the bundled sites' pages several times over.
pub const DEFAULT_RESPONSE_CACHE: usize = 4096;

impl AppState {
    /// State for serving at the root of a host, with default settings.
    pub fn new(library: Library) -> Self {
        AppState {
            library: LiveLibrary::new(library),
            base_path: Arc::from(""),
            trusted_proxies: Config::default().trusted_proxies.into(),
            security: SecurityHeaders::default(),
            limits: RequestLimits::default(),
            response_cache: ResponseCache::new(DEFAULT_RESPONSE_CACHE),
            upstreams: Upstreams::default(),
            consent_log: false,
        }
    }

    /// State as `config` asks for it. Fails only for settings that
    /// [`Config::load`] would have refused (a `Config` built by hand).
    pub fn from_config(library: Library, config: &Config) -> Result<Self, String> {
        Ok(AppState::new(library)
            .with_base_path(&config.base_path)
            .with_trusted_proxies(config.trusted_proxies.clone())
            .with_security(config.security_headers()?)
            .with_limits(config.request_limits())
            .with_consent_log(config.consent_log))
    }

    /// Log each consent decision, with its receipt id.
    pub fn with_consent_log(mut self, on: bool) -> Self {
        self.consent_log = on;
        self
    }

    /// Keep at most this many finished responses; 0 turns the cache off.
    pub fn with_response_cache(mut self, entries: usize) -> Self {
        self.response_cache = ResponseCache::new(entries);
        self
    }

    /// Request limits other than the defaults.
    pub fn with_limits(mut self, limits: RequestLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Security headers other than the defaults.
    pub fn with_security(mut self, security: SecurityHeaders) -> Self {
        self.security = security;
        self
    }

    /// Believe forwarded headers from these peers only.
    pub fn with_trusted_proxies(mut self, trusted: Vec<IpNet>) -> Self {
        self.trusted_proxies = trusted.into();
        self
    }

    /// State for serving under a path prefix such as `/legal` (as when an
    /// operator's app nests [`crate::serve::router`] there): every URL the pages
    /// print starts with it. A trailing slash is ignored.
    pub fn with_base_path(mut self, base_path: &str) -> Self {
        self.base_path = Arc::from(base_path.trim_end_matches('/'));
        self
    }
}
