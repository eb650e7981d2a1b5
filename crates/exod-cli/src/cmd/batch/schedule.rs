//! Units on `jobs` worker threads with bounded memory: a unit starts only while the sum of the
//! estimated peaks of the running units stays under the budget (one unit always runs, even if
//! its estimate alone exceeds the budget). Units are taken largest first (shortest total time),
//! the reports come back on the calling thread in the order units finish.

use std::collections::VecDeque;
use std::sync::{mpsc, Condvar, Mutex};

use super::plan::Unit;
use super::worker::{run_unit, Ctx, Report};

struct Queue {
    waiting: VecDeque<usize>,
    in_use_mb: f64,
    running: usize,
}

/// The next unit that fits the budget (or the first one when nothing runs).
fn admit(q: &mut Queue, units: &[Unit], budget_mb: f64) -> Option<usize> {
    let pos = if q.running == 0 {
        (!q.waiting.is_empty()).then_some(0)
    } else {
        q.waiting
            .iter()
            .position(|&i| q.in_use_mb + units[i].est_mb <= budget_mb)
    }?;
    let i = q.waiting.remove(pos)?;
    q.in_use_mb += units[i].est_mb;
    q.running += 1;
    Some(i)
}

fn worker(
    units: &[Unit],
    ctx: &Ctx,
    budget_mb: f64,
    state: &(Mutex<Queue>, Condvar),
    pool: Option<&rayon::ThreadPool>,
    tx: mpsc::Sender<Report>,
) {
    let (lock, cv) = state;
    loop {
        let i = {
            let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if q.waiting.is_empty() {
                    return;
                }
                if let Some(i) = admit(&mut q, units, budget_mb) {
                    break i;
                }
                q = cv.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        };
        let u = &units[i];
        if u.est_mb > budget_mb {
            tracing::warn!("{}: estimated {:.0} MB, more than the memory budget ({budget_mb:.0} MB): run alone", u.label, u.est_mb);
        }
        let r = match pool {
            Some(p) => p.install(|| run_unit(u, ctx)),
            None => run_unit(u, ctx),
        };
        {
            let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
            q.in_use_mb -= u.est_mb;
            q.running -= 1;
        }
        cv.notify_all();
        if tx.send(r).is_err() {
            return;
        }
    }
}

/// How the searches of concurrent units share the cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pools {
    /// Every unit's search on rayon's global pool (one thread per core).
    Global,
    /// Each worker its own pool of cores / jobs threads.
    PerWorker,
}

/// Run `units` on `jobs` workers; `done` receives each report on this thread.
pub fn run(
    units: &[Unit],
    ctx: &Ctx,
    jobs: usize,
    budget_mb: f64,
    pools: Pools,
    mut done: impl FnMut(Report),
) {
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by(|&a, &b| units[b].est_mb.total_cmp(&units[a].est_mb).then(a.cmp(&b)));
    let state = (
        Mutex::new(Queue {
            waiting: order.into(),
            in_use_mb: 0.0,
            running: 0,
        }),
        Condvar::new(),
    );
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let jobs = jobs.clamp(1, units.len().max(1));
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let state = &state;
            s.spawn(move || {
                let pool = (pools == Pools::PerWorker).then(|| {
                    rayon::ThreadPoolBuilder::new()
                        .num_threads((cores / jobs).max(1))
                        .build()
                        .ok()
                });
                worker(units, ctx, budget_mb, state, pool.flatten().as_ref(), tx)
            });
        }
        drop(tx);
        for r in rx {
            done(r);
        }
    });
}
