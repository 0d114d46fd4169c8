//! Panel titles: η and Δη in per cent, formatted like the paper.

/// `round(100·frac, 2)` printed like Python's float repr (at least one decimal) plus `" %"`:
/// `1.0 → "100.0 %"`, `0.9675 → "96.75 %"`, `0.966 → "96.6 %"`; negative values use a real
/// minus sign.
pub fn format_percent(frac: f64) -> String {
    let v = (frac * 10000.0).round() / 100.0;
    let mut s = format!("{:.2}", v.abs());
    if s.ends_with('0') {
        s.pop();
    }
    let sign = if v < 0.0 { "\u{2212}" } else { "" };
    format!("{sign}{s} %")
}

/// `text` in bold for rich-text labels: `bold("−8.77 %") == "**−8.77 %**"` (Figure 2 shows
/// the validation-selected learning rate's Δη in bold: `format!("Δη = {}", bold(..))`).
pub fn bold(text: &str) -> String {
    format!("**{text}**")
}

/// Title of a reference panel: `"η = 88.45 %"` for `eta = 0.8845`.
pub fn eta_title(eta: f64) -> String {
    format!("η = {}", format_percent(eta))
}

/// Title of a compared panel: `"Δη = −5.34 %"` with Δη = round((η_run − η_ref)·100, 2) (spec §6).
pub fn delta_eta_title(eta_run: f64, eta_ref: f64) -> String {
    format!("Δη = {}", format_percent(eta_run - eta_ref))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_format_matches_python_round() {
        assert_eq!(format_percent(1.0), "100.0 %");
        assert_eq!(format_percent(0.9675), "96.75 %");
        assert_eq!(format_percent(0.966), "96.6 %");
        assert_eq!(eta_title(0.8845), "η = 88.45 %");
        // (0.8311 − 0.8845)·100 = −5.34
        assert_eq!(delta_eta_title(0.8311, 0.8845), "Δη = \u{2212}5.34 %");
    }
}
