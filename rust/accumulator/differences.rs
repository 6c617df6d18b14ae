//! What differs between two accumulators' settings, each setting named with both values
//! ("time zone (UTC vs Europe/Berlin)"): a data engineer merging states from two jobs
//! learns which setting and what each job had, not only that they differ.

use std::fmt::Debug;

use super::Accumulator;
use crate::civil::MICROS_PER_SECOND;

/// Every setting of `mine` that differs in `theirs`, as "name (mine vs theirs)", in the
/// order of the settings: window start and end (ISO-8601 UTC), bucket width (as Python
/// writes a timedelta), time zone, families, trend thresholds, exact budget, sketch
/// accuracy. The window type and granularity are not the core's settings: they differ
/// as the bucket width and families they give.
pub fn setting_differences(mine: &Accumulator, theirs: &Accumulator) -> Vec<String> {
    let mut differences = Vec::new();
    let mut differ = |name: &str, a: String, b: String| {
        if a != b {
            differences.push(format!("{name} ({a} vs {b})"));
        }
    };
    let (w, v) = (&mine.window, &theirs.window);
    differ("time_window_start", utc_text(w.start), utc_text(v.start));
    differ("time_window_end", utc_text(w.end), utc_text(v.end));
    differ("bucket_width", duration_text(w.width), duration_text(v.width));
    differ("timezone", mine.zone.name().to_owned(), theirs.zone.name().to_owned());
    let (f, g) = (mine.families, theirs.families);
    for (name, a, b) in [
        ("performance", f.performance, g.performance),
        ("trends", f.trends, g.trends),
        ("distribution", f.distribution, g.distribution),
        ("time_series", f.time_series, g.time_series),
        ("predictions", f.predictions, g.predictions),
    ] {
        differ(&format!("{name} family"), on_off(a), on_off(b));
    }
    let (t, u) = (mine.thresholds, theirs.thresholds);
    for (name, a, b) in [
        (
            "growing_velocity",
            number(t.growing_velocity),
            number(u.growing_velocity),
        ),
        (
            "declining_velocity",
            number(t.declining_velocity),
            number(u.declining_velocity),
        ),
        (
            "abandoned_velocity",
            number(t.abandoned_velocity),
            number(u.abandoned_velocity),
        ),
        (
            "abandoned_max_executions",
            number(t.abandoned_max_executions),
            number(u.abandoned_max_executions),
        ),
        (
            "emerging_max_executions",
            number(t.emerging_max_executions),
            number(u.emerging_max_executions),
        ),
        ("min_t_statistic", number(t.min_t_statistic), number(u.min_t_statistic)),
        ("recent_fraction", number(t.recent_fraction), number(u.recent_fraction)),
    ] {
        differ(&format!("trend_thresholds.{name}"), a, b);
    }
    let (d, e) = (&mine.durations, &theirs.durations);
    differ("exact_budget", budget_text(d.budget()), budget_text(e.budget()));
    differ(
        "relative_accuracy",
        number(d.relative_accuracy()),
        number(e.relative_accuracy()),
    );
    differences
}

/// An instant (epoch microseconds) as ISO-8601 UTC, its fraction only where it has one
/// ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000001Z").
fn utc_text(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros).map_or_else(|_| format!("{micros} us"), |t| t.to_string())
}

/// A duration (microseconds, positive) as Python's `str(timedelta)` writes it
/// ("6:00:00", "7 days, 0:00:00", "0:00:01.500000"), as the Python layer's settings hold it.
fn duration_text(micros: i64) -> String {
    const PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;
    let (days, rest) = (micros.div_euclid(PER_DAY), micros.rem_euclid(PER_DAY));
    let (seconds, fraction) = (rest / MICROS_PER_SECOND, rest % MICROS_PER_SECOND);
    let mut text = match days {
        0 => String::new(),
        1 | -1 => format!("{days} day, "),
        _ => format!("{days} days, "),
    };
    text += &format!("{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
    if fraction != 0 {
        text += &format!(".{fraction:06}");
    }
    text
}

fn on_off(on: bool) -> String {
    (if on { "on" } else { "off" }).to_owned()
}

/// A number as Rust's shortest round-trip form writes it (Python's repr for ordinary
/// floats: "0.5", "1.0").
fn number(value: impl Debug) -> String {
    format!("{value:?}")
}

/// `usize::MAX` is no budget: every execution time kept (a one-call reduction's).
fn budget_text(budget: usize) -> String {
    if budget == usize::MAX {
        "unlimited".to_owned()
    } else {
        budget.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_as_python_writes_a_timedelta() {
        let hour = 3_600 * MICROS_PER_SECOND;
        assert_eq!(duration_text(6 * hour), "6:00:00");
        assert_eq!(duration_text(24 * hour), "1 day, 0:00:00");
        assert_eq!(duration_text(7 * 24 * hour + 90 * MICROS_PER_SECOND), "7 days, 0:01:30");
        assert_eq!(duration_text(MICROS_PER_SECOND + 500_000), "0:00:01.500000");
        assert_eq!(duration_text(1), "0:00:00.000001");
    }

    #[test]
    fn instants_are_written_in_utc() {
        assert_eq!(utc_text(1_767_225_600_000_000), "2026-01-01T00:00:00Z");
        assert_eq!(utc_text(1_767_225_600_000_001), "2026-01-01T00:00:00.000001Z");
    }
}
