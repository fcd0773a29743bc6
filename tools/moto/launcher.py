#!/usr/bin/env python3
"""hushhub's local AWS emulator: moto's server, patched where stock moto differs from AWS.

Starts moto's server on 127.0.0.1 (port 0 = a free port by default) and prints one line
`HUSHHUB_MOTO_URL=http://127.0.0.1:NNNNN` on stdout once it is listening. Each gap with
AWS that matters to hushhub is closed by one small function below (see README.md for the
table gap -> fix -> test). It reaches into moto's internals, so it refuses to start with
any moto version other than the one pinned in requirements.txt beside it.

Test-support endpoints (not AWS):
  GET    /hushhub/ses/messages            sent SES v2 mail, in send order (?region=, ?to=)
  DELETE /hushhub/ses/messages            forget sent mail
  GET    /hushhub/requests                {"dynamodb:GetItem": 3, ...} (?access_key=)
  POST   /hushhub/requests/reset          zero the counters (?access_key= for one key)
  POST   /hushhub/faults                  arm faults: [{"service","operation","error",
                                          "status","times","message"?,"access_key"?,
                                          "when"?}]: "before" (default) fails the request
                                          unapplied; "after" applies it, then answers the
                                          error instead (the answer lost on the way back)
  GET    /hushhub/faults                  armed faults and how many times each is left
  DELETE /hushhub/faults                  disarm all faults
  POST   /hushhub/reset                   moto's reset plus all of the above
"""

from __future__ import annotations

import argparse
import base64
import copy
import email
import email.policy
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from email.utils import getaddresses
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"


# --------------------------------------------------------------------------------------
# Version guard: every patch below depends on moto's internals at the pinned version.
# --------------------------------------------------------------------------------------
def pinned_moto_version() -> str:
    match = re.search(r"^moto\[server\]==([^\s#]+)", REQUIREMENTS.read_text(), re.M)
    if not match:
        sys.exit(f"launcher: no 'moto[server]==X' pin found in {REQUIREMENTS}")
    return match.group(1)


def require_pinned_moto() -> None:
    wanted = pinned_moto_version()
    try:
        installed = metadata.version("moto")
    except metadata.PackageNotFoundError:
        installed = None
    if installed != wanted:
        sys.exit(
            f"launcher: moto {wanted} is required (pinned in {REQUIREMENTS}), "
            f"found {installed or 'none'} in {sys.executable}.\n"
            f"Install it with: {sys.executable} -m pip install -r {REQUIREMENTS}\n"
            "(or run the command through scripts/with-moto.sh, which does it)."
        )


# --------------------------------------------------------------------------------------
# State of the test-support extensions. The server runs one request at a time (gap a),
# so plain containers are safe.
# --------------------------------------------------------------------------------------
OUTBOX: list[dict[str, Any]] = []  # sent SES v2 mail, in send order
REQUEST_COUNTS: Counter[tuple[str, str]] = Counter()  # (access_key, "svc:Op") -> n
FAULTS: list[dict[str, Any]] = []  # armed faults, each with "times" left
SERVICE_ALIASES = {"ses": "sesv2"}  # faults may name SES v2 by its signing name


def clear_harness_state() -> None:
    OUTBOX.clear()
    REQUEST_COUNTS.clear()
    FAULTS.clear()


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def request_access_key(headers: Any) -> str:
    """The access key id a SigV4-signed request was signed with ('' if unsigned)."""
    match = re.search(r"Credential=([^/,\s]+)/", headers.get("Authorization", ""))
    return match.group(1) if match else ""


# --------------------------------------------------------------------------------------
# a. One request at a time: moto's stock server is threaded, and DynamoDB conditional
#    writes are then not atomic (2-3 winners among 50 racing writers were seen). The
#    server is built in serve() with threaded=False; this handler only adds a read
#    timeout so that one silent client cannot wedge the single worker forever.
# --------------------------------------------------------------------------------------
def request_handler_class() -> type:
    from moto.server import MotoRequestHandler

    class OneAtATimeHandler(MotoRequestHandler):
        timeout = 30  # seconds a connection may stay silent

    return OneAtATimeHandler


