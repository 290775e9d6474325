//! The op table: every counted operation, its flopscope name and its weight tier.
//!
//! Adding an op is one line in [`ops!`]. Names are the keys flopscope 0.12.4 records in
//! `summary_dict()["operations"]`; weights are its packaged tiers (0, 1, 4, 16).

macro_rules! ops {
    ($($(#[$doc:meta])* $variant:ident => ($name:literal, $weight:literal),)*) => {
        /// A counted operation: the unit of FLOP accounting and of per-op statistics.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Op {
            $($(#[$doc])* $variant,)*
        }

        impl Op {
            /// Every op, in declaration order (index = `op as usize`).
            pub const ALL: &'static [Op] = &[$(Op::$variant,)*];
            /// Number of ops.
            pub const COUNT: usize = Op::ALL.len();

            /// The key flopscope records for this op (e.g. `"true_divide"`).
            pub const fn name(self) -> &'static str {
                match self { $(Op::$variant => $name,)* }
            }

            /// flopscope's weight tier for this op: 0 (free), 1, 4 or 16.
            pub const fn weight(self) -> u64 {
                match self { $(Op::$variant => $weight,)* }
            }
        }
    };
}

ops! {
    // ---- elementwise binary (count = numel of the broadcast output) ----
    /// `a + b`.
    Add => ("add", 1),
    /// `a - b`.
    Subtract => ("subtract", 1),
    /// `a * b`.
    Multiply => ("multiply", 1),
    /// `a / b` (true division).
    TrueDivide => ("true_divide", 1),
    /// `a ** b`.
    Power => ("power", 16),
    /// Elementwise maximum.
    Maximum => ("maximum", 1),
    /// Elementwise minimum.
    Minimum => ("minimum", 1),
    /// `a > b`.
    Greater => ("greater", 1),
    /// `a >= b`.
    GreaterEqual => ("greater_equal", 1),
    /// `a < b`.
    Less => ("less", 1),
    /// `a <= b`.
    LessEqual => ("less_equal", 1),
    /// `a == b`.
    Equal => ("equal", 1),
    /// `a != b`.
    NotEqual => ("not_equal", 1),
    // ---- elementwise unary ----
    /// `-a`.
    Negative => ("negative", 1),
    /// `exp(a)`.
    Exp => ("exp", 16),
    /// `log(a)`.
    Log => ("log", 16),
    /// `sqrt(a)`.
    Sqrt => ("sqrt", 1),
    /// `abs(a)`.
    Absolute => ("abs", 1),
    /// `a * a`.
    Square => ("square", 1),
    /// `tanh(a)`.
    Tanh => ("tanh", 16),
    /// `clip(a, lo, hi)` (2 per element).
    Clip => ("clip", 1),
    /// Three-argument `where(cond, a, b)` (4 per element).
    Where => ("where", 4),
    // ---- reductions ----
    /// `sum`.
    Sum => ("sum", 1),
    /// `mean`.
    Mean => ("mean", 1),
    /// `var`.
    Var => ("var", 1),
    /// `std`.
    Std => ("std", 1),
    /// `max`.
    Max => ("max", 1),
    /// `min`.
    Min => ("min", 1),
    /// `argmax`.
    Argmax => ("argmax", 1),
    /// `argmin`.
    Argmin => ("argmin", 1),
    // ---- contractions ----
    /// `matmul` / `@`.
    Matmul => ("matmul", 1),
    /// `dot`.
    Dot => ("dot", 1),
    /// `outer`.
    Outer => ("outer", 1),
    /// `einsum`.
    Einsum => ("einsum", 1),
    // ---- creation and casts ----
    /// `zeros` (free).
    Zeros => ("zeros", 0),
    /// `ones`.
    Ones => ("ones", 1),
    /// `zeros_like` (free).
    ZerosLike => ("zeros_like", 0),
    /// `ones_like`.
    OnesLike => ("ones_like", 1),
    /// `full`.
    Full => ("full", 1),
    /// `eye`.
    Eye => ("eye", 1),
    /// `arange`.
    Arange => ("arange", 1),
    /// `linspace`.
    Linspace => ("linspace", 1),
    /// `array` (wrapping host data copies it).
    Array => ("array", 1),
    /// `copy`.
    Copy => ("copy", 1),
    /// `astype`.
    Astype => ("astype", 1),
    /// `asarray` (free when no copy is made).
    Asarray => ("asarray", 1),
    // ---- movement ----
    /// `transpose` / `.T` (free view).
    Transpose => ("transpose", 0),
    /// `swapaxes` (free view).
    Swapaxes => ("swapaxes", 0),
    /// `expand_dims` (free view).
    ExpandDims => ("expand_dims", 0),
    /// `squeeze` (free view).
    Squeeze => ("squeeze", 0),
    /// `reshape`.
    Reshape => ("reshape", 1),
    /// `ravel`.
    Ravel => ("ravel", 1),
    /// `stack`.
    Stack => ("stack", 1),
    /// `concatenate`.
    Concatenate => ("concatenate", 1),
    /// `diag`.
    Diag => ("diag", 1),
    /// `diagonal` (free view).
    Diagonal => ("diagonal", 0),
    /// `fill_diagonal`.
    FillDiagonal => ("fill_diagonal", 1),
    /// `trace`.
    Trace => ("trace", 1),
    /// Fancy (integer-array or boolean-mask) indexing; basic slicing records nothing.
    Getitem => ("getitem", 1),
    /// `take` along an axis.
    Take => ("take", 4),
    // ---- sorting ----
    /// `sort`.
    Sort => ("sort", 4),
    /// `argsort`.
    Argsort => ("argsort", 4),
    // ---- random ----
    /// `Generator.standard_normal`.
    RandomStandardNormal => ("random.Generator.standard_normal", 16),
    /// `Generator.normal`.
    RandomNormal => ("random.Generator.normal", 16),
    /// `Generator.uniform`.
    RandomUniform => ("random.Generator.uniform", 1),
    /// `Generator.random`.
    RandomRandom => ("random.Generator.random", 1),
    /// `Generator.integers`.
    RandomIntegers => ("random.Generator.integers", 1),
    /// `Generator.permutation`.
    RandomPermutation => ("random.Generator.permutation", 4),
    // ---- stats ----
    /// `stats.norm.pdf`.
    NormPdf => ("stats.norm.pdf", 1),
    /// `stats.norm.cdf`.
    NormCdf => ("stats.norm.cdf", 1),
    /// `stats.norm.ppf`.
    NormPpf => ("stats.norm.ppf", 1),
    // ---- linalg ----
    /// `linalg.inv`.
    LinalgInv => ("linalg.inv", 1),
    /// `linalg.solve`.
    LinalgSolve => ("linalg.solve", 1),
    /// `linalg.cholesky`.
    LinalgCholesky => ("linalg.cholesky", 1),
    /// `linalg.eigh`.
    LinalgEigh => ("linalg.eigh", 1),
    /// `linalg.eigvalsh`.
    LinalgEigvalsh => ("linalg.eigvalsh", 1),
    /// `linalg.qr`.
    LinalgQr => ("linalg.qr", 1),
    /// `linalg.svd`.
    LinalgSvd => ("linalg.svd", 1),
    /// `linalg.norm`.
    LinalgNorm => ("linalg.norm", 1),
    /// `linalg.det`.
    LinalgDet => ("linalg.det", 1),
    /// `linalg.slogdet`.
    LinalgSlogdet => ("linalg.slogdet", 1),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_indices_match_the_table() {
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = Op::ALL.iter().map(|o| o.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Op::COUNT);
    }
}
