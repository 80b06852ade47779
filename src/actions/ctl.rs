//! `ctl`: change engine settings for the current transaction only.

use std::sync::{Arc, OnceLock};

use crate::rules::{Entry, Rule, RuleEngineMode, RuleSet};
use crate::seclang;
use crate::variables::{KeySel, Var};

/// A compiled `ctl` action.
#[derive(Debug, Clone)]
pub enum Ctl {
    /// `ctl:ruleEngine=On|Off|DetectionOnly`.
    RuleEngine(RuleEngineMode),
    /// `ctl:ruleRemoveById=1-99,200`.
    RuleRemoveById(Vec<(u64, u64)>),
    /// `ctl:ruleRemoveByTag=tag` (regex in ModSecurity; compared as a regex here too).
    RuleRemoveByTag(TagSel),
    /// `ctl:ruleRemoveByMsg=msg`.
    RuleRemoveByMsg(String),
    /// `ctl:ruleRemoveTargetById=id;ARGS:x`.
    RuleRemoveTargetById(Vec<(u64, u64)>, Var, KeySel),
    /// `ctl:ruleRemoveTargetByTag=tag;ARGS:x`.
    RuleRemoveTargetByTag(TagSel, Var, KeySel),
    /// `ctl:ruleRemoveTargetByMsg=msg;ARGS:x`.
    RuleRemoveTargetByMsg(String, Var, KeySel),
    /// `ctl:requestBodyProcessor=JSON`.
    RequestBodyProcessor(String),
    /// `ctl:responseBodyProcessor=JSON` (recorded; response bodies are inspected raw).
    ResponseBodyProcessor(String),
    /// `ctl:requestBodyAccess=on`.
    RequestBodyAccess(bool),
    /// `ctl:requestBodyLimit=N`.
    RequestBodyLimit(usize),
    /// `ctl:forceRequestBodyVariable=on`.
    ForceRequestBodyVariable(bool),
    /// `ctl:responseBodyAccess=on`.
    ResponseBodyAccess(bool),
    /// `ctl:responseBodyLimit=N`.
    ResponseBodyLimit(usize),
    /// `ctl:auditEngine=...`.
    AuditEngine(String),
    /// `ctl:auditLogParts=...`.
    AuditLogParts(String),
    /// `ctl:debugLogLevel=N`.
    DebugLogLevel(u8),
}

/// Parses `a-b,c` id ranges.
pub fn parse_ranges(v: &str) -> Result<Vec<(u64, u64)>, String> {
    let mut out = Vec::new();
    for part in v.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
        let part = part.trim();
        let r = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u64>(), b.trim().parse::<u64>()),
            None => (part.parse::<u64>(), part.parse::<u64>()),
        };
        match r {
            (Ok(a), Ok(b)) if a <= b => out.push((a, b)),
            _ => return Err(format!("invalid rule id or range {part:?}")),
        }
    }
    if out.is_empty() {
        return Err("empty rule id list".into());
    }
    Ok(out)
}

fn on_off(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        _ => Err(format!("expected On or Off, got {v:?}")),
    }
}

fn target(spec: &str) -> Result<(Var, KeySel), String> {
    let mut vars = seclang::parse_variables(spec)?;
    if vars.len() != 1 {
        return Err(format!("expected one target, got {spec:?}"));
    }
    let v = vars.remove(0);
    let var = Var::from_name(&v.name).ok_or(format!("unknown variable {}", v.name))?;
    Ok((var, KeySel::compile(v.selector.as_ref())?))
}

fn tag_regex(t: &str) -> Result<TagSel, String> {
    let re = regex::Regex::new(t.trim()).map_err(|e| format!("invalid tag pattern {t:?}: {e}"))?;
    Ok(TagSel {
        re: Arc::new(re),
        ids: Arc::new(OnceLock::new()),
    })
}

/// The tag pattern of `ctl:ruleRemove*ByTag`, with the ids of the rules it
/// selects worked out once per rule set: testing a regex against every tag
/// of every later rule is too costly to repeat per transaction (CRS 941010
/// narrows the 941 rules this way on nearly every request).
#[derive(Debug, Clone)]
pub struct TagSel {
    /// The pattern, matched against each tag. Shared: a transaction copies
    /// the selector each time the `ctl` runs, and a copied `Regex` would
    /// make its own match caches.
    pub re: Arc<regex::Regex>,
    ids: Arc<OnceLock<Vec<u64>>>,
}

