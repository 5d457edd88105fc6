//! What changed between versions of a policy: `GET /{policy}/changes` (the
//! current version against the one before it), `GET
//! /{policy}/{version}/changes` (that version against the one before it),
//! and `GET /feed.atom`, every version of every policy as an Atom feed.

use askama::Template;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::AppError;
use super::extract::PathParams;
use super::pages::{find_policy, find_version, render};
use super::views::{
    ChangesPage, Chrome, DateLabel, FeedEntry, FeedXml, Page, PageContext, ParagraphView,
    SectionView, SpanView, Urls,
};
use crate::content::history::{self, Change, ParagraphChange, SectionChange};
use crate::content::{Policy, Version};
use crate::i18n::Tr;
use crate::lang::Lang;
use crate::request::visit::Visit;

/// `GET /{policy}/changes`.
pub async fn current(visit: Visit, PathParams(slug): PathParams<String>) -> Result<Page, AppError> {
    let policy = find_policy(&visit, &slug)?;
    changes_page(&visit, policy, &policy.current)
}

/// `GET /{policy}/{version}/changes`.
pub async fn version(
    visit: Visit,
    PathParams((slug, date)): PathParams<(String, String)>,
) -> Result<Page, AppError> {
    let policy = find_policy(&visit, &slug)?;
    let version = find_version(&visit, policy, &date)?;
    changes_page(&visit, policy, version)
}

/// The page comparing `newer` with the version before it, in the visitor's
/// language if both exist in it, else in a language both exist in (and the
/// page says so).
fn changes_page(visit: &Visit, policy: &Policy, newer: &Version) -> Result<Page, AppError> {
    let older = policy
        .previous(newer)
        .ok_or_else(|| AppError::not_found(visit))?;
    let site = &visit.site;
    let preferred = visit.preferred_lang();
    let common: Vec<Lang> = newer
        .languages()
        .filter(|lang| older.translations.contains_key(lang))
        .collect();
    let lang = if common.is_empty() {
        visit
            .langs
            .choose(&newer.language_list(), site.default_lang)
    } else {
        visit.langs.choose(&common, site.default_lang)
    };
    let context = PageContext::in_lang(visit, lang);
    let tr = Tr(lang);
    let urls = Urls::new(visit);
    let newer_doc = newer.translation(lang);
    let older_doc = older.translation(lang);
    let date = |version: &Version| version.date.map(|d| DateLabel::new(d, lang));
    let label =
        |version: &Version| date(version).map_or_else(|| tr.get("version-undated"), |d| d.label);
    let href = |version: &Version| {
        urls.with_choice(urls.version(policy, version, policy.is_current(version)))
    };
    // In the visitor's language, which the page around it may not be.
    let notice = if common.is_empty() {
        Some((preferred, Tr(preferred).get("changes-no-common-language")))
    } else if lang != preferred {
        let text = Tr(preferred).with(&[("shown", lang.code())], "changes-other-language");
        Some((preferred, text))
    } else {
        None
    };
    let comparison =
        (!common.is_empty()).then(|| history::compare(&older_doc.outline, &newer_doc.outline));
    let newer_href = href(newer);
    let page = ChangesPage {
        chrome: Chrome::new(&context),
        title: &newer_doc.title,
        newer_label: label(newer),
        newer_href: newer_href.clone(),
        older_label: label(older),
        older_href: href(older),
        summary: &newer_doc.changes,
        notice,
        unchanged: comparison.as_ref().map_or(0, |c| c.unchanged),
        compared: comparison.is_some(),
        sections: comparison
            .map(|c| {
                c.sections
                    .into_iter()
                    .map(|s| section_view(s, &newer_href))
                    .collect()
            })
            .unwrap_or_default(),
        versions_href: urls.with_choice(format!("{}/{}/versions", urls.base, policy.slug)),
    };
    let mut page = render(&page, &context)?;
    page.last_modified = newer.date.map(|d| d.midnight().assume_utc());
    Ok(page)
}

