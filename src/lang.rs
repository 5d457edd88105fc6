//! The languages policies are written in and pages are served in.
//!
//! A closed enum rather than a string: every language the service speaks needs
//! its chrome translated (`templates/locales/<code>/`), so adding one is a code
//! change, and a typo in a file name or `?lang=` value can never create a new one.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    De,
    En,
}

impl Lang {
    /// Every language, in the order language switchers list them.
    pub const ALL: [Lang; 2] = [Lang::De, Lang::En];

    /// The BCP 47 tag (`de`, `en`), as used in file names, `<html lang>` and `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{0}` (known: de, en)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    /// Exactly a supported code, ignoring ASCII case; subtags are the
    /// negotiation's business, not this parser's.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::ALL
            .into_iter()
            .find(|lang| lang.code().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownLang(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_case_insensitively() {
        for (input, expected) in [
            ("de", Ok(Lang::De)),
            ("DE", Ok(Lang::De)),
            ("en", Ok(Lang::En)),
            ("En", Ok(Lang::En)),
            ("fr", Err(())),
            ("de-AT", Err(())),
            ("", Err(())),
            (" de", Err(())),
        ] {
            assert_eq!(input.parse::<Lang>().map_err(|_| ()), expected, "{input:?}");
        }
    }

    #[test]
    fn code_round_trips() {
        for lang in Lang::ALL {
            assert_eq!(lang.code().parse::<Lang>(), Ok(lang));
        }
    }
}
