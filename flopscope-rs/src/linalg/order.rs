//! The `ord` argument of `linalg.norm`.

/// The `ord` argument of numpy's `linalg.norm`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NormOrd {
    /// `ord=None`: the 2-norm of a vector, the Frobenius norm of a matrix.
    Default,
    /// `ord='fro'`: Frobenius norm (matrices only).
    Fro,
    /// `ord='nuc'`: nuclear norm, the sum of singular values (matrices only).
    Nuc,
    /// `ord=inf`: max |x| of a vector; max absolute row sum of a matrix.
    Inf,
    /// `ord=-inf`: min |x| of a vector; min absolute row sum of a matrix.
    NegInf,
    /// A numeric order `p`: `(Σ|x|ᵖ)^(1/p)` for vectors (`0` counts non-zeros, `1`/`2` as
    /// usual); for matrices only `1`/`-1` (max/min absolute column sum) and `2`/`-2`
    /// (largest/smallest singular value) are valid.
    P(f64),
}

impl NormOrd {
    /// `P(±∞)` is the same order as `Inf`/`NegInf`.
    pub(super) fn normalized(self) -> NormOrd {
        match self {
            NormOrd::P(p) if p == f64::INFINITY => NormOrd::Inf,
            NormOrd::P(p) if p == f64::NEG_INFINITY => NormOrd::NegInf,
            o => o,
        }
    }

    /// numpy's spelling of the order, for messages.
    pub(super) fn describe(self) -> String {
        match self {
            NormOrd::Default => "None".into(),
            NormOrd::Fro => "'fro'".into(),
            NormOrd::Nuc => "'nuc'".into(),
            NormOrd::Inf => "inf".into(),
            NormOrd::NegInf => "-inf".into(),
            NormOrd::P(p) => format!("{p}"),
        }
    }
}
