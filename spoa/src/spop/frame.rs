//! Frame header: `LENGTH:u32be TYPE:u8 FLAGS:u32be STREAM-ID:varint
//! FRAME-ID:varint PAYLOAD`. `LENGTH` counts everything after itself.

use bytes::Bytes;

use super::{varint, DecodeError, Reader};

/// FIN: last (or only) fragment of a payload.
pub const FLAG_FIN: u32 = 0x0000_0001;
/// ABORT: cancel a fragmented payload (HAProxy 2.6 only; comes with FIN).
pub const FLAG_ABORT: u32 = 0x0000_0002;
/// Smallest legal LENGTH: type + flags + two one-byte varints.
pub const MIN_FRAME_LEN: usize = 7;

/// Frame types, with their wire ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// 0: continuation fragment (2.6 with fragmentation).
    Unset,
    /// 1: HAPROXY-HELLO.
    HaproxyHello,
    /// 2: HAPROXY-DISCONNECT.
    HaproxyDisconnect,
    /// 3: NOTIFY.
    Notify,
    /// 101: AGENT-HELLO.
    AgentHello,
    /// 102: AGENT-DISCONNECT.
    AgentDisconnect,
    /// 103: ACK.
    Ack,
}

impl FrameType {
    /// The wire id.
    pub fn id(self) -> u8 {
        match self {
            FrameType::Unset => 0,
            FrameType::HaproxyHello => 1,
            FrameType::HaproxyDisconnect => 2,
            FrameType::Notify => 3,
            FrameType::AgentHello => 101,
            FrameType::AgentDisconnect => 102,
            FrameType::Ack => 103,
        }
    }

    /// The type for a wire id.
    pub fn from_id(id: u8) -> Option<FrameType> {
        Some(match id {
            0 => FrameType::Unset,
            1 => FrameType::HaproxyHello,
            2 => FrameType::HaproxyDisconnect,
            3 => FrameType::Notify,
            101 => FrameType::AgentHello,
            102 => FrameType::AgentDisconnect,
            103 => FrameType::Ack,
            _ => return None,
        })
    }
}

/// One frame, payload not yet interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Type.
    pub kind: FrameType,
    /// Flag bits ([`FLAG_FIN`], [`FLAG_ABORT`]).
    pub flags: u32,
    /// Stream id (0 on HELLO/DISCONNECT).
    pub stream_id: u64,
    /// Frame id (0 on HELLO/DISCONNECT).
    pub frame_id: u64,
    /// Payload bytes.
    pub payload: Bytes,
}

impl Frame {
    /// A frame with FIN set.
    pub fn new(kind: FrameType, stream_id: u64, frame_id: u64, payload: Bytes) -> Frame {
        Frame {
            kind,
            flags: FLAG_FIN,
            stream_id,
            frame_id,
            payload,
        }
    }

    /// Whether FIN is set.
    pub fn is_fin(&self) -> bool {
        self.flags & FLAG_FIN != 0
    }

    /// Whether ABORT is set.
    pub fn is_abort(&self) -> bool {
        self.flags & FLAG_ABORT != 0
    }

    /// Checks a LENGTH prefix against the size limit before anything is
    /// allocated for the frame.
    pub fn check_length(prefix: [u8; 4], max_frame_size: u32) -> Result<usize, DecodeError> {
        let len = u32::from_be_bytes(prefix);
        if len > max_frame_size {
            return Err(DecodeError::FrameTooBig {
                len: u64::from(len),
                max: max_frame_size,
            });
        }
        let len = len as usize;
        if len < MIN_FRAME_LEN {
            return Err(DecodeError::FrameTooShort(len));
        }
        Ok(len)
    }

    /// Decodes a frame body (the bytes after the LENGTH prefix).
    pub fn decode(body: Bytes) -> Result<Frame, DecodeError> {
        if body.len() < MIN_FRAME_LEN {
            return Err(DecodeError::FrameTooShort(body.len()));
        }
        let mut r = Reader::new(body);
        let t = r.u8("frame type")?;
        let kind = FrameType::from_id(t).ok_or(DecodeError::UnknownFrameType(t))?;
        let flags = r.u32_be("frame flags")?;
        let stream_id = r.varint()?;
        let frame_id = r.varint()?;
        Ok(Frame {
            kind,
            flags,
            stream_id,
            frame_id,
            payload: r.rest(),
        })
    }

