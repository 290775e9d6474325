//! Hand-written SVG line charts of per-layer values on a log y axis (no plotting dependency).
//!
//! The chart has a title, a framed plot area with decade grid lines, integer layer ticks on x,
//! decade ticks on y, one `<polyline>` (plus point markers) per series and a legend under the
//! x axis. Values that a log axis cannot show (zero, negative, non-finite) are left out of the
//! line and counted in the legend.

use std::fmt::Write as _;

use super::scale::{decade_label, layer_ticks, minor_label, plottable, LogScale};

/// Width of the whole image, px.
const WIDTH: f64 = 760.0;
/// Plot area: left, top, width, height (px).
const PLOT_LEFT: f64 = 90.0;
const PLOT_TOP: f64 = 50.0;
const PLOT_WIDTH: f64 = 640.0;
const PLOT_HEIGHT: f64 = 330.0;
/// First legend row's baseline and the height of each row, px.
const LEGEND_TOP: f64 = PLOT_TOP + PLOT_HEIGHT + 75.0;
const LEGEND_ROW: f64 = 20.0;
/// Line colours, cycled (matplotlib's tab10).
const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// One line: `values[i]` is the value at layer `i + 1`.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// One value per layer.
    pub values: Vec<f64>,
}

/// A chart of per-layer series sharing one log-scaled y axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Title above the plot.
    pub title: String,
    /// x axis label.
    pub x_label: String,
    /// y axis label.
    pub y_label: String,
    /// The lines, drawn in order.
    pub series: Vec<Series>,
}

