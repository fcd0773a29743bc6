//! A checker of CloudWatch embedded-metric-format lines against the published specification
//! ("Specification: Embedded metric format", CloudWatch User Guide), for the metrics tests.

use serde_json::Value;

/// The units the specification allows.
const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// One metric an EMF line declares, with its value and dimensions resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct EmfMetric {
    pub namespace: String,
    pub name: String,
    pub unit: Option<String>,
    pub value: f64,
    /// Each dimension set, as (name, value) pairs.
    pub dimensions: Vec<Vec<(String, String)>>,
}

/// Parses one log line as EMF and checks it against the specification; the declared metrics.
pub fn parse_emf(line: &str) -> Result<Vec<EmfMetric>, String> {
    if line.contains('\n') {
        return Err("an EMF document is one log line".into());
    }
    let root: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let root = root.as_object().ok_or("the root must be an object")?;
    let aws = root
        .get("_aws")
        .and_then(Value::as_object)
        .ok_or("_aws: must be an object")?;
    let timestamp = aws
        .get("Timestamp")
        .and_then(Value::as_i64)
        .ok_or("_aws.Timestamp: must be an integer (milliseconds since the epoch)")?;
    if timestamp < 0 {
        return Err("_aws.Timestamp: must not be negative".into());
    }
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or("_aws.CloudWatchMetrics: must be a list")?;
    let mut out = Vec::new();
    for (i, d) in directives.iter().enumerate() {
        let at = format!("_aws.CloudWatchMetrics[{i}]");
        let namespace = d
            .get("Namespace")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty() && n.chars().count() <= 1024)
            .ok_or(format!(
                "{at}.Namespace: must be a string of 1..1024 characters"
            ))?;
        let sets = d
            .get("Dimensions")
            .and_then(Value::as_array)
            .ok_or(format!("{at}.Dimensions: must be a list of dimension sets"))?;
        let mut dimensions = Vec::new();
        for (j, set) in sets.iter().enumerate() {
            let names = set
                .as_array()
                .ok_or(format!("{at}.Dimensions[{j}]: must be a list"))?;
            if names.len() > 30 {
                return Err(format!("{at}.Dimensions[{j}]: more than 30 dimensions"));
            }
            let mut resolved = Vec::new();
            for name in names {
                let name = name
                    .as_str()
                    .ok_or(format!("{at}.Dimensions[{j}]: names must be strings"))?;
                let value = root.get(name).and_then(Value::as_str).ok_or(format!(
                    "{at}.Dimensions[{j}]: {name:?} must be a string member of the root"
                ))?;
                if value.is_empty() || value.chars().count() > 1024 {
                    return Err(format!("dimension {name:?}: value of 1..1024 characters"));
                }
                resolved.push((name.to_owned(), value.to_owned()));
            }
            dimensions.push(resolved);
        }
        let metrics = d
            .get("Metrics")
            .and_then(Value::as_array)
            .ok_or(format!("{at}.Metrics: must be a list"))?;
        if metrics.is_empty() || metrics.len() > 100 {
            return Err(format!("{at}.Metrics: 1..100 metric definitions"));
        }
        for (k, m) in metrics.iter().enumerate() {
            let name = m
                .get("Name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty() && n.chars().count() <= 1024)
                .ok_or(format!("{at}.Metrics[{k}].Name: must be a string"))?;
            let unit = match m.get("Unit") {
                None => None,
                Some(Value::String(u)) if UNITS.contains(&u.as_str()) => Some(u.clone()),
                Some(other) => {
                    return Err(format!("{at}.Metrics[{k}].Unit: {other} is not a unit"));
                }
            };
            let value = root.get(name).and_then(Value::as_f64).ok_or(format!(
                "metric {name:?}: must be a number member of the root"
            ))?;
            out.push(EmfMetric {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                unit,
                value,
                dimensions: dimensions.clone(),
            });
        }
    }
    Ok(out)
}
