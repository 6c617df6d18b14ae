//! The few places where the record reader goes below PyO3's safe API, for speed.
//!
//! Reading a list of dicts is dominated by per-value overhead, so the hot path
//! - compares exact type pointers instead of calling `PyType_GetFlags` (a function call
//!   under the stable ABI),
//! - takes dict values as *borrowed* references (no reference-count traffic), and
//! - reads an exact `datetime.datetime`'s fields from its C struct.
//!
//! Rules that keep this sound, relied on by `ingest`:
//! 1. A borrowed value is used only while no Python code can run; before anything that may
//!    run Python code (`__float__`, a tzinfo's `utcoffset`, a repr) it is turned into an
//!    owned reference with `to_owned()`. Python's cyclic collector is paused while records
//!    are read (`CollectorPaused`): a plain value can still raise (a str with a lone
//!    surrogate, an int past 64 bits), and allocating the exception could run a collection
//!    and with it any object's finalizer, which may free the very record being read (seen:
//!    a crash, and a record counted under a pattern of another, newer dict). Nor does the
//!    reader let go of a reference it holds while reading a record: the last reference
//!    to an object runs its finalizer (a str subclass's `__del__`), so what its caches put
//!    out (a name, a timezone) is held until the chunk is read (`Reader::end_chunk`).
//! 2. The datetime struct is read only for objects whose type is exactly
//!    `datetime.datetime`, and only after `DatetimeLayout::verify` has checked, once per
//!    process, that the struct read gives the same fields as the attributes for a set of
//!    probe values. If it ever disagrees (a future CPython changing the layout), the reader
//!    falls back to attributes: slower, never wrong.

use std::ffi::c_char;
use std::sync::OnceLock;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyType};

/// Python's cyclic collector disabled while this lives, and enabled again when the last
/// pause of any thread ends if it was enabled when the first began or was enabled by
/// anyone meanwhile: no collection, and so no finalizer, runs in between. Process-wide, so
/// held only while the GIL is (a chunk of records; a collection other threads would have
/// set off meanwhile is deferred, not lost). Pauses of several threads overlap when Python
/// code run by one (a value's `__float__`) lets another take the GIL: they are counted, so
/// that none ends the others' pause, and an enabling seen while disabling again (another
/// thread's `gc.enable()`, `gc_paused` ending) is kept, so the collector is never left
/// disabled.
pub struct CollectorPaused {
    _private: (),
}

/// (Pauses in progress; whether the collector is to be enabled when the last one ends.)
static PAUSES: std::sync::Mutex<(usize, bool)> = std::sync::Mutex::new((0, false));

impl CollectorPaused {
    pub fn new(_py: Python<'_>) -> Self {
        let mut pauses = PAUSES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // SAFETY: the GIL is held (the token).
        let was_enabled = unsafe { ffi::PyGC_Disable() } == 1;
        pauses.1 = was_enabled || (pauses.0 > 0 && pauses.1);
        pauses.0 += 1;
        CollectorPaused { _private: () }
    }

    /// Disable it again, after Python code that may have enabled it (`gc.enable()` in a
    /// value's `__float__`) has run.
    pub fn renew(&self, _py: Python<'_>) {
        // SAFETY: the GIL is held (the token).
        if unsafe { ffi::PyGC_Disable() } == 1 {
            PAUSES.lock().unwrap_or_else(std::sync::PoisonError::into_inner).1 = true;
        }
    }
}

/// In a forked child, end the pauses the parent's other threads had on when it forked:
/// those threads are not in the child, so their pauses would never end, and the collector
/// stayed disabled for the child's life (and every pause it made itself counted them on).
/// Whether the collector is to be enabled, as the last of them would have done (for
/// `collector.py`'s at-fork handler, which holds the GIL, as a pause does).
pub fn end_inherited_pauses() -> bool {
    let mut pauses = PAUSES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let enable = pauses.0 > 0 && pauses.1;
    *pauses = (0, false);
    enable
}

impl Drop for CollectorPaused {
    fn drop(&mut self) {
        let mut pauses = PAUSES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // (Saturating: a pause of the forking thread itself was ended at the fork.)
        pauses.0 = pauses.0.saturating_sub(1);
        if pauses.0 == 0 && pauses.1 {
            // SAFETY: created and dropped with the GIL held (inside one chunk's reading).
            unsafe { ffi::PyGC_Enable() };
        }
    }
}

