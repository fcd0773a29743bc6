//! Specifications of the summary cache: what the inputs hash covers, when a cached summary is
//! sent again, what is cached at all, how it is stored, and how large it can get.

use chrono::{DateTime, Utc};
use hushhub_core::finding::{Finding, Severity};
use hushhub_core::score::score;
use hushhub_core::seen::SeenRecord;
use hushhub_core::summary::{
    Prompt, ReplyRejection, Summary, SummarySource, accept_reply, build_prompt, caps, fallback,
    reply_schema,
};
use hushhub_core::summary_cache::{CacheMiss, CachedSummary, SummaryInputsHash, reuse};
use serde_json::{Value, json};

const MODEL: &str = "global.anthropic.claude-sonnet-4-6";

fn finding() -> Finding {
    let path = format!(
        "{}/../../examples/events/cspm-s3-1-failed.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let event: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect("json");
    Finding::from_asff(&event["detail"]["findings"][0], "detail.findings[0]").expect("valid")
}

fn prompt(f: &Finding) -> Prompt {
    build_prompt(f, &score(f))
}

fn hash(f: &Finding) -> SummaryInputsHash {
    SummaryInputsHash::of(&prompt(f), MODEL)
}

fn model_summary(f: &Finding) -> Summary {
    let reply = json!({
        "headline": "Public bucket in production",
        "what_happened": format!("Account {} has a finding in {}.", f.account_id, f.region),
        "why_it_matters": "Data may be exposed.",
        "next_steps": ["Review the bucket policy with its owner."]
    });
    accept_reply(&reply.to_string(), f, MODEL).expect("accepted")
}

fn cached(f: &Finding) -> CachedSummary {
    CachedSummary::of(&model_summary(f), hash(f)).expect("a model summary is cached")
}

#[test]
fn the_same_prompt_and_model_always_hash_alike() {
    let f = finding();
    assert_eq!(hash(&f), hash(&f.clone()));
    assert_eq!(hash(&f).as_str().len(), 64);
    assert!(SummaryInputsHash::parse(hash(&f).as_str()).is_ok());
}

#[test]
fn any_change_to_what_the_summary_is_made_from_changes_the_hash() {
    let f = finding();
    let base = hash(&f);

    let mut changed = f.clone();
    changed.severity = Severity::Critical;
    assert_ne!(hash(&changed), base, "severity");
    let mut changed = f.clone();
    changed.description.push('!');
    assert_ne!(hash(&changed), base, "description");
    let mut changed = f.clone();
    changed.title = "Another title".into();
    assert_ne!(hash(&changed), base, "title");

    assert_ne!(
        SummaryInputsHash::of(&prompt(&f), "us.anthropic.claude-haiku-4-5"),
        base,
        "model"
    );
    let mut p = prompt(&f);
    p.system.push_str(" Be brief.");
    assert_ne!(SummaryInputsHash::of(&p, MODEL), base, "guardrails");
    let mut p = prompt(&f);
    p.reply_schema = None;
    assert_ne!(SummaryInputsHash::of(&p, MODEL), base, "reply schema");
    let mut p = prompt(&f);
    p.max_output_tokens += 1;
    assert_ne!(SummaryInputsHash::of(&p, MODEL), base, "output cap");
}

#[test]
fn parts_of_the_inputs_cannot_run_into_each_other() {
    let p = |system: &str| Prompt {
        system: system.into(),
        user: String::new(),
        max_output_tokens: 1,
        reply_schema: None,
    };
    assert_ne!(
        SummaryInputsHash::of(&p("bc"), "a"),
        SummaryInputsHash::of(&p("c"), "ab")
    );
}

#[test]
fn a_summary_made_from_the_same_inputs_is_reused() {
    let f = finding();
    let c = cached(&f);
    assert_eq!(reuse(Some(&c), &hash(&f), &f), Ok(c.summary));
}

#[test]
fn nothing_cached_or_changed_inputs_ask_the_model() {
    let f = finding();
    assert_eq!(reuse(None, &hash(&f), &f), Err(CacheMiss::NothingCached));
    let mut changed = f.clone();
    changed.severity = Severity::Critical;
    assert_eq!(
        reuse(Some(&cached(&f)), &hash(&changed), &changed),
        Err(CacheMiss::InputsChanged)
    );
}

#[test]
fn a_cached_summary_must_still_pass_the_checks() {
    let f = finding();
    let mut c = cached(&f);
    c.summary.next_steps = vec!["Delete the bucket.".into()];
    assert!(matches!(
        reuse(Some(&c), &hash(&f), &f),
        Err(CacheMiss::FailsChecks(ReplyRejection::Destructive(_)))
    ));
}

#[test]
fn a_fallback_is_never_cached() {
    let f = finding();
    let summary = fallback(&f, &score(&f), "the model is throttling");
    assert_eq!(CachedSummary::of(&summary, hash(&f)), None);
}

#[test]
fn stored_values_read_back_and_unreadable_ones_are_refused() {
    let f = finding();
    let c = cached(&f);
    assert_eq!(
        CachedSummary::from_stored(c.inputs_hash.as_str(), &c.summary_json()),
        Ok(c.clone())
    );
    assert!(CachedSummary::from_stored("not-a-hash", &c.summary_json()).is_err());
    assert!(CachedSummary::from_stored(c.inputs_hash.as_str(), "{").is_err());
    let stored_fallback =
        serde_json::to_string(&fallback(&f, &score(&f), "offline")).expect("json");
    assert!(CachedSummary::from_stored(c.inputs_hash.as_str(), &stored_fallback).is_err());
}

#[test]
fn the_largest_summary_the_checks_allow_stays_far_below_the_item_and_payload_limits() {
    // Every field at its cap, in characters JSON escapes to six bytes each.
    let worst = |cap: usize| "\u{1}".repeat(cap);
    let summary = Summary {
        source: SummarySource::Ai {
            model_id: MODEL.into(),
        },
        headline: worst(caps::HEADLINE),
        what_happened: worst(caps::WHAT_HAPPENED),
        why_it_matters: worst(caps::WHY_IT_MATTERS),
        next_steps: vec![worst(caps::NEXT_STEP); caps::NEXT_STEPS],
    };
    let f = finding();
    assert_eq!(
        hushhub_core::summary::check_model_summary(&summary, &f),
        Ok(()),
        "the checks allow it"
    );
    let c = CachedSummary::of(&summary, hash(&f)).expect("cached");
    let stored = c.summary_json().len() + c.inputs_hash.as_str().len();
    assert!(
        stored < CachedSummary::MAX_STORED_BYTES,
        "{stored} bytes; DynamoDB items hold 400 KB, state payloads 256 KB"
    );
}

#[test]
fn a_record_without_a_cached_summary_keeps_its_json_shape() {
    let f = finding();
    let at = DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let record = SeenRecord::first_sighting(&f, at);
    let json = serde_json::to_value(&record).expect("json");
    assert!(json.get("summary_cache").is_none(), "{json}");
    let read: SeenRecord = serde_json::from_value(json).expect("a payload without it reads");
    assert_eq!(read, record);

    let with_cache = SeenRecord {
        summary_cache: Some(Box::new(cached(&f))),
        ..record
    };
    let json = serde_json::to_value(&with_cache).expect("json");
    assert_eq!(
        serde_json::from_value::<SeenRecord>(json).expect("reads"),
        with_cache
    );
}

#[test]
fn a_realert_keeps_the_cached_summary_on_the_record() {
    let f = finding();
    let at = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    };
    let record = SeenRecord {
        summary_cache: Some(Box::new(cached(&f))),
        ..SeenRecord::first_sighting(&f, at("2026-11-01T10:00:00Z"))
    };
    let updated = record.realerted(&f, at("2026-11-20T10:00:00Z"));
    assert_eq!(updated.summary_cache, record.summary_cache);
}

#[test]
fn the_reply_schema_asks_for_exactly_what_the_check_accepts() {
    let schema = reply_schema().json_schema;
    let properties = &schema["properties"];
    assert_eq!(properties["headline"]["maxLength"], caps::HEADLINE);
    assert_eq!(
        properties["what_happened"]["maxLength"],
        caps::WHAT_HAPPENED
    );
    assert_eq!(
        properties["why_it_matters"]["maxLength"],
        caps::WHY_IT_MATTERS
    );
    assert_eq!(properties["next_steps"]["maxItems"], caps::NEXT_STEPS);
    assert_eq!(
        properties["next_steps"]["items"]["maxLength"],
        caps::NEXT_STEP
    );
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(
        properties.as_object().map(|p| p.len()),
        schema["required"].as_array().map(Vec::len),
        "every field is required"
    );
}
