//! The last render step: turns the Markdown output (with the operator's
//! inline HTML in it) into well-formed, sanitised HTML split into segments.
//!
//! 1. A streaming rewrite (lol_html) maps the seeds' components to real HTML:
//!    `<Card type="…">` becomes a callout `<aside>`, `<center>` a centred `<div>`,
//!    and `javascript:<service>Optout();` links become typed opt-out markers.
//! 2. ammonia re-parses with html5ever and serialises: stray `</p>` or
//!    `</strong>` fragments are resolved the way browsers do, unknown tags and
//!    attributes and every remaining `javascript:` URL are dropped.
//! 3. The serialised HTML is cut at the markers into [`Segment`]s.

use std::cell::RefCell;
use std::sync::LazyLock;

use lol_html::{RewriteStrSettings, element, rewrite_str};

use crate::content::Problem;
use crate::content::model::{OptOutControl, Segment, ServiceId};
use crate::embeds::Embed;
use crate::lang::Lang;

/// The element that stands for an opt-out control between steps 1 and 3.
/// Never reaches a visitor: step 3 consumes every one.
const MARKER_TAG: &str = "privacy-optout";
const MARKER_OPEN: &str = "<privacy-optout data-service=\"";
const MARKER_CLOSE: &str = "</privacy-optout>";
/// Where kramdown's `{:toc}` put the table of contents; a [`Segment::Toc`].
pub const TOC_MARKER: &str = "<privacy-toc></privacy-toc>\n";
const TOC_TAG: &str = "privacy-toc";

/// Callout kinds a `<Card type="…">` may have, with the class that styles
/// each in `static/style.css`.
const CARD_TYPES: [(&str, &str); 4] = [
    ("critical", "callout-critical"),
    ("warning", "callout-warning"),
    ("info", "callout-info"),
    ("note", "callout-note"),
];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags([MARKER_TAG, TOC_TAG])
        .rm_tags(["center"])
        // Operators' own links carry their own `rel` (kramdown attribute lists).
        .link_rel(None)
        .add_tag_attributes("a", ["target", "rel"])
        .add_tag_attributes("aside", ["role"])
        // Classes from kramdown's block attribute lists (see `kramdown`).
        .add_tag_attributes("p", ["class"])
        .add_tag_attributes("li", ["class"])
        .add_tag_attributes("h1", ["class"])
        .add_tag_attributes("h2", ["class"])
        .add_tag_attributes("h3", ["class"])
        .add_tag_attributes("h4", ["class"])
        .add_tag_attributes(MARKER_TAG, ["data-service"])
        .add_generic_attributes(["id"])
        .add_allowed_classes("div", ["center", "privacy-pages-embed"])
        // Two-click embeds: what consent.js needs to load the player on click.
        .add_tag_attributes(
            "div",
            [
                "lang",
                "data-embed-player",
                "data-embed-play",
                "data-embed-title",
                "data-embed-width",
                "data-embed-height",
            ],
        )
        .add_allowed_classes("aside", CARD_TYPES.map(|(_, class)| class))
        .add_allowed_classes("aside", ["callout"]);
    builder
});

/// Finishes rendered Markdown into segments. Problems carry the source
/// snippet they concern so the loader can name its line.
#[cfg(test)]
pub fn finish(html: &str) -> Result<Vec<Segment>, Problem> {
    finish_for_site(html, None, Lang::En).map(|(segments, _)| segments)
}

/// [`finish`] for a page of the site at `site_url` (`https://example.org`,
/// from `site.url`): links to `/impressum` on it point there, wherever this
/// service runs. Without a `site_url` they stay, and come back as warnings:
/// on a host of its own the service would send them to itself.
pub fn finish_for_site(
    html: &str,
    site_url: Option<&str>,
    lang: Lang,
) -> Result<(Vec<Segment>, Vec<Problem>), Problem> {
    let (rewritten, warnings) = rewrite_components(html, site_url, lang)?;
    let clean = SANITIZER.clean(&rewritten).to_string();
    Ok((split_segments(&clean)?, warnings))
}

