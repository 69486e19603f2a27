//! The facade's types this command is built on, in one place.

pub(crate) use credchain::DefaultChain;
pub(crate) use credchain::explain::{ExplainOutcome, ExplainStep, Explanation, StepOutcome};

#[cfg(test)]
pub(crate) use credchain::explain::{FileReport, Location, ProfileChoice};
