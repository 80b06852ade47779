//! JSON bodies: no panic, bounded output, and agreement with serde_json on
//! what is valid JSON (within the documented differences).
#![no_main]

use coraza::body::{json, BodyLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = BodyLimits {
        arguments_limit: 100_000,
        json_depth_limit: 100,
        upload_file_limit: 0,
    };
    let out = json::process(data, &limits);
    let total: usize = out.args.iter().map(|(k, v)| k.len() + v.len()).sum();
    assert!(total <= json::output_bytes_cap(data.len()));
    assert!(out.args.iter().all(|(k, _)| k.starts_with(b"json")));

    let serde = serde_json::from_slice::<serde_json::Value>(data);
    // serde_json has a recursion limit of 128: stay below it and ours.
    let shallow = data.iter().filter(|&&b| b == b'[' || b == b'{').count() < 90;
    if serde.is_ok() && shallow {
        assert_eq!(out.error, None, "serde_json accepts {:?}", String::from_utf8_lossy(data));
    }
    if out.error.is_none() && shallow && !data.starts_with(b"\xEF\xBB\xBF") {
        if let Err(e) = &serde {
            // Known differences: we keep invalid UTF-8 and turn lone
            // surrogates into U+FFFD (as Coraza/gjson do; serde_json reports
            // "invalid unicode code point" / "unexpected end of hex escape"),
            // and keep numbers as text (no f64 range).
            let msg = e.to_string();
            assert!(
                msg.contains("UTF-8")
                    || msg.contains("surrogate")
                    || msg.contains("hex escape")
                    || msg.contains("out of range")
                    || msg.contains("unicode code point"),
                "we accept, serde_json says {msg}: {:?}",
                String::from_utf8_lossy(data)
            );
        }
    }
});
