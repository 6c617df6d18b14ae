//! Serialized states merged as they are read (`merge_serialized`): a Dask merge node's
//! k-way merge without loading each state whole first.
//!
//! Loading eight 10,000-pattern states and then merging them built 80,000 accumulators and
//! freed them again, their execution times copied into fresh pages, while the merged
//! state's own kept times grew towards the exact budget only to be sketched and dropped
//! (`BENCHMARKS.md`, the Dask results of session 31). Here a first pass decodes each payload
//! (names and arrays borrow from the bytes) for each pattern's kept times in all states;
//! then a second decodes each again, and loads each stored pattern, checked as `from_bytes`
//! checks it, and merges it at once, so its buffers are reused by the next. A pattern whose
//! times will pass the budget is summarized when it is placed, before any merge: its sketch
//! is the one merging the loaded states gives (a sketch counts values by key, in any
//! order), and its moments differ from that only by rounding.
//!
//! One decoded payload at a time: decoded, a state's tallies, days and reports take about
//! 1.5 KB a pattern (only the execution times stay in the bytes), and holding all of them
//! took more memory than loading the states one by one for states of few times (peaks of
//! 139 against 91 MB for eight states of 10,000 patterns and about 40 records each; 75 MB
//! now); a year of daily states would hold a year of them. Decoding twice costs about a
//! tenth of the benchmark's merge node (791 against 713 ms; BENCHMARKS.md, session 31).

use super::room::{loaded_bytes, make_room_to_merge, names_bytes, MergeShare};
use super::*;
use crate::room::{count_text, ensure_room, try_grow, try_grow_exact};
use crate::state::{check_record_total, check_same_kind, check_same_settings};

/// The state holding the records of all of `blobs` (framed states, at least one), as
/// loading each and merging them in order gives, with each state's meta bytes (in its
/// blob). Every check of `from_bytes` applies to each state, and those of a merge to each
/// pair: an error for any, and nothing is returned but the error.
pub fn merge_serialized<'a>(blobs: &[&'a [u8]]) -> Result<(State, Vec<&'a [u8]>), CoreError> {
    let payloads = blobs
        .iter()
        .map(|blob| payload_of(blob))
        .collect::<Result<Vec<_>, _>>()?;
    // The first pass: each state's kind, settings and meta; the patterns' codes (in the
    // order merging the states one by one gives) and their kept times in all states.
    let mut first: Option<(SettingsWire, Accumulator, bool)> = None;
    let mut metas = Vec::with_capacity(payloads.len());
    let mut patterns = Patterns::default();
    for payload in &payloads {
        let wire = decode_payload(*payload)?;
        let grouped = matches!(wire.body, BodyWire::Grouped(_));
        match &first {
            None => {
                let template = template_of(&wire.settings)?;
                first = Some((wire.settings, template, grouped));
            }
            Some((settings, template, kind)) => {
                check_same_kind(*kind, grouped)?;
                if wire.settings != *settings {
                    check_same_settings(template, &template_of(&wire.settings)?)?;
                }
            }
        }
        metas.push(meta_of(&wire.meta)?);
        if let BodyWire::Grouped(groups) = &wire.body {
            patterns.count(&wire.names, groups)?;
        }
    }
    let Some((_, template, grouped)) = first else {
        return Err(CoreError::InvalidOption("no state to merge".into()));
    };
    let state = if grouped {
        merge_grouped(template, &payloads, patterns)?
    } else {
        // One pattern per state: nothing to stream.
        let mut states = payloads
            .iter()
            .map(|payload| decode_payload(*payload).and_then(state_of));
        let mut state = states
            .next()
            .transpose()?
            .ok_or_else(|| CoreError::Internal("no first state".into()))?;
        for other in states {
            state.merge(&other?)?;
        }
        state
    };
    Ok((state, metas))
}

