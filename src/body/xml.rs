//! placeholder
use super::{BodyLimits, BodyOutput};
/// placeholder
pub fn process(_body: &[u8], _limits: &BodyLimits) -> BodyOutput {
    BodyOutput::default()
}
