//! Memory a finished transaction hands to the next one.
//!
//! A transaction's phase caches and its list of matched rules reach tens of
//! kilobytes. Allocated anew for every transaction, each of those vectors
//! takes glibc's slow path (and its consolidation of the small chunks freed
//! meanwhile); passed on through a small pool shared by the rule set's
//! transactions, they are allocated once per concurrent transaction instead.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::phase_cache::Buffers;
use super::{MatchedRule, MatchedVar};
use std::sync::Arc;

use crate::variables::{Collection, TxData};

/// Spare buffers kept beyond this many are freed: enough for the agent's
/// worker threads, without holding memory a burst of traffic once needed.
const MAX_SPARE: usize = 32;

/// A rule set's spare transaction memory.
#[derive(Default)]
pub struct SparePool {
    caches: Spare<Buffers>,
    matched: Spare<Matched>,
    /// TX collections: CRS sets dozens of keys per request, and a new map
    /// grows (and rehashes) step by step to hold them.
    tx: Spare<Collection>,
    /// Request and response data, emptied, with the buffers of its names
    /// and values: two allocations per header and argument otherwise.
    data: Spare<Arc<TxData>>,
}

/// The data a finished transaction leaves in place of its own (shared: no
/// allocation per transaction).
pub(super) fn no_data() -> Arc<TxData> {
    static EMPTY: std::sync::LazyLock<Arc<TxData>> = std::sync::LazyLock::new(Arc::default);
    EMPTY.clone()
}

/// A matched-rule list's memory: the list, and each record's list of
/// matched variables (CRS records dozens of matches per request, most with
/// one variable: one small allocation each, otherwise).
#[derive(Default)]
pub(super) struct Matched {
    pub rules: Vec<MatchedRule>,
    pub vars: Vec<Vec<MatchedVar>>,
}

/// Most variable lists kept per matched-rule list.
const MAX_VAR_LISTS: usize = 256;

/// One kind of spare memory.
struct Spare<T> {
    items: Mutex<Vec<T>>,
    /// Set once something was kept: a rule set whose transactions never
    /// leave anything worth keeping (no rules, say) never takes the lock.
    used: AtomicBool,
}

impl<T> Default for Spare<T> {
    fn default() -> Spare<T> {
        Spare {
            items: Mutex::new(Vec::new()),
            used: AtomicBool::new(false),
        }
    }
}

impl std::fmt::Debug for SparePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparePool").finish_non_exhaustive()
    }
}

fn take<T>(m: &Spare<T>) -> Option<T> {
    if !m.used.load(Ordering::Relaxed) {
        return None;
    }
    // A poisoned lock only means another thread panicked while pushing or
    // popping; the vector itself is still sound.
    m.items.lock().unwrap_or_else(|e| e.into_inner()).pop()
}

fn give<T>(m: &Spare<T>, v: T) {
    let mut spare = m.items.lock().unwrap_or_else(|e| e.into_inner());
    if spare.len() < MAX_SPARE {
        spare.push(v);
        m.used.store(true, Ordering::Relaxed);
    }
}

impl SparePool {
    /// Phase cache buffers left by an earlier transaction.
    pub(super) fn take_cache(&self) -> Option<Buffers> {
        take(&self.caches)
    }

    /// Keeps the memory of `b` for a later transaction, if it holds any
    /// request-sized memory (emptied of request bytes here: see
    /// `Buffers::clear`).
    pub(super) fn give_cache(&self, mut b: Buffers) {
        if !b.has_large() {
            return;
        }
        b.clear();
        give(&self.caches, b);
    }

    /// An empty matched-rule list with an earlier transaction's capacity,
    /// and empty variable lists for its records.
    pub(super) fn take_matched(&self) -> Option<Matched> {
        take(&self.matched)
    }

    /// A TX collection with an earlier transaction's capacity: empty, or
    /// primed (see [`SparePool::give_tx`]).
    pub(super) fn take_tx(&self) -> Option<Collection> {
        take(&self.tx)
    }

    /// Keeps the memory of `c` for a later transaction: emptied, or made
    /// equal to `primed`, the state a rule set's prelude leaves (a copy into
    /// buffers already there, instead of one on the next transaction's path).
    pub(super) fn give_tx(&self, mut c: Collection, primed: Option<&Collection>) {
        match primed {
            Some(p) => c.copy_from(p),
            None => c.clear(),
        }
        if c.capacity() > 0 {
            give(&self.tx, c);
        }
    }

    /// Request and response data an earlier transaction left, emptied.
    pub(super) fn take_data(&self) -> Option<Arc<TxData>> {
        take(&self.data)
    }

    /// Keeps the memory of `d` for a later transaction, emptied here (see
    /// `TxData::recycle`), when no one else holds it.
    pub(super) fn give_data(&self, mut d: Arc<TxData>) {
        if let Some(data) = Arc::get_mut(&mut d) {
            data.recycle();
            give(&self.data, d);
        }
    }

    /// Keeps the memory of `m` (emptied here) for a later transaction.
    pub(super) fn give_matched(&self, mut m: Matched) {
        for r in m.rules.drain(..) {
            let mut vars = r.matched;
            if vars.capacity() > 0 && m.vars.len() < MAX_VAR_LISTS {
                vars.clear();
                m.vars.push(vars);
            }
        }
        if m.rules.capacity() > 0 {
            give(&self.matched, m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_is_bounded_and_hands_back_empty_lists() {
        let pool = SparePool::default();
        let record = MatchedRule {
            matched: vec![MatchedVar::default()],
            ..MatchedRule::default()
        };
        for _ in 0..MAX_SPARE + 5 {
            let rules = vec![record.clone(), record.clone()];
            pool.give_matched(Matched {
                rules,
                vars: Vec::new(),
            });
        }
        let mut n = 0;
        while let Some(m) = pool.take_matched() {
            assert!(m.rules.is_empty() && m.rules.capacity() >= 2);
            // Each record's variable list, emptied.
            assert_eq!(m.vars.len(), 2);
            assert!(m.vars.iter().all(|v| v.is_empty() && v.capacity() >= 1));
            n += 1;
        }
        assert_eq!(n, MAX_SPARE);
        // A list without memory is not worth keeping.
        pool.give_matched(Matched::default());
        assert!(pool.take_matched().is_none());
    }
}
