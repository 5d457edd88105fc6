//! Jekyll-style YAML front matter: split off the body, then parsed into typed
//! fields. Keys the service knows (`title`, `layout`, `robots`, `lastupdate`,
//! `changes`) are checked; any other key is kept for Liquid as `page.<key>`.

use std::collections::BTreeMap;

use serde::Deserialize;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::content::Problem;
use crate::content::model::Layout;

/// A file cut at its front matter fences. Line numbers are 1-based file lines.
#[derive(Debug, PartialEq, Eq)]
pub struct Split<'a> {
    pub yaml: &'a str,
    pub yaml_line: usize,
    pub body: &'a str,
    pub body_line: usize,
}

/// Cuts `---\n<yaml>\n---\n<body>`. The opening fence must be the first line.
pub fn split(text: &str) -> Result<Split<'_>, Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("---") {
        return Err(Problem::at_line(
            1,
            "missing front matter: a policy starts with a `---` line, YAML with at least `title:`, and a closing `---` line",
        ));
    }
    let yaml_start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = yaml_start;
    for (index, line) in lines.enumerate() {
        if matches!(line.trim_end(), "---" | "...") {
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                yaml_line: 2,
                body: &text[offset + line.len()..],
                // Line 1 is the opening fence, then `index` YAML lines, then the closing fence.
                body_line: index + 3,
            });
        }
        offset += line.len();
    }
    Err(Problem::at_line(
        1,
        "front matter opened on line 1 is never closed by a `---` line",
    ))
}

#[derive(Deserialize)]
struct RawFrontMatter {
    title: Option<String>,
    #[serde(default)]
    layout: Option<String>,
    robots: Option<String>,
    lastupdate: Option<String>,
    changes: Option<Vec<String>>,
    permalink: Option<String>,
    #[serde(default)]
    reconsent: bool,
    #[serde(flatten)]
    extra: BTreeMap<String, serde_yaml_ng::Value>,
}

/// The typed front matter of one document.
#[derive(Debug)]
pub struct FrontMatter {
    pub title: String,
    pub layout: Layout,
    /// The layout the file names (Jekyll's), for `page.layout`.
    pub layout_name: String,
    pub robots: Option<String>,
    pub lastupdate: Option<OffsetDateTime>,
    /// What this version changed, one short sentence each.
    pub changes: Vec<String>,
    /// Jekyll's `permalink:`, checked to be a plain absolute path.
    pub permalink: Option<String>,
    /// Decisions given under older versions are asked again.
    pub reconsent: bool,
    /// Every other key, for Liquid.
    pub extra: BTreeMap<String, serde_yaml_ng::Value>,
}

pub fn parse(split: &Split<'_>) -> Result<FrontMatter, Problem> {
    let raw: RawFrontMatter = if split.yaml.trim().is_empty() {
        return Err(Problem::at_line(
            split.yaml_line,
            "front matter is empty: `title:` is required",
        ));
    } else {
        serde_yaml_ng::from_str(split.yaml).map_err(|err| {
            let line = err
                .location()
                .map_or(split.yaml_line, |loc| split.yaml_line + loc.line() - 1);
            // serde_yaml_ng appends its own YAML-relative position; the file line replaces it.
            let message = err.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message);
            Problem::at_line(line, format!("invalid front matter: {message}"))
        })?
    };
    let key_line = |key: &str| split.yaml_line + yaml_key_line(split.yaml, key);

    let title = match raw.title.map(|t| t.trim().to_owned()) {
        Some(title) if !title.is_empty() => title,
        Some(_) => return Err(Problem::at_line(key_line("title"), "`title` is empty")),
        None => {
            return Err(Problem::at_line(
                split.yaml_line,
                "front matter has no `title`",
            ));
        }
    };
    // Every page here has the one layout; a Jekyll page's own (`default`,
    // `post`, `single`) names its theme's, which has no meaning here and is
    // no reason to refuse the page.
    let layout = Layout::Page;
    let layout_name = raw.layout.unwrap_or_else(|| "page".to_owned());
    let robots = raw
        .robots
        .map(|robots| {
            validate_robots(&robots).map_err(|reason| Problem::at_line(key_line("robots"), reason))
        })
        .transpose()?;
    // The keys Jekyll sites write for a page's date, the most specific first.
    let date = raw
        .lastupdate
        .map(|value| ("lastupdate", value))
        .or_else(|| {
            DATE_KEYS.iter().find_map(|key| {
                let value = match raw.extra.get(*key)? {
                    serde_yaml_ng::Value::String(text) => text.clone(),
                    other => serde_yaml_ng::to_string(other).ok()?.trim().to_owned(),
                };
                Some((*key, value))
            })
        });
    let lastupdate = date
        .map(|(key, value)| {
            parse_lastupdate(&value).ok_or_else(|| {
                Problem::at_line(
                    key_line(key),
                    format!(
                        "invalid `{key}` `{value}`: expected `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS +HHMM` or `YYYY-MM-DDTHH:MM:SS+HH:MM`"
                    ),
                )
            })
        })
        .transpose()?;

    let changes: Vec<String> = raw
        .changes
        .unwrap_or_default()
        .into_iter()
        .map(|change| change.trim().to_owned())
        .collect();
    if changes.iter().any(String::is_empty) {
        return Err(Problem::at_line(
            key_line("changes"),
            "`changes` has an empty entry: list one short sentence per change",
        ));
    }

    let permalink = raw
        .permalink
        .map(|permalink| {
            valid_permalink(&permalink).map_err(|reason| {
                Problem::at_line(
                    key_line("permalink"),
                    format!("invalid `permalink` `{permalink}`: {reason}"),
                )
            })
        })
        .transpose()?;

    Ok(FrontMatter {
        title,
        layout,
        layout_name,
        permalink,
        reconsent: raw.reconsent,
        robots,
        lastupdate,
        changes,
        extra: raw.extra,
    })
}

