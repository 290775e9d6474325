//! `einsum`: numpy's Einstein summation, priced exactly as flopscope 0.12.4 prices it.
//!
//! Parsing follows numpy (explicit `->` and implicit output, `...` broadcasting, repeated
//! labels as diagonals, size-1 broadcasting of a label). Two operands run as a batched GEMM;
//! three or more are contracted pairwise along the path flopscope prices ([`path`]).
//! Pricing, including symmetry and same-object discounts, lives in [`cost`].

mod contraction;
mod cost;
mod exec;
mod group;
mod oracle;
mod path;

use crate::elements::Elements;
use std::cell::RefCell;
use std::collections::HashMap;

use crate::budget::{counted, exact, Op};
use crate::dtype::DType;
use crate::element::Buffer;
use crate::shape::{Shape, MAX_NDIM};
use crate::symmetry::Symmetry;
use crate::tensor::Tensor;

use contraction::Term;
use cost::{price, Priced};
use exec::{contract_pair, gather_sum, Scalar, View};
use group::{young, young_blocks, Perm};

/// Ellipsis dimensions get label ids from here on (letters use 0..52).
const ELLIPSIS_BASE: u8 = 52;

/// Most priced contractions remembered per thread (like flopscope's LRU caches).
const PRICE_CACHE_ENTRIES: usize = 512;

/// A parsed einsum: label ids per operand axis, the output labels, each label's extent.
#[derive(Debug)]
struct Parsed {
    parts: Vec<Vec<u8>>,
    out: Vec<u8>,
    sizes: Vec<u64>,
}

fn label_id(c: char) -> Option<u8> {
    match c {
        'A'..='Z' => Some(c as u8 - b'A'),
        'a'..='z' => Some(c as u8 - b'a' + 26),
        _ => None,
    }
}

fn label_name(l: u8) -> String {
    match l {
        0..=25 => ((b'A' + l) as char).to_string(),
        26..=51 => ((b'a' + l - 26) as char).to_string(),
        _ => "...".to_string(),
    }
}

/// One term's letters and whether (and where) it has an ellipsis.
fn tokenize(term: &str, subscripts: &str) -> (Vec<u8>, Option<usize>) {
    let mut labels = Vec::new();
    let mut ellipsis = None;
    let mut rest = term;
    while let Some(c) = rest.chars().next() {
        if let Some(stripped) = rest.strip_prefix("...") {
            assert!(
                ellipsis.is_none(),
                "einsum: '{subscripts}' has more than one '...' in the term '{term}'"
            );
            ellipsis = Some(labels.len());
            rest = stripped;
            continue;
        }
        let id = label_id(c).unwrap_or_else(|| {
            panic!(
                "einsum: invalid character '{c}' in subscripts '{subscripts}' (use letters \
                 a-z, A-Z, ',', '->' and '...')"
            )
        });
        labels.push(id);
        rest = &rest[c.len_utf8()..];
    }
    (labels, ellipsis)
}

