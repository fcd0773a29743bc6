//! The alert email: subject, maud HTML built for mail clients, a plain-text twin, and the
//! RFC 5322 message that carries both.
//!
//! Everything that comes from a finding or a model is data: maud escapes it in HTML, and the
//! subject and headers are stripped of control and direction-changing characters, so nothing in
//! a finding can add a link, an image, a style or a header.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use sha2::{Digest, Sha256};

use crate::finding::{Availability, Finding, Vulnerability, clip};
use crate::routing::DEFAULT_ROUTE;
use crate::score::{Priority, Score};
use crate::seen::SeenRecord;
use crate::steps::{DecisionKind, StepDecision};
use crate::summary::{Summary, SummarySource};

/// Longest subject, in characters; longer ones are cut on a character boundary with `…`.
pub const SUBJECT_MAX_CHARS: usize = 180;
/// Resources listed in the email before "and N more".
pub const RESOURCES_SHOWN: usize = 10;
/// Characters of the description shown before the "cut" marker.
pub const DESCRIPTION_SHOWN_CHARS: usize = 1_500;

/// A rendered email, ready for any mailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// `Message-ID` without angle brackets; stable per finding and alert number.
    pub message_id: String,
    /// The first alert's `Message-ID`: every alert of a finding carries it in `References`
    /// (SES replaces `Message-ID`, so the first alert must name the root itself to thread).
    pub thread_root: String,
    /// `X-Hushhub-*` headers (already safe: built from validated values).
    pub extra_headers: Vec<(String, String)>,
}

impl Email {
    /// This email as `route` receives it: addressed to `to`, and, unless `route` is the default
    /// route, with a `Message-ID` and thread root of its own (a message id must name one message,
    /// and each route's recipients see only their own thread) and an `X-Hushhub-Route` header
    /// to filter on. The default route's copy keeps the ids and headers it has always had.
    pub fn for_route(&self, route: &str, to: &[String]) -> Email {
        let mut email = Email {
            to: to.to_vec(),
            ..self.clone()
        };
        if route != DEFAULT_ROUTE {
            email.message_id = route_message_id(&self.message_id, route);
            email.thread_root = route_message_id(&self.thread_root, route);
            email
                .extra_headers
                .push(("X-Hushhub-Route".to_owned(), route.to_owned()));
        }
        email
    }
}

/// `hushhub.<digest>.<n>@hushhub.alerts` as route `route` sends it:
/// `hushhub.<digest>.<n>.<route>@hushhub.alerts` (route names are `[a-z0-9-]`, valid there).
fn route_message_id(message_id: &str, route: &str) -> String {
    match message_id.split_once('@') {
        Some((local, domain)) => format!("{local}.{route}@{domain}"),
        None => format!("{message_id}.{route}"),
    }
}

/// Everything an alert email shows.
#[derive(Debug, Clone, Copy)]
pub struct AlertFacts<'a> {
    pub finding: &'a Finding,
    pub decision: &'a StepDecision,
    pub record: &'a SeenRecord,
    pub score: &'a Score,
    pub summary: &'a Summary,
    pub account_alias: Option<&'a str>,
    pub from: &'a str,
    pub to: &'a [String],
}

/// Removes control characters (CR/LF included) and Unicode direction and zero-width tricks, and
/// folds runs of white space into one space.
pub fn one_line(s: &str) -> String {
    // Most text (titles, ids, headers) is printable ASCII with single spaces already: the replay
    // asks this of every finding's title, and the char-by-char rebuild was most of its cost.
    if is_one_line_already(s.as_bytes()) {
        return s.to_owned();
    }
    one_line_slow(s)
}

