//! Draws the digest's trend charts as PNG images that the email attaches inline by content id.
//! All text is set in the CJK font shipped in `assets/fonts` (a GB2312 subset of Noto Sans CJK
//! SC), so Chinese titles look the same on every machine and no system font is ever looked up.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ColorType, ImageEncoder};
use once_cell::sync::Lazy;
use plotters::backend::RGBPixel;
use plotters::prelude::*;

use super::digest::{Metric, TrendChart};

/// The shipped font; see `assets/fonts/README.md` for its source, licence and subset.
static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-Regular-subset.otf");

/// The font, parsed once per process (`None` if the shipped file were unreadable).
///
/// Text is rasterised here with ab_glyph rather than through plotters' text elements: plotters
/// 0.3.7's ab_glyph path drops each glyph's left side bearing, which puts full-width
/// punctuation such as `（` on the wrong side of its box.
static FONT: Lazy<Option<FontRef<'static>>> =
    Lazy::new(|| FontRef::try_from_slice(FONT_BYTES).ok());

/// Device pixels per CSS pixel: drawn at 2× so the chart stays sharp on phones.
const SCALE: f64 = 2.0;
/// Size in CSS pixels, as the email's `<img width height>` should state it.
pub const CSS_WIDTH: u32 = 600;
pub const CSS_HEIGHT: u32 = 220;
/// Size of the PNG in device pixels.
pub const WIDTH: u32 = CSS_WIDTH * SCALE as u32;
pub const HEIGHT: u32 = CSS_HEIGHT * SCALE as u32;

/// Height of the band above the plot that holds the title and the latest value (CSS px).
const HEADER: f64 = 36.0;
/// Font sizes (em, CSS px).
const TITLE_SIZE: f64 = 15.0;
const VALUE_SIZE: f64 = 15.0;
const LABEL_SIZE: f64 = 11.0;
const NOTE_SIZE: f64 = 14.0;
/// Points beyond this are still drawn but not every week gets an x label.
const MAX_X_LABELS: usize = 12;
/// Titles longer than this (in chars) are cut before measuring.
const MAX_TITLE_CHARS: usize = 80;

const INK: RGBColor = RGBColor(31, 41, 55);
const MUTED: RGBColor = RGBColor(107, 114, 128);
const AXIS: RGBColor = RGBColor(156, 163, 175);
const GRID: RGBColor = RGBColor(229, 231, 235);
const ZERO: RGBColor = RGBColor(190, 195, 203);
const LINE: RGBColor = RGBColor(37, 99, 235);

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the shipped chart font could not be loaded")]
    Font,
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    #[error("encoding the chart as PNG failed: {0}")]
    Encode(#[from] image::ImageError),
}

fn draw_err<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// CSS pixels to device pixels.
fn px(css: f64) -> f64 {
    css * SCALE
}

fn pxi(css: f64) -> i32 {
    px(css).round() as i32
}

/// Draws one trend chart as a PNG (600×220 CSS px, rendered at 2×: 1200×440 pixels).
///
/// Weeks without a value (`None`, or a non-finite number) leave a gap in the line; a chart with
/// no value at all is drawn with empty axes and a "暂无数据" note.
pub fn trend_png(chart: &TrendChart) -> Result<Vec<u8>, ChartError> {
    let font = FONT.as_ref().ok_or(ChartError::Font)?;
    let mut rgb = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    let labels = {
        let backend = BitMapBackend::<RGBPixel>::with_buffer_and_format(&mut rgb, (WIDTH, HEIGHT))
            .map_err(draw_err)?;
        let root = backend.into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let labels = draw(&root, font, chart)?;
        root.present().map_err(draw_err)?;
        labels
    };
    for label in &labels {
        paint(&mut rgb, font, label);
    }
    let mut png = Vec::with_capacity(48 * 1024);
    PngEncoder::new_with_quality(&mut png, CompressionType::Best, FilterType::Adaptive)
        .write_image(&rgb, WIDTH, HEIGHT, ColorType::Rgb8)?;
    Ok(png)
}

