//! ISO-8601 text to microseconds since the epoch.
//!
//! Parsing is jiff's (RFC 3339 / ISO 8601 / RFC 9557): a string with an offset (`Z` or
//! `+05:30`) is that instant; one without is a civil date-time taken as UTC, as DESIGN.md
//! says of naive datetimes. Sub-microsecond digits are floored to the microsecond.

use jiff::civil::DateTime;
use jiff::Timestamp;

/// Parse `text` or say why not.
pub fn parse_iso_micros(text: &str) -> Result<i64, &'static str> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(floor_micros(ts));
    }
    let civil: DateTime = text
        .parse()
        .map_err(|_| "not an ISO-8601 date-time (e.g. 2026-01-05T10:00:00Z)")?;
    let ts = civil
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map_err(|_| "date-time out of the supported range")?
        .timestamp();
    Ok(floor_micros(ts))
}

fn floor_micros(ts: Timestamp) -> i64 {
    // |nanoseconds| < 2^68 for jiff's range, so the quotient fits an i64.
    ts.as_nanosecond().div_euclid(1_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::civil_to_micros;

    fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, us: u32) -> i64 {
        civil_to_micros(y, mo, d, h, mi, s, us).unwrap()
    }

    #[test]
    fn zulu_offset_and_naive_forms() {
        let want = utc(2026, 1, 5, 10, 0, 0, 0);
        assert_eq!(parse_iso_micros("2026-01-05T10:00:00Z"), Ok(want));
        assert_eq!(parse_iso_micros("2026-01-05T10:00:00z"), Ok(want));
        assert_eq!(parse_iso_micros("2026-01-05T12:30:00+02:30"), Ok(want));
        assert_eq!(parse_iso_micros("2026-01-05T05:00:00-0500"), Ok(want));
        assert_eq!(parse_iso_micros("2026-01-05T10:00:00"), Ok(want));
        assert_eq!(parse_iso_micros("2026-01-05 10:00"), Ok(want));
        assert_eq!(parse_iso_micros("2026-01-05"), Ok(utc(2026, 1, 5, 0, 0, 0, 0)));
    }

    #[test]
    fn fractions_floor_to_microseconds() {
        let base = utc(2026, 1, 5, 10, 0, 0, 0);
        assert_eq!(parse_iso_micros("2026-01-05T10:00:00.123456789Z"), Ok(base + 123_456));
        assert_eq!(parse_iso_micros("2026-01-05T10:00:00.5"), Ok(base + 500_000));
        assert_eq!(parse_iso_micros("1969-12-31T23:59:59.9999999Z"), Ok(-1));
    }

    #[test]
    fn garbage_is_an_error() {
        for bad in ["", "yesterday", "2026-13-01", "2026-02-30T00:00:00Z", "12:00"] {
            assert!(parse_iso_micros(bad).is_err(), "{bad:?} parsed");
        }
    }
}
