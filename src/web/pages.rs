//! The policy pages: which document a request asks for, in which
//! language, and what its page shows this visitor.
//!
//! Language: a page is served in the best language its document exists in
//! for this visitor ([`crate::request::negotiate::LangPrefs`]). When that is not the
//! language the visitor prefers, the page says so in the visitor's language
//! and links the most recent version that does exist in it.

use askama::Template;
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use time::Date;
use time::macros::format_description;

use super::error::AppError;
use super::extract::{Action, PageRequest, PathParams};
use super::views::{
    Chrome, Confirmation, ConsentForm, ControlView, DateLabel, IndexPage, LanguageEntry, Page,
    PageContext, Part, PolicyEntry, PolicyPage, TranslationLink, TranslationNotice, Urls,
    VersionEntry, VersionsPage,
};
use crate::consent::{Consent, ServiceState};
use crate::content::{Basis, Document, OptOutControl, Policy, Segment, ServiceId, Site, Version};
use crate::i18n::Tr;
use crate::lang::Lang;
use crate::request::visit::Visit;

/// The translation of `version` this visitor reads.
pub(super) fn pick<'a>(version: &'a Version, visit: &Visit) -> &'a Document {
    version.translation(
        visit
            .langs
            .choose(&version.language_list(), visit.site.default_lang),
    )
}

/// `GET /`: the site's policies.
pub async fn index(visit: Visit) -> Result<Page, AppError> {
    let site = &visit.site;
    let context = PageContext::new(&visit);
    let lang = context.lang;
    let urls = Urls::new(&visit);
    let policies = site
        .policies
        .values()
        .map(|policy| {
            let doc = pick(&policy.current, &visit);
            PolicyEntry {
                href: urls.with_choice(urls.policy(policy)),
                title: &doc.title,
                lang: doc.lang,
                last_updated: DateLabel::of(doc.last_updated, lang),
            }
        })
        .collect();
    render(
        &IndexPage {
            chrome: Chrome::new(&context),
            policies,
        },
        &context,
    )
}

/// `GET /{policy}`: the current version (or a permalink of one segment).
pub async fn current_policy(
    visit: Visit,
    uri: Uri,
    PathParams(slug): PathParams<String>,
    request: PageRequest,
) -> Result<Response, AppError> {
    match find_policy(&visit, &slug) {
        // `permalink: /privacy/` makes `/privacy` its other form.
        Ok(policy) if policy.is_permalink_variant(uri.path()) => {
            Ok(to_permalink(&visit, policy, &uri))
        }
        Ok(policy) => Ok(policy_page(&visit, policy, &policy.current, &request)?.into_response()),
        Err(_) => permalink(&visit, &uri, &request),
    }
}

/// `GET /{policy}/{version}`: a version by its date (`2018-05-22`), or a
/// permalink of two segments.
pub async fn policy_version(
    visit: Visit,
    uri: Uri,
    PathParams((slug, version)): PathParams<(String, String)>,
    request: PageRequest,
) -> Result<Response, AppError> {
    let found = find_policy(&visit, &slug)
        .and_then(|policy| Ok((policy, find_version(&visit, policy, &version)?)));
    match found {
        Ok((policy, version)) => {
            Ok(policy_page(&visit, policy, version, &request)?.into_response())
        }
        Err(_) => permalink(&visit, &uri, &request),
    }
}

/// The current version of the policy whose `permalink` is `uri`'s path; a
/// `301` to it from the path's other form (with or without the trailing
/// slash); else the 404 page.
fn permalink(visit: &Visit, uri: &Uri, request: &PageRequest) -> Result<Response, AppError> {
    let path = uri.path();
    for policy in visit.site.policies.values() {
        if policy.permalink.as_deref() == Some(path) {
            return Ok(policy_page(visit, policy, &policy.current, request)?.into_response());
        }
        if policy.is_permalink_variant(path) {
            return Ok(to_permalink(visit, policy, uri));
        }
    }
    Err(AppError::not_found(visit))
}

/// `301` to the policy's permalink, keeping the query.
fn to_permalink(visit: &Visit, policy: &Policy, uri: &Uri) -> Response {
    let target = format!("{}{}", visit.base, policy.path());
    let location = uri
        .query()
        .and_then(|query| HeaderValue::try_from(format!("{target}?{query}")).ok())
        .or_else(|| HeaderValue::try_from(target).ok());
    match location {
        Some(location) => (StatusCode::MOVED_PERMANENTLY, [(LOCATION, location)]).into_response(),
        None => AppError::not_found(visit).into_response(),
    }
}

