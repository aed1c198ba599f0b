use super::*;
use crate::frame::poll_ready;
use crate::frame::{Budget, Frame, Stepper};
use crate::lab::sweep::Run;
use crate::metrics as key;
use crate::train::Architecture;
use crate::Backend;

fn cpu() -> Backend {
    Backend::Cpu { fallback: None }
}

/// A small, quick sweep: η × L2 on a 60-point xor, 2 seeds a cell.
fn small() -> Params {
    let mut p = Params::default();
    p.train.data.kind = DatasetKind::Xor;
    p.train.data.n = 60;
    p.train.config.hidden = vec![4];
    p.train.config.epochs = 12;
    p.train.config.batch = 8;
    p.sweep = Grid {
        x: Axis::Lr,
        x_values: vec![0.05, 0.3],
        y: Axis::L2,
        y_values: vec![0.0, 1e-3],
        seeds: 2,
        show: Show::TestError,
    };
    p
}

fn finish(s: &mut Sweep) -> Frame {
    for _ in 0..10_000 {
        let f = poll_ready(s.step(Budget::iterations(3))).unwrap();
        if f.done {
            return f;
        }
    }
    panic!("the sweep did not finish");
}

fn solo_final(sweep: &Params, p: &TrainParams) -> Frame {
    let mut t = sweep.trainer(p).unwrap();
    loop {
        let f = poll_ready(t.step(Budget::iterations(7))).unwrap();
        if f.done {
            return f;
        }
    }
}

fn without_time(f: &Frame) -> Vec<(String, f64)> {
    f.metrics.iter().filter(|(k, _)| k.as_str() != key::TRAIN_SECONDS).map(|(k, v)| (k.clone(), *v)).collect()
}

#[test]
fn every_net_of_a_sweep_equals_its_solo_run_bit_for_bit() {
    let params = small();
    let mut s = Sweep::new(params.clone(), Shard::WHOLE, &cpu()).unwrap();
    assert_eq!(s.nets().len(), 8);
    let f = finish(&mut s);
    assert_eq!(f.metric(key::SWEEP_DONE), Some(8.0));
    for net in s.nets() {
        let p = params.net_params(net.index);
        let solo = solo_final(&params, &p);
        let mine = net.frame.as_ref().expect("a finished net has its frame");
        assert_eq!(without_time(mine), without_time(&solo), "net {}: {p:?}", net.index);
        assert_eq!(mine.iteration, solo.iteration);
    }
    // The nets differ where their parameters do: seeds, rates.
    let p3 = params.net_params(3);
    assert_eq!((p3.config.lr, p3.config.reg, p3.config.reg_rate, p3.config.seed), (0.3, Regularization::L2, 0.0, 1));
    let p6 = params.net_params(6);
    assert_eq!((p6.config.lr, p6.config.reg_rate, p6.config.seed), (0.3, 1e-3, 0));
    let cells = s.cells();
    assert_eq!(cells.len(), 4);
    for c in &cells {
        assert_eq!((c.members, c.done), (2, 2));
        let v = c.value.expect("every cell has a test error");
        assert!((0.0..=1.0).contains(&v), "{c:?}");
    }
}

#[test]
fn the_hessian_is_measured_when_the_diagram_shows_it() {
    let mut p = small();
    p.sweep.x_values = vec![0.1];
    p.sweep.y_values = vec![0.0];
    p.sweep.seeds = 1;
    let sharp = |p: &Params| {
        let mut s = Sweep::new(p.clone(), Shard::WHOLE, &cpu()).unwrap();
        finish(&mut s);
        s.nets()[0].metric(key::SHARPNESS)
    };
    assert_eq!(sharp(&p), None, "test error needs no Hessian");
    p.sweep.show = Show::Sharpness;
    let l = sharp(&p).expect("sharpness shown, so measured");
    // The solo run's final measurement of the same net.
    let solo = solo_final(&p, &p.net_params(0));
    assert_eq!(Some(l), solo.metric(key::SHARPNESS));
    assert!(l > 0.0);
}

