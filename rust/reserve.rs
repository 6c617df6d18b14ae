//! Memory held back for the allocations made after the process runs out.
//!
//! `room`'s checks come before the steps whose allocations grow with the input; the small
//! allocations between them (a call's arguments, an error's message, a panic's payload)
//! are unchecked, and where the process is already at its address-space limit when it
//! calls the core, the first of them aborts it. Seen (helper-242, `strace` and gdb): the
//! command's batch over a 200,000-record CSV file at 200 MB of headroom, where Python and
//! pyarrow had taken all but a few pages before `_core.reduce_arrow` was called, aborted
//! with "memory allocation of 7 bytes failed": the options' `"monthly"`, extracted by PyO3
//! before the call's first check, on a thread whose jemalloc arena had no free page and
//! whose three tries to map a 2 MiB extent failed. In a fresh arena any allocation needs a
//! new extent, so no check placed earlier could help: its own error message needs one.
//!
//! So the core keeps `RESERVE_BYTES` mapped (never touched until needed: no resident
//! memory) as the pool of a jemalloc arena of its own, which no thread uses; where an
//! allocation of at most half the pool fails in the thread's arena, the global allocator
//! (`allocator::WithReserve`) makes it in the reserve's arena instead (a larger one would
//! not leave room for the small ones, and is made fallibly where one can be that large:
//! `room::try_grow`). The allocations up to the next check then succeed, and that check,
//! finding the process out of room, fails the call with a `MemoryError` whose own
//! allocations come from the reserve too. What is freed goes back to the reserve's arena
//! at once (past the freeing thread's cache: `Reserve::dealloc`), which keeps it for the
//! next time.
//!
//! helper-242's reserve was given back to the kernel on the first failure, and the
//! failed allocation tried again in the thread's arena. That covered one failure: a
//! second one before the next check (another thread's arena, or the room taken meanwhile
//! by Python's malloc or pyarrow's jemalloc) aborted, and so did any call made while the
//! reserve could not be mapped again, on its first allocation ("memory allocation of 5
//! bytes failed", `tests/test_out_of_memory_reserve_spent.py`; one run of the command over
//! a CSV file at 16 MB of headroom ended so, "52 bytes"). Now the reserve is never given
//! away: every failure until the next check draws on it, from any thread, in any number of
//! calls, and no other allocator in the process can take it.
//!
//! A thread's first allocation under the limit would also fail to make the thread's own
//! arena, and a thread left without one crashes in jemalloc when it ends: so every one of
//! jemalloc's automatic arenas is made with the reserve (`make_every_thread_arena`), the
//! per-CPU ones of `percpu_arena` too. (jemalloc has 4,095 arena indexes: where a user's
//! `_RJEM_MALLOC_CONF=narenas:N` of 4094 or more takes them all, with the oversize arena,
//! there is none for the reserve, and the core runs without one, a failure standing as on
//! other systems: until helper-281 every call failed, `MemoryError` at its first check,
//! whatever the room. `ARENA_LIMIT`.)
//!
//! Costs: `RESERVE_BYTES` of the limit; 2 MiB of address space for each arena's first
//! metadata block (the reserve's and the automatic ones, four per CPU, which a process
//! running rayon's workers makes in part anyway), of which a few pages are touched; and
//! one never-taken branch per allocation, one compare per free (`benches/core_ab.py`,
//! BENCHMARKS.md "helper-242", "helper-259" and "helper-269"). Pages of the pool once used
//! stay resident (the arena cannot give them back: its hooks do not purge).
//! Not covered: more than the pool's room allocated between two checks once the process is
//! out (each check asks for `room::MARGIN`, 16 MiB, more than the pool); blocks that
//! outlive their call (a static made while out of room) keep their part of the pool; and
//! Python's own allocations, which the reserve does not serve.

/// What is held back: room for the small allocations between a failure and the next check,
/// and for the error's own (given to jemalloc whole when held: `give_the_whole_pool`).
pub const RESERVE_BYTES: usize = 8 << 20;

#[cfg(target_os = "linux")]
pub use pool::Reserve;

/// The process's reserve (see the module).
pub static RESERVE: Reserve = Reserve::new(RESERVE_BYTES);

#[cfg(target_os = "linux")]
mod pool {
    use std::ffi::{c_uint, c_void};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tikv_jemalloc_sys as je;

    /// What the reserve's arena takes of its pool at a time (jemalloc's least growth).
    pub const GROW_BYTES: usize = 2 << 20;

    /// jemalloc's `MALLOCX_ARENA_LIMIT`: `MALLOCX_ARENA(i)` carries i + 1 in 12 bits of the
    /// flags (`MALLOCX_ARENA_BITS`), so no arena's index reaches it (`arena_init_locked`
    /// refuses), and past it the flags wrap onto other arenas. `malloc_init_narenas` makes
    /// at most `ARENA_LIMIT - 1` automatic arenas (`narenas_auto`, whatever `opt.narenas`
    /// says: `_RJEM_MALLOC_CONF=narenas:5000` is "Reducing narenas to limit (4094)"), and
    /// the oversize arena (`oversize_threshold`, on in the core) takes the next index: with
    /// `narenas` of 4094 or more no index is left for the reserve's arena.
    pub const ARENA_LIMIT: usize = (1 << 12) - 1;

    /// `ready` where jemalloc has no arena index left for the reserve (`ARENA_LIMIT`): a
    /// state, not an arena; nothing is made in the reserve.
    const WITHOUT_AN_ARENA: usize = usize::MAX;

