//! Minimal SVG plots for `--out` directories: a figure next to each CSV where a picture says
//! more than a table (eigenvalues against the Girko disk, Fig. 4A; autocorrelations, Fig. 7C;
//! the median largest exponent against J0, Fig. 13). Hand-written: a few axes, lines, points
//! and circles need no plotting crate.

use std::fmt::Write;

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Line,
    Points,
}

/// One labelled data series.
#[derive(Clone, Debug)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub style: Style,
}

/// A plot: series, optional circles (centre x, centre y, radius, label) and horizontal lines.
#[derive(Clone, Debug, Default)]
pub struct Plot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub circles: Vec<(f64, f64, f64, String)>,
    pub h_lines: Vec<f64>,
    /// Same scale on both axes (for the complex plane).
    pub equal_aspect: bool,
}

const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];
const W: f64 = 640.0;
const H: f64 = 480.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 55.0;

/// About five round tick values covering [lo, hi].
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-300);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Plot {
    /// The data range (finite points, circles and lines), padded by 5 %.
    fn range(&self) -> (f64, f64, f64, f64) {
        let (mut x0, mut x1, mut y0, mut y1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        let mut eat = |x: f64, y: f64| {
            if x.is_finite() && y.is_finite() {
                (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
            }
        };
        for s in &self.series {
            for &(x, y) in &s.points {
                eat(x, y);
            }
        }
        for &(cx, cy, r, _) in &self.circles {
            eat(cx - r, cy - r);
            eat(cx + r, cy + r);
        }
        if x0 > x1 {
            (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
        }
        for &h in &self.h_lines {
            (y0, y1) = (y0.min(h), y1.max(h));
        }
        let pad = |a: f64, b: f64| {
            let d = if b > a { 0.05 * (b - a) } else { 0.5 };
            (a - d, b + d)
        };
        let ((x0, x1), (y0, y1)) = (pad(x0, x1), pad(y0, y1));
        if self.equal_aspect {
            // Widen the narrower axis so one unit has the same length on both.
            let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
            let scale = ((x1 - x0) / pw).max((y1 - y0) / ph);
            let (cx, cy) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
            let (hx, hy) = (0.5 * scale * pw, 0.5 * scale * ph);
            return (cx - hx, cx + hx, cy - hy, cy + hy);
        }
        (x0, x1, y0, y1)
    }

    /// The SVG document.
    pub fn render(&self) -> String {
        let (x0, x1, y0, y1) = self.range();
        let px = |x: f64| LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        let py = |y: f64| H - BOTTOM - (y - y0) / (y1 - y0) * (H - TOP - BOTTOM);
        let mut s = String::new();
        // Infallible: writing into a String.
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
        let _ = writeln!(
            s,
            r#"<text x="{}" y="22" text-anchor="middle" font-size="14">{}</text>"#,
            W / 2.0,
            escape(&self.title)
        );
        // Frame, ticks and grid.
        let _ = writeln!(
            s,
            r#"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="none" stroke="black"/>"#,
            W - LEFT - RIGHT,
            H - TOP - BOTTOM
        );
        for t in ticks(x0, x1) {
            let x = px(t);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                H - BOTTOM,
                H - BOTTOM + 16.0,
                fmt_tick(t)
            );
        }
        for t in ticks(y0, y1) {
            let y = py(t);
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                W - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                fmt_tick(t)
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            (LEFT + W - RIGHT) / 2.0,
            H - 12.0,
            escape(&self.x_label)
        );
        let _ = writeln!(
            s,
            r#"<text x="18" y="{}" text-anchor="middle" transform="rotate(-90 18 {})">{}</text>"#,
            (TOP + H - BOTTOM) / 2.0,
            (TOP + H - BOTTOM) / 2.0,
            escape(&self.y_label)
        );
        for &h in &self.h_lines {
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#888" stroke-dasharray="4 3"/>"##,
                W - RIGHT,
                y = py(h)
            );
        }
        let mut legend = Vec::new();
        for (k, &(cx, cy, r, ref label)) in self.circles.iter().enumerate() {
            let color = COLORS[(self.series.len() + k) % COLORS.len()];
            let _ = writeln!(
                s,
                r#"<ellipse cx="{:.1}" cy="{:.1}" rx="{:.1}" ry="{:.1}" fill="none" stroke="{color}" stroke-width="1.5"/>"#,
                px(cx),
                py(cy),
                px(cx + r) - px(cx),
                py(cy) - py(cy + r)
            );
            legend.push((label.clone(), color));
        }
        for (k, ser) in self.series.iter().enumerate() {
            let color = COLORS[k % COLORS.len()];
            let pts: Vec<(f64, f64)> = ser
                .points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|&(x, y)| (px(x), py(y)))
                .collect();
            match ser.style {
                Style::Line => {
                    let d: Vec<String> =
                        pts.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                    let _ = writeln!(
                        s,
                        r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#,
                        d.join(" ")
                    );
                }
                Style::Points => {
                    for (x, y) in pts {
                        let _ = writeln!(
                            s,
                            r#"<circle cx="{x:.1}" cy="{y:.1}" r="1.6" fill="{color}"/>"#
                        );
                    }
                }
            }
            legend.push((ser.label.clone(), color));
        }
        for (k, (label, color)) in legend.iter().enumerate() {
            let y = TOP + 16.0 + 16.0 * k as f64;
            let x = W - RIGHT - 150.0;
            let _ = writeln!(
                s,
                r#"<rect x="{x}" y="{}" width="12" height="4" fill="{color}"/><text x="{}" y="{y}">{}</text>"#,
                y - 6.0,
                x + 18.0,
                escape(label)
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

fn fmt_tick(t: f64) -> String {
    if t == 0.0 {
        "0".into()
    } else if t.abs() >= 1e4 || t.abs() < 1e-3 {
        format!("{t:.0e}")
    } else {
        let s = format!("{t:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            ticks(0.0, 1.0),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        let t = ticks(-0.37, 2.2);
        assert!(t.len() >= 3 && t.len() <= 7, "{t:?}");
        assert!(t[0] >= -0.37 && *t.last().unwrap() <= 2.2);
    }

    #[test]
    fn a_plot_has_every_series_and_maps_into_the_frame() {
        let p = Plot {
            title: "t <1>".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![
                Series {
                    label: "line".into(),
                    points: vec![(0.0, 0.0), (1.0, 2.0), (2.0, f64::NAN)],
                    style: Style::Line,
                },
                Series {
                    label: "pts".into(),
                    points: vec![(0.5, 1.0), (1.5, -1.0)],
                    style: Style::Points,
                },
            ],
            circles: vec![(0.0, 0.0, 1.0, "disk".into())],
            h_lines: vec![0.0],
            equal_aspect: true,
        };
        let svg = p.render();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("t &lt;1&gt;"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches("<ellipse").count(), 1);
        // Equal aspect: the unit circle is drawn round.
        let e = svg.lines().find(|l| l.starts_with("<ellipse")).unwrap();
        let get = |k: &str| -> f64 {
            let i = e.find(&format!("{k}=\"")).unwrap() + k.len() + 2;
            e[i..].split('"').next().unwrap().parse().unwrap()
        };
        assert!((get("rx") - get("ry")).abs() < 0.2, "{e}");
        // Every coordinate lies inside the canvas.
        for l in svg.lines().filter(|l| l.starts_with("<circle")) {
            assert!(!l.contains("NaN") && !l.contains("inf"), "{l}");
        }
    }
}