type Area<'a> = DrawingArea<BitMapBackend<'a, RGBPixel>, plotters::coord::Shift>;

/// Horizontal placement of a label relative to its anchor.
#[derive(Debug, Clone, Copy)]
enum Align {
    Left,
    Centre,
    Right,
}

/// Vertical placement: the anchor is the top of the ideographs, or their middle.
#[derive(Debug, Clone, Copy)]
enum VAlign {
    Top,
    Middle,
}

/// A piece of text to paint once plotters has drawn the lines.
#[derive(Debug, Clone)]
struct Label {
    text: String,
    at: (i32, i32),
    /// Em size in CSS px.
    size: f64,
    colour: RGBColor,
    align: Align,
    valign: VAlign,
}

impl Label {
    fn new(text: impl Into<String>, at: (i32, i32), size: f64, colour: RGBColor) -> Self {
        Label {
            text: text.into(),
            at,
            size,
            colour,
            align: Align::Left,
            valign: VAlign::Middle,
        }
    }

    fn align(mut self, align: Align, valign: VAlign) -> Self {
        self.align = align;
        self.valign = valign;
        self
    }
}

/// ab_glyph scales by ascent − descent; this is the scale whose em is `em_px` pixels.
fn px_scale(font: &FontRef<'_>, em_px: f32) -> PxScale {
    let units_per_em = font.units_per_em().unwrap_or(1000.0);
    PxScale::from(em_px * font.height_unscaled() / units_per_em)
}

/// Width in device pixels of `text` set at `size` (em, CSS px).
fn text_width(font: &FontRef<'_>, size: f64, text: &str) -> f32 {
    let scaled = font.as_scaled(px_scale(font, px(size) as f32));
    let mut width = 0.0;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        prev = Some(id);
    }
    width
}

/// Rasterises a label into the RGB buffer, blending its coverage over what is there.
fn paint(rgb: &mut [u8], font: &FontRef<'_>, label: &Label) {
    let em = px(label.size) as f32;
    let scale = px_scale(font, em);
    let scaled = font.as_scaled(scale);
    let width = text_width(font, label.size, &label.text);
    let (x, y) = (label.at.0 as f32, label.at.1 as f32);
    let mut pen = match label.align {
        Align::Left => x,
        Align::Centre => x - width / 2.0,
        Align::Right => x - width,
    };
    // Ideographs span about −0.08..0.88 em around the baseline, Latin capitals 0..0.73 em.
    let baseline = match label.valign {
        VAlign::Top => y + 0.88 * em,
        VAlign::Middle => y + 0.38 * em,
    };
    let colour = [label.colour.0, label.colour.1, label.colour.2];
    let mut prev: Option<GlyphId> = None;
    for c in label.text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            pen += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(scale, ab_glyph::point(pen, baseline));
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i64 + gx as i64;
                let py = bounds.min.y as i64 + gy as i64;
                if px < 0 || py < 0 || px >= WIDTH as i64 || py >= HEIGHT as i64 {
                    return;
                }
                let at = ((py as usize) * WIDTH as usize + px as usize) * 3;
                let a = coverage.clamp(0.0, 1.0);
                if let Some(dst) = rgb.get_mut(at..at + 3) {
                    for (d, c) in dst.iter_mut().zip(colour) {
                        *d = (*d as f32 * (1.0 - a) + c as f32 * a).round() as u8;
                    }
                }
            });
        }
        pen += scaled.h_advance(id);
        prev = Some(id);
    }
}

