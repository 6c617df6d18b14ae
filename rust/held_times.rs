//! Execution times held back by a one-call grouped reduction (see
//! `GroupedAccumulators::for_one_call`): each chunk's times in group order, and where
//! each group present in the chunk has its run. Memory is one f64 per row plus 12 bytes
//! per (chunk, group present) pair, at most per row: a chunk records only its own groups,
//! so thousands of small chunks over many groups cost no more than their rows.

/// The held times of every chunk, in chunk (record) order.
#[derive(Clone, Debug, Default)]
pub struct HeldTimes {
    chunks: Vec<Chunk>,
}

#[derive(Clone, Debug)]
struct Chunk {
    /// The chunk's execution times in group order (missing ones as NaN).
    times: Vec<f64>,
    /// (group, start, end) of each group present, ascending by group.
    runs: Vec<(u32, u32, u32)>,
}

impl HeldTimes {
    /// Hold a chunk's `times`, in group order: group g's are `starts[g]..starts[g + 1]`.
    pub fn hold(&mut self, times: Vec<f64>, starts: &[u32]) {
        let runs = starts
            .windows(2)
            .enumerate()
            .filter(|(_, bounds)| bounds[0] < bounds[1])
            .map(|(group, bounds)| (group as u32, bounds[0], bounds[1]))
            .collect();
        self.chunks.push(Chunk { times, runs });
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// The bytes held: the times and their runs.
    pub fn bytes(&self) -> usize {
        self.chunks
            .iter()
            .map(|chunk| chunk.times.len() * std::mem::size_of::<f64>() + chunk.runs.len() * 12)
            .sum()
    }

    /// The (chunk, group) runs held: what `by_group` allocates is proportional to them.
    pub fn runs(&self) -> usize {
        self.chunks.iter().map(|chunk| chunk.runs.len()).sum()
    }

    #[cfg(test)]
    pub fn chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Each group's held times, found without a scan of every chunk per group.
    pub fn by_group(&self) -> ByGroup<'_> {
        let groups = self
            .chunks
            .iter()
            .filter_map(|chunk| chunk.runs.last())
            .map(|&(group, _, _)| group as usize + 1)
            .max()
            .unwrap_or(0);
        // A counting sort of the (chunk, run) pairs by group; chunks stay in order.
        let mut offsets = vec![0u32; groups + 1];
        for chunk in &self.chunks {
            for &(group, _, _) in &chunk.runs {
                offsets[group as usize + 1] += 1;
            }
        }
        for g in 1..offsets.len() {
            offsets[g] += offsets[g - 1];
        }
        let mut next = offsets.clone();
        let mut parts: Vec<&[f64]> = vec![&[]; *offsets.last().unwrap_or(&0) as usize];
        for chunk in &self.chunks {
            for &(group, lo, hi) in &chunk.runs {
                let slot = &mut next[group as usize];
                parts[*slot as usize] = &chunk.times[lo as usize..hi as usize];
                *slot += 1;
            }
        }
        ByGroup { offsets, parts }
    }
}

/// Every group's held times, as the runs of the chunks holding some, in record order.
pub struct ByGroup<'a> {
    offsets: Vec<u32>,
    parts: Vec<&'a [f64]>,
}

impl<'a> ByGroup<'a> {
    /// Group `group`'s times (none for a group no chunk holds).
    pub fn of(&self, group: usize) -> &[&'a [f64]] {
        match (self.offsets.get(group), self.offsets.get(group + 1)) {
            (Some(&lo), Some(&hi)) => &self.parts[lo as usize..hi as usize],
            _ => &[],
        }
    }

    /// How many times group `group` holds.
    pub fn len_of(&self, group: usize) -> usize {
        self.of(group).iter().map(|part| part.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_get_their_runs_in_chunk_order_and_absent_groups_none() {
        let mut held = HeldTimes::default();
        // Chunk 0: groups 0 (2 times) and 2 (1); chunk 1: group 2 (2), group 5 (1).
        held.hold(vec![1.0, 2.0, 3.0], &[0, 2, 2, 3]);
        held.hold(vec![4.0, 5.0, 6.0], &[0, 0, 0, 2, 2, 2, 3]);
        let by_group = held.by_group();
        assert_eq!(by_group.of(0), &[&[1.0, 2.0][..]]);
        assert_eq!(by_group.of(2), &[&[3.0][..], &[4.0, 5.0][..]]);
        assert_eq!(by_group.of(5), &[&[6.0][..]]);
        for absent in [1, 3, 4, 6, 1_000] {
            assert!(by_group.of(absent).is_empty(), "group {absent}");
        }
        assert_eq!(held.chunks(), 2);
        assert!(HeldTimes::default().by_group().of(0).is_empty());
    }

    #[test]
    fn a_chunk_records_only_the_groups_present() {
        let mut held = HeldTimes::default();
        // One row of group 99,999 among 100,000 groups seen so far.
        let mut starts = vec![0u32; 100_001];
        starts[100_000] = 1;
        held.hold(vec![7.0], &starts);
        assert_eq!(held.chunks[0].runs, vec![(99_999, 0, 1)]);
    }
}
