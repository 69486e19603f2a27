//! The two timestamp readers and their error.

use core::fmt;

use super::{NANOS_PER_SEC, Timestamp, civil};

/// Why a timestamp could not be read. Offsets are byte offsets into the text given to the
/// parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeError {
    /// The text does not have the expected shape: at `offset` (possibly the end of the text)
    /// something else was expected.
    Expected {
        /// Where.
        offset: usize,
        /// What would have been read there.
        expected: Expected,
    },
    /// A field has the right shape but a value outside its range (month 13, 30 February, hour 24,
    /// second 60, …).
    OutOfRange {
        /// Where the field starts.
        offset: usize,
        /// Which field.
        field: Field,
        /// The value read.
        value: u32,
    },
    /// A date and time with no zone, which botocore reads as a "naive" time and then fails to
    /// compare with the current time (a `TypeError`, spec §5.4, §10.14).
    MissingTimezone {
        /// Where the zone should have been: the end of the text.
        offset: usize,
    },
    /// The instant, once its offset is applied, falls before 0000-01-01T00:00:00Z or after
    /// 9999-12-31T23:59:59.999999999Z.
    Unrepresentable,
    /// An escaped JSON string was too long to unescape for parsing (see
    /// [`JsonStr`](crate::document::JsonStr)); no valid timestamp is that long.
    TooLong {
        /// The length of the unescaped text.
        len: usize,
    },
}

/// What a timestamp reader expected at the place it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Expected {
    /// An ASCII digit `0`–`9`.
    Digit,
    /// `-` between date fields.
    Hyphen,
    /// `:` between time fields.
    Colon,
    /// `T`, `t` or a space between the date and the time.
    DateTimeSeparator,
    /// `T` or `t` between the date and the time (the strict reader takes no space).
    T,
    /// `Z` or `z` (the strict reader's only zone).
    Z,
    /// `.` and a fraction of a second, or a zone.
    FractionOrZone,
    /// A zone: `Z`, `z`, or an offset `+hh:mm`, `+hhmm`, `+hh` (or with `-`).
    Zone,
    /// The end of the text.
    End,
}

/// A field of a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The year.
    Year,
    /// The month.
    Month,
    /// The day of the month.
    Day,
    /// The hour.
    Hour,
    /// The minute.
    Minute,
    /// The second.
    Second,
    /// The hours of a zone offset.
    OffsetHour,
    /// The minutes of a zone offset.
    OffsetMinute,
}

impl TimeError {
    /// The byte offset the error points at, when it points at one.
    pub fn offset(&self) -> Option<usize> {
        match *self {
            TimeError::Expected { offset, .. }
            | TimeError::OutOfRange { offset, .. }
            | TimeError::MissingTimezone { offset } => Some(offset),
            TimeError::Unrepresentable | TimeError::TooLong { .. } => None,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expected::Digit => "a digit",
            Expected::Hyphen => "'-'",
            Expected::Colon => "':'",
            Expected::DateTimeSeparator => "'T', 't' or a space",
            Expected::T => "'T' or 't'",
            Expected::Z => "'Z' or 'z'",
            Expected::FractionOrZone => {
                "a fraction of a second or a zone ('Z' or an offset like +00:00)"
            }
            Expected::Zone => "a zone ('Z' or an offset like +00:00)",
            Expected::End => "the end of the timestamp",
        })
    }
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TimeError::Expected { offset, expected } => {
                write!(f, "invalid timestamp: expected {expected} at byte {offset}")
            }
            TimeError::OutOfRange {
                offset,
                field,
                value,
            } => {
                f.write_str("invalid timestamp: ")?;
                match field {
                    Field::Year => write!(f, "year {value} is out of range 1-9999"),
                    Field::Month => write!(f, "month {value} is out of range 1-12"),
                    Field::Day => write!(f, "day {value} does not exist in that month"),
                    Field::Hour => write!(f, "hour {value} is out of range 0-23"),
                    Field::Minute => write!(f, "minute {value} is out of range 0-59"),
                    Field::Second => write!(
                        f,
                        "second {value} is out of range 0-59 (leap seconds are not accepted)"
                    ),
                    Field::OffsetHour => write!(f, "zone offset hour {value} is out of range 0-23"),
                    Field::OffsetMinute => {
                        write!(f, "zone offset minute {value} is out of range 0-59")
                    }
                }?;
                write!(f, " at byte {offset}")
            }
            TimeError::MissingTimezone { offset } => write!(
                f,
                "timestamp has no time zone (expected 'Z' or an offset like +00:00 at byte {offset}); \
                 a time without a zone cannot be compared with the current time"
            ),
            TimeError::Unrepresentable => f.write_str(
                "timestamp lies outside 0000-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z",
            ),
            TimeError::TooLong { len } => write!(
                f,
                "timestamp text of {len} bytes after unescaping is too long to be a timestamp"
            ),
        }
    }
}