/// Draws grid, axes, line and markers with plotters; returns the text to paint on top.
fn draw(root: &Area<'_>, font: &FontRef<'_>, chart: &TrendChart) -> Result<Vec<Label>, ChartError> {
    let values: Vec<Option<f64>> = chart
        .points
        .iter()
        .map(|p| p.value.filter(|v| v.is_finite()))
        .collect();
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    let scale = y_scale(chart.metric, &known);
    let mut labels = header_labels(font, chart, &values);

    let (_, body) = root.split_vertically(pxi(HEADER));
    let n = values.len().max(1);
    let (x_lo, x_hi) = (-0.5, n as f64 - 0.5);
    let mut plot = ChartBuilder::on(&body)
        .margin_left(pxi(4.0))
        .margin_right(pxi(16.0))
        .margin_top(pxi(6.0))
        .margin_bottom(pxi(2.0))
        .x_label_area_size(pxi(24.0))
        .y_label_area_size(pxi(48.0))
        .build_cartesian_2d(x_lo..x_hi, scale.lo..scale.hi)
        .map_err(draw_err)?;

    // The grid lines sit on our own round ticks, the x labels under the weeks.
    let grid = GRID.stroke_width(pxi(1.0) as u32);
    for &t in &scale.ticks {
        plot.draw_series(LineSeries::new([(x_lo, t), (x_hi, t)], grid))
            .map_err(draw_err)?;
        let (left, y) = plot.backend_coord(&(x_lo, t));
        let text = format_tick(chart.metric, t, scale.step);
        labels.push(
            Label::new(text, (left - pxi(8.0), y), LABEL_SIZE, MUTED)
                .align(Align::Right, VAlign::Middle),
        );
    }
    let signed = matches!(chart.metric, Metric::Nps | Metric::Sentiment);
    if signed && scale.lo < 0.0 && scale.hi > 0.0 {
        let zero = ZERO.stroke_width(pxi(1.0) as u32);
        plot.draw_series(LineSeries::new([(x_lo, 0.0), (x_hi, 0.0)], zero))
            .map_err(draw_err)?;
    }
    let (left, bottom) = plot.backend_coord(&(x_lo, scale.lo));
    let (right, _) = plot.backend_coord(&(x_hi, scale.lo));
    let axis = AXIS.stroke_width(1);
    root.draw(&PathElement::new(
        vec![(left, bottom), (right, bottom)],
        axis,
    ))
    .map_err(draw_err)?;
    let every = n.div_ceil(MAX_X_LABELS);
    for (i, p) in chart.points.iter().enumerate().step_by(every) {
        let (x, _) = plot.backend_coord(&(i as f64, scale.lo));
        root.draw(&PathElement::new(
            vec![(x, bottom), (x, bottom + pxi(3.0))],
            axis,
        ))
        .map_err(draw_err)?;
        labels.push(
            Label::new(
                short_period(&p.period),
                (x, bottom + pxi(8.0)),
                LABEL_SIZE,
                MUTED,
            )
            .align(Align::Centre, VAlign::Top),
        );
    }

    // One line per run of consecutive weeks with data: a missing week breaks the line.
    let line = LINE.stroke_width(pxi(2.0) as u32);
    for run in runs(&values) {
        if run.len() > 1 {
            plot.draw_series(LineSeries::new(run.iter().copied(), line))
                .map_err(draw_err)?;
        }
    }
    let dots = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i as f64, v)));
    plot.draw_series(
        dots.clone()
            .map(|p| Circle::new(p, pxi(4.0), LINE.filled())),
    )
    .map_err(draw_err)?;
    plot.draw_series(dots.map(|p| Circle::new(p, pxi(2.0), WHITE.filled())))
        .map_err(draw_err)?;

    if known.is_empty() {
        let (xs, ys) = plot.plotting_area().get_pixel_range();
        let centre = ((xs.start + xs.end) / 2, (ys.start + ys.end) / 2);
        labels.push(
            Label::new("暂无数据", centre, NOTE_SIZE, MUTED).align(Align::Centre, VAlign::Middle),
        );
    }
    Ok(labels)
}