/// `GET /{policy}/versions`: every version, newest first.
pub async fn versions(
    visit: Visit,
    PathParams(slug): PathParams<String>,
) -> Result<Page, AppError> {
    let policy = find_policy(&visit, &slug)?;
    let context = PageContext::new(&visit);
    let lang = context.lang;
    let urls = Urls::new(&visit);
    let versions = policy
        .versions()
        .map(|version| {
            let current = std::ptr::eq(version, &policy.current);
            VersionEntry {
                href: urls.version(policy, version, current),
                date: version.date.map(|d| DateLabel::new(d, lang)),
                current,
                languages: version
                    .languages()
                    .map(|code| LanguageEntry {
                        code,
                        name: Tr::language_name(code),
                    })
                    .collect(),
                changes_href: policy
                    .previous(version)
                    .map(|_| urls.with_choice(urls.changes(&policy.slug, version, current))),
                summary: pick(version, &visit).changes.clone(),
            }
        })
        .collect();
    render(
        &VersionsPage {
            chrome: Chrome::new(&context),
            title: &pick(&policy.current, &visit).title,
            current_href: urls.with_choice(urls.policy(policy)),
            versions,
        },
        &context,
    )
}

/// Any other path under the mount: a permalink, or the 404 page.
pub async fn fallback(visit: Visit, uri: Uri, request: PageRequest) -> Result<Response, AppError> {
    permalink(&visit, &uri, &request)
}

/// A path outside the mount: the 404 page.
pub async fn not_found(visit: Visit) -> AppError {
    AppError::not_found(&visit)
}

/// A path that exists, with a method it does not take.
pub async fn method_not_allowed(visit: Visit) -> AppError {
    AppError::method_not_allowed(&visit)
}

/// A version by the date in its URL (`2018-05-22`).
pub(super) fn find_version<'a>(
    visit: &Visit,
    policy: &'a Policy,
    date: &str,
) -> Result<&'a Version, AppError> {
    Date::parse(date, format_description!("[year]-[month]-[day]"))
        .ok()
        .and_then(|date| policy.version(date))
        .ok_or_else(|| AppError::not_found(visit))
}

pub(super) fn find_policy<'a>(visit: &'a Visit, slug: &str) -> Result<&'a Policy, AppError> {
    visit
        .site
        .policies
        .get(slug)
        .ok_or_else(|| AppError::not_found(visit))
}

/// The document's segments as this visitor sees them.
fn parts<'a>(segments: &'a [Segment], site: &Site, consent: &Consent, tr: Tr) -> Vec<Part<'a>> {
    segments
        .iter()
        .map(|segment| match segment {
            Segment::Html(html) => Part::Html(html),
            Segment::OptOut(control) => Part::Control(control_view(control, site, consent, tr)),
            Segment::Toc => Part::Toc,
        })
        .collect()
}

/// How pages name a service: its `name`, or its id if the site lacks it.
fn service_name<'s>(site: &'s Site, id: &'s ServiceId) -> &'s str {
    site.services
        .get(id)
        .map_or(id.as_str(), |s| s.name.as_str())
}

fn control_view<'a>(
    control: &'a OptOutControl,
    site: &Site,
    consent: &Consent,
    tr: Tr,
) -> ControlView<'a> {
    let name = service_name(site, &control.service);
    let state = consent.state(&control.service);
    let message = if state == ServiceState::Blocked {
        "consent-blocked"
    } else {
        "consent-disabled"
    };
    ControlView {
        service: &control.service,
        label_html: &control.label_html,
        allowed: state == ServiceState::Allowed,
        can_enable: state != ServiceState::Blocked,
        disabled_text: tr.with(&[("service", name)], message),
    }
}

/// The two hidden forms a service's control submits (opt out, opt in).
pub(super) fn consent_forms<'a>(
    service: &'a ServiceId,
    name: &str,
    opt_in: bool,
    return_to: &'a str,
    tr: Tr,
) -> [ConsentForm<'a>; 2] {
    // Turning on an opt-in service fails when the consent record is not
    // kept; an opt-out one, when the opt-out cookie stays.
    let unsaved_on = if opt_in {
        "consent-unsaved-record"
    } else {
        "consent-unsaved-optin"
    };
    [
        ("optout", "consent-saved-optout", "consent-unsaved-optout"),
        ("optin", "consent-saved-optin", unsaved_on),
    ]
    .map(|(action, saved, unsaved)| ConsentForm {
        service,
        action,
        return_to,
        saved: tr.with(&[("service", name)], saved),
        unsaved: tr.with(&[("service", name)], unsaved),
    })
}

