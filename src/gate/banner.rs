//! The consent banner and the footer link, for sites with a service that
//! waits for the visitor's yes (`consent = "opt-in"`). The gate puts the
//! banner at the start of every gated page's body while such a service is
//! undecided, and the link to the privacy choices before its end, so that
//! withdrawing is as easy as agreeing (GDPR Art. 7(3)). A site without
//! opt-in services gets neither.
//!
//! "Accept all" and "Reject all" look the same and sit side by side;
//! "Choose" leads to the privacy choices. The form is plain HTML: no
//! script needed. After it, the page says "Saved" only if the browser
//! sent the record back; otherwise that it was not kept, and asks again.

use askama::Template;

use crate::consent::return_to::query_without;
use crate::content::Site;
use crate::embeds::escape;
use crate::i18n::Tr;
use crate::lang::Lang;
use crate::request::visit::{Destination, Visit};
use axum::http::Uri;

/// The same look for both answers: neither is the one to click.
const BUTTON_STYLE: &str = "font:inherit;cursor:pointer;padding:.35rem 1rem;border-radius:4px;border:1px solid #0b57b0;background:#0b57b0;color:#fff";

/// A link with its words.
struct Link {
    href: String,
    link: String,
}

struct Changed {
    text: String,
    href: String,
    link: String,
}

struct Notice {
    kept: bool,
    text: String,
}

#[derive(Template)]
#[template(path = "banner.html")]
struct Banner<'a> {
    lang: Lang,
    styled: bool,
    notice: Option<Notice>,
    ask: bool,
    title: String,
    changed: Option<Changed>,
    text: String,
    policy: Option<Link>,
    base: &'a str,
    return_to: &'a str,
    accept: String,
    reject: String,
    choose: String,
    button_style: &'static str,
}

/// The banner's answer, as the page it returns to reads it (`?consent=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Accepted,
    Rejected,
}

impl Answer {
    pub fn from_query(query: Option<&str>) -> Option<Self> {
        form_urlencoded::parse(query?.as_bytes()).find_map(|(key, value)| {
            (key == "consent").then(|| match value.as_ref() {
                "accepted" => Some(Answer::Accepted),
                "rejected" => Some(Answer::Rejected),
                _ => None,
            })?
        })
    }
}

/// The page a banner's form returns to, as the visitor named it (without
/// an earlier `consent=`), and the answer that `consent=` reports. An own
/// page's path is under the mount (`base_path`), which `visit.base` spells
/// as the visitor sees it; an operator's page is where it is.
pub fn page_of(uri: &Uri, visit: &Visit, base_path: &str) -> (String, Option<Answer>) {
    let path = uri.path();
    let mut target = match path.strip_prefix(base_path) {
        Some(rest)
            if visit.destination == Destination::Own
                && (rest.is_empty() || rest.starts_with('/')) =>
        {
            format!("{}{rest}", visit.base)
        }
        _ => path.to_owned(),
    };
    let kept = query_without(uri.query().unwrap_or_default(), &["consent"]);
    if !kept.is_empty() {
        target.push('?');
        target.push_str(&kept);
    }
    (target, Answer::from_query(uri.query()))
}

/// The banner for this visit, or nothing. `return_to`: the page, as a
/// form on it names it; `answer`: what the banner's form just asked for.
pub fn banner(visit: &Visit, return_to: &str, answer: Option<Answer>, styled: bool) -> String {
    let site = &visit.site;
    if !site.asks_consent() {
        return String::new();
    }
    let consent = &visit.consent;
    let tr = Tr(visit.preferred_lang());
    let opt_in: Vec<&str> = site
        .services
        .values()
        .filter(|service| site.asks_for(service))
        .map(|service| service.name.as_str())
        .collect();
    let names = listed(&opt_in, &tr);
    let ask = consent.asks(site);
    let notice = answer.map(|answer| {
        // "Saved" only for what this request's cookies show.
        let (kept, key) = match answer {
            _ if ask => (false, "banner-unsaved"),
            Answer::Accepted => (true, "banner-saved-accept"),
            Answer::Rejected => (true, "banner-saved-reject"),
        };
        Notice {
            kept,
            text: tr.with_count(&[("services", &names)], opt_in.len(), key),
        }
    });
    if !ask && notice.is_none() {
        return String::new();
    }
    let policy = policy_path(visit, site);
    let changed = policy
        .as_ref()
        .filter(|_| ask && consent.policy_changed())
        .map(|path| Changed {
            text: tr.get("banner-changed"),
            href: format!("{path}/changes"),
            link: tr.get("banner-changes"),
        });
    Banner {
        lang: tr.0,
        styled,
        notice,
        ask,
        title: tr.get("banner-title"),
        changed,
        text: tr.with_count(
            &[("site", &site.name), ("services", &names)],
            opt_in.len(),
            "banner-text",
        ),
        policy: policy.map(|href| Link {
            href,
            link: tr.get("banner-policy"),
        }),
        base: &visit.base,
        return_to,
        accept: tr.get("banner-accept"),
        reject: tr.get("banner-reject"),
        choose: tr.get("banner-choose"),
        button_style: BUTTON_STYLE,
    }
    .render()
    .unwrap_or_default()
}

/// "Privacy choices", before the end of every gated page of a site that
/// asks for consent.
pub fn footer(visit: &Visit, styled: bool) -> String {
    if !visit.site.asks_consent() {
        return String::new();
    }
    let tr = Tr(visit.preferred_lang());
    let style = if styled {
        " style=\"margin:1rem;font:.9rem/1.5 system-ui,sans-serif\""
    } else {
        ""
    };
    let mut html = format!("<p class=\"privacy-pages-footer\"{style}><a href=\"");
    escape(&mut html, &visit.base);
    html.push_str("/choices\">");
    escape(&mut html, &tr.get("footer-choices"));
    html.push_str("</a></p>");
    html
}

/// The site's first policy, where the visitor sees it: on a fronted site
/// at the site's root (not under privacy-pages' prefix).
fn policy_path(visit: &Visit, site: &Site) -> Option<String> {
    let policy = site.policies.values().next()?;
    Some(format!("{}{}", visit.policy_base(), policy.path()))
}

/// "A", "A and B", "A, B and C", in the visitor's language.
fn listed(names: &[&str], tr: &Tr) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => tr.with(&[("rest", &rest.join(", ")), ("last", last)], "list-and"),
    }
}
