//! kramdown's block syntax in Jekyll pages, which CommonMark reads as text:
//! block attribute lists (`{: .notice--info #intro}`) and the
//! table-of-contents marker (`* TOC` then `{:toc}`).
//!
//! A block attribute list on the line after a paragraph, heading or list
//! item applies to it; alone, after a blank line, to the block that
//! follows; directly after a block, to that block. Only classes and an id
//! are kept (letters, digits, `-`, `_`): there is no theme here, but an
//! operator's stylesheet or anchor may rely on them. The marker becomes
//! [`TOC_MARKER`](super::html::TOC_MARKER): the page's table of contents
//! goes there.

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

type Events<'a> = Vec<(Event<'a>, Range<usize>)>;

/// Classes and id of one attribute list.
#[derive(Debug, Default, PartialEq, Eq)]
struct Attributes {
    classes: Vec<String>,
    id: Option<String>,
}

/// `{: .a .b #c key="v"}` → classes `a b`, id `c` (the rest has no
/// meaning here); `None` if `text` is no attribute list.
fn attribute_list(text: &str) -> Option<Attributes> {
    let text = text.trim();
    let inner = text.strip_prefix("{:")?.strip_suffix('}')?;
    if text.contains('\n') || inner.trim() == "toc" {
        return None;
    }
    let plain = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    };
    let mut attributes = Attributes::default();
    for token in inner.split_whitespace() {
        if let Some(class) = token.strip_prefix('.').filter(|c| plain(c)) {
            attributes.classes.push(class.to_owned());
        } else if let Some(id) = token.strip_prefix('#').filter(|i| plain(i)) {
            attributes.id = Some(id.to_owned());
        }
    }
    Some(attributes)
}

fn text_at(events: &Events<'_>, i: usize) -> Option<String> {
    match events.get(i) {
        Some((Event::Text(text), _)) => Some(text.to_string()),
        _ => None,
    }
}

/// The index of the `Start` that `events[end]` (an `End`) closes.
fn start_of(events: &Events<'_>, end: usize) -> Option<usize> {
    let mut depth = 0usize;
    for i in (0..=end).rev() {
        match events[i].0 {
            Event::End(_) => depth += 1,
            Event::Start(_) => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The index of the `End` that closes `events[start]`.
fn end_of(events: &Events<'_>, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, (event, _)) in events.iter().enumerate().skip(start) {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Applies and removes block attribute lists, and turns the TOC marker into
/// ours. `markdown` is the source the event ranges point into.
pub fn block_attributes(events: &mut Events<'_>, markdown: &str) {
    let mut attach: Vec<(usize, Attributes)> = Vec::new();
    let mut remove = vec![false; events.len()];
    for i in 0..events.len() {
        // `text\n{: .class}`: the list after a soft break, at the block's end.
        if matches!(events[i].0, Event::SoftBreak)
            && matches!(
                events.get(i + 2).map(|(e, _)| e),
                Some(Event::End(TagEnd::Paragraph | TagEnd::Item))
            )
            && let Some(list) = text_at(events, i + 1).and_then(|t| attribute_list(&t))
        {
            remove[i] = true;
            remove[i + 1] = true;
            if let Some(start) = start_of(events, i + 2) {
                attach.push((start, list));
            }
            continue;
        }
        // A paragraph that is only an attribute list: for the block right
        // before it, or after a blank line, the block after it.
        if matches!(events[i].0, Event::Start(Tag::Paragraph))
            && matches!(
                events.get(i + 2).map(|(e, _)| e),
                Some(Event::End(TagEnd::Paragraph))
            )
            && let Some(list) = text_at(events, i + 1).and_then(|t| attribute_list(&t))
        {
            remove[i..i + 3].fill(true);
            let before = i
                .checked_sub(1)
                .filter(|&p| matches!(events[p].0, Event::End(_)));
            // The line before the list is empty (or there is none).
            let blank_line_before = before.is_none()
                || markdown
                    .get(..events[i].1.start)
                    .and_then(|text| text.trim_end_matches([' ', '\t']).strip_suffix('\n'))
                    .is_none_or(|rest| {
                        let rest = rest.trim_end_matches([' ', '\t']);
                        rest.is_empty() || rest.ends_with('\n')
                    });
            let target = if blank_line_before {
                Some(i + 3)
                    .filter(|&n| matches!(events.get(n).map(|(e, _)| e), Some(Event::Start(_))))
            } else {
                before.and_then(|p| start_of(events, p))
            };
            if let Some(target) = target {
                attach.push((target, list));
            }
        }
    }
    for (target, list) in attach {
        apply(events, target, list);
    }
    let mut index = 0;
    events.retain(|_| {
        let keep = !remove.get(index).copied().unwrap_or(false);
        index += 1;
        keep
    });
    toc_marker(events);
}

/// `class` and `id` on the block `events[start]` opens: a heading takes
/// them as its own; a paragraph or list item is written out as HTML.
fn apply(events: &mut Events<'_>, start: usize, list: Attributes) {
    if let Event::Start(Tag::Heading { id, classes, .. }) = &mut events[start].0 {
        classes.extend(list.classes.into_iter().map(CowStr::from));
        if let Some(own) = list.id {
            *id = Some(CowStr::from(own));
        }
        return;
    }
    let tag = match events[start].0 {
        Event::Start(Tag::Paragraph) => "p",
        Event::Start(Tag::Item) => "li",
        _ => return,
    };
    let Some(end) = end_of(events, start) else {
        return;
    };
    let mut open = format!("<{tag}");
    if !list.classes.is_empty() {
        open.push_str(&format!(" class=\"{}\"", list.classes.join(" ")));
    }
    if let Some(id) = list.id {
        open.push_str(&format!(" id=\"{id}\""));
    }
    open.push('>');
    events[start].0 = Event::Html(CowStr::from(open));
    events[end].0 = Event::Html(CowStr::from(format!("</{tag}>\n")));
}

/// `* TOC` + `{:toc}`: a list whose one item reads `TOC` with the marker
/// after it becomes the place of the page's table of contents.
fn toc_marker(events: &mut Events<'_>) {
    let mut i = 0;
    while i < events.len() {
        if matches!(events[i].0, Event::Start(Tag::List(_)))
            && matches!(
                events.get(i + 1).map(|(e, _)| e),
                Some(Event::Start(Tag::Item))
            )
            && text_at(events, i + 2).is_some_and(|t| t.trim() == "TOC")
            && matches!(events.get(i + 3).map(|(e, _)| e), Some(Event::SoftBreak))
            && text_at(events, i + 4).is_some_and(|t| t.trim() == "{:toc}")
            && let Some(end) = end_of(events, i)
        {
            let range = events[i].1.clone();
            events.splice(
                i..=end,
                [(Event::Html(CowStr::from(super::html::TOC_MARKER)), range)],
            );
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_lists_keep_classes_and_ids_only() {
        for (text, classes, id) in [
            ("{: .notice--info}", vec!["notice--info"], None),
            ("{:.a .b #intro}", vec!["a", "b"], Some("intro")),
            (
                "{: .ok .\"><script> #x\" onclick=\"y\" data-z=\"1\"}",
                vec!["ok"],
                None,
            ),
            ("{: title=\"x\"}", vec![], None),
        ] {
            let list = attribute_list(text).expect(text);
            assert_eq!(list.classes, classes, "{text}");
            assert_eq!(list.id.as_deref(), id, "{text}");
        }
        for text in ["{:toc}", "text", "{: .a", "{:\n.a}"] {
            assert_eq!(attribute_list(text), None, "{text}");
        }
    }
}
