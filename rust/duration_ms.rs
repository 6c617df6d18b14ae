//! Durations as execution times: a duration of N units is N * (milliseconds per unit),
//! exactly, rounded once to a double (N / 1e6 for nanoseconds, N * 1e3 for seconds).
//!
//! An Arrow `duration` column of any unit (pyarrow, polars' `Duration`, pandas' and numpy's
//! `timedelta64` once converted), a record's `datetime.timedelta`, pandas `Timedelta` or
//! numpy `timedelta64` all read as the float milliseconds they are. `td.total_seconds() *
//! 1000` would round twice (the seconds, then the product), and `count as f64 / 1e6`
//! rounds the count first past 2^53: both can move the last bit, and the same records must
//! give the same analytics whatever their form.
//!
//! An Arrow `month_day_nano_interval` (DuckDB's `INTERVAL`, which `end - start` gives
//! there) is its days as 86,400 s each plus its nanoseconds, as DuckDB's own `epoch()` and
//! its conversions to Python and pandas read it; one with months has no fixed length (a
//! month is 28 to 31 days) and is refused, a record's error.

use arrow_schema::TimeUnit;

use crate::exact_ratio::ratio_wide;

/// Milliseconds per unit, as the ratio `num / den`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit {
    num: i128,
    den: u64,
}

pub const NANOSECONDS: Unit = Unit { num: 1, den: 1_000_000 };
pub const MICROSECONDS: Unit = Unit { num: 1, den: 1_000 };
pub const MILLISECONDS: Unit = Unit { num: 1, den: 1 };
pub const SECONDS: Unit = Unit { num: 1_000, den: 1 };

/// Microseconds per day, as `datetime.timedelta` counts them.
const MICROS_PER_DAY: i128 = 86_400_000_000;
/// Nanoseconds per day of an interval, as DuckDB's `epoch(interval)` counts them.
const NANOS_PER_DAY: i128 = 86_400_000_000_000;

impl Unit {
    pub fn of_arrow(unit: TimeUnit) -> Unit {
        match unit {
            TimeUnit::Second => SECONDS,
            TimeUnit::Millisecond => MILLISECONDS,
            TimeUnit::Microsecond => MICROSECONDS,
            TimeUnit::Nanosecond => NANOSECONDS,
        }
    }

    /// A numpy `timedelta64` unit (`numpy.datetime_data`: its name and a multiplier, as
    /// in "250ms"); None for months and years (no fixed length), the generic unit and
    /// unknown names, or a multiplier that is not positive or would overflow.
    pub fn of_numpy(name: &str, count: i64) -> Option<Unit> {
        let (num, den): (i128, u64) = match name {
            "W" => (604_800_000, 1),
            "D" => (86_400_000, 1),
            "h" => (3_600_000, 1),
            "m" => (60_000, 1),
            "s" => (1_000, 1),
            "ms" => (1, 1),
            "us" => (1, 1_000),
            "ns" => (1, 1_000_000),
            "ps" => (1, 1_000_000_000),
            "fs" => (1, 1_000_000_000_000),
            "as" => (1, 1_000_000_000_000_000),
            _ => return None,
        };
        if count <= 0 {
            return None;
        }
        Some(Unit {
            num: num.checked_mul(i128::from(count))?,
            den,
        })
    }
}

/// `count` units in milliseconds, rounded once; None where `count * num` passes 128 bits
/// (never for a 64-bit count of a unit of at most a week times 2^31).
pub fn millis(count: i128, unit: Unit) -> Option<f64> {
    Some(ratio_wide(count.checked_mul(unit.num)?, unit.den))
}

/// A `datetime.timedelta`'s fields (days, seconds in [0, 86400), microseconds in
/// [0, 1e6)) as its exact count of microseconds (past 64 bits for the largest).
pub fn timedelta_micros(days: i64, seconds: i64, microseconds: i64) -> i128 {
    i128::from(days) * MICROS_PER_DAY + i128::from(seconds) * 1_000_000 + i128::from(microseconds)
}

