//! The Rust core's heap on Linux: jemalloc, not glibc's malloc.
//!
//! A reduction allocates large buffers (converted columns, scatter scratch, held times, a
//! state's bytes) and frees them when it returns. glibc serves blocks over its mmap
//! threshold with `mmap` and gives them back with `munmap`, so the next call has the kernel
//! fault in and zero every page again. glibc raises that threshold once it sees large
//! blocks freed, but not when `MALLOC_TRIM_THRESHOLD_` or `MALLOC_MMAP_THRESHOLD_` is set,
//! and Dask's nanny sets the first for every worker (`distributed.nanny.pre-spawn-environ`).
//!
//! Measured on a 2.5M-record, 10,000-pattern partition's `update` with Dask's setting
//! (BENCHMARKS.md, session 23): glibc 408 ms median, 130 ms of it in the kernel, 50,600
//! pages faulted in; jemalloc 346 ms, 98 ms, 44,100 pages. A 10M-record batch's peak memory
//! fell from 304 to 243 MB. jemalloc's defaults are kept: with `oversize_threshold:0`
//! (blocks of 8 MiB and more kept for reuse like small ones, not returned at once) the
//! partition took 315 ms and faulted 16,200 pages, but the batch's peak rose to 368 MB.
//! `_RJEM_MALLOC_CONF` tunes it at run time (this copy is built with the `_rjem_` prefix,
//! beside the process's own malloc, which Python and numpy keep using). polars, too, puts
//! jemalloc under its Rust code on Linux.
//!
//! `disable_initial_exec_tls`: a library loaded with `dlopen` (a Python extension) may not
//! use the initial-exec TLS model. Memory crosses to Python only as copies (bytes, str) or
//! as Arrow buffers whose release callback frees them here, so no block allocated by one
//! allocator is freed by the other.

#[cfg(target_os = "linux")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