/// Parses `subscripts` against the operand shapes, with numpy's rules and error cases.
fn parse(subscripts: &str, shapes: &[Shape]) -> Parsed {
    let spec: String = subscripts.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match spec.split_once("->") {
        Some((l, r)) => {
            assert!(
                !r.contains("->") && !r.contains(','),
                "einsum: subscripts '{subscripts}' have more than one output (one '->' at most)"
            );
            (l, Some(r))
        }
        None => (spec.as_str(), None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    assert_eq!(
        terms.len(),
        shapes.len(),
        "einsum: subscripts '{subscripts}' name {} operand(s) but {} were given",
        terms.len(),
        shapes.len()
    );
    let mut ell_dims = 0usize;
    let mut tokens = Vec::with_capacity(terms.len());
    for (t, (term, shape)) in terms.iter().zip(shapes).enumerate() {
        let (labels, ell) = tokenize(term, subscripts);
        let extra = shape.ndim() as isize - labels.len() as isize;
        let ok = if ell.is_some() {
            extra >= 0
        } else {
            extra == 0
        };
        assert!(
            ok,
            "einsum: term '{term}' has {} label(s) but operand {t} has shape {shape}",
            labels.len()
        );
        if ell.is_some() {
            ell_dims = ell_dims.max(extra as usize);
        }
        tokens.push((labels, ell));
    }
    let ell_labels: Vec<u8> = (0..ell_dims as u8).map(|i| ELLIPSIS_BASE + i).collect();
    let mut parts = Vec::with_capacity(terms.len());
    for ((labels, ell), shape) in tokens.iter().zip(shapes) {
        let mut p = labels.clone();
        if let Some(at) = ell {
            let extra = shape.ndim() - labels.len();
            let ins = &ell_labels[ell_dims - extra..];
            p.splice(*at..*at, ins.iter().copied());
        }
        parts.push(p);
    }
    let mut sizes = vec![0u64; ELLIPSIS_BASE as usize + ell_dims];
    let mut seen = vec![false; sizes.len()];
    for (t, (p, shape)) in parts.iter().zip(shapes).enumerate() {
        for (ax, &l) in p.iter().enumerate() {
            let d = shape[ax] as u64;
            if let Some(first) = p[..ax].iter().position(|&x| x == l) {
                assert_eq!(
                    shape[first] as u64,
                    d,
                    "einsum: the repeated label '{}' of operand {t} spans axes of different \
                     lengths ({} != {d})",
                    label_name(l),
                    shape[first]
                );
                continue;
            }
            let s = &mut sizes[l as usize];
            if !seen[l as usize] || *s == 1 {
                *s = d;
            } else {
                assert!(
                    d == *s || d == 1,
                    "einsum: label '{}' has length {s} in an earlier operand but {d} in operand \
                     {t} ('{subscripts}', shapes {shapes:?})",
                    label_name(l)
                );
            }
            seen[l as usize] = true;
        }
    }
    let out: Vec<u8> = match rhs {
        Some(r) => {
            let (labels, ell) = tokenize(r, subscripts);
            assert!(
                ell.is_some() || ell_dims == 0,
                "einsum: output '{r}' drops the '...' dimensions; add '...' to the output"
            );
            for (i, &l) in labels.iter().enumerate() {
                assert!(
                    !labels[..i].contains(&l),
                    "einsum: output '{r}' repeats the label '{}'",
                    label_name(l)
                );
                assert!(
                    seen[l as usize],
                    "einsum: output label '{}' does not appear in any input of '{subscripts}'",
                    label_name(l)
                );
            }
            let mut o = labels;
            if let Some(at) = ell {
                o.splice(at..at, ell_labels.iter().copied());
            }
            o
        }
        None => {
            let mut o = ell_labels.clone();
            let all: Vec<u8> = tokens.iter().flat_map(|(l, _)| l.iter().copied()).collect();
            let mut once: Vec<u8> = all
                .iter()
                .copied()
                .filter(|l| all.iter().filter(|&x| x == l).count() == 1)
                .collect();
            once.sort_unstable();
            o.extend(once);
            o
        }
    };
    assert!(
        out.len() <= MAX_NDIM,
        "einsum: the output of '{subscripts}' has {} axes; at most {MAX_NDIM} are supported",
        out.len()
    );
    Parsed { parts, out, sizes }
}

/// The tag of `t` as a group on its axes (`None` when untagged).
fn tag_group(t: &Tensor) -> Option<Vec<Perm>> {
    if !t.sym.is_tagged() {
        return None;
    }
    let n = t.ndim();
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    let mut ids: Vec<u8> = Vec::new();
    for ax in 0..n {
        let b = t.sym.block_of(ax);
        if b == 0 {
            continue;
        }
        match ids.iter().position(|&x| x == b) {
            Some(i) => blocks[i].push(ax),
            None => {
                ids.push(b);
                blocks.push(vec![ax]);
            }
        }
    }
    Some(young(&blocks, n))
}

/// The Young tag a group on output axes amounts to, if it is one (else untagged).
fn tag_of(group: &[Perm], ndim: usize) -> Symmetry {
    let Some(blocks) = young_blocks(group) else {
        return Symmetry::NONE;
    };
    // A shape whose equal extents are exactly the blocks yields exactly that tag.
    let mut fake: Vec<usize> = (0..ndim).map(|ax| 1000 + ax).collect();
    for (b, axes) in blocks.iter().enumerate() {
        for &ax in axes {
            fake[ax] = b + 1;
        }
    }
    Symmetry::from_shape(&Shape::new(&fake))
}

/// Whether every element of a float buffer is finite (ints and bools always are).
fn all_finite(buf: &Buffer) -> bool {
    match buf {
        Buffer::F32(v) => v.iter().all(|x| x.is_finite()),
        Buffer::F64(v) => v.iter().all(|x| x.is_finite()),
        _ => true,
    }
}

/// Attaches the detected output group to a contraction result, as flopscope does: only when
/// the result is all finite and the group is a Young group (a product of symmetric groups).
pub(crate) fn with_output_tag(t: Tensor, group: Option<&[Perm]>) -> Tensor {
    match group {
        Some(g) if all_finite(&t.buf) => {
            let sym = tag_of(g, t.ndim());
            t.with_symmetry(sym)
        }
        _ => t,
    }
}

/// Identity classes of the operands: equal for the same handle (the same buffer `Arc` and
/// shape), flopscope's "same object".
fn identity_classes(operands: &[&Tensor]) -> Vec<usize> {
    let mut classes: Vec<usize> = Vec::with_capacity(operands.len());
    for (i, t) in operands.iter().enumerate() {
        let same = (0..i)
            .find(|&j| Elements::ptr_eq(&operands[j].buf, &t.buf) && operands[j].shape == t.shape);
        classes.push(same.map_or(i, |j| classes[j]));
    }
    classes
}

/// Pricing terms for operands with the given axis labels.
fn terms_for(operands: &[&Tensor], parts: &[Vec<u8>], classes: &[usize]) -> Vec<Term> {
    operands
        .iter()
        .zip(parts)
        .zip(classes)
        .map(|((t, labels), &class)| Term {
            labels: labels.clone(),
            shape: t.shape.iter().map(|&d| d as u64).collect(),
            group: tag_group(t),
            class,
        })
        .collect()
}

/// Everything a price depends on: subscripts, operand shapes and tags, and which operands are
/// the same handle.
#[derive(Clone, PartialEq, Eq, Hash)]
struct PriceKey {
    parts: Vec<Vec<u8>>,
    out: Vec<u8>,
    shapes: Vec<Shape>,
    tags: Vec<Symmetry>,
    classes: Vec<usize>,
}

thread_local! {
    static PRICES: RefCell<HashMap<PriceKey, Priced>> = RefCell::new(HashMap::new());
}

/// [`price`] of `operands` with the given labels (`steps`: the path for 3+ operands),
/// memoized per thread when the symmetry analysis is involved (dense prices are cheaper to
/// recompute than to look up).
fn price_of(
    operands: &[&Tensor],
    parts: &[Vec<u8>],
    out: &[u8],
    sizes: &[u64],
    steps: &[path::Step],
) -> Priced {
    let classes = identity_classes(operands);
    let repeated = classes.iter().enumerate().any(|(i, &c)| c != i);
    if !repeated && operands.iter().all(|t| !t.sym.is_tagged()) {
        return price(&terms_for(operands, parts, &classes), out, sizes, steps);
    }
    let key = PriceKey {
        parts: parts.to_vec(),
        out: out.to_vec(),
        shapes: operands.iter().map(|t| t.shape).collect(),
        tags: operands.iter().map(|t| t.sym).collect(),
        classes: classes.clone(),
    };
    if let Some(p) = PRICES.with(|c| c.borrow().get(&key).cloned()) {
        return p;
    }
    let priced = price(&terms_for(operands, parts, &classes), out, sizes, steps);
    PRICES.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= PRICE_CACHE_ENTRIES {
            c.clear();
        }
        c.insert(key, priced.clone());
    });
    priced
}

