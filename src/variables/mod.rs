//! SecLang variables: the registry of names, compiled targets (selectors,
//! exclusions, counts) and how each is read from a transaction's data.

mod resolve;
mod store;

use std::borrow::Cow;

use regex::bytes::Regex;

pub(crate) use store::header;
pub use store::{Collection, CurrentRule, KeyHint, KeyMark, TxData, TxVars};

macro_rules! vars {
    ($( $v:ident = $name:literal ),* $(,)?) => {
        /// Every variable and collection the engine knows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum Var { $( $v ),* }

        impl Var {
            /// SecLang name, as ModSecurity reports it.
            pub fn name(self) -> &'static str {
                match self { $( Var::$v => $name ),* }
            }

            /// Looks a name up (case-insensitive).
            pub fn from_name(name: &str) -> Option<Var> {
                // Macros pass names upper-cased already: no copy for them.
                let upper: std::borrow::Cow<'_, str> =
                    if name.bytes().any(|b| b.is_ascii_lowercase()) {
                        name.to_ascii_uppercase().into()
                    } else {
                        name.into()
                    };
                match &*upper {
                    $( $name => Some(Var::$v), )*
                    _ => None,
                }
            }
        }
    };
}

vars! {
    Args = "ARGS", ArgsGet = "ARGS_GET", ArgsPost = "ARGS_POST",
    ArgsNames = "ARGS_NAMES", ArgsGetNames = "ARGS_GET_NAMES", ArgsPostNames = "ARGS_POST_NAMES",
    ArgsCombinedSize = "ARGS_COMBINED_SIZE",
    RequestHeaders = "REQUEST_HEADERS", RequestHeadersNames = "REQUEST_HEADERS_NAMES",
    RequestCookies = "REQUEST_COOKIES", RequestCookiesNames = "REQUEST_COOKIES_NAMES",
    RequestUri = "REQUEST_URI", RequestUriRaw = "REQUEST_URI_RAW",
    RequestFilename = "REQUEST_FILENAME", RequestBasename = "REQUEST_BASENAME",
    RequestLine = "REQUEST_LINE", RequestMethod = "REQUEST_METHOD", RequestProtocol = "REQUEST_PROTOCOL",
    QueryString = "QUERY_STRING", RequestBody = "REQUEST_BODY", RequestBodyLength = "REQUEST_BODY_LENGTH",
    Files = "FILES", FilesNames = "FILES_NAMES", FilesSizes = "FILES_SIZES",
    FilesCombinedSize = "FILES_COMBINED_SIZE", FilesTmpContent = "FILES_TMP_CONTENT", FilesTmpNames = "FILES_TMPNAMES",
    MultipartPartHeaders = "MULTIPART_PART_HEADERS", MultipartFilename = "MULTIPART_FILENAME",
    MultipartName = "MULTIPART_NAME",
    MultipartStrictError = "MULTIPART_STRICT_ERROR", MultipartUnmatchedBoundary = "MULTIPART_UNMATCHED_BOUNDARY",
    MultipartBoundaryQuoted = "MULTIPART_BOUNDARY_QUOTED", MultipartBoundaryWhitespace = "MULTIPART_BOUNDARY_WHITESPACE",
    MultipartDataBefore = "MULTIPART_DATA_BEFORE", MultipartDataAfter = "MULTIPART_DATA_AFTER",
    MultipartHeaderFolding = "MULTIPART_HEADER_FOLDING", MultipartLfLine = "MULTIPART_LF_LINE",
    MultipartCrlfLfLines = "MULTIPART_CRLF_LF_LINES", MultipartMissingSemicolon = "MULTIPART_MISSING_SEMICOLON",
    MultipartInvalidQuoting = "MULTIPART_INVALID_QUOTING", MultipartInvalidPart = "MULTIPART_INVALID_PART",
    MultipartInvalidHeaderFolding = "MULTIPART_INVALID_HEADER_FOLDING",
    MultipartFileLimitExceeded = "MULTIPART_FILE_LIMIT_EXCEEDED",
    UrlencodedError = "URLENCODED_ERROR", InboundDataError = "INBOUND_DATA_ERROR", OutboundDataError = "OUTBOUND_DATA_ERROR",
    Xml = "XML", ReqbodyError = "REQBODY_ERROR", ReqbodyErrorMsg = "REQBODY_ERROR_MSG",
    ReqbodyProcessor = "REQBODY_PROCESSOR", ReqbodyProcessorError = "REQBODY_PROCESSOR_ERROR",
    ReqbodyProcessorErrorMsg = "REQBODY_PROCESSOR_ERROR_MSG",
    ResponseBody = "RESPONSE_BODY", ResponseHeaders = "RESPONSE_HEADERS", ResponseHeadersNames = "RESPONSE_HEADERS_NAMES",
    ResponseStatus = "RESPONSE_STATUS", ResponseProtocol = "RESPONSE_PROTOCOL",
    ResponseContentType = "RESPONSE_CONTENT_TYPE", ResponseContentLength = "RESPONSE_CONTENT_LENGTH",
    StatusLine = "STATUS_LINE", ResponseArgs = "RESPONSE_ARGS", ResponseXml = "RESPONSE_XML",
    Tx = "TX", Ip = "IP", Global = "GLOBAL", Session = "SESSION", User = "USER", Resource = "RESOURCE",
    Env = "ENV", Geo = "GEO", Rule = "RULE",
    MatchedVar = "MATCHED_VAR", MatchedVars = "MATCHED_VARS",
    MatchedVarName = "MATCHED_VAR_NAME", MatchedVarsNames = "MATCHED_VARS_NAMES",
    UniqueId = "UNIQUE_ID", RemoteAddr = "REMOTE_ADDR", RemoteHost = "REMOTE_HOST", RemotePort = "REMOTE_PORT",
    RemoteUser = "REMOTE_USER", ServerAddr = "SERVER_ADDR", ServerName = "SERVER_NAME", ServerPort = "SERVER_PORT",
    AuthType = "AUTH_TYPE", Duration = "DURATION", HighestSeverity = "HIGHEST_SEVERITY",
    Time = "TIME", TimeDay = "TIME_DAY", TimeEpoch = "TIME_EPOCH", TimeHour = "TIME_HOUR", TimeMin = "TIME_MIN",
    TimeMon = "TIME_MON", TimeSec = "TIME_SEC", TimeWday = "TIME_WDAY", TimeYear = "TIME_YEAR",
    FullRequest = "FULL_REQUEST", FullRequestLength = "FULL_REQUEST_LENGTH",
    WebappId = "WEBAPPID", SessionId = "SESSIONID", UserId = "USERID",
}