/// The repr Python gives the `datetime.timedelta` of `micros` microseconds
/// ("datetime.timedelta(days=-1, seconds=86395)"), as a record holding that value shows
/// it; None beyond a timedelta's range (999,999,999 days either way).
pub fn timedelta_repr(micros: i128) -> Option<String> {
    let days = micros.div_euclid(MICROS_PER_DAY);
    if days.unsigned_abs() > 999_999_999 {
        return None;
    }
    let rest = micros.rem_euclid(MICROS_PER_DAY);
    let (seconds, microseconds) = (rest / 1_000_000, rest % 1_000_000);
    let parts: Vec<String> = [("days", days), ("seconds", seconds), ("microseconds", microseconds)]
        .into_iter()
        .filter(|&(_, value)| value != 0)
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let fields = if parts.is_empty() {
        "0".to_owned()
    } else {
        parts.join(", ")
    };
    Some(format!("datetime.timedelta({fields})"))
}

/// How a bad duration of `count` Arrow `unit`s is shown: as the `datetime.timedelta` that
/// `to_pylist` and a record give for it where it is one (a whole number of microseconds in
/// a timedelta's range), else as the count and its unit ("-5 ns").
pub fn arrow_duration_repr(count: i64, unit: TimeUnit) -> String {
    let micros = match unit {
        TimeUnit::Second => Some(i128::from(count) * 1_000_000),
        TimeUnit::Millisecond => Some(i128::from(count) * 1_000),
        TimeUnit::Microsecond => Some(i128::from(count)),
        TimeUnit::Nanosecond => (count % 1_000 == 0).then(|| i128::from(count / 1_000)),
    };
    micros.and_then(timedelta_repr).unwrap_or_else(|| {
        let name = match unit {
            TimeUnit::Second => "s",
            TimeUnit::Millisecond => "ms",
            TimeUnit::Microsecond => "us",
            TimeUnit::Nanosecond => "ns",
        };
        format!("{count} {name}")
    })
}

/// A month-day-nano interval (DuckDB's INTERVAL; pyarrow's `MonthDayNano`) in
/// milliseconds, rounded once, or why it has none: one with months has no fixed length.
/// (Its fields are i32, i32 and i64 in Arrow; a record's `MonthDayNano` is a named tuple
/// whose ints may be anything within 64 bits: the sum fits 128 bits either way.)
pub fn interval_millis(months: i64, days: i64, nanoseconds: i64) -> Result<f64, String> {
    if months != 0 {
        return Err(format!(
            "must be a duration of a fixed length (an interval without months), got months={months}"
        ));
    }
    let nanos = i128::from(days) * NANOS_PER_DAY + i128::from(nanoseconds);
    millis(nanos, NANOSECONDS).ok_or_else(|| "is too large a duration".to_owned())
    // (never: `num` is 1)
}

