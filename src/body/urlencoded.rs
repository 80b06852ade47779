//! `application/x-www-form-urlencoded` parsing, shared by the query string
//! (ARGS_GET) and URLENCODED request bodies (ARGS_POST).
//!
//! Semantics follow Coraza's query parser, which ModSecurity agrees with on
//! everything but empty segments:
//!
//! - the input is split on `separator` (`&` unless `SecArgumentSeparator`
//!   says otherwise); empty segments (`a&&b`, a trailing `&`) are skipped;
//! - each segment is split on its first `=`: `a=` and `a` both give `a` with
//!   an empty value, `=v` gives an empty name with value `v`;
//! - names and values are decoded with `+` -> space and `%XX` -> byte; a `%`
//!   not followed by two hex digits is kept literally and reported as invalid
//!   (`URLENCODED_ERROR`);
//! - repeated names are kept, in input order.

use super::{BodyLimits, BodyOutput, Pair};
use crate::transformations::bytes::hex_value;

/// Name of the flag variable set when a body had an invalid `%` escape.
pub const URLENCODED_ERROR: &str = "URLENCODED_ERROR";

/// Splits `data` into decoded name/value pairs, keeping at most `limit`
/// pairs (`SecArgumentsLimit`; segments past the limit are not parsed).
///
/// Returns the pairs and whether any kept name or value held an invalid `%`
/// escape.
pub fn parse_urlencoded(data: &[u8], separator: u8, limit: usize) -> (Vec<Pair>, bool) {
    let mut pairs = Vec::new();
    let invalid = parse_urlencoded_into(data, separator, limit, &mut pairs, &mut Vec::new());
    (pairs, invalid)
}

/// [`parse_urlencoded`] appending to `pairs`, its names and values written
/// into buffers taken from `spare` while there are any (a transaction's
/// data hands them on: see `TxData::recycle`); whether an invalid `%` was seen.
pub fn parse_urlencoded_into(
    data: &[u8],
    separator: u8,
    limit: usize,
    pairs: &mut Vec<Pair>,
    spare: &mut Vec<Vec<u8>>,
) -> bool {
    let mut invalid = false;
    let mut n = 0;
    for segment in data.split(|&b| b == separator) {
        if n >= limit {
            break;
        }
        if segment.is_empty() {
            continue;
        }
        let (name, value) = match memchr::memchr(b'=', segment) {
            Some(eq) => (&segment[..eq], &segment[eq + 1..]),
            None => (segment, &segment[segment.len()..]),
        };
        let (mut k, mut v) = (
            spare.pop().unwrap_or_default(),
            spare.pop().unwrap_or_default(),
        );
        invalid |= decode_into(name, &mut k) | decode_into(value, &mut v);
        pairs.push((k, v));
        n += 1;
    }
    invalid
}

/// Processes a URLENCODED request body into ARGS_POST, with the
/// `URLENCODED_ERROR` flag (always present, `1` when an invalid `%` escape was
/// seen). An invalid escape is not a body processor error: ModSecurity and
/// Coraza keep parsing and only raise the flag.
pub fn process(body: &[u8], separator: u8, limits: &BodyLimits) -> BodyOutput {
    let (args, invalid) = parse_urlencoded(body, separator, limits.arguments_limit);
    BodyOutput {
        args,
        flags: vec![(URLENCODED_ERROR, u64::from(invalid))],
        ..BodyOutput::default()
    }
}

/// Non-strict form decoding: `+` -> space, `%XX` -> byte, anything else as
/// is, appended to `out`. Returns whether an invalid `%` was seen.
fn decode_into(input: &[u8], out: &mut Vec<u8>) -> bool {
    out.reserve(input.len());
    let mut invalid = false;
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (
                input.get(i + 1).copied().and_then(hex_value),
                input.get(i + 2).copied().and_then(hex_value),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                }
                _ => {
                    invalid = true;
                    out.push(b'%');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    invalid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(data: &str) -> Vec<(String, String)> {
        parse_urlencoded(data.as_bytes(), b'&', usize::MAX)
            .0
            .into_iter()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(&k).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                )
            })
            .collect()
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn basic_pairs_in_order_with_repeats() {
        assert_eq!(
            pairs("a=1&b=2&a=3"),
            vec![p("a", "1"), p("b", "2"), p("a", "3")]
        );
    }

    #[test]
    fn empty_segments_and_missing_values() {
        assert_eq!(pairs("a&&b"), vec![p("a", ""), p("b", "")]);
        assert_eq!(pairs("=v"), vec![p("", "v")]);
        assert_eq!(pairs("a="), vec![p("a", "")]);
        assert_eq!(pairs("&a=1&"), vec![p("a", "1")]);
        assert_eq!(pairs("="), vec![p("", "")]);
        assert!(pairs("").is_empty());
        assert!(pairs("&&&").is_empty());
    }

    #[test]
    fn splits_on_first_equals_only() {
        assert_eq!(pairs("a=b=c"), vec![p("a", "b=c")]);
    }

    #[test]
    fn decodes_plus_and_percent_in_names_and_values() {
        assert_eq!(
            pairs("na%6De+x=hello+w%6Frld%21"),
            vec![p("name x", "hello world!")]
        );
        // Encoded separators do not split.
        assert_eq!(pairs("a=1%262&b=%3D"), vec![p("a", "1&2"), p("b", "=")]);
        assert_eq!(pairs("a=%41"), vec![p("a", "A")]);
    }

    #[test]
    fn invalid_escapes_kept_and_flagged() {
        let (got, invalid) = parse_urlencoded(b"a=%zz&b=%4", b'&', 100);
        assert!(invalid);
        assert_eq!(got[0].1, b"%zz");
        assert_eq!(got[1].1, b"%4");
        let (got, invalid) = parse_urlencoded(b"%=1", b'&', 100);
        assert!(invalid, "invalid escape in a name counts too");
        assert_eq!(got[0].0, b"%");
        let (_, invalid) = parse_urlencoded(b"a=%20%41", b'&', 100);
        assert!(!invalid);
    }

    #[test]
    fn custom_separator() {
        let (got, _) = parse_urlencoded(b"a=1;b=2&c", b';', 100);
        assert_eq!(
            got,
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"2&c".to_vec())
            ]
        );
    }

    #[test]
    fn invalid_utf8_passes_through_as_bytes() {
        let (got, invalid) = parse_urlencoded(b"\xff\xfe=%ff\x80", b'&', 100);
        assert!(!invalid);
        assert_eq!(got, vec![(b"\xff\xfe".to_vec(), b"\xff\x80".to_vec())]);
    }

    #[test]
    fn limit_stops_parsing() {
        let body = "x=1&".repeat(100_000);
        let (got, _) = parse_urlencoded(body.as_bytes(), b'&', 1000);
        assert_eq!(got.len(), 1000);
        let (got, _) = parse_urlencoded(b"a=1&b=2", b'&', 0);
        assert!(got.is_empty());
    }

    #[test]
    fn process_sets_flag() {
        let limits = BodyLimits::default();
        let out = process(b"a=%G1&b=2", b'&', &limits);
        assert_eq!(out.flags, vec![(URLENCODED_ERROR, 1)]);
        assert_eq!(out.args.len(), 2);
        assert!(out.error.is_none());
        let out = process(b"a=1", b'&', &limits);
        assert_eq!(out.flags, vec![(URLENCODED_ERROR, 0)]);
    }
}
