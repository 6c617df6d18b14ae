//! The request's time zone, for calendar fields (day, hour, weekday).
//!
//! UTC is a constant offset and costs nothing. Other zones look the offset up in jiff's
//! bundled tz database (the same on every platform); `OffsetCache` remembers the span
//! between two transitions, so sorted or clustered timestamps rarely search at all, and
//! the spans it has found, so unsorted ones search once per span.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::sync::Arc;

use crate::civil::MICROS_PER_SECOND;
use crate::error::CoreError;

#[derive(Clone, Debug)]
pub struct Zone {
    /// Shared: every accumulator of a batch holds a copy of its zone.
    name: Arc<str>,
    tz: Option<TimeZone>, // None = UTC
}

impl Zone {
    pub fn get(name: &str) -> Result<Zone, CoreError> {
        if name == "UTC" {
            return Ok(Zone {
                name: name.into(),
                tz: None,
            });
        }
        let tz = TimeZone::get(name).map_err(|_| CoreError::UnknownTimeZone(name.to_owned()))?;
        // jiff answers CLDR's "Etc/Unknown" (ICU's and Java's name for a zone that could
        // not be determined) with its UTC-like unknown zone: no IANA zone (zoneinfo
        // refuses it), and a caller whose zone was unknown would get UTC's calendar.
        if tz.is_unknown() {
            return Err(CoreError::UnknownTimeZone(name.to_owned()));
        }
        // The tzdb's own spelling: the lookup ignores case, but Python's `ZoneInfo` (and
        // any reader of the output's `timezone`) does not, and two spellings of one zone
        // would be two settings to a merge.
        let canonical = tz.iana_name().unwrap_or(name);
        Ok(Zone {
            name: canonical.into(),
            tz: Some(tz),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// jiff's zone; None for UTC.
    pub(crate) fn time_zone(&self) -> Option<&TimeZone> {
        self.tz.as_ref()
    }

    pub fn offsets(&self) -> OffsetCache<'_> {
        OffsetCache {
            tz: self.tz.as_ref(),
            lo: i64::MAX,
            hi: i64::MIN,
            offset: 0,
            known: Vec::new(),
        }
    }
}

/// Offset (microseconds) of the zone at a UTC instant, cached over the current
/// transition-free span `[lo, hi)`.
pub struct OffsetCache<'z> {
    tz: Option<&'z TimeZone>,
    lo: i64,
    hi: i64,
    offset: i64,
    /// The spans found so far, `(lo, hi, offset)`, disjoint and by start: unsorted
    /// instants go back and forth between a few spans, and each search of jiff's (about
    /// 100 ns) made 1M unsorted rows over six years in Europe/Berlin take 7x UTC's time.
    known: Vec<(i64, i64, i64)>,
}

/// The spans an `OffsetCache` keeps at most (a century of summer times); past them it
/// starts again.
const KNOWN_SPANS: usize = 256;

impl OffsetCache<'_> {
    #[inline]
    pub fn offset_at(&mut self, utc_micros: i64) -> i64 {
        let Some(tz) = self.tz else { return 0 };
        if utc_micros >= self.lo && utc_micros < self.hi {
            return self.offset;
        }
        self.refill(tz, utc_micros);
        self.offset
    }

    /// The UTC instants [lo, hi) over which the offset last returned holds.
    pub fn span(&self) -> (i64, i64) {
        match self.tz {
            None => (i64::MIN, i64::MAX),
            Some(_) => (self.lo, self.hi),
        }
    }

    #[cold]
    fn refill(&mut self, tz: &TimeZone, utc_micros: i64) {
        let at = self.known.partition_point(|&(lo, _, _)| lo <= utc_micros);
        if let Some(&(lo, hi, offset)) = at.checked_sub(1).and_then(|i| self.known.get(i)) {
            if utc_micros < hi {
                (self.lo, self.hi, self.offset) = (lo, hi, offset);
                return;
            }
        }
        self.search(tz, utc_micros);
        if self.hi.saturating_sub(self.lo) > 1 {
            if self.known.len() == KNOWN_SPANS {
                self.known.clear();
            }
            let at = self.known.partition_point(|&(lo, _, _)| lo < self.lo);
            self.known.insert(at, (self.lo, self.hi, self.offset));
        }
    }