/// How an interval is shown: as pyarrow's `MonthDayNano` shows it (what `to_pylist`, and
/// so a record, holds for it).
pub fn interval_repr(months: i64, days: i64, nanoseconds: i64) -> String {
    format!("MonthDayNano(months={months}, days={days}, nanoseconds={nanoseconds})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_unit_is_its_milliseconds_rounded_once() {
        assert_eq!(millis(1, NANOSECONDS), Some(1e-6));
        assert_eq!(millis(1_500, MICROSECONDS), Some(1.5));
        assert_eq!(millis(-5, MILLISECONDS), Some(-5.0));
        assert_eq!(millis(7, SECONDS), Some(7_000.0));
        // Python's `n / 10**6` (`float(n) / 1e6` differs in the last bit).
        let n: i64 = 1_220_952_362_983_791_434;
        assert_eq!(millis(i128::from(n), NANOSECONDS), Some(1_220_952_362_983.791_5));
        assert_ne!(n as f64 / 1e6, 1_220_952_362_983.791_5);
        // The largest counts of every Arrow unit are finite.
        for unit in [
            TimeUnit::Second,
            TimeUnit::Millisecond,
            TimeUnit::Microsecond,
            TimeUnit::Nanosecond,
        ] {
            for count in [i64::MAX, i64::MIN] {
                let ms = millis(i128::from(count), Unit::of_arrow(unit)).expect("fits");
                assert!(ms.is_finite(), "{count} {unit:?}");
            }
        }
        assert_eq!(millis(i128::from(i64::MAX), SECONDS), Some(9.223_372_036_854_776e21));
    }

    #[test]
    fn numpy_units_with_multipliers() {
        assert_eq!(Unit::of_numpy("ms", 250), Some(Unit { num: 250, den: 1 }));
        assert_eq!(millis(3, Unit::of_numpy("D", 1).expect("a unit")), Some(259_200_000.0));
        assert_eq!(millis(5, Unit::of_numpy("ps", 2).expect("a unit")), Some(1e-8));
        assert_eq!(millis(1, Unit::of_numpy("as", 1).expect("a unit")), Some(1e-15));
        assert_eq!(Unit::of_numpy("M", 1), None);
        assert_eq!(Unit::of_numpy("Y", 1), None);
        assert_eq!(Unit::of_numpy("generic", 1), None);
        assert_eq!(Unit::of_numpy("s", 0), None);
        let huge = Unit::of_numpy("W", i64::MAX).expect("a unit");
        assert_eq!(millis(i128::from(i64::MAX), huge), None); // (past 128 bits)
        assert!(millis(i128::from(i64::MIN), Unit::of_numpy("W", 1).expect("a unit")).is_some_and(f64::is_finite));
    }

    #[test]
    fn timedelta_fields_and_reprs_as_python_gives_them() {
        // timedelta(days=-1, seconds=86395): -5 s.
        assert_eq!(timedelta_micros(-1, 86_395, 0), -5_000_000);
        assert_eq!(
            timedelta_micros(999_999_999, 86_399, 999_999),
            86_399_999_999_999_999_999
        );
        assert_eq!(
            timedelta_repr(-5_000_000).as_deref(),
            Some("datetime.timedelta(days=-1, seconds=86395)")
        );
        assert_eq!(
            timedelta_repr(-1).as_deref(),
            Some("datetime.timedelta(days=-1, seconds=86399, microseconds=999999)")
        );
        assert_eq!(timedelta_repr(0).as_deref(), Some("datetime.timedelta(0)"));
        assert_eq!(
            timedelta_repr(1_000).as_deref(),
            Some("datetime.timedelta(microseconds=1000)")
        );
        assert_eq!(timedelta_repr(-1_000_000_000 * MICROS_PER_DAY), None);
    }

    #[test]
    fn arrow_durations_show_as_their_timedelta_or_their_count() {
        assert_eq!(
            arrow_duration_repr(-5, TimeUnit::Millisecond),
            "datetime.timedelta(days=-1, seconds=86399, microseconds=995000)"
        );
        assert_eq!(arrow_duration_repr(-5, TimeUnit::Nanosecond), "-5 ns");
        assert_eq!(
            arrow_duration_repr(-5_000, TimeUnit::Nanosecond),
            "datetime.timedelta(days=-1, seconds=86399, microseconds=999995)"
        );
        assert_eq!(
            arrow_duration_repr(i64::MIN, TimeUnit::Second),
            format!("{} s", i64::MIN)
        );
    }

    #[test]
    fn intervals_are_days_of_86400_seconds_and_nanoseconds_without_months() {
        assert_eq!(interval_millis(0, 0, 1_500_000_000), Ok(1_500.0));
        assert_eq!(interval_millis(0, 2, 123_000), Ok(172_800_000.123));
        assert_eq!(interval_millis(0, 1, -1_000), Ok(86_399_999.999)); // ('1 day -1 microsecond')
        assert_eq!(interval_millis(0, 0, 1), Ok(1e-6));
        assert_eq!(interval_millis(0, -31, 0), Ok(-2_678_400_000.0)); // (refused as negative by the caller)
                                                                      // Rounded once: 2^53 + 1 ns past the days.
        assert_eq!(interval_millis(0, 0, 9_007_199_254_740_993), Ok(9_007_199_254.740_993));
        let largest = interval_millis(0, i64::from(i32::MAX), i64::MAX).expect("no months");
        assert_eq!(
            largest,
            ratio_wide(i128::from(i32::MAX) * NANOS_PER_DAY + i128::from(i64::MAX), 1_000_000)
        );
        assert!(interval_millis(0, i64::MIN, i64::MIN).is_ok_and(f64::is_finite));
        let why = interval_millis(1, 0, 0).unwrap_err();
        assert_eq!(
            why,
            "must be a duration of a fixed length (an interval without months), got months=1"
        );
        assert!(interval_millis(-2, 60, 0).unwrap_err().ends_with("got months=-2"));
        assert_eq!(
            interval_repr(0, -1, 5),
            "MonthDayNano(months=0, days=-1, nanoseconds=5)"
        );
    }
}
