//! XML bodies: no panic, and decoded values never outgrow the body (no
//! entity expansion).
#![no_main]

use coraza::body::{xml, BodyLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let out = xml::process(data, &BodyLimits::default());
    let text: usize = out.xml_text.iter().map(Vec::len).sum();
    let attrs: usize = out.xml_attrs.iter().map(Vec::len).sum();
    assert!(text + attrs <= data.len());
    if out.error.is_none() {
        assert!(!data.is_empty());
    }
});
