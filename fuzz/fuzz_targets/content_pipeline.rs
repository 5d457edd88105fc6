//! A policy file, whole: front matter → Liquid → Markdown → sanitised HTML.
//! Loading must never panic; an error must name the file; what renders must
//! carry no script.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use privacy_pages::content::{self, Segment};

const SITE: &str = "name = \"Example\"\nhosts = [\"example.org\"]\ndefault_language = \"en\"\ndefault = true\n\
[services.carbon]\nname = \"Carbon Ads\"\nkind = \"carbon\"\nserve = \"C\"\nplacement = \"p\"\nactive = true\n\
[services.ga]\nname = \"GA\"\nkind = \"google-analytics\"\nmeasurement_id = \"G-1\"\nactive = true\n";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let files = [
        ("example.org/site.toml", SITE),
        ("example.org/privacy.en.md", text.as_ref()),
    ];
    match content::load_from_memory(Path::new("/content"), &files) {
        Ok(library) => {
            for document in library.documents() {
                for segment in document.lead.iter().chain(&document.body) {
                    if let Segment::Html(html) = segment {
                        let found = content::scriptable_markup(html);
                        assert!(found.is_empty(), "{found:?} in {html}");
                    }
                }
            }
        }
        Err(errors) => {
            assert!(!errors.0.is_empty());
            assert!(errors.to_string().contains("/content/example.org/"), "{errors}");
        }
    }
});