    /// The span holding `utc_micros` and its offset, from jiff's tz database.
    fn search(&mut self, tz: &TimeZone, utc_micros: i64) {
        // Instants outside jiff's range clamp to its ends (year -9999 / 9999).
        let ts = Timestamp::from_microsecond(utc_micros).unwrap_or(if utc_micros < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        });
        self.offset = i64::from(tz.to_offset(ts).seconds()) * MICROS_PER_SECOND;
        // A transition exactly at `ts` already applies to it, so look back from ts + 1us.
        let after = ts.checked_add(jiff::SignedDuration::from_micros(1)).unwrap_or(ts);
        let mut last = tz.preceding(after).next().map(|t| t.timestamp());
        // The first transition after `last` (after `ts` without one), not after `ts`: the
        // same one call where `last` is right. Just past a zone's last tabled transition,
        // jiff 1.0's `preceding` gives the previous transition of the zone's POSIX rule,
        // which may come before it: after America/Metlakatla's 2019-01-20T10:00Z (-8 to
        // -9) it gave 2018-11-04, and the span held -9 over two months of -8 (an earlier
        // record read next got hour 0 for 1). Such transitions up to `ts` move `last`.
        let mut next = tz.following(last.unwrap_or(ts)).next().map(|t| t.timestamp());
        while let (Some(_), Some(early)) = (last, next) {
            if early > ts {
                break;
            }
            last = Some(early);
            next = tz.following(early).next().map(|t| t.timestamp());
        }
        self.lo = last.map_or(i64::MIN, |t| t.as_microsecond());
        self.hi = next.map_or(i64::MAX, |t| t.as_microsecond());
        if !(self.lo <= utc_micros && utc_micros < self.hi) {
            // Never cache a span that does not hold the instant itself.
            self.lo = utc_micros;
            self.hi = utc_micros.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::{civil_to_micros, MICROS_PER_HOUR};

    #[test]
    fn utc_has_no_offset() {
        let z = Zone::get("UTC").unwrap();
        assert_eq!(z.offsets().offset_at(123), 0);
    }

    #[test]
    fn new_york_switches_at_dst() {
        let z = Zone::get("America/New_York").unwrap();
        let mut cache = z.offsets();
        // 2026-03-08 07:00 UTC = 03:00 EDT, the first instant of DST.
        let switch = civil_to_micros(2026, 3, 8, 7, 0, 0, 0).unwrap();
        assert_eq!(cache.offset_at(switch - 1), -5 * MICROS_PER_HOUR);
        assert_eq!(cache.offset_at(switch), -4 * MICROS_PER_HOUR);
        assert_eq!(cache.offset_at(switch - 1), -5 * MICROS_PER_HOUR);
        assert_eq!(cache.offset_at(switch + MICROS_PER_HOUR), -4 * MICROS_PER_HOUR);
    }

    #[test]
    fn unknown_zone_is_an_error() {
        assert!(Zone::get("Mars/Olympus_Mons").is_err());
        assert!(Zone::get("Asia/Kolkata").is_ok());
        assert_eq!(Zone::get("europe/BERLIN").unwrap().name(), "Europe/Berlin");
    }

    #[test]
    fn a_span_starts_at_the_last_tabled_transition_before_it() {
        // America/Metlakatla's table ends with 2019-01-20T10:00Z (PST, -8, to AKST, -9);
        // its POSIX rule's previous transition is 2018-11-04.
        let z = Zone::get("America/Metlakatla").unwrap();
        let change = civil_to_micros(2019, 1, 20, 10, 0, 0, 0).unwrap();
        let mut cache = z.offsets();
        assert_eq!(cache.offset_at(change), -9 * MICROS_PER_HOUR);
        assert_eq!(cache.span().0, change);
        assert_eq!(cache.offset_at(change - 1), -8 * MICROS_PER_HOUR);
        assert_eq!(cache.span().1, change);
    }

    #[test]
    fn unsorted_instants_get_the_spans_a_fresh_search_gives() {
        // Instants back and forth over 1900-2100 (about 400 spans in a zone with summer
        // time: past `KNOWN_SPANS`, so the cache also starts again), each against a cache
        // that has found nothing yet.
        let (first, last) = (civil_to_micros(1900, 1, 1, 0, 0, 0, 0).unwrap(), 4_102_444_800_000_000);
        for name in [
            "Europe/Berlin",
            "America/Metlakatla",
            "Australia/Lord_Howe",
            "Asia/Kathmandu",
        ] {
            let zone = Zone::get(name).unwrap();
            let mut cache = zone.offsets();
            let mut state = 0x2545_f491_4f6c_dd1d_u64;
            for _ in 0..20_000 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let ts = first + (state % (last - first) as u64) as i64;
                let mut fresh = zone.offsets();
                fresh.offset_at(ts);
                // (And at the transitions around it, where a span begins and ends.)
                let (lo, hi) = fresh.span();
                for at in [ts, lo, hi.saturating_sub(1), hi] {
                    let mut fresh = zone.offsets();
                    assert_eq!(cache.offset_at(at), fresh.offset_at(at), "{name} at {at}");
                    assert_eq!(cache.span(), fresh.span(), "{name} at {at}");
                }
            }
            assert!(!cache.known.is_empty() && cache.known.len() <= KNOWN_SPANS);
        }
    }

    #[test]
    fn the_cldr_unknown_zone_is_an_error() {
        assert!(Zone::get("Etc/Unknown").is_err());
        assert!(Zone::get("etc/unknown").is_err());
    }
}
