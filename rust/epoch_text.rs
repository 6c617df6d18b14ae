//! What a timestamp written as the text of a number looks like: epoch seconds (or
//! milliseconds, microseconds, nanoseconds) exported to CSV, a SQLite TEXT cell, a str in a
//! record. Text timestamps are ISO-8601 only (`timeparse`), so such text is an invalid
//! record; its reason said only "not an ISO-8601 date-time", where an integer in a record
//! says the unit its size suggests and the instant it would be (`fields`' integer hint).
//! This is that hint for text, on the way to the error only.
//!
//! The unit is guessed by the integer part's size, as for integers (seconds below 1e11,
//! milliseconds below 1e14, microseconds below 1e17, else nanoseconds); a fraction
//! (`1764547200.25`, as `time.time()` writes) is floored to the microsecond, as
//! `timeparse` floors a fraction of a second. Negative numbers and other text get no hint.

use jiff::tz::Offset;
use jiff::Timestamp;

/// " (text of a number is no timestamp: as epoch seconds, this one is
/// 2025-12-01T00:00:00+00:00)" for `text` that is a non-negative decimal number (surrounding
/// whitespace aside) whose instant lies in the years 1971-9999; for the digits of a date
/// written without separators (`compact_date_time`), that date as ISO-8601; "" otherwise.
///
/// An instant of 1970 gets no hint: no epoch value of a recent time lies there, and the
/// numbers that do are a year ("2026", 33 minutes after the epoch) or a date's digits
/// ("20260101", which would read as 1970-08-23).
pub fn epoch_text_hint(text: &str) -> String {
    let number = text.trim();
    if let Some(iso) = compact_date_time(number) {
        return format!(" (a date written without separators is not read: as ISO-8601, {iso})");
    }
    match instant_of_number(number) {
        Some((unit, shown)) if !shown.starts_with("1970-") => {
            format!(" (text of a number is no timestamp: as epoch {unit}, this one is {shown})")
        }
        _ => String::new(),
    }
}

/// `digits` as ISO-8601 where they are a valid date and time without separators:
/// YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS (ISO-8601's basic form without its "T", as
/// spreadsheets and logs write it), else None. (No epoch value of the years 1973-2500 has
/// 8, 12 or 14 digits in the unit its size gives it, so these lengths are a date's.)
fn compact_date_time(digits: &str) -> Option<String> {
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let part = |at: usize, len: usize| digits[at..at + len].parse::<i32>().ok();
    let (year, month, day) = (part(0, 4)?, part(4, 2)?, part(6, 2)?);
    let date = jiff::civil::Date::new(year as i16, month as i8, day as i8).ok()?;
    if year < 1 {
        return None;
    }
    let date = date.to_string();
    if digits.len() == 8 {
        return Some(date);
    }
    let (hour, minute) = (part(8, 2)?, part(10, 2)?);
    let second = if digits.len() == 14 { part(12, 2)? } else { 0 };
    jiff::civil::Time::new(hour as i8, minute as i8, second as i8, 0).ok()?;
    Some(format!("{date}T{hour:02}:{minute:02}:{second:02}"))
}

/// The unit a non-negative epoch integer `n` looks like written in, by its size (seconds
/// below 1e11, milliseconds below 1e14, microseconds below 1e17, else nanoseconds), and
/// the power of ten of that unit in a second: the one rule of the hints for integers
/// (`fields`) and for the text of numbers.
pub fn epoch_unit(n: i64) -> (&'static str, i32) {
    match n {
        ..=99_999_999_999 => ("seconds", 0),
        100_000_000_000..=99_999_999_999_999 => ("milliseconds", 3),
        100_000_000_000_000..=99_999_999_999_999_999 => ("microseconds", 6),
        _ => ("nanoseconds", 9),
    }
}