#[test]
fn shards_split_the_grid_and_run_the_same_nets() {
    let params = small();
    let mut whole = Sweep::new(params.clone(), Shard::WHOLE, &cpu()).unwrap();
    finish(&mut whole);
    let mut seen = Vec::new();
    for i in 0..3 {
        let shard = Shard::parse(&format!("{i}/3")).unwrap();
        let mut s = Sweep::new(params.clone(), shard, &cpu()).unwrap();
        finish(&mut s);
        for net in s.nets() {
            let w = &whole.nets()[net.index];
            assert_eq!(net.frame.as_ref().map(without_time), w.frame.as_ref().map(without_time));
            seen.push(net.index);
        }
    }
    assert_eq!(seen, (0..8).collect::<Vec<_>>());
    assert!(Shard::parse("3/3").is_err() && Shard::parse("1/0").is_err() && Shard::parse("x").is_err());
}

#[test]
fn grid_specs_parse_to_their_values() {
    let (a, v) = parse_grid("lr=1e-3:1:log:4").unwrap();
    assert_eq!(a, Axis::Lr);
    let want = [1e-3, 1e-2, 1e-1, 1.0];
    assert_eq!(v, want, "log-spaced values are rounded to 3 significant digits");
    assert_eq!(parse_grid("lr=0.01:3:log:6").unwrap().1, vec![0.01, 0.0313, 0.0979, 0.306, 0.959, 3.0]);
    assert_eq!(parse_grid("l2=0,1e-4,1e-3").unwrap(), (Axis::L2, vec![0.0, 1e-4, 1e-3]));
    assert_eq!(parse_grid("width=2:10:lin:5").unwrap(), (Axis::Width, vec![2.0, 4.0, 6.0, 8.0, 10.0]));
    // Whole-number axes round, and repeated values go.
    assert_eq!(parse_grid("batch=1:3:5").unwrap(), (Axis::Batch, vec![1.0, 2.0, 3.0]));
    assert_eq!(parse_grid("label-noise=0.1").unwrap(), (Axis::LabelNoise, vec![0.1]));
    for bad in
        ["lr", "lr=0:1:log:3", "lr=-1", "eta=0.1", "width=0.5", "batch=1:2:cubic:3", "none=1", "lr=1:2:0", "init=3"]
    {
        let e = parse_grid(bad).expect_err(bad).to_string();
        assert!(e.contains("grid") || e.contains("axis"), "{bad}: {e}");
    }
}

#[test]
fn bad_cells_are_marked_and_the_others_run() {
    let mut p = small();
    // Batch 500 is more than the 30 training rows: that cell cannot run. η = 1e3 diverges.
    p.sweep = Grid {
        x: Axis::Batch,
        x_values: vec![8.0, 500.0],
        y: Axis::Lr,
        y_values: vec![0.1, 1e3],
        seeds: 1,
        show: Show::TrainLoss,
    };
    let mut s = Sweep::new(p, Shard::WHOLE, &cpu()).unwrap();
    let f = finish(&mut s);
    assert_eq!(f.metric(key::SWEEP_FAILED), Some(2.0));
    assert!(f.metric(key::SWEEP_DIVERGED).unwrap() >= 1.0, "{f:?}");
    assert!(!f.converged);
    let cells = s.cells();
    let at = |ix: usize, iy: usize| cells.iter().find(|c| (c.ix, c.iy) == (ix, iy)).unwrap();
    assert!(at(1, 0).error.as_deref().is_some_and(|e| e.contains("batch")), "{:?}", at(1, 0));
    assert!(at(0, 0).value.is_some_and(f64::is_finite) && at(0, 0).error.is_none());
    assert_eq!((at(0, 1).diverged, at(0, 1).value), (1, None), "a diverged cell shows no value");
    for c in &cells {
        assert!(c.value.is_none_or(f64::is_finite));
    }
}

