//! Contractions: `matmul` (1-d, 2-d, batched with broadcast batch axes), `dot`, `outer`.
//!
//! Cost (flopscope's pair rule): `(2K − 1)·M·N` per matrix product, × batch; never clamped
//! (an empty product bills 0). When an operand carries a symmetry tag or both operands are the
//! same handle, the product is priced by flopscope's contraction model instead
//! ([`super::einsum::price_pair`]): e.g. `S @ S` with `S` tagged bills `(2n − 1)·n(n+1)/2` and
//! comes back tagged. `outer(x, x)` of the *same* tensor bills only the `n(n+1)/2` unique
//! products and returns a symmetric tensor.

use std::borrow::Cow;

use crate::budget::{counted, exact, Op};
use crate::buffer::{output_vec, zeroed_vec};
use crate::dtype::DType;
use crate::element::Buffer;
use crate::elements::Elements;
use crate::kernels::{gemm_i64, gemm_into, gemm_to_vec, GemmFloat, MatRef};
use crate::shape::Shape;
use crate::symmetry::Symmetry;
use crate::tensor::Tensor;

/// The pair-rule cost of a batch of `(M×K)·(K×N)` products.
pub(crate) fn pair_cost(batch: usize, m: usize, k: usize, n: usize) -> u64 {
    let k2 = (2 * k as u64).saturating_sub(1);
    k2.saturating_mul(m as u64)
        .saturating_mul(n as u64)
        .saturating_mul(batch as u64)
}

/// Shape bookkeeping of one `matmul` call after numpy's 1-d promotion rules.
struct MatmulPlan {
    batch_shape: Shape,
    m: usize,
    k: usize,
    n: usize,
    out_shape: Shape,
}

fn plan(op: Op, a: &Shape, b: &Shape) -> MatmulPlan {
    assert!(
        a.ndim() >= 1 && b.ndim() >= 1,
        "{}: operands must have at least one axis, got shapes {a} and {b}",
        op.name()
    );
    let (m, ka) = if a.ndim() == 1 {
        (1, a[0])
    } else {
        (a[a.ndim() - 2], a[a.ndim() - 1])
    };
    let (kb, n) = if b.ndim() == 1 {
        (b[0], 1)
    } else {
        (b[b.ndim() - 2], b[b.ndim() - 1])
    };
    assert_eq!(
        ka,
        kb,
        "{}: shapes {a} and {b} are not aligned: {ka} (dim {}) != {kb} (dim {})",
        op.name(),
        a.ndim() - 1,
        if b.ndim() == 1 { 0 } else { b.ndim() - 2 }
    );
    if a.ndim() <= 2 && b.ndim() <= 2 {
        // No batch axes: the common case, built without the general path's copies.
        let out_shape = match (a.ndim(), b.ndim()) {
            (1, 1) => Shape::SCALAR,
            (1, _) => Shape::new(&[n]),
            (_, 1) => Shape::new(&[m]),
            _ => Shape::new(&[m, n]),
        };
        return MatmulPlan {
            batch_shape: Shape::SCALAR,
            m,
            k: ka,
            n,
            out_shape,
        };
    }
    let ba = Shape::new(&a[..a.ndim().saturating_sub(2)]);
    let bb = Shape::new(&b[..b.ndim().saturating_sub(2)]);
    let batch_shape = Shape::broadcast(&ba, &bb).unwrap_or_else(|| {
        panic!(
            "{}: batch axes of shapes {a} and {b} do not broadcast",
            op.name()
        )
    });
    let mut out = [0usize; crate::MAX_NDIM];
    let mut len = batch_shape.ndim();
    out[..len].copy_from_slice(&batch_shape);
    for (keep, d) in [(a.ndim() > 1, m), (b.ndim() > 1, n)] {
        if keep {
            out[len] = d;
            len += 1;
        }
    }
    MatmulPlan {
        batch_shape,
        m,
        k: ka,
        n,
        out_shape: Shape::new(&out[..len]),
    }
}

