//! botocore's client-side check of an STS request's parameters (spec §8.1, §8.2).
//!
//! Before botocore sends any request it checks the parameters against the service model
//! (`botocore/validate.py`, `ParamValidator`). Of the model's constraints it enforces only a
//! few: required members, Python types, and the `min` of each shape — the *length* of a
//! string (Python's `len()`, which counts code points, not UTF-8 bytes) and the *value* of an
//! integer. `max` and `pattern` are left to the service. Every failing parameter is
//! collected, none stops the check early, and the request is not sent: botocore raises
//! `ParamValidationError` with the lines of its report joined by `\n` under
//! `Parameter validation failed:`.
//!
//! For the two operations a role source sends, the model's minimums are:
//!
//! | parameter          | shape                 | min            |
//! |--------------------|-----------------------|----------------|
//! | `RoleArn`          | `arnType`             | 20 characters  |
//! | `RoleSessionName`  | `roleSessionNameType` | 2 characters   |
//! | `ExternalId`       | `externalIdType`      | 2 characters   |
//! | `SerialNumber`     | `serialNumberType`    | 9 characters   |
//! | `TokenCode`        | `tokenCodeType`       | 6 characters   |
//! | `DurationSeconds`  | `roleDurationSecondsType` | 900 (value) |
//! | `WebIdentityToken` | `clientTokenType`     | 4 characters   |
//!
//! The required members (`RoleArn`, `RoleSessionName`, `WebIdentityToken`) are always present
//! in what a credential provider sends — a missing session name is replaced by
//! `botocore-session-<seconds>`, which is long enough — and every value is of the right type
//! (profile values are strings, `duration_seconds` is Python's `int()` of one), so only the
//! minimums can fail here.
//!
//! The report lists the parameters in the order of botocore's keyword dictionary, the same
//! order as the request body ([`AssumeRole`]): for `AssumeRole` the configured
//! `RoleSessionName`, `ExternalId`, `SerialNumber`, `DurationSeconds`, then `RoleArn`, then
//! `TokenCode` (added after the MFA prompt); for `AssumeRoleWithWebIdentity` the configured
//! `RoleSessionName`, `RoleArn`, then `WebIdentityToken`. An empty configured session name is
//! replaced by the default one, so it never fails.
//!
//! A length error reports the length, never the value itself, so no token or code is ever
//! written into a message.
//!
//! ```
//! use credchain_core::sts::AssumeRole;
//! use credchain_core::sts::validate::validate_assume_role;
//!
//! let req = AssumeRole {
//!     role_arn: "arn:aws",
//!     role_session_name: Some("s"),
//!     external_id: None,
//!     mfa: None,
//!     duration_seconds: Some(60),
//! };
//! let errors = validate_assume_role(&req).unwrap_err();
//! assert_eq!(errors.len(), 3);
//! assert_eq!(
//!     errors.to_string(),
//!     "Parameter validation failed:\n\
//!      Invalid length for parameter RoleSessionName, value: 1, valid min length: 2\n\
//!      Invalid value for parameter DurationSeconds, value: 60, valid min value: 900\n\
//!      Invalid length for parameter RoleArn, value: 7, valid min length: 20"
//! );
//! ```

use core::fmt;

use super::{AssumeRole, AssumeRoleWithWebIdentity};

/// A parameter of `AssumeRole` or `AssumeRoleWithWebIdentity` that botocore checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Param {
    /// `RoleArn` (`arnType`, min length 20).
    RoleArn,
    /// `RoleSessionName` (`roleSessionNameType`, min length 2).
    RoleSessionName,
    /// `ExternalId` (`externalIdType`, min length 2).
    ExternalId,
    /// `SerialNumber` (`serialNumberType`, min length 9).
    SerialNumber,
    /// `TokenCode` (`tokenCodeType`, min length 6).
    TokenCode,
    /// `DurationSeconds` (`roleDurationSecondsType`, min value 900).
    DurationSeconds,
    /// `WebIdentityToken` (`clientTokenType`, min length 4).
    WebIdentityToken,
}