impl Var {
    /// The flag variables a multipart or urlencoded body sets.
    pub fn is_flag(self) -> bool {
        self.name().starts_with("MULTIPART_")
            && !matches!(
                self,
                Var::MultipartPartHeaders | Var::MultipartFilename | Var::MultipartName
            )
            || matches!(
                self,
                Var::UrlencodedError | Var::InboundDataError | Var::OutboundDataError
            )
    }

    /// Whether the variable has keys (`ARGS:foo`); plain variables have one value.
    pub fn is_collection(self) -> bool {
        use Var::*;
        matches!(
            self,
            Args | ArgsGet
                | ArgsPost
                | ArgsNames
                | ArgsGetNames
                | ArgsPostNames
                | RequestHeaders
                | RequestHeadersNames
                | RequestCookies
                | RequestCookiesNames
                | Files
                | FilesNames
                | FilesSizes
                | FilesTmpContent
                | FilesTmpNames
                | MultipartPartHeaders
                | MultipartFilename
                | MultipartName
                | Xml
                | ResponseHeaders
                | ResponseHeadersNames
                | ResponseArgs
                | ResponseXml
                | Tx
                | Ip
                | Global
                | Session
                | User
                | Resource
                | Env
                | Geo
                | Rule
                | MatchedVars
                | MatchedVarsNames
        )
    }

