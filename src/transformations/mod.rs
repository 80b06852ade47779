//! Transformations (`t:lowercase`, `t:urlDecodeUni`, ...): one file per
//! transformation and the registry that maps SecLang names to them.

use std::borrow::Cow;

/// A transformation: borrowed output when nothing changes.
pub type Transformation = for<'a> fn(&'a [u8]) -> Cow<'a, [u8]>;

/// Finds a transformation by its SecLang name (case-insensitive).
/// `none` is not here: the rule compiler handles it by clearing the pipeline.
pub fn lookup(name: &str) -> Option<Transformation> {
    let _ = name;
    None
}
