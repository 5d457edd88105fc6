//! The pages as policies: one file per language at each address Jekyll
//! served, named for the service (`privacy.de.md`), and the includes
//! they use.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::pages::{Address, Page};
use super::{Plan, SiteFile};
use crate::lang::Lang;

impl Plan {
    /// Each page as `<slug>.<lang>.md`: translations are pages at one
    /// address; the first privacy policy is `privacy`, any other is named
    /// after its address. A Jekyll default address becomes the
    /// `permalink`, so that the old links keep working.
    pub(super) fn add_policies(&mut self, found: Vec<Page>) {
        let mut groups: Vec<(Address, Vec<Page>)> = Vec::new();
        for page in found {
            // Pages whose address is unknown are never each other's translations.
            match groups
                .iter_mut()
                .find(|(address, _)| *address != Address::Unknown && *address == page.address)
            {
                Some((_, translations)) => translations.push(page),
                None => groups.push((page.address.clone(), vec![page])),
            }
        }
        // The policy at `/privacy` (or the first) is `privacy`, the
        // name links and the opt-out forms fall back to; the others are
        // named after their addresses.
        let suggested: Vec<String> = groups
            .iter()
            .map(|(address, pages)| address_slug(address, &pages[0].relative))
            .collect();
        let main = suggested.iter().position(|s| s == "privacy").unwrap_or(0);
        let mut taken: Vec<String> = Vec::new();
        let languages_differ = groups.len() > 1
            && groups
                .iter()
                .any(|(_, pages)| pages[0].lang != groups[0].1[0].lang);
        for (index, (address, translations)) in groups.into_iter().enumerate() {
            let candidate = if index == main {
                "privacy".to_owned()
            } else {
                suggested[index].clone()
            };
            let mut slug = candidate.clone();
            let mut n = 2;
            while taken.contains(&slug) || (index != main && slug == "privacy") {
                slug = format!("{candidate}-{n}");
                n += 1;
            }
            taken.push(slug.clone());
            let mut languages = Vec::new();
            for page in translations {
                let source = page.relative.display().to_string();
                if languages.contains(&page.lang) {
                    self.undecided.push(format!(
                        "{source}: not imported: a second {} page at {}, beside the one imported as `{slug}.{}.md`",
                        language_name(page.lang),
                        address_text(&address),
                        page.lang.code()
                    ));
                    continue;
                }
                languages.push(page.lang);
                let target = PathBuf::from(format!("{slug}.{}.md", page.lang.code()));
                let mut text = page.text;
                let mut how = format!(
                    "{source} ({}, by {})",
                    language_name(page.lang),
                    page.lang_from
                );
                match &address {
                    Address::Default(path) => {
                        text = with_permalink(&text, path);
                        let _ = write!(
                            how,
                            ", with `permalink: {path}` added: where Jekyll served it"
                        );
                    }
                    Address::Permalink(path) => {
                        let _ = write!(how, ", at its permalink {path}");
                    }
                    Address::Unknown => self.undecided.push(format!(
                        "{source}: in a collection, so its address was the collection's setting: it is now at /{slug}; add `permalink:` to its front matter to keep the old one"
                    )),
                }
                if page.html {
                    text = dedented(&text);
                    self.undecided.push(format!(
                        "{source}: written in HTML, which Jekyll does not run Markdown on: its lines are written without indentation (which Markdown would show as code); compare the page with the old one"
                    ));
                }
                self.report.push(format!("{}: {how}", target.display()));
                self.files.insert(target, text);
            }
        }
        if languages_differ {
            self.undecided.push(format!(
                "the {} policies were separate pages in Jekyll, so they are separate policies here, each at its old address; if they are one text in two languages, give the files one name (`privacy.de.md`, `privacy.en.md`) and one `permalink`, and privacy-pages picks the visitor's language",
                taken.len()
            ));
        }
    }

    /// Every `{% include %}` the pages use, and those the includes use.
    pub(super) fn add_includes(&mut self, files: &[SiteFile]) {
        let mut pending: Vec<(String, String)> = self
            .files
            .iter()
            .flat_map(|(path, text)| {
                let from = path.display().to_string();
                includes(text)
                    .into_iter()
                    .map(move |name| (name, from.clone()))
            })
            .collect();
        while let Some((name, from)) = pending.pop() {
            let target = Path::new("_includes").join(&name);
            if self.files.contains_key(&target) {
                continue;
            }
            match files.iter().find(|f| f.relative == target) {
                Some(file) => {
                    pending.extend(includes(&file.text).into_iter().map(|n| (n, name.clone())));
                    self.report
                        .push(format!("{}: used by {from}", target.display()));
                    self.files.insert(target, file.text.clone());
                }
                None => self.undecided.push(format!(
                    "{from}: includes `{name}`, which is not in the site's _includes/ (a theme's?): copy it to _includes/{name} beside the page"
                )),
            }
        }
    }
}

