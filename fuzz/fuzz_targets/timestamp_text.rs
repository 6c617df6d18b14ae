//! `timeparse::parse_iso_micros` on any text: never a panic, and every instant it gives is
//! the one (1) its own UTC form, written back and parsed again, gives and (2) jiff's
//! parser gives, wherever jiff reads the same text.
#![no_main]

use std::str::FromStr;

use _core::civil::{MICROS_PER_DAY, MICROS_PER_SECOND};
use _core::timeparse::parse_iso_micros;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(micros) = parse_iso_micros(text) else { return };
    if let Some(utc) = utc_text(micros) {
        assert_eq!(parse_iso_micros(&utc), Ok(micros), "{text:?} written back as {utc:?}");
    }
    if let Some(theirs) = jiff_micros(text.trim()) {
        assert_eq!(micros, theirs, "{text:?}: jiff reads another instant");
    }
});

/// `micros` as `YYYY-MM-DDTHH:MM:SS.ffffffZ` where its year has four digits.
fn utc_text(micros: i64) -> Option<String> {
    let (year, month, day) = civil_from_days(micros.div_euclid(MICROS_PER_DAY));
    if !(1..=9999).contains(&year) {
        return None;
    }
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    let (seconds, micro) = (of_day / MICROS_PER_SECOND, of_day % MICROS_PER_SECOND);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micro:06}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    ))
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`): written apart from the core's `days_from_civil`, its inverse.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The instant jiff reads in `text`, floored to the microsecond: a timestamp where the
/// text has an offset, else its civil date-time taken as UTC (as the core takes it).
fn jiff_micros(text: &str) -> Option<i64> {
    // jiff rounds an offset's fraction of a second to the second; the core keeps it to the
    // microsecond, as Python's `fromisoformat` does ("-05:53:28.5"): no oracle there.
    if offset_has_fraction(text) {
        return None;
    }
    let nanos = match Timestamp::from_str(text) {
        Ok(instant) => instant.as_nanosecond(),
        // (jiff's civil parser ignores an offset it reads: only text without one.)
        Err(_) if !has_offset(text) => {
            let civil = DateTime::from_str(text).ok()?;
            TimeZone::UTC.to_timestamp(civil).ok()?.as_nanosecond()
        }
        Err(_) => return None,
    };
    i64::try_from(nanos.div_euclid(1_000)).ok()
}

/// Whether anything after the date looks like an offset (`Z`, `+`, `-`).
fn has_offset(text: &str) -> bool {
    text.get(10..).is_some_and(|time| time.contains(['Z', 'z', '+', '-']))
}

/// Whether an offset after the date has a fraction of a second.
fn offset_has_fraction(text: &str) -> bool {
    let Some(time) = text.get(10..) else { return false };
    time.rfind(['+', '-'])
        .is_some_and(|sign| time[sign..].contains(['.', ',']))
}
