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
        widths.push(crate::preview::parse_usize("hidden", w.trim())?);
        acts.push(a);
    }
    Ok((widths, if named { acts } else { vec![] }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(hidden: &[usize], acts: &[Activation]) -> TrainConfig {
        TrainConfig {
            hidden: hidden.to_vec(),
            layer_activations: acts.to_vec(),
            activation: Activation::Tanh,
            ..TrainConfig::default()
        }
    }

    #[test]
    fn layer_buttons_copy_the_last_width_and_stay_within_the_page_limits() {
        let mut c = config(&[], &[]);
        edit_layers(&mut c, LayerEdit::Add);
        assert_eq!(c.hidden, [4], "the first layer has 4 neurons");
        c.hidden[0] = 7;
        edit_layers(&mut c, LayerEdit::Add);
        assert_eq!(c.hidden, [7, 7], "a new layer copies the last one");
        assert!(c.layer_activations.is_empty(), "a shared activation stays shared");
        for _ in 0..10 {
            edit_layers(&mut c, LayerEdit::Add);
        }
        assert_eq!(c.hidden.len(), MAX_PAGE_LAYERS);
        for _ in 0..100 {
            edit_layers(&mut c, LayerEdit::Widen(1));
            edit_layers(&mut c, LayerEdit::Narrow(0));
        }
        assert_eq!((c.hidden[0], c.hidden[1]), (1, MAX_PAGE_WIDTH), "widths within 1..=64");
        edit_layers(&mut c, LayerEdit::Widen(99));
        edit_layers(&mut c, LayerEdit::Narrow(99));
        assert_eq!(c.hidden.len(), MAX_PAGE_LAYERS, "a layer that is not there is left alone");
        for _ in 0..10 {
            edit_layers(&mut c, LayerEdit::Remove);
        }
        assert!(c.hidden.is_empty());
    }

    #[test]
    fn per_layer_activations_follow_the_layers() {
        let mut c = config(&[8, 4], &[Activation::Relu, Activation::Sigmoid]);
        edit_layers(&mut c, LayerEdit::Add);
        assert_eq!(c.hidden, [8, 4, 4]);
        assert_eq!(c.layer_activations, [Activation::Relu, Activation::Sigmoid, Activation::Tanh]);
        edit_layers(&mut c, LayerEdit::Remove);
        edit_layers(&mut c, LayerEdit::Remove);
        assert_eq!((c.hidden.len(), c.layer_activations.len()), (1, 1));
        assert_eq!(c.layer_activations, [Activation::Relu]);
    }

    #[test]
    fn the_hidden_layers_field_reads_widths_and_named_activations() {
        assert_eq!(parse_layers("8,8", Activation::Tanh), Ok((vec![8, 8], vec![])));
        assert_eq!(parse_layers("  ", Activation::Tanh), Ok((vec![], vec![])));
        assert_eq!(
            parse_layers("8:relu, 4", Activation::Tanh),
            Ok((vec![8, 4], vec![Activation::Relu, Activation::Tanh])),
            "one named layer names them all; the rest take the shared activation"
        );
        assert_eq!(parse_layers(" 16 : sigmoid ", Activation::Relu), Ok((vec![16], vec![Activation::Sigmoid])));
        let bad_width = parse_layers("8,x", Activation::Tanh).unwrap_err();
        assert!(bad_width.contains("`hidden`"), "{bad_width}");
        let bad_act = parse_layers("8:swish", Activation::Tanh).unwrap_err();
        assert!(bad_act.contains("swish") && bad_act.contains("relu"), "names the choices: {bad_act}");
        assert!(parse_layers("8,,8", Activation::Tanh).is_err(), "an empty layer");
    }
}
