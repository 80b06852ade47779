//! Byte classes: the bytes of a value summarised in one machine word.
//!
//! The phase cache asks of each value only whether it holds a byte of some
//! set the rule set knows at load time (a pipeline's triggers, the bytes a
//! slot's raw check needs). Bytes that belong to exactly the same of those
//! sets are interchangeable for every such question, so they form a class.
//! CRS's sets make fewer than 64 classes: a value's classes then fit in a
//! `u64`, made with one table load per byte (recording the bytes themselves
//! in 256 bits took about eight instructions per byte), and each question
//! is one AND.
//!
//! Should the sets make more than 64 classes, the rarest bytes (controls
//! and non-ASCII, numbered last) share the last class. A shared class makes
//! a value look as if it held every byte of that class: the cache then does
//! work it could have skipped, never the reverse.

use std::collections::HashMap;

use super::triggers::ByteSet;

/// The classes of a rule set's byte sets.
#[derive(Debug, Clone)]
pub struct ByteClasses {
    /// Per byte value: its class's bit.
    bit: [u64; 256],
}

impl Default for ByteClasses {
    /// Every byte in one class: every value holds a byte of every
    /// non-empty set.
    fn default() -> ByteClasses {
        ByteClasses { bit: [1; 256] }
    }
}

/// The order in which bytes are numbered: those common in requests first,
/// so that past 64 classes only rare bytes share one.
fn byte_order() -> impl Iterator<Item = u8> {
    (0x20..0x7f)
        .chain([b'\t', b'\n', b'\r'])
        .chain((0..0x20).filter(|b| !matches!(b, b'\t' | b'\n' | b'\r')))
        .chain(0x7f..=0xff)
}

impl ByteClasses {
    /// The classes of `sets`: two bytes share one when each set holds both
    /// or neither (and past 64 classes, see the module's notes).
    pub fn new(sets: &[ByteSet]) -> ByteClasses {
        let mut bit = [0u64; 256];
        let mut classes: HashMap<Vec<bool>, u32> = HashMap::new();
        for b in byte_order() {
            let sig: Vec<bool> = sets.iter().map(|s| s.contains(b)).collect();
            let next = classes.len() as u32;
            let class = *classes.entry(sig).or_insert(next);
            bit[usize::from(b)] = 1 << class.min(63);
        }
        ByteClasses { bit }
    }

    /// The classes of the bytes of `value`.
    #[inline]
    pub fn of(&self, value: &[u8]) -> u64 {
        let bit = |b: u8| self.bit[usize::from(b)];
        // Four bytes a round: the loop's own count and branch, a third of
        // the work byte by byte, are paid once for four.
        let mut quads = value.chunks_exact(4);
        let mut acc = 0;
        for q in &mut quads {
            acc |= bit(q[0]) | bit(q[1]) | bit(q[2]) | bit(q[3]);
        }
        quads.remainder().iter().fold(acc, |acc, &b| acc | bit(b))
    }

    /// The classes of the bytes of `set`: a value whose classes meet these
    /// may hold a byte of `set`; one whose classes do not, holds none.
    pub fn mask(&self, set: &ByteSet) -> u64 {
        set.bytes().fold(0, |acc, b| acc | self.bit[usize::from(b)])
    }

    /// How many classes there are (at most 64).
    pub fn len(&self) -> usize {
        self.bit.iter().fold(0, |acc, b| acc | b).count_ones() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    /// Within 64 classes the answer is exact: a value's classes meet a
    /// set's exactly when the value holds one of its bytes.
    #[test]
    fn classes_answer_as_the_byte_sets_do() {
        let sets = [
            ByteSet::of_list(b"%+"),
            ByteSet::of_list(b"&"),
            ByteSet::range(b'A', b'Z'),
            ByteSet::of_list(b"\\/.: "),
            ByteSet::range(0x80, 0xff),
            ByteSet::of_list(b"\0"),
        ];
        let c = ByteClasses::new(&sets);
        assert!(c.len() <= 64);
        let mut rng = Rng(0xb17e);
        for _ in 0..5_000 {
            let v: Vec<u8> = (0..rng.below(8))
                .map(|_| *rng.pick(b"aZ%+& /.\x00\xc3\xa9\\:x9"))
                .collect();
            for s in &sets {
                let want = ByteSet::of(&v).intersects(s);
                assert_eq!(c.of(&v) & c.mask(s) != 0, want, "{v:?} {s:?}");
            }
        }
        assert_eq!(c.of(b""), 0);
    }

    /// Past 64 classes, shared classes may only say "holds one" more often.
    #[test]
    fn more_than_64_classes_never_lose_a_byte() {
        // One set per byte value: 257 classes (each byte, and none).
        let sets: Vec<ByteSet> = (0..=255u8).map(|b| ByteSet::of_list(&[b])).collect();
        let c = ByteClasses::new(&sets);
        assert_eq!(c.len(), 64);
        for b in 0..=255u8 {
            for s in &sets {
                if s.contains(b) {
                    assert_ne!(c.of(&[b]) & c.mask(s), 0, "byte {b:#x}");
                }
            }
        }
        // Bytes numbered first (space to `^`) keep classes of their own.
        assert_eq!(c.of(b"0") & c.mask(&ByteSet::of_list(b"1")), 0);
        assert_eq!(c.of(b" ") & c.mask(&ByteSet::of_list(b"^")), 0);
        assert_ne!(c.of(&[0xfe]) & c.mask(&ByteSet::of_list(&[0xff])), 0);
    }

    #[test]
    fn the_default_has_one_class() {
        let c = ByteClasses::default();
        assert_eq!(c.len(), 1);
        assert_ne!(c.of(b"x") & c.mask(&ByteSet::of_list(b"%")), 0);
        assert_eq!(c.mask(&ByteSet::EMPTY), 0);
    }
}
