//! Operators (`@rx`, `@pm`, ...): one file per operator and the registry that
//! maps SecLang names to them.
//!
//! Registry (names are case-insensitive):
//!
//! | SecLang name | module |
//! |---|---|
//! | `rx` | [`rx`] |
//! | `pm`, `pmFromFile` / `pmf`, `pmFromDataset` | [`pm`] |
//! | `beginsWith`, `endsWith`, `contains`, `containsWord`, `streq`, `strmatch`, `within` | one module each |
//! | `eq`, `ge`, `gt`, `le`, `lt` | [`compare`] |
//! | `ipMatch`, `ipMatchFromFile` / `ipMatchF`, `ipMatchFromDataset` | [`ipmatch`] |
//! | `detectSQLi`, `detectXSS` | [`detectsqli`], [`detectxss`] |
//! | `validateByteRange`, `validateUrlEncoding`, `validateUtf8Encoding`, `validateNid` | one module each |
//! | `verifyCC`, `verifyCPF`, `verifySSN` | one module each |
//! | `unconditionalMatch`, `noMatch` | [`constant`] |
//! | `restpath` | [`restpath`] |
//!
//! Not supported (build returns an error naming the operator): `rbl`,
//! `geoLookup`, `inspectFile`, `validateSchema`, `validateDTD`, `gsbLookup`,
//! `fuzzyHash`, `rsub`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::macros::{MacroResolver, MacroString};

pub mod beginswith;
pub mod compare;
pub mod constant;
pub mod contains;
pub mod containsword;
pub mod detectsqli;
pub mod detectxss;
pub mod endswith;
pub mod ipmatch;
pub mod pm;
pub mod restpath;
pub mod rx;
pub mod streq;
pub mod strmatch;
pub mod validatebyterange;
pub mod validatenid;
pub mod validateurlencoding;
pub mod validateutf8encoding;
pub mod verifycc;
pub mod verifycpf;
pub mod verifyssn;
pub mod within;

/// What an operator needs at load time.
pub struct OperatorInit<'a> {
    /// Operator name as written, without `@` (case-insensitive lookup).
    pub name: &'a str,
    /// Argument as written (macros not yet expanded).
    pub arg: &'a str,
    /// Directory of the rule file, where data files (`@pmFromFile`) are found.
    pub rule_dir: &'a Path,
    /// Datasets declared with `SecDataset` (for `@pmFromDataset` / `@ipMatchFromDataset`).
    pub datasets: &'a HashMap<String, Vec<String>>,
}

/// Per-evaluation context.
pub struct OpContext<'a> {
    /// Expands `%{...}` in operator arguments.
    pub macros: &'a dyn MacroResolver,
    /// Present when the rule has `capture`: operators that capture push up to
    /// ten entries (index 0 = whole match), which become TX.0..TX.9.
    pub captures: Option<&'a mut Captures>,
    /// The operator's argument once expanded: one rule link evaluates its
    /// operator on many values with no action in between, so macros in the
    /// argument (`@streq %{tx.a}-%{tx.b}`) are expanded once. An argument
    /// that is one TX reference and nothing else is read where TX keeps it
    /// instead (see `Arg::value`).
    pub arg: Option<&'a std::cell::OnceCell<Vec<u8>>>,
}

/// The groups an operator captured (at most [`MAX_CAPTURES`]), in one
/// buffer: one allocation per match rather than one per group, and no
/// larger than a vector (matches wait in a list for their actions).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Captures {
    /// Each group's length (native-endian `usize`), then its bytes.
    frames: Vec<u8>,
}

/// Bytes of a group's length in [`Captures::frames`].
const LEN: usize = std::mem::size_of::<usize>();

impl Captures {
    /// The groups in order, group 0 (the whole match) first.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut rest = self.frames.as_slice();
        std::iter::from_fn(move || {
            let (len, tail) = rest.split_first_chunk::<LEN>()?;
            let (group, tail) = tail.split_at_checked(usize::from_ne_bytes(*len))?;
            rest = tail;
            Some(group)
        })
    }
}