#[inline]
fn has_type(obj: &Bound<'_, PyAny>, ty: *mut ffi::PyTypeObject) -> bool {
    // SAFETY: `obj` is a live object; reading its type pointer is what Py_TYPE does.
    unsafe { ffi::Py_TYPE(obj.as_ptr()) == ty }
}

#[inline]
pub fn is_exact_float(obj: &Bound<'_, PyAny>) -> bool {
    has_type(obj, &raw mut ffi::PyFloat_Type)
}

#[inline]
pub fn is_exact_int(obj: &Bound<'_, PyAny>) -> bool {
    has_type(obj, &raw mut ffi::PyLong_Type)
}

#[inline]
pub fn is_exact_str(obj: &Bound<'_, PyAny>) -> bool {
    has_type(obj, &raw mut ffi::PyUnicode_Type)
}

#[inline]
pub fn is_exact_dict(obj: &Bound<'_, PyAny>) -> bool {
    has_type(obj, &raw mut ffi::PyDict_Type)
}

#[inline]
pub fn is_exact_type(obj: &Bound<'_, PyAny>, ty: &Bound<'_, PyType>) -> bool {
    has_type(obj, ty.as_type_ptr())
}

/// Value of an exact float (cannot fail, runs no Python code).
#[inline]
pub fn exact_float_value(obj: &Bound<'_, PyAny>) -> f64 {
    // SAFETY: the caller checked `is_exact_float`.
    unsafe { ffi::PyFloat_AsDouble(obj.as_ptr()) }
}

/// `dict[key]` as a raw borrowed pointer, null if absent (rule 1 applies).
#[inline]
pub fn dict_get_ptr(dict: &Bound<'_, PyDict>, key: &Bound<'_, PyString>) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: both pointers are live; PyDict_GetItemWithError returns a reference owned
    // by the dict (or NULL with or without an exception set).
    let value = unsafe { ffi::PyDict_GetItemWithError(dict.as_ptr(), key.as_ptr()) };
    if value.is_null() {
        if let Some(err) = PyErr::take(dict.py()) {
            return Err(err);
        }
    }
    Ok(value)
}

/// A borrowed view of a pointer from `dict_get_ptr`, valid while `dict` holds the value.
///
/// # Safety
/// `ptr` is null or a value of `dict` looked up since Python code last ran.
#[inline]
pub unsafe fn borrow_value<'a, 'py>(
    dict: &'a Bound<'py, PyDict>,
    ptr: *mut ffi::PyObject,
) -> Option<Borrowed<'a, 'py, PyAny>> {
    Borrowed::from_ptr_or_opt(dict.py(), ptr)
}

/// Ask the CPU to start loading an object's first cache lines (type, payload), so that
/// the loads of several values of a record overlap instead of stalling one after another.
#[inline]
pub fn prefetch(obj: *mut ffi::PyObject) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; it never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = obj as *const i8;
        _mm_prefetch::<_MM_HINT_T0>(p);
        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(32));
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = obj;
}

/// Item `index` of a list as a raw borrowed pointer (null when out of range), for
/// prefetching only.
#[inline]
pub fn list_item_ptr(list: &Bound<'_, PyList>, index: usize) -> *mut ffi::PyObject {
    let Ok(index) = ffi::Py_ssize_t::try_from(index) else {
        return std::ptr::null_mut();
    };
    // SAFETY: a live list; PyList_GetItem returns a borrowed reference or NULL (with an
    // IndexError set, which is cleared at once).
    unsafe {
        let item = ffi::PyList_GetItem(list.as_ptr(), index);
        if item.is_null() {
            ffi::PyErr_Clear();
        }
        item
    }
}

