//! Consent: which of a site's services a visitor has opted out of, the
//! cookies that remember it, and the endpoints that set and clear them.
//!
//! The state is read, never stored: an opt-out is a cookie in the visitor's
//! browser (`carbon-disable=true`, `ga-disable-<ID>=true`, the names legacy
//! loaders already check) or the `Sec-GPC: 1` signal. Reading fails closed:
//! a Cookie header too large to read safely counts as opted out of everything.

mod endpoints;

use std::collections::BTreeSet;

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use cookie::{Cookie, SameSite};

pub use endpoints::{gpc_json, opt_in, opt_out, safe_return_to};

use crate::content::{Service, ServiceId, Site};

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
                cookies: BTreeSet::new(),
                gpc,
                unreadable: true,
            };
        }
        let mut cookies = BTreeSet::new();
        for value in headers.get_all(COOKIE) {
            let value = String::from_utf8_lossy(value.as_bytes());
            for cookie in Cookie::split_parse(value.as_ref()).flatten() {
                if cookie.value() != OPTED_OUT {
                    continue;
                }
                // Any valid opt-out wins over duplicates with other values.
                if let Some(service) = site.services.values().find(|s| s.cookie == cookie.name()) {
                    cookies.insert(service.id.clone());
                }
            }
        }
        Consent {
            cookies,
            gpc,
            unreadable: false,
        }
    }

    pub fn state(&self, service: &ServiceId) -> ServiceState {
        if self.cookies.contains(service) {
            ServiceState::OptedOut
        } else if self.gpc || self.unreadable {
            ServiceState::Blocked
        } else {
            ServiceState::Allowed
        }
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

/// Where and how opt-out cookies are set: the same for setting, refreshing
/// and clearing, so a cleared cookie always matches the one it replaces.
#[derive(Clone, Debug)]
pub struct CookieScope<'a> {
    pub domain: Option<&'a str>,
    /// Whether the visitor reached the site over HTTPS.
    pub secure: bool,
}

impl CookieScope<'_> {
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

    /// The same cookie, expired.
    pub fn clear(&self, service: &Service) -> Cookie<'static> {
        let mut cookie = self.build(service, "", time::Duration::ZERO);
        cookie.set_expires(time::OffsetDateTime::UNIX_EPOCH);
        cookie
    }

    fn build(&self, service: &Service, value: &str, max_age: time::Duration) -> Cookie<'static> {
        let mut cookie = Cookie::build((service.cookie.clone(), value.to_owned()))
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
            active: true,
            cookie: cookie.to_owned(),
            head_html: String::new(),
            body_html: String::new(),
            origins: Vec::new(),
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
            (&["carbon-disable=TRUE"][..], None, Allowed),
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
            (&["\"carbon-disable=true\""][..], None, Allowed),
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
