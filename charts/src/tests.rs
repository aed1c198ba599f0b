//! The charts' unit tests: exports, read-outs, tick labels and what each drawing puts on the canvas.

use super::*;

fn spec() -> LineSpec {
    LineSpec { title: "Marginal error", x_label: "iteration", y_label: "error", guide: Some(1e-3), floor: LOG_FLOOR }
}

fn lines() -> Vec<Series> {
    vec![
        Series {
            name: "sinkhorn",
            color: RGBColor(200, 0, 0),
            points: vec![(1.0, 1.0), (2.0, 0.1), (3.0, 0.01), (4.0, f64::NAN)],
        },
        Series { name: "sns \"fast\"", color: RGBColor(0, 0, 200), points: vec![(1.0, 1.0), (2.0, 1e-4), (3.0, 0.0)] },
    ]
}

#[test]
fn read_out_numbers_keep_four_significant_digits() {
    assert_eq!(readout_number(0.0), "0");
    assert_eq!(readout_number(1.0), "1");
    assert_eq!(readout_number(1234.5678), "1235");
    assert_eq!(readout_number(0.012346), "0.01235");
    assert_eq!(readout_number(-2.5), "-2.5");
    assert_eq!(readout_number(1.5e-7), "1.500e-7");
    assert_eq!(readout_number(2.0e6), "2.000e6");
    assert_eq!(readout_number(f64::NAN), "NaN");
}

#[test]
fn the_nearest_point_within_the_radius_is_read_out() {
    let at = |px, series| Drawn { px, what: Readout::Point { series, x_label: "x", y_label: "y", x: 1.0, y: 2.0 } };
    let drawn = vec![at((10, 10), "a"), at((20, 10), "b"), at((100, 100), "c")];
    assert_eq!(nearest(&drawn, (14.0, 10.0), 12.0).unwrap().label(), "a: x = 1, y = 2");
    assert_eq!(nearest(&drawn, (16.0, 11.0), 12.0).unwrap().label(), "b: x = 1, y = 2");
    assert_eq!(nearest(&drawn, (60.0, 60.0), 12.0), None);
    assert_eq!(nearest(&[], (0.0, 0.0), 12.0), None);
}

#[test]
fn data_exports_quote_names_and_blank_non_finite_values() {
    let csv = series_csv(&lines());
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "series,x,y");
    assert_eq!(rows.len(), 1 + 4 + 3);
    assert_eq!(rows[1], "\"sinkhorn\",1,1");
    assert_eq!(rows[4], "\"sinkhorn\",4,", "NaN is an empty cell");
    assert_eq!(rows[5], "\"sns \"\"fast\"\"\",1,1");
    let json = series_json(&lines());
    assert!(json.starts_with("[{\"series\":\"sinkhorn\",\"points\":[[1,1],[2,0.1],[3,0.01],[4,null]]}"), "{json}");
    assert!(json.contains("\"series\":\"sns \\\"fast\\\"\""), "{json}");
    let bands = vec![Band {
        name: "gaussian".into(),
        color: RGBColor(0, 0, 0),
        points: vec![(64.0, 0.1, 0.2, 0.3), (128.0, 0.05, f64::INFINITY, 0.2)],
    }];
    let csv = bands_csv(&bands);
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        ["series,x,p10,median,p90", "\"gaussian\",64,0.1,0.2,0.3", "\"gaussian\",128,0.05,,0.2"]
    );
    assert_eq!(bands_json(&bands), "[{\"series\":\"gaussian\",\"points\":[[64,0.1,0.2,0.3],[128,0.05,null,0.2]]}]");
}

fn svg_lines(lines: &[Series], axes: (bool, bool)) -> (String, Vec<Drawn>) {
    let mut drawn = Vec::new();
    let svg = svg(|root| {
        drawn = draw_lines(root, spec(), lines, axes)?;
        Ok(())
    })
    .unwrap();
    (svg, drawn)
}

