//! Serialized states merged as they are read (`merge_serialized`): a Dask merge node's
//! k-way merge without loading each state whole first.
//!
//! Loading eight 10,000-pattern states and then merging them built 80,000 accumulators and
//! freed them again, their execution times copied into fresh pages, while the merged
//! state's own kept times grew towards the exact budget only to be sketched and dropped
//! (`BENCHMARKS.md`, the Dask results of session 31). Here every payload is decoded first
//! (names and arrays borrow from the bytes), which tells each pattern's kept times in all
//! states; then each stored pattern is loaded, checked as `from_bytes` checks it, and
//! merged at once, so its buffers are reused by the next. A pattern whose times will pass
//! the budget is summarized when it is placed, before any merge: its sketch is the one
//! merging the loaded states gives (a sketch counts values by key, in any order), and its
//! moments differ from that only by rounding.
//!
//! The decoded payloads are held together until each is merged: their execution times are
//! borrowed, but tallies, days and reports are decoded (about 1.5 KB a pattern). For
//! states of few times per pattern, merging many at once so takes more memory than loading
//! them one by one (a review measured peaks of 138 against 91 MB for eight states of
//! 10,000 patterns and about 40 records each; 263 against 271 MB for the Dask
//! benchmark's states, whose times dominate).

use super::*;
use crate::state::{check_record_total, check_same_kind, check_same_settings};

/// The state holding the records of all of `blobs` (framed states, at least one), as
/// loading each and merging them in order gives, with each state's meta bytes. Every
/// check of `from_bytes` applies to each state, and those of a merge to each pair: an
/// error for any, and nothing is returned but the error.
pub fn merge_serialized(blobs: &[&[u8]]) -> Result<(State, Vec<Vec<u8>>), CoreError> {
    let wires = blobs.iter().map(|blob| decode(blob)).collect::<Result<Vec<_>, _>>()?;
    let metas = wires.iter().map(|wire| wire.meta.to_vec()).collect();
    let Some(first) = wires.first() else {
        return Err(CoreError::InvalidOption("no state to merge".into()));
    };
    let template = template_of(&first.settings)?;
    let grouped = matches!(first.body, BodyWire::Grouped(_));
    for wire in &wires[1..] {
        check_same_kind(grouped, matches!(wire.body, BodyWire::Grouped(_)))?;
        if wire.settings != first.settings {
            check_same_settings(&template, &template_of(&wire.settings)?)?;
        }
    }
    let state = if grouped {
        merge_grouped(template, wires)?
    } else {
        // One pattern per state: nothing to stream.
        let mut states = wires.into_iter().map(state_of);
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

fn merge_grouped(template: Accumulator, wires: Vec<StateWire<'_>>) -> Result<State, CoreError> {
    let mixed = || CoreError::Internal("a single-pattern state among batch states".into());
    // Each pattern's code (in the order merging the states one by one gives) and its kept
    // times in all states, None once one holds a summary.
    let mut index = GroupIndex::default();
    let mut kept: Vec<Option<usize>> = Vec::new();
    for wire in &wires {
        let BodyWire::Grouped(groups) = &wire.body else {
            return Err(mixed());
        };
        for group in groups {
            let code = code_of(&mut index, &group.key) as usize;
            if code == kept.len() {
                kept.push(Some(0));
            }
            let accumulator = &group.accumulator;
            let times = accumulator
                .summary
                .is_none()
                .then_some(accumulator.exact_times.0.len() / 8);
            kept[code] = kept[code].zip(times).map(|(all, these)| all.saturating_add(these));
        }
    }
    // A pattern's first stored accumulator becomes its merged one: patterns come in the
    // order of their codes.
    let mut merged: Vec<Accumulator> = Vec::with_capacity(kept.len());
    // Per pattern, the number (from 1) of the last state that listed it.
    let mut listed_by = vec![0usize; kept.len()];
    let mut report = IngestReport::default();
    for (number, wire) in (1..).zip(wires) {
        let whole = report_of(wire.report)?;
        check_record_total(&report, &whole)?;
        let mut names = LoadedNames::with_table(&wire.names).map_err(corrupt)?;
        let mut totals = GroupTotals::default();
        let BodyWire::Grouped(groups) = wire.body else {
            return Err(mixed());
        };
        for group in groups {
            let code = code_of(&mut index, &group.key);
            let slot = code as usize;
            // (As `state_of`: a state lists each pattern once, in one form of its id.)
            ensure(listed_by[slot] != number, "a pattern id appears twice")?;
            listed_by[slot] = number;
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
    Ok(State { template, report, body })
}
