//! The binary's `check` subcommand, as an operator runs it.

use std::path::Path;
use std::process::Command;

fn privacy_pages() -> Command {
    Command::new(env!("CARGO_BIN_EXE_privacy-pages"))
}

#[test]
fn check_passes_on_bundled_content() {
    let output = privacy_pages()
        .arg("check")
        .env_remove("PRIVACY_PAGES_CONTENT")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.trim(),
        "bundled content: 4 sites, 6 documents, no problems"
    );
}

#[test]
fn check_reports_file_and_line_and_exits_1() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid/liquid_date_now");
    let output = privacy_pages()
        .args(["check", "--content"])
        .arg(&case)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "{}:9: `{{{{ \"now\" | date: \"%Y-%m-%d\" }}}}`: a date from \"now\" changes whenever the service starts, and a policy's date must not; write the date in the front matter (`lastupdate: 2024-06-01`) and print `page.lastupdate`",
        case.join("example.org/privacy.en.md").display()
    );
    assert_eq!(stderr.lines().next(), Some(expected.as_str()), "{stderr}");
}

#[test]
fn check_reads_the_content_folder_from_the_environment() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid/bad_yaml");
    let output = privacy_pages()
        .arg("check")
        .env("PRIVACY_PAGES_CONTENT", &case)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("privacy.en.md:3: invalid front matter")
    );
}

#[test]
fn serve_refuses_broken_content() {
    let case =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid/missing_site_toml");
    let output = privacy_pages()
        .args(["--listen", "127.0.0.1:0", "--content"])
        .arg(&case)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("missing site.toml"), "{stderr}");
}

/// A content folder with a link that leads out of it (to `/etc`, say) and
/// a file over the size limit: `check` names both, as `file: what is
/// wrong`, and exits 1; nothing behind the link is read.
#[test]
fn check_refuses_links_out_of_the_folder_and_oversized_files() {
    let valid = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let content = tempfile::tempdir().expect("temp dir");
    let copy = Command::new("cp")
        .arg("-r")
        .arg(valid.join("."))
        .arg(content.path())
        .status()
        .expect("cp");
    assert!(copy.success());
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("secret.md"), "not for the web").expect("write");
    let site = std::fs::read_dir(content.path())
        .expect("list")
        .filter_map(Result::ok)
        .find(|entry| entry.path().join("site.toml").exists())
        .expect("a site folder")
        .path();
    let link = site.join("stolen.md");
    std::os::unix::fs::symlink(outside.path().join("secret.md"), &link).expect("link");
    let big = site.join("huge.md");
    std::fs::write(&big, "a".repeat(1024 * 1024 + 1)).expect("write");

    let output = privacy_pages()
        .args(["check", "--content"])
        .arg(content.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{}: a link that leads out of the content folder; copy the file in instead",
            link.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{}: 1048577 bytes, over the limit of 1024 KiB for a content file",
            big.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("not for the web"));
}

/// A link relative to the serving host loads, but `check` says where it
/// is and what to do; the content is still fine (exit 0).
#[test]
fn check_warns_about_links_relative_to_the_host() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/warnings");
    let output = privacy_pages()
        .args(["check", "--content"])
        .arg(&case)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "warning: {}:7: the link `/impressum/` is relative to the host serving the page",
        case.join("example.org/privacy.en.md").display()
    );
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("no problems"));
}

/// Before `csp = "enforce"`: `check` names every origin a fronted root's
/// pages load scripts or frames from that no declared service and no
/// `csp_sources` entry covers, once, with the first page using it.
#[test]
fn check_names_the_origins_a_fronted_sites_policy_would_refuse() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/front");
    let dir = tempfile::tempdir().expect("temp dir");
    crate::support::copy_dir(&fixture, dir.path());
    let run = || {
        privacy_pages()
            .args(["check", "--content"])
            .arg(dir.path().join("content"))
            .output()
            .expect("runs")
    };
    // The fixture's own pages load only declared services, the site's own
    // files and a video (a two-click embed): nothing to name.
    let clean = run();
    assert!(clean.status.success(), "{clean:?}");
    assert!(
        !String::from_utf8_lossy(&clean.stderr).contains("loads scripts"),
        "{clean:?}"
    );

    for (page, html) in [
        (
            "site/docs/manual/widget.html",
            "<script src=\"https://cdn.jsdelivr.net/npm/widget@1/w.js\"></script><script src=\"https://cdn.jsdelivr.net/npm/other.js\"></script>",
        ),
        (
            "site/docs/comments.html",
            "<iframe src=\"//comments.example.net/embed?page=1\"></iframe>",
        ),
    ] {
        std::fs::write(dir.path().join(page), html).expect("write");
    }
    let output = run();
    assert!(output.status.success(), "warnings, not errors: {output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let root = std::fs::canonicalize(dir.path().join("site")).expect("canonical");
    for (page, origin) in [
        ("docs/manual/widget.html", "https://cdn.jsdelivr.net"),
        ("docs/comments.html", "https://comments.example.net"),
    ] {
        let line = format!(
            "warning: {}: loads scripts or frames from {origin}, which is neither a declared service nor in `csp_sources`",
            root.join(page).display()
        );
        assert!(stderr.contains(&line), "{line}\n{stderr}");
    }
    assert_eq!(
        stderr.matches("cdn.jsdelivr.net").count(),
        1,
        "once per origin: {stderr}"
    );
    assert!(stderr.contains("add it to `csp_sources` in shop.example/site.toml"));

    // Listed, it is no longer named.
    let toml = dir.path().join("content/shop.example/site.toml");
    let text = std::fs::read_to_string(&toml).expect("read");
    std::fs::write(
        &toml,
        text.replace(
            "csp = \"enforce\"\n",
            "csp = \"enforce\"\ncsp_sources = [\"https://cdn.jsdelivr.net\", \"https://*.example.net\"]\n",
        ),
    )
    .expect("write");
    let listed = run();
    assert!(
        !String::from_utf8_lossy(&listed.stderr).contains("loads scripts"),
        "{listed:?}"
    );
}
