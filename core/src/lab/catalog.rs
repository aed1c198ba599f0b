//! Every lab the kit knows, behind one object-safe interface: what the tests run over all labs, and what
//! the JavaScript API and the home page look labs up in. A new lab is listed here once.

use std::marker::PhantomData;

use serde_json::Value;

use super::run::{DynStepper, LocalFuture, Runnable};
use super::{args, link, validate, Def, Lab};
use crate::backend::Backend;
use crate::error::{Error, Result};

/// A lab seen through its serde form (a JSON value), whatever its parameter type.
pub trait AnyLab: Sync {
    fn def(&self) -> &'static Def;
    /// The defaults' serde form.
    fn defaults(&self) -> Value;
    /// Parameters from `(flag, value)` pairs over the defaults (see [`args::parse`]).
    fn parse_args(&self, given: &[(String, Option<String>)]) -> Result<Value>;
    /// Parameters from a (possibly partial) JSON object over the defaults, validated.
    fn parse_json(&self, partial: &Value) -> Result<Value>;
    /// The headless line of a parameter set.
    fn line(&self, params: &Value) -> Result<String>;
    /// The link part of a parameter set.
    fn encode(&self, params: &Value) -> Result<String>;
    /// A link part read over the defaults, with its notices.
    fn decode(&self, query: &str) -> (Value, Vec<String>);
    /// The lab's run of these parameters on `device` (placed by the lab's own rule).
    fn start<'a>(&'a self, params: &Value, device: &'a Backend) -> LocalFuture<'a, Result<Vec<Box<dyn DynStepper>>>>;
}

struct Of<L>(PhantomData<fn() -> L>);

fn typed<L: Lab>(v: &Value) -> Result<L> {
    serde_json::from_value(v.clone()).map_err(|e| Error::Invalid { name: "parameters", message: e.to_string() })
}

fn form<L: Lab>(p: &L) -> Value {
    serde_json::to_value(p).unwrap_or(Value::Null)
}

impl<L: Runnable> AnyLab for Of<L> {
    fn def(&self) -> &'static Def {
        L::DEF
    }
    fn defaults(&self) -> Value {
        form(&L::default())
    }
    fn parse_args(&self, given: &[(String, Option<String>)]) -> Result<Value> {
        args::parse::<L>(given).map(|p| form(&p))
    }
    fn parse_json(&self, partial: &Value) -> Result<Value> {
        let mut merged = self.defaults();
        merge(&mut merged, partial);
        let p: L = typed(&merged)?;
        validate(&p)?;
        Ok(form(&p))
    }
    fn line(&self, params: &Value) -> Result<String> {
        Ok(args::line::<L>(&typed(params)?, &[]))
    }
    fn encode(&self, params: &Value) -> Result<String> {
        Ok(link::encode::<L>(&typed(params)?))
    }
    fn decode(&self, query: &str) -> (Value, Vec<String>) {
        let d = link::decode::<L>(query);
        (form(&d.value), d.notices)
    }
    fn start<'a>(&'a self, params: &Value, device: &'a Backend) -> LocalFuture<'a, Result<Vec<Box<dyn DynStepper>>>> {
        let params: Result<L> = typed(params).and_then(|p: L| validate(&p).map(|()| p));
        Box::pin(async move {
            let p = params?;
            let runs = p.start(device).await?;
            Ok(runs.into_iter().map(|r| Box::new(r) as Box<dyn DynStepper>).collect())
        })
    }
}

