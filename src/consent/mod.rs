//! Consent: which of a site's services a visitor has opted out of, the
//! cookies that remember it, and where a visitor returns after changing it.
//! The endpoints that set and clear them are [`crate::web::decisions`].
//!
//! The state is read, never stored: an opt-out is a cookie in the visitor's
//! browser (`carbon-disable=true`, `ga-disable-<ID>=true`, the names legacy
//! loaders already check) or the `Sec-GPC: 1` signal. Reading fails closed:
//! a Cookie header too large to read safely counts as opted out of everything,
//! and any value a script may have written for "disabled" (`true`, `"true"`,
//! ` TRUE `) counts as an opt-out; only an explicit "no" does not.
//!
//! Setting is only honest if the browser keeps what is set: a cookie's
//! `Domain` is sent only to hosts inside it ([`CookieScope::for_host`]),
//! since a browser silently drops a cookie whose domain does not cover the
//! host it came from.

pub mod record;
pub mod return_to;

use std::collections::BTreeSet;

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use cookie::{Cookie, SameSite};

pub use record::{RECORD_COOKIE, Record, Validity};
pub use return_to::safe_return_to;

use crate::content::{Basis, Service, ServiceId, Site};

/// Cookie headers larger than this (all fields together) are not parsed.
pub const MAX_COOKIE_HEADER: usize = 8 * 1024;
/// Browsers cap cookie lifetimes at 400 days; opt-outs are refreshed on each visit.
pub const OPT_OUT_MAX_AGE_DAYS: i64 = 400;
/// The value of every opt-out cookie.
const OPTED_OUT: &str = "true";

/// A visitor's consent state for one site's services.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Consent {
    /// Services with a valid opt-out cookie.
    cookies: BTreeSet<ServiceId>,
    /// `Sec-GPC: 1`: opted out of every service.
    pub gpc: bool,
    /// The Cookie header was too large to read: treated as opted out of everything.
    unreadable: bool,
    /// Opt-in services the visitor's consent record refuses.
    refused: BTreeSet<ServiceId>,
    /// Opt-in services no standing record decides: not loaded, and asked.
    waiting: BTreeSet<ServiceId>,
    /// The record was given under a policy version a later one voids.
    policy_changed: bool,
}

/// How one service stands for a visitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceState {
    Allowed,
    /// Opted out with the service's cookie (can be undone here).
    OptedOut,
    /// Blocked by Global Privacy Control or an unreadable Cookie header
    /// (cannot be undone from this page).
    Blocked,
    /// An opt-in service the visitor has not decided on: not loaded.
    Undecided,
}

