//! Timestamps as credential documents carry them.
//!
//! Temporary credentials expire, and every source says when in text: the IMDS and container
//! documents' `Expiration`, `credential_process` output's `Expiration`, the
//! `AWS_CREDENTIAL_EXPIRATION` variable. This module turns that text into a [`Timestamp`] (Unix
//! time, UTC) and back, with no clock of its own: the caller always passes "now" in.
//!
//! ## Two readers, because botocore has two
//!
//! botocore reads an expiry twice, with two different parsers (spec §5.4, §4.8):
//!
//! - **[`Timestamp::parse`]**, for every expiry. botocore hands the text to `dateutil`, which
//!   accepts nearly anything. credchain accepts RFC 3339 and the few ISO 8601 variants these
//!   documents and people actually write:
//!   - `2026-11-29T12:00:00Z`; the `T` and `Z` may be lowercase, and the `T` may be a space (RFC
//!     3339 §5.6 allows both);
//!   - fractional seconds of any length: nine digits are kept (nanoseconds), further digits are
//!     dropped, not rounded — `dateutil` likewise truncates, at microseconds;
//!   - offsets `+hh:mm` / `-hh:mm`, and the ISO 8601 basic forms `+hhmm` and `+hh` that
//!     `dateutil` also reads; `-00:00` means UTC.
//!
//!   A date and time **without a zone** is refused with [`TimeError::MissingTimezone`]. botocore
//!   parses such a "naive" time and then fails with a `TypeError` the first time it compares it
//!   with the current time (spec §5.4, §10.14); credchain says so at once. Other text `dateutil`
//!   would still make sense of (`2026-11-29T12:00Z` without seconds, `Nov 29 2026`, surrounding
//!   blanks, a `UTC` suffix) is refused with the byte offset and what was expected there.
//!
//! - **[`Timestamp::parse_botocore_strict`]**, for the IMDS expiry extension only (spec §4.8 step
//!   1). There botocore calls Python's `datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")`, and when
//!   that fails it silently skips the extension. So this reader must accept exactly what
//!   `strptime` accepts, quirks included: fields of one digit (`2026-1-2T3:4:5Z`), a day written
//!   as a space and a digit (`2026-11- 9T…`), lowercase `t` and `z`; and no fraction, no offset,
//!   nothing after the `Z`. One difference remains, about text no service sends: Python's `\d`
//!   also matches non-ASCII decimal digits (`٢٠٢٦`), credchain only ASCII ones.
//!
//! ## Ranges
//!
//! A [`Timestamp`] lies between [`Timestamp::MIN`] (0000-01-01T00:00:00Z) and [`Timestamp::MAX`]
//! (9999-12-31T23:59:59.999999999Z), the span of a four-digit RFC 3339 year, so every timestamp
//! can be written back as RFC 3339. Fields are checked: month 1–12, the day against the month
//! (with leap years), hour ≤ 23, minute ≤ 59, offsets below 24 hours. **Leap seconds
//! (`:60`) are refused**, as Python's `datetime` refuses them: Unix time has no place for them and
//! no AWS service emits one. [`Timestamp::parse`] accepts the year 0000 (RFC 3339 does; Python's
//! `datetime` starts at year 1), [`Timestamp::parse_botocore_strict`] does not, as `strptime`
//! does not.
//!
//! ## Writing
//!
//! [`Timestamp::format_rfc3339`] writes `%Y-%m-%dT%H:%M:%SZ` — the format botocore writes an
//! extended IMDS expiry in — into the caller's buffer; [`Timestamp::format_rfc3339_nanos`] adds
//! the fraction when there is one. Both fail with [`BufferTooSmall`] naming the size needed;
//! [`RFC3339_LEN`] and [`RFC3339_NANOS_MAX_LEN`] are enough. The `Display` impl writes the same
//! text as `format_rfc3339_nanos`.
//!
//! ```
//! use credchain_core::time::Timestamp;
//!
//! let t = Timestamp::parse("2026-11-29T13:30:00.25+01:30").unwrap();
//! assert_eq!(t.unix_secs(), 1_795_953_600);
//! let mut buf = [0u8; credchain_core::time::RFC3339_LEN];
//! assert_eq!(t.format_rfc3339(&mut buf).unwrap(), "2026-11-29T12:00:00Z");
//! assert_eq!(t.to_string(), "2026-11-29T12:00:00.25Z");
//! ```