fn language_name(lang: Lang) -> &'static str {
    match lang {
        Lang::De => "German",
        Lang::En => "English",
    }
}

fn address_text(address: &Address) -> String {
    match address {
        Address::Permalink(path) | Address::Default(path) => path.clone(),
        Address::Unknown => "an unknown address".to_owned(),
    }
}

/// The name an address suggests: its last segment (`/cookies.html` →
/// `cookies`), else the file's; never one reserved for the service.
fn address_slug(address: &Address, relative: &Path) -> String {
    let from_address = match address {
        Address::Permalink(path) | Address::Default(path) => path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .map(|last| last.trim_end_matches(".html").to_owned()),
        Address::Unknown => None,
    };
    let stem = relative
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned());
    let slug = slug::slugify(
        from_address
            .filter(|s| !s.is_empty() && *s != "index")
            .or(stem)
            .unwrap_or_default(),
    );
    if slug.is_empty() || crate::content::is_reserved_slug(&slug) {
        "policy".to_owned()
    } else {
        slug
    }
}

/// The page with `permalink: <path>` as the last front matter line.
fn with_permalink(text: &str, path: &str) -> String {
    match crate::content::split_front_matter(text) {
        Ok(split) => {
            let yaml_end = text.len() - split.body.len();
            // The closing fence starts after the YAML, which ends in a newline (or is empty).
            let fence = text[..yaml_end]
                .trim_end_matches(['\n', '\r'])
                .rfind('\n')
                .map_or(0, |i| i + 1);
            format!("{}permalink: {path}\n{}", &text[..fence], &text[fence..])
        }
        Err(_) => text.to_owned(),
    }
}

/// An HTML page's body without indentation, unless it has `<pre>` or
/// `<textarea>`, whose whitespace is the content.
fn dedented(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    if lower.contains("<pre") || lower.contains("<textarea") {
        return text.to_owned();
    }
    text.split_inclusive('\n').map(str::trim_start).collect()
}

/// The files `{% include name %}` names in `text` (not `include_relative`,
/// not a name computed by Liquid: `check` reports those).
fn includes(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{%") {
        rest = &rest[start + 2..];
        let tag = rest.trim_start_matches('-').trim_start();
        if let Some(after) = tag.strip_prefix("include")
            && after.starts_with(char::is_whitespace)
        {
            let name: String = after
                .trim_start()
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '%')
                .collect();
            let name = name.trim_end_matches('-').to_owned();
            let plain = !name.is_empty()
                && !name.contains("{{")
                && Path::new(&name)
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)));
            if plain && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permalink_is_added_as_the_last_front_matter_line() {
        assert_eq!(
            with_permalink("---\ntitle: x\nlayout: page\n---\nBody\n---\n", "/x.html"),
            "---\ntitle: x\nlayout: page\npermalink: /x.html\n---\nBody\n---\n"
        );
        assert_eq!(
            with_permalink("---\r\ntitle: x\r\n---\r\nBody", "/x/"),
            "---\r\ntitle: x\r\npermalink: /x/\n---\r\nBody"
        );
    }

    #[test]
    fn includes_are_the_plain_names_jekyll_pastes() {
        assert_eq!(
            includes(
                "{% include a.html %} {%- include sub/b.html -%} {% include_relative c.md %} {% include {{ page.x }} %} {% include ../d.html %} {%include e.html%} {% include a.html %}"
            ),
            ["a.html", "sub/b.html", "e.html"]
        );
    }

    #[test]
    fn html_loses_its_indentation_unless_whitespace_is_content() {
        assert_eq!(
            dedented("<div>\n    <p>x</p>\n</div>\n"),
            "<div>\n<p>x</p>\n</div>\n"
        );
        let pre = "<pre>\n    code\n</pre>\n";
        assert_eq!(dedented(pre), pre);
    }

    #[test]
    fn addresses_suggest_policy_names() {
        let slug = |address: Address, path: &str| address_slug(&address, Path::new(path));
        assert_eq!(
            slug(Address::Default("/cookies.html".into()), "cookies.md"),
            "cookies"
        );
        assert_eq!(
            slug(Address::Permalink("/de/datenschutz/".into()), "x.md"),
            "datenschutz"
        );
        assert_eq!(
            slug(Address::Default("/legal/".into()), "legal/index.md"),
            "legal"
        );
        assert_eq!(
            slug(Address::Unknown, "_pages/Privacy Policy.md"),
            "privacy-policy"
        );
        assert_eq!(
            slug(Address::Permalink("/choices/".into()), "x.md"),
            "policy"
        );
    }
}
