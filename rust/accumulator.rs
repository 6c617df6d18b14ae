//! Accumulate / merge / finalize: the shape every reduction takes.
//!
//! A single call is one accumulator fed the columns once and finalized. Every field is an
//! exact, mergeable summary (counters, sums, bucket and category counts keyed by name,
//! per-agent first and last instants), except the execution times (see `Durations`: kept
//! exactly for a single call, summarized past a streaming accumulator's budget).

use crate::bucket_counts::BucketCounts;
use crate::buckets::Window;
use crate::calendar::{scan_runs, Place, RunFinder, RunTable};
use crate::columns::{Columns, Counted, GATE_FAILED, SUCCESS, TIMEOUT};
use crate::durations::Durations;
use crate::error::CoreError;
use crate::exact_sum::ExactSum;
use crate::group_counts::GroupRow;
use crate::metrics::*;
use crate::prefetch::{prefetch, prefetch_all};
use crate::rows::Rows;
use crate::tally::{Tally, Translation, LANE_MIN_ROWS};
use crate::wide::wide;
use crate::zone::Zone;

mod day_counts;
mod differences;
mod finalize;
mod merge;

pub use day_counts::DayCounts;

/// Chunks of at least this many rows are added on two cores (`Accumulator::add`): below
/// it, the second accumulator and the merge cost more than half the rows save.
const SPLIT_ROWS: usize = 16_384;

/// Which optional families to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Families {
    pub performance: bool,
    pub trends: bool,
    pub distribution: bool,
    pub time_series: bool,
    pub predictions: bool,
}

impl Families {
    pub const ALL: Families = Families {
        performance: true,
        trends: true,
        distribution: true,
        time_series: true,
        predictions: true,
    };
}

/// Agents' first/last instants take lanes up to this many agents in a chunk (1 KB of lanes
/// to fill per call: a batch adds about a hundred rows per pattern and call).
const AGENT_LANE_NAMES: usize = 16;

#[derive(Clone, Debug)]
pub struct Accumulator {
    pub(crate) window: Window,
    pub(crate) zone: Zone,
    pub(crate) families: Families,
    pub(crate) thresholds: Thresholds,
    pub(crate) count: u64,
    pub(crate) success: u64,
    pub(crate) timeouts: u64,
    pub(crate) gate_failures: u64,
    /// The present quality scores' exact sum: order-independent, so any split of the
    /// records (threads, chunks, merged states) gives the same bits.
    pub(crate) quality_sum: ExactSum,
    pub(crate) quality_count: u64,
    pub(crate) durations: Durations,
    pub(crate) bucket_counts: BucketCounts,
    pub(crate) day_counts: DayCounts,
    pub(crate) hours: [u64; 24],
    pub(crate) weekdays: [u64; 7],
    pub(crate) latest: Option<i64>,
    pub(crate) contexts: Tally,
    pub(crate) agents: Tally,
    pub(crate) projects: Tally,
    pub(crate) file_types: Tally,
    /// Per agent code: its earliest and latest instant (i64::MAX / MIN before any), which
    /// tell the halves of the window it was active in, whatever window finalizes.
    pub(crate) agent_first_seen: Vec<i64>,
    pub(crate) agent_last_seen: Vec<i64>,
}

/// What `make_room` counts per record added beside its execution time: the second half's
/// scratch of a chunk added on two cores, the agents' spans. (Generous: a check that asks
/// for too much only fails sooner, when memory is nearly gone anyway.)
const ROOM_PER_ROW: usize = 16;

/// An accumulator's parts beside its execution times: day and bucket counts, tallies,
/// agents' spans, with the allocator's rounding and its threads' arenas (for `room`'s
/// estimates; 512 left a 2M-record, 200,000-pattern batch aborting at 800 MB of headroom).
pub(crate) const ROOM_PER_GROUP: usize = 2048;

/// What finalizing allocates per trend bucket and per time series point (its counts,
/// rates, midpoints and output values).
pub(crate) const ROOM_PER_POINT: usize = 256;

impl Accumulator {
    pub fn new(window: Window, zone: Zone, families: Families, thresholds: Thresholds) -> Accumulator {
        Accumulator {
            bucket_counts: BucketCounts::new(if families.trends { window.buckets } else { 0 }),
            window,
            zone,
            families,
            thresholds,
            count: 0,
            success: 0,
            timeouts: 0,
            gate_failures: 0,
            quality_sum: ExactSum::default(),
            quality_count: 0,
            durations: Durations::new(usize::MAX, 0.01).expect("a valid accuracy"),
            day_counts: DayCounts::for_window(&window),
            hours: [0; 24],
            weekdays: [0; 7],
            latest: None,
            contexts: Tally::default(),
            agents: Tally::default(),
            projects: Tally::default(),
            file_types: Tally::default(),
            agent_first_seen: Vec::new(),
            agent_last_seen: Vec::new(),
        }
    }

    /// Keep execution times in `durations` (a budget and a sketch accuracy) instead of
    /// exactly without limit.
    pub fn with_durations(mut self, durations: Durations) -> Accumulator {
        self.durations = durations;
        self
    }

    /// This (empty) accumulator over another window.
    pub fn rebase(&mut self, window: Window) {
        debug_assert_eq!(self.count, 0, "only an empty accumulator is rebased");
        self.window = window;
        self.bucket_counts = BucketCounts::new(if self.families.trends { window.buckets } else { 0 });
        self.day_counts = DayCounts::for_window(&window);
    }

