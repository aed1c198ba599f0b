use super::*;
use crate::error::Error;
use crate::frame::{poll_ready, Budget, Frame, Stepper, StopReason};
use crate::lab::sweep::Run;
use crate::ot::OtSolver;
use crate::Backend;

fn cpu() -> Backend {
    Backend::Cpu { fallback: None }
}

/// ε × n on small Gaussian clouds, 2 seeds a cell.
fn small() -> Params {
    Params {
        solver: Solver { eps: 0.05, tol: 1e-6, max_iter: 5000 },
        backend: BackendChoice::Cpu,
        sweep: Grid {
            x: Axis::Eps,
            x_values: vec![0.02, 0.1, 0.5],
            y: Axis::N,
            y_values: vec![5.0, 12.0],
            seeds: 2,
            show: Show::Iterations,
        },
        ..Params::default()
    }
}

fn finish(s: &mut OtSweep, budget: Budget) -> Frame {
    for _ in 0..100_000 {
        let f = poll_ready(s.step(budget)).unwrap();
        if f.done {
            return f;
        }
    }
    panic!("the sweep did not finish");
}

#[test]
fn every_problem_is_its_single_run_bit_for_bit() {
    let params = small();
    let mut s = poll_ready(OtSweep::new(params.clone(), Shard::WHOLE, &cpu())).unwrap();
    assert_eq!(s.placement(), "CPU, f64");
    let last = finish(&mut s, Budget::iterations(1));
    assert_eq!(last.metric(crate::metrics::SWEEP_DONE), Some(12.0));
    assert_eq!(last.metric(crate::metrics::SWEEP_FAILED), Some(0.0));
    for p in s.problems() {
        let own = params.problem_params(p.index);
        assert_eq!(own.solver.method, Method::LogSinkhorn);
        let mut solo = OtSolver::new(&own.problem.build().unwrap(), own.solver.clone()).unwrap();
        let f = poll_ready(solo.step(Budget::iterations(u64::MAX))).unwrap();
        let got = p.frame.as_ref().unwrap();
        assert_eq!((got.iteration, got.stop), (f.iteration, f.stop), "problem {}", p.index);
        assert_eq!(got.stop, Some(StopReason::Tolerance), "problem {}", p.index);
        let bits = |f: &Frame| f.metrics.iter().map(|(k, v)| (k.clone(), v.to_bits())).collect::<Vec<_>>();
        assert_eq!(bits(got), bits(&f), "problem {}", p.index);
    }
    // The same problems in a time-budgeted run (the page's) end with the same numbers.
    let mut timed = poll_ready(OtSweep::new(params.clone(), Shard::WHOLE, &cpu())).unwrap();
    finish(&mut timed, Budget { max_iterations: u64::MAX, max_millis: 2.0 });
    for (a, b) in timed.problems().iter().zip(s.problems()) {
        assert_eq!(
            a.frame,
            b.frame.as_ref().map(|f| Frame { elapsed_ms: a.frame.as_ref().unwrap().elapsed_ms, ..f.clone() })
        );
    }
    // Cells: each the mean iteration count of its two seeds; fewer iterations at larger ε.
    let cells = s.cells();
    assert_eq!(cells.len(), 6);
    for c in &cells {
        assert_eq!((c.members, c.done, c.diverged, c.error.as_deref()), (2, 2, 0, None), "{c:?}");
        let its: Vec<f64> = s
            .problems()
            .iter()
            .filter(|p| (p.ix, p.iy) == (c.ix, c.iy))
            .map(|p| p.frame.as_ref().unwrap().iteration as f64)
            .collect();
        assert_eq!(c.value, Some(its.iter().sum::<f64>() / 2.0));
    }
    for iy in 0..2 {
        let row: Vec<f64> = cells.iter().filter(|c| c.iy == iy).map(|c| c.value.unwrap()).collect();
        assert!(row[0] > row[1] && row[1] > row[2], "iterations should fall as ε grows: {row:?}");
    }
    // A record names its place and opens its problem on the OT page.
    let r = s.record(3);
    assert_eq!((r["problem"].as_u64(), r["x"].as_str(), r["y"].as_str()), (Some(3), Some("eps"), Some("n")));
    assert_eq!(r["iterations"].as_u64(), s.problems()[3].iterations());
    let (page, link) = params.member_link(3);
    assert_eq!(page, "ot");
    assert!(link.contains("method=log-sinkhorn") && link.contains("problem.n=5"), "{link}");
}

#[test]
fn a_problem_large_enough_for_the_pool_runs_alone_and_is_still_its_single_run() {
    // n·m = 260² is past the pool's split: such a problem runs with the whole pool, as its single run does;
    // the n = 12 problems run side by side, one per thread.
    let mut params = small();
    params.solver.tol = 1e-5;
    params.sweep.x_values = vec![0.1];
    params.sweep.y_values = vec![12.0, 260.0];
    let mut s = poll_ready(OtSweep::new(params.clone(), Shard::WHOLE, &cpu())).unwrap();
    finish(&mut s, Budget::iterations(1));
    for p in s.problems() {
        let own = params.problem_params(p.index);
        let mut solo = OtSolver::new(&own.problem.build().unwrap(), own.solver.clone()).unwrap();
        let f = solo.run(Budget::iterations(u64::MAX)).unwrap();
        let got = p.frame.as_ref().unwrap();
        let bits =
            |f: &Frame| (f.iteration, f.metrics.iter().map(|(k, v)| (k.clone(), v.to_bits())).collect::<Vec<_>>());
        assert_eq!(bits(got), bits(&f), "problem {} (n = {})", p.index, own.problem.n);
    }
}

