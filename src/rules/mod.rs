//! rules
pub struct RuleSet;
