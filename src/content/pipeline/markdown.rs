//! Markdown to HTML, the way the seed policies were written for kramdown:
//! inline HTML passes through, every heading gets a readable anchor, and a
//! kramdown attribute list after a link (`[x](url){:target="_blank"}`) is
//! applied to that link instead of printed.

use std::ops::Range;

use pulldown_cmark::{
    CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd, TextMergeWithOffset,
};
use pulldown_cmark_escape::{escape_href, escape_html};

use crate::content::Problem;
use crate::content::model::{Section, TocEntry};

/// Markdown rendered to (not yet sanitised) HTML, with its table of
/// contents and its text by section.
#[derive(Debug)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub outline: Vec<Section>,
}

/// Every parser option in one place, so the pipeline, tests and benches agree.
pub fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_FOOTNOTES
}

/// Renders `markdown`, whose first line is line `body_line` of its file,
/// for a page titled `title` (which the page prints as its `<h1>`).
pub fn render(markdown: &str, body_line: usize, title: &str) -> Result<Rendered, Problem> {
    let line_of =
        |range: &Range<usize>| body_line + crate::content::line_at(markdown, range.start) - 1;
    let mut events: Vec<(Event<'_>, Range<usize>)> =
        TextMergeWithOffset::new(Parser::new_ext(markdown, parser_options()).into_offset_iter())
            .collect();
    drop_repeated_title(&mut events, title);
    super::kramdown::block_attributes(&mut events, markdown);

    let toc = super::headings::assign_heading_ids(&mut events);
    let events = apply_link_attributes(events, &line_of)?;
    let outline = super::outline::outline(&events);

    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Ok(Rendered { html, toc, outline })
}

/// A body that opens with `# <its own title>` (as Jekyll pages often do,
/// their layout printing no title) would show the title twice: that first
/// heading goes.
fn drop_repeated_title(events: &mut Vec<(Event<'_>, Range<usize>)>, title: &str) {
    let Some((
        Event::Start(Tag::Heading {
            level: HeadingLevel::H1,
            ..
        }),
        _,
    )) = events.first()
    else {
        return;
    };
    let same = |a: &str, b: &str| {
        a.split_whitespace()
            .map(str::to_lowercase)
            .eq(b.split_whitespace().map(str::to_lowercase))
    };
    if !same(&super::headings::heading_text(&events[1..]), title) {
        return;
    }
    let end = events
        .iter()
        .position(|(event, _)| matches!(event, Event::End(TagEnd::Heading(HeadingLevel::H1))))
        .map_or(0, |end| end + 1);
    events.drain(..end);
}

/// Replaces `[text](url){:attrs}` by an `<a>` carrying those attributes. An
/// attribute list anywhere else is an error: it would show up as text.
fn apply_link_attributes<'a>(
    events: Vec<(Event<'a>, Range<usize>)>,
    line_of: &dyn Fn(&Range<usize>) -> usize,
) -> Result<Vec<Event<'a>>, Problem> {
    let mut out = Vec::with_capacity(events.len());
    let mut iter = events.into_iter().peekable();
    while let Some((event, range)) = iter.next() {
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let mut inner = Vec::new();
                for (event, _) in iter.by_ref() {
                    if matches!(event, Event::End(TagEnd::Link)) {
                        break;
                    }
                    inner.push(event);
                }
                let attributes = match iter.peek_mut() {
                    Some((Event::Text(text), text_range)) if text.starts_with("{:") => {
                        let close = text.find('}').ok_or_else(|| {
                            Problem::at_line(
                                line_of(text_range),
                                "unclosed kramdown attribute list `{:`",
                            )
                        })?;
                        let attributes = parse_attribute_list(&text[2..close])
                            .map_err(|reason| Problem::at_line(line_of(text_range), reason))?;
                        let rest = text[close + 1..].to_owned();
                        *text = CowStr::from(rest);
                        attributes
                    }
                    _ => Vec::new(),
                };
                if attributes.is_empty() {
                    out.push(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }));
                    out.extend(inner);
                    out.push(Event::End(TagEnd::Link));
                } else {
                    out.push(Event::InlineHtml(
                        open_link_tag(link_type, &dest_url, &title, &attributes).into(),
                    ));
                    out.extend(inner);
                    out.push(Event::InlineHtml("</a>".into()));
                }
            }
            Event::Text(text) if text.contains("{:") => {
                return Err(Problem::at_line(
                    line_of(&range),
                    "a kramdown attribute list `{:…}` is only supported directly after a link",
                ));
            }
            Event::Text(text) if text.is_empty() => {}
            event => out.push(event),
        }
    }
    Ok(out)
}

