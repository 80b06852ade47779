//! A quick "no" for large literal sets: the first four bytes of each
//! literal, hashed into a bitmap.
//!
//! A large set's automaton is an NFA (a DFA of it would take megabytes),
//! which costs tens of instructions a byte. CRS runs two such `@pmFromFile`
//! lists (930120's 1,082 file names, 932160's 709 shell paths) on every
//! argument and cookie, and ordinary values hold none of them. A literal
//! occurs in a value only where the value's next four bytes are the
//! literal's first four, so a value none of whose four-byte windows hashes
//! to a set bit holds no literal; a hash and a bit test per byte decide
//! that. A set bit proves nothing: the automaton then runs as before.

/// Bits in the bitmap (8 KiB): CRS's sets of about a thousand literals
/// leave 98% of them clear.
const BITS: usize = 1 << 16;

/// The bitmap of a literal set's four-byte starts.
#[derive(Debug)]
pub(crate) struct Starts {
    bits: Box<[u64]>,
}

/// A window of four bytes, folded the way [`Starts`] compares: each byte
/// with bit 0x20 set, so ASCII letters compare without case (other bytes
/// may then share a fold; that only lets more windows through).
#[inline]
fn fold(w: [u8; 4]) -> u32 {
    u32::from_le_bytes(w) | 0x2020_2020
}

#[inline]
fn slot(folded: u32) -> usize {
    (folded.wrapping_mul(0x9E37_79B1) >> 16) as usize
}

impl Starts {
    /// The bitmap of `literals`, or `None` when one is shorter than four
    /// bytes (it has no four-byte start to look for).
    pub fn new<L: AsRef<[u8]>>(literals: &[L]) -> Option<Starts> {
        let mut bits = vec![0u64; BITS / 64].into_boxed_slice();
        for l in literals {
            let start: [u8; 4] = l.as_ref().get(..4)?.try_into().ok()?;
            let s = slot(fold(start));
            bits[s / 64] |= 1 << (s % 64);
        }
        Some(Starts { bits })
    }

    /// Whether `value` may hold one of the literals (ASCII letters in
    /// either case); `false` means it holds none.
    #[inline]
    pub fn may_hold(&self, value: &[u8]) -> bool {
        value.windows(4).any(|w| {
            let s = slot(fold([w[0], w[1], w[2], w[3]]));
            self.bits
                .get(s / 64)
                .is_some_and(|b| b & (1 << (s % 64)) != 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    fn holds(value: &[u8], literals: &[Vec<u8>]) -> bool {
        literals
            .iter()
            .any(|l| value.windows(l.len()).any(|w| w.eq_ignore_ascii_case(l)))
    }

    /// Never "no" for a value holding a literal, in any case; and "no" for
    /// most values that hold none.
    #[test]
    fn a_value_holding_a_literal_always_passes() {
        let mut rng = Rng(0x57a7);
        let alphabet = b"abcXYZ/.-_019@`[{";
        let literals: Vec<Vec<u8>> = (0..300)
            .map(|_| (0..4 + rng.below(6)).map(|_| *rng.pick(alphabet)).collect())
            .collect();
        let s = Starts::new(&literals).unwrap();
        let (mut without, mut rejected) = (0, 0);
        for _ in 0..20_000 {
            let v: Vec<u8> = (0..rng.below(14)).map(|_| *rng.pick(alphabet)).collect();
            if holds(&v, &literals) {
                assert!(s.may_hold(&v), "{v:?}");
            } else {
                without += 1;
                rejected += usize::from(!s.may_hold(&v));
            }
        }
        assert!(rejected * 2 > without, "{rejected} of {without}");
        // Case does not matter; short values hold nothing.
        assert!(s.may_hold(&literals[0].to_ascii_uppercase()));
        assert!(!s.may_hold(b"abc"));
    }

    #[test]
    fn literals_shorter_than_four_bytes_get_no_bitmap() {
        assert!(Starts::new(&[b"abcd".to_vec(), b"abc".to_vec()]).is_none());
        assert!(Starts::new(&[b"abcd".to_vec()]).is_some());
    }
}