#[test]
fn a_line_chart_draws_every_finite_point_once_and_maps_it_inside_the_chart() {
    let (svg, drawn) = svg_lines(&lines(), (false, true));
    assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
    assert!(svg.contains("Marginal error") && svg.contains("iteration") && svg.contains("sinkhorn"));
    assert!(svg.matches("<polyline").count() >= 2, "one polyline per series");
    // 3 finite points of the first series, 3 of the second (0 is drawn at the log floor).
    assert_eq!(drawn.len(), 6);
    for d in &drawn {
        assert!((0..SIZE.0 as i32).contains(&d.px.0) && (0..SIZE.1 as i32).contains(&d.px.1), "{d:?}");
    }
    assert_eq!(drawn[0].label(), "sinkhorn: iteration = 1, error = 1");
    assert_eq!(drawn[5].label(), "sns \"fast\": iteration = 3, error = 0");
    // Smaller errors are lower on the chart; a later iteration further right.
    assert!(drawn[1].px.1 > drawn[0].px.1 && drawn[2].px.1 > drawn[1].px.1);
    assert!(drawn[1].px.0 > drawn[0].px.0);
}

/// The SVG's text elements as (y attribute, text), in document order.
fn texts(svg: &str) -> Vec<(String, String)> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let y = t.split(" y=\"").nth(1)?.split('"').next()?.to_owned();
            let body = t.split_once('>')?.1.split("</text>").next()?.to_owned();
            Some((y, body))
        })
        .collect()
}

/// The numeric labels sharing the most common baseline among numbers (the x axis's), and the rest.
fn tick_labels(svg: &str) -> (Vec<f64>, Vec<f64>) {
    let numbers: Vec<(String, f64)> =
        texts(svg).into_iter().filter_map(|(y, t)| t.trim().parse().ok().map(|v| (y, v))).collect();
    let mut rows: Vec<(&String, usize)> = Vec::new();
    for (y, _) in &numbers {
        match rows.iter_mut().find(|r| r.0 == y) {
            Some(r) => r.1 += 1,
            None => rows.push((y, 1)),
        }
    }
    let x_row = rows.iter().max_by_key(|r| r.1).map(|r| r.0.clone()).unwrap_or_default();
    let (x, y): (Vec<_>, Vec<_>) = numbers.into_iter().partition(|(row, _)| *row == x_row);
    (x.into_iter().map(|p| p.1).collect(), y.into_iter().map(|p| p.1).collect())
}

