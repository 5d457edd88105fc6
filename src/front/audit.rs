//! What `check` says about a fronted `root` before `csp = "enforce"`: each
//! origin its pages load scripts or frames from that neither a declared
//! service nor `csp_sources` covers. Under the policy, a visitor who turned
//! any service off would not get them, so the operator lists them first.

use std::path::{Path, PathBuf};

use lol_html::{RewriteStrSettings, element, rewrite_str};

use crate::content::{FrontOrigin, Site};
use crate::embeds::{Embed, page_url};
use crate::gate::Recognizer;

/// Pages read at most, and the largest read: enough for any site built by
/// a generator, bounded for one that is not.
const MAX_PAGES: usize = 20_000;
const MAX_PAGE_BYTES: u64 = 2 * 1024 * 1024;

/// An origin the policy would refuse, and the first page that uses it.
#[derive(Debug, PartialEq, Eq)]
pub struct Gap {
    pub page: PathBuf,
    pub origin: String,
}

/// The gaps of `site`'s `root`, in the order the pages are found; none for
/// a site that is not fronted from a folder.
pub fn csp_gaps(site: &Site) -> Vec<Gap> {
    let Some(front) = &site.front else {
        return Vec::new();
    };
    let FrontOrigin::Root(root) = &front.origin else {
        return Vec::new();
    };
    let services = Recognizer::new(site.services.values());
    let sources = Recognizer::for_origins(&front.csp_sources);
    let mut gaps: Vec<Gap> = Vec::new();
    let pages = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file() && is_page(entry.path()))
        .take(MAX_PAGES);
    for entry in pages {
        if entry.metadata().map_or(true, |m| m.len() > MAX_PAGE_BYTES) {
            continue;
        }
        let Ok(html) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        for url in loaded_urls(&html) {
            let covered = services.blocks_url(&url)
                || sources.blocks_url(&url)
                || Embed::recognise(&url).is_some();
            match origin(&url) {
                Some(origin) if !covered && !gaps.iter().any(|gap| gap.origin == origin) => {
                    gaps.push(Gap {
                        page: entry.path().to_owned(),
                        origin,
                    });
                }
                _ => {}
            }
        }
    }
    gaps
}

fn is_page(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("htm"))
}

/// What a page loads as scripts or frames from elsewhere.
fn loaded_urls(html: &str) -> Vec<String> {
    let urls = std::cell::RefCell::new(Vec::new());
    let _ = rewrite_str(
        html,
        RewriteStrSettings::new().append_element_content_handler(element!(
            "script[src], iframe[src]",
            |el| {
                if let Some(src) = el.get_attribute("src") {
                    urls.borrow_mut().push(src);
                }
                Ok(())
            }
        )),
    );
    urls.into_inner()
}

/// `https://host[:port]` of an absolute or protocol-relative URL.
fn origin(url: &str) -> Option<String> {
    Some(page_url(url)?.origin().ascii_serialization())
}
