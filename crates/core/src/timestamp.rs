//! RFC 3339 timestamps in the JSON between states: the same text as chrono's own serde format,
//! written without `core::fmt`, which costs more than the rest of a finding's serialisation.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::{Deserializer, Serializer};

/// Reads an RFC 3339 timestamp. The UTC form every AWS service writes
/// (`2026-11-01T10:00:00.123Z`) is read directly; anything else (offsets, lower-case `t`, leap
/// seconds) goes through chrono, so the set of accepted texts is chrono's.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    parse_utc_z(s).or_else(|| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

fn parse_utc_z(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b.get(from..to)?.iter().try_fold(0_u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|(at, c)| b[*at] != *c) {
        return None;
    }
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let n = num(20, 20 + digits.len())?;
            n * 10_u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let year = i32::try_from(num(0, 4)?).ok()?;
    let (second, minute, hour) = (num(17, 19)?, num(14, 16)?, num(11, 13)?);
    if second > 59 {
        return None;
    }
    NaiveDate::from_ymd_opt(year, num(5, 7)?, num(8, 10)?)?
        .and_hms_nano_opt(hour, minute, second, nanos)
        .map(|t| t.and_utc())
}

/// `2026-11-01 10:00 UTC`, for reasons and emails people read.
pub fn to_minute(t: &DateTime<Utc>) -> String {
    let mut buf = [0_u8; 30];
    match rfc3339(t, &mut buf).and_then(|_| std::str::from_utf8(&buf[..16]).ok()) {
        Some(text) => format!("{} UTC", text.replacen('T', " ", 1)),
        None => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// `2026-11-01T10:00:00Z`, with 3, 6 or 9 fraction digits when the time has them: exactly what
/// chrono's `Serialize` writes, so stored records read back either way.
pub fn rfc3339(t: &DateTime<Utc>, buf: &mut [u8; 30]) -> Option<usize> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        return None; // a leap second: rare enough for chrono to write it
    }
    let mut put = |at: usize, value: u32, width: usize| {
        let mut v = value;
        for i in (at..at + width).rev() {
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year, 4);
    put(5, t.month(), 2);
    put(8, t.day(), 2);
    put(11, t.hour(), 2);
    put(14, t.minute(), 2);
    put(17, t.second(), 2);
    let digits = match nanos {
        0 => 0,
        n if n % 1_000_000 == 0 => 3,
        n if n % 1_000 == 0 => 6,
        _ => 9,
    };
    if digits > 0 {
        put(20, nanos / 10_u32.pow(9 - digits as u32), digits);
    }
    let mut put_byte = |at: usize, byte: u8| buf[at] = byte;
    for (at, byte) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')] {
        put_byte(at, byte);
    }
    let mut end = 19;
    if digits > 0 {
        put_byte(19, b'.');
        end = 20 + digits;
    }
    put_byte(end, b'Z');
    Some(end + 1)
}

pub fn serialize<S: Serializer>(t: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0_u8; 30];
    match rfc3339(t, &mut buf).and_then(|n| std::str::from_utf8(&buf[..n]).ok()) {
        Some(text) => serializer.serialize_str(text),
        None => serde::Serialize::serialize(t, serializer),
    }
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    deserializer.deserialize_str(Rfc3339Visitor)
}

struct Rfc3339Visitor;

impl serde::de::Visitor<'_> for Rfc3339Visitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
        parse_rfc3339(s).ok_or_else(|| E::custom(format!("{s:?} is not an RFC 3339 timestamp")))
    }
}

/// The same for an optional timestamp.
pub mod option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        t: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::serialize(t, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super")] DateTime<Utc>);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(t)| t))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use serde::Serialize;

    #[derive(Serialize)]
    struct Ours(#[serde(with = "super")] DateTime<Utc>);

    #[test]
    fn reads_what_chrono_reads() {
        let texts = [
            "2026-11-01T10:00:00Z",
            "2026-11-01T10:00:00.1Z",
            "2026-11-01T10:00:00.123456789Z",
            "2024-02-29T23:59:59.999Z",
            "2026-11-01T10:00:00+02:00",
            "2026-11-01t10:00:00z",
            "2016-12-31T23:59:60Z",
            "2023-02-29T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-11-01T24:00:00Z",
            "2026-11-01T10:00:00.1234567890Z",
            "2026-11-01T10:00:00.Z",
            "2026-11-01 10:00:00Z",
            "+2026-11-01T10:00:00Z",
            "2026-11-01T10:00Z",
            "",
        ];
        for text in texts {
            let chrono = DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&Utc));
            assert_eq!(super::parse_rfc3339(text), chrono, "{text:?}");
        }
        let back: DateTime<Utc> = serde_json::from_str::<Read>("\"2026-11-01T10:00:00.5Z\"")
            .expect("reads")
            .0;
        assert_eq!(back.timestamp_subsec_millis(), 500);
    }

    #[derive(serde::Deserialize)]
    struct Read(#[serde(with = "super")] DateTime<Utc>);

    #[test]
    fn writes_what_chrono_writes_for_every_fraction_width() {
        let nanos = [
            0,
            1,
            7,
            999,
            1_000,
            120_000,
            999_999,
            1_000_000,
            5_000_000,
            123_456_789,
        ];
        let mut checked = 0;
        for seconds in (-62_135_596_800_i64..253_402_300_799).step_by(7_919_999_917) {
            for n in nanos {
                let t = Utc
                    .timestamp_opt(seconds, n)
                    .single()
                    .expect("valid timestamp");
                let chrono = serde_json::to_string(&t).expect("chrono serialises");
                let ours = serde_json::to_string(&Ours(t)).expect("ours serialises");
                assert_eq!(ours, chrono, "{t:?}");
                checked += 1;
            }
        }
        assert!(checked > 300, "only {checked} timestamps checked");
        let leap = DateTime::from_timestamp(1_483_228_799, 1_500_000_000).expect("leap second");
        assert_eq!(
            serde_json::to_string(&Ours(leap)).expect("ours serialises"),
            serde_json::to_string(&leap).expect("chrono serialises")
        );
    }
}
