//! Minimal SVG plots for `--out` directories and `balnet reproduce`: a figure next to each CSV
//! where a picture says more than a table (eigenvalues against the Girko disk, Fig. 4A;
//! autocorrelations, Fig. 7C; the median largest exponent against J0, Fig. 13; the heatmap of
//! Fig. 2B). Hand-written: axes, lines, markers, histogram bars, a heatmap with its colour bar
//! and one inset need no plotting crate (and no font files).

use std::fmt::Write;

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Solid line (theory curves).
    Line,
    /// Dashed line (a second family of curves, reference laws).
    Dashed,
    /// Small dots (point clouds: eigenvalues, rasters).
    Points,
    /// Filled circles with a dark edge (simulation results beside a theory line).
    Markers,
    /// Open squares (a second kind of simulation results).
    Squares,
    /// Histogram bars from y = 0, one per point, as wide as the spacing of the points.
    Bars,
}

/// One labelled data series.
#[derive(Clone, Debug)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub style: Style,
    /// A fixed colour (the paper's: E red or orange, I blue); `None` takes the next of the cycle.
    pub color: Option<&'static str>,
}

impl Series {
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>, style: Style) -> Self {
        Series {
            label: label.into(),
            points,
            style,
            color: None,
        }
    }

    /// The same series in a fixed colour.
    pub fn color(self, color: &'static str) -> Self {
        Series {
            color: Some(color),
            ..self
        }
    }
}

/// The paper's colour for excitatory neurons in Figs. 7-11 (orange) and Fig. 1 (red).
pub const ORANGE: &str = "#ff7f0e";
pub const RED: &str = "#d62728";
/// The paper's colour for inhibitory neurons.
pub const BLUE: &str = "#1f77b4";
pub const GREEN: &str = "#2ca02c";
pub const BLACK: &str = "#222222";
pub const MAGENTA: &str = "#e377c2";

/// Values on a regular grid drawn as coloured cells, with a colour bar.
#[derive(Clone, Debug)]
pub struct Heatmap {
    /// The x range covered by the cells (cell edges).
    pub x: (f64, f64),
    /// The y range covered by the cells.
    pub y: (f64, f64),
    pub nx: usize,
    pub ny: usize,
    /// `ny` rows of `nx` values, the first row at the smallest y. NaN cells stay white.
    pub values: Vec<f64>,
    /// What the colour means (with units).
    pub label: String,
}

/// A plot: series, optional circles (centre x, centre y, radius, label), horizontal and
/// vertical reference lines, a heatmap and an inset.
#[derive(Clone, Debug, Default)]
pub struct Plot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub circles: Vec<(f64, f64, f64, String)>,
    pub h_lines: Vec<f64>,
    pub v_lines: Vec<f64>,
    /// Shaded vertical bands (x from, x to), e.g. a transition region.
    pub bands: Vec<(f64, f64)>,
    /// Same scale on both axes (for the complex plane).
    pub equal_aspect: bool,
    pub heatmap: Option<Heatmap>,
    /// A smaller plot drawn in the upper-right corner of the frame.
    pub inset: Option<Box<Plot>>,
}

const COLORS: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// The page geometry of one plot, in pixels.
#[derive(Clone, Copy)]
struct Frame {
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    /// Font size of tick labels and legend.
    font: f64,
}

const MAIN: Frame = Frame {
    w: 640.0,
    h: 480.0,
    left: 70.0,
    right: 20.0,
    top: 40.0,
    bottom: 55.0,
    font: 12.0,
};
/// With a colour bar on the right.
const MAIN_HEATMAP: Frame = Frame {
    right: 110.0,
    ..MAIN
};
const INSET: Frame = Frame {
    w: 260.0,
    h: 190.0,
    left: 50.0,
    right: 8.0,
    top: 22.0,
    bottom: 36.0,
    font: 10.0,
};

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

/// A perceptually ordered colour map (dark blue, teal, green, yellow) for t in [0, 1].
fn colormap(t: f64) -> String {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let k = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - k as f64;
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    let mix = |x: f64, y: f64| (x + f * (y - x)).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// Counts of `values` in `bins` equal bins over [lo, hi], normalised to a probability density
/// (area 1 over the values that fall inside); points at the bin centres, for `Style::Bars`.
pub fn histogram(values: &[f64], bins: usize, lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let bins = bins.max(1);
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for &v in values {
        if v.is_finite() && v >= lo && v <= hi {
            counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
        }
    }
    let total: usize = counts.iter().sum();
    counts
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            (
                lo + (k as f64 + 0.5) * width,
                c as f64 / (total.max(1) as f64 * width),
            )
        })
        .collect()
}