/// [`one_line`] for any text, char by char.
fn one_line_slow(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if is_invisible_trick(c) {
            continue;
        }
        if c == ' ' {
            if !space && !out.is_empty() {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out.trim_end().to_owned()
}

/// Whether [`one_line`] would return `s` unchanged: printable ASCII, with single spaces that
/// neither start nor end it (non-ASCII text takes the general path).
fn is_one_line_already(s: &[u8]) -> bool {
    let mut after_space = true;
    for &b in s {
        if b == b' ' {
            if after_space {
                return false;
            }
            after_space = true;
        } else if !(b' '..0x7F).contains(&b) {
            return false;
        } else {
            after_space = false;
        }
    }
    !after_space || s.is_empty()
}

/// Direction overrides and isolates, zero-width characters, and the invisible tag characters
/// (U+E0000 block) that can spell hidden text.
fn is_invisible_trick(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}' | '\u{E0000}'..='\u{E007F}')
}

/// Text from a finding or a model as the body shows it: line breaks kept (CR LF and a lone CR
/// become LF), tabs kept, every other control character (terminal escapes included) and every
/// direction or invisible trick removed, so that nothing in a finding can reorder what the reader
/// sees (`gnp.exe` shown as `exe.png`) or reach a terminal through the text part.
pub fn visible_text(s: &str) -> Cow<'_, str> {
    let hidden = |c: char| (c.is_control() && c != '\n' && c != '\t') || is_invisible_trick(c);
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() != Some(&'\n') {
                out.push('\n');
            }
        } else if !hidden(c) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn make_visible(s: &mut String) {
    let cleaned = match visible_text(s) {
        Cow::Owned(cleaned) => Some(cleaned),
        Cow::Borrowed(_) => None,
    };
    if let Some(cleaned) = cleaned {
        *s = cleaned;
    }
}

/// Copies of everything the body shows from the finding and the model, made visible with
/// [`visible_text`]; ids used for threading and links are not touched.
struct Shown {
    finding: Finding,
    summary: Summary,
    score: Score,
    alias: Option<String>,
}

impl Shown {
    fn of(facts: &AlertFacts<'_>) -> Self {
        let mut finding = facts.finding.clone();
        for s in [
            &mut finding.title,
            &mut finding.description,
            &mut finding.product_name,
            &mut finding.region,
        ] {
            make_visible(s);
        }
        finding
            .control_id
            .iter_mut()
            .chain(finding.types.iter_mut())
            .for_each(make_visible);
        for r in &mut finding.resources {
            make_visible(&mut r.kind);
            make_visible(&mut r.id);
        }
        for v in &mut finding.vulnerabilities {
            make_visible(&mut v.id);
            v.packages.iter_mut().for_each(make_visible);
        }
        if let Some(rem) = &mut finding.remediation {
            rem.text.iter_mut().for_each(make_visible);
            // A link whose text would differ from its target is no link.
            rem.url = rem
                .url
                .take()
                .filter(|u| matches!(visible_text(u), Cow::Borrowed(_)));
        }
        let mut summary = facts.summary.clone();
        for s in [
            &mut summary.headline,
            &mut summary.what_happened,
            &mut summary.why_it_matters,
        ] {
            make_visible(s);
        }
        summary.next_steps.iter_mut().for_each(make_visible);
        match &mut summary.source {
            SummarySource::Ai { model_id } => make_visible(model_id),
            SummarySource::Fallback { reason } => make_visible(reason),
        }
        let mut score = facts.score.clone();
        for c in &mut score.breakdown {
            make_visible(&mut c.evidence);
        }
        Self {
            finding,
            summary,
            score,
            alias: facts.account_alias.map(|a| visible_text(a).into_owned()),
        }
    }

    fn facts<'a>(&'a self, original: &AlertFacts<'a>) -> AlertFacts<'a> {
        AlertFacts {
            finding: &self.finding,
            score: &self.score,
            summary: &self.summary,
            account_alias: self.alias.as_deref(),
            ..*original
        }
    }
}

/// `[P1 · CRITICAL] <title> — <account> <region>`, on one line, capped.
pub fn subject(priority: Priority, finding: &Finding) -> String {
    subject_tagged(&format!("{priority} · {}", finding.severity), finding)
}

/// `[<tag>] <title> — <account> <region>`, on one line, cut on a character boundary with `…`
/// at [`SUBJECT_MAX_CHARS`].
pub fn subject_tagged(tag: &str, finding: &Finding) -> String {
    let full = one_line(&format!(
        "[{tag}] {title} — {account} {region}",
        title = finding.title,
        account = finding.account_id,
        region = finding.region,
    ));
    if full.chars().count() <= SUBJECT_MAX_CHARS {
        full
    } else {
        format!("{}…", clip(&full, SUBJECT_MAX_CHARS - 1).trim_end())
    }
}

