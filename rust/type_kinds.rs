//! What a value's type is to the record parsers (a numpy integer, bool, complex, datetime64
//! or timedelta64 scalar; pandas' NaT, Timestamp or Timedelta; pyarrow's interval), told by the type's module
//! and name once per type and remembered, so that each further value of that type costs a
//! pointer compare.
//!
//! The parsers told numpy's and pandas' scalars by `__module__` and `__name__` for every
//! value: a C type builds both strings anew on each lookup, and a record's numpy float64
//! or Decimal met four to six such lookups on its way to its number (1-3 µs a value, a
//! list of dicts of them read 5-6 times slower than of floats: BENCHMARKS.md, helper-249).
//! The names are still what decides (`classify`, the same tests as before); only the
//! answer is kept, and only for a type whose names cannot change: an immutable type
//! (every C extension's static type: numpy's, pandas', `decimal.Decimal`) whose metaclass
//! is `type` itself (no `__module__` property of a metaclass to run). A Python class (a
//! subclass of float, say) may be renamed: it is looked at each time, as before.

use std::cell::RefCell;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyType};

use crate::fields::note_interrupt;

/// The kinds of scalar a type is (a set: bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kinds(u16);

impl Kinds {
    pub const NUMPY_INTEGER: Kinds = Kinds(1);
    pub const NUMPY_BOOL: Kinds = Kinds(1 << 1);
    pub const NUMPY_COMPLEX: Kinds = Kinds(1 << 2);
    pub const NUMPY_DATETIME64: Kinds = Kinds(1 << 3);
    pub const NUMPY_TIMEDELTA64: Kinds = Kinds(1 << 4);
    pub const PANDAS_NAT: Kinds = Kinds(1 << 5);
    pub const PANDAS_TIMESTAMP: Kinds = Kinds(1 << 6);
    pub const PANDAS_TIMEDELTA: Kinds = Kinds(1 << 7);
    /// Named `MonthDayNano`, as pyarrow's interval values' type is (whether it is
    /// pyarrow's own is asked of pyarrow: `fields::is_pyarrow_interval`).
    pub const NAMED_MONTH_DAY_NANO: Kinds = Kinds(1 << 8);

    #[inline]
    pub fn has(self, kind: Kinds) -> bool {
        self.0 & kind.0 != 0
    }
}

/// numpy's integer scalar types, by their names in numpy 1 and 2.
const NUMPY_INTEGERS: [&str; 20] = [
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "byte",
    "ubyte",
    "short",
    "ushort",
    "intc",
    "uintc",
    "int_",
    "uint",
    "long",
    "ulong",
    "longlong",
    "ulonglong",
];

/// The kinds of `value`'s type (see the module's note).
#[inline]
pub fn kinds_of(value: &Bound<'_, PyAny>) -> Kinds {
    // SAFETY: `value` is a live object (a reference held): its type pointer is valid.
    let ty = unsafe { ffi::Py_TYPE(value.as_ptr()) };
    let key = ty as usize;
    if let Some(kinds) = SEEN.with(|seen| seen.borrow().find(key)) {
        return kinds;
    }
    let ty = value.get_type();
    let kinds = classify(&ty);
    if names_fixed(&ty) {
        // The type is kept alive by a reference the cache takes, so that its address is
        // never another type's while remembered; an evicted one's is not given back (a
        // type's last reference would run its finalizer here, perhaps in the middle of
        // a record whose values are borrowed: `pyfast`). Such types live as long as
        // their module; a few references, never more than one per eviction.
        // SAFETY: a live type object, the GIL held.
        unsafe { ffi::Py_IncRef(ty.as_ptr()) };
        SEEN.with(|seen| seen.borrow_mut().insert(key, kinds));
    }
    kinds
}

thread_local! {
    /// The types remembered on this thread (the GIL is held while they are read, but a
    /// thread-local needs no lock: each thread learns its own few types).
    static SEEN: RefCell<TypeSlots> = const { RefCell::new(TypeSlots::new()) };
}

/// How many types are remembered: the slow paths meet few (numpy's scalars of a column or
/// two, Decimal, a pandas type), and a scan of a few words is the whole look-up.
const SLOTS: usize = 8;

/// Types (their addresses) and their kinds, the oldest replaced first when full.
struct TypeSlots {
    keys: [usize; SLOTS],
    kinds: [Kinds; SLOTS],
    next: usize,
}

impl TypeSlots {
    const fn new() -> Self {
        TypeSlots {
            keys: [0; SLOTS],
            kinds: [Kinds(0); SLOTS],
            next: 0,
        }
    }