/// Where a legend box sits in the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Corner {
    TopRight,
    TopLeft,
    BottomRight,
    BottomLeft,
}

/// The bar width of a `Bars` series: the smallest spacing of its x values.
fn bar_width(points: &[(f64, f64)]) -> f64 {
    let mut xs: Vec<f64> = points
        .iter()
        .map(|p| p.0)
        .filter(|x| x.is_finite())
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min)
}

/// The top-left pixel of a `w` x `h` box in corner `c` of the frame, 6 px from its edges.
fn corner_box(f: &Frame, c: Corner, w: f64, h: f64) -> (f64, f64) {
    let (right, bottom) = (f.w - f.right - w - 6.0, f.h - f.bottom - h - 6.0);
    match c {
        Corner::TopRight => (right, f.top + 6.0),
        Corner::TopLeft => (f.left + 6.0, f.top + 6.0),
        Corner::BottomRight => (right, bottom),
        Corner::BottomLeft => (f.left + 6.0, bottom),
    }
}

/// How many of the pixel points `pts` fall in the box at (x, y) of size w x h.
fn covered(pts: &[(f64, f64)], x: f64, y: f64, w: f64, h: f64) -> usize {
    pts.iter()
        .filter(|(a, b)| *a >= x && *a <= x + w && *b >= y && *b <= y + h)
        .count()
}

impl Plot {
    /// The data range (finite points, circles, lines, bands and heatmap), padded by 5 %.
    fn range(&self, f: &Frame) -> (f64, f64, f64, f64) {
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
            let half = if s.style == Style::Bars {
                0.5 * bar_width(&s.points)
            } else {
                0.0
            };
            for &(x, y) in &s.points {
                eat(x, y);
                if s.style == Style::Bars && half.is_finite() {
                    eat(x - half, 0.0);
                    eat(x + half, 0.0);
                }
            }
        }
        for &(cx, cy, r, _) in &self.circles {
            eat(cx - r, cy - r);
            eat(cx + r, cy + r);
        }
        if let Some(h) = &self.heatmap {
            eat(h.x.0, h.y.0);
            eat(h.x.1, h.y.1);
        }
        if x0 > x1 {
            (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
        }
        for &h in &self.h_lines {
            (y0, y1) = (y0.min(h), y1.max(h));
        }
        for &v in &self.v_lines {
            (x0, x1) = (x0.min(v), x1.max(v));
        }
        for &(a, b) in &self.bands {
            (x0, x1) = (x0.min(a.min(b)), x1.max(a.max(b)));
        }
        if self.heatmap.is_some() {
            // Cells fill the frame exactly.
            return (x0, x1, y0, y1);
        }
        let pad = |a: f64, b: f64| {
            let d = if b > a { 0.05 * (b - a) } else { 0.5 };
            (a - d, b + d)
        };
        let ((x0, x1), (y0, y1)) = (pad(x0, x1), pad(y0, y1));
        if self.equal_aspect {
            // Widen the narrower axis so one unit has the same length on both.
            let (pw, ph) = (f.w - f.left - f.right, f.h - f.top - f.bottom);
            let scale = ((x1 - x0) / pw).max((y1 - y0) / ph);
            let (cx, cy) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
            let (hx, hy) = (0.5 * scale * pw, 0.5 * scale * ph);
            return (cx - hx, cx + hx, cy - hy, cy + hy);
        }
        (x0, x1, y0, y1)
    }

