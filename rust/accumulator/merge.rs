//! Merging accumulators: the settings that must agree, then every summary added (bucket
//! counts too, except where a caller re-buckets them itself).

use super::differences::setting_differences;
use super::Accumulator;
use crate::error::CoreError;

impl Accumulator {
    /// Why `other` cannot be merged into this one (different settings), if it cannot:
    /// every setting that differs, with this one's value and the other's
    /// (`setting_differences`).
    pub fn check_compatible(&self, other: &Accumulator) -> Result<(), CoreError> {
        let differences = setting_differences(self, other);
        if differences.is_empty() {
            return Ok(());
        }
        Err(CoreError::InvalidOption(format!(
            "cannot merge accumulators with different settings: {}",
            differences.join(", ")
        )))
    }

    /// Fold `other` (same settings: see `check_compatible`) into this one.
    pub fn merge(&mut self, other: &Accumulator) {
        self.bucket_counts.merge(&other.bucket_counts);
        self.merge_all_but_buckets(other);
    }

    /// Fold `other`, whose records all lie in one trend bucket of this accumulator's
    /// window, into that bucket (a rolling bucket into a snapshot). Other settings as in
    /// `merge`, except the window.
    pub fn absorb(&mut self, other: &Accumulator, bucket: usize) {
        if bucket < self.bucket_counts.buckets() {
            self.bucket_counts.add(bucket, other.count);
        }
        self.merge_all_but_buckets(other);
    }

    fn merge_all_but_buckets(&mut self, other: &Accumulator) {
        self.count += other.count;
        self.success += other.success;
        self.timeouts += other.timeouts;
        self.gate_failures += other.gate_failures;
        self.quality_sum.merge(&other.quality_sum);
        self.quality_count += other.quality_count;
        self.durations.merge(&other.durations);
        for (day, count) in other.day_counts.iter() {
            self.day_counts.add(day, count);
        }
        for (mine, theirs) in self.hours.iter_mut().zip(other.hours) {
            *mine += theirs;
        }
        for (mine, theirs) in self.weekdays.iter_mut().zip(other.weekdays) {
            *mine += theirs;
        }
        self.latest = self.latest.max(other.latest);
        self.contexts.merge(&other.contexts);
        self.projects.merge(&other.projects);
        self.file_types.merge(&other.file_types);
        if self.families.trends {
            let (first_seen, last_seen) = (&mut self.agent_first_seen, &mut self.agent_last_seen);
            self.agents.merge_each(&other.agents, |theirs, mine| {
                if mine >= first_seen.len() {
                    first_seen.resize(mine + 1, i64::MAX);
                    last_seen.resize(mine + 1, i64::MIN);
                }
                if let Some(&first) = other.agent_first_seen.get(theirs) {
                    first_seen[mine] = first_seen[mine].min(first);
                }
                if let Some(&last) = other.agent_last_seen.get(theirs) {
                    last_seen[mine] = last_seen[mine].max(last);
                }
            });
            let n = self.agents.names.len();
            self.agent_first_seen.resize(n, i64::MAX);
            self.agent_last_seen.resize(n, i64::MIN);
        } else {
            self.agents.merge(&other.agents);
        }
    }
}
