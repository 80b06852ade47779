//! XML request bodies, filling `XML:/*` and `XML://@*` the way Coraza does:
//!
//! - [`BodyOutput::xml_text`] (`XML:/*`): every run of character data
//!   (text between tags, CDATA sections) with surrounding whitespace trimmed,
//!   empty runs skipped, in document order;
//! - [`BodyOutput::xml_attrs`] (`XML://@*`): every attribute value of every
//!   element, in document order (empty values included).
//!
//! Entities: the five predefined ones (`&lt;` ...) and character references
//! (`&#233;`, `&#xE9;`) are decoded; any other reference (`&lol9;`, `&nbsp;`)
//! is kept literally. Entities declared in a DTD are never expanded, so
//! "billion laughs" documents cost no more than their own size.
//!
//! Errors ([`BodyOutput::error`], `XML parsing error: ...`, as ModSecurity
//! reports an XML body its parser rejects): a syntax error, a mismatched or
//! unmatched end tag, a document still open at the end of the body, no root
//! element, content after the root element, or invalid UTF-8 in a document
//! that declares no other encoding. Values read before the error are kept,
//! for best-effort inspection.
//!
//! quick-xml reads the body iteratively, so element depth costs heap (the
//! stack of open names, linear in the body), never call stack.

use super::{BodyLimits, BodyOutput};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashSet;

/// Parses an XML request body.
pub fn process(body: &[u8], _limits: &BodyLimits) -> BodyOutput {
    let mut out = BodyOutput::default();
    let error = parse(body, &mut out).err();
    out.error = error.map(|e| format!("XML parsing error: {e}"));
    out
}

fn parse(body: &[u8], out: &mut BodyOutput) -> Result<(), String> {
    let mut reader = Reader::from_reader(body);
    {
        let config = reader.config_mut();
        config.check_end_names = true;
        config.allow_unmatched_ends = false;
        config.expand_empty_elements = false;
        config.trim_text(false);
    }
    let mut depth: usize = 0;
    let mut root_seen = false;
    let mut declared_encoding: Option<Vec<u8>> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("{e} at byte {}", reader.error_position()))?;
        let outside_root = |depth: usize, root_seen: bool| depth == 0 && root_seen;
        match event {
            Event::Start(e) => {
                if outside_root(depth, root_seen) {
                    return Err(extra_content(&reader));
                }
                attributes(&e, out)?;
                depth += 1;
                root_seen = true;
            }
            Event::Empty(e) => {
                if outside_root(depth, root_seen) {
                    return Err(extra_content(&reader));
                }
                attributes(&e, out)?;
                root_seen = true;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(t) => {
                let text = trim(&t);
                if text.is_empty() {
                    continue;
                }
                if depth == 0 {
                    return Err(extra_content(&reader));
                }
                out.xml_text.push(unescape(text));
            }
            Event::CData(c) => {
                if depth == 0 {
                    return Err(extra_content(&reader));
                }
                let text = trim(&c);
                if !text.is_empty() {
                    out.xml_text.push(text.to_vec());
                }
            }
            Event::Decl(d) => {
                if let Some(Ok(enc)) = d.encoding() {
                    declared_encoding = Some(enc.to_ascii_lowercase());
                }
            }
            // DOCTYPE (with its entity declarations), comments and processing
            // instructions carry no values and are never interpreted.
            Event::DocType(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if depth > 0 {
        return Err(format!(
            "unexpected end of body with {depth} element(s) still open"
        ));
    }
    if !root_seen {
        return Err("document has no root element".into());
    }
    let utf8_expected = match declared_encoding.as_deref() {
        None => true,
        Some(e) => matches!(e, b"utf-8" | b"utf8" | b"us-ascii" | b"ascii"),
    };
    if utf8_expected {
        if let Err(e) = std::str::from_utf8(body) {
            return Err(format!("invalid UTF-8 at byte {}", e.valid_up_to()));
        }
    }
    Ok(())
}

fn extra_content(reader: &Reader<&[u8]>) -> String {
    format!(
        "content outside the root element at byte {}",
        reader.buffer_position()
    )
}

/// Appends every attribute value of an element.
fn attributes(e: &BytesStart<'_>, out: &mut BodyOutput) -> Result<(), String> {
    // Duplicate attributes are a well-formedness error; report it, but keep
    // every value for inspection.
    let mut attrs = e.attributes();
    attrs.with_checks(false);
    let mut names: HashSet<Vec<u8>> = HashSet::new();
    let mut duplicate = None;
    for attr in attrs {
        let attr = attr.map_err(|err| format!("invalid attribute: {err}"))?;
        out.xml_attrs.push(unescape(&attr.value));
        let key = attr.key.as_ref();
        if !names.insert(key.to_vec()) && duplicate.is_none() {
            duplicate = Some(String::from_utf8_lossy(key).into_owned());
        }
    }
    match duplicate {
        Some(name) => Err(format!("duplicate attribute {name:?}")),
        None => Ok(()),
    }
}

/// Trims ASCII whitespace on both ends.
fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// Decodes predefined entities and character references; leaves every other
/// `&...;` (and any malformed one) as written.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let Some(amp) = memchr::memchr(b'&', &raw[i..]).map(|p| i + p) else {
            out.extend_from_slice(&raw[i..]);
            break;
        };
        out.extend_from_slice(&raw[i..amp]);
        // Entity names are short; look for `;` within a small window.
        let window = &raw[amp + 1..raw.len().min(amp + 12)];
        let decoded = memchr::memchr(b';', window).and_then(|semi| {
            let name = &window[..semi];
            decode_entity(name).map(|c| (c, semi + 2))
        });
        match decoded {
            Some((c, len)) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i = amp + len;
            }
            None => {
                out.push(b'&');
                i = amp + 1;
            }
        }
    }
    out
}

