//! HAProxy SPOE agent for the coraza WAF engine.
//!
//! Modules follow the path of a request: [`spop`] decodes the bytes,
//! [`server`] runs connections, [`messages`] turns SPOE messages into
//! engine calls and verdicts into variables, [`config`] reads the YAML.
#![forbid(unsafe_code)]

pub mod config;
pub mod logging;
pub mod messages;
pub mod metrics;
pub mod rules;
pub mod server;
pub mod spop;
