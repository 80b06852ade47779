//! HELLO and DISCONNECT payloads (KV-LISTs with well-known keys).

use bytes::Bytes;

use super::{
    decode_kv_list, encode_kv_list, kv_get, DecodeError, Frame, FrameType, Status, TypedData,
};

/// What HAProxy announced in its HELLO.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HaproxyHello {
    /// `supported-versions`, split on commas, trimmed.
    pub supported_versions: Option<Vec<String>>,
    /// `max-frame-size`.
    pub max_frame_size: Option<u32>,
    /// `capabilities`, split on commas, trimmed, empty words dropped.
    pub capabilities: Option<Vec<String>>,
    /// `engine-id` (absent in health checks).
    pub engine_id: Option<String>,
    /// `healthcheck` = true.
    pub healthcheck: bool,
}

fn words(v: &TypedData) -> Option<Vec<String>> {
    let b = v.as_bytes()?;
    Some(
        String::from_utf8_lossy(b)
            .split(',')
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect(),
    )
}

impl HaproxyHello {
    /// Decodes the payload of a HAPROXY-HELLO (unknown keys are ignored).
    pub fn decode(payload: Bytes) -> Result<HaproxyHello, DecodeError> {
        let kv = decode_kv_list(payload)?;
        let max_frame_size = match kv_get(&kv, "max-frame-size") {
            None => None,
            Some(v) => {
                let n = v.as_int().ok_or(DecodeError::BadValue("max-frame-size"))?;
                Some(u32::try_from(n).map_err(|_| DecodeError::BadValue("max-frame-size"))?)
            }
        };
        Ok(HaproxyHello {
            supported_versions: kv_get(&kv, "supported-versions").and_then(words),
            max_frame_size,
            capabilities: kv_get(&kv, "capabilities").and_then(words),
            engine_id: kv_get(&kv, "engine-id")
                .and_then(TypedData::as_bytes)
                .map(|b| String::from_utf8_lossy(b).into_owned()),
            healthcheck: kv_get(&kv, "healthcheck").and_then(TypedData::as_bool) == Some(true),
        })
    }

    /// Whether a 2.x version is offered ("2.0" is the only one in use).
    pub fn offers_v2(&self) -> bool {
        self.supported_versions.iter().flatten().any(|v| {
            let mut parts = v.splitn(2, '.');
            parts.next().map(str::trim) == Some("2")
                && parts
                    .next()
                    .is_some_and(|m| m.trim().parse::<u32>().is_ok())
        })
    }

    /// Whether HAProxy offered capability `cap`.
    pub fn has_capability(&self, cap: &str) -> bool {
        self.capabilities.iter().flatten().any(|c| c == cap)
    }

    /// Encodes as a HAPROXY-HELLO frame (tests and tools).
    pub fn to_frame(&self) -> Frame {
        let mut items: Vec<(&str, TypedData)> = Vec::new();
        if let Some(v) = &self.supported_versions {
            items.push(("supported-versions", TypedData::string(v.join(","))));
        }
        if let Some(n) = self.max_frame_size {
            items.push(("max-frame-size", TypedData::Uint32(n)));
        }
        if let Some(c) = &self.capabilities {
            items.push(("capabilities", TypedData::string(c.join(","))));
        }
        if let Some(e) = &self.engine_id {
            items.push(("engine-id", TypedData::string(e.clone())));
        }
        if self.healthcheck {
            items.push(("healthcheck", TypedData::Bool(true)));
        }
        let mut out = Vec::new();
        encode_kv_list(items.iter().map(|(k, v)| (*k, v)), &mut out);
        Frame::new(FrameType::HaproxyHello, 0, 0, Bytes::from(out))
    }
}

/// Our AGENT-HELLO answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentHello {
    /// Negotiated max-frame-size.
    pub max_frame_size: u32,
    /// Capabilities we accept (subset of HAProxy's offer).
    pub capabilities: Vec<String>,
}

