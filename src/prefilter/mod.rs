//! Prefilters that let rules skip regex evaluation.

pub(crate) mod literals;
