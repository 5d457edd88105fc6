//! Which language a visitor gets.
//!
//! An explicit `?lang=` wins when the page exists in that language. Otherwise
//! `Accept-Language` decides, per RFC 9110 §12.5.4: ranges ordered by quality
//! (ties keep header order), `q=0` meaning "not acceptable", `*` meaning "any"
//! (the site's default). Each range is matched with RFC 4647 lookup
//! (`de-AT` → `de`, `de-CH-u-co-phonebk` → `de`). An entry that is not a
//! language range, or whose weight is not a qvalue (`q=1e0`, `q=0.0001`),
//! is skipped and the rest stand; an absent header means "no preference",
//! i.e. the site's default; an oversized one is read up to the last whole
//! range within the limit, so a long browser list still says German.
//!
//! The list is parsed by [`crate::request::weighted`]; matching is `fluent-langneg`'s.

use std::sync::LazyLock;

use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::{HeaderMap, Uri};
use fluent_langneg::{LanguageIdentifier, NegotiationStrategy, negotiate_languages};

use crate::lang::Lang;
use crate::request::weighted::{entries, header_list};

/// Headers longer than this are treated as absent: no browser sends one, and
/// parsing must stay cheap whatever a client sends.
pub const MAX_HEADER_LEN: usize = 1024;
/// Only this many ranges are read from a header.
pub const MAX_RANGES: usize = 32;

/// One acceptable language range from the header.
#[derive(Clone, Debug, PartialEq)]
enum Range {
    Any,
    Tag {
        tag: LanguageIdentifier,
        /// The languages (bits by index in [`Lang::ALL`]) each of which this
        /// tag matches when it is the only one available: worked out once,
        /// so that choosing among any set of them needs no lookup (see
        /// [`Range::find_in`]).
        matches: u32,
    },
}

impl Range {
    fn tag(tag: LanguageIdentifier) -> Self {
        let matches = Lang::ALL
            .iter()
            .filter(|lang| lookup(std::slice::from_ref(&tag), std::slice::from_ref(lang)).is_some())
            .fold(0, |bits, lang| bits | lang_bit(*lang));
        Range::Tag { tag, matches }
    }

    /// RFC 4647 lookup of this tag among `available`. Whether a tag matches a
    /// language does not depend on what else is available, so a tag that
    /// matches at most one language finds it wherever it is available; only
    /// a tag matching several (which our distinct primary languages never
    /// are) needs the full lookup to rank them.
    fn find_in(tag: &LanguageIdentifier, matches: u32, available: &[Lang]) -> Option<Lang> {
        if matches.count_ones() > 1 {
            return lookup(std::slice::from_ref(tag), available);
        }
        available
            .iter()
            .copied()
            .find(|lang| matches & lang_bit(*lang) != 0)
    }
}

fn lang_bit(lang: Lang) -> u32 {
    Lang::ALL
        .iter()
        .position(|l| *l == lang)
        .map_or(0, |i| 1 << i)
}

/// A visitor's language preferences, parsed once per request (into the
/// request's [`crate::request::visit::Visit`]). A header that cannot be read is no
/// preference, never an error.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LangPrefs {
    /// `?lang=`, when it names a language the service speaks.
    pub explicit: Option<Lang>,
    /// Acceptable ranges, best first.
    ranges: Vec<Range>,
    /// Languages the header marks `q=0`.
    refused: Vec<Lang>,
}

