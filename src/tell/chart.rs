//! Draws trend charts as PNG images, with each point's 95 % interval and a mark on small
//! samples: the digest's, which the email attaches inline by content id, and the console's.
//! All text is set in the CJK font shipped in `assets/fonts` (a GB2312 subset of Noto Sans CJK
//! SC), so Chinese titles look the same on every machine and no system font is ever looked up.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont};
use chrono::Datelike;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ColorType, ImageEncoder};
use once_cell::sync::Lazy;
use plotters::backend::RGBPixel;
use plotters::prelude::*;

use super::digest::{Metric, TrendChart};

/// The shipped font; see `assets/fonts/README.md` for its source, licence and subset.
pub static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-Regular-subset.otf");

/// The font, parsed once per process (`None` if the shipped file were unreadable).
///
/// Text is rasterised here with ab_glyph rather than through plotters' text elements: plotters
/// 0.3.7's ab_glyph path drops each glyph's left side bearing, which puts full-width
/// punctuation such as `（` on the wrong side of its box.
static FONT: Lazy<Option<FontRef<'static>>> =
    Lazy::new(|| FontRef::try_from_slice(FONT_BYTES).ok());

/// Device pixels per CSS pixel: drawn at 2× so the chart stays sharp on phones.
const SCALE: f64 = 2.0;
/// Size in CSS pixels, as the email's `<img width height>` should state it; the mail's charts
/// are this wide, the console's cards pass their own width to [`trend_png_width`].
pub const CSS_WIDTH: u32 = 600;
pub const CSS_HEIGHT: u32 = 236;
/// Narrowest and widest chart drawn (CSS px): below, a title and the latest value no longer
/// share the header; above, nothing gains and the image only grows.
pub const MIN_CSS_WIDTH: u32 = 300;
pub const MAX_CSS_WIDTH: u32 = 1200;
/// Size of the mail's PNG in device pixels.
pub const WIDTH: u32 = CSS_WIDTH * SCALE as u32;
pub const HEIGHT: u32 = CSS_HEIGHT * SCALE as u32;

/// A point whose value rests on fewer observations than this is drawn hollow: its interval is
/// too wide to read the point as the period's level. The same minimum as the digest's and the
/// console's numbers.
pub const SMALL_SAMPLE: u64 = crate::insight::tally::MIN_RATE_SAMPLE;

/// Height of the band above the plot that holds the title and the latest value (CSS px).
const HEADER: f64 = 36.0;
/// Height of the band below the x labels that holds the note on intervals and hollow points;
/// kept on every chart so that the charts of one mail line up.
const FOOTER: f64 = 16.0;
/// Font sizes (em, CSS px).
const TITLE_SIZE: f64 = 15.0;
const VALUE_SIZE: f64 = 15.0;
const LABEL_SIZE: f64 = 11.0;
const NOTE_SIZE: f64 = 14.0;
const FOOTNOTE_SIZE: f64 = 10.5;
/// Least room between two x labels (CSS px).
const X_LABEL_GAP: f64 = 10.0;
/// Titles longer than this (in chars) are cut before measuring.
const MAX_TITLE_CHARS: usize = 80;

const INK: RGBColor = RGBColor(31, 41, 55);
const MUTED: RGBColor = RGBColor(107, 114, 128);
const AXIS: RGBColor = RGBColor(156, 163, 175);
const GRID: RGBColor = RGBColor(229, 231, 235);
const ZERO: RGBColor = RGBColor(190, 195, 203);
const LINE: RGBColor = RGBColor(37, 99, 235);
/// The line's blue at about 13 % on white: the interval band, quiet behind the line. Solid
/// rather than translucent so the grid drawn over it stays the same grey everywhere.
const BAND: RGBColor = RGBColor(226, 234, 252);
/// The line's blue at about 45 %: whiskers are thin, so they need more colour than the band.
const WHISKER: RGBColor = RGBColor(157, 185, 246);

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

