//! Numeric kernels of `einsum` (uncounted): strided gather/reduce of one operand, and pairwise
//! contraction as a batch of GEMMs on [`crate::kernels`] with strided [`MatRef`] views, copying
//! an operand only when its axes cannot be read as a matrix in place.

use crate::kernels::{gemm_i64, gemm_into, MatRef};

/// Per-batch products with at most this many multiply-adds use a plain loop instead of GEMM.
const SMALL_PRODUCT: usize = 64;

/// An element type the einsum kernels compute in (`f32`, `f64`, `i64`; bool runs as `i64`).
pub(crate) trait Scalar: Copy + Default + Send + Sync + 'static {
    /// `self + o` (wrapping for integers, like numpy).
    fn add(self, o: Self) -> Self;
    /// `self · o` (wrapping for integers).
    fn mul(self, o: Self) -> Self;
    /// `out = a · b`.
    fn gemm(a: MatRef<'_, Self>, b: MatRef<'_, Self>, out: &mut [Self]);
}

impl Scalar for f32 {
    fn add(self, o: Self) -> Self {
        self + o
    }
    fn mul(self, o: Self) -> Self {
        self * o
    }
    fn gemm(a: MatRef<'_, Self>, b: MatRef<'_, Self>, out: &mut [Self]) {
        gemm_into(a, b, out);
    }
}

impl Scalar for f64 {
    fn add(self, o: Self) -> Self {
        self + o
    }
    fn mul(self, o: Self) -> Self {
        self * o
    }
    fn gemm(a: MatRef<'_, Self>, b: MatRef<'_, Self>, out: &mut [Self]) {
        gemm_into(a, b, out);
    }
}

impl Scalar for i64 {
    fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    fn mul(self, o: Self) -> Self {
        self.wrapping_mul(o)
    }
    fn gemm(a: MatRef<'_, Self>, b: MatRef<'_, Self>, out: &mut [Self]) {
        gemm_i64(a, b, out);
    }
}

/// A strided view of an operand with one entry per distinct label (a label repeated inside the
/// operand is its diagonal: the strides add up; a broadcast size-1 axis has stride 0).
#[derive(Clone, Debug)]
pub(crate) struct View<'a, T> {
    /// The operand's row-major elements.
    pub data: &'a [T],
    /// Distinct labels, in order of first appearance.
    pub labels: Vec<u8>,
    /// Extent of each label.
    pub dims: Vec<usize>,
    /// Element stride of each label (summed over its axes; 0 when broadcast).
    pub strides: Vec<usize>,
}

impl<'a, T: Scalar> View<'a, T> {
    /// A row-major buffer whose axes carry `axis_labels`; `sizes` gives each label's extent
    /// (an axis of extent 1 under a larger label is broadcast).
    pub fn new(data: &'a [T], axis_labels: &[u8], shape: &[usize], sizes: &[u64]) -> Self {
        let mut row = vec![0usize; shape.len()];
        let mut acc = 1;
        for ax in (0..shape.len()).rev() {
            row[ax] = acc;
            acc *= shape[ax];
        }
        let mut v = View {
            data,
            labels: Vec::new(),
            dims: Vec::new(),
            strides: Vec::new(),
        };
        for (ax, &l) in axis_labels.iter().enumerate() {
            let size = sizes[l as usize] as usize;
            let stride = if shape[ax] == 1 && size != 1 {
                0
            } else {
                row[ax]
            };
            match v.labels.iter().position(|&x| x == l) {
                Some(i) => v.strides[i] += stride,
                None => {
                    v.labels.push(l);
                    v.dims.push(size);
                    v.strides.push(stride);
                }
            }
        }
        v
    }

    fn of(&self, l: u8) -> (usize, usize) {
        let i = self.labels.iter().position(|&x| x == l).unwrap_or(0);
        (self.dims[i], self.strides[i])
    }
}

/// A running multi-index over `dims` with its offset under `strides`.
struct Odometer {
    dims: Vec<usize>,
    strides: Vec<usize>,
    idx: Vec<usize>,
    off: usize,
}