impl core::error::Error for TimeError {}

/// A cursor over the bytes of a timestamp.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) {
        self.pos = self.pos.saturating_add(1);
    }

    fn error(&self, expected: Expected) -> TimeError {
        TimeError::Expected {
            offset: self.pos,
            expected,
        }
    }

    /// Consumes one byte among `accepted`, or fails expecting `expected`.
    fn expect(&mut self, accepted: &[u8], expected: Expected) -> Result<u8, TimeError> {
        match self.peek() {
            Some(b) if accepted.contains(&b) => {
                self.bump();
                Ok(b)
            }
            _ => Err(self.error(expected)),
        }
    }

    fn digit(&mut self) -> Option<u32> {
        let d = self.peek().filter(u8::is_ascii_digit)?;
        self.bump();
        Some(u32::from(d.wrapping_sub(b'0')))
    }

    /// Exactly `n` digits (n ≤ 4, so the value fits).
    fn fixed(&mut self, n: usize) -> Result<u32, TimeError> {
        let mut value = 0u32;
        for _ in 0..n {
            let d = self.digit().ok_or(self.error(Expected::Digit))?;
            value = value.saturating_mul(10).saturating_add(d);
        }
        Ok(value)
    }

    /// Exactly `n` digits that must not exceed `max`.
    fn field(&mut self, n: usize, max: u32, field: Field) -> Result<u32, TimeError> {
        let offset = self.pos;
        let value = self.fixed(n)?;
        if value > max {
            return Err(TimeError::OutOfRange {
                offset,
                field,
                value,
            });
        }
        Ok(value)
    }
}

fn check_day(year: u32, month: u32, day: u32, offset: usize) -> Result<(), TimeError> {
    if day == 0 || day > civil::days_in_month(year, month) {
        return Err(TimeError::OutOfRange {
            offset,
            field: Field::Day,
            value: day,
        });
    }
    Ok(())
}

fn check_month(month: u32, offset: usize) -> Result<(), TimeError> {
    if !(1..=12).contains(&month) {
        return Err(TimeError::OutOfRange {
            offset,
            field: Field::Month,
            value: month,
        });
    }
    Ok(())
}

/// Unix seconds of a validated local date and time, minus a zone offset in seconds.
fn unix_secs(year: u32, month: u32, day: u32, hms: (u32, u32, u32), offset_secs: i64) -> i64 {
    let days = i64::from(civil::day_number(year, month, day))
        .saturating_sub(i64::from(civil::UNIX_EPOCH_DAY));
    let (h, m, s) = hms;
    let secs_of_day = i64::from(h)
        .saturating_mul(3600)
        .saturating_add(i64::from(m).saturating_mul(60))
        .saturating_add(i64::from(s));
    days.saturating_mul(civil::SECS_PER_DAY)
        .saturating_add(secs_of_day)
        .saturating_sub(offset_secs)
}