    /// The plotted numbers as CSV, so a figure's data can be compared without parsing SVG:
    /// `panel,series,x,y,value` with panel `main` or `inset`; `value` is empty for series
    /// points, the radius for a circle (x, y: its centre) and the colour value for a heatmap
    /// cell (x, y: the cell centre).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("panel,series,x,y,value\n");
        self.csv_rows("main", &mut out);
        if let Some(inset) = &self.inset {
            inset.csv_rows("inset", &mut out);
        }
        out
    }

    fn csv_rows(&self, panel: &str, out: &mut String) {
        let quote = |l: &str| format!("\"{}\"", l.replace('"', "'"));
        for (k, ser) in self.series.iter().enumerate() {
            // An unlabelled copy of a labelled series (a line joining markers) adds nothing.
            let copy = ser.label.is_empty()
                && self
                    .series
                    .iter()
                    .any(|o| !o.label.is_empty() && o.points == ser.points);
            if copy {
                continue;
            }
            let name = if ser.label.is_empty() {
                format!("series {k}")
            } else {
                ser.label.clone()
            };
            for (x, y) in &ser.points {
                let _ = writeln!(out, "{panel},{},{x:e},{y:e},", quote(&name));
            }
        }
        for (cx, cy, r, label) in &self.circles {
            let _ = writeln!(out, "{panel},{},{cx:e},{cy:e},{r:e}", quote(label));
        }
        if let Some(h) = &self.heatmap {
            let (dx, dy) = ((h.x.1 - h.x.0) / h.nx as f64, (h.y.1 - h.y.0) / h.ny as f64);
            for j in 0..h.ny {
                for i in 0..h.nx {
                    let v = h.values.get(j * h.nx + i).copied().unwrap_or(f64::NAN);
                    let (x, y) = (h.x.0 + (i as f64 + 0.5) * dx, h.y.0 + (j as f64 + 0.5) * dy);
                    let _ = writeln!(out, "{panel},heatmap,{x:e},{y:e},{v:e}");
                }
            }
        }
    }

    /// Pixels where the data lie (points, samples along line segments, and the area of each
    /// histogram bar), for placing the legend and the inset where they hide nothing.
    fn occupied(&self, map: impl Fn((f64, f64)) -> (f64, f64)) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        for ser in &self.series {
            let pts: Vec<(f64, f64)> = ser
                .points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .copied()
                .collect();
            for &(x, y) in &pts {
                out.push(map((x, y)));
                if ser.style == Style::Bars {
                    out.extend((1..8).map(|k| map((x, y * k as f64 / 8.0))));
                }
            }
            if matches!(ser.style, Style::Line | Style::Dashed) {
                for w in pts.windows(2) {
                    out.extend((1..8).map(|k| {
                        let t = k as f64 / 8.0;
                        map((
                            w[0].0 + t * (w[1].0 - w[0].0),
                            w[0].1 + t * (w[1].1 - w[0].1),
                        ))
                    }));
                }
            }
        }
        out
    }

    /// The SVG document.
    pub fn render(&self) -> String {
        let f = if self.heatmap.is_some() {
            MAIN_HEATMAP
        } else {
            MAIN
        };
        let mut s = String::new();
        // Writing into a String cannot fail; the results are ignored throughout.
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="{font}">"#,
            w = f.w,
            h = f.h,
            font = f.font
        );
        self.body(&f, &mut s);
        s.push_str("</svg>\n");
        s
    }

    /// Everything inside the frame `f`, in its own pixel coordinates.
    fn body(&self, f: &Frame, s: &mut String) {
        let (x0, x1, y0, mut y1) = self.range(f);
        let (right_edge, bottom_edge) = (f.w - f.right, f.h - f.bottom);
        let to_px = |y1: f64| {
            move |(x, y): (f64, f64)| {
                (
                    f.left + (x - x0) / (x1 - x0) * (right_edge - f.left),
                    bottom_edge - (y - y0) / (y1 - y0) * (bottom_edge - f.top),
                )
            }
        };
        let inset_corner = if self.inset.is_some() {
            let free = |y1: f64, c: Corner| {
                let (ix, iy) = corner_box(f, c, INSET.w, INSET.h);
                covered(&self.occupied(to_px(y1)), ix, iy, INSET.w, INSET.h)
            };
            let tops = [Corner::TopRight, Corner::TopLeft];
            if tops.iter().all(|&c| free(y1, c) > 0) && self.heatmap.is_none() {
                // No free upper corner: raise the top so the data stay below the inset.
                let ph = bottom_edge - f.top;
                y1 = y0 + (y1 - y0) * ph / (ph - INSET.h - 12.0);
            }
            tops.into_iter().min_by_key(|&c| free(y1, c))
        } else {
            None
        };
        // The legend box: one row per labelled circle or series.
        let labels: Vec<&str> = self
            .circles
            .iter()
            .map(|c| c.3.as_str())
            .chain(self.series.iter().map(|s| s.label.as_str()))
            .filter(|l| !l.is_empty())
            .collect();
        let row = f.font + 5.0;
        let chars = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let (bw, bh) = (
            0.6 * f.font * chars as f64 + 34.0,
            row * labels.len() as f64 + 6.0,
        );
        let corners: Vec<Corner> = [
            Corner::TopRight,
            Corner::TopLeft,
            Corner::BottomRight,
            Corner::BottomLeft,
        ]
        .into_iter()
        .filter(|c| Some(*c) != inset_corner)
        .collect();
        let legend_cover = |y1: f64, c: Corner| {
            let (lx, ly) = corner_box(f, c, bw, bh);
            covered(&self.occupied(to_px(y1)), lx, ly, bw, bh)
        };
        if !labels.is_empty()
            && self.heatmap.is_none()
            && corners.iter().all(|&c| legend_cover(y1, c) > 0)
        {
            // Every corner holds data: raise the top so the legend fits above them.
            let ph = bottom_edge - f.top;
            y1 = y0 + (y1 - y0) * ph / (ph - bh - 12.0).max(0.3 * ph);
        }
        // The corner whose box covers the fewest data points (ties: the first listed).
        let legend_corner = corners
            .iter()
            .copied()
            .min_by_key(|&c| legend_cover(y1, c))
            .unwrap_or(Corner::TopLeft);
        let map = to_px(y1);
        let px = |x: f64| map((x, y0)).0;
        let py = |y: f64| map((x0, y)).1;
        let _ = writeln!(
            s,
            r#"<rect width="{}" height="{}" fill="white" stroke="{}"/>"#,
            f.w,
            f.h,
            if f.font < MAIN.font { "#999" } else { "none" }
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="{}">{}</text>"#,
            (f.left + right_edge) / 2.0,
            f.top - 0.45 * f.top,
            f.font + 2.0,
            escape(&self.title)
        );
        for &(a, b) in &self.bands {
            let (xa, xb) = (px(a.min(b)), px(a.max(b)));
            let _ = writeln!(
                s,
                r##"<rect x="{xa:.1}" y="{}" width="{:.1}" height="{}" fill="#bbb" fill-opacity="0.35"/>"##,
                f.top,
                xb - xa,
                bottom_edge - f.top
            );
        }
        if let Some(h) = &self.heatmap {
            self.draw_heatmap(h, f, s, &px, &py);
        }
        // Grid and ticks.
        for t in ticks(x0, x1) {
            let x = px(t);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{bottom_edge:.1}" stroke="#ddd" stroke-opacity="{}"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                f.top,
                if self.heatmap.is_some() { 0.0 } else { 1.0 },
                bottom_edge + f.font + 4.0,
                fmt_tick(t)
            );
        }
        for t in ticks(y0, y1) {
            let y = py(t);
            let _ = writeln!(
                s,
                r##"<line x1="{}" y1="{y:.1}" x2="{right_edge:.1}" y2="{y:.1}" stroke="#ddd" stroke-opacity="{}"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                f.left,
                if self.heatmap.is_some() { 0.0 } else { 1.0 },
                f.left - 5.0,
                y + 0.33 * f.font,
                fmt_tick(t)
            );
        }
        let _ = writeln!(
            s,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="black"/>"#,
            f.left,
            f.top,
            right_edge - f.left,
            bottom_edge - f.top
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            (f.left + right_edge) / 2.0,
            f.h - 0.25 * f.bottom,
            escape(&self.x_label)
        );
        let yl = (f.top + bottom_edge) / 2.0;
        let xl = 0.25 * f.left;
        let _ = writeln!(
            s,
            r#"<text x="{xl}" y="{yl}" text-anchor="middle" transform="rotate(-90 {xl} {yl})">{}</text>"#,
            escape(&self.y_label)
        );
        // Reference lines: dark grey, white over a heatmap.
        let rule = if self.heatmap.is_some() {
            "white"
        } else {
            "#555"
        };
        for &h in &self.h_lines {
            let _ = writeln!(
                s,
                r##"<line x1="{}" y1="{y:.1}" x2="{right_edge:.1}" y2="{y:.1}" stroke="{rule}" stroke-width="1.5" stroke-dasharray="5 4"/>"##,
                f.left,
                y = py(h)
            );
        }
        for &v in &self.v_lines {
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{bottom_edge:.1}" stroke="{rule}" stroke-width="1.5" stroke-dasharray="5 4"/>"##,
                f.top,
                x = px(v)
            );
        }
        // (label, colour, style) of every legend entry; circles first.
        let mut legend: Vec<(String, &str, Style)> = Vec::new();
        for (k, &(cx, cy, r, ref label)) in self.circles.iter().enumerate() {
            let color = if self.series.is_empty() {
                COLORS[k % COLORS.len()]
            } else {
                BLACK
            };
            let _ = writeln!(
                s,
                r#"<ellipse cx="{:.1}" cy="{:.1}" rx="{:.1}" ry="{:.1}" fill="none" stroke="{color}" stroke-width="1.5" stroke-dasharray="6 4"/>"#,
                px(cx),
                py(cy),
                px(cx + r) - px(cx),
                py(cy) - py(cy + r)
            );
            if !label.is_empty() {
                legend.push((label.clone(), color, Style::Dashed));
            }
        }
        let mut cycle = 0;
        for ser in &self.series {
            let color = ser.color.unwrap_or_else(|| {
                cycle += 1;
                COLORS[(cycle - 1) % COLORS.len()]
            });
            let pts: Vec<(f64, f64)> = ser
                .points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|&(x, y)| (px(x), py(y)))
                .collect();
            draw_series(
                s,
                ser.style,
                color,
                &pts,
                px(0.0) - px(-bar_width(&ser.points)),
                py(0.0),
            );
            if !ser.label.is_empty() {
                legend.push((ser.label.clone(), color, ser.style));
            }
        }
        if let (Some(inset), Some(c)) = (&self.inset, inset_corner) {
            let (ix, iy) = corner_box(f, c, INSET.w, INSET.h);
            let _ = writeln!(
                s,
                r#"<svg x="{ix:.1}" y="{iy:.1}" width="{}" height="{}" font-size="{}">"#,
                INSET.w, INSET.h, INSET.font
            );
            inset.body(&INSET, s);
            s.push_str("</svg>\n");
        }
        if legend.is_empty() {
            return;
        }
        let (lx, ly) = corner_box(f, legend_corner, bw, bh);
        let _ = writeln!(
            s,
            r##"<rect x="{lx:.1}" y="{ly:.1}" width="{bw:.1}" height="{bh:.1}" fill="white" fill-opacity="0.85" stroke="#bbb"/>"##
        );
        for (k, (label, color, style)) in legend.iter().enumerate() {
            let y = ly + 3.0 + row * (k as f64 + 0.5);
            let x = lx + 6.0;
            let mid = (x + 10.0, y);
            match style {
                Style::Line | Style::Dashed => {
                    let _ = writeln!(
                        s,
                        r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{color}" stroke-width="2"{}/>"#,
                        x + 20.0,
                        if *style == Style::Dashed {
                            r#" stroke-dasharray="5 3""#
                        } else {
                            ""
                        }
                    );
                }
                _ => draw_series(s, *style, color, &[mid], 10.0, y + 0.4 * f.font),
            }
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
                x + 26.0,
                y + 0.35 * f.font,
                escape(label)
            );
        }
    }

    fn draw_heatmap(
        &self,
        h: &Heatmap,
        f: &Frame,
        s: &mut String,
        px: &dyn Fn(f64) -> f64,
        py: &dyn Fn(f64) -> f64,
    ) {
        let finite = h.values.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        let span = if hi > lo { hi - lo } else { 1.0 };
        let (dx, dy) = (
            (h.x.1 - h.x.0) / h.nx.max(1) as f64,
            (h.y.1 - h.y.0) / h.ny.max(1) as f64,
        );
        for j in 0..h.ny {
            for i in 0..h.nx {
                let v = h.values.get(j * h.nx + i).copied().unwrap_or(f64::NAN);
                if !v.is_finite() {
                    continue;
                }
                let (xa, xb) = (px(h.x.0 + i as f64 * dx), px(h.x.0 + (i + 1) as f64 * dx));
                let (ya, yb) = (py(h.y.0 + (j + 1) as f64 * dy), py(h.y.0 + j as f64 * dy));
                // Cells overlap by half a pixel so no hairline gaps show between them.
                let _ = writeln!(
                    s,
                    r#"<rect x="{xa:.1}" y="{ya:.1}" width="{:.1}" height="{:.1}" fill="{}"/>"#,
                    xb - xa + 0.5,
                    yb - ya + 0.5,
                    colormap((v - lo) / span)
                );
            }
        }
        // Colour bar.
        let (bx, top, bottom) = (f.w - f.right + 18.0, f.top, f.h - f.bottom);
        let steps = 50;
        for k in 0..steps {
            let t = k as f64 / steps as f64;
            let y = bottom - (t + 1.0 / steps as f64) * (bottom - top);
            let _ = writeln!(
                s,
                r#"<rect x="{bx:.1}" y="{y:.1}" width="14" height="{:.1}" fill="{}"/>"#,
                (bottom - top) / steps as f64 + 0.5,
                colormap(t + 0.5 / steps as f64)
            );
        }
        let _ = writeln!(
            s,
            r#"<rect x="{bx:.1}" y="{top}" width="14" height="{}" fill="none" stroke="black"/>"#,
            bottom - top
        );
        for t in ticks(lo, hi) {
            let y = bottom - (t - lo) / span * (bottom - top);
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
                bx + 18.0,
                y + 4.0,
                fmt_tick(t)
            );
        }
        let (lx, ly) = (f.w - 12.0, (top + bottom) / 2.0);
        let _ = writeln!(
            s,
            r#"<text x="{lx}" y="{ly}" text-anchor="middle" transform="rotate(-90 {lx} {ly})">{}</text>"#,
            escape(&h.label)
        );
    }
}

