//! The prelude: the start of phase 1 that reads nothing but TX.
//!
//! CRS begins every request with its setup and initialisation rules
//! (`crs-setup.conf`'s `SecAction`s, then `&TX:x "@eq 0"` defaults in
//! REQUEST-901): about sixty rules that read only TX, which starts empty, so
//! they do the same on every request. The rule set runs them once when it is
//! built and keeps the state they leave (TX, the matched-rule records,
//! MATCHED_VAR*, HIGHEST_SEVERITY); a transaction starts phase 1 from that
//! state at the first rule that could do otherwise.
//!
//! A rule belongs to the prelude while every link reads only TX (targets, and
//! macros in operator arguments), and, should it match, only writes TX and
//! what a match records: no disruptive action, no log line (it names the
//! client), no `ctl`, no other collection.
//!
//! Rules before the prelude that read the request run live first, as they
//! would: allowed there are those that leave the prelude's rules unaffected
//! whatever they match (coraza.conf's `ctl:requestBodyProcessor` rules come
//! first in phase 1): no TX write or capture, no disruptive action, skip or
//! `ctl` that changes which rules run. Since they come before every prelude
//! rule, a transaction sees the records in the same order; and the
//! prelude's macros read only TX and RULE, not what those matches set
//! (MATCHED_VAR*, HIGHEST_SEVERITY).

use std::sync::Arc;

use super::phase_cache::PhaseCache;
use super::{shared_value, MatchedRule, Transaction};
use crate::actions::{Action, Disruptive, SetOp};
use crate::macros::MacroString;
use crate::rules::{Entry, Rule, RuleSet};
use crate::variables::{Collection, CurrentRule, Var};

/// A MATCHED_VAR record (name, value).
type Matched = (Arc<str>, Arc<[u8]>);

/// A TX memo answer: where the key is (if it is), and the value when the
/// comparison matches it.
type MemoAnswer = (Option<usize>, Option<Arc<[u8]>>);

/// The state the prelude leaves.
pub(crate) struct Prelude {
    /// Phase 1's entries before this index run live, before the prelude.
    pub lead: usize,
    /// Index in phase 1's list where transactions go on.
    pub resume: usize,
    pub tx: Collection,
    pub matched: Vec<MatchedRule>,
    pub matched_var: Option<Matched>,
    pub matched_vars: Vec<Matched>,
    pub highest_severity: Option<u8>,
    pub rule: Option<CurrentRule>,
    /// The answer to each TX memo question
    /// ([`crate::rules::plan::Plan::tx_memo_questions`]) in `tx`: a
    /// transaction starts with them instead of asking.
    pub memo: Vec<MemoAnswer>,
}

impl std::fmt::Debug for Prelude {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prelude")
            .field("lead", &self.lead)
            .field("resume", &self.resume)
            .field("matched", &self.matched.len())
            .finish_non_exhaustive()
    }
}

/// Collections a macro may read in the prelude (RULE is the rule's own
/// metadata).
const PURE_MACROS: &[&str] = &["TX", "RULE"];

fn pure_macros(m: &MacroString) -> bool {
    m.collections().all(|c| PURE_MACROS.contains(&c))
}

/// Every link reads only TX.
fn reads_pure(rule: &Rule) -> bool {
    let mut link = Some(rule);
    while let Some(l) = link {
        if !l.targets.iter().all(|t| t.var == Var::Tx) {
            return false;
        }
        if let Some(op) = &l.operator {
            if !pure_macros(&MacroString::parse(&op.arg)) {
                return false;
            }
        }
        link = l.chain.as_deref();
    }
    true
}

