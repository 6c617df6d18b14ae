//! Python's `repr` of floats and strings, for error messages that name a bad value the
//! way the list-of-dicts reader (which has the Python object) does.

/// Python's `repr` of a float: the shortest digits that round-trip, positional for
/// decimal exponents in [-4, 16), else scientific with a signed, two-digit exponent.
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Python prints the fewest digits that read back as x, correctly rounded (ties to
    // even). Rust's shortest form gives the count; a tie can make its last digit differ
    // (512.9524536132812 in Python, ...13 in Rust's shortest), so the digits come from an
    // exactly rounded formatting with that many digits.
    let shortest = format!("{x:e}");
    let digits = shortest
        .split('e')
        .next()
        .unwrap_or("")
        .bytes()
        .filter(u8::is_ascii_digit)
        .count()
        .max(1);
    let mut rounded = format!("{:.*e}", digits - 1, x.abs());
    if rounded.parse::<f64>() != Ok(x.abs()) {
        // At a power of two the double below is nearer, so the exact tie's even neighbour
        // can read back as that double (2^-24: Python prints 5.960464477539063e-08, the
        // even ...062e-08 reads back as the double below); then only the shortest form
        // round-trips.
        rounded = format!("{:e}", x.abs());
    }
    let (mantissa, exponent) = rounded.split_once('e').unwrap_or((&rounded, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let all: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = all.trim_end_matches('0');
    let significant = if significant.is_empty() { "0" } else { significant };
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if (-4..16).contains(&exponent) {
        let (int_part, frac_part) = if exponent >= 0 {
            let split = exponent as usize + 1;
            if significant.len() <= split {
                (format!("{significant:0<split$}"), "0".to_owned())
            } else {
                (significant[..split].to_owned(), significant[split..].to_owned())
            }
        } else {
            (
                "0".to_owned(),
                format!("{}{significant}", "0".repeat((-exponent - 1) as usize)),
            )
        };
        format!("{sign}{int_part}.{frac_part}")
    } else {
        let (first, rest) = significant.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_owned()
        } else {
            format!("{first}.{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.abs())
    }
}

/// Python's `repr` of a str: single quotes unless the text holds a single quote and no
/// double quote; backslashes, the quote and the characters Python does not print escaped
/// (`\x..`, `\u....`, `\U........`). Those are the controls, all white space but the
/// ASCII space, and the common format characters (`escaped`); the rarer ones Python also
/// escapes (unassigned code points, private use) are written as they are, which needs no
/// Unicode category tables.
///
/// Only its start is written: the first `chars` characters escaped (the quote is still
/// the whole text's), without the closing quote when more follow. For error samples,
/// which show the first 80 characters: a long value is not escaped in full for each.
pub fn py_str_repr_start(text: &str, chars: usize) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len().min(chars.saturating_mul(4)) + 2);
    out.push(quote);
    let mut rest = text.chars();
    for c in rest.by_ref().take(chars) {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if escaped(c) => {
                let code = c as u32;
                out.push_str(&match code {
                    0..=0xff => format!("\\x{code:02x}"),
                    0x100..=0xffff => format!("\\u{code:04x}"),
                    _ => format!("\\U{code:08x}"),
                });
            }
            c => out.push(c),
        }
    }
    if rest.next().is_none() {
        out.push(quote);
    }
    out
}

/// Whether Python's repr escapes `c` (of the characters `py_str_repr` knows, see there).
fn escaped(c: char) -> bool {
    let code = c as u32;
    code < 0x20
        || (0x7f..=0xa0).contains(&code) // DEL, the C1 controls, no-break space
        || code == 0xad // soft hyphen
        || (c.is_whitespace() && c != ' ')
        || (0x200b..=0x200f).contains(&code) // zero-width spaces and joiners, marks
        || (0x202a..=0x202e).contains(&code) // bidirectional embeddings
        || (0x2060..=0x206f).contains(&code) // word joiner, invisible operators, isolates
        || code == 0xfeff // byte order mark
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py_str_repr(text: &str) -> String {
        py_str_repr_start(text, usize::MAX)
    }

    #[test]
    fn str_reprs_match_python() {
        assert_eq!(py_str_repr("it's"), "\"it's\"");
        assert_eq!(py_str_repr("say \"hi\""), "'say \"hi\"'");
        assert_eq!(py_str_repr("both ' and \""), "'both \\' and \"'");
        // The start of a long text's repr, quoted as the whole is.
        assert_eq!(py_str_repr_start("ab'cd", 2), "\"ab");
        assert_eq!(py_str_repr_start("ab'cd\"", 3), "'ab\\'");
        assert_eq!(py_str_repr_start("abc", 3), "'abc'");
        assert_eq!(py_str_repr("a\\b\nc\u{1}"), "'a\\\\b\\nc\\x01'");
        // Python: repr("\x85\xa0\u3000\u2028\u200b\ufeff\xad\x1c é日")
        assert_eq!(
            py_str_repr("\u{85}\u{a0}\u{3000}\u{2028}\u{200b}\u{feff}\u{ad}\u{1c} é日"),
            "'\\x85\\xa0\\u3000\\u2028\\u200b\\ufeff\\xad\\x1c é日'"
        );
    }

    #[test]
    fn float_reprs_match_python() {
        assert_eq!(py_float_repr(-(2f64.powi(-24))), "-5.960464477539063e-08");
        let cases = [
            (-1e-5, "-1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (-0.0001, "-0.0001"),
            (5.0, "5.0"),
            (0.1, "0.1"),
            (1e15, "1000000000000000.0"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
            // An exact tie between two shortest forms: Python rounds half to even.
            (f64::from_bits(0x4080_079e_a000_0000), "512.9524536132812"), // 512.95245361328125
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (9.5, "9.5"),
            (1e-5, "1e-05"),
            (123.0, "123.0"),
        ];
        for (x, want) in cases {
            assert_eq!(py_float_repr(x), want);
        }
    }
}