/// Draw pixel points `pts` in `style`; `bar_px` is a bar's width and `base_px` the pixel row
/// of y = 0 (for `Bars`).
fn draw_series(
    s: &mut String,
    style: Style,
    color: &str,
    pts: &[(f64, f64)],
    bar_px: f64,
    base_px: f64,
) {
    match style {
        Style::Line | Style::Dashed => {
            let d: Vec<String> = pts.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let _ = writeln!(
                s,
                r#"<polyline fill="none" stroke="{color}" stroke-width="1.6"{} points="{}"/>"#,
                if style == Style::Dashed {
                    r#" stroke-dasharray="6 4""#
                } else {
                    ""
                },
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
        Style::Markers => {
            for (x, y) in pts {
                let _ = writeln!(
                    s,
                    r##"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{color}" stroke="#222" stroke-width="0.7"/>"##
                );
            }
        }
        Style::Squares => {
            for (x, y) in pts {
                let _ = writeln!(
                    s,
                    r#"<rect x="{:.1}" y="{:.1}" width="8" height="8" fill="white" fill-opacity="0.6" stroke="{color}" stroke-width="1.6"/>"#,
                    x - 4.0,
                    y - 4.0
                );
            }
        }
        Style::Bars => {
            let w = if bar_px.is_finite() && bar_px > 0.0 {
                bar_px
            } else {
                8.0
            };
            for (x, y) in pts {
                let (top, h) = if *y < base_px {
                    (*y, base_px - y)
                } else {
                    (base_px, y - base_px)
                };
                let _ = writeln!(
                    s,
                    r#"<rect x="{:.1}" y="{top:.1}" width="{w:.1}" height="{h:.1}" fill="{color}" fill-opacity="0.45" stroke="{color}" stroke-width="0.6"/>"#,
                    x - 0.5 * w
                );
            }
        }
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

    fn attr(line: &str, k: &str) -> f64 {
        let i = line.find(&format!(" {k}=\"")).unwrap() + k.len() + 3;
        line[i..].split('"').next().unwrap().parse().unwrap()
    }

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
                Series::new(
                    "line",
                    vec![(0.0, 0.0), (1.0, 2.0), (2.0, f64::NAN)],
                    Style::Line,
                ),
                Series::new("pts", vec![(0.5, 1.0), (1.5, -1.0)], Style::Points).color(RED),
            ],
            circles: vec![(0.0, 0.0, 1.0, "disk".into())],
            h_lines: vec![0.0],
            equal_aspect: true,
            ..Plot::default()
        };
        let svg = p.render();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("t &lt;1&gt;"));
        // One polyline for the data; the legend draws line swatches as <line>.
        assert_eq!(svg.matches("<polyline").count(), 1);
        // Two data points and one legend dot, all in the fixed colour.
        assert_eq!(svg.matches(r##"<circle"##).count(), 3);
        assert_eq!(svg.matches(r##"fill="#d62728""##).count(), 3);
        assert_eq!(svg.matches("<ellipse").count(), 1);
        // Equal aspect: the unit circle is drawn round.
        let e = svg.lines().find(|l| l.starts_with("<ellipse")).unwrap();
        assert!((attr(e, "rx") - attr(e, "ry")).abs() < 0.2, "{e}");
        for l in svg.lines().filter(|l| l.starts_with("<circle")) {
            assert!(!l.contains("NaN") && !l.contains("inf"), "{l}");
        }
    }

    #[test]
    fn the_legend_goes_to_the_emptiest_corner() {
        // Data crowd the upper right; the legend must not cover them.
        let pts: Vec<(f64, f64)> = (0..50)
            .map(|k| (0.8 + 0.004 * k as f64, 0.8 + 0.004 * k as f64))
            .chain([(0.0, 0.0)])
            .collect();
        let p = Plot {
            series: vec![Series::new("crowd", pts, Style::Markers)],
            ..Plot::default()
        };
        let svg = p.render();
        let bg = svg
            .lines()
            .find(|l| l.contains(r#"fill-opacity="0.85""#))
            .expect("legend box");
        // Upper left: x near the left edge, y near the top.
        assert!(attr(bg, "x") < 100.0 && attr(bg, "y") < 60.0, "{bg}");
    }

    #[test]
    fn a_histogram_is_a_density() {
        // Bin centres of a fine grid: no value sits on a bin edge, where rounding decides.
        let v: Vec<f64> = (0..1000).map(|k| (k as f64 + 0.5) / 1000.0).collect();
        let h = histogram(&v, 10, 0.0, 1.0);
        assert_eq!(h.len(), 10);
        let area: f64 = h.iter().map(|(_, d)| d * 0.1).sum();
        assert!((area - 1.0).abs() < 1e-12);
        // Uniform data: every bin holds the density 1.
        assert!(h.iter().all(|(_, d)| (d - 1.0).abs() < 1e-12), "{h:?}");
        assert!((h[0].0 - 0.05).abs() < 1e-12);
    }

    #[test]
    fn a_heatmap_draws_every_finite_cell_and_a_colour_bar() {
        let p = Plot {
            heatmap: Some(Heatmap {
                x: (0.0, 3.0),
                y: (0.0, 2.0),
                nx: 3,
                ny: 2,
                values: vec![0.0, 1.0, 2.0, 3.0, f64::NAN, 5.0],
                label: "value".into(),
            }),
            v_lines: vec![1.5],
            ..Plot::default()
        };
        let svg = p.render();
        // 5 finite cells (the first is the darkest colour, the last the brightest) + 50 strips.
        let cells = svg.matches(r#"<rect x="#).count();
        assert!(cells >= 5 + 50, "{cells}");
        assert!(svg.contains(&format!(r#"fill="{}""#, colormap(0.0))));
        assert!(svg.contains(&format!(r#"fill="{}""#, colormap(1.0))));
        assert!(svg.contains("stroke-dasharray"));
        assert_eq!(colormap(0.0), "#440154");
        assert_eq!(colormap(1.0), "#fde725");
    }

    #[test]
    fn the_csv_holds_every_plotted_number() {
        let p = Plot {
            series: vec![Series::new(
                "a, b",
                vec![(1.0, 2.0), (3.0, 4.0)],
                Style::Line,
            )],
            circles: vec![(-1.0, 0.0, 0.5, "disk".into())],
            inset: Some(Box::new(Plot {
                series: vec![Series::new("", vec![(5.0, 6.0)], Style::Markers)],
                ..Plot::default()
            })),
            ..Plot::default()
        };
        let csv = p.to_csv();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows[0], "panel,series,x,y,value");
        assert_eq!(rows[1], "main,\"a, b\",1e0,2e0,");
        assert_eq!(rows[3], "main,\"disk\",-1e0,0e0,5e-1");
        assert_eq!(rows[4], "inset,\"series 0\",5e0,6e0,");
        assert_eq!(rows.len(), 5);
    }

    #[test]
    fn an_inset_is_a_nested_plot() {
        let inner = Plot {
            title: "inset".into(),
            series: vec![Series::new("a", vec![(0.0, 1.0), (1.0, 0.0)], Style::Line)],
            ..Plot::default()
        };
        let p = Plot {
            series: vec![Series::new(
                "b",
                vec![(0.0, 0.0), (1.0, 1.0)],
                Style::Dashed,
            )],
            inset: Some(Box::new(inner)),
            ..Plot::default()
        };
        let svg = p.render();
        assert_eq!(svg.matches("<svg").count(), 2);
        assert_eq!(svg.matches("</svg>").count(), 2);
        assert!(svg.contains(">inset</text>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
    }
}