# --------------------------------------------------------------------------------------
# b. Security Hub GetFindings: stock moto ignores Filters. Implement the string filters
#    with AWS's rules (EQUALS/PREFIX/CONTAINS OR-ed, NOT_* AND-ed, forbidden mixes
#    rejected, at most 20 values per field and 10 fields) and page over the filtered
#    list. New findings get AWS's defaults (RecordState ACTIVE, Workflow.Status NEW) so
#    that filters on them behave as in AWS.
# --------------------------------------------------------------------------------------
FINDING_STRING_FILTERS: dict[str, tuple[str, ...]] = {
    "Id": ("Id",),
    "ProductArn": ("ProductArn",),
    "AwsAccountId": ("AwsAccountId",),
    "Region": ("Region",),
    "GeneratorId": ("GeneratorId",),
    "Title": ("Title",),
    "ProductName": ("ProductName",),
    "RecordState": ("RecordState",),
    "WorkflowStatus": ("Workflow", "Status"),
    "ComplianceStatus": ("Compliance", "Status"),
    "SeverityLabel": ("Severity", "Label"),
}
POSITIVE = {"EQUALS", "PREFIX", "CONTAINS"}
NEGATIVE = {"NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS"}
MAX_FILTER_VALUES = 20
MAX_FILTER_FIELDS = 10


def _securityhub_invalid_input(message: str) -> Exception:
    from moto.securityhub.exceptions import SecurityHubClientError

    return SecurityHubClientError("InvalidInputException", message)


def _finding_value(finding: dict[str, Any], path: tuple[str, ...]) -> str | None:
    value: Any = finding
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def _string_matches(comparison: str, value: str | None, wanted: str) -> bool:
    if comparison == "EQUALS":
        return value == wanted
    if comparison == "PREFIX":
        return value is not None and value.startswith(wanted)
    if comparison == "CONTAINS":
        return value is not None and wanted in value
    if comparison == "NOT_EQUALS":
        return value != wanted
    if comparison == "PREFIX_NOT_EQUALS":
        return value is None or not value.startswith(wanted)
    return value is None or wanted not in value  # NOT_CONTAINS


CompiledFilter = tuple[tuple[str, ...], list[tuple[str, str]], list[tuple[str, str]]]


def compile_finding_filters(filters: dict[str, Any] | None) -> list[CompiledFilter]:
    """Validate GetFindings Filters as AWS does; return (path, positives, negatives) per field."""
    filters = {k: v for k, v in (filters or {}).items() if v}
    if len(filters) > MAX_FILTER_FIELDS:
        raise _securityhub_invalid_input(
            f"Invalid parameter 'Filters': at most {MAX_FILTER_FIELDS} filter fields are allowed"
        )
    compiled = []
    for field, conditions in filters.items():
        if field not in FINDING_STRING_FILTERS:
            raise _securityhub_invalid_input(
                f"hushhub moto launcher: GetFindings filter field '{field}' is not emulated "
                f"(emulated: {', '.join(sorted(FINDING_STRING_FILTERS))})"
            )
        if len(conditions) > MAX_FILTER_VALUES:
            raise _securityhub_invalid_input(
                f"Invalid parameter 'Filters.{field}': at most {MAX_FILTER_VALUES} "
                f"values are allowed per filter field, got {len(conditions)}"
            )
        comparisons = set()
        positives, negatives = [], []
        for condition in conditions:
            comparison, value = condition.get("Comparison"), condition.get("Value")
            if comparison not in POSITIVE | NEGATIVE or not isinstance(value, str) or not value:
                raise _securityhub_invalid_input(
                    f"Invalid parameter 'Filters.{field}': each StringFilter needs a non-empty "
                    f"Value and a Comparison in {sorted(POSITIVE | NEGATIVE)}"
                )
            comparisons.add(comparison)
            (positives if comparison in POSITIVE else negatives).append((comparison, value))
        if ("CONTAINS" in comparisons and comparisons != {"CONTAINS"}) or (
            "NOT_CONTAINS" in comparisons and comparisons != {"NOT_CONTAINS"}
        ) or ("EQUALS" in comparisons and comparisons & {"NOT_EQUALS", "PREFIX_NOT_EQUALS"}):
            raise _securityhub_invalid_input(
                f"Invalid parameter 'Filters.{field}': comparisons {sorted(comparisons)} "
                "cannot be combined on one field"
            )
        compiled.append((FINDING_STRING_FILTERS[field], positives, negatives))
    return compiled