/// Draws one trend chart as a PNG for the mail: [`CSS_WIDTH`]×[`CSS_HEIGHT`] CSS px, rendered
/// at 2× ([`WIDTH`]×[`HEIGHT`] pixels).
///
/// Periods without a value (`None`, or a non-finite number) leave a gap in the line; a chart
/// with no value at all is drawn with empty axes and a "暂无数据" note. Each point's 95 %
/// interval is a light band behind the line (a whisker where the point has no neighbour with
/// one), and a point with fewer than [`SMALL_SAMPLE`] observations is hollow; a footnote says
/// so when the chart has either.
pub fn trend_png(chart: &TrendChart) -> Result<Vec<u8>, ChartError> {
    trend_png_width(chart, CSS_WIDTH)
}

/// The digest's HTML for a browser (a preview) rather than a mail client: every chart's
/// `cid:` reference, which only mail resolves, replaced by the PNG itself as a `data:` URI. A
/// chart that cannot be drawn loses its image and keeps its caption. CPU work: call it off the
/// async executor.
pub fn embed_charts(html: &str, charts: &[TrendChart]) -> String {
    use base64::Engine;
    let mut out = html.to_owned();
    for c in charts {
        let cid = format!(
            "\"cid:{}\"",
            html_escape::encode_double_quoted_attribute(&c.cid)
        );
        let src = match trend_png(c) {
            Ok(png) => format!(
                "\"data:image/png;base64,{}\"",
                base64::engine::general_purpose::STANDARD.encode(png)
            ),
            Err(e) => {
                tracing::warn!(chart = %c.cid, error = %e, "a preview chart could not be drawn");
                "\"\"".to_owned()
            }
        };
        out = out.replace(&cid, &src);
    }
    out
}

/// [`trend_png`] at another width in CSS px (the height stays [`CSS_HEIGHT`]), for the
/// console's cards. The width is clamped to [`MIN_CSS_WIDTH`]..=[`MAX_CSS_WIDTH`]; the PNG
/// is twice the CSS size in each direction.
pub fn trend_png_width(chart: &TrendChart, css_width: u32) -> Result<Vec<u8>, ChartError> {
    let font = FONT.as_ref().ok_or(ChartError::Font)?;
    let canvas = Canvas {
        width: css_width.clamp(MIN_CSS_WIDTH, MAX_CSS_WIDTH) * SCALE as u32,
        height: HEIGHT,
    };
    let mut rgb = vec![255u8; canvas.width as usize * canvas.height as usize * 3];
    let labels = {
        let backend = BitMapBackend::<RGBPixel>::with_buffer_and_format(
            &mut rgb,
            (canvas.width, canvas.height),
        )
        .map_err(draw_err)?;
        let root = backend.into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let labels = draw(&root, font, canvas, chart)?;
        root.present().map_err(draw_err)?;
        labels
    };
    for label in &labels {
        paint(&mut rgb, canvas, font, label);
    }
    let mut png = Vec::with_capacity(48 * 1024);
    PngEncoder::new_with_quality(&mut png, CompressionType::Best, FilterType::Adaptive)
        .write_image(&rgb, canvas.width, canvas.height, ColorType::Rgb8)?;
    Ok(png)
}

