//! Macro expansion reads transaction variables through this resolver.

use super::{Item, KeySel, Target, TxVars, Var};
use crate::macros::MacroResolver;

impl MacroResolver for TxVars {
    fn resolve(&self, collection: &str, key: Option<&str>) -> Option<Vec<u8>> {
        let var = Var::from_name(collection)?;
        if let (Var::Tx, Some(k)) = (var, key) {
            return self.tx.get(k.as_bytes()).map(|v| v.to_vec());
        }
        if let (Var::Env, Some(k)) = (var, key) {
            if let Some(v) = self.env.get(k.as_bytes()) {
                return Some(v.to_vec());
            }
            return std::env::var_os(k).map(|v| v.to_string_lossy().into_owned().into_bytes());
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
        items.into_iter().next().map(|i| i.value.into_owned())
    }
}