impl Odometer {
    fn new(dims: Vec<usize>, strides: Vec<usize>) -> Self {
        let idx = vec![0; dims.len()];
        Odometer {
            dims,
            strides,
            idx,
            off: 0,
        }
    }

    /// Steps to the next index; `false` once every index has been visited.
    fn advance(&mut self) -> bool {
        for ax in (0..self.dims.len()).rev() {
            self.idx[ax] += 1;
            self.off += self.strides[ax];
            if self.idx[ax] < self.dims[ax] {
                return true;
            }
            self.off -= self.strides[ax] * self.dims[ax];
            self.idx[ax] = 0;
        }
        false
    }
}

/// Offsets of every index of `dims` under `strides`, row-major.
fn offsets(dims: &[usize], strides: &[usize]) -> Vec<usize> {
    let total: usize = dims.iter().product();
    let mut out = Vec::with_capacity(total);
    if total == 0 {
        return out;
    }
    let mut o = Odometer::new(dims.to_vec(), strides.to_vec());
    loop {
        out.push(o.off);
        if !o.advance() {
            return out;
        }
    }
}

/// The view's labels not in `target` summed out, the rest laid out row-major in `target`
/// order (every target label must be in the view).
pub(crate) fn gather_sum<T: Scalar>(v: &View<'_, T>, target: &[u8]) -> Vec<T> {
    let (mut tdims, mut tstr): (Vec<usize>, Vec<usize>) = target.iter().map(|&l| v.of(l)).unzip();
    let summed: Vec<usize> = (0..v.labels.len())
        .filter(|&i| !target.contains(&v.labels[i]))
        .collect();
    let total: usize = tdims.iter().product();
    let inner: usize = summed.iter().map(|&i| v.dims[i]).product();
    if total == 0 {
        return Vec::new();
    }
    if inner == 0 {
        return vec![T::default(); total];
    }
    // The last output axis runs as a tight inner loop; the rest through an odometer.
    let (td, ts) = (tdims.pop().unwrap_or(1), tstr.pop().unwrap_or(0));
    let mut out = Vec::with_capacity(total);
    let mut outer = Odometer::new(tdims, tstr);
    if summed.is_empty() {
        loop {
            let base = outer.off;
            out.extend((0..td).map(|i| v.data[base + i * ts]));
            if !outer.advance() {
                return out;
            }
        }
    }
    let (&last, rest) = summed.split_last().unwrap_or((&0, &[]));
    let (ld, ls) = (v.dims[last], v.strides[last]);
    let rest_off = offsets(
        &rest.iter().map(|&i| v.dims[i]).collect::<Vec<_>>(),
        &rest.iter().map(|&i| v.strides[i]).collect::<Vec<_>>(),
    );
    loop {
        for o in 0..td {
            let mut acc = T::default();
            for &r in &rest_off {
                let base = outer.off + o * ts + r;
                for i in 0..ld {
                    acc = acc.add(v.data[base + i * ls]);
                }
            }
            out.push(acc);
        }
        if !outer.advance() {
            return out;
        }
    }
}

/// `(extent, stride)` of `labels` of `v` read as one merged row-major index, if possible.
fn merged<T: Scalar>(v: &View<'_, T>, labels: &[u8]) -> Option<(usize, usize)> {
    let mut len = 1usize;
    let mut stride: Option<usize> = None;
    let mut expect: Option<usize> = None;
    for &l in labels.iter().rev() {
        let (d, s) = v.of(l);
        len *= d;
        if d == 1 {
            continue;
        }
        if s == 0 || expect.is_some_and(|e| e != s) {
            return None;
        }
        stride.get_or_insert(s);
        expect = Some(s * d);
    }
    Some((len, stride.unwrap_or(1)))
}

/// A contiguous view of `data` laid out over `labels`.
fn contiguous<'a, T: Scalar>(data: &'a [T], labels: &[u8], sizes: &[u64]) -> View<'a, T> {
    let shape: Vec<usize> = labels.iter().map(|&l| sizes[l as usize] as usize).collect();
    View::new(data, labels, &shape, sizes)
}

