//! `t:urlEncode`: percent-encodes everything except ASCII letters, digits and
//! `*`; a space becomes `+`. Hex digits are lowercase, as in ModSecurity.

use std::borrow::Cow;

use super::triggers::{ByteSet, Triggers, ASCII_DIGITS, ASCII_LOWER, ASCII_UPPER};

const HEX: &[u8; 16] = b"0123456789abcdef";

fn is_kept(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'*'
}

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Every byte `is_kept` does not keep.
pub(super) const TRIGGERS: Triggers = Some(
    ASCII_UPPER
        .union(ASCII_LOWER)
        .union(ASCII_DIGITS)
        .union(ByteSet::of_list(b"*"))
        .complement(),
);

/// URL-encodes `input`.
pub fn url_encode(input: &[u8]) -> Cow<'_, [u8]> {
    if input.iter().all(|&b| is_kept(b)) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() * 3);
    for &b in input {
        if is_kept(b) {
            out.push(b);
        } else if b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]]);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "urlEncode",
            url_encode,
            &[
                (b"", b""),
                (b"TestCase09*", b"TestCase09*"),
                (b"Test\0Case", b"Test%00Case"),
                (b"a b", b"a+b"),
                (b"a+b", b"a%2bb"),
                (b"<script>", b"%3cscript%3e"),
                (b"-._~", b"%2d%2e%5f%7e"),
                (b"\xff\x80", b"%ff%80"),
                ("é".as_bytes(), b"%c3%a9"),
            ],
        );
        never_panics(url_encode);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "urlEncode",
            url_encode,
            TRIGGERS,
            &[b"TestCase09*"],
        );
    }
}