impl OpContext<'_> {
    /// Replaces the capture list with `groups` (at most ten), when capturing.
    pub(crate) fn capture<'g>(&mut self, groups: impl IntoIterator<Item = &'g [u8]>) {
        if let Some(c) = self.captures.as_deref_mut() {
            let mut all: [&[u8]; MAX_CAPTURES] = [&[]; MAX_CAPTURES];
            let mut n = 0;
            for (slot, g) in all.iter_mut().zip(groups) {
                *slot = g;
                n += 1;
            }
            let all = all.get(..n).unwrap_or_default();
            // Sized once: growing by each piece reallocates.
            c.frames.clear();
            c.frames
                .reserve_exact(all.iter().map(|g| LEN + g.len()).sum());
            for g in all {
                c.frames.extend_from_slice(&g.len().to_ne_bytes());
                c.frames.extend_from_slice(g);
            }
        }
    }

    /// True when the rule asked for captures.
    pub(crate) fn capturing(&self) -> bool {
        self.captures.is_some()
    }
}

/// ModSecurity keeps TX.0 .. TX.9.
pub(crate) const MAX_CAPTURES: usize = 10;

/// A compiled operator.
pub trait Operator: Send + Sync + std::fmt::Debug {
    /// True when `input` matches (before the rule's `!` negation).
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool;

    /// Strings of which one occurs (ASCII case-insensitively) in every input
    /// this operator matches, when known: the prefilter skips the operator
    /// on values containing none of them. `None` (the default) = no filter.
    fn required_literals(&self) -> Option<Vec<Vec<u8>>> {
        None
    }

    /// For a numeric comparison with a constant (`@lt 2`): that comparison
    /// as plain data, which gives the same answer as [`Operator::evaluate`].
    /// `None` (the default) for every other operator.
    fn constant_comparison(&self) -> Option<compare::Constant> {
        None
    }
}

/// An operator argument that may contain macros; expanded at evaluation.
#[derive(Debug, Clone)]
pub(crate) struct Arg(MacroString);

impl Arg {
    pub(crate) fn new(text: &str) -> Arg {
        Arg(MacroString::parse(text))
    }

    /// The argument's text when it has no macros.
    pub(crate) fn constant(&self) -> Option<&[u8]> {
        self.0.is_constant().then(|| self.0.raw().as_bytes())
    }

    /// The argument with macros expanded (borrowed when constant or one TX
    /// variable; otherwise expanded once per rule link when the context
    /// carries a cache).
    pub(crate) fn value<'s>(&'s self, ctx: &OpContext<'s>) -> Cow<'s, [u8]> {
        if self.0.is_constant() {
            return self.0.expand_bytes(ctx.macros);
        }
        // One TX variable (`%{tx.allowed_methods}`): read where it is.
        if let Some(v) = self.0.lone_stored(ctx.macros) {
            return Cow::Borrowed(v);
        }
        match ctx.arg {
            Some(cell) => Cow::Borrowed(
                cell.get_or_init(|| self.0.expand_bytes(ctx.macros).into_owned())
                    .as_slice(),
            ),
            None => Cow::Owned(self.0.expand_bytes(ctx.macros).into_owned()),
        }
    }
}

/// Operators that ModSecurity knows but this engine does not implement.
const UNSUPPORTED: &[&str] = &[
    "rbl",
    "geolookup",
    "inspectfile",
    "validateschema",
    "validatedtd",
    "gsblookup",
    "fuzzyhash",
    "rsub",
];

