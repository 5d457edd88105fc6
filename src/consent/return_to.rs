//! Where a visitor returns to after changing a setting: a form post names
//! the page it came from, and the answer is a redirect there. The name comes
//! from the request body, so it must never lead off the site (an open
//! redirect) or out of the service's mount.

use crate::content::ServiceId;

/// Longest `return_to` accepted; anything longer falls back to the policy page.
pub const MAX_RETURN_TO: usize = 2048;

/// `return_to` only if it is a path on this site: resolved the way a browser
/// resolves a `Location`, it must stay on the same origin. Schemes,
/// `//host`, `/\host`, control characters and their encoded forms are refused.
pub fn safe_return_to(raw: &str) -> Option<String> {
    if raw.len() > MAX_RETURN_TO
        || !raw.starts_with('/')
        || raw.starts_with("//")
        || raw.contains('\\')
        || raw.chars().any(char::is_control)
    {
        return None;
    }
    let origin = url::Url::parse("http://privacy-pages.invalid/").ok()?;
    let resolved = origin.join(raw).ok()?;
    if resolved.origin() != origin.origin() || resolved.path().starts_with("//") {
        return None;
    }
    let decoded: String = percent_decode(resolved.path());
    if decoded.starts_with("//") || decoded.contains('\\') || decoded.chars().any(char::is_control)
    {
        return None;
    }
    let mut target = resolved.path().to_owned();
    if let Some(query) = resolved.query() {
        target.push('?');
        target.push_str(query);
    }
    Some(target)
}

/// Whether `target` (a path from [`safe_return_to`]) is one of the
/// service's own pages: at or below `base`, where it is mounted.
pub fn under_mount(target: &str, base: &str) -> bool {
    base.is_empty()
        || target
            .strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
}

fn percent_decode(path: &str) -> String {
    form_urlencoded::parse(format!("p={}", path.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// `return_to` plus `param=<id>` (`optout=carbon`, `optin=carbon`), which
/// the page reads to confirm the change. Any earlier confirmation is dropped.
pub fn with_confirmation(return_to: &str, param: &str, service: &ServiceId) -> String {
    with_param(return_to, param, service.as_str())
}

/// `return_to` plus `param=<value>`, any earlier confirmation (`optout`,
/// `optin`, `consent`) dropped.
pub fn with_param(return_to: &str, param: &str, value: &str) -> String {
    let (path, query) = return_to.split_once('?').unwrap_or((return_to, ""));
    let kept = query_without(query, &["optout", "optin", "consent"]);
    let mut serializer = form_urlencoded::Serializer::new(kept);
    serializer.append_pair(param, value);
    format!("{path}?{}", serializer.finish())
}

/// `query` without the parameters `keys` names (a confirmation, shown
/// once), the rest as they were, re-encoded; empty when nothing is left.
pub fn query_without(query: &str, keys: &[&str]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if !keys.contains(&key.as_ref()) {
            serializer.append_pair(&key, &value);
        }
    }
    serializer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_accepts_paths_on_this_site() {
        for (raw, expected) in [
            ("/privacy", "/privacy"),
            ("/privacy?lang=de", "/privacy?lang=de"),
            (
                "/privacy/2018-05-22?lang=de#x",
                "/privacy/2018-05-22?lang=de",
            ),
            ("/legal/privacy", "/legal/privacy"),
            ("/a/../privacy", "/privacy"),
            ("/", "/"),
        ] {
            assert_eq!(safe_return_to(raw).as_deref(), Some(expected), "{raw}");
        }
    }

    #[test]
    fn return_to_stays_under_the_mount() {
        for (target, base, expected) in [
            ("/privacy", "", true),
            ("/admin/x", "", true),
            ("/legal/privacy", "/legal", true),
            ("/legal", "/legal", true),
            ("/legal?lang=de", "/legal", true),
            ("/admin/x", "/legal", false),
            ("/legalese/x", "/legal", false),
            ("/", "/legal", false),
            ("/proxy/legal/privacy", "/proxy/legal", true),
            ("/legal/privacy", "/proxy/legal", false),
        ] {
            assert_eq!(
                under_mount(target, base),
                expected,
                "{target} under {base:?}"
            );
        }
    }

    #[test]
    fn return_to_refuses_everything_off_site() {
        let payloads = [
            "//evil.example/",
            "//evil.example",
            "///evil.example/",
            "////evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "/\\/evil.example",
            "https://evil.example/",
            "http:evil.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "evil.example",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "/%5Cevil.example",
            "/%5c%5cevil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nLocation: https://evil.example",
            "/.//evil.example",
            "/./%2F/evil.example",
            " //evil.example",
            "",
            "?x=1",
            "#frag",
            "/%09/evil.example",
            "/%0d%0aSet-Cookie:x=1",
        ];
        assert!(payloads.len() > 20);
        for raw in payloads {
            assert_eq!(safe_return_to(raw), None, "{raw:?}");
        }
        assert_eq!(
            safe_return_to(&format!("/{}", "a".repeat(MAX_RETURN_TO))),
            None
        );
    }
}
