//! ISO-8601 text to microseconds since the epoch.
//!
//! Accepted (surrounding whitespace ignored): `YYYY-MM-DD`, optionally followed by `T`,
//! `t` or a space and `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f` (or `,f`: 1 to 9 fraction digits,
//! floored to the microsecond), then, after a time only, optionally `Z`, `z`, `+HH`,
//! `+HHMM`, `+HH:MM`, `+HHMMSS` or `+HH:MM:SS`, the seconds optionally with a fraction as
//! above (or `-`; at most 23:59:59.999999). Offsets with seconds are what
//! `datetime.isoformat()` writes for historic zones (Amsterdam's `+00:19:32` before 1937).
//! With an offset the text is that instant; without one it is a civil date-time taken as
//! UTC, as DESIGN.md says of naive datetimes. Everything else, including RFC 9557 zone
//! annotations (`[Europe/Paris]`), is rejected, as Python's `datetime.fromisoformat`
//! rejects it. (Python also takes minutes or seconds of 60 in an offset; they are refused
//! here as out of range.)
//!
//! Hand-written rather than jiff's parser: jiff's `Timestamp` stops a day short of
//! 9999-12-31T23:59:59.999999, which Python datetimes (and so records) can hold, and a
//! fixed-format scanner is also several times faster on this hot path.

use crate::civil::{civil_to_micros, MICROS_PER_SECOND};

const REASON: &str = "not an ISO-8601 date-time (e.g. 2026-01-05T10:00:00Z)";