    /// Request/response data, set between phases and never by rules (read
    /// from [`TxData`]); values collected from these stay valid for a phase.
    pub fn is_data(self) -> bool {
        !matches!(
            self,
            Var::Tx
                | Var::Env
                | Var::Rule
                | Var::Ip
                | Var::Global
                | Var::Session
                | Var::User
                | Var::Resource
                | Var::MatchedVar
                | Var::MatchedVarName
                | Var::MatchedVars
                | Var::MatchedVarsNames
                | Var::HighestSeverity
                | Var::ReqbodyProcessor
                | Var::Duration
                | Var::Time
                | Var::TimeDay
                | Var::TimeEpoch
                | Var::TimeHour
                | Var::TimeMin
                | Var::TimeMon
                | Var::TimeSec
                | Var::TimeWday
                | Var::TimeYear
        )
    }

    /// Persistent collections (kept per transaction in memory for now).
    pub fn is_persistent(self) -> bool {
        matches!(
            self,
            Var::Ip | Var::Global | Var::Session | Var::User | Var::Resource
        )
    }
}

/// How a target picks keys of a collection.
#[derive(Debug, Clone)]
pub enum KeySel {
    /// Every key.
    All,
    /// One key, compared case-insensitively (lower-cased here).
    Key(Vec<u8>),
    /// Keys matching a regex (case-insensitive, as ModSecurity compiles them).
    Regex(SelRegex),
    /// A regex that is only `^literal` (lower-cased here): keys starting with
    /// it. CRS reads its per-request TX entries this way
    /// (`TX:/^header_name_920450_/`); a prefix comparison per key costs a
    /// fraction of a regex search.
    Prefix(Vec<u8>),
    /// A regex that is only a literal, unanchored, give or take parts that
    /// may match nothing at its ends (lower-cased here): keys containing it.
    /// CRS 922110 reads every TX key with `/MULTIPART_HEADERS_CONTENT_TYPES_*/`
    /// on every request.
    Contains(Vec<u8>),
}

/// The regex of a [`KeySel::Regex`], with the literal its matches start
/// with when it has one (`^pbjs-\w+$`, lower-cased): keys not starting
/// with it are passed over without a search. CRS excludes such cookie
/// names from a dozen rules, so every cookie met each of them.
#[derive(Debug, Clone)]
pub struct SelRegex {
    prefix: Option<Vec<u8>>,
    regex: Regex,
}

impl SelRegex {
    /// Whether the regex matches `key`.
    // Not inlined: in `KeySel::matches`, its locals cost every one-key test.
    #[inline(never)]
    pub fn is_match(&self, key: &[u8]) -> bool {
        if let Some(p) = &self.prefix {
            if !starts_with_ignore_ascii_case(key, p) {
                return false;
            }
        }
        self.regex.is_match(key)
    }
}

impl KeySel {
    /// Whether `key` is selected.
    #[inline]
    pub fn matches(&self, key: &[u8]) -> bool {
        match self {
            KeySel::All => true,
            KeySel::Key(k) => k.eq_ignore_ascii_case(key),
            KeySel::Regex(r) => r.is_match(key),
            KeySel::Prefix(p) => starts_with_ignore_ascii_case(key, p),
            KeySel::Contains(p) => contains_ignore_ascii_case(key, p),
        }
    }

    /// Builds a selector from SecLang selector text.
    pub fn compile(sel: Option<&crate::seclang::ast::Selector>) -> Result<KeySel, String> {
        use crate::seclang::ast::Selector;
        Ok(match sel {
            None => KeySel::All,
            Some(Selector::Key(k)) => KeySel::Key(k.to_ascii_lowercase().into_bytes()),
            Some(Selector::Regex(r))
                if r.len() > 1
                    && r.starts_with('^')
                    && r[1..]
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
            {
                KeySel::Prefix(r[1..].to_ascii_lowercase().into_bytes())
            }
            Some(Selector::Regex(r)) => match contained_literal(r) {
                Some(literal) => KeySel::Contains(literal),
                None => {
                    let regex = regex::bytes::RegexBuilder::new(r)
                        .case_insensitive(true)
                        .build()
                        .map_err(|e| format!("invalid selector regex /{r}/: {e}"))?;
                    KeySel::Regex(SelRegex {
                        prefix: anchored_prefix(r),
                        regex,
                    })
                }
            },
        })
    }
}

