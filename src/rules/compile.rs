//! Directives in file order -> a compiled [`RuleSet`].

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use super::{
    BodyLimitAction, EngineConfig, Entry, Meta, Rule, RuleEngineMode, RuleOperator, RuleSet,
};
use crate::actions::{self, Disruptive, Draft};
use crate::error::Error;
use crate::operators::{self, OperatorInit};
use crate::seclang::ast::{ActionSpec, Directive, Location, VariableSpec};
use crate::seclang::{parse_actions, parse_operator, parse_variables};
use crate::variables::{KeySel, Target, Var};

struct Compiler {
    config: EngineConfig,
    phases: [Vec<Entry>; 5],
    defaults: [Vec<ActionSpec>; 5],
    ids: HashSet<u64>,
    /// A chain being built: the links so far, head first.
    open_chain: Vec<Rule>,
    open_chain_loc: Option<Location>,
    markers: HashSet<String>,
    datasets: HashMap<String, Vec<String>>,
    /// The rules' `@rx` patterns, compiled ahead on every core.
    regexes: HashMap<String, crate::operators::rx::Compiled>,
}

fn parse_bool(d: &Directive, v: &str) -> Result<bool, Error> {
    match v.to_ascii_lowercase().as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(Error::at(&d.location, format!("{}: expected On or Off", d.name)).with_snippet(v)),
    }
}

fn parse_num(d: &Directive, v: &str) -> Result<usize, Error> {
    v.trim().parse::<usize>().map_err(|_| {
        Error::at(&d.location, format!("{}: expected a number", d.name)).with_snippet(v)
    })
}

fn arg(d: &Directive, i: usize) -> Result<&str, Error> {
    d.args.get(i).map(|s| s.as_str()).ok_or_else(|| {
        Error::at(
            &d.location,
            format!("{}: missing argument {}", d.name, i + 1),
        )
    })
}

/// Applies a variable list to targets: plain entries add targets, `!` entries
/// exclude keys from every target of the same variable.
pub(crate) fn apply_variables(
    targets: &mut Vec<Target>,
    specs: &[VariableSpec],
) -> Result<(), String> {
    let mut exclusions = Vec::new();
    for s in specs {
        let var = Var::from_name(&s.name).ok_or(format!("unknown variable {}", s.name))?;
        if matches!(var, Var::Xml | Var::ResponseXml) {
            if let Some(crate::seclang::ast::Selector::Key(k)) = &s.selector {
                if k != "/*" && k != "//@*" {
                    return Err(format!(
                        "XPath {k:?} is not supported (only XML:/* and XML://@*)"
                    ));
                }
            }
        } else if s.selector.is_some() && !var.is_collection() && !s.negated {
            return Err(format!("variable {} takes no key", s.name));
        }
        let sel = KeySel::compile(s.selector.as_ref())?;
        if s.negated {
            exclusions.push((var, sel));
        } else {
            let sel = match (var, sel) {
                (Var::Xml | Var::ResponseXml, KeySel::All) => KeySel::Key(b"/*".to_vec()),
                (_, sel) => sel,
            };
            targets.push(Target {
                var,
                sel,
                count: s.count,
                exclusions: Vec::new(),
            });
        }
    }
    for (var, sel) in exclusions {
        for t in targets.iter_mut().filter(|t| t.var == var) {
            t.exclusions.push(sel.clone());
        }
    }
    Ok(())
}

impl Compiler {
    fn new() -> Compiler {
        let pass = |p: u8| {
            vec![
                ActionSpec {
                    name: "phase".into(),
                    value: Some(p.to_string()),
                },
                ActionSpec {
                    name: "log".into(),
                    value: None,
                },
                ActionSpec {
                    name: "auditlog".into(),
                    value: None,
                },
                ActionSpec {
                    name: "pass".into(),
                    value: None,
                },
            ]
        };
        Compiler {
            config: EngineConfig::default(),
            phases: Default::default(),
            defaults: [pass(1), pass(2), pass(3), pass(4), pass(5)],
            ids: HashSet::new(),
            open_chain: Vec::new(),
            open_chain_loc: None,
            markers: HashSet::new(),
            datasets: HashMap::new(),
            regexes: HashMap::new(),
        }
    }