    /// Arena `index`'s option `name` ("arena.0.OPTION", the index put in for the 0) set to
    /// `value`, of the option's own type (`size_t`: usize, `ssize_t`: isize), or a command
    /// that takes none given `()` ("arena.0.destroy"); where this jemalloc lacks the option,
    /// or refuses the value, the arena is left as it was.
    fn set_arena_option<T>(name: &std::ffi::CStr, index: c_uint, mut value: T) {
        let mut mib = [0usize; 3];
        let mut mib_len = mib.len();
        let (new, new_len) = match std::mem::size_of::<T>() {
            0 => (std::ptr::null_mut(), 0),
            len => (std::ptr::from_mut(&mut value).cast(), len),
        };
        // SAFETY: a valid name, room for its three parts; then `new_len` bytes read from
        // `value` (jemalloc refuses a length other than the option's: no misread).
        unsafe {
            if je::mallctlnametomib(name.as_ptr(), mib.as_mut_ptr(), &mut mib_len) == 0 {
                mib[1] = index as usize;
                je::mallctlbymib(
                    mib.as_ptr(),
                    mib_len,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    new,
                    new_len,
                );
            }
        }
    }

    /// A pool of address space and the jemalloc arena that allocates from it.
    // (`repr(C)`, the hooks first: jemalloc hands a hook the hooks' address, which is the
    // reserve's.)
    #[repr(C)]
    pub struct Reserve {
        hooks: je::extent_hooks_t,
        bytes: usize,
        /// The pool's address; 0 until mapped, then never changed.
        pool: AtomicUsize,
        /// Bytes of the pool given to the arena (from its start; never given back).
        given: AtomicUsize,
        /// The arena's index plus one; 0 until made. (Its compare-exchange decides whose
        /// arena serves.)
        arena: AtomicUsize,
        /// The arena's index plus one once its whole pool is given: what allocations read
        /// (`flags`); 0 until then, `WITHOUT_AN_ARENA` where jemalloc has no index for one.
        ready: AtomicUsize,
        /// Called at a step of `hold` (tests only: what another thread may do then).
        #[cfg(test)]
        pause: Option<(Step, Pause)>,
    }

    /// What a test's reserve calls at a step of `hold`.
    #[cfg(test)]
    type Pause = fn(&'static Reserve);

    /// The steps of `hold` at which a test's reserve pauses (`Reserve::pausing`).
    #[cfg(test)]
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub enum Step {
        /// The pool mapped, the reserve's arena not yet made.
        BeforeTheArena,
        /// The arena published, its gift not begun (the gift's lock taken).
        BeforeTheGift,
        /// The gift's block made, not yet freed.
        HoldingTheGift,
    }

    /// The lock under which an arena is given its pool, taken by a fork too.
    ///
    /// A gift is a block of the whole pool made and freed (`give_the_whole_pool`). A fork
    /// between the two (another thread's) left the child the block, which no thread of the
    /// child would free: the child's reserve held nothing but what that block left over
    /// (helper-287: half the pool refused in the child). And helper-281's wait for a giver
    /// of the same process id would spin forever where a child's pid was that of the
    /// parent whose thread was mid-gift (a pid reused by a grandchild, or another pid
    /// namespace's). So the gift is
    /// made under this lock, which `pthread_atfork` takes before every fork and gives back
    /// after it, in the parent and the child: a child finds a gift done or not begun, and
    /// the lock free. One lock for every reserve (one gift each: tests make many).
    ///
    /// Waiting for it holds none of jemalloc's locks (taken in no allocation: only `hold`,
    /// in a room check, takes it), and the fork's own wait comes before jemalloc's, whose
    /// handlers (which take every arena's locks) were registered first and so run after
    /// ours before a fork (`guard_across_forks`): the giver's `mallocx` finds them free.
    pub mod gift {
        use std::sync::atomic::{AtomicBool, Ordering};

        static TAKEN: AtomicBool = AtomicBool::new(false);

        /// The lock held (given back when dropped).
        pub struct Lock(());

        impl Lock {
            pub fn take() -> Lock {
                take();
                Lock(())
            }
        }

        impl Drop for Lock {
            fn drop(&mut self) {
                give_back();
            }
        }

        fn take() {
            while TAKEN
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                std::thread::yield_now();
            }
        }

        fn give_back() {
            TAKEN.store(false, Ordering::Release);
        }

        extern "C" fn before_a_fork() {
            take();
        }

        extern "C" fn after_a_fork() {
            give_back();
        }

        extern "C" {
            fn pthread_atfork(
                prepare: Option<extern "C" fn()>,
                parent: Option<extern "C" fn()>,
                child: Option<extern "C" fn()>,
            ) -> std::ffi::c_int;
        }

        /// The lock taken by every fork from now on: registered once, at the first `hold`
        /// that finds the reserve not ready (loading the module: under Python's import
        /// lock, which `os.fork` takes too, so that no fork comes mid-registration and
        /// leaves a child waiting on the `Once`), after jemalloc is initialized: handlers
        /// registered later run earlier before a fork, so ours waits for a gift before
        /// jemalloc's take the locks the gift needs.
        pub fn guard_across_forks() {
            static REGISTERED: std::sync::Once = std::sync::Once::new();
            REGISTERED.call_once(|| {
                let mut narenas: std::ffi::c_uint = 0;
                let mut len = std::mem::size_of::<std::ffi::c_uint>();
                // SAFETY: a documented unsigned read (which initializes jemalloc, and so
                // registers its fork handlers); then handlers that live as long as the
                // process. (A failure to register, ENOMEM only, leaves gifts unguarded.)
                unsafe {
                    tikv_jemalloc_sys::mallctl(
                        c"arenas.narenas".as_ptr(),
                        std::ptr::from_mut(&mut narenas).cast(),
                        &mut len,
                        std::ptr::null_mut(),
                        0,
                    );
                    pthread_atfork(Some(before_a_fork), Some(after_a_fork), Some(after_a_fork));
                }
            });
        }
    }

    /// jemalloc's `arena_config_t` (its `experimental.arenas_create_ext`).
    #[repr(C)]
    struct ArenaConfig {
        extent_hooks: *mut je::extent_hooks_t,
        metadata_use_hooks: bool,
    }

    impl Reserve {
        pub const fn new(bytes: usize) -> Reserve {
            Reserve {
                hooks: je::extent_hooks_t {
                    alloc: Some(give_from_pool),
                    // (None: jemalloc keeps what it frees, in the arena, for reuse.)
                    dalloc: None,
                    destroy: None,
                    commit: None,
                    decommit: None,
                    purge_lazy: None,
                    purge_forced: None,
                    split: Some(split_or_merge_freely),
                    merge: Some(merge_freely),
                },
                bytes,
                pool: AtomicUsize::new(0),
                given: AtomicUsize::new(0),
                arena: AtomicUsize::new(0),
                ready: AtomicUsize::new(0),
                #[cfg(test)]
                pause: None,
            }
        }