/// Title on the left; the latest week with data and its value on the right.
fn header_labels(font: &FontRef<'_>, chart: &TrendChart, values: &[Option<f64>]) -> Vec<Label> {
    let mut labels = Vec::new();
    let mid = pxi(HEADER * 0.55);
    let right = WIDTH as i32 - pxi(16.0);
    let mut title_room = right - pxi(16.0);

    let latest = values
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, v)| v.map(|v| (i, v)));
    if let Some((i, v)) = latest {
        let week = chart
            .points
            .get(i)
            .map(|p| short_period(&p.period))
            .unwrap_or_default();
        let value = format_value(chart.metric, v);
        let value_w = text_width(font, VALUE_SIZE, &value).ceil() as i32;
        let week_text = format!("最新 {week}");
        let week_w = text_width(font, LABEL_SIZE, &week_text).ceil() as i32;
        labels.push(
            Label::new(value, (right, mid), VALUE_SIZE, LINE).align(Align::Right, VAlign::Middle),
        );
        let week_right = right - value_w - pxi(6.0);
        labels.push(
            Label::new(week_text, (week_right, mid), LABEL_SIZE, MUTED)
                .align(Align::Right, VAlign::Middle),
        );
        title_room = week_right - week_w - pxi(16.0) - pxi(16.0);
    }

    let title: String = chart
        .title
        .chars()
        .take(MAX_TITLE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let title = title.trim();
    if !title.is_empty() && title_room > 0 {
        let fitted = fit_text(font, TITLE_SIZE, title, title_room as f32);
        labels.push(Label::new(fitted, (pxi(16.0), mid), TITLE_SIZE, INK));
    }
    labels
}

/// The text itself if it fits in `room` pixels, else its longest prefix that fits with "…".
fn fit_text(font: &FontRef<'_>, size: f64, text: &str, room: f32) -> String {
    if text_width(font, size, text) <= room {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len())
        .rev()
        .map(|keep| chars[..keep].iter().chain(['…'].iter()).collect::<String>())
        .find(|candidate| text_width(font, size, candidate) <= room)
        .unwrap_or_default()
}