fn open_link_tag(
    link_type: LinkType,
    dest: &str,
    title: &str,
    attributes: &[(String, String)],
) -> String {
    let mut tag = String::from("<a href=\"");
    if link_type == LinkType::Email && !dest.starts_with("mailto:") {
        tag.push_str("mailto:");
    }
    // Writing to a String cannot fail.
    let _ = escape_href(&mut tag, dest);
    tag.push('"');
    if !title.is_empty() {
        tag.push_str(" title=\"");
        let _ = escape_html(&mut tag, title);
        tag.push('"');
    }
    for (name, value) in attributes {
        tag.push(' ');
        tag.push_str(name);
        tag.push_str("=\"");
        let _ = escape_html(&mut tag, value);
        tag.push('"');
    }
    tag.push('>');
    tag
}

/// Parses the inside of a kramdown IAL: `target="_blank" rel='noopener' .cls #id`.
fn parse_attribute_list(list: &str) -> Result<Vec<(String, String)>, String> {
    let mut attributes: Vec<(String, String)> = Vec::new();
    let mut classes = Vec::new();
    let mut rest = list.trim_start();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.').or_else(|| rest.strip_prefix('#')) {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            let value = &after[..end];
            if !is_attribute_name(value) {
                return Err(format!("invalid kramdown attribute list `{{:{list}}}`"));
            }
            if rest.starts_with('.') {
                classes.push(value.to_owned());
            } else {
                attributes.push(("id".to_owned(), value.to_owned()));
            }
            rest = after[end..].trim_start();
            continue;
        }
        let (name, after) = rest.split_once('=').ok_or_else(|| {
            format!("invalid kramdown attribute list `{{:{list}}}`: expected name=\"value\"")
        })?;
        let name = name.trim();
        let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
        let (value, remaining) = match quote {
            Some(quote) => after[1..].split_once(quote).ok_or_else(|| {
                format!("unclosed quote in kramdown attribute list `{{:{list}}}`")
            })?,
            None => after.split_at(after.find(char::is_whitespace).unwrap_or(after.len())),
        };
        if !is_attribute_name(name)
            || matches!(name.to_ascii_lowercase().as_str(), "href" | "style")
            || name.to_ascii_lowercase().starts_with("on")
        {
            return Err(format!(
                "attribute `{name}` is not allowed in a kramdown attribute list"
            ));
        }
        attributes.push((name.to_owned(), value.to_owned()));
        rest = remaining.trim_start();
    }
    if !classes.is_empty() {
        attributes.push(("class".to_owned(), classes.join(" ")));
    }
    Ok(attributes)
}

