//! Broadcasting kernels: apply a scalar function over one, two or three broadcast operands.

use std::borrow::Cow;

use crate::shape::Shape;

/// Calls `f(out_index, offset_a, offset_b)` for every element of `out`, in row-major order,
/// with the offsets of the broadcast operands. Inner axis handled as a tight loop.
fn for_each_offset2(
    out: &Shape,
    sa: &[usize; crate::MAX_NDIM],
    sb: &[usize; crate::MAX_NDIM],
    mut f: impl FnMut(usize, usize),
) {
    let nd = out.ndim();
    if nd == 0 {
        f(0, 0);
        return;
    }
    let inner = out[nd - 1];
    let (ia, ib) = (sa[nd - 1], sb[nd - 1]);
    let outer: usize = out[..nd - 1].iter().product();
    let mut idx = [0usize; crate::MAX_NDIM];
    for _ in 0..outer {
        let mut oa = 0;
        let mut ob = 0;
        for ax in 0..nd - 1 {
            oa += idx[ax] * sa[ax];
            ob += idx[ax] * sb[ax];
        }
        for j in 0..inner {
            f(oa + j * ia, ob + j * ib);
        }
        for ax in (0..nd - 1).rev() {
            idx[ax] += 1;
            if idx[ax] < out[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
}

/// `out[i] = f(a[i'], b[i''])` with numpy broadcasting of `a` (shape `sa`) and `b` (`sb`)
/// to `out`.
#[inline]
pub(crate) fn zip2<A: Copy, B: Copy, U>(
    a: &[A],
    sa: &Shape,
    b: &[B],
    sb: &Shape,
    out: &Shape,
    f: impl Fn(A, B) -> U,
) -> Vec<U> {
    let mut v = crate::buffer::output_vec(out.numel());
    if sa == out && sb == out {
        v.extend(a.iter().zip(b).map(|(&x, &y)| f(x, y)));
        return v;
    }
    if sa == out && b.len() == 1 {
        let y = b[0];
        v.extend(a.iter().map(|&x| f(x, y)));
        return v;
    }
    if sb == out && a.len() == 1 {
        let x = a[0];
        v.extend(b.iter().map(|&y| f(x, y)));
        return v;
    }
    let st_a = sa.broadcast_strides(out);
    let st_b = sb.broadcast_strides(out);
    for_each_offset2(out, &st_a, &st_b, |oa, ob| v.push(f(a[oa], b[ob])));
    v
}

/// `a` (shape `sa`) broadcast to `out`, row-major: `a` itself when it already has as many
/// elements (broadcasting then only adds leading 1s, which keeps the element order), else a
/// copy.
pub(crate) fn expand<'a, A: Copy>(a: &'a [A], sa: &Shape, out: &Shape) -> Cow<'a, [A]> {
    if a.len() == out.numel() {
        return Cow::Borrowed(a);
    }
    Cow::Owned(zip2(a, sa, &[()], &Shape::SCALAR, out, |x, _| x))
}
