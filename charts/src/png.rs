//! PNG files of the charts (the CLI's `--png`): plotters' bitmap backend into an RGB buffer, text set in
//! the bundled DejaVu Sans (fonts/, Bitstream Vera licence), encoded by the `png` crate.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, SIZE};

/// DejaVu Sans (Debian's fonts-dejavu-core 2.37): Latin, Greek and the math symbols the labels use.
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Makes the bundled font plotters' "sans-serif" (once per process); every drawing needs it for text.
pub(crate) fn register_font() -> DrawResult<()> {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *DONE.get_or_init(|| plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err("the bundled font could not be read".into())
    }
}

/// The drawing area a PNG chart is drawn on.
pub type PngArea<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws one chart into a PNG file's bytes (RGB, the chart's size).
pub fn render(draw: impl FnOnce(PngArea<'_>) -> DrawResult<()>) -> DrawResult<Vec<u8>> {
    render_sized(SIZE, draw)
}

/// `render` at another size (the Hessian picture is 600 × 420, as on the page).
pub fn render_sized(size: (u32, u32), draw: impl FnOnce(PngArea<'_>) -> DrawResult<()>) -> DrawResult<Vec<u8>> {
    register_font()?;
    let (w, h) = size;
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    draw(BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area())?;
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, w, h);
    encoder.set_color(::png::ColorType::Rgb);
    encoder.set_depth(::png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok(out)
}

/// Draws one chart into the PNG file at `path`.
pub fn write(path: &std::path::Path, draw: impl FnOnce(PngArea<'_>) -> DrawResult<()>) -> DrawResult<()> {
    write_sized(path, SIZE, draw)
}

/// `write` at another size.
pub fn write_sized(
    path: &std::path::Path,
    size: (u32, u32),
    draw: impl FnOnce(PngArea<'_>) -> DrawResult<()>,
) -> DrawResult<()> {
    let bytes = render_sized(size, draw)?;
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
