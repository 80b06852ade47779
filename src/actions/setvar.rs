//! `setvar`: create, change or delete a collection variable.

use crate::macros::MacroString;
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
        return Ok(SetVar {
            collection,
            key: MacroString::parse(key),
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
    Ok(SetVar {
        collection,
        key: MacroString::parse(key),
        op,
    })
}

/// Integer value of a variable as ModSecurity reads it: leading digits, else 0.
pub fn to_int(v: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(v);
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+'))))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    s[..end].parse().unwrap_or(0)
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
}
