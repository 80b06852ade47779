//! Integers written in decimal without the formatting machinery, for the
//! hot paths that write them at every match (scores rewritten by
//! `setvar:+=`, error-log lines).

/// The decimal digits of `n`, written at the end of `buf`.
pub(crate) fn digits(n: u64, buf: &mut [u8; 20]) -> &[u8] {
    // u64::MAX has 20 digits: `at` never goes below 0.
    let mut at = buf.len();
    let mut m = n;
    loop {
        at -= 1;
        buf[at] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    &buf[at..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_what_format_writes() {
        for n in [0, 1, 9, 10, 99, 100, 123_456, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(digits(n, &mut [0; 20]), n.to_string().as_bytes());
        }
    }
}
