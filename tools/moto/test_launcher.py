"""Specification of hushhub's moto launcher: one test per gap it closes with stock moto.

The tests talk to the launcher over HTTP with boto3, as the Rust adapters will. They use
the server named by HUSHHUB_MOTO_URL when it is set (scripts/with-moto.sh sets it), else
they start `launcher.py -p 0` themselves. Every test uses its own names, recipients and
access keys, so the server may be shared with other tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from email.message import EmailMessage
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = Path(__file__).resolve().parent
PRODUCT_ARN = "arn:aws:securityhub:us-east-1::product/aws/securityhub"


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def moto_url():
    if os.environ.get("HUSHHUB_MOTO_URL"):
        yield os.environ["HUSHHUB_MOTO_URL"].rstrip("/")
        return
    with tempfile.TemporaryDirectory() as tmp:
        out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
        with out.open("wb") as out_file, err.open("wb") as err_file:
            server = subprocess.Popen(
                [sys.executable, str(HERE / "launcher.py"), "-p", "0", "--exit-with-parent"],
                stdin=subprocess.DEVNULL, stdout=out_file, stderr=err_file,
            )
        try:
            yield wait_for_url(server, out, err)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_for_url(server: subprocess.Popen, out: Path, err: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in out.read_text().splitlines():
            if line.startswith("HUSHHUB_MOTO_URL="):
                url = line.split("=", 1)[1]
                if http("GET", url + "/moto-api/")[0] == 200:
                    return url
        if server.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"launcher did not start (exit {server.poll()}):\n{err.read_text()[-3000:]}")


def http(method: str, url: str, body=None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except OSError:
        return 0, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def harness(moto_url: str, method: str, path: str, body=None):
    status, payload = http(method, moto_url + path, body)
    assert status == 200, (method, path, status, payload)
    return payload


def client(moto_url: str, service: str, access_key: str = "test", region: str = "us-east-1",
           **config):
    return boto3.client(
        service, endpoint_url=moto_url, region_name=region,
        aws_access_key_id=access_key, aws_secret_access_key="test",
        # One attempt: an emulator answer must never be hidden behind an SDK retry.
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_access_key() -> str:
    return "AKIDTEST" + uuid.uuid4().hex[:12].upper()


def finding(finding_id: str, **fields) -> dict:
    base = {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": PRODUCT_ARN,
        "GeneratorId": "hushhub-test",
        "AwsAccountId": "123456789012",
        "Types": ["Software and Configuration Checks"],
        "CreatedAt": "2026-01-01T00:00:00.000Z",
        "UpdatedAt": "2026-01-02T00:00:00.000Z",
        "Severity": {"Label": "HIGH"},
        "Title": "a finding",
        "Description": "a finding for the launcher tests",
        "Resources": [{"Type": "Other", "Id": "resource"}],
    }
    base.update(fields)
    return base


def import_findings(securityhub, findings: list[dict]) -> None:
    for start in range(0, len(findings), 100):
        answer = securityhub.batch_import_findings(Findings=findings[start:start + 100])
        assert answer["FailedCount"] == 0, answer


def all_findings(securityhub, filters: dict, page_size: int = 100) -> tuple[list[str], int]:
    """Ids of every matching finding, following NextToken; and the number of pages."""
    ids, pages, token = [], 0, None
    while True:
        extra = {"NextToken": token} if token else {}
        answer = securityhub.get_findings(Filters=filters, MaxResults=page_size, **extra)
        pages += 1
        ids += [f["Id"] for f in answer["Findings"]]
        token = answer.get("NextToken")
        if not token:
            return ids, pages


def equals(*values: str) -> list[dict]:
    return [{"Value": v, "Comparison": "EQUALS"} for v in values]


def image_manifest(seed: str) -> str:
    def digest(text: str) -> str:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    return json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": 7023, "digest": digest("config" + seed)},
        # moto derives the image digest from the layer digests: distinct layers per image.
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 32654, "digest": digest("layer" + seed)}],
    })


# ---------------------------------------------------------------------- a. concurrency
def race_to_claim(dynamodb, table: str, key: str, writers: int) -> list[str | int]:
    """`writers` threads put `key` at once, each only if absent; return each outcome."""
    start = threading.Barrier(writers)
    outcomes: list[str | int] = []
    lock = threading.Lock()

    def claim(writer: int) -> None:
        start.wait()
        try:
            dynamodb.put_item(
                TableName=table,
                Item={"pk": {"S": key}, "writer": {"N": str(writer)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            outcome: str | int = writer
        except ClientError as error:
            outcome = error.response["Error"]["Code"]
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=claim, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_conditional_put_has_exactly_one_winner_among_50_racing_threads(moto_url):
    dynamodb = client(moto_url, "dynamodb", max_pool_connections=50)
    table = unique("race")
    dynamodb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    writers, rounds = 50, 20
    for round_no in range(rounds):
        key = f"finding-{round_no}"
        outcomes = race_to_claim(dynamodb, table, key, writers)

        winners = [o for o in outcomes if isinstance(o, int)]
        losers = [o for o in outcomes if o == "ConditionalCheckFailedException"]
        assert len(winners) == 1, f"round {round_no}: winners {winners}"
        assert len(losers) == writers - 1, f"round {round_no}: {outcomes}"
        stored = dynamodb.get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True)
        assert stored["Item"]["writer"]["N"] == str(winners[0])


# ----------------------------------------------------------- b. GetFindings filters
def test_get_findings_filters_by_id_and_pages(moto_url):
    securityhub = client(moto_url, "securityhub")
    prefix = unique("id-filter")
    ids = [f"{prefix}/{n:02}" for n in range(30)]
    import_findings(securityhub, [finding(i) for i in ids])
    wanted = ids[3:18]  # 15 ids, OR-ed in one filter

    found, pages = all_findings(securityhub, {"Id": equals(*wanted)}, page_size=4)

    assert sorted(found) == sorted(wanted)
    assert len(found) == len(set(found)) == 15
    assert pages == 4  # 4 + 4 + 4 + 3, paged over the filtered list only
    first = securityhub.get_findings(Filters={"Id": equals(ids[0])})
    assert [f["Id"] for f in first["Findings"]] == [ids[0]]
    assert "NextToken" not in first
    assert securityhub.get_findings(Filters={"Id": equals(prefix + "/none")})["Findings"] == []


def test_get_findings_rejects_more_than_20_id_values(moto_url):
    securityhub = client(moto_url, "securityhub")
    prefix = unique("too-many")
    ids = [f"{prefix}/{n:02}" for n in range(21)]
    import_findings(securityhub, [finding(i) for i in ids])

    assert len(all_findings(securityhub, {"Id": equals(*ids[:20])})[0]) == 20
    with pytest.raises(ClientError) as raised:
        securityhub.get_findings(Filters={"Id": equals(*ids)})

    error = raised.value.response
    assert error["Error"]["Code"] == "InvalidInputException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "InvalidInputException"


def test_get_findings_filters_by_workflow_and_record_state(moto_url):
    securityhub = client(moto_url, "securityhub")
    prefix = unique("state-filter")
    states = {
        "active-new": {"RecordState": "ACTIVE", "Workflow": {"Status": "NEW"}},
        "active-notified": {"RecordState": "ACTIVE", "Workflow": {"Status": "NOTIFIED"}},
        "active-resolved": {"RecordState": "ACTIVE", "Workflow": {"Status": "RESOLVED"}},
        "active-suppressed": {"RecordState": "ACTIVE", "Workflow": {"Status": "SUPPRESSED"}},
        "archived-new": {"RecordState": "ARCHIVED", "Workflow": {"Status": "NEW"}},
        "passed": {"RecordState": "ACTIVE", "Workflow": {"Status": "NEW"},
                   "Compliance": {"Status": "PASSED"}},
        "failed": {"RecordState": "ACTIVE", "Workflow": {"Status": "NEW"},
                   "Compliance": {"Status": "FAILED"}},
        "defaults": {},  # AWS fills RecordState ACTIVE and Workflow.Status NEW
    }
    import_findings(securityhub, [finding(f"{prefix}/{name}", **fields)
                                  for name, fields in states.items()])
    mine = {"Id": [{"Value": prefix + "/", "Comparison": "PREFIX"}]}

    def names(**filters) -> set[str]:
        found, _ = all_findings(securityhub, {**mine, **filters})
        return {i.split("/", 1)[1] for i in found}

    assert names() == set(states)
    assert names(RecordState=equals("ARCHIVED")) == {"archived-new"}
    assert names(WorkflowStatus=equals("RESOLVED", "SUPPRESSED")) == {
        "active-resolved", "active-suppressed"}
    still_open = names(
        RecordState=equals("ACTIVE"),
        WorkflowStatus=[{"Value": "RESOLVED", "Comparison": "NOT_EQUALS"},
                        {"Value": "SUPPRESSED", "Comparison": "NOT_EQUALS"}],
        ComplianceStatus=[{"Value": "PASSED", "Comparison": "NOT_EQUALS"}],
    )
    assert still_open == {"active-new", "active-notified", "failed", "defaults"}
    assert names(ComplianceStatus=equals("PASSED")) == {"passed"}
    defaults = securityhub.get_findings(Filters={"Id": equals(f"{prefix}/defaults")})
    assert defaults["Findings"][0]["RecordState"] == "ACTIVE"
    assert defaults["Findings"][0]["Workflow"]["Status"] == "NEW"
    with pytest.raises(ClientError) as raised:  # AWS forbids EQUALS with NOT_EQUALS on a field
        names(WorkflowStatus=[{"Value": "NEW", "Comparison": "EQUALS"},
                              {"Value": "RESOLVED", "Comparison": "NOT_EQUALS"}])
    assert raised.value.response["Error"]["Code"] == "InvalidInputException"


# --------------------------------------------------------- c. BatchUpdateFindings
def test_batch_update_findings_sets_workflow_and_note(moto_url):
    securityhub = client(moto_url, "securityhub")
    prefix = unique("batch-update")
    target, other = f"{prefix}/target", f"{prefix}/other"
    import_findings(securityhub, [finding(target), finding(other)])
    missing = {"Id": f"{prefix}/missing", "ProductArn": PRODUCT_ARN}

    answer = securityhub.batch_update_findings(
        FindingIdentifiers=[{"Id": target, "ProductArn": PRODUCT_ARN}, missing],
        Workflow={"Status": "NOTIFIED"},
        Note={"Text": "alerted by hushhub", "UpdatedBy": "hushhub"},
        UserDefinedFields={"hushhub_alerted": "true"},
    )

    assert answer["ProcessedFindings"] == [{"Id": target, "ProductArn": PRODUCT_ARN}]
    assert answer["UnprocessedFindings"] == [
        {"FindingIdentifier": missing, "ErrorCode": "FindingNotFound",
         "ErrorMessage": "Finding Not Found"}]
    found = {f["Id"]: f for f in securityhub.get_findings(
        Filters={"Id": equals(target, other)})["Findings"]}
    updated = found[target]
    assert updated["Workflow"]["Status"] == "NOTIFIED"
    assert updated["Note"]["Text"] == "alerted by hushhub"
    assert updated["Note"]["UpdatedBy"] == "hushhub"
    assert updated["Note"]["UpdatedAt"].startswith("20")
    assert updated["UserDefinedFields"] == {"hushhub_alerted": "true"}
    # AWS: "Updates from BatchUpdateFindings do not affect the value of UpdatedAt".
    assert updated["UpdatedAt"] == "2026-01-02T00:00:00.000Z"
    assert found[other]["Workflow"]["Status"] == "NEW"
    assert "Note" not in found[other]
    notified = securityhub.get_findings(
        Filters={"Id": equals(target, other), "WorkflowStatus": equals("NOTIFIED")})
    assert [f["Id"] for f in notified["Findings"]] == [target]


# ------------------------------------------------------------ d. ECR DescribeImages
def test_ecr_describe_images_honours_tag_status_and_paging(moto_url):
    ecr = client(moto_url, "ecr")
    repository = unique("repo")
    ecr.create_repository(repositoryName=repository)
    for n in range(5):
        ecr.put_image(repositoryName=repository, imageManifest=image_manifest(f"{repository}{n}"),
                      imageTag=f"v{n}")
    for n in range(2):
        ecr.put_image(repositoryName=repository, imageManifest=image_manifest(f"{repository}u{n}"))

    def pages(**kwargs) -> list[list[dict]]:
        result, token = [], None
        while True:
            extra = {"nextToken": token} if token else {}
            answer = ecr.describe_images(repositoryName=repository, **kwargs, **extra)
            result.append(answer["imageDetails"])
            token = answer.get("nextToken")
            if not token:
                return result

    tagged = pages(filter={"tagStatus": "TAGGED"}, maxResults=2)
    assert [len(page) for page in tagged] == [2, 2, 1]
    assert sorted(tag for page in tagged for image in page for tag in image["imageTags"]) == [
        f"v{n}" for n in range(5)]
    untagged = pages(filter={"tagStatus": "UNTAGGED"})
    assert len(untagged) == 1 and len(untagged[0]) == 2
    assert all("imageTags" not in image for image in untagged[0])
    assert all(image["imagePushedAt"] for image in untagged[0])
    assert sum(len(page) for page in pages(filter={"tagStatus": "ANY"}, maxResults=3)) == 7
    assert sum(len(page) for page in pages()) == 7
    with pytest.raises(ClientError) as raised:  # AWS: no maxResults together with imageIds
        ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": "v1"}],
                            maxResults=1)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"


# ------------------------------------------------------------------- e. SES v2 mail
def test_ses_keeps_html_and_text_parts_for_read_back(moto_url):
    ses = client(moto_url, "sesv2")
    ses.create_email_identity(EmailIdentity="alerts@hushhub.example")
    recipient = unique("secops") + "@hushhub.example"

    simple_id = ses.send_email(
        FromEmailAddress="alerts@hushhub.example",
        Destination={"ToAddresses": [recipient], "CcAddresses": ["cc@hushhub.example"]},
        ReplyToAddresses=["noreply@hushhub.example"],
        Content={"Simple": {
            "Subject": {"Data": "[P1 · CRITICAL] S3 bucket is public"},
            "Body": {"Html": {"Data": "<p>The <b>bucket</b> is public</p>"},
                     "Text": {"Data": "The bucket is public"}},
        }},
        ConfigurationSetName="hushhub-alerts",
        EmailTags=[{"Name": "finding", "Value": "f-123"}, {"Name": "priority", "Value": "P1"}],
    )["MessageId"]
    raw = EmailMessage()
    raw["From"], raw["To"], raw["Subject"] = "alerts@hushhub.example", recipient, "raw one"
    raw.set_content("plain part")
    raw.add_alternative("<p>html part</p>", subtype="html")
    raw_id = ses.send_email(
        FromEmailAddress="alerts@hushhub.example", Destination={"ToAddresses": [recipient]},
        Content={"Raw": {"Data": raw.as_bytes()}},
    )["MessageId"]

    raw_no_destination_id = ses.send_email(  # recipients from the MIME To header only
        FromEmailAddress="alerts@hushhub.example", Content={"Raw": {"Data": raw.as_bytes()}},
    )["MessageId"]

    messages = harness(moto_url, "GET", f"/hushhub/ses/messages?to={recipient}")
    assert [m["message_id"] for m in messages] == [simple_id, raw_id, raw_no_destination_id]
    simple, sent_raw, _ = messages
    assert simple["html"] == "<p>The <b>bucket</b> is public</p>"
    assert simple["text"] == "The bucket is public"
    assert simple["subject"] == "[P1 · CRITICAL] S3 bucket is public"
    assert simple["from"] == "alerts@hushhub.example"
    assert simple["to"] == [recipient] and simple["cc"] == ["cc@hushhub.example"]
    assert simple["bcc"] == [] and simple["reply_to"] == ["noreply@hushhub.example"]
    assert simple["configuration_set"] == "hushhub-alerts"
    assert simple["tags"] == {"finding": "f-123", "priority": "P1"}
    assert simple["region"] == "us-east-1" and simple["raw"] is None
    assert sent_raw["subject"] == "raw one"
    assert sent_raw["text"].strip() == "plain part"
    assert sent_raw["html"].strip() == "<p>html part</p>"
    assert "Subject: raw one" in sent_raw["raw"]
    assert harness(moto_url, "GET", f"/hushhub/ses/messages?to={recipient}&region=eu-west-1") == []


# ------------------------------------------------------------- f. request counter
def test_request_counter_counts_per_operation(moto_url):
    access_key = new_access_key()
    dynamodb = client(moto_url, "dynamodb", access_key=access_key)
    securityhub = client(moto_url, "securityhub", access_key=access_key)
    table = unique("counted")
    dynamodb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    for n in range(2):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": str(n)}})
    for _ in range(3):
        dynamodb.get_item(TableName=table, Key={"pk": {"S": "0"}})
    securityhub.get_findings(Filters={"Id": equals(unique("none"))})

    assert harness(moto_url, "GET", f"/hushhub/requests?access_key={access_key}") == {
        "dynamodb:CreateTable": 1,
        "dynamodb:GetItem": 3,
        "dynamodb:PutItem": 2,
        "securityhub:GetFindings": 1,
    }
    overall = harness(moto_url, "GET", "/hushhub/requests")
    assert overall["dynamodb:GetItem"] >= 3
    harness(moto_url, "POST", f"/hushhub/requests/reset?access_key={access_key}")
    assert harness(moto_url, "GET", f"/hushhub/requests?access_key={access_key}") == {}


# --------------------------------------------------------------- g. fault injection
def test_fault_injection_fails_next_n_requests_then_recovers(moto_url):
    access_key = new_access_key()
    ses = client(moto_url, "sesv2", access_key=access_key)
    dynamodb = client(moto_url, "dynamodb", access_key=access_key)
    ses.create_email_identity(EmailIdentity="alerts@hushhub.example")
    recipient = unique("faulted") + "@hushhub.example"
    harness(moto_url, "POST", "/hushhub/faults", [
        {"service": "ses", "operation": "SendEmail", "error": "TooManyRequestsException",
         "status": 429, "times": 2, "access_key": access_key},
        {"service": "dynamodb", "operation": "ListTables",
         "error": "ProvisionedThroughputExceededException", "status": 400,
         "access_key": access_key},
    ])

    def send() -> str:
        return ses.send_email(
            FromEmailAddress="alerts@hushhub.example", Destination={"ToAddresses": [recipient]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
        )["MessageId"]

    for _ in range(2):
        with pytest.raises(ClientError) as raised:
            send()
        error = raised.value.response
        assert error["Error"]["Code"] == "TooManyRequestsException"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == (
            "TooManyRequestsException")
    message_id = send()
    with pytest.raises(ClientError) as raised:
        dynamodb.list_tables()
    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert raised.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == (
        "application/x-amz-json-1.0")
    dynamodb.list_tables()

    sent = harness(moto_url, "GET", f"/hushhub/ses/messages?to={recipient}")
    assert [m["message_id"] for m in sent] == [message_id]  # failed attempts sent nothing
    counts = harness(moto_url, "GET", f"/hushhub/requests?access_key={access_key}")
    assert counts["sesv2:SendEmail"] == 3 and counts["dynamodb:ListTables"] == 2
    # A fault for another access key does not touch this one's requests.
    other = new_access_key()
    harness(moto_url, "POST", "/hushhub/faults", [
        {"service": "sesv2", "operation": "SendEmail", "error": "MessageRejected",
         "status": 400, "access_key": other}])
    send()
    assert any(f["access_key"] == other for f in harness(moto_url, "GET", "/hushhub/faults"))
    harness(moto_url, "DELETE", "/hushhub/faults")
    assert harness(moto_url, "GET", "/hushhub/faults") == []
    assert http("POST", moto_url + "/hushhub/faults", [{"service": "sesv2"}])[0] == 400
    assert http("POST", moto_url + "/hushhub/faults", {"not": "a list"})[0] == 400


def test_fault_after_applies_the_request_then_answers_the_error(moto_url):
    access_key = new_access_key()
    dynamodb = client(moto_url, "dynamodb", access_key=access_key)
    table = unique("after")
    dynamodb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    harness(moto_url, "POST", "/hushhub/faults", [
        {"service": "dynamodb", "operation": "PutItem", "error": "InternalServerError",
         "status": 500, "times": 1, "when": "after", "access_key": access_key}])

    with pytest.raises(ClientError) as raised:
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "landed"}})

    assert raised.value.response["Error"]["Code"] == "InternalServerError"
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "landed"}}, ConsistentRead=True)
    assert item["Item"] == {"pk": {"S": "landed"}}  # the write landed; only its answer failed
    assert http("POST", moto_url + "/hushhub/faults",
                [{"service": "dynamodb", "operation": "PutItem", "when": "later"}])[0] == 400