impl Consent {
    /// Reads the state from `Cookie` and `Sec-GPC` headers.
    pub fn read(headers: &HeaderMap, site: &Site) -> Self {
        // GPC: exactly the value "1" (GPC spec, §3.1).
        let gpc = headers
            .get("sec-gpc")
            .is_some_and(|value| value.as_bytes() == b"1");
        let total: usize = headers.get_all(COOKIE).iter().map(|v| v.len()).sum();
        if total > MAX_COOKIE_HEADER {
            return Consent {
                gpc,
                unreadable: true,
                ..Consent::default()
            };
        }
        let mut cookies = BTreeSet::new();
        let mut records = Vec::new();
        for value in headers.get_all(COOKIE) {
            let value = String::from_utf8_lossy(value.as_bytes());
            for cookie in Cookie::split_parse(value.as_ref()).flatten() {
                if cookie.name() == RECORD_COOKIE {
                    records.extend(Record::parse(cookie.value()));
                    continue;
                }
                if !means_opted_out(cookie.value()) {
                    continue;
                }
                // Any opt-out wins over duplicates with other values.
                let name = unquoted(cookie.name());
                if let Some(service) = site
                    .services
                    .values()
                    .find(|s| s.cookie.eq_ignore_ascii_case(name))
                {
                    cookies.insert(service.id.clone());
                }
            }
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let (standing, policy_changed) = latest(records, site, now);
        let decisions = standing.as_ref().map(|record| &record.decisions);
        let mut refused = BTreeSet::new();
        let mut waiting = BTreeSet::new();
        let opt_in = site
            .services
            .values()
            .filter(|service| service.consent == Basis::OptIn);
        for service in opt_in {
            match decisions.and_then(|decisions| decisions.get(&service.id)) {
                Some(true) => {}
                Some(false) => {
                    refused.insert(service.id.clone());
                }
                None => {
                    waiting.insert(service.id.clone());
                }
            }
        }
        Consent {
            cookies,
            gpc,
            unreadable: false,
            refused,
            waiting,
            policy_changed,
        }
    }

    pub fn state(&self, service: &ServiceId) -> ServiceState {
        if self.cookies.contains(service) {
            ServiceState::OptedOut
        } else if self.gpc || self.unreadable {
            ServiceState::Blocked
        } else if self.refused.contains(service) {
            ServiceState::OptedOut
        } else if self.waiting.contains(service) {
            ServiceState::Undecided
        } else {
            ServiceState::Allowed
        }
    }

    /// Whether `site` asks this visitor: an active opt-in service is still
    /// undecided (never under Global Privacy Control, which said no).
    pub fn asks(&self, site: &Site) -> bool {
        site.services.values().any(|service| {
            site.asks_for(service) && self.state(&service.id) == ServiceState::Undecided
        })
    }

    /// The visitor's earlier decision was voided by a policy change
    /// (`reconsent: true`): the banner says so.
    pub fn policy_changed(&self) -> bool {
        self.policy_changed
    }

    /// Whether `service`'s scripts may be sent to this visitor.
    pub fn allows(&self, service: &ServiceId) -> bool {
        self.state(service) == ServiceState::Allowed
    }

    /// Services whose opt-out cookie the visitor sent (to refresh them).
    pub fn opt_out_cookies(&self) -> impl Iterator<Item = &ServiceId> {
        self.cookies.iter()
    }
}

/// Whether consent decisions are logged (the `consent_log` setting), as
/// the router tells the handlers.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConsentLog(pub bool);

impl ConsentLog {
    /// One line per decision on opt-in services, for the operator's proof
    /// that consent was given (GDPR Art. 7(1)): the site, the policy
    /// version, the answer and the receipt id the visitor's cookie holds.
    /// Nothing that identifies the visitor: no address, no user agent.
    pub fn decision(self, site: &Site, record: &Record, answer: &str) {
        if !self.0 {
            return;
        }
        let version = record
            .version
            .map_or_else(|| "undated".to_owned(), |date| date.to_string());
        tracing::info!(
            site = %site.id,
            policy_version = %version,
            answer,
            allowed = %record.ids(true, ","),
            refused = %record.ids(false, ","),
            receipt = %record.receipt,
            "consent"
        );
    }
}

/// The visitor's consent record on `site`, if it still stands: the
/// decisions a new one starts from.
pub fn standing_record(headers: &HeaderMap, site: &Site) -> Option<Record> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let records = headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|value| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            Cookie::split_parse(value)
                .flatten()
                .filter(|cookie| cookie.name() == RECORD_COOKIE)
                .filter_map(|cookie| Record::parse(cookie.value()))
                .collect::<Vec<_>>()
        })
        .collect();
    latest(records, site, now).0
}

/// Of the records a browser sent (a host-only one beside one for the
/// cookie domain, say), the newest that still stands: the visitor's last
/// word. And, when none stands, whether one was voided by a policy change.
fn latest(records: Vec<Record>, site: &Site, now: i64) -> (Option<Record>, bool) {
    let mut changed = false;
    let mut standing: Option<Record> = None;
    for record in records {
        match record.stands(site, now) {
            Validity::Stands if standing.as_ref().is_none_or(|s| record.issued > s.issued) => {
                standing = Some(record);
            }
            Validity::PolicyChanged => changed = true,
            _ => {}
        }
    }
    let changed = changed && standing.is_none();
    (standing, changed)
}

