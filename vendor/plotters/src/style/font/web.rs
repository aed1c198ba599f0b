use super::{FontData, FontFamily, FontStyle, LayoutBox};
use wasm_bindgen::JsCast;
use web_sys::{window, HtmlElement};

#[derive(Debug, Clone)]
pub enum FontError {
    UnknownError,
}

impl std::fmt::Display for FontError {
    fn fmt(&self, fmt: &mut std::fmt::Formatter) -> Result<(), std::fmt::Error> {
        match self {
            _ => write!(fmt, "Unknown error"),
        }
    }
}

impl std::error::Error for FontError {}

#[derive(Clone)]
pub struct FontDataInternal(String, String);

impl FontData for FontDataInternal {
    type ErrorType = FontError;
    fn new(family: FontFamily, style: FontStyle) -> Result<Self, FontError> {
        Ok(FontDataInternal(
            family.as_str().into(),
            style.as_str().into(),
        ))
    }
    /// Regula's change: extents are cached per (family, style, size, text). Measuring appends a span to
    /// the page and reads `offsetHeight`, which forces a layout of the whole page; a chart measures every
    /// label on every redraw (tick labels repeat from frame to frame), and these forced layouts were most
    /// of a redraw's main-thread time. The cache is cleared past `CACHE_LIMIT` entries.
    fn estimate_layout(&self, size: f64, text: &str) -> Result<LayoutBox, Self::ErrorType> {
        let key = (self.0.clone(), self.1.clone(), size.to_bits(), text.to_owned());
        if let Some(hit) = CACHE.with(|c| c.borrow().get(&key).copied()) {
            return Ok(hit);
        }
        let measured = self.measure(size, text)?;
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= CACHE_LIMIT {
                c.clear();
            }
            c.insert(key, measured);
        });
        Ok(measured)
    }
}

/// Most distinct (font, size, text) extents kept.
const CACHE_LIMIT: usize = 4096;

thread_local! {
    static CACHE: std::cell::RefCell<std::collections::HashMap<(String, String, u64, String), LayoutBox>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

impl FontDataInternal {
    /// plotters' original measurement: a hidden span's offset box.
    fn measure(&self, size: f64, text: &str) -> Result<LayoutBox, FontError> {
        let window = window().unwrap();
        let document = window.document().unwrap();
        let body = document.body().unwrap();
        let span = document.create_element("span").unwrap();
        span.set_text_content(Some(text));
        span.set_attribute("style", &format!("display: inline-block; font-family:{}; font-style:{}; font-size: {}px; position: fixed; top: 100%", self.0, self.1, size)).unwrap();
        let span = span.into();
        body.append_with_node_1(&span).unwrap();
        let elem = JsCast::dyn_into::<HtmlElement>(span).unwrap();
        let height = elem.offset_height() as i32;
        let width = elem.offset_width() as i32;
        elem.remove();
        Ok(((0, 0), (width, height)))
    }
}
