//! `privacy-pages import DIR`: a Jekyll site's privacy pages as a content
//! folder. The pages are copied as they are (Jekyll's front matter, Liquid
//! and kramdown are what the loader reads), with the includes they use and
//! the site's `_config.yml` for `site.*`; `site.toml` is written from what
//! the site's files say (name, hosts, language, the services its layouts
//! load). What the import cannot decide is said, never guessed silently.
//!
//! [`plan`] only reads; [`Plan::write`] writes a new site folder, never
//! over an existing one.

mod pages;
mod policies;
mod services;
mod site_toml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pages::JekyllConfig;

/// A text file of the Jekyll site, relative to its folder.
#[derive(Debug)]
pub struct SiteFile {
    pub relative: PathBuf,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}: not a directory")]
    NotADirectory(PathBuf),
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: invalid YAML: {reason}")]
    Config {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error(
        "{0}: no privacy page found: a page whose file name, `permalink` or `title` says privacy or Datenschutz, with front matter, outside _posts/ and _layouts/"
    )]
    NothingFound(PathBuf),
    #[error(
        "{0}: already exists: import writes a new site folder and never changes one; move it away or pass another --out"
    )]
    Exists(PathBuf),
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What an import would write, and what it has to say about it.
#[derive(Debug)]
pub struct Plan {
    /// The site folder's name: the site's host.
    pub site_id: String,
    /// Files by their path in the site folder.
    pub files: BTreeMap<PathBuf, String>,
    /// Each written file and where it came from.
    pub report: Vec<String>,
    /// What the operator has to decide or check.
    pub undecided: Vec<String>,
}

/// Files larger than this are no page, include or setting.
const MAX_FILE_BYTES: u64 = 1024 * 1024;
const MAX_FILES: usize = 20_000;

/// Reads the Jekyll site at `dir` and decides what to write.
pub fn plan(dir: &Path) -> Result<Plan, ImportError> {
    if !dir.is_dir() {
        return Err(ImportError::NotADirectory(dir.to_owned()));
    }
    let files = read_site(dir)?;
    let config_file = files
        .iter()
        .find(|f| f.relative == Path::new("_config.yml"));
    let config = match config_file {
        Some(file) => {
            let yaml = serde_yaml_ng::from_str(&file.text).map_err(|err| ImportError::Config {
                path: dir.join("_config.yml"),
                line: err.location().map_or(1, |loc| loc.line()),
                reason: err.to_string(),
            })?;
            JekyllConfig::parse(&yaml)
        }
        None => JekyllConfig::default(),
    };
    let (found, mut undecided) = pages::find(&files, &config);
    if found.is_empty() {
        return Err(ImportError::NothingFound(dir.to_owned()));
    }
    let services = services::recognise(&files);
    undecided.extend(services.notes);

    let (host, host_note) = host(&config, dir);
    undecided.extend(host_note);
    let mut plan = Plan {
        site_id: host.clone(),
        files: BTreeMap::new(),
        report: Vec::new(),
        undecided,
    };
    if let Some(base) = &config.baseurl {
        plan.undecided.push(format!(
            "_config.yml: `baseurl: {base}`: the pages lived under {base}; run privacy-pages with `--base-path {base}` (or mount it there in your proxy)"
        ));
    }
    let default_lang = config
        .lang
        .unwrap_or_else(|| found.first().map_or(crate::lang::Lang::En, |p| p.lang));
    plan.add_policies(found);
    plan.add_includes(&files);
    if let Some(file) = config_file {
        plan.files
            .insert(PathBuf::from("_config.yml"), file.text.clone());
        plan.report
            .push("_config.yml: copied, for `site.*` in the pages".to_owned());
    }
    let name = config.title.clone().unwrap_or_else(|| host.clone());
    let site_toml = plan.site_toml(&name, &host, default_lang, &services.recognised);
    plan.files.insert(PathBuf::from("site.toml"), site_toml);
    Ok(plan)
}

/// The site's host from `url:`, else the folder's name (said).
fn host(config: &JekyllConfig, dir: &Path) -> (String, Option<String>) {
    let from_url = config
        .url
        .as_deref()
        .and_then(crate::embeds::page_url)
        .and_then(|url| url.host_str().map(str::to_ascii_lowercase));
    if let Some(host) = from_url {
        return (host, None);
    }
    let folder = dir
        .canonicalize()
        .ok()
        .and_then(|dir| dir.file_name().map(|n| n.to_string_lossy().to_lowercase()))
        .unwrap_or_default();
    let mut host: String = folder
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    host = host.trim_matches(['-', '.']).to_owned();
    if host.is_empty() {
        host = "site".to_owned();
    }
    let note = format!(
        "hosts: `_config.yml` has no `url`, so site.toml names the site `{host}` after its folder: write the site's domain in `hosts` (and rename the folder if you like)"
    );
    (host, Some(note))
}

impl Plan {
    /// Writes the site folder under `out` (made if missing) and returns its
    /// path. Written beside it first and renamed into place, so an import
    /// that fails half-way leaves no half site behind.
    pub fn write(&self, out: &Path) -> Result<PathBuf, ImportError> {
        let target = out.join(&self.site_id);
        if target.exists() {
            return Err(ImportError::Exists(target));
        }
        let staging = out.join(format!(".import-{}", self.site_id));
        let write = |path: &Path, text: Option<&str>| {
            match text {
                Some(text) => std::fs::write(path, text),
                None => std::fs::create_dir_all(path),
            }
            .map_err(|source| ImportError::Write {
                path: path.to_owned(),
                source,
            })
        };
        let _ = std::fs::remove_dir_all(&staging);
        write(&staging, None)?;
        let result = self
            .files
            .iter()
            .try_for_each(|(relative, text)| {
                let path = staging.join(relative);
                if let Some(parent) = path.parent() {
                    write(parent, None)?;
                }
                write(&path, Some(text))
            })
            .and_then(|()| {
                std::fs::rename(&staging, &target).map_err(|source| ImportError::Write {
                    path: target.clone(),
                    source,
                })
            });
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        result.map(|()| target)
    }
}

/// The site's text files, without the built site, dependencies and hidden
/// folders.
fn read_site(dir: &Path) -> Result<Vec<SiteFile>, ImportError> {
    const SKIPPED: [&str; 5] = ["_site", "node_modules", "vendor", ".jekyll-cache", ".git"];
    const TEXT: [&str; 9] = [
        "md", "markdown", "html", "htm", "yml", "yaml", "liquid", "js", "txt",
    ];
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            entry.depth() == 0 || !(name.starts_with('.') || SKIPPED.contains(&name.as_ref()))
        });
    for entry in walker.take(MAX_FILES) {
        let entry = entry.map_err(|err| ImportError::Read {
            path: err.path().unwrap_or(dir).to_owned(),
            source: err.into(),
        })?;
        let path = entry.path();
        let is_text = path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| TEXT.iter().any(|t| ext.eq_ignore_ascii_case(t)));
        if !entry.file_type().is_file()
            || !is_text
            || entry.metadata().map_or(true, |m| m.len() > MAX_FILE_BYTES)
        {
            continue;
        }
        let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
            path: path.to_owned(),
            source,
        })?;
        // A file that is not UTF-8 is no page or include the loader could read.
        if let Ok(text) = String::from_utf8(bytes) {
            files.push(SiteFile {
                relative: path.strip_prefix(dir).unwrap_or(path).to_owned(),
                text,
            });
        }
    }
    Ok(files)
}
