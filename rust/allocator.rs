//! The Rust core's heap on Linux: jemalloc, not glibc's malloc.
//!
//! A reduction allocates large buffers (converted columns, scatter scratch, held times, a
//! state's bytes) and frees them when it returns. glibc serves blocks over its mmap
//! threshold with `mmap` and gives them back with `munmap`, so the next call has the kernel
//! fault in and zero every page again. glibc raises that threshold once it sees large
//! blocks freed, but not when `MALLOC_TRIM_THRESHOLD_` or `MALLOC_MMAP_THRESHOLD_` is set,
//! and Dask's nanny sets the first for every worker (`distributed.nanny.pre-spawn-environ`).
//!
//! Measured (BENCHMARKS.md, session 23; glibc's figures first): a 10M-record,
//! 10,000-pattern batch's peak memory 253-304 -> 242-243 MB; what a process keeps resident
//! once it has dropped such a batch's output and idled 2 s, 186-291 -> 94-132 MB; a
//! 2.5M-record Dask partition's `update` under Dask's setting faulted in 50,000-57,000 ->
//! 44,000-47,000 pages, 106-152 -> 84-129 ms of kernel time, and took 408 -> 346 ms in
//! one race of twelve calls each, within noise in another. The one-pattern reductions'
//! peak rose 1-3 MB (8 -> 10-11 MB dictionary strings, 16 -> 17 plain). Its defaults are
//! kept: with `oversize_threshold:0` (blocks of 8 MiB and more kept for reuse like small
//! ones) the partition faulted in 16,000 pages, but the batch's peak rose to 368 MB.
//! `_RJEM_MALLOC_CONF` tunes it at run time (this copy is built with the `_rjem_` prefix,
//! beside the process's own malloc, which Python, numpy and pyarrow keep using). polars,
//! too, puts jemalloc under its Rust code on Linux.
//!
//! `disable_initial_exec_tls`: a library loaded with `dlopen` (a Python extension) may not
//! use the initial-exec TLS model. Memory crosses to Python only as copies (bytes, str) or
//! as Arrow buffers whose release callback frees them here, so no block allocated by one
//! allocator is freed by the other.

#[cfg(target_os = "linux")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