/// The `Message-ID` of a finding's `n`th alert: stable, so re-alerts thread under the first.
pub fn message_id(finding_id: &str, alert_number: u32) -> String {
    let digest = Sha256::digest(finding_id.as_bytes());
    format!(
        "hushhub.{}.{alert_number}@hushhub.alerts",
        hex::encode(&digest[..12])
    )
}

fn why_now(decision: &StepDecision) -> String {
    match decision.kind {
        _ if decision.escalate_now => format!(
            "Sent now because someone asked for it in Security Hub (custom action \"hushhub: alert now\"): {}.",
            decision.reason
        ),
        DecisionKind::New => "First time this finding was seen.".to_owned(),
        _ => format!("Alerted again: {}.", decision.reason),
    }
}

fn priority_colour(p: Priority) -> (&'static str, &'static str) {
    match p {
        Priority::P0 => ("#b3261e", "#ffffff"),
        Priority::P1 => ("#c2410c", "#ffffff"),
        Priority::P2 => ("#a16207", "#ffffff"),
        Priority::P3 => ("#475569", "#ffffff"),
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Renders the alert.
pub fn render(facts: &AlertFacts<'_>) -> Email {
    let f = facts.finding;
    let subject = subject(facts.score.priority, f);
    let alert_number = facts.record.alert_count.max(1);
    let message_id = message_id(f.id.as_str(), alert_number);
    let thread_root = self::message_id(f.id.as_str(), 1);
    let shown = Shown::of(facts);
    Email {
        from: facts.from.to_owned(),
        to: facts.to.to_vec(),
        html: render_html(&shown.facts(facts), &subject).into_string(),
        text: render_text(&shown.facts(facts)),
        subject,
        message_id,
        thread_root,
        extra_headers: vec![
            (
                "X-Hushhub-Priority".to_owned(),
                facts.score.priority.label().to_owned(),
            ),
            (
                "X-Hushhub-Severity".to_owned(),
                f.severity.label().to_owned(),
            ),
            (
                "X-Hushhub-Decision".to_owned(),
                facts.decision.kind.as_str().to_owned(),
            ),
            (
                "X-Hushhub-Finding-Id".to_owned(),
                one_line(clip(f.id.as_str(), 500)),
            ),
        ],
    }
}

/// Vulnerabilities listed in the email before "and N more".
pub const VULNERABILITIES_SHOWN: usize = 5;

// Inline styles only: mail clients drop `<style>` blocks and external sheets. Every text colour
// is set together with the background it sits on, and the email declares itself light-only, so a
// client's dark mode cannot leave dark text on a dark background.
const FONT: &str = "font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;";
/// Long unbroken values (ARNs, digests, ids) wrap anywhere rather than widen the card past a
/// phone's screen.
const WRAP: &str = "word-break:break-word;overflow-wrap:anywhere;";
/// A section of the card.
const SECTION: &str = "padding:0 20px;word-break:break-word;overflow-wrap:anywhere;";
/// Label and value tables: fixed layout, so the label column is the same width in every section.
const FACTS_TABLE: &str = "table-layout:fixed;width:100%;";
const LABEL_WIDTH: &str = "104";
const CELL_LABEL: &str = "width:104px;padding:4px 8px 4px 0;color:#57606a;font-size:13px;line-height:1.4;vertical-align:top;";
const CELL_VALUE: &str = "padding:4px 0;color:#1f2328;font-size:13px;line-height:1.4;vertical-align:top;word-break:break-word;overflow-wrap:anywhere;";
const POINTS_WIDTH: &str = "40";
const CELL_POINTS: &str = "width:40px;padding:4px 8px 4px 0;color:#1f2328;font-size:13px;line-height:1.4;vertical-align:top;font-weight:600;";
const SECTION_TITLE: &str = "margin:24px 0 8px 0;font-size:12px;font-weight:600;letter-spacing:.06em;text-transform:uppercase;color:#57606a;";
const TEXT: &str = "margin:0 0 8px 0;font-size:14px;line-height:1.5;color:#1f2328;";
const CODE: &str = "font-family:SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;color:#1f2328;word-break:break-all;";
const MUTED: &str = "color:#57606a;";

fn summary_label(summary: &Summary) -> String {
    match &summary.source {
        SummarySource::Ai { .. } => {
            "AI-generated summary (Claude via Amazon Bedrock), checked against the finding".into()
        }
        SummarySource::Fallback { .. } => "Deterministic summary (no AI)".into(),
    }
}

/// The footer's word on where the summary came from.
fn summary_origin(summary: &Summary) -> String {
    match &summary.source {
        SummarySource::Ai { model_id } => {
            format!("Summary written by {model_id} and checked against the finding's facts.")
        }
        SummarySource::Fallback { reason } => format!(
            "Summary built from the finding's own fields, without AI. Why: {}.",
            one_line(reason).trim_end_matches('.')
        ),
    }
}

/// The headline is the summary's; the finding's title goes under it unless the headline
/// already says it (the fallback's does).
fn title_line<'a>(facts: &AlertFacts<'a>) -> Option<&'a str> {
    let title = facts.finding.title.as_str();
    (!facts.summary.headline.contains(title)).then_some(title)
}

