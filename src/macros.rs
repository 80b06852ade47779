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

    /// [`MacroResolver::resolve`] for a reference parsed at load time, which
    /// carries its variable and key ready for lookup (and where TX last
    /// held the key).
    fn resolve_ref(&self, r: &MacroRef, out: &mut Vec<u8>) -> bool {
        self.resolve(&r.collection, r.key.as_deref(), out)
    }

    /// The value `r` names where it is stored, when the resolver keeps it
    /// as it would expand (`None`: expand it with [`MacroResolver::resolve_ref`]).
    fn stored(&self, _r: &MacroRef) -> Option<&[u8]> {
        None
    }
}

/// A `%{COLLECTION.key}` reference of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroRef {
    /// Upper-cased, as written.
    pub collection: String,
    /// As written.
    pub key: Option<String>,
    /// The collection, when it names one.
    pub var: Option<crate::variables::Var>,
    /// The key lower-cased, as collections store keys.
    pub lower_key: Vec<u8>,
    /// Where TX held the key when last read.
    pub hint: Hint,
}

/// A [`crate::variables::KeyHint`] inside a template: only a guess, so a
/// copy starts without one and any two compare equal.
#[derive(Debug, Default)]
pub struct Hint(pub crate::variables::KeyHint);

impl Clone for Hint {
    fn clone(&self) -> Hint {
        Hint::default()
    }
}

impl PartialEq for Hint {
    fn eq(&self, _: &Hint) -> bool {
        true
    }
}

impl Eq for Hint {}

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
    Var(MacroRef),
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
                    let collection = collection.to_ascii_uppercase();
                    parts.push(Part::Var(MacroRef {
                        var: crate::variables::Var::from_name(&collection),
                        lower_key: key
                            .as_deref()
                            .unwrap_or_default()
                            .to_ascii_lowercase()
                            .into_bytes(),
                        collection,
                        key,
                        hint: Hint::default(),
                    }));
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
            Part::Var(r) => Some(r.collection.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// True when the template has no `%{...}` reference.
    pub fn is_constant(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// The expansion borrowed from `r`'s storage, when the text is one
    /// reference and nothing else (`%{tx.allowed_methods}`) and `r` keeps
    /// its value (see [`MacroResolver::stored`]): no copy to make.
    pub fn lone_stored<'r>(&self, r: &'r dyn MacroResolver) -> Option<&'r [u8]> {
        match self.parts.as_slice() {
            [Part::Var(m)] => r.stored(m),
            _ => None,
        }
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
                Part::Var(m) => {
                    r.resolve_ref(m, out);
                }
            }
        }
    }

    /// Expands into a string (invalid UTF-8 replaced).
    pub fn expand(&self, r: &dyn MacroResolver) -> Cow<'_, str> {
        match self.expand_bytes(r) {
            Cow::Borrowed(_) => Cow::Borrowed(&self.raw),
            // Valid UTF-8 (nearly always) becomes the string without a copy.
            Cow::Owned(v) => Cow::Owned(
                String::from_utf8(v)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
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
                ("TX", Some("bad")) => b"a\xffb",
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
        // Invalid UTF-8 in a value is replaced in the string form only.
        let bad = MacroString::parse("[%{tx.bad}]");
        assert_eq!(bad.expand(&R), "[a\u{fffd}b]");
        assert_eq!(&*bad.expand_bytes(&R), b"[a\xffb]");
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
