//! What changed between two versions of a policy: sections added and
//! removed, and within the sections both have, paragraphs added, removed
//! and changed word by word. Pure: documents in, a [`Comparison`] out; the
//! page that shows it is [`crate::web::changes`].
//!
//! Sections are matched by title, paragraphs by their text (the `similar`
//! crate's Patience diff); a paragraph, or a renamed section, whose words
//! mostly stayed counts as changed, not as removed and added.

use similar::{Algorithm, ChangeTag, DiffOp, TextDiff, capture_diff_slices};

use crate::content::Section;

/// Two paragraphs (or the bodies of two sections) with at least this share
/// of words in common are one that changed, not one removed and another added.
const SAME_THING: f32 = 0.5;

/// The differences between an older and a newer text.
#[derive(Debug, Default, PartialEq)]
pub struct Comparison {
    /// In the newer version's order, removed sections where they were.
    pub sections: Vec<SectionChange>,
    /// Sections both versions have word for word.
    pub unchanged: usize,
}

#[derive(Debug, PartialEq)]
pub enum SectionChange {
    Added(Section),
    Removed(Section),
    Changed {
        /// The newer title, its anchor on the newer page.
        title: String,
        id: Option<String>,
        /// The older title, when it was different.
        old_title: Option<String>,
        paragraphs: Vec<ParagraphChange>,
    },
}

#[derive(Debug, PartialEq)]
pub enum ParagraphChange {
    Added(String),
    Removed(String),
    Changed(Vec<Span>),
}

/// A run of words that both versions have, or only one.
#[derive(Debug, PartialEq, Eq)]
pub struct Span {
    pub change: Change,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Same,
    Added,
    Removed,
}

impl Comparison {
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }
}

/// How a section of one version lines up with the other.
enum Alignment {
    Removed(usize),
    Added(usize),
    Paired(usize, usize),
    /// Removed here, paired where it was added.
    Moved,
}

/// Lines up two sequences by their keys (Patience diff): equal keys pair;
/// where the diff replaces a run with another, items side by side pair if
/// `same` says they are one item changed, else one is removed and the other
/// added.
fn align<K: std::hash::Hash + Eq + Ord>(
    old: &[K],
    new: &[K],
    same: impl Fn(usize, usize) -> bool,
) -> Vec<Alignment> {
    let mut aligned = Vec::new();
    for op in capture_diff_slices(Algorithm::Patience, old, new) {
        let (old_range, new_range) = (op.old_range(), op.new_range());
        match op {
            DiffOp::Equal { .. } => {
                aligned.extend(
                    old_range
                        .zip(new_range)
                        .map(|(o, n)| Alignment::Paired(o, n)),
                );
            }
            DiffOp::Delete { .. } => aligned.extend(old_range.map(Alignment::Removed)),
            DiffOp::Insert { .. } => aligned.extend(new_range.map(Alignment::Added)),
            DiffOp::Replace { .. } => {
                let (mut olds, mut news) = (old_range, new_range);
                loop {
                    match (olds.next(), news.next()) {
                        (Some(o), Some(n)) if same(o, n) => aligned.push(Alignment::Paired(o, n)),
                        (None, None) => break,
                        (o, n) => {
                            aligned.extend(o.map(Alignment::Removed));
                            aligned.extend(n.map(Alignment::Added));
                        }
                    }
                }
            }
        }
    }
    aligned
}

/// Compares the sections of an older and a newer version.
pub fn compare(old: &[Section], new: &[Section]) -> Comparison {
    let old_titles: Vec<&str> = old.iter().map(|s| s.title.as_str()).collect();
    let new_titles: Vec<&str> = new.iter().map(|s| s.title.as_str()).collect();
    // A renamed section whose words mostly stayed is that section, changed.
    let mut aligned = align(&old_titles, &new_titles, |o, n| {
        similarity(&body(&old[o]), &body(&new[n])) >= SAME_THING
    });
    // A section that moved is removed in one place and added in another
    // under the same title: it is one section.
    for index in 0..aligned.len() {
        let Alignment::Added(n) = aligned[index] else {
            continue;
        };
        let moved = aligned
            .iter()
            .position(|a| matches!(a, Alignment::Removed(o) if old[*o].title == new[n].title));
        if let Some(from) = moved {
            let Alignment::Removed(o) = aligned[from] else {
                continue;
            };
            aligned[index] = Alignment::Paired(o, n);
            aligned[from] = Alignment::Moved;
        }
    }
    let mut comparison = Comparison::default();
    for alignment in aligned {
        match alignment {
            Alignment::Moved => {}
            Alignment::Removed(o) => comparison
                .sections
                .push(SectionChange::Removed(old[o].clone())),
            Alignment::Added(n) => comparison
                .sections
                .push(SectionChange::Added(new[n].clone())),
            Alignment::Paired(o, n) => comparison.pair(&old[o], &new[n]),
        }
    }
    comparison
}

