//! Security Hub against the emulator: the real daily-reaper handler on the DynamoDB store and
//! the Security Hub status source, and the optional notes.
//!
//! Where the emulator differs from AWS: `BatchUpdateFindings` applies at once (AWS can take
//! minutes) and emits no Imported event; a re-import through `BatchImportFindings` overwrites
//! every field it carries, where AWS keeps the customer-owned ones (Workflow, Note); here that
//! is how a finding is archived.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, AwsSecurityFindingIdentifier, Compliance,
    ComplianceStatus, RecordState, Resource, Severity as SdkSeverity, SeverityLabel, StringFilter,
    StringFilterComparison, WorkflowStatus as SdkWorkflowStatus, WorkflowUpdate,
};
use daily_reaper::ReapReport;
use hushhub_aws::securityhub::{NoteError, SecurityHubNotes, SecurityHubStatusSource};
use hushhub_core::finding::{
    FindingFormat, FindingId, RecordState as CoreRecordState, Severity, WorkflowStatus,
};
use hushhub_core::ports::{FindingStatusSource, SeenStore};
use hushhub_core::seen::SeenRecord;

use crate::common::{
    ACCOUNT, PRODUCT_ARN, REGION, TestAws, at, first_sighting, on_big_stack, unique,
};

fn finding(
    id: &str,
    record_state: RecordState,
    compliance: Option<ComplianceStatus>,
) -> AwsSecurityFinding {
    let mut builder = AwsSecurityFinding::builder()
        .schema_version("2018-10-08")
        .id(id)
        .product_arn(PRODUCT_ARN)
        .generator_id("hushhub-tests/generator")
        .aws_account_id(ACCOUNT)
        .region(REGION)
        .types("Software and Configuration Checks/Vulnerabilities/CVE")
        .created_at("2026-11-01T10:00:00.000Z")
        .updated_at("2026-11-01T10:00:00.000Z")
        .severity(SdkSeverity::builder().label(SeverityLabel::High).build())
        .title(format!("Test finding {id}"))
        .description("A finding made up for the adapter tests.")
        .resources(
            Resource::builder()
                .r#type("AwsS3Bucket")
                .id("arn:aws:s3:::hushhub-test-bucket")
                .build(),
        )
        .record_state(record_state);
    if let Some(status) = compliance {
        builder = builder.compliance(Compliance::builder().status(status).build());
    }
    builder.build()
}

async fn import(aws: &TestAws, findings: Vec<AwsSecurityFinding>) {
    let out = aws
        .clients
        .securityhub()
        .batch_import_findings()
        .set_findings(Some(findings))
        .send()
        .await
        .expect("BatchImportFindings");
    assert_eq!(out.failed_count(), Some(0), "{:?}", out.failed_findings());
}

async fn set_workflow(aws: &TestAws, id: &str, status: SdkWorkflowStatus) {
    let out = aws
        .clients
        .securityhub()
        .batch_update_findings()
        .finding_identifiers(
            AwsSecurityFindingIdentifier::builder()
                .id(id)
                .product_arn(PRODUCT_ARN)
                .build(),
        )
        .workflow(WorkflowUpdate::builder().status(status).build())
        .send()
        .await
        .expect("BatchUpdateFindings");
    assert!(out.unprocessed_findings().is_empty(), "{out:?}");
}

