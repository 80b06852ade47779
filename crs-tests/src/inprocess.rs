//! Running a stage without a network: the request bytes go-ftw would send
//! are parsed as a web server would, handed to the engine, and answered by
//! the Albedo logic.
//!
//! The server part follows Apache httpd (the platform the CRS tests are
//! written for) where it changes what ModSecurity sees: repeated request
//! headers are merged into one comma-separated field, a chunked body
//! replaces `Content-Length`, and an HTTP/0.9 request gets a response
//! without a status line (a transport error for go-ftw). What Apache
//! rejects with 400 before ModSecurity runs is *not* emulated: the engine
//! sees those requests, and the stages asserting Apache's 400 are in
//! `overrides.yaml`.

use crate::albedo::{respond, response_bytes, DefaultContentType};
use crate::engine::Engine;
use crate::http_request::{parse_request, ParsedRequest};
use crate::judge::Observation;
use crate::request::build_request;
use crate::runner::StageRunner;
use crate::schema::{Stage, TestCase};

/// Runs stages against an [`Engine`] in this process.
pub struct InProcess<E> {
    engine: E,
}

impl<E: Engine> InProcess<E> {
    /// Wraps a loaded engine.
    pub fn new(engine: E) -> InProcess<E> {
        InProcess { engine }
    }
}

/// Apache's header table: fields with the same name (case-insensitive)
/// become one, values joined with `", "`, at the first one's position.
pub fn merge_repeated_headers(req: &mut ParsedRequest) {
    let mut merged: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(req.headers.len());
    for (n, v) in std::mem::take(&mut req.headers) {
        match merged.iter_mut().find(|(m, _)| m.eq_ignore_ascii_case(&n)) {
            Some((_, mv)) => {
                mv.extend_from_slice(b", ");
                mv.extend_from_slice(&v);
            }
            None => merged.push((n, v)),
        }
    }
    req.headers = merged;
}

impl<E: Engine> StageRunner for InProcess<E> {
    fn parallel(&self) -> bool {
        true
    }