    /// Free what reading rows keeps for the next rows (the tallies' translations of a
    /// chunk's codes), for an accumulator that will only be merged and finalized.
    pub fn release_scratch(&mut self) {
        for tally in [
            &mut self.contexts,
            &mut self.agents,
            &mut self.projects,
            &mut self.file_types,
        ] {
            tally.release_translations();
        }
    }

    /// Whether reading rows left scratch behind (tests).
    #[cfg(test)]
    pub(crate) fn holds_scratch(&self) -> bool {
        [&self.contexts, &self.agents, &self.projects, &self.file_types]
            .iter()
            .any(|tally| tally.holds_translations())
    }

    /// Room for `rows` more execution times (avoids regrowing a large buffer); an error
    /// when the memory cannot be had.
    pub fn try_reserve(&mut self, rows: usize) -> Result<(), CoreError> {
        if self.families.performance {
            self.durations.try_reserve(rows)?;
        }
        Ok(())
    }

    /// Check that adding `columns` (`add`, `add_chunk`) will find the memory it takes
    /// (see `room`): its execution times, and the scratch of a chunk added in two halves.
    pub fn make_room(&self, columns: &Columns) -> Result<(), CoreError> {
        crate::room::ensure_room(self.room_to_add(columns), || {
            format!("adding {} records", crate::room::count_text(columns.len()))
        })
    }

    /// What `make_room` checks: at most what adding `columns` allocates.
    pub fn room_to_add(&self, columns: &Columns) -> usize {
        let rows = columns.len();
        let times = if self.families.performance {
            self.durations.growth_bytes(rows)
        } else {
            0
        };
        times.saturating_add(rows.saturating_mul(ROOM_PER_ROW))
    }

    /// About what this accumulator takes: itself, its parts, the times it keeps.
    pub fn approx_bytes(&self) -> usize {
        (std::mem::size_of::<Accumulator>() + ROOM_PER_GROUP).saturating_add(self.durations.kept_bytes())
    }

    /// Check that finalizing will find the memory it takes: the percentiles' copy of the
    /// execution times, and the time series.
    pub fn make_room_to_finalize(&self) -> Result<(), CoreError> {
        let series = if self.families.time_series {
            self.window.buckets.saturating_mul(ROOM_PER_POINT)
        } else {
            0
        };
        crate::room::ensure_room(self.durations.kept_bytes().saturating_add(series), || {
            "finalizing the analytics".into()
        })
    }

    /// Add every row of `columns`; each must be a valid record inside the window.
    ///
    /// A large chunk is split in two halves added on two cores, the second half into an
    /// empty accumulator then merged. That gives the same bits as one pass: every field is
    /// a count, a min/max or an exact sum, and the kept execution times stay in record
    /// order (the second half's are appended). It is done only while the times are kept
    /// without a budget: past one, where the times become a summary depends on the order
    /// of additions.
    pub fn add(&mut self, columns: &Columns) {
        self.add_in_halves(columns, true);
    }

    /// `add`, taking the chunk's execution times (its buffer) rather than copying them
    /// when this accumulator holds chunks' times (a one-call reduction: see
    /// `holding_times`).
    pub fn add_chunk(&mut self, columns: &mut Columns) {
        if !(self.families.performance && self.durations.holds_chunks()) {
            self.add(columns);
            return;
        }
        self.add_in_halves(columns, false);
        let times = &mut columns.execution_time_ms;
        match times.take_shared() {
            Some(input) if self.durations.shares_input_buffers() => self.durations.hold_shared(input),
            // (A stream's batches are not kept alive by references: copied.)
            Some(input) => self.durations.hold(input.to_vec()),
            None => self.durations.hold(times.take_vec()),
        }
    }

    /// The times of a reduction finalized once are held as the chunks' own buffers
    /// (`add_chunk`): with an unlimited budget they would all be kept anyway, and
    /// copying them was a fifth of a 10M-record call.
    pub fn holding_times(mut self) -> Accumulator {
        if self.durations.budget() == usize::MAX {
            self.durations = self.durations.holding_chunks();
        }
        self
    }

    /// `add`, with or without the execution times (see `add`'s halves).
    fn add_in_halves(&mut self, columns: &Columns, times: bool) {
        self.add_counted(columns);
        let counted = Counted {
            strings: columns.counted.each_ref().map(Option::is_some),
            flags: false,
        };
        let add = |acc: &mut Accumulator, rows: std::ops::Range<usize>| {
            if times {
                acc.add_times(columns, rows.clone());
            }
            acc.add_rows_except_counted(columns, columns, rows, None, counted);
        };
        let n = columns.len();
        if n < SPLIT_ROWS || self.durations.budget() != usize::MAX {
            add(self, 0..n);
            return;
        }
        let half = n / 2;
        let mut second = self.emptied();
        crate::pool::install(|| rayon::join(|| add(self, 0..half), || add(&mut second, half..n)));
        self.merge(&second);
    }

    /// A group's counts of a grouped chunk (`GroupCounts::of`), whose codes refer to
    /// `dictionaries`; its rows are then added without those columns (`add_rows_of` with
    /// `GroupCounts::counted`). `GroupCounts::plan` counts no column a family leaves out.
    pub fn add_group_counts(&mut self, counts: &GroupRow, dictionaries: &Columns) {
        let [context, agent, project, file] = counts.strings;
        if let Some(counts) = context {
            self.contexts.add_counts(counts, &dictionaries.context_types);
        }
        if let Some(counts) = agent {
            // (The agents' spans come from their rows: counted only without trends.)
            debug_assert!(!self.families.trends, "agents counted without their spans");
            self.agents.add_counts(counts, &dictionaries.agents);
        }
        if let Some(counts) = project {
            debug_assert!(self.families.distribution, "projects counted without distributions");
            self.projects.add_counts(counts, &dictionaries.projects);
        }
        if let Some(counts) = file {
            debug_assert!(self.families.distribution, "file types counted without distributions");
            self.file_types.add_counts(counts, &dictionaries.file_types);
        }
        if let Some([success, timeouts, gates]) = counts.flags {
            self.success += u64::from(success);
            self.timeouts += u64::from(timeouts);
            self.gate_failures += u64::from(gates);
        }
    }

