//! Which bytes a transformation needs to see before it can change a value.
//!
//! Most values reach most transformations unchanged: `shoes` has nothing to
//! URL-decode, lowercase or entity-decode. Each transformation declares its
//! *triggers*: a set of bytes such that a value containing none of them is
//! returned as it is. The phase cache records the bytes present in each
//! value once (as byte classes, see `super::byte_classes`), and skips every
//! pipeline whose steps' triggers it lacks (see
//! `transaction/phase_cache.rs`). A transformation that may change any
//! value (`t:length`, `t:md5`, ...) declares no set and always runs.
//!
//! A trigger set may be larger than needed (the step then merely runs), but
//! never smaller: the tests in `super::tests` check every declared set
//! against the transformation itself.

/// A set of byte values (256 bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    /// No byte.
    pub const EMPTY: ByteSet = ByteSet([0; 4]);

    /// Every byte value from `lo` to `hi`, inclusive.
    pub const fn range(lo: u8, hi: u8) -> ByteSet {
        let mut s = [0u64; 4];
        let mut b = lo as usize;
        while b <= hi as usize {
            s[b / 64] |= 1 << (b % 64);
            b += 1;
        }
        ByteSet(s)
    }

    /// The bytes of `bytes`.
    pub const fn of_list(bytes: &[u8]) -> ByteSet {
        let mut s = [0u64; 4];
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i] as usize;
            s[b / 64] |= 1 << (b % 64);
            i += 1;
        }
        ByteSet(s)
    }

    /// Bytes in either set.
    pub const fn union(self, other: ByteSet) -> ByteSet {
        let (a, b) = (self.0, other.0);
        ByteSet([a[0] | b[0], a[1] | b[1], a[2] | b[2], a[3] | b[3]])
    }

    /// Bytes in both sets.
    pub const fn intersection(self, other: ByteSet) -> ByteSet {
        let (a, b) = (self.0, other.0);
        ByteSet([a[0] & b[0], a[1] & b[1], a[2] & b[2], a[3] & b[3]])
    }

    /// Bytes not in the set.
    pub const fn complement(self) -> ByteSet {
        let a = self.0;
        ByteSet([!a[0], !a[1], !a[2], !a[3]])
    }

    /// The bytes that occur in `value`.
    pub fn of(value: &[u8]) -> ByteSet {
        let mut s = [0u64; 4];
        for &b in value {
            s[usize::from(b >> 6)] |= 1 << (b & 63);
        }
        ByteSet(s)
    }

    /// Whether the sets share a byte.
    #[inline]
    pub fn intersects(&self, other: &ByteSet) -> bool {
        let (a, b) = (&self.0, &other.0);
        (a[0] & b[0]) | (a[1] & b[1]) | (a[2] & b[2]) | (a[3] & b[3]) != 0
    }

    /// Whether `b` is in the set.
    pub const fn contains(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1 << (b & 63)) != 0
    }

    /// The bytes of the set, ascending.
    pub fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        // Lowest set bit first, word by word: as many steps as bytes.
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                Some((w as u32 * 64 + bit) as u8)
            })
        })
    }
}

/// What a pipeline of transformations may do to a value.
///
/// `Some(set)`: a value without any byte of `set` leaves every step
/// unchanged. `None`: some step may change any value.
pub type Triggers = Option<ByteSet>;

/// The triggers of a pipeline: the union of its steps' (`None` if any step's is).
pub fn pipeline<I: IntoIterator<Item = Triggers>>(steps: I) -> Triggers {
    steps
        .into_iter()
        .try_fold(ByteSet::EMPTY, |acc, t| t.map(|t| acc.union(t)))
}

/// ASCII whitespace as `u8::is_ascii_whitespace` sees it (space, \t, \n, \x0c, \r).
pub const ASCII_WHITESPACE: ByteSet = ByteSet::of_list(b" \t\n\x0c\r");

/// C's `isspace` in the "C" locale: [`ASCII_WHITESPACE`] plus VT (0x0b).
pub const C_WHITESPACE: ByteSet = ASCII_WHITESPACE.union(ByteSet::of_list(b"\x0b"));

/// Bytes outside ASCII (the start or continuation of UTF-8 sequences).
pub const NON_ASCII: ByteSet = ByteSet::range(0x80, 0xff);

/// `A` to `Z`.
pub const ASCII_UPPER: ByteSet = ByteSet::range(b'A', b'Z');

/// `a` to `z`.
pub const ASCII_LOWER: ByteSet = ByteSet::range(b'a', b'z');

/// `0` to `9`.
pub const ASCII_DIGITS: ByteSet = ByteSet::range(b'0', b'9');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_hold_what_they_were_built_from() {
        let s = ByteSet::of_list(b"%+");
        assert!(s.contains(b'%') && s.contains(b'+') && !s.contains(b'a'));
        assert_eq!(s.bytes().collect::<Vec<_>>(), b"%+");
        let r = ByteSet::range(b'A', b'Z');
        assert_eq!(r.bytes().count(), 26);
        assert!(ByteSet::of(b"xyZ").intersects(&r));
        assert!(!ByteSet::of(b"xyz").intersects(&r));
        assert!(!ByteSet::of(b"").intersects(&r));
        assert_eq!(ByteSet::range(0, 255).bytes().count(), 256);
        assert_eq!(r.complement().bytes().count(), 230);
        assert!(ByteSet::of(&[0, 63, 64, 127, 128, 255]).contains(255));
        assert_eq!(C_WHITESPACE.bytes().collect::<Vec<_>>(), b"\t\n\x0b\x0c\r ");
        assert!(ASCII_UPPER.bytes().all(|b| b.is_ascii_uppercase()));
        assert!(ASCII_LOWER.bytes().all(|b| b.is_ascii_lowercase()));
        assert!(ASCII_DIGITS.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(ASCII_DIGITS.bytes().count(), 10);
    }

    #[test]
    fn a_pipeline_without_triggers_always_runs() {
        let a = Some(ByteSet::of_list(b"%"));
        let b = Some(ByteSet::of_list(b"&"));
        assert_eq!(pipeline([a, b]), Some(ByteSet::of_list(b"%&")));
        assert_eq!(pipeline([a, None, b]), None);
        assert_eq!(pipeline([]), Some(ByteSet::EMPTY));
    }
}