/// The patterns of batch states, coded as the merged state codes them, and each one's kept
/// times in all of them (None once one holds a summary); what each state adds to the merge
/// (for `room`'s checks).
#[derive(Default)]
struct Patterns {
    index: GroupIndex,
    kept: Vec<Option<usize>>,
    shares: Vec<MergeShare>,
}

impl Patterns {
    fn count(&mut self, names: &[&str], groups: &[GroupWire<'_>]) -> Result<(), CoreError> {
        let mut share = MergeShare {
            names: names_bytes(names),
            ..MergeShare::default()
        };
        for group in groups {
            let code = code_of(&mut self.index, &group.key)? as usize;
            share.loaded = share.loaded.saturating_add(loaded_bytes(&group.accumulator));
            if code == self.kept.len() {
                share.new_patterns += 1;
                try_grow(&mut self.kept, code + 1, || {
                    format!("the kept times of {} patterns", count_text(code + 1))
                })?;
                self.kept.push(Some(0));
            }
            let accumulator = &group.accumulator;
            let times = accumulator
                .summary
                .is_none()
                .then_some(accumulator.exact_times.0.len() / 8);
            self.kept[code] = self.kept[code].zip(times).map(|(all, these)| all.saturating_add(these));
        }
        self.shares.push(share);
        Ok(())
    }
}

fn merge_grouped(template: Accumulator, payloads: &[Payload<'_>], patterns: Patterns) -> Result<State, CoreError> {
    let Patterns {
        mut index,
        kept,
        shares,
    } = patterns;
    let what = || format!("merging the states of {} patterns", count_text(kept.len()));
    // A pattern's first stored accumulator becomes its merged one: patterns come in the
    // order of their codes. (Its place made here, its parts as each state is merged.)
    let mut merged: Vec<Accumulator> = Vec::new();
    try_grow_exact(&mut merged, kept.len(), what)?;
    ensure_room(kept.len().saturating_mul(std::mem::size_of::<usize>()), what)?;
    // Per pattern, the number (from 1) of the last state that listed it.
    let mut listed_by = vec![0usize; kept.len()];
    let mut report = IngestReport::default();
    for (number, payload) in (1..).zip(payloads) {
        let wire = decode_payload(*payload)?;
        make_room_to_merge(shares.get(number - 1).copied().unwrap_or_default(), number)?;
        let whole = located(report_of(wire.report)?, wire.locations)?;
        ensure(samples_inside(&whole), "an error sample is past its records")?;
        check_record_total(&report, &whole)?;
        let mut names = LoadedNames::with_table(&wire.names).map_err(corrupt)?;
        let mut totals = GroupTotals::default();
        let BodyWire::Grouped(groups) = wire.body else {
            return Err(CoreError::Internal("a single-pattern state among batch states".into()));
        };
        for group in groups {
            let code = code_of(&mut index, &group.key)?;
            let slot = code as usize;
            // (As `state_of`: a state lists each pattern once, in one form of its id.)
            let Some(listed) = listed_by.get_mut(slot) else {
                return Err(CoreError::Internal("a pattern the first pass did not count".into()));
            };
            ensure(*listed != number, "a pattern id appears twice")?;
            *listed = number;
            let (mut accumulator, group_report) = group_of(&template, group, &mut names)?;
            totals.add(accumulator.count, &group_report)?;
            index.add_report(code, &group_report);
            if let Some(mine) = merged.get_mut(slot) {
                mine.merge(&accumulator);
            } else if slot == merged.len() {
                accumulator.durations.expect_merged(kept[slot]);
                merged.push(accumulator);
            } else {
                return Err(CoreError::Internal("patterns out of the order of their codes".into()));
            }
        }
        ensure(names.all_listed(), "a name no tally lists")?;
        totals.check(&whole)?;
        report.merge(&whole);
    }
    let body = Reduction::Grouped(GroupedAccumulators::from_parts(template.clone(), merged), index);
    Ok(State {
        template,
        report,
        body,
        broken: None,
    })
}
