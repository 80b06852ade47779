//! Query strings and URLENCODED bodies: no panic, bounded output, and the
//! decoder never grows its input.
#![no_main]

use coraza::body::{parse_urlencoded, urlencoded, BodyLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sep, input)) = data.split_first() else {
        return;
    };
    let sep = if sep.is_ascii_punctuation() { sep } else { b'&' };
    let (pairs, _) = parse_urlencoded(input, sep, 64);
    assert!(pairs.len() <= 64);
    let decoded: usize = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
    assert!(decoded <= input.len());
    let out = urlencoded::process(input, sep, &BodyLimits::default());
    assert_eq!(out.flags.len(), 1);
    assert!(out.error.is_none());
});
