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
/// whitespace aside) whose instant lies in the years 1970-9999; "" otherwise.
pub fn epoch_text_hint(text: &str) -> String {
    match instant_of_number(text.trim()) {
        Some((unit, shown)) => {
            format!(" (text of a number is no timestamp: as epoch {unit}, this one is {shown})")
        }
        None => String::new(),
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
    let (unit, micro_digits) = match n {
        0..=99_999_999_999 => ("seconds", 6),
        100_000_000_000..=99_999_999_999_999 => ("milliseconds", 3),
        100_000_000_000_000..=99_999_999_999_999_999 => ("microseconds", 0),
        _ => ("nanoseconds", -3),
    };
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
        assert_eq!(
            epoch_text_hint(" 1764547200 "),
            " (text of a number is no timestamp: as epoch seconds, this one is 2025-12-01T00:00:00+00:00)"
        );
    }
}