    fn directive(&mut self, d: &Directive) -> Result<(), Error> {
        let name = d.name.to_ascii_lowercase();
        if !self.open_chain.is_empty() && name != "secrule" {
            return Err(Error::at(
                &d.location,
                format!(
                    "{} found where the chained rule started above was expected",
                    d.name
                ),
            ));
        }
        let c = &mut self.config;
        match name.as_str() {
            "secrule" => return self.rule(d, false),
            "secaction" => return self.rule(d, true),
            "secmarker" => {
                let m = arg(d, 0)?.trim().to_string();
                for p in self.phases.iter_mut() {
                    p.push(Entry::Marker(m.clone()));
                }
                self.markers.insert(m);
            }
            "secdefaultaction" => {
                let specs = parse_actions(arg(d, 0)?).map_err(|e| Error::at(&d.location, e))?;
                let mut draft = Draft::default();
                for s in &specs {
                    actions::apply(s, &mut draft).map_err(|e| Error::at(&d.location, e))?;
                }
                let phase = draft.phase.unwrap_or(2);
                if draft.disruptive.is_none() {
                    return Err(Error::at(
                        &d.location,
                        "SecDefaultAction must name a disruptive action",
                    ));
                }
                if draft.id.is_some() || draft.chain || draft.skip > 0 || draft.skip_after.is_some()
                {
                    return Err(Error::at(
                        &d.location,
                        "SecDefaultAction may not use id, chain, skip or skipAfter",
                    ));
                }
                self.defaults[phase as usize - 1] = specs;
            }
            "secruleengine" => {
                let v = arg(d, 0)?;
                c.rule_engine = RuleEngineMode::parse(v).ok_or_else(|| {
                    Error::at(
                        &d.location,
                        "SecRuleEngine: expected On, Off or DetectionOnly",
                    )
                    .with_snippet(v)
                })?;
            }
            "secrequestbodyaccess" => c.request_body_access = parse_bool(d, arg(d, 0)?)?,
            "secresponsebodyaccess" => c.response_body_access = parse_bool(d, arg(d, 0)?)?,
            "secrequestbodylimit" => c.request_body_limit = parse_num(d, arg(d, 0)?)?,
            "secrequestbodynofileslimit" => {
                c.request_body_no_files_limit = parse_num(d, arg(d, 0)?)?
            }
            "secrequestbodyinmemorylimit" => {
                c.request_body_in_memory_limit = parse_num(d, arg(d, 0)?)?
            }
            "secrequestbodyjsondepthlimit" => c.json_depth_limit = parse_num(d, arg(d, 0)?)?,
            "secargumentslimit" => c.arguments_limit = parse_num(d, arg(d, 0)?)?,
            "secuploadfilelimit" => c.upload_file_limit = parse_num(d, arg(d, 0)?)?,
            "secresponsebodylimit" => c.response_body_limit = parse_num(d, arg(d, 0)?)?,
            "secrequestbodylimitaction" | "secresponsebodylimitaction" => {
                let v = arg(d, 0)?;
                let a = BodyLimitAction::parse(v).ok_or_else(|| {
                    Error::at(
                        &d.location,
                        format!("{}: expected Reject or ProcessPartial", d.name),
                    )
                    .with_snippet(v)
                })?;
                if name == "secrequestbodylimitaction" {
                    c.request_body_limit_action = a;
                } else {
                    c.response_body_limit_action = a;
                }
            }
            "secresponsebodymimetype" => {
                for a in &d.args {
                    c.response_body_mime_types
                        .extend(a.split_whitespace().map(|m| m.to_ascii_lowercase()));
                }
            }
            "secresponsebodymimetypesclear" => c.response_body_mime_types.clear(),
            "secargumentseparator" => {
                let v = arg(d, 0)?;
                if v.len() != 1 {
                    return Err(
                        Error::at(&d.location, "SecArgumentSeparator takes one character")
                            .with_snippet(v),
                    );
                }
                c.argument_separator = v.as_bytes()[0];
            }
            "secauditengine" => {
                let v = arg(d, 0)?;
                if !["on", "off", "relevantonly"].contains(&v.to_ascii_lowercase().as_str()) {
                    return Err(Error::at(
                        &d.location,
                        "SecAuditEngine: expected On, Off or RelevantOnly",
                    )
                    .with_snippet(v));
                }
                c.audit_engine = v.to_string();
            }
            "secauditlogparts" => c.audit_log_parts = arg(d, 0)?.to_string(),
            "secauditlogrelevantstatus" => {
                c.audit_log_relevant_status = Some(arg(d, 0)?.to_string())
            }
            "secwebappid" => c.web_app_id = arg(d, 0)?.to_string(),
            "seccomponentsignature" => c.component_signatures.push(arg(d, 0)?.to_string()),
            "secdebugloglevel" => {
                c.debug_log_level = parse_num(d, arg(d, 0)?)?.min(9) as u8;
            }
            "seccollectiontimeout" => c.collection_timeout = parse_num(d, arg(d, 0)?)? as u64,
            "secruleremovebyid" => {
                let mut ranges = Vec::new();
                for a in &d.args {
                    ranges.extend(
                        actions::parse_ranges_pub(a).map_err(|e| Error::at(&d.location, e))?,
                    );
                }
                self.remove(|r| ranges.iter().any(|(a, b)| (*a..=*b).contains(&r.id)));
            }
            "secruleremovebytag" => {
                let re = regex::Regex::new(arg(d, 0)?)
                    .map_err(|e| Error::at(&d.location, e.to_string()))?;
                self.remove(|r| r.meta.tags.iter().any(|t| re.is_match(t)));
            }
            "secruleremovebymsg" => {
                let m = arg(d, 0)?.to_string();
                self.remove(|r| r.meta.msg.as_ref().is_some_and(|x| x.raw() == m));
            }
            "secruleupdatetargetbyid" | "secruleupdatetargetbytag" | "secruleupdatetargetbymsg" => {
                let sel = arg(d, 0)?.to_string();
                let specs = parse_variables(arg(d, 1)?).map_err(|e| Error::at(&d.location, e))?;
                let ranges = if name == "secruleupdatetargetbyid" {
                    actions::parse_ranges_pub(&sel).map_err(|e| Error::at(&d.location, e))?
                } else {
                    Vec::new()
                };
                let tag_re = if name == "secruleupdatetargetbytag" {
                    Some(
                        regex::Regex::new(&sel)
                            .map_err(|e| Error::at(&d.location, e.to_string()))?,
                    )
                } else {
                    None
                };
                let mut found = false;
                for p in self.phases.iter_mut() {
                    for e in p.iter_mut() {
                        if let Entry::Rule(r) = e {
                            let hit = match name.as_str() {
                                "secruleupdatetargetbyid" => {
                                    ranges.iter().any(|(a, b)| (*a..=*b).contains(&r.id))
                                }
                                "secruleupdatetargetbytag" => r
                                    .meta
                                    .tags
                                    .iter()
                                    .any(|t| tag_re.as_ref().is_some_and(|re| re.is_match(t))),
                                _ => r.meta.msg.as_ref().is_some_and(|m| m.raw() == sel),
                            };
                            if hit {
                                found = true;
                                apply_variables(&mut r.targets, &specs)
                                    .map_err(|e| Error::at(&d.location, e))?;
                            }
                        }
                    }
                }
                let _ = found; // ModSecurity accepts updates that match nothing.
            }
            "secruleupdateactionbyid" => {
                let id: u64 = arg(d, 0)?
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .parse()
                    .map_err(|_| Error::at(&d.location, "SecRuleUpdateActionById: invalid id"))?;
                let specs = parse_actions(arg(d, 1)?).map_err(|e| Error::at(&d.location, e))?;
                let mut found = false;
                for p in self.phases.iter_mut() {
                    for e in p.iter_mut() {
                        if let Entry::Rule(r) = e {
                            if r.id == id {
                                found = true;
                                update_actions(r, &specs).map_err(|e| Error::at(&d.location, e))?;
                            }
                        }
                    }
                }
                if !found {
                    return Err(Error::at(
                        &d.location,
                        format!("SecRuleUpdateActionById: no rule with id {id}"),
                    ));
                }
            }
            // Accepted with no effect: they configure files, caches or other
            // servers' features that this engine does not have (no disk I/O,
            // no persistent storage yet, no Apache/nginx internals).
            "secdatadir"
            | "sectmpdir"
            | "secuploaddir"
            | "secuploadkeepfiles"
            | "secuploadfilemode"
            | "sectmpsaveuploadedfiles"
            | "secdebuglog"
            | "secauditlog"
            | "secauditlog2"
            | "secauditlogdir"
            | "secauditlogstoragedir"
            | "secauditlogdirmode"
            | "secauditlogfilemode"
            | "secauditlogformat"
            | "secauditlogtype"
            | "seccookieformat"
            | "secunicodemapfile"
            | "secunicodecodepage"
            | "secpcrematchlimit"
            | "secpcrematchlimitrecursion"
            | "secserversignature"
            | "secsensorid"
            | "secstatusengine"
            | "secconnengine"
            | "seccontentinjection"
            | "secstreaminbodyinspection"
            | "secstreamoutbodyinspection"
            | "secdisablebackendcompression"
            | "secinterceptonerror"
            | "secgeolookupdb"
            | "secgsblookupdb"
            | "sechttpblkey"
            | "secguardianlog"
            | "sechashengine"
            | "sechashkey"
            | "sechashparam"
            | "sechashmethodrx"
            | "sechashmethodpm"
            | "secxmlexternalentity"
            | "secconnreadstatelimit"
            | "secconnwritestatelimit"
            | "secremoterulesfailaction"
            | "secignorerulecompilationerrors"
            | "seccachetransformations"
            | "secchrootdir"
            | "secreadstatelimit"
            | "secwritestatelimit"
            | "secrequestbodyjsondepthlimitaction" => {}
            "secdataset" => {
                let n = arg(d, 0)?.to_string();
                let items = d.args[1..]
                    .join("\n")
                    .lines()
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect();
                self.datasets.insert(n, items);
            }
            "secremoterules" => {
                return Err(Error::at(&d.location, "SecRemoteRules is not supported: the engine never fetches rules over the network"));
            }
            _ => {
                return Err(Error::at(
                    &d.location,
                    format!("unknown directive {}", d.name),
                ))
            }
        }
        Ok(())
    }