        /// A reserve whose `hold` calls `pause` at `step`.
        #[cfg(test)]
        pub const fn pausing(bytes: usize, step: Step, pause: Pause) -> Reserve {
            let mut reserve = Reserve::new(bytes);
            reserve.pause = Some((step, pause));
            reserve
        }

        #[cfg(test)]
        fn pause_at(&'static self, step: Step) {
            if let Some((at, pause)) = self.pause {
                if at == step {
                    pause(self);
                }
            }
        }

        /// The reserve as a fork's child finds it where the fork came after the arena's
        /// publication and before its gift began.
        #[cfg(test)]
        pub fn as_a_fork_finds_it_published_but_not_given(&'static self) {
            assert!(self.publish_an_arena());
        }

        /// Hold the reserve (true), or say that it is not held and cannot be made now.
        /// Once made it stays: this is then one load. (True also where jemalloc has no
        /// arena index left for it, `narenas` of 4094 or more: none ever can be made, and
        /// the calls go on without it, a failure standing as on other systems: `ARENA_LIMIT`.)
        ///
        /// No lock to make it: threads that make it at once each map a pool and make an
        /// arena, the first to publish its own wins, and the others unmap their pools and
        /// destroy their arenas (jemalloc keeps a destroyed arena's first metadata block: 2 MiB
        /// of address space each loser leaves behind, a race of the first hold). (Until
        /// helper-269 a mutex: a fork while another thread held it, making the reserve
        /// after the load's hold had failed, left it locked in the child, whose next
        /// call then waited forever. Here a child finds either step done or not, and
        /// does what is not; a pool or an arena made but not yet published at the fork
        /// is lost to the child, 8 MiB or 2 MiB of its address space.) The published arena
        /// serves no allocation until its pool is given, under a lock that a fork waits
        /// for (`see_the_pool_given`, `gift`).
        pub fn hold(&'static self) -> bool {
            if self.ready.load(Ordering::Acquire) != 0 {
                return true;
            }
            gift::guard_across_forks();
            if self.arena.load(Ordering::Acquire) == 0 && !self.publish_an_arena() {
                // (`WITHOUT_AN_ARENA`, or nothing held.)
                return self.ready.load(Ordering::Acquire) != 0;
            }
            self.see_the_pool_given();
            true
        }

        /// An arena on the pool made and published, by this thread or another; false when
        /// it cannot be made now (the pool, if mapped, stays for the next try), or ever
        /// (`arena` and `ready` are then `WITHOUT_AN_ARENA`).
        fn publish_an_arena(&'static self) -> bool {
            if !self.map_pool() {
                return false;
            }
            make_every_thread_arena();
            #[cfg(test)]
            self.pause_at(Step::BeforeTheArena);
            let Some(index) = self.make_arena() else {
                // (No index left: where another thread's arena took the last one, that
                // arena serves. Until helper-287 this thread then set `ready` to
                // `WITHOUT_AN_ARENA` whatever `arena` held, and where that came after the
                // other's gift the reserve was never used again.)
                return no_arena_index_left()
                    && match self
                        .arena
                        .compare_exchange(0, WITHOUT_AN_ARENA, Ordering::AcqRel, Ordering::Acquire)
                    {
                        Ok(_) => {
                            self.ready.store(WITHOUT_AN_ARENA, Ordering::Release);
                            false
                        }
                        Err(_) => true,
                    };
            };
            if self
                .arena
                .compare_exchange(0, index as usize + 1, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                // Another thread's arena was published first: this one, which has taken
                // nothing of the pool, is destroyed.
                set_arena_option(c"arena.0.destroy", index, ());
            }
            true
        }

        /// The published arena given its whole pool, by this thread or another, and only
        /// then made the one allocations use (`ready`, which `flags` reads). Until
        /// helper-281 the published arena was used at once: a thread whose allocation
        /// failed between the publication and the gift grew it by that block's extent,
        /// the gift came in a second growth, and jemalloc never merges two growths'
        /// extents (`give_the_whole_pool`): half the pool could no longer be made.
        ///
        /// Under `gift::Lock`: one thread gives, others wait for it (a few of jemalloc's
        /// calls, no lock of jemalloc's held), so that `hold` is true only once the reserve
        /// serves; and a fork waits for it too, so that no child finds a gift half made
        /// (`gift`).
        fn see_the_pool_given(&'static self) {
            let _gift = gift::Lock::take();
            if self.ready.load(Ordering::Acquire) != 0 {
                return;
            }
            #[cfg(test)]
            self.pause_at(Step::BeforeTheGift);
            let arena = self.arena.load(Ordering::Acquire);
            if arena != WITHOUT_AN_ARENA {
                self.give_the_whole_pool(arena as c_uint - 1);
            }
            self.ready.store(arena, Ordering::Release);
        }

        /// The pool mapped, by this thread or another (false: the kernel refused it).
        fn map_pool(&self) -> bool {
            if self.pool.load(Ordering::Acquire) != 0 {
                return true;
            }
            let Some(addr) = super::map(self.bytes) else {
                return false;
            };
            if self
                .pool
                .compare_exchange(0, addr, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                super::unmap(addr, self.bytes);
            }
            true
        }

