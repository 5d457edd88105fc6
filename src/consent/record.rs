//! The record of a visitor's decision on the services that wait for a yes
//! (`consent = "opt-in"`): one cookie, set by the server, so that replicas
//! keep no state. It says which services were allowed or refused, under
//! which version of the policy, when, and a random receipt id that an
//! operator's consent log can name (GDPR Art. 7(1): show that consent was
//! given, without storing who gave it).
//!
//! `privacy-consent=1~20250301~1764576000~9f86d081884c7d65~ga~hotjar`:
//! format, policy version (`-` when undated), issued (Unix seconds),
//! receipt, allowed ids (`.`-separated), refused ids. Every character is
//! a cookie-octet, so the value needs no quoting or encoding.

use std::collections::BTreeMap;

use time::{Date, OffsetDateTime};

use crate::content::{ServiceId, Site};

/// The cookie's name.
pub const RECORD_COOKIE: &str = "privacy-consent";
const FORMAT: &str = "1";

/// One decision, as the cookie carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The policy version the decision was given under.
    pub version: Option<Date>,
    /// When, in Unix seconds.
    pub issued: i64,
    /// Sixteen hex digits, random: the same in the cookie and in the
    /// consent log line, and nowhere else.
    pub receipt: String,
    /// Allowed (`true`) or refused, per service.
    pub decisions: BTreeMap<ServiceId, bool>,
}

impl Record {
    /// A decision given now on `site`'s current policy version.
    pub fn new(site: &Site, decisions: BTreeMap<ServiceId, bool>) -> Self {
        Record {
            version: site.policy_version(),
            issued: OffsetDateTime::now_utc().unix_timestamp(),
            receipt: receipt(),
            decisions,
        }
    }

    /// The record in a cookie value; `None` for anything else (another
    /// format, a value a script made up).
    pub fn parse(value: &str) -> Option<Self> {
        let mut fields = value.split('~');
        if fields.next()? != FORMAT {
            return None;
        }
        let version = match fields.next()? {
            "-" => None,
            digits => Some(
                Date::parse(
                    digits,
                    time::macros::format_description!("[year][month][day]"),
                )
                .ok()?,
            ),
        };
        let issued = fields.next()?.parse().ok()?;
        let receipt = fields.next()?;
        if receipt.len() != 16 || !receipt.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut decisions = BTreeMap::new();
        for allowed in [true, false] {
            for id in fields.next()?.split('.').filter(|id| !id.is_empty()) {
                decisions.insert(id.parse().ok()?, allowed);
            }
        }
        if fields.next().is_some() {
            return None;
        }
        Some(Record {
            version,
            issued,
            receipt: receipt.to_owned(),
            decisions,
        })
    }

    /// The cookie value.
    pub fn value(&self) -> String {
        let version = self.version.map_or_else(
            || "-".to_owned(),
            |date| {
                format!(
                    "{:04}{:02}{:02}",
                    date.year(),
                    u8::from(date.month()),
                    date.day()
                )
            },
        );
        format!(
            "{FORMAT}~{version}~{}~{}~{}~{}",
            self.issued,
            self.receipt,
            self.ids(true, "."),
            self.ids(false, ".")
        )
    }

    /// The services allowed (`true`) or refused, joined by `separator`.
    pub fn ids(&self, allowed: bool, separator: &str) -> String {
        self.decisions
            .iter()
            .filter(|(_, a)| **a == allowed)
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>()
            .join(separator)
    }

    /// Whether the decision still stands on `site` at `now` (Unix
    /// seconds): younger than the site's `consent_days` (the cookie's
    /// lifetime, checked again, since a script can lengthen a cookie), and
    /// given under a version no later `reconsent: true` version voids.
    pub fn stands(&self, site: &Site, now: i64) -> Validity {
        let max_age = i64::from(site.consent_days) * 86_400;
        if now.saturating_sub(self.issued) > max_age || self.issued > now + 86_400 {
            return Validity::Expired;
        }
        match site.reconsent_since() {
            Some(since) if self.version.is_none_or(|version| version < since) => {
                Validity::PolicyChanged
            }
            _ => Validity::Stands,
        }
    }
}

/// What [`Record::stands`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    Stands,
    /// Older than the site's `consent_days`: asked again, as if new.
    Expired,
    /// Given before a version that asks again: the banner says why.
    PolicyChanged,
}

/// Sixteen random hex digits. Without the system's randomness (never seen
/// on the systems this runs on) the time and the process's hash keys
/// stand in: a receipt must be unique, not secret.
fn receipt() -> String {
    let random = getrandom::u64().unwrap_or_else(|_| {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_i128(OffsetDateTime::now_utc().unix_timestamp_nanos());
        hasher.finish()
    });
    format!("{random:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ServiceId {
        s.parse().expect("id")
    }

    #[test]
    fn a_record_round_trips_through_its_cookie_value() {
        let record = Record {
            version: Some(time::macros::date!(2025 - 03 - 01)),
            issued: 1_764_576_000,
            receipt: "9f86d081884c7d65".into(),
            decisions: BTreeMap::from([(id("ga"), true), (id("hotjar"), false), (id("yt"), true)]),
        };
        let value = record.value();
        assert_eq!(value, "1~20250301~1764576000~9f86d081884c7d65~ga.yt~hotjar");
        assert!(
            value
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"\",;\\".contains(&b)),
            "only cookie-octets"
        );
        assert_eq!(Record::parse(&value), Some(record));
        let undated = "1~-~5~0123456789abcdef~~ga";
        assert_eq!(
            Record::parse(undated).map(|r| r.value()).as_deref(),
            Some(undated)
        );
    }

    #[test]
    fn anything_else_is_no_record() {
        for value in [
            "",
            "true",
            "2~-~5~0123456789abcdef~ga~",
            "1~2025-03-01~5~0123456789abcdef~ga~",
            "1~-~x~0123456789abcdef~ga~",
            "1~-~5~short~ga~",
            "1~-~5~0123456789abcdef~GA~",
            "1~-~5~0123456789abcdef~ga",
            "1~-~5~0123456789abcdef~ga~~extra",
        ] {
            assert_eq!(Record::parse(value), None, "{value:?}");
        }
    }

    #[test]
    fn receipts_are_sixteen_hex_digits_and_differ() {
        let (a, b) = (receipt(), receipt());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