#[test]
fn shards_cover_the_grid_with_the_same_numbers() {
    let params = small();
    let mut whole = poll_ready(OtSweep::new(params.clone(), Shard::WHOLE, &cpu())).unwrap();
    finish(&mut whole, Budget::iterations(1));
    let mut seen = Vec::new();
    for i in 0..5 {
        let shard = Shard::parse(&format!("{i}/5")).unwrap();
        let mut s = poll_ready(OtSweep::new(params.clone(), shard, &cpu())).unwrap();
        finish(&mut s, Budget::iterations(3));
        for p in s.problems() {
            let w = &whole.problems()[p.index];
            assert_eq!(
                p.frame.as_ref().map(|f| (f.iteration, f.metrics.clone())),
                w.frame.as_ref().map(|f| (f.iteration, f.metrics.clone()))
            );
            seen.push(p.index);
        }
    }
    assert_eq!(seen, (0..12).collect::<Vec<_>>());
}

#[test]
fn a_problem_that_cannot_run_is_marked_and_the_others_run() {
    // Random assignment at n = 5 and at n = 1: both run; a max_iter of 3 stops every problem early.
    let mut p = small();
    p.problem.kind = ProblemKind::Random;
    p.solver.max_iter = 3;
    let mut s = poll_ready(OtSweep::new(p, Shard::WHOLE, &cpu())).unwrap();
    finish(&mut s, Budget::iterations(1));
    for q in s.problems() {
        let f = q.frame.as_ref().unwrap();
        assert_eq!((f.iteration, f.stop), (3, Some(StopReason::MaxIterations)));
    }
    // Asking for the GPU without one is an error, not a CPU run.
    let e =
        poll_ready(OtSweep::new(Params { backend: BackendChoice::Gpu, ..small() }, Shard::WHOLE, &cpu())).unwrap_err();
    assert!(e.to_string().contains("GPU was asked for"), "{e}");
}

#[test]
fn bad_grids_are_messages() {
    let with = |f: &dyn Fn(&mut Params)| {
        let mut p = small();
        f(&mut p);
        crate::lab::validate(&p).map_err(|e| e.to_string())
    };
    assert!(with(&|_| ()).is_ok());
    for (change, word) in [
        (&(|p: &mut Params| p.sweep.x_values.clear()) as &dyn Fn(&mut Params), "empty"),
        (&|p: &mut Params| p.sweep.x_values = vec![0.0], "ε"),
        (&|p: &mut Params| p.sweep.y_values = vec![0.0], "n is a whole number"),
        (&|p: &mut Params| p.sweep.y_values = vec![5000.0], "n is a whole number"),
        (&|p: &mut Params| p.sweep.y_values = vec![2.5], "n is a whole number"),
        (&|p: &mut Params| p.sweep.x = Axis::None, "must vary"),
        (&|p: &mut Params| p.sweep.y = Axis::Eps, "both axes"),
        (&|p: &mut Params| (p.sweep.y, p.sweep.y_values) = (Axis::Seed, vec![0.0, 1.0]), "1 seed per cell"),
        (&|p: &mut Params| (p.sweep.x, p.sweep.x_values) = (Axis::Tol, vec![2.0]), "tolerance"),
        (&|p: &mut Params| (p.sweep.seeds, p.sweep.x_values) = (64, vec![0.1; 40]), "at most 4096"),
        (&|p: &mut Params| p.solver.eps = -1.0, "eps"),
    ] {
        let e = with(change).expect_err(word);
        assert!(e.contains(word), "{word}: {e}");
    }
    // The device budget: 48 dense random costs of 4096² f32 are 3.2 GB.
    let e = with(&|p: &mut Params| {
        p.problem.kind = ProblemKind::Random;
        p.sweep.y_values = vec![4096.0];
        p.sweep.seeds = 16;
    })
    .unwrap_err();
    assert!(e.contains("at most 1 problems fit"), "{e}");
    assert!(matches!(parse_grid("eps=1e-3:1:log:4"), Ok((Axis::Eps, v)) if v == vec![0.001, 0.01, 0.1, 1.0]));
    assert!(matches!(parse_grid("n=16:64:4"), Ok((Axis::N, v)) if v == vec![16.0, 32.0, 48.0, 64.0]));
    assert!(matches!(parse_grid("lr=0.1"), Err(Error::UnknownChoice { .. })));
    assert!(parse_grid("n=0,16").is_err());
}

#[test]
fn the_presets_grids_are_valid_and_the_default_runs_quickly_on_the_cpu() {
    for preset in Params::DEF.presets {
        let d = crate::lab::link::decode::<Params>(preset.query);
        assert!(d.notices.is_empty(), "{}: {:?}", preset.name, d.notices);
        let p = d.value;
        crate::lab::validate(&p).unwrap();
        assert!(p.len() <= 80, "{}: {} problems", preset.name, p.len());
    }
}