/// The image's size in device pixels.
#[derive(Debug, Clone, Copy)]
struct Canvas {
    width: u32,
    height: u32,
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
fn paint(rgb: &mut [u8], canvas: Canvas, font: &FontRef<'_>, label: &Label) {
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
                if px < 0 || py < 0 || px >= canvas.width as i64 || py >= canvas.height as i64 {
                    return;
                }
                let at = ((py as usize) * canvas.width as usize + px as usize) * 3;
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

/// What the chart shows at one period, read once from its point.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mark {
    /// `None` for a period without data, and for a value that is not a number.
    value: Option<f64>,
    /// The 95 % interval, kept only beside a value and when its bounds make sense.
    interval: Option<(f64, f64)>,
    /// Drawn hollow: the value rests on fewer than [`SMALL_SAMPLE`] observations.
    small: bool,
}

/// Volume is a count, not an estimate: it has no interval and no sample to be small.
fn marks(chart: &TrendChart) -> Vec<Mark> {
    let estimate = chart.metric != Metric::Volume;
    chart
        .points
        .iter()
        .map(|p| {
            let value = p.value.filter(|v| v.is_finite());
            let interval = match (value, p.low, p.high) {
                (Some(_), Some(low), Some(high))
                    if estimate && low.is_finite() && high.is_finite() && low <= high =>
                {
                    Some((low, high))
                }
                _ => None,
            };
            Mark {
                value,
                interval,
                small: estimate && value.is_some() && p.n < SMALL_SAMPLE,
            }
        })
        .collect()
}

/// Draws band, grid, axes, line and markers with plotters; returns the text to paint on top.
fn draw(
    root: &Area<'_>,
    font: &FontRef<'_>,
    canvas: Canvas,
    chart: &TrendChart,
) -> Result<Vec<Label>, ChartError> {
    let marks = marks(chart);
    let values: Vec<Option<f64>> = marks.iter().map(|m| m.value).collect();
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    // The axis makes room for the intervals of well-sampled points only: a small sample's
    // interval can span most of the range and would flatten the line; it is cut at the plot's
    // edge instead, and its hollow point says why it is wide.
    let extent: Vec<f64> = marks
        .iter()
        .filter(|m| !m.small)
        .filter_map(|m| m.interval)
        .flat_map(|(low, high)| [low, high])
        .chain(known.iter().copied())
        .collect();
    let scale = y_scale(chart.metric, &extent);
    let mut labels = header_labels(font, canvas, chart, &values);

    let (_, body) = root.split_vertically(pxi(HEADER));
    let (body, _) = body.split_vertically(canvas.height as i32 - pxi(HEADER) - pxi(FOOTER));
    let n = marks.len().max(1);
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

    // Intervals first, so that grid, line and points are drawn over them. A run of periods
    // with intervals is one band; a lone interval would be a band of no width, so it is a
    // whisker. Both are cut to the plot, and a whisker end that was cut gets no cap.
    let intervals: Vec<Option<(f64, f64)>> = marks.iter().map(|m| m.interval).collect();
    let (mut banded, mut whiskered) = (false, false);
    for run in runs(&intervals) {
        if let [(i, (low, high))] = run[..] {
            let x = i as f64;
            let (top, bottom) = (high.min(scale.hi), low.max(scale.lo));
            if top <= bottom {
                continue;
            }
            let (wx, top_y) = plot.backend_coord(&(x, top));
            let (_, bottom_y) = plot.backend_coord(&(x, bottom));
            let whisker = WHISKER.stroke_width(pxi(1.5) as u32);
            root.draw(&PathElement::new(
                vec![(wx, top_y), (wx, bottom_y)],
                whisker,
            ))
            .map_err(draw_err)?;
            let cap = pxi(4.0);
            for (y, cut) in [(top_y, high > scale.hi), (bottom_y, low < scale.lo)] {
                if !cut {
                    root.draw(&PathElement::new(
                        vec![(wx - cap, y), (wx + cap, y)],
                        whisker,
                    ))
                    .map_err(draw_err)?;
                }
            }
            whiskered = true;
        } else {
            let upper: Vec<(f64, f64)> = run.iter().map(|&(i, (_, h))| (i as f64, h)).collect();
            let lower: Vec<(f64, f64)> = run.iter().map(|&(i, (l, _))| (i as f64, l)).collect();
            let mut outline = clamp_chain(&upper, scale.lo, scale.hi);
            outline.extend(clamp_chain(&lower, scale.lo, scale.hi).into_iter().rev());
            plot.draw_series(std::iter::once(Polygon::new(outline, BAND.filled())))
                .map_err(draw_err)?;
            banded = true;
        }
    }

    // The grid lines sit on our own round ticks, the x labels under the periods.
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
    let keys: Vec<String> = chart
        .points
        .iter()
        .map(|p| short_period(&p.period))
        .collect();
    let spacing = plot.backend_coord(&(1.0, scale.lo)).0 - plot.backend_coord(&(0.0, scale.lo)).0;
    let widest = keys
        .iter()
        .map(|k| text_width(font, LABEL_SIZE, k))
        .fold(0.0, f32::max);
    for i in labelled(keys.len(), widest + px(X_LABEL_GAP) as f32, spacing) {
        let (x, _) = plot.backend_coord(&(i as f64, scale.lo));
        root.draw(&PathElement::new(
            vec![(x, bottom), (x, bottom + pxi(3.0))],
            axis,
        ))
        .map_err(draw_err)?;
        // The latest period's label is centred under it unless that would cut it at the edge.
        let key = &keys[i];
        let half = (text_width(font, LABEL_SIZE, key) / 2.0).ceil() as i32;
        let edge = canvas.width as i32 - pxi(2.0);
        let (at, align) = if x + half > edge {
            (edge, Align::Right)
        } else {
            (x, Align::Centre)
        };
        labels.push(
            Label::new(key.clone(), (at, bottom + pxi(8.0)), LABEL_SIZE, MUTED)
                .align(align, VAlign::Top),
        );
    }

    // One line per run of consecutive periods with data: a missing period breaks the line.
    let line = LINE.stroke_width(pxi(2.0) as u32);
    for run in runs(&values) {
        if run.len() > 1 {
            plot.draw_series(LineSeries::new(
                run.iter().map(|&(i, v)| (i as f64, v)),
                line,
            ))
            .map_err(draw_err)?;
        }
    }
    // Points shrink when periods crowd (a month of days on a phone) so they do not touch;
    // a hollow point keeps a ring about as thick as the line.
    let radius = (f64::from(spacing) / SCALE * 0.3).clamp(2.75, 4.0);
    let dots = marks
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.value.map(|v| ((i as f64, v), m.small)));
    plot.draw_series(
        dots.clone()
            .map(|(p, _)| Circle::new(p, pxi(radius), LINE.filled())),
    )
    .map_err(draw_err)?;
    plot.draw_series(
        dots.filter(|(_, small)| *small)
            .map(|(p, _)| Circle::new(p, pxi(radius - 1.5), WHITE.filled())),
    )
    .map_err(draw_err)?;