/// `score 55/100`, `HIGH severity`, `fix within 3 days`: what stands beside the priority badge.
fn score_parts(facts: &AlertFacts<'_>) -> [String; 3] {
    [
        format!("score {}/100", facts.score.points),
        format!("{} severity", facts.finding.severity),
        facts.score.priority.sla_text().to_owned(),
    ]
}

fn score_line(facts: &AlertFacts<'_>) -> String {
    score_parts(facts).join(" · ")
}

fn availability_text(a: Option<Availability>, yes: &str, no: &str) -> Option<String> {
    match a? {
        Availability::Yes => Some(yes.to_owned()),
        Availability::Partial => Some(format!("{yes} (partial)")),
        Availability::No => Some(no.to_owned()),
    }
}

/// `golang.org/x/net 0.15.0 · CVSS 7.5 · fix available · exploit available`.
fn vulnerability_facts(v: &Vulnerability) -> String {
    let mut parts: Vec<String> = v.packages.iter().map(|p| one_line(p)).collect();
    if let Some(cvss) = v.cvss_score {
        parts.push(format!("CVSS {cvss:.1}"));
    }
    parts.extend(availability_text(
        v.fix_available,
        "fix available",
        "no fix yet",
    ));
    parts.extend(availability_text(
        v.exploit_available,
        "exploit available",
        "no known exploit",
    ));
    parts.join(" · ")
}

/// Every email's `<head>`: light-only, so a client's dark mode cannot put dark text on a dark
/// background.
pub(crate) fn head(subject: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="color-scheme" content="light only";
            meta name="supported-color-schemes" content="light only";
            title { (subject) }
        }
    }
}