def finding_matches(finding: dict[str, Any], compiled: list[CompiledFilter]) -> bool:
    for path, positives, negatives in compiled:
        value = _finding_value(finding, path)
        if positives and not any(_string_matches(c, value, w) for c, w in positives):
            return False
        if not all(_string_matches(c, value, w) for c, w in negatives):
            return False
    return True


def patch_securityhub_get_findings() -> None:
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse
    from moto.utilities.paginator import paginate

    @paginate(pagination_model=SecurityHubBackend.PAGINATION_MODEL)
    def get_findings(self, filters=None, sort_criteria=None, max_results=None):
        if max_results is not None and not 1 <= int(max_results) <= 100:
            raise _securityhub_invalid_input("MaxResults must be a number between 1 and 100")
        compiled = compile_finding_filters(filters)
        return [f.as_dict() for f in self.findings if finding_matches(f.as_dict(), compiled)]

    def get_findings_response(self) -> tuple[str, dict[str, str]]:
        findings, next_token = self.securityhub_backend.get_findings(
            filters=self._get_param("Filters"),
            sort_criteria=self._get_param("SortCriteria"),
            max_results=self._get_param("MaxResults"),
            next_token=self._get_param("NextToken"),
        )
        body: dict[str, Any] = {"Findings": findings}
        if next_token:
            body["NextToken"] = next_token
        return json.dumps(body), {"Content-Type": "application/json"}

    stock_import = SecurityHubBackend.batch_import_findings

    def batch_import_findings(self, findings):
        known = {f.id for f in self.findings}
        for finding in findings:
            if isinstance(finding, dict) and finding.get("Id") not in known:
                finding.setdefault("RecordState", "ACTIVE")
                finding.setdefault("Workflow", {"Status": "NEW"})
        return stock_import(self, findings)

    SecurityHubBackend.get_findings = get_findings
    SecurityHubBackend.batch_import_findings = batch_import_findings
    SecurityHubResponse.get_findings = get_findings_response


# --------------------------------------------------------------------------------------
# c. Security Hub BatchUpdateFindings (PATCH /findings/batchupdate): missing in stock
#    moto (404 HTML, which the Rust SDK cannot parse). As in AWS it updates Workflow,
#    Note (stamped with UpdatedAt), Severity, VerificationState, Confidence, Criticality,
#    Types, UserDefinedFields and RelatedFindings; it does not change the finding's
#    UpdatedAt ("Updates from BatchUpdateFindings do not affect the value of UpdatedAt").
# --------------------------------------------------------------------------------------
WORKFLOW_STATUSES = {"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"}
VERIFICATION_STATES = {"UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE"}
SEVERITY_LABELS = {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}


def _label_for_normalized(normalized: int) -> str:
    for upper, label in ((0, "INFORMATIONAL"), (39, "LOW"), (69, "MEDIUM"), (89, "HIGH")):
        if normalized <= upper:
            return label
    return "CRITICAL"


def validate_batch_update(params: dict[str, Any]) -> None:
    identifiers = params.get("FindingIdentifiers")
    if not isinstance(identifiers, list) or not 1 <= len(identifiers) <= 100:
        raise _securityhub_invalid_input("FindingIdentifiers must hold 1 to 100 identifiers")
    for ident in identifiers:
        if not (isinstance(ident, dict) and ident.get("Id") and ident.get("ProductArn")):
            raise _securityhub_invalid_input("Each FindingIdentifier needs Id and ProductArn")
    status = (params.get("Workflow") or {}).get("Status")
    if "Workflow" in params and status not in WORKFLOW_STATUSES:
        raise _securityhub_invalid_input(f"Invalid Workflow.Status {status!r}")
    note = params.get("Note")
    if note is not None and not (note.get("Text") and note.get("UpdatedBy")):
        raise _securityhub_invalid_input("Note needs Text and UpdatedBy")
    if note is not None and len(note["Text"]) > 512:
        raise _securityhub_invalid_input("Note.Text must be at most 512 characters")
    if "VerificationState" in params and params["VerificationState"] not in VERIFICATION_STATES:
        state = params["VerificationState"]
        raise _securityhub_invalid_input(f"Invalid VerificationState {state!r}")
    label = (params.get("Severity") or {}).get("Label")
    if label is not None and label not in SEVERITY_LABELS:
        raise _securityhub_invalid_input(f"Invalid Severity.Label {label!r}")


