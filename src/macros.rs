//! `%{COLLECTION.key}` macro expansion.
//!
//! Templates are parsed once at load time into literal and variable parts, so a
//! transaction only walks a small vector. Unknown or empty variables expand to
//! the empty string, as ModSecurity v2 and Coraza do.

use std::borrow::Cow;

/// Resolves one macro reference against a running transaction.
pub trait MacroResolver {
    /// `collection` is upper-cased (`TX`, `MATCHED_VAR`, `REQUEST_HEADERS`);
    /// `key` is the text after the first `.`, as written in the rule.
    /// Appends the value to `out`; false (nothing appended) when unset.
    fn resolve(&self, collection: &str, key: Option<&str>, out: &mut Vec<u8>) -> bool;
}

/// A resolver that knows nothing: every macro expands to the empty string.
pub struct NoMacros;

impl MacroResolver for NoMacros {
    fn resolve(&self, _collection: &str, _key: Option<&str>, _out: &mut Vec<u8>) -> bool {
        false
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Var {
        collection: String,
        key: Option<String>,
    },
}

/// A string with `%{...}` references, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroString {
    raw: String,
    parts: Vec<Part>,
}

impl MacroString {
    /// Parses `text`. An unterminated `%{` is kept literally, as ModSecurity does.
    pub fn parse(text: &str) -> MacroString {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(pos) = rest.find("%{") {
            let after = &rest[pos + 2..];
            match after.find('}') {
                Some(end) if end > 0 => {
                    lit.push_str(&rest[..pos]);
                    if !lit.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut lit)));
                    }
                    let inner = after[..end].trim();
                    let (collection, key) = match inner.find(['.', ':']) {
                        Some(dot) => (&inner[..dot], Some(inner[dot + 1..].to_string())),
                        None => (inner, None),
                    };
                    parts.push(Part::Var {
                        collection: collection.to_ascii_uppercase(),
                        key,
                    });
                    rest = &after[end + 1..];
                }
                _ => {
                    lit.push_str(&rest[..pos + 2]);
                    rest = after;
                }
            }
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(Part::Literal(lit));
        }
        MacroString {
            raw: text.to_string(),
            parts,
        }
    }

    /// The template as written.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The collections the template reads (upper-cased), in order.
    pub fn collections(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { collection, .. } => Some(collection.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// True when the template has no `%{...}` reference.
    pub fn is_constant(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// Expands into bytes.
    pub fn expand_bytes(&self, r: &dyn MacroResolver) -> Cow<'_, [u8]> {
        if self.is_constant() {
            return Cow::Borrowed(self.raw.as_bytes());
        }
        let mut out = Vec::with_capacity(self.raw.len());
        self.expand_into(r, &mut out);
        Cow::Owned(out)
    }

    /// Appends the expansion to `out` (a buffer the caller reuses).
    pub fn expand_into(&self, r: &dyn MacroResolver, out: &mut Vec<u8>) {
        for p in &self.parts {
            match p {
                Part::Literal(s) => out.extend_from_slice(s.as_bytes()),
                Part::Var { collection, key } => {
                    r.resolve(collection, key.as_deref(), out);
                }
            }
        }
    }

    /// Expands into a string (invalid UTF-8 replaced).
    pub fn expand(&self, r: &dyn MacroResolver) -> Cow<'_, str> {
        match self.expand_bytes(r) {
            Cow::Borrowed(_) => Cow::Borrowed(&self.raw),
            Cow::Owned(v) => Cow::Owned(String::from_utf8_lossy(&v).into_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct R;
    impl MacroResolver for R {
        fn resolve(&self, c: &str, k: Option<&str>, out: &mut Vec<u8>) -> bool {
            let v: &[u8] = match (c, k) {
                ("TX", Some(k)) if k.eq_ignore_ascii_case("score") => b"5",
                ("MATCHED_VAR", None) => b"abc",
                _ => return false,
            };
            out.extend_from_slice(v);
            true
        }
    }

    #[test]
    fn expands_known_and_unknown() {
        let m = MacroString::parse("s=%{tx.score} v=%{MATCHED_VAR} x=%{tx.none}!");
        assert!(!m.is_constant());
        assert_eq!(m.expand(&R), "s=5 v=abc x=!");
        let mut out = b"<".to_vec();
        m.expand_into(&R, &mut out);
        assert_eq!(out, b"<s=5 v=abc x=!");
    }

    #[test]
    fn constant_and_unterminated() {
        let m = MacroString::parse("plain %{ text");
        assert!(m.is_constant());
        assert_eq!(m.expand(&R), "plain %{ text");
        let e = MacroString::parse("%{}");
        assert_eq!(e.expand(&R), "%{}");
    }
}
