//! numpy-exact reductions used by the metrics.
//!
//! numpy sums a contiguous float run with pairwise summation (8-way unrolled blocks of at most
//! 128 elements, split in halves rounded to multiples of 8 above that), in the array's own
//! precision, and `mean` divides that sum by the element count in f64 before rounding back to
//! the array's dtype. Reductions along a non-contiguous axis accumulate sequentially.
//! Reproducing these makes our metrics bit-identical to the Python grader's.

/// numpy's `pairwise_sum` in the element type `T` (f32 accumulates in f32, f64 in f64): runs of
/// fewer than 8 add sequentially, runs up to 128 use 8 partial sums, longer runs split in halves
/// rounded down to a multiple of 8.
fn pairwise_sum<T>(a: &[T]) -> T
where
    T: Copy + Default + std::ops::Add<Output = T> + std::ops::AddAssign,
{
    let n = a.len();
    if n < 8 {
        let mut res = T::default();
        for &x in a {
            res += x;
        }
        res
    } else if n <= 128 {
        let mut r = [T::default(); 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// numpy's `pairwise_sum` over an f32 run (accumulating in f32).
pub fn pairwise_sum_f32(a: &[f32]) -> f32 {
    pairwise_sum(a)
}

/// numpy's `pairwise_sum` over an f64 run.
pub fn pairwise_sum_f64(a: &[f64]) -> f64 {
    pairwise_sum(a)
}

/// `np.mean` of an f32 run, as numpy computes it: f32 pairwise sum, divided by the count in f64,
/// rounded to f32. NaN for an empty run.
pub fn mean_f32(a: &[f32]) -> f32 {
    (f64::from(pairwise_sum_f32(a)) / a.len() as f64) as f32
}

/// `np.mean` of an f64 run (pairwise sum / count). NaN for an empty run.
pub fn mean_f64(a: &[f64]) -> f64 {
    pairwise_sum_f64(a) / a.len() as f64
}

/// Python's `sum(xs) / len(xs)` (sequential left-to-right sum, CPython ≤ 3.11 semantics).
pub fn python_mean(xs: &[f64]) -> f64 {
    let mut s = 0.0f64;
    for &x in xs {
        s += x;
    }
    s / xs.len() as f64
}

/// Python's `min(xs)`: the first element, replaced by each later one that compares smaller.
pub fn python_min(xs: &[f64]) -> Option<f64> {
    let (&first, rest) = xs.split_first()?;
    Some(rest.iter().fold(first, |m, &x| if x < m { x } else { m }))
}

/// Python's `max(xs)`: the first element, replaced by each later one that compares larger.
pub fn python_max(xs: &[f64]) -> Option<f64> {
    let (&first, rest) = xs.split_first()?;
    Some(rest.iter().fold(first, |m, &x| if x > m { x } else { m }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sequence the Python oracle also computed: `((i*37) % 101) / 7` in f32.
    fn seq(n: usize) -> Vec<f32> {
        (0..n).map(|i| ((i * 37) % 101) as f32 / 7.0).collect()
    }

    #[test]
    fn pairwise_matches_naive_on_exact_inputs() {
        for n in [0usize, 1, 7, 8, 9, 100, 128, 129, 1000, 16384] {
            let v: Vec<f32> = (0..n).map(|i| (i % 13) as f32).collect();
            let exact: f32 = v.iter().map(|&x| f64::from(x)).sum::<f64>() as f32;
            assert_eq!(pairwise_sum_f32(&v), exact, "n={n}");
        }
    }

    #[test]
    fn pairwise_differs_from_sequential_like_numpy() {
        // np.mean(np.asarray([0.1*k + 1e-3*k*k for k in range(1, 300)])) == 44.949999999999996,
        // while sum(...)/len(...) == 44.94999999999998 (values from numpy 2.4 / CPython 3.11).
        let vals: Vec<f64> = (1..300)
            .map(|k| 0.1 * f64::from(k) + 1e-3 * f64::from(k) * f64::from(k))
            .collect();
        assert_eq!(mean_f64(&vals), 44.949999999999996);
        assert_eq!(python_mean(&vals), 44.94999999999998);
        assert!(mean_f32(&seq(0)).is_nan());
    }

    #[test]
    fn python_min_max_semantics() {
        assert_eq!(python_min(&[]), None);
        assert_eq!(python_min(&[3.0, 1.0, 2.0]), Some(1.0));
        assert_eq!(python_max(&[3.0, 1.0, 5.0]), Some(5.0));
        // NaN first sticks (no later element compares smaller), NaN later is skipped.
        assert!(python_min(&[f64::NAN, 1.0]).is_some_and(f64::is_nan));
        assert_eq!(python_min(&[1.0, f64::NAN]), Some(1.0));
    }
}