        /// The whole pool given to the arena now, while there is room: one block, the largest
        /// jemalloc makes of the pool in one growth (one call of the hook), freed untouched
        /// (what jemalloc keeps of it is address space, not pages). jemalloc records each
        /// address it holds in a radix tree whose leaves (one per GiB of addresses) it maps
        /// with its own mappings when first needed: needed now, a later allocation from the
        /// pool maps nothing. In one growth, because jemalloc never merges extents that two
        /// calls of the hook gave (each is a "head": `extent_neighbor_head_state_mergeable`):
        /// given 2 MiB at a time, as until helper-267, no block over 2 MiB could be made,
        /// whatever the pool held.
        fn give_the_whole_pool(&'static self, index: c_uint) {
            let flags = je::MALLOCX_ARENA(index as usize) | je::MALLOCX_TCACHE_NONE | je::MALLOCX_ALIGN(8);
            // (The largest that fits the pool with jemalloc's padding, found by trying: a
            // size whose extent is larger is refused by the hook, changing nothing.)
            let mut size = self.bytes;
            while size >= 4096 {
                // SAFETY: a nonzero size in the reserve's arena, freed once with its flags.
                unsafe {
                    let block = je::mallocx(size, flags);
                    if !block.is_null() {
                        #[cfg(test)]
                        self.pause_at(Step::HoldingTheGift);
                        je::sdallocx(block, size, flags);
                        return;
                    }
                }
                size -= size / 8;
            }
        }

        /// A new arena on the reserve's hooks, later growths `GROW_BYTES`; its metadata from
        /// jemalloc's own mappings (the pool is for what the core allocates).
        fn make_arena(&'static self) -> Option<c_uint> {
            let mut config = ArenaConfig {
                extent_hooks: std::ptr::from_ref(&self.hooks).cast_mut(),
                metadata_use_hooks: false,
            };
            let mut index: c_uint = 0;
            let mut len = std::mem::size_of::<c_uint>();
            // SAFETY: the command's documented types (an unsigned out, an `arena_config_t`
            // in); the hooks live as long as the process (`'static`).
            let made = unsafe {
                je::mallctl(
                    c"experimental.arenas_create_ext".as_ptr(),
                    std::ptr::from_mut(&mut index).cast(),
                    &mut len,
                    std::ptr::from_mut(&mut config).cast(),
                    std::mem::size_of::<ArenaConfig>(),
                )
            };
            if made != 0 {
                return None;
            }
            // Later growths capped at 2 MiB (they double otherwise): a pool that one growth
            // does not cover whole (not one of jemalloc's sizes) is used to its end.
            // A failure (jemalloc built without `retain`) leaves it growing by what is asked.
            set_arena_option(c"arena.0.retain_grow_limit", index, GROW_BYTES);
            // What is freed is purged at once (no decay), which the hooks refuse: the freed
            // extent joins the pool's unused ("retained") ones and merges with its free
            // neighbours. Left dirty, it would stay apart from them until it decayed (10 s,
            // and only while some arena allocates): the free room cut in pieces, a block of
            // half the pool was refused after small blocks were freed (helper-267).
            set_arena_option(c"arena.0.dirty_decay_ms", index, 0isize);
            Some(index)
        }

        /// `layout`'s allocation (zeroed or not) made in the reserve, after it failed in the
        /// thread's arena; null (the failure stands) when it is larger than half the pool,
        /// the reserve is not held, or its pool is used up.
        ///
        /// # Safety
        /// As `GlobalAlloc::alloc`: `layout` of nonzero size.
        #[cold]
        #[inline(never)]
        pub unsafe fn alloc(&self, layout: std::alloc::Layout, zeroed: bool) -> *mut u8 {
            let Some(flags) = self.flags(layout.size(), layout.align()) else {
                return std::ptr::null_mut();
            };
            let zero = if zeroed { je::MALLOCX_ZERO } else { 0 };
            je::mallocx(layout.size(), flags | zero).cast()
        }

        /// `ptr`'s block moved into the reserve with `new_size` bytes, after a realloc
        /// failed; null (the block left as it was) as `alloc`.
        ///
        /// # Safety
        /// As `GlobalAlloc::realloc`.
        #[cold]
        #[inline(never)]
        pub unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
            let Some(flags) = self.flags(new_size, layout.align()) else {
                return std::ptr::null_mut();
            };
            je::rallocx(ptr.cast(), new_size, flags).cast()
        }

        /// The flags that make an allocation in the reserve's arena, bypassing the thread's
        /// cache (whose blocks are the thread arena's); None when it is not to be made.
        fn flags(&self, bytes: usize, align: usize) -> Option<std::ffi::c_int> {
            let arena = self.ready.load(Ordering::Acquire);
            (arena != 0 && arena != WITHOUT_AN_ARENA && bytes <= self.bytes / 2)
                .then(|| je::MALLOCX_ARENA(arena - 1) | je::MALLOCX_TCACHE_NONE | je::MALLOCX_ALIGN(align))
        }

        /// The next `size` bytes of the pool at `alignment`, if they fit.
        fn take(&self, size: usize, alignment: usize) -> Option<usize> {
            let pool = self.pool.load(Ordering::Acquire);
            let mut given = self.given.load(Ordering::Acquire);
            loop {
                let start = (pool + given).checked_next_multiple_of(alignment.max(1))? - pool;
                let end = start.checked_add(size).filter(|&end| end <= self.bytes)?;
                match self
                    .given
                    .compare_exchange(given, end, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => return Some(pool + start),
                    Err(now) => given = now,
                }
            }
        }

        /// Whether `ptr` lies in the pool: on every free, so one relaxed load (the pool's
        /// address is set once, before any block of it exists) and one compare. (Before
        /// the pool is mapped, an address under `bytes` passes: any block of jemalloc's
        /// may be freed past the thread's cache, only more slowly.)
        #[inline(always)]
        pub fn in_pool(&self, ptr: *const u8) -> bool {
            (ptr as usize).wrapping_sub(self.pool.load(Ordering::Relaxed)) < self.bytes
        }

