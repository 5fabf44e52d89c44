//! The simulator against its contract: shared worlds, the relay and load, energy integration,
//! determinism, every injected fault at its virtual time (and not before), and bad URIs.

use std::time::Duration;

use evlock::exit::{ErrorClass, ExitCode};
use evlock::meter::{self, DeviceUri, Meter, MeterError, PowerState, Sample};

fn uri(text: &str) -> DeviceUri {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn open(text: &str) -> Box<dyn Meter> {
    meter::open_meter(&uri(text)).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Reads at 0, 1, …, `last` seconds.
fn read_series(meter: &mut dyn Meter, last: u64) -> Vec<Sample> {
    (0..=last).map(|t| meter.read(secs(t)).unwrap_or_else(|e| panic!("read at {t}s: {e}"))).collect()
}

fn open_err(text: &str) -> MeterError {
    match meter::open_meter(&uri(text)) {
        Ok(_) => panic!("{text} was accepted"),
        Err(e) => e,
    }
}

fn close_to(found: f64, expected: f64, relative: f64) -> bool {
    (found - expected).abs() <= expected.abs() * relative
}

#[test]
fn a_clean_battery_reads_realistic_values() {
    let mut m = open("sim:clean-defaults");
    for s in read_series(m.as_mut(), 100) {
        assert!(close_to(s.volts, 12.8, 0.01), "volts {}", s.volts);
        assert!(close_to(s.amps, 2.0, 0.01), "amps {}", s.amps);
        assert_eq!(s.watts, s.volts * s.amps);
        assert_eq!(s.state, PowerState::Converting);
        assert_eq!(s.registers["gain"], 1_000_000);
        assert_eq!(s.registers["offset"], 0);
        assert_eq!(s.registers["config"], 1);
    }
    assert_eq!(m.registers().unwrap()["gain"], 1_000_000);
    assert!(m.self_test().unwrap().iter().all(|c| c.pass));
    assert_eq!(m.info().driver, "sim");
}

#[test]
fn the_same_seed_gives_the_same_samples_and_another_seed_does_not() {
    let a = read_series(open("sim:seed-a?seed=42").as_mut(), 50);
    let b = read_series(open("sim:seed-b?seed=42").as_mut(), 50);
    let c = read_series(open("sim:seed-c?seed=43").as_mut(), 50);
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Noise is there and is about the configured size (0.2 % relative).
    let mean = a.iter().map(|s| s.volts).sum::<f64>() / a.len() as f64;
    let sd = (a.iter().map(|s| (s.volts - mean).powi(2)).sum::<f64>() / a.len() as f64).sqrt();
    assert!(sd > 0.0005 * 12.8 && sd < 0.005 * 12.8, "volts sd {sd}");
}

#[test]
fn energy_integrates_volts_times_amps_over_virtual_time() {
    let mut m = open("sim:energy-hour");
    let mut reference = open("sim:energy-hour?role=reference");
    let samples = read_series(m.as_mut(), 3600);
    let truth = read_series(reference.as_mut(), 3600);
    let energy = samples.last().unwrap().energy_wh;
    // 2 A × 12.8 V × 1 h, less the battery's slight sag as 2 Ah of 100 Ah are drawn.
    assert!(close_to(energy, 25.6, 0.003), "energy {energy} Wh");
    assert!(close_to(energy, truth.last().unwrap().energy_wh, 0.002));
    assert!(samples.windows(2).all(|w| w[1].energy_wh >= w[0].energy_wh));
    // Halfway it is half.
    assert!(close_to(samples[1800].energy_wh, 12.8, 0.003), "{}", samples[1800].energy_wh);
}

#[test]
fn the_battery_voltage_falls_slowly_as_charge_is_drawn() {
    let mut reference = open("sim:sag?role=reference&amps=10");
    let start = reference.read(secs(0)).unwrap().volts;
    let later = reference.read(secs(36_000)).unwrap().volts;
    reference.read(secs(36_001)).unwrap();
    assert_eq!(start, 12.8);
    // 100 Ah drawn of 100 Ah: 8 % down.
    assert!(later < start && later > start * 0.9, "{start} → {later}");
}

#[test]
fn a_reference_meter_gives_true_values_without_noise_drift_or_faults() {
    let _meter = open("sim:ref-truth?drift=10%&fault=disconnect,spike");
    let mut reference = open("sim:ref-truth?role=reference&fault=disconnect&drift=10%");
    for s in read_series(reference.as_mut(), 20) {
        // Exact values: only the battery's sag (2 A from 100 Ah) moves the voltage.
        assert!(s.volts <= 12.8 && s.volts > 12.799, "{}", s.volts);
        assert_eq!(s.amps, 2.0);
        assert_eq!(s.watts, s.volts * 2.0);
        assert_eq!(s.state, PowerState::Converting);
    }
    assert!(reference.self_test().unwrap().iter().all(|c| c.pass));
}

#[test]
fn a_switch_on_the_same_name_stops_and_restarts_the_current() {
    let mut m = open("sim:relay-shared");
    let mut switch = meter::open_switch(&uri("sim:relay-shared")).unwrap();
    assert!(switch.is_closed().unwrap());
    assert!(close_to(m.read(secs(0)).unwrap().amps, 2.0, 0.01));
    switch.set_closed(false).unwrap();
    assert!(!switch.is_closed().unwrap());
    for t in 1..200 {
        let amps = m.read(secs(t)).unwrap().amps;
        assert!(amps.abs() < 0.005, "amps {amps} with the relay open at {t}s");
    }
    switch.set_closed(true).unwrap();
    assert!(close_to(m.read(secs(200)).unwrap().amps, 2.0, 0.01));
    // A switch on another name is another world.
    let mut other = meter::open_switch(&uri("sim:relay-other")).unwrap();
    other.set_closed(false).unwrap();
    assert!(close_to(m.read(secs(201)).unwrap().amps, 2.0, 0.01));
}

#[test]
fn switch_open_in_the_uri_starts_with_the_relay_open() {
    let mut m = open("sim:relay-starts-open?switch=open");
    assert!(m.read(secs(0)).unwrap().amps.abs() < 0.005);
    assert!(!meter::open_switch(&uri("sim:relay-starts-open")).unwrap().is_closed().unwrap());
}

#[test]
fn a_load_on_the_same_name_changes_the_current() {
    let mut m = open("sim:load-shared?noise=0");
    let mut load = meter::open_load(&uri("sim:load-shared")).unwrap();
    assert_eq!(m.read(secs(0)).unwrap().amps, 2.0);
    load.set_amps(5.0).unwrap();
    let s = m.read(secs(1)).unwrap();
    assert_eq!(s.amps, 5.0);
    assert_eq!(s.watts, 5.0 * s.volts);
    let err = load.set_amps(f64::NAN).unwrap_err();
    assert!(matches!(err, MeterError::BadUri { .. }), "{err}");
}

#[test]
fn solar_varies_smoothly_between_half_and_full_peak() {
    let samples = read_series(open("sim:sun?kind=solar&amps=4&volts=18&noise=0").as_mut(), 2400);
    let (min, max) =
        samples.iter().fold((f64::MAX, f64::MIN), |(lo, hi), s| (lo.min(s.amps), hi.max(s.amps)));
    assert!(close_to(min, 2.0, 0.01) && close_to(max, 4.0, 0.01), "{min}..{max}");
    assert!(samples.windows(2).all(|w| (w[1].amps - w[0].amps).abs() < 0.02));
    assert!(samples.iter().all(|s| close_to(s.volts, 18.0, 0.011)));
    assert!(samples.windows(2).any(|w| w[1].volts != w[0].volts));
}

/// Reads a faulted and a clean meter of their own worlds at 0..=60 s; the fault is at 30 s.
fn faulted(name: &str, params: &str) -> Vec<Sample> {
    read_series(open(&format!("sim:{name}?noise=0&{params}")).as_mut(), 60)
}

#[test]
fn sleep_shuts_the_sensor_down_and_values_stop_changing() {
    let s = faulted("f-sleep", "fault=sleep@30s");
    for (t, sample) in s.iter().enumerate() {
        if t < 30 {
            assert_eq!(sample.state, PowerState::Converting, "{t}s");
            assert_eq!(sample.registers["config"], 1);
        } else {
            assert_eq!(sample.state, PowerState::Shutdown, "{t}s");
            assert_eq!(sample.registers["config"], 0);
            assert_eq!(sample.energy_wh.to_bits(), s[29].energy_wh.to_bits());
            assert_eq!(sample.volts.to_bits(), s[29].volts.to_bits());
        }
    }
    assert!(s[29].energy_wh > s[28].energy_wh);
}

#[test]
fn sleep_from_the_start_reads_nothing() {
    let mut m = open("sim:f-sleep-start?fault=sleep");
    let s = m.read(secs(0)).unwrap();
    assert_eq!((s.state, s.volts, s.amps, s.energy_wh), (PowerState::Shutdown, 0.0, 0.0, 0.0));
    let failed: Vec<_> = m.self_test().unwrap().into_iter().filter(|c| !c.pass).map(|c| c.name).collect();
    assert_eq!(failed, ["config_readback"]);
}

#[test]
fn recal_changes_the_gain_register_and_scales_the_current() {
    let s = faulted("f-recal", "fault=recal@30s");
    assert!(s[..30].iter().all(|x| x.registers["gain"] == 1_000_000 && x.amps == 2.0));
    assert!(s[30..].iter().all(|x| x.registers["gain"] == 900_000 && close_to(x.amps, 1.8, 1e-12)));
    let mut m = open("sim:f-recal-start?fault=recal");
    assert_eq!(m.registers().unwrap()["gain"], 900_000, "tampered before commissioning");
    assert!(m.self_test().unwrap().iter().any(|c| c.name == "gain_range" && !c.pass));
}

#[test]
fn reset_drops_the_energy_total_to_zero_once_and_it_counts_on() {
    let s = faulted("f-reset", "fault=reset@30s");
    assert!(s[29].energy_wh > 0.2);
    assert_eq!(s[30].energy_wh, 0.0);
    assert!(s[31].energy_wh > 0.0 && s[31].energy_wh < 0.01);
    assert!(s[30..].windows(2).all(|w| w[1].energy_wh > w[0].energy_wh), "counts on, no second reset");
}

#[test]
fn freeze_repeats_the_previous_sample_bit_for_bit() {
    let s = read_series(open("sim:f-freeze?fault=freeze@30s").as_mut(), 60);
    assert!(s[..30].windows(2).all(|w| w[0].volts != w[1].volts && w[0].energy_wh != w[1].energy_wh));
    for sample in &s[30..] {
        assert_eq!(sample.volts.to_bits(), s[29].volts.to_bits());
        assert_eq!(sample.amps.to_bits(), s[29].amps.to_bits());
        assert_eq!(sample.watts.to_bits(), s[29].watts.to_bits());
        assert_eq!(sample.energy_wh.to_bits(), s[29].energy_wh.to_bits());
    }
}

#[test]
fn rewire_makes_current_flow_with_the_relay_open() {
    let s = read_series(open("sim:f-rewire?switch=open&fault=rewire@30s").as_mut(), 60);
    assert!(s[..30].iter().all(|x| x.amps.abs() < 0.005));
    assert!(s[30..].iter().all(|x| close_to(x.amps, 2.0, 0.01)));
}

#[test]
fn nocurrent_reads_zero_with_the_relay_closed() {
    let s = read_series(open("sim:f-nocurrent?fault=nocurrent@30s").as_mut(), 60);
    assert!(s[..30].iter().all(|x| close_to(x.amps, 2.0, 0.01)));
    assert!(s[30..].iter().all(|x| x.amps.abs() < 0.005));
}

#[test]
fn spike_is_one_impossible_reading_then_normal() {
    let s = faulted("f-spike", "fault=spike@30s");
    assert!(s.iter().enumerate().all(|(t, x)| (x.volts == 10_000.0) == (t == 30)));
    assert_eq!(s[30].watts, 10_000.0 * s[30].amps);
    // The accumulator did not take the glitch in.
    let step = s[31].energy_wh - s[30].energy_wh;
    assert!(close_to(s[30].energy_wh - s[29].energy_wh, step, 1e-6));
}

#[test]
fn disconnect_times_out_from_then_on() {
    let mut m = open("sim:f-disconnect?fault=disconnect@30s");
    for t in 0..30 {
        m.read(secs(t)).unwrap();
    }
    for t in 30..40 {
        let err = m.read(secs(t)).unwrap_err();
        assert!(matches!(err, MeterError::Timeout { .. }), "{err}");
        assert_eq!(err.exit_code(), ExitCode::Device);
        assert_eq!(err.error_code(), "device_timeout");
    }
    assert!(m.registers().is_err());
}

#[test]
fn drift_offsets_current_and_power_from_its_time() {
    let s = faulted("f-drift", "drift=5%@30s");
    assert!(s[..30].iter().all(|x| x.amps == 2.0));
    assert!(s[30..].iter().all(|x| close_to(x.amps, 2.1, 1e-12) && close_to(x.watts, 2.1 * x.volts, 1e-12)));
    assert!(s.iter().all(|x| x.registers["gain"] == 1_000_000), "drift is invisible in the registers");
    let from_start = faulted("f-drift-start", "drift=-2.5%");
    assert!(close_to(from_start[0].amps, 1.95, 1e-12));
}

#[test]
fn several_faults_act_each_at_its_time() {
    let s = faulted("f-several", "fault=spike@10s,recal@20s");
    assert_eq!(s[10].volts, 10_000.0);
    assert_eq!(s[19].registers["gain"], 1_000_000);
    assert_eq!(s[20].registers["gain"], 900_000);
    let t = faulted("f-ms", "fault=nocurrent@1500ms");
    assert_eq!(t[1].amps, 2.0);
    assert_eq!(t[2].amps, 0.0);
}

#[test]
fn a_clean_simulator_stays_clean_over_ten_thousand_readings() {
    let mut m = open("sim:clean-10k");
    let mut previous: Option<Sample> = None;
    for t in 0..10_000 {
        let s = m.read(secs(t)).unwrap();
        assert_eq!(s.state, PowerState::Converting);
        assert!(s.volts > 11.0 && s.volts < 14.0 && s.amps > 1.9 && s.amps < 2.1, "{t}s: {s:?}");
        assert_eq!(s.registers["gain"], 1_000_000);
        if let Some(p) = &previous {
            assert!(s.energy_wh > p.energy_wh);
            assert_ne!(s.volts.to_bits(), p.volts.to_bits());
            assert_ne!(s.amps.to_bits(), p.amps.to_bits());
        }
        previous = Some(s);
    }
}

#[test]
fn bad_parameters_are_clear_bad_uri_errors() {
    for (text, needle) in [
        ("sim:bad?colour=red", "unknown parameter \"colour\""),
        ("sim:bad?fault=bogus@3s", "unknown fault \"bogus\""),
        ("sim:bad?fault=sleep@soon", "soon"),
        ("sim:bad?drift=abc", "drift=abc"),
        ("sim:bad?drift=2", "percentage"),
        ("sim:bad?drift=x%", "not a number"),
        ("sim:bad?kind=wind", "kind=wind"),
        ("sim:bad?switch=maybe", "switch=maybe"),
        ("sim:bad?mode=fast", "mode=fast"),
        ("sim:bad?role=judge", "role=judge"),
        ("sim:bad?volts=-3", "volts=-3"),
        ("sim:bad?noise=lots", "noise=lots"),
        ("sim:bad?seed=-1", "seed=-1"),
    ] {
        let err = open_err(text);
        assert!(matches!(err, MeterError::BadUri { .. }), "{text}: {err}");
        assert_eq!(err.exit_code(), ExitCode::Device);
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
    assert!(meter::open_switch(&uri("sim:bad?fault=bogus")).is_err());
    assert!(meter::open_load(&uri("sim:bad?drift=abc")).is_err());
}

#[test]
fn a_later_uri_may_not_contradict_the_world_it_joins() {
    let _first = open("sim:world-conflict?volts=24&switch=open");
    let err = open_err("sim:world-conflict?volts=12");
    assert!(err.to_string().contains("volts=24"), "{err}");
    assert!(open_err("sim:world-conflict?switch=closed").to_string().contains("switch=open"));
    // Repeating the same values, or leaving them out, joins the world.
    let mut joined = open("sim:world-conflict?volts=24&role=reference");
    assert_eq!(joined.read(secs(0)).unwrap().volts, 24.0);
    assert_eq!(joined.read(secs(1)).unwrap().amps, 0.0);
}

// mode=ina228: the real INA228 driver on the register-level chip model, faults at register level.

/// Reads an ina228-mode meter at 0..=60 s (faults at 30 s).
fn ina228_series(name: &str, params: &str) -> Vec<Sample> {
    read_series(open(&format!("sim:{name}?mode=ina228&{params}")).as_mut(), 60)
}

#[test]
fn ina228_mode_reads_through_the_driver_and_its_registers() {
    let mut m = open("sim:i-clean?mode=ina228");
    assert_eq!(m.info().model, "simulated INA228");
    let s = read_series(m.as_mut(), 3600);
    for x in &s {
        assert!(close_to(x.volts, 12.8, 0.01) && close_to(x.amps, 2.0, 0.01), "{x:?}");
        assert_eq!(x.state, PowerState::Converting);
        assert_eq!(x.temperature_c, Some(25.0));
        assert_eq!(x.registers["shunt_cal"], 4000, "2 mΩ, 80 A: 13107.2e6 × 80/2^19 × 0.002");
        assert_eq!(x.registers["adc_config"], 0xFB68);
        assert_eq!(x.registers["config"], 0);
        assert_eq!(x.registers["manufacturer_id"], 0x5449);
    }
    let energy = s.last().unwrap().energy_wh;
    assert!(close_to(energy, 25.6, 0.005), "{energy}");
    assert!(close_to(s.last().unwrap().charge_ah.unwrap(), 2.0, 0.005));
    assert!(m.self_test().unwrap().iter().all(|c| c.pass));
    // The relay opens: the chip reads noise only.
    meter::open_switch(&uri("sim:i-clean")).unwrap().set_closed(false).unwrap();
    assert!(m.read(secs(3601)).unwrap().amps.abs() < 0.005);
}

#[test]
fn ina228_sleep_writes_mode_shutdown_and_values_hold() {
    let s = ina228_series("i-sleep", "fault=sleep@30s");
    assert!(s[..30].iter().all(|x| x.state == PowerState::Converting && x.registers["adc_config"] == 0xFB68));
    for x in &s[30..] {
        assert_eq!(x.state, PowerState::Shutdown);
        assert_eq!(x.registers["adc_config"] >> 12, 0, "MODE = 0h");
        assert_eq!(x.volts.to_bits(), s[29].volts.to_bits());
        assert_eq!(x.energy_wh.to_bits(), s[29].energy_wh.to_bits());
    }
}

#[test]
fn ina228_reset_sets_rstacc_and_the_accumulator_restarts() {
    let s = ina228_series("i-reset", "fault=reset@30s");
    assert!(s[29].energy_wh > 0.2 && s[29].charge_ah.unwrap() > 0.01);
    assert_eq!(s[30].energy_wh, 0.0);
    assert_eq!(s[30].charge_ah, Some(0.0));
    assert_eq!(s[30].registers["config"], 0, "RSTACC clears itself");
    assert!(s[31].energy_wh > 0.0 && s[60].energy_wh > s[31].energy_wh);
}

#[test]
fn ina228_recal_changes_shunt_cal_and_the_current() {
    let s = ina228_series("i-recal", "noise=0&fault=recal@30s");
    assert!(s[..30].iter().all(|x| x.registers["shunt_cal"] == 4000 && close_to(x.amps, 2.0, 1e-3)));
    assert!(
        s[30..].iter().all(|x| x.registers["shunt_cal"] == 4444 && close_to(x.amps, 1.8, 1e-3)),
        "{:?}",
        s[30]
    );
    let mut m = open("sim:i-recal-start?mode=ina228&fault=recal");
    assert_eq!(m.registers().unwrap()["shunt_cal"], 4444, "tampered before commissioning");
    assert!(m.self_test().unwrap().iter().any(|c| c.name == "shunt_cal_readback" && !c.pass));
}

#[test]
fn ina228_freeze_stalls_the_adc_and_repeats_the_values() {
    let s = ina228_series("i-freeze", "fault=freeze@30s");
    for x in &s[30..] {
        assert_eq!((x.volts.to_bits(), x.amps.to_bits()), (s[29].volts.to_bits(), s[29].amps.to_bits()));
        assert_eq!(
            (x.watts.to_bits(), x.energy_wh.to_bits()),
            (s[29].watts.to_bits(), s[29].energy_wh.to_bits())
        );
    }
    assert!(s[31..].iter().all(|x| x.state == PowerState::Stalled), "CNVRF stays clear");
    assert!(s[..30].iter().all(|x| x.state == PowerState::Converting));
}

#[test]
fn ina228_wiring_spike_drift_and_disconnect() {
    let rewired = ina228_series("i-rewire", "switch=open&fault=rewire@30s");
    assert!(rewired[..30].iter().all(|x| x.amps.abs() < 0.005));
    assert!(rewired[30..].iter().all(|x| close_to(x.amps, 2.0, 0.01)));
    let removed = ina228_series("i-nocurrent", "fault=nocurrent@30s");
    assert!(removed[30..].iter().all(|x| x.amps.abs() < 0.005));
    let spiked = ina228_series("i-spike", "fault=spike@30s");
    assert!(spiked.iter().enumerate().all(|(t, x)| (x.volts == 10_000.0) == (t == 30)));
    let drifted = ina228_series("i-drift", "noise=0&drift=5%@30s");
    assert!(close_to(drifted[29].amps, 2.0, 1e-3) && close_to(drifted[30].amps, 2.1, 1e-3));
    let mut m = open("sim:i-disconnect?mode=ina228&fault=disconnect@30s");
    assert!(m.read(secs(29)).is_ok());
    assert!(matches!(m.read(secs(30)).unwrap_err(), MeterError::Timeout { .. }));
}

#[test]
fn ina228_mode_stays_clean_over_ten_thousand_readings() {
    let mut m = open("sim:i-clean-10k?mode=ina228");
    let baseline = m.registers().unwrap();
    let mut previous: Option<Sample> = None;
    for t in 0..10_000 {
        let s = m.read(secs(t)).unwrap();
        assert_eq!(s.state, PowerState::Converting, "{t}s");
        assert_eq!(s.registers, baseline);
        if let Some(p) = &previous {
            assert!(s.energy_wh > p.energy_wh, "{t}s");
        }
        previous = Some(s);
    }
}
