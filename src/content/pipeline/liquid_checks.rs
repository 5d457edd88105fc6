//! What Liquid lets pass and a policy must not: a condition on a variable
//! that does not exist, a date printed from `"now"`, a tag Liquid does not
//! have. Checked on the source before Liquid renders it.

use liquid::Object;
use liquid::model::ValueView;

use crate::content::Problem;

/// What Liquid itself lets pass and a policy must not: a condition on a
/// variable that does not exist (Liquid reads it as false, and the text
/// inside disappears without a word), and a date printed from `"now"`
/// (it would change with every restart of the service).
pub(in crate::content) fn check_conditions_and_dates(
    body: &str,
    body_line: usize,
    globals: &Object,
) -> Result<(), Problem> {
    let tags: Vec<(usize, &str)> = liquid_tags(body).collect();
    let defined = defined_names(&tags);
    for (offset, tag) in &tags {
        let line = || body_line + crate::content::line_at(body, *offset) - 1;
        if let Some(reason) = unknown_tag(tag) {
            return Err(Problem::at_line(line(), format!("`{tag}`: {reason}")));
        }
        if prints_now(tag) {
            return Err(Problem::at_line(
                line(),
                format!(
                    "`{tag}`: a date from \"now\" changes whenever the service starts, and a policy's date must not; \
                     write the date in the front matter (`lastupdate: 2024-06-01`) and print `page.lastupdate`"
                ),
            ));
        }
        let Some(condition) = condition(tag) else {
            continue;
        };
        for variable in variables(condition) {
            let root = variable.split(['.', '[']).next().unwrap_or_default();
            if defined.iter().any(|name| name == root) || resolves(&variable, globals) {
                continue;
            }
            return Err(Problem::at_line(
                line(),
                format!(
                    "`{tag}`: `{variable}` is not defined, so Liquid would read it as false and \
                     drop the text inside without a word; define it (front matter keys are \
                     `page.<key>`) or remove the condition"
                ),
            ));
        }
    }
    Ok(())
}

/// Liquid's own tags (and their ends), which its standard library parses.
const LIQUID_TAGS: [&str; 23] = [
    "assign",
    "capture",
    "case",
    "when",
    "else",
    "elsif",
    "cycle",
    "for",
    "break",
    "continue",
    "if",
    "unless",
    "ifchanged",
    "increment",
    "decrement",
    "raw",
    "tablerow",
    "comment",
    "include",
    "render",
    "endraw",
    "endcomment",
    "liquid",
];

/// What to do about a tag that is not Liquid's (Jekyll's `link`,
/// `post_url`, a plugin's), rather than the parser's puzzled message.
fn unknown_tag(tag: &str) -> Option<String> {
    let name = tag_body(tag)?.split_whitespace().next()?;
    if LIQUID_TAGS.contains(&name)
        || name
            .strip_prefix("end")
            .is_some_and(|n| LIQUID_TAGS.contains(&n))
    {
        return None;
    }
    Some(match name {
        // `link` is resolved before (see `resolve_links`).
        "post_url" => format!(
            "Jekyll's `{name}` tag finds a page of the Jekyll site, which is not here; write that page's URL (`/impressum/`) instead"
        ),
        "highlight" => {
            "Jekyll's `highlight` tag is not supported; use a fenced code block (```) instead"
                .to_owned()
        }
        _ => format!(
            "`{name}` is not a Liquid tag (a Jekyll plugin's?); remove it, or write what it would print"
        ),
    })
}

/// `{{ "now" | date: … }}`, `{{ 'today' | date … }}`.
fn prints_now(tag: &str) -> bool {
    let inner = tag.trim_start_matches(['{', '%', '-']).trim_start();
    ["\"now\"", "'now'", "\"today\"", "'today'"]
        .iter()
        .any(|literal| {
            inner.strip_prefix(literal).is_some_and(|rest| {
                rest.trim_start()
                    .strip_prefix('|')
                    .is_some_and(|rest| rest.trim_start().starts_with("date"))
            })
        })
}

/// The expression of an `if`, `elsif` or `unless` tag.
fn condition(tag: &str) -> Option<&str> {
    let inner = tag_body(tag)?;
    ["if ", "elsif ", "unless "]
        .iter()
        .find_map(|keyword| inner.strip_prefix(keyword))
}

/// Names a template defines for itself (`assign`, `capture`, loop
/// variables), which a condition may use.
fn defined_names(tags: &[(usize, &str)]) -> Vec<String> {
    let mut names = vec!["forloop".to_owned(), "tablerowloop".to_owned()];
    for (_, tag) in tags {
        let Some(inner) = tag_body(tag) else {
            continue;
        };
        let mut words = inner.split_whitespace();
        if let (
            Some("assign" | "capture" | "for" | "tablerow" | "increment" | "decrement"),
            Some(name),
        ) = (words.next(), words.next())
        {
            names.push(name.trim_end_matches('=').to_owned());
        }
    }
    names
}

/// The variable paths in a condition (`page.title`, `site.data.x`), quoted
/// strings, numbers, operators and keywords left out.
fn variables(condition: &str) -> Vec<String> {
    let mut variables = Vec::new();
    let mut chars = condition.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                for next in chars.by_ref() {
                    if next == c {
                        break;
                    }
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_alphanumeric() || matches!(next, '_' | '-' | '.' | '?') {
                        word.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let keyword = matches!(
                    word.as_str(),
                    "and"
                        | "or"
                        | "contains"
                        | "true"
                        | "false"
                        | "nil"
                        | "null"
                        | "empty"
                        | "blank"
                );
                if !keyword {
                    variables.push(word);
                }
            }
            _ => {}
        }
    }
    variables
}

/// Whether `path` (`page.title`) names a value in `globals`. `size`,
/// `first` and `last` at the end are Liquid's own, on any list or string.
fn resolves(path: &str, globals: &Object) -> bool {
    let mut segments = path.split('.');
    let Some(root) = segments.next().and_then(|root| globals.get(root)) else {
        return false;
    };
    let mut value: &dyn ValueView = root;
    let segments: Vec<&str> = segments.collect();
    for (index, segment) in segments.iter().enumerate() {
        let last = index + 1 == segments.len();
        match value.as_object().and_then(|object| object.get(segment)) {
            Some(next) => value = next,
            None => return last && matches!(*segment, "size" | "first" | "last"),
        }
    }
    true
}

/// What a `{% … %}` tag says, without its delimiters and `-` trimming
/// marks (`include footer.html`); `None` for `{{ … }}`.
pub(in crate::content) fn tag_body(tag: &str) -> Option<&str> {
    Some(
        tag.strip_prefix("{%")?
            .strip_suffix("%}")?
            .trim_matches('-')
            .trim(),
    )
}

/// Every `{{ … }}` and `{% … %}` in `body`, with its byte offset.
pub(in crate::content) fn liquid_tags(body: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = 0;
    std::iter::from_fn(move || {
        let start = rest + body[rest..].find('{')?;
        let closer = match body[start..].get(..2)? {
            "{{" => "}}",
            "{%" => "%}",
            _ => {
                rest = start + 1;
                return Some(None);
            }
        };
        let end = start + 2 + body[start + 2..].find(closer)? + 2;
        rest = end;
        Some(Some((start, &body[start..end])))
    })
    .flatten()
}