    /// Ask for the cache lines of this accumulator's own bytes (a hint: see `prefetch`).
    /// A batch adds about a hundred rows to each of thousands of accumulators per chunk:
    /// one far ahead has its lines asked for while others are added.
    pub fn prefetch_own(&self) {
        prefetch_all(std::slice::from_ref(self));
    }

    /// Ask for the lines of the counts outside this struct that adding rows from instant
    /// `first` to `last` touches: read once `prefetch_own`'s lines have come (their
    /// pointers are among them; a tally's translation table is one step further, behind
    /// the tally's boxed translations, which this reads).
    pub fn prefetch_parts(&self, first: i64, last: i64) {
        for ts in [first, last] {
            self.day_counts.prefetch(ts);
            if self.families.trends {
                self.bucket_counts.prefetch(self.window.bucket_of(ts));
            }
        }
        for tally in [&self.contexts, &self.agents, &self.projects, &self.file_types] {
            tally.prefetch();
        }
        prefetch(self.agent_first_seen.as_ptr());
        prefetch(self.agent_last_seen.as_ptr());
    }

    /// The string columns of a chunk that were counted, not coded (`Columns::counted`).
    fn add_counted(&mut self, columns: &Columns) {
        let [context, agents, project, file] = &columns.counted;
        if let Some(counts) = context {
            self.contexts.add_counts(counts, &columns.context_types);
        }
        if let Some(counts) = agents {
            self.agents.add_counts(counts, &columns.agents);
            if self.families.trends {
                let spans = columns
                    .agent_spans
                    .as_deref()
                    .expect("counted agents come with their spans");
                self.add_counted_spans(spans);
            }
        }
        if !self.families.distribution {
            return;
        }
        if let Some(counts) = project {
            self.projects.add_counts(counts, &columns.projects);
        }
        if let Some(counts) = file {
            self.file_types.add_counts(counts, &columns.file_types);
        }
    }

    /// Each agent's earliest and latest instant from a chunk's `spans` by chunk code (its
    /// agents counted just before, so each present one is mapped).
    fn add_counted_spans(&mut self, spans: &[(i64, i64)]) {
        let agents = self.agents.names.len();
        self.agent_first_seen.resize(agents, i64::MAX);
        self.agent_last_seen.resize(agents, i64::MIN);
        for (code, &(first, last)) in spans.iter().enumerate().filter(|(_, (first, last))| first <= last) {
            let Some(mine) = self.agents.translation().and_then(|t| t.get(code)) else {
                debug_assert!(false, "an agent with rows is counted before its span");
                continue;
            };
            let mine = mine as usize;
            self.agent_first_seen[mine] = self.agent_first_seen[mine].min(first);
            self.agent_last_seen[mine] = self.agent_last_seen[mine].max(last);
        }
    }

    /// An accumulator of these settings holding no records.
    fn emptied(&self) -> Accumulator {
        Accumulator::new(self.window, self.zone.clone(), self.families, self.thresholds)
            .with_durations(self.durations.emptied())
    }

    /// Add the given rows of `columns` (a pattern's rows of a shared chunk). Generic over
    /// the rows (`Rows`): a range, as `add` and a batch's patterns pass, is read as slices.
    pub fn add_rows<R: Rows>(&mut self, columns: &Columns, rows: R) {
        self.add_rows_of(columns, columns, rows, None, Counted::default());
    }

    /// `add_rows` with the row data in `data` and the string dictionaries its codes refer
    /// to in `dictionaries` (a chunk's rows reordered by pattern share the chunk's), the
    /// window's `runs` if tabled (for rows out of time order), and the columns `counted`
    /// for these rows elsewhere (`add_group_counts`), which `data` need not hold.
    pub fn add_rows_of<R: Rows>(
        &mut self,
        data: &Columns,
        dictionaries: &Columns,
        rows: R,
        runs: Option<&RunTable>,
        counted: Counted,
    ) {
        debug_assert!(!data.has_counted(), "counted chunks are added whole (`add`)");
        self.add_times(data, rows.clone());
        self.add_rows_except_counted(data, dictionaries, rows, runs, counted);
    }

    /// `add_rows_of` but for the execution times, which the caller keeps and hands over
    /// later with `add_execution_times`, in record order.
    pub fn add_rows_but_times<R: Rows>(
        &mut self,
        data: &Columns,
        dictionaries: &Columns,
        rows: R,
        runs: Option<&RunTable>,
        counted: Counted,
    ) {
        debug_assert!(!data.has_counted(), "counted chunks are added whole (`add`)");
        self.add_rows_except_counted(data, dictionaries, rows, runs, counted);
    }

    /// The execution times of `rows`, unless the performance family is off.
    fn add_times<R: Iterator<Item = usize>>(&mut self, data: &Columns, rows: R) {
        if self.families.performance {
            let times = &data.execution_time_ms[..];
            self.durations.extend(rows.map(|r| times[r]).filter(|t| !t.is_nan()));
        }
    }

