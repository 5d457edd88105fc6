//! `site.toml` from what the Jekyll site says: name, hosts, language,
//! and a `[services.*]` table for each service its files name.

use std::fmt::Write as _;

use super::Plan;
use super::services::{Found, Recognised};
use crate::lang::Lang;

impl Plan {
    pub(super) fn site_toml(
        &mut self,
        name: &str,
        host: &str,
        lang: Lang,
        recognised: &[Recognised],
    ) -> String {
        let quoted = |text: &str| toml::Value::String(text.to_owned()).to_string();
        let mut hosts = vec![quoted(host)];
        if host.contains('.') && host.parse::<std::net::IpAddr>().is_err() {
            hosts.push(quoted(&match host.strip_prefix("www.") {
                Some(bare) => bare.to_owned(),
                None => format!("www.{host}"),
            }));
        }
        let mut toml = format!(
            "# Written by `privacy-pages import`. See content/README.md for every setting.\nname = {}\nhosts = [{}]\ndefault_language = \"{}\"\n",
            quoted(name),
            hosts.join(", "),
            lang.code()
        );
        for service in recognised {
            let settings: Vec<(&str, String)> = match &service.found {
                Found::GoogleAnalytics { measurement_id } => vec![
                    ("name", "Google Analytics".into()),
                    ("kind", "google-analytics".into()),
                    ("measurement_id", measurement_id.clone()),
                ],
                Found::Carbon { serve, placement } => vec![
                    ("name", "Carbon Ads".into()),
                    ("kind", "carbon".into()),
                    ("serve", serve.clone()),
                    ("placement", placement.clone()),
                ],
                Found::Plausible { domain, script_url } => {
                    let mut settings = vec![
                        ("name", "Plausible Analytics".into()),
                        ("kind", "plausible".into()),
                        ("domain", domain.clone()),
                    ];
                    settings.extend(script_url.clone().map(|url| ("script_url", url)));
                    settings
                }
            };
            let loaded = if service.loaded {
                "the site loads it on its pages, so privacy-pages loads it on the policy pages for visitors who have not opted out"
            } else {
                "named there, not loaded by the site's layouts: declared for the policy's opt-out link, not loaded"
            };
            let _ = write!(
                toml,
                "\n# Found in {}: {loaded}.\n[services.{}]\n",
                service.at,
                service.found.id()
            );
            for (key, value) in settings {
                let _ = writeln!(toml, "{key} = {}", quoted(&value));
            }
            let _ = writeln!(toml, "active = {}", service.loaded);
            // The opt-out the policy describes is what is imported; the law
            // may ask for more, and that is the operator's call.
            if matches!(service.found, Found::GoogleAnalytics { .. }) && service.loaded {
                toml.push_str(
                    "# Google Analytics sets cookies: in the EU (§ 25 TDDDG in Germany) it may load only\n# after the visitor agreed. To ask first, uncomment:\n# consent = \"opt-in\"\n",
                );
                self.undecided.push(
                    "site.toml: Google Analytics is imported with the opt-out the policy describes; in the EU it needs the visitor's consent before it loads (§ 25 TDDDG, the ePrivacy rules): uncomment `consent = \"opt-in\"` to ask first (README, \"Opt-in consent\")".to_owned(),
                );
            }
            self.report.push(format!(
                "site.toml: [services.{}] from {}",
                service.found.id(),
                service.at
            ));
        }
        self.declare_missing_services(&mut toml, recognised);
        toml
    }

    /// An opt-out link for a service the site's files never named: a
    /// commented table to fill in (until then `check` names the link).
    fn declare_missing_services(&mut self, toml: &mut String, recognised: &[Recognised]) {
        const OPT_OUTS: [(&str, &str, &str, &str); 3] = [
            (
                "ga",
                "Google Analytics",
                "google-analytics",
                "measurement_id = \"G-…\"",
            ),
            (
                "carbon",
                "Carbon Ads",
                "carbon",
                "serve = \"…\"\n# placement = \"…\"",
            ),
            (
                "plausible",
                "Plausible Analytics",
                "plausible",
                "domain = \"…\"",
            ),
        ];
        for (id, name, kind, settings) in OPT_OUTS {
            let function = format!("{id}optout");
            let used = self
                .files
                .iter()
                .find(|(_, text)| text.to_lowercase().contains(&function));
            let (Some((page, _)), false) = (
                used,
                recognised.iter().any(|service| service.found.id() == id),
            ) else {
                continue;
            };
            let page = page.display().to_string();
            let _ = write!(
                toml,
                "\n# {page} has a {name} opt-out link, but the site's files name no account:\n# fill in yours and remove the `#`s.\n# [services.{id}]\n# name = \"{name}\"\n# kind = \"{kind}\"\n# {settings}\n"
            );
            self.undecided.push(format!(
                "{page}: an opt-out link for {name}, whose account the site's files do not name: fill in [services.{id}] in site.toml"
            ));
        }
    }
}