/// Start loading a future record dict's key table, whose lookups dominate reading a
/// record. `ma_keys` sits at offset 32 of CPython's `PyDictObject` (3.11 to 3.14); this is
/// a hint only: a wrong guess wastes a prefetch, never changes a result, since the value
/// read is used for nothing but the prefetch.
#[inline]
pub fn prefetch_dict_table(obj: *mut ffi::PyObject) {
    if obj.is_null() {
        return;
    }
    // SAFETY: `obj` is a live object (borrowed from the list); only an exact dict, whose
    // struct is at least 48 bytes, has its word at offset 32 read.
    unsafe {
        if ffi::Py_TYPE(obj) != &raw mut ffi::PyDict_Type {
            return;
        }
        let keys = *(obj as *const *const u8).add(4);
        for line in 0..4 {
            prefetch(keys.wrapping_add(64 * line) as *mut ffi::PyObject);
        }
    }
}

/// Whether an exact dict holds only str keys (CPython's key-table kind is not
/// `DICT_KEYS_GENERAL`). Looking a str up in such a dict compares strings in C; in a
/// general dict a key with a colliding hash may run a Python `__eq__`. Reads `ma_keys`
/// (offset 32) and its `dk_kind` byte (offset 10), trusted only after `DictLayout::verify`
/// found the expected kinds on probe dicts; false otherwise (the caller then takes the
/// path that allows Python code to run).
#[inline]
pub fn has_only_str_keys(dict: &Bound<'_, PyDict>) -> bool {
    if !DICT_LAYOUT_OK.get().copied().unwrap_or(false) {
        return false;
    }
    // SAFETY: an exact dict (callers check) with a verified layout; `ma_keys` is never null.
    unsafe { dict_kind(dict.as_ptr()) != DICT_KEYS_GENERAL }
}

const DICT_KEYS_GENERAL: u8 = 0;
const DICT_KEYS_UNICODE: u8 = 1;

unsafe fn dict_kind(dict: *mut ffi::PyObject) -> u8 {
    let keys = *(dict as *const *const u8).add(4);
    *keys.add(10)
}

static DICT_LAYOUT_OK: OnceLock<bool> = OnceLock::new();

/// One-time check of the dict key-table layout `has_only_str_keys` relies on.
pub struct DictLayout;

impl DictLayout {
    pub fn verify(py: Python<'_>) -> bool {
        *DICT_LAYOUT_OK.get_or_init(|| probe_dicts(py).unwrap_or(false))
    }
}

fn probe_dicts(py: Python<'_>) -> PyResult<bool> {
    let one_str = PyDict::new(py);
    one_str.set_item("timestamp", 1)?;
    let ten_str = PyDict::new(py);
    for i in 0..10 {
        ten_str.set_item(format!("field_{i}"), i)?;
    }
    let one_int = PyDict::new(py);
    one_int.set_item(1, 1)?;
    let mixed = PyDict::new(py);
    mixed.set_item("timestamp", 1)?;
    mixed.set_item((1, 2), 2)?;
    // SAFETY: exact dicts just built; only their key tables' header bytes are read.
    let kinds = unsafe {
        [
            dict_kind(one_str.as_ptr()),
            dict_kind(ten_str.as_ptr()),
            dict_kind(one_int.as_ptr()),
            dict_kind(mixed.as_ptr()),
        ]
    };
    Ok(kinds
        == [
            DICT_KEYS_UNICODE,
            DICT_KEYS_UNICODE,
            DICT_KEYS_GENERAL,
            DICT_KEYS_GENERAL,
        ])
}

/// `dict[key]` as a borrowed reference (rule 1 applies), None if absent.
#[inline]
pub fn dict_get<'a, 'py>(
    dict: &'a Bound<'py, PyDict>,
    key: &Bound<'py, PyString>,
) -> PyResult<Option<Borrowed<'a, 'py, PyAny>>> {
    let py = dict.py();
    // SAFETY: both pointers are live; PyDict_GetItemWithError returns a reference owned
    // by the dict (or NULL with or without an exception set).
    unsafe {
        let value = ffi::PyDict_GetItemWithError(dict.as_ptr(), key.as_ptr());
        if value.is_null() {
            return match PyErr::take(py) {
                Some(err) => Err(err),
                None => Ok(None),
            };
        }
        Ok(Some(Borrowed::from_ptr(py, value)))
    }
}

/// CPython's `PyDateTime_DateTime` (Include/datetime.h): unchanged since Python 3.6.
/// `tzinfo` exists only when `hastzinfo` is non-zero.
#[repr(C)]
struct RawDatetime {
    ob_refcnt: ffi::Py_ssize_t,
    ob_type: *mut ffi::PyTypeObject,
    hashcode: ffi::Py_hash_t,
    hastzinfo: c_char,
    data: [u8; 10],
    fold: u8,
    tzinfo: *mut ffi::PyObject,
}