/// Parse `text` or say why not.
pub fn parse_iso_micros(text: &str) -> Result<i64, &'static str> {
    let mut s = Scanner {
        b: text.trim().as_bytes(),
        i: 0,
    };
    let year = s.digits(4)?;
    s.expect(b'-')?;
    let month = s.digits(2)?;
    s.expect(b'-')?;
    let day = s.digits(2)?;
    let (mut hour, mut minute, mut second, mut micro) = (0, 0, 0, 0);
    let has_time = matches!(s.peek(), Some(b'T' | b't' | b' '));
    if has_time {
        s.i += 1;
        hour = s.digits(2)?;
        s.expect(b':')?;
        minute = s.digits(2)?;
        if s.peek() == Some(b':') {
            s.i += 1;
            second = s.digits(2)?;
            if matches!(s.peek(), Some(b'.' | b',')) {
                s.i += 1;
                micro = s.fraction_micros()?;
            }
        }
    }
    // An offset only follows a time ("2026-01-05-10:00" is not a date with an offset).
    let offset = if has_time { s.offset_micros()? } else { 0 };
    if s.i != s.b.len() {
        return Err(REASON);
    }
    if year == 0 {
        // (Python's `fromisoformat` refuses year 0; the proleptic calendar here has one.)
        return Err("is not a valid date-time (a field is out of range)");
    }
    let local = civil_to_micros(i64::from(year), month, day, hour, minute, second, micro)
        .ok_or("is not a valid date-time (a field is out of range)")?;
    Ok(local - offset)
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), &'static str> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(REASON)
        }
    }

    fn digits(&mut self, n: usize) -> Result<u32, &'static str> {
        let end = self.i + n;
        let part = self.b.get(self.i..end).ok_or(REASON)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(REASON);
        }
        self.i = end;
        Ok(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    /// 1 to 9 digits after the decimal point, floored to microseconds.
    fn fraction_micros(&mut self) -> Result<u32, &'static str> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        let digits = &self.b[start..self.i];
        if digits.is_empty() || digits.len() > 9 {
            return Err(REASON);
        }
        let micros = digits
            .iter()
            .chain(std::iter::repeat(&b'0'))
            .take(6)
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'));
        Ok(micros)
    }

    /// Offset east of UTC in microseconds (0 without one). The basic (`+HHMMSS`) and
    /// extended (`+HH:MM:SS`) forms are not mixed, as Python does not mix them.
    fn offset_micros(&mut self) -> Result<i64, &'static str> {
        let sign = match self.peek() {
            Some(b'Z' | b'z') => {
                self.i += 1;
                return Ok(0);
            }
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Ok(0),
        };
        self.i += 1;
        let hours = self.digits(2)?;
        let extended = self.peek() == Some(b':');
        let (minutes, seconds, micro) = match self.offset_part(extended)? {
            None => (0, 0, 0),
            Some(minutes) => match self.offset_part(extended)? {
                None => (minutes, 0, 0),
                Some(seconds) => {
                    let micro = if matches!(self.peek(), Some(b'.' | b',')) {
                        self.i += 1;
                        self.fraction_micros()?
                    } else {
                        0
                    };
                    (minutes, seconds, micro)
                }
            },
        };
        if hours > 23 || minutes > 59 || seconds > 59 {
            return Err("has an offset out of range (at most ±23:59:59.999999)");
        }
        let whole = i64::from(hours * 3600 + minutes * 60 + seconds);
        Ok(sign * (whole * MICROS_PER_SECOND + i64::from(micro)))
    }

    /// The next two digits of an offset (after a `:` in the extended form), if any.
    fn offset_part(&mut self, extended: bool) -> Result<Option<u32>, &'static str> {
        match self.peek() {
            Some(b':') if extended => {
                self.i += 1;
                self.digits(2).map(Some)
            }
            Some(c) if c.is_ascii_digit() && !extended => self.digits(2).map(Some),
            _ => Ok(None),
        }
    }
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
        assert_eq!(parse_iso_micros("2026-01-05T15:00+05"), Ok(want));
        assert_eq!(parse_iso_micros(" 2026-01-05t10:00:00Z "), Ok(want));
    }

    #[test]
    fn fractions_floor_to_microseconds() {
        let base = utc(2026, 1, 5, 10, 0, 0, 0);
        assert_eq!(parse_iso_micros("2026-01-05T10:00:00.123456789Z"), Ok(base + 123_456));
        assert_eq!(parse_iso_micros("2026-01-05T10:00:00.5"), Ok(base + 500_000));
        assert_eq!(parse_iso_micros("1969-12-31T23:59:59.9999999Z"), Ok(-1));
    }

    #[test]
    fn offsets_with_seconds_as_isoformat_writes_them() {
        let want = utc(2026, 1, 5, 10, 0, 0, 0);
        let east = 5 * 3_600_000_000 + 53 * 60_000_000 + 28 * 1_000_000;
        assert_eq!(parse_iso_micros("2026-01-05T10:00:00+05:53:28"), Ok(want - east));
        assert_eq!(parse_iso_micros("2026-01-05T10:00:00+055328"), Ok(want - east));
        assert_eq!(parse_iso_micros("2026-01-05T10:00+05:53:28"), Ok(want - east));
        assert_eq!(
            parse_iso_micros("2026-01-05T10:00:00-05:53:28.5"),
            Ok(want + east + 500_000)
        );
        assert_eq!(
            parse_iso_micros("2026-01-05T10:00:00+05:53:28,1234567"),
            Ok(want - east - 123_456)
        );
        assert_eq!(
            parse_iso_micros("2026-01-05T10:00:00+23:59:59.999999"),
            Ok(want - 86_400_000_000 + 1)
        );
        for bad in [
            "2026-01-05T10:00:00+0553:28",
            "2026-01-05T10:00:00+05:5328",
            "2026-01-05T10:00:00+05:53:",
            "2026-01-05T10:00:00+05:53:2",
            "2026-01-05T10:00:00+05:53:60",
            "2026-01-05T10:00:00+05:53:28.",
            "2026-01-05T10:00:00+05:53.5",
            "2026-01-05T10:00:00+05:53:28Z",
        ] {
            assert!(parse_iso_micros(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn year_zero_is_refused_as_python_refuses_it() {
        // (Found by fuzzing against Python: "0000-12-31T23:00:00-05:00" was year 1.)
        for text in ["0000-12-31T23:00:00-05:00", "0000-02-29", "0000-01-01T00:00:00Z"] {
            assert!(parse_iso_micros(text).is_err(), "{text}");
        }
        assert!(parse_iso_micros("0001-01-01T00:00:00Z").is_ok());
    }

    #[test]
    fn full_python_range() {
        assert_eq!(
            parse_iso_micros("9999-12-31T23:59:59.999999Z"),
            Ok(utc(9999, 12, 31, 23, 59, 59, 999_999))
        );
        assert_eq!(parse_iso_micros("0001-01-01"), Ok(utc(1, 1, 1, 0, 0, 0, 0)));
        // An offset may carry an instant past the civil range; it is still exact.
        assert_eq!(
            parse_iso_micros("9999-12-31T23:00:00-05:00"),
            Ok(utc(9999, 12, 31, 23, 0, 0, 0) + 5 * 3_600_000_000)
        );
    }

    #[test]
    fn garbage_is_an_error() {
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-02-30T00:00:00Z",
            "12:00",
            "2026-01-10T10:00:00[America/New_York]",
            "2026-01-05T10:00:00+24:00",
            "2026-01-05T10",
            "2026-01-05T10:00:00.",
            "2026-01-05T10:00:00.1234567890",
            "20260105",
            "2026-01-05-10:01",
            "2026-01-05Z",
        ] {
            assert!(parse_iso_micros(bad).is_err(), "{bad:?} parsed");
        }
    }
}