/// RFC 3339 and the variants described in the module documentation.
pub(super) fn rfc3339(bytes: &[u8]) -> Result<Timestamp, TimeError> {
    let mut c = Cursor { bytes, pos: 0 };
    let year = c.fixed(4)?;
    c.expect(b"-", Expected::Hyphen)?;
    let month_at = c.pos;
    let month = c.fixed(2)?;
    check_month(month, month_at)?;
    c.expect(b"-", Expected::Hyphen)?;
    let day_at = c.pos;
    let day = c.fixed(2)?;
    check_day(year, month, day, day_at)?;
    c.expect(b"Tt ", Expected::DateTimeSeparator)?;
    let hour = c.field(2, 23, Field::Hour)?;
    c.expect(b":", Expected::Colon)?;
    let minute = c.field(2, 59, Field::Minute)?;
    c.expect(b":", Expected::Colon)?;
    let second = c.field(2, 59, Field::Second)?;

    let mut nanos = 0u32;
    let mut had_fraction = false;
    if c.peek() == Some(b'.') {
        c.bump();
        let first = c.digit().ok_or(c.error(Expected::Digit))?;
        // Keep nine digits; read and drop the rest (truncation, as dateutil truncates).
        let mut scale = NANOS_PER_SEC / 10;
        nanos = first.saturating_mul(scale);
        while let Some(d) = c.digit() {
            scale /= 10;
            nanos = nanos.saturating_add(d.saturating_mul(scale));
        }
        had_fraction = true;
    }

    let offset_secs: i64 = match c.peek() {
        None => return Err(TimeError::MissingTimezone { offset: c.pos }),
        Some(b'Z' | b'z') => {
            c.bump();
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            c.bump();
            let hours = c.field(2, 23, Field::OffsetHour)?;
            let minutes = match c.peek() {
                Some(b':') => {
                    c.bump();
                    c.field(2, 59, Field::OffsetMinute)?
                }
                Some(b'0'..=b'9') => c.field(2, 59, Field::OffsetMinute)?,
                _ => 0,
            };
            let secs = i64::from(
                hours
                    .saturating_mul(3600)
                    .saturating_add(minutes.saturating_mul(60)),
            );
            if sign == b'-' {
                secs.saturating_neg()
            } else {
                secs
            }
        }
        Some(_) if had_fraction => return Err(c.error(Expected::Zone)),
        Some(_) => return Err(c.error(Expected::FractionOrZone)),
    };
    if c.peek().is_some() {
        return Err(c.error(Expected::End));
    }
    let secs = unix_secs(year, month, day, (hour, minute, second), offset_secs);
    Timestamp::from_unix(secs, nanos).ok_or(TimeError::Unrepresentable)
}

/// One field of `strptime`'s `%m`, `%d`, `%H`, `%M` or `%S`: one or two ASCII digits, the
/// two-digit forms limited to `max2` and, for `%m` and `%d`, not `00` / `0`.
///
/// Python matches these with regular expressions such as `1[0-2]|0[1-9]|[1-9]` followed by a
/// literal separator. Because the separator is never a digit, trying the alternatives with
/// backtracking comes to the same thing as taking the whole run of digits before the separator,
/// which must be one or two digits long and in range.
fn strptime_field(
    c: &mut Cursor<'_>,
    field: Field,
    min: u32,
    max2: u32,
    space_digit: bool,
) -> Result<u32, TimeError> {
    let start = c.pos;
    if space_digit && c.peek() == Some(b' ') {
        // `%d` also matches a space followed by one digit 1-9.
        c.bump();
        let d = c.digit().ok_or(c.error(Expected::Digit))?;
        if d == 0 {
            return Err(TimeError::OutOfRange {
                offset: start,
                field,
                value: 0,
            });
        }
        return Ok(d);
    }
    let first = c.digit().ok_or(c.error(Expected::Digit))?;
    let value = match c.digit() {
        Some(second) => first.saturating_mul(10).saturating_add(second),
        None => first,
    };
    if value < min || value > max2 {
        return Err(TimeError::OutOfRange {
            offset: start,
            field,
            value,
        });
    }
    Ok(value)
}