/// After `lastupdate`, the other keys Jekyll sites give a page's date:
/// jekyll-last-modified-at's, a common theme key, and the post date.
const DATE_KEYS: [&str; 3] = ["last_modified_at", "modified", "date"];

/// Jekyll's date forms: `2022-10-20 00:00:00 +0000`, ISO 8601
/// (`2018-09-02T22:34:00+01:00`, `…Z`), or a bare `2022-10-20` (midnight
/// UTC); without an offset, UTC.
pub fn parse_lastupdate(value: &str) -> Option<OffsetDateTime> {
    let value = value.trim();
    let full = format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    let no_offset = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let date_only = format_description!("[year]-[month]-[day]");
    let iso_no_offset = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let with_colon = format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
    );
    OffsetDateTime::parse(value, full)
        .ok()
        .or_else(|| {
            OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).ok()
        })
        .or_else(|| OffsetDateTime::parse(value, with_colon).ok())
        .or_else(|| {
            PrimitiveDateTime::parse(value, iso_no_offset)
                .ok()
                .map(|dt| dt.assume_offset(UtcOffset::UTC))
        })
        .or_else(|| {
            PrimitiveDateTime::parse(value, no_offset)
                .ok()
                .map(|dt| dt.assume_offset(UtcOffset::UTC))
        })
        .or_else(|| {
            time::Date::parse(value, date_only)
                .ok()
                .map(|date| date.midnight().assume_offset(UtcOffset::UTC))
        })
}

/// `lastupdate` as Jekyll would print it, the form Liquid's `date` filter reads.
pub fn jekyll_date(value: OffsetDateTime) -> String {
    let format = format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    value
        .format(format)
        .unwrap_or_else(|_| value.date().to_string())
}

/// A permalink is an absolute path the service can answer at: no
/// placeholders (`/:title/`), no `.` or `..` segments, nothing to escape.
fn valid_permalink(value: &str) -> Result<String, &'static str> {
    let value = value.trim();
    if value.contains(':') {
        return Err("Jekyll's placeholders (`/:title/`) are not supported; write the path");
    }
    let plain = value.starts_with('/')
        && value.len() > 1
        && !value.contains("//")
        && !value
            .split('/')
            .any(|segment| segment == "." || segment == "..")
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~'));
    if plain {
        Ok(value.to_owned())
    } else {
        Err("expected a path such as `/datenschutz/`")
    }
}

/// `noindex,nofollow`: comma-separated directive tokens, nothing that needs escaping.
fn validate_robots(value: &str) -> Result<String, String> {
    let tokens: Vec<&str> = value.split(',').map(str::trim).collect();
    let valid = tokens.iter().all(|token| {
        !token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b':'))
    });
    if valid {
        Ok(tokens.join(","))
    } else {
        Err(format!(
            "invalid `robots` `{value}`: expected comma-separated directives such as `noindex,nofollow`"
        ))
    }
}

