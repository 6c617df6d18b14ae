//! A pydantic model's `__pydantic_fields_set__` made on its first read.
//!
//! pydantic keeps each model's set of the fields it was given in a slot of its own, and
//! `model_fields_set` hands out that very set (a caller may change it, and that model's
//! `model_dump(exclude_unset=True)` follows). A `ModelFactory` sets every field, so each of
//! its models held a set of all the field names: 5.3 KB of a DETAILED output's 10 KB (seven
//! models; a set of 6 to 17 names takes 472 to 1,240 bytes), read by almost nobody.
//! Shared by all the models of a class it would let one caller's change reach every
//! output (BENCHMARKS.md, session 27).
//!
//! `FieldsSetSlot` stands in for the slot on a model class (`contracts._Model`): a model's
//! set is read from and stored into pydantic's own slot, as before; a model whose slot was
//! never set (one a `ModelFactory` made) gets its own new set of all its class's field
//! names on the first read, stored in its slot, so that every later read hands out that
//! same set. So each model still has its own set, the same one on every read, changes
//! included: only when it is made differs. Between the read of the empty slot and the
//! store only C code runs (the slot's own functions, the set a copy of the keys of the
//! class's field dict), so two threads do not make two sets for one model (short of a
//! finalizer run by a collection that the set's allocation starts, and switching threads).
//!
//! Like the factory's sets before, a set made here holds field names only and leaves the
//! cyclic collector's lists (`gc_pause::untrack`).
//!
//! One difference, past pydantic's API (which DESIGN.md does not cover): a slot emptied
//! with `object.__delattr__` (pydantic's own `__delattr__` refuses on a frozen model) reads
//! as all the fields again, where pydantic's slot would raise AttributeError. `model_copy`
//! of a model and `model_dump(exclude_unset=True)` read its set, and so make it; pickling
//! leaves a set never made out of the state, and the copy's slot empty
//! (`contracts._Model.__getstate__`).

use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyType};
use pyo3::{PyTraverseError, PyVisit};

use crate::gc_pause::untrack;

/// A model class's `__pydantic_fields_set__`: pydantic's slot, filled with all the class's
/// fields on its first read (see the module's notes).
#[pyclass(frozen, module = "usage_analytics._core")]
pub struct FieldsSetSlot {
    /// pydantic's slot descriptor (`BaseModel.__dict__["__pydantic_fields_set__"]`).
    slot: Py<PyAny>,
    /// Its type's `__get__` and `__set__` functions, called directly: every model pydantic
    /// validates stores its set through this descriptor, and through Python method calls
    /// that cost 8% of an output's `model_validate_json` (17 -> 18.5 µs).
    get: ffi::descrgetfunc,
    set: ffi::descrsetfunc,
    /// The model class's attribute holding its dict of fields: `__pydantic_fields__` from
    /// pydantic 2.10, `model_fields` before it (which has no `__pydantic_fields__`: reading
    /// it raised AttributeError, and every model's set was unreadable). Chosen once, by
    /// the slot's class (`BaseModel`): before 2.10 its own `model_fields` is a dict.
    fields: Py<PyString>,
}

#[pymethods]
impl FieldsSetSlot {
    #[new]
    fn new(slot: Bound<'_, PyAny>) -> PyResult<FieldsSetSlot> {
        let kind = slot.get_type();
        if kind.name()?.to_str()? != "member_descriptor" {
            return Err(PyTypeError::new_err(format!(
                "FieldsSetSlot wraps a slot's member descriptor, got a {}",
                kind.name()?
            )));
        }
        // SAFETY: a live type object; PyType_GetSlot returns its slot functions (a member
        // descriptor's type has both), as pointers to functions of these signatures.
        let (get, set) = unsafe {
            (
                ffi::PyType_GetSlot(kind.as_type_ptr(), ffi::Py_tp_descr_get),
                ffi::PyType_GetSlot(kind.as_type_ptr(), ffi::Py_tp_descr_set),
            )
        };
        if get.is_null() || set.is_null() {
            return Err(PyTypeError::new_err(
                "the slot's descriptor type has no __get__ or __set__",
            ));
        }
        let py = slot.py();
        let base_fields = slot
            .getattr(intern!(py, "__objclass__"))?
            .getattr(intern!(py, "__dict__"))?
            .get_item(intern!(py, "model_fields"))
            .ok();
        let fields = if base_fields.is_some_and(|fields| fields.is_instance_of::<PyDict>()) {
            intern!(py, "model_fields")
        } else {
            intern!(py, "__pydantic_fields__")
        };
        Ok(FieldsSetSlot {
            fields: fields.clone().unbind(),
            slot: slot.unbind(),
            // SAFETY: non-null slot functions of these signatures (checked above).
            get: unsafe { std::mem::transmute::<*mut std::ffi::c_void, ffi::descrgetfunc>(get) },
            set: unsafe { std::mem::transmute::<*mut std::ffi::c_void, ffi::descrsetfunc>(set) },
        })
    }

    /// The model's set, made of all its class's fields if its slot is empty; the
    /// descriptor itself when read from the class.
    fn __get__<'py>(
        slf: &Bound<'py, Self>,
        model: Option<Bound<'py, PyAny>>,
        owner: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = owner;
        let py = slf.py();
        let Some(model) = model.filter(|model| !model.is_none()) else {
            return Ok(slf.clone().into_any());
        };
        let this = slf.get();
        let model_type = model.get_type();
        match this.read(&model, &model_type) {
            Err(error) if error.is_instance_of::<PyAttributeError>(py) => {
                let fields = model_type.getattr(this.fields.bind(py))?;
                // SAFETY: PySet_New iterates a live object (the class's dict of fields: its
                // keys) and returns a new reference or null with an exception set.
                let names = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PySet_New(fields.as_ptr()))? };
                untrack(&names);
                this.store(&model, Some(&names))?;
                Ok(names)
            }
            stored => stored,
        }
    }

    fn __set__(&self, model: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.store(model, Some(value))
    }

    fn __delete__(&self, model: &Bound<'_, PyAny>) -> PyResult<()> {
        self.store(model, None)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.slot)
    }
}

impl FieldsSetSlot {
    /// The slot's value (AttributeError if it is empty).
    fn read<'py>(&self, model: &Bound<'py, PyAny>, model_type: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyAny>> {
        let py = model.py();
        // SAFETY: the slot's own `__get__` on three live objects; it returns a new
        // reference, or null with an exception set (AttributeError for an empty slot, a
        // TypeError for an object that is not a model).
        unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                (self.get)(self.slot.as_ptr(), model.as_ptr(), model_type.as_ptr().cast()),
            )
        }
    }

    /// `value` stored in the slot; None empties it.
    fn store(&self, model: &Bound<'_, PyAny>, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let value = value.map_or(std::ptr::null_mut(), |value| value.as_ptr());
        // SAFETY: the slot's own `__set__` on live objects (a null value deletes); it
        // borrows them and reports failure with -1 and an exception set.
        if unsafe { (self.set)(self.slot.as_ptr(), model.as_ptr(), value) } < 0 {
            return Err(PyErr::fetch(model.py()));
        }
        Ok(())
    }
}