impl LangPrefs {
    /// Preferences from an `Accept-Language` value alone.
    pub fn from_header(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return LangPrefs::default();
        };
        let mut entries: Vec<(&str, u16)> =
            entries(within_limit(header)).take(MAX_RANGES).collect();
        // Best first; ties keep header order (the sort is stable).
        entries.sort_by_key(|(_, weight)| std::cmp::Reverse(*weight));
        let mut ranges = Vec::new();
        let mut refused = Vec::new();
        for (range, weight) in entries {
            if !is_language_range(range) {
                continue;
            }
            if range == "*" {
                if weight > 0 {
                    ranges.push(Range::Any);
                }
                continue;
            }
            let truncated = without_extensions(range);
            let Ok(tag) = truncated.parse::<LanguageIdentifier>() else {
                continue;
            };
            if weight > 0 {
                ranges.push(Range::tag(tag));
            } else if truncated.len() == range.len()
                && tag.region.is_none()
                && tag.script.is_none()
                && tag.variants.is_empty()
            {
                // `de;q=0` refuses German; `de-AT;q=0` or `de-x-a;q=0`
                // refuses only a variant we never serve.
                refused.extend(lookup(std::slice::from_ref(&tag), &Lang::ALL));
            }
        }
        LangPrefs {
            explicit: None,
            ranges,
            refused,
        }
    }

    /// The best of `available` for this visitor; `default` when nothing
    /// acceptable is available (or `available` is empty).
    pub fn choose(&self, available: &[Lang], default: Lang) -> Lang {
        if let Some(explicit) = self.explicit.filter(|l| available.contains(l)) {
            return explicit;
        }
        let fallback = fallback(available, default);
        for range in &self.ranges {
            match range {
                Range::Any => {
                    let any = std::iter::once(fallback)
                        .chain(available.iter().copied())
                        .find(|lang| !self.refused.contains(lang));
                    if let Some(lang) = any {
                        return lang;
                    }
                }
                Range::Tag { tag, matches } => {
                    if let Some(lang) = Range::find_in(tag, *matches, available)
                        .into_iter()
                        .find(|lang| !self.refused.contains(lang))
                    {
                        return lang;
                    }
                }
            }
        }
        fallback
    }

    /// Everything negotiation can decide for this visitor: the explicit
    /// choice, the pick from every set of available languages with every
    /// default, and the preferred language with every default. Visitors with
    /// equal signatures are served alike, whatever their headers said, so
    /// responses can be shared between them (see the response cache).
    pub fn signature(&self) -> (Option<Lang>, Vec<Lang>) {
        let mut signature = Vec::with_capacity(8);
        let all = Lang::ALL;
        for mask in 1..(1u32 << all.len()) {
            let available: Vec<Lang> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, lang)| *lang)
                .collect();
            for default in all {
                signature.push(self.choose(&available, default));
            }
        }
        for default in all {
            signature.push(self.preferred(default));
        }
        (self.explicit, signature)
    }

    /// The language this visitor would read if we had everything in every
    /// language: the one to speak to them in when a page lacks it.
    pub fn preferred(&self, default: Lang) -> Lang {
        self.explicit
            .unwrap_or_else(|| self.choose(&Lang::ALL, default))
    }
}

/// What a visitor gets when nothing they accept is available: the site's
/// default if available, else the first available language.
fn fallback(available: &[Lang], default: Lang) -> Lang {
    if available.contains(&default) || available.is_empty() {
        default
    } else {
        available[0]
    }
}

/// RFC 4647 lookup of `requested` among `available`.
fn lookup(requested: &[LanguageIdentifier], available: &[Lang]) -> Option<Lang> {
    // Parsed once: this runs several times per request.
    static IDS: LazyLock<Vec<(Lang, LanguageIdentifier)>> = LazyLock::new(|| {
        Lang::ALL
            .iter()
            .filter_map(|lang| Some((*lang, lang.code().parse().ok()?)))
            .collect()
    });
    let ids: Vec<LanguageIdentifier> = available
        .iter()
        .filter_map(|lang| IDS.iter().find(|(l, _)| l == lang))
        .map(|(_, id)| id.clone())
        .collect();
    let best = *negotiate_languages(requested, &ids, None, NegotiationStrategy::Lookup).first()?;
    IDS.iter().find(|(_, id)| id == best).map(|(lang, _)| *lang)
}

/// At most [`MAX_HEADER_LEN`] bytes of `header`, ending after the last whole
/// entry within them.
fn within_limit(header: &str) -> &str {
    if header.len() <= MAX_HEADER_LEN {
        return header;
    }
    let end = header.as_bytes()[..=MAX_HEADER_LEN]
        .iter()
        .rposition(|b| *b == b',')
        .unwrap_or(0);
    &header[..end]
}