/// Epochs 1 to 2 (ticks every 0.2) and an NLL between 2.1 and 2.3 asked for on a log axis: the labels
/// were "0, 0, 0, 1, 1, …" on x (whole numbers at fractional ticks) and none at all on y (no power of ten
/// inside the range, where plotters puts a log axis's ticks). Every axis must now have labels, each
/// different from its neighbours, rising along the axis, and covering the data.
#[test]
fn every_axis_has_tick_labels_that_tell_its_ticks_apart() {
    let no_guide = LineSpec { guide: None, ..spec() };
    let draw = |points: Vec<(f64, f64)>, axes| {
        let line = [Series { name: "nll", color: RGBColor(0, 0, 200), points }];
        svg(|root| draw_lines(root, no_guide, &line, axes).map(drop)).unwrap()
    };
    let cases = [
        (vec![(1.0, 2.3), (1.5, 2.2), (2.0, 2.1)], (false, true)),
        (vec![(1.0, 0.5), (3.0, 0.4), (5.0, 0.45)], (false, false)),
        (vec![(1.0, 1e-4), (100.0, 1e-1), (320.0, 2e-2)], (false, true)),
        (vec![(0.2, 0.01), (4.0, 0.011)], (true, false)),
    ];
    for (points, axes) in cases {
        let (x, y) = tick_labels(&draw(points.clone(), axes));
        for (labels, data) in
            [(&x, points.iter().map(|p| p.0).collect::<Vec<_>>()), (&y, points.iter().map(|p| p.1).collect())]
        {
            assert!(labels.len() >= 2, "{points:?} {axes:?}: labels {labels:?}");
            assert!(labels.windows(2).all(|w| w[0] != w[1]), "{points:?} {axes:?}: repeated labels {labels:?}");
            let (lo, hi) = (
                labels.iter().copied().fold(f64::INFINITY, f64::min),
                labels.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
            let (dlo, dhi) = (
                data.iter().copied().fold(f64::INFINITY, f64::min),
                data.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
            // The labels span at least a third of the data's range (on a log axis, of its decades).
            assert!(
                hi > lo && (hi - lo) >= (dhi - dlo) / 3.0 || (hi / lo).ln() >= (dhi / dlo).ln() / 3.0,
                "{points:?} {axes:?}: labels {labels:?}"
            );
        }
    }
    assert_eq!(fixed_label(2.0)(&-1e-17), "0.0", "no negative zero");
    assert_eq!(significant(0.30000000000000004, 3), "0.3");
    assert_eq!(significant(320.0, 3), "320");
    assert_eq!(significant(1.25, 3), "1.25");
}

/// Sketch sizes 64 to 1024 on a log axis: every tick from 200 to 1000 was labelled and the labels near
/// 1000 ran into one another ("6007008009001000"). Over a decade or more only 1, 2 and 5 × 10^k are.
#[test]
fn a_band_chart_over_a_decade_labels_one_two_five() {
    let ms = [64.0, 128.0, 256.0, 512.0, 1024.0];
    let bands = vec![Band {
        name: "gaussian".into(),
        color: RGBColor(0, 0, 0),
        points: ms.iter().map(|&m| (m, 0.5 / m, 1.0 / m, 2.0 / m)).collect(),
    }];
    let spec = BandSpec { title: "eps vs m", x_label: "m", y_label: "eps", floor: 1e-12 };
    let svg = svg(|root| draw_bands(root, spec, &bands, true).map(drop)).unwrap();
    let (mut x, _) = tick_labels(&svg);
    // plotters puts the decade's key point twice at the same pixel (one label over the other).
    x.dedup();
    assert_eq!(x, [100.0, 200.0, 500.0, 1000.0], "{x:?}");
    assert_eq!(one_two_five(60.0, 120.0)(&70.0), "70", "under a decade every tick is labelled");
}

#[test]
fn the_axis_switches_move_the_points() {
    let (_, log) = svg_lines(&lines(), (false, true));
    let (_, linear) = svg_lines(&lines(), (false, false));
    // On a linear y, 0.1 and 0.01 sit near the bottom together; on a log y a decade apart.
    let gap = |d: &[Drawn]| d[2].px.1 - d[1].px.1;
    assert!(gap(&log) > 20, "log gap {}", gap(&log));
    assert!(gap(&linear) < 30, "linear gap {}", gap(&linear));
    // A log x leaves out x ≤ 0.
    let with_zero =
        vec![Series { name: "t", color: RGBColor(0, 0, 0), points: vec![(0.0, 1.0), (10.0, 0.5), (100.0, 0.1)] }];
    assert_eq!(svg_lines(&with_zero, (true, true)).1.len(), 2);
    assert_eq!(svg_lines(&with_zero, (false, true)).1.len(), 3);
}

#[test]
fn band_and_histogram_charts_read_out_their_medians_and_bins() {
    let bands = vec![Band {
        name: "gaussian".into(),
        color: RGBColor(0, 0, 0),
        points: vec![(64.0, 0.1, 0.2, 0.3), (128.0, 0.05, 0.1, 0.2)],
    }];
    let mut drawn = Vec::new();
    let text = svg(|root| {
        drawn = draw_bands(root, BandSpec { title: "eps", x_label: "m", y_label: "ε∞", floor: 1e-3 }, &bands, true)?;
        Ok(())
    })
    .unwrap();
    assert!(text.contains("<polygon"), "the p10–p90 band");
    assert_eq!(drawn.len(), 2);
    assert_eq!(drawn[0].label(), "gaussian: m = 64, ε∞ median 0.2 (p10 0.1, p90 0.3)");
    let hist = vec![Series {
        name: "srht",
        color: RGBColor(0, 0, 0),
        points: vec![(0.1, 0.0), (0.1, 0.0), (0.9, 0.0), (f64::NAN, 0.0)],
    }];
    let mut bins = Vec::new();
    svg(|root| {
        bins = draw_histogram(root, "ε∞", "ε∞", &hist)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(bins.len(), 2, "two non-empty bins");
    assert!(bins[0].label().ends_with("66.7% of trials"), "{}", bins[0].label());
}

#[cfg(feature = "png")]
#[test]
fn a_png_file_of_the_same_chart() {
    let bytes = png::render(|root| draw_lines(root, spec(), &lines(), (false, true)).map(drop)).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let decoder = ::png::Decoder::new(std::io::Cursor::new(&bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), SIZE);
    // Drawn, not blank: the series' red is there, and text (dark pixels) too.
    let rgb: Vec<&[u8]> = pixels[..info.buffer_size()].chunks(3).collect();
    assert!(rgb.iter().filter(|p| p[0] > 150 && p[1] < 60 && p[2] < 60).count() > 100, "the red line");
    assert!(rgb.iter().filter(|p| p[0] < 60 && p[1] < 60 && p[2] < 60).count() > 500, "text and axes");
}