/// Whether a cookie value may mean "disabled". Legacy scripts wrote `true`
/// in quotes, with spaces, in capitals; a visitor who set any of them meant
/// to opt out. Only an empty value (a cleared cookie) or an explicit "no"
/// reads as not opted out.
fn means_opted_out(value: &str) -> bool {
    let value = unquoted(value);
    !(value.is_empty()
        || ["false", "0", "no", "off"]
            .iter()
            .any(|no| value.eq_ignore_ascii_case(no)))
}

/// `value` without surrounding white space and double quotes.
fn unquoted(value: &str) -> &str {
    value.trim().trim_matches('"').trim()
}

/// Whether a request for `host` (a `Host` value: a name or an address,
/// perhaps with a port) domain-matches `domain` (RFC 6265 §5.1.3): equal, or
/// a subdomain of it, and never an IP address. Only then does a browser keep
/// a cookie with `Domain=<domain>`.
pub fn domain_matches(host: &str, domain: &str) -> bool {
    if host.starts_with('[') {
        return false; // an IPv6 literal
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let domain = domain.trim_start_matches('.');
    if name.is_empty() || domain.is_empty() || name.parse::<std::net::IpAddr>().is_ok() {
        return false;
    }
    // Byte-wise and without allocating: this runs for every request.
    let (name, domain) = (name.as_bytes(), domain.as_bytes());
    let Some(sub) = name.len().checked_sub(domain.len()) else {
        return false;
    };
    name[sub..].eq_ignore_ascii_case(domain) && (sub == 0 || name[sub - 1] == b'.')
}

/// The site's `cookie_domain` if a request for `host` lies inside it, the
/// `Domain` its cookies may carry; else `None`, host-only cookies.
pub fn domain_for<'a>(cookie_domain: Option<&'a str>, host: Option<&str>) -> Option<&'a str> {
    cookie_domain.filter(|domain| host.is_some_and(|host| domain_matches(host, domain)))
}

/// Where and how opt-out cookies are set: the same for setting, refreshing
/// and clearing, so a cleared cookie always matches the one it replaces.
#[derive(Clone, Debug)]
pub struct CookieScope<'a> {
    /// `Domain=`, only where the browser will accept it; else host-only.
    pub domain: Option<&'a str>,
    /// Whether the visitor reached the site over HTTPS.
    pub secure: bool,
}

impl<'a> CookieScope<'a> {
    /// The scope for a request to `host`: the site's `cookie_domain` when the
    /// host lies inside it, otherwise a host-only cookie, which every browser
    /// keeps (a staging name, a preview deployment, an IP address).
    pub fn for_host(cookie_domain: Option<&'a str>, host: Option<&str>, secure: bool) -> Self {
        CookieScope {
            domain: domain_for(cookie_domain, host),
            secure,
        }
    }

