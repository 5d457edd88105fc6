//! Jekyll-style Liquid over a document body, before Markdown (as Jekyll does).
//!
//! Strict by design: an unknown variable, filter or include is an error at
//! start-up, so a typo never reaches a visitor as an empty string.

use liquid::model::ValueView;
use std::collections::BTreeMap;

use liquid::partials::{EagerCompiler, InMemorySource};
use liquid::{Object, Parser, ParserBuilder};

use super::{Problem, jekyll};

/// A Liquid parser with the standard library of tags and filters and
/// Jekyll's own filters ([`jekyll`]), and for a site with an `_includes/`
/// folder, its files for `{% include %}`.
pub struct Liquid {
    parser: Parser,
    /// The site's `_includes/`, by name (`footer.html`): what `{% include %}` may name.
    includes: BTreeMap<String, String>,
}

impl Liquid {
    #[expect(
        clippy::expect_used,
        reason = "building fails only for a misconfigured partial source, and there is none"
    )]
    pub fn new() -> Self {
        let parser = Self::builder()
            .build()
            .expect("the standard Liquid library always builds");
        Liquid {
            parser,
            includes: BTreeMap::new(),
        }
    }

    /// A parser for a site with an `_includes/` folder, as Jekyll has one:
    /// `{% include footer.html %}` pastes `_includes/footer.html`.
    pub fn with_includes(includes: BTreeMap<String, String>) -> Result<Self, Problem> {
        let mut source = InMemorySource::new();
        for (name, text) in &includes {
            source.add(name.clone(), text.clone());
        }
        let parser = Self::builder()
            .partials(EagerCompiler::new(source))
            .build()
            .map_err(|err| {
                Problem::in_file(format!(
                    "`_includes/`: {}",
                    flatten_message(&err.to_string())
                ))
            })?;
        Ok(Liquid { parser, includes })
    }

    /// Liquid's standard library and Jekyll's filters.
    fn builder() -> ParserBuilder {
        ParserBuilder::with_stdlib()
            .filter(jekyll::RelativeUrl)
            .filter(jekyll::AbsoluteUrl)
            .filter(jekyll::DateToString)
            .filter(jekyll::DateToLongString)
            .filter(jekyll::Slugify)
            .filter(jekyll::XmlEscape)
            .filter(jekyll::Jsonify)
            .filter(jekyll::Markdownify)
    }

    /// Renders `body`, whose first line is line `body_line` of its file.
    pub fn render(
        &self,
        body: &str,
        body_line: usize,
        globals: &Object,
    ) -> Result<String, Problem> {
        if !body.contains("{{") && !body.contains("{%") {
            return Ok(body.to_owned());
        }
        let body = self.quote_includes(body, body_line, globals)?;
        let body = body.as_str();
        check_conditions_and_dates(body, body_line, globals)?;
        let result = self
            .parser
            .parse(body)
            .and_then(|template| template.render(globals));
        result.map_err(|err| {
            let message = err.to_string();
            let line = parse_error_line(&message)
                .map(|line| body_line + line - 1)
                .or_else(|| {
                    self.failing_tag_line(body, globals, &message)
                        .map(|line| body_line + line - 1)
                })
                .unwrap_or(body_line);
            Problem::at_line(line, format!("Liquid: {}", flatten_message(&message)))
        })
    }

    /// Jekyll's `{% include footer.html %}` as Liquid reads it
    /// (`{% include "footer.html" %}`), once the file is known to be in
    /// `_includes/` and to pass the same checks as the page.
    fn quote_includes(
        &self,
        body: &str,
        body_line: usize,
        globals: &Object,
    ) -> Result<String, Problem> {
        let mut out = String::with_capacity(body.len());
        let mut rest = 0;
        for (offset, tag) in liquid_tags(body) {
            let inner = tag
                .trim_start_matches("{%")
                .trim_end_matches("%}")
                .trim_matches('-')
                .trim();
            let mut words = inner.split_whitespace();
            let (Some("include" | "render"), Some(name)) = (words.next(), words.next()) else {
                continue;
            };
            let line = body_line + super::line_at(body, offset) - 1;
            let name = name.trim_matches(['"', '\'']);
            let fail = |reason: String| Err(Problem::at_line(line, format!("`{tag}`: {reason}")));
            if self.includes.is_empty() {
                return fail(
                    "includes need the site's `_includes/` folder beside site.toml, and there is none: put the file there, or paste its text where the tag is".to_owned(),
                );
            }
            let Some(text) = self.includes.get(name) else {
                let known: Vec<&str> = self.includes.keys().map(String::as_str).collect();
                return fail(format!(
                    "there is no `_includes/{name}` (there are: {})",
                    known.join(", ")
                ));
            };
            if words.next().is_some() {
                return fail(
                    "include parameters (`include.<name>`) are not supported; write the text out, or set what it needs in the front matter".to_owned(),
                );
            }
            check_conditions_and_dates(text, 1, globals).map_err(|problem| {
                Problem::at_line(
                    line,
                    format!(
                        "in `_includes/{name}` line {}: {}",
                        problem.line.unwrap_or(1),
                        problem.reason
                    ),
                )
            })?;
            out.push_str(&body[rest..offset]);
            out.push_str(&format!("{{% include \"{name}\" %}}"));
            rest = offset + tag.len();
        }
        out.push_str(&body[rest..]);
        Ok(out)
    }

    /// Liquid reports the position of syntax errors but not of unknown
    /// variables or filters. Re-render each tag on its own and return the
    /// (1-based, body-relative) line of the first that fails the same way.
    fn failing_tag_line(&self, body: &str, globals: &Object, message: &str) -> Option<usize> {
        let failures: Vec<(usize, String)> = liquid_tags(body)
            .filter_map(|(offset, tag)| {
                let err = self
                    .parser
                    .parse(tag)
                    .and_then(|template| template.render(globals))
                    .err()?;
                Some((offset, err.to_string()))
            })
            .collect();
        let (offset, _) = failures
            .iter()
            .find(|(_, err)| err == message)
            .or_else(|| failures.first())?;
        Some(super::line_at(body, *offset))
    }
}

