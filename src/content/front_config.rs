//! The keys of `site.toml` that put privacy-pages in front of a whole site:
//! `root` or `upstream`, `prefix`, `csp` and `csp_sources`. Parsed as
//! strictly as the rest: each applies only with `root` or `upstream`.

use super::Problem;
use super::model::CspMode;

/// The fronting keys as written.
pub(super) struct RawFront {
    pub(super) root: Option<String>,
    pub(super) upstream: Option<String>,
    pub(super) prefix: Option<String>,
    pub(super) csp: Option<CspMode>,
    pub(super) csp_sources: Option<Vec<String>>,
}

/// The fronting keys, checked.
pub(super) struct FrontConfig {
    pub(super) front: Option<(FrontSource, usize)>,
    pub(super) prefix: String,
    pub(super) csp: CspMode,
    pub(super) csp_sources: Vec<String>,
}

/// Where a fronted site's own pages come from, as `site.toml` says.
#[derive(Debug)]
pub enum FrontSource {
    /// As written: the loader resolves it against the site folder.
    Root(String),
    /// `http://host:port`: plain HTTP to a server beside privacy-pages.
    Upstream(url::Url),
}

/// Where privacy-pages' own endpoints go on a fronted site unless `prefix`
/// says otherwise. Jekyll never writes a folder whose name starts with `_`,
/// so this cannot hide one of the operator's pages.
pub const DEFAULT_PREFIX: &str = "/_privacy";

/// Checks the fronting keys; `line_of` finds a key's line for errors.
pub(super) fn parse(
    raw: RawFront,
    line_of: &dyn Fn(&str) -> usize,
) -> Result<FrontConfig, Problem> {
    let front = match (raw.root, raw.upstream) {
        (Some(_), Some(_)) => {
            return Err(Problem::at_line(
                line_of("upstream"),
                "`root` and `upstream` both set: privacy-pages fronts a site from one of them",
            ));
        }
        (Some(root), None) if root.trim().is_empty() => {
            return Err(Problem::at_line(
                line_of("root"),
                "`root` is empty: give the folder of the built site, e.g. `root = \"../../_site\"`",
            ));
        }
        (Some(root), None) => Some((FrontSource::Root(root), line_of("root"))),
        (None, Some(upstream)) => {
            let line = line_of("upstream");
            let url = parse_upstream(&upstream).map_err(|reason| Problem::at_line(line, reason))?;
            Some((FrontSource::Upstream(url), line))
        }
        (None, None) => None,
    };
    let prefix = match raw.prefix {
        Some(_) if front.is_none() => {
            return Err(Problem::at_line(
                line_of("prefix"),
                "`prefix` applies only to a site privacy-pages fronts: set `root` or `upstream` too, or remove it",
            ));
        }
        Some(prefix) if !is_prefix(&prefix) => {
            return Err(Problem::at_line(
                line_of("prefix"),
                format!(
                    "invalid `prefix` `{prefix}`: give a path such as `/_privacy` (a `/`, then letters, digits, `-`, `_` or `.`; no `/` at the end)"
                ),
            ));
        }
        Some(prefix) => prefix,
        None => DEFAULT_PREFIX.to_owned(),
    };
    let (csp, csp_sources) = match (raw.csp, raw.csp_sources) {
        (None, None) => (CspMode::default(), Vec::new()),
        _ if front.is_none() => {
            return Err(Problem::at_line(
                line_of("csp"),
                "`csp` and `csp_sources` apply only to a site privacy-pages fronts (its own pages always get a strict policy): set `root` or `upstream` too, or remove them",
            ));
        }
        (csp, sources) => {
            let sources = sources.unwrap_or_default();
            if let Some(bad) = sources.iter().find(|source| !is_csp_origin(source)) {
                return Err(Problem::at_line(
                    line_of("csp_sources"),
                    format!(
                        "`csp_sources`: `{bad}` is not an origin such as `https://cdn.example.com` or `https://*.example.com`"
                    ),
                ));
            }
            (csp.unwrap_or_default(), sources)
        }
    };
    Ok(FrontConfig {
        front,
        prefix,
        csp,
        csp_sources,
    })
}

/// `http://127.0.0.1:4000`: an origin, nothing more. Plain HTTP: the
/// upstream runs beside privacy-pages (same host, pod or network), and TLS
/// ends in front of privacy-pages.
fn parse_upstream(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim())
        .map_err(|err| format!("invalid `upstream` `{text}`: {err}"))?;
    if url.scheme() != "http" {
        return Err(format!(
            "`upstream` `{text}` must be `http://host:port`: privacy-pages talks plain HTTP to a server beside it"
        ));
    }
    if url.host().is_none()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
    {
        return Err(format!(
            "`upstream` `{text}` must be an origin such as `http://127.0.0.1:4000`, without a path"
        ));
    }
    Ok(url)
}

/// `/_privacy`, `/legal/privacy-pages`: one or more plain segments.
fn is_prefix(prefix: &str) -> bool {
    prefix.strip_prefix('/').is_some_and(|rest| {
        rest.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
    })
}

/// `http(s)://host[:port]`, the host possibly starting with `*.`: nothing
/// that could end the directive (`;`, `,`, spaces, quotes) or widen it to
/// every host.
pub(super) fn is_csp_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let host = rest.strip_prefix("*.").unwrap_or(rest);
    matches!(scheme, "https" | "http")
        && !host.is_empty()
        && host.contains(|c: char| c.is_ascii_alphanumeric())
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}
