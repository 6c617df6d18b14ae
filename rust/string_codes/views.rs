//! The codes of a slice of Arrow string views (`utf8_view`, what polars exports).
//!
//! A view of a string of at most 12 bytes holds the string itself (its length, then its
//! bytes), so two such views that are equal hold the same string: a cache keyed by the
//! view's 16 bytes codes a row with a hash and a compare, without decoding the view into a
//! string and hashing that. The cache is direct-mapped (a view that misses, new or sharing
//! its slot with another, is coded by `StringCodes::code`), so no input can make its
//! lookups probe. Longer strings are coded by `StringCodes::code` row by row.

use arrow_array::{Array, StringViewArray};

use super::StringCodes;

/// Slots of the views' cache, a power of two: 16 KiB of keys and codes, in the core's
/// second-level cache, for the few names a category column repeats.
const VIEW_SLOTS: usize = 1 << 10;
/// A view that no inline string has (its length field past 12): an empty slot.
const EMPTY: u128 = u128::MAX;
/// The longest string a view holds inline.
const INLINE: u32 = 12;

/// The slot of an inline view (a multiply-shift hash of its two halves).
#[inline]
fn slot_of(view: u128) -> usize {
    let mixed = (view as u64) ^ ((view >> 64) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed.wrapping_mul(0xd6e8_feb8_6659_fd93) >> (64 - VIEW_SLOTS.trailing_zeros())) as usize
}

impl<'a> StringCodes<'a> {
    /// Codes of every row of `strings` into `codes` (`missing` for nulls), as `code_all`
    /// gives them for the same strings in a plain column: each string's code remembered,
    /// or `code_of(string)`.
    pub fn code_views(
        &mut self,
        strings: &'a StringViewArray,
        codes: &mut [u32],
        missing: u32,
        mut code_of: impl FnMut(&str) -> u32,
    ) {
        assert_eq!(codes.len(), strings.len(), "one code per row");
        let views = strings.views();
        let nulls = strings.nulls().filter(|n| n.null_count() > 0);
        let mut cache = vec![(EMPTY, 0u32); VIEW_SLOTS];
        for (row, code) in codes.iter_mut().enumerate() {
            if nulls.is_some_and(|n| n.is_null(row)) {
                *code = missing;
                continue;
            }
            let view = views[row];
            if view as u32 > INLINE {
                *code = self.code(strings.value(row), &mut code_of);
                continue;
            }
            let slot = &mut cache[slot_of(view)];
            if slot.0 != view {
                *slot = (view, self.code(strings.value(row), &mut code_of));
            }
            *code = slot.1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_random::xorshift;

    #[test]
    fn views_are_coded_as_their_strings_are() {
        // Short names (inline), long paths, empty strings and nulls, in random order, over
        // more distinct short strings than the cache has slots (so that slots are shared).
        let mut next = xorshift(7);
        let short: Vec<String> = (0..3 * VIEW_SLOTS).map(|i| format!("a{i}")).collect();
        let long: Vec<String> = (0..50).map(|i| format!("src/package/module_{i}.py")).collect();
        let rows: Vec<Option<&str>> = (0..20_000)
            .map(|_| match next() % 10 {
                0 => None,
                1 => Some(""),
                2..=4 => Some(long[(next() % 50) as usize].as_str()),
                5..=7 => Some(short[(next() % 8) as usize].as_str()),
                _ => Some(short[(next() % short.len() as u64) as usize].as_str()),
            })
            .collect();
        let views = StringViewArray::from(rows.clone());
        let mut order = Vec::new();
        let mut codes = vec![0u32; rows.len()];
        StringCodes::new(usize::MAX).code_views(&views, &mut codes, u32::MAX, |text| {
            order.push(text.to_owned());
            order.len() as u32 - 1
        });
        // Each distinct string asked for once, in the order of its first row; each row its
        // string's code.
        let mut expected_order: Vec<String> = Vec::new();
        for text in rows.iter().flatten() {
            if !expected_order.iter().any(|seen| seen == text) {
                expected_order.push((*text).to_owned());
            }
        }
        assert_eq!(order, expected_order);
        for (row, code) in rows.iter().zip(&codes) {
            match row {
                None => assert_eq!(*code, u32::MAX),
                Some(text) => assert_eq!(order[*code as usize], *text),
            }
        }
    }

    #[test]
    fn inline_views_with_other_bytes_past_their_strings_are_their_strings() {
        // A producer need not zero an inline view's bytes past its string: views of one
        // string that differ there are other keys of the cache, but the same string, so
        // the same code, asked for once.
        let view = |text: &[u8], garbage: u8| {
            let mut bytes = [garbage; 16];
            bytes[..4].copy_from_slice(&(text.len() as u32).to_le_bytes());
            bytes[4..4 + text.len()].copy_from_slice(text);
            u128::from_le_bytes(bytes)
        };
        let views = [
            view(b"agent", 0),
            view(b"agent", 0xff),
            view(b"", 7),
            view(b"agent", 1),
            view(b"", 0),
        ];
        let buffer = arrow_buffer::ScalarBuffer::from(views.to_vec());
        // SAFETY: inline views only (no data buffers to point into), of UTF-8 strings.
        let strings = unsafe { StringViewArray::new_unchecked(buffer, Vec::new(), None) };
        let mut asked = Vec::new();
        let mut codes = vec![0u32; views.len()];
        StringCodes::new(usize::MAX).code_views(&strings, &mut codes, u32::MAX, |text| {
            asked.push(text.to_owned());
            asked.len() as u32 - 1
        });
        assert_eq!(asked, ["agent", ""]);
        assert_eq!(codes, [0, 0, 1, 0, 1]);
    }
}