async fn remaining(store: &hushhub_aws::dynamodb::DynamoSeenStore) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut cursor = None;
    loop {
        let page = store.scan_page(cursor, 100).await.expect("scan");
        ids.extend(page.records.iter().map(|r| r.finding_id.to_string()));
        match page.next {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

#[test]
fn reaper_deletes_exactly_resolved_archived_and_gone_findings() {
    on_big_stack(async {
        let aws = TestAws::new("reaper").await;
        let store = aws.store().await;
        let id = |name: &str| unique(&format!("finding/reaper-{name}"));
        let (new, notified, resolved, suppressed, archived, passed, gone) = (
            id("new"),
            id("notified"),
            id("resolved"),
            id("suppressed"),
            id("archived"),
            id("passed"),
            id("gone"),
        );
        // Enough active findings besides that the reaper needs two GetFindings batches of 20.
        let others: Vec<String> = (0..20).map(|i| id(&format!("active-{i}"))).collect();

        let mut imported: Vec<AwsSecurityFinding> =
            [&new, &notified, &resolved, &suppressed, &archived]
                .into_iter()
                .chain(&others)
                .map(|i| finding(i, RecordState::Active, Some(ComplianceStatus::Failed)))
                .collect();
        imported.push(finding(
            &passed,
            RecordState::Active,
            Some(ComplianceStatus::Passed),
        ));
        import(&aws, imported).await;
        set_workflow(&aws, &notified, SdkWorkflowStatus::Notified).await;
        set_workflow(&aws, &resolved, SdkWorkflowStatus::Resolved).await;
        set_workflow(&aws, &suppressed, SdkWorkflowStatus::Suppressed).await;
        // The product archives a finding by importing it again with RecordState ARCHIVED.
        import(&aws, vec![finding(&archived, RecordState::Archived, None)]).await;
        // `gone` is never imported: Security Hub has no such finding (deleted after 90 days).

        let seen_at = at("2026-11-20T10:00:00Z");
        let every: Vec<&String> = [
            &new,
            &notified,
            &resolved,
            &suppressed,
            &archived,
            &passed,
            &gone,
        ]
        .into_iter()
        .chain(&others)
        .collect();
        for i in &every {
            store
                .claim_new(&first_sighting(i, Severity::High, seen_at))
                .await
                .expect("claim");
        }
        // An OCSF finding of the new Security Hub: GetFindings cannot see it, so it would read
        // as gone; the reaper keeps it.
        let ocsf = id("ocsf");
        store
            .claim_new(&SeenRecord {
                finding_format: FindingFormat::Ocsf,
                ..first_sighting(&ocsf, Severity::High, seen_at)
            })
            .await
            .expect("claim");
        aws.counter.reset();

        let ports = daily_reaper::Ports {
            store,
            source: SecurityHubStatusSource::new(aws.clients.securityhub()),
        };
        let report = daily_reaper::handle(&ports).await.expect("reaper");

        let deleted: BTreeMap<String, u64> =
            ["archived", "gone", "passed", "resolved", "suppressed"]
                .into_iter()
                .map(|r| (r.to_owned(), 1))
                .collect();
        assert_eq!(
            report,
            ReapReport {
                scanned: 28,
                active: 22,
                deleted,
                kept_changed: 0,
                errors: 0,
                kept_ocsf: 1,
            }
        );
        let expected: BTreeSet<String> = [&new, &notified, &ocsf]
            .into_iter()
            .chain(&others)
            .cloned()
            .collect();
        assert_eq!(remaining(&ports.store).await, expected);
        assert_eq!(
            aws.counter.get("securityhub:GetFindings"),
            2,
            "27 ids in batches of 20"
        );
        assert_eq!(
            aws.counter.get("dynamodb:DeleteItem"),
            5,
            "one conditional delete each"
        );
    });
}

#[test]
fn reaper_deletes_nothing_when_security_hub_errors() {
    on_big_stack(async {
        let aws = TestAws::new("reaper_fault").await;
        let store = aws.store().await;
        let resolved = unique("finding/reaper-fault-resolved");
        import(
            &aws,
            vec![finding(
                &resolved,
                RecordState::Active,
                Some(ComplianceStatus::Failed),
            )],
        )
        .await;
        set_workflow(&aws, &resolved, SdkWorkflowStatus::Resolved).await;
        let ids = [
            resolved,
            unique("finding/reaper-fault-gone"),
            unique("finding/reaper-fault-x"),
        ];
        for i in &ids {
            store
                .claim_new(&first_sighting(
                    i,
                    Severity::High,
                    at("2026-11-20T10:00:00Z"),
                ))
                .await
                .expect("claim");
        }
        // Every attempt the SDK makes fails (Timeouts::LAMBDA: 3 attempts).
        aws.arm_fault("securityhub", "GetFindings", "InternalException", 500, 3);
        aws.counter.reset();

        let ports = daily_reaper::Ports {
            store,
            source: SecurityHubStatusSource::new(aws.clients.securityhub()),
        };
        let report = daily_reaper::handle(&ports).await.expect("reaper");
        assert_eq!(report.errors, 3, "{report:?}");
        assert!(report.deleted.is_empty(), "{report:?}");
        assert_eq!(
            remaining(&ports.store).await,
            ids.iter().cloned().collect::<BTreeSet<_>>(),
            "every record kept"
        );
        assert_eq!(aws.counter.get("securityhub:GetFindings"), 3);
        assert_eq!(aws.counter.get("dynamodb:DeleteItem"), 0);
    });
}

#[test]
fn status_source_reads_each_status_and_refuses_more_than_twenty_ids() {
    on_big_stack(async {
        let aws = TestAws::new("states").await;
        let source = SecurityHubStatusSource::new(aws.clients.securityhub());
        let (active, notified) = (unique("finding/states-a"), unique("finding/states-n"));
        import(
            &aws,
            vec![
                finding(&active, RecordState::Active, None),
                finding(
                    &notified,
                    RecordState::Active,
                    Some(ComplianceStatus::Warning),
                ),
            ],
        )
        .await;
        set_workflow(&aws, &notified, SdkWorkflowStatus::Notified).await;
        aws.counter.reset();

        let ids: Vec<FindingId> = [&active, &notified, &unique("finding/states-gone")]
            .into_iter()
            .map(|i| FindingId::new(i.as_str()).expect("id"))
            .collect();
        let mut states = source.states(&ids).await.expect("states");
        states.sort_by(|a, b| a.id.cmp(&b.id));
        let summary: Vec<_> = states
            .iter()
            .map(|s| (s.id.to_string(), s.record_state, s.workflow_status))
            .collect();
        let mut expected = vec![
            (
                active.clone(),
                CoreRecordState::Active,
                Some(WorkflowStatus::New),
            ),
            (
                notified.clone(),
                CoreRecordState::Active,
                Some(WorkflowStatus::Notified),
            ),
        ];
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(summary, expected, "the gone id is simply absent");
        assert_eq!(aws.counter.get("securityhub:GetFindings"), 1);

        let too_many: Vec<FindingId> = (0..21)
            .map(|i| FindingId::new(format!("finding/{i}")).expect("id"))
            .collect();
        assert!(source.states(&too_many).await.is_err());
        assert_eq!(
            aws.counter.get("securityhub:GetFindings"),
            1,
            "refused before asking"
        );
    });
}

#[test]
fn security_hub_notes_mark_the_finding_notified() {
    on_big_stack(async {
        let aws = TestAws::new("notes").await;
        let id = unique("finding/notes");
        import(&aws, vec![finding(&id, RecordState::Active, None)]).await;
        let notes = SecurityHubNotes::new(aws.clients.securityhub());
        let finding_id = FindingId::new(id.as_str()).expect("id");

        notes
            .mark_notified(
                &finding_id,
                PRODUCT_ARN,
                "hushhub alerted on-call (P1, score 72)",
            )
            .await
            .expect("mark_notified");

        let out = aws
            .clients
            .securityhub()
            .get_findings()
            .filters(
                AwsSecurityFindingFilters::builder()
                    .id(StringFilter::builder()
                        .value(&id)
                        .comparison(StringFilterComparison::Equals)
                        .build())
                    .build(),
            )
            .send()
            .await
            .expect("GetFindings");
        let [stored] = out.findings() else {
            panic!("one finding: {:?}", out.findings());
        };
        assert_eq!(
            stored.workflow().and_then(|w| w.status()),
            Some(&SdkWorkflowStatus::Notified)
        );
        let note = stored.note().expect("a note");
        assert_eq!(note.text(), Some("hushhub alerted on-call (P1, score 72)"));
        assert_eq!(note.updated_by(), Some("hushhub"));
        assert_eq!(aws.counter.get("securityhub:BatchUpdateFindings"), 1);

        let unknown = FindingId::new(unique("finding/notes-unknown")).expect("id");
        let err = notes.mark_notified(&unknown, PRODUCT_ARN, "x").await.err();
        assert!(
            matches!(&err, Some(NoteError::Unprocessed { code, .. }) if code == "FindingNotFound"),
            "{err:?}"
        );
    });
}
