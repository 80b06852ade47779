//! What can go wrong when decoding SPOP bytes.

use std::fmt;

use super::Status;

/// A frame or payload could not be decoded. Each maps to the SPOP status
/// sent back in the AGENT-DISCONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes end before the announced structure does.
    Truncated(&'static str),
    /// A varint longer than 10 bytes or above `u64::MAX`.
    VarintOverflow,
    /// A typed-data byte with a reserved type id (10..15).
    UnknownDataType(u8),
    /// A typed value out of range for its type (e.g. INT32 above `i32::MAX`).
    BadValue(&'static str),
    /// A frame type we do not handle.
    UnknownFrameType(u8),
    /// The frame is shorter than the 7-byte minimum.
    FrameTooShort(usize),
    /// The frame is longer than the negotiated max-frame-size.
    FrameTooBig { len: u64, max: u32 },
    /// An action type other than set-var / unset-var, or a wrong arg count.
    BadAction(&'static str),
}

impl DecodeError {
    /// The SPOP status code that reports this error to the peer.
    pub fn status(&self) -> Status {
        match self {
            DecodeError::FrameTooBig { .. } => Status::FrameTooBig,
            _ => Status::InvalidFrame,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated(what) => write!(f, "truncated {what}"),
            DecodeError::VarintOverflow => f.write_str("varint too long or overflowing u64"),
            DecodeError::UnknownDataType(b) => write!(f, "unknown typed-data byte 0x{b:02x}"),
            DecodeError::BadValue(what) => write!(f, "value out of range for {what}"),
            DecodeError::UnknownFrameType(t) => write!(f, "unknown frame type {t}"),
            DecodeError::FrameTooShort(n) => write!(f, "frame of {n} bytes is shorter than 7"),
            DecodeError::FrameTooBig { len, max } => {
                write!(f, "frame of {len} bytes exceeds max-frame-size {max}")
            }
            DecodeError::BadAction(what) => write!(f, "bad action: {what}"),
        }
    }
}

impl std::error::Error for DecodeError {}