def apply_batch_update(finding: dict[str, Any], params: dict[str, Any]) -> None:
    if "Workflow" in params:
        status = params["Workflow"]["Status"]
        finding["Workflow"] = {**finding.get("Workflow", {}), "Status": status}
    if "Note" in params:
        finding["Note"] = {
            "Text": params["Note"]["Text"],
            "UpdatedBy": params["Note"]["UpdatedBy"],
            "UpdatedAt": now_iso(),
        }
    if "Severity" in params:
        severity = {**finding.get("Severity", {}), **params["Severity"]}
        if "Normalized" in params["Severity"] and "Label" not in params["Severity"]:
            severity["Label"] = _label_for_normalized(int(params["Severity"]["Normalized"]))
        finding["Severity"] = severity
    for key in ("VerificationState", "Confidence", "Criticality", "Types",
                "UserDefinedFields", "RelatedFindings"):
        if key in params:
            finding[key] = params[key]


def patch_securityhub_batch_update_findings() -> None:
    import moto.securityhub.urls as urls
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse

    def batch_update_findings(self, params):
        validate_batch_update(params)
        by_key = {(f.data.get("Id"), f.data.get("ProductArn")): f for f in self.findings}
        processed, unprocessed, seen = [], [], set()
        for ident in params["FindingIdentifiers"]:
            key = (ident["Id"], ident["ProductArn"])
            identifier = {"Id": ident["Id"], "ProductArn": ident["ProductArn"]}
            if key in seen:
                error = ("DuplicatedFindingIdentifier", "Duplicated finding identifier")
            elif key not in by_key:
                error = ("FindingNotFound", "Finding Not Found")
            else:
                error = None
            seen.add(key)
            if error:
                unprocessed.append({
                    "FindingIdentifier": identifier,
                    "ErrorCode": error[0],
                    "ErrorMessage": error[1],
                })
                continue
            apply_batch_update(by_key[key].data, params)
            processed.append(identifier)
        return processed, unprocessed

    def batch_update_findings_response(self) -> tuple[str, dict[str, str]]:
        params = json.loads(self.body) if self.body else {}
        processed, unprocessed = self.securityhub_backend.batch_update_findings(params)
        body = {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}
        return json.dumps(body), {"Content-Type": "application/json"}

    SecurityHubBackend.batch_update_findings = batch_update_findings
    SecurityHubResponse.batch_update_findings = batch_update_findings_response
    # moto routes the operation by method + path from botocore's model (PATCH), but the
    # Flask app only serves paths listed in urls.py.
    urls.url_paths["{0}/findings/batchupdate$"] = SecurityHubResponse.dispatch