fn rewrite_components(
    html: &str,
    site_url: Option<&str>,
    lang: Lang,
) -> Result<(String, Vec<Problem>), Problem> {
    let problem: RefCell<Option<Problem>> = RefCell::new(None);
    let report = |p: Problem| {
        problem.borrow_mut().get_or_insert(p);
    };
    let warnings: RefCell<Vec<Problem>> = RefCell::new(Vec::new());
    let site_url = site_url.map(|url| url.trim_end_matches('/'));
    let rewritten = rewrite_str(
        html,
        RewriteStrSettings::new()
            .append_element_content_handler(element!("card", |el| {
                    let kind = el.get_attribute("type").unwrap_or_else(|| "note".to_owned());
                    let class = CARD_TYPES.iter().find(|(k, _)| *k == kind).map(|(_, c)| *c);
                    let Some(class) = class else {
                        let known: Vec<&str> = CARD_TYPES.iter().map(|(k, _)| *k).collect();
                        report(Problem::at_snippet(
                            format!("type=\"{kind}\""),
                            format!("unknown Card type `{kind}` (known: {})", known.join(", ")),
                        ));
                        return Ok(());
                    };
                    el.set_tag_name("aside")?;
                    el.remove_attribute("type");
                    el.set_attribute("class", &format!("callout {class}"))?;
                    el.set_attribute("role", "note")?;
                    Ok(())
                }))
            // A video player becomes a two-click placeholder (see
            // `crate::embeds`); any other frame would be dropped by the
            // sanitiser without a word, so it is an error.
            .append_element_content_handler(element!("iframe", |el| {
                    let src = el.get_attribute("src").unwrap_or_default();
                    match Embed::recognise(&src) {
                        Some(embed) => el.replace(
                            &embed.placeholder(
                                lang,
                                el.get_attribute("width").as_deref(),
                                el.get_attribute("height").as_deref(),
                                el.get_attribute("title").as_deref(),
                                None,
                                false,
                            ),
                            lol_html::html_content::ContentType::Html,
                        ),
                        None => report(Problem::at_snippet(
                            "<iframe",
                            format!(
                                "an <iframe> (`{src}`) cannot be shown: only YouTube and Vimeo players are, as two-click placeholders; link to it instead"
                            ),
                        )),
                    }
                    Ok(())
                }))
            .append_element_content_handler(element!("center", |el| {
                    el.set_tag_name("div")?;
                    el.set_attribute("class", "center")?;
                    Ok(())
                }))
            .append_element_content_handler(element!("a[href], img[src]", |el| {
                    let name = if el.tag_name() == "img" { "src" } else { "href" };
                    let Some(target) = el.get_attribute(name) else {
                        return Ok(());
                    };
                    if !target.starts_with('/') || target.starts_with("//") {
                        return Ok(());
                    }
                    match site_url {
                        Some(site_url) => el.set_attribute(name, &format!("{site_url}{target}"))?,
                        None => warnings.borrow_mut().push(Problem::at_snippet(
                            target.clone(),
                            format!(
                                "the link `{target}` is relative to the host serving the page, which may not be the site's; set `url` in site.toml's `[site]` (or `_config.yml`) to point it at the site, or write it in full"
                            ),
                        )),
                    }
                    Ok(())
                }))
            .append_element_content_handler(element!("a", |el| {
                    let href = el.get_attribute("href").unwrap_or_default();
                    let onclick = el.get_attribute("onclick").unwrap_or_default();
                    let javascript = is_javascript_url(&href);
                    // A link that goes nowhere by itself: `#`, none, `javascript:…`.
                    let dead = javascript || matches!(href.trim(), "" | "#");
                    // `javascript:gaOptout();`, or `href="#" onclick="gaOptout(); return false;"`.
                    let service = javascript
                        .then(|| opt_out_service(&href))
                        .flatten()
                        .or_else(|| dead.then(|| opt_out_call(&onclick)).flatten());
                    if let Some(service) = service {
                        return make_marker(el, &service);
                    }
                    if javascript {
                        report(Problem::at_snippet(
                            href.clone(),
                            format!(
                                "unsupported `{href}` link: only opt-out links of the form `javascript:<service>Optout();` are allowed"
                            ),
                        ));
                        return Ok(());
                    }
                    // `<a id="cookie-notice-opt-out">Opt-out</a>`, wired by a theme's script.
                    let named = ["id", "class"].iter().find_map(|name| {
                        let value = el.get_attribute(name)?;
                        let squashed = value.to_ascii_lowercase().replace(['-', '_'], "");
                        squashed.contains("optout").then(|| format!("{name}=\"{value}\""))
                    });
                    if let (true, Some(label)) = (dead, named) {
                        report(Problem::at_snippet(
                            label.clone(),
                            format!(
                                "the link `{label}` looks like an opt-out wired up by a theme's script, which is not run here, so it would do nothing; write it as `<a href=\"javascript:<service>Optout();\">` with a service from site.toml"
                            ),
                        ));
                    }
                    Ok(())
                })),
    )
    .map_err(|err| Problem::in_file(format!("cannot rewrite HTML: {err}")))?;
    match problem.into_inner() {
        Some(problem) => Err(problem),
        None => Ok((rewritten, warnings.into_inner())),
    }
}

