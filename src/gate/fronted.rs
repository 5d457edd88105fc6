//! The gate's way in for an operator's own pages, where privacy-pages
//! fronts a whole site: a middleware, innermost on those pages. The page
//! streams through the gate as it arrives; nothing is inserted for a
//! service (the page loads what its operator wrote, byte for byte, for a
//! visitor who allows it).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use super::rewriter::Embeds;
use super::{Pages, banner, gate};
use crate::request::visit::Visit;

/// The middleware (`from_fn(gate_site)`).
pub async fn gate_site(request: Request, next: Next) -> Response {
    let visit = request.extensions().get::<Visit>().cloned();
    let page = visit
        .as_ref()
        .map(|visit| banner::page_of(request.uri(), visit, ""))
        .unwrap_or_default();
    let response = next.run(request).await;
    match visit {
        Some(visit) => gate(response, &visit, page, Pages::Fronted).await,
        None => response,
    }
}

/// What the placeholders of this visit's two-click embeds say and skip.
pub(super) fn embeds(visit: &Visit) -> Embeds {
    Embeds {
        lang: visit.site.default_lang,
        policy: policy_link(visit),
        allowed: visit
            .site
            .services
            .values()
            .filter(|service| service.kind.is_player() && visit.consent.allows(&service.id))
            .map(|service| service.kind.name())
            .collect(),
    }
}

/// The policy a placeholder links: the first of the site's policies with
/// a section naming YouTube or Vimeo, at that section; else the first.
fn policy_link(visit: &Visit) -> Option<String> {
    let site = &visit.site;
    let prefix = visit.policy_base();
    let section = site.policies.values().find_map(|policy| {
        let doc = policy.current.translation(site.default_lang);
        doc.toc
            .iter()
            .find(|entry| {
                let text = entry.text.to_ascii_lowercase();
                text.contains("youtube") || text.contains("vimeo") || text.contains("video")
            })
            .map(|entry| format!("{prefix}{}#{}", policy.path(), entry.id))
    });
    section.or_else(|| {
        let policy = site.policies.values().next()?;
        Some(format!("{prefix}{}", policy.path()))
    })
}