    /// `add_rows_but_times` of the columns not `counted`: those are added once per chunk
    /// (a whole chunk's, see `Columns::counted`, by `add_counted`; a group's, by
    /// `add_group_counts`).
    fn add_rows_except_counted<R: Rows>(
        &mut self,
        data: &Columns,
        dictionaries: &Columns,
        rows: R,
        runs: Option<&RunTable>,
        counted: Counted,
    ) {
        let columns = data;
        self.count += rows.clone().count() as u64;
        self.add_flags_and_quality(columns, rows.clone(), !counted.flags);
        let [context, agent, project, file] = counted.strings;
        if !context {
            self.contexts
                .add_column(&columns.context_type, rows.clone(), &dictionaries.context_types);
        }
        if self.families.distribution && !project {
            self.projects
                .add_column(&columns.project, rows.clone(), &dictionaries.projects);
        }
        if self.families.distribution && !file {
            self.file_types
                .add_column(&columns.file_type, rows.clone(), &dictionaries.file_types);
        }
        let in_order = self.add_timestamps(columns, rows.clone(), runs);
        if !agent {
            self.add_agents(columns, dictionaries, rows, in_order);
        }
    }

    /// The agents of coded rows (`in_order`: in time order): their counts and, for the
    /// trend family, their spans.
    fn add_agents<R: Rows>(&mut self, columns: &Columns, dictionaries: &Columns, rows: R, in_order: bool) {
        let present = self
            .agents
            .add_column(&columns.agent, rows.clone(), &dictionaries.agents);
        if !self.families.trends {
            return;
        }
        let agent_codes = self.agents.take_translation();
        let chunk_agents = dictionaries.agents.len();
        match present.filter(|_| in_order && chunk_agents <= AGENT_LANE_NAMES) {
            Some(present) => self.add_agent_spans_in_order(columns, rows, &agent_codes, present),
            None => self.add_agent_spans(columns, rows, &agent_codes, chunk_agents),
        }
        self.agents.restore_translation(agent_codes);
    }

    /// Add execution times held back by `add_rows_but_times`: `parts` in record order,
    /// missing times (NaN) among them. The times are stored in one allocation of their size.
    pub fn add_execution_times(&mut self, parts: &[&[f64]]) {
        if !self.families.performance || parts.is_empty() {
            return;
        }
        self.durations.reserve(parts.iter().map(|p| p.len()).sum());
        let present = parts.iter().flat_map(|p| p.iter().copied()).filter(|t| !t.is_nan());
        self.durations.extend(present);
    }

    /// The rows' quality scores, and their flags `with_flags` (else counted elsewhere).
    fn add_flags_and_quality(&mut self, columns: &Columns, rows: impl Rows, with_flags: bool) {
        let scores = &columns.quality_score[..];
        let [success, timeouts, gates] = match rows.contiguous() {
            Some(range) => {
                self.quality_count += self.quality_sum.add_present_slice(&scores[range.clone()]);
                if !with_flags {
                    return;
                }
                count_flags(&columns.flags[range])
            }
            None => {
                self.quality_count += self.quality_sum.add_present(rows.clone().map(|r| scores[r]));
                if !with_flags {
                    return;
                }
                rows.map(|r| columns.flags[r]).fold([0; 3], add_flags)
            }
        };
        self.success += success;
        self.timeouts += timeouts;
        self.gate_failures += gates;
    }

    /// One pass over the timestamps: buckets, calendar fields, latest.
    ///
    /// Consecutive records in the same run (local hour and trend bucket, see `calendar`)
    /// are counted in a register and added to the day, hour, weekday and bucket counts
    /// once: sorted input does the calendar work once per hour, not once per record, and
    /// never increments one counter over and over (each increment would wait for the
    /// previous store); a range of sorted rows has each run's end searched for, not found
    /// row by row (`scan_runs`). Unsorted rows start a run nearly every row: `runs`, when given,
    /// has the window's runs looked up by hour, and each run is counted inline (a call of
    /// the out-of-line count, its place passed through memory, took 44 of such a row's 77
    /// instructions). Returns whether the rows are in time order (non-decreasing).
    fn add_timestamps(&mut self, columns: &Columns, rows: impl Rows, runs: Option<&RunTable>) -> bool {
        let window = self.window;
        let finder = RunFinder::new(&window, &self.zone, self.families.trends).with_table(runs);
        let mut counts = CalendarCounts {
            days: &mut self.day_counts,
            hours: &mut self.hours,
            weekdays: &mut self.weekdays,
            buckets: &mut self.bucket_counts,
            families: self.families,
        };
        let timestamps = &columns.timestamp[..];
        let (in_order, latest) = match runs {
            Some(_) => scan_runs(timestamps, rows, finder, |place, run| counts.add(place, run)),
            None => scan_runs(timestamps, rows, finder, |place, run| {
                counts.add_out_of_line(place, run)
            }),
        };
        if latest != i64::MIN {
            // (In-window instants are far above i64::MIN: this means "any row".)
            self.latest = Some(self.latest.map_or(latest, |l| l.max(latest)));
        }
        in_order
    }