/// flopscope's price and output group of a two-operand contraction written with explicit
/// labels (used by `matmul`/`dot` when an operand is tagged or both are the same handle).
pub(crate) fn price_pair(a: &Tensor, la: &[u8], b: &Tensor, lb: &[u8], out: &[u8]) -> Priced {
    let parts = vec![la.to_vec(), lb.to_vec()];
    let mut sizes = vec![1u64; 64];
    for (t, p) in [(a, la), (b, lb)] {
        for (ax, &l) in p.iter().enumerate() {
            sizes[l as usize] = sizes[l as usize].max(t.shape[ax] as u64);
        }
    }
    price_of(&[a, b], &parts, out, &sizes, &[])
}

/// Runs the contraction in `T` on buffers already cast to `T`.
fn run<T: Scalar>(datas: &[&[T]], shapes: &[Shape], p: &Parsed, steps: &[path::Step]) -> Vec<T> {
    let view = |i: usize| View::new(datas[i], &p.parts[i], &shapes[i], &p.sizes);
    match datas.len() {
        1 => gather_sum(&view(0), &p.out),
        2 => contract_pair(&view(0), &view(1), &p.out, &p.sizes),
        _ => {
            // Operands are read in place until contracted; intermediates are owned.
            enum Slot<T> {
                Input(usize),
                Owned(Vec<T>),
            }
            let mut slots: Vec<(Slot<T>, Vec<u8>)> = (0..datas.len())
                .map(|i| (Slot::Input(i), p.parts[i].clone()))
                .collect();
            for step in steps {
                let taken: Vec<(Slot<T>, Vec<u8>)> = step
                    .positions
                    .iter()
                    .map(|&pos| slots.remove(pos))
                    .collect();
                let views: Vec<View<'_, T>> = taken
                    .iter()
                    .map(|(s, labels)| match s {
                        Slot::Input(i) => view(*i),
                        Slot::Owned(v) => {
                            let shape: Vec<usize> = labels
                                .iter()
                                .map(|&l| p.sizes[l as usize] as usize)
                                .collect();
                            View::new(v, labels, &shape, &p.sizes)
                        }
                    })
                    .collect();
                let data = contract_pair(&views[0], &views[1], &step.result, &p.sizes);
                slots.push((Slot::Owned(data), step.result.clone()));
            }
            match slots.pop() {
                Some((Slot::Owned(v), _)) => v,
                _ => unreachable!("a path over 3+ operands ends in an intermediate"),
            }
        }
    }
}