/// Civil fields of a datetime and its tzinfo (None when naive).
pub struct DatetimeFields<'a, 'py> {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub microsecond: u32,
    pub tzinfo: Option<Borrowed<'a, 'py, PyAny>>,
    /// Which of the two instants a local time the clocks show twice names (read only
    /// with a tzinfo: a naive datetime's struct may end before it).
    pub fold: bool,
}

/// Whether `read_exact_datetime` may be used (checked once per process).
pub struct DatetimeLayout;

static LAYOUT_OK: OnceLock<bool> = OnceLock::new();

impl DatetimeLayout {
    pub fn verify(py: Python<'_>, datetime: &Bound<'_, PyType>) -> bool {
        *LAYOUT_OK.get_or_init(|| probe(py, datetime).unwrap_or(false))
    }
}

/// Read the struct of an exact `datetime.datetime`.
///
/// # Safety
/// `obj`'s type must be exactly `datetime.datetime` and `DatetimeLayout::verify` true.
pub unsafe fn read_exact_datetime<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> DatetimeFields<'a, 'py> {
    let raw = obj.as_ptr() as *const RawDatetime;
    let d = (*raw).data;
    let tzinfo = if (*raw).hastzinfo != 0 && !(*raw).tzinfo.is_null() {
        Some(Borrowed::from_ptr(obj.py(), (*raw).tzinfo))
    } else {
        None
    };
    let fold = tzinfo.is_some() && (*raw).fold != 0;
    DatetimeFields {
        year: i64::from(u16::from_be_bytes([d[0], d[1]])),
        month: u32::from(d[2]),
        day: u32::from(d[3]),
        hour: u32::from(d[4]),
        minute: u32::from(d[5]),
        second: u32::from(d[6]),
        microsecond: u32::from_be_bytes([0, d[7], d[8], d[9]]),
        tzinfo,
        fold,
    }
}

/// Compare struct reads with attribute reads on probe values, naive and aware.
fn probe(py: Python<'_>, datetime: &Bound<'_, PyType>) -> PyResult<bool> {
    let module = py.import("datetime")?;
    let timezone = module.getattr("timezone")?;
    let timedelta = module.getattr("timedelta")?;
    let utc = timezone.getattr("utc")?;
    let minus_five = timezone.call1((timedelta.call1((0, -5 * 3600))?,))?;
    let folded = PyDict::new(py);
    folded.set_item("fold", 1)?;
    let probes = [
        datetime.call1((2026, 11, 30, 13, 45, 59, 123_456))?,
        datetime.call1((1, 1, 1))?,
        datetime.call1((9999, 12, 31, 23, 59, 59, 999_999, &utc))?,
        datetime.call1((2000, 2, 29, 12, 0, 0, 1, &minus_five))?,
        datetime.call1((1970, 7, 4, 0, 30, 0, 65_536, py.None()))?,
        datetime.call((2025, 11, 2, 1, 30, 0, 0, &minus_five), Some(&folded))?,
    ];
    for dt in &probes {
        if !is_exact_type(dt, datetime) {
            return Ok(false);
        }
        // SAFETY: exact datetime; the layout is what is being checked, and every probe
        // object is at least as large as a naive datetime struct.
        let raw = unsafe { read_exact_datetime(dt) };
        let attr = |name: &str| -> PyResult<i64> { dt.getattr(name)?.extract() };
        let same = raw.year == attr("year")?
            && i64::from(raw.month) == attr("month")?
            && i64::from(raw.day) == attr("day")?
            && i64::from(raw.hour) == attr("hour")?
            && i64::from(raw.minute) == attr("minute")?
            && i64::from(raw.second) == attr("second")?
            && i64::from(raw.microsecond) == attr("microsecond")?;
        let tz = dt.getattr("tzinfo")?;
        let same_tz = match &raw.tzinfo {
            Some(t) => t.is(&tz) && raw.fold == (attr("fold")? == 1),
            None => tz.is_none(),
        };
        if !(same && same_tz) {
            return Ok(false);
        }
    }
    Ok(true)
}
