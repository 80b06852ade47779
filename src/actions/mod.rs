//! SecLang actions: the registry that turns each `name:value` of an action
//! list into part of a compiled rule, and the runtime forms of the
//! non-disruptive ones (`setvar`, `ctl`, ...), which the transaction runs.

mod ctl;
mod setvar;

pub use ctl::{parse_ranges as parse_ranges_pub, Ctl, TagSel};
pub(crate) use setvar::push_int as setvar_push_int;
pub use setvar::{to_int as setvar_to_int, SetOp, SetVar};

use crate::macros::MacroString;
use crate::rules::Meta;
use crate::seclang::ast::ActionSpec;
use crate::transformations::{self, Transformation};
use crate::variables::Var;

/// Scope of `allow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowScope {
    /// `allow`: skip every remaining phase except logging.
    All,
    /// `allow:phase`: skip the rest of the current phase.
    Phase,
    /// `allow:request`: skip the rest of the request phases.
    Request,
}

/// The disruptive action of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disruptive {
    /// `pass`: continue.
    Pass,
    /// `allow`.
    Allow(AllowScope),
    /// `deny`.
    Deny,
    /// `drop`.
    Drop,
    /// `block`: resolved to the phase's SecDefaultAction at load time.
    Block,
    /// `redirect:URL`.
    Redirect(MacroString),
}

/// A non-disruptive action run when the rule matches.
#[derive(Debug, Clone)]
pub enum Action {
    /// `setvar`.
    SetVar(SetVar),
    /// `expirevar:tx.x=60`: recorded; collections are per transaction, so expiry
    /// beyond the transaction has no effect yet.
    ExpireVar(Var, MacroString, MacroString),
    /// `initcol:ip=%{remote_addr}`.
    InitCol(Var, MacroString),
    /// `setuid` / `setsid` / `setrsc`: initialise USER / SESSION / RESOURCE.
    SetId(Var, MacroString),
    /// `setenv:name=value`.
    SetEnv(MacroString, MacroString),
    /// `ctl:...`.
    Ctl(Ctl),
}

/// What the action list of one rule (or chain link) sets.
#[derive(Debug, Default)]
pub struct Draft {
    /// `id`.
    pub id: Option<u64>,
    /// `phase`.
    pub phase: Option<u8>,
    /// Reported metadata.
    pub meta: Meta,
    /// `log`/`nolog`.
    pub log: Option<bool>,
    /// `auditlog`/`noauditlog`.
    pub auditlog: Option<bool>,
    /// `t:` pipeline with names.
    pub transforms: Vec<(String, Transformation)>,
    /// `multiMatch`.
    pub multi_match: bool,
    /// `capture`.
    pub capture: bool,
    /// The disruptive action.
    pub disruptive: Option<Disruptive>,
    /// `status`.
    pub status: Option<u16>,
    /// Non-disruptive actions in order.
    pub actions: Vec<Action>,
    /// `chain`.
    pub chain: bool,
    /// `skip`.
    pub skip: usize,
    /// `skipAfter`.
    pub skip_after: Option<String>,
}

/// Parses a phase value (`1`-`5`, `request`, `response`, `logging`).
pub fn parse_phase(v: &str) -> Result<u8, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "request" => Ok(2),
        "response" => Ok(4),
        "logging" => Ok(5),
        n => match n.parse::<u8>() {
            Ok(p @ 1..=5) => Ok(p),
            _ => Err(format!(
                "invalid phase {v:?}: expected 1-5, request, response or logging"
            )),
        },
    }
}

fn need(a: &ActionSpec) -> Result<&str, String> {
    match a.value.as_deref() {
        Some(v) => Ok(v),
        None => Err(format!("action {} needs a value", a.name)),
    }
}

fn small(a: &ActionSpec, max: u8) -> Result<u8, String> {
    let v = need(a)?;
    match v.trim().parse::<u8>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!("invalid {} {v:?}", a.name)),
    }
}

/// Parses a severity, by number (0-7) or by name.
pub fn parse_severity(v: &str) -> Option<u8> {
    const NAMES: [&str; 8] = [
        "EMERGENCY",
        "ALERT",
        "CRITICAL",
        "ERROR",
        "WARNING",
        "NOTICE",
        "INFO",
        "DEBUG",
    ];
    let v = v.trim();
    if let Ok(n) = v.parse::<u8>() {
        return (n <= 7).then_some(n);
    }
    NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(v))
        .map(|p| p as u8)
}

/// Name of a severity level for logs.
pub fn severity_name(s: u8) -> &'static str {
    match s {
        0 => "EMERGENCY",
        1 => "ALERT",
        2 => "CRITICAL",
        3 => "ERROR",
        4 => "WARNING",
        5 => "NOTICE",
        6 => "INFO",
        _ => "DEBUG",
    }
}

