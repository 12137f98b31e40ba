//! The Pareto chart as server-side SVG geometry: no script, no CDN. This module turns the
//! concentration curve and the tier bands into coordinates; `templates/pareto.html` draws them.

use crate::domain::pareto::{CurvePoint, TierBand};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 400.0;
/// Room for the y ticks and the rotated axis label, also at the larger font a phone gets.
const LEFT: f64 = 84.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 56.0;

/// A tier band: a shaded column of the plot with its label.
pub struct BandShape {
    pub tier: String,
    pub label: String,
    pub x: String,
    pub width: String,
    pub label_x: String,
    /// Whether the band is wide enough to carry its label.
    pub labelled: bool,
}

pub struct Tick {
    pub pos: String,
    pub label: String,
}

/// Everything the template needs to draw the chart; numbers are pre-formatted.
pub struct LorenzChart {
    pub width: f64,
    pub height: f64,
    pub left: String,
    pub right: String,
    pub top: String,
    pub bottom: String,
    pub mid_x: String,
    pub mid_y: String,
    pub label_y: String,
    pub bands: Vec<BandShape>,
    /// x positions of the cut lines between tiers.
    pub cuts: Vec<String>,
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    /// `x,y x,y …` of the curve; empty when the total is not positive.
    pub curve: String,
    /// The equal-share diagonal, `x1 y1 x2 y2`.
    pub diagonal: [String; 4],
    /// Where the curve reaches 80 % (x, y), when it does.
    pub marker_80: Option<(String, String)>,
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

impl LorenzChart {
    /// `curve` is in percent (x = share of accounts from the top, y = share of value);
    /// `accounts_for_80pct_x` is the share of accounts (percent) holding 80 % of the value.
    pub fn new(
        curve: &[CurvePoint],
        bands: &[(TierBand, String)],
        accounts_for_80pct_x: Option<f64>,
    ) -> LorenzChart {
        let y_top = curve
            .iter()
            .map(|p| p.y)
            .fold(100.0_f64, f64::max)
            .min(1_000.0);
        let y_max = (y_top / 20.0).ceil() * 20.0;
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let px = |x: f64| LEFT + plot_w * x.clamp(0.0, 100.0) / 100.0;
        let py = |y: f64| TOP + plot_h * (1.0 - y.clamp(-y_max, y_max) / y_max);
        let band_shapes = bands
            .iter()
            .map(|(band, label)| {
                let (x0, x1) = (px(band.x_start), px(band.x_end));
                BandShape {
                    tier: band.tier.clone(),
                    label: label.clone(),
                    x: f(x0),
                    width: f((x1 - x0).max(0.0)),
                    label_x: f((x0 + x1) / 2.0),
                    labelled: x1 - x0 >= 36.0,
                }
            })
            .collect();
        let cuts = bands
            .iter()
            .take(bands.len().saturating_sub(1))
            .map(|(band, _)| f(px(band.x_end)))
            .collect();
        let x_ticks = (0..=5)
            .map(|k| {
                let x = k as f64 * 20.0;
                Tick {
                    pos: f(px(x)),
                    label: format!("{x:.0}%"),
                }
            })
            .collect();
        let steps = (y_max / 20.0) as usize;
        let y_ticks = (0..=steps)
            .map(|k| {
                let y = k as f64 * 20.0;
                Tick {
                    pos: f(py(y)),
                    label: format!("{y:.0}%"),
                }
            })
            .collect();
        let points: Vec<String> = curve
            .iter()
            .map(|p| format!("{},{}", f(px(p.x)), f(py(p.y))))
            .collect();
        LorenzChart {
            width: WIDTH,
            height: HEIGHT,
            left: f(LEFT),
            right: f(WIDTH - RIGHT),
            top: f(TOP),
            bottom: f(HEIGHT - BOTTOM),
            mid_x: f(LEFT + plot_w / 2.0),
            mid_y: f(TOP + plot_h / 2.0),
            label_y: f(HEIGHT - 12.0),
            bands: band_shapes,
            cuts,
            x_ticks,
            y_ticks,
            curve: points.join(" "),
            diagonal: [f(px(0.0)), f(py(0.0)), f(px(100.0)), f(py(100.0))],
            marker_80: accounts_for_80pct_x
                .filter(|_| !curve.is_empty())
                .map(|x| (f(px(x)), f(py(80.0)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_spans_the_plot_and_bands_become_columns() {
        let curve = [
            CurvePoint { x: 0.0, y: 0.0 },
            CurvePoint { x: 50.0, y: 90.0 },
            CurvePoint { x: 100.0, y: 100.0 },
        ];
        let band = |tier: &str, x_start, x_end| TierBand {
            tier: tier.to_owned(),
            label_zh: tier.to_owned(),
            label_en: tier.to_owned(),
            count: 1,
            x_start,
            x_end,
        };
        let bands = [
            (band("major", 0.0, 50.0), "major".to_owned()),
            (band("small", 50.0, 100.0), "small".to_owned()),
        ];
        let chart = LorenzChart::new(&curve, &bands, Some(40.0));
        assert_eq!(chart.curve, "84.0,344.0 354.0,59.6 624.0,28.0");
        assert_eq!(chart.cuts, ["354.0"]);
        assert_eq!(chart.bands[1].x, "354.0");
        assert_eq!(chart.y_ticks.len(), 6);
    }
}
