//! The errors of a fetch.

use std::fmt;

use credchain_core::container::ContainerError;
use credchain_core::imds::ImdsError;
use credchain_core::time::TimeError;

use crate::transport::SendError;

/// A fetch that ended in an error: the credential chain stops here (botocore raises).
///
/// "Nothing here" is not an error: [`crate::ImdsOutcome::Unavailable`] says it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The IMDS machine stopped with an error.
    Imds {
        /// The machine's error.
        error: ImdsError,
        /// The transport's own account, when a request failed in a way the machine does not
        /// retry (an oversized body, a request that cannot be written).
        cause: Option<SendError>,
    },
    /// The container machine stopped with an error.
    Container {
        /// The machine's error (boxed: it carries the start of an error body).
        error: Box<ContainerError>,
        /// The transport's own account, as for [`Error::Imds`].
        cause: Option<SendError>,
    },
    /// The endpoint is `https`, which this transport does not speak yet (TLS arrives with
    /// rustls). Nothing was sent.
    HttpsNotSupported {
        /// The host.
        host: String,
        /// The port.
        port: u16,
    },
    /// The credentials' `Expiration` cannot be read as a time.
    Expiration(TimeError),
    /// The machine stopped without an outcome (a bug: please report it).
    Stuck(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Imds { error, cause } => {
                write!(f, "{error}")?;
                write_cause(f, cause.as_ref())
            }
            Error::Container { error, cause } => {
                write!(f, "{error}")?;
                write_cause(f, cause.as_ref())
            }
            Error::HttpsNotSupported { host, port } => write!(
                f,
                "cannot fetch credentials from https://{host}:{port}: https is not supported \
                 yet by credchain-http (TLS arrives with rustls)"
            ),
            Error::Expiration(e) => write!(f, "the credentials' Expiration is not a time: {e}"),
            Error::Stuck(why) => write!(f, "the credential fetch stopped: {why}"),
        }
    }
}

fn write_cause(f: &mut fmt::Formatter<'_>, cause: Option<&SendError>) -> fmt::Result {
    match cause {
        Some(c) => write!(f, " ({c})"),
        None => Ok(()),
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Imds { cause: Some(c), .. } | Error::Container { cause: Some(c), .. } => Some(c),
            Error::Imds { error, .. } => Some(error),
            Error::Container { error, .. } => Some(error.as_ref()),
            Error::Expiration(e) => Some(e),
            Error::HttpsNotSupported { .. } | Error::Stuck(_) => None,
        }
    }
}
