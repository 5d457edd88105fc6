//! Two-click embeds: a YouTube or Vimeo player in an operator's page is
//! replaced by a placeholder that contacts nobody (no player, no thumbnail
//! from `i.ytimg.com`), sized like the video, saying in the page's language
//! that playing it connects to the provider and linking the policy. Without
//! JavaScript it links to the video on the provider's site; with it,
//! `consent.js` adds a button that loads the player, from
//! `youtube-nocookie.com` for YouTube, only when clicked.

use askama::filters::Escaper;

use crate::i18n::Tr;
use crate::lang::Lang;

/// A video player an operator embedded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embed {
    provider: &'static str,
    /// The player to load on click.
    player: String,
    /// The video on the provider's own site.
    watch: String,
}

impl Embed {
    /// `youtube` or `vimeo`: the `kind` (and the id) of the service a site
    /// declares to let a visitor allow these players for good.
    pub fn kind(&self) -> &'static str {
        if self.provider == "Vimeo" {
            "vimeo"
        } else {
            "youtube"
        }
    }

    /// The embed an `<iframe src>` loads, if it is a YouTube or Vimeo player.
    pub fn recognise(src: &str) -> Option<Embed> {
        let url = page_url(src)?;
        let host = url.host_str()?.to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host);
        let mut segments = url.path_segments()?;
        let query: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| name != "autoplay")
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        match host {
            "youtube.com" | "youtube-nocookie.com" => {
                if segments.next()? != "embed" {
                    return None;
                }
                let id = segments.next()?;
                let valid = !id.is_empty()
                    && id.len() <= 64
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !valid {
                    return None;
                }
                let mut player =
                    url::Url::parse(&format!("https://www.youtube-nocookie.com/embed/{id}"))
                        .ok()?;
                player
                    .query_pairs_mut()
                    .extend_pairs(&query)
                    .append_pair("autoplay", "1");
                Some(Embed {
                    provider: "YouTube (Google)",
                    player: player.into(),
                    watch: format!("https://www.youtube.com/watch?v={id}"),
                })
            }
            "player.vimeo.com" => {
                if segments.next()? != "video" {
                    return None;
                }
                let id = segments.next()?;
                if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let mut player =
                    url::Url::parse(&format!("https://player.vimeo.com/video/{id}")).ok()?;
                player
                    .query_pairs_mut()
                    .extend_pairs(query.iter().filter(|(name, _)| name != "dnt"))
                    .append_pair("dnt", "1")
                    .append_pair("autoplay", "1");
                Some(Embed {
                    provider: "Vimeo",
                    player: player.into(),
                    watch: format!("https://vimeo.com/{id}"),
                })
            }
            _ => None,
        }
    }

    /// The placeholder, in `lang`, `width`×`height` like the player
    /// (560×315 when the page did not say), linking `policy`. `styled`:
    /// with its look inline, for an operator's page, which has not got
    /// privacy-pages' stylesheet; else by its class alone (a policy page).
    pub fn placeholder(
        &self,
        lang: Lang,
        width: Option<&str>,
        height: Option<&str>,
        title: Option<&str>,
        policy: Option<&str>,
        styled: bool,
    ) -> String {
        let tr = Tr(lang);
        let size = |value: Option<&str>, default: u32| {
            value
                .and_then(|v| v.trim().trim_end_matches("px").parse::<u32>().ok())
                .filter(|v| (1..=4000).contains(v))
                .unwrap_or(default)
        };
        let (width, height) = (size(width, 560), size(height, 315));
        let title = title.map(str::trim).filter(|t| !t.is_empty());
        let site = if self.provider == "Vimeo" {
            "Vimeo"
        } else {
            "YouTube"
        };
        let watch = match title {
            Some(title) => tr.with(&[("title", title), ("site", site)], "embed-watch"),
            None => tr.with(&[("site", site)], "embed-watch-untitled"),
        };
        let (box_style, p_style, a_style) = if styled {
            (
                format!(
                    " style=\"box-sizing:border-box;width:100%;max-width:{width}px;aspect-ratio:{width}/{height};\
                     display:flex;flex-direction:column;justify-content:center;gap:.75em;padding:1em;\
                     border:1px solid #767676;background:#f5f5f5;color:#111;font:1rem/1.4 system-ui,sans-serif\""
                ),
                " style=\"margin:0\"",
                " style=\"color:#0645ad\"",
            )
        } else {
            (String::new(), "", "")
        };
        let mut html = String::new();
        html.push_str("<div class=\"privacy-pages-embed\" data-embed-player=\"");
        escape(&mut html, &self.player);
        html.push_str("\" data-embed-play=\"");
        escape(&mut html, &tr.with(&[("provider", site)], "embed-play"));
        html.push_str("\" data-embed-title=\"");
        escape(&mut html, title.unwrap_or(site));
        // Offered by consent.js where the site declares the player as a
        // service (`[services.youtube] kind = "youtube"`).
        html.push_str("\" data-embed-kind=\"");
        html.push_str(self.kind());
        html.push_str("\" data-embed-always=\"");
        escape(&mut html, &tr.with(&[("site", site)], "embed-always"));
        html.push_str(&format!(
            "\" data-embed-width=\"{width}\" data-embed-height=\"{height}\" lang=\"{lang}\"{box_style}><p{p_style}>"
        ));
        escape(
            &mut html,
            &tr.with(&[("provider", self.provider)], "embed-notice"),
        );
        if let Some(policy) = policy {
            html.push_str(&format!(" <a{a_style} href=\""));
            escape(&mut html, policy);
            html.push_str("\">");
            escape(&mut html, &tr.get("embed-policy"));
            html.push_str("</a>");
        }
        html.push_str(&format!("</p><p{p_style}><a{a_style} href=\""));
        escape(&mut html, &self.watch);
        html.push_str("\" rel=\"noopener\">");
        escape(&mut html, &watch);
        html.push_str("</a></p></div>");
        html
    }
}

