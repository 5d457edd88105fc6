//! Jekyll-style Liquid over a document body, before Markdown (as Jekyll does).
//!
//! Strict by design: an unknown variable, filter or include is an error at
//! start-up, so a typo never reaches a visitor as an empty string.

use std::collections::BTreeMap;

use liquid::partials::{EagerCompiler, InMemorySource};
use liquid::{Object, Parser, ParserBuilder};

use super::jekyll;
use super::liquid_checks::{check_conditions_and_dates, liquid_tags, tag_body};
use crate::content::Problem;

/// A Liquid parser with the standard library of tags and filters and
/// Jekyll's own filters ([`jekyll`]), and for a site with an `_includes/`
/// folder, its files for `{% include %}`.
pub struct Liquid {
    parser: Parser,
    /// The site's `_includes/`, by name (`footer.html`): what `{% include %}` may name.
    includes: BTreeMap<String, String>,
    /// The site's policies, by name: what `{% link privacy.md %}` may name.
    policies: Vec<String>,
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
            policies: Vec::new(),
        }
    }

    /// `{% link %}` may name these policies of the site.
    pub fn with_policies(mut self, policies: Vec<String>) -> Self {
        self.policies = policies;
        self
    }

    /// A parser for a site with an `_includes/` folder, as Jekyll has one:
    /// `{% include footer.html %}` pastes `_includes/footer.html`.
    pub fn with_includes(includes: BTreeMap<String, String>) -> Result<Self, Problem> {
        let mut source = InMemorySource::new();
        for (name, text) in &includes {
            // Includes include too, as Jekyll writes it; checked per page
            // (`check_include`), where the error can name the page's line.
            let quoted = replace_tags(text, 1, |tag| {
                Ok(include_target(tag).map(|(name, _)| format!("{{% include \"{name}\" %}}")))
            })
            .unwrap_or_else(|_| text.clone());
            source.add(name.clone(), quoted);
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
        Ok(Liquid {
            parser,
            includes,
            policies: Vec::new(),
        })
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
        let body = self.resolve_links(body, body_line)?;
        let body = self.quote_includes(&body, body_line, globals)?;
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

    /// Jekyll's `{% link _pages/privacy.md %}` to a policy of this site, as
    /// its address (`/privacy`); to anything else, an error saying what to
    /// write: the rest of the Jekyll site is not here.
    fn resolve_links(&self, body: &str, body_line: usize) -> Result<String, Problem> {
        replace_tags(body, body_line, |tag| {
            let Some(path) = tag_body(tag)
                .and_then(|inner| inner.strip_prefix("link "))
                .map(str::trim)
            else {
                return Ok(None);
            };
            // `_pages/datenschutz.de.md` → `datenschutz`.
            let file = path.rsplit('/').next().unwrap_or(path);
            let name = file.split('.').next().unwrap_or(file);
            if !self.policies.iter().any(|policy| policy == name) {
                return Err(format!(
                    "`{path}` is not a policy of this site ({}); the rest of the Jekyll site is not here, so write that page's URL (`/impressum/`) instead",
                    self.policies.join(", ")
                ));
            }
            Ok(Some(format!("/{name}")))
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
        replace_tags(body, body_line, |tag| {
            let Some((name, parameters)) = include_target(tag) else {
                return Ok(None);
            };
            if self.includes.is_empty() {
                return Err(
                    "includes need the site's `_includes/` folder beside site.toml, and there is none: put the file there, or paste its text where the tag is".to_owned(),
                );
            }
            if parameters {
                return Err(PARAMETERS.to_owned());
            }
            self.check_include(name, globals, &mut Vec::new())?;
            Ok(Some(format!("{{% include \"{name}\" %}}")))
        })
    }

    /// `_includes/{name}` exists and passes the page's checks, and so does
    /// every include it includes; `chain` holds the includes on the way,
    /// so that one including itself is an error, not an endless page.
    fn check_include(
        &self,
        name: &str,
        globals: &Object,
        chain: &mut Vec<String>,
    ) -> Result<(), String> {
        let within = |reason: String| match chain.last() {
            Some(outer) => format!("in `_includes/{outer}`: {reason}"),
            None => reason,
        };
        let Some(text) = self.includes.get(name) else {
            let known: Vec<&str> = self.includes.keys().map(String::as_str).collect();
            return Err(within(format!(
                "there is no `_includes/{name}` (there are: {})",
                known.join(", ")
            )));
        };
        if chain.iter().any(|outer| outer == name) {
            return Err(format!(
                "`_includes/{name}` includes itself ({} → {name})",
                chain.join(" → ")
            ));
        }
        check_conditions_and_dates(text, 1, globals).map_err(|problem| {
            format!(
                "in `_includes/{name}` line {}: {}",
                problem.line.unwrap_or(1),
                problem.reason
            )
        })?;
        chain.push(name.to_owned());
        for (offset, tag) in liquid_tags(text) {
            if let Some((nested, parameters)) = include_target(tag) {
                if parameters {
                    return Err(format!(
                        "in `_includes/{name}` line {}: {PARAMETERS}",
                        crate::content::line_at(text, offset)
                    ));
                }
                self.check_include(nested, globals, chain)?;
            }
        }
        chain.pop();
        Ok(())
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
        Some(crate::content::line_at(body, *offset))
    }
}

impl Default for Liquid {
    fn default() -> Self {
        Liquid::new()
    }
}

/// `body` with each tag `replace` has text for replaced by it. A reason
/// from `replace` is an error on the tag's line, naming the tag; line
/// numbers stay as they were (replacements add no lines).
const PARAMETERS: &str = "include parameters (`include.<name>`) are not supported; write the text out, or set what it needs in the front matter";

/// What `{% include name %}` (or `render`) names, and whether parameters
/// follow the name.
fn include_target(tag: &str) -> Option<(&str, bool)> {
    let mut words = tag_body(tag)?.split_whitespace();
    let (Some("include" | "render"), Some(name)) = (words.next(), words.next()) else {
        return None;
    };
    Some((name.trim_matches(['"', '\'']), words.next().is_some()))
}

fn replace_tags(
    body: &str,
    body_line: usize,
    mut replace: impl FnMut(&str) -> Result<Option<String>, String>,
) -> Result<String, Problem> {
    let mut out = String::with_capacity(body.len());
    let mut rest = 0;
    for (offset, tag) in liquid_tags(body) {
        let replacement = replace(tag).map_err(|reason| {
            let line = body_line + crate::content::line_at(body, offset) - 1;
            Problem::at_line(line, format!("`{tag}`: {reason}"))
        })?;
        if let Some(replacement) = replacement {
            out.push_str(&body[rest..offset]);
            out.push_str(&replacement);
            rest = offset + tag.len();
        }
    }
    out.push_str(&body[rest..]);
    Ok(out)
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
                "`_pages/impressum.md` is not a policy of this site (); the rest of the Jekyll site is not here",
            ),
            (
                "{% post_url 2010-07-21-name %}",
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

    /// `{% link %}` to a policy of the site is its address.
    #[test]
    fn links_to_policies_of_the_site() {
        let liquid = Liquid::new().with_policies(vec!["privacy".to_owned(), "imprint".to_owned()]);
        assert_eq!(
            liquid
                .render(
                    "[Impressum]({% link _pages/imprint.de.md %}), {% link privacy.md %}",
                    1,
                    &globals()
                )
                .as_deref(),
            Ok("[Impressum](/imprint), /privacy")
        );
        let problem = liquid
            .render("a\n{% link about.md %}", 1, &globals())
            .expect_err("no such policy");
        assert_eq!(problem.line, Some(2));
        assert!(problem.reason.contains("(privacy, imprint)"), "{problem:?}");
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

    /// Jekyll's includes include (`{% include address.html %}` inside
    /// `contact.html`); before, the nested name was read as a variable.
    #[test]
    fn includes_include_and_are_checked_all_the_way_down() {
        let liquid = Liquid::with_includes(BTreeMap::from([
            (
                "contact.html".to_owned(),
                "Controller:\n{% include address.html %}".to_owned(),
            ),
            ("address.html".to_owned(), "{{ page.title }} Ltd".to_owned()),
            (
                "outer.html".to_owned(),
                "{% include inner.html %}".to_owned(),
            ),
            (
                "inner.html".to_owned(),
                "x\n{% include nope.html %}\n{% include outer.html %}".to_owned(),
            ),
            ("loop.html".to_owned(), "{% include loop.html %}".to_owned()),
            (
                "params.html".to_owned(),
                "\n{% include address.html x=1 %}".to_owned(),
            ),
            ("gated.html".to_owned(), "{% include ga.html %}".to_owned()),
            (
                "ga.html".to_owned(),
                "\n{% if site.google_analytics %}GA{% endif %}".to_owned(),
            ),
        ]))
        .expect("builds");
        assert_eq!(
            liquid
                .render("{% include contact.html %}", 1, &globals())
                .as_deref(),
            Ok("Controller:\nPrivacy Policy Ltd")
        );
        for (body, needle) in [
            (
                "{% include outer.html %}",
                "in `_includes/inner.html`: there is no `_includes/nope.html`",
            ),
            (
                "{% include loop.html %}",
                "`_includes/loop.html` includes itself (loop.html → loop.html)",
            ),
            (
                "{% include params.html %}",
                "in `_includes/params.html` line 2: include parameters",
            ),
            (
                "{% include gated.html %}",
                "in `_includes/ga.html` line 2: `{% if site.google_analytics %}`",
            ),
        ] {
            let problem = liquid.render(body, 5, &globals()).expect_err(body);
            assert_eq!(problem.line, Some(5), "{body:?}: {problem:?}");
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
