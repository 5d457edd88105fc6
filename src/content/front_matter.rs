//! Jekyll-style YAML front matter: split off the body, then parsed into typed
//! fields. Keys the service knows (`title`, `layout`, `robots`, `lastupdate`,
//! `changes`) are checked; any other key is kept for Liquid as `page.<key>`.

use std::collections::BTreeMap;

use serde::Deserialize;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::Problem;
use super::model::Layout;

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
    #[serde(flatten)]
    extra: BTreeMap<String, serde_yaml_ng::Value>,
}

/// The typed front matter of one document.
#[derive(Debug)]
pub struct FrontMatter {
    pub title: String,
    pub layout: Layout,
    pub robots: Option<String>,
    pub lastupdate: Option<OffsetDateTime>,
    /// What this version changed, one short sentence each.
    pub changes: Vec<String>,
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
    let layout = match raw.layout.as_deref() {
        None | Some("page") => Layout::Page,
        Some(other) => {
            return Err(Problem::at_line(
                key_line("layout"),
                format!("unknown layout `{other}` (known: page)"),
            ));
        }
    };
    let robots = raw
        .robots
        .map(|robots| {
            validate_robots(&robots).map_err(|reason| Problem::at_line(key_line("robots"), reason))
        })
        .transpose()?;
    let lastupdate = raw
        .lastupdate
        .map(|value| {
            parse_lastupdate(&value).ok_or_else(|| {
                Problem::at_line(
                    key_line("lastupdate"),
                    format!(
                        "invalid `lastupdate` `{value}`: expected `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS +HHMM`"
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

    Ok(FrontMatter {
        title,
        layout,
        robots,
        lastupdate,
        changes,
        extra: raw.extra,
    })
}

/// Jekyll's date forms: `2022-10-20 00:00:00 +0000` or a bare `2022-10-20` (midnight UTC).
pub fn parse_lastupdate(value: &str) -> Option<OffsetDateTime> {
    let value = value.trim();
    let full = format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    let no_offset = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let date_only = format_description!("[year]-[month]-[day]");
    OffsetDateTime::parse(value, full)
        .ok()
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

    #[test]
    fn errors_point_at_the_offending_key() {
        for (text, line, needle) in [
            (
                "---\ntitle: x\nlayout: post\n---\n",
                3,
                "unknown layout `post`",
            ),
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
        ] {
            let problem = parse_str(text).expect_err(text);
            assert_eq!(problem.line, Some(line), "{text:?}: {problem:?}");
            assert!(problem.reason.contains(needle), "{text:?}: {problem:?}");
        }
    }
}
