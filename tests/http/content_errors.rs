//! Broken content stops start-up with `file:line: reason`. One folder per
//! case under `tests/fixtures/invalid/`; each report is snapshotted.

use std::path::{Path, PathBuf};

use privacy_pages::content::{self, Source};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures exist")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    cases
}

/// The loader's report with paths relative to the case folder.
fn report(case: &Path) -> String {
    let errors = content::load(&Source::Dir(case.to_owned())).expect_err("the case is invalid");
    let prefix = format!("{}/", case.display());
    errors
        .to_string()
        .replace(&prefix, "")
        .replace(&case.display().to_string(), ".")
}

#[test]
fn every_broken_case_is_reported_with_file_and_line() {
    let cases = cases();
    assert!(cases.len() >= 15, "{cases:?}");
    for case in cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_owned();
        let report = report(&case);
        for line in report.lines() {
            let (location, reason) = line.split_once(": ").expect("`location: reason`");
            assert!(!reason.trim().is_empty(), "{name}: {line}");
            assert!(!location.is_empty(), "{name}: {line}");
        }
        insta::assert_snapshot!(format!("invalid_{name}"), report);
    }
}

#[test]
fn a_missing_folder_is_an_error() {
    let errors = content::load(&Source::Dir("/nonexistent/content".into())).expect_err("missing");
    assert_eq!(errors.to_string(), "/nonexistent/content: not a directory");
}

#[test]
fn non_utf8_files_name_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = dir.path().join("example.org");
    std::fs::create_dir(&site).expect("mkdir");
    std::fs::write(
        site.join("site.toml"),
        "name = \"x\"\nhosts = [\"x.org\"]\ndefault_language = \"en\"\n",
    )
    .expect("write");
    std::fs::write(
        site.join("privacy.en.md"),
        b"---\ntitle: x\n---\n\nbad \xff byte\n",
    )
    .expect("write");
    let errors = content::load(&Source::Dir(dir.path().to_owned())).expect_err("invalid");
    assert_eq!(
        errors.to_string(),
        format!(
            "{}:5: not valid UTF-8",
            site.join("privacy.en.md").display()
        )
    );
}