/// Builds the operator named in `init`, or explains why it cannot.
pub fn build(init: &OperatorInit<'_>) -> Result<Box<dyn Operator>, String> {
    let lower = init.name.to_ascii_lowercase();
    let arg = init.arg;
    Ok(match lower.as_str() {
        "rx" => Box::new(rx::Rx::new(arg)?),
        "pm" => Box::new(pm::Pm::from_arg(arg)?),
        "pmfromfile" | "pmf" => Box::new(pm::Pm::from_files(arg, init.rule_dir)?),
        "pmfromdataset" => Box::new(pm::Pm::from_dataset(arg, init.datasets)?),
        "beginswith" => Box::new(beginswith::BeginsWith::new(arg)),
        "endswith" => Box::new(endswith::EndsWith::new(arg)),
        "contains" => Box::new(contains::Contains::new(arg)),
        "containsword" => Box::new(containsword::ContainsWord::new(arg)),
        "streq" => Box::new(streq::StrEq::new(arg)),
        "strmatch" => Box::new(strmatch::StrMatch::new(arg)),
        "within" => Box::new(within::Within::new(arg)),
        "eq" | "ge" | "gt" | "le" | "lt" => Box::new(compare::Compare::new(&lower, arg)?),
        "ipmatch" => Box::new(ipmatch::IpMatch::from_arg(arg)?),
        "ipmatchfromfile" | "ipmatchf" => {
            Box::new(ipmatch::IpMatch::from_file(arg, init.rule_dir)?)
        }
        "ipmatchfromdataset" => Box::new(ipmatch::IpMatch::from_dataset(arg, init.datasets)?),
        "detectsqli" => Box::new(detectsqli::DetectSqli),
        "detectxss" => Box::new(detectxss::DetectXss),
        "validatebyterange" => Box::new(validatebyterange::ValidateByteRange::new(arg)?),
        "validateurlencoding" => Box::new(validateurlencoding::ValidateUrlEncoding),
        "validateutf8encoding" => Box::new(validateutf8encoding::ValidateUtf8Encoding),
        "validatenid" => Box::new(validatenid::ValidateNid::new(arg)?),
        "verifycc" => Box::new(verifycc::VerifyCc::new(arg)?),
        "verifycpf" => Box::new(verifycpf::VerifyCpf::new(arg)?),
        "verifyssn" => Box::new(verifyssn::VerifySsn::new(arg)?),
        "unconditionalmatch" => Box::new(constant::Constant(true)),
        "nomatch" => Box::new(constant::Constant(false)),
        "restpath" => Box::new(restpath::RestPath::new(arg)?),
        other if UNSUPPORTED.contains(&other) => {
            return Err(format!("operator @{} is not supported", init.name))
        }
        _ => return Err(format!("unknown operator @{}", init.name)),
    })
}

/// Resolves a data file name against the rule file's directory, refusing URLs.
pub(crate) fn data_path(name: &str, rule_dir: &Path) -> Result<PathBuf, String> {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Err(format!("data file URLs are not supported: {name}"));
    }
    let p = Path::new(name);
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        rule_dir.join(p)
    })
}

