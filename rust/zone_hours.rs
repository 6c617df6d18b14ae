//! The UTC offsets of datetimes in a `zoneinfo.ZoneInfo` zone (Europe/Berlin, say), kept
//! by local hour.
//!
//! A zone's offset for a local time and fold changes only at the zone's transitions, which
//! tzdata keeps days apart (on the clock, 3 days 23 hours at the closest, Freetown's in
//! 1939: `tests/test_zone_times.py` checks every zone). So an hour whose first and
//! last microsecond have the same offset has it throughout, and that offset serves every
//! datetime of the hour: the zone is asked twice per hour (and fold) a call meets, not
//! once per datetime (about 1 µs each). An hour holding a transition is not kept: its
//! datetimes are asked one by one, as before.
//!
//! That premise is tzdata's, not every TZif file's: `ZoneInfo.from_file` reads any file,
//! and one made by hand may change its offset twice within an hour (away at 12:10 UTC
//! and back at 12:40, say), so that the hour's ends agree and its middle does not. So
//! only a zone with a `key` is kept by hour: one `ZoneInfo(key)` read from the time
//! zone database, or a file given with a key, which is the caller's claim that it is
//! the database's zone of that name (its hours are kept as such, whatever the file
//! holds). A zone whose `key` is None (`from_file` without one) is asked for each
//! datetime's offset, as other tzinfo types are. The key is read once per zone a call
//! meets.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rustc_hash::FxHashMap;

use crate::civil::MICROS_PER_HOUR;
use crate::fields::note_interrupt;

/// Hours kept at most (7 years of one zone's), and zones met at most. Past them, a call's
/// datetimes of hours (or zones) not kept are asked one by one: the cache is never emptied
/// during a call, as the reader lets go of no reference while a record is read (rule 1 of
/// `pyfast`).
const MAX_HOURS: usize = 1 << 16;

/// One hour of a zone: the zone's address, the hour's local start in hours since the
/// epoch, and the fold (which picks the offset of a time the clocks show twice).
type HourKey = (usize, i64, bool);

#[derive(Default)]
pub struct ZoneHours<'py> {
    /// The zones met, by address, each with whether it has a key (whether its hours are
    /// kept), held so that no other object takes an address while it is a key. (A map,
    /// not a list searched per new zone: records whose every zone is an object of its
    /// own, `ZoneInfo.no_cache` ones unpickled, would make that search quadratic.)
    zones: FxHashMap<usize, (Bound<'py, PyAny>, bool)>,
    /// The offset in microseconds of each hour met, or None for an hour holding a
    /// transition (or one the zone failed to answer for).
    offsets: FxHashMap<HourKey, Option<i64>>,
}

/// The civil fields of a local hour's start.
pub struct LocalHour {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
}

impl<'py> ZoneHours<'py> {
    /// The offset of `zone` at local time `local` (microseconds since the epoch, in the
    /// local hour `at`) and `fold`, when the whole hour has one and the zone has a key;
    /// None otherwise. `offset_of` asks the zone for a datetime's offset.
    pub fn offset(
        &mut self,
        datetime: &Bound<'py, PyAny>,
        zone: &Bound<'py, PyAny>,
        at: &LocalHour,
        local: i64,
        fold: bool,
        mut offset_of: impl FnMut(&Bound<'py, PyAny>) -> Option<i64>,
    ) -> Option<i64> {
        let key = (zone.as_ptr() as usize, local.div_euclid(MICROS_PER_HOUR), fold);
        if let Some(offset) = self.offsets.get(&key) {
            return *offset;
        }
        if self.offsets.len() >= MAX_HOURS {
            return None;
        }
        let keyed = match self.zones.get(&key.0) {
            Some((_, keyed)) => *keyed,
            None if self.zones.len() >= MAX_HOURS => return None, // (keyless zones held)
            None => {
                // (An address held is its object's: no other object can have it meanwhile.)
                let keyed = Self::has_key(zone);
                self.zones.insert(key.0, (zone.clone(), keyed));
                keyed
            }
        };
        if !keyed {
            return None;
        }
        let py = zone.py();
        let mut ask = |minute: u32, second: u32, micro: u32| {
            let args = (at.year, at.month, at.day, at.hour, minute, second, micro, zone);
            let kwargs = PyDict::new(py);
            let made = kwargs
                .set_item(intern!(py, "fold"), u8::from(fold))
                .and_then(|()| datetime.call(args, Some(&kwargs)));
            offset_of(&made.map_err(|error| note_interrupt(py, error)).ok()?)
        };
        let offset = match (ask(0, 0, 0), ask(59, 59, 999_999)) {
            (Some(first), Some(last)) if first == last => Some(first),
            _ => None,
        };
        self.offsets.insert(key, offset);
        offset
    }

    /// Whether `zone` (an exact `ZoneInfo`) has a key: `key` is not None. (In the C
    /// `zoneinfo`, a read-only member of an immutable type; in its pure-Python fallback,
    /// a property of the same. A failure counts as no key.)
    fn has_key(zone: &Bound<'py, PyAny>) -> bool {
        let py = zone.py();
        match zone.getattr(intern!(py, "key")) {
            Ok(key) => !key.is_none(),
            Err(error) => {
                note_interrupt(py, error);
                false
            }
        }
    }
}