impl AgentHello {
    /// The AGENT-HELLO frame: `version`, `max-frame-size`, `capabilities`.
    pub fn to_frame(&self) -> Frame {
        let version = TypedData::string(super::VERSION);
        let mfs = TypedData::Uint32(self.max_frame_size);
        let caps = TypedData::string(self.capabilities.join(","));
        let mut out = Vec::new();
        encode_kv_list(
            [
                ("version", &version),
                ("max-frame-size", &mfs),
                ("capabilities", &caps),
            ],
            &mut out,
        );
        Frame::new(FrameType::AgentHello, 0, 0, Bytes::from(out))
    }
}

/// A DISCONNECT (either direction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disconnect {
    /// `status-code`.
    pub status: Status,
    /// `message`.
    pub message: String,
}

impl Disconnect {
    /// A disconnect with HAProxy's wording for `status`.
    pub fn new(status: Status) -> Disconnect {
        Disconnect {
            status,
            message: status.message().to_string(),
        }
    }

    /// Decodes a DISCONNECT payload; missing keys read as 99 / empty.
    pub fn decode(payload: Bytes) -> Result<Disconnect, DecodeError> {
        let kv = decode_kv_list(payload)?;
        let code = kv_get(&kv, "status-code")
            .and_then(TypedData::as_int)
            .and_then(|c| u32::try_from(c).ok())
            .unwrap_or(99);
        let message = kv_get(&kv, "message")
            .and_then(TypedData::as_bytes)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        Ok(Disconnect {
            status: Status::from_code(code),
            message,
        })
    }

    /// The AGENT-DISCONNECT frame (message cut to 255 bytes, HAProxy's limit).
    pub fn to_agent_frame(&self) -> Frame {
        self.to_frame(FrameType::AgentDisconnect)
    }

    /// A frame of the given DISCONNECT type.
    pub fn to_frame(&self, kind: FrameType) -> Frame {
        let mut msg = self.message.as_str();
        let mut cut = msg.len().min(255);
        while !msg.is_char_boundary(cut) {
            cut -= 1;
        }
        msg = &msg[..cut];
        let code = TypedData::Uint32(self.status.code());
        let text = TypedData::string(msg);
        let mut out = Vec::new();
        encode_kv_list([("status-code", &code), ("message", &text)], &mut out);
        Frame::new(kind, 0, 0, Bytes::from(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_hello_matches_probe_bytes() {
        // Appendix B "agent-hello": version 2.0, 16380, pipelining.
        let hex = "00000040650000000100000776657273696f6e0803322e300e6d61782d6672616d652d73697a6503fcf0060c6361706162696c6974696573080a706970656c696e696e67";
        let h = AgentHello {
            max_frame_size: 16380,
            capabilities: vec!["pipelining".into()],
        };
        assert_eq!(
            crate::spop::tests_support::to_hex(&h.to_frame().encode()),
            hex
        );
    }

    #[test]
    fn disconnect_round_trip_and_cut() {
        let d = Disconnect::new(Status::Timeout);
        let f = d.to_agent_frame();
        assert_eq!(Disconnect::decode(f.payload).unwrap(), d);
        let long = Disconnect {
            status: Status::Unknown(99),
            message: "é".repeat(200),
        };
        let back = Disconnect::decode(long.to_agent_frame().payload).unwrap();
        assert!(back.message.len() <= 255);
        assert_eq!(back.status.code(), 99);
    }

    #[test]
    fn hello_parsing() {
        let h = HaproxyHello {
            supported_versions: Some(vec![" 2.0 ".into()]),
            max_frame_size: Some(1024),
            capabilities: Some(vec!["pipelining".into(), "async".into()]),
            engine_id: Some("e".into()),
            healthcheck: false,
        };
        let back = HaproxyHello::decode(h.to_frame().payload).unwrap();
        assert!(back.offers_v2());
        assert!(back.has_capability("async"));
        assert_eq!(back.max_frame_size, Some(1024));
        let old = HaproxyHello {
            supported_versions: Some(vec!["1.0".into()]),
            ..HaproxyHello::default()
        };
        assert!(!HaproxyHello::decode(old.to_frame().payload)
            .unwrap()
            .offers_v2());
    }
}
