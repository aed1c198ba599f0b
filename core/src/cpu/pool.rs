//! A persistent pool of worker threads for the CPU passes that split rows over the cores. Kernel Sinkhorn
//! runs one pass per iteration (~0.5–3 ms at n = 1000–2000); spawning two threads for each measured
//! 30–130 µs here, so the workers are started once and woken per pass instead. Native only: on wasm every
//! pass runs on the calling thread.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
    use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
    use std::sync::OnceLock;

    type Job = Box<dyn FnOnce() + Send + 'static>;

    /// The workers' queues (the caller is the extra thread: `available_parallelism − 1` workers, at most 3).
    fn workers() -> &'static [Sender<Job>] {
        static WORKERS: OnceLock<Vec<Sender<Job>>> = OnceLock::new();
        WORKERS.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, |c| c.get()).min(4);
            (1..cores)
                .filter_map(|w| {
                    let (tx, rx) = channel::<Job>();
                    std::thread::Builder::new()
                        .name(format!("regula-pass-{w}"))
                        .spawn(move || {
                            IN_WORKER.with(|f| f.set(true));
                            while let Some(job) = spin_recv(&rx) {
                                job();
                            }
                        })
                        .ok()
                        .map(|_| tx)
                })
                .collect()
        })
    }

    /// How long a thread spins for the next message before it sleeps. A sleeping thread here (a
    /// virtual machine's halted vCPU) took up to a few hundred µs to wake — as long as a whole pass at
    /// n = 1000 — so between the passes of a running solver neither side sleeps; an idle pool sleeps
    /// after this long.
    const SPIN: std::time::Duration = std::time::Duration::from_millis(2);

    /// The next message: spin on `try_recv` for up to `SPIN`, then block. `None` once the senders are gone.
    fn spin_recv<T>(rx: &Receiver<T>) -> Option<T> {
        let start = std::time::Instant::now();
        loop {
            for _ in 0..64 {
                match rx.try_recv() {
                    Ok(x) => return Some(x),
                    Err(TryRecvError::Disconnected) => return None,
                    Err(TryRecvError::Empty) => std::hint::spin_loop(),
                }
            }
            if start.elapsed() >= SPIN {
                return rx.recv().ok();
            }
        }
    }

    thread_local! {
        static IN_WORKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Threads a pass may use: the caller plus the pool's workers.
    pub fn threads() -> usize {
        if IN_WORKER.with(|f| f.get()) {
            1
        } else {
            workers().len() + 1
        }
    }

    /// `[f(0), f(1), …, f(parts − 1)]`, part 0 on the calling thread and the others on the workers.
    /// A panic in any part is re-raised here after every part has finished.
    pub fn map_parts<T: Send, F: Fn(usize) -> T + Sync>(parts: usize, f: F) -> Vec<T> {
        // Called from a worker (a pass inside a pass), queueing on the pool could wait on itself.
        if parts <= 1 || IN_WORKER.with(|w| w.get()) {
            return (0..parts).map(&f).collect();
        }
        let pool = workers();
        let (tx, rx) = channel::<(usize, std::thread::Result<T>)>();
        let mut local = Vec::new();
        let f_ref = &f;
        for part in 1..parts {
            let tx = tx.clone();
            let job: Box<dyn FnOnce() + Send + '_> = Box::new(move || {
                let result = catch_unwind(AssertUnwindSafe(|| f_ref(part)));
                let _ = tx.send((part, result));
            });
            // SAFETY: the job borrows `f` (and what `f` borrows). This function does not return before
            // `rx` has yielded every queued job's result or every sender is gone: a job either runs and
            // sends (its last use of the borrow is before the send) or is dropped unrun (dropping it drops
            // only a reference and a sender). So no borrow outlives this call.
            let job: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
            let queued = pool.get(part - 1).is_some_and(|w| w.send(job).is_ok());
            if !queued {
                local.push(part);
            }
        }
        drop(tx);
        let mut out: Vec<Option<std::thread::Result<T>>> = (0..parts).map(|_| None).collect();
        out[0] = Some(catch_unwind(AssertUnwindSafe(|| f(0))));
        for part in local {
            out[part] = Some(catch_unwind(AssertUnwindSafe(|| f(part))));
        }
        while let Some((part, result)) = spin_recv(&rx) {
            out[part] = Some(result);
        }
        // A part missing here was dropped unrun by a worker that died: run it on this thread.
        let results: Vec<std::thread::Result<T>> = out
            .into_iter()
            .enumerate()
            .map(|(part, r)| r.unwrap_or_else(|| catch_unwind(AssertUnwindSafe(|| f(part)))))
            .collect();
        results.into_iter().map(|r| r.unwrap_or_else(|payload| resume_unwind(payload))).collect()
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::{map_parts, threads};

/// Threads a pass may use (1 on wasm).
#[cfg(target_arch = "wasm32")]
pub fn threads() -> usize {
    1
}

/// `[f(0), …, f(parts − 1)]` on the calling thread (wasm has no threads here).
#[cfg(target_arch = "wasm32")]
pub fn map_parts<T, F: Fn(usize) -> T>(parts: usize, f: F) -> Vec<T> {
    (0..parts).map(f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_runs_once_in_order() {
        let data: Vec<u64> = (0..1000).collect();
        for parts in 1..6 {
            let sums = map_parts(parts, |p| data.iter().skip(p).step_by(parts).sum::<u64>());
            assert_eq!(sums.len(), parts);
            assert_eq!(sums.iter().sum::<u64>(), 499_500);
            for (p, s) in sums.iter().enumerate() {
                assert_eq!(*s, data.iter().skip(p).step_by(parts).sum::<u64>());
            }
        }
    }

    #[test]
    fn concurrent_callers_share_the_pool() {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                std::thread::spawn(move || {
                    (0..200).map(|i| map_parts(3, |p| p * i + t).iter().sum::<usize>()).sum::<usize>()
                })
            })
            .collect();
        for (t, h) in handles.into_iter().enumerate() {
            // Σ_i Σ_p (p·i + t) = 3·(0+1+2)·Σi/3 … computed directly:
            let want: usize = (0..200).map(|i| (0..3).map(|p| p * i + t).sum::<usize>()).sum();
            assert_eq!(h.join().unwrap(), want);
        }
    }

    #[test]
    fn a_panicking_part_is_reraised_after_the_others_finish() {
        let r = std::panic::catch_unwind(|| map_parts(3, |p| if p == 1 { panic!("part one") } else { p }));
        assert!(r.is_err());
        // The pool still works afterwards.
        assert_eq!(map_parts(3, |p| p * 10), vec![0, 10, 20]);
    }
}