/// A match of `rule` only writes TX and the match records.
fn effects_pure(rule: &Rule) -> bool {
    if rule.log || !matches!(rule.disruptive, Disruptive::Pass | Disruptive::Block) {
        return false;
    }
    let meta = [&rule.meta.msg, &rule.meta.logdata];
    if !meta.into_iter().flatten().all(pure_macros) {
        return false;
    }
    let mut link = Some(rule);
    while let Some(l) = link {
        let ok = l.actions.iter().all(|a| match a {
            Action::SetVar(sv) => {
                sv.collection == Var::Tx
                    && pure_macros(&sv.key)
                    && match &sv.op {
                        SetOp::Set(v) | SetOp::Add(v) | SetOp::Sub(v) => pure_macros(v),
                        SetOp::Delete => true,
                    }
            }
            // Recorded only (collections end with the transaction).
            Action::ExpireVar(..) => true,
            _ => false,
        });
        if !ok {
            return false;
        }
        link = l.chain.as_deref();
    }
    true
}

/// A rule before the prelude whose matches cannot change what the
/// prelude's rules see or do.
fn commutes(rule: &Rule) -> bool {
    use crate::actions::Ctl;
    if !matches!(rule.disruptive, Disruptive::Pass | Disruptive::Block)
        || rule.skip > 0
        || rule.skip_after.is_some()
    {
        return false;
    }
    let mut link = Some(rule);
    while let Some(l) = link {
        let ok = !l.capture
            && l.actions.iter().all(|a| match a {
                Action::SetVar(sv) => sv.collection != Var::Tx,
                Action::ExpireVar(..)
                | Action::InitCol(..)
                | Action::SetId(..)
                | Action::SetEnv(..) => true,
                Action::Ctl(c) => !matches!(
                    c,
                    Ctl::RuleEngine(_)
                        | Ctl::RuleRemoveById(_)
                        | Ctl::RuleRemoveByTag(_)
                        | Ctl::RuleRemoveByMsg(_)
                        | Ctl::RuleRemoveTargetById(..)
                        | Ctl::RuleRemoveTargetByTag(..)
                        | Ctl::RuleRemoveTargetByMsg(..)
                ),
            });
        if !ok {
            return false;
        }
        link = l.chain.as_deref();
    }
    true
}

/// How a run of the phase-1 loop from the start ended.
enum End {
    /// Stopped before entry `i`: the state is the prelude's.
    Before(usize),
    /// Entry `i` matched with effects beyond the prelude's: run again up to it.
    After(usize),
    /// The loop stopped (an interruption); no prelude.
    Stopped,
}

/// Runs phase 1 from `lead` on `tx` while the rules are the prelude's, or
/// up to `stop`.
fn run(tx: &mut Transaction, rules: &RuleSet, lead: usize, stop: Option<usize>) -> End {
    let data = tx.vars.data.clone();
    let buffers = std::mem::take(&mut tx.cache_buffers);
    let mut cache = PhaseCache::new(&data, &rules.plan, 1, buffers);
    let list = &rules.phases[0];
    let mut i = lead;
    let end = loop {
        if stop == Some(i) || i >= list.len() {
            break End::Before(i);
        }
        let Entry::Rule(rule) = &list[i] else {
            i += 1;
            continue;
        };
        // Whether such a rule had effects, the records cannot tell: one
        // without an id leaves none, and a chain runs each link's actions as
        // the link matches, also when a later link then fails.
        let untold = rule.id == 0 || rule.chain.is_some();
        if !reads_pure(rule) || (untold && !effects_pure(rule)) {
            break End::Before(i);
        }
        let before = tx.matched.rules.len();
        let next = tx.step(rule, 1, i, &mut cache);
        if tx.matched.rules.len() > before && !effects_pure(rule) {
            break End::After(i);
        }
        match next {
            Some(n) => i = n,
            None => break End::Stopped,
        }
    };
    tx.cache_buffers = cache.into_buffers();
    end
}

