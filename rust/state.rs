//! What a reduction accumulates into, and the streaming state built on it.
//!
//! A `Reduction` is one accumulator, one per pattern, or a ring of rolling buckets. A
//! `State` is a reduction that outlives one call (the public `UsageAccumulator`): the
//! records so far plus the ingest report. Updates are atomic: each one is read into a fresh
//! reduction, which is merged into the state only if the update is accepted.

use crate::accumulator::Accumulator;
use crate::batch_rolling::BatchRollingUpdate;
use crate::columns::Columns;
use crate::error::CoreError;
use crate::group::{GroupIndex, GroupedAccumulators};
use crate::ingest::IngestReport;
use crate::rolling::Rolling;
use crate::wire::{same_settings, MAX_RECORDS};

// One per reduction or state, never in a collection: boxing would only add a hop.
#[allow(clippy::large_enum_variant)]
pub enum Reduction {
    One(Accumulator),
    Grouped(GroupedAccumulators, GroupIndex),
    Rolling(Rolling),
    /// An add to a batch monitor, its pattern ids in the index (`batch_rolling`).
    BatchRolling(BatchRollingUpdate, GroupIndex),
}

impl Reduction {
    /// Add `chunk` (its room checked: `make_room`). Only a rolling monitor's update can
    /// fail part way (out of memory, checked as its buckets are made): it is then dropped.
    pub fn add(&mut self, chunk: &Columns) -> Result<(), CoreError> {
        match self {
            Reduction::One(acc) => acc.add(chunk),
            Reduction::Grouped(grouped, _) => grouped.add(chunk),
            Reduction::Rolling(rolling) => return rolling.add(chunk),
            Reduction::BatchRolling(update, _) => return update.add(chunk),
        }
        Ok(())
    }

    /// Check that adding `chunk` will find the memory it takes, making what must be made
    /// in one piece (see `room`).
    pub fn make_room(&mut self, chunk: &Columns) -> Result<(), CoreError> {
        let bytes = self.prepare(chunk)?;
        crate::room::ensure_room(bytes, || {
            format!("adding {} records", crate::room::count_text(chunk.len()))
        })
    }

    /// `make_room`'s allocations, returning what remains to check (for a reader that
    /// checks it together with its own: `read_batches_into`).
    pub fn prepare(&mut self, chunk: &Columns) -> Result<usize, CoreError> {
        match self {
            Reduction::One(acc) => Ok(acc.room_to_add(chunk)),
            Reduction::Grouped(grouped, _) => grouped.prepare(chunk),
            Reduction::Rolling(rolling) => Ok(rolling.room_to_add(chunk)),
            Reduction::BatchRolling(update, _) => Ok(update.room_to_add(chunk)),
        }
    }

    /// `add`, allowed to take the chunk's execution times (see `Accumulator::add_chunk`).
    pub fn add_chunk(&mut self, chunk: &mut Columns) -> Result<(), CoreError> {
        match self {
            Reduction::One(acc) => {
                acc.add_chunk(chunk);
                Ok(())
            }
            _ => self.add(chunk),
        }
    }

    /// Whether every row of a chunk goes to one accumulator, which only counts the string
    /// columns other than the agents (see `read_batches`).
    pub fn counts_suffice(&self) -> bool {
        matches!(self, Reduction::One(_))
    }

    pub fn is_grouped(&self) -> bool {
        matches!(self, Reduction::Grouped(..))
    }

    /// Whether its reader codes each row's pattern id (into the reduction's index).
    pub fn reads_groups(&self) -> bool {
        matches!(self, Reduction::Grouped(..) | Reduction::BatchRolling(..))
    }

    /// About what a copy of this reduction takes, or merging it into another (a state's
    /// `merge`): its accumulators and the execution times they keep (see `room`).
    pub fn approx_bytes(&self) -> usize {
        match self {
            Reduction::One(acc) => acc.approx_bytes(),
            Reduction::Grouped(grouped, index) => grouped
                .approx_bytes()
                .saturating_add(index.keys().len().saturating_mul(INDEX_BYTES_PER_GROUP)),
            Reduction::Rolling(_) | Reduction::BatchRolling(..) => 0,
        }
    }
}

/// A pattern id's share of a `GroupIndex`: its key, map entries and counts.
const INDEX_BYTES_PER_GROUP: usize = 128;