    fn remove(&mut self, f: impl Fn(&Rule) -> bool) {
        for p in self.phases.iter_mut() {
            p.retain(|e| !matches!(e, Entry::Rule(r) if f(r)));
        }
    }

    fn rule(&mut self, d: &Directive, is_action: bool) -> Result<(), Error> {
        let loc = &d.location;
        let (vars, op, acts) = if is_action {
            (None, None, d.args.first().map(|s| s.as_str()).unwrap_or(""))
        } else {
            let v = arg(d, 0)?;
            let o = arg(d, 1)?;
            (
                Some(v),
                Some(o),
                d.args.get(2).map(|s| s.as_str()).unwrap_or(""),
            )
        };
        if d.args.len() > if is_action { 1 } else { 3 } {
            return Err(Error::at(loc, format!("{}: too many arguments", d.name)));
        }
        let specs = if acts.trim().is_empty() {
            Vec::new()
        } else {
            parse_actions(acts).map_err(|e| Error::at(loc, e).with_snippet(acts))?
        };
        let is_link = !self.open_chain.is_empty();
        let mut draft = Draft::default();
        let mut default_disruptive = Disruptive::Pass;
        if !is_link {
            let mut probe = Draft::default();
            for s in specs.iter().filter(|s| s.name == "phase") {
                actions::apply(s, &mut probe).map_err(|e| Error::at(loc, e))?;
            }
            let phase = probe.phase.unwrap_or(2);
            let defaults = self.defaults[phase as usize - 1].clone();
            for s in &defaults {
                actions::apply(s, &mut draft).map_err(|e| Error::at(loc, e))?;
            }
            default_disruptive = draft.disruptive.clone().unwrap_or(Disruptive::Pass);
            draft.disruptive = None;
            draft.phase = Some(phase);
        }
        for s in &specs {
            actions::apply(s, &mut draft).map_err(|e| Error::at(loc, e).with_snippet(acts))?;
        }
        let mut targets = Vec::new();
        if let Some(v) = vars {
            let vs = parse_variables(v).map_err(|e| Error::at(loc, e).with_snippet(v))?;
            apply_variables(&mut targets, &vs).map_err(|e| Error::at(loc, e).with_snippet(v))?;
        }
        let operator = match op {
            None => None,
            Some(o) => {
                let spec = parse_operator(o).map_err(|e| Error::at(loc, e).with_snippet(o))?;
                let dir = Path::new(&*loc.file).parent().unwrap_or(Path::new("."));
                let init = OperatorInit {
                    name: &spec.name,
                    arg: &spec.arg,
                    rule_dir: dir,
                    datasets: &self.datasets,
                };
                let ahead = match spec.name.eq_ignore_ascii_case("rx") {
                    true => self.regexes.get(&spec.arg).cloned(),
                    false => None,
                };
                let built = match ahead {
                    Some(c) => Box::new(crate::operators::rx::Rx::from_compiled(&spec.arg, c)),
                    None => {
                        operators::build(&init).map_err(|e| Error::at(loc, e).with_snippet(o))?
                    }
                };
                Some(RuleOperator {
                    name: spec.name,
                    arg: spec.arg,
                    negated: spec.negated,
                    op: built,
                })
            }
        };
        let id = if is_link {
            if draft.id.is_some() {
                return Err(Error::at(loc, "a chained rule may not have an id"));
            }
            if draft.disruptive.is_some() && !matches!(draft.disruptive, Some(Disruptive::Pass)) {
                return Err(Error::at(
                    loc,
                    "a chained rule may not have a disruptive action",
                ));
            }
            0
        } else {
            let id = draft
                .id
                .ok_or_else(|| Error::at(loc, "rule has no id").with_snippet(acts))?;
            if !self.ids.insert(id) {
                return Err(Error::at(loc, format!("duplicate rule id {id}")));
            }
            id
        };
        let disruptive = match draft.disruptive.take() {
            Some(Disruptive::Block) => match default_disruptive {
                Disruptive::Block => Disruptive::Pass,
                d => d,
            },
            Some(d) => d,
            None => Disruptive::Pass,
        };
        let transform_key: Arc<str> = draft
            .transforms
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(",")
            .into();
        let rule = Rule {
            id,
            phase: draft.phase.unwrap_or(2),
            file: loc.file.clone(),
            line: loc.line,
            targets,
            operator,
            transforms: draft.transforms.into_iter().map(|(_, f)| f).collect(),
            transform_key,
            multi_match: draft.multi_match,
            capture: draft.capture,
            meta: draft.meta,
            log: draft.log.unwrap_or(true),
            auditlog: draft.auditlog.unwrap_or(true),
            disruptive,
            status: draft.status,
            actions: draft.actions,
            skip: draft.skip,
            skip_after: draft.skip_after.map(|m| (m, usize::MAX)),
            chain: None,
            info: Arc::default(),
            plan: Default::default(),
            target_names: Vec::new(),
            tx_hint: Default::default(),
            lines: Default::default(),
        };
        if is_link && (rule.skip > 0 || rule.skip_after.is_some()) {
            return Err(Error::at(
                loc,
                "skip and skipAfter belong on the first rule of a chain",
            ));
        }
        let chains_on = draft.chain;
        self.open_chain.push(rule);
        if chains_on {
            if self.open_chain.len() == 1 {
                self.open_chain_loc = Some(loc.clone());
            }
            return Ok(());
        }
        // Close the chain: nest links into the head.
        let mut tail: Option<Box<Rule>> = None;
        while let Some(mut r) = self.open_chain.pop() {
            r.chain = tail.take();
            tail = Some(Box::new(r));
        }
        if let Some(head) = tail {
            let idx = head.phase as usize - 1;
            self.phases[idx].push(Entry::Rule(head));
        }
        self.open_chain_loc = None;
        Ok(())
    }

