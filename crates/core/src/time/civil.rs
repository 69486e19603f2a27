//! The proleptic Gregorian calendar from 0000-01-01 to 9999-12-31, as day numbers.
//!
//! A *day number* counts the days since 0000-01-01 (day 0). Every function here takes values
//! already checked to lie in that span (year 0..=9999, month 1..=12, day 1..=28..31), so the
//! arithmetic stays far from any integer limit; it is written with saturating operations anyway,
//! so that a caller's mistake shows up as a wrong date and never as a panic.

/// Day number of 1970-01-01, the Unix epoch.
pub(crate) const UNIX_EPOCH_DAY: u32 = 719_528;

/// Seconds in a civil day (no leap seconds: Unix time has none).
pub(crate) const SECS_PER_DAY: i64 = 86_400;

/// Whether `year` has a 29 February: every fourth year, except centuries not divisible by 400.
pub(crate) const fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// The number of days in `month` (1..=12) of `year`; 0 for a month that does not exist.
pub(crate) const fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days in the years `0..year`: 365 each, plus one for every leap year among them. Year 0 is a
/// leap year, so the leap years below `year` are the multiples of 4 below it (`ceil(year / 4)`),
/// minus the multiples of 100, plus the multiples of 400.
const fn days_before_year(year: u32) -> u32 {
    year.saturating_mul(365)
        .saturating_add(multiples_below(year, 4))
        .saturating_sub(multiples_below(year, 100))
        .saturating_add(multiples_below(year, 400))
}

/// How many multiples of `n` (counting 0) lie in `0..year`: `ceil(year / n)`.
const fn multiples_below(year: u32, n: u32) -> u32 {
    year.div_ceil(n)
}

/// Days in the months `1..month` of `year`.
const fn days_before_month(year: u32, month: u32) -> u32 {
    let mut total = 0u32;
    let mut m = 1u32;
    while m < month && m <= 12 {
        total = total.saturating_add(days_in_month(year, m));
        m = m.saturating_add(1);
    }
    total
}

/// The day number of a valid date.
pub(crate) const fn day_number(year: u32, month: u32, day: u32) -> u32 {
    days_before_year(year)
        .saturating_add(days_before_month(year, month))
        .saturating_add(day.saturating_sub(1))
}

/// The date of a day number: `(year, month, day)`.
pub(crate) const fn date(day_number: u32) -> (u32, u32, u32) {
    // 146 097 days make 400 years exactly, so this estimate is off by at most one year.
    let mut year = day_number.saturating_mul(400) / 146_097;
    // Two corrections in each direction are more than enough; the bound keeps the loop finite.
    let mut tries = 0u8;
    while tries < 2 && year > 0 && days_before_year(year) > day_number {
        year = year.saturating_sub(1);
        tries = tries.saturating_add(1);
    }
    tries = 0;
    while tries < 2 && days_before_year(year.saturating_add(1)) <= day_number {
        year = year.saturating_add(1);
        tries = tries.saturating_add(1);
    }
    let mut rest = day_number.saturating_sub(days_before_year(year));
    let mut month = 1u32;
    while month < 12 && rest >= days_in_month(year, month) {
        rest = rest.saturating_sub(days_in_month(year, month));
        month = month.saturating_add(1);
    }
    (year, month, rest.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_years() {
        assert!(is_leap(0));
        assert!(is_leap(2000));
        assert!(is_leap(2024));
        assert!(!is_leap(1900));
        assert!(!is_leap(2026));
        assert!(!is_leap(2100));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2026, 13), 0);
        assert_eq!(days_in_month(2026, 0), 0);
    }

    #[test]
    fn known_day_numbers() {
        assert_eq!(day_number(0, 1, 1), 0);
        assert_eq!(day_number(0, 12, 31), 365);
        assert_eq!(day_number(1, 1, 1), 366);
        assert_eq!(day_number(1970, 1, 1), UNIX_EPOCH_DAY);
        assert_eq!(date(UNIX_EPOCH_DAY), (1970, 1, 1));
        assert_eq!(date(0), (0, 1, 1));
        // 2000-03-01 is day 11 017 after the epoch.
        assert_eq!(day_number(2000, 3, 1) - UNIX_EPOCH_DAY, 11_017);
        assert_eq!(date(day_number(9999, 12, 31)), (9999, 12, 31));
    }

    #[test]
    fn every_day_round_trips() {
        // Walk the whole calendar one day at a time and check both directions.
        let (mut y, mut m, mut d) = (0u32, 1u32, 1u32);
        let last = day_number(9999, 12, 31);
        for n in 0..=last {
            assert_eq!(day_number(y, m, d), n);
            assert_eq!(date(n), (y, m, d));
            d += 1;
            if d > days_in_month(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
        assert_eq!((y, m, d), (10000, 1, 1));
    }
}