/// 0-based index of the line in `yaml` that sets top-level `key`, or 0.
fn yaml_key_line(yaml: &str, key: &str) -> usize {
    yaml.lines()
        .position(|line| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_jekyll_front_matter() {
        let text = "---\nlayout: page\ntitle: Privacy Policy\n---\n\n## 1. An overview\n";
        let split = split(text).expect("valid");
        assert_eq!(split.yaml, "layout: page\ntitle: Privacy Policy\n");
        assert_eq!(split.yaml_line, 2);
        assert_eq!(split.body, "\n## 1. An overview\n");
        assert_eq!(split.body_line, 5);
    }

    #[test]
    fn split_errors_name_the_line() {
        for (text, line) in [
            ("# no front matter\n", 1),
            ("---\ntitle: x\n", 1),
            ("", 1),
            ("\n---\ntitle: x\n---\n", 1),
        ] {
            assert_eq!(split(text).expect_err(text).line, Some(line), "{text:?}");
        }
    }

    #[test]
    fn split_accepts_bom_and_crlf() {
        let split = split("\u{feff}---\r\ntitle: x\r\n---\r\nbody").expect("valid");
        assert_eq!(split.yaml, "title: x\r\n");
        assert_eq!(split.body, "body");
    }

    fn parse_str(text: &str) -> Result<FrontMatter, Problem> {
        parse(&split(text)?)
    }

    #[test]
    fn parses_the_seed_front_matter() {
        let fm = parse_str(
            "---\nlayout: page\ntitle: Privacy Policy\nrobots: noindex,nofollow\nlastupdate: 2022-10-20 00:00:00 +0000\nauthor: Gina\n---\n",
        )
        .expect("valid");
        assert_eq!(fm.title, "Privacy Policy");
        assert_eq!(fm.layout, Layout::Page);
        assert_eq!(fm.robots.as_deref(), Some("noindex,nofollow"));
        assert_eq!(
            fm.lastupdate.map(|d| d.date().to_string()).as_deref(),
            Some("2022-10-20")
        );
        assert!(fm.extra.contains_key("author"));
    }

    #[test]
    fn lastupdate_forms() {
        for (input, expected) in [
            (
                "2022-10-20 00:00:00 +0000",
                Some("2022-10-20 00:00:00 +0000"),
            ),
            (
                "2021-10-14 10:39:00 +0200",
                Some("2021-10-14 10:39:00 +0200"),
            ),
            ("2018-05-22", Some("2018-05-22 00:00:00 +0000")),
            ("2018-05-22 12:00:00", Some("2018-05-22 12:00:00 +0000")),
            (
                "2018-09-02T22:34:00+01:00",
                Some("2018-09-02 22:34:00 +0100"),
            ),
            ("2018-09-02T22:34:00Z", Some("2018-09-02 22:34:00 +0000")),
            (
                "2018-09-02T22:34:00.5-05:00",
                Some("2018-09-02 22:34:00 -0500"),
            ),
            ("2018-09-02T22:34:00", Some("2018-09-02 22:34:00 +0000")),
            (
                "2018-09-02 22:34:00 +01:00",
                Some("2018-09-02 22:34:00 +0100"),
            ),
            ("22.05.2018", None),
            ("2018-13-01", None),
            ("yesterday", None),
        ] {
            assert_eq!(
                parse_lastupdate(input).map(jekyll_date).as_deref(),
                expected,
                "{input}"
            );
        }
    }

    /// Jekyll pages come with their theme's layout and their own date keys.
    #[test]
    fn jekyll_layouts_and_date_keys() {
        for layout in ["default", "post", "single", "page"] {
            let fm = parse_str(&format!("---\ntitle: x\nlayout: {layout}\n---\n")).expect(layout);
            assert_eq!(fm.layout, Layout::Page);
            assert_eq!(fm.layout_name, layout);
        }
        for (yaml, expected) in [
            ("date: 2018-09-02T22:34:00+01:00", "2018-09-02"),
            ("last_modified_at: 2021-01-05", "2021-01-05"),
            ("modified: 2020-03-04 10:00:00 +0000", "2020-03-04"),
            // The most specific wins: lastupdate, then last_modified_at, modified, date.
            (
                "date: 2018-01-01\nlast_modified_at: 2019-02-02",
                "2019-02-02",
            ),
            ("lastupdate: 2022-10-20\ndate: 2018-01-01", "2022-10-20"),
        ] {
            let fm = parse_str(&format!("---\ntitle: x\n{yaml}\n---\n")).expect(yaml);
            assert_eq!(
                fm.lastupdate.map(|d| d.date().to_string()).as_deref(),
                Some(expected),
                "{yaml}"
            );
            // Still there for Liquid as `page.<key>`.
            assert!(
                yaml.starts_with("lastupdate") || !fm.extra.is_empty(),
                "{yaml}"
            );
        }
        let problem = parse_str("---\ntitle: x\ndate: someday\n---\n").expect_err("bad date");
        assert_eq!(problem.line, Some(3));
        assert!(
            problem.reason.contains("invalid `date` `someday`"),
            "{problem:?}"
        );
    }

    #[test]
    fn errors_point_at_the_offending_key() {
        for (text, line, needle) in [
            (
                "---\ntitle: x\nlastupdate: soon\n---\n",
                3,
                "invalid `lastupdate`",
            ),
            ("---\nlayout: page\n---\n", 2, "no `title`"),
            ("---\ntitle: \"  \"\n---\n", 2, "`title` is empty"),
            (
                "---\ntitle: x\nrobots: \"<script>\"\n---\n",
                3,
                "invalid `robots`",
            ),
            (
                "---\ntitle: x\nfoo: bar: baz\n---\n",
                3,
                "invalid front matter",
            ),
            ("---\n---\n", 2, "front matter is empty"),
            (
                "---\ntitle: x\npermalink: /:categories/:title/\n---\n",
                3,
                "placeholders (`/:title/`) are not supported",
            ),
            (
                "---\ntitle: x\npermalink: datenschutz\n---\n",
                3,
                "invalid `permalink` `datenschutz`",
            ),
            (
                "---\ntitle: x\npermalink: /a/../b/\n---\n",
                3,
                "invalid `permalink`",
            ),
        ] {
            let problem = parse_str(text).expect_err(text);
            assert_eq!(problem.line, Some(line), "{text:?}: {problem:?}");
            assert!(problem.reason.contains(needle), "{text:?}: {problem:?}");
        }
    }
}
