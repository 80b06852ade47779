//! Request and response body processors. Each is a pure function from bytes
//! to the variables it produces.

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
    /// MULTIPART_NAME: part names; MULTIPART_FILENAME: part file names.
    pub multipart_names: Vec<Vec<u8>>,
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

// TEMPORARY: replaced by the body branch.
pub mod urlencoded { use super::*; pub fn parse_urlencoded(_d: &[u8], _s: u8, _l: usize) -> (Vec<Pair>, bool) { (vec![], false) } pub fn process(_b: &[u8], _s: u8, _l: &BodyLimits) -> BodyOutput { BodyOutput::default() } }
pub mod multipart { use super::*; pub fn process(_b: &[u8], _c: &[u8], _l: &BodyLimits) -> BodyOutput { BodyOutput::default() } }
pub mod json { use super::*; pub fn process(_b: &[u8], _l: &BodyLimits) -> BodyOutput { BodyOutput::default() } }
pub mod xml { use super::*; pub fn process(_b: &[u8], _l: &BodyLimits) -> BodyOutput { BodyOutput::default() } }