    fn run_stage(&self, _test: &TestCase, stage: &Stage) -> (Observation, Vec<String>) {
        let mut notes = Vec::new();
        let built = match build_request(&stage.input) {
            Ok(b) => b,
            Err(e) => {
                return (
                    Observation {
                        transport_error: Some(format!("cannot build request: {e}")),
                        ..Observation::default()
                    },
                    notes,
                )
            }
        };
        if let Some(e) = built.template_error {
            notes.push(format!(
                "data template failed, body dropped (as go-ftw): {e}"
            ));
        }
        let mut req = match parse_request(&built.bytes) {
            Ok(r) => r,
            Err(e) => {
                // A server answers an unparsable request with 400 itself.
                notes.push(format!("unparsable request ({e}): server answers 400"));
                return (
                    Observation {
                        status: 400,
                        ..Observation::default()
                    },
                    notes,
                );
            }
        };
        if req.is_http09() {
            return (
                Observation {
                    transport_error: Some("HTTP/0.9 request: the answer has no status line".into()),
                    ..Observation::default()
                },
                notes,
            );
        }
        merge_repeated_headers(&mut req);
        let backend = respond(&req, DefaultContentType::TextPlain);
        let outcome = self.engine.run(&req, &backend);
        let mut obs = Observation {
            log_lines: outcome.log_lines,
            ..Observation::default()
        };
        match outcome.interruption {
            Some(i) if i.drop => {
                obs.transport_error = Some("connection dropped by the WAF".into());
            }
            Some(i) => {
                obs.status = i.status;
                let resp = crate::albedo::BackendResponse {
                    status: i.status,
                    headers: Vec::new(),
                    body: Vec::new(),
                };
                obs.raw_response = response_bytes(&resp, false, false);
            }
            None => {
                obs.status = backend.status;
                obs.raw_response = response_bytes(&backend, false, req.method == b"HEAD");
            }
        }
        (obs, notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::albedo::BackendResponse;
    use crate::engine::{EngineInterruption, EngineOutcome};
    use crate::schema::{Input, Output};

    /// Logs one line per request header and one for the response body, so
    /// tests can see exactly what reached the engine.
    struct Echo;
    impl Engine for Echo {
        fn run(&self, req: &ParsedRequest, resp: &BackendResponse) -> EngineOutcome {
            let mut lines: Vec<Vec<u8>> = req
                .headers
                .iter()
                .map(|(n, v)| [&n[..], b": ", &v[..]].concat())
                .collect();
            lines.push([&b"body="[..], &req.body].concat());
            lines.push([&b"resp="[..], &resp.body].concat());
            let interruption = (req.uri == b"/block").then_some(EngineInterruption {
                status: 403,
                drop: false,
            });
            EngineOutcome {
                log_lines: lines,
                interruption,
            }
        }
    }

    fn stage(input: Input) -> Stage {
        Stage {
            input,
            output: Output::default(),
        }
    }

    fn test() -> TestCase {
        TestCase {
            rule_id: 1,
            test_id: 1,
            desc: String::new(),
            tags: vec![],
            stages: vec![],
        }
    }

    fn lines(o: &Observation) -> Vec<String> {
        o.log_lines
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }

    #[test]
    fn what_the_engine_sees() {
        let r = InProcess::new(Echo);
        let (o, _) = r.run_stage(
            &test(),
            &stage(Input {
                method: Some("POST".into()),
                uri: Some("/reflect".into()),
                headers: vec![("Host".into(), "localhost".into())],
                data: Some(r#"{"body":"leak"}"#.into()),
                autocomplete_headers: true,
                ..Input::default()
            }),
        );
        assert_eq!(o.status, 400);
        let l = lines(&o);
        assert!(l.contains(&"Content-Type: application/x-www-form-urlencoded".to_string()));
        // Without a Content-Type, go-ftw labels the JSON as a form and
        // re-escapes it (no `%` or `+` in it), so Albedo sees invalid JSON.
        assert!(
            l.contains(&"resp=Invalid JSON in request body".to_string()),
            "{l:?}"
        );
    }

    #[test]
    fn duplicate_headers_are_merged_and_te_drops_cl() {
        let r = InProcess::new(Echo);
        // Two Content-Type headers (920620-1): Apache merges them.
        let raw =
            "R0VUIC9wb3N0IEhUVFAvMS4xDQpDb250ZW50LVR5cGU6IGEvYg0KY29udGVudC10eXBlOiBjL2QNCg0K";
        let (o, _) = r.run_stage(
            &test(),
            &stage(Input {
                encoded_request: raw.into(),
                ..Input::default()
            }),
        );
        assert_eq!(lines(&o)[0], "Content-Type: a/b, c/d");
    }

    #[test]
    fn http09_is_a_transport_error_and_interruptions_set_status() {
        let r = InProcess::new(Echo);
        let (o, _) = r.run_stage(
            &test(),
            &stage(Input {
                version: Some(String::new()),
                autocomplete_headers: true,
                ..Input::default()
            }),
        );
        assert!(o.transport_error.is_some());
        let (o, _) = r.run_stage(
            &test(),
            &stage(Input {
                uri: Some("/block".into()),
                autocomplete_headers: true,
                ..Input::default()
            }),
        );
        assert_eq!(o.status, 403);
        assert!(o.raw_response.starts_with(b"HTTP/1.1 403"));
    }

    #[test]
    fn template_error_is_noted() {
        let r = InProcess::new(Echo);
        let (o, notes) = r.run_stage(
            &test(),
            &stage(Input {
                method: Some("POST".into()),
                data: Some("{{ 7*7 }}".into()),
                autocomplete_headers: true,
                ..Input::default()
            }),
        );
        assert_eq!(notes.len(), 1);
        assert!(lines(&o).contains(&"body=".to_string()));
    }
}