# --------------------------------------------------------------------------------------
# d. ECR DescribeImages: stock moto ignores filter.tagStatus and paging. Apply the tag
#    filter, then page with maxResults (1..1000, default 100) and nextToken, which AWS
#    forbids together with imageIds.
# --------------------------------------------------------------------------------------
def patch_ecr_describe_images() -> None:
    from moto.core.exceptions import InvalidToken
    from moto.core.responses import ActionResult
    from moto.ecr.exceptions import InvalidParameterException
    from moto.ecr.responses import ECRResponse
    from moto.utilities.paginator import paginate

    model = {
        "tagged_images": {
            "input_token": "next_token",
            "limit_key": "max_results",
            "limit_default": 100,
            "unique_attribute": "image_digest",
            "fail_on_invalid_token": True,
        }
    }

    @paginate(pagination_model=model)
    def tagged_images(images, repository, tag_status, image_ids, max_results=None):
        wanted = {
            "TAGGED": lambda image: bool(image.image_tags),
            "UNTAGGED": lambda image: not image.image_tags,
            "ANY": lambda image: True,
        }[tag_status]
        return [image for image in images if wanted(image)]

    def describe_images(self) -> ActionResult:
        repository = self._get_param("repositoryName")
        image_ids = self._get_param("imageIds")
        max_results = self._get_param("maxResults")
        next_token = self._get_param("nextToken")
        tag_status = (self._get_param("filter") or {}).get("tagStatus") or "ANY"
        if tag_status not in ("TAGGED", "UNTAGGED", "ANY"):
            raise InvalidParameterException(
                f"Invalid parameter at 'filter.tagStatus': {tag_status}"
            )
        if image_ids and (max_results is not None or next_token is not None):
            raise InvalidParameterException(
                "Invalid parameter: maxResults and nextToken cannot be used with imageIds"
            )
        if max_results is not None and not 1 <= int(max_results) <= 1000:
            raise InvalidParameterException("Invalid parameter at 'maxResults': must be 1..1000")
        registry = self._get_param("registryId")
        images = self.ecr_backend.describe_images(repository, registry, image_ids)
        try:
            page, token = tagged_images(
                list(images), repository=repository, tag_status=tag_status,
                image_ids=image_ids, max_results=max_results, next_token=next_token,
            )
        except InvalidToken as err:
            message = "Invalid parameter at 'nextToken': invalid token"
            raise InvalidParameterException(message) from err
        details = []
        for image in page:
            detail = copy.copy(image)
            if not detail.image_tags:  # AWS omits an empty imageTags (as stock moto does)
                del detail.image_tags
            details.append(detail)
        body: dict[str, Any] = {"imageDetails": details}
        if token:
            body["nextToken"] = token
        return ActionResult(body)

    ECRResponse.describe_images = describe_images


# --------------------------------------------------------------------------------------
# e. SES v2 SendEmail: stock moto keeps only the HTML part of a Simple message and drops
#    ReplyTo, tags and the configuration set. Keep everything a test needs, for read-back
#    over GET /hushhub/ses/messages (the stock /moto-api/data.json mixes regions and can
#    answer 500). Raw messages are parsed too, so their parts can be read back alike.
# --------------------------------------------------------------------------------------
def _mime_parts(raw: bytes) -> dict[str, Any]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    return {
        "subject": message.get("Subject"),
        "mime_from": message.get("From"),
        "mime_to": [a for _, a in getaddresses(message.get_all("To", []))],
        "mime_cc": [a for _, a in getaddresses(message.get_all("Cc", []))],
        "html": html.get_content() if html is not None else None,
        "text": text.get_content() if text is not None else None,
    }


def sent_mail_record(params: dict[str, Any], message_id: str, region: str, account: str) -> dict:
    destination = params.get("Destination") or {}
    content = params.get("Content") or {}
    record: dict[str, Any] = {
        "message_id": message_id,
        "account_id": account,
        "region": region,
        "from": params.get("FromEmailAddress"),
        "to": destination.get("ToAddresses", []),
        "cc": destination.get("CcAddresses", []),
        "bcc": destination.get("BccAddresses", []),
        "reply_to": params.get("ReplyToAddresses", []),
        "subject": None,
        "html": None,
        "text": None,
        "headers": [],
        "raw": None,
        "configuration_set": params.get("ConfigurationSetName"),
        "tags": {t.get("Name"): t.get("Value") for t in params.get("EmailTags") or []},
        "sent_at": now_iso(),
    }
    if "Simple" in content:
        simple = content["Simple"]
        body = simple.get("Body") or {}
        record["subject"] = (simple.get("Subject") or {}).get("Data")
        record["html"] = (body.get("Html") or {}).get("Data")
        record["text"] = (body.get("Text") or {}).get("Data")
        record["headers"] = simple.get("Headers") or []
    elif "Raw" in content:
        raw = base64.b64decode(content["Raw"]["Data"])
        record["raw"] = raw.decode("utf-8", errors="replace")
        parts = _mime_parts(raw)
        record.update(subject=parts["subject"], html=parts["html"], text=parts["text"])
        record["from"] = record["from"] or parts["mime_from"]
        if not destination:  # AWS then sends to the message's own To/Cc headers
            record.update(to=parts["mime_to"], cc=parts["mime_cc"])
    return record


