//! The analytic count of every linalg routine, per matrix: flopscope 0.12.4's linalg cost
//! functions in one place. The op charges `count × batch × rate` with the pricing table's
//! `exact` rule ([`crate::budget::pricing`]); [`super::Stack::billed`] applies the batch and the
//! 0 for empty matrices. Arithmetic saturates instead of overflowing.

use super::order::NormOrd;

/// `⌊num·k³ / 3⌋` (flopscope's `num * k**3 // 3`), saturating instead of overflowing.
fn cube_div3(num: u64, k: u64) -> u64 {
    let k3 = (k as u128).pow(3);
    ((num as u128 * k3) / 3).min(u64::MAX as u128) as u64
}

/// `k³` saturating.
fn cube(k: u64) -> u64 {
    (k as u128).pow(3).min(u64::MAX as u128) as u64
}

/// `linalg.cholesky` of an `n × n` matrix: `⌊n³/3⌋`.
pub(super) fn cholesky(n: usize) -> u64 {
    cube_div3(1, n as u64)
}

/// `linalg.eigh` of an `n × n` matrix: `9n³`.
pub(super) fn eigh(n: usize) -> u64 {
    cube(n as u64).saturating_mul(9)
}

/// `linalg.eigvalsh` of an `n × n` matrix: `⌊4n³/3⌋`.
pub(super) fn eigvalsh(n: usize) -> u64 {
    cube_div3(4, n as u64)
}

/// `linalg.qr` of an `m × n` matrix (flopscope's `qr_cost`): `2mnk − ⌊2k³/3⌋` for the
/// factorisation (`k = min(m, n)`), doubled when `Q` is formed; at least 1.
pub(super) fn qr(m: usize, n: usize, forms_q: bool) -> u64 {
    let k = m.min(n) as u128;
    let factor = (2 * m as u128 * n as u128 * k).saturating_sub(2 * k * k * k / 3);
    let c = if forms_q { 2 * factor } else { factor };
    c.max(1).min(u64::MAX as u128) as u64
}

/// `linalg.svd` of an `m × n` matrix (flopscope's `svd_cost`, full decomposition, no top-k),
/// with `a = max(m, n)`, `b = min(m, n)`: values only `2ab² + 2b³`; full matrices with
/// `m ≠ n` `4a²b + 22b³`; otherwise (thin) `6ab² + 20b³`; at least 1.
pub(super) fn svd(m: usize, n: usize, with_vectors: bool, full_matrices: bool) -> u64 {
    let (a, b) = (m.max(n) as u128, m.min(n) as u128);
    let c = if !with_vectors {
        2 * a * b * b + 2 * b * b * b
    } else if full_matrices && m != n {
        4 * a * a * b + 22 * b * b * b
    } else {
        6 * a * b * b + 20 * b * b * b
    };
    c.max(1).min(u64::MAX as u128) as u64
}

/// `linalg.inv` of an `n × n` matrix: `2n³`, or `⌊n³/3⌋ + n³` for a symmetric (tagged) one.
pub(super) fn inv(n: usize, symmetric: bool) -> u64 {
    let n = n as u64;
    if symmetric {
        cube_div3(1, n).saturating_add(cube(n))
    } else {
        cube(n).saturating_mul(2)
    }
}

/// `linalg.solve` of one `n × n` system with `nrhs` right-hand sides: `⌊2n³/3⌋ + 2n²·nrhs`,
/// at least 1.
pub(super) fn solve(n: usize, nrhs: usize) -> u64 {
    let n64 = n as u64;
    cube_div3(2, n64)
        .saturating_add(2u64.saturating_mul(n64 * n64).saturating_mul(nrhs as u64))
        .max(1)
}

/// `linalg.det` of an `n × n` matrix: `⌊2n³/3⌋ + n`.
pub(super) fn det(n: usize) -> u64 {
    cube_div3(2, n as u64).saturating_add(n as u64)
}

/// `linalg.slogdet` of an `n × n` matrix: `⌊2n³/3⌋ + 18n`.
pub(super) fn slogdet(n: usize) -> u64 {
    cube_div3(2, n as u64).saturating_add(18 * n as u64)
}

/// `linalg.norm` of one vector of length `n` (flopscope's `norm_cost`): `2n` for the default,
/// `±inf`, 0-, 1- and 2-norms, `18n + 16` for any other order (`n` at least 1).
pub(super) fn vector_norm(n: usize, ord: NormOrd) -> u64 {
    let n = n.max(1) as u64;
    match ord {
        NormOrd::Default | NormOrd::Inf | NormOrd::NegInf => 2 * n,
        NormOrd::P(p) if p == 0.0 || p == 1.0 || p == 2.0 => 2 * n,
        _ => n.saturating_mul(18).saturating_add(16),
    }
}

/// `linalg.norm` of one `m × n` matrix (flopscope's `norm_cost`): the values-only SVD count
/// for the nuclear and ±2 norms, else `2·max(mn, 1)`.
pub(super) fn matrix_norm(m: usize, n: usize, ord: NormOrd) -> u64 {
    match ord {
        NormOrd::Nuc => svd(m, n, false, false),
        NormOrd::P(p) if p == 2.0 || p == -2.0 => svd(m, n, false, false),
        _ => 2 * (m * n).max(1) as u64,
    }
}