fn is_attribute_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(markdown: &str) -> String {
        render(markdown, 1, "").expect("valid markdown").html
    }

    #[test]
    fn kramdown_attributes_apply_to_the_link_before_them() {
        // From the 2022 octoprint.org policy.
        let out = html(
            "[https://carbonads.net/privacy.php](https://carbonads.net/privacy.php){:target=\"_blank\" rel=\"noopener\"}.",
        );
        assert_eq!(
            out,
            "<p><a href=\"https://carbonads.net/privacy.php\" target=\"_blank\" rel=\"noopener\">https://carbonads.net/privacy.php</a>.</p>\n"
        );
    }

    #[test]
    fn two_attributed_links_in_one_line() {
        let out = html(
            "[a](https://a.example/){:target=\"_blank\" rel=\"noopener\"} and [b](https://b.example/){:target=\"_blank\" rel=\"noopener\"}.",
        );
        assert_eq!(out.matches("target=\"_blank\"").count(), 2, "{out}");
        assert!(out.contains("</a> and <a"), "{out}");
        assert!(!out.contains("{:"), "{out}");
    }

    #[test]
    fn attribute_list_forms() {
        for (list, expected) in [
            ("target=\"_blank\"", vec![("target", "_blank")]),
            ("rel='noopener'", vec![("rel", "noopener")]),
            ("target=_blank", vec![("target", "_blank")]),
            (".ext #x", vec![("id", "x"), ("class", "ext")]),
            ("", vec![]),
        ] {
            let parsed = parse_attribute_list(list).expect(list);
            let parsed: Vec<(&str, &str)> = parsed
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(parsed, expected, "{list}");
        }
        for bad in [
            "onclick=\"x()\"",
            "href=\"javascript:x\"",
            "style=\"x\"",
            "target=\"_blank",
            "=x",
            "a b",
        ] {
            assert!(parse_attribute_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stray_attribute_lists_are_errors_with_lines() {
        for (markdown, line) in [
            ("para\n\ntext {:target=\"_blank\"}\n", 3),
            ("x [a](b){:target=\"_blank\"\n", 1),
        ] {
            let problem = render(markdown, 1, "").expect_err(markdown);
            assert_eq!(problem.line, Some(line), "{markdown:?}: {problem:?}");
        }
    }

    #[test]
    fn headings_get_unique_readable_ids_and_a_toc() {
        let rendered = render(
            "## 1. An overview of data protection\n\n### General\n\n#### Objecting to the collection of data</strong>\n\n#### Objecting to the collection of data\n\n## 1\\. Escaped\n\n## SSL- bzw. TLS-Verschlüsselung\n\n## Custom {#mine}\n",
            1,
            "",
        )
        .expect("valid");
        for id in [
            "id=\"1-an-overview-of-data-protection\"",
            "id=\"general\"",
            "id=\"objecting-to-the-collection-of-data\"",
            "id=\"objecting-to-the-collection-of-data-2\"",
            "id=\"1-escaped\"",
            "id=\"ssl-bzw-tls-verschlusselung\"",
            "id=\"mine\"",
        ] {
            assert!(rendered.html.contains(id), "{id} in {}", rendered.html);
        }
        let toc: Vec<(u8, &str, &str)> = rendered
            .toc
            .iter()
            .map(|e| (e.level, e.id.as_str(), e.text.as_str()))
            .collect();
        assert_eq!(
            toc,
            vec![
                (
                    2,
                    "1-an-overview-of-data-protection",
                    "1. An overview of data protection"
                ),
                (3, "general", "General"),
                (2, "1-escaped", "1. Escaped"),
                (
                    2,
                    "ssl-bzw-tls-verschlusselung",
                    "SSL- bzw. TLS-Verschlüsselung"
                ),
                (2, "mine", "Custom"),
            ]
        );
    }

    #[test]
    fn inline_html_and_hard_breaks_pass_through() {
        let out = html(
            "Gina Häußge<br />\nGoethestraße 5  \n63179 Obertshausen\n\n<center><em>x</em></center>\n",
        );
        assert!(out.contains("Gina Häußge<br />"), "{out}");
        assert!(out.contains("Goethestraße 5<br />"), "{out}");
        assert!(out.contains("<center><em>x</em></center>"), "{out}");
    }

    #[test]
    fn email_autolinks_keep_mailto() {
        assert!(
            html("<privacy@example.org>{:rel=\"x\"}")
                .contains("href=\"mailto:privacy@example.org\"")
        );
    }

    /// Jekyll pages often open with their own title, which the page prints
    /// already; chapters written as `#` make the table of contents.
    #[test]
    fn a_repeated_title_goes_and_top_level_chapters_are_listed() {
        let rendered = render(
            "# Privacy  policy\n\nIntro.\n\n# 1. Who we are\n\n## Contact\n\n### Detail\n",
            1,
            "Privacy Policy",
        )
        .expect("valid");
        assert!(
            !rendered.html.contains("Privacy  policy"),
            "{}",
            rendered.html
        );
        assert!(
            rendered.html.starts_with("<p>Intro.</p>"),
            "{}",
            rendered.html
        );
        let toc: Vec<(u8, &str)> = rendered
            .toc
            .iter()
            .map(|e| (e.level, e.text.as_str()))
            .collect();
        assert_eq!(toc, [(2, "1. Who we are"), (3, "Contact")]);

        // Another first heading stays.
        let other = render("# About us\n\nText.\n", 1, "Privacy Policy").expect("valid");
        assert!(
            other.html.contains("<h1 id=\"about-us\">About us</h1>"),
            "{}",
            other.html
        );
    }

    /// kramdown's table-of-contents marker becomes ours; block attribute
    /// lists give their block classes (after it, on the line after it, or
    /// alone before the next); a list after a link still applies.
    #[test]
    fn kramdown_toc_and_block_attributes() {
        let rendered = render(
            "* TOC\n{:toc}\n\nIntro.\n{: .notice--info}\n\n{: .lead}\n\n## A\n{: .class}\n\n- item\n{: .x}\n\n[x](https://x.example){:target=\"_blank\"}\n",
            1,
            "",
        )
        .expect("valid");
        assert_eq!(
            rendered.html,
            "<privacy-toc></privacy-toc>\n<p class=\"notice--info\">Intro.</p>\n<h2 id=\"a\" class=\"lead class\">A</h2>\n<ul>\n<li class=\"x\">item</li>\n</ul>\n<p><a href=\"https://x.example\" target=\"_blank\">x</a></p>\n"
        );
        // A real list that happens to say TOC stays.
        let list = render("* TOC\n* more\n", 1, "").expect("valid");
        assert!(list.html.contains("<li>TOC</li>"), "{}", list.html);
    }

    /// A policy written as HTML gets anchors and a table of contents like
    /// one written in Markdown, in document order with its Markdown headings.
    #[test]
    fn html_headings_get_anchors_and_a_toc() {
        let rendered = render(
            "<h2>Verantwortliche Stelle</h2>\n<p>Muster GmbH</p>\n<h3 id=\"own\">Daten &amp; Rechte</h3>\n\n## In Markdown\n\n<div>\n<h2>Server-Logfiles</h2>\n</div>\n",
            1,
            "",
        )
        .expect("valid");
        assert!(
            rendered
                .html
                .contains("<h2 id=\"verantwortliche-stelle\">Verantwortliche Stelle</h2>"),
            "{}",
            rendered.html
        );
        assert!(
            rendered
                .html
                .contains("<h3 id=\"own\">Daten &amp; Rechte</h3>"),
            "{}",
            rendered.html
        );
        assert!(
            rendered.html.contains("<h2 id=\"server-logfiles\">"),
            "{}",
            rendered.html
        );
        let toc: Vec<(u8, &str, &str)> = rendered
            .toc
            .iter()
            .map(|e| (e.level, e.id.as_str(), e.text.as_str()))
            .collect();
        assert_eq!(
            toc,
            [
                (2, "verantwortliche-stelle", "Verantwortliche Stelle"),
                (3, "own", "Daten & Rechte"),
                (2, "in-markdown", "In Markdown"),
                (2, "server-logfiles", "Server-Logfiles"),
            ]
        );
    }
}
