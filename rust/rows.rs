//! Which rows of a chunk an accumulator adds: a contiguous range (a whole chunk, a half of
//! one, a pattern's rows of a chunk sorted by pattern) or any other list (the rolling
//! window's rows of one bucket). A range lets the per-row loops run over plain slices,
//! with no bounds check per row and vectorized where they can be.

use std::iter::Map;
use std::ops::Range;

/// Row indices into a chunk's columns, each at most once, all within the columns (a range
/// is read as a slice of them: its start at most its end, its end at most their length).
pub trait Rows: DoubleEndedIterator<Item = usize> + Clone {
    /// The rows as one range, when they are one.
    fn contiguous(&self) -> Option<Range<usize>>;
}

impl Rows for Range<usize> {
    fn contiguous(&self) -> Option<Range<usize>> {
        Some(self.clone())
    }
}

impl<I, F> Rows for Map<I, F>
where
    Map<I, F>: DoubleEndedIterator<Item = usize> + Clone,
{
    fn contiguous(&self) -> Option<Range<usize>> {
        None
    }
}

/// Tests: `range` as a list of rows, not a range (`contiguous` is `None`), as the rolling
/// window passes a bucket's rows.
#[cfg(test)]
#[allow(clippy::map_identity)] // (The map is the point: it hides the range.)
pub fn listed(range: Range<usize>) -> impl Rows {
    range.map(|row| row)
}
