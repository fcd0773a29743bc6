//! Any bytes → the event parser and the ASFF reader: they return a value or an error naming a
//! field, never panic, and a compact finding survives the JSON trip between states unchanged.
#![no_main]

use hushhub_core::finding::{Finding, ImportedEvent};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let event = match ImportedEvent::parse(text) {
        Ok(event) => event,
        Err(e) => {
            assert!(!e.path.is_empty(), "an error names where: {e}");
            return;
        }
    };
    for (i, raw) in event.findings().iter().enumerate() {
        let path = format!("detail.findings[{i}]");
        match Finding::from_asff(raw, &path) {
            Ok(f) => {
                let json = serde_json::to_value(&f).expect("a compact finding serializes");
                let back: Finding =
                    serde_json::from_value(json).expect("a compact finding reads back");
                assert_eq!(back, f, "the compact finding round-trips between states");
            }
            Err(e) => assert!(e.path.starts_with(&path), "{e} is not under {path}"),
        }
    }
});