fn render_html(facts: &AlertFacts<'_>, subject: &str) -> Markup {
    let f = facts.finding;
    let s = facts.summary;
    let (badge_bg, badge_fg) = priority_colour(facts.score.priority);
    let description = clip(&f.description, DESCRIPTION_SHOWN_CHARS);
    let description_cut = f.description_truncated || description.len() < f.description.len();
    let console = f.console_url();
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(subject))
            body style={ "margin:0;padding:0;background:#f6f8fa;color:#1f2328;" (FONT) } {
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f6f8fa;" {
                    tr { td align="center" style="padding:16px 8px;" {
                        table role="presentation" width="600" cellpadding="0" cellspacing="0"
                            style={ "width:100%;max-width:600px;table-layout:fixed;background:#ffffff;border:1px solid #d0d7de;border-radius:6px;text-align:left;" (FONT) } {
                            // Priority, score, headline.
                            tr { td style={ "padding:20px 20px 4px 20px;" (WRAP) } {
                                p style="margin:0;font-size:13px;line-height:1.8;color:#57606a;" {
                                    span style={ "display:inline-block;margin-right:6px;padding:2px 10px;border-radius:12px;font-weight:700;font-size:13px;line-height:1.5;background:" (badge_bg) ";color:" (badge_fg) ";" } {
                                        (facts.score.priority)
                                    }
                                    // Each part stays whole, so a narrow screen wraps between them.
                                    @for (i, part) in score_parts(facts).iter().enumerate() {
                                        @if i > 0 { " · " }
                                        span style="white-space:nowrap;" { (part) }
                                    }
                                }
                                h1 style={ "margin:12px 0 4px 0;font-size:20px;line-height:1.3;color:#1f2328;" (WRAP) } { (s.headline) }
                                @if let Some(title) = title_line(facts) {
                                    p style="margin:0;font-size:13px;line-height:1.4;color:#57606a;" { (title) }
                                }
                            } }
                            // Why this priority: the score's breakdown.
                            tr { td style=(SECTION) {
                                p style=(SECTION_TITLE) { "Why " (facts.score.priority) ": " (facts.score.points) " points" }
                                table role="presentation" cellpadding="0" cellspacing="0" width="100%" style=(FACTS_TABLE) {
                                    @for c in &facts.score.breakdown {
                                        tr {
                                            td width=(POINTS_WIDTH) style=(CELL_POINTS) { "+" (c.points) }
                                            td style=(CELL_VALUE) { strong { (c.signal.label()) } span style=(MUTED) { " — " (c.evidence) } }
                                        }
                                    }
                                }
                            } }
                            // The summary, labelled AI or fallback.
                            tr { td style=(SECTION) {
                                p style=(SECTION_TITLE) { (summary_label(s)) }
                                p style=(TEXT) { (s.what_happened) }
                                p style=(TEXT) { (s.why_it_matters) }
                                @if !s.next_steps.is_empty() {
                                    p style="margin:12px 0 4px 0;font-size:14px;font-weight:600;color:#1f2328;" { "Next steps" }
                                    ol style="margin:0;padding-left:22px;font-size:14px;line-height:1.5;color:#1f2328;" {
                                        @for step in &s.next_steps { li style="margin:0 0 4px 0;" { (step) } }
                                    }
                                }
                            } }
                            // What is affected.
                            tr { td style=(SECTION) {
                                p style=(SECTION_TITLE) { "What is affected" }
                                table role="presentation" cellpadding="0" cellspacing="0" width="100%" style=(FACTS_TABLE) {
                                    tr { td width=(LABEL_WIDTH) style=(CELL_LABEL) { "Account" } td style=(CELL_VALUE) {
                                        (f.account_id) @if let Some(alias) = facts.account_alias { " (" strong { (alias) } ")" }
                                    } }
                                    tr { td style=(CELL_LABEL) { "Region" } td style=(CELL_VALUE) { (f.region) } }
                                    tr { td style=(CELL_LABEL) { @if f.resource_count == 1 { "Resource" } @else { "Resources" } } td style=(CELL_VALUE) {
                                        @for r in f.resources.iter().take(RESOURCES_SHOWN) {
                                            div style="margin:0 0 6px 0;" {
                                                div style={ "font-size:12px;" (MUTED) } { (r.kind) }
                                                div style=(CODE) { (r.id) }
                                            }
                                        }
                                        @if f.resource_count > RESOURCES_SHOWN {
                                            div style=(MUTED) { "and " (f.resource_count - RESOURCES_SHOWN) " more (see the console)" }
                                        }
                                    } }
                                    @if !f.vulnerabilities.is_empty() {
                                        tr { td style=(CELL_LABEL) { "Vulnerabilities" } td style=(CELL_VALUE) {
                                            @for v in f.vulnerabilities.iter().take(VULNERABILITIES_SHOWN) {
                                                div style="margin:0 0 6px 0;" {
                                                    strong { (v.id) }
                                                    @let details = vulnerability_facts(v);
                                                    @if !details.is_empty() { br; span style=(MUTED) { (details) } }
                                                }
                                            }
                                            @if f.vulnerabilities.len() > VULNERABILITIES_SHOWN {
                                                div style=(MUTED) { "and " (f.vulnerabilities.len() - VULNERABILITIES_SHOWN) " more (see the console)" }
                                            }
                                        } }
                                    }
                                    tr { td style=(CELL_LABEL) { "Product" } td style=(CELL_VALUE) { (f.product_name) } }
                                    tr { td style=(CELL_LABEL) { @if f.control_id.is_some() { "Control" } @else { "Type" } } td style=(CELL_VALUE) { (f.control_or_type()) } }
                                }
                            } }
                            // History, and why this email now.
                            tr { td style=(SECTION) {
                                p style=(SECTION_TITLE) { "History" }
                                table role="presentation" cellpadding="0" cellspacing="0" width="100%" style=(FACTS_TABLE) {
                                    tr { td width=(LABEL_WIDTH) style=(CELL_LABEL) { "Why now" } td style=(CELL_VALUE) { strong { (why_now(facts.decision)) } } }
                                    tr { td style=(CELL_LABEL) { "First seen" } td style=(CELL_VALUE) { (time(facts.record.first_seen_at)) } }
                                    tr { td style=(CELL_LABEL) { "Last seen" } td style=(CELL_VALUE) { (time(facts.record.last_seen_at)) } }
                                    tr { td style=(CELL_LABEL) { "Times alerted" } td style=(CELL_VALUE) { (facts.record.alert_count) } }
                                }
                            } }
                            // The product's own words, and its remediation.
                            tr { td style=(SECTION) {
                                p style=(SECTION_TITLE) { "Finding details" }
                                p style="margin:0;font-size:13px;line-height:1.5;color:#1f2328;white-space:pre-wrap;" {
                                    (description)
                                    @if description_cut { " " em style=(MUTED) { "[cut — full text in the console]" } }
                                }
                                @if let Some(rem) = &f.remediation {
                                    p style=(SECTION_TITLE) { "Remediation" }
                                    @if let Some(text) = &rem.text { p style="margin:0 0 8px 0;font-size:13px;line-height:1.5;color:#1f2328;" { (text) } }
                                    @if let Some(url) = &rem.url {
                                        p style="margin:0;font-size:13px;line-height:1.5;" {
                                            a href=(url) style="color:#0969da;text-decoration:underline;" { "Remediation guide" }
                                            br;
                                            span style=(CODE) { (url) }
                                        }
                                    }
                                }
                            } }
                            // The console deep link.
                            tr { td style="padding:24px 20px;" {
                                a href=(console) style="display:inline-block;padding:10px 16px;background:#0969da;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600;font-size:14px;line-height:1.4;" {
                                    "Open in Security Hub (" (f.region) ")"
                                }
                            } }
                            tr { td style={ "padding:12px 20px 20px 20px;border-top:1px solid #d0d7de;font-size:11px;line-height:1.5;color:#57606a;" (WRAP) } {
                                "Finding id: " span style="font-family:SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all;" { (visible_text(f.id.as_str())) } br;
                                (summary_origin(s)) br;
                                "Sent by hushhub: one email per finding, another only when its re-notify window has passed or its severity rises."
                            } }
                        }
                    } }
                }
            }
        }
    }
}

