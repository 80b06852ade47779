//! `t:urlDecodeUni`: `t:urlDecode` plus IIS-style `%uHHHH` escapes.
//!
//! `%uHHHH` (either case of `u`) becomes one byte: the best-fit ASCII byte
//! from ModSecurity's codepage 20127 table when the code point has one
//! (`%u2018` -> `'`, `%uFF1C` -> `<`), otherwise the low byte of the code
//! point, with fullwidth ASCII (`%uFF01`-`%uFF5E`) shifted down to ASCII.
//! This is Coraza v3's behaviour; ModSecurity does the same when the CRS
//! setup loads `unicode.mapping` 20127, and uses the low byte alone without
//! a map. A `%u` without four hex digits is kept as the two bytes `%u` and
//! decoding resumes after them; any other bad `%` is kept as it is.

use std::borrow::Cow;

use super::bytes::{hex_pair, hex_value};
use super::triggers::{ByteSet, Triggers};
use super::unicode_best_fit::best_fit;

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// `%uHHHH` starts with `%` too; `u0041` alone is text.
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"%+"));

/// URL-decodes `input` including `%uHHHH` escapes.
pub fn url_decode_uni(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(start) = input.iter().position(|&b| b == b'%' || b == b'+') else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..start]);
    let mut changed = false;
    let mut i = start;
    while let Some(&b) = input.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                changed = true;
                i += 1;
            }
            b'%' if matches!(input.get(i + 1), Some(b'u' | b'U')) => {
                match decode_u(input.get(i + 2..i + 6)) {
                    Some(decoded) => {
                        out.push(decoded);
                        changed = true;
                        i += 6;
                    }
                    None => {
                        out.extend_from_slice(&input[i..i + 2]);
                        i += 2;
                    }
                }
            }
            b'%' => match hex_pair(input.get(i + 1..).unwrap_or_default()) {
                Some(decoded) => {
                    out.push(decoded);
                    changed = true;
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(input)
    }
}

/// The byte for the four hex digits of a `%u` escape, if they are valid.
fn decode_u(digits: Option<&[u8]>) -> Option<u8> {
    let [a, b, c, d] = digits? else {
        return None;
    };
    let (a, b, c, d) = (
        hex_value(*a)?,
        hex_value(*b)?,
        hex_value(*c)?,
        hex_value(*d)?,
    );
    let cp = u16::from(a) << 12 | u16::from(b) << 8 | u16::from(c) << 4 | u16::from(d);
    if let Some(ascii) = best_fit(cp) {
        return Some(ascii);
    }
    let low = c << 4 | d;
    // Fullwidth ASCII (U+FF01..U+FF5E) sits 0xFEE0 above plain ASCII.
    if a == 0xF && b == 0xF && low > 0x00 && low < 0x5F {
        return Some(low + 0x20);
    }
    Some(low)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "urlDecodeUni",
            url_decode_uni,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test\0Case"),
                (b"%41+%42", b"A B"),
                (b"%u0041%U0042", b"AB"),
                (b"%u0027%u003c", b"'<"),
                // Best-fit folding.
                (b"%u2018%u2019%u201c", b"''\""),
                (b"%uFF1Cscript%uFF1E", b"<script>"),
                (b"%uff0e%uff0e%uff0f", b"../"),
                (b"%u00e9%u00C0", b"eA"),
                (b"%u00a0", b" "),
                // No table entry: the low byte.
                (b"%u0430", b"\x30"),
                (b"%u1234", b"\x34"),
                (b"%uFFFF", b"\xff"),
                (b"%uFF00", b"\x00"),
                (b"%u0000", b"\x00"),
                // Invalid and truncated escapes.
                (b"%u", b"%u"),
                (b"%u004", b"%u004"),
                (b"%u00zz", b"%u00zz"),
                (b"%u%41", b"%uA"),
                (b"%U00", b"%U00"),
                (b"%", b"%"),
                (b"%4", b"%4"),
                (b"%zz+", b"%zz "),
                (b"%%u0041", b"%A"),
                (b"\xff%u0041\xc3", b"\xffA\xc3"),
            ],
        );
        never_panics(url_decode_uni);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "urlDecodeUni",
            url_decode_uni,
            TRIGGERS,
            &[b"u0041uFF1CU002e2e"],
        );
    }
}