def patch_sesv2_send_email() -> None:
    from moto.sesv2.responses import SESV2Response

    stock_send_email = SESV2Response.send_email

    def send_email(self) -> str:
        params = json.loads(self.body) if self.body else {}
        answer = stock_send_email(self)  # validates and raises as stock moto does
        message_id = json.loads(answer)["MessageId"]
        OUTBOX.append(sent_mail_record(params, message_id, self.region, self.current_account))
        return answer

    SESV2Response.send_email = send_email


# --------------------------------------------------------------------------------------
# f. + g. Request counter and fault injection, at the one place every AWS request
#    passes once its service and operation are known: BaseResponse.call_action.
# --------------------------------------------------------------------------------------
def take_fault(service: str, operation: str, access_key: str) -> dict[str, Any] | None:
    for fault in FAULTS:
        if (
            fault["times"] > 0
            and fault["service"] == service
            and fault["operation"] == operation
            and fault.get("access_key") in (None, access_key)
        ):
            fault["times"] -= 1
            return fault
    return None


def fault_response(service: str, fault: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """AWS's JSON error shape (awsJson1_0/1_1 and restJson1)."""
    from moto.core.utils import get_service_model

    metadata_ = get_service_model(service).metadata
    content_type = (
        f"application/x-amz-json-{metadata_['jsonVersion']}"
        if metadata_["protocol"] == "json"
        else "application/json"
    )
    headers = {
        "x-amzn-ErrorType": fault["error"],
        "x-amzn-RequestId": str(uuid.uuid4()),
        "Content-Type": content_type,
    }
    body = json.dumps({"__type": fault["error"], "message": fault["message"]})
    return fault["status"], headers, body


def count_request(service: str, operation: str, access_key: str) -> None:
    REQUEST_COUNTS[(access_key, f"{service}:{operation}")] += 1


def patch_call_action_for_counts_and_faults() -> None:
    from moto.core.responses import BaseResponse

    stock_call_action = BaseResponse.call_action

    def call_action(self):
        service, operation = self.boto3_service_name, self._get_action() or "?"
        access_key = request_access_key(self.headers)
        count_request(service, operation, access_key)
        fault = take_fault(service, operation, access_key)
        if fault is None:
            return stock_call_action(self)
        if fault["when"] == "after":
            stock_call_action(self)
        return fault_response(service, fault)

    BaseResponse.call_action = call_action


def parse_faults(payload: Any) -> list[dict[str, Any]]:
    """Validate a POST /hushhub/faults body; only JSON-protocol services can be faulted."""
    from moto.core.utils import get_service_model

    if not isinstance(payload, list):
        raise ValueError("expected a JSON list of faults")
    faults = []
    for item in payload:
        if not isinstance(item, dict) or not item.get("service") or not item.get("operation"):
            raise ValueError(f"each fault needs service and operation: {item!r}")
        service = SERVICE_ALIASES.get(item["service"], item["service"])
        protocol = get_service_model(service).metadata["protocol"]
        if protocol not in ("json", "rest-json"):
            raise ValueError(
                f"{service} uses protocol {protocol}: only JSON protocols can be faulted"
            )
        fault = {
            "service": service,
            "operation": item["operation"],
            "error": item.get("error", "InternalFailure"),
            "status": int(item.get("status", 500)),
            "times": int(item.get("times", 1)),
            "message": item.get("message", "injected by the hushhub moto launcher"),
            "access_key": item.get("access_key"),
            "when": item.get("when", "before"),
        }
        if not 400 <= fault["status"] <= 599 or fault["times"] < 1:
            raise ValueError(f"status must be 4xx/5xx and times >= 1: {item!r}")
        if fault["when"] not in ("before", "after"):
            raise ValueError(f"when must be \"before\" or \"after\": {item!r}")
        faults.append(fault)
    return faults


def patch_moto_reset() -> None:
    """/moto-api/reset wipes moto's state: wipe the launcher's too."""
    from moto.moto_api._internal.models import MotoAPIBackend

    stock_reset = MotoAPIBackend.reset

    def reset(self) -> None:
        stock_reset(self)
        clear_harness_state()

    MotoAPIBackend.reset = reset


# --------------------------------------------------------------------------------------
# The /hushhub/* endpoints, in front of moto's own WSGI application.
# --------------------------------------------------------------------------------------
def _json(start_response, status: int, payload: Any) -> list[bytes]:
    body = json.dumps(payload).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(body)))])
    return [body]


