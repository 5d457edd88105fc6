//! A document as plain text, section by section: what comparing two
//! versions of a policy works on. Taken from the same Markdown events the
//! page is rendered from, so the text compared is the text shown.

use pulldown_cmark::{Event, Tag, TagEnd};

use crate::content::model::Section;

/// The sections of a document: the part before the first heading (with an
/// empty title) and one per heading, each a list of paragraphs. List items,
/// table rows and code blocks count as paragraphs; markup is dropped, the
/// words stay.
pub fn outline(events: &[Event<'_>]) -> Vec<Section> {
    let mut sections = vec![Section::default()];
    let mut text = String::new();
    let mut in_heading: Option<Option<String>> = None;
    for event in events {
        match event {
            Event::Start(Tag::Heading { id, .. }) => {
                flush(&mut text, &mut sections);
                in_heading = Some(id.as_ref().map(ToString::to_string));
            }
            Event::End(TagEnd::Heading(_)) => {
                let id = in_heading.take().flatten();
                sections.push(Section {
                    id,
                    title: collapse(&text),
                    paragraphs: Vec::new(),
                });
                text.clear();
            }
            Event::Start(Tag::Item | Tag::TableRow | Tag::TableHead) => {
                flush(&mut text, &mut sections)
            }
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_),
            ) => flush(&mut text, &mut sections),
            Event::End(TagEnd::TableCell) => text.push(' '),
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            // A paragraph written as HTML inside Markdown (`…</p> <p>…`)
            // ends one paragraph and starts the next, as the page shows it.
            Event::InlineHtml(tag) if breaks_paragraph(tag) => flush(&mut text, &mut sections),
            // An HTML block's words (`<center><em>…</em></center>`): the
            // tags go, the text stays.
            Event::Html(html) => {
                text.push_str(&without_tags(html));
                text.push(' ');
            }
            _ => {}
        }
    }
    flush(&mut text, &mut sections);
    if sections
        .first()
        .is_some_and(|lead| lead.paragraphs.is_empty())
    {
        sections.remove(0);
    }
    sections
}

/// Ends the paragraph being collected, if it has any words.
fn flush(text: &mut String, sections: &mut [Section]) {
    let paragraph = collapse(text);
    text.clear();
    if let (false, Some(section)) = (paragraph.is_empty(), sections.last_mut()) {
        section.paragraphs.push(paragraph);
    }
}

/// `<p>`, `</p>`, `<br>`, `<li>`, `</li>`, `<div>`, `</div>`, in any case.
fn breaks_paragraph(tag: &str) -> bool {
    let name = tag
        .trim_start_matches('<')
        .trim_start_matches('/')
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default();
    ["p", "br", "li", "div"]
        .iter()
        .any(|block| name.eq_ignore_ascii_case(block))
}

/// White space collapsed to single spaces, trimmed.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `html` without its tags and comments.
fn without_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use pulldown_cmark::Parser;

    use super::super::markdown::parser_options;
    use super::*;

    fn sections(markdown: &str) -> Vec<(String, Vec<String>)> {
        let events: Vec<_> = Parser::new_ext(markdown, parser_options()).collect();
        outline(&events)
            .into_iter()
            .map(|s| (s.title, s.paragraphs))
            .collect()
    }

    #[test]
    fn sections_and_paragraphs_as_text() {
        let text = "Intro *with* [a link](https://x.example).\n\n## First\n\nOne\nline.</p> <P>Two.<br/>Three\n\n- item a\n- item `b`\n\n<center><em>Updated <b>today</b></em></center>\n\n## Second\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
        assert_eq!(
            sections(text),
            [
                ("".to_owned(), vec!["Intro with a link.".to_owned()]),
                (
                    "First".to_owned(),
                    vec![
                        "One line.".to_owned(),
                        "Two.".to_owned(),
                        "Three".to_owned(),
                        "item a".to_owned(),
                        "item b".to_owned(),
                        "Updated today".to_owned()
                    ]
                ),
                (
                    "Second".to_owned(),
                    vec!["a b".to_owned(), "1 2".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn no_lead_without_text_before_the_first_heading() {
        assert_eq!(
            sections("## Only\n\nText."),
            [("Only".to_owned(), vec!["Text.".to_owned()])]
        );
    }
}