/// `out = a · b` for one small strided `(m×k)·(k×n)` product (a plain loop).
fn small_product<T: Scalar>(
    xa: &[T],
    xb: &[T],
    out: &mut [T],
    (m, n, k): (usize, usize, usize),
    (ams, aks): (usize, usize),
    (bks, bns): (usize, usize),
) {
    for i in 0..m {
        for j in 0..n {
            let mut acc = xa[i * ams].mul(xb[j * bns]);
            for p in 1..k {
                acc = acc.add(xa[i * ams + p * aks].mul(xb[p * bks + j * bns]));
            }
            out[i * n + j] = acc;
        }
    }
}

/// `einsum('<a>,<b>-><out>')` of two views: isolated summed labels are summed first, then each
/// batch is one `(M×K)·(K×N)` GEMM read through strided views (a copy is made only when an
/// operand's M/K/N axes cannot be merged in place), and the result is permuted to `out`.
pub(crate) fn contract_pair<T: Scalar>(
    a: &View<'_, T>,
    b: &View<'_, T>,
    out: &[u8],
    sizes: &[u64],
) -> Vec<T> {
    let keep = |v: &View<'_, T>, other: &View<'_, T>| -> Vec<u8> {
        v.labels
            .iter()
            .copied()
            .filter(|l| out.contains(l) || other.labels.contains(l))
            .collect()
    };
    let (ka, kb) = (keep(a, b), keep(b, a));
    let a_red;
    let b_red;
    let a = if ka.len() < a.labels.len() {
        a_red = gather_sum(a, &ka);
        contiguous(&a_red, &ka, sizes)
    } else {
        a.clone()
    };
    let b = if kb.len() < b.labels.len() {
        b_red = gather_sum(b, &kb);
        contiguous(&b_red, &kb, sizes)
    } else {
        b.clone()
    };
    let in_a = |l: &u8| a.labels.contains(l);
    let in_b = |l: &u8| b.labels.contains(l);
    let batch: Vec<u8> = out.iter().copied().filter(|l| in_a(l) && in_b(l)).collect();
    let m: Vec<u8> = a.labels.iter().copied().filter(|l| !in_b(l)).collect();
    let n: Vec<u8> = b.labels.iter().copied().filter(|l| !in_a(l)).collect();
    let k: Vec<u8> = a
        .labels
        .iter()
        .copied()
        .filter(|l| in_b(l) && !out.contains(l))
        .collect();
    let size = |ls: &[u8]| -> usize { ls.iter().map(|&l| sizes[l as usize] as usize).product() };
    let (nb, mm, nn, kk) = (size(&batch), size(&m), size(&n), size(&k));
    let natural: Vec<u8> = [&batch[..], &m, &n].concat();
    let total = nb * mm * nn;
    let mut res = vec![T::default(); total];
    if total > 0 && kk > 0 {
        let a_copy;
        let a = match (merged(&a, &m), merged(&a, &k)) {
            (Some(_), Some(_)) => a,
            _ => {
                let order = [&batch[..], &m, &k].concat();
                a_copy = gather_sum(&a, &order);
                contiguous(&a_copy, &order, sizes)
            }
        };
        let b_copy;
        let b = match (merged(&b, &k), merged(&b, &n)) {
            (Some(_), Some(_)) => b,
            _ => {
                let order = [&batch[..], &k, &n].concat();
                b_copy = gather_sum(&b, &order);
                contiguous(&b_copy, &order, sizes)
            }
        };
        let ((_, ams), (_, aks)) = (
            merged(&a, &m).unwrap_or((1, 1)),
            merged(&a, &k).unwrap_or((1, 1)),
        );
        let ((_, bks), (_, bns)) = (
            merged(&b, &k).unwrap_or((1, 1)),
            merged(&b, &n).unwrap_or((1, 1)),
        );
        let mut bdims: Vec<usize> = batch.iter().map(|&l| sizes[l as usize] as usize).collect();
        let mut sa: Vec<usize> = batch.iter().map(|&l| a.of(l).1).collect();
        let mut sb: Vec<usize> = batch.iter().map(|&l| b.of(l).1).collect();
        // The last batch axis runs inline; the others through two odometers in lockstep.
        let (bl, bla, blb) = (
            bdims.pop().unwrap_or(1),
            sa.pop().unwrap_or(0),
            sb.pop().unwrap_or(0),
        );
        let mut oda = Odometer::new(bdims.clone(), sa);
        let mut odb = Odometer::new(bdims, sb);
        if mm * nn * kk == 1 {
            // A Hadamard product over the batch axes: one multiply per element.
            for row in res.chunks_mut(bl) {
                let (xa, xb) = (&a.data[oda.off..], &b.data[odb.off..]);
                for (t, r) in row.iter_mut().enumerate() {
                    *r = xa[t * bla].mul(xb[t * blb]);
                }
                oda.advance();
                odb.advance();
            }
        } else {
            let small = mm * nn * kk <= SMALL_PRODUCT;
            let mut chunks = res.chunks_mut(mm * nn);
            loop {
                for t in 0..bl {
                    let Some(chunk) = chunks.next() else { break };
                    let (xa, xb) = (&a.data[oda.off + t * bla..], &b.data[odb.off + t * blb..]);
                    if small {
                        small_product(xa, xb, chunk, (mm, nn, kk), (ams, aks), (bks, bns));
                    } else {
                        let ma = MatRef {
                            data: xa,
                            rows: mm,
                            cols: kk,
                            row_stride: ams,
                            col_stride: aks,
                        };
                        let mb = MatRef {
                            data: xb,
                            rows: kk,
                            cols: nn,
                            row_stride: bks,
                            col_stride: bns,
                        };
                        T::gemm(ma, mb, chunk);
                    }
                }
                oda.advance();
                if !odb.advance() {
                    break;
                }
            }
        }
    }
    if natural == out {
        return res;
    }
    gather_sum(&contiguous(&res, &natural, sizes), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonal_and_sum_through_strides() {
        // 'ii->i' and 'ii->' on [[1, 2], [3, 4]].
        let data = [1.0f64, 2.0, 3.0, 4.0];
        let v = View::new(&data, &[0, 0], &[2, 2], &[2]);
        assert_eq!(gather_sum(&v, &[0]), vec![1.0, 4.0]);
        assert_eq!(gather_sum(&v, &[]), vec![5.0]);
        // 'ij->ji'.
        let v = View::new(&data, &[0, 1], &[2, 2], &[2, 2]);
        assert_eq!(gather_sum(&v, &[1, 0]), vec![1.0, 3.0, 2.0, 4.0]);
    }

    #[test]
    fn pair_contraction_uses_transposed_views() {
        // 'ji,jk->ik' (XᵀX) on a 3×2 X, large enough for the GEMM path too.
        let x: Vec<f64> = (0..6).map(f64::from).collect();
        let v = View::new(&x, &[1, 0], &[3, 2], &[2, 3, 2]);
        let w = View::new(&x, &[1, 2], &[3, 2], &[2, 3, 2]);
        let got = contract_pair(&v, &w, &[0, 2], &[2, 3, 2]);
        assert_eq!(got, vec![20.0, 26.0, 26.0, 35.0]);
    }

    #[test]
    fn broadcast_axes_read_with_stride_zero() {
        // 'ij,ij->ij' with (1, 3) against (2, 3).
        let a = [1.0f32, 2.0, 3.0];
        let b = [1.0f32, 1.0, 1.0, 2.0, 2.0, 2.0];
        let sizes = [2, 3];
        let va = View::new(&a, &[0, 1], &[1, 3], &sizes);
        let vb = View::new(&b, &[0, 1], &[2, 3], &sizes);
        assert_eq!(
            contract_pair(&va, &vb, &[0, 1], &sizes),
            vec![1.0, 2.0, 3.0, 2.0, 4.0, 6.0]
        );
    }
}
