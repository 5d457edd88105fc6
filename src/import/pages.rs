//! Which pages of a Jekyll site are its privacy policy, in which language,
//! and at which address Jekyll served them.

use std::path::{Component, Path, PathBuf};

use super::SiteFile;
use crate::content::split_front_matter;
use crate::lang::Lang;

/// What `_config.yml` says that matters to an import.
#[derive(Debug, Default)]
pub struct JekyllConfig {
    pub title: Option<String>,
    pub url: Option<String>,
    pub baseurl: Option<String>,
    pub lang: Option<Lang>,
    /// `permalink: pretty`: pages live at `/name/` rather than `/name.html`.
    pub pretty: bool,
}

impl JekyllConfig {
    pub fn parse(yaml: &serde_yaml_ng::Value) -> Self {
        let text = |key: &str| {
            yaml.get(key)
                .and_then(serde_yaml_ng::Value::as_str)
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        JekyllConfig {
            title: text("title"),
            url: text("url"),
            baseurl: text("baseurl").filter(|base| base != "/"),
            lang: text("lang")
                .or_else(|| text("locale"))
                .and_then(|l| lang(&l)),
            pretty: text("permalink").as_deref() == Some("pretty"),
        }
    }
}

/// Where Jekyll served a page.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Address {
    /// `permalink:` in its front matter, as written.
    Permalink(String),
    /// Jekyll's default for a page without one (`/datenschutz.html`).
    Default(String),
    /// A page in a collection (`_pages/`): its address is the collection's
    /// setting, which the import does not know.
    Unknown,
}

/// A privacy page of the site.
#[derive(Debug)]
pub struct Page {
    pub relative: PathBuf,
    pub text: String,
    pub lang: Lang,
    /// How the language was decided, for the report.
    pub lang_from: &'static str,
    pub address: Address,
    /// Written in HTML (`.html`), which Jekyll does not run Markdown on.
    pub html: bool,
}

/// The privacy pages among `files`, and the ones passed over with why.
pub fn find(files: &[SiteFile], config: &JekyllConfig) -> (Vec<Page>, Vec<String>) {
    let mut pages = Vec::new();
    let mut notes = Vec::new();
    for file in files.iter().filter(|file| is_page(&file.relative)) {
        let Ok(split) = split_front_matter(&file.text) else {
            continue; // Without front matter Jekyll copies the file as it is.
        };
        let Ok(serde_yaml_ng::Value::Mapping(front)) =
            serde_yaml_ng::from_str::<serde_yaml_ng::Value>(split.yaml)
        else {
            continue;
        };
        let key = |key: &str| {
            front
                .get(key)
                .and_then(serde_yaml_ng::Value::as_str)
                .map(str::trim)
        };
        let permalink = key("permalink").map(str::to_owned);
        let named = [
            file.relative.to_string_lossy().to_lowercase(),
            permalink.clone().unwrap_or_default().to_lowercase(),
            key("title").unwrap_or_default().to_lowercase(),
        ];
        if !named
            .iter()
            .any(|name| name.contains("privacy") || name.contains("datenschutz"))
        {
            continue;
        }
        let declared = key("lang")
            .or_else(|| key("language"))
            .or_else(|| key("locale"));
        let (lang, lang_from) = match declared {
            Some(code) => match self::lang(code) {
                Some(lang) => (lang, "its front matter"),
                None => {
                    notes.push(format!(
                        "{}: not imported: its language `{code}` is neither German nor English, the languages privacy-pages serves",
                        file.relative.display()
                    ));
                    continue;
                }
            },
            None => match config.lang {
                Some(lang) => (lang, "`_config.yml`"),
                None => (words_language(split.body), "its words"),
            },
        };
        let address = match permalink {
            Some(permalink) => Address::Permalink(permalink),
            None => default_address(&file.relative, config.pretty),
        };
        pages.push(Page {
            relative: file.relative.clone(),
            text: file.text.clone(),
            lang,
            lang_from,
            address,
            html: has_extension(&file.relative, &["html", "htm"]),
        });
    }
    (pages, notes)
}

/// `de`, `de_DE`, `en-US` as a language privacy-pages serves.
fn lang(code: &str) -> Option<Lang> {
    code.get(..2)?.parse().ok()
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| extensions.iter().any(|e| ext.eq_ignore_ascii_case(e)))
}

/// A page Jekyll renders: Markdown or HTML, outside the folders that hold
/// templates, data, blog posts and the built site.
fn is_page(relative: &Path) -> bool {
    const NOT_PAGES: [&str; 7] = [
        "_layouts",
        "_includes",
        "_data",
        "_sass",
        "_posts",
        "_drafts",
        "_site",
    ];
    let first = relative.components().next();
    has_extension(relative, &["md", "markdown", "html", "htm"])
        && !first.is_some_and(|c| NOT_PAGES.iter().any(|dir| c.as_os_str() == *dir))
}