fn render_text(facts: &AlertFacts<'_>) -> String {
    use std::fmt::Write;
    let f = facts.finding;
    let s = facts.summary;
    let mut t = String::new();
    let _ = writeln!(t, "{} · {}", facts.score.priority, score_line(facts));
    let _ = writeln!(t, "{}", one_line(&s.headline));
    if let Some(title) = title_line(facts) {
        let _ = writeln!(t, "{}", one_line(title));
    }
    let _ = writeln!(
        t,
        "\nWHY {}: {} POINTS",
        facts.score.priority, facts.score.points
    );
    for c in &facts.score.breakdown {
        let _ = writeln!(
            t,
            "  +{:<3} {} — {}",
            c.points,
            c.signal.label(),
            one_line(&c.evidence)
        );
    }
    let _ = writeln!(t, "\n{}", summary_label(s).to_uppercase());
    let _ = writeln!(t, "{}\n", s.what_happened);
    let _ = writeln!(t, "{}", s.why_it_matters);
    if !s.next_steps.is_empty() {
        let _ = writeln!(t, "\nNext steps:");
        for (i, step) in s.next_steps.iter().enumerate() {
            let _ = writeln!(t, "  {}. {}", i + 1, one_line(step));
        }
    }
    let _ = writeln!(t, "\nWHAT IS AFFECTED");
    let alias = facts
        .account_alias
        .map(|a| format!(" ({})", one_line(a)))
        .unwrap_or_default();
    let _ = writeln!(t, "  Account:          {}{alias}", f.account_id);
    let _ = writeln!(t, "  Region:           {}", f.region);
    for r in f.resources.iter().take(RESOURCES_SHOWN) {
        let _ = writeln!(
            t,
            "  Resource:         {} {}",
            one_line(&r.kind),
            one_line(&r.id)
        );
    }
    if f.resource_count > RESOURCES_SHOWN {
        let _ = writeln!(
            t,
            "                    and {} more (see the console)",
            f.resource_count - RESOURCES_SHOWN
        );
    }
    for v in f.vulnerabilities.iter().take(VULNERABILITIES_SHOWN) {
        let details = vulnerability_facts(v);
        let sep = if details.is_empty() { "" } else { " — " };
        let _ = writeln!(t, "  Vulnerability:    {}{sep}{details}", one_line(&v.id));
    }
    if f.vulnerabilities.len() > VULNERABILITIES_SHOWN {
        let _ = writeln!(
            t,
            "                    and {} more (see the console)",
            f.vulnerabilities.len() - VULNERABILITIES_SHOWN
        );
    }
    let _ = writeln!(t, "  Product:          {}", one_line(&f.product_name));
    let kind = if f.control_id.is_some() {
        "Control:"
    } else {
        "Type:"
    };
    let _ = writeln!(t, "  {kind:<18}{}", one_line(f.control_or_type()));
    let _ = writeln!(t, "\nHISTORY");
    let _ = writeln!(
        t,
        "  Why now:          {}",
        one_line(&why_now(facts.decision))
    );
    let _ = writeln!(
        t,
        "  First seen:       {}",
        time(facts.record.first_seen_at)
    );
    let _ = writeln!(t, "  Last seen:        {}", time(facts.record.last_seen_at));
    let _ = writeln!(t, "  Times alerted:    {}", facts.record.alert_count);
    let _ = writeln!(t, "\nFINDING DETAILS");
    let description = clip(&f.description, DESCRIPTION_SHOWN_CHARS);
    let _ = write!(t, "{description}");
    if f.description_truncated || description.len() < f.description.len() {
        let _ = write!(t, " [cut — full text in the console]");
    }
    t.push('\n');
    if let Some(rem) = &f.remediation {
        let _ = writeln!(t, "\nREMEDIATION");
        if let Some(text) = &rem.text {
            let _ = writeln!(t, "{text}");
        }
        if let Some(url) = &rem.url {
            let _ = writeln!(t, "{url}");
        }
    }
    let _ = writeln!(t, "\nOpen in Security Hub: {}", f.console_url());
    let _ = writeln!(t, "\n-- \nFinding id: {}", one_line(f.id.as_str()));
    let _ = writeln!(t, "{}", summary_origin(s));
    t
}