    /// Every cookie that clears the opt-out for `service` here: the one this
    /// scope sets, and, where that has a `Domain`, also a host-only one, which
    /// a legacy script (or an earlier visit under another setting) may have
    /// left. A browser keeps both apart, so both must go.
    pub fn clear_all(&self, service: &Service) -> Vec<Cookie<'static>> {
        let mut cookies = vec![self.clear(service)];
        if self.domain.is_some() {
            let host_only = CookieScope {
                domain: None,
                secure: self.secure,
            };
            cookies.push(host_only.clear(service));
        }
        cookies
    }

    /// `<name>=true` for 400 days. Not `HttpOnly`: legacy loaders (Carbon's,
    /// GA's) read `document.cookie`. `SameSite=Lax`, not `Strict`: a Strict
    /// cookie is withheld on the first navigation from another site (a search
    /// result), and the tracker would load on exactly that visit. `Path=/`
    /// even when the service is mounted under a prefix: the operator's other
    /// pages, gated by the same layer, must see the opt-out too.
    pub fn opt_out(&self, service: &Service) -> Cookie<'static> {
        self.build(
            service,
            OPTED_OUT,
            time::Duration::days(OPT_OUT_MAX_AGE_DAYS),
        )
    }

    /// The consent record, kept for `days` (the site's `consent_days`) and
    /// never refreshed: when it runs out, the visitor is asked again. Not
    /// `HttpOnly`, so that consent.js can check the browser kept it.
    pub fn record(&self, record: &Record, days: u32) -> Cookie<'static> {
        self.cookie(
            RECORD_COOKIE.to_owned(),
            record.value(),
            time::Duration::days(i64::from(days)),
        )
    }

    /// The same cookie, expired.
    pub fn clear(&self, service: &Service) -> Cookie<'static> {
        let mut cookie = self.build(service, "", time::Duration::ZERO);
        cookie.set_expires(time::OffsetDateTime::UNIX_EPOCH);
        cookie
    }

    fn build(&self, service: &Service, value: &str, max_age: time::Duration) -> Cookie<'static> {
        self.cookie(service.cookie.clone(), value.to_owned(), max_age)
    }

    fn cookie(&self, name: String, value: String, max_age: time::Duration) -> Cookie<'static> {
        let mut cookie = Cookie::build((name, value))
            .path("/")
            .max_age(max_age)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .http_only(false)
            .build();
        if let Some(domain) = self.domain {
            cookie.set_domain(domain.to_owned());
        }
        cookie
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use axum::http::HeaderValue;

    use super::*;
    use crate::lang::Lang;

    fn service(id: &str, cookie: &str) -> Service {
        Service {
            id: id.parse().expect("id"),
            name: id.to_owned(),
            kind: crate::content::ServiceKind::Script,
            active: true,
            cookie: cookie.to_owned(),
            tags: Vec::new(),
            origins: Vec::new(),
            account_ids: Vec::new(),
            consent: crate::content::Basis::OptOut,
        }
    }

    fn site() -> Site {
        let services = [
            service("carbon", "carbon-disable"),
            service("ga", "ga-disable-G-1"),
        ]
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
        Site {
            id: "x".into(),
            name: "x".into(),
            hosts: vec!["x.org".into()],
            default_lang: Lang::En,
            services,
            cookie_domain: None,
            policies: BTreeMap::new(),
            front: None,
            consent_days: 182,
        }
    }

    fn consent(cookies: &[&str], gpc: Option<&str>) -> Consent {
        let mut headers = HeaderMap::new();
        for cookie in cookies {
            headers.append(COOKIE, HeaderValue::from_str(cookie).expect("header"));
        }
        if let Some(gpc) = gpc {
            headers.insert("sec-gpc", HeaderValue::from_str(gpc).expect("header"));
        }
        Consent::read(&headers, &site())
    }

    fn carbon() -> ServiceId {
        "carbon".parse().expect("id")
    }

    #[test]
    fn cookie_headers_to_state() {
        use ServiceState::*;
        for (cookies, gpc, expected) in [
            (&[][..], None, Allowed),
            (&["carbon-disable=true"][..], None, OptedOut),
            (&["a=1; carbon-disable=true; b=2"][..], None, OptedOut),
            (&["carbon-disable=false"][..], None, Allowed),
            (&["carbon-disable=TRUE"][..], None, OptedOut),
            (&["carbon-disable=\"true\""][..], None, OptedOut),
            (&["carbon-disable = \" true \""][..], None, OptedOut),
            (&["carbon-disable=\ttrue\t"][..], None, OptedOut),
            (&[" carbon-disable =true"][..], None, OptedOut),
            (&["Carbon-Disable=true"][..], None, OptedOut),
            (&["carbon-disable=1"][..], None, OptedOut),
            (&["carbon-disable=yes"][..], None, OptedOut),
            (&["carbon-disable="][..], None, Allowed),
            (&["carbon-disable=\"\""][..], None, Allowed),
            (&["carbon-disable=0"][..], None, Allowed),
            (&["carbon-disable=\"false\""][..], None, Allowed),
            (
                &["carbon-disable=true; carbon-disable=false"][..],
                None,
                OptedOut,
            ),
            (
                &["carbon-disable=false; carbon-disable=true"][..],
                None,
                OptedOut,
            ),
            (&["x=1", "carbon-disable=true"][..], None, OptedOut),
            (&["=; ;;; carbon-disable=true; ==="][..], None, OptedOut),
            (
                &["carbon-disable-x=true; xcarbon-disable=true"][..],
                None,
                Allowed,
            ),
            (&["carbon-disable = true"][..], None, OptedOut),
            (&["\"carbon-disable=true\""][..], None, OptedOut),
            (&["garbage"][..], None, Allowed),
            (&[][..], Some("1"), Blocked),
            (&[][..], Some("0"), Allowed),
            (&[][..], Some("true"), Allowed),
            (&[][..], Some(" 1"), Allowed),
            (&["carbon-disable=true"][..], Some("1"), OptedOut),
        ] {
            assert_eq!(
                consent(cookies, gpc).state(&carbon()),
                expected,
                "{cookies:?} {gpc:?}"
            );
        }
    }

    #[test]
    fn an_oversized_cookie_header_fails_closed() {
        let huge = format!("padding={}", "x".repeat(MAX_COOKIE_HEADER));
        let state = consent(&[&huge], None);
        assert_eq!(state.state(&carbon()), ServiceState::Blocked);
        assert!(!state.allows(&carbon()));
    }

    #[test]
    fn ga_uses_googles_cookie_name() {
        let ga: ServiceId = "ga".parse().expect("id");
        assert_eq!(
            consent(&["ga-disable-G-1=true"], None).state(&ga),
            ServiceState::OptedOut
        );
        assert_eq!(
            consent(&["ga-disable=true"], None).state(&ga),
            ServiceState::Allowed
        );
    }

    #[test]
    fn domain_only_where_the_host_is_inside_it() {
        for (host, expected) in [
            ("octoprint.org", true),
            ("www.octoprint.org", true),
            ("OctoPrint.org:8080", true),
            ("community.OCTOPRINT.org", true),
            ("127.0.0.1", false),
            ("127.0.0.1:8080", false),
            ("[::1]", false),
            ("[::1]:8080", false),
            ("localhost", false),
            ("localhost:8080", false),
            ("evil-octoprint.org", false),
            ("octoprint.org.evil.example", false),
            ("org", false),
            ("", false),
            (":8080", false),
        ] {
            assert_eq!(domain_matches(host, "octoprint.org"), expected, "{host}");
            let scope = CookieScope::for_host(Some("octoprint.org"), Some(host), false);
            assert_eq!(scope.domain.is_some(), expected, "{host}");
        }
        assert!(domain_matches("www.octoprint.org", ".octoprint.org"));
        assert!(
            !domain_matches("127.0.0.1", "127.0.0.1"),
            "addresses: host-only"
        );
        assert_eq!(
            CookieScope::for_host(Some("octoprint.org"), None, false).domain,
            None
        );
        assert_eq!(
            CookieScope::for_host(None, Some("octoprint.org"), false).domain,
            None
        );
    }

    #[test]
    fn opting_in_clears_the_domain_and_the_host_only_cookie() {
        let carbon = service("carbon", "carbon-disable");
        let inside = CookieScope::for_host(Some("octoprint.org"), Some("octoprint.org"), false);
        let cleared: Vec<String> = inside
            .clear_all(&carbon)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            cleared,
            [
                "carbon-disable=; SameSite=Lax; Path=/; Domain=octoprint.org; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                "carbon-disable=; SameSite=Lax; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            ]
        );
        let outside = CookieScope::for_host(Some("octoprint.org"), Some("127.0.0.1:8080"), false);
        assert_eq!(outside.clear_all(&carbon).len(), 1);
    }

    #[test]
    fn cookies_have_every_attribute() {
        let carbon = service("carbon", "carbon-disable");
        let scope = CookieScope {
            domain: Some("octoprint.org"),
            secure: true,
        };
        assert_eq!(
            scope.opt_out(&carbon).to_string(),
            "carbon-disable=true; SameSite=Lax; Secure; Path=/; Domain=octoprint.org; Max-Age=34560000"
        );
        let plain = CookieScope {
            domain: None,
            secure: false,
        };
        assert_eq!(
            plain.clear(&carbon).to_string(),
            "carbon-disable=; SameSite=Lax; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }
}
