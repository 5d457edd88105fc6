//! `GET /choices`: every service the site declares, what it is for, this
//! visitor's state, and a control each. The page an operator links from
//! the footer of every page ("Privacy choices"), so that turning a service
//! off (or on again) is one click from anywhere. The controls are the
//! policy page's: plain forms without JavaScript, updated in place with
//! `consent.js`.

use super::error::AppError;
use super::extract::PageRequest;
use super::pages::{confirmation, consent_forms, render};
use super::views::{ChoicesPage, Chrome, PageContext, ServiceChoice, Urls};
use crate::consent::ServiceState;
use crate::content::{Basis, ServiceKind};
use crate::i18n::Tr;
use crate::request::visit::Visit;

pub async fn page(visit: Visit, request: PageRequest) -> Result<super::views::Page, AppError> {
    let site = &visit.site;
    let consent = &visit.consent;
    let context = PageContext::new(&visit);
    let tr = Tr(context.lang);
    let services = site
        .services
        .values()
        .map(|service| {
            let state = consent.state(&service.id);
            let name = service.name.as_str();
            ServiceChoice {
                id: &service.id,
                name,
                purpose: tr.get(purpose_key(service.kind)),
                allowed: state == ServiceState::Allowed,
                can_enable: state != ServiceState::Blocked,
                disabled_text: tr.with(
                    &[("service", name)],
                    match state {
                        ServiceState::Blocked => "consent-blocked",
                        ServiceState::Undecided => "consent-waiting",
                        _ => "consent-disabled",
                    },
                ),
                enabled_text: tr.with(&[("service", name)], "choices-enabled"),
                turn_off: tr.with(&[("service", name)], "choices-turn-off"),
                turn_on: if state == ServiceState::Undecided {
                    tr.with(&[("service", name)], "choices-turn-on")
                } else {
                    tr.get("consent-enable")
                },
            }
        })
        .collect();
    let consent_forms = site
        .services
        .values()
        .flat_map(|service| {
            consent_forms(
                &service.id,
                &service.name,
                service.consent == Basis::OptIn,
                &request.return_to,
                tr,
            )
        })
        .collect();
    let confirmation = confirmation(&visit, &request, tr);
    let urls = Urls::new(&visit);
    let policy = site
        .policies
        .values()
        .next()
        .map(|policy| urls.with_choice(urls.policy(policy)));
    render(
        &ChoicesPage {
            chrome: Chrome::new(&context),
            intro: if site.asks_consent() {
                tr.with(
                    &[
                        ("site", site.name.as_str()),
                        ("days", &site.consent_days.to_string()),
                    ],
                    "choices-intro-consent",
                )
            } else {
                tr.with(&[("site", &site.name)], "choices-intro")
            },
            services,
            consent_forms,
            confirmation,
            gpc: consent.gpc,
            policy,
        },
        &context,
    )
}

/// What a kind of service does, in a sentence a visitor can weigh.
fn purpose_key(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::GoogleAnalytics => "purpose-google-analytics",
        ServiceKind::Carbon => "purpose-carbon",
        ServiceKind::Plausible => "purpose-plausible",
        ServiceKind::Script => "purpose-script",
        ServiceKind::YouTube => "purpose-youtube",
        ServiceKind::Vimeo => "purpose-vimeo",
    }
}