/// The unit `number` looks like and its instant as Python's `isoformat` writes it.
fn instant_of_number(number: &str) -> Option<(&'static str, String)> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    // (Over 19 digits: no instant.)
    let n: i64 = whole.parse().ok()?;
    // The unit and its fraction digits that are whole microseconds (µs per unit = 10^k).
    let (unit, per_second) = epoch_unit(n);
    let micro_digits = 6 - per_second;
    let micros = if micro_digits < 0 {
        n / 1_000
    } else {
        let scale = 10_i64.pow(micro_digits as u32);
        let digits: String = fraction
            .chars()
            .chain("000000".chars())
            .take(micro_digits as usize)
            .collect();
        let part: i64 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
        n.checked_mul(scale)?.checked_add(part)?
    };
    let civil = Offset::UTC.to_datetime(Timestamp::from_microsecond(micros).ok()?);
    if civil.year() > 9999 {
        return None;
    }
    let micro = civil.subsec_nanosecond() / 1_000;
    let fraction = if micro == 0 {
        String::new()
    } else {
        format!(".{micro:06}")
    };
    let shown = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}+00:00",
        civil.year(),
        civil.month(),
        civil.day(),
        civil.hour(),
        civil.minute(),
        civil.second()
    );
    Some((unit, shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_by_size_as_for_integers() {
        let hint = |text| instant_of_number(text).map(|(unit, shown)| format!("{unit} {shown}"));
        assert_eq!(hint("1764547200").as_deref(), Some("seconds 2025-12-01T00:00:00+00:00"));
        assert_eq!(hint("0").as_deref(), Some("seconds 1970-01-01T00:00:00+00:00"));
        assert_eq!(
            hint("1764547200123").as_deref(),
            Some("milliseconds 2025-12-01T00:00:00.123000+00:00")
        );
        assert_eq!(
            hint("1764547200123456").as_deref(),
            Some("microseconds 2025-12-01T00:00:00.123456+00:00")
        );
        assert_eq!(
            hint("1764547200123456789").as_deref(),
            Some("nanoseconds 2025-12-01T00:00:00.123456+00:00")
        );
    }

    #[test]
    fn fractions_floored_to_the_microsecond() {
        let shown = |text| instant_of_number(text).map(|(_, shown)| shown);
        assert_eq!(
            shown("1764547200.25").as_deref(),
            Some("2025-12-01T00:00:00.250000+00:00")
        );
        assert_eq!(
            shown("1764547200.1234569").as_deref(),
            Some("2025-12-01T00:00:00.123456+00:00")
        );
        assert_eq!(
            shown("1764547200123.9").as_deref(),
            Some("2025-12-01T00:00:00.123900+00:00")
        );
        assert_eq!(shown("1764547200.").as_deref(), Some("2025-12-01T00:00:00+00:00"));
    }

    #[test]
    fn other_text_gets_no_hint() {
        for text in [
            "",
            ".5",
            "-5",
            "+5",
            "1e9",
            "12:00",
            "2026",
            "1 000",
            "99999999999999999999",
            "1.2.3",
        ] {
            let expected = if text == "2026" { "seconds" } else { "" };
            let unit = instant_of_number(text).map_or("", |(unit, _)| unit);
            assert_eq!(unit, expected, "{text:?}");
        }
        assert_eq!(epoch_text_hint("2026-01-05"), "");
        // A year, or a small number, lies in 1970: no epoch value of today does.
        assert_eq!(epoch_text_hint("2026"), "");
        assert_eq!(epoch_text_hint("0"), "");
        assert_eq!(epoch_text_hint("31535999"), ""); // (1970-12-31T23:59:59)
        assert!(epoch_text_hint("31536000").contains("1971-01-01T00:00:00+00:00"));
        assert_eq!(
            epoch_text_hint(" 1764547200 "),
            " (text of a number is no timestamp: as epoch seconds, this one is 2025-12-01T00:00:00+00:00)"
        );
    }

    #[test]
    fn digits_of_a_date_are_shown_as_its_date() {
        let shown = |text| compact_date_time(text);
        assert_eq!(shown("20260101").as_deref(), Some("2026-01-01"));
        assert_eq!(shown("202601011030").as_deref(), Some("2026-01-01T10:30:00"));
        assert_eq!(shown("20260101103059").as_deref(), Some("2026-01-01T10:30:59"));
        assert_eq!(shown("20240229").as_deref(), Some("2024-02-29"));
        // Not a date: an epoch value of another length, a month 13, February 30, hour 24,
        // second 60, year 0, signs and fractions.
        for text in [
            "1764547200",
            "1764547200123",
            "20261301",
            "20250229",
            "202601012400",
            "20260101235960",
            "00000101",
            "+2026010",
            "2026010.",
        ] {
            assert_eq!(shown(text), None, "{text:?}");
        }
        assert_eq!(
            epoch_text_hint(" 20260101 "),
            " (a date written without separators is not read: as ISO-8601, 2026-01-01)"
        );
    }
}