    #[inline]
    fn find(&self, key: usize) -> Option<Kinds> {
        let slot = self.keys.iter().position(|&k| k == key)?;
        Some(self.kinds[slot])
    }

    /// Remember `key`'s kinds; the key it replaced (0: none).
    fn insert(&mut self, key: usize, kinds: Kinds) -> usize {
        let slot = self.next;
        let replaced = std::mem::replace(&mut self.keys[slot], key);
        self.kinds[slot] = kinds;
        self.next = (slot + 1) % SLOTS;
        replaced
    }
}

/// Whether `ty`'s module and names cannot change: immutable, its metaclass `type`.
fn names_fixed(ty: &Bound<'_, PyType>) -> bool {
    let raw = ty.as_ptr().cast::<ffi::PyTypeObject>();
    // SAFETY: a live type object, the GIL held.
    unsafe {
        let immutable = ffi::PyType_GetFlags(raw) & ffi::Py_TPFLAGS_IMMUTABLETYPE != 0;
        immutable && ffi::Py_TYPE(ty.as_ptr()) == std::ptr::addr_of_mut!(ffi::PyType_Type)
    }
}

/// The kinds of `ty` by its module and names, as the parsers told them value by value.
fn classify(ty: &Bound<'_, PyType>) -> Kinds {
    let py = ty.py();
    let module = text(py, ty.module());
    let name = text(py, ty.name());
    let mut kinds = Kinds::default();
    if name == "MonthDayNano" {
        kinds.0 |= Kinds::NAMED_MONTH_DAY_NANO.0;
    }
    if module == "numpy" {
        let numpy = [
            (NUMPY_INTEGERS.contains(&name.as_str()), Kinds::NUMPY_INTEGER),
            (["bool", "bool_"].contains(&name.as_str()), Kinds::NUMPY_BOOL),
            (
                ["complex64", "complex128", "clongdouble"].contains(&name.as_str()),
                Kinds::NUMPY_COMPLEX,
            ),
            (name == "datetime64", Kinds::NUMPY_DATETIME64),
            (name == "timedelta64", Kinds::NUMPY_TIMEDELTA64),
        ];
        for (is, kind) in numpy {
            if is {
                kinds.0 |= kind.0;
            }
        }
    }
    // (pandas' types moved between its modules over versions: `pandas._libs.tslibs.*`,
    // `pandas.api.typing`; any of them is pandas'.)
    if module.split('.').next() == Some("pandas") {
        let qualname = text(py, ty.qualname());
        let pandas = [
            ("NaTType", Kinds::PANDAS_NAT),
            ("Timestamp", Kinds::PANDAS_TIMESTAMP),
            ("Timedelta", Kinds::PANDAS_TIMEDELTA),
        ];
        for (name, kind) in pandas {
            if qualname == name {
                kinds.0 |= kind.0;
            }
        }
    }
    kinds
}

/// A type's name, "" where it cannot be read (a metaclass's property may raise).
pub(crate) fn text(py: Python<'_>, name: PyResult<Bound<'_, PyString>>) -> String {
    name.map(|name| name.to_string()).unwrap_or_else(|error| {
        note_interrupt(py, error);
        String::new()
    })
}

#[cfg(test)]
mod tests {
    use super::{Kinds, TypeSlots, SLOTS};

    #[test]
    fn a_remembered_type_is_found_and_the_oldest_is_replaced_when_full() {
        let mut slots = TypeSlots::new();
        assert_eq!(slots.find(16), None);
        assert_eq!(slots.insert(16, Kinds::NUMPY_BOOL), 0);
        assert_eq!(slots.find(16), Some(Kinds::NUMPY_BOOL));
        for key in 1..SLOTS {
            slots.insert(16 + 16 * key, Kinds::NUMPY_INTEGER);
        }
        assert_eq!(slots.find(16), Some(Kinds::NUMPY_BOOL));
        assert_eq!(slots.insert(1024, Kinds::default()), 16);
        assert_eq!(slots.find(16), None);
        assert_eq!(slots.find(1024), Some(Kinds::default()));
        assert_eq!(slots.find(32), Some(Kinds::NUMPY_INTEGER));
    }

    #[test]
    fn kinds_are_a_set() {
        let both = Kinds(Kinds::NUMPY_BOOL.0 | Kinds::PANDAS_NAT.0);
        assert!(both.has(Kinds::NUMPY_BOOL) && both.has(Kinds::PANDAS_NAT));
        assert!(!both.has(Kinds::NUMPY_INTEGER));
        assert!(!Kinds::default().has(Kinds::PANDAS_TIMEDELTA));
    }
}