/// The whole message as RFC 5322 text: `multipart/alternative` with the text and HTML parts.
pub fn to_mime(email: &Email, date: DateTime<Utc>) -> String {
    let boundary = format!(
        "hushhub-{}",
        &hex::encode(Sha256::digest(email.message_id.as_bytes()))[..24]
    );
    let mut m = String::new();
    let mut header = |name: &str, value: &str| {
        m.push_str(name);
        m.push_str(": ");
        m.push_str(&one_line(value));
        m.push_str("\r\n");
    };
    header("From", &email.from);
    header("To", &email.to.join(", "));
    header("Subject", &encode_header_word(&email.subject));
    header(
        "Date",
        &date.format("%a, %d %b %Y %H:%M:%S +0000").to_string(),
    );
    header("Message-ID", &format!("<{}>", email.message_id));
    if email.thread_root != email.message_id {
        header("In-Reply-To", &format!("<{}>", email.thread_root));
    }
    header("References", &format!("<{}>", email.thread_root));
    for (name, value) in &email.extra_headers {
        header(name, value);
    }
    header("MIME-Version", "1.0");
    header(
        "Content-Type",
        &format!("multipart/alternative; boundary=\"{boundary}\""),
    );
    m.push_str("\r\n");
    for (content_type, body) in [("text/plain", &email.text), ("text/html", &email.html)] {
        m.push_str(&format!("--{boundary}\r\nContent-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"));
        push_base64_lines(&mut m, body.as_bytes());
    }
    m.push_str(&format!("--{boundary}--\r\n"));
    m
}