impl Comparison {
    /// Two sections taken for one: what changed inside, if anything.
    fn pair(&mut self, old: &Section, new: &Section) {
        let paragraphs = paragraph_changes(&old.paragraphs, &new.paragraphs);
        if paragraphs.is_empty() && old.title == new.title {
            self.unchanged += 1;
            return;
        }
        self.sections.push(SectionChange::Changed {
            title: new.title.clone(),
            id: new.id.clone(),
            old_title: (old.title != new.title).then(|| old.title.clone()),
            paragraphs,
        });
    }
}

fn paragraph_changes(old: &[String], new: &[String]) -> Vec<ParagraphChange> {
    align(old, new, |o, n| similarity(&old[o], &new[n]) >= SAME_THING)
        .into_iter()
        .filter_map(|alignment| match alignment {
            Alignment::Paired(o, n) if old[o] == new[n] => None,
            Alignment::Paired(o, n) => Some(ParagraphChange::Changed(words(&old[o], &new[n]))),
            Alignment::Removed(o) => Some(ParagraphChange::Removed(old[o].clone())),
            Alignment::Added(n) => Some(ParagraphChange::Added(new[n].clone())),
            Alignment::Moved => None,
        })
        .collect()
}

/// The share of words two texts have in common, 0 to 1 (white space
/// between them does not count as common ground).
fn similarity(old: &str, new: &str) -> f32 {
    let old: Vec<&str> = old.split_whitespace().collect();
    let new: Vec<&str> = new.split_whitespace().collect();
    if old.is_empty() && new.is_empty() {
        return 1.0;
    }
    let common: usize = capture_diff_slices(Algorithm::Patience, &old, &new)
        .iter()
        .map(|op| match op {
            DiffOp::Equal { len, .. } => *len,
            _ => 0,
        })
        .sum();
    (2 * common) as f32 / (old.len() + new.len()) as f32
}

/// A section's words, for telling whether two sections are one.
fn body(section: &Section) -> String {
    section.paragraphs.join("\n")
}

/// `old` → `new` word by word. Changed words close together (only white
/// space between them) are one run removed and one added, so a reworded
/// clause reads as a clause, not as alternating words.
fn words(old: &str, new: &str) -> Vec<Span> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_words(old, new);
    let tokens: Vec<(ChangeTag, &str)> = diff
        .iter_all_changes()
        .map(|change| (change.tag(), change.value()))
        .collect();
    let mut spans: Vec<Span> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].0 == ChangeTag::Equal {
            push(&mut spans, Change::Same, tokens[i].1);
            i += 1;
            continue;
        }
        // The run of changes from here: up to the last changed token before
        // a word both texts share.
        let mut end = i;
        for (j, (tag, text)) in tokens.iter().enumerate().skip(i) {
            match tag {
                ChangeTag::Equal if text.trim().is_empty() => {}
                ChangeTag::Equal => break,
                _ => end = j + 1,
            }
        }
        let (mut removed, mut added) = (String::new(), String::new());
        for (tag, text) in &tokens[i..end] {
            match tag {
                ChangeTag::Delete => removed.push_str(text),
                ChangeTag::Insert => added.push_str(text),
                ChangeTag::Equal => {
                    removed.push_str(text);
                    added.push_str(text);
                }
            }
        }
        push(&mut spans, Change::Removed, &removed);
        push(&mut spans, Change::Added, &added);
        i = end;
    }
    spans
}

fn push(spans: &mut Vec<Span>, change: Change, text: &str) {
    if text.is_empty() {
        return;
    }
    match spans.last_mut() {
        Some(last) if last.change == change => last.text.push_str(text),
        _ => spans.push(Span {
            change,
            text: text.to_owned(),
        }),
    }
}