impl Param {
    /// The parameter's name in the STS model, as botocore's message writes it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Param::RoleArn => "RoleArn",
            Param::RoleSessionName => "RoleSessionName",
            Param::ExternalId => "ExternalId",
            Param::SerialNumber => "SerialNumber",
            Param::TokenCode => "TokenCode",
            Param::DurationSeconds => "DurationSeconds",
            Param::WebIdentityToken => "WebIdentityToken",
        }
    }

    /// The model's `min`: a length in characters, or for `DurationSeconds` a value.
    #[must_use]
    pub const fn min(self) -> i64 {
        match self {
            Param::RoleArn => 20,
            Param::RoleSessionName | Param::ExternalId => 2,
            Param::SerialNumber => 9,
            Param::TokenCode => 6,
            Param::DurationSeconds => 900,
            Param::WebIdentityToken => 4,
        }
    }

    /// Whether the minimum bounds the value (an integer) rather than the length (a string).
    #[must_use]
    pub const fn is_integer(self) -> bool {
        matches!(self, Param::DurationSeconds)
    }
}

/// One failed parameter: a line of botocore's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParamError {
    /// Which parameter.
    pub param: Param,
    /// What botocore compared with the minimum: the length in characters of a string, the
    /// value of `DurationSeconds`.
    pub value: i64,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.param.is_integer() {
            "value"
        } else {
            "length"
        };
        write!(
            f,
            "Invalid {what} for parameter {}, value: {}, valid min {what}: {}",
            self.param.name(),
            self.value,
            self.param.min()
        )
    }
}

impl core::error::Error for ParamError {}

/// The most parameters one request can fail on (`AssumeRole` checks six).
pub const MAX_ERRORS: usize = 6;

/// Every failed parameter of one request, in botocore's order: botocore's
/// `ParamValidationError`, whose Display is botocore's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParamErrors {
    errors: [Option<ParamError>; MAX_ERRORS],
}

impl ParamErrors {
    const fn new() -> Self {
        ParamErrors {
            errors: [None; MAX_ERRORS],
        }
    }

    fn push(&mut self, e: ParamError) {
        if let Some(slot) = self.errors.iter_mut().find(|s| s.is_none()) {
            *slot = Some(e);
        }
    }

    /// The failed parameters, in botocore's order.
    pub fn iter(&self) -> impl Iterator<Item = &ParamError> {
        self.errors.iter().map_while(Option::as_ref)
    }

    /// How many parameters failed (at least one).
    #[must_use]
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Always `false` for a value returned by a check; there for the usual pairing with
    /// [`ParamErrors::len`].
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// botocore's exception class.
    #[must_use]
    pub const fn botocore_class(&self) -> &'static str {
        "ParamValidationError"
    }

    fn check_len(&mut self, param: Param, value: &str) {
        // Python's len() of a str: code points. Any `usize` count fits an i64 in practice; a
        // count beyond it is saturated, which is still above every minimum.
        let length = i64::try_from(value.chars().count()).unwrap_or(i64::MAX);
        if length < param.min() {
            self.push(ParamError {
                param,
                value: length,
            });
        }
    }

    fn check_value(&mut self, param: Param, value: i64) {
        if value < param.min() {
            self.push(ParamError { param, value });
        }
    }

    fn result(self) -> Result<(), ParamErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for ParamErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Parameter validation failed:")?;
        for e in self.iter() {
            write!(f, "\n{e}")?;
        }
        Ok(())
    }
}

impl core::error::Error for ParamErrors {}

/// A configured session name that is sent as configured: an empty one is replaced by
/// `botocore-session-<seconds>`, which always passes.
fn configured_session(name: Option<&str>) -> Option<&str> {
    name.filter(|n| !n.is_empty())
}

/// Checks an `AssumeRole` request as botocore does before sending it (spec §8.1); `Err` lists
/// every failed parameter in botocore's order.
pub fn validate_assume_role(request: &AssumeRole<'_>) -> Result<(), ParamErrors> {
    let mut errors = ParamErrors::new();
    if let Some(name) = configured_session(request.role_session_name) {
        errors.check_len(Param::RoleSessionName, name);
    }
    if let Some(id) = request.external_id {
        errors.check_len(Param::ExternalId, id);
    }
    if let Some(mfa) = &request.mfa {
        errors.check_len(Param::SerialNumber, mfa.serial_number);
    }
    if let Some(seconds) = request.duration_seconds {
        errors.check_value(Param::DurationSeconds, seconds);
    }
    errors.check_len(Param::RoleArn, request.role_arn);
    if let Some(mfa) = &request.mfa {
        errors.check_len(Param::TokenCode, mfa.token_code);
    }
    errors.result()
}

