//! A zone by any name (`Zone::get`), and its offsets at any instant and wall-clock time:
//! never a panic, and they agree. Input: an instant (8 bytes, little-endian microseconds),
//! then the zone's name.
//!
//! Within jiff's range of dates: each offset `offsets_of_local` gives for a wall-clock
//! time is the zone's offset at the instant that time less that offset; where it gives
//! one, `instant_of_local` gives that instant; `offset_at` holds over the span it names.
#![no_main]

use _core::zone::Zone;
use libfuzzer_sys::fuzz_target;

/// Wall-clock times within this of the epoch stay inside jiff's years -9999 to 9999 with
/// a day to spare on either side (about 8,000 years).
const WITHIN: i64 = 250_000_000_000_000_000;

fuzz_target!(|data: &[u8]| {
    let Some((at, name)) = data.split_first_chunk::<8>() else {
        return;
    };
    let Ok(name) = std::str::from_utf8(name) else { return };
    let Ok(zone) = Zone::get(name) else { return };
    assert_eq!(
        Zone::get(zone.name()).map(|z| z.name().to_owned()).ok().as_deref(),
        Some(zone.name())
    );
    let at = i64::from_le_bytes(*at);
    let mut offsets = zone.offsets();
    let offset = offsets.offset_at(at);
    let (lo, hi) = offsets.span();
    assert!(
        // (A half-open span ends at i64::MAX at most: i64::MAX itself gets the empty span
        // [MAX, MAX), which `offset_at` never takes as holding it, so looks it up afresh.)
        lo <= at && at < hi || (lo, hi) == (i64::MIN, i64::MAX) || (at, lo, hi) == (i64::MAX, at, at),
        "{name}: {at} outside its span {lo}..{hi}"
    );
    let _ = zone.instant_of_local(at);
    let _ = zone.offsets_of_local(at);
    if !(-WITHIN..=WITHIN).contains(&at) {
        return;
    }
    assert!(
        offset.unsigned_abs() < 86_400_000_000,
        "{name}: offset {offset} at {at}"
    );
    let local = at;
    let found = zone.offsets_of_local(local);
    for &o in &found {
        assert_eq!(
            zone.offsets().offset_at(local - o),
            o,
            "{name}: wall clock {local} at offset {o}"
        );
    }
    let (instant, o) = zone.instant_of_local(local);
    if let Some(&first) = found.first() {
        assert_eq!((instant, o), (local - first, first), "{name}: wall clock {local}");
    }
});
