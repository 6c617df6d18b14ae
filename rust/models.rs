//! Output models built without validation, at the cost of a few C calls.
//!
//! A batch builds seven pydantic models per pattern, 70,000 at 10,000 patterns. The field
//! dicts the core makes (`output_models`) already hold exactly each model's fields with
//! the right types (tested against the reference), so a model is made the way
//! `model_construct` makes one, minus its per-field default handling: a bare instance
//! (what `object.__new__` does: the class's `tp_alloc`), the dict as its `__dict__`, and
//! the other three pydantic slots set with `object.__setattr__`'s C function (pydantic's
//! own `__setattr__` would refuse: the models are frozen). In Python that took 0.8-1.3 µs
//! per model.
//!
//! Each model gets its own `__pydantic_fields_set__` (all fields): pydantic's
//! `model_fields_set` hands out that very set, so a shared one would let a caller's change
//! reach every other output. For a class whose slot is a `FieldsSetSlot` (the library's
//! output models: `contracts._Model`) the set is made on its first read
//! (`fields_set.rs`), so the factory leaves the slot empty: most outputs' sets are never
//! read, and they were half of a batch's output memory.
//!
//! That set holds field names only, so it cannot be part of a reference cycle: it is
//! taken out of the cyclic collector's lists, as CPython does by itself for tuples and
//! dicts of such values. A batch's 10,000 outputs hold 70,000 of them; each collection
//! that followed walked them all (a third of what the collector's pass after a batch walks).
//! So do the model and its field dict, for a frozen model (all of the library's are):
//! its fields are results, which hold no cycle (`gc_pause::untrack`), and cannot be set
//! to the model itself. (A caller making a cycle through one, say by adding an output to
//! its own `error_samples` list, would make it invisible to the collector: a leak, not a
//! crash.) A model that is not frozen stays tracked.
//!
//! A factory takes part in the cyclic garbage collector (`__traverse__`), so one stored on
//! its own class does not keep the class alive.
//!
//! Only plain models are accepted: a class with its own `__new__`, private attributes, a
//! `model_post_init` or extra fields allowed would need more than these four slots.

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFrozenSet, PyType};
use pyo3::{PyTraverseError, PyVisit};
use std::sync::OnceLock;

use crate::fields_set::FieldsSetSlot;
use crate::gc_pause::untrack;

/// Makes instances of one pydantic model class from dicts of its fields.
#[pyclass(frozen, module = "usage_analytics._core")]
pub struct ModelFactory {
    cls: Py<PyType>,
    /// The class's allocator, which `object.__new__` calls.
    alloc: ffi::allocfunc,
    field_names: Py<PyFrozenSet>,
    /// Whether the class is frozen: its instances and their field dicts are then untracked.
    frozen: bool,
    /// Whether the class's `__pydantic_fields_set__` is a `FieldsSetSlot`, which makes each
    /// model's set of all the fields when it is first read: the slot is then left empty.
    fields_set_on_read: bool,
    /// The keys, in order, of the first dict found to hold exactly the fields: a dict whose
    /// keys are these very objects in this order holds them too, told by their addresses
    /// rather than by hashing each key into `field_names` (the core's dicts,
    /// `output_models`, are built alike each time, with interned keys): 842 -> 730 ns a
    /// model of 7 fields, 1,411 -> 1,161 ns of 8 (medians, BENCHMARKS.md session 26).
    /// Held, so that no other object can take one of their addresses.
    known_keys: OnceLock<Vec<Py<PyAny>>>,
}

#[pymethods]
impl ModelFactory {
    #[new]
    fn new(model: &Bound<'_, PyType>) -> PyResult<ModelFactory> {
        let (py, cls) = (model.py(), model);
        let object_new = py.get_type::<pyo3::types::PyAny>().getattr(intern!(py, "__new__"))?;
        // SAFETY: a live type object; every type has a tp_alloc slot (inherited at worst
        // from `object`), and PyType_GetSlot returns it as a pointer to that function.
        let alloc = unsafe { ffi::PyType_GetSlot(cls.as_type_ptr(), ffi::Py_tp_alloc) };
        if alloc.is_null() {
            return Err(PyTypeError::new_err(format!("{} has no allocator", cls.name()?)));
        }
        // SAFETY: the slot holds an `allocfunc` (checked non-null above).
        let alloc = unsafe { std::mem::transmute::<*mut std::ffi::c_void, ffi::allocfunc>(alloc) };
        let unsupported = |why: &str| -> PyResult<ModelFactory> {
            Err(PyTypeError::new_err(format!(
                "{} {why}; a ModelFactory makes only plain pydantic models",
                cls.name()?
            )))
        };
        // A class with its own `__new__` would be skipped by `object.__new__`.
        if !cls.getattr(intern!(py, "__new__"))?.is(&object_new) {
            return unsupported("defines __new__");
        }
        // (Private attributes come with a post-init that sets them: asked first.)
        if cls.getattr(intern!(py, "__private_attributes__"))?.len()? > 0 {
            return unsupported("has private attributes");
        }
        if !cls.getattr(intern!(py, "__pydantic_post_init__"))?.is_none() {
            return unsupported("has a model_post_init");
        }
        let config = cls.getattr(intern!(py, "model_config"))?;
        if config.call_method1(intern!(py, "get"), ("extra",))?.eq("allow")? {
            return unsupported("allows extra fields");
        }
        let frozen = config.call_method1(intern!(py, "get"), ("frozen",))?.is_truthy()?;
        let names = cls.getattr(intern!(py, "model_fields"))?;
        let fields_set_on_read = cls
            .getattr(intern!(py, "__pydantic_fields_set__"))?
            .is_instance_of::<FieldsSetSlot>();
        Ok(ModelFactory {
            cls: cls.clone().unbind(),
            alloc,
            frozen,
            fields_set_on_read,
            field_names: PyFrozenSet::new(py, names.try_iter()?.collect::<PyResult<Vec<_>>>()?)?.unbind(),
            known_keys: OnceLock::new(),
        })
    }

