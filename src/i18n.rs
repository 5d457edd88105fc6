//! The words templates add around a policy (headings, navigation, notices),
//! kept in Fluent files per language under `templates/locales/<lang>/` and
//! compiled into the binary. Templates never hold their own wording.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};

use crate::lang::Lang;

static_loader! {
    static LOCALES = {
        locales: "./templates/locales",
        fallback_language: "en",
        // Unicode isolation marks around arguments would end up inside
        // attributes and URLs; every argument here is a plain word or date.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static IDS: LazyLock<[(Lang, LanguageIdentifier); 2]> =
    LazyLock::new(|| [(Lang::De, langid!("de")), (Lang::En, langid!("en"))]);

fn language_id(lang: Lang) -> &'static LanguageIdentifier {
    &IDS.iter().find(|(l, _)| *l == lang).unwrap_or(&IDS[1]).1
}

/// Translations for one page, as templates use them: `tr.get("contents")`.
#[derive(Clone, Copy, Debug)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn get(&self, id: &str) -> String {
        LOCALES.lookup(language_id(self.0), id)
    }

    /// A message with arguments: `tr.with(&[("date", "May 22, 2018")], "last-updated")`.
    pub fn with(&self, args: &[(&'static str, &str)], id: &str) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from((*value).to_owned())))
            .collect();
        LOCALES.lookup_with_args(language_id(self.0), id, &args)
    }

    /// A message about a number (`{ $count }`), plural rules applied.
    pub fn count(&self, id: &str, count: usize) -> String {
        self.with_count(&[], count, id)
    }

    /// A message with arguments and a number (`{ $count }`) its plural
    /// forms are chosen by.
    pub fn with_count(&self, args: &[(&'static str, &str)], count: usize, id: &str) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from((*value).to_owned())))
            .collect();
        args.insert(Cow::Borrowed("count"), FluentValue::from(count));
        LOCALES.lookup_with_args(language_id(self.0), id, &args)
    }

    /// The language's name in that language itself, for language switchers.
    pub fn language_name(lang: Lang) -> String {
        Tr(lang).get("language-name")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message_ids(lang: &str) -> Vec<String> {
        let path = format!(
            "{}/templates/locales/{lang}/pages.ftl",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("locale file exists");
        let mut ids: Vec<String> = text
            .lines()
            .filter(|line| line.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|line| line.split_once(" =").map(|(id, _)| id.trim().to_owned()))
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn every_language_has_every_message() {
        let english = message_ids("en");
        assert!(english.len() > 10, "{english:?}");
        assert_eq!(message_ids("de"), english);
    }

    #[test]
    fn translates_with_and_without_arguments() {
        assert_eq!(Tr(Lang::De).get("contents"), "Inhalt");
        assert_eq!(Tr(Lang::En).get("contents"), "Contents");
        assert_eq!(Tr::language_name(Lang::De), "Deutsch");
        assert_eq!(Tr::language_name(Lang::En), "English");
        assert_eq!(
            Tr(Lang::De).with(&[("shown", "en")], "translation-missing"),
            "Diese Seite gibt es nicht auf Deutsch. Sie wird auf Englisch angezeigt."
        );
    }
}
