//! The reason a record's timestamp of no timestamp type is refused (an int, a float, a
//! bool, a list, ...), written from its parts and read back into them.
//!
//! `fields` writes it: "must be a datetime, a date, a numpy datetime64 or an ISO-8601
//! string, got int (a record's integer is no timestamp: only columnar input's are, as
//! epoch microseconds; as epoch seconds, this one is 2026-02-20T10:00:00+00:00)". A caller
//! that words it its own way (the command line, `cli.integer_timestamps`) reads the parts
//! back (`_core.no_timestamp_type`) rather than matching the words: the reason text is
//! all that an error sample, a stored state's sample or a pickled `InvalidRecordError`
//! carries, and reading it here, with the pieces it was written with, keeps the two
//! directions from parting when the wording changes (`a_reason_reads_back_as_written`).

use std::fmt::Write;

use pyo3::prelude::*;

/// What the reason says a timestamp must be, up to the value's type name.
const MUST_BE: &str = "must be a datetime, a date, a numpy datetime64 or an ISO-8601 string, got ";
/// What it says of an int (only columnar input's integers are timestamps, DESIGN.md).
const INTEGER_NOTE: &str = "a record's integer is no timestamp: only columnar input's are, as epoch microseconds";
/// Before the unit and the instant an int is in it, where they are shown.
const SHOWN_UNIT: &str = "; as epoch ";
const SHOWN_INSTANT: &str = ", this one is ";

/// The parts of the reason: the value's type name, whether it is an int (a subclass of
/// int other than bool: an `IntEnum`'s member too), and for an int the unit its size
/// suggests and its instant there (as Python's `isoformat` writes it), where shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoTimestampType {
    pub type_name: String,
    pub integer: bool,
    pub shown: Option<(String, String)>,
}

impl NoTimestampType {
    /// The reason as the library words it.
    pub fn reason(&self) -> String {
        let mut text = format!("{MUST_BE}{}", self.type_name);
        if self.integer {
            let _ = write!(text, " ({INTEGER_NOTE}");
            if let Some((unit, instant)) = &self.shown {
                let _ = write!(text, "{SHOWN_UNIT}{unit}{SHOWN_INSTANT}{instant}");
            }
            text.push(')');
        }
        text
    }

    /// The parts of `reason` where it is such a reason (as `reason` writes it), else None.
    /// (A type name that itself holds the integer note's words is read as an int's: no
    /// value of Python's or numpy's own types has one.)
    pub fn read(reason: &str) -> Option<NoTimestampType> {
        let rest = reason.strip_prefix(MUST_BE)?;
        let note_start = format!(" ({INTEGER_NOTE}");
        let Some((type_name, after)) = rest.rsplit_once(note_start.as_str()) else {
            return Some(NoTimestampType {
                type_name: rest.to_owned(),
                integer: false,
                shown: None,
            });
        };
        let after = after.strip_suffix(')')?;
        let shown = if after.is_empty() {
            None
        } else {
            let (unit, instant) = after.strip_prefix(SHOWN_UNIT)?.split_once(SHOWN_INSTANT)?;
            Some((unit.to_owned(), instant.to_owned()))
        };
        Some(NoTimestampType {
            type_name: type_name.to_owned(),
            integer: true,
            shown,
        })
    }
}

/// A reason's parts as `(type name, integer, unit, instant)` where it is such a reason
/// (`NoTimestampType::read`), else None: for Python (`errors.NoTimestampType`).
#[pyfunction]
#[pyo3(name = "no_timestamp_type")]
pub fn py_no_timestamp_type(reason: &str) -> Option<(String, bool, Option<String>, Option<String>)> {
    let parts = NoTimestampType::read(reason)?;
    let (unit, instant) = parts.shown.unzip();
    Some((parts.type_name, parts.integer, unit, instant))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(type_name: &str, integer: bool, shown: Option<(&str, &str)>) -> NoTimestampType {
        NoTimestampType {
            type_name: type_name.into(),
            integer,
            shown: shown.map(|(unit, instant)| (unit.into(), instant.into())),
        }
    }

    #[test]
    fn a_reason_reads_back_as_written() {
        for written in [
            parts("int", true, Some(("seconds", "2026-02-20T10:00:00+00:00"))),
            parts("int", true, Some(("nanoseconds", "2026-02-20T10:00:00.000001+00:00"))),
            parts("int", true, None),
            parts("Color", true, Some(("seconds", "1970-01-01T00:00:01+00:00"))),
            parts("float", false, None),
            parts("bool", false, None),
            parts("dict", false, None),
            parts("a (strange) name", false, None),
        ] {
            assert_eq!(NoTimestampType::read(&written.reason()), Some(written));
        }
    }

    /// The library's words, which its callers see (and the command's tests pin through it).
    #[test]
    fn the_reason_keeps_the_librarys_words() {
        assert_eq!(
            parts("int", true, Some(("seconds", "2026-02-20T10:00:00+00:00"))).reason(),
            "must be a datetime, a date, a numpy datetime64 or an ISO-8601 string, got int (a \
             record's integer is no timestamp: only columnar input's are, as epoch microseconds; \
             as epoch seconds, this one is 2026-02-20T10:00:00+00:00)"
        );
        assert_eq!(
            parts("int", true, None).reason(),
            "must be a datetime, a date, a numpy datetime64 or an ISO-8601 string, got int (a \
             record's integer is no timestamp: only columnar input's are, as epoch microseconds)"
        );
        assert_eq!(
            parts("float", false, None).reason(),
            "must be a datetime, a date, a numpy datetime64 or an ISO-8601 string, got float"
        );
    }

    #[test]
    fn other_reasons_are_not_read() {
        for reason in [
            "not an ISO-8601 date-time",
            "required field is missing",
            "must be a datetime, a date",
            // (The note cut short, or followed by words it never has.)
            "must be a datetime, a date, a numpy datetime64 or an ISO-8601 string, got int (a \
             record's integer is no timestamp: only columnar input's are, as epoch microseconds",
            "must be a datetime, a date, a numpy datetime64 or an ISO-8601 string, got int (a \
             record's integer is no timestamp: only columnar input's are, as epoch microseconds; \
             soon)",
        ] {
            assert_eq!(NoTimestampType::read(reason), None, "{reason}");
        }
    }
}
