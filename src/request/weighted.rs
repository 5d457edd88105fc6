//! Weighted lists of RFC 9110 (`Accept-Language`, `Accept-Encoding`): items
//! with an optional `;q=` weight, separated by commas, with optional white
//! space around both (§5.6.1, §5.6.3, §12.4.2).
//!
//! Written here rather than taken from a crate: the grammar is three lines,
//! and the crates that parse these headers read weights as floats, which
//! admits `1e0` and turns `q=abc` into `q=0`, a refusal.

use axum::http::HeaderMap;

/// All fields of a list header (`Accept-Language`, `X-Forwarded-For`) as
/// one list, as RFC 9110 §5.3 reads them, joined with commas; read no
/// further once the joined text passes `max_len`. `None` when there are no
/// fields, or when one is not visible ASCII: a list that cannot be read
/// whole is not believed in part.
pub fn header_list(headers: &HeaderMap, name: &str, max_len: usize) -> Option<String> {
    let mut joined = String::new();
    for value in headers.get_all(name) {
        let value = value.to_str().ok()?;
        if !joined.is_empty() {
            joined.push(',');
        }
        joined.push_str(value);
        if joined.len() > max_len {
            break;
        }
    }
    (!joined.is_empty()).then_some(joined)
}

/// RFC 9110 §5.6.3: optional white space is spaces and horizontal tabs.
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// The entries of a weighted list (`Accept-Language`, `Accept-Encoding`) in header order: each range
/// with its weight in thousandths (1000 without one). Empty list elements
/// are skipped (§5.6.1); so is an entry with a parameter other than one
/// valid weight.
pub fn entries(header: &str) -> impl Iterator<Item = (&str, u16)> {
    header.split(',').filter_map(|entry| {
        let mut parts = entry.split(';');
        let item = parts.next()?.trim_matches(is_ows);
        if item.is_empty() {
            return None;
        }
        let weight = match (parts.next(), parts.next()) {
            (None, _) => 1000,
            (Some(param), None) => {
                let (name, value) = param.trim_matches(is_ows).split_once('=')?;
                if !name.eq_ignore_ascii_case("q") {
                    return None;
                }
                qvalue(value)?
            }
            (Some(_), Some(_)) => return None,
        };
        Some((item, weight))
    })
}

/// RFC 9110 §12.4.2 `qvalue` (`0`, `0.5`, `0.125`, `1`, `1.000`), in
/// thousandths; anything else (`1e0`, `2`, `-1`, `0.0001`, `.5`) is not one.
pub fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |n, digit| n * 10 + u16::from(digit - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_are_one_list() {
        use axum::http::HeaderValue;
        let mut headers = HeaderMap::new();
        assert_eq!(header_list(&headers, "accept-language", 64), None);
        headers.append("accept-language", HeaderValue::from_static("de"));
        headers.append("accept-language", HeaderValue::from_static("en;q=0.5"));
        assert_eq!(
            header_list(&headers, "accept-language", 64).as_deref(),
            Some("de,en;q=0.5")
        );
        // Past the limit: no further fields are read.
        headers.append("accept-language", HeaderValue::from_static("fr"));
        assert_eq!(
            header_list(&headers, "accept-language", 4).as_deref(),
            Some("de,en;q=0.5")
        );
        // One field that is not visible ASCII: not believed in part.
        headers.append(
            "accept-language",
            HeaderValue::from_bytes(b"d\xe9").expect("obs-text is a valid value"),
        );
        assert_eq!(header_list(&headers, "accept-language", 64), None);
    }

    #[test]
    fn qvalues_follow_the_grammar() {
        for (text, expected) in [
            ("0", Some(0)),
            ("0.", Some(0)),
            ("0.5", Some(500)),
            ("0.125", Some(125)),
            ("0.001", Some(1)),
            ("1", Some(1000)),
            ("1.0", Some(1000)),
            ("1.000", Some(1000)),
            ("1.001", None),
            ("0.0001", None),
            ("1e0", None),
            ("2", None),
            ("-1", None),
            (".5", None),
            ("", None),
            ("0.5 ", None),
            ("00.5", None),
            ("0x1", None),
        ] {
            assert_eq!(qvalue(text), expected, "{text:?}");
        }
    }

    #[test]
    fn entries_keep_header_order_and_drop_only_bad_ones() {
        let parsed: Vec<_> =
            entries("br;q=1.0, ,\tgzip\t;\tq=0.5,x;q=1e0,deflate;level=1, *;q=0").collect();
        assert_eq!(parsed, [("br", 1000), ("gzip", 500), ("*", 0)]);
    }
}
