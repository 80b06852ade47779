//! go-ftw platform overrides (`--overrides`): per test (and optionally per
//! stage) replacement of the whole `output`, each with a reason.

use serde_yaml::Value;

use crate::schema::{parse_output, Output, TestCase};

/// One `test_overrides` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct TestOverride {
    /// Rule id (the file's `rule_id`).
    pub rule_id: u64,
    /// Tests it applies to (go-ftw applies nothing when this is empty).
    pub test_ids: Vec<u64>,
    /// 0-based stage indexes; empty means every stage.
    pub stage_ids: Vec<usize>,
    /// Why the override exists.
    pub reason: String,
    /// The replacement output.
    pub output: Output,
}

/// A whole overrides file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Overrides {
    /// `meta.engine`.
    pub engine: String,
    /// `meta.platform`.
    pub platform: String,
    /// The entries, in file order.
    pub entries: Vec<TestOverride>,
}

impl Overrides {
    /// Parses an overrides file.
    pub fn parse(text: &str) -> Result<Overrides, String> {
        let doc: Value = serde_yaml::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
        let mut o = Overrides::default();
        if let Some(meta) = doc.get("meta") {
            o.engine = scalar(meta.get("engine"));
            o.platform = scalar(meta.get("platform"));
        }
        let Some(list) = doc.get("test_overrides") else {
            return Ok(o);
        };
        let list = list
            .as_sequence()
            .ok_or("test_overrides: expected a list")?;
        for (i, e) in list.iter().enumerate() {
            let at = |m: String| format!("test_overrides[{i}]: {m}");
            let rule_id = e
                .get("rule_id")
                .and_then(Value::as_u64)
                .ok_or_else(|| at("rule_id: expected an integer".into()))?;
            let nums = |key: &str| -> Result<Vec<u64>, String> {
                match e.get(key) {
                    None | Some(Value::Null) => Ok(Vec::new()),
                    Some(Value::Sequence(s)) => s
                        .iter()
                        .map(|v| {
                            v.as_u64()
                                .ok_or_else(|| at(format!("{key}: not an integer")))
                        })
                        .collect(),
                    Some(_) => Err(at(format!("{key}: expected a list"))),
                }
            };
            let output = match e.get("output") {
                Some(v) => parse_output(v).map_err(at)?,
                None => Output::default(),
            };
            o.entries.push(TestOverride {
                rule_id,
                test_ids: nums("test_ids")?,
                stage_ids: nums("stage_ids")?
                    .into_iter()
                    .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
                    .collect(),
                reason: scalar(e.get("reason")),
                output,
            });
        }
        Ok(o)
    }

    /// Replaces the outputs of `test`'s stages as go-ftw does; returns the
    /// reasons of the entries that applied.
    pub fn apply(&self, test: &mut TestCase) -> Vec<String> {
        let mut reasons = Vec::new();
        for e in &self.entries {
            if e.rule_id != test.rule_id || !e.test_ids.contains(&test.test_id) {
                continue;
            }
            for (i, stage) in test.stages.iter_mut().enumerate() {
                if e.stage_ids.is_empty() || e.stage_ids.contains(&i) {
                    stage.output = e.output.clone();
                }
            }
            reasons.push(e.reason.trim().to_string());
        }
        reasons
    }
}

fn scalar(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Stage, TestCase};

    #[test]
    fn parse_and_apply() {
        let o = Overrides::parse(
            r#"
version: "v0.0.0"
meta: {engine: coraza-rs, platform: in-process}
test_overrides:
  - rule_id: 920100
    test_ids: [4, 5]
    reason: 'why'
    output:
      status: 404
  - rule_id: 920100
    test_ids: [6]
    stage_ids: [1]
    reason: x
    output:
      log: {expect_ids: [1]}
  - rule_id: 1
    test_ids: [1]
    reason: emptied
"#,
        )
        .unwrap();
        assert_eq!(o.engine, "coraza-rs");
        assert_eq!(o.entries.len(), 3);
        let mut t = TestCase {
            rule_id: 920100,
            test_id: 5,
            desc: String::new(),
            tags: vec![],
            stages: vec![Stage::default(), Stage::default()],
        };
        assert_eq!(o.apply(&mut t), vec!["why".to_string()]);
        assert!(t.stages.iter().all(|s| s.output.status == vec![404]));
        let mut t6 = TestCase {
            test_id: 6,
            ..t.clone()
        };
        t6.stages = vec![Stage::default(), Stage::default()];
        o.apply(&mut t6);
        assert!(t6.stages[0].output.is_empty());
        assert_eq!(t6.stages[1].output.log.expect_ids, vec![1]);
        let mut other = TestCase {
            test_id: 7,
            ..t.clone()
        };
        assert!(o.apply(&mut other).is_empty());
        assert!(Overrides::parse("test_overrides: [{test_ids: [1]}]").is_err());
    }
}
