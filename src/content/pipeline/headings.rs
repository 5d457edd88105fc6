//! Headings: every one gets an id (its own, or a readable slug of its
//! text, unique within the document), and the two highest levels make the
//! table of contents. Headings written in Markdown and as HTML (generator
//! output) alike.

use std::collections::HashSet;
use std::ops::Range;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Tag, TagEnd};

use crate::content::model::TocEntry;

/// How many heading levels make it into the table of contents: the two
/// highest the document uses (`##` and `###` usually; `#` and `##` for a
/// document written with `#` chapters).
const TOC_DEPTH: usize = 2;

/// A heading of the document, written in Markdown or as HTML.
struct Heading {
    level: HeadingLevel,
    text: String,
    /// The id it was given in the source (`{#id}`, `<h2 id="…">`).
    own_id: Option<String>,
    at: HeadingAt,
}

enum HeadingAt {
    /// `events[index]` starts it.
    Markdown(usize),
    /// A heading inside the HTML block `events[index]`.
    Html(usize),
}

/// Gives every heading an id (its own, or a slug of its text, made unique
/// within the document) and collects the table of contents: from Markdown
/// headings and from `<h1>`–`<h6>` in HTML blocks alike, in document order
/// (policies produced by generators are often HTML).
pub(in crate::content) fn assign_heading_ids(
    events: &mut [(Event<'_>, Range<usize>)],
) -> Vec<TocEntry> {
    let mut headings = Vec::new();
    for (index, (event, _)) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => headings.push(Heading {
                level: *level,
                text: heading_text(&events[index + 1..]),
                own_id: id.as_ref().map(ToString::to_string),
                at: HeadingAt::Markdown(index),
            }),
            Event::Html(html) if html.contains("<h") || html.contains("<H") => {
                for (level, text, own_id) in html_headings(html) {
                    headings.push(Heading {
                        level,
                        text,
                        own_id,
                        at: HeadingAt::Html(index),
                    });
                }
            }
            _ => {}
        }
    }
    let mut levels: Vec<HeadingLevel> = headings.iter().map(|h| h.level).collect();
    levels.sort();
    levels.dedup();
    levels.truncate(TOC_DEPTH);

    let mut used = HashSet::new();
    let mut toc = Vec::new();
    let mut html_ids: Vec<(usize, Vec<String>)> = Vec::new();
    for heading in headings {
        let base = match heading.own_id {
            Some(id) => id,
            None => match slug::slugify(&heading.text) {
                slug if slug.is_empty() => "section".to_owned(),
                slug => slug,
            },
        };
        let unique = (1..)
            .map(|n| {
                if n == 1 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                }
            })
            .find(|candidate| !used.contains(candidate))
            .unwrap_or(base);
        used.insert(unique.clone());
        match heading.at {
            HeadingAt::Markdown(index) => {
                if let Event::Start(Tag::Heading { id, .. }) = &mut events[index].0 {
                    *id = Some(CowStr::from(unique.clone()));
                }
            }
            HeadingAt::Html(index) => match html_ids.last_mut() {
                Some((last, ids)) if *last == index => ids.push(unique.clone()),
                _ => html_ids.push((index, vec![unique.clone()])),
            },
        }
        if let Some(depth) = levels.iter().position(|l| *l == heading.level) {
            toc.push(TocEntry {
                // 2 for the outer level, 3 for the inner, whatever the heading levels.
                level: 2 + depth as u8,
                id: unique,
                text: heading.text,
            });
        }
    }
    for (index, ids) in html_ids {
        if let Event::Html(html) = &events[index].0 {
            let with_ids = set_html_heading_ids(html, &ids);
            events[index].0 = Event::Html(CowStr::from(with_ids));
        }
    }
    toc
}

const HTML_HEADINGS: &str = "h1, h2, h3, h4, h5, h6";

/// The headings in an HTML block: level, text (entities decoded), own id.
fn html_headings(html: &str) -> Vec<(HeadingLevel, String, Option<String>)> {
    use std::cell::RefCell;
    let found: RefCell<Vec<(HeadingLevel, String, Option<String>)>> = RefCell::new(Vec::new());
    let result = lol_html::rewrite_str(
        html,
        lol_html::RewriteStrSettings::new()
            .append_element_content_handler(lol_html::element!(HTML_HEADINGS, |el| {
                let level = match el.tag_name().as_str() {
                    "h1" => HeadingLevel::H1,
                    "h2" => HeadingLevel::H2,
                    "h3" => HeadingLevel::H3,
                    "h4" => HeadingLevel::H4,
                    "h5" => HeadingLevel::H5,
                    _ => HeadingLevel::H6,
                };
                let id = el.get_attribute("id").filter(|id| !id.trim().is_empty());
                found.borrow_mut().push((level, String::new(), id));
                Ok(())
            }))
            .append_element_content_handler(lol_html::text!(HTML_HEADINGS, |chunk| {
                if let Some(last) = found.borrow_mut().last_mut() {
                    last.1.push_str(chunk.as_str());
                }
                Ok(())
            })),
    );
    if result.is_err() {
        return Vec::new();
    }
    found
        .into_inner()
        .into_iter()
        .map(|(level, text, id)| {
            let text = decode_entities(&text);
            (
                level,
                text.split_whitespace().collect::<Vec<_>>().join(" "),
                id,
            )
        })
        .collect()
}

/// `html` with the headings given `ids`, in order.
fn set_html_heading_ids(html: &str, ids: &[String]) -> String {
    use std::cell::Cell;
    let next = Cell::new(0);
    lol_html::rewrite_str(
        html,
        lol_html::RewriteStrSettings::new().append_element_content_handler(lol_html::element!(
            HTML_HEADINGS,
            |el| {
                if let Some(id) = ids.get(next.get()) {
                    el.set_attribute("id", id)?;
                }
                next.set(next.get() + 1);
                Ok(())
            }
        )),
    )
    .unwrap_or_else(|_| html.to_owned())
}

/// The character references a heading's text may carry, decoded.
fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The plain text of a heading: its text and code spans, without inline HTML.
pub(in crate::content) fn heading_text(events: &[(Event<'_>, Range<usize>)]) -> String {
    let mut text = String::new();
    for (event, _) in events {
        match event {
            Event::End(TagEnd::Heading(_)) => break,
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text.trim().to_owned()
}