#[test]
fn bad_grids_are_refused_with_their_reason() {
    let refuse = |p: &Params, word: &str| {
        let e = Sweep::new(p.clone(), Shard::WHOLE, &cpu()).expect_err(word).to_string();
        assert!(e.contains(word), "{word}: {e}");
    };
    let mut p = small();
    p.sweep.x = Axis::None;
    refuse(&p, "x axis");
    let mut p = small();
    p.sweep.y = Axis::Lr;
    refuse(&p, "both axes");
    let mut p = small();
    p.sweep.y = Axis::Seed;
    refuse(&p, "1 seed");
    let mut p = small();
    p.sweep.x_values = vec![0.1, 0.0];
    refuse(&p, "must be > 0");
    // Over the memory budget: digits nets, 64 seeds over 8 × 8 cells; the message says how many fit.
    let mut p = small();
    p.train.data.kind = DatasetKind::Digits;
    p.train.config.loss = Loss::Xent;
    p.sweep.x_values = (1..=8).map(|k| k as f64 * 0.01).collect();
    p.sweep.y_values = (0..8).map(|k| k as f64 * 1e-4).collect();
    p.sweep.seeds = 64;
    refuse(&p, "at most");
    let mut p = small();
    p.train.backend = BackendChoice::Gpu;
    refuse(&p, "there is none");
}

#[test]
fn the_initializations_draw_as_documented() {
    let arch = Architecture::new(4, vec![16], 1, Activation::Tanh).unwrap();
    let layers = arch.layers();
    let (w, b, i, o) = layers[0];
    let lecun = arch.init(5);
    assert_eq!(lecun, arch.init_with(Init::Lecun, 5), "the default is LeCun normal");
    assert!(lecun[b..b + o].iter().all(|&v| v == 0.0));
    let torch = arch.init_with(Init::Pytorch, 5);
    let bound = 1.0 / (i as f64).sqrt();
    assert!(torch[w..b + o].iter().all(|v| v.abs() <= bound));
    assert!(torch[b..b + o].iter().any(|&v| v != 0.0), "PyTorch draws the biases too");
    let spread = torch[w..b].iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    assert!(spread > 0.8 * bound, "uniform over the whole interval: {spread} vs {bound}");
    let pg = arch.init_with(Init::Playground, 5);
    assert!(pg[w..b].iter().all(|v| v.abs() <= 0.5) && pg[b..b + o].iter().all(|&v| v == 0.1));
    // Old links have no init: they decode to LeCun, and the field round-trips through a link.
    let old = crate::lab::link::decode::<TrainParams>("config.hidden=3");
    assert!(old.notices.is_empty());
    assert_eq!(old.value.config.init, Init::Lecun);
    let mut p = TrainParams::default();
    p.config.init = Init::Playground;
    let back = crate::lab::link::decode::<TrainParams>(&crate::lab::link::encode(&p)).value;
    assert_eq!(back, p);
}

#[test]
fn a_sweep_link_reads_like_a_training_link_and_round_trips() {
    let p = small();
    let link = crate::lab::link::encode(&p);
    assert!(link.contains("config.lr=") || link.contains("sweep.x_values="), "{link}");
    assert!(link.contains("tab=sweep") && link.contains("train.data.kind=xor"), "{link}");
    let d = crate::lab::link::decode::<Params>(&link);
    assert!(d.notices.is_empty(), "{:?}", d.notices);
    assert_eq!(d.value, p);
    for preset in Params::DEF.presets {
        let d = crate::lab::link::decode::<Params>(preset.query);
        assert!(d.notices.is_empty(), "{}: {:?}", preset.name, d.notices);
        crate::lab::validate(&d.value).unwrap_or_else(|e| panic!("{}: {e}", preset.name));
    }
}
