//! The one error type of the core. Bindings map it onto the Python hierarchy rooted at
//! `UsageAnalyticsError`; kernels never panic on user input.

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum CoreError {
    UnknownTimeZone(String),
    InvalidWindow(String),
    InvalidOption(String),
    InvalidInput(String),
    Internal(String),
    /// The caller cancelled the reduction (see `cancel`).
    Cancelled,
    /// Memory for a step of the reduction could not be had (see `room`): what, how much.
    OutOfMemory(String),
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::UnknownTimeZone(name) => {
                write!(
                    f,
                    "unknown time zone {name:?}: expected an IANA name such as \"Europe/Berlin\" or \"UTC\""
                )
            }
            CoreError::InvalidWindow(why) => write!(f, "invalid time window: {why}"),
            CoreError::InvalidOption(why) => write!(f, "invalid option: {why}"),
            CoreError::InvalidInput(why) => write!(f, "invalid input: {why}"),
            CoreError::Internal(why) => write!(f, "internal error in usage-analytics (please report): {why}"),
            CoreError::Cancelled => write!(f, "the reduction was cancelled"),
            CoreError::OutOfMemory(why) => write!(f, "out of memory: {why}"),
        }
    }
}

impl std::error::Error for CoreError {}