/// [`base64`] of `bytes` in lines of 76 characters, each ended by CRLF, written straight into
/// `m`: 57 bytes make exactly one line, so each line can be encoded on its own.
fn push_base64_lines(m: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    m.reserve(bytes.len().div_ceil(57) * 78);
    let mut line = [0_u8; 78];
    for input in bytes.chunks(57) {
        let mut triples = input.chunks_exact(3);
        let mut n = 0;
        for (t, out) in (&mut triples).zip(line.chunks_exact_mut(4)) {
            let v = (u32::from(t[0]) << 16) | (u32::from(t[1]) << 8) | u32::from(t[2]);
            out[0] = ALPHABET[(v >> 18) as usize & 63];
            out[1] = ALPHABET[(v >> 12) as usize & 63];
            out[2] = ALPHABET[(v >> 6) as usize & 63];
            out[3] = ALPHABET[v as usize & 63];
            n += 4;
        }
        let rest = triples.remainder();
        if !rest.is_empty() {
            let b1 = rest.get(1).copied().unwrap_or(0);
            let v = (u32::from(rest[0]) << 16) | (u32::from(b1) << 8);
            line[n] = ALPHABET[(v >> 18) as usize & 63];
            line[n + 1] = ALPHABET[(v >> 12) as usize & 63];
            line[n + 2] = if rest.len() == 2 {
                ALPHABET[(v >> 6) as usize & 63]
            } else {
                b'='
            };
            line[n + 3] = b'=';
            n += 4;
        }
        line[n] = b'\r';
        line[n + 1] = b'\n';
        // Every byte written comes from ALPHABET, '=' or CRLF: always valid UTF-8.
        m.push_str(std::str::from_utf8(&line[..n + 2]).unwrap_or_default());
    }
}

/// RFC 2047 encoded word for non-ASCII header text.
fn encode_header_word(s: &str) -> String {
    if s.is_ascii() {
        s.to_owned()
    } else {
        format!("=?UTF-8?B?{}?=", base64(s.as_bytes()))
    }
}

/// Standard base64 with padding; small enough not to need a dependency.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextet = |n: u32, shift: u32| ALPHABET[((n >> shift) & 63) as usize];
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    let mut chunks = bytes.chunks_exact(3);
    for chunk in &mut chunks {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6), sextet(n, 0)]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), b'=', b'=']);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6), b'=']);
        }
        _ => {}
    }
    // Every byte pushed comes from ALPHABET or is '=', so this is always valid UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_lines_are_the_base64_text_cut_every_76_characters() {
        for len in [0, 1, 2, 3, 56, 57, 58, 113, 114, 115, 171, 1000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let mut expected = String::new();
            for line in base64(&bytes).as_bytes().chunks(76) {
                expected.push_str(std::str::from_utf8(line).expect("ascii"));
                expected.push_str("\r\n");
            }
            let mut lines = String::new();
            super::push_base64_lines(&mut lines, &bytes);
            assert_eq!(lines, expected, "{len} bytes");
        }
    }

    #[test]
    fn one_line_keeps_text_that_is_one_line_already_and_folds_the_rest() {
        for s in [
            "",
            " ",
            "a",
            "a b",
            " a",
            "a ",
            "a  b",
            "a\tb",
            "a\r\nb",
            "\u{7f}x",
            "S3 bucket is public",
            "caf\u{e9} \u{200B}x",
        ] {
            let slow = super::one_line_slow(s);
            assert_eq!(super::one_line(s), slow, "{s:?}");
        }
    }

    #[test]
    fn base64_matches_the_rfc_4648_test_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded, "base64({plain:?})");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
    }
}