    /// Decodes one complete frame including its LENGTH prefix (tests, tools).
    pub fn decode_with_length(bytes: &[u8], max_frame_size: u32) -> Result<Frame, DecodeError> {
        let prefix: [u8; 4] = bytes
            .get(..4)
            .and_then(|p| p.try_into().ok())
            .ok_or(DecodeError::Truncated("frame length"))?;
        let len = Frame::check_length(prefix, max_frame_size)?;
        let body = bytes
            .get(4..4 + len)
            .ok_or(DecodeError::Truncated("frame"))?;
        Frame::decode(Bytes::copy_from_slice(body))
    }

    /// Encodes the frame with its LENGTH prefix.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 1 + 4 + 20 + self.payload.len());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.push(self.kind.id());
        out.extend_from_slice(&self.flags.to_be_bytes());
        varint::encode(self.stream_id, &mut out);
        varint::encode(self.frame_id, &mut out);
        out.extend_from_slice(&self.payload);
        let len = (out.len() - 4) as u32;
        out[..4].copy_from_slice(&len.to_be_bytes());
        out
    }

    /// The LENGTH this frame would have on the wire.
    pub fn encoded_len(&self) -> usize {
        let mut ids = Vec::with_capacity(20);
        varint::encode(self.stream_id, &mut ids);
        varint::encode(self.frame_id, &mut ids);
        1 + 4 + ids.len() + self.payload.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_multibyte_ids() {
        let f = Frame::new(FrameType::Ack, 1442, 70_000, Bytes::from_static(b"xyz"));
        let bytes = f.encode();
        assert_eq!(bytes.len() - 4, f.encoded_len());
        assert_eq!(&bytes[9..11], &[0xf2, 0x4b]); // 1442
        assert_eq!(Frame::decode_with_length(&bytes, 16380).unwrap(), f);
    }

    #[test]
    fn flags() {
        let mut f = Frame::new(FrameType::Notify, 1, 1, Bytes::new());
        assert!(f.is_fin() && !f.is_abort());
        f.flags = FLAG_FIN | FLAG_ABORT;
        let back = Frame::decode_with_length(&f.encode(), 16380).unwrap();
        assert!(back.is_fin() && back.is_abort());
        f.flags = 0;
        assert!(!Frame::decode_with_length(&f.encode(), 16380)
            .unwrap()
            .is_fin());
    }

    #[test]
    fn malformed_headers() {
        assert_eq!(
            Frame::check_length([0, 0, 0x40, 0], 16380),
            Err(DecodeError::FrameTooBig {
                len: 16384,
                max: 16380
            })
        );
        assert_eq!(
            Frame::check_length([0xff; 4], 16380)
                .unwrap_err()
                .status()
                .code(),
            3
        );
        assert_eq!(
            Frame::check_length([0, 0, 0, 6], 16380),
            Err(DecodeError::FrameTooShort(6))
        );
        assert_eq!(
            Frame::check_length([0, 0, 0, 0], 16380),
            Err(DecodeError::FrameTooShort(0))
        );
        let unknown = [0, 0, 0, 7, 42, 0, 0, 0, 1, 0, 0];
        assert_eq!(
            Frame::decode_with_length(&unknown, 16380),
            Err(DecodeError::UnknownFrameType(42))
        );
        // Stream-id varint running past the end of the frame.
        let bad_varint = [0, 0, 0, 7, 3, 0, 0, 0, 1, 0xf0, 0xff];
        assert_eq!(
            Frame::decode_with_length(&bad_varint, 16380),
            Err(DecodeError::Truncated("varint"))
        );
        assert_eq!(
            Frame::decode_with_length(&[0, 0, 0, 9, 3, 0, 0, 0, 1, 0, 0], 16380),
            Err(DecodeError::Truncated("frame"))
        );
    }
}
