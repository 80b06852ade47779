//! `@restpath /api/{id}/items`: the input (a request path) matches the
//! template, where each `{name}` stands for one non-empty path segment
//! (no `/` or `?`). The rest of the template is literal. The match is
//! anchored at the start and must end at the end of the input or at a `?`.
//! With `capture`, TX.0 is the matched path and TX.1.. the segment values.
//! (Coraza additionally fills ARGS_PATH; that is left to the engine.)

use regex::bytes::Regex;

use super::rx::match_capture;
use super::{OpContext, Operator};

/// The `@restpath` operator.
#[derive(Debug)]
pub struct RestPath(Regex);

impl RestPath {
    /// Translates the template into an anchored regex.
    pub fn new(template: &str) -> Result<RestPath, String> {
        let mut pat = String::from("^");
        let mut rest = template.trim();
        while let Some(open) = rest.find('{') {
            pat.push_str(&regex::escape(&rest[..open]));
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| format!("@restpath: unclosed '{{' in {template:?}"))?;
            pat.push_str("([^/?]+)");
            rest = &after[close + 1..];
        }
        pat.push_str(&regex::escape(rest));
        pat.push_str(r"(?:\?|\z)");
        let re = regex::bytes::RegexBuilder::new(&pat)
            .unicode(false)
            .build()
            .map_err(|e| format!("@restpath: {e}"))?;
        Ok(RestPath(re))
    }
}

impl Operator for RestPath {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        match_capture(&self.0, ctx, input)
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("restpath", "/api/{id}/items");
        assert!(eval(&*o, b"/api/42/items"));
        assert!(eval(&*o, b"/api/42/items?x=1"));
        assert!(!eval(&*o, b"/api/42/items/more"));
        assert!(!eval(&*o, b"/api//items"));
        assert!(!eval(&*o, b"/api/4/2/items"));
        assert!(!eval(&*o, b"/x/api/42/items"));
        let (m, caps) = eval_capture(&*o, b"/api/7/items");
        assert!(m);
        assert_eq!(caps[1], b"7".to_vec());
        assert!(try_op("restpath", "/a/{id").is_err());
    }
}
