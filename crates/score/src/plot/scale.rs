//! Axis scales: a base-10 log scale (decade ticks) for MSEs that span decades, and a linear
//! integer scale for layer numbers.

/// Most major ticks an axis shows; wider ranges tick every k-th decade or layer.
pub const MAX_TICKS: usize = 10;

/// A base-10 log scale over whole decades `[10^lo, 10^hi]`, `lo < hi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogScale {
    /// Exponent of the bottom of the axis.
    pub lo: i32,
    /// Exponent of the top of the axis.
    pub hi: i32,
}

impl LogScale {
    /// The smallest whole-decade range holding every positive finite value of `values`
    /// (one decade either side of a single decade); `None` when there is none.
    pub fn covering(values: impl IntoIterator<Item = f64>) -> Option<LogScale> {
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.into_iter().filter(|v| plottable(*v)) {
            min = min.min(v);
            max = max.max(v);
        }
        if !min.is_finite() {
            return None;
        }
        // log10 of a positive finite f64 lies in about [-324, 309]: the casts cannot overflow.
        let mut lo = min.log10().floor() as i32;
        let mut hi = max.log10().ceil() as i32;
        if lo == hi {
            lo -= 1;
            hi += 1;
        }
        Some(LogScale { lo, hi })
    }

    /// Where `v` (positive) lies on the axis, 0 at the bottom and 1 at the top.
    pub fn fraction(&self, v: f64) -> f64 {
        (v.log10() - f64::from(self.lo)) / f64::from(self.hi - self.lo)
    }

    /// Exponents of the labelled ticks: every decade, or every k-th so at most
    /// [`MAX_TICKS`] + 1 are drawn.
    pub fn tick_exponents(&self) -> Vec<i32> {
        let span = (self.hi - self.lo) as usize;
        let step = span.div_ceil(MAX_TICKS).max(1);
        (self.lo..=self.hi).step_by(step).collect()
    }

    /// Minor ticks `m·10^k` (m = 2..9) inside the axis when it spans at most
    /// [`MINOR_TICK_MAX_DECADES`] decades, as `(m, k)`; empty for wider axes.
    pub fn minor_ticks(&self) -> Vec<(u32, i32)> {
        if self.hi - self.lo > MINOR_TICK_MAX_DECADES {
            return Vec::new();
        }
        (self.lo..self.hi)
            .flat_map(|k| (2..=9).map(move |m| (m, k)))
            .collect()
    }
}

/// Widest axis, in decades, that gets minor ticks.
pub const MINOR_TICK_MAX_DECADES: i32 = 4;

/// A label for `m·10^exp` (`0.2`, `5`, `3e-6`): decimal inside `[1e-4, 1e4)`, else `me<exp>`.
pub fn minor_label(m: u32, exp: i32) -> String {
    if (-4..4).contains(&exp) {
        let decimals = usize::try_from(-exp).unwrap_or(0);
        format!("{:.decimals$}", f64::from(m) * 10f64.powi(exp))
    } else {
        format!("{m}e{exp}")
    }
}

/// Whether a value can be drawn on a log axis (positive and finite).
pub fn plottable(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// A tick label for `10^exp`: `1`, `10`, `0.1`, `0.01` inside `[-2, 3]`, else `1e-5`/`1e6`.
pub fn decade_label(exp: i32) -> String {
    match exp {
        -2 => "0.01".to_string(),
        -1 => "0.1".to_string(),
        0..=3 => 10u32.pow(exp.unsigned_abs()).to_string(),
        _ => format!("1e{exp}"),
    }
}

/// Layer numbers to label on an axis of layers `1..=n`: every layer, or every k-th (always
/// including 1) so at most [`MAX_TICKS`] are drawn.
pub fn layer_ticks(n: usize) -> Vec<usize> {
    let step = n.div_ceil(MAX_TICKS).max(1);
    (1..=n).step_by(step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_covers_whole_decades() {
        let s = LogScale::covering([0.003, 0.2, f64::INFINITY, 0.0, f64::NAN]).expect("values");
        assert_eq!(s, LogScale { lo: -3, hi: 0 });
        assert_eq!(s.tick_exponents(), vec![-3, -2, -1, 0]);
        assert!((s.fraction(0.01) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.fraction(1.0), 1.0);
        assert_eq!(
            LogScale::covering([0.5, 0.5]),
            Some(LogScale { lo: -1, hi: 0 })
        );
        assert_eq!(LogScale::covering([1.0]), Some(LogScale { lo: -1, hi: 1 }));
        assert_eq!(LogScale::covering([0.0, f64::INFINITY]), None);
    }

    #[test]
    fn wide_ranges_tick_every_kth_decade() {
        let s = LogScale { lo: -30, hi: 0 };
        let ticks = s.tick_exponents();
        assert_eq!(ticks.first(), Some(&-30));
        assert!(ticks.len() <= MAX_TICKS + 1, "{ticks:?}");
        assert!(ticks.windows(2).all(|w| w[1] - w[0] == 3));
    }

    #[test]
    fn narrow_axes_get_minor_ticks() {
        let one = LogScale { lo: -1, hi: 0 };
        assert_eq!(one.minor_ticks().len(), 8);
        assert_eq!(one.minor_ticks()[0], (2, -1));
        assert!(LogScale { lo: -10, hi: 0 }.minor_ticks().is_empty());
        assert_eq!(minor_label(2, -1), "0.2");
        assert_eq!(minor_label(5, 0), "5");
        assert_eq!(minor_label(3, -6), "3e-6");
    }

    #[test]
    fn labels_and_layer_ticks() {
        assert_eq!(decade_label(-5), "1e-5");
        assert_eq!(decade_label(-2), "0.01");
        assert_eq!(decade_label(0), "1");
        assert_eq!(decade_label(3), "1000");
        assert_eq!(decade_label(4), "1e4");
        assert_eq!(layer_ticks(4), vec![1, 2, 3, 4]);
        assert_eq!(layer_ticks(16), vec![1, 3, 5, 7, 9, 11, 13, 15]);
        assert_eq!(layer_ticks(1), vec![1]);
    }
}