        /// `ptr`, a block of the pool, freed into the reserve's arena at once, not into the
        /// thread's cache (which would keep its pages from the pool until flushed).
        ///
        /// # Safety
        /// As `GlobalAlloc::dealloc`.
        #[cold]
        #[inline(never)]
        pub unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
            let flags = je::MALLOCX_ALIGN(layout.align()) | je::MALLOCX_TCACHE_NONE;
            je::sdallocx(ptr.cast(), layout.size(), flags);
        }

        /// `ptr`, a block of the pool, resized: in place, or moved to the thread's arena
        /// (out of the pool, where there is room again) and its old block freed as
        /// `dealloc` frees; null (the block left as it was) when that fails.
        ///
        /// # Safety
        /// As `GlobalAlloc::realloc`.
        #[cold]
        #[inline(never)]
        pub unsafe fn move_out(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
            let flags = je::MALLOCX_ALIGN(layout.align()) | je::MALLOCX_TCACHE_NONE;
            je::rallocx(ptr.cast(), new_size, flags).cast()
        }
    }

    /// Whether every arena index jemalloc has is taken (`arenas.narenas`, automatic and
    /// made ones, reaches `ARENA_LIMIT`): no arena can be made again.
    fn no_arena_index_left() -> bool {
        let mut count: c_uint = 0;
        let mut len = std::mem::size_of::<c_uint>();
        // SAFETY: a documented unsigned read.
        let read = unsafe {
            je::mallctl(
                c"arenas.narenas".as_ptr(),
                std::ptr::from_mut(&mut count).cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        read == 0 && count as usize >= ARENA_LIMIT
    }

    /// Every one of jemalloc's automatic arenas made now, while there is room. A thread's
    /// first allocation chooses its arena, and makes one where a slot is free: out of room,
    /// that fails and leaves the thread with no arena, whose cache jemalloc then frees at
    /// the thread's end through a null arena (a segfault, seen: a thread whose first
    /// allocations were made in the reserve). With every arena made, a thread is given
    /// one and nothing is mapped. (Each arena's first metadata block, 2 MiB of address
    /// space, mostly untouched; a thread made in the call would have made most of them.)
    ///
    /// Each arena is made by a block resized in place "in" it (`rallocx` with
    /// `MALLOCX_ARENA`, which makes the arena it names, then finds that the block's size
    /// class is unchanged and moves nothing: no page of the arena's is mapped). Until
    /// helper-269 by moving the thread onto each (`thread.arena`), which jemalloc refuses
    /// for the per-CPU arenas of `percpu_arena` (`_RJEM_MALLOC_CONF=percpu_arena:percpu`),
    /// where each allocation takes the arena of the CPU it runs on: a thread moved under
    /// the limit onto a CPU whose arena was not made segfaulted in jemalloc
    /// (`tests/test_out_of_memory_per_cpu_arenas.py`).
    fn make_every_thread_arena() {
        let mut count: c_uint = 0;
        let mut len = std::mem::size_of::<c_uint>();
        let flags = je::MALLOCX_TCACHE_NONE;
        // SAFETY: a documented unsigned read; a block of 8 bytes, resized to its own size
        // (the arena index below jemalloc's count of automatic arenas: `ARENA_LIMIT`),
        // freed once.
        unsafe {
            let mut block = je::mallocx(8, flags);
            if block.is_null() {
                return;
            }
            let counted = je::mallctl(
                c"opt.narenas".as_ptr(),
                std::ptr::from_mut(&mut count).cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            );
            // (`opt.narenas` is what was asked, which jemalloc caps: indexes past the cap
            // wrapped onto other arenas, and the first made the oversize arena's index a
            // plain arena, until helper-281.)
            let automatic = (count as usize).min(ARENA_LIMIT - 1);
            for index in (0..automatic).filter(|_| counted == 0) {
                // (Were jemalloc to move it after all, the block moved is the one kept.)
                let resized = je::rallocx(block, 8, je::MALLOCX_ARENA(index) | flags);
                if !resized.is_null() {
                    block = resized;
                }
            }
            je::dallocx(block, flags);
        }
    }

    /// jemalloc's extent allocation hook: the pool's next pages, never touched (so zero),
    /// and committed; null when they do not fit, or when asked for a given address.
    unsafe extern "C" fn give_from_pool(
        hooks: *mut je::extent_hooks_t,
        new_addr: *mut c_void,
        size: usize,
        alignment: usize,
        zero: *mut bool,
        commit: *mut bool,
        _arena: c_uint,
    ) -> *mut c_void {
        // SAFETY: the hooks are a reserve's first field (`repr(C)`), and only a reserve's
        // arena calls this hook.
        let reserve = unsafe { &*hooks.cast::<Reserve>() };
        if !new_addr.is_null() {
            return std::ptr::null_mut();
        }
        match reserve.take(size, alignment) {
            Some(addr) => {
                // SAFETY: jemalloc's out-parameters.
                unsafe {
                    *zero = true;
                    *commit = true;
                }
                addr as *mut c_void
            }
            None => std::ptr::null_mut(),
        }
    }

    /// The pool is one mapping: any extent of it may be split (false: done).
    unsafe extern "C" fn split_or_merge_freely(
        _hooks: *mut je::extent_hooks_t,
        _addr: *mut c_void,
        _size: usize,
        _size_a: usize,
        _size_b: usize,
        _committed: bool,
        _arena: c_uint,
    ) -> bool {
        false
    }

    /// ... and two neighbouring extents of it merged (false: done).
    unsafe extern "C" fn merge_freely(
        _hooks: *mut je::extent_hooks_t,
        _addr_a: *mut c_void,
        _size_a: usize,
        _addr_b: *mut c_void,
        _size_b: usize,
        _committed: bool,
        _arena: c_uint,
    ) -> bool {
        false
    }
}

// (Elsewhere the core runs on the system's allocator, and `RLIMIT_AS` is not Linux's:
// nothing is held, and a failure stands.)
#[cfg(not(target_os = "linux"))]
pub struct Reserve;

#[cfg(not(target_os = "linux"))]
impl Reserve {
    pub const fn new(_bytes: usize) -> Reserve {
        Reserve
    }

    pub fn hold(&'static self) -> bool {
        false
    }
}

/// A new private mapping of `bytes`, at an address the kernel picks; None if refused.
#[cfg(target_os = "linux")]
fn map(bytes: usize) -> Option<usize> {
    use std::ffi::{c_int, c_void};
    extern "C" {
        fn mmap(addr: *mut c_void, len: usize, prot: c_int, flags: c_int, fd: c_int, offset: i64) -> *mut c_void;
    }
    const PROT_READ: c_int = 1;
    const PROT_WRITE: c_int = 2;
    const MAP_PRIVATE: c_int = 0x02;
    const MAP_ANONYMOUS: c_int = 0x20;
    const MAP_FAILED: *mut c_void = !0usize as *mut c_void;
    // SAFETY: a fresh anonymous mapping, which nothing else knows of. (Writable and
    // without MAP_NORESERVE: under strict overcommit the kernel charges it when mapped,
    // so that touching it later cannot fail.)
    let flags = MAP_PRIVATE | MAP_ANONYMOUS;
    let addr = unsafe { mmap(std::ptr::null_mut(), bytes, PROT_READ | PROT_WRITE, flags, -1, 0) };
    (addr != MAP_FAILED).then_some(addr as usize)
}

/// `map`'s mapping given back (a pool another thread mapped first).
#[cfg(target_os = "linux")]
fn unmap(addr: usize, bytes: usize) {
    extern "C" {
        fn munmap(addr: *mut std::ffi::c_void, len: usize) -> std::ffi::c_int;
    }
    // SAFETY: a mapping of `bytes` that `map` made and nothing else has used.
    unsafe { munmap(addr as *mut std::ffi::c_void, bytes) };
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::pool::{Step, GROW_BYTES};
    use super::*;
    use std::alloc::Layout;

    fn reserve(bytes: usize) -> &'static Reserve {
        Box::leak(Box::new(Reserve::new(bytes)))
    }

    #[test]
    fn allocations_made_in_the_reserve_come_from_its_pool_and_are_reused() {
        let reserve = reserve(4 * GROW_BYTES);
        assert!(reserve.hold());
        let layout = Layout::from_size_align(52, 8).unwrap();
        // SAFETY: nonzero sizes; each block freed once, with its layout.
        unsafe {
            let blocks: Vec<*mut u8> = (0..20_000).map(|_| reserve.alloc(layout, false)).collect();
            assert!(blocks.iter().all(|&b| !b.is_null() && reserve.in_pool(b)));
            for b in blocks {
                std::alloc::dealloc(b, layout);
            }
            // Freed: the next rounds reuse the same pages (ten hold more than the pool).
            for _ in 0..10 {
                let blocks: Vec<*mut u8> = (0..20_000).map(|_| reserve.alloc(layout, false)).collect();
                assert!(blocks.iter().all(|&b| !b.is_null() && reserve.in_pool(b)));
                for b in blocks {
                    std::alloc::dealloc(b, layout);
                }
            }
        }
    }

    #[test]
    fn zeroed_aligned_and_moved_blocks_are_what_was_asked() {
        let reserve = reserve(4 * GROW_BYTES);
        assert!(reserve.hold());
        // SAFETY: nonzero sizes; the block written within its size, freed once.
        unsafe {
            let layout = Layout::from_size_align(4096, 256).unwrap();
            let block = reserve.alloc(layout, true);
            assert!(reserve.in_pool(block) && (block as usize).is_multiple_of(256));
            assert!(std::slice::from_raw_parts(block, 4096).iter().all(|&b| b == 0));
            std::ptr::write_bytes(block, 7, 4096);
            // A block of the thread's arena moved into the reserve, its bytes kept.
            let small = Layout::from_size_align(16, 8).unwrap();
            let outside = std::alloc::alloc(small);
            std::ptr::write_bytes(outside, 9, 16);
            let moved = reserve.realloc(outside, small, 100_000);
            assert!(reserve.in_pool(moved));
            assert!(std::slice::from_raw_parts(moved, 16).iter().all(|&b| b == 9));
            std::alloc::dealloc(moved, Layout::from_size_align(100_000, 8).unwrap());
            std::alloc::dealloc(block, layout);
        }
    }

    #[test]
    fn a_block_of_half_the_pool_is_made_after_hold_and_after_small_blocks_are_freed_or_moved() {
        // (Until helper-267: the pool was given in four 2 MiB extents, which jemalloc never
        // merges (each one a "head"), and its frees stayed apart from what it had not used
        // (dirty and retained extents do not merge): a block of 2 MiB was always refused,
        // and one of 1.5 MiB right after `hold`. Until helper-269: the small blocks, freed
        // or moved out through the global allocator, went to this thread's cache and kept
        // their slabs' pages from the pool, and the block of half of it was refused: right
        // after the frees, and (the frees fixed alone) in the round after the moves.) The process's own reserve, as the global allocator frees
        // only its blocks past the cache: this is the one test that allocates in it.
        assert!(RESERVE.hold());
        let half = Layout::from_size_align(RESERVE_BYTES / 2, 8).unwrap();
        let small: Vec<Layout> = (0..3_000)
            .map(|i| Layout::from_size_align(40 + i, 8).unwrap())
            .collect();
        // SAFETY: nonzero sizes; each block freed once, with its layout (a moved one with
        // its new size).
        unsafe {
            let made_in_the_reserve = || -> Vec<*mut u8> {
                let blocks: Vec<*mut u8> = small.iter().map(|&layout| RESERVE.alloc(layout, false)).collect();
                assert!(blocks.iter().all(|&b| !b.is_null() && RESERVE.in_pool(b)));
                blocks
            };
            for round in 0..3 {
                let block = RESERVE.alloc(half, false);
                assert!(!block.is_null() && RESERVE.in_pool(block), "round {round}");
                std::alloc::dealloc(block, half);
                // Small blocks made in the reserve and freed as the core frees them.
                for (b, &layout) in made_in_the_reserve().into_iter().zip(&small) {
                    std::alloc::dealloc(b, layout);
                }
                let block = RESERVE.alloc(half, false);
                assert!(!block.is_null(), "round {round}: half the pool, after small frees");
                std::alloc::dealloc(block, half);
                // ... and grown as the core grows them: moved into the thread's arena (there
                // is room here), their old blocks freed.
                for (b, &layout) in made_in_the_reserve().into_iter().zip(&small) {
                    let grown = 2 * layout.size();
                    let moved = std::alloc::realloc(b, layout, grown);
                    assert!(!moved.is_null() && !RESERVE.in_pool(moved), "round {round}");
                    std::alloc::dealloc(moved, Layout::from_size_align(grown, 8).unwrap());
                }
            }
        }
    }

    #[test]
    fn threads_holding_a_reserve_at_once_all_hold_it_and_share_one_arena() {
        // (No lock to be left held by a fork: each thread makes what it finds not made,
        // and the first arena published serves all.)
        let reserve = reserve(2 * GROW_BYTES);
        let start = std::sync::Barrier::new(8);
        let held: Vec<bool> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        reserve.hold()
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert_eq!(held, [true; 8]);
        let layout = Layout::from_size_align(GROW_BYTES, 8).unwrap();
        // SAFETY: a nonzero size, freed once with its layout.
        unsafe {
            // The whole pool was given to the one arena: a block of half of it is made there.
            let block = reserve.alloc(layout, false);
            assert!(!block.is_null() && reserve.in_pool(block));
            std::alloc::dealloc(block, layout);
        }
    }

    #[test]
    fn a_used_up_pool_and_blocks_over_half_of_it_are_refused() {
        let reserve = reserve(2 * GROW_BYTES);
        assert!(reserve.hold());
        // SAFETY: nonzero sizes; blocks freed once, with their layouts.
        unsafe {
            let over_half = Layout::from_size_align(GROW_BYTES + 1, 8).unwrap();
            assert!(reserve.alloc(over_half, false).is_null());
            let big = Layout::from_size_align(GROW_BYTES / 2, 8).unwrap();
            let blocks: Vec<*mut u8> = (0..8).map(|_| reserve.alloc(big, false)).collect();
            let made: Vec<*mut u8> = blocks.iter().copied().filter(|b| !b.is_null()).collect();
            // Some fit the pool, never more than it holds, and then the failure stands.
            assert!(!made.is_empty() && made.len() < 8, "{}", made.len());
            assert!(made.iter().all(|&b| reserve.in_pool(b)));
            for b in made {
                std::alloc::dealloc(b, big);
            }
        }
    }

    #[test]
    fn an_allocation_made_while_the_arena_is_published_but_not_given_its_pool_leaves_half_of_it_free() {
        // (Until helper-281 `flags` read the published arena: such an allocation grew it by
        // its own extent first, the gift then came in a second growth, and jemalloc never
        // merges two growths' extents: a block of half the pool was refused.)
        static MADE_IN_THE_GAP: std::sync::atomic::AtomicPtr<u8> =
            std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());
        static SMALL: Layout = match Layout::from_size_align(64, 8) {
            Ok(layout) => layout,
            Err(_) => panic!(),
        };
        fn another_thread_fails_to_allocate(reserve: &'static Reserve) {
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    // SAFETY: a nonzero size.
                    let block = unsafe { reserve.alloc(SMALL, false) };
                    MADE_IN_THE_GAP.store(block, std::sync::atomic::Ordering::Relaxed);
                });
            });
        }
        let reserve: &'static Reserve = Box::leak(Box::new(Reserve::pausing(
            2 * GROW_BYTES,
            Step::BeforeTheGift,
            another_thread_fails_to_allocate,
        )));
        assert!(reserve.hold());
        let half = Layout::from_size_align(GROW_BYTES, 8).unwrap();
        // SAFETY: a nonzero size; each block freed once, with its layout.
        unsafe {
            let block = reserve.alloc(half, false);
            let in_the_gap = MADE_IN_THE_GAP.load(std::sync::atomic::Ordering::Relaxed);
            if !in_the_gap.is_null() {
                std::alloc::dealloc(in_the_gap, SMALL);
            }
            assert!(!block.is_null() && reserve.in_pool(block), "half the pool refused");
            std::alloc::dealloc(block, half);
            // Told the truth: the arena, not yet given its pool, was not to be used.
            assert!(in_the_gap.is_null());
        }
    }

    #[test]
    fn a_fork_child_that_finds_the_arena_published_but_not_given_gives_it_the_pool_itself() {
        // (A child waiting for its parent's thread would wait forever, as helper-269's mutex
        // did.)
        let reserve = reserve(2 * GROW_BYTES);
        reserve.as_a_fork_finds_it_published_but_not_given();
        assert!(reserve.hold());
        let half = Layout::from_size_align(GROW_BYTES, 8).unwrap();
        // SAFETY: a nonzero size, freed once with its layout.
        unsafe {
            let block = reserve.alloc(half, false);
            assert!(!block.is_null() && reserve.in_pool(block));
            std::alloc::dealloc(block, half);
        }
    }

    extern "C" {
        fn fork() -> i32;
        fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
        fn _exit(status: i32) -> !;
    }

    #[test]
    fn a_fork_while_another_thread_gives_the_pool_leaves_the_child_the_whole_pool() {
        // Another thread forks while the gift's block is made and not yet freed. Until
        // helper-287 the child kept that block, which no thread of its frees, and its
        // reserve made nothing of half the pool: the child (exit status 1) allocated only
        // in what the block left over. Now the fork waits for the gift (`gift`); here for
        // up to a second while the giving thread waits for it, then the gift goes on.
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Mutex;
        use std::time::{Duration, Instant};
        static STARTED: AtomicBool = AtomicBool::new(false);
        static FORKED: AtomicBool = AtomicBool::new(false);
        static FORKER: Mutex<Option<std::thread::JoinHandle<i32>>> = Mutex::new(None);
        fn fork_from_another_thread(reserve: &'static Reserve) {
            // (Once: the child, if it gives the pool itself, comes here again.)
            if STARTED.swap(true, Ordering::SeqCst) {
                return;
            }
            let forker = std::thread::spawn(move || {
                // SAFETY: the child runs only the reserve's calls and `_exit`s; the parent
                // waits for it.
                unsafe {
                    let child = fork();
                    if child == 0 {
                        let half = Layout::from_size_align(GROW_BYTES, 8).unwrap();
                        let held = reserve.hold();
                        let block = reserve.alloc(half, false);
                        _exit(if held && !block.is_null() && reserve.in_pool(block) {
                            0
                        } else {
                            1
                        });
                    }
                    FORKED.store(true, Ordering::SeqCst);
                    let mut status = -1;
                    assert_eq!(waitpid(child, &mut status, 0), child);
                    status
                }
            });
            *FORKER.lock().unwrap() = Some(forker);
            let start = Instant::now();
            while !FORKED.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(1) {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let reserve: &'static Reserve = Box::leak(Box::new(Reserve::pausing(
            2 * GROW_BYTES,
            Step::HoldingTheGift,
            fork_from_another_thread,
        )));
        assert!(reserve.hold());
        let forker = FORKER.lock().unwrap().take().expect("the gift forked");
        let status = forker.join().unwrap();
        // (`WIFEXITED` with status 0: the child held the reserve and made half of it.)
        assert_eq!(status, 0, "the child's wait status");
    }

    #[test]
    fn past_jemalloc_s_cap_on_arenas_no_index_is_made_for_the_oversize_arena_nor_the_reserve() {
        // Run again in a child whose jemalloc starts with `narenas:5000` (it makes 4094
        // automatic arenas, and index 4094 is the oversize arena's). Until helper-281 the
        // arenas were made up to 5000: index 4094 was made a plain arena (10 s of decay,
        // where the oversize arena purges at once) and past 4094 the flags wrapped; the
        // reserve's arena, with no index left, was never held.
        const CHILD: &str = "USAGE_ANALYTICS_RESERVE_CHILD";
        const NAME: &str =
            "reserve::tests::past_jemalloc_s_cap_on_arenas_no_index_is_made_for_the_oversize_arena_nor_the_reserve";
        if std::env::var_os(CHILD).is_none() {
            let done = std::process::Command::new(std::env::current_exe().unwrap())
                .args([NAME, "--exact", "--test-threads=1"])
                .env(CHILD, "1")
                .env("_RJEM_MALLOC_CONF", "narenas:5000")
                .output()
                .unwrap();
            let (stdout, stderr) = (
                String::from_utf8_lossy(&done.stdout),
                String::from_utf8_lossy(&done.stderr),
            );
            assert!(
                done.status.success() && stdout.contains("1 passed"),
                "{stdout}\n{stderr}"
            );
            assert!(stderr.contains("Reducing narenas to limit (4094)"), "{stderr}");
            return;
        }
        // Held without an arena: nothing is made in it.
        let reserve = reserve(GROW_BYTES);
        assert!(reserve.hold());
        // SAFETY: a nonzero size.
        assert!(unsafe { reserve.alloc(Layout::new::<u64>(), false) }.is_null());
        // A block over the oversize threshold (16 MiB) makes the oversize arena, purging
        // at once, where no arena was made at its index before.
        let block = std::hint::black_box(vec![1u8; 32 << 20]);
        let mut decay: isize = -2;
        let mut len = std::mem::size_of::<isize>();
        // SAFETY: a documented signed read.
        let read = unsafe {
            tikv_jemalloc_sys::mallctl(
                c"arena.4094.dirty_decay_ms".as_ptr(),
                std::ptr::from_mut(&mut decay).cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        drop(block);
        assert_eq!((read, decay), (0, 0));
    }

    /// This test's name run again in a child whose jemalloc starts with `_RJEM_MALLOC_CONF`
    /// set to `conf`: true in the child (which then runs the test), false in the parent
    /// once the child passed.
    fn in_a_child_with_jemalloc_conf(name: &str, conf: &str) -> bool {
        const CHILD: &str = "USAGE_ANALYTICS_RESERVE_CHILD";
        if std::env::var_os(CHILD).is_some() {
            return true;
        }
        let done = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--test-threads=1"])
            .env(CHILD, "1")
            .env("_RJEM_MALLOC_CONF", conf)
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&done.stdout),
            String::from_utf8_lossy(&done.stderr),
        );
        assert!(
            done.status.success() && stdout.contains("1 passed"),
            "{stdout}\n{stderr}"
        );
        false
    }

    #[test]
    fn where_one_arena_index_is_left_the_thread_that_finds_it_taken_uses_the_winner_s_arena() {
        // `narenas:4093`: 4093 automatic arenas, the oversize arena's index, and one left,
        // which the first of two threads holding the reserve at once takes. Until
        // helper-287 the second, whose own arena could then not be made, set the reserve
        // "held without an arena" after the first had given its arena the pool: nothing
        // was made in the reserve again. Here the second finds no arena published, and
        // pauses while the first holds the reserve whole.
        if !in_a_child_with_jemalloc_conf(
            "reserve::tests::where_one_arena_index_is_left_the_thread_that_finds_it_taken_uses_the_winner_s_arena",
            "narenas:4093",
        ) {
            return;
        }
        static PAUSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        fn another_thread_holds_it(reserve: &'static Reserve) {
            // (Once: the other thread comes here too.)
            if !PAUSED.swap(true, std::sync::atomic::Ordering::SeqCst) {
                assert!(std::thread::spawn(move || reserve.hold()).join().unwrap());
            }
        }
        let reserve: &'static Reserve = Box::leak(Box::new(Reserve::pausing(
            2 * GROW_BYTES,
            Step::BeforeTheArena,
            another_thread_holds_it,
        )));
        assert!(reserve.hold());
        let half = Layout::from_size_align(GROW_BYTES, 8).unwrap();
        // SAFETY: a nonzero size, freed once with its layout.
        unsafe {
            let block = reserve.alloc(half, false);
            assert!(
                !block.is_null() && reserve.in_pool(block),
                "nothing made in the reserve"
            );
            std::alloc::dealloc(block, half);
        }
    }

    #[test]
    fn holding_twice_keeps_one_arena_and_a_pool_the_kernel_refuses_is_not_held() {
        let held = reserve(GROW_BYTES);
        assert!(held.hold() && held.hold());
        let refused = reserve(usize::MAX / 2);
        assert!(!refused.hold());
        // SAFETY: a nonzero size.
        assert!(unsafe { refused.alloc(Layout::new::<u64>(), false) }.is_null());
    }
}
