//! `evlock-calibrate report`: a certificate (and optionally a later check) as a table for
//! humans, and the error of each load point against the class limits as a small SVG.

use std::fmt::Write as _;

use serde_json::Value;

use super::Certificate;
use crate::wire::{CalibrationRecord, CalibrationSummaryRecord};

/// The `calibration` records of a check run (`evlock-calibrate check … > check.ndjson`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckRun {
    /// The point records.
    pub points: Vec<CalibrationRecord>,
    /// The summary record, when present.
    pub summary: Option<CalibrationSummaryRecord>,
}

impl CheckRun {
    /// Reads the `calibration` records from NDJSON text; other kinds are skipped.
    pub fn parse(text: &str) -> Result<CheckRun, String> {
        let mut run = CheckRun::default();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let value: Value =
                serde_json::from_str(line).map_err(|e| format!("line {}: not JSON: {e}", index + 1))?;
            let record = value.as_object().ok_or_else(|| format!("line {}: not a record", index + 1))?;
            // A check's output holds calibration records only: anything else is another file.
            crate::wire::check_record(record, &["calibration"])
                .map_err(|e| format!("line {}: {e}", index + 1))?;
            let bad = |e: serde_json::Error| format!("line {}: not a calibration record: {e}", index + 1);
            match value.get("step").and_then(Value::as_str) {
                Some("point") => run.points.push(serde_json::from_value(value).map_err(bad)?),
                Some("summary") => run.summary = Some(serde_json::from_value(value).map_err(bad)?),
                other => return Err(format!("line {}: unknown calibration step {other:?}", index + 1)),
            }
        }
        if run.points.is_empty() {
            return Err("no calibration point records in it".into());
        }
        Ok(run)
    }

    fn point(&self, index: u32) -> Option<&CalibrationRecord> {
        self.points.iter().find(|p| p.point == index)
    }
}

