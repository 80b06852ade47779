//! Macro expansion reads transaction variables through this resolver.

use super::{Item, KeySel, Target, TxVars, Var};
use crate::macros::{MacroRef, MacroResolver};

impl MacroResolver for TxVars {
    fn resolve_ref(&self, r: &MacroRef, out: &mut Vec<u8>) -> bool {
        match (r.var, &r.key) {
            // TX (CRS's scores and settings, on every match): by the key as
            // stored, where it was last found.
            (Some(Var::Tx), Some(_)) => {
                self.tx
                    .get_hinted(&r.lower_key, &r.hint.0)
                    .is_some_and(|v| {
                        out.extend_from_slice(v);
                        true
                    })
            }
            // The variable was named at load time.
            (Some(var), key) => self.resolve_var(var, key.as_deref(), out),
            (None, _) => false,
        }
    }

    fn resolve(&self, collection: &str, key: Option<&str>, out: &mut Vec<u8>) -> bool {
        Var::from_name(collection).is_some_and(|var| self.resolve_var(var, key, out))
    }

    /// TX values by the key as stored, as `resolve_ref` expands them.
    fn stored(&self, r: &MacroRef) -> Option<&[u8]> {
        match (r.var, &r.key) {
            (Some(Var::Tx), Some(_)) => self.tx.get_hinted(&r.lower_key, &r.hint.0),
            _ => None,
        }
    }
}

impl TxVars {
    /// [`MacroResolver::resolve`] for a variable known by its [`Var`].
    fn resolve_var(&self, var: Var, key: Option<&str>, out: &mut Vec<u8>) -> bool {
        let put = |v: &[u8], out: &mut Vec<u8>| {
            out.extend_from_slice(v);
            true
        };
        if let (Var::Tx, Some(k)) = (var, key) {
            return self.tx.get(k.as_bytes()).is_some_and(|v| put(v, out));
        }
        if let (Var::Env, Some(k)) = (var, key) {
            if let Some(v) = self.env.get(k.as_bytes()) {
                return put(v, out);
            }
            return std::env::var_os(k).is_some_and(|v| put(v.to_string_lossy().as_bytes(), out));
        }
        let t = Target {
            var,
            sel: match key {
                Some(k) => KeySel::Key(k.to_ascii_lowercase().into_bytes()),
                None => KeySel::All,
            },
            count: false,
            exclusions: Vec::new(),
        };
        let mut items: Vec<Item<'_>> = Vec::new();
        self.collect(&t, &mut items);
        items.first().is_some_and(|i| put(&i.value, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::macros::MacroString;

    /// References read through their parsed form expand as the general
    /// lookup by name does, whichever TX map the shared hint last saw.
    #[test]
    fn parsed_references_read_what_names_read() {
        let m = MacroString::parse(
            "%{TX.Score}|%{tx.other}|%{tx.missing}|%{TX}|%{tx.0}|%{env.coraza_resolve_test}|%{nosuch.x}",
        );
        let by_name = |v: &TxVars| {
            let mut out = Vec::new();
            for (c, k) in [
                ("TX", Some("Score")),
                ("TX", Some("other")),
                ("TX", Some("missing")),
                ("TX", None),
                ("TX", Some("0")),
                ("ENV", Some("coraza_resolve_test")),
                ("NOSUCH", Some("x")),
            ] {
                v.resolve(c, k, &mut out);
                out.push(b'|');
            }
            out.pop();
            out
        };
        let mut a = TxVars::default();
        a.tx.set_bytes(b"score", b"5");
        a.tx.set_bytes(b"other", b"x");
        a.env.set_bytes(b"coraza_resolve_test", b"e");
        let mut b = TxVars::default();
        for k in ["z", "y", "other", "0", "score"] {
            b.tx.set_bytes(k.as_bytes(), format!("b-{k}").as_bytes());
        }
        for v in [&a, &b, &a, &b] {
            assert_eq!(m.expand_bytes(v).into_owned(), by_name(v));
        }
        assert_eq!(
            m.expand_bytes(&b).into_owned(),
            b"b-score|b-other||b-z|b-0||"
        );
    }

    /// A lone TX reference is read where it is stored, as it would expand;
    /// anything else (text around it, another collection, a missing key) is
    /// left to the expansion.
    #[test]
    fn lone_tx_references_are_borrowed_as_they_expand() {
        let mut v = TxVars::default();
        v.tx.set_bytes(b"allowed_methods", b"GET HEAD POST");
        v.env.set_bytes(b"coraza_resolve_test", b"e");
        let lone = MacroString::parse("%{tx.Allowed_Methods}");
        assert_eq!(lone.lone_stored(&v), Some(&b"GET HEAD POST"[..]));
        assert_eq!(lone.lone_stored(&v), Some(&*lone.expand_bytes(&v)));
        for text in [
            "|%{tx.allowed_methods}|",
            "%{tx.missing}",
            "%{env.coraza_resolve_test}",
            "%{TX}",
            "constant",
        ] {
            assert_eq!(MacroString::parse(text).lone_stored(&v), None, "{text}");
        }
    }
}