    /// `add_agent_spans` of rows in time order (as logs usually come) with `present`
    /// distinct agents (of at most `AGENT_LANE_NAMES` chunk codes): an agent's first row
    /// holds its earliest instant and its last row its latest, so a scan in from each end
    /// stops once it has met every agent, instead of a min and a max on every row.
    fn add_agent_spans_in_order(
        &mut self,
        columns: &Columns,
        rows: impl DoubleEndedIterator<Item = usize> + Clone,
        agent_codes: &Translation,
        present: usize,
    ) {
        let agents = self.agents.names.len();
        self.agent_first_seen.resize(agents, i64::MAX);
        self.agent_last_seen.resize(agents, i64::MIN);
        /// Each chunk code's instant at the row where a scan of `rows` met it first.
        fn met_first(
            columns: &Columns,
            rows: impl Iterator<Item = usize>,
            present: usize,
        ) -> [Option<i64>; AGENT_LANE_NAMES] {
            let mut at = [None; AGENT_LANE_NAMES];
            let mut left = present;
            for r in rows {
                let slot = &mut at[columns.agent[r] as usize];
                if slot.is_none() {
                    *slot = Some(columns.timestamp[r]);
                    left -= 1;
                    if left == 0 {
                        break;
                    }
                }
            }
            at
        }
        let earliest = met_first(columns, rows.clone(), present);
        let latest = met_first(columns, rows.rev(), present);
        for (code, (first, last)) in earliest.into_iter().zip(latest).enumerate() {
            let (Some(first), Some(last), Some(mine)) = (first, last, agent_codes.get(code)) else {
                continue;
            };
            let mine = mine as usize;
            self.agent_first_seen[mine] = self.agent_first_seen[mine].min(first);
            self.agent_last_seen[mine] = self.agent_last_seen[mine].max(last);
        }
    }

    /// Each agent's earliest and latest instant among `rows` (`agent_codes`: the chunk's
    /// agent codes, of a dictionary of `chunk_agents` names, in this accumulator's codes).
    ///
    /// With few agents the extremes are kept per chunk code in four interleaved lanes, then
    /// translated once: consecutive rows of one agent do not wait on each other's stores.
    fn add_agent_spans(
        &mut self,
        columns: &Columns,
        rows: impl Iterator<Item = usize>,
        agent_codes: &Translation,
        chunk_agents: usize,
    ) {
        let agents = self.agents.names.len();
        self.agent_first_seen.resize(agents, i64::MAX);
        self.agent_last_seen.resize(agents, i64::MIN);
        let (first_seen, last_seen) = (&mut self.agent_first_seen, &mut self.agent_last_seen);
        let (least, _) = rows.size_hint();
        if chunk_agents <= AGENT_LANE_NAMES && least >= LANE_MIN_ROWS {
            let mut first = [[i64::MAX; AGENT_LANE_NAMES]; 4];
            let mut last = [[i64::MIN; AGENT_LANE_NAMES]; 4];
            let timestamps = &columns.timestamp[..];
            for (k, r) in rows.enumerate() {
                let (agent, ts) = (columns.agent[r] as usize, timestamps[r]);
                let lane = k % 4;
                first[lane][agent] = first[lane][agent].min(ts);
                last[lane][agent] = last[lane][agent].max(ts);
            }
            // (Agents of the chunk none of these rows has are not in this tally.)
            for (code, mine) in (0..chunk_agents).filter_map(|code| Some((code, agent_codes.get(code)?))) {
                let mine = mine as usize;
                for lane in 0..4 {
                    first_seen[mine] = first_seen[mine].min(first[lane][code]);
                    last_seen[mine] = last_seen[mine].max(last[lane][code]);
                }
            }
            return;
        }
        let timestamps = &columns.timestamp[..];
        for r in rows {
            // Every row's agent was counted (so mapped) just before.
            let Some(agent) = agent_codes.get(columns.agent[r] as usize) else {
                debug_assert!(false, "a row's agent is counted before its span");
                continue;
            };
            let (agent, ts) = (agent as usize, timestamps[r]);
            first_seen[agent] = first_seen[agent].min(ts);
            last_seen[agent] = last_seen[agent].max(ts);
        }
    }
}

/// The calendar counts a pass of `add_timestamps` adds its runs to.
struct CalendarCounts<'a> {
    days: &'a mut DayCounts,
    hours: &'a mut [u64; 24],
    weekdays: &'a mut [u64; 7],
    buckets: &'a mut BucketCounts,
    families: Families,
}

impl CalendarCounts<'_> {
    /// Add `count` records at `place` (a run; none before the first row).
    #[inline(always)]
    fn add(&mut self, place: Place, count: u64) {
        if count == 0 {
            return;
        }
        let Place { fields, bucket } = place;
        self.days.add(fields.day, count);
        if self.families.distribution {
            self.hours[fields.hour as usize] += count;
            self.weekdays[fields.weekday as usize] += count;
        }
        if self.families.trends {
            self.buckets.add(bucket, count);
        }
    }

    /// `add`, out of line, for rows without a run table (a single call's, or a batch's
    /// whose window is too long for one): the row loop keeps its registers (sorted input
    /// counts a run once per local hour).
    #[inline(never)]
    fn add_out_of_line(&mut self, place: Place, count: u64) {
        self.add(place, count);
    }
}

/// One record's `flags` as counts of (successes, timeouts, failed gates).
#[inline(always)]
fn flag_counts(flags: u8) -> [u32; 3] {
    [SUCCESS, TIMEOUT, GATE_FAILED].map(|flag| u32::from(flags & flag != 0))
}

/// `counts` with one record's `flags` added.
fn add_flags(counts: [u64; 3], flags: u8) -> [u64; 3] {
    let [s, t, g] = flag_counts(flags);
    [
        counts[0] + u64::from(s),
        counts[1] + u64::from(t),
        counts[2] + u64::from(g),
    ]
}