/// Reads the entries of a data file: one per line, blank lines and `#`
/// comments skipped, surrounding whitespace (including `\r`) trimmed.
pub(crate) fn read_data_file(name: &str, rule_dir: &Path) -> Result<Vec<String>, String> {
    let path = data_path(name, rule_dir)?;
    let bytes = std::fs::read(&path)
        .map_err(|e| format!("cannot read data file {}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// Looks a `SecDataset` up by name.
pub(crate) fn dataset<'d>(
    name: &str,
    datasets: &'d HashMap<String, Vec<String>>,
) -> Result<&'d Vec<String>, String> {
    let name = name.trim();
    datasets
        .get(name)
        .ok_or_else(|| format!("unknown dataset {name}"))
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Helpers shared by the operator unit tests.
    use super::*;
    use crate::macros::NoMacros;

    pub(crate) fn op(name: &str, arg: &str) -> Box<dyn Operator> {
        try_op(name, arg).unwrap_or_else(|e| panic!("@{name} {arg}: {e}"))
    }

    pub(crate) fn try_op(name: &str, arg: &str) -> Result<Box<dyn Operator>, String> {
        let ds = HashMap::new();
        build(&OperatorInit {
            name,
            arg,
            rule_dir: Path::new("."),
            datasets: &ds,
        })
    }

    pub(crate) fn eval(op: &dyn Operator, input: &[u8]) -> bool {
        let mut ctx = OpContext {
            macros: &NoMacros,
            captures: None,
            arg: None,
        };
        op.evaluate(&mut ctx, input)
    }

    pub(crate) fn eval_capture(op: &dyn Operator, input: &[u8]) -> (bool, Vec<Vec<u8>>) {
        let mut caps = Captures::default();
        let mut ctx = OpContext {
            macros: &NoMacros,
            captures: Some(&mut caps),
            arg: None,
        };
        let m = op.evaluate(&mut ctx, input);
        (m, caps.iter().map(<[u8]>::to_vec).collect())
    }

    /// Default location of the OWASP CRS for tests: `CRS_DIR`, else a sibling
    /// `shared/crs` of the workspace or of its parent.
    pub(crate) fn crs_dir() -> std::path::PathBuf {
        if let Ok(d) = std::env::var("CRS_DIR") {
            return d.into();
        }
        let first = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/crs"));
        if first.exists() {
            return first;
        }
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/crs").into()
    }

    /// Extracts the arguments of every `"@name ..."` / `"!@name ..."` operator in
    /// the CRS rule files, as the SecLang parser would see them.
    pub(crate) fn crs_operator_args(name: &str) -> Vec<(String, String)> {
        let dir = crs_dir().join("rules");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("CRS rules at {}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "conf"))
            .collect();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("read conf");
            // Join backslash-continued lines into logical lines.
            let mut logical = Vec::new();
            let mut cur = String::new();
            for line in text.lines() {
                if let Some(stripped) = line.strip_suffix('\\') {
                    cur.push_str(stripped);
                } else {
                    cur.push_str(line);
                    logical.push(std::mem::take(&mut cur));
                }
            }
            for line in logical {
                if !line.trim_start().starts_with("SecRule") {
                    continue;
                }
                for marker in [format!("\"@{name} "), format!("\"!@{name} ")] {
                    let mut rest = line.as_str();
                    while let Some(pos) = rest.find(&marker) {
                        let body = &rest[pos + marker.len()..];
                        let mut arg = String::new();
                        let mut chars = body.char_indices().peekable();
                        let mut end = body.len();
                        while let Some((i, c)) = chars.next() {
                            if c == '\\' && chars.peek().map(|p| p.1) == Some('"') {
                                arg.push('"');
                                chars.next();
                            } else if c == '"' {
                                end = i;
                                break;
                            } else {
                                arg.push(c);
                            }
                        }
                        out.push((f.display().to_string(), arg));
                        rest = &body[end..];
                    }
                }
            }
        }
        out
    }

    /// Resolves `%{tx.x}` to `value`, for macro tests.
    pub(crate) struct TxX(pub &'static str);
    impl MacroResolver for TxX {
        fn resolve(&self, c: &str, k: Option<&str>, out: &mut Vec<u8>) -> bool {
            let hit = c == "TX" && k == Some("x");
            if hit {
                out.extend_from_slice(self.0.as_bytes());
            }
            hit
        }
    }

    pub(crate) fn eval_macro(op: &dyn Operator, tx_x: &'static str, input: &[u8]) -> bool {
        let r = TxX(tx_x);
        let mut ctx = OpContext {
            macros: &r,
            captures: None,
            arg: None,
        };
        op.evaluate(&mut ctx, input)
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;

    #[test]
    fn names_are_case_insensitive() {
        assert!(eval(&*op("RX", "a"), b"a"));
        assert!(eval(&*op("BeginsWith", "a"), b"ab"));
    }

    #[test]
    fn every_other_crs_operator_builds() {
        let names = [
            "beginsWith",
            "endsWith",
            "contains",
            "detectSQLi",
            "detectXSS",
            "eq",
            "ge",
            "gt",
            "lt",
            "ipMatch",
            "streq",
            "unconditionalMatch",
            "validateByteRange",
            "validateUrlEncoding",
            "validateUtf8Encoding",
            "within",
        ];
        let mut total = 0;
        for name in names {
            for (file, arg) in crs_operator_args(name) {
                total += 1;
                assert!(try_op(name, &arg).is_ok(), "{file}: @{name} {arg}");
            }
        }
        assert!(total > 300, "found only {total}");
    }

    #[test]
    fn unknown_and_unsupported() {
        assert_eq!(try_op("nope", "").unwrap_err(), "unknown operator @nope");
        assert_eq!(
            try_op("rbl", "x").unwrap_err(),
            "operator @rbl is not supported"
        );
        assert!(try_op("geoLookup", "")
            .unwrap_err()
            .contains("not supported"));
    }
}