    fn finish(mut self) -> Result<RuleSet, Error> {
        if let Some(loc) = &self.open_chain_loc {
            return Err(Error::at(
                loc,
                "rule starts a chain (chain action) but no rule follows",
            ));
        }
        let mut names = HashMap::new();
        for p in self.phases.iter_mut() {
            let markers: Vec<(usize, String)> = p
                .iter()
                .enumerate()
                .filter_map(|(i, e)| match e {
                    Entry::Marker(m) => Some((i, m.clone())),
                    _ => None,
                })
                .collect();
            let len = p.len();
            for (i, e) in p.iter_mut().enumerate() {
                if let Entry::Rule(r) = e {
                    r.info = Arc::new(crate::transaction::RuleInfo {
                        file: r.file.clone(),
                        tags: r.meta.tags.clone(),
                        ver: r.meta.ver.clone(),
                        rev: r.meta.rev.clone(),
                    });
                    r.name_targets(&mut names);
                    if let Some((name, target)) = &mut r.skip_after {
                        if !self.markers.contains(name.as_str())
                            && !name.parse::<u64>().is_ok_and(|n| self.ids.contains(&n))
                        {
                            return Err(Error::msg(format!(
                                "{}:{}: skipAfter target {name:?} does not exist",
                                r.file, r.line
                            )));
                        }
                        *target = markers
                            .iter()
                            .find(|(mi, m)| *mi > i && m == name)
                            .map(|(mi, _)| *mi)
                            .unwrap_or(len);
                    }
                }
            }
        }
        let mut set = RuleSet {
            phases: self.phases,
            config: self.config,
            plan: Default::default(),
        };
        super::plan::build(&mut set);
        Ok(set)
    }
}