pub struct State {
    /// An empty accumulator holding the settings (window, zone, families, thresholds,
    /// exact budget and sketch accuracy).
    pub template: Accumulator,
    pub report: IngestReport,
    pub body: Reduction,
    /// Why the state holds only part of its records: a merge into it ran out of memory
    /// part way (`merge_body`, past the room checked for it). Every later use is refused
    /// (`check_whole`): its report counts records its body lacks, and its results would
    /// be silently wrong.
    pub broken: Option<String>,
}

impl State {
    pub fn new(template: Accumulator, grouped: bool) -> State {
        let body = empty_body(&template, grouped);
        State {
            template,
            report: IngestReport::default(),
            body,
            broken: None,
        }
    }

    /// An empty reduction of this state's kind, to read an update into.
    pub fn fresh(&self) -> Reduction {
        empty_body(&self.template, self.body.is_grouped())
    }

    /// Take in an accepted update. The first one becomes the body as it is: merging it
    /// into the empty body would only copy it (a 10,000-pattern update: every tally).
    /// Memory that cannot be had for merging it (see `room`) is an error, checked before
    /// anything changes.
    pub fn absorb(&mut self, report: &IngestReport, update: Reduction) -> Result<(), CoreError> {
        self.check_whole()?;
        // (A loaded state can list patterns without records: those must stay.)
        let empty = self.report.received == 0
            && match &self.body {
                Reduction::Grouped(_, index) => index.keys().is_empty(),
                _ => true,
            };
        if empty {
            self.report.merge(report);
            self.body = update;
            if let Reduction::Grouped(grouped, _) = &mut self.body {
                grouped.release_scratch();
            }
            Ok(())
        } else {
            crate::room::ensure_room(update.approx_bytes(), || "merging the update into the state".into())?;
            self.report.merge(report);
            self.merge_body(&update)
        }
    }

    /// Fold `other` (same settings and kind) into this state.
    pub fn merge(&mut self, other: &State) -> Result<(), CoreError> {
        self.check_whole()?;
        other.check_whole()?;
        check_same_kind(self.body.is_grouped(), other.body.is_grouped())?;
        check_same_settings(&self.template, &other.template)?;
        // Checked before anything changes: every counter is bounded by `received`.
        check_record_total(&self.report, &other.report)?;
        crate::room::ensure_room(other.body.approx_bytes(), || "merging the states".into())?;
        self.report.merge(&other.report);
        self.merge_body(&other.body)
    }

    /// An error unless the state holds all of its records (see `broken`).
    pub fn check_whole(&self) -> Result<(), CoreError> {
        match &self.broken {
            None => Ok(()),
            Some(why) => Err(CoreError::OutOfMemory(format!(
                "an earlier merge into this state failed part way ({why}), so it holds only part \
                 of its records; build it again from its inputs"
            ))),
        }
    }

    /// `merge_body_parts`, marking the state `broken` where it fails part way.
    fn merge_body(&mut self, other: &Reduction) -> Result<(), CoreError> {
        let merged = self.merge_body_parts(other);
        if let Err(error) = &merged {
            self.broken = Some(error.to_string());
        }
        merged
    }

    fn merge_body_parts(&mut self, other: &Reduction) -> Result<(), CoreError> {
        match (&mut self.body, other) {
            (Reduction::One(mine), Reduction::One(theirs)) => {
                mine.merge(theirs);
                Ok(())
            }
            (Reduction::Grouped(mine, index), Reduction::Grouped(theirs, their_index)) => {
                mine.merge(index, theirs, their_index)
            }
            _ => unreachable!("kinds checked by the callers"),
        }
    }
}

/// States of one kind merge: both one pattern's or both a batch's.
pub(crate) fn check_same_kind(grouped: bool, other_grouped: bool) -> Result<(), CoreError> {
    if grouped == other_grouped {
        Ok(())
    } else {
        Err(CoreError::InvalidOption(
            "cannot merge a single-pattern accumulator with a batch accumulator".into(),
        ))
    }
}

/// States of the same settings merge; else an error naming each setting that differs
/// and both values (`Accumulator::check_compatible`).
pub(crate) fn check_same_settings(template: &Accumulator, other: &Accumulator) -> Result<(), CoreError> {
    if same_settings(template, other) {
        return Ok(());
    }
    template.check_compatible(other)?;
    // (Unreachable while `check_compatible` compares every stored setting: kept so that
    // a setting added to the stored form alone is still refused.)
    Err(CoreError::InvalidOption(
        "cannot merge accumulators with different settings".into(),
    ))
}