/// Casts every operand to `dt` and runs the contraction (bool runs as int64 and is cast back).
fn compute(operands: &[&Tensor], dt: DType, p: &Parsed, steps: &[path::Step]) -> Buffer {
    let compute_dt = if dt == DType::Bool { DType::I64 } else { dt };
    let bufs: Vec<_> = operands.iter().map(|t| t.buf.cast_if(compute_dt)).collect();
    let shapes: Vec<Shape> = operands.iter().map(|t| t.shape).collect();
    fn slices<'a, T: crate::element::Element>(
        bufs: &'a [std::borrow::Cow<'_, Buffer>],
    ) -> Vec<&'a [T]> {
        bufs.iter().map(|b| T::slice(b).unwrap_or(&[])).collect()
    }
    let buf = match compute_dt {
        DType::F32 => Buffer::F32(run(&slices::<f32>(&bufs), &shapes, p, steps).into()),
        DType::F64 => Buffer::F64(run(&slices::<f64>(&bufs), &shapes, p, steps).into()),
        _ => Buffer::I64(run(&slices::<i64>(&bufs), &shapes, p, steps).into()),
    };
    if dt == DType::Bool {
        buf.cast(DType::Bool)
    } else {
        buf
    }
}

impl Tensor {
    /// Einstein summation over `operands` with numpy `einsum` semantics.
    ///
    /// `subscripts` is numpy's notation: comma-separated terms of letters (`a-z`, `A-Z`), an
    /// optional `->output` (without it, the output is the letters used once, sorted), and
    /// `...` for broadcast leading axes. A label repeated in one term takes the diagonal; a
    /// label of extent 1 in one operand broadcasts against the others. Two operands run as a
    /// batched GEMM; more are contracted pairwise along flopscope's path.
    ///
    /// Shape contract: each term has one label per axis of its operand (plus `...`); every
    /// label has one extent (or 1); the output has at most [`crate::MAX_NDIM`] axes.
    ///
    /// FLOPs (flopscope 0.12.4, `einsum` × rate of the promoted dtype, never clamped to 1):
    /// one or two operands bill `(k − 1)·M + α − O`, where `M` counts the orbits of the index
    /// tuples under the symmetry group detected from operand tags and operands passed twice
    /// (the same handle), `α` the accumulation events and `O` the output orbits; dense this is
    /// `2·∏sizes − ∏out` for two operands (`ij,jk->ik`: `(2K − 1)·M·N`) and
    /// `∏sizes − ∏out` for one (`ij->ji`, `ii->i`: 0). With two operands, a summed label that
    /// appears in only one of them is first billed as that operand's reduction. Three or more
    /// operands bill the sum of the pairwise steps of the path. A result whose detected group
    /// is a product of symmetric groups comes back tagged (if all finite).
    ///
    /// # Panics
    /// On malformed subscripts, a term/operand rank mismatch, mismatched label extents, or
    /// when called with no operands.
    ///
    /// ```
    /// use flopscope::{BudgetContext, Tensor};
    /// let ctx = BudgetContext::new(1_000_000).unwrap();
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [3, 2]); // array: 6
    /// let g = Tensor::einsum("ji,jk->ik", &[&x, &x]); // XᵀX, same handle: (2·3 − 1)·3 = 15
    /// assert_eq!(g.to_vec::<f32>(), vec![35.0, 44.0, 44.0, 56.0]);
    /// assert!(g.is_symmetric());
    /// assert_eq!(ctx.flops_used(), 6 + 15);
    /// ```
    pub fn einsum(subscripts: &str, operands: &[&Tensor]) -> Tensor {
        Tensor::einsum_as(Op::Einsum, subscripts, operands)
    }

    /// [`Tensor::einsum`], recorded under `op` (flopscope prices `dot` of 0-d or N-d operands
    /// as the einsum it amounts to, under the key `dot`).
    pub(crate) fn einsum_as(op: Op, subscripts: &str, operands: &[&Tensor]) -> Tensor {
        assert!(
            !operands.is_empty(),
            "einsum: at least one operand is required"
        );
        let shapes: Vec<Shape> = operands.iter().map(|t| t.shape).collect();
        let p = parse(subscripts, &shapes);
        let dt = operands
            .iter()
            .map(|t| t.dtype())
            .reduce(DType::promote)
            .unwrap_or(DType::F64);
        let steps = if operands.len() > 2 {
            path::plan(&p.parts, &p.out, &p.sizes)
        } else {
            Vec::new()
        };
        let priced = price_of(operands, &p.parts, &p.out, &p.sizes, &steps);
        let price = exact(op, priced.count, dt);
        let out_shape = Shape::new(
            &p.out
                .iter()
                .map(|&l| p.sizes[l as usize] as usize)
                .collect::<Vec<_>>(),
        );
        let result = counted(price, |charged| {
            Tensor::from_buffer(charged, compute(operands, dt, &p, &steps), out_shape)
        });
        with_output_tag(result, priced.output_group.as_deref())
    }
}

/// Free-function form of [`Tensor::einsum`] (numpy's `np.einsum(subscripts, *operands)`).
///
/// Shape contract, FLOPs and panics: as [`Tensor::einsum`].
pub fn einsum(subscripts: &str, operands: &[&Tensor]) -> Tensor {
    Tensor::einsum(subscripts, operands)
}

#[cfg(test)]
mod tests;
