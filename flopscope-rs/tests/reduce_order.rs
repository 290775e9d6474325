//! Reductions reproduce numpy's evaluation order bit for bit: values probed with numpy 2.4.6
//! and committed in `fixtures/reduce_order.txt` (one line per dtype, op, shape and axis; float
//! results as their bit patterns). The input is `x[i] = ((i·2654435761 + 12345) mod 2³² >> 12)
//! / 999983 − 0.5` in f64 (cast to f32 for the f32 cases), so both sides build it exactly.
//!
//! Shapes cover numpy's two orders: pairwise sums along a contiguous axis (and over every
//! element), and row-by-row accumulation along any other axis.

use flopscope::{BudgetContext, DType, Tensor};

const FIXTURE: &str = include_str!("fixtures/reduce_order.txt");

fn input(shape: &[usize], dtype: DType) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n as u64)
        .map(|i| {
            let h = (i * 2_654_435_761 + 12_345) % (1 << 32);
            (h >> 12) as f64 / 999_983.0 - 0.5
        })
        .collect();
    match dtype {
        DType::F32 => Tensor::from_vec(v.iter().map(|&x| x as f32).collect(), shape),
        _ => Tensor::from_vec(v, shape),
    }
}

fn reduce(x: &Tensor, op: &str, axis: Option<isize>) -> Tensor {
    let f = match op {
        "sum" => Tensor::sum_keepdims,
        "mean" => Tensor::mean_keepdims,
        "var" => Tensor::var_keepdims,
        "std" => Tensor::std_keepdims,
        "max" => Tensor::max_keepdims,
        "min" => Tensor::min_keepdims,
        "argmax" => Tensor::argmax_keepdims,
        "argmin" => Tensor::argmin_keepdims,
        _ => panic!("fixture names an unknown op {op}"),
    };
    f(x, axis)
}

/// The result as strings in the fixture's notation.
fn notation(t: &Tensor) -> Vec<String> {
    match t.dtype() {
        DType::F32 => t
            .to_vec::<f32>()
            .iter()
            .map(|v| format!("{:x}", v.to_bits()))
            .collect(),
        DType::F64 => t
            .to_vec::<f64>()
            .iter()
            .map(|v| format!("{:x}", v.to_bits()))
            .collect(),
        _ => t.to_vec::<i64>().iter().map(|v| v.to_string()).collect(),
    }
}

#[test]
fn reductions_reproduce_numpys_bits() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let mut cases = 0;
    for line in FIXTURE.lines().filter(|l| !l.starts_with('#')) {
        let mut f = line.split(' ');
        let (dt, op, shape, axis) = (f.next(), f.next(), f.next(), f.next());
        let (Some(dt), Some(op), Some(shape), Some(axis)) = (dt, op, shape, axis) else {
            panic!("malformed fixture line {line:?}");
        };
        let want: Vec<String> = f.map(str::to_owned).collect();
        let dtype = if dt == "f32" { DType::F32 } else { DType::F64 };
        let shape: Vec<usize> = shape.split('x').map(|d| d.parse().unwrap()).collect();
        let axis = (axis != "all").then(|| axis.parse::<isize>().unwrap());
        let got = reduce(&input(&shape, dtype), op, axis);
        let out_dtype = if op.starts_with("arg") {
            DType::I64
        } else {
            dtype
        };
        assert_eq!(got.dtype(), out_dtype, "{line}");
        assert_eq!(
            notation(&got),
            want,
            "{dt} {op} of {shape:?} over axis {axis:?}"
        );
        cases += 1;
    }
    assert_eq!(cases, 160, "fixture lines");
}

#[test]
fn keepdims_and_dropped_axes_shape_the_result() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let x = input(&[3, 4, 5], DType::F32);
    assert_eq!(x.var_axis(1).shape(), &[3, 5]);
    assert_eq!(x.var_keepdims(Some(1)).shape(), &[3, 1, 5]);
    assert_eq!(x.argmin_keepdims(Some(-1)).shape(), &[3, 4, 1]);
    assert_eq!(x.sum_keepdims(None).shape(), &[1, 1, 1]);
    assert_eq!(x.max().shape(), &[] as &[usize]);
    assert_eq!(
        x.sum_axis(1).to_vec::<f32>(),
        x.sum_keepdims(Some(1)).to_vec::<f32>()
    );
}

#[test]
fn nan_propagates_and_its_first_index_wins() {
    let _ctx = BudgetContext::new(u64::MAX / 4).unwrap();
    let nan = f64::NAN;
    // Column 0 holds a NaN in row 2, column 1 one in row 3 after its maximum.
    let v = vec![1.0, 5.0, 3.0, -2.0, nan, 9.0, 7.0, nan, 0.0, 9.0];
    let x = Tensor::from_vec(v.clone(), [5, 2]);
    assert_eq!(x.argmax_axis(0).to_vec::<i64>(), vec![2, 3]);
    assert_eq!(x.argmin_axis(0).to_vec::<i64>(), vec![2, 3]);
    assert!(x.max_axis(0).to_vec::<f64>().iter().all(|v| v.is_nan()));
    let row = Tensor::from_vec(vec![1.0, 5.0, 3.0, 9.0, -2.0, 9.0, 0.0, 4.0, 9.0], [9]);
    assert_eq!(row.argmax().to_vec::<i64>(), vec![3]);
    assert_eq!(row.argmin().to_vec::<i64>(), vec![4]);
    assert_eq!(row.max().item(), 9.0);
    let x32 = Tensor::from_vec(v.iter().map(|&a| a as f32).collect(), [10]);
    assert_eq!(x32.argmax().to_vec::<i64>(), vec![4]);
    assert!(x32.min().item().is_nan());
    let ints = Tensor::from_vec(vec![i64::MAX, i64::MAX - 1, 3], [3]);
    assert_eq!(ints.max().to_vec::<i64>(), vec![i64::MAX]);
    assert_eq!(ints.argmin().to_vec::<i64>(), vec![2]);
}
