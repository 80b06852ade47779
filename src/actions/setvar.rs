//! `setvar`: create, change or delete a collection variable.

use crate::macros::{Hint, MacroString};
use crate::variables::Var;

/// The change a `setvar` makes.
#[derive(Debug, Clone)]
pub enum SetOp {
    /// `tx.x=value` (also `tx.x` alone, which sets 1 as ModSecurity v3 does).
    Set(MacroString),
    /// `tx.x=+n`.
    Add(MacroString),
    /// `tx.x=-n`.
    Sub(MacroString),
    /// `!tx.x`.
    Delete,
}

/// A compiled `setvar`.
#[derive(Debug, Clone)]
pub struct SetVar {
    /// Collection written (`TX`, `IP`, ...).
    pub collection: Var,
    /// Key (may contain macros).
    pub key: MacroString,
    /// The key lower-cased, as collections store it, when it has no macro;
    /// with where it was last found.
    pub fixed_key: Option<(Vec<u8>, Hint)>,
    /// What to do.
    pub op: SetOp,
}

/// Splits `tx.key` into the collection and the key.
pub fn split_target(target: &str) -> Result<(Var, &str), String> {
    let target = target.trim();
    let (c, key) = target.split_once('.').ok_or(format!(
        "setvar target {target:?} has no collection (expected tx.name)"
    ))?;
    let var = Var::from_name(c)
        .filter(|v| matches!(v, Var::Tx | Var::Env) || v.is_persistent())
        .ok_or(format!("setvar: collection {c:?} cannot be written"))?;
    if key.is_empty() {
        return Err(format!("setvar target {target:?} has an empty key"));
    }
    Ok((var, key))
}

/// Parses the value of a `setvar` action.
pub fn parse(v: &str) -> Result<SetVar, String> {
    let v = v.trim();
    if let Some(rest) = v.strip_prefix('!') {
        let (collection, key) = split_target(rest)?;
        let key = MacroString::parse(key);
        return Ok(SetVar {
            collection,
            fixed_key: fixed(&key),
            key,
            op: SetOp::Delete,
        });
    }
    let (target, value) = match v.split_once('=') {
        Some((t, val)) => (t, Some(val)),
        None => (v, None),
    };
    let (collection, key) = split_target(target)?;
    let op = match value {
        None => SetOp::Set(MacroString::parse("1")),
        Some(val) => {
            if let Some(n) = val.strip_prefix('+') {
                SetOp::Add(MacroString::parse(n))
            } else if let Some(n) = val.strip_prefix('-') {
                SetOp::Sub(MacroString::parse(n))
            } else {
                SetOp::Set(MacroString::parse(val))
            }
        }
    };
    let key = MacroString::parse(key);
    Ok(SetVar {
        collection,
        fixed_key: fixed(&key),
        key,
        op,
    })
}

/// [`SetVar::fixed_key`] of `key`.
fn fixed(key: &MacroString) -> Option<(Vec<u8>, Hint)> {
    key.is_constant()
        .then(|| (key.raw().as_bytes().to_ascii_lowercase(), Hint::default()))
}

/// Integer value of a variable as ModSecurity reads it: leading digits, else 0.
pub fn to_int(v: &[u8]) -> i64 {
    // Anomaly scores are short ASCII numbers, read at every `setvar:+=`:
    // one or two digits are read at once, longer ones byte by byte. Other
    // text takes the general path.
    match *v {
        [a @ b'0'..=b'9'] => return i64::from(a - b'0'),
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => {
            return i64::from(a - b'0') * 10 + i64::from(b - b'0')
        }
        _ => {}
    }
    if v.is_ascii() {
        return ascii_int(v);
    }
    lossy_int(v)
}

/// [`to_int`] of ASCII text: trimmed of what `str::trim` removes there
/// (tab, line feed, vertical tab, form feed, carriage return, space), an
/// optional sign, then digits; 0 when there are none or they overflow.
fn ascii_int(v: &[u8]) -> i64 {
    let space = |b: &u8| matches!(b, 9..=13 | b' ');
    let start = v.iter().position(|b| !space(b)).unwrap_or(v.len());
    let v = &v[start..];
    let (negative, digits) = match v.first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    let end = digits
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return 0;
    }
    // Accumulated negative, so i64::MIN parses as `str::parse` does.
    let mut n: i64 = 0;
    for &d in &digits[..end] {
        let Some(next) = n
            .checked_mul(10)
            .and_then(|n| n.checked_sub(i64::from(d - b'0')))
        else {
            return 0;
        };
        n = next;
    }
    match negative {
        true => n,
        false => n.checked_neg().unwrap_or(0),
    }
}

/// [`to_int`] of other text, read as UTF-8 with invalid bytes replaced.
fn lossy_int(v: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(v);
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+'))))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    s[..end].parse().unwrap_or(0)
}

/// Appends `n` in decimal (what `write!(out, "{n}")` writes, without the
/// formatting machinery: a score is rewritten at every `setvar:+=`).
pub(crate) fn push_int(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(crate::decimal::digits(n.unsigned_abs(), &mut [0; 20]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let s = parse("tx.score=+%{tx.critical}").unwrap();
        assert_eq!(s.collection, Var::Tx);
        assert!(matches!(s.op, SetOp::Add(_)));
        assert!(matches!(parse("!tx.x").unwrap().op, SetOp::Delete));
        assert!(matches!(parse("ip.x=-1").unwrap().op, SetOp::Sub(_)));
        assert!(matches!(parse("tx.flag").unwrap().op, SetOp::Set(_)));
        assert!(parse("nocollection").is_err());
        assert!(parse("args.x=1").is_err());
    }

    #[test]
    fn ints() {
        assert_eq!(to_int(b"42"), 42);
        assert_eq!(to_int(b"-3"), -3);
        assert_eq!(to_int(b"7abc"), 7);
        assert_eq!(to_int(b"abc"), 0);
        assert_eq!(to_int(b""), 0);
    }

    /// The ASCII path and the digits shortcut against the general path
    /// (which `str::parse` decides), and `push_int` against `format!`.
    #[test]
    fn ascii_numbers_read_as_the_general_path_reads_them() {
        let mut rng = crate::test_rng::Rng(0x1e7);
        let pieces: [&[u8]; 14] = [
            b"0",
            b"7",
            b"42",
            b"-",
            b"+",
            b" ",
            b"\t",
            b"\x0b",
            b"x",
            b"9223372036854775807",
            b"9223372036854775808",
            b"-9223372036854775808",
            b"00",
            b"\r\n",
        ];
        for _ in 0..20_000 {
            let v: Vec<u8> = (0..rng.below(5))
                .flat_map(|_| rng.pick(&pieces).to_vec())
                .collect();
            assert_eq!(
                ascii_int(&v),
                lossy_int(&v),
                "{:?}",
                String::from_utf8_lossy(&v)
            );
            assert_eq!(to_int(&v), lossy_int(&v));
        }
        // The one- and two-digit shortcut, every case.
        for a in 0..=255u8 {
            assert_eq!(to_int(&[a]), lossy_int(&[a]), "{a}");
            for b in 0..=255u8 {
                assert_eq!(to_int(&[a, b]), lossy_int(&[a, b]), "{a} {b}");
            }
        }
        for n in [0, 1, -1, 9, 10, -10, 123_456, i64::MAX, i64::MIN] {
            let mut out = b"x".to_vec();
            push_int(&mut out, n);
            assert_eq!(out, format!("x{n}").into_bytes());
        }
    }
}
