//! Any Accept-Language value: negotiation picks an offered language and
//! never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privacy_pages::lang::Lang;
use privacy_pages::request::negotiate::LangPrefs;

fuzz_target!(|header: &str| {
    let prefs = LangPrefs::from_header(Some(header));
    for available in [&[Lang::En][..], &[Lang::De][..], &Lang::ALL[..]] {
        let chosen = prefs.choose(available, Lang::En);
        assert!(available.contains(&chosen) || chosen == Lang::En);
    }
    let _ = prefs.preferred(Lang::De);
});
