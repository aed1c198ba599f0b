//! Playground's layer buttons and the hidden-layers text field ("8,8" or "8:relu,4:tanh"): pure
//! functions over the training configuration.

use regula_core::train::{Activation, TrainConfig};

/// The page's network size (the 6 × 64; the CLI and the core take any).
pub const MAX_PAGE_LAYERS: usize = 6;
pub const MAX_PAGE_WIDTH: usize = 64;

/// Playground's layer buttons.
#[derive(Debug, Clone, Copy)]
pub enum LayerEdit {
    Add,
    Remove,
    Widen(usize),
    Narrow(usize),
}

/// Applies a layer button: a new layer copies the last one's width (4 for the first) and, when layers
/// name their activations, the shared one; widths stay within 1..=64 and layers within 0..=6.
pub fn edit_layers(config: &mut TrainConfig, edit: LayerEdit) {
    let per_layer = !config.layer_activations.is_empty();
    match edit {
        LayerEdit::Add if config.hidden.len() < MAX_PAGE_LAYERS => {
            config.hidden.push(config.hidden.last().copied().unwrap_or(4));
            if per_layer {
                config.layer_activations.push(config.activation);
            }
        }
        LayerEdit::Remove => {
            config.hidden.pop();
            config.layer_activations.truncate(config.hidden.len());
        }
        LayerEdit::Widen(k) => {
            if let Some(h) = config.hidden.get_mut(k) {
                *h = (*h + 1).min(MAX_PAGE_WIDTH);
            }
        }
        LayerEdit::Narrow(k) => {
            if let Some(h) = config.hidden.get_mut(k) {
                *h = h.saturating_sub(1).max(1);
            }
        }
        LayerEdit::Add => {}
    }
}

/// "8,8" or "8:relu,4:tanh" → widths, and per-layer activations when any layer names one (the others take
/// `default`).
pub fn parse_layers(text: &str, default: Activation) -> Result<(Vec<usize>, Vec<Activation>), String> {
    if text.trim().is_empty() {
        return Ok((vec![], vec![]));
    }
    let mut widths = Vec::new();
    let mut acts = Vec::new();
    let mut named = false;
    for part in text.split(',') {
        let (w, a) = match part.split_once(':') {
            Some((w, a)) => {
                named = true;
                (w, a.trim().parse::<Activation>().map_err(|e| e.to_string())?)
            }
            None => (part, default),
        };
        widths.push(crate::form::parse_usize("hidden", w.trim())?);
        acts.push(a);
    }
    Ok((widths, if named { acts } else { vec![] }))
}