/// Two states merge only if together they hold at most `MAX_RECORDS` records.
pub(crate) fn check_record_total(report: &IngestReport, other: &IngestReport) -> Result<(), CoreError> {
    let total = (report.received as u64).checked_add(other.received as u64);
    if total.is_none_or(|t| t > MAX_RECORDS) {
        return Err(CoreError::InvalidOption(format!(
            "the merged state would hold more than {MAX_RECORDS} records"
        )));
    }
    Ok(())
}

impl Reduction {
    /// The reduction of one call (`reduce_records`, `reduce_arrow`), finalized once and
    /// never stored or merged: a grouped one may hold execution times back (see
    /// `GroupedAccumulators::for_one_call`).
    pub fn for_one_call(template: &Accumulator, grouped: bool) -> Reduction {
        if grouped {
            Reduction::Grouped(
                GroupedAccumulators::for_one_call(template.clone()),
                GroupIndex::default(),
            )
        } else {
            Reduction::One(template.clone().holding_times())
        }
    }

    /// Let a one-call reduction keep references to the input's buffers (see
    /// `Durations::share_input_buffers`): only for input its caller holds whole.
    pub fn share_input_buffers(&mut self) {
        if let Reduction::One(acc) = self {
            acc.durations.share_input_buffers();
        }
    }
}