/// `SecRuleUpdateActionById`: replaces metadata and the disruptive action.
fn update_actions(r: &mut Rule, specs: &[ActionSpec]) -> Result<(), String> {
    let mut d = Draft::default();
    for s in specs {
        actions::apply(s, &mut d)?;
    }
    let Draft {
        meta,
        disruptive,
        status,
        log,
        auditlog,
        actions,
        transforms,
        ..
    } = d;
    let Meta {
        msg,
        logdata,
        severity,
        tags,
        ver,
        rev,
        maturity,
        accuracy,
    } = meta;
    if msg.is_some() {
        r.meta.msg = msg;
    }
    if logdata.is_some() {
        r.meta.logdata = logdata;
    }
    if severity.is_some() {
        r.meta.severity = severity;
    }
    r.meta.tags.extend(tags);
    if !ver.is_empty() {
        r.meta.ver = ver;
    }
    if !rev.is_empty() {
        r.meta.rev = rev;
    }
    r.meta.maturity = maturity.or(r.meta.maturity);
    r.meta.accuracy = accuracy.or(r.meta.accuracy);
    if let Some(d) = disruptive {
        r.disruptive = d;
    }
    r.status = status.or(r.status);
    r.log = log.unwrap_or(r.log);
    r.auditlog = auditlog.unwrap_or(r.auditlog);
    r.actions.extend(actions);
    if specs.iter().any(|s| s.name == "t") {
        r.transform_key = transforms
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(",")
            .into();
        r.transforms = transforms.into_iter().map(|(_, f)| f).collect();
    }
    Ok(())
}

/// Compiles directives (already `Include`-expanded) into a rule set.
pub fn compile(directives: &[Directive]) -> Result<RuleSet, Error> {
    let mut c = Compiler::new();
    let patterns: HashSet<String> = directives
        .iter()
        .filter(|d| d.name.eq_ignore_ascii_case("secrule"))
        .filter_map(|d| parse_operator(d.args.get(1)?).ok())
        .filter(|s| s.name.eq_ignore_ascii_case("rx"))
        .map(|s| s.arg)
        .collect();
    c.regexes = crate::operators::rx::compile_ahead(patterns.into_iter().collect());
    for d in directives {
        c.directive(d)?;
    }
    c.finish()
}