/// The literal (lower-cased) that a key holds exactly when the selector
/// regex `r` matches it, ignoring ASCII case, if `r` is one: a literal,
/// not anchored, with only parts that may match nothing before or after
/// it (a search finds the literal alone wherever it finds the whole).
/// ASCII case folding is ModSecurity's (PCRE without UTF), and the
/// [`KeySel::Prefix`] form's.
fn contained_literal(r: &str) -> Option<Vec<u8>> {
    use regex_syntax::hir::HirKind;
    // The regex is built case-insensitive and parsed here without: a flag
    // group (`(?-i)abc`) could make a case-sensitive literal look like one.
    if r.contains("(?") {
        return None;
    }
    let hir = regex_syntax::ParserBuilder::new().build().parse(r).ok()?;
    let mut parts = match hir.kind() {
        HirKind::Concat(parts) => parts.as_slice(),
        _ => std::slice::from_ref(&hir),
    };
    let optional =
        |h: &regex_syntax::hir::Hir| matches!(h.kind(), HirKind::Repetition(x) if x.min == 0);
    while let [first, rest @ ..] = parts {
        if !optional(first) {
            break;
        }
        parts = rest;
    }
    while let [rest @ .., last] = parts {
        if !optional(last) {
            break;
        }
        parts = rest;
    }
    match parts {
        [one] => match one.kind() {
            HirKind::Literal(l) if !l.0.is_empty() && l.0.is_ascii() => {
                Some(l.0.to_ascii_lowercase())
            }
            _ => None,
        },
        _ => None,
    }
}

/// The literal (lower-cased) that every key the selector regex `r` matches
/// starts with, ignoring ASCII case, when `r` begins with `^` and a
/// literal. The regex still decides; the literal only rules keys out.
/// Folding ASCII case alone is ModSecurity's (PCRE without UTF).
fn anchored_prefix(r: &str) -> Option<Vec<u8>> {
    use regex_syntax::hir::{HirKind, Look};
    // Parsed without the case-insensitive flag, the regex's leading
    // literal stays one; a flag group that folds case makes it a class
    // (no prefix), one that stops folding only makes the check weaker.
    let hir = regex_syntax::ParserBuilder::new().build().parse(r).ok()?;
    let HirKind::Concat(parts) = hir.kind() else {
        return None;
    };
    let [start, literal, ..] = parts.as_slice() else {
        return None;
    };
    match (start.kind(), literal.kind()) {
        (HirKind::Look(Look::Start), HirKind::Literal(l)) if !l.0.is_empty() && l.0.is_ascii() => {
            Some(l.0.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// Whether `key` starts with `prefix` (lower case), ignoring ASCII case.
#[inline]
fn starts_with_ignore_ascii_case(key: &[u8], prefix: &[u8]) -> bool {
    key.get(..prefix.len())
        .is_some_and(|k| k.eq_ignore_ascii_case(prefix))
}

/// Whether `hay` contains `needle` (lower case), ignoring ASCII case.
/// Keys are short and most are shorter than the needle (no search at all);
/// in the others only the places that hold the needle's first byte are
/// compared.
// Not inlined: in `KeySel::matches`, its locals cost every one-key test.
#[inline(never)]
fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some(last) = hay.len().checked_sub(needle.len()) else {
        return false;
    };
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    // Only where the first byte is, in either case; few keys hold it often.
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), &hay[..=last]).any(|i| {
        hay.get(i + 1..i + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(rest))
    })
}

/// A compiled entry of a rule's variable list.
#[derive(Debug, Clone)]
pub struct Target {
    /// The variable.
    pub var: Var,
    /// Key selection.
    pub sel: KeySel,
    /// `&VAR`: the number of values instead of the values.
    pub count: bool,
    /// Keys excluded with `!VAR:key`.
    pub exclusions: Vec<KeySel>,
}

/// One value read from a target.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    /// Which variable.
    pub var: Var,
    /// The key within the collection (empty for plain variables).
    pub key: Cow<'a, [u8]>,
    /// The value.
    pub value: Cow<'a, [u8]>,
}