/// `range` cut before its first singleton subtag (`-u-…` extensions, `-x-…`
/// private use). RFC 4647 §3.4 lookup truncates from the end and drops a
/// singleton together with the subtag after it; the languages served here
/// carry neither, so what lookup can match is what stands before it.
fn without_extensions(range: &str) -> &str {
    let mut end = 0;
    for (i, subtag) in range.split('-').enumerate() {
        if i > 0 && subtag.len() == 1 {
            return &range[..end];
        }
        end += subtag.len() + usize::from(i > 0);
    }
    range
}

/// RFC 4647 §2.1 `language-range`: `*` or 1-8 letters, then `-` and 1-8
/// alphanumerics, repeated.
fn is_language_range(range: &str) -> bool {
    if range == "*" {
        return true;
    }
    let mut subtags = range.split('-');
    let primary_ok = subtags
        .next()
        .is_some_and(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl LangPrefs {
    /// Preferences from a request: its `Accept-Language` fields and `?lang=`.
    pub fn from_request(headers: &HeaderMap, uri: &Uri) -> Self {
        // Read up to the limit (see `within_limit`); a value that is not
        // visible ASCII reads as no preference.
        let joined = header_list(headers, ACCEPT_LANGUAGE.as_str(), MAX_HEADER_LEN);
        let mut prefs = LangPrefs::from_header(joined.as_deref());
        prefs.explicit = uri.query().and_then(|query| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == "lang")
                .and_then(|(_, value)| value.parse().ok())
        });
        prefs
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use Lang::{De, En};

    const BOTH: [Lang; 2] = [De, En];

    #[test]
    fn negotiation_table() {
        // (Accept-Language, available, site default, expected)
        let cases: &[(Option<&str>, &[Lang], Lang, Lang)] = &[
            (None, &BOTH, En, En),
            (None, &BOTH, De, De),
            (Some(""), &BOTH, En, En),
            (Some("de"), &BOTH, En, De),
            (Some("en"), &BOTH, De, En),
            (Some("de-DE,de;q=0.9,en;q=0.8"), &BOTH, En, De),
            (Some("de-AT"), &BOTH, En, De),
            (Some("de-CH"), &BOTH, En, De),
            (Some("en-GB"), &BOTH, De, En),
            (Some("en-US,en;q=0.9"), &BOTH, De, En),
            (Some("DE"), &BOTH, En, De),
            (Some("De-aT"), &BOTH, En, De),
            (Some("fr, de;q=0.5"), &BOTH, En, De),
            (Some("fr"), &BOTH, En, En),
            (Some("fr"), &BOTH, De, De),
            (Some("de;q=0, en"), &BOTH, De, En),
            (Some("de;q=0"), &BOTH, De, De),
            (Some("*"), &BOTH, En, En),
            (Some("*"), &BOTH, De, De),
            (Some("*;q=0.5, de"), &BOTH, En, De),
            (Some("de;q=0, *"), &BOTH, De, En),
            (Some("fr, *;q=0.1"), &BOTH, De, De),
            (Some("en;q=0.5, de;q=0.5"), &BOTH, En, En),
            (Some("de;q=0.5, en;q=0.5"), &BOTH, En, De),
            (Some("en;q=0.4, de;q=0.6"), &BOTH, En, De),
            (Some("en;q=1.0, de;q=0.999"), &BOTH, De, En),
            (Some("de, de, en"), &BOTH, En, De),
            (Some("  de ;  q=0.5 ,   en ; q=0.9  "), &BOTH, De, En),
            (Some("en;q=2, de;q=0.1"), &BOTH, En, De),
            (Some("en;q=-1, de;q=0.1"), &BOTH, En, De),
            (Some("en;q=abc, de;q=0.1"), &BOTH, En, De),
            (Some("<script>, de"), &BOTH, En, De),
            (Some("123, de"), &BOTH, En, De),
            (Some("toolongtag, de"), &BOTH, En, De),
            (Some(",,,de,,,"), &BOTH, En, De),
            (Some(";q=1, de"), &BOTH, En, De),
            (Some("de-"), &BOTH, En, En),
            (Some("zh-Hant-TW, de;q=0.3"), &BOTH, En, De),
            // A page that exists in fewer languages.
            (Some("de"), &[En], En, En),
            (Some("de"), &[En], De, En),
            (Some("fr, de;q=0.5, en;q=0.3"), &[En], De, En),
            (None, &[De], En, De),
            (Some("en"), &[De], En, De),
            (Some("*"), &[De], En, De),
            // Nothing available: the default, whatever was asked.
            (Some("de"), &[], En, En),
            // Lookup truncates through extensions and private use (RFC 4647 §3.4).
            (Some("de-x-private"), &BOTH, En, De),
            (Some("de-CH-u-co-phonebk"), &BOTH, En, De),
            (Some("de-Latn-CH-x-a-b"), &BOTH, En, De),
            (Some("DE-u-CA-gregory, en;q=0.5"), &BOTH, En, De),
            (Some("x-private, de;q=0.1"), &BOTH, En, De),
            (Some("de-x-a;q=0, de;q=0.5"), &BOTH, En, De),
            // OWS is spaces and tabs, around `;` and `,` (RFC 9110 §5.6.3).
            (Some("en;q=0.1,\tde\t;\tq=0.9"), &BOTH, En, De),
            (Some("\tde\t,\ten;q=0.5"), &BOTH, En, De),
            (Some("de;Q=0.9, en;q=0.1"), &BOTH, En, De),
            // An invalid qvalue drops that range only (RFC 9110 §12.4.2).
            (Some("en;q=1e0, de;q=0.5"), &BOTH, En, De),
            (Some("en;q=2, de;q=0.5"), &BOTH, En, De),
            (Some("en;q=-1, de;q=0.5"), &BOTH, En, De),
            (Some("en;q=0.0001, de;q=0.5"), &BOTH, En, De),
            (Some("en;q=.5, de;q=0.1"), &BOTH, En, De),
            (Some("en;q=1.001, de;q=0.1"), &BOTH, En, De),
            (Some("en;q= 0.9, de;q=0.1"), &BOTH, En, De),
            (Some("en;q=0.9;q=0.9, de;q=0.1"), &BOTH, En, De),
            (Some("en;level=1, de;q=0.1"), &BOTH, En, De),
            (Some("de;q=abc"), &BOTH, De, De),
            (Some("en;q=1.000, de;q=0.999"), &BOTH, De, En),
            (Some("en;q=1., de;q=0.5"), &BOTH, De, En),
        ];
        assert!(cases.len() >= 40);
        for (header, available, default, expected) in cases {
            let prefs = LangPrefs::from_header(*header);
            assert_eq!(
                prefs.choose(available, *default),
                *expected,
                "Accept-Language: {header:?}, available {available:?}, default {default:?}"
            );
        }
    }

    #[test]
    fn oversized_headers_are_read_up_to_the_last_whole_range() {
        let long = format!("de,{}", "x-y;q=0.1,".repeat(200));
        assert!(long.len() > MAX_HEADER_LEN);
        assert_eq!(LangPrefs::from_header(Some(&long)).choose(&BOTH, En), De);
        // A range cut by the limit is not read as a shorter one …
        let filler = "x;q=0.1,".repeat(MAX_HEADER_LEN / 8);
        assert_eq!(filler.len(), MAX_HEADER_LEN);
        let cut = format!("{filler}de-CH");
        assert_eq!(within_limit(&cut), &filler[..MAX_HEADER_LEN - 1]);
        // … and one that ends exactly at the limit is whole.
        let whole = format!("{}de,fr", &filler[..MAX_HEADER_LEN - 2]);
        assert_eq!(within_limit(&whole), &whole[..MAX_HEADER_LEN]);
        // One range longer than the limit: nothing to read.
        let one = "a".repeat(MAX_HEADER_LEN + 10);
        assert_eq!(LangPrefs::from_header(Some(&one)), LangPrefs::default());
    }

    #[test]
    fn only_the_first_ranges_are_read() {
        let many = format!("{}de", "fr,".repeat(MAX_RANGES));
        assert!(many.len() <= MAX_HEADER_LEN);
        assert_eq!(LangPrefs::from_header(Some(&many)).choose(&BOTH, En), En);
    }

    #[test]
    fn explicit_choice_wins_when_available() {
        let mut prefs = LangPrefs::from_header(Some("de"));
        prefs.explicit = Some(En);
        assert_eq!(prefs.choose(&BOTH, De), En);
        assert_eq!(prefs.preferred(De), En);
        prefs.explicit = Some(De);
        assert_eq!(
            prefs.choose(&[En], En),
            En,
            "unavailable: negotiation decides"
        );
        assert_eq!(prefs.preferred(En), De);
    }

    #[test]
    fn preferred_ignores_what_a_page_has() {
        let prefs = LangPrefs::from_header(Some("de-DE,de;q=0.9,en;q=0.8"));
        assert_eq!(prefs.choose(&[En], En), En);
        assert_eq!(prefs.preferred(En), De);
    }

    fn lang_subset() -> impl Strategy<Value = Vec<Lang>> {
        proptest::sample::subsequence(BOTH.to_vec(), 0..=2)
    }

    /// An `Accept-Language` value from (range, weight in thousandths) pairs.
    fn accept_language(entries: &[(String, Option<u16>)]) -> String {
        entries
            .iter()
            .map(|(tag, q)| match q {
                Some(q) => format!("{tag};q={}", f32::from(*q) / 1000.0),
                None => tag.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    proptest! {
        #[test]
        fn never_panics_and_picks_an_available_language(
            header in proptest::option::of(".{0,300}"),
            available in lang_subset(),
            default in proptest::sample::select(BOTH.to_vec()),
        ) {
            let chosen = LangPrefs::from_header(header.as_deref()).choose(&available, default);
            prop_assert!(available.contains(&chosen) || (available.is_empty() && chosen == default));
        }

        #[test]
        fn well_formed_headers_pick_an_available_language(
            entries in proptest::collection::vec(
                ("(de|en|fr|de-AT|en-GB|\\*|[a-z]{2})", proptest::option::of(0u16..=1000)),
                0..8,
            ),
            available in lang_subset(),
            default in proptest::sample::select(BOTH.to_vec()),
        ) {
            let header = accept_language(&entries);
            let chosen = LangPrefs::from_header(Some(&header)).choose(&available, default);
            prop_assert!(available.contains(&chosen) || (available.is_empty() && chosen == default));
        }

        /// Choosing from the match sets worked out at parse time gives what
        /// a full RFC 4647 lookup among the available languages gives.
        #[test]
        fn precomputed_matches_choose_as_lookup_does(
            entries in proptest::collection::vec(
                (
                    "(de|en|fr|und|de-AT|de-Latn-CH|en-GB|en-US-x-private|zh-Hant|i-klingon|\\*|[a-z]{2,3}(-[A-Za-z]{2,4})?)",
                    proptest::option::of(0u16..=1000),
                ),
                0..8,
            ),
            available in lang_subset(),
            default in proptest::sample::select(BOTH.to_vec()),
        ) {
            let header = accept_language(&entries);
            let prefs = LangPrefs::from_header(Some(&header));
            let by_lookup = prefs
                .ranges
                .iter()
                .find_map(|range| match range {
                    Range::Any => std::iter::once(fallback(&available, default))
                        .chain(available.iter().copied())
                        .find(|lang| !prefs.refused.contains(lang)),
                    Range::Tag { tag, .. } => lookup(std::slice::from_ref(tag), &available)
                        .filter(|lang| !prefs.refused.contains(lang)),
                })
                .unwrap_or(fallback(&available, default));
            prop_assert_eq!(prefs.choose(&available, default), by_lookup, "{}", header);
        }
    }
}