/// Turns an opt-out link into the typed marker the loader reads.
fn make_marker(
    el: &mut lol_html::html_content::Element<'_, '_>,
    service: &ServiceId,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let names: Vec<String> = el.attributes().iter().map(|a| a.name()).collect();
    for name in names {
        el.remove_attribute(&name);
    }
    el.set_tag_name(MARKER_TAG)?;
    el.set_attribute("data-service", service.as_str())?;
    Ok(())
}

fn is_javascript_url(href: &str) -> bool {
    href.trim_start()
        .get(..11)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("javascript:"))
}

/// `javascript:gaOptout();` → `ga`; `javascript:carbonOptout()` → `carbon`;
/// `javascript:gaOptOut()` → `ga` (the spelling varies between snippets).
pub fn opt_out_service(href: &str) -> Option<ServiceId> {
    let call = href.trim().get(11..)?.trim();
    let call = call.strip_suffix(';').unwrap_or(call).trim_end();
    let name = call.strip_suffix("()")?;
    opt_out_function(name)
}

/// The service of a `<name>Optout` function name, in any case.
fn opt_out_function(name: &str) -> Option<ServiceId> {
    let lower = name.trim().to_ascii_lowercase();
    let service = lower.strip_suffix("optout")?;
    (!service.is_empty()).then(|| service.parse().ok())?
}

/// The one `<service>Optout()` call in an `onclick` handler
/// (`gaOptout(); return false;`), if it makes exactly one.
fn opt_out_call(script: &str) -> Option<ServiceId> {
    let mut calls = script
        .split(';')
        .map(str::trim)
        .filter_map(|statement| statement.strip_suffix("()").and_then(opt_out_function));
    let service = calls.next()?;
    calls.next().is_none().then_some(service)
}

/// Cuts segments at the first heading into (lead, rest).
pub fn split_lead(mut segments: Vec<Segment>) -> (Vec<Segment>, Vec<Segment>) {
    let heading_at = |html: &str| {
        html.match_indices("<h")
            .find(|(i, _)| {
                html.as_bytes()
                    .get(i + 2)
                    .is_some_and(|b| (b'1'..=b'6').contains(b))
            })
            .map(|(i, _)| i)
    };
    let found = segments
        .iter()
        .enumerate()
        .find_map(|(index, segment)| match segment {
            Segment::Html(html) => heading_at(html).map(|offset| (index, offset)),
            Segment::OptOut(_) | Segment::Toc => None,
        });
    let Some((index, offset)) = found else {
        return (Vec::new(), segments);
    };
    let mut rest = segments.split_off(index);
    if let Some(Segment::Html(html)) = rest.first_mut() {
        let before = html[..offset].to_owned();
        html.replace_range(..offset, "");
        if !before.trim().is_empty() {
            segments.push(Segment::Html(before));
        }
    }
    (segments, rest)
}

fn split_segments(html: &str) -> Result<Vec<Segment>, Problem> {
    let mut segments = Vec::new();
    for (index, part) in html.split(TOC_MARKER.trim_end()).enumerate() {
        if index > 0 {
            segments.push(Segment::Toc);
        }
        segments.extend(split_controls(part)?);
    }
    Ok(segments)
}