impl Default for Liquid {
    fn default() -> Self {
        Liquid::new()
    }
}

/// What Liquid itself lets pass and a policy must not: a condition on a
/// variable that does not exist (Liquid reads it as false, and the text
/// inside disappears without a word), and a date printed from `"now"`
/// (it would change with every restart of the service).
fn check_conditions_and_dates(
    body: &str,
    body_line: usize,
    globals: &Object,
) -> Result<(), Problem> {
    let tags: Vec<(usize, &str)> = liquid_tags(body).collect();
    let defined = defined_names(&tags);
    for (offset, tag) in &tags {
        let line = || body_line + super::line_at(body, *offset) - 1;
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
    let inner = tag.strip_prefix("{%")?.strip_suffix("%}")?;
    let name = inner.trim_matches('-').split_whitespace().next()?;
    if LIQUID_TAGS.contains(&name)
        || name
            .strip_prefix("end")
            .is_some_and(|n| LIQUID_TAGS.contains(&n))
    {
        return None;
    }
    Some(match name {
        "link" | "post_url" => format!(
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
    let inner = tag.strip_prefix("{%")?.strip_suffix("%}")?;
    let inner = inner.trim_matches('-').trim();
    ["if ", "elsif ", "unless "]
        .iter()
        .find_map(|keyword| inner.strip_prefix(keyword))
}

/// Names a template defines for itself (`assign`, `capture`, loop
/// variables), which a condition may use.
fn defined_names(tags: &[(usize, &str)]) -> Vec<String> {
    let mut names = vec!["forloop".to_owned(), "tablerowloop".to_owned()];
    for (_, tag) in tags {
        let Some(inner) = tag.strip_prefix("{%").and_then(|t| t.strip_suffix("%}")) else {
            continue;
        };
        let mut words = inner.trim_matches('-').split_whitespace();
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

/// Every `{{ … }}` and `{% … %}` in `body`, with its byte offset.
fn liquid_tags(body: &str) -> impl Iterator<Item = (usize, &str)> {
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

/// Liquid's syntax errors read `liquid:  --> 2:6 …`.
fn parse_error_line(message: &str) -> Option<usize> {
    let position = message.split("-->").nth(1)?.split_whitespace().next()?;
    position.split(':').next()?.parse().ok()
}

/// Liquid's multi-line error text as one line for `file:line: reason`.
fn flatten_message(message: &str) -> String {
    let message = message.trim_start_matches("liquid:").trim();
    if let Some(reason) = message.lines().find_map(|l| l.trim().strip_prefix("= ")) {
        return reason.trim().to_owned();
    }
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let head = lines.next().unwrap_or("error").to_owned();
    // Liquid lists the available names in hash order; sorted, the message is stable.
    let context: Vec<String> = lines
        .filter(|l| *l != "with:")
        .map(|line| match line.split_once('=') {
            Some((key, values)) if key.starts_with("available") => {
                let mut values: Vec<&str> = values.split(", ").collect();
                values.sort_unstable();
                format!("{key}={}", values.join(", "))
            }
            _ => line.to_owned(),
        })
        .collect();
    if context.is_empty() {
        head
    } else {
        format!("{head} ({})", context.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globals() -> Object {
        liquid::object!({
            "page": { "title": "Privacy Policy", "lastupdate": "2022-10-20 00:00:00 +0000" },
        })
    }

    #[test]
    fn renders_jekyll_dates() {
        let liquid = Liquid::new();
        for (template, expected) in [
            (
                r#"last updated on {{ page.lastupdate | date: "%B %-d, %Y" }}."#,
                "last updated on October 20, 2022.",
            ),
            (
                r#"am {{ page.lastupdate | date: "%d.%m.%Y" }}."#,
                "am 20.10.2022.",
            ),
            ("{{ page.title }}", "Privacy Policy"),
            ("no tags {: at all }", "no tags {: at all }"),
        ] {
            assert_eq!(
                liquid.render(template, 1, &globals()).as_deref(),
                Ok(expected)
            );
        }
    }

    #[test]
    fn errors_name_the_line_of_the_failing_tag() {
        let liquid = Liquid::new();
        for (body, line, needle) in [
            ("a\n\nb {{ page.nope }}\n", 12, "Unknown index"),
            ("a\n{{ page.title | frobnicate }}\n", 11, "Unknown filter"),
            (
                "{{ page.title }}\n\n{% include footer.html %}\n",
                12,
                "includes need the site's `_includes/` folder",
            ),
            ("a\n{% if %}\n", 11, "expected"),
            ("{{ site.name }}", 10, "Unknown variable"),
            // Liquid itself would read these as false and drop the text.
            (
                "a\n{% if site.google_analytics %}GA is used.{% endif %}\n",
                11,
                "`site.google_analytics` is not defined",
            ),
            (
                "{% unless page.nope %}x{% endunless %}",
                10,
                "`page.nope` is not defined",
            ),
            (
                "{% if page.title == 'x' %}{% elsif page.robots contains 'no' %}{% endif %}",
                10,
                "`page.robots` is not defined",
            ),
            (
                "See {% link _pages/impressum.md %}.",
                10,
                "write that page's URL",
            ),
            ("{% seo %}", 10, "`seo` is not a Liquid tag"),
            (
                "Updated {{ \"now\" | date: \"%Y-%m-%d\" }}.",
                10,
                "a date from \"now\" changes whenever the service starts",
            ),
        ] {
            let problem = liquid.render(body, 10, &globals()).expect_err(body);
            assert_eq!(problem.line, Some(line), "{body:?}: {problem:?}");
            assert!(problem.reason.contains(needle), "{body:?}: {problem:?}");
            assert!(!problem.reason.contains('\n'), "{problem:?}");
        }
    }

    /// Jekyll's own filters, as Jekyll pages use them.
    #[test]
    fn jekyll_filters() {
        let liquid = Liquid::new();
        let globals = liquid::object!({
            "page": { "title": "Privacy Policy", "lastupdate": "2022-10-20 00:00:00 +0000", "tags": ["a", "b"] },
            "site": { "url": "https://blog.example", "baseurl": "/blog" },
        });
        for (template, expected) in [
            ("{{ '/impressum/' | relative_url }}", "/blog/impressum/"),
            (
                "{{ 'assets/x.pdf' | absolute_url }}",
                "https://blog.example/blog/assets/x.pdf",
            ),
            (
                "{{ 'https://other.example/' | absolute_url }}",
                "https://other.example/",
            ),
            ("{{ page.lastupdate | date_to_string }}", "20 Oct 2022"),
            (
                "{{ page.lastupdate | date_to_long_string }}",
                "20 October 2022",
            ),
            (
                "{{ '2018-09-02T22:34:00+01:00' | date_to_string }}",
                "02 Sep 2018",
            ),
            ("{{ 'Über uns & Kontakt' | slugify }}", "uber-uns-kontakt"),
            (
                "{{ 'a < b & \"c\"' | xml_escape }}",
                "a &lt; b &amp; &quot;c&quot;",
            ),
            ("{{ page.tags | jsonify }}", "[\"a\",\"b\"]"),
            (
                "{{ '**bold** text' | markdownify }}",
                "<p><strong>bold</strong> text</p>\n",
            ),
        ] {
            assert_eq!(
                liquid.render(template, 1, &globals).as_deref(),
                Ok(expected),
                "{template}"
            );
        }
        let problem = liquid
            .render("{{ 'soon' | date_to_string }}", 1, &globals)
            .expect_err("not a date");
        assert!(
            problem.reason.contains("`date_to_string` needs a date"),
            "{problem:?}"
        );
    }

    /// Jekyll's `_includes/`: pasted by name, checked like the page, and
    /// every error names the including line.
    #[test]
    fn includes_from_the_sites_includes_folder() {
        let liquid = Liquid::with_includes(BTreeMap::from([
            (
                "contact.html".to_owned(),
                "Write to {{ page.title }}.".to_owned(),
            ),
            (
                "ga.html".to_owned(),
                "intro\n{% if site.google_analytics %}GA{% endif %}".to_owned(),
            ),
        ]))
        .expect("builds");
        assert_eq!(
            liquid
                .render(
                    "A\n{% include contact.html %}\n{% include 'contact.html' %}",
                    1,
                    &globals()
                )
                .as_deref(),
            Ok("A\nWrite to Privacy Policy.\nWrite to Privacy Policy.")
        );
        for (body, line, needle) in [
            (
                "a\n{% include nope.html %}",
                11,
                "there is no `_includes/nope.html` (there are: contact.html, ga.html)",
            ),
            (
                "{% include contact.html lang=\"de\" %}",
                10,
                "include parameters",
            ),
            (
                "\n\n{% include ga.html %}",
                12,
                "in `_includes/ga.html` line 2: `{% if site.google_analytics %}`",
            ),
        ] {
            let problem = liquid.render(body, 10, &globals()).expect_err(body);
            assert_eq!(problem.line, Some(line), "{body:?}: {problem:?}");
            assert!(problem.reason.contains(needle), "{body:?}: {problem:?}");
        }
    }

    #[test]
    fn conditions_on_what_exists_pass() {
        let liquid = Liquid::new();
        for (template, expected) in [
            ("{% if page.title %}yes{% endif %}", "yes"),
            ("{% if page.title.size > 3 %}long{% endif %}", "long"),
            (
                "{% if page.title == \"Privacy Policy\" and true %}same{% endif %}",
                "same",
            ),
            ("{% assign x = 1 %}{% if x == 1 %}one{% endif %}", "one"),
            (
                "{% for i in (1..2) %}{% if forloop.first %}first{% endif %}{% endfor %}",
                "first",
            ),
            (
                "{% if 'a b' contains 'a' %}quoted words are not variables{% endif %}",
                "quoted words are not variables",
            ),
        ] {
            assert_eq!(
                liquid.render(template, 1, &globals()).as_deref(),
                Ok(expected),
                "{template}"
            );
        }
    }

    #[test]
    fn finds_tags() {
        let tags: Vec<_> = liquid_tags("a { {{ x }} {% y %} {{ unclosed").collect();
        assert_eq!(tags, vec![(4, "{{ x }}"), (12, "{% y %}")]);
    }
}
