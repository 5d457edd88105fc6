//! Every seed policy as a visitor gets it, snapshotted whole so that any
//! change to rendering shows up in review.

use crate::support::{assert_well_formed, get};

/// (snapshot name, Host, path): all five seed policies, both 2018 translations.
const SEED_PAGES: [(&str, &str, &str); 6] = [
    ("octoprint_2022_en", "octoprint.org", "/privacy"),
    (
        "octoprint_2018_de",
        "octoprint.org",
        "/privacy/2018-05-22?lang=de",
    ),
    (
        "octoprint_2018_en",
        "octoprint.org",
        "/privacy/2018-05-22?lang=en",
    ),
    ("foosel_en", "foosel.net", "/privacy"),
    ("ispconfig_en", "ispconfig.org", "/privacy"),
    ("simplyprint_en", "simplyprint.io", "/privacy"),
];

#[tokio::test]
async fn every_seed_page_renders() {
    for (name, host, path) in SEED_PAGES {
        let reply = get(path, &[("host", host)]).await;
        assert_eq!(reply.status, 200, "{name}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{name}"
        );
        for leftover in [
            "{{",
            "{%",
            "{:",
            "javascript:",
            "privacy-optout",
            "<Card",
            "<center",
        ] {
            assert!(
                !reply.body.contains(leftover),
                "{name} contains {leftover:?}"
            );
        }
        assert_well_formed(&reply.body);
        insta::assert_snapshot!(name, crate::support::without_fingerprints(&reply.body));
    }
}