/// After a form post came back (`?optout=<id>`): what this request shows
/// the browser really kept.
pub(super) fn confirmation(visit: &Visit, request: &PageRequest, tr: Tr) -> Option<Confirmation> {
    let asked = request.asked.as_ref()?;
    let service = visit
        .site
        .services
        .get(&asked.service.parse::<ServiceId>().ok()?)?;
    Some(Confirmation::new(
        asked.action == Action::OptOut,
        visit.consent.state(&service.id),
        &service.name,
        tr,
    ))
}

fn policy_page(
    visit: &Visit,
    policy: &Policy,
    version: &Version,
    request: &PageRequest,
) -> Result<Page, AppError> {
    let site = &visit.site;
    let consent = &visit.consent;
    let doc = pick(version, visit);
    let tr = Tr(doc.lang);
    let mut services: Vec<&ServiceId> = doc.opt_outs().map(|c| &c.service).collect();
    services.sort();
    services.dedup();
    let consent_forms = services
        .into_iter()
        .flat_map(|service| {
            let opt_in = site
                .services
                .get(service)
                .is_some_and(|s| s.consent == Basis::OptIn);
            consent_forms(
                service,
                service_name(site, service),
                opt_in,
                &request.return_to,
                tr,
            )
        })
        .collect();
    let confirmation = confirmation(visit, request, tr);
    let context = PageContext::in_lang(visit, doc.lang);
    let urls = Urls::new(visit);
    let current = std::ptr::eq(version, &policy.current);
    let path = urls.version(policy, version, current);
    let origin = visit.origin();
    let translations = version
        .languages()
        .map(|lang| TranslationLink {
            lang,
            name: Tr::language_name(lang),
            href: format!("{path}?lang={lang}"),
            absolute: format!("{origin}{path}?lang={lang}"),
            current: lang == doc.lang,
        })
        .collect();
    let canonical_query = if doc.lang == site.default_lang {
        String::new()
    } else {
        format!("?lang={}", doc.lang)
    };
    let preferred = visit.preferred_lang();
    let translation_notice = (doc.lang != preferred)
        .then(|| translation_notice(policy, version, doc.lang, preferred, &urls));
    let page = PolicyPage {
        chrome: Chrome::new(&context),
        doc,
        lead: parts(&doc.lead, site, consent, tr),
        body: parts(&doc.body, site, consent, tr),
        consent_forms,
        confirmation,
        canonical: format!("{origin}{path}{canonical_query}"),
        translations,
        default_alternate: format!("{origin}{path}"),
        last_updated: DateLabel::of(doc.last_updated, doc.lang),
        superseded_by: (!current).then(|| urls.with_choice(urls.policy(policy))),
        translation_notice,
        changes: policy.previous(version).map(|previous| {
            let since = previous.date.map_or_else(
                || tr.get("version-undated"),
                |date| DateLabel::new(date, doc.lang).label,
            );
            (
                urls.with_choice(urls.changes(&policy.slug, version, current)),
                tr.with(&[("date", since.as_str())], "changes-since"),
            )
        }),
        has_versions: !policy.archived.is_empty(),
        versions_href: urls.with_choice(format!("{}/{}/versions", urls.base, policy.slug)),
    };
    let mut page = render(&page, &context)?;
    // The version's date; a current version without one, its `lastupdate`.
    page.last_modified = version
        .date
        .map(|date| date.midnight().assume_utc())
        .or(doc.last_updated);
    Ok(page)
}

/// Tells a visitor who prefers `wanted` that this page is in `shown`, and
/// points at the newest other version that exists in `wanted`, if any.
fn translation_notice(
    policy: &Policy,
    version: &Version,
    shown: Lang,
    wanted: Lang,
    urls: &Urls<'_>,
) -> TranslationNotice {
    let tr = Tr(wanted);
    let text = tr.with(&[("shown", shown.code())], "translation-missing");
    let other = policy
        .versions()
        .find(|v| !std::ptr::eq(*v, version) && v.translations.contains_key(&wanted));
    let link = other.map(|other| {
        let is_current = std::ptr::eq(other, &policy.current);
        let href = format!("{}?lang={wanted}", urls.version(policy, other, is_current));
        let label = match (is_current, other.date) {
            (true, _) => tr.get("translation-current"),
            (false, Some(date)) => tr.with(
                &[("date", DateLabel::new(date, wanted).label.as_str())],
                "translation-archived",
            ),
            (false, None) => tr.get("translation-archived-undated"),
        };
        (href, label)
    });
    TranslationNotice {
        lang: wanted,
        text,
        link,
    }
}

/// A page from its template; a failure is a 500 in the same frame.
pub(super) fn render(template: &impl Template, context: &PageContext) -> Result<Page, AppError> {
    match template.render() {
        Ok(html) => Ok(Page::new(StatusCode::OK, context.lang, html)),
        Err(source) => Err(AppError::Render {
            context: context.clone(),
            source,
        }),
    }
}