fn section_view(change: SectionChange, newer_href: &str) -> SectionView {
    let whole = |kind: &'static str, paragraphs: Vec<String>| {
        paragraphs
            .into_iter()
            .map(|text| ParagraphView {
                kind,
                spans: vec![SpanView { kind: "same", text }],
            })
            .collect()
    };
    match change {
        SectionChange::Added(section) => SectionView {
            kind: "added",
            href: section.id.as_ref().map(|id| format!("{newer_href}#{id}")),
            title: section.title,
            old_title: None,
            paragraphs: whole("added", section.paragraphs),
        },
        SectionChange::Removed(section) => SectionView {
            kind: "removed",
            href: None,
            title: section.title,
            old_title: None,
            paragraphs: whole("removed", section.paragraphs),
        },
        SectionChange::Changed {
            title,
            id,
            old_title,
            paragraphs,
        } => SectionView {
            kind: "changed",
            href: id.map(|id| format!("{newer_href}#{id}")),
            title,
            old_title,
            paragraphs: paragraphs
                .into_iter()
                .map(|paragraph| match paragraph {
                    ParagraphChange::Added(text) => ParagraphView {
                        kind: "added",
                        spans: vec![SpanView { kind: "same", text }],
                    },
                    ParagraphChange::Removed(text) => ParagraphView {
                        kind: "removed",
                        spans: vec![SpanView { kind: "same", text }],
                    },
                    ParagraphChange::Changed(spans) => ParagraphView {
                        kind: "changed",
                        spans: spans
                            .into_iter()
                            .map(|span| SpanView {
                                kind: match span.change {
                                    Change::Same => "same",
                                    Change::Added => "added",
                                    Change::Removed => "removed",
                                },
                                text: span.text,
                            })
                            .collect(),
                    },
                })
                .collect(),
        },
    }
}

/// `GET /feed.atom`: every dated version of every policy of the site,
/// newest first, in the site's default language where it exists. A
/// version without a date cannot say when it appeared, and is left out.
pub async fn feed(visit: Visit) -> Result<Response, AppError> {
    let site = &visit.site;
    let origin = format!("{}{}", visit.origin(), visit.base);
    let mut entries: Vec<FeedEntry> = Vec::new();
    for policy in site.policies.values() {
        for version in policy.versions() {
            let Some(date) = version.date else { continue };
            let doc = version.translation(site.default_lang);
            let tr = Tr(doc.lang);
            let url = format!("{origin}/{}/{date}", policy.slug);
            let summary = if doc.changes.is_empty() {
                tr.with(&[("title", doc.title.as_str())], "feed-new-version")
            } else {
                doc.changes.join(" ")
            };
            entries.push(FeedEntry {
                id: url.clone(),
                title: format!("{} ({date})", doc.title),
                updated: rfc3339(date.midnight().assume_utc()),
                summary,
                lang: doc.lang,
                changes_href: policy
                    .previous(version)
                    .map(|_| format!("{origin}/{}/{date}/changes", policy.slug)),
                href: url,
                sort: date,
            });
        }
    }
    entries.sort_by(|a, b| b.sort.cmp(&a.sort).then_with(|| a.id.cmp(&b.id)));
    let feed = FeedXml {
        id: format!("{origin}/feed.atom"),
        title: Tr(site.default_lang).with(&[("site", site.name.as_str())], "feed-title"),
        site_name: &site.name,
        home: format!("{origin}/"),
        updated: entries.first().map_or_else(
            || rfc3339(OffsetDateTime::UNIX_EPOCH),
            |e| e.updated.clone(),
        ),
        lang: site.default_lang,
        entries,
    };
    let xml = feed.render().map_err(|source| AppError::Render {
        context: PageContext::new(&visit),
        source,
    })?;
    Ok((
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/atom+xml; charset=utf-8"),
        )],
        xml,
    )
        .into_response())
}

fn rfc3339(value: OffsetDateTime) -> String {
    value
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}