fn trim_float(value: f64) -> String {
    let text = format!("{value}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// The certificate as a table. `signature` is what verifying it said (`valid`, or why not).
pub fn table(certificate: &Certificate, path: &str, signature: &str, check: Option<&CheckRun>) -> String {
    let mut text = String::new();
    let device = &certificate.device;
    let _ = writeln!(text, "Calibration certificate {path}");
    let _ = writeln!(text, "  device      {} ({}, {})", device.uri, device.driver, device.model);
    let _ = writeln!(text, "  issued      {}", certificate.issued);
    let _ = writeln!(text, "  technician  {} (signature {signature})", certificate.technician);
    let _ = writeln!(
        text,
        "  class       {} % (zero point ±{} A)",
        trim_float(certificate.class),
        trim_float(certificate.zero_limit_amps)
    );
    let method = match (&certificate.method[..], &certificate.reference) {
        ("reference", Some(uri)) => format!("reference meter {uri}"),
        _ => "known reference loads".to_string(),
    };
    let _ = writeln!(text, "  method      {method}");
    let _ = writeln!(
        text,
        "  correction  gain {}, offset {:+.6} A",
        certificate.correction.gain, certificate.correction.offset_amps
    );
    let registers: Vec<String> =
        certificate.registers.iter().map(|(name, value)| format!("{name}={value:#x}")).collect();
    let registers =
        if registers.is_empty() { "(the device exposes none)".to_string() } else { registers.join(" ") };
    let _ = writeln!(text, "  registers   {registers}");
    text.push('\n');

    let mut header = format!(
        "{:>5}  {:<4}  {:>9}  {:>11}  {:>11}  {:>11}  {:<8}",
        "point", "load", "nominal A", "reference A", "measured A", "error", "limit"
    );
    if check.is_some() {
        let _ = write!(header, "  {:>11}  {:>11}  {:<6}", "checked A", "error", "check");
    }
    let _ = writeln!(text, "{}", header.trim_end());
    for point in &certificate.points {
        let zero = point.load == "zero";
        let error = match point.error_pct {
            Some(pct) => format!("{pct:+.4} %"),
            None => format!("{:+.6} A", point.error_amps),
        };
        let limit = if zero {
            format!("±{} A", trim_float(certificate.zero_limit_amps))
        } else {
            format!("±{} %", trim_float(certificate.class))
        };
        let mut row = format!(
            "{:>5}  {:<4}  {:>9.3}  {:>11.6}  {:>11.6}  {:>11}  {:<8}",
            point.point,
            point.load,
            point.nominal_amps,
            point.reference_amps,
            point.measured_amps,
            error,
            limit
        );
        if let Some(check) = check {
            match check.point(point.point) {
                Some(found) => {
                    let error = match found.error_pct {
                        Some(pct) => format!("{pct:+.4} %"),
                        None => format!("{:+.6} A", found.error_amps),
                    };
                    let verdict = if found.pass { "pass" } else { "FAIL" };
                    let _ = write!(row, "  {:>11.6}  {:>11}  {verdict:<6}", found.measured_amps, error);
                }
                None => {
                    let _ = write!(row, "  {:>11}  {:>11}  {:<6}", "—", "—", "—");
                }
            }
        }
        let _ = writeln!(text, "{}", row.trim_end());
    }
    if let Some(summary) = check.and_then(|c| c.summary.as_ref()) {
        text.push('\n');
        let verdict = if summary.pass { "PASS" } else { "FAIL" };
        let _ = writeln!(text, "Check of {}: {verdict} (registers {})", summary.device, summary.registers);
        for reason in &summary.reasons {
            let _ = writeln!(text, "  - {reason}");
        }
    }
    text
}

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The load points' error % against load current, with the ±class limits: a standalone SVG.
/// Commissioning points are blue circles, a check's points orange squares.
pub fn svg(certificate: &Certificate, check: Option<&CheckRun>) -> String {
    const WIDTH: f64 = 640.0;
    const HEIGHT: f64 = 400.0;
    const LEFT: f64 = 70.0;
    const RIGHT: f64 = 20.0;
    const TOP: f64 = 40.0;
    const BOTTOM: f64 = 50.0;
    let commissioned: Vec<(f64, f64)> =
        certificate.load_points().filter_map(|p| p.error_pct.map(|e| (p.reference_amps, e))).collect();
    let checked: Vec<(f64, f64, bool)> = check
        .map(|c| c.points.iter().filter_map(|p| p.error_pct.map(|e| (p.reference_amps, e, p.pass))).collect())
        .unwrap_or_default();
    let max_amps =
        commissioned.iter().map(|p| p.0).chain(checked.iter().map(|p| p.0)).fold(1.0_f64, f64::max) * 1.1;
    let largest_error =
        commissioned.iter().map(|p| p.1.abs()).chain(checked.iter().map(|p| p.1.abs())).fold(0.0, f64::max);
    let span = (certificate.class * 2.0).max(largest_error * 1.2);
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let x = |amps: f64| LEFT + amps / max_amps * plot_width;
    let y = |pct: f64| TOP + (span - pct) / (2.0 * span) * plot_height;

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="14">{} — error against load, class {} %</text>"#,
        WIDTH / 2.0,
        escape(&certificate.device.uri),
        trim_float(certificate.class)
    );
    // The class band and its limits.
    let _ = writeln!(
        out,
        r##"<rect x="{LEFT}" y="{:.1}" width="{plot_width}" height="{:.1}" fill="#e8f5e9"/>"##,
        y(certificate.class),
        y(-certificate.class) - y(certificate.class)
    );
    for limit in [certificate.class, -certificate.class] {
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" y1="{0:.1}" x2="{1}" y2="{0:.1}" stroke="#c62828" stroke-dasharray="6 4"/><text x="{2}" y="{3:.1}" text-anchor="end" fill="#c62828">{4:+} %</text>"##,
            y(limit),
            WIDTH - RIGHT,
            WIDTH - RIGHT - 4.0,
            y(limit) - 4.0,
            limit
        );
    }
    // Axes, the zero line and tick labels.
    let _ = writeln!(
        out,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{0}" stroke="black"/><line x1="{LEFT}" y1="{0}" x2="{1}" y2="{0}" stroke="black"/><line x1="{LEFT}" y1="{2:.1}" x2="{1}" y2="{2:.1}" stroke="#999"/>"##,
        HEIGHT - BOTTOM,
        WIDTH - RIGHT,
        y(0.0)
    );
    for tick in 0..=4 {
        let pct = -span + span * tick as f64 / 2.0;
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{pct:+.2}</text>"#,
            LEFT - 6.0,
            y(pct) + 4.0
        );
        let amps = max_amps * tick as f64 / 4.0;
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{amps:.2}</text>"#,
            x(amps),
            HEIGHT - BOTTOM + 18.0
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle">load current (A)</text>"#,
        LEFT + plot_width / 2.0,
        HEIGHT - 10.0
    );
    let _ = writeln!(
        out,
        r#"<text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">error (%)</text>"#,
        TOP + plot_height / 2.0,
        TOP + plot_height / 2.0
    );
    for (amps, pct) in &commissioned {
        let _ = writeln!(
            out,
            r##"<circle cx="{:.1}" cy="{:.1}" r="5" fill="#1565c0"><title>commissioned: {amps} A, {pct:+.4} %</title></circle>"##,
            x(*amps),
            y(*pct)
        );
    }
    for (amps, pct, pass) in &checked {
        let colour = if *pass { "#ef6c00" } else { "#b71c1c" };
        let _ = writeln!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="9" height="9" fill="{colour}"><title>checked: {amps} A, {pct:+.4} %</title></rect>"#,
            x(*amps) - 4.5,
            y(*pct) - 4.5
        );
    }
    // The legend, below the plot on the left (the axis title is centred).
    let legend_y = HEIGHT - 10.0;
    let _ = writeln!(
        out,
        r##"<circle cx="{0}" cy="{1}" r="5" fill="#1565c0"/><text x="{2}" y="{3}">commissioning</text>"##,
        LEFT - 50.0,
        legend_y - 4.0,
        LEFT - 40.0,
        legend_y
    );
    if check.is_some() {
        let _ = writeln!(
            out,
            r##"<rect x="{0}" y="{1}" width="9" height="9" fill="#ef6c00"/><text x="{2}" y="{3}">check</text>"##,
            LEFT + 54.5,
            legend_y - 8.5,
            LEFT + 68.0,
            legend_y
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::certificate::tests::{technician, unsigned};

    fn check_ndjson() -> String {
        let point = |index: u32, error_pct: Option<f64>, pass: bool| {
            serde_json::json!({"kind":"calibration","v":1,"step":"point","device":"sim:bench","point":index,
                "load": if index == 0 {"zero"} else {"load"}, "nominal_amps": 2.0 * index as f64,
                "reference_amps": 2.0 * index as f64, "measured_amps": 2.06 * index as f64,
                "error_amps": 0.06 * index as f64, "error_pct": error_pct, "limit_pct": 1.0,
                "pass": pass, "class": 1.0, "samples": 5})
            .to_string()
        };
        let summary = serde_json::json!({"kind":"calibration","v":1,"step":"summary","command":"check",
            "device":"sim:bench","pass":false,"class":1.0,"points":2,"failed_points":[1],"signature":"valid",
            "technician":"0x0","registers":"match","gain":0.97,"offset_amps":0.0,"certificate":"c.json",
            "reasons":["point 1 (2 A): error +3.000 % is beyond ±1 %"]});
        format!("{}\n{}\n{summary}\n", point(0, None, true), point(1, Some(3.0), false))
    }

    #[test]
    fn the_table_shows_every_point_and_the_check() {
        let certificate = unsigned().sign(&technician()).unwrap();
        let check = CheckRun::parse(&check_ndjson()).unwrap();
        assert_eq!(check.points.len(), 2);
        let text = table(&certificate, "cert.json", "valid", Some(&check));
        assert!(text.contains("Calibration certificate cert.json"), "{text}");
        assert!(text.contains("signature valid"));
        assert!(text.contains("gain=0x8000"));
        let rows: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with(['0', '1'])).collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert!(
            rows[1].contains("+0.2127") && rows[1].contains("+3.0000") && rows[1].contains("FAIL"),
            "{text}"
        );
        assert!(text.contains("Check of sim:bench: FAIL"));
        assert!(text.contains("- point 1 (2 A): error +3.000 %"));
    }

    #[test]
    fn the_svg_plots_points_and_limits() {
        let certificate = unsigned().sign(&technician()).unwrap();
        let check = CheckRun::parse(&check_ndjson()).unwrap();
        let drawing = svg(&certificate, Some(&check));
        assert!(drawing.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(drawing.trim_end().ends_with("</svg>"));
        assert_eq!(drawing.matches("<circle").count(), 2, "one load point + the legend");
        assert_eq!(drawing.matches("stroke-dasharray").count(), 2, "±class limit lines");
        assert!(drawing.contains("checked: 2 A, +3.0000 %"));
        assert!(drawing.contains("+1 %") && drawing.contains("-1 %"));
        // Balanced tags: every element opened is closed.
        assert_eq!(drawing.matches("<title>").count(), drawing.matches("</title>").count());
    }

    #[test]
    fn check_files_without_points_or_with_garbage_are_refused() {
        let summary_only = r#"{"kind":"calibration","v":1,"step":"summary"}"#;
        assert!(CheckRun::parse(summary_only).unwrap_err().contains("not a calibration record"));
        assert!(CheckRun::parse("\n").unwrap_err().contains("no calibration point"));
        let other = CheckRun::parse("{\"kind\":\"reading\"}\n").unwrap_err();
        assert!(
            other.contains(
                "line 1: a record of kind \"reading\" cannot be used here (this takes calibration)"
            ),
            "{other}"
        );
        let newer = CheckRun::parse("{\"kind\":\"calibration\",\"v\":2}\n").unwrap_err();
        assert!(newer.contains("version 2"), "{newer}");
        assert!(CheckRun::parse("not json\n").unwrap_err().contains("line 1"));
        let wrong = r#"{"kind":"calibration","step":"point","point":"x"}"#;
        assert!(CheckRun::parse(wrong).unwrap_err().contains("not a calibration record"));
    }
}