/// Checks an `AssumeRoleWithWebIdentity` request as botocore does before sending it (spec
/// §8.2); `Err` lists every failed parameter in botocore's order.
pub fn validate_web_identity(request: &AssumeRoleWithWebIdentity<'_>) -> Result<(), ParamErrors> {
    let mut errors = ParamErrors::new();
    if let Some(name) = configured_session(request.role_session_name) {
        errors.check_len(Param::RoleSessionName, name);
    }
    errors.check_len(Param::RoleArn, request.role_arn);
    errors.check_len(Param::WebIdentityToken, request.web_identity_token);
    errors.result()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use crate::sts::Mfa;
    use core::fmt::Write as _;

    const ARN: &str = "arn:aws:iam::123456789012:role/r";

    fn render(e: &ParamErrors) -> heapless::String<1024> {
        let mut s = heapless::String::new();
        write!(s, "{e}").unwrap();
        s
    }

    fn role(arn: &str) -> AssumeRole<'_> {
        AssumeRole {
            role_arn: arn,
            role_session_name: None,
            external_id: None,
            mfa: None,
            duration_seconds: None,
        }
    }

    #[test]
    fn minimums_pass_and_one_less_fails() {
        let at_min = AssumeRole {
            role_arn: "arn:aws:iam::1:role/r",
            role_session_name: Some("ab"),
            external_id: Some("xy"),
            mfa: Some(Mfa {
                serial_number: "123456789",
                token_code: "123456",
            }),
            duration_seconds: Some(900),
        };
        assert_eq!(at_min.role_arn.len(), 21);
        assert!(validate_assume_role(&at_min).is_ok());
        let below = AssumeRole {
            role_arn: "arn:aws:iam::1:role",
            role_session_name: Some("a"),
            external_id: Some("x"),
            mfa: Some(Mfa {
                serial_number: "12345678",
                token_code: "12345",
            }),
            duration_seconds: Some(899),
        };
        let e = validate_assume_role(&below).unwrap_err();
        assert_eq!(e.len(), 6);
        assert_eq!(
            render(&e).as_str(),
            "Parameter validation failed:\n\
             Invalid length for parameter RoleSessionName, value: 1, valid min length: 2\n\
             Invalid length for parameter ExternalId, value: 1, valid min length: 2\n\
             Invalid length for parameter SerialNumber, value: 8, valid min length: 9\n\
             Invalid value for parameter DurationSeconds, value: 899, valid min value: 900\n\
             Invalid length for parameter RoleArn, value: 19, valid min length: 20\n\
             Invalid length for parameter TokenCode, value: 5, valid min length: 6"
        );
    }

    #[test]
    fn lengths_are_code_points() {
        // 10 characters, 30 bytes: too short as characters although long enough as bytes.
        let e = validate_assume_role(&role("€€€€€€€€€€")).unwrap_err();
        assert_eq!(
            e.iter().next().copied(),
            Some(ParamError {
                param: Param::RoleArn,
                value: 10
            })
        );
        // A 2-character session name of 8 bytes passes.
        let mut r = role(ARN);
        r.role_session_name = Some("😀😀");
        assert!(validate_assume_role(&r).is_ok());
    }

    #[test]
    fn empty_session_name_is_replaced_and_negative_duration_reported() {
        let mut r = role(ARN);
        r.role_session_name = Some("");
        r.duration_seconds = Some(-5);
        let e = validate_assume_role(&r).unwrap_err();
        assert_eq!(
            render(&e).as_str(),
            "Parameter validation failed:\n\
             Invalid value for parameter DurationSeconds, value: -5, valid min value: 900"
        );
        assert_eq!(e.botocore_class(), "ParamValidationError");
    }

    #[test]
    fn web_identity_order() {
        let req = AssumeRoleWithWebIdentity {
            role_arn: "",
            role_session_name: Some("s"),
            web_identity_token: "abc",
        };
        let e = validate_web_identity(&req).unwrap_err();
        assert_eq!(
            render(&e).as_str(),
            "Parameter validation failed:\n\
             Invalid length for parameter RoleSessionName, value: 1, valid min length: 2\n\
             Invalid length for parameter RoleArn, value: 0, valid min length: 20\n\
             Invalid length for parameter WebIdentityToken, value: 3, valid min length: 4"
        );
        let ok = AssumeRoleWithWebIdentity {
            role_arn: ARN,
            role_session_name: None,
            web_identity_token: "abcd",
        };
        assert!(validate_web_identity(&ok).is_ok());
    }
}