mod civil;
mod parse;

use core::fmt;
use core::time::Duration;

use crate::buf::{BufferTooSmall, Writer};

pub use parse::{Expected, Field, TimeError};

/// Bytes [`Timestamp::format_rfc3339`] writes: `YYYY-MM-DDTHH:MM:SSZ`.
pub const RFC3339_LEN: usize = 20;

/// The most bytes [`Timestamp::format_rfc3339_nanos`] writes: `YYYY-MM-DDTHH:MM:SS.fffffffffZ`.
pub const RFC3339_NANOS_MAX_LEN: usize = 30;

const NANOS_PER_SEC: u32 = 1_000_000_000;

/// Unix seconds of 0000-01-01T00:00:00Z.
const MIN_SECS: i64 = -(civil::UNIX_EPOCH_DAY as i64) * civil::SECS_PER_DAY;

/// Unix seconds of 9999-12-31T23:59:59Z.
const MAX_SECS: i64 = (civil::day_number(9999, 12, 31) as i64 - civil::UNIX_EPOCH_DAY as i64 + 1)
    * civil::SECS_PER_DAY
    - 1;

/// An instant in UTC: Unix seconds and nanoseconds, between 0000-01-01 and 9999-12-31.
///
/// Ordered by time. Built by parsing ([`Timestamp::parse`], [`Timestamp::parse_botocore_strict`],
/// [`FromStr`](core::str::FromStr)), from Unix time ([`Timestamp::from_unix`]), from calendar
/// fields ([`Timestamp::from_datetime`]), or by arithmetic on another timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    // Field order matters: the derived `Ord` compares seconds first.
    secs: i64,
    nanos: u32,
}

