//! Multipart bodies: the first line of the input is the Content-Type, the
//! rest the body. No panic, and everything extracted is bounded by the body.
#![no_main]

use coraza::body::{multipart, BodyLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (ct, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"multipart/form-data; boundary=b"[..], data),
    };
    let limits = BodyLimits {
        arguments_limit: 50,
        json_depth_limit: 16,
        upload_file_limit: 3,
    };
    let out = multipart::process(body, ct, &limits);
    assert_eq!(out.flags.len(), multipart::FLAG_NAMES.len());
    assert!(out.args.len() <= 50);
    let values: usize = out.args.iter().map(|(_, v)| v.len()).sum::<usize>()
        + out.files.iter().map(|f| f.content.len()).sum::<usize>();
    assert!(values <= body.len());
    for (_, line) in &out.part_headers {
        assert!(line.len() <= body.len() + 8192);
    }
    let strict = out.flag("MULTIPART_STRICT_ERROR");
    assert!(strict <= 1);
    if out.error.is_some() && out.flag("MULTIPART_STRICT_ERROR") == 0 {
        // Only end-of-body errors leave STRICT_ERROR at 0, as in ModSecurity.
        let e = out.error.as_deref().unwrap_or_default();
        assert!(
            e.contains("Final boundary missing")
                || e.contains("No boundaries found")
                || e.contains("Upload file limit"),
            "{e}"
        );
    }
});
