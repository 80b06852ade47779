//! SPOP status codes carried by DISCONNECT frames.

/// A DISCONNECT `status-code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// 0: normal end.
    Normal,
    /// 1: I/O error.
    Io,
    /// 2: a timeout occurred.
    Timeout,
    /// 3: frame is too big.
    FrameTooBig,
    /// 4: invalid frame received.
    InvalidFrame,
    /// 5: version value not found.
    NoVersion,
    /// 6: max-frame-size value not found.
    NoFrameSize,
    /// 7: capabilities value not found.
    NoCapabilities,
    /// 8: unsupported version.
    BadVersion,
    /// 9: max-frame-size too big or too small.
    BadFrameSize,
    /// 10: fragmentation not supported.
    FragmentationNotSupported,
    /// 11: invalid interlaced frames.
    InterlacedFrames,
    /// 12: frame-id not found.
    FrameIdNotFound,
    /// 13: resource allocation error.
    ResourceAllocation,
    /// 99 or any other code: unknown error.
    Unknown(u32),
}

impl Status {
    /// The numeric code.
    pub fn code(self) -> u32 {
        match self {
            Status::Normal => 0,
            Status::Io => 1,
            Status::Timeout => 2,
            Status::FrameTooBig => 3,
            Status::InvalidFrame => 4,
            Status::NoVersion => 5,
            Status::NoFrameSize => 6,
            Status::NoCapabilities => 7,
            Status::BadVersion => 8,
            Status::BadFrameSize => 9,
            Status::FragmentationNotSupported => 10,
            Status::InterlacedFrames => 11,
            Status::FrameIdNotFound => 12,
            Status::ResourceAllocation => 13,
            Status::Unknown(c) => c,
        }
    }

    /// The status for a numeric code.
    pub fn from_code(code: u32) -> Status {
        match code {
            0 => Status::Normal,
            1 => Status::Io,
            2 => Status::Timeout,
            3 => Status::FrameTooBig,
            4 => Status::InvalidFrame,
            5 => Status::NoVersion,
            6 => Status::NoFrameSize,
            7 => Status::NoCapabilities,
            8 => Status::BadVersion,
            9 => Status::BadFrameSize,
            10 => Status::FragmentationNotSupported,
            11 => Status::InterlacedFrames,
            12 => Status::FrameIdNotFound,
            13 => Status::ResourceAllocation,
            c => Status::Unknown(c),
        }
    }

    /// HAProxy's wording for the code (what goes in `message`).
    pub fn message(self) -> &'static str {
        match self {
            Status::Normal => "normal",
            Status::Io => "I/O error",
            Status::Timeout => "a timeout occurred",
            Status::FrameTooBig => "frame is too big",
            Status::InvalidFrame => "invalid frame received",
            Status::NoVersion => "version value not found",
            Status::NoFrameSize => "max-frame-size value not found",
            Status::NoCapabilities => "capabilities value not found",
            Status::BadVersion => "unsupported version",
            Status::BadFrameSize => "max-frame-size too big or too small",
            Status::FragmentationNotSupported => "fragmentation not supported",
            Status::InterlacedFrames => "invalid interlaced frames",
            Status::FrameIdNotFound => "frame-id not found",
            Status::ResourceAllocation => "resource allocation error",
            Status::Unknown(_) => "unknown error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in (0..=13).chain([99, 250]) {
            assert_eq!(Status::from_code(c).code(), c);
        }
        assert_eq!(Status::Timeout.message(), "a timeout occurred");
    }
}