/// The prelude of `rules`, if its phase 1 starts with one.
pub(crate) fn compute(rules: &Arc<RuleSet>) -> Option<Prelude> {
    let list = &rules.phases[0];
    let lead = list
        .iter()
        .position(|e| match e {
            Entry::Rule(r) => reads_pure(r) || !commutes(r),
            Entry::Marker(_) => false,
        })
        .unwrap_or(list.len());
    let fresh = || Transaction::new(rules.clone(), String::new());
    let mut tx = fresh();
    let resume = match run(&mut tx, rules, lead, None) {
        End::Before(i) => i,
        End::After(i) => {
            // The same rules again, on a fresh transaction, up to that one.
            // (Its TX is not left to the pool, which holds primed ones.)
            let _ = std::mem::take(&mut tx.vars.tx);
            tx = fresh();
            match run(&mut tx, rules, lead, Some(i)) {
                End::Before(j) if j == i => i,
                _ => return None,
            }
        }
        End::Stopped => return None,
    };
    // No rule ran (markers only, or skipped), or links matched without any
    // rule matching: what MATCHED_VAR* would then be depends on the rules
    // before the prelude, so there is none.
    let partial = !tx.vars.matched_vars.is_empty() || tx.vars.matched_var.is_some();
    if resume <= lead || tx.vars.rule.is_none() || (tx.matched.rules.is_empty() && partial) {
        return None;
    }
    let memo = rules
        .plan
        .tx_memo_questions
        .iter()
        .map(|(key, c, negated)| {
            match tx
                .vars
                .tx
                .find_hinted(key, &crate::variables::KeyHint::new())
            {
                Some((at, v)) => (
                    Some(at),
                    (c.matches(v) != *negated).then(|| shared_value(v)),
                ),
                None => (None, None),
            }
        })
        .collect();
    Some(Prelude {
        lead,
        resume,
        memo,
        tx: std::mem::take(&mut tx.vars.tx),
        matched: std::mem::take(&mut tx.matched.rules),
        matched_var: tx.vars.matched_var.take(),
        matched_vars: std::mem::take(&mut tx.vars.matched_vars),
        highest_severity: tx.vars.highest_severity,
        rule: tx.vars.rule,
    })
}

impl Transaction {
    /// Nothing has happened yet that the prelude's rules could see or
    /// change (the rules before it leave nothing they read).
    pub(super) fn at_prelude(&self) -> bool {
        self.vars.tx.is_empty()
            && self.removals.is_empty()
            && self.allow.is_none()
            && self.interruption.is_none()
    }

    /// Takes on the prelude's state; returns where phase 1 goes on.
    pub(super) fn apply_prelude(&mut self, p: &Prelude) -> usize {
        match self.primed_tx.take() {
            // Made equal to the prelude's when its transaction ended (see
            // `SparePool::give_tx`).
            Some(t) if t.len() == p.tx.len() => self.vars.tx = t,
            _ => self.vars.tx.copy_from(&p.tx),
        }
        // The memo answers for the prelude's TX, which this one now equals
        // entry for entry (any answer about the collection it replaced goes).
        self.tx_memo.clear();
        let tx = &self.vars.tx;
        self.tx_memo
            .extend(p.memo.iter().map(|(at, v)| (tx.mark(*at), v.clone())));
        for m in &p.matched {
            let mut vars = self.matched.vars.pop().unwrap_or_default();
            vars.clear();
            vars.extend(m.matched.iter().cloned());
            self.matched.rules.push(MatchedRule {
                id: m.id,
                phase: m.phase,
                info: m.info.clone(),
                line: m.line,
                msg: m.msg.clone(),
                data: m.data.clone(),
                severity: m.severity,
                maturity: m.maturity,
                accuracy: m.accuracy,
                log: m.log,
                disruptive: m.disruptive,
                matched: vars,
                error_log: m.error_log.clone(),
            });
        }
        if !p.matched.is_empty() {
            // From the prelude's first match on, MATCHED_VAR* are what its
            // rules made them (a `SecAction` clears MATCHED_VAR).
            self.vars.matched_var = p.matched_var.clone();
            self.vars.matched_vars.clear();
            self.vars
                .matched_vars
                .extend(p.matched_vars.iter().cloned());
        } else if let Some(last) = self.vars.matched_vars.pop() {
            // No prelude rule matched (nor a link: see `compute`); each one
            // run does this to a match left before it.
            self.vars.matched_var = Some(last);
            self.vars.matched_vars.clear();
        }
        self.vars.highest_severity = match (self.vars.highest_severity, p.highest_severity) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.vars.rule = p.rule;
        p.resume
    }
}