/// Consecutive weeks with data, as `(index, value)` points.
fn runs(values: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => current.push((i as f64, *v)),
            None => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `2026-W40` → `W40`; `2026-11-16` → `11-16`; anything else as it is (at most 8 chars).
fn short_period(key: &str) -> String {
    if let Some((_, week)) = key.rsplit_once("-W") {
        return format!("W{week}");
    }
    let parts: Vec<&str> = key.split('-').collect();
    if parts.len() == 3 && parts[0].len() == 4 {
        return format!("{}-{}", parts[1], parts[2]);
    }
    key.chars().take(8).collect()
}

/// The y axis: its bounds and the values that get a grid line and a label.
#[derive(Debug, Clone, PartialEq)]
struct YScale {
    lo: f64,
    hi: f64,
    step: f64,
    ticks: Vec<f64>,
}

/// The metric's possible range (volume has no upper bound) and the smallest padding around data.
fn metric_bounds(metric: Metric) -> (f64, f64, f64) {
    match metric {
        Metric::Nps | Metric::Sentiment => (-100.0, 100.0, 5.0),
        Metric::Csat => (0.0, 100.0, 2.5),
        Metric::Ces => (1.0, 7.0, 0.25),
        Metric::Volume => (0.0, f64::INFINITY, 2.0),
    }
}

/// A y axis that shows the data with some room, on round ticks, inside the metric's range.
/// Volume always starts at zero; with no data the axis shows the metric's usual range.
fn y_scale(metric: Metric, values: &[f64]) -> YScale {
    let (floor, ceil, min_pad) = metric_bounds(metric);
    let (mut lo, mut hi) = if values.is_empty() {
        match metric {
            Metric::Volume => (0.0, 10.0),
            _ => (floor, ceil),
        }
    } else {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = ((max - min) * 0.15).max(min_pad);
        (min - pad, max + pad)
    };
    if metric == Metric::Volume {
        lo = 0.0;
    }
    lo = lo.max(floor);
    hi = hi.min(ceil);
    if hi - lo < min_pad {
        hi = lo + min_pad;
    }
    let mut step = nice_step((hi - lo) / 4.0);
    if matches!(metric, Metric::Volume | Metric::Nps | Metric::Sentiment) {
        step = step.max(1.0);
    }
    // The small slack keeps values like 4.8 / 0.2 = 23.999… on their tick.
    const SLACK: f64 = 1e-9;
    lo = (((lo / step) + SLACK).floor() * step).max(floor);
    hi = (((hi / step) - SLACK).ceil() * step).min(ceil);
    let first = ((lo / step) - SLACK).ceil() as i64;
    let last = ((hi / step) + SLACK).floor() as i64;
    let ticks = (first..=last.min(first + 20))
        .map(|k| k as f64 * step)
        .collect();
    YScale {
        lo,
        hi,
        step,
        ticks,
    }
}

/// The round number (1, 2, 2.5 or 5 × a power of ten) at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// Decimals needed to write multiples of `step` exactly (at most 2).
fn decimals_for(step: f64) -> usize {
    (0..2)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(2)
}

/// An axis label: the metric's unit, as many decimals as the tick step needs.
fn format_tick(metric: Metric, v: f64, step: f64) -> String {
    let d = decimals_for(step);
    match metric {
        Metric::Nps | Metric::Sentiment => signed(v, d),
        Metric::Csat => format!("{}%", fixed(v, d)),
        Metric::Ces => fixed(v, d.max(1)),
        Metric::Volume => count(v),
    }
}

/// The latest value as the header shows it.
fn format_value(metric: Metric, v: f64) -> String {
    match metric {
        Metric::Nps | Metric::Sentiment => signed(v, 1),
        Metric::Csat => format!("{}%", trimmed(v, 1)),
        Metric::Ces => fixed(v, 2),
        Metric::Volume => count(v),
    }
}

/// `v` with `d` decimals; never `-0`.
fn fixed(v: f64, d: usize) -> String {
    let s = format!("{v:.d$}");
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// `v` with at most `d` decimals, trailing zeros dropped.
fn trimmed(v: f64, d: usize) -> String {
    let s = fixed(v, d);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A points value with its sign: `+32`, `-8.5`, `0`.
fn signed(v: f64, d: usize) -> String {
    let s = trimmed(v, d);
    if s != "0" && !s.starts_with('-') {
        format!("+{s}")
    } else {
        s
    }
}

/// A count as Chinese readers expect it: `860`, `2,400`, `1.2万`, `3.5亿`.
fn count(v: f64) -> String {
    let v = v.round();
    let abs = v.abs();
    if abs >= 1e8 {
        format!("{}亿", trimmed(v / 1e8, 1))
    } else if abs >= 1e4 {
        format!("{}万", trimmed(v / 1e4, 1))
    } else {
        let digits = format!("{}", abs as u64);
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 {
            format!("-{out}")
        } else {
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tell::digest::ChartPoint;

    fn weekly(metric: Metric, title: &str, values: &[Option<f64>]) -> TrendChart {
        TrendChart {
            cid: "trend@tingjian".into(),
            title: title.into(),
            metric,
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| ChartPoint {
                    period: format!("2026-W{}", 40 + i),
                    value: *v,
                    n: 100,
                    low: None,
                    high: None,
                })
                .collect(),
        }
    }

    fn decode(png: &[u8]) -> image::RgbImage {
        image::load_from_memory(png).expect("decodes").to_rgb8()
    }

    fn nps_sample(title: &str) -> TrendChart {
        let v = [
            Some(12.0),
            Some(18.5),
            None,
            Some(22.0),
            Some(15.0),
            Some(27.0),
            Some(31.0),
            None,
            Some(29.5),
            Some(34.0),
            Some(38.0),
            Some(36.0),
        ];
        weekly(Metric::Nps, title, &v)
    }

    /// Pixels that differ between two same-size images inside a rectangle.
    fn differing(a: &image::RgbImage, b: &image::RgbImage, x: (u32, u32), y: (u32, u32)) -> usize {
        (y.0..y.1)
            .flat_map(|py| (x.0..x.1).map(move |px| (px, py)))
            .filter(|&(px, py)| a.get_pixel(px, py) != b.get_pixel(px, py))
            .count()
    }

    fn count_colour(img: &image::RgbImage, c: RGBColor) -> usize {
        img.pixels().filter(|p| p.0 == [c.0, c.1, c.2]).count()
    }

    #[test]
    fn png_has_signature_and_expected_size() {
        let png = trend_png(&nps_sample("净推荐值（NPS）趋势")).expect("draws");
        assert!(png.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]));
        let img = decode(&png);
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
        assert_eq!((WIDTH, HEIGHT), (1200, 440));
        assert!(png.len() < 60 * 1024, "PNG is {} bytes", png.len());
    }

    #[test]
    fn empty_all_none_and_single_point_draw() {
        let cases = [
            weekly(Metric::Csat, "满意度（CSAT）", &[]),
            weekly(Metric::Csat, "满意度（CSAT）", &[None; 10]),
            weekly(Metric::Ces, "费力度（CES）", &[Some(5.2)]),
            weekly(Metric::Volume, "反馈量", &[None]),
            weekly(Metric::Volume, "反馈量", &[Some(0.0), Some(0.0)]),
            weekly(
                Metric::Sentiment,
                "情感指数",
                &[Some(f64::NAN), Some(f64::INFINITY), Some(-100.0)],
            ),
        ];
        for chart in &cases {
            let img = decode(&trend_png(chart).expect("draws"));
            assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
        }
    }

    #[test]
    fn no_data_shows_a_note() {
        let dark = |img: &image::RgbImage| {
            let (cx, cy) = (WIDTH / 2 + 24, (HEIGHT + px(HEADER) as u32) / 2);
            (cx - 80..cx + 80)
                .flat_map(|x| (cy - 50..cy + 50).map(move |y| (x, y)))
                .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 170))
                .count()
        };
        let empty = decode(&trend_png(&weekly(Metric::Nps, "", &[None; 8])).expect("draws"));
        assert!(dark(&empty) > 200, "no note in the middle");
        let mut first_only = vec![None; 8];
        first_only[0] = Some(0.0);
        let single = decode(&trend_png(&weekly(Metric::Nps, "", &first_only)).expect("draws"));
        assert_eq!(dark(&single), 0, "a chart with data has no note");
    }

    #[test]
    fn chinese_title_draws_ink() {
        let with = decode(&trend_png(&nps_sample("净推荐值（NPS）趋势")).expect("draws"));
        let without = decode(&trend_png(&nps_sample("")).expect("draws"));
        let title_area = ((0, WIDTH / 2), (0, px(HEADER) as u32));
        assert!(differing(&with, &without, title_area.0, title_area.1) > 500);
        // Outside the header nothing changes.
        assert_eq!(
            differing(&with, &without, (0, WIDTH), (px(HEADER) as u32, HEIGHT)),
            0
        );
    }

    #[test]
    fn different_hanzi_draw_different_glyphs() {
        // Were the glyphs missing, both titles would be the same row of boxes.
        let a = decode(&trend_png(&nps_sample("听见")).expect("draws"));
        let b = decode(&trend_png(&nps_sample("趋势")).expect("draws"));
        assert!(differing(&a, &b, (0, WIDTH / 2), (0, px(HEADER) as u32)) > 200);
    }

    #[test]
    fn a_missing_week_is_a_gap_not_zero() {
        let full = weekly(Metric::Csat, "", &[Some(80.0), Some(80.0), Some(80.0)]);
        let gap = weekly(Metric::Csat, "", &[Some(80.0), None, Some(80.0)]);
        let full_img = decode(&trend_png(&full).expect("draws"));
        let gap_img = decode(&trend_png(&gap).expect("draws"));
        assert!(count_colour(&gap_img, LINE) + 500 < count_colour(&full_img, LINE));
        // And the axis is not stretched down to zero for the missing week.
        assert!(y_scale(Metric::Csat, &[80.0, 80.0]).lo > 50.0);
    }

    #[test]
    fn long_titles_are_cut() {
        let long = "支付失败导致的投诉在最近几周持续上升，需要产品和技术团队尽快排查原因并给出方案";
        let png = trend_png(&nps_sample(long)).expect("draws");
        assert_eq!(decode(&png).width(), WIDTH);
    }

    #[test]
    fn y_scale_stays_in_metric_range() {
        for (metric, values) in [
            (Metric::Csat, vec![98.0, 99.5, 100.0]),
            (Metric::Nps, vec![-100.0, -95.0]),
            (Metric::Sentiment, vec![3.0, 3.0]),
            (Metric::Ces, vec![6.8, 7.0]),
            (Metric::Ces, vec![1.0]),
            (Metric::Volume, vec![0.0, 0.0]),
            (Metric::Volume, vec![120.0, 48_000.0]),
            (Metric::Nps, vec![]),
        ] {
            let s = y_scale(metric, &values);
            let (floor, ceil, _) = metric_bounds(metric);
            assert!(
                s.lo >= floor && s.hi <= ceil && s.lo < s.hi,
                "{metric:?} {s:?}"
            );
            assert!(
                values.iter().all(|v| *v >= s.lo && *v <= s.hi),
                "{metric:?} {s:?}"
            );
            assert!(
                s.ticks.len() >= 2 && s.ticks.len() <= 12,
                "{metric:?} {s:?}"
            );
            assert!(s.ticks.windows(2).all(|w| w[0] < w[1]));
        }
        assert_eq!(y_scale(Metric::Volume, &[10.0, 20.0]).lo, 0.0);
        // Both ends of an unclamped axis carry a label, despite float rounding.
        let s = y_scale(Metric::Ces, &[5.2]);
        let (first, last) = (s.ticks[0], s.ticks[s.ticks.len() - 1]);
        assert!(
            (first - s.lo).abs() < 1e-9 && (last - s.hi).abs() < 1e-9,
            "{s:?}"
        );
    }

    #[test]
    fn labels_follow_the_metric() {
        assert_eq!(format_tick(Metric::Nps, 20.0, 10.0), "+20");
        assert_eq!(format_tick(Metric::Nps, -20.0, 10.0), "-20");
        assert_eq!(format_tick(Metric::Sentiment, 0.0, 5.0), "0");
        assert_eq!(format_tick(Metric::Csat, 85.0, 5.0), "85%");
        assert_eq!(format_tick(Metric::Csat, 87.5, 2.5), "87.5%");
        assert_eq!(format_tick(Metric::Ces, 5.0, 0.5), "5.0");
        assert_eq!(format_tick(Metric::Volume, 2000.0, 500.0), "2,000");
        assert_eq!(format_tick(Metric::Volume, 15_000.0, 5000.0), "1.5万");
        assert_eq!(format_value(Metric::Nps, 32.0), "+32");
        assert_eq!(format_value(Metric::Nps, -0.04), "0");
        assert_eq!(format_value(Metric::Csat, 86.54), "86.5%");
        assert_eq!(format_value(Metric::Ces, 5.234), "5.23");
        assert_eq!(format_value(Metric::Volume, 1_234_567.0), "123.5万");
        assert_eq!(short_period("2026-W40"), "W40");
        assert_eq!(short_period("2026-11-16"), "11-16");
    }
}