/// A calendar date and time of day in UTC: what a [`Timestamp`] looks like to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// Year, 0 to 9999.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of the month, 1 to 31.
    pub day: u8,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 59.
    pub second: u8,
    /// Nanoseconds, 0 to 999 999 999.
    pub nanosecond: u32,
}

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp { secs: 0, nanos: 0 };

    /// 0000-01-01T00:00:00Z, the earliest timestamp.
    pub const MIN: Timestamp = Timestamp {
        secs: MIN_SECS,
        nanos: 0,
    };

    /// 9999-12-31T23:59:59.999999999Z, the latest timestamp.
    pub const MAX: Timestamp = Timestamp {
        secs: MAX_SECS,
        nanos: NANOS_PER_SEC - 1,
    };

    /// The timestamp `secs` seconds and `nanos` nanoseconds after the Unix epoch (`secs` may be
    /// negative; `nanos` always counts forward). `None` when `nanos` is a whole second or more,
    /// or the instant lies outside [`Timestamp::MIN`]..=[`Timestamp::MAX`].
    pub const fn from_unix(secs: i64, nanos: u32) -> Option<Timestamp> {
        if nanos >= NANOS_PER_SEC || secs < MIN_SECS || secs > MAX_SECS {
            None
        } else {
            Some(Timestamp { secs, nanos })
        }
    }

    /// The timestamp `secs` whole seconds after the Unix epoch; `None` outside the range.
    pub const fn from_unix_secs(secs: i64) -> Option<Timestamp> {
        Timestamp::from_unix(secs, 0)
    }

    /// The timestamp of a calendar date and time in UTC; `None` when a field is out of its range
    /// (the day is checked against the month, leap years included).
    pub const fn from_datetime(dt: DateTime) -> Option<Timestamp> {
        let (year, month, day) = (dt.year as u32, dt.month as u32, dt.day as u32);
        if year > 9999
            || month < 1
            || month > 12
            || day < 1
            || day > civil::days_in_month(year, month)
            || dt.hour > 23
            || dt.minute > 59
            || dt.second > 59
            || dt.nanosecond >= NANOS_PER_SEC
        {
            return None;
        }
        let days = (civil::day_number(year, month, day) as i64)
            .saturating_sub(civil::UNIX_EPOCH_DAY as i64);
        let secs = days
            .saturating_mul(civil::SECS_PER_DAY)
            .saturating_add((dt.hour as i64).saturating_mul(3600))
            .saturating_add((dt.minute as i64).saturating_mul(60))
            .saturating_add(dt.second as i64);
        Timestamp::from_unix(secs, dt.nanosecond)
    }

    /// Whole seconds since the Unix epoch, rounded down (so `-0.5 s` is `-1`).
    pub const fn unix_secs(&self) -> i64 {
        self.secs
    }

    /// The nanoseconds past [`unix_secs`](Self::unix_secs), 0 to 999 999 999.
    pub const fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// The calendar date and time of this timestamp, in UTC.
    pub fn to_datetime(&self) -> DateTime {
        let days = self.secs.div_euclid(civil::SECS_PER_DAY);
        let secs_of_day = self.secs.rem_euclid(civil::SECS_PER_DAY);
        // In range by construction: MIN_SECS is day number 0.
        let day_number =
            u32::try_from(days.saturating_add(i64::from(civil::UNIX_EPOCH_DAY))).unwrap_or(0);
        let (year, month, day) = civil::date(day_number);
        let narrow = |v: i64| u8::try_from(v).unwrap_or(0);
        DateTime {
            year: u16::try_from(year).unwrap_or(0),
            month: u8::try_from(month).unwrap_or(0),
            day: u8::try_from(day).unwrap_or(0),
            hour: narrow(secs_of_day / 3600),
            minute: narrow(secs_of_day % 3600 / 60),
            second: narrow(secs_of_day % 60),
            nanosecond: self.nanos,
        }
    }

    /// This timestamp without its fraction of a second (rounded down, towards the past).
    pub const fn trunc_secs(self) -> Timestamp {
        Timestamp {
            secs: self.secs,
            nanos: 0,
        }
    }

    /// `secs` seconds later (earlier when negative); `None` outside the range.
    pub const fn checked_add_secs(self, secs: i64) -> Option<Timestamp> {
        match self.secs.checked_add(secs) {
            Some(s) => Timestamp::from_unix(s, self.nanos),
            None => None,
        }
    }

    /// `secs` seconds earlier (later when negative); `None` outside the range.
    pub const fn checked_sub_secs(self, secs: i64) -> Option<Timestamp> {
        match self.secs.checked_sub(secs) {
            Some(s) => Timestamp::from_unix(s, self.nanos),
            None => None,
        }
    }

    /// `secs` seconds later, stopping at [`Timestamp::MIN`] / [`Timestamp::MAX`].
    pub const fn saturating_add_secs(self, secs: i64) -> Timestamp {
        match self.checked_add_secs(secs) {
            Some(t) => t,
            None if secs < 0 => Timestamp::MIN,
            None => Timestamp::MAX,
        }
    }

    /// `secs` seconds earlier, stopping at [`Timestamp::MIN`] / [`Timestamp::MAX`].
    pub const fn saturating_sub_secs(self, secs: i64) -> Timestamp {
        match self.checked_sub_secs(secs) {
            Some(t) => t,
            None if secs > 0 => Timestamp::MIN,
            None => Timestamp::MAX,
        }
    }

    /// `d` later; `None` outside the range.
    pub fn checked_add(self, d: Duration) -> Option<Timestamp> {
        let nanos = self.nanos.checked_add(d.subsec_nanos())?;
        let (carry, nanos) = (nanos / NANOS_PER_SEC, nanos % NANOS_PER_SEC);
        let secs = i64::try_from(d.as_secs())
            .ok()?
            .checked_add(i64::from(carry))?;
        Timestamp::from_unix(self.secs.checked_add(secs)?, nanos)
    }

    /// `d` earlier; `None` outside the range.
    pub fn checked_sub(self, d: Duration) -> Option<Timestamp> {
        let (borrow, nanos) = match self.nanos.checked_sub(d.subsec_nanos()) {
            Some(n) => (0, n),
            None => (
                1,
                self.nanos
                    .saturating_add(NANOS_PER_SEC.saturating_sub(d.subsec_nanos())),
            ),
        };
        let secs = i64::try_from(d.as_secs()).ok()?.checked_add(borrow)?;
        Timestamp::from_unix(self.secs.checked_sub(secs)?, nanos)
    }

    /// The exact signed difference `self - earlier` in nanoseconds (negative when `earlier` is
    /// later). It cannot overflow: the whole range spans about 3.2 × 10²⁰ ns.
    pub fn nanos_since(self, earlier: Timestamp) -> i128 {
        let secs = i128::from(self.secs).saturating_sub(i128::from(earlier.secs));
        let nanos = i128::from(self.nanos).saturating_sub(i128::from(earlier.nanos));
        secs.saturating_mul(i128::from(NANOS_PER_SEC))
            .saturating_add(nanos)
    }

    /// `self - earlier` in whole seconds, rounded **down** (towards the past). Rounding down keeps
    /// comparisons exact: for any whole number of seconds `w`, `a.saturating_sub(b) < w` holds
    /// exactly when the true difference is below `w` — the strict comparison botocore's refresh
    /// windows use (spec §5.1). The range of [`Timestamp`] keeps the result far from `i64`'s
    /// limits; the name says what would happen if it did not.
    pub fn saturating_sub(self, earlier: Timestamp) -> i64 {
        let d = self
            .nanos_since(earlier)
            .div_euclid(i128::from(NANOS_PER_SEC));
        i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
    }

    /// How long after `earlier` this timestamp is; `None` when `earlier` is later.
    pub fn duration_since(self, earlier: Timestamp) -> Option<Duration> {
        let d = self.nanos_since(earlier);
        let nanos_per_sec = i128::from(NANOS_PER_SEC);
        let secs = u64::try_from(d.checked_div(nanos_per_sec)?).ok()?;
        let nanos = u32::try_from(d.checked_rem(nanos_per_sec)?).ok()?;
        Some(Duration::new(secs, nanos))
    }

    /// Parses an RFC 3339 timestamp the way credchain reads every expiry; see the
    /// [module documentation](self) for what is accepted. Errors carry the byte offset and
    /// what was expected there.
    ///
    /// ```
    /// use credchain_core::time::{Timestamp, TimeError};
    ///
    /// assert_eq!(Timestamp::parse("1970-01-01 00:00:01z").unwrap().unix_secs(), 1);
    /// assert!(matches!(
    ///     Timestamp::parse("2026-11-29T12:00:00"),
    ///     Err(TimeError::MissingTimezone { offset: 19 })
    /// ));
    /// ```
    pub fn parse(text: &str) -> Result<Timestamp, TimeError> {
        parse::rfc3339(text.as_bytes())
    }

    /// Parses exactly what Python's `datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")` accepts,
    /// read as UTC: the test botocore's IMDS expiry extension applies (spec §4.8 step 1). An
    /// error here means botocore would skip the extension.
    ///
    /// ```
    /// use credchain_core::time::Timestamp;
    ///
    /// let t = Timestamp::parse_botocore_strict("2026-1-2T3:4:5Z").unwrap();
    /// assert_eq!(t, Timestamp::parse("2026-01-02T03:04:05Z").unwrap());
    /// assert!(Timestamp::parse_botocore_strict("2026-01-02T03:04:05.000Z").is_err());
    /// ```
    pub fn parse_botocore_strict(text: &str) -> Result<Timestamp, TimeError> {
        parse::strptime(text.as_bytes())
    }

    /// Writes `YYYY-MM-DDTHH:MM:SSZ` ([`RFC3339_LEN`] bytes) into `buf`, dropping any fraction
    /// of a second — Python's `strftime("%Y-%m-%dT%H:%M:%SZ")`, as botocore writes an extended
    /// IMDS expiry (spec §4.8 step 3).
    pub fn format_rfc3339<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let mut w = Writer::new(buf);
        // `Writer` never fails a write; it counts what does not fit, and `finish` reports it.
        let _ = self.write(&mut w, false);
        w.finish()
    }

    /// Writes RFC 3339 with the fraction of a second when there is one, its trailing zeros
    /// removed (`…:00.25Z`), at most [`RFC3339_NANOS_MAX_LEN`] bytes.
    pub fn format_rfc3339_nanos<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let mut w = Writer::new(buf);
        let _ = self.write(&mut w, true);
        w.finish()
    }

    fn write(&self, out: &mut impl fmt::Write, fraction: bool) -> fmt::Result {
        let dt = self.to_datetime();
        write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
        )?;
        if fraction && dt.nanosecond != 0 {
            let (mut digits, mut width) = (dt.nanosecond, 9usize);
            while digits % 10 == 0 && width > 1 {
                digits /= 10;
                width = width.saturating_sub(1);
            }
            write!(out, ".{digits:0width$}")?;
        }
        out.write_char('Z')
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, with the fraction of a second when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, true)
    }
}

