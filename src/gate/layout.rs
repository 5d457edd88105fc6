//! Where the gate splices a document the service rendered itself, without
//! parsing it.

use super::Injection;

/// Attached by handlers whose HTML they rendered themselves: where its
/// `</head>` and `</body>` are (byte offsets), and a promise that it holds no
/// `data-service` elements (policy content is sanitised, templates have none).
/// The gate then splices its tags in without parsing the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownLayout {
    pub head_end: usize,
    /// Just after the `<body …>` start tag: where the banner goes.
    pub body_start: usize,
    pub body_end: usize,
}

impl KnownLayout {
    /// The layout of a document the caller rendered, if it has both closing tags in order.
    pub fn of(html: &str) -> Option<Self> {
        let head_end = html.find("</head>")?;
        let body_tag = head_end + html[head_end..].find("<body")?;
        let body_start = body_tag + html[body_tag..].find('>')? + 1;
        let body_end = html.rfind("</body>")?;
        (body_start <= body_end).then_some(KnownLayout {
            head_end,
            body_start,
            body_end,
        })
    }

    pub(super) fn splice(self, html: &[u8], injection: &Injection) -> Option<Vec<u8>> {
        let fits = self.head_end < self.body_start
            && self.body_start <= self.body_end
            && self.body_end <= html.len()
            && html[self.head_end..].starts_with(b"</head>")
            && html[..self.body_start].ends_with(b">")
            && html[self.body_end..].starts_with(b"</body>");
        if !fits {
            return None;
        }
        let mut out = Vec::with_capacity(
            html.len() + injection.head.len() + injection.banner.len() + injection.body.len(),
        );
        out.extend_from_slice(&html[..self.head_end]);
        out.extend_from_slice(injection.head.as_bytes());
        out.extend_from_slice(&html[self.head_end..self.body_start]);
        out.extend_from_slice(injection.banner.as_bytes());
        out.extend_from_slice(&html[self.body_start..self.body_end]);
        out.extend_from_slice(injection.body.as_bytes());
        out.extend_from_slice(&html[self.body_end..]);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_goes_after_the_body_start_tag() {
        let html = "<html><head><title>x</title></head>\n<body class=\"page\"><main>text</main></body></html>";
        let layout = KnownLayout::of(html).expect("a layout");
        let injection = Injection {
            head: "<H>".into(),
            banner: "<B>".into(),
            body: "<F>".into(),
            remove: Default::default(),
        };
        let out = layout.splice(html.as_bytes(), &injection).expect("splices");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "<html><head><title>x</title><H></head>\n<body class=\"page\"><B><main>text</main><F></body></html>"
        );
        // A document that is not the one measured is left to the parser.
        assert_eq!(layout.splice(b"<p>other</p>", &injection), None);
        assert_eq!(KnownLayout::of("<head></head><p>no body</p></body>"), None);
    }

    /// Any page the service could render (a head and a body of ordinary
    /// pieces): splicing it gives what the rewriter gives.
    mod any_rendered_page {
        use super::*;
        use proptest::prelude::*;

        const PIECES: [&str; 7] = [
            "<p>x &amp; ü</p>",
            "<!-- a comment -->",
            "<script>var s = '</scr' + 'ipt>';</script>",
            "<title>t</title>",
            "<div class=\"a\"><b>b</b></div>",
            "<pre>&lt;/body&gt; &lt;/head&gt;</pre>",
            "<script type=\"application/ld+json\">{\"a\": \"</b>\"}</script>",
        ];

        proptest! {
            #[test]
            fn splicing_is_rewriting(
                head in proptest::collection::vec(0..PIECES.len(), 0..5),
                body in proptest::collection::vec(0..PIECES.len(), 0..8),
            ) {
                let pieces = |picks: &[usize]| picks.iter().map(|&i| PIECES[i]).collect::<String>();
                let html = format!(
                    "<!doctype html><html lang=\"en\"><head>{}</head>\n<body class=\"page\">{}</body></html>",
                    pieces(&head),
                    pieces(&body)
                );
                let injection = Injection {
                    head: "<H>".into(),
                    banner: "<B>".into(),
                    body: "<F>".into(),
                    remove: Default::default(),
                };
                let layout = KnownLayout::of(&html).expect("a layout");
                prop_assert_eq!(
                    layout.splice(html.as_bytes(), &injection),
                    Some(crate::gate::rewrite(html.as_bytes(), &injection).expect("rewrites"))
                );
            }
        }
    }
}