    if known.is_empty() {
        let (xs, ys) = plot.plotting_area().get_pixel_range();
        let centre = ((xs.start + xs.end) / 2, (ys.start + ys.end) / 2);
        labels.push(
            Label::new("暂无数据", centre, NOTE_SIZE, MUTED).align(Align::Centre, VAlign::Middle),
        );
    }
    let hollow = marks.iter().any(|m| m.small);
    if let Some(note) = footnote(banded, whiskered, hollow) {
        let room = canvas.width as f32 - px(32.0) as f32;
        let at = (pxi(16.0), canvas.height as i32 - pxi(FOOTER / 2.0));
        labels.push(Label::new(
            fit_text(font, FOOTNOTE_SIZE, &note, room),
            at,
            FOOTNOTE_SIZE,
            MUTED,
        ));
    }
    Ok(labels)
}

/// The note under the chart on what its shapes mean, naming only those it has.
fn footnote(banded: bool, whiskered: bool, hollow: bool) -> Option<String> {
    let interval = match (banded, whiskered) {
        (true, true) => Some("阴影和竖线为 95% 置信区间".to_string()),
        (true, false) => Some("阴影为 95% 置信区间".to_string()),
        (false, true) => Some("竖线为 95% 置信区间".to_string()),
        (false, false) => None,
    };
    let small = hollow.then(|| format!("空心点样本不足 {SMALL_SAMPLE}"));
    let parts: Vec<String> = interval.into_iter().chain(small).collect();
    (!parts.is_empty()).then(|| parts.join("，"))
}

/// Which of `count` periods get an x label when labels are `width` and periods `spacing`
/// pixels apart: every k-th, counted back from the latest period so that it always has one.
fn labelled(count: usize, width: f32, spacing: i32) -> Vec<usize> {
    let every = if spacing > 0 {
        (width / spacing as f32).ceil().max(1.0) as usize
    } else {
        count.max(1)
    };
    let mut out: Vec<usize> = (0..count).rev().step_by(every).collect();
    out.reverse();
    out
}