/// Escapes text for SVG character data and attribute values.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Renders `chart` as a standalone SVG document. Layers run from 1 to the longest series;
/// the y axis covers the whole decades around every drawable value (`0.1..10` when none).
pub fn render_svg(chart: &Chart) -> String {
    let n_layers = chart
        .series
        .iter()
        .map(|s| s.values.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let y_scale = LogScale::covering(chart.series.iter().flat_map(|s| s.values.iter().copied()))
        .unwrap_or(LogScale { lo: -1, hi: 1 });
    let height = LEGEND_TOP + LEGEND_ROW * chart.series.len() as f64;
    let x_of = |layer: usize| x_position(layer, n_layers);
    let y_of = |v: f64| PLOT_TOP + PLOT_HEIGHT * (1.0 - y_scale.fraction(v));

    let mut svg = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{WIDTH}" height="{height}" fill="white"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text class="title" x="{}" y="28" text-anchor="middle" font-size="15">{}</text>"#,
        WIDTH / 2.0,
        escape_xml(&chart.title)
    );

    // y axis: decade grid lines and labels.
    for exp in y_scale.tick_exponents() {
        let y = y_of(10f64.powi(exp));
        let _ = writeln!(
            svg,
            r##"<line class="grid" x1="{PLOT_LEFT}" y1="{y:.2}" x2="{:.2}" y2="{y:.2}" stroke="#dddddd"/>"##,
            PLOT_LEFT + PLOT_WIDTH
        );
        let _ = writeln!(
            svg,
            r#"<text class="ytick" x="{:.2}" y="{:.2}" text-anchor="end">{}</text>"#,
            PLOT_LEFT - 8.0,
            y + 4.0,
            decade_label(exp)
        );
    }
    // Minor grid lines; on axes of one or two decades, 2× and 5× are labelled too.
    let label_minor = y_scale.hi - y_scale.lo <= 2;
    for (m, exp) in y_scale.minor_ticks() {
        let y = y_of(f64::from(m) * 10f64.powi(exp));
        let _ = writeln!(
            svg,
            r##"<line class="grid-minor" x1="{PLOT_LEFT}" y1="{y:.2}" x2="{:.2}" y2="{y:.2}" stroke="#f0f0f0"/>"##,
            PLOT_LEFT + PLOT_WIDTH
        );
        if label_minor && (m == 2 || m == 5) {
            let _ = writeln!(
                svg,
                r##"<text class="ytick-minor" x="{:.2}" y="{:.2}" text-anchor="end" fill="#555555">{}</text>"##,
                PLOT_LEFT - 8.0,
                y + 4.0,
                minor_label(m, exp)
            );
        }
    }
    // x axis: layer ticks and labels.
    let axis_y = PLOT_TOP + PLOT_HEIGHT;
    for layer in layer_ticks(n_layers) {
        let x = x_of(layer);
        let _ = writeln!(
            svg,
            r#"<line class="xtick-mark" x1="{x:.2}" y1="{axis_y}" x2="{x:.2}" y2="{}" stroke="black"/>"#,
            axis_y + 5.0
        );
        let _ = writeln!(
            svg,
            r#"<text class="xtick" x="{x:.2}" y="{}" text-anchor="middle">{layer}</text>"#,
            axis_y + 20.0
        );
    }
    let _ = writeln!(
        svg,
        r#"<rect class="frame" x="{PLOT_LEFT}" y="{PLOT_TOP}" width="{PLOT_WIDTH}" height="{PLOT_HEIGHT}" fill="none" stroke="black"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text class="xlabel" x="{:.2}" y="{}" text-anchor="middle">{}</text>"#,
        PLOT_LEFT + PLOT_WIDTH / 2.0,
        axis_y + 45.0,
        escape_xml(&chart.x_label)
    );
    let (label_x, label_y) = (22.0, PLOT_TOP + PLOT_HEIGHT / 2.0);
    let _ = writeln!(
        svg,
        r#"<text class="ylabel" x="{label_x}" y="{label_y}" text-anchor="middle" transform="rotate(-90 {label_x} {label_y})">{}</text>"#,
        escape_xml(&chart.y_label)
    );

    for (i, series) in chart.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let points: Vec<(f64, f64)> = series
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| plottable(**v))
            .map(|(layer0, v)| (x_of(layer0 + 1), y_of(*v)))
            .collect();
        let coords: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.2},{y:.2}"))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline class="series" data-series="{i}" fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            coords.join(" ")
        );
        for (x, y) in &points {
            let _ = writeln!(
                svg,
                r#"<circle class="marker" data-series="{i}" cx="{x:.2}" cy="{y:.2}" r="3" fill="{colour}"/>"#
            );
        }
        let legend_y = LEGEND_TOP + LEGEND_ROW * i as f64;
        let _ = writeln!(
            svg,
            r#"<line class="legend-swatch" x1="{PLOT_LEFT}" y1="{:.2}" x2="{}" y2="{:.2}" stroke="{colour}" stroke-width="3"/>"#,
            legend_y - 4.0,
            PLOT_LEFT + 24.0,
            legend_y - 4.0
        );
        let skipped = series.values.len() - points.len();
        let note = if skipped == 0 {
            String::new()
        } else {
            format!(
                " ({skipped} of {} layers not drawn: zero or not finite)",
                series.values.len()
            )
        };
        let _ = writeln!(
            svg,
            r#"<text class="legend" x="{}" y="{legend_y:.2}">{}{}</text>"#,
            PLOT_LEFT + 32.0,
            escape_xml(&series.name),
            escape_xml(&note)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// x coordinate of `layer` (1-based) on an axis of `n_layers` layers, with half a step of
/// padding at both ends.
fn x_position(layer: usize, n_layers: usize) -> f64 {
    PLOT_LEFT + PLOT_WIDTH * (layer as f64 - 0.5) / n_layers as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(series: Vec<Series>) -> Chart {
        Chart {
            title: "t <&>".to_string(),
            x_label: "layer".to_string(),
            y_label: "MSE".to_string(),
            series,
        }
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape_xml(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        let svg = render_svg(&chart(vec![]));
        assert!(svg.contains(">t &lt;&amp;&gt;</text>"), "{svg}");
    }

    #[test]
    fn a_point_lies_where_its_decade_tick_is() {
        let svg = render_svg(&chart(vec![Series {
            name: "s".into(),
            values: vec![0.01, 1.0],
        }]));
        // Scale 1e-2..1e0: 0.01 is at the bottom of the plot area, 1.0 at the top.
        let bottom = PLOT_TOP + PLOT_HEIGHT;
        let (x1, x2) = (x_position(1, 2), x_position(2, 2));
        assert!(
            svg.contains(&format!(
                r#"points="{x1:.2},{bottom:.2} {x2:.2},{PLOT_TOP:.2}""#
            )),
            "{svg}"
        );
    }

    #[test]
    fn values_a_log_axis_cannot_show_are_counted_in_the_legend() {
        let svg = render_svg(&chart(vec![Series {
            name: "s".into(),
            values: vec![0.5, 0.0, f64::INFINITY],
        }]));
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(svg.contains("(2 of 3 layers not drawn: zero or not finite)"));
    }
}