/// `add_flags` of every record of a slice: sums of u32 lanes (eight records an AVX2
/// instruction) over blocks too short to overflow them.
fn count_flags(flags: &[u8]) -> [u64; 3] {
    flags.chunks(1 << 24).fold([0; 3], |counts, block| {
        let [success, timeouts, gates] = wide(|| {
            block.iter().fold([0u32; 3], |[s, t, g], &f| {
                let [ds, dt, dg] = flag_counts(f);
                [s + ds, t + dt, g + dg]
            })
        });
        let [s, t, g] = counts;
        [s + u64::from(success), t + u64::from(timeouts), g + u64::from(gates)]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bucket_counts::TrendGrid;
    use crate::civil::{MICROS_PER_DAY, MICROS_PER_SECOND};
    use crate::columns::NO_FILE;
    use crate::test_random::xorshift;

    /// A batch holds one accumulator per pattern, cloned from a template, and a merge node
    /// eight states of them: their size is memory and copying (2,368 bytes before the
    /// tallies' translations and the exact sum's limbs were boxed).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_accumulator_stays_small() {
        assert!(
            std::mem::size_of::<Accumulator>() <= 1152,
            "{}",
            std::mem::size_of::<Accumulator>()
        );
    }

    const DAY: i64 = MICROS_PER_DAY;

    /// Columns of `counts[d]` records on day d (at noon), agent "a{d % agents}".
    fn daily_columns(counts: &[u64], agents: usize) -> Columns {
        let mut c = Columns::default();
        for (d, &n) in counts.iter().enumerate() {
            for k in 0..n {
                c.timestamp.push(d as i64 * DAY + DAY / 2);
                c.flags.push(if k % 4 == 0 { 0 } else { SUCCESS });
                c.execution_time_ms.push((k * 10 + d as u64) as f64);
                c.quality_score.push(if k % 3 == 0 { f64::NAN } else { 0.5 });
                c.context_type
                    .push(c.context_types.code(if k % 2 == 0 { "debug" } else { "test" }));
                c.agent.push(c.agents.code(&format!("a{}", d % agents)));
                c.project.push(c.projects.code("p"));
                c.file_type
                    .push(if k % 5 == 0 { NO_FILE } else { c.file_types.code("py") });
            }
        }
        c
    }

    /// `n` rows over [start, start + span): sorted runs and scattered instants, scores in
    /// (0, 1) and missing, 70 file types (past the lane limit) or 5, many agents.
    fn mixed_columns(n: usize, start: i64, span: i64, file_types: u64) -> Columns {
        let mut c = Columns::default();
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        for i in 0..n {
            let r = next();
            let ts = if i % 3 == 0 {
                start + (r % span as u64) as i64
            } else {
                start + (i as i64 * (span / n as i64))
            };
            c.timestamp.push(ts);
            c.flags.push((r >> 20) as u8 & (SUCCESS | TIMEOUT | GATE_FAILED));
            c.execution_time_ms.push(if r.is_multiple_of(11) {
                f64::NAN
            } else {
                (r >> 40) as f64 / 7.0
            });
            c.quality_score.push(if r.is_multiple_of(5) {
                f64::NAN
            } else {
                (r >> 11) as f64 / (1u64 << 53) as f64
            });
            c.context_type
                .push(c.context_types.code(["a", "b", "c"][(r % 3) as usize]));
            c.agent.push(c.agents.code(&format!("agent{}", (r >> 8) % 90)));
            c.project.push(c.projects.code(["p", "q"][(r >> 3) as usize % 2]));
            let file = (r >> 30) % (file_types + 1);
            c.file_type.push(if file == 0 {
                NO_FILE
            } else {
                c.file_types.code(&format!("t{file}"))
            });
        }
        c
    }

    #[test]
    fn agent_spans_equal_a_naive_scan_on_every_path() {
        // Rows in time order with up to 16 agents: scans from both ends; out of order:
        // lanes; 17 agents: the row-by-row path. Each accumulator's codes differ from the
        // chunk's (a name seen first in an earlier chunk). Three agents have one row each
        // (the first, the middle and the last), so the scans must go that far.
        for (agents, in_order) in [(2u64, true), (13, true), (13, false), (14, false), (17, true)] {
            let mut c = Columns::default();
            let mut next = xorshift(0x2545_f491_4f6c_dd1d);
            for i in 0..5_000i64 {
                let state = next();
                let spread = if in_order { 999_983 } else { 3_999_983 };
                c.timestamp.push(i * 1_000_000 + (state % spread) as i64);
                let agent = match i {
                    0 => "first".to_owned(),
                    2_500 => "middle".to_owned(),
                    4_999 => "last".to_owned(),
                    _ => format!("agent{}", (state >> 20) % agents),
                };
                c.flags.push(SUCCESS);
                c.execution_time_ms.push(1.0);
                c.quality_score.push(f64::NAN);
                c.context_type.push(c.context_types.code("unknown"));
                c.agent.push(c.agents.code(&agent));
                c.project.push(c.projects.code("unknown"));
                c.file_type.push(NO_FILE);
            }
            assert_eq!(c.timestamp.is_sorted(), in_order);
            let window = Window::new(0, 7 * DAY, "weekly", None).unwrap();
            let mut acc = Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default());
            let mut earlier = Columns::default();
            earlier.agents.code("last");
            acc.add_rows(&earlier, 0..0);
            acc.add(&c);
            for (code, name) in c.agents.names().iter().enumerate() {
                let times = c
                    .agent
                    .iter()
                    .zip(c.timestamp.iter())
                    .filter(|(&a, _)| a as usize == code);
                let (first, last) = times.fold((i64::MAX, i64::MIN), |(lo, hi), (_, &t)| (lo.min(t), hi.max(t)));
                let mine = acc.agents.names.code(name) as usize;
                assert_eq!(
                    (acc.agent_first_seen[mine], acc.agent_last_seen[mine]),
                    (first, last),
                    "{agents} agents, {name}"
                );
            }
        }
    }

    #[test]
    fn held_chunk_times_give_the_bits_of_copied_ones() {
        // A one-call accumulator takes its chunks' time buffers (missing times among them;
        // a chunk split over two cores, a small one, one added the copying way in between)
        // and must finalize, or merge into another, exactly as one that copies them. Over
        // 65,536 times in all, so the percentiles take the radix path over the parts.
        let start = 1_772_323_200 * MICROS_PER_SECOND;
        let window = Window::new(start, start + 14 * DAY, "custom", Some(DAY / 3)).unwrap();
        let fresh = || Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default());
        // (300 times are copied, not held: see `Durations::hold`.)
        let chunks = [
            mixed_columns(40_000, start, 14 * DAY, 5),
            mixed_columns(300, start + DAY, DAY, 5),
            mixed_columns(30_000, start + 2 * DAY, 9 * DAY, 70),
            mixed_columns(5_000, start, 14 * DAY, 5),
            mixed_columns(300, start + DAY, DAY, 5),
        ];
        let (mut copying, mut holding) = (fresh(), fresh().holding_times());
        assert!(holding.durations.holds_chunks() && !copying.durations.holds_chunks());
        for (k, chunk) in chunks.iter().enumerate() {
            copying.add(chunk);
            if k == 2 {
                holding.add(chunk);
            } else {
                let mut taken = chunk.clone();
                holding.add_chunk(&mut taken);
                assert!(taken.execution_time_ms.is_empty(), "chunk {k}: the times were copied");
            }
        }
        assert!(holding.durations.count() > 65_536);
        assert_eq!(holding.durations.count(), copying.durations.count());
        let (mut merged, mut expected_merge) = (fresh(), fresh());
        merged.merge(&holding);
        expected_merge.merge(&copying);
        assert_eq!(merged.finalize(), expected_merge.finalize(), "merged");
        assert_eq!(holding.finalize(), copying.finalize(), "finalized");
    }

    #[test]
    fn input_buffers_are_shared_only_when_the_input_is_held_whole() {
        // A chunk whose times are an input buffer's values: held as that buffer only once
        // told the input is whole; otherwise copied, so that a stream's batches are not
        // all kept alive by references. Either way the chunk lets go of them.
        let start = 1_772_323_200 * MICROS_PER_SECOND;
        let window = Window::new(start, start + 14 * DAY, "custom", Some(DAY)).unwrap();
        let fresh = || {
            Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default()).holding_times()
        };
        let mut chunk = mixed_columns(10_000, start, 14 * DAY, 5);
        let source = arrow_buffer::ScalarBuffer::from((0..10_000).map(|i| i as f64 + 0.5).collect::<Vec<_>>());
        chunk.execution_time_ms.share(source.clone());
        let (mut streamed, mut whole) = (fresh(), fresh());
        whole.durations.share_input_buffers();
        for acc in [&mut streamed, &mut whole] {
            let mut taken = chunk.clone();
            acc.add_chunk(&mut taken);
            assert!(taken.execution_time_ms.is_empty() && taken.execution_time_ms.shared().is_none());
        }
        let held_source = |acc: &Accumulator| acc.durations.held_parts().any(|p| p.as_ptr() == source.as_ptr());
        assert!(held_source(&whole) && !held_source(&streamed));
        assert_eq!(whole.finalize(), streamed.finalize());
    }

    #[test]
    fn flags_of_a_slice_are_counted_as_one_by_one() {
        // Lengths around the vector widths, flags with other bits set, a slice longer than
        // a block of u32 sums (all flags set: each sum at its most); both compilations.
        let mut next = xorshift(0xda94_2042_e4dd_58b5);
        let random: Vec<u8> = (0..5_000).map(|_| next() as u8).collect();
        let mut cases: Vec<&[u8]> = [0, 1, 7, 31, 32, 33, 65, 5_000].map(|n| &random[..n]).to_vec();
        let full = vec![u8::MAX; (1 << 24) + 3];
        cases.push(&full);
        for flags in cases {
            let want = flags.iter().fold([0; 3], |counts, &f| add_flags(counts, f));
            assert_eq!(count_flags(flags), want, "{} flags", flags.len());
            assert_eq!(
                crate::wide::on_baseline(|| count_flags(flags)),
                want,
                "{} (baseline)",
                flags.len()
            );
        }
        assert_eq!(count_flags(&full), [(1 << 24) + 3; 3]);
    }

    #[test]
    fn every_kernel_path_gives_the_same_bits() {
        // The two-core split (`add`), one sequential call (lanes and hour runs), one call
        // per row (neither) and the rows as a list, not a range (row by row: no slice
        // loops, no searched runs) must agree exactly, in zones with DST and odd offsets,
        // sorted and scattered instants, small and large dictionaries.
        let start = 1_772_323_200 * MICROS_PER_SECOND; // 2026-03-01 UTC, a week before DST
        for (zone, file_types) in [("America/New_York", 70), ("Asia/Kathmandu", 5), ("UTC", 5)] {
            let window = Window::new(start, start + 14 * DAY, "custom", Some(DAY / 3)).unwrap();
            let scattered = mixed_columns(40_000, start, 14 * DAY, file_types);
            let mut sorted = scattered.clone();
            sorted.timestamp.sort_unstable();
            for (chunk, order) in [(scattered, "scattered"), (sorted, "sorted")] {
                let fresh = || Accumulator::new(window, Zone::get(zone).unwrap(), Families::ALL, Thresholds::default());
                let (mut split, mut whole, mut by_row, mut listed) = (fresh(), fresh(), fresh(), fresh());
                split.add(&chunk);
                whole.add_rows(&chunk, 0..chunk.len());
                for row in 0..chunk.len() {
                    by_row.add_rows(&chunk, row..row + 1);
                }
                listed.add_rows(&chunk, crate::rows::listed(0..chunk.len()));
                let expected = listed.finalize();
                assert_eq!(whole.finalize(), expected, "{zone}, {order}: one call");
                assert_eq!(split.finalize(), expected, "{zone}, {order}: split over two cores");
                assert_eq!(by_row.finalize(), expected, "{zone}, {order}: a call per row");
            }
        }
    }

    fn reduce(columns: &[Columns], days: i64) -> Analytics {
        let window = Window::new(0, days * DAY, "monthly", None).unwrap();
        let mut acc = Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default());
        for c in columns {
            let mut part = Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default());
            part.add(c);
            acc.merge(&part);
        }
        acc.finalize()
    }

    #[test]
    fn steady_growth_is_growing_with_daily_slope() {
        let counts: Vec<u64> = (1..=30).collect();
        let a = reduce(&[daily_columns(&counts, 3)], 30);
        let t = a.trend.unwrap();
        assert!((t.velocity - 1.0).abs() < 1e-9, "{}", t.velocity);
        assert_eq!(t.trend_type, TrendType::Growing);
        assert_eq!(a.usage.peak_daily_usage, 30);
        assert_eq!(a.usage.total_executions, 465);
        // (The newest record's instant exactly, through the merge of the parts.)
        assert_eq!(a.usage.latest_us, Some(29 * DAY + DAY / 2));
    }

    #[test]
    fn a_grid_of_another_window_is_not_used() {
        let counts: Vec<u64> = (1..=30).map(|d| d * d % 11).collect();
        let window = Window::new(0, 30 * DAY, "monthly", None).unwrap();
        let mut acc = Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default());
        acc.add(&daily_columns(&counts, 3));
        let expected = acc.clone().finalize();
        for other in [
            Window::new(0, 31 * DAY, "monthly", None).unwrap(),
            Window::new(DAY, 31 * DAY, "monthly", None).unwrap(),
            Window::new(0, 30 * DAY, "custom", Some(DAY / 2)).unwrap(),
            // As many buckets of the same width, the last one 1.5 days long: only the
            // bounds tell them apart.
            Window::new(0, 30 * DAY + DAY / 2, "monthly", None).unwrap(),
        ] {
            let grid = TrendGrid::new(&other);
            assert_eq!(acc.clone().finalize_with(Some(&grid)), expected, "{other:?}");
        }
        assert_eq!(acc.clone().finalize_with(acc.trend_grid().as_ref()), expected);
    }

    #[test]
    fn flat_noisy_series_is_stable() {
        let counts: Vec<u64> = (0..30).map(|d| 100 + [3, 0, 5, 1, 4, 2][d % 6]).collect();
        let t = reduce(&[daily_columns(&counts, 3)], 30).trend.unwrap();
        assert_eq!(t.trend_type, TrendType::Stable, "velocity {}", t.velocity);
    }

    #[test]
    fn merged_parts_equal_one_accumulator() {
        let counts: Vec<u64> = (0..30).map(|d| (d * 7 % 11) as u64).collect();
        let whole = reduce(&[daily_columns(&counts, 4)], 30);
        let (early, late) = (daily_columns(&counts[..13], 4), {
            // The same records as days 13.. of the whole, shifted into place.
            let mut c = daily_columns(&counts, 4);
            let keep: Vec<usize> = (0..c.len()).filter(|&i| c.timestamp[i] >= 13 * DAY).collect();
            c.timestamp = keep.iter().map(|&i| c.timestamp[i]).collect();
            c.flags = keep.iter().map(|&i| c.flags[i]).collect();
            c.execution_time_ms = keep.iter().map(|&i| c.execution_time_ms[i]).collect();
            c.quality_score = keep.iter().map(|&i| c.quality_score[i]).collect();
            c.context_type = keep.iter().map(|&i| c.context_type[i]).collect();
            c.agent = keep.iter().map(|&i| c.agent[i]).collect();
            c.project = keep.iter().map(|&i| c.project[i]).collect();
            c.file_type = keep.iter().map(|&i| c.file_type[i]).collect();
            c
        });
        let merged = reduce(&[early, late], 30);
        assert_eq!(whole.usage, merged.usage);
        assert_eq!(whole.success.success_count, merged.success.success_count);
        assert_eq!(whole.distribution, merged.distribution);
        let (w, m) = (whole.trend.unwrap(), merged.trend.unwrap());
        assert_eq!(
            (w.trend_type, w.retention_rate, w.adoption_rate),
            (m.trend_type, m.retention_rate, m.adoption_rate)
        );
        assert!((w.velocity - m.velocity).abs() < 1e-12);
        let (wp, mp) = (whole.performance.unwrap(), merged.performance.unwrap());
        assert_eq!(wp.p95_execution_time_ms, mp.p95_execution_time_ms);
        assert!((wp.std_dev_ms - mp.std_dev_ms).abs() < 1e-9 * wp.std_dev_ms);
    }

    #[test]
    fn empty_input_is_the_empty_analytics() {
        let a = reduce(&[], 7);
        assert_eq!(a.usage.total_executions, 0);
        assert_eq!(a.usage.time_since_last_use, None);
        assert_eq!(a.usage.latest_us, None);
        assert_eq!(a.analytics_quality_score, 0.0);
        assert_eq!(a.performance.unwrap().sample_count, 0);
        assert_eq!(a.trend.unwrap().trend_type, TrendType::Emerging);
    }

    #[test]
    fn usage_only_early_is_abandoned() {
        let mut counts = vec![20u64; 10];
        counts.extend(vec![0; 20]);
        let t = reduce(&[daily_columns(&counts, 2)], 30).trend.unwrap();
        assert_eq!(t.trend_type, TrendType::Abandoned);
    }
}
