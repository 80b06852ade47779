//! SPOP codec: HAProxy's Stream Processing Offload Protocol, as pure
//! functions over bytes. No I/O happens here; the server reads a length
//! prefix, hands the frame body to [`Frame::decode`], and writes what
//! [`Frame::encode`] returns.
//!
//! Layout (see `docs/spop.md` in the shared docs): every frame is a
//! big-endian `u32` length, then type, flags, stream-id, frame-id and a
//! payload whose shape depends on the type (KV list, list of messages,
//! list of actions). Every read is bounds-checked against the frame end:
//! hostile bytes produce a [`DecodeError`], never a panic.

mod action;
mod data;
mod error;
mod frame;
mod hello;
mod kv;
mod message;
mod reader;
mod status;
pub mod varint;

pub use action::{decode_actions, encode_actions, Action, VarScope};
pub use data::TypedData;
pub use error::DecodeError;
pub use frame::{Frame, FrameType, FLAG_ABORT, FLAG_FIN, MIN_FRAME_LEN};
pub use hello::{AgentHello, Disconnect, HaproxyHello};
pub use kv::{decode_kv_list, encode_kv_list, kv_get, KvList};
pub use message::{decode_messages, encode_messages, Message};
pub use reader::Reader;
pub use status::Status;

/// Protocol version we speak (the only one HAProxy 2.6 and 3.x accept).
pub const VERSION: &str = "2.0";
/// HAProxy's default max-frame-size (`tune.bufsize - 4`).
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16380;
/// Smallest max-frame-size HAProxy accepts.
pub const MIN_MAX_FRAME_SIZE: u32 = 256;

/// Writes a name: varint length then the bytes (names carry no type byte).
pub fn encode_name(name: &[u8], out: &mut Vec<u8>) {
    varint::encode(name.len() as u64, out);
    out.extend_from_slice(name);
}

#[cfg(test)]
mod captures;

#[cfg(test)]
pub(crate) mod tests_support {
    /// Lower-case hex of `b`.
    pub fn to_hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Bytes of a hex string (whitespace ignored). Test-only: panics on bad hex.
    pub fn from_hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }
}