/// `partial`'s keys written over `base`, recursively for objects.
fn merge(base: &mut Value, partial: &Value) {
    match (base, partial) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

impl<L: Runnable> Of<L> {
    const ANY: &'static dyn AnyLab = &Of::<L>(PhantomData);
}

/// Every lab, in the order the home page lists them.
pub const ALL: &[&dyn AnyLab] = &[
    Of::<crate::ot::lab::Params>::ANY,
    Of::<crate::ot::sweep::Params>::ANY,
    Of::<crate::train::lab::Params>::ANY,
    Of::<crate::train::sweep::Params>::ANY,
    Of::<crate::sketch::lab::Params>::ANY,
    Of::<crate::sketch::lab::NuclearParams>::ANY,
    Of::<crate::generalization::student_teacher::Params>::ANY,
    Of::<crate::generalization::double_descent::Config>::ANY,
    Of::<crate::generalization::epoch_wise::Config>::ANY,
    Of::<crate::generalization::noisy_labels::Config>::ANY,
    Of::<crate::generalization::pskd::Config>::ANY,
    Of::<crate::generalization::continual::Config>::ANY,
    Of::<crate::generalization::quadratic::Config>::ANY,
    Of::<crate::solvers::sparse::Params>::ANY,
    Of::<crate::kernels::Params>::ANY,
];

/// A page of the lab: its slug in the address, its name in the navigation and the question it answers (its
/// card on the home page). Its labs are those of [`ALL`] whose [`Def::page`] is the slug; the first preset of
/// the first of them is the card's "run the paper's figure".
#[derive(Debug)]
pub struct Page {
    pub slug: &'static str,
    pub title: &'static str,
    pub question: &'static str,
    /// Checks of the machinery rather than of a paper (listed apart, under "Diagnostics").
    pub diagnostic: bool,
}

impl Page {
    /// The page's labs, in [`ALL`]'s order.
    pub fn labs(&self) -> impl Iterator<Item = &'static dyn AnyLab> + '_ {
        ALL.iter().copied().filter(move |l| l.def().page == self.slug)
    }

    /// The headline preset: the first preset of the page's first lab that has one, with its link part.
    pub fn headline(&self) -> Option<(String, &'static super::Preset)> {
        self.labs().find_map(|l| l.def().presets.first().map(|p| (l.def().preset_query(p), p)))
    }
}

/// Every page, in the navigation's order.
pub const PAGES: &[Page] = &[
    Page {
        slug: "ot",
        title: "Optimal transport",
        question: "How fast does entropic optimal transport converge, and what does the plan look like? Sinkhorn, \
                   log-domain Sinkhorn and Sinkhorn–Newton–Sparse side by side, with the plan's sparsity.",
        diagnostic: false,
    },
    Page {
        slug: "sketching",
        title: "Sketching",
        question: "How small can a random sketch of a least-squares problem be and still solve it — in ℓ2 and \
                   entry by entry (ℓ∞)? Gaussian, SRHT, CountSketch and OSNAP, sketch-and-precondition, nuclear norms.",
        diagnostic: false,
    },
    Page {
        slug: "training",
        title: "Training",
        question: "What does gradient descent do to a small network's curvature? Train it live and watch the \
                   sharpness λmax rise to the stability threshold 2/η (the edge of stability).",
        diagnostic: false,
    },
    Page {
        slug: "generalization",
        title: "Generalization",
        question: "When does fitting noise hurt, and what helps? Double descent, early stopping, noisy labels, \
                   self-distillation, EWC's Fisher penalty and a quadratic teacher, with their theory.",
        diagnostic: false,
    },
    Page {
        slug: "solvers",
        title: "Solvers",
        question: "When does the Lasso find a sparse signal, and when does correlation defeat it? Prediction error \
                   vs samples on random and adversarial supports — Lasso, OMP, IHT and a preconditioned Lasso.",
        diagnostic: false,
    },
    Page {
        slug: "kernels",
        title: "Kernel check",
        question: "Do the GPU's reductions (sum, max, log-sum-exp) agree with their f64 CPU twins on this device, \
                   and how fast are they?",
        diagnostic: true,
    },
];

/// The lab named `name` (`ot`, `generalization/pskd`; see [`Def::name`]).
pub fn find(name: &str) -> Option<&'static dyn AnyLab> {
    ALL.iter().copied().find(|l| l.def().name() == name)
}