/// An absolute `http(s)` URL as a page writes it in `src` or `href`,
/// a protocol-relative one (`//host/x.js`) read as the browser reads it;
/// `None` for a relative URL (the site's own) or another scheme.
pub fn page_url(src: &str) -> Option<url::Url> {
    let src = src.trim();
    let url = if src.starts_with("//") {
        url::Url::parse(&format!("https:{src}"))
    } else {
        url::Url::parse(src)
    }
    .ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// `text` onto `out`, escaped for HTML text and quoted attribute values.
pub(crate) fn escape(out: &mut String, text: &str) {
    // Writing to a String cannot fail.
    let _ = askama::filters::Html.write_escaped_str(&mut *out, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn youtube_and_vimeo_players_are_recognised_and_nothing_else() {
        let youtube =
            Embed::recognise("https://www.youtube.com/embed/dQw4w9WgXcQ?start=30&autoplay=0")
                .expect("youtube");
        assert_eq!(
            youtube.player,
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=30&autoplay=1"
        );
        assert_eq!(youtube.watch, "https://www.youtube.com/watch?v=dQw4w9WgXcQ");
        assert!(Embed::recognise("//www.youtube-nocookie.com/embed/abc_-1").is_some());
        let vimeo = Embed::recognise("https://player.vimeo.com/video/76979871?h=8272103f6e")
            .expect("vimeo");
        assert_eq!(
            vimeo.player,
            "https://player.vimeo.com/video/76979871?h=8272103f6e&dnt=1&autoplay=1"
        );
        for other in [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.youtube.com/embed/",
            "https://www.youtube.com/embed/a\"b",
            "https://youtube.com.evil.example/embed/x",
            "https://player.vimeo.com/video/abc",
            "https://maps.google.com/maps?q=x",
            "/embed/local",
        ] {
            assert_eq!(Embed::recognise(other), None, "{other}");
        }
    }

    #[test]
    fn the_placeholder_says_who_it_connects_to_and_loads_nothing() {
        let embed =
            Embed::recognise("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ").expect("embed");
        let html = embed.placeholder(
            Lang::De,
            Some("640"),
            Some("360"),
            Some("A \"talk\""),
            Some("/privacy#youtube"),
            true,
        );
        assert!(
            html.contains("max-width:640px;aspect-ratio:640/360"),
            "{html}"
        );
        assert!(
            html.contains("verbinden Sie sich mit YouTube (Google)"),
            "{html}"
        );
        assert!(
            html.contains("href=\"/privacy#youtube\">Datenschutzerklärung</a>"),
            "{html}"
        );
        assert!(html.contains("A &#34;talk&#34;"), "{html}");
        assert!(!html.contains("<iframe") && !html.contains("<img") && !html.contains("ytimg"));
        let english = embed.placeholder(Lang::En, Some("100%"), None, None, None, true);
        let plain = embed.placeholder(Lang::En, None, None, None, None, false);
        assert!(!plain.contains("style="), "{plain}");
        assert!(
            english.contains("max-width:560px;aspect-ratio:560/315"),
            "{english}"
        );
        assert!(english.contains("Watch on YouTube"), "{english}");
    }
}
