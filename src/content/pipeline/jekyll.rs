//! Jekyll's own Liquid filters, which Jekyll pages use and Liquid's
//! standard library lacks: `relative_url`, `absolute_url`,
//! `date_to_string`, `date_to_long_string`, `slugify`, `xml_escape`,
//! `jsonify`, `markdownify`. They read `site.url` and `site.baseurl` as
//! Jekyll does (see the loader's `site.*`).

use liquid_core::model::ScalarCow;
use liquid_core::{
    Display_filter, Error, Filter, FilterReflection, ParseFilter, Result, Runtime, Value, ValueView,
};
use time::macros::format_description;

use super::front_matter::parse_lastupdate;

/// The two types liquid wants for each filter: the public one that is
/// registered (`.filter(RelativeUrl)`), and the parsed one that runs.
macro_rules! filter {
    ($(#[doc = $doc:literal])* $public:ident, $parsed:ident, $name:literal) => {
        $(#[doc = $doc])*
        #[derive(Clone, ParseFilter, FilterReflection)]
        #[filter(name = $name, description = $name, parsed($parsed))]
        pub struct $public;

        #[derive(Debug, Default, Display_filter)]
        #[name = $name]
        struct $parsed;
    };
}

/// `site.<key>` as text, if set.
fn site_value(runtime: &dyn Runtime, key: &'static str) -> Option<String> {
    let value = runtime.try_get(&[ScalarCow::new("site"), ScalarCow::new(key)])?;
    (!value.is_nil()).then(|| value.to_kstr().to_string())
}

/// `/path` under `site.baseurl`, as Jekyll joins them.
fn relative(runtime: &dyn Runtime, input: &str) -> String {
    let base = site_value(runtime, "baseurl").unwrap_or_default();
    let base = base.trim_end_matches('/');
    if input.is_empty() {
        return format!("{base}/");
    }
    if input.contains("://") {
        return input.to_owned();
    }
    format!("{base}/{}", input.trim_start_matches('/'))
}

filter! {
    /// Prefixes a path with site.baseurl.
    RelativeUrl, RelativeUrlFilter, "relative_url"
}

impl Filter for RelativeUrlFilter {
    fn evaluate(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> Result<Value> {
        Ok(Value::scalar(relative(runtime, &input.to_kstr())))
    }
}

filter! {
    /// Prefixes a path with site.url and site.baseurl.
    AbsoluteUrl, AbsoluteUrlFilter, "absolute_url"
}

impl Filter for AbsoluteUrlFilter {
    fn evaluate(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> Result<Value> {
        let input = input.to_kstr();
        if input.contains("://") {
            return Ok(Value::scalar(input.to_string()));
        }
        let url = site_value(runtime, "url").unwrap_or_default();
        Ok(Value::scalar(format!(
            "{}{}",
            url.trim_end_matches('/'),
            relative(runtime, &input)
        )))
    }
}

/// A date filter's input as a date: Jekyll's forms (see `parse_lastupdate`).
fn date_of(input: &dyn ValueView, filter: &str) -> Result<time::OffsetDateTime> {
    let text = input.to_kstr();
    parse_lastupdate(&text).ok_or_else(|| {
        Error::with_msg(format!(
            "`{filter}` needs a date such as `2022-10-20` or `page.lastupdate`, not `{text}`"
        ))
    })
}

filter! {
    /// A date as `02 Sep 2018`.
    DateToString, DateToStringFilter, "date_to_string"
}

impl Filter for DateToStringFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> Result<Value> {
        let date = date_of(input, "date_to_string")?;
        let text = date
            .format(format_description!("[day] [month repr:short] [year]"))
            .map_err(|err| Error::with_msg(err.to_string()))?;
        Ok(Value::scalar(text))
    }
}

filter! {
    /// A date as `02 September 2018`.
    DateToLongString, DateToLongStringFilter, "date_to_long_string"
}

impl Filter for DateToLongStringFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> Result<Value> {
        let date = date_of(input, "date_to_long_string")?;
        let text = date
            .format(format_description!("[day] [month repr:long] [year]"))
            .map_err(|err| Error::with_msg(err.to_string()))?;
        Ok(Value::scalar(text))
    }
}

filter! {
    /// Lowercase words joined by hyphens.
    Slugify, SlugifyFilter, "slugify"
}

impl Filter for SlugifyFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> Result<Value> {
        Ok(Value::scalar(slug::slugify(input.to_kstr())))
    }
}

filter! {
    /// Escapes text for XML.
    XmlEscape, XmlEscapeFilter, "xml_escape"
}

impl Filter for XmlEscapeFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> Result<Value> {
        let mut out = String::new();
        pulldown_cmark_escape::escape_html(&mut out, &input.to_kstr())
            .map_err(|err| Error::with_msg(err.to_string()))?;
        Ok(Value::scalar(out))
    }
}

filter! {
    /// The value as JSON.
    Jsonify, JsonifyFilter, "jsonify"
}

impl Filter for JsonifyFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> Result<Value> {
        let json = serde_json::to_string(&input.to_value())
            .map_err(|err| Error::with_msg(err.to_string()))?;
        Ok(Value::scalar(json))
    }
}

filter! {
    /// Markdown to HTML.
    Markdownify, MarkdownifyFilter, "markdownify"
}

impl Filter for MarkdownifyFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> Result<Value> {
        let text = input.to_kstr();
        let parser = pulldown_cmark::Parser::new_ext(&text, super::markdown::parser_options());
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, parser);
        Ok(Value::scalar(html))
    }
}
