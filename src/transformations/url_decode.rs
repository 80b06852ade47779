//! `t:urlDecode`: decodes `%HH` escapes and `+` (as a space).
//!
//! A `%` that is not followed by two hex digits (including one cut off at
//! the end of the value) is kept as it is, like ModSecurity and Coraza.

use std::borrow::Cow;

use super::bytes::hex_pair;
use super::triggers::{ByteSet, Triggers};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"%+"));

/// URL-decodes `input`: `%HH` to the byte, `+` to a space.
pub fn url_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(start) = input.iter().position(|&b| b == b'%' || b == b'+') else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..start]);
    let mut changed = false;
    let mut i = start;
    while let Some(&b) = input.get(i) {
        match b {
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
            b'+' => {
                out.push(b' ');
                changed = true;
                i += 1;
            }
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

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "urlDecode",
            url_decode,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test\0Case"),
                (b"%41%42%43", b"ABC"),
                (b"%4a%4B", b"JK"),
                (b"a+b+%2B", b"a b +"),
                (b"%00%ff%FF", b"\0\xff\xff"),
                (b"%252e", b"%2e"),
                // Invalid and truncated escapes stay as they are.
                (b"%", b"%"),
                (b"%4", b"%4"),
                (b"x%4", b"x%4"),
                (b"%zz", b"%zz"),
                (b"%4g%41", b"%4gA"),
                (b"%%41", b"%A"),
                (b"%u0041", b"%u0041"),
                (b"100%", b"100%"),
                (b"\xff%41\xfe", b"\xffA\xfe"),
            ],
        );
        never_panics(url_decode);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "urlDecode",
            url_decode,
            TRIGGERS,
            &[b"2e2E41u0041"],
        );
    }
}
