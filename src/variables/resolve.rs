//! Macro expansion reads transaction variables through this resolver.

use super::{Item, KeySel, Target, TxVars, Var};
use crate::macros::MacroResolver;

impl MacroResolver for TxVars {
    fn resolve(&self, collection: &str, key: Option<&str>, out: &mut Vec<u8>) -> bool {
        let Some(var) = Var::from_name(collection) else {
            return false;
        };
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