impl core::str::FromStr for Timestamp {
    type Err = TimeError;

    /// Same as [`Timestamp::parse`].
    fn from_str(s: &str) -> Result<Timestamp, TimeError> {
        Timestamp::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(t: Timestamp, buf: &mut [u8; 32]) -> &str {
        t.format_rfc3339(buf).unwrap()
    }

    #[test]
    fn range_constants() {
        assert_eq!(MIN_SECS, -62_167_219_200);
        assert_eq!(MAX_SECS, 253_402_300_799);
        let mut b = [0u8; 32];
        assert_eq!(fmt(Timestamp::MIN, &mut b), "0000-01-01T00:00:00Z");
        assert_eq!(fmt(Timestamp::MAX, &mut b), "9999-12-31T23:59:59Z");
        assert_eq!(fmt(Timestamp::UNIX_EPOCH, &mut b), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::MAX.format_rfc3339_nanos(&mut b).unwrap(),
            "9999-12-31T23:59:59.999999999Z"
        );
        assert_eq!(
            Timestamp::MAX.format_rfc3339_nanos(&mut b).unwrap().len(),
            RFC3339_NANOS_MAX_LEN
        );
    }

    #[test]
    fn from_unix_checks_range() {
        assert_eq!(
            Timestamp::from_unix(0, 999_999_999).unwrap().subsec_nanos(),
            999_999_999
        );
        assert_eq!(Timestamp::from_unix(0, 1_000_000_000), None);
        assert_eq!(Timestamp::from_unix_secs(MIN_SECS - 1), None);
        assert_eq!(Timestamp::from_unix_secs(MAX_SECS + 1), None);
        assert_eq!(Timestamp::from_unix_secs(i64::MIN), None);
        assert_eq!(Timestamp::from_unix_secs(i64::MAX), None);
        assert!(Timestamp::from_unix_secs(MIN_SECS).is_some());
        assert!(Timestamp::from_unix_secs(MAX_SECS).is_some());
    }

    #[test]
    fn known_instants() {
        let mut b = [0u8; 32];
        let t = Timestamp::from_unix_secs(1_234_567_890).unwrap();
        assert_eq!(fmt(t, &mut b), "2009-02-13T23:31:30Z");
        let t = Timestamp::from_unix_secs(-1).unwrap();
        assert_eq!(fmt(t, &mut b), "1969-12-31T23:59:59Z");
        let t = Timestamp::from_unix_secs(951_782_400).unwrap();
        assert_eq!(fmt(t, &mut b), "2000-02-29T00:00:00Z");
        let t = Timestamp::from_unix_secs(-2_208_988_800).unwrap();
        assert_eq!(fmt(t, &mut b), "1900-01-01T00:00:00Z");
    }

    #[test]
    fn datetime_round_trip_and_validation() {
        let dt = DateTime {
            year: 2024,
            month: 2,
            day: 29,
            hour: 23,
            minute: 59,
            second: 59,
            nanosecond: 5,
        };
        let t = Timestamp::from_datetime(dt).unwrap();
        assert_eq!(t.to_datetime(), dt);
        assert_eq!(
            Timestamp::from_datetime(DateTime { year: 2023, ..dt }),
            None
        );
        assert_eq!(Timestamp::from_datetime(DateTime { month: 13, ..dt }), None);
        assert_eq!(Timestamp::from_datetime(DateTime { month: 0, ..dt }), None);
        assert_eq!(Timestamp::from_datetime(DateTime { day: 0, ..dt }), None);
        assert_eq!(Timestamp::from_datetime(DateTime { hour: 24, ..dt }), None);
        assert_eq!(
            Timestamp::from_datetime(DateTime { minute: 60, ..dt }),
            None
        );
        assert_eq!(
            Timestamp::from_datetime(DateTime { second: 60, ..dt }),
            None
        );
        assert_eq!(
            Timestamp::from_datetime(DateTime { year: 10000, ..dt }),
            None
        );
        assert_eq!(
            Timestamp::from_datetime(DateTime {
                nanosecond: 1_000_000_000,
                ..dt
            }),
            None
        );
    }

    #[test]
    fn format_then_parse_is_identity_for_every_second_sampled() {
        // Every second of every day would be 3 × 10^11 iterations; instead step through the
        // whole range with a stride that is prime and not a multiple of a day, so every second
        // of the day and every day of the calendar is hit many times, and check both readers.
        let mut b = [0u8; 32];
        let mut s = MIN_SECS;
        let mut n = 0u32;
        while s <= MAX_SECS {
            let t = Timestamp::from_unix_secs(s).unwrap();
            let text = t.format_rfc3339(&mut b).unwrap();
            assert_eq!(text.len(), RFC3339_LEN);
            assert_eq!(Timestamp::parse(text), Ok(t), "{text}");
            if t.to_datetime().year >= 1 {
                assert_eq!(Timestamp::parse_botocore_strict(text), Ok(t), "{text}");
            }
            s += 1_000_003;
            n += 1;
        }
        assert!(n > 300_000);
        // And every second of a few whole days, including the two ends and a leap day.
        for start in [MIN_SECS, 951_782_400, MAX_SECS - 86_399, -86_400] {
            for s in start..start + 86_400 {
                let t = Timestamp::from_unix_secs(s).unwrap();
                let text = t.format_rfc3339(&mut b).unwrap();
                assert_eq!(Timestamp::parse(text), Ok(t), "{text}");
            }
        }
    }

    #[test]
    fn every_day_formats_and_parses_back() {
        // Writing and reading handle the date (a day number) and the time of day separately:
        // every second of a day is covered above, and here every one of the 3 652 425 days,
        // each at a different second of its day, so that together they cover every second.
        let mut b = [0u8; 32];
        let days = (MAX_SECS - MIN_SECS + 1) / civil::SECS_PER_DAY;
        assert_eq!(days, 3_652_425);
        for day in 0..days {
            let second_of_day = day * 7_919 % civil::SECS_PER_DAY;
            let s = MIN_SECS + day * civil::SECS_PER_DAY + second_of_day;
            let t = Timestamp::from_unix_secs(s).unwrap();
            let text = t.format_rfc3339(&mut b).unwrap();
            assert_eq!(Timestamp::parse(text), Ok(t), "{text}");
        }
    }

    #[test]
    fn fractions_format_and_parse_back() {
        let mut b = [0u8; 32];
        for (nanos, text) in [
            (0, "2009-02-13T23:31:30Z"),
            (500_000_000, "2009-02-13T23:31:30.5Z"),
            (250_000_000, "2009-02-13T23:31:30.25Z"),
            (1, "2009-02-13T23:31:30.000000001Z"),
            (123_456_789, "2009-02-13T23:31:30.123456789Z"),
            (100_000, "2009-02-13T23:31:30.0001Z"),
        ] {
            let t = Timestamp::from_unix(1_234_567_890, nanos).unwrap();
            assert_eq!(t.format_rfc3339_nanos(&mut b).unwrap(), text);
            assert_eq!(Timestamp::parse(text), Ok(t));
            assert_eq!(t.format_rfc3339(&mut b).unwrap(), "2009-02-13T23:31:30Z");
        }
    }

    #[test]
    fn buffer_too_small_says_size_needed() {
        let t = Timestamp::from_unix(1_234_567_890, 5).unwrap();
        let mut small = [0u8; 19];
        assert_eq!(
            t.format_rfc3339(&mut small),
            Err(BufferTooSmall {
                needed: 20,
                available: 19
            })
        );
        let mut small = [0u8; 25];
        assert_eq!(
            t.format_rfc3339_nanos(&mut small),
            Err(BufferTooSmall {
                needed: 30,
                available: 25
            })
        );
        let mut exact = [0u8; RFC3339_LEN];
        assert!(t.format_rfc3339(&mut exact).is_ok());
        assert!(t.format_rfc3339(&mut []).is_err());
    }

    #[test]
    fn arithmetic() {
        let t = Timestamp::from_unix(100, 250).unwrap();
        assert_eq!(
            t.checked_add_secs(5).unwrap(),
            Timestamp::from_unix(105, 250).unwrap()
        );
        assert_eq!(
            t.checked_add_secs(-200).unwrap(),
            Timestamp::from_unix(-100, 250).unwrap()
        );
        assert_eq!(
            t.checked_sub_secs(100).unwrap(),
            Timestamp::from_unix(0, 250).unwrap()
        );
        assert_eq!(t.checked_add_secs(i64::MAX), None);
        assert_eq!(t.checked_sub_secs(i64::MIN), None);
        assert_eq!(Timestamp::MAX.checked_add_secs(1), None);
        assert_eq!(Timestamp::MIN.checked_sub_secs(1), None);
        assert_eq!(t.saturating_add_secs(i64::MAX), Timestamp::MAX);
        assert_eq!(t.saturating_add_secs(i64::MIN), Timestamp::MIN);
        assert_eq!(t.saturating_sub_secs(i64::MAX), Timestamp::MIN);
        assert_eq!(t.saturating_sub_secs(i64::MIN), Timestamp::MAX);
        assert_eq!(t.saturating_sub_secs(1).unix_secs(), 99);

        let d = Duration::new(1, 999_999_800);
        let later = t.checked_add(d).unwrap();
        assert_eq!((later.unix_secs(), later.subsec_nanos()), (102, 50));
        assert_eq!(later.checked_sub(d), Some(t));
        assert_eq!(later.duration_since(t), Some(d));
        assert_eq!(t.duration_since(later), None);
        assert_eq!(t.checked_add(Duration::MAX), None);
        assert_eq!(t.checked_sub(Duration::MAX), None);
        assert_eq!(Timestamp::MAX.checked_add(Duration::from_nanos(1)), None);
        assert_eq!(Timestamp::MIN.checked_sub(Duration::from_nanos(1)), None);

        assert_eq!(later.nanos_since(t), 1_999_999_800);
        assert_eq!(t.nanos_since(later), -1_999_999_800);
        // Rounded down, so that `< w` stays exact.
        assert_eq!(later.saturating_sub(t), 1);
        assert_eq!(t.saturating_sub(later), -2);
        assert_eq!(t.saturating_sub(t), 0);
        let a = Timestamp::from_unix(1000, 0).unwrap();
        let b = Timestamp::from_unix(100, 1).unwrap(); // a - b = 899.999999999 s
        assert!(a.saturating_sub(b) < 900);
        let b = Timestamp::from_unix(100, 0).unwrap(); // exactly 900 s
        assert!(a.saturating_sub(b) >= 900);
        assert_eq!(
            Timestamp::MAX.saturating_sub(Timestamp::MIN),
            MAX_SECS - MIN_SECS
        );
        assert_eq!(t.trunc_secs(), Timestamp::from_unix_secs(100).unwrap());
    }

    #[test]
    fn ordering() {
        let a = Timestamp::from_unix(-1, 999_999_999).unwrap();
        let b = Timestamp::from_unix(0, 0).unwrap();
        let c = Timestamp::from_unix(0, 1).unwrap();
        assert!(a < b && b < c);
        assert!(Timestamp::MIN < a && c < Timestamp::MAX);
    }

    #[test]
    fn display_and_from_str() {
        let t: Timestamp = "2026-11-29T12:00:00.100Z".parse().unwrap();
        let mut b = [0u8; 64];
        let mut w = Writer::new(&mut b);
        core::fmt::write(&mut w, format_args!("{t}")).unwrap();
        assert_eq!(w.finish().unwrap(), "2026-11-29T12:00:00.1Z");
        assert!("garbage".parse::<Timestamp>().is_err());
    }
}
