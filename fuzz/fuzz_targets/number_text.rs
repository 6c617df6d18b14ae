//! The other readers of user text: SQLite cells' numbers and flags (`sqlite_read`), and
//! the hint an epoch number's text gets (`epoch_text`). Never a panic; a number is read
//! exactly where Rust's `f64` parser reads the same text (less the infinities and NaNs,
//! which it reads and Python's typing leaves alone); a flag's text is one of the words;
//! a date written without separators is hinted as text the ISO parser reads.
#![no_main]

use _core::sqlite_read::{flag_text, number_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let number = number_text(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let stripped = text.trim_matches(['\t', '\n', '\x0b', '\x0c', '\r', ' ']);
        let letters = stripped
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E'));
        if let (Ok(parsed), false) = (stripped.parse::<f64>(), letters) {
            assert_eq!(number.map(f64::to_bits), Some(parsed.to_bits()), "{text:?}");
        }
        hint_reads_back(text);
    }
    if let Some(flag) = flag_text(data) {
        // (Python's `str.strip()` among ASCII: `\t`-`\r`, `\x1c`-`\x1f` and the space.)
        let space = |c: char| ('\t'..='\r').contains(&c) || ('\x1c'..='\x1f').contains(&c) || c == ' ';
        let word = String::from_utf8_lossy(data).trim_matches(space).to_ascii_lowercase();
        let words: &[&str] = if flag {
            &["true", "t", "yes", "y", "1"]
        } else {
            &["false", "f", "no", "n", "0"]
        };
        assert!(words.contains(&word.as_str()), "{data:?} read as {flag}");
    }
});

/// A hint that shows a date as ISO-8601 shows text that the ISO parser reads.
fn hint_reads_back(text: &str) {
    let hint = _core::epoch_text::epoch_text_hint(text);
    let shown = hint
        .strip_prefix(" (a date written without separators is not read: as ISO-8601, ")
        .or_else(|| hint.split_once("this one is ").map(|(_, shown)| shown));
    if let Some(shown) = shown {
        let iso = shown.strip_suffix(')').expect("a hint ends with ')'");
        assert!(
            _core::timeparse::parse_iso_micros(iso).is_ok(),
            "{text:?}: hint {hint:?}"
        );
    }
}
