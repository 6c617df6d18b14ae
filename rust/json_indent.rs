//! Compact JSON text laid out as Python's `json.dumps(indent=N)` lays it out, with each
//! non-finite number written `null`.
//!
//! Python's `json` encodes with its C encoder only without `indent`: with it, every value
//! goes through a pure-Python generator (a dashboard of 100,000 patterns: 1.29 s, against
//! 0.36 s compact and laid out here; `benches/report_json.py`). The CLI's JSON reports are
//! encoded compact by the C
//! encoder, then laid out here, byte for byte as `indent` would have: the value text
//! (floats' `repr`, string escapes, `ensure_ascii`) is the C encoder's own, and only the
//! whitespace between tokens is added. The C encoder writes a non-finite float as the bare
//! token `NaN`, `Infinity` or `-Infinity`; a report writes `null` for it, as JavaScript's
//! `JSON.stringify` does (`contracts.json_safe` did that to the document before).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// `compact` (JSON as `json.dumps(separators=(",", ":"))` writes it: no whitespace outside
/// strings) laid out with `indent` spaces per level, `": "` after keys, and each
/// non-finite number as `null`. An error for text that does not have that form where the
/// layout depends on it (an unclosed string, unbalanced brackets, whitespace between
/// tokens).
///
/// Bytes, not text: a Python string may hold lone surrogates (`"\udcff"` is valid to
/// `json.dumps` without `ensure_ascii`), which no `str` holds; Python hands them over
/// encoded with `surrogatepass`, and their bytes, all 0x80 and above, are never taken for
/// the layout's ASCII tokens. Only ASCII is added between tokens, so the bytes stay as
/// valid (or as surrogate-passing) as they came.
pub fn indent_json(bytes: &[u8], indent: usize) -> Result<Vec<u8>, String> {
    if indent > MAX_INDENT {
        // (A layout of that many spaces per level could ask for more memory than there is,
        // and a failed allocation ends the process.)
        return Err(format!(
            "indent {indent} is past the {MAX_INDENT} spaces a level may have"
        ));
    }
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 2);
    let mut depth: usize = 0;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        match byte {
            b'"' => {
                let end = string_end(bytes, at).ok_or("a string is not closed")?;
                out.extend_from_slice(&bytes[at..end]);
                at = end;
                continue;
            }
            b'{' | b'[' => {
                let close = if byte == b'{' { b'}' } else { b']' };
                out.push(byte);
                if bytes.get(at + 1) == Some(&close) {
                    // Empty: `{}` and `[]` on one line, as `json.dumps` writes them.
                    out.push(close);
                    at += 2;
                    continue;
                }
                depth += 1;
                new_line(&mut out, depth * indent);
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1).ok_or("a bracket closes nothing")?;
                new_line(&mut out, depth * indent);
                out.push(byte);
            }
            b',' => {
                out.push(b',');
                new_line(&mut out, depth * indent);
            }
            b':' => out.extend_from_slice(b": "),
            b'N' | b'I' | b'-' => {
                let token = [&b"NaN"[..], b"Infinity", b"-Infinity"]
                    .into_iter()
                    .find(|token| bytes[at..].starts_with(token));
                match token {
                    Some(token) => {
                        out.extend_from_slice(b"null");
                        at += token.len();
                        continue;
                    }
                    None => out.push(byte),
                }
            }
            b' ' | b'\n' | b'\t' | b'\r' => return Err("whitespace between tokens: not compact JSON".into()),
            _ => out.push(byte),
        }
        at += 1;
    }
    if depth != 0 {
        return Err("a bracket is not closed".into());
    }
    Ok(out)
}

/// The widest indent taken, in spaces per level.
pub const MAX_INDENT: usize = 1024;

/// The end (one past its closing quote) of the string whose opening quote is at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}

fn new_line(out: &mut Vec<u8>, spaces: usize) {
    out.push(b'\n');
    out.resize(out.len() + spaces, b' ');
}

/// `indent_json` for Python (the CLI's JSON reports), with the GIL released.
#[pyfunction]
#[pyo3(name = "indent_json")]
pub fn py_indent_json<'py>(py: Python<'py>, compact: &[u8], indent: usize) -> PyResult<Bound<'py, PyBytes>> {
    let laid_out = py
        .detach(|| indent_json(compact, indent))
        .map_err(PyValueError::new_err)?;
    Ok(PyBytes::new(py, &laid_out))
}

#[cfg(test)]
mod tests {
    fn indent_json(compact: &str, indent: usize) -> Result<String, String> {
        super::indent_json(compact.as_bytes(), indent).map(|out| String::from_utf8(out).unwrap())
    }

    #[test]
    fn lays_out_nested_values_as_python_indent_does() {
        let compact = r#"{"a":[1,{"b":"x,y:{[z]}\"\\"},[],{}],"c":{}}"#;
        let expected = "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"x,y:{[z]}\\\"\\\\\"\n    },\n    [],\n    {}\n  ],\n  \"c\": {}\n}";
        assert_eq!(indent_json(compact, 2).unwrap(), expected);
    }

    #[test]
    fn writes_non_finite_numbers_as_null_but_leaves_strings_and_negatives() {
        let compact = r#"[NaN,Infinity,-Infinity,-1.5,"NaN","-Infinity",null]"#;
        assert_eq!(
            indent_json(compact, 1).unwrap(),
            "[\n null,\n null,\n null,\n -1.5,\n \"NaN\",\n \"-Infinity\",\n null\n]"
        );
    }

    #[test]
    fn scalars_and_zero_indent() {
        assert_eq!(indent_json("3", 2).unwrap(), "3");
        assert_eq!(indent_json(r#""é""#, 2).unwrap(), "\"é\"");
        assert_eq!(indent_json("[1,2]", 0).unwrap(), "[\n1,\n2\n]");
    }

    #[test]
    fn passes_the_bytes_of_lone_surrogates_through() {
        // (Python's `surrogatepass` encoding of "\udcff": not UTF-8, but never a token.)
        let compact = [b'[', b'"', 0xED, 0xB3, 0xBF, b'"', b',', b'1', b']'];
        let expected = [b"[\n  \"".as_slice(), &[0xED, 0xB3, 0xBF], b"\",\n  1\n]"].concat();
        assert_eq!(super::indent_json(&compact, 2).unwrap(), expected);
    }

    #[test]
    fn refuses_an_indent_past_its_limit() {
        assert_eq!(indent_json("[1]", 1024).unwrap().len(), "[\n1\n]".len() + 1024);
        assert!(indent_json("[1]", 1025).is_err());
        assert!(indent_json("[1]", usize::MAX).is_err());
    }

    #[test]
    fn refuses_text_whose_layout_it_cannot_know() {
        assert!(indent_json(r#"["open"#, 2).is_err());
        assert!(indent_json(r#"["escaped end\"]"#, 2).is_err());
        assert!(indent_json("[1", 2).is_err());
        assert!(indent_json("1]", 2).is_err());
        assert!(indent_json("[1, 2]", 2).is_err());
    }
}
