//! Load-time errors.

use std::fmt;

use crate::seclang::ast::Location;

/// A rule set failed to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Where, when known.
    pub location: Option<Location>,
    /// What went wrong.
    pub message: String,
    /// The offending text, when useful.
    pub snippet: Option<String>,
}

impl Error {
    /// An error at `location`.
    pub fn at(location: &Location, message: impl Into<String>) -> Error {
        Error {
            location: Some(location.clone()),
            message: message.into(),
            snippet: None,
        }
    }

    /// An error without a location (I/O on the top-level file, API misuse).
    pub fn msg(message: impl Into<String>) -> Error {
        Error {
            location: None,
            message: message.into(),
            snippet: None,
        }
    }

    /// Attaches the offending text.
    pub fn with_snippet(mut self, s: impl Into<String>) -> Error {
        self.snippet = Some(s.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = &self.location {
            write!(f, "{l}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(s) = &self.snippet {
            let s: String = s.chars().take(200).collect();
            write!(f, ": `{s}`")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