/// Python's `datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")`, as UTC.
pub(super) fn strptime(bytes: &[u8]) -> Result<Timestamp, TimeError> {
    let mut c = Cursor { bytes, pos: 0 };
    // `%Y` is exactly four digits; `datetime` then refuses year 0.
    let year = c.fixed(4)?;
    if year == 0 {
        return Err(TimeError::OutOfRange {
            offset: 0,
            field: Field::Year,
            value: 0,
        });
    }
    c.expect(b"-", Expected::Hyphen)?;
    let month_at = c.pos;
    let month = strptime_field(&mut c, Field::Month, 1, 12, false)?;
    c.expect(b"-", Expected::Hyphen)?;
    let day_at = c.pos;
    let day = strptime_field(&mut c, Field::Day, 1, 31, true)?;
    check_month(month, month_at)?;
    check_day(year, month, day, day_at)?;
    // The pattern is matched case-insensitively, so `t` and `z` pass too.
    c.expect(b"Tt", Expected::T)?;
    let hour = strptime_field(&mut c, Field::Hour, 0, 23, false)?;
    c.expect(b":", Expected::Colon)?;
    let minute = strptime_field(&mut c, Field::Minute, 0, 59, false)?;
    c.expect(b":", Expected::Colon)?;
    let second_at = c.pos;
    // `%S` matches up to 61; `datetime` then refuses 60 and 61.
    let second = strptime_field(&mut c, Field::Second, 0, 61, false)?;
    if second > 59 {
        return Err(TimeError::OutOfRange {
            offset: second_at,
            field: Field::Second,
            value: second,
        });
    }
    c.expect(b"Zz", Expected::Z)?;
    if c.peek().is_some() {
        // Python: "unconverted data remains".
        return Err(c.error(Expected::End));
    }
    let secs = unix_secs(year, month, day, (hour, minute, second), 0);
    Timestamp::from_unix(secs, 0).ok_or(TimeError::Unrepresentable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buf::Writer;

    fn secs(s: &str) -> i64 {
        Timestamp::parse(s).unwrap().unix_secs()
    }

    fn expected(offset: usize, expected: Expected) -> TimeError {
        TimeError::Expected { offset, expected }
    }

    fn range(offset: usize, field: Field, value: u32) -> TimeError {
        TimeError::OutOfRange {
            offset,
            field,
            value,
        }
    }

    #[test]
    fn accepts_the_documented_forms() {
        let base = 1_795_953_600; // 2026-11-29T12:00:00Z
        assert_eq!(secs("2026-11-29T12:00:00Z"), base);
        assert_eq!(secs("2026-11-29t12:00:00z"), base);
        assert_eq!(secs("2026-11-29 12:00:00Z"), base);
        assert_eq!(secs("2026-11-29T13:00:00+01:00"), base);
        assert_eq!(secs("2026-11-29T13:00:00+0100"), base);
        assert_eq!(secs("2026-11-29T13:00:00+01"), base);
        assert_eq!(secs("2026-11-29T10:30:00-01:30"), base);
        assert_eq!(secs("2026-11-29T12:00:00-00:00"), base);
        assert_eq!(secs("2026-11-30T11:59:00+23:59"), base);
        assert_eq!(secs("2026-11-29T12:00:00.000Z"), base);
        let t = Timestamp::parse("2026-11-29T12:00:00.123456789Z").unwrap();
        assert_eq!((t.unix_secs(), t.subsec_nanos()), (base, 123_456_789));
        let t = Timestamp::parse("2026-11-29T12:00:00.1Z").unwrap();
        assert_eq!(t.subsec_nanos(), 100_000_000);
        // More than nine digits: truncated, not rounded.
        let t = Timestamp::parse("2026-11-29T12:00:00.9999999999999Z").unwrap();
        assert_eq!((t.unix_secs(), t.subsec_nanos()), (base, 999_999_999));
        let t = Timestamp::parse("2026-11-29T12:00:00.5+01:30").unwrap();
        assert_eq!(
            (t.unix_secs(), t.subsec_nanos()),
            (base - 5400, 500_000_000)
        );
        // Leap days, century rules, the ends of the range.
        assert_eq!(secs("2024-02-29T00:00:00Z"), 1_709_164_800);
        assert_eq!(secs("2000-02-29T00:00:00Z"), 951_782_400);
        assert_eq!(secs("0000-01-01T00:00:00Z"), -62_167_219_200);
        assert_eq!(secs("9999-12-31T23:59:59Z"), 253_402_300_799);
        assert_eq!(secs("0000-02-29T00:00:00Z"), -62_167_219_200 + 59 * 86_400);
    }

    #[test]
    fn refuses_with_offset_and_expectation() {
        let cases: &[(&str, TimeError)] = &[
            ("", expected(0, Expected::Digit)),
            ("202", expected(3, Expected::Digit)),
            ("20x6-11-29T12:00:00Z", expected(2, Expected::Digit)),
            ("2026/11/29T12:00:00Z", expected(4, Expected::Hyphen)),
            ("2026-1-29T12:00:00Z", expected(6, Expected::Digit)),
            ("2026-11-29", expected(10, Expected::DateTimeSeparator)),
            (
                "2026-11-29X12:00:00Z",
                expected(10, Expected::DateTimeSeparator),
            ),
            ("2026-11-29T12.00:00Z", expected(13, Expected::Colon)),
            ("2026-11-29T12:00Z", expected(16, Expected::Colon)),
            (
                "2026-11-29T12:00:00",
                TimeError::MissingTimezone { offset: 19 },
            ),
            (
                "2026-11-29T12:00:00.5",
                TimeError::MissingTimezone { offset: 21 },
            ),
            ("2026-11-29T12:00:00.Z", expected(20, Expected::Digit)),
            (
                "2026-11-29T12:00:00UTC",
                expected(19, Expected::FractionOrZone),
            ),
            (
                "2026-11-29T12:00:00 Z",
                expected(19, Expected::FractionOrZone),
            ),
            ("2026-11-29T12:00:00.5 Z", expected(21, Expected::Zone)),
            ("2026-11-29T12:00:00+1:00", expected(21, Expected::Digit)),
            ("2026-11-29T12:00:00+01:0", expected(24, Expected::Digit)),
            ("2026-11-29T12:00:00+01:", expected(23, Expected::Digit)),
            ("2026-11-29T12:00:00+010", expected(23, Expected::Digit)),
            ("2026-11-29T12:00:00+01:00:00", expected(25, Expected::End)),
            ("2026-11-29T12:00:00Z ", expected(20, Expected::End)),
            ("2026-11-29T12:00:00ZZ", expected(20, Expected::End)),
            (" 2026-11-29T12:00:00Z", expected(0, Expected::Digit)),
            ("2026-11-29T12:00:00+01x", expected(22, Expected::End)),
        ];
        for &(text, err) in cases {
            assert_eq!(Timestamp::parse(text), Err(err), "{text:?}");
        }
    }

    #[test]
    fn refuses_out_of_range_fields() {
        let cases: &[(&str, TimeError)] = &[
            ("2026-00-29T12:00:00Z", range(5, Field::Month, 0)),
            ("2026-13-29T12:00:00Z", range(5, Field::Month, 13)),
            ("2026-11-00T12:00:00Z", range(8, Field::Day, 0)),
            ("2026-11-31T12:00:00Z", range(8, Field::Day, 31)),
            ("2026-02-29T12:00:00Z", range(8, Field::Day, 29)),
            ("1900-02-29T12:00:00Z", range(8, Field::Day, 29)),
            ("2026-11-29T24:00:00Z", range(11, Field::Hour, 24)),
            ("2026-11-29T12:60:00Z", range(14, Field::Minute, 60)),
            ("2026-12-31T23:59:60Z", range(17, Field::Second, 60)),
            (
                "2026-11-29T12:00:00+24:00",
                range(20, Field::OffsetHour, 24),
            ),
            (
                "2026-11-29T12:00:00+00:60",
                range(23, Field::OffsetMinute, 60),
            ),
            (
                "2026-11-29T12:00:00-0099",
                range(22, Field::OffsetMinute, 99),
            ),
        ];
        for &(text, err) in cases {
            assert_eq!(Timestamp::parse(text), Err(err), "{text:?}");
        }
        // Valid fields, but the instant leaves the range once the offset is applied.
        assert_eq!(
            Timestamp::parse("0000-01-01T00:00:00+00:01"),
            Err(TimeError::Unrepresentable)
        );
        assert_eq!(
            Timestamp::parse("9999-12-31T23:59:59-00:01"),
            Err(TimeError::Unrepresentable)
        );
        assert!(Timestamp::parse("0000-01-01T00:00:00-00:01").is_ok());
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        // Every prefix of valid and invalid texts, and every single-byte corruption of one.
        let texts = [
            "2026-11-29T12:00:00.123456789+01:30",
            "2026-1-2T3:4:5Z",
            "2026-11- 9T12:00:00Z",
        ];
        for text in texts {
            for end in 0..=text.len() {
                let prefix = &text.as_bytes()[..end];
                let _ = rfc3339(prefix);
                let _ = strptime(prefix);
            }
            let mut bytes = [0u8; 64];
            let n = text.len();
            for i in 0..n {
                for b in [0u8, b' ', b'0', b'9', b'-', b':', b'+', b'Z', b'.', 0xff] {
                    bytes[..n].copy_from_slice(text.as_bytes());
                    bytes[i] = b;
                    let _ = rfc3339(&bytes[..n]);
                    let _ = strptime(&bytes[..n]);
                }
            }
        }
    }

    #[test]
    fn strict_reader_matches_strptime() {
        let strict = Timestamp::parse_botocore_strict;
        let base = Timestamp::parse("2026-11-29T12:00:00Z").unwrap();
        assert_eq!(strict("2026-11-29T12:00:00Z"), Ok(base));
        assert_eq!(strict("2026-11-29t12:00:00z"), Ok(base));
        assert_eq!(
            strict("2026-1-2T3:4:5Z"),
            Timestamp::parse("2026-01-02T03:04:05Z")
        );
        assert_eq!(
            strict("2026-11- 9T12:00:00Z"),
            Timestamp::parse("2026-11-09T12:00:00Z")
        );
        assert_eq!(
            strict("2026-11-9T12:00:00Z"),
            Timestamp::parse("2026-11-09T12:00:00Z")
        );
        assert_eq!(
            strict("2026-11-29T1:0:0Z"),
            Timestamp::parse("2026-11-29T01:00:00Z")
        );
        assert_eq!(
            strict("0001-01-01T00:00:00Z"),
            Timestamp::parse("0001-01-01T00:00:00Z")
        );

        let cases: &[(&str, TimeError)] = &[
            ("2026-11-29T12:00:00.000Z", expected(19, Expected::Z)),
            ("2026-11-29T12:00:00+00:00", expected(19, Expected::Z)),
            ("2026-11-29T12:00:00", expected(19, Expected::Z)),
            ("2026-11-29 12:00:00Z", expected(10, Expected::T)),
            ("2026-11-29T12:00:00Z ", expected(20, Expected::End)),
            ("2026-11-29T12:00:00ZZ", expected(20, Expected::End)),
            (" 2026-11-29T12:00:00Z", expected(0, Expected::Digit)),
            ("226-11-29T12:00:00Z", expected(3, Expected::Digit)),
            ("20261-11-29T12:00:00Z", expected(4, Expected::Hyphen)),
            ("2026-011-29T12:00:00Z", expected(7, Expected::Hyphen)),
            ("2026-11-29T012:00:00Z", expected(13, Expected::Colon)),
            ("2026-11-29T12:00:005Z", expected(19, Expected::Z)),
            ("2026- 1-29T12:00:00Z", expected(5, Expected::Digit)),
            ("2026-11-29T 1:00:00Z", expected(11, Expected::Digit)),
            ("2026-11-29T12:00: 5Z", expected(17, Expected::Digit)),
            ("0000-01-01T00:00:00Z", range(0, Field::Year, 0)),
            ("2026-00-29T12:00:00Z", range(5, Field::Month, 0)),
            ("2026-0-29T12:00:00Z", range(5, Field::Month, 0)),
            ("2026-13-29T12:00:00Z", range(5, Field::Month, 13)),
            ("2026-11-00T12:00:00Z", range(8, Field::Day, 0)),
            ("2026-11-0T12:00:00Z", range(8, Field::Day, 0)),
            ("2026-11- 0T12:00:00Z", range(8, Field::Day, 0)),
            ("2026-11-32T12:00:00Z", range(8, Field::Day, 32)),
            ("2026-02-29T12:00:00Z", range(8, Field::Day, 29)),
            ("2026-11-31T12:00:00Z", range(8, Field::Day, 31)),
            ("2026-11-29T24:00:00Z", range(11, Field::Hour, 24)),
            ("2026-11-29T12:60:00Z", range(14, Field::Minute, 60)),
            ("2026-11-29T12:00:60Z", range(17, Field::Second, 60)),
            ("2026-11-29T12:00:61Z", range(17, Field::Second, 61)),
            ("2026-11-29T12:00:62Z", range(17, Field::Second, 62)),
        ];
        for &(text, err) in cases {
            assert_eq!(strict(text), Err(err), "{text:?}");
        }
    }

    #[test]
    fn errors_display_what_was_expected() {
        let mut buf = [0u8; 256];
        fn show(e: TimeError, buf: &mut [u8]) -> &str {
            let mut w = Writer::new(buf);
            core::fmt::write(&mut w, format_args!("{e}")).unwrap();
            w.finish().unwrap()
        }
        assert_eq!(
            show(Timestamp::parse("2026-11-29X").unwrap_err(), &mut buf),
            "invalid timestamp: expected 'T', 't' or a space at byte 10"
        );
        assert_eq!(
            show(
                Timestamp::parse("2026-13-01T00:00:00Z").unwrap_err(),
                &mut buf
            ),
            "invalid timestamp: month 13 is out of range 1-12 at byte 5"
        );
        assert_eq!(
            show(
                Timestamp::parse("2026-12-31T23:59:60Z").unwrap_err(),
                &mut buf
            ),
            "invalid timestamp: second 60 is out of range 0-59 (leap seconds are not accepted) at byte 17"
        );
        assert!(
            show(
                Timestamp::parse("2026-12-31T23:59:59").unwrap_err(),
                &mut buf
            )
            .starts_with("timestamp has no time zone")
        );
        assert!(show(TimeError::Unrepresentable, &mut buf).contains("outside"));
        assert!(show(TimeError::TooLong { len: 99 }, &mut buf).contains("99 bytes"));
        assert_eq!(TimeError::TooLong { len: 99 }.offset(), None);
        assert_eq!(TimeError::MissingTimezone { offset: 19 }.offset(), Some(19));
    }
}