def harness_endpoint(environ, start_response) -> list[bytes]:
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    key = query.get("access_key")

    if path == "/hushhub/ses/messages" and method == "GET":
        messages = [
            m for m in OUTBOX
            if query.get("region") in (None, m["region"])
            and query.get("to") in (None, *m["to"], *m["cc"], *m["bcc"])
        ]
        return _json(start_response, 200, messages)
    if path == "/hushhub/ses/messages" and method == "DELETE":
        OUTBOX.clear()
        return _json(start_response, 200, {"status": "ok"})
    if path == "/hushhub/requests" and method == "GET":
        counts: Counter[str] = Counter()
        for (access_key, name), n in REQUEST_COUNTS.items():
            if key in (None, access_key):
                counts[name] += n
        return _json(start_response, 200, dict(sorted(counts.items())))
    if path == "/hushhub/requests/reset" and method == "POST":
        for entry in [e for e in REQUEST_COUNTS if key in (None, e[0])]:
            del REQUEST_COUNTS[entry]
        return _json(start_response, 200, {"status": "ok"})
    if path == "/hushhub/faults" and method == "POST":
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            FAULTS.extend(parse_faults(json.loads(environ["wsgi.input"].read(size) or b"null")))
        except (ValueError, KeyError) as err:
            return _json(start_response, 400, {"error": str(err)})
        return _json(start_response, 200, FAULTS)
    if path == "/hushhub/faults" and method == "GET":
        return _json(start_response, 200, FAULTS)
    if path == "/hushhub/faults" and method == "DELETE":
        FAULTS.clear()
        return _json(start_response, 200, {"status": "ok"})
    if path == "/hushhub/reset" and method == "POST":
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()  # also clears the launcher's state (patch_moto_reset)
        return _json(start_response, 200, {"status": "ok"})
    return _json(start_response, 404, {"error": f"no such endpoint: {method} {path}"})


def build_app():
    from moto.server import DomainDispatcherApplication, create_backend_app

    moto_app = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/hushhub/"):
            return harness_endpoint(environ, start_response)
        return moto_app(environ, start_response)

    return app


def apply_patches() -> None:
    patch_securityhub_get_findings()
    patch_securityhub_batch_update_findings()
    patch_ecr_describe_images()
    patch_sesv2_send_email()
    patch_call_action_for_counts_and_faults()
    patch_moto_reset()


def serve(port: int) -> None:
    from werkzeug.serving import make_server

    # Gap a: threaded=False serves one request at a time. Loopback only.
    server = make_server("127.0.0.1", port, build_app(), threaded=False,
                         request_handler=request_handler_class())
    bound = server.server_port
    os.environ["MOTO_PORT"] = str(bound)  # moto builds some self-URLs from it
    print(f"HUSHHUB_MOTO_URL=http://127.0.0.1:{bound}", flush=True)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def exit_with_parent() -> None:
    """Stop when the process that started us is gone (even if it was killed with -9)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-p", "--port", type=int, default=0,
                        help="port on 127.0.0.1 (default 0: a free port)")
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="stop when the parent process is gone (for test runners)")
    args = parser.parse_args(argv)
    require_pinned_moto()
    if args.exit_with_parent:
        exit_with_parent()
    apply_patches()
    serve(args.port)


if __name__ == "__main__":
    main()