fn decode_entity(name: &[u8]) -> Option<char> {
    match name {
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"amp" => Some('&'),
        b"apos" => Some('\''),
        b"quot" => Some('"'),
        [b'#', b'x' | b'X', hex @ ..]
            if !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit) =>
        {
            let s = std::str::from_utf8(hex).ok()?;
            char::from_u32(u32::from_str_radix(s, 16).ok()?)
        }
        [b'#', dec @ ..] if !dec.is_empty() => {
            let s = std::str::from_utf8(dec).ok()?;
            if !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            char::from_u32(s.parse().ok()?)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(body: &str) -> BodyOutput {
        process(body.as_bytes(), &BodyLimits::default())
    }

    fn strings(v: &[Vec<u8>]) -> Vec<String> {
        v.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[test]
    fn text_and_attributes_in_document_order() {
        let out = run(r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- comment -->
<root id="1" xmlns:x="urn:x">
  <x:user name="alice" role=''>  Alice &amp; Bob  </x:user>
  <empty flag="on"/>
  <msg>a<!-- split -->b<![CDATA[ <script>alert(1)</script> ]]></msg>
  <?pi ignored?>
</root>"#);
        assert_eq!(out.error, None);
        assert_eq!(
            strings(&out.xml_text),
            vec!["Alice & Bob", "a", "b", "<script>alert(1)</script>"]
        );
        assert_eq!(
            strings(&out.xml_attrs),
            vec!["1", "urn:x", "alice", "", "on"]
        );
        assert!(out.args.is_empty());
    }

    #[test]
    fn entity_decoding() {
        let out = run(
            "<a t=\"&quot;&lt;&#x41;&#66;\">&lt;b&gt; &apos;x&apos; &#233; &#x1F600; &nbsp; &bogus &#xZZ; &#1114112; &#x+41;</a>",
        );
        assert_eq!(out.error, None);
        assert_eq!(strings(&out.xml_attrs), vec!["\"<AB"]);
        assert_eq!(
            strings(&out.xml_text),
            vec!["<b> 'x' é 😀 &nbsp; &bogus &#xZZ; &#1114112; &#x+41;"]
        );
    }

    #[test]
    fn billion_laughs_is_harmless() {
        let mut doc =
            String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
        for i in 1..=9 {
            let prev = if i == 1 {
                "lol".to_string()
            } else {
                format!("lol{}", i - 1)
            };
            doc.push_str(&format!(
                " <!ENTITY lol{i} \"{}\">\n",
                format!("&{prev};").repeat(10)
            ));
        }
        doc.push_str("]>\n<lolz a=\"&lol9;\">&lol9;</lolz>");
        let out = run(&doc);
        assert_eq!(out.error, None);
        assert_eq!(strings(&out.xml_text), vec!["&lol9;"]);
        assert_eq!(strings(&out.xml_attrs), vec!["&lol9;"]);
        // External entities are not fetched either.
        let out = run("<!DOCTYPE a [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><a>&xxe;</a>");
        assert_eq!(out.error, None);
        assert_eq!(strings(&out.xml_text), vec!["&xxe;"]);
    }

    #[test]
    fn malformed_documents() {
        let cases = [
            ("", "no root element"),
            ("   ", "no root element"),
            ("just text", "outside the root"),
            ("<a><b></a>", "at byte"),
            ("<a></b>", "at byte"),
            ("</a>", "at byte"),
            ("<a>", "still open"),
            ("<a><b>text", "still open"),
            ("<a/><b/>", "outside the root"),
            ("<a></a>trailing", "outside the root"),
            ("<a x=1/>", "invalid attribute"),
            ("<a x=\"1\" x=\"2\"/>", "duplicate attribute"),
            ("<a><!-- unterminated", "at byte"),
            ("<a><![CDATA[ x </a>", "at byte"),
        ];
        for (doc, msg) in cases {
            let out = run(doc);
            let err = out
                .error
                .as_deref()
                .unwrap_or_else(|| panic!("no error for {doc:?}"));
            assert!(err.starts_with("XML parsing error: "), "{err}");
            assert!(err.contains(msg), "{doc:?}: {err}");
        }
        // Best effort: values before the error are kept.
        let out = run("<a k=\"v\">one<b>two</c>");
        assert!(out.error.is_some());
        assert_eq!(strings(&out.xml_text), vec!["one", "two"]);
        assert_eq!(strings(&out.xml_attrs), vec!["v"]);
        let out = run("<a x=\"1\" x=\"2\"/>");
        assert_eq!(strings(&out.xml_attrs), vec!["1", "2"]);
    }

    #[test]
    fn invalid_utf8() {
        let out = process(b"<a>\xff\xfe</a>", &BodyLimits::default());
        assert!(out
            .error
            .as_deref()
            .unwrap()
            .contains("invalid UTF-8 at byte 3"));
        assert_eq!(out.xml_text, vec![b"\xff\xfe".to_vec()]);
        // Declared single-byte encodings pass as bytes.
        let out = process(
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>",
            &BodyLimits::default(),
        );
        assert_eq!(out.error, None);
        assert_eq!(out.xml_text, vec![b"caf\xe9".to_vec()]);
    }

    #[test]
    fn deep_nesting_is_iterative() {
        let depth = 100_000;
        let doc = "<a>".repeat(depth) + "x" + &"</a>".repeat(depth);
        let out = run(&doc);
        assert_eq!(out.error, None);
        assert_eq!(strings(&out.xml_text), vec!["x"]);
        let out = run(&"<a>".repeat(depth));
        assert!(out
            .error
            .as_deref()
            .unwrap()
            .contains("100000 element(s) still open"));
    }

    #[test]
    fn many_attributes_are_linear() {
        let attrs: String = (0..50_000).map(|i| format!(" a{i}=\"{i}\"")).collect();
        let out = run(&format!("<r{attrs}/>"));
        assert_eq!(out.error, None);
        assert_eq!(out.xml_attrs.len(), 50_000);
    }
}