impl Item<'_> {
    /// `ARGS:foo`, as ModSecurity names a matched variable.
    pub fn full_name(&self) -> String {
        let mut s = String::new();
        self.write_full_name(&mut s);
        s
    }

    /// [`Item::full_name`] written into `out` (cleared first), so a caller
    /// can reuse one buffer.
    pub fn write_full_name(&self, out: &mut String) {
        // Built by hand: `format!` costs more than the rest of a match report.
        out.clear();
        out.push_str(self.var.name());
        if !self.key.is_empty() {
            out.push(':');
            out.push_str(&String::from_utf8_lossy(&self.key));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seclang::ast::Selector;

    fn sel(r: &str) -> KeySel {
        KeySel::compile(Some(&Selector::Regex(r.into()))).unwrap()
    }

    /// `s` picks of `keys` what the regex `r` alone picks.
    fn picks_as_regex(s: &KeySel, r: &str, keys: &[&[u8]]) {
        let re = regex::bytes::RegexBuilder::new(r)
            .case_insensitive(true)
            .build()
            .unwrap();
        for k in keys {
            assert_eq!(s.matches(k), re.is_match(k), "{r} on {k:?}");
        }
    }

    /// Selectors read as a literal search pick what the regex picks, over
    /// keys that hold the literal, part of it, or it in another case.
    #[test]
    fn literal_selectors_pick_what_their_regex_picks() {
        let keys: [&[u8]; 12] = [
            b"multipart_headers_content_types_x",
            b"MULTIPART_HEADERS_CONTENT_TYPES",
            b"a_multipart_headers_content_types",
            b"multipart_headers_content_type",
            b"paramcounter_",
            b"x_paramcounter_args",
            b"paramcounte",
            b"",
            b"rfi_parameter_a",
            b"rfi_parameter",
            b"RFI_PARAMETER_B",
            b"mmultipart_headers_content_types",
        ];
        for r in [
            "MULTIPART_HEADERS_CONTENT_TYPES_*",
            "paramcounter_.*",
            "rfi_parameter_.*",
            "x*paramcounter",
            "rfi_parameter_a?",
        ] {
            let s = sel(r);
            assert!(matches!(s, KeySel::Contains(_)), "{r}: {s:?}");
            picks_as_regex(&s, r, &keys);
        }
        // Anchored, a class, an alternation or a required repetition: a regex.
        for r in [
            "a$", "a[bc]", "a|b", "ab+", "(?i)ab", "a.b", "(?-i)ab", "a(?-i)b",
        ] {
            assert!(matches!(sel(r), KeySel::Regex(_)), "{r}");
        }
        assert!(matches!(sel("^header_name_"), KeySel::Prefix(_)));
    }

    /// Regexes anchored with a literal pick what the regex alone picks
    /// (ASCII case aside); others stay plain regexes.
    #[test]
    fn prefixed_regexes_pick_what_their_regex_picks() {
        let keys: [&[u8]; 10] = [
            b"pbjs-abc",
            b"PBJS-abc",
            b"pbjs-",
            b"pbjs",
            b"xpbjs-abc",
            b"_ga",
            b"_GA_x1",
            b"_gab",
            b"_ga_",
            b"",
        ];
        for r in [r"^pbjs-\w+$", r"^_ga(?:_\w+)?$", r"^(?:ab)c+"] {
            let s = sel(r);
            assert!(
                matches!(&s, KeySel::Regex(x) if x.prefix.is_some()),
                "{r}: {s:?}"
            );
            picks_as_regex(&s, r, &keys);
        }
        for r in [
            r"^(?i)ab\d",
            r"^a|b\d",
            r"^a?b\d",
            r"^[ab]c\d",
            r"(?m)^ab\d",
        ] {
            assert!(
                matches!(sel(r), KeySel::Regex(x) if x.prefix.is_none()),
                "{r}: {:?}",
                sel(r)
            );
        }
    }
}