impl TagSel {
    /// Whether `rule` (a chain starter of `rules`) carries a matching tag.
    pub fn selects(&self, rules: &RuleSet, rule: &Rule) -> bool {
        let ids = self.ids.get_or_init(|| {
            let mut ids: Vec<u64> = rules
                .phases
                .iter()
                .flatten()
                .filter_map(|e| match e {
                    Entry::Rule(r) if r.meta.tags.iter().any(|t| self.re.is_match(t)) => Some(r.id),
                    _ => None,
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        });
        ids.binary_search(&rule.id).is_ok()
    }
}

/// Parses the value of a `ctl` action.
pub fn parse(v: &str) -> Result<Ctl, String> {
    let (name, value) = v
        .split_once('=')
        .ok_or(format!("ctl {v:?} must be name=value"))?;
    let value = value.trim();
    let split = |value: &str| -> Result<(String, String), String> {
        value
            .split_once(';')
            .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
            .ok_or(format!("ctl:{name} expects <rule>;<target>"))
    };
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "ruleengine" => Ctl::RuleEngine(
            RuleEngineMode::parse(value).ok_or(format!("invalid ruleEngine {value:?}"))?,
        ),
        "ruleremovebyid" => Ctl::RuleRemoveById(parse_ranges(value)?),
        "ruleremovebytag" => Ctl::RuleRemoveByTag(tag_regex(value)?),
        "ruleremovebymsg" => Ctl::RuleRemoveByMsg(value.to_string()),
        "ruleremovetargetbyid" => {
            let (ids, t) = split(value)?;
            let (var, sel) = target(&t)?;
            Ctl::RuleRemoveTargetById(parse_ranges(&ids)?, var, sel)
        }
        "ruleremovetargetbytag" => {
            let (tag, t) = split(value)?;
            let (var, sel) = target(&t)?;
            Ctl::RuleRemoveTargetByTag(tag_regex(&tag)?, var, sel)
        }
        "ruleremovetargetbymsg" => {
            let (msg, t) = split(value)?;
            let (var, sel) = target(&t)?;
            Ctl::RuleRemoveTargetByMsg(msg, var, sel)
        }
        "requestbodyprocessor" => {
            let p = value.to_ascii_uppercase();
            if !matches!(p.as_str(), "URLENCODED" | "MULTIPART" | "JSON" | "XML") {
                return Err(format!("unknown request body processor {value:?}"));
            }
            Ctl::RequestBodyProcessor(p)
        }
        "responsebodyprocessor" => Ctl::ResponseBodyProcessor(value.to_ascii_uppercase()),
        "requestbodyaccess" => Ctl::RequestBodyAccess(on_off(value)?),
        "forcerequestbodyvariable" => Ctl::ForceRequestBodyVariable(on_off(value)?),
        "responsebodyaccess" => Ctl::ResponseBodyAccess(on_off(value)?),
        "requestbodylimit" => Ctl::RequestBodyLimit(
            value
                .parse()
                .map_err(|_| format!("invalid requestBodyLimit {value:?}"))?,
        ),
        "responsebodylimit" => Ctl::ResponseBodyLimit(
            value
                .parse()
                .map_err(|_| format!("invalid responseBodyLimit {value:?}"))?,
        ),
        "auditengine" => Ctl::AuditEngine(value.to_string()),
        "auditlogparts" => Ctl::AuditLogParts(value.to_string()),
        "debugloglevel" => Ctl::DebugLogLevel(
            value
                .parse()
                .map_err(|_| format!("invalid debugLogLevel {value:?}"))?,
        ),
        other => return Err(format!("unknown ctl option {other:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_ranges("1-999999").unwrap(), vec![(1, 999_999)]);
        assert_eq!(parse_ranges("5,7-8").unwrap(), vec![(5, 5), (7, 8)]);
        assert!(parse_ranges("9-1").is_err());
        assert!(parse_ranges("x").is_err());
    }

    #[test]
    fn forms() {
        assert!(matches!(
            parse("ruleEngine=DetectionOnly").unwrap(),
            Ctl::RuleEngine(RuleEngineMode::DetectionOnly)
        ));
        assert!(matches!(
            parse("requestBodyProcessor=JSON").unwrap(),
            Ctl::RequestBodyProcessor(_)
        ));
        assert!(parse("requestBodyProcessor=YAML").is_err());
        assert!(parse("nonsense=1").is_err());
        assert!(parse("ruleEngine").is_err());
    }
}