fn empty_body(template: &Accumulator, grouped: bool) -> Reduction {
    if grouped {
        Reduction::Grouped(GroupedAccumulators::new(template.clone()), GroupIndex::default())
    } else {
        Reduction::One(template.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accumulator::Families;
    use crate::buckets::Window;
    use crate::metrics::Thresholds;
    use crate::zone::Zone;

    fn state() -> State {
        let window = Window::new(0, 1_000_000, "custom", None).unwrap();
        State::new(
            Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default()),
            false,
        )
    }

    fn grouped_state() -> State {
        let window = Window::new(0, 1_000_000, "custom", None).unwrap();
        let template = Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default());
        State::new(template, true)
    }

    /// An update of 100 records over three patterns, read into `state.fresh()`.
    fn update_of(state: &State) -> (IngestReport, Reduction) {
        let mut update = state.fresh();
        if let Reduction::Grouped(_, index) = &mut update {
            for id in 0..3 {
                index.code(&crate::group::GroupKey::Int(id));
            }
        }
        let mut chunk = crate::columns::Columns::default();
        for i in 0..100u32 {
            chunk.group.push(i % 3);
            chunk.timestamp.push(i64::from(i) * 9_000);
            chunk.flags.push(crate::columns::SUCCESS);
            chunk.execution_time_ms.push(f64::from(i));
            chunk.quality_score.push(f64::NAN);
        }
        let (contexts, agents, projects, files) = (
            chunk.context_types.code("api"),
            chunk.agents.code("a"),
            chunk.projects.code("p"),
            chunk.file_types.code("py"),
        );
        chunk.context_type = vec![contexts; 100];
        chunk.agent = vec![agents; 100];
        chunk.project = vec![projects; 100];
        chunk.file_type = vec![files; 100];
        update.add_chunk(&mut chunk).unwrap();
        let report = IngestReport {
            received: 100,
            ..IngestReport::default()
        };
        (report, update)
    }

    /// A state of the default settings over the first second of 2026, in one bucket,
    /// changed by `change`.
    fn state_with(change: impl FnOnce(&mut Accumulator)) -> State {
        const START: i64 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z
        let window = Window::new(START, START + 1_000_000, "custom", Some(1_000_000)).unwrap();
        let mut template = Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default())
            .with_durations(crate::durations::Durations::new(1024, 0.01).unwrap());
        change(&mut template);
        State::new(template, false)
    }

    /// Each refusal names the setting and both values, this state's first.
    #[test]
    fn a_merge_of_other_settings_names_the_setting_and_both_values() {
        const START: i64 = 1_767_225_600_000_000;
        fn window(start: i64, end: i64, width: i64) -> Window {
            Window::new(start, end, "custom", Some(width)).unwrap()
        }
        type Change = fn(&mut Accumulator);
        let cases: [(Change, &str); 10] = [
            (
                |a| a.window = window(START + 1, START + 1_000_000, 999_999),
                "time_window_start (2026-01-01T00:00:00Z vs 2026-01-01T00:00:00.000001Z), \
                 bucket_width (0:00:01 vs 0:00:00.999999)",
            ),
            (
                |a| a.window = window(START, START + 86_400_000_000, 1_000_000),
                "time_window_end (2026-01-01T00:00:01Z vs 2026-01-02T00:00:00Z)",
            ),
            (
                |a| a.window = window(START, START + 1_000_000, 500_000),
                "bucket_width (0:00:01 vs 0:00:00.500000)",
            ),
            (
                |a| a.zone = Zone::get("Europe/Berlin").unwrap(),
                "timezone (UTC vs Europe/Berlin)",
            ),
            (|a| a.families.trends = false, "trends family (on vs off)"),
            (
                |a| {
                    a.families.time_series = false;
                    a.families.predictions = false;
                },
                "time_series family (on vs off), predictions family (on vs off)",
            ),
            (
                |a| a.thresholds.growing_velocity = 1.0,
                "trend_thresholds.growing_velocity (0.5 vs 1.0)",
            ),
            (
                |a| a.thresholds.emerging_max_executions = 11,
                "trend_thresholds.emerging_max_executions (10 vs 11)",
            ),
            (
                |a| a.durations = crate::durations::Durations::new(7, 0.01).unwrap(),
                "exact_budget (1024 vs 7)",
            ),
            (
                |a| a.durations = crate::durations::Durations::new(1024, 0.02).unwrap(),
                "relative_accuracy (0.01 vs 0.02)",
            ),
        ];
        for (change, named) in cases {
            let mut mine = state_with(|_| {});
            let theirs = state_with(change);
            let refused = mine.merge(&theirs).unwrap_err();
            assert_eq!(
                refused,
                CoreError::InvalidOption(format!("cannot merge accumulators with different settings: {named}"))
            );
        }
    }

    /// The first update's reduction becomes the state's body without the reader's
    /// scratch (tens of MB after a full pass), which no later update uses.
    #[test]
    fn an_adopted_update_keeps_no_scratch() {
        let mut state = grouped_state();
        let (report, update) = update_of(&state);
        assert!(matches!(&update, Reduction::Grouped(grouped, _) if grouped.holds_scratch()));
        state.absorb(&report, update).unwrap();
        assert!(matches!(&state.body, Reduction::Grouped(grouped, _) if !grouped.holds_scratch()));
    }

    #[test]
    fn a_merge_past_the_record_limit_is_an_error_that_changes_nothing() {
        let (mut big, mut other) = (state(), state());
        big.report.received = MAX_RECORDS as usize;
        big.report.outside_window = MAX_RECORDS as usize;
        other.report.received = 1;
        other.report.outside_window = 1;
        assert!(big.merge(&other).is_err());
        assert_eq!(big.report.received, MAX_RECORDS as usize);
        other.report.received = 0;
        other.report.outside_window = 0;
        assert!(big.merge(&other).is_ok());
    }

    /// A merge that runs out of memory part way (past the room checked for it) leaves
    /// the state holding part of the records under a report counting all of them: it is
    /// marked broken, and every later merge, update or read of it is refused, not
    /// silently wrong.
    #[test]
    fn a_merge_failing_part_way_breaks_the_state_for_good() {
        let (mut mine, mut theirs) = (grouped_state(), grouped_state());
        for state in [&mut mine, &mut theirs] {
            let (report, update) = update_of(state);
            state.absorb(&report, update).unwrap();
        }
        if let Reduction::Grouped(_, index) = &mut mine.body {
            index.starve();
        }
        let received = mine.report.received;
        let failed = mine.merge(&theirs).unwrap_err();
        assert!(matches!(failed, CoreError::OutOfMemory(_)), "{failed}");
        assert!(mine.broken.is_some());
        assert_eq!(mine.report.received, 2 * received); // (what made it unusable)
        let refused = mine.check_whole().unwrap_err().to_string();
        assert!(
            refused.contains("failed part way (out of memory: could not allocate"),
            "{refused}"
        );
        assert!(refused.ends_with("build it again from its inputs"), "{refused}");
        assert_eq!(mine.merge(&theirs).unwrap_err().to_string(), refused);
        assert_eq!(theirs.merge(&mine).unwrap_err().to_string(), refused);
        let (report, update) = update_of(&mine);
        assert_eq!(mine.absorb(&report, update).unwrap_err().to_string(), refused);
        // (The state it was merged from is whole.)
        assert!(theirs.check_whole().is_ok());
    }
}
