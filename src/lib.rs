//! A ModSecurity-compatible web application firewall engine.
//!
//! Load SecLang (ModSecurity's rule language: `coraza.conf`, the OWASP Core
//! Rule Set, your own rules) into a [`Waf`], then run each HTTP exchange
//! through a [`Transaction`], phase by phase. The engine does no I/O and
//! starts no threads: it is plain CPU work over bytes you hand it.
//!
//! ```
//! use coraza::Waf;
//!
//! let waf = Waf::builder()
//!     .directives(r#"
//!         SecRuleEngine On
//!         SecRule ARGS:id "@rx ^\d+$" "id:1,phase:1,pass,nolog"
//!         SecRule ARGS "@contains <script" "id:2,phase:1,deny,status:403,msg:'XSS'"
//!     "#)
//!     .build()
//!     .expect("rules load");
//! let mut tx = waf.new_transaction();
//! tx.process_connection("192.0.2.1", 40000, "192.0.2.2", 80);
//! tx.process_uri("/?q=<script>", "GET", "HTTP/1.1");
//! tx.add_request_header("Host", "example.com");
//! let it = tx.process_request_headers().expect("blocked");
//! assert_eq!((it.rule_id, it.status), (2, 403));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod actions;
pub mod body;
mod decimal;
mod error;
pub mod logging;
pub mod macros;
pub mod operators;
mod parallel;
mod prefilter;
pub mod rules;
pub mod seclang;
#[cfg(test)]
mod test_rng;
mod transaction;
pub mod transformations;
pub mod variables;
mod waf;

pub use error::Error;
pub use rules::{EngineConfig, RuleEngineMode};
pub use transaction::{
    Interruption, InterruptionAction, MatchedRule, MatchedVar, RuleInfo, Transaction,
};
pub use waf::{Waf, WafBuilder};

/// The recommended base configuration (`coraza.conf-recommended`): load it
/// before `crs-setup.conf` and the CRS rules.
pub const RECOMMENDED_CONF: &str = include_str!("assets/coraza.conf-recommended");

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