    /// The model holding `fields` as they are when they are exactly its fields;
    /// `cls.model_construct(**fields)` otherwise (which fills in defaults).
    fn __call__<'py>(&self, fields: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyAny>> {
        self.make(fields)
    }

    /// The cyclic collector's view of the objects a factory holds: a factory kept on its
    /// own class (class -> factory -> class) is then garbage like any other cycle, and the
    /// class's own clearing breaks it.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.cls)?;
        visit.call(&self.field_names)?;
        for key in self.known_keys.get().into_iter().flatten() {
            visit.call(key)?;
        }
        Ok(())
    }

    /// The class this factory makes.
    #[getter]
    fn model_class<'py>(&self, py: Python<'py>) -> Bound<'py, PyType> {
        self.cls.bind(py).clone()
    }
}

impl ModelFactory {
    /// `__call__`, for the core's own callers (`output_models`).
    pub(crate) fn make<'py>(&self, fields: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyAny>> {
        let py = fields.py();
        let cls = self.cls.bind(py);
        if !self.holds_exactly_the_fields(fields)? {
            return cls.call_method(intern!(py, "model_construct"), (), Some(fields));
        }
        // SAFETY: `alloc` is the class's tp_alloc, called as `object.__new__` calls it; it
        // returns a new reference or null with an exception set.
        let model = unsafe { Bound::from_owned_ptr_or_err(py, (self.alloc)(cls.as_type_ptr(), 0))? };
        set_slot(&model, intern!(py, "__dict__"), fields.as_any())?;
        if !self.fields_set_on_read {
            // SAFETY: PySet_New copies a live frozenset (a fast table copy); it returns a
            // new reference or null with an exception set.
            let fields_set = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PySet_New(self.field_names.as_ptr()))? };
            untrack(&fields_set);
            set_slot(&model, intern!(py, "__pydantic_fields_set__"), &fields_set)?;
        }
        set_slot(&model, intern!(py, "__pydantic_extra__"), &py.None().into_bound(py))?;
        set_slot(&model, intern!(py, "__pydantic_private__"), &py.None().into_bound(py))?;
        if self.frozen {
            // Nor do a frozen model's fields (see the module's notes).
            untrack(&model);
            untrack(fields);
        }
        Ok(model)
    }

    fn holds_exactly_the_fields(&self, fields: &Bound<'_, PyDict>) -> PyResult<bool> {
        let names = self.field_names.bind(fields.py());
        if fields.len() != names.len() {
            return Ok(false);
        }
        if self.known_keys.get().is_some_and(|known| keys_are(fields, known)) {
            return Ok(true);
        }
        for (key, _) in fields.iter() {
            if !names.contains(key)? {
                return Ok(false);
            }
        }
        let _ = self.known_keys.set(fields.keys().iter().map(Bound::unbind).collect());
        Ok(true)
    }
}

/// Whether `fields`' keys are the objects of `known`, in its order.
fn keys_are(fields: &Bound<'_, PyDict>, known: &[Py<PyAny>]) -> bool {
    let (mut position, mut key, mut value) = (0, std::ptr::null_mut(), std::ptr::null_mut());
    let mut known = known.iter();
    // SAFETY: a live dict, read with the GIL held and changed by nobody meanwhile (no
    // Python code runs in the loop); PyDict_Next lends its key and value.
    while unsafe { ffi::PyDict_Next(fields.as_ptr(), &mut position, &mut key, &mut value) } != 0 {
        if known.next().is_none_or(|k| k.as_ptr() != key) {
            return false;
        }
    }
    known.next().is_none()
}

/// `object.__setattr__(obj, name, value)`: the generic attribute setter, which bypasses a
/// class's own `__setattr__` (and so a frozen model's refusal).
fn set_slot(obj: &Bound<'_, PyAny>, name: &Bound<'_, pyo3::types::PyString>, value: &Bound<'_, PyAny>) -> PyResult<()> {
    // SAFETY: three live objects; PyObject_GenericSetAttr borrows them and reports failure
    // through the return value and the error indicator.
    let status = unsafe { ffi::PyObject_GenericSetAttr(obj.as_ptr(), name.as_ptr(), value.as_ptr()) };
    if status < 0 {
        return Err(PyErr::fetch(obj.py()));
    }
    Ok(())
}
