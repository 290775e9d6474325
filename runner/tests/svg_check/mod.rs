//! Structural checks of the SVG charts the runner writes, shared by the plot tests: tags
//! balance, one `<polyline>` per series with finite coordinates, decade tick labels.

/// Asserts the document is one `<svg>` element whose tags all open and close in order.
pub fn assert_well_formed(svg: &str) {
    assert!(svg.starts_with("<svg "), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
    let mut open: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("unclosed tag") + start;
        let tag = &rest[start + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().expect("tag name");
            open.push(name.to_string());
        }
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
}

/// The points of every `<polyline>`, in order; asserts every coordinate is finite.
pub fn polylines(svg: &str) -> Vec<Vec<(f64, f64)>> {
    svg.lines()
        .filter(|l| l.starts_with("<polyline"))
        .map(|l| {
            let points = attribute(l, "points");
            points
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').expect("x,y");
                    let (x, y): (f64, f64) = (x.parse().expect("x"), y.parse().expect("y"));
                    assert!(x.is_finite() && y.is_finite(), "{p}");
                    (x, y)
                })
                .collect()
        })
        .collect()
}

/// The labels of the y axis ticks, bottom to top.
pub fn y_tick_labels(svg: &str) -> Vec<String> {
    svg.lines()
        .filter(|l| l.starts_with("<text class=\"ytick\""))
        .filter_map(|l| {
            let start = l.find('>')? + 1;
            let end = l.rfind("</text>")?;
            Some(l[start..end].to_string())
        })
        .collect()
}

/// The value of `name="…"` in one tag.
fn attribute<'a>(tag: &'a str, name: &str) -> &'a str {
    let key = format!(" {name}=\"");
    let start = tag.find(&key).expect("attribute") + key.len();
    let len = tag[start..].find('"').expect("closing quote");
    &tag[start..start + len]
}