/// The comparison as text: `+`/`-` for whole sections and paragraphs,
/// `[-removed-]{+added+}` inside changed ones. For snapshots and logs.
impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for section in &self.sections {
            match section {
                SectionChange::Added(s) => {
                    writeln!(f, "+ section {:?}", s.title)?;
                    for p in &s.paragraphs {
                        writeln!(f, "  + {p}")?;
                    }
                }
                SectionChange::Removed(s) => {
                    writeln!(f, "- section {:?}", s.title)?;
                    for p in &s.paragraphs {
                        writeln!(f, "  - {p}")?;
                    }
                }
                SectionChange::Changed {
                    title,
                    old_title,
                    paragraphs,
                    ..
                } => {
                    match old_title {
                        Some(old) => writeln!(f, "~ section {old:?} → {title:?}")?,
                        None => writeln!(f, "~ section {title:?}")?,
                    }
                    for p in paragraphs {
                        match p {
                            ParagraphChange::Added(p) => writeln!(f, "  + {p}")?,
                            ParagraphChange::Removed(p) => writeln!(f, "  - {p}")?,
                            ParagraphChange::Changed(spans) => {
                                write!(f, "  ~ ")?;
                                for span in spans {
                                    match span.change {
                                        Change::Same => write!(f, "{}", span.text)?,
                                        Change::Added => write!(f, "{{+{}+}}", span.text)?,
                                        Change::Removed => write!(f, "[-{}-]", span.text)?,
                                    }
                                }
                                writeln!(f)?;
                            }
                        }
                    }
                }
            }
        }
        writeln!(f, "= {} sections unchanged", self.unchanged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(title: &str, paragraphs: &[&str]) -> Section {
        Section {
            id: None,
            title: title.to_owned(),
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    #[test]
    fn sections_added_removed_and_changed() {
        // Analytics and Ads swap places; Cookies goes, Contact comes.
        let old = [
            section("Intro", &["We care."]),
            section("Cookies", &["We set none."]),
            section("Analytics", &["We use Google Analytics on every page."]),
            section("Ads", &["Carbon shows ads."]),
            section("Contact", &["Write to us."]),
        ];
        let new = [
            section("Intro", &["We care."]),
            section("Ads", &["Carbon shows ads.", "You can disable them."]),
            section("Analytics", &["We use Plausible on every page."]),
            section("Contact", &["Write to us."]),
            section("Complaints", &["Tell the authority."]),
        ];
        let comparison = compare(&old, &new);
        assert_eq!(comparison.unchanged, 2, "{comparison}");
        assert_eq!(
            comparison.to_string(),
            "- section \"Cookies\"\n  - We set none.\n~ section \"Ads\"\n  + You can disable them.\n~ section \"Analytics\"\n  ~ We use [-Google Analytics-]{+Plausible+} on every page.\n+ section \"Complaints\"\n  + Tell the authority.\n= 2 sections unchanged\n"
        );
    }

    #[test]
    fn a_reworded_paragraph_is_changed_word_by_word() {
        let old = [section(
            "Data",
            &["We keep logs for 14 days and then delete them."],
        )];
        let new = [section(
            "Data",
            &["We keep logs for 7 days and then delete them."],
        )];
        assert_eq!(
            compare(&old, &new).to_string(),
            "~ section \"Data\"\n  ~ We keep logs for [-14-]{+7+} days and then delete them.\n= 0 sections unchanged\n"
        );
    }

    #[test]
    fn changed_words_close_together_are_one_run() {
        let old = [section(
            "Analytics",
            &["This site uses Google Analytics, a service of Google Ireland, on every page."],
        )];
        let new = [section(
            "Analytics",
            &["This site uses Plausible, a service without cookies, on every page."],
        )];
        assert_eq!(
            compare(&old, &new).to_string(),
            "~ section \"Analytics\"\n  ~ This site uses [-Google Analytics,-]{+Plausible,+} a service [-of Google Ireland,-]{+without cookies,+} on every page.\n= 0 sections unchanged\n"
        );
    }

    #[test]
    fn a_section_for_another_service_is_not_a_renamed_one() {
        let old = [section(
            "Google Analytics",
            &["Google Analytics sets cookies and sends data to Google."],
        )];
        let new = [section(
            "Plausible Analytics",
            &["Plausible sets no cookies; the data stays in the EU."],
        )];
        assert_eq!(
            compare(&old, &new).to_string(),
            "- section \"Google Analytics\"\n  - Google Analytics sets cookies and sends data to Google.\n+ section \"Plausible Analytics\"\n  + Plausible sets no cookies; the data stays in the EU.\n= 0 sections unchanged\n"
        );
    }

    #[test]
    fn a_renamed_section_with_the_same_words_is_one_section() {
        let old = [section("Google Analytics usage", &["Text."])];
        let new = [section("Google Analytics", &["Text."])];
        let comparison = compare(&old, &new);
        assert!(
            matches!(
                &comparison.sections[..],
                [SectionChange::Changed { old_title: Some(old), paragraphs, .. }]
                    if old == "Google Analytics usage" && paragraphs.is_empty()
            ),
            "{comparison}"
        );
    }

    #[test]
    fn identical_versions_have_no_changes() {
        let text = [section("A", &["x"]), section("B", &["y"])];
        let comparison = compare(&text, &text);
        assert!(comparison.is_empty());
        assert_eq!(comparison.unchanged, 2);
    }
}
