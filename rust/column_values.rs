//! A column's values: a vector of its own, or an Arrow buffer read in place.

use std::ops::{Deref, DerefMut};

use arrow_buffer::{ArrowNativeType, ScalarBuffer};

/// The values of one column of a chunk. Values an Arrow reader takes as they are
/// (microsecond timestamps; float64 times and scores without nulls, bad values or -0.0)
/// are the input's own buffer, shared, when the caller holds the input whole: a copy per
/// slice and column is then no memory of its own (the 10M-record, 10,000-pattern batch's
/// peak dropped by about 30-90 MB; one-pattern times did not change, their 64K-row copies
/// staying in cache for the pass that read them). Writing to shared values copies them
/// first (copy on write), and the vector keeps its capacity while values are shared, so a
/// reader's buffers are not fresh pages for every chunk.
#[derive(Clone, Debug, Default)]
pub struct ColumnValues<T: ArrowNativeType> {
    owned: Vec<T>,
    /// When set, the values (and `owned` is empty).
    shared: Option<ScalarBuffer<T>>,
}

impl<T: ArrowNativeType> ColumnValues<T> {
    pub fn with_capacity(rows: usize) -> Self {
        Vec::with_capacity(rows).into()
    }

    /// Hold `values` (an input's buffer) as these values.
    pub fn share(&mut self, values: ScalarBuffer<T>) {
        self.owned.clear();
        self.shared = Some(values);
    }

    /// The input buffer these values are, if they are one.
    pub fn shared(&self) -> Option<&ScalarBuffer<T>> {
        self.shared.as_ref()
    }

    /// The input buffer these values are, taken (leaving no values), if they are one.
    pub fn take_shared(&mut self) -> Option<ScalarBuffer<T>> {
        self.shared.take()
    }

    /// The values as a vector of their own (shared ones copied into it first).
    #[inline]
    pub fn vec_mut(&mut self) -> &mut Vec<T> {
        if self.shared.is_some() {
            self.unshare();
        }
        &mut self.owned
    }

    #[cold]
    fn unshare(&mut self) {
        if let Some(shared) = self.shared.take() {
            self.owned.clear();
            self.owned.extend_from_slice(&shared);
        }
    }

    /// No values, and an empty vector of their own to fill (keeping its capacity).
    pub fn cleared(&mut self) -> &mut Vec<T> {
        self.shared = None;
        self.owned.clear();
        &mut self.owned
    }

    /// The vector of its own, as it is, for a writer that overwrites every value (a
    /// vector already long enough needs no fill); shared values are dropped, not copied.
    pub fn to_overwrite(&mut self) -> &mut Vec<T> {
        self.shared = None;
        &mut self.owned
    }

    pub fn clear(&mut self) {
        self.cleared();
    }

    #[inline]
    pub fn push(&mut self, value: T) {
        self.vec_mut().push(value);
    }

    /// The values as a vector, taken (leaving none): shared ones are copied.
    pub fn take_vec(&mut self) -> Vec<T> {
        std::mem::take(self.vec_mut())
    }
}

impl<T: ArrowNativeType> Deref for ColumnValues<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.shared {
            Some(shared) => shared,
            None => &self.owned,
        }
    }
}

impl<T: ArrowNativeType> DerefMut for ColumnValues<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.vec_mut()
    }
}

impl<T: ArrowNativeType> From<Vec<T>> for ColumnValues<T> {
    fn from(owned: Vec<T>) -> Self {
        ColumnValues { owned, shared: None }
    }
}

impl<T: ArrowNativeType> FromIterator<T> for ColumnValues<T> {
    fn from_iter<I: IntoIterator<Item = T>>(values: I) -> Self {
        values.into_iter().collect::<Vec<T>>().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_values_are_read_in_place_and_copied_before_a_write() {
        let input = ScalarBuffer::from(vec![1.5, 2.5, 3.5]);
        let mut values = ColumnValues::with_capacity(8);
        values.push(9.0);
        values.share(input.clone());
        assert_eq!(&values[..], &[1.5, 2.5, 3.5]);
        assert_eq!(values.as_ptr(), input.as_ptr(), "read in place");
        values[1] = 7.0;
        assert_eq!(&values[..], &[1.5, 7.0, 3.5]);
        assert_eq!(&input[..], &[1.5, 2.5, 3.5], "the input is not written");
        assert!(values.shared().is_none());
        // Cleared, the vector keeps its capacity (8 at least) for the next chunk.
        values.share(input.clone());
        assert!(values.cleared().capacity() >= 8);
        assert!(values.is_empty());
        values.vec_mut().extend([4.0, 5.0]);
        values.share(input.clone());
        assert_eq!(
            values.to_overwrite().len(),
            0,
            "no copy of values about to be overwritten"
        );
        values.share(input.clone());
        assert_eq!(values.take_vec(), vec![1.5, 2.5, 3.5]);
        assert!(values.is_empty());
        values.share(input.clone());
        assert_eq!(values.take_shared().map(|b| b.as_ptr()), Some(input.as_ptr()));
        assert!(values.is_empty());
    }
}
