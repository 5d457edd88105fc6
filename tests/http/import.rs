//! `privacy-pages import DIR`, as an operator runs it on a Jekyll site: the
//! content folder it writes loads, and serves the policies at the
//! addresses Jekyll served them, with their includes and opt-out links.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use privacy_pages::content::{self, Source};
use privacy_pages::{AppState, app};

use crate::support::send_to;

fn blog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/jekyll-blog")
}

fn import(site: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_privacy-pages"))
        .arg("import")
        .arg(site)
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            entry
                .path()
                .strip_prefix(dir)
                .expect("under dir")
                .display()
                .to_string()
        })
        .collect();
    files.sort();
    files
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).expect("readable")
}

async fn get(state: AppState, path: &str) -> (StatusCode, String) {
    let request = Request::get(path)
        .header("host", "blog.example")
        .body(Body::empty())
        .expect("request");
    let reply = send_to(app(state), request).await;
    (reply.status, reply.body)
}

#[tokio::test]
async fn a_jekyll_blog_is_served_at_its_old_addresses_with_its_includes_and_controls() {
    let out = tempfile::tempdir().expect("temp dir");
    let output = import(&blog(), out.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    let folder = out.path().join("blog.example");
    assert_eq!(
        files_under(&folder),
        [
            "_config.yml",
            "_includes/adresse.html",
            "_includes/kontakt.html",
            "datenschutz.de.md",
            "privacy.en.md",
            "site.toml"
        ],
        "the two policies, the include and the include it includes; not the blog post, the built site or other pages"
    );
    // As they were, except the address Jekyll gave the page without a permalink.
    assert_eq!(
        read(folder.join("privacy.en.md")),
        read(blog().join("privacy.md"))
    );
    assert_eq!(
        read(folder.join("datenschutz.de.md")),
        read(blog().join("datenschutz.md")).replacen(
            "date: 2023-04-01T10:00:00+02:00\n---",
            "date: 2023-04-01T10:00:00+02:00\npermalink: /datenschutz.html\n---",
            1
        )
    );
    let site_toml = read(folder.join("site.toml"));
    for expected in [
        "name = \"Mein Blog\"",
        "hosts = [\"blog.example\", \"www.blog.example\"]",
        "default_language = \"de\"",
        "[services.carbon]\nname = \"Carbon Ads\"\nkind = \"carbon\"\nserve = \"CKYITEST\"\nplacement = \"blogexample\"\nactive = true",
        "# Found in _config.yml:8",
        "[services.ga]\nname = \"Google Analytics\"\nkind = \"google-analytics\"\nmeasurement_id = \"G-TEST1234\"\nactive = true",
    ] {
        assert!(site_toml.contains(expected), "{expected}\nin\n{site_toml}");
    }
    assert!(stdout.contains("no problems"), "{stdout}");
    assert!(
        stdout.contains("datenschutz.de.md: datenschutz.md (German, by `_config.yml`), with `permalink: /datenschutz.html` added"),
        "{stdout}"
    );
    assert!(
        stdout.contains("separate policies here, each at its old address"),
        "{stdout}"
    );
    assert!(
        stdout.contains("uncomment `consent = \"opt-in\"` to ask first"),
        "{stdout}"
    );
    assert!(
        site_toml.contains("\n# consent = \"opt-in\"\n"),
        "{site_toml}"
    );

    let library = content::load(&Source::Dir(out.path().to_owned())).expect("loads");
    let (status, german) = get(AppState::new(library.clone()), "/datenschutz.html").await;
    assert_eq!(status, StatusCode::OK);
    assert!(german.contains("Erika Mustermann"), "the nested include");
    assert!(
        german.contains("action=\"/optout/ga\""),
        "the onclick opt-out link became a control"
    );
    assert!(german.contains("action=\"/optout/carbon\""));
    assert!(german.contains("googletagmanager.com/gtag/js?id=G-TEST1234"));
    let (status, english) = get(AppState::new(library), "/privacy/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(english.contains("<h1>Privacy Policy</h1>"), "{english}");
}

#[test]
fn an_existing_site_folder_is_never_overwritten() {
    let out = tempfile::tempdir().expect("temp dir");
    assert!(import(&blog(), out.path()).status.success());
    let edited = out.path().join("blog.example/site.toml");
    std::fs::write(&edited, "# the operator's edits\n").expect("write");
    let output = import(&blog(), out.path());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "blog.example: already exists: import writes a new site folder and never changes one"
        ),
        "{stderr}"
    );
    assert_eq!(read(&edited), "# the operator's edits\n");
    assert_eq!(
        files_under(out.path()).len(),
        6,
        "nothing written beside it either"
    );
}

/// A site the import cannot finish on its own: no `url`, a policy in a
/// collection, written in HTML, an opt-out link for an account no file
/// names, an include from the theme. Everything is written, the check's
/// problems are printed, and each open question is said.
#[test]
fn what_the_import_cannot_decide_is_said() {
    let temp = tempfile::tempdir().expect("temp dir");
    let site = temp.path().join("Shop_Site");
    let write = |relative: &str, text: &str| {
        let path = site.join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "_config.yml",
        "title: Shop\ncollections:\n  pages:\n    output: true\n",
    );
    write(
        "_pages/privacy.html",
        "---\ntitle: Privacy Policy\n---\n<h2>Analytics</h2>\n    <p>We use analytics.\n      <a href=\"#\" onclick=\"gaOptout(); return false;\">Opt out</a></p>\n\n    <p>The end.</p>\n{% include theme-footer.html %}\n",
    );
    let out = tempfile::tempdir().expect("temp dir");
    let output = import(&site, out.path());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Named after the folder, as a host name would be spelt.
    let folder_name = "shop-site";
    for said in [
        "hosts: `_config.yml` has no `url`, so site.toml names the site `shop-site` after its folder".to_owned(),
        "_pages/privacy.html: in a collection, so its address was the collection's setting: it is now at /privacy".to_owned(),
        "_pages/privacy.html: written in HTML".to_owned(),
        "privacy.en.md: an opt-out link for Google Analytics, whose account the site's files do not name: fill in [services.ga] in site.toml".to_owned(),
        "privacy.en.md: includes `theme-footer.html`, which is not in the site's _includes/".to_owned(),
    ] {
        assert!(stdout.contains(&said), "{said}\nin\n{stdout}");
    }
    let page = read(out.path().join(folder_name).join("privacy.en.md"));
    assert!(
        page.contains("\n<p>We use analytics.\n<a href=\"#\""),
        "indentation Markdown would show as code is gone: {page}"
    );
    let site_toml = read(out.path().join(folder_name).join("site.toml"));
    assert!(site_toml.contains("# [services.ga]\n"), "{site_toml}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("privacy.en.md:"),
        "the check's problems: {stderr}"
    );
}

#[test]
fn a_site_without_a_privacy_page_writes_nothing() {
    let site = tempfile::tempdir().expect("temp dir");
    std::fs::write(site.path().join("about.md"), "---\ntitle: About\n---\nHi\n").expect("write");
    let out = tempfile::tempdir().expect("temp dir");
    let output = import(site.path(), out.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no privacy page found"),
        "{output:?}"
    );
    assert!(files_under(out.path()).is_empty());
}
