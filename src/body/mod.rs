//! Request and response body processors. Each is a pure function from bytes
//! to the variables it produces: no I/O, no temporary files, bounded memory
//! and no panics on any input.
//!
//! | processor | function | fills |
//! |-----------|----------|-------|
//! | [`Processor::Urlencoded`] | [`urlencoded::process`] (and [`parse_urlencoded`] for the query string) | `args`, `URLENCODED_ERROR` |
//! | [`Processor::Multipart`] | [`multipart::process`] | `args`, `files`, `part_headers`, `multipart_*`, `MULTIPART_*` flags |
//! | [`Processor::Json`] | [`json::process`] | `args` (`json.a.b`, `json.a.0`, ...) |
//! | [`Processor::Xml`] | [`xml::process`] | `xml_text`, `xml_attrs` |
//!
//! Malformed input never makes a processor fail: it returns what it could
//! extract, with [`BodyOutput::error`] set (REQBODY_ERROR / REQBODY_ERROR_MSG)
//! where ModSecurity would report a body processor error.

pub mod json;
pub mod multipart;
pub mod urlencoded;
pub mod xml;

pub use urlencoded::parse_urlencoded;

/// A name/value pair; names and values stay bytes, as ModSecurity sees them.
pub type Pair = (Vec<u8>, Vec<u8>);

/// Limits the processors honour.
#[derive(Debug, Clone)]
pub struct BodyLimits {
    /// `SecArgumentsLimit`: arguments beyond this are dropped.
    pub arguments_limit: usize,
    /// `SecRequestBodyJsonDepthLimit`.
    pub json_depth_limit: usize,
    /// Maximum number of uploaded files (`SecUploadFileLimit`).
    pub upload_file_limit: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            arguments_limit: 1000,
            json_depth_limit: 1024,
            upload_file_limit: 100,
        }
    }
}

/// One uploaded file from a multipart body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadedFile {
    /// The form field name (`name=`), key of FILES / FILES_SIZES.
    pub field: Vec<u8>,
    /// The client file name (`filename=`), value of FILES.
    pub filename: Vec<u8>,
    /// File content (FILES_TMP_CONTENT).
    pub content: Vec<u8>,
}

/// Everything a body processor produces.
#[derive(Debug, Clone, Default)]
pub struct BodyOutput {
    /// ARGS_POST, in body order, repeated names kept.
    pub args: Vec<Pair>,
    /// FILES / FILES_NAMES / FILES_SIZES / FILES_TMP_CONTENT.
    pub files: Vec<UploadedFile>,
    /// MULTIPART_PART_HEADERS: part name -> one full header line per entry.
    pub part_headers: Vec<Pair>,
    /// MULTIPART_NAME: part names.
    pub multipart_names: Vec<Vec<u8>>,
    /// MULTIPART_FILENAME: part file names.
    pub multipart_filenames: Vec<Vec<u8>>,
    /// Flag variables with numeric values (`MULTIPART_STRICT_ERROR`,
    /// `MULTIPART_UNMATCHED_BOUNDARY`, `URLENCODED_ERROR`, ...). Only flags
    /// that are set need to be listed; absent flags read as 0.
    pub flags: Vec<(&'static str, u64)>,
    /// XML:/* text content, one entry per text node.
    pub xml_text: Vec<Vec<u8>>,
    /// XML://@* attribute values.
    pub xml_attrs: Vec<Vec<u8>>,
    /// REQBODY_ERROR_MSG when the processor failed (REQBODY_ERROR = 1).
    pub error: Option<String>,
}

impl BodyOutput {
    /// The value of flag variable `name` (0 when the processor did not set it).
    pub fn flag(&self, name: &str) -> u64 {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, v)| *v)
    }
}

/// The request body processors `ctl:requestBodyProcessor=` can select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Processor {
    /// `URLENCODED`: `application/x-www-form-urlencoded`.
    Urlencoded,
    /// `MULTIPART`: `multipart/form-data`.
    Multipart,
    /// `JSON`.
    Json,
    /// `XML`.
    Xml,
}

impl Processor {
    /// Looks a processor up by its SecLang name, case-insensitively
    /// (`URLENCODED`, `MULTIPART`, `JSON`, `XML`).
    pub fn from_name(name: &str) -> Option<Processor> {
        const NAMES: [(&str, Processor); 4] = [
            ("URLENCODED", Processor::Urlencoded),
            ("MULTIPART", Processor::Multipart),
            ("JSON", Processor::Json),
            ("XML", Processor::Xml),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
            .map(|(_, p)| *p)
    }

    /// The SecLang name, as `REQBODY_PROCESSOR` reports it.
    pub fn name(self) -> &'static str {
        match self {
            Processor::Urlencoded => "URLENCODED",
            Processor::Multipart => "MULTIPART",
            Processor::Json => "JSON",
            Processor::Xml => "XML",
        }
    }

    /// Runs the processor over a request body. `content_type` is the request's
    /// Content-Type header value (only multipart needs it: the boundary);
    /// `separator` is `SecArgumentSeparator` (only urlencoded uses it).
    pub fn process(
        self,
        body: &[u8],
        content_type: &[u8],
        separator: u8,
        limits: &BodyLimits,
    ) -> BodyOutput {
        match self {
            Processor::Urlencoded => urlencoded::process(body, separator, limits),
            Processor::Multipart => multipart::process(body, content_type, limits),
            Processor::Json => json::process(body, limits),
            Processor::Xml => xml::process(body, limits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_name_is_case_insensitive() {
        assert_eq!(Processor::from_name("json"), Some(Processor::Json));
        assert_eq!(Processor::from_name("Xml"), Some(Processor::Xml));
        assert_eq!(
            Processor::from_name("URLENCODED"),
            Some(Processor::Urlencoded)
        );
        assert_eq!(
            Processor::from_name("multiPart"),
            Some(Processor::Multipart)
        );
        assert_eq!(Processor::from_name("raw"), None);
        assert_eq!(Processor::from_name(""), None);
        for p in [
            Processor::Urlencoded,
            Processor::Multipart,
            Processor::Json,
            Processor::Xml,
        ] {
            assert_eq!(Processor::from_name(p.name()), Some(p));
        }
    }

    #[test]
    fn dispatch_runs_the_right_processor() {
        let limits = BodyLimits::default();
        let out = Processor::Json.process(br#"{"a":1}"#, b"", b'&', &limits);
        assert_eq!(out.args, vec![(b"json.a".to_vec(), b"1".to_vec())]);
        let out = Processor::Urlencoded.process(b"a=1", b"", b'&', &limits);
        assert_eq!(out.args, vec![(b"a".to_vec(), b"1".to_vec())]);
        assert_eq!(out.flag("URLENCODED_ERROR"), 0);
    }
}