#[cfg(test)]
mod tests {
    use crate::Waf;

    /// A request: method, URI, headers, body.
    type Req<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a [u8]);

    /// Everything a transaction leaves that the prelude could change.
    fn outcome(waf: &Waf, (method, uri, headers, body): Req<'_>) -> String {
        let mut tx = waf.new_transaction_with_id("fixed-id");
        tx.process_connection("192.0.2.10", 40000, "192.0.2.1", 80);
        tx.process_uri(uri, method, "HTTP/1.1");
        for (k, v) in headers {
            tx.add_request_header(k, v);
        }
        tx.process_request_headers();
        tx.write_request_body(body);
        tx.process_request_body();
        tx.add_response_header("Content-Type", "text/html");
        tx.process_response_headers(200, "HTTP/1.1");
        tx.write_response_body(b"<html>hello</html>");
        tx.process_response_body();
        tx.process_logging();
        let tx_vars: Vec<_> = tx
            .vars
            .tx
            .iter()
            .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v)))
            .collect();
        format!(
            "{:?}\n{:#?}\n{:?}\n{:?} {:?}\n{:?}",
            tx.interruption(),
            tx.matched_rules(),
            tx_vars,
            tx.vars.matched_var,
            tx.vars.matched_vars,
            tx.vars.highest_severity,
        )
    }

    fn both(build: impl Fn() -> crate::WafBuilder) -> (Waf, Waf) {
        (
            build().build().unwrap(),
            build().without_prelude().build().unwrap(),
        )
    }

    /// Every request ends the same with the prelude as without it; run
    /// twice, so the second transaction takes a primed TX from the pool.
    fn assert_same(with: &Waf, without: &Waf, reqs: &[Req<'_>]) {
        for &r in reqs {
            let want = outcome(without, r);
            for _ in 0..2 {
                assert_eq!(outcome(with, r), want, "{} {}", r.0, r.1);
            }
        }
    }

    const REQUESTS: &[Req<'static>] = &[
        ("GET", "/", &[("Host", "example.com")], b""),
        (
            "GET",
            "/a?id=1' or '1'='1&x=<script>alert(1)</script>",
            &[("Host", "example.com"), ("User-Agent", "sqlmap/1.0")],
            b"",
        ),
        (
            "POST",
            "/form",
            &[
                ("Host", "example.com"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            b"a=1&b=../../etc/passwd",
        ),
        (
            "POST",
            "/api",
            &[
                ("Host", "example.com"),
                ("Content-Type", "application/json"),
            ],
            b"{\"q\": \"union select 1\"}",
        ),
        (
            "POST",
            "/x",
            &[("Host", "example.com"), ("Content-Type", "text/xml")],
            b"<a>1</a>",
        ),
        ("GET", "/", &[], b""),
    ];

    #[test]
    fn crs_starts_from_its_prelude_and_decides_the_same() {
        let crs = crate::operators::testutil::crs_dir();
        let build = || {
            Waf::builder()
                .directives(crate::RECOMMENDED_CONF)
                .file(crs.join("crs-setup.conf.example"))
                .file(crs.join("rules/*.conf"))
        };
        let (with, without) = both(build);
        let p = with.rules.plan.prelude.get().expect("CRS has a prelude");
        // coraza.conf's two body-processor rules run live; then crs-setup
        // and most of REQUEST-901.
        let ids: Vec<u64> = with.rules.phases[0][..p.resume]
            .iter()
            .filter_map(|e| match e {
                crate::rules::Entry::Rule(r) => Some(r.id),
                crate::rules::Entry::Marker(_) => None,
            })
            .collect();
        // coraza.conf's body-processor rules run live; then crs-setup and
        // REQUEST-901 up to its first `initcol` (which reads REMOTE_ADDR).
        let (lead, prelude) = ids.split_at(p.lead);
        assert!(
            lead.iter().all(|id| (200_000..201_000).contains(id)),
            "{ids:?}"
        );
        assert!(
            prelude.iter().all(|id| (900_000..902_000).contains(id)),
            "{ids:?}"
        );
        assert!(
            prelude.contains(&900_990) && prelude.contains(&901_200),
            "{ids:?}"
        );
        assert!(p.matched.len() > 20, "{p:?}");
        assert!(without.rules.plan.prelude.get().is_none());
        assert_same(&with, &without, REQUESTS);
    }

    #[test]
    fn small_rule_sets_decide_the_same() {
        let sets = [
            // Defaults, a chain, a skip, then a rule that reads the request.
            "SecAction \"id:1,phase:1,pass,nolog,setvar:tx.a=1,setvar:tx.b=%{tx.a}0\"\n\
             SecRule &TX:c \"@eq 0\" \"id:2,phase:1,pass,nolog,setvar:tx.c=5,msg:'c=%{tx.c}',severity:4\"\n\
             SecRule TX:a \"@eq 1\" \"id:3,phase:1,pass,nolog,chain,capture\"\n\
             SecRule TX:b \"@rx ^(1)0$\" \"setvar:tx.d=%{tx.1}\"\n\
             SecRule TX:a \"@eq 1\" \"id:4,phase:1,pass,nolog,skip:1\"\n\
             SecAction \"id:5,phase:1,pass,nolog,setvar:tx.skipped=1\"\n\
             SecRule REQUEST_HEADERS:Host \"@rx .\" \"id:6,phase:1,pass,log,setvar:tx.host=%{MATCHED_VAR}\"\n\
             SecAction \"id:7,phase:1,pass,nolog,setvar:tx.after=1\"",
            // Leading rules that read the request, one matching with a
            // severity and a log line; the prelude then matches too.
            "SecRule REQUEST_HEADERS:Content-Type \"@rx json\" \"id:1,phase:1,pass,log,severity:2,ctl:requestBodyProcessor=JSON\"\n\
             SecRule REQUEST_HEADERS:Host \"@rx example\" \"id:2,phase:1,pass,nolog,chain\"\n\
             SecRule REQUEST_URI \"@rx nomatch\" \"setvar:ip.x=1\"\n\
             SecAction \"id:3,phase:1,pass,nolog,severity:5,setvar:tx.a=1\"\n\
             SecRule TX:a \"@eq 1\" \"id:4,phase:1,pass,nolog\"\n\
             SecRule REQUEST_URI \"@rx .\" \"id:5,phase:1,pass,nolog,setvar:tx.u=%{MATCHED_VAR}\"",
            // A leading rule whose match leaves MATCHED_VARS behind (a
            // failed chain), and a prelude that matches nothing.
            "SecRule REQUEST_HEADERS:Host \"@rx .\" \"id:1,phase:1,pass,nolog,chain\"\n\
             SecRule REQUEST_URI \"@rx nomatch\" \"t:none\"\n\
             SecRule TX:none \"@eq 1\" \"id:2,phase:1,pass,nolog,setvar:tx.a=1\"\n\
             SecRule REQUEST_URI \"@rx .\" \"id:3,phase:1,pass,nolog,setvar:tx.m=%{MATCHED_VAR_NAME}\"",
            // The prelude ends at a rule that matches with a disruptive action.
            "SecAction \"id:1,phase:1,pass,nolog,setvar:tx.a=1\"\n\
             SecRule TX:a \"@eq 1\" \"id:2,phase:1,deny,status:403,log\"\n\
             SecAction \"id:3,phase:1,pass,nolog,setvar:tx.b=1\"",
            // Chains whose first link acts, then fails: a `ctl` that must
            // still remove rule 3, and a setvar that reads the request.
            "SecRuleEngine On\n\
             SecAction \"id:1,phase:1,pass,nolog,setvar:tx.a=1\"\n\
             SecRule TX:a \"@eq 1\" \"id:2,phase:1,pass,nolog,ctl:ruleRemoveById=3,chain\"\n\
             SecRule TX:b \"@eq 1\" \"t:none\"\n\
             SecRule REQUEST_URI \"@rx .\" \"id:3,phase:1,deny,status:403\"",
            "SecRuleEngine On\n\
             SecAction \"id:1,phase:1,pass,nolog,setvar:tx.on=1\"\n\
             SecRule TX:on \"@eq 1\" \"id:2,phase:1,pass,nolog,setvar:'tx.ua=%{REQUEST_HEADERS.User-Agent}',chain\"\n\
             SecRule TX:never \"@eq 1\" \"t:none\"\n\
             SecRule TX:ua \"@rx sqlmap\" \"id:3,phase:1,deny,status:403\"",
            // Questions the prelude's TX answers (a match, a miss, a key it
            // lacks), asked again after writes to those keys and others.
            "SecRuleEngine On\n\
             SecAction \"id:1,phase:1,pass,nolog,setvar:tx.a=1,setvar:tx.b=2\"\n\
             SecRule REQUEST_URI \"@rx .\" \"id:2,phase:1,pass,nolog,setvar:tx.u=1\"\n\
             SecRule TX:a \"@eq 1\" \"id:3,phase:1,pass,log,setvar:tx.b=5\"\n\
             SecRule TX:b \"@eq 5\" \"id:4,phase:1,pass,log,setvar:tx.zz=1\"\n\
             SecRule TX:zz \"@eq 1\" \"id:5,phase:1,pass,log,setvar:tx.a=2\"\n\
             SecRule TX:a \"@eq 1\" \"id:6,phase:2,deny,status:403\"\n\
             SecRule TX:b \"@eq 5\" \"id:7,phase:2,pass,log\"\n\
             SecRule TX:zz \"@eq 1\" \"id:8,phase:2,pass,log\"",
            // The prelude ends with a `SecAction`, which clears MATCHED_VAR
            // a rule before it set; the next rule reads it.
            "SecRuleEngine On\n\
             SecRule REQUEST_HEADERS:Host \"@rx .\" \"id:1,phase:1,pass,nolog\"\n\
             SecAction \"id:2,phase:1,pass,nolog,setvar:tx.a=1\"\n\
             SecRule MATCHED_VAR \"@rx .\" \"id:3,phase:1,deny,status:403\"",
        ];
        for (n, set) in sets.iter().enumerate() {
            let (with, without) = both(|| Waf::builder().directives(set));
            assert!(with.rules.plan.prelude.get().is_some(), "set {n}");
            assert_same(&with, &without, REQUESTS);
        }
    }

    #[test]
    fn rules_that_read_the_request_first_leave_no_prelude_after_them() {
        // A leading rule that writes TX: the rules after it may read it.
        let waf = Waf::from_directives(
            "SecRule REQUEST_HEADERS:Host \"@rx .\" \"id:1,phase:1,pass,nolog,setvar:tx.h=1\"\n\
             SecAction \"id:2,phase:1,pass,nolog,setvar:tx.a=%{tx.h}\"",
        )
        .unwrap();
        assert!(waf.rules.plan.prelude.get().is_none());
        // One that matches at once: nothing precedes it to skip.
        let waf = Waf::from_directives(
            "SecAction \"id:1,phase:1,deny,log\"\nSecAction \"id:2,phase:1,pass,nolog\"",
        )
        .unwrap();
        assert!(waf.rules.plan.prelude.get().is_none());
    }
}