/// Jekyll's address for a page without a permalink: `/dir/name.html`, or
/// `/dir/name/` under `permalink: pretty`; an index is its folder's.
fn default_address(relative: &Path, pretty: bool) -> Address {
    let mut parts: Vec<String> = Vec::new();
    for component in relative.parent().into_iter().flat_map(Path::components) {
        let Component::Normal(part) = component else {
            return Address::Unknown;
        };
        parts.push(part.to_string_lossy().into_owned());
    }
    if parts.first().is_some_and(|dir| dir.starts_with('_')) {
        return Address::Unknown;
    }
    let stem = relative
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folder: String = parts.iter().map(|part| format!("/{part}")).collect();
    Address::Default(if stem == "index" {
        format!("{folder}/")
    } else if pretty {
        format!("{folder}/{stem}/")
    } else {
        format!("{folder}/{stem}.html")
    })
}

/// German or English, by which language's most common words the text
/// uses more: enough to tell a Datenschutzerklärung from a privacy policy.
fn words_language(text: &str) -> Lang {
    const GERMAN: [&str; 12] = [
        "der", "die", "das", "und", "ist", "sie", "ihre", "nicht", "wir", "mit", "von", "zu",
    ];
    const ENGLISH: [&str; 12] = [
        "the", "and", "is", "you", "your", "not", "we", "with", "of", "to", "this", "are",
    ];
    let (mut german, mut english) = (0, 0);
    for word in text
        .split(|c: char| !c.is_alphabetic())
        .map(str::to_lowercase)
    {
        german += usize::from(GERMAN.contains(&word.as_str()));
        english += usize::from(ENGLISH.contains(&word.as_str()));
    }
    if german > english { Lang::De } else { Lang::En }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)]) -> Vec<SiteFile> {
        files
            .iter()
            .map(|(relative, text)| SiteFile {
                relative: PathBuf::from(relative),
                text: (*text).to_owned(),
            })
            .collect()
    }

    #[test]
    fn privacy_pages_are_found_by_name_permalink_or_title() {
        let files = site(&[
            (
                "privacy.md",
                "---\ntitle: Privacy Policy\n---\nWe and you.\n",
            ),
            (
                "_pages/rechtliches.md",
                "---\ntitle: Datenschutzerklärung\nlang: de_DE\n---\nText\n",
            ),
            (
                "legal/index.html",
                "---\ntitle: Legal\npermalink: /datenschutz/\n---\n<p>Die und der</p>\n",
            ),
            (
                "_posts/2020-01-01-privacy.md",
                "---\ntitle: Why privacy matters\n---\n",
            ),
            ("about.md", "---\ntitle: About\n---\n"),
            (
                "privacy-raw.md",
                "no front matter: copied by Jekyll as it is\n",
            ),
            ("datenschutz.fr.md", "---\ntitle: x\nlang: fr\n---\n"),
        ]);
        let (pages, notes) = find(&files, &JekyllConfig::default());
        let found: Vec<(&str, Lang, &str, &Address, bool)> = pages
            .iter()
            .map(|p| {
                (
                    p.relative.to_str().unwrap(),
                    p.lang,
                    p.lang_from,
                    &p.address,
                    p.html,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "privacy.md",
                    Lang::En,
                    "its words",
                    &Address::Default("/privacy.html".into()),
                    false
                ),
                (
                    "_pages/rechtliches.md",
                    Lang::De,
                    "its front matter",
                    &Address::Unknown,
                    false
                ),
                (
                    "legal/index.html",
                    Lang::De,
                    "its words",
                    &Address::Permalink("/datenschutz/".into()),
                    true
                ),
            ]
        );
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("`fr` is neither German nor English"));
    }

    #[test]
    fn default_addresses_follow_jekyll() {
        let address = |path: &str, pretty| default_address(Path::new(path), pretty);
        assert_eq!(
            address("privacy.md", false),
            Address::Default("/privacy.html".into())
        );
        assert_eq!(
            address("privacy.md", true),
            Address::Default("/privacy/".into())
        );
        assert_eq!(
            address("de/datenschutz/index.md", false),
            Address::Default("/de/datenschutz/".into())
        );
        assert_eq!(address("_pages/privacy.md", false), Address::Unknown);
    }

    #[test]
    fn the_config_names_the_language_and_the_permalink_style() {
        let yaml = serde_yaml_ng::from_str(
            "title: Mein Blog\nurl: https://blog.example\nbaseurl: \"\"\nlocale: de-DE\npermalink: pretty\n",
        )
        .unwrap();
        let config = JekyllConfig::parse(&yaml);
        assert_eq!(config.title.as_deref(), Some("Mein Blog"));
        assert_eq!(config.url.as_deref(), Some("https://blog.example"));
        assert_eq!(config.baseurl, None);
        assert_eq!(config.lang, Some(Lang::De));
        assert!(config.pretty);
    }
}
