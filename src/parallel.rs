//! Load-time work spread over the cores: compiling CRS's regexes and
//! analysing their literals are most of what loading costs.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` of every item, in order, on scoped threads (up to 8; on the calling
/// thread alone when there is one core or few items). Items are handed out
/// one at a time: the costly ones sit together (CRS 942), so fixed chunks
/// would leave one thread with most of the work. Should `f` panic, the
/// items that thread did come back `None`.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<Option<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    if threads == 1 || items.len() < 16 {
        return items.iter().map(|i| Some(f(i))).collect();
    }
    let next = AtomicUsize::new(0);
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        for h in handles {
            for (i, r) in h.join().unwrap_or_default() {
                out[i] = Some(r);
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u32> = (0..1000).collect();
        let out = super::map(&items, |i| i * 2);
        assert_eq!(out, items.iter().map(|i| Some(i * 2)).collect::<Vec<_>>());
        assert_eq!(
            super::map(&items[..3], |i| i + 1),
            [Some(1), Some(2), Some(3)]
        );
    }
}