/// `html` cut at the opt-out markers.
fn split_controls(html: &str) -> Result<Vec<Segment>, Problem> {
    let mut segments = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(MARKER_OPEN) {
        if start > 0 {
            segments.push(Segment::Html(rest[..start].to_owned()));
        }
        let after = &rest[start + MARKER_OPEN.len()..];
        let (service, after) = after
            .split_once("\">")
            .ok_or_else(|| Problem::in_file("malformed opt-out link"))?;
        let (label, after) = after
            .split_once(MARKER_CLOSE)
            .ok_or_else(|| Problem::in_file("malformed opt-out link"))?;
        if label.contains(MARKER_OPEN) {
            return Err(Problem::in_file("an opt-out link must not contain another"));
        }
        let service: ServiceId = service.parse().map_err(Problem::in_file)?;
        segments.push(Segment::OptOut(OptOutControl {
            service,
            label_html: label.trim().to_owned(),
        }));
        rest = after;
    }
    if !rest.is_empty() {
        segments.push(Segment::Html(rest.to_owned()));
    }
    Ok(segments)
}

/// What in `html` a browser could run, or use to pull in another origin's
/// content, as its parser would see it: script-capable elements, event
/// handler and style attributes, `javascript:`/`data:` URLs. Empty for
/// everything the pipeline emits; the property tests and fuzz targets hold
/// the sanitiser to that.
pub fn scriptable_markup(html: &str) -> Vec<String> {
    let found = std::cell::RefCell::new(Vec::new());
    let result = rewrite_str(
        html,
        RewriteStrSettings::new().append_element_content_handler(element!("*", |el| {
            let tag = el.tag_name().to_ascii_lowercase();
            if matches!(
                tag.as_str(),
                "script"
                    | "style"
                    | "iframe"
                    | "object"
                    | "embed"
                    | "base"
                    | "form"
                    | "meta"
                    | "link"
            ) {
                found.borrow_mut().push(format!("<{tag}>"));
            }
            for attribute in el.attributes() {
                let name = attribute.name().to_ascii_lowercase();
                let value: String = attribute
                    .value()
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let url_valued = matches!(
                    name.as_str(),
                    "href"
                        | "src"
                        | "srcset"
                        | "action"
                        | "formaction"
                        | "poster"
                        | "background"
                        | "cite"
                        | "data"
                        | "xlink:href"
                );
                if name.starts_with("on")
                    || name == "style"
                    || (url_valued
                        && ["javascript:", "data:", "vbscript:"]
                            .iter()
                            .any(|scheme| value.starts_with(scheme)))
                {
                    found.borrow_mut().push(format!("{name}={value}"));
                }
            }
            Ok(())
        })),
    );
    if let Err(err) = result {
        found.borrow_mut().push(format!("unparsable: {err}"));
    }
    found.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_players_become_placeholders_and_other_frames_are_errors() {
        let segments = finish(
            "<p>Our talk:</p>\n<iframe width=\"640\" height=\"360\" src=\"https://www.youtube.com/embed/dQw4w9WgXcQ\" title=\"Talk\" allowfullscreen></iframe>",
        )
        .expect("a YouTube player is fine");
        let html = match segments.as_slice() {
            [Segment::Html(html)] => html.clone(),
            other => panic!("{other:?}"),
        };
        assert!(!html.contains("<iframe"), "{html}");
        assert!(!html.contains("style="), "{html}");
        for expected in [
            "class=\"privacy-pages-embed\"",
            "data-embed-player=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1\"",
            "data-embed-width=\"640\"",
            "Playing this video connects to YouTube (Google)",
            "href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\"",
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }
        assert!(scriptable_markup(&html).is_empty());
        let error = finish("<iframe src=\"https://maps.example/embed?q=1\"></iframe>")
            .expect_err("any other frame would vanish");
        assert!(
            format!("{error:?}").contains("only YouTube and Vimeo players"),
            "{error:?}"
        );
    }

    fn html_of(segments: &[Segment]) -> String {
        segments
            .iter()
            .map(|s| match s {
                Segment::Html(h) => h.clone(),
                Segment::OptOut(c) => format!("[{}:{}]", c.service, c.label_html),
                Segment::Toc => "[toc]".to_owned(),
            })
            .collect()
    }

    #[test]
    fn opt_out_links_become_typed_controls() {
        // From the 2022 octoprint.org policy.
        let segments = finish(
            "<p>on future visits to this site: \n<a href=\"javascript:carbonOptout();\">Disable Carbon Ads</a>.</p>",
        )
        .expect("valid");
        assert_eq!(segments.len(), 3);
        assert_eq!(
            segments[1],
            Segment::OptOut(OptOutControl {
                service: "carbon".parse().expect("valid id"),
                label_html: "Disable Carbon Ads".to_owned(),
            })
        );
        assert_eq!(
            html_of(&segments),
            "<p>on future visits to this site: \n[carbon:Disable Carbon Ads].</p>"
        );
    }

    #[test]
    fn opt_out_function_names() {
        for (href, expected) in [
            ("javascript:gaOptout();", Some("ga")),
            ("javascript:gaOptOut();", Some("ga")),
            ("javascript:GAOPTOUT()", Some("ga")),
            ("javascript:carbonOptout()", Some("carbon")),
            ("  JavaScript: carbonOptout() ; ", Some("carbon")),
            ("javascript:alert(1)", None),
            ("javascript:Optout()", None),
            ("javascript:gaOptout", None),
            ("javascript:", None),
            ("https://example.org", None),
        ] {
            assert_eq!(
                opt_out_service(href).as_ref().map(ServiceId::as_str),
                expected,
                "{href}"
            );
        }
    }

    /// Opt-out links as other snippets write them work too; one that only a
    /// theme's script would wire up is an error, not a dead link.
    #[test]
    fn opt_out_links_in_other_forms() {
        for html in [
            "<p><a href=\"#\" onclick=\"gaOptout(); return false;\">Disable GA</a></p>",
            "<p><a onclick=\"gaOptOut()\">Disable GA</a></p>",
            "<p><a href=\"javascript:void(0)\" onclick=\"gaOptout()\">Disable GA</a></p>",
        ] {
            let segments = finish(html).expect(html);
            assert_eq!(html_of(&segments), "<p>[ga:Disable GA]</p>", "{html}");
        }
        // An onclick on a real link, or calling something else, is no opt-out
        // (and the handler is dropped, as every handler is).
        for html in [
            "<p><a href=\"https://example.org\" onclick=\"gaOptout()\">x</a></p>",
            "<p><a href=\"#\" onclick=\"track(); gaOptout(); carbonOptout()\">x</a></p>",
        ] {
            let segments = finish(html).expect(html);
            assert!(!html_of(&segments).contains('['), "{html}");
            assert!(!html_of(&segments).contains("onclick"), "{html}");
        }
        for (html, snippet) in [
            (
                "<p>Click <a id=\"cookie-notice-opt-out\">Opt-out</a>.</p>",
                "id=\"cookie-notice-opt-out\"",
            ),
            (
                "<p><a href=\"#\" class=\"ga-optout\">Opt out</a></p>",
                "class=\"ga-optout\"",
            ),
        ] {
            let problem = finish(html).expect_err(html);
            assert_eq!(problem.snippet.as_deref(), Some(snippet), "{problem:?}");
            assert!(
                problem.reason.contains("wired up by a theme's script"),
                "{problem:?}"
            );
        }
    }

    /// Links relative to the serving host point at the site when its URL is
    /// known, and are warned about when it is not.
    #[test]
    fn root_relative_links() {
        let html = "<p><a href=\"/impressum\">Impressum</a> <img src=\"/logo.png\" alt=\"\"> <a href=\"//cdn.example/x\">x</a> <a href=\"#top\">t</a> <a href=\"https://a.example/\">a</a></p>";
        let (segments, warnings) =
            finish_for_site(html, Some("https://blog.example/"), Lang::En).expect("valid");
        assert!(warnings.is_empty());
        assert_eq!(
            html_of(&segments),
            "<p><a href=\"https://blog.example/impressum\">Impressum</a> <img src=\"https://blog.example/logo.png\" alt=\"\"> <a href=\"//cdn.example/x\">x</a> <a href=\"#top\">t</a> <a href=\"https://a.example/\">a</a></p>"
        );
        let (segments, warnings) = finish_for_site(html, None, Lang::En).expect("valid");
        assert!(html_of(&segments).contains("<a href=\"/impressum\">"));
        let snippets: Vec<&str> = warnings
            .iter()
            .filter_map(|w| w.snippet.as_deref())
            .collect();
        assert_eq!(snippets, ["/impressum", "/logo.png"]);
        assert!(
            warnings[0]
                .reason
                .contains("set `url` in site.toml's `[site]`"),
            "{warnings:?}"
        );
    }

    #[test]
    fn other_javascript_links_are_errors() {
        let problem = finish("<p><a href=\"javascript:alert(1)\">x</a></p>").expect_err("rejected");
        assert_eq!(problem.snippet.as_deref(), Some("javascript:alert(1)"));
    }

    #[test]
    fn stray_closing_tags_do_not_break_the_page() {
        // From the 2018 octoprint.org policy: `</p> <p>` inside a paragraph, a
        // stray `</strong>` in a heading and a stray `</p>` after a paragraph.
        let out = html_of(
            &finish(
                "<p>wiederzuerkennen.</p> <p>Sie können</p>\n<h4 id=\"x\">Objecting to the collection of data</strong></h4>\n<p>policy.</p></p>",
            )
            .expect("valid"),
        );
        assert_eq!(
            out,
            "<p>wiederzuerkennen.</p> <p>Sie können</p>\n<h4 id=\"x\">Objecting to the collection of data</h4>\n<p>policy.</p><p></p>"
        );
    }

    #[test]
    fn card_becomes_a_callout() {
        let out = html_of(
            &finish(
                "<Card type=\"critical\">\n    <p>\n        <strong>x</strong>\n    </p>\n</Card>",
            )
            .expect("valid"),
        );
        assert!(
            out.starts_with("<aside class=\"callout callout-critical\" role=\"note\">"),
            "{out}"
        );
        assert!(out.ends_with("</aside>"), "{out}");
        let problem = finish("<Card type=\"fancy\">x</Card>").expect_err("unknown type");
        assert_eq!(problem.snippet.as_deref(), Some("type=\"fancy\""));
    }

    #[test]
    fn center_becomes_a_div_and_scripts_vanish() {
        let out = html_of(
            &finish("<center><em>x</em></center><script>alert(1)</script><p onclick=\"x()\" style=\"a\">y</p><a href=\"JAVASCRIPT:gaOptout()\">z</a>")
                .expect("valid"),
        );
        assert_eq!(out, "<div class=\"center\"><em>x</em></div><p>y</p>[ga:z]");
    }

    #[test]
    fn the_lead_is_everything_before_the_first_heading() {
        let (lead, rest) = split_lead(finish("<aside>a</aside>\n<p><a href=\"javascript:gaOptout()\">x</a></p><h2 id=\"h\">H</h2><p>b</p>").expect("valid"));
        assert_eq!(html_of(&lead), "<aside>a</aside>\n<p>[ga:x]</p>");
        assert_eq!(html_of(&rest), "<h2 id=\"h\">H</h2><p>b</p>");

        let (lead, rest) = split_lead(finish("<p>no headings, <b>hr</b> <hr></p>").expect("valid"));
        assert!(lead.is_empty());
        assert_eq!(html_of(&rest), "<p>no headings, <b>hr</b> </p><hr><p></p>");

        let (lead, rest) = split_lead(finish("<h2>first</h2>").expect("valid"));
        assert!(lead.is_empty());
        assert_eq!(html_of(&rest), "<h2>first</h2>");
    }

    #[test]
    fn content_cannot_carry_data_service_markers() {
        // The script gate splices our own pages without parsing them, on the
        // promise that no element in them is marked for a service.
        let out = html_of(
            &finish("<div data-service=\"carbon\"><p data-x=\"1\">x</p></div>").expect("valid"),
        );
        assert_eq!(out, "<div><p>x</p></div>");
    }

    #[test]
    fn markers_in_text_are_just_text() {
        let out =
            html_of(&finish("<p>&lt;privacy-optout data-service=\"ga\"&gt;</p>").expect("valid"));
        assert_eq!(out, "<p>&lt;privacy-optout data-service=\"ga\"&gt;</p>");
    }
}