/// Applies one action to `d`. This is the action registry: each SecLang
/// action name has its arm here.
pub fn apply(a: &ActionSpec, d: &mut Draft) -> Result<(), String> {
    match a.name.as_str() {
        "id" => {
            let v = need(a)?;
            match v.trim().parse::<u64>() {
                Ok(n) if n > 0 => d.id = Some(n),
                _ => return Err(format!("invalid rule id {v:?}")),
            }
        }
        "phase" => d.phase = Some(parse_phase(need(a)?)?),
        "msg" => d.meta.msg = Some(MacroString::parse(need(a)?)),
        "logdata" => d.meta.logdata = Some(MacroString::parse(need(a)?)),
        "severity" => {
            let v = need(a)?;
            d.meta.severity = Some(parse_severity(v).ok_or(format!("invalid severity {v:?}"))?)
        }
        "tag" => d.meta.tags.push(need(a)?.to_string()),
        "ver" => d.meta.ver = need(a)?.to_string(),
        "rev" => d.meta.rev = need(a)?.to_string(),
        "maturity" => d.meta.maturity = Some(small(a, 9)?),
        "accuracy" => d.meta.accuracy = Some(small(a, 9)?),
        "log" => d.log = Some(true),
        "nolog" => d.log = Some(false),
        "auditlog" => d.auditlog = Some(true),
        "noauditlog" => d.auditlog = Some(false),
        "t" => {
            let v = need(a)?.trim();
            if v.eq_ignore_ascii_case("none") {
                d.transforms.clear();
            } else {
                let f =
                    transformations::lookup(v).ok_or(format!("unknown transformation t:{v}"))?;
                d.transforms.push((v.to_string(), f));
            }
        }
        "multimatch" => d.multi_match = true,
        "capture" => d.capture = true,
        "chain" => d.chain = true,
        "skip" => {
            let v = need(a)?;
            d.skip = v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("invalid skip {v:?}"))?;
        }
        "skipafter" => d.skip_after = Some(need(a)?.trim().to_string()),
        "pass" => d.disruptive = Some(Disruptive::Pass),
        "deny" => d.disruptive = Some(Disruptive::Deny),
        "drop" => d.disruptive = Some(Disruptive::Drop),
        "block" => d.disruptive = Some(Disruptive::Block),
        "allow" => {
            let scope = match a.value.as_deref().map(|v| v.trim().to_ascii_lowercase()) {
                None => AllowScope::All,
                Some(v) if v == "phase" => AllowScope::Phase,
                Some(v) if v == "request" => AllowScope::Request,
                Some(v) => return Err(format!("invalid allow scope {v:?}")),
            };
            d.disruptive = Some(Disruptive::Allow(scope));
        }
        "redirect" => d.disruptive = Some(Disruptive::Redirect(MacroString::parse(need(a)?))),
        "status" => {
            let v = need(a)?;
            d.status = Some(
                v.trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|s| (100..=599).contains(s))
                    .ok_or(format!("invalid status {v:?}"))?,
            );
        }
        "setvar" => d.actions.push(Action::SetVar(setvar::parse(need(a)?)?)),
        "expirevar" => {
            let v = need(a)?;
            let (target, secs) = v.split_once('=').unwrap_or((v, "0"));
            let (var, key) = setvar::split_target(target)?;
            d.actions.push(Action::ExpireVar(
                var,
                MacroString::parse(key),
                MacroString::parse(secs),
            ));
        }
        "initcol" => {
            let v = need(a)?;
            let (c, key) = v.split_once('=').ok_or(format!("invalid initcol {v:?}"))?;
            let var = Var::from_name(c.trim())
                .filter(|v| v.is_persistent())
                .ok_or(format!("initcol: unknown collection {c:?}"))?;
            d.actions
                .push(Action::InitCol(var, MacroString::parse(key)));
        }
        "setuid" => d
            .actions
            .push(Action::SetId(Var::User, MacroString::parse(need(a)?))),
        "setsid" => d
            .actions
            .push(Action::SetId(Var::Session, MacroString::parse(need(a)?))),
        "setrsc" => d
            .actions
            .push(Action::SetId(Var::Resource, MacroString::parse(need(a)?))),
        "setenv" => {
            let v = need(a)?;
            let (n, val) = v.split_once('=').unwrap_or((v, ""));
            d.actions.push(Action::SetEnv(
                MacroString::parse(n),
                MacroString::parse(val),
            ));
        }
        "ctl" => d.actions.push(Action::Ctl(ctl::parse(need(a)?)?)),
        // Accepted for compatibility: they change what the audit log shows
        // (sanitise*) or are hints for other engines; no effect on decisions.
        "sanitisearg"
        | "sanitisematched"
        | "sanitisematchedbytes"
        | "sanitiserequestheader"
        | "sanitiseresponseheader"
        | "sanitizearg"
        | "sanitizematched"
        | "sanitizematchedbytes"
        | "sanitizerequestheader"
        | "sanitizeresponseheader" => {}
        other => return Err(format!("unknown action {other:?}")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(n: &str, v: Option<&str>) -> ActionSpec {
        ActionSpec {
            name: n.into(),
            value: v.map(Into::into),
        }
    }

    #[test]
    fn phases_and_severities() {
        assert_eq!(parse_phase("request"), Ok(2));
        assert_eq!(parse_phase("5"), Ok(5));
        assert!(parse_phase("6").is_err());
        assert_eq!(parse_severity("CRITICAL"), Some(2));
        assert_eq!(parse_severity("2"), Some(2));
        assert_eq!(parse_severity("loud"), None);
    }

    #[test]
    fn registry_rejects_unknown_and_bad_values() {
        let mut d = Draft::default();
        assert!(apply(&spec("bogus", None), &mut d).is_err());
        assert!(apply(&spec("id", Some("x")), &mut d).is_err());
        assert!(apply(&spec("status", Some("999")), &mut d).is_err());
        apply(&spec("id", Some("42")), &mut d).unwrap();
        apply(&spec("deny", None), &mut d).unwrap();
        assert_eq!(d.id, Some(42));
        assert_eq!(d.disruptive, Some(Disruptive::Deny));
    }
}
