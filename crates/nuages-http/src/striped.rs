//! Values every request of a server clones, one copy per worker thread.
//!
//! An `Arc`'s reference count is one cache line. When the server's worker threads each
//! clone and drop the same `Arc` for every request (the settings a request keeps, the
//! shared match of a literal URL), that line moves from core to core on every request,
//! and each move stalls the core that writes it. On two cores, serving `/plaintext`
//! took 74% more CPU per request than on one, against 43% for a bare hyper server that
//! shares one count (docs/benchmarks.md, "Session 10"). [`Striped`] keeps several
//! equal copies of a value, each behind its own `Arc`, and gives each thread the copy of
//! its stripe: a request's clones and drops then write a count that only its own
//! thread uses.
//!
//! Only immutable values are striped (settings, resolver matches): the copies are equal
//! when made and stay so.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

/// How many copies a striped value keeps: twice the cores (rounded up to a power of two,
/// at most 64), so that worker threads, numbered as they first ask, rarely share one.
static STRIPES: LazyLock<usize> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    (cores * 2).next_power_of_two().min(64)
});

/// The next thread's stripe number.
static NEXT_THREAD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's stripe number, taken when it first asks.
    static THREAD: usize = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
}

/// Copies of one immutable value, one per stripe of threads (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Striped<T> {
    copies: Box<[Arc<T>]>,
}

impl<T: Clone> Striped<T> {
    /// `value` and its copies.
    pub(crate) fn new(value: T) -> Striped<T> {
        let stripes = *STRIPES;
        let mut copies = Vec::with_capacity(stripes);
        for _ in 1..stripes {
            copies.push(Arc::new(value.clone()));
        }
        copies.push(Arc::new(value));
        Striped {
            copies: copies.into_boxed_slice(),
        }
    }

    /// Copies of the value an `Arc` holds.
    pub(crate) fn from_arc(value: &Arc<T>) -> Striped<T> {
        Striped::new(T::clone(value))
    }
}

impl<T> Striped<T> {
    /// The current thread's copy.
    pub(crate) fn get(&self) -> &Arc<T> {
        let thread = THREAD.with(|t| *t);
        // `copies.len()` is a power of two: the mask is the modulo.
        &self.copies[thread & (self.copies.len() - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_get_equal_copies_from_their_own_stripes() {
        let striped = Striped::new(String::from("settings"));
        let here = striped.get().clone();
        assert!(Arc::ptr_eq(&here, striped.get()), "one thread, one stripe");
        let there = std::thread::scope(|s| s.spawn(|| striped.get().clone()).join().unwrap());
        assert_eq!(*here, *there);
        let distinct = striped
            .copies
            .iter()
            .enumerate()
            .all(|(i, a)| striped.copies[i + 1..].iter().all(|b| !Arc::ptr_eq(a, b)));
        assert!(distinct, "each stripe has a count of its own");
    }
}