/// Offsets of each batch's matrix in an operand with batch shape `own` broadcast to `target`.
fn batch_offsets(own: &Shape, target: &Shape, mat_len: usize) -> Vec<usize> {
    let st = own.broadcast_strides(target);
    let total = target.numel();
    let mut idx = vec![0usize; target.ndim()];
    let mut out = Vec::with_capacity(total);
    for _ in 0..total {
        let off: usize = idx.iter().enumerate().map(|(ax, &i)| i * st[ax]).sum();
        out.push(off * mat_len);
        for ax in (0..target.ndim()).rev() {
            idx[ax] += 1;
            if idx[ax] < target[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
    out
}

/// One operand's elements in the compute dtype, and whether they are its transpose's
/// row-major elements (a deferred `.t()` of a matrix, read in place by a single product).
struct Elems<'a> {
    buf: Cow<'a, Buffer>,
    transposed: bool,
}

impl<'a> Elems<'a> {
    fn of(t: &'a Tensor, compute: DType, single: bool) -> Elems<'a> {
        if let Some((source, _, _)) = t.buf.pending_transpose() {
            if single && t.ndim() == 2 && source.dtype() == compute {
                return Elems {
                    buf: Cow::Borrowed(source),
                    transposed: true,
                };
            }
        }
        Elems {
            buf: t.buf.cast_if(compute),
            transposed: false,
        }
    }
}

/// A `rows × cols` operand view: row-major, or the transpose of row-major `cols × rows` data.
fn view<T>(data: &[T], rows: usize, cols: usize, transposed: bool) -> MatRef<'_, T> {
    if transposed {
        MatRef::row_major(data, cols, rows).t()
    } else {
        MatRef::row_major(data, rows, cols)
    }
}

/// `(ta, tb)`: whether each operand's data is its transpose (see [`Elems`]).
type Layouts = (bool, bool);

fn run_float<T: GemmFloat>(
    a: &[T],
    sa: &Shape,
    b: &[T],
    sb: &Shape,
    p: &MatmulPlan,
    (ta, tb): Layouts,
) -> Vec<T> {
    let (m, k, n) = (p.m, p.k, p.n);
    if p.batch_shape.numel() == 1 {
        return gemm_to_vec(view(a, m, k, ta), view(b, k, n, tb));
    }
    let mut out = zeroed_vec(p.batch_shape.numel() * m * n);
    let bsa = Shape::new(&sa[..sa.ndim().saturating_sub(2)]);
    let bsb = Shape::new(&sb[..sb.ndim().saturating_sub(2)]);
    let oa = batch_offsets(&bsa, &p.batch_shape, m * k);
    let ob = batch_offsets(&bsb, &p.batch_shape, k * n);
    for (bi, chunk) in out.chunks_mut((m * n).max(1)).enumerate() {
        gemm_into(
            MatRef::row_major(&a[oa[bi]..oa[bi] + m * k], m, k),
            MatRef::row_major(&b[ob[bi]..ob[bi] + k * n], k, n),
            chunk,
        );
    }
    out
}

fn run_i64(
    a: &[i64],
    sa: &Shape,
    b: &[i64],
    sb: &Shape,
    p: &MatmulPlan,
    (ta, tb): Layouts,
) -> Vec<i64> {
    let (m, k, n) = (p.m, p.k, p.n);
    let mut out = zeroed_vec(p.batch_shape.numel() * m * n);
    let bsa = Shape::new(&sa[..sa.ndim().saturating_sub(2)]);
    let bsb = Shape::new(&sb[..sb.ndim().saturating_sub(2)]);
    let oa = batch_offsets(&bsa, &p.batch_shape, m * k);
    let ob = batch_offsets(&bsb, &p.batch_shape, k * n);
    for (bi, chunk) in out.chunks_mut((m * n).max(1)).enumerate() {
        gemm_i64(
            view(&a[oa[bi]..oa[bi] + m * k], m, k, ta),
            view(&b[ob[bi]..ob[bi] + k * n], k, n, tb),
            chunk,
        );
    }
    out
}

/// Whether two tensors are the same handle (flopscope's "same object": clones share it).
pub(crate) fn same_handle(a: &Tensor, b: &Tensor) -> bool {
    Elements::ptr_eq(&a.buf, &b.buf) && a.shape == b.shape
}

/// Einsum labels of a `matmul`/`dot` call (flopscope prices `i,i->`, `k,...kn->...n`,
/// `...mk,k->...m` and `...ij,...jk->...ik`): `(a, b, out)`.
fn product_labels(a: &Shape, b: &Shape, p: &MatmulPlan) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    const M: u8 = 40;
    const K: u8 = 41;
    const N: u8 = 42;
    let nb = p.batch_shape.ndim();
    let batch: Vec<u8> = (0..nb as u8).collect();
    let tail = |nd: usize| batch[nb - nd.saturating_sub(2)..].to_vec();
    match (a.ndim(), b.ndim()) {
        (1, 1) => (vec![K], vec![K], vec![]),
        (1, nbd) => {
            let bb = tail(nbd);
            (
                [K].to_vec(),
                [&bb[..], &[K, N]].concat(),
                [&bb[..], &[N]].concat(),
            )
        }
        (nad, 1) => {
            let ba = tail(nad);
            (
                [&ba[..], &[M, K]].concat(),
                [K].to_vec(),
                [&ba[..], &[M]].concat(),
            )
        }
        (nad, nbd) => (
            [&tail(nad)[..], &[M, K]].concat(),
            [&tail(nbd)[..], &[K, N]].concat(),
            [&batch[..], &[M, N]].concat(),
        ),
    }
}

/// The einsum of numpy `dot` for operands of `na` and `nb` axes when one is 0-d or either has
/// more than 2: the last axis of `a` meets the second-to-last of `b` (its only one if `b` is
/// 1-d), the output keeps `a`'s other axes, then `b`'s.
fn dot_subscripts(na: usize, nb: usize) -> String {
    let letters = |from: usize, n: usize| ('a'..).skip(from).take(n).collect::<Vec<char>>();
    let a = letters(0, na);
    let mut b = letters(na, nb);
    let mut out: Vec<char> = a.iter().chain(&b).copied().collect();
    if let (Some(&k), false) = (a.last(), b.is_empty()) {
        let at = nb.saturating_sub(2);
        out.retain(|&c| c != k && c != b[at]);
        b[at] = k;
    }
    let word = |cs: &[char]| cs.iter().collect::<String>();
    format!("{},{}->{}", word(&a), word(&b), word(&out))
}

/// Promotes both operands to their common dtype and runs the (batched) product.
fn product(op: Op, a: &Tensor, b: &Tensor) -> Tensor {
    let p = plan(op, &a.shape, &b.shape);
    let dt = DType::promote(a.dtype(), b.dtype());
    // The symmetry analysis runs only when it can change the price.
    let (count, group) = if a.sym.is_tagged() || b.sym.is_tagged() || same_handle(a, b) {
        let (la, lb, lo) = product_labels(&a.shape, &b.shape, &p);
        let priced = super::einsum::price_pair(a, &la, b, &lb, &lo);
        (priced.count, priced.output_group)
    } else {
        (pair_cost(p.batch_shape.numel(), p.m, p.k, p.n), None)
    };
    let out = counted(exact(op, count, dt), |charged| {
        let compute = if dt == DType::Bool { DType::I64 } else { dt };
        let single = p.batch_shape.numel() == 1;
        let (ea, eb) = (Elems::of(a, compute, single), Elems::of(b, compute, single));
        let t = (ea.transposed, eb.transposed);
        let buf = match (&*ea.buf, &*eb.buf) {
            (Buffer::F32(x), Buffer::F32(y)) => {
                Buffer::F32(run_float(x, &a.shape, y, &b.shape, &p, t).into())
            }
            (Buffer::F64(x), Buffer::F64(y)) => {
                Buffer::F64(run_float(x, &a.shape, y, &b.shape, &p, t).into())
            }
            (Buffer::I64(x), Buffer::I64(y)) => {
                Buffer::I64(run_i64(x, &a.shape, y, &b.shape, &p, t).into())
            }
            _ => unreachable!("operands were cast to one dtype"),
        };
        let buf = if dt == DType::Bool {
            buf.cast(DType::Bool)
        } else {
            buf
        };
        Tensor::from_buffer(charged, buf, p.out_shape)
    });
    super::einsum::with_output_tag(out, group.as_deref())
}

impl Tensor {
    /// Matrix product with numpy `matmul` semantics: 1-d operands are promoted (and the added
    /// axis removed), leading axes are broadcast batch axes.
    ///
    /// Shape contract: `(…, M, K) · (…, K, N) → (…, M, N)`; `(K,)·(K,) → ()`.
    /// FLOPs: `(2K − 1)·M·N` × batch × rate (0 for an empty product). With a tagged operand or
    /// the same handle twice, flopscope's contraction pricing applies (see
    /// [`Tensor::einsum`]): `S @ S` (same tagged `S`, n×n) bills `(2n − 1)·n(n+1)/2` and is
    /// tagged; `A @ B` of distinct handles and `G @ G` of a dense `G` bill dense.
    ///
    /// # Panics
    /// If the inner dimensions differ or the batch axes do not broadcast.
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        product(Op::Matmul, self, other)
    }

    /// numpy `dot`: for 1-d and 2-d operands the matrix/vector product; a 0-d operand
    /// multiplies elementwise; otherwise the sum over the last axis of `self` and the
    /// second-to-last of `other` (the last if `other` is 1-d), with shape
    /// `self.shape[..-1] + other.shape[..-2] + other.shape[-1..]`.
    ///
    /// Shape contract: as [`Tensor::matmul`] for 1-d/2-d operands.
    /// FLOPs: as [`Tensor::matmul`] (`(2K − 1)·M·N` × rate, with the same symmetry and
    /// same-handle rules) for 1-d/2-d operands; otherwise as the [`Tensor::einsum`] it
    /// amounts to (a 0-d operand: numel(out)), as flopscope prices them. Recorded as `dot`.
    ///
    /// # Panics
    /// If the contracted axes differ in length.
    pub fn dot(&self, other: &Tensor) -> Tensor {
        if self.ndim() <= 2 && other.ndim() <= 2 && self.ndim() > 0 && other.ndim() > 0 {
            return product(Op::Dot, self, other);
        }
        Tensor::einsum_as(
            Op::Dot,
            &dot_subscripts(self.ndim(), other.ndim()),
            &[self, other],
        )
    }

    /// Outer product of the flattened operands: `out[i, j] = self[i] · other[j]`.
    ///
    /// Shape contract: `(M…) , (N…) → (M, N)`.
    /// FLOPs: `M·N` × rate; when `other` is the very same tensor (a clone of it), flopscope's
    /// symmetry discount bills `n(n+1)/2` and the result is tagged symmetric.
    pub fn outer(&self, other: &Tensor) -> Tensor {
        let (m, n) = (self.numel(), other.numel());
        let same = same_handle(self, other);
        let out_shape = Shape::new(&[m, n]);
        let sym = if same {
            Symmetry::matrix()
        } else {
            Symmetry::NONE
        };
        let count = if same {
            sym.unique(&out_shape)
        } else {
            (m * n) as u64
        };
        let dt = DType::promote(self.dtype(), other.dtype());
        counted(exact(Op::Outer, count, dt), |charged| {
            let ca = self.buf.cast_if(dt);
            let cb = other.buf.cast_if(dt);
            let buf = match (&*ca, &*cb) {
                (Buffer::F32(x), Buffer::F32(y)) => {
                    Buffer::F32(outer_typed(x, y, |p, q| p * q).into())
                }
                (Buffer::F64(x), Buffer::F64(y)) => {
                    Buffer::F64(outer_typed(x, y, |p, q| p * q).into())
                }
                (Buffer::I64(x), Buffer::I64(y)) => {
                    Buffer::I64(outer_typed(x, y, |p, q| p.wrapping_mul(q)).into())
                }
                (Buffer::Bool(x), Buffer::Bool(y)) => {
                    Buffer::Bool(outer_typed(x, y, |p, q| p & q).into())
                }
                _ => unreachable!("operands were cast to one dtype"),
            };
            Tensor::from_buffer(charged, buf, out_shape).with_symmetry(sym)
        })
    }
}

fn outer_typed<T: Copy>(x: &[T], y: &[T], f: impl Fn(T, T) -> T) -> Vec<T> {
    let mut out = output_vec(x.len() * y.len());
    for &a in x {
        out.extend(y.iter().map(|&b| f(a, b)));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::{BudgetContext, Tensor};

    #[test]
    fn a_product_reads_a_deferred_transpose_in_place() {
        let _ctx = BudgetContext::new(u64::MAX / 4).expect("open a context");
        let x = Tensor::from_vec((0..12).map(f64::from).collect::<Vec<_>>(), [4, 3]);
        let t = x.t();
        assert_eq!(t.dtype(), x.dtype());
        let gram = t.matmul(&x);
        assert!(
            t.buf.pending_transpose().is_some(),
            "dtype() or matmul copied the transpose"
        );
        let copied = x.transpose(&[]).matmul(&x);
        assert_eq!(gram.to_vec::<f64>(), copied.to_vec::<f64>());
    }
}