/// A polyline with its y values held to `[lo, hi]`, with a vertex added wherever it crosses
/// a bound, so that the band between two such chains is the band cut exactly at the plot.
fn clamp_chain(points: &[(f64, f64)], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() + 2);
    for (k, &(x, y)) in points.iter().enumerate() {
        if let Some(&(x0, y0)) = k.checked_sub(1).and_then(|j| points.get(j)) {
            let mut crossings: Vec<f64> = [lo, hi]
                .into_iter()
                .filter(|&b| (y0 < b && b < y) || (y < b && b < y0))
                .collect();
            if y < y0 {
                crossings.reverse();
            }
            for b in crossings {
                out.push((x0 + (x - x0) * (b - y0) / (y - y0), b));
            }
        }
        // Not `f64::clamp`, which panics on bounds it does not like; a chart never should.
        out.push((x, y.max(lo).min(hi)));
    }
    out
}

/// Title on the left; the latest period with data and its value on the right.
fn header_labels(
    font: &FontRef<'_>,
    canvas: Canvas,
    chart: &TrendChart,
    values: &[Option<f64>],
) -> Vec<Label> {
    let mut labels = Vec::new();
    let mid = pxi(HEADER * 0.55);
    let right = canvas.width as i32 - pxi(16.0);
    let mut title_room = right - pxi(16.0);

    let latest = values
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, v)| v.map(|v| (i, v)));
    if let Some((i, v)) = latest {
        let period = chart
            .points
            .get(i)
            // A week is named by its Monday: say it is the week, not that day.
            .map(|p| match p.period.contains("-W") {
                true => format!("{} 周", short_period(&p.period)),
                false => short_period(&p.period),
            })
            .unwrap_or_default();
        let value = format_value(chart.metric, v);
        let value_w = text_width(font, VALUE_SIZE, &value).ceil() as i32;
        let period_text = format!("最新 {period}");
        let period_w = text_width(font, LABEL_SIZE, &period_text).ceil() as i32;
        labels.push(
            Label::new(value, (right, mid), VALUE_SIZE, LINE).align(Align::Right, VAlign::Middle),
        );
        let period_right = right - value_w - pxi(6.0);
        labels.push(
            Label::new(period_text, (period_right, mid), LABEL_SIZE, MUTED)
                .align(Align::Right, VAlign::Middle),
        );
        title_room = period_right - period_w - pxi(16.0) - pxi(16.0);
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

/// Consecutive periods that have something (a value, an interval), with their indices.
fn runs<T: Copy>(items: &[Option<T>]) -> Vec<Vec<(usize, T)>> {
    let mut out: Vec<Vec<(usize, T)>> = Vec::new();
    let mut current = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Some(t) => current.push((i, *t)),
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

/// `2026-W48` → `11/23` (the week's Monday); `2026-11-16` → `11/16`; `2026-11` → `11月`;
/// anything else as it is (at most 8 chars). People read dates, not ISO week numbers; the year
/// is left out, the title says which periods a chart spans.
fn short_period(key: &str) -> String {
    if let Some((year, week)) = key.rsplit_once("-W") {
        let monday = year
            .parse()
            .ok()
            .zip(week.parse().ok())
            .and_then(|(y, w)| chrono::NaiveDate::from_isoywd_opt(y, w, chrono::Weekday::Mon));
        if let Some(d) = monday {
            return format!("{}/{}", d.month(), d.day());
        }
    }
    let parts: Vec<&str> = key.split('-').collect();
    match parts[..] {
        [year, month, day] if year.len() == 4 => {
            if let (Ok(m), Ok(d)) = (month.parse::<u32>(), day.parse::<u32>()) {
                return format!("{m}/{d}");
            }
        }
        [year, month] if year.len() == 4 => {
            if let Ok(m @ 1..=12) = month.parse::<u32>() {
                return format!("{m}月");
            }
        }
        _ => {}
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

    /// A weekly chart of well-sampled points without intervals.
    fn weekly(metric: Metric, title: &str, values: &[Option<f64>]) -> TrendChart {
        let points: Vec<_> = values.iter().map(|v| (*v, 100, None)).collect();
        with_intervals(metric, title, &points)
    }

    /// One week of a test chart: value, sample size, interval.
    type Week = (Option<f64>, u64, Option<(f64, f64)>);

    /// A weekly chart from `(value, n, interval)` per week.
    fn with_intervals(metric: Metric, title: &str, points: &[Week]) -> TrendChart {
        TrendChart {
            cid: "trend@tingjian".into(),
            title: title.into(),
            metric,
            points: points
                .iter()
                .enumerate()
                .map(|(i, (value, n, interval))| ChartPoint {
                    period: format!("2026-W{}", 40 + i),
                    value: *value,
                    n: *n,
                    low: interval.map(|(low, _)| low),
                    high: interval.map(|(_, high)| high),
                })
                .collect(),
        }
    }

    /// Twelve weeks of NPS around +30 with ±12 points, the weeks from `small` on with 12
    /// responses and ±45 points; week 7 has no data.
    fn nps_with_intervals(small: usize) -> TrendChart {
        let values: [f64; 12] = [
            24.0, 28.5, 26.0, 31.0, 29.0, 33.5, 30.0, 0.0, 34.0, 32.5, 36.0, 35.0,
        ];
        let points: Vec<_> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| match i {
                7 => (None, 0, None),
                i if i >= small => (Some(v), 12, Some((v - 45.0, (v + 45.0).min(100.0)))),
                _ => (Some(v), 120, Some((v - 12.0, v + 12.0))),
            })
            .collect();
        with_intervals(Metric::Nps, "NPS · 近12周", &points)
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
        assert_eq!((WIDTH, HEIGHT), (1200, 472));
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
        assert_eq!(short_period("2026-W40"), "9/28");
        assert_eq!(short_period("2026-W48"), "11/23");
        assert_eq!(short_period("2026-11-16"), "11/16");
    }

    /// Anti-aliased edges of lines and text hit the band's or a whisker's exact colour now and
    /// then; a drawn band or whisker has thousands of such pixels, a stray few dozen at most.
    const STRAY: usize = 50;

    /// Columns (x) that hold at least one pixel of colour `c`.
    fn columns_with(img: &image::RgbImage, c: RGBColor) -> Vec<u32> {
        (0..img.width())
            .filter(|&x| (0..img.height()).any(|y| img.get_pixel(x, y).0 == [c.0, c.1, c.2]))
            .collect()
    }

    /// Pixels in the footer band that are not white.
    fn footer_ink(img: &image::RgbImage) -> usize {
        let top = img.height() - px(FOOTER) as u32;
        (top..img.height())
            .flat_map(|y| (0..img.width()).map(move |x| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0 != [255, 255, 255])
            .count()
    }

    #[test]
    fn intervals_draw_a_band_broken_by_a_gap() {
        let img = decode(&trend_png(&nps_with_intervals(12)).expect("draws"));
        assert!(count_colour(&img, BAND) > 20_000, "no band");
        assert!(count_colour(&img, WHISKER) < STRAY, "no lone interval");
        // Week 7 has no data: the band stops on either side of it.
        let cols = columns_with(&img, BAND);
        let widest_gap = cols.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        assert!(
            widest_gap > 100,
            "the band runs through the gap: {widest_gap}"
        );
        assert!(footer_ink(&img) > 300, "no footnote");

        let plain = weekly(Metric::Nps, "NPS · 近12周", &[Some(24.0), Some(28.5)]);
        let img = decode(&trend_png(&plain).expect("draws"));
        assert!(count_colour(&img, BAND) < STRAY);
        assert_eq!(
            footer_ink(&img),
            0,
            "a chart without intervals has no footnote"
        );
    }

    #[test]
    fn a_lone_interval_is_a_whisker() {
        let i = Some((20.0, 40.0));
        let chart = with_intervals(
            Metric::Csat,
            "",
            &[
                (Some(80.0), 200, Some((76.0, 84.0))),
                (None, 0, None),
                (Some(82.0), 200, Some((78.0, 86.0))),
                (Some(30.0), 200, None),
                (Some(30.0), 200, i),
            ],
        );
        let img = decode(&trend_png(&chart).expect("draws"));
        assert!(count_colour(&img, WHISKER) > 200, "no whiskers");
        assert!(count_colour(&img, BAND) < STRAY, "one period is no band");
        assert!(footer_ink(&img) > 300, "no footnote");
    }

    #[test]
    fn small_samples_are_hollow_and_said_so() {
        let solid = decode(&trend_png(&nps_with_intervals(12)).expect("draws"));
        let hollow = decode(&trend_png(&nps_with_intervals(9)).expect("draws"));
        // Three hollow points: the white inside each replaces line colour.
        let lost = count_colour(&solid, LINE) - count_colour(&hollow, LINE);
        assert!(lost > 3 * 40, "hollow points not hollow: {lost}");
        assert!(
            footer_ink(&hollow) > footer_ink(&solid),
            "the note names hollow points"
        );
        // A small sample's interval may be cut at the plot, but does not stretch the axis.
        assert!(count_colour(&hollow, BAND) > count_colour(&solid, BAND));
        let only_small: Vec<_> = (0..6)
            .map(|_| (Some(30.0), 5, Some((-60.0, 100.0))))
            .collect();
        let img = decode(&trend_png(&with_intervals(Metric::Nps, "", &only_small)).expect("draws"));
        assert!(count_colour(&img, BAND) > 20_000);

        // Volume is a count: neither interval nor hollow points, whatever it is given.
        let volume = |n| {
            let p: Vec<_> = (0..6).map(|_| (Some(12.0), n, Some((8.0, 16.0)))).collect();
            decode(&trend_png(&with_intervals(Metric::Volume, "反馈量", &p)).expect("draws"))
        };
        let (few, many) = (volume(12), volume(1200));
        assert_eq!(differing(&few, &many, (0, WIDTH), (0, HEIGHT)), 0);
        assert!(count_colour(&few, BAND) < STRAY);
        assert_eq!(footer_ink(&few), 0);
    }

    #[test]
    fn all_none_draws_no_band_and_no_note() {
        let none: Vec<_> = (0..12).map(|_| (None, 0, Some((10.0, 20.0)))).collect();
        let img = decode(&trend_png(&with_intervals(Metric::Nps, "NPS", &none)).expect("draws"));
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
        assert!(
            count_colour(&img, BAND) < STRAY,
            "an interval needs a value"
        );
        assert_eq!(count_colour(&img, LINE), 0);
        assert_eq!(footer_ink(&img), 0);
        // Bounds that make no sense are not drawn.
        let bad = [
            (Some(30.0), 100, Some((40.0, 20.0))),
            (Some(30.0), 100, Some((f64::NAN, 20.0))),
        ];
        let img = decode(&trend_png(&with_intervals(Metric::Nps, "", &bad)).expect("draws"));
        assert!(count_colour(&img, BAND) + count_colour(&img, WHISKER) < STRAY);
    }

    #[test]
    fn width_is_a_parameter_within_bounds() {
        let chart = nps_with_intervals(9);
        for (css, expected) in [(350, 700), (560, 1120), (10, 600), (100_000, 2400)] {
            let img = decode(&trend_png_width(&chart, css).expect("draws"));
            assert_eq!((img.width(), img.height()), (expected, HEIGHT), "{css}");
            assert!(count_colour(&img, BAND) > 5_000, "{css}");
        }
    }

    #[test]
    fn x_labels_thin_out_from_the_latest_period() {
        assert_eq!(labelled(12, 40.0, 88), (0..12).collect::<Vec<_>>());
        assert_eq!(labelled(12, 40.0, 30), vec![1, 3, 5, 7, 9, 11]);
        assert_eq!(
            labelled(30, 70.0, 34),
            (0..10).map(|k| 2 + 3 * k).collect::<Vec<_>>()
        );
        assert_eq!(labelled(0, 40.0, 30), Vec::<usize>::new());
        assert_eq!(labelled(3, 40.0, 0), vec![2]);
        assert_eq!(short_period("2026-11"), "11月");
        assert_eq!(short_period("2026-01"), "1月");
        assert_eq!(short_period("2026-13"), "2026-13");
    }

    #[test]
    fn footnote_names_what_is_drawn() {
        assert_eq!(footnote(false, false, false), None);
        assert_eq!(
            footnote(true, false, true).as_deref(),
            Some("阴影为 95% 置信区间，空心点样本不足 30")
        );
        assert_eq!(
            footnote(false, true, false).as_deref(),
            Some("竖线为 95% 置信区间")
        );
        assert_eq!(
            footnote(true, true, false).as_deref(),
            Some("阴影和竖线为 95% 置信区间")
        );
        assert_eq!(
            footnote(false, false, true).as_deref(),
            Some("空心点样本不足 30")
        );
        // Every character of the notes is in the shipped subset (else it would be a box).
        let font = FONT.as_ref().expect("font");
        for note in [
            "阴影和竖线为 95% 置信区间 · 空心点样本不足 30",
            "最新 11月",
            "暂无数据",
        ] {
            for c in note.chars().filter(|c| *c != ' ') {
                assert_ne!(font.glyph_id(c).0, 0, "{c:?} is missing");
            }
        }
    }

    #[test]
    fn a_band_is_cut_exactly_at_the_plot() {
        let chain = [(0.0, 50.0), (1.0, 150.0), (2.0, 50.0), (3.0, -50.0)];
        assert_eq!(
            clamp_chain(&chain, 0.0, 100.0),
            vec![
                (0.0, 50.0),
                (0.5, 100.0),
                (1.0, 100.0),
                (1.5, 100.0),
                (2.0, 50.0),
                (2.5, 0.0),
                (3.0, 0.0),
            ]
        );
        // A segment crossing both bounds gets both crossings, in order along it.
        assert_eq!(
            clamp_chain(&[(0.0, -100.0), (1.0, 200.0)], 0.0, 100.0),
            vec![
                (0.0, 0.0),
                (1.0 / 3.0, 0.0),
                (2.0 / 3.0, 100.0),
                (1.0, 100.0)
            ]
        );
    }

    /// Writes sample charts to the temp directory to look at:
    /// `cargo test --lib tell::chart::tests::samples -- --ignored`.
    #[test]
    #[ignore]
    fn samples() {
        let dir = std::env::temp_dir();
        let daily = TrendChart {
            cid: String::new(),
            title: "情感指数 · 近30天".into(),
            metric: Metric::Sentiment,
            points: (0..30)
                .map(|d| {
                    let v = 10.0 + 8.0 * (d as f64 / 4.0).sin();
                    let n = 20 + 3 * d as u64;
                    let half = 190.0 / (n as f64).sqrt();
                    ChartPoint {
                        period: format!("2026-11-{:02}", d + 1),
                        value: (d != 12).then_some(v),
                        n,
                        low: (d != 12).then_some(v - half),
                        high: (d != 12).then_some(v + half),
                    }
                })
                .collect(),
        };
        let monthly = TrendChart {
            cid: String::new(),
            title: "满意度 CSAT · 近12个月".into(),
            metric: Metric::Csat,
            points: (0..12)
                .map(|m| ChartPoint {
                    period: format!("{}-{:02}", 2025 + (m + 11) / 12, (m + 11) % 12 + 1),
                    value: Some(82.0 + m as f64 * 0.6),
                    n: 400,
                    low: Some(78.0 + m as f64 * 0.6),
                    high: Some(86.0 + m as f64 * 0.6),
                })
                .collect(),
        };
        let lone = with_intervals(
            Metric::Ces,
            "费力度 CES",
            &[
                (Some(5.1), 40, Some((4.8, 5.4))),
                (None, 0, None),
                (Some(5.3), 12, Some((4.6, 6.0))),
                (None, 0, None),
                (Some(5.0), 45, Some((4.7, 5.3))),
                (Some(5.2), 50, Some((4.9, 5.5))),
            ],
        );
        let volume = weekly(
            Metric::Volume,
            "反馈量 · 近10周",
            &[
                Some(820.0),
                Some(900.0),
                Some(1100.0),
                Some(980.0),
                Some(1234.0),
            ],
        );
        for (name, chart) in [
            ("weekly", nps_with_intervals(9)),
            ("daily", daily),
            ("monthly", monthly),
            ("lone", lone),
            ("volume", volume),
        ] {
            for css in [600, 350] {
                let png = trend_png_width(&chart, css).expect("draws");
                std::fs::write(dir.join(format!("chart-{name}-{css}.png")), png).expect("writes");
            }
        }
    }
}
