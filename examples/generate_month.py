"""Models 30 days (2026-10-01..30) of EventBridge "Security Hub Findings - Imported" events: ~60 ASFF findings from
GuardDuty, Inspector (EC2/ECR), CSPM controls, Macie and Access Analyzer re-imported every 6-24 h, with resolves,
archives, reopens, a MEDIUM->CRITICAL escalation, analyst Note/Workflow edits, batched and duplicate events."""

# Usage (from the repository root):  python3 examples/generate_month.py
# Writes examples/month.jsonl (one compact event per line, in time order) and examples/ecr-images.jsonl.
# Deterministic: fixed seed, standard library only; rerunning produces byte-identical files.
#
# Modelling notes (taken from the AWS docs):
# * Provider re-imports (BatchImportFindings) always move UpdatedAt forward.
# * Analyst edits (BatchUpdateFindings: Note, Workflow NOTIFIED/RESOLVED/SUPPRESSED) also emit an Imported event but
#   do NOT change UpdatedAt; only ProcessedAt and the edited fields change.
# * A CSPM control that PASSES gets Severity INFORMATIONAL and Workflow RESOLVED; FAILED again resets Workflow to NEW.
# * RecordState ARCHIVED -> ACTIVE resets Workflow to NEW.  SUPPRESSED findings are no longer updated.
# * The envelope account is the Security Hub administrator account (111122223333) and region the aggregation
#   region (us-east-1); findings come from three member accounts and two regions.

import hashlib
import json
import random
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20261001
HERE = Path(__file__).resolve().parent
MONTH_OUT = HERE / "month.jsonl"
ECR_OUT = HERE / "ecr-images.jsonl"

UTC = timezone.utc
START = datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
END = datetime(2026, 10, 31, 0, 0, tzinfo=UTC)  # exclusive: last event is on 2026-10-30

ADMIN = "111122223333"  # Security Hub delegated administrator / aggregator account
EVENT_REGION = "us-east-1"  # aggregation region
A_CORE = "111122223333"  # prod core
A_PAY = "444455556666"  # prod payments workloads
A_STG = "555566667777"  # staging

ANALYST = "arn:aws:sts::111122223333:assumed-role/SecOpsAnalyst/jmartin"
DUP_RATE = 0.015  # share of events EventBridge delivers twice
BATCH_RATE = 0.04  # share of events that carry 2-3 findings


def D(s):
    """'10-09 14:30' (October 2026) or '2026-09-15 14:30' -> aware datetime."""
    if len(s) <= 11:
        s = "2026-" + s
    return datetime.strptime(s, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def ts(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def ets(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def h(s, n=32):
    return hashlib.sha256(s.encode()).hexdigest()[:n]


def det_uuid(s):
    return str(uuid.UUID(hex=h(s), version=4))


# --------------------------------------------------------------------------------------------------------------------
# ECR repositories (the generator is the single source of truth for examples/ecr-images.jsonl)
# --------------------------------------------------------------------------------------------------------------------

ECR_REPOS = {
    # repository: (registry account, region, [(tags, pushed_at)])  -- newest push carries "latest"
    "payments-api": (A_PAY, "eu-west-1", [
        ([], "2026-07-21 16:02"),
        (["v1.3.9"], "2026-09-15 14:03"),
        (["v1.4.2", "latest"], "2026-10-12 09:41"),
    ]),
    "checkout-web": (A_CORE, "us-east-1", [
        ([], "2026-09-02 11:27"),
        (["2026.09.28-4c1e9a7"], "2026-09-28 17:45"),
        (["2026.10.06-b7d2f01", "latest"], "2026-10-06 08:12"),
    ]),
    "ledger-worker": (A_PAY, "eu-west-1", [
        (["v3.0.0"], "2026-08-11 10:30"),
        (["v3.0.1", "latest"], "2026-09-20 13:05"),
    ]),
}


def ecr_digest(repo, pushed):
    acct, region, _ = ECR_REPOS[repo]
    return "sha256:" + hashlib.sha256(f"{acct}.dkr.ecr.{region}.amazonaws.com/{repo}@{pushed}".encode()).hexdigest()


def ecr_image(repo, index):
    acct, region, images = ECR_REPOS[repo]
    tags, pushed = images[index]
    return {"repository": repo, "registry": acct, "region": region, "tags": list(tags),
            "pushed_at": D(pushed), "digest": ecr_digest(repo, pushed)}


def write_ecr_images():
    lines = []
    for repo in sorted(ECR_REPOS):
        for i in range(len(ECR_REPOS[repo][2])):
            img = ecr_image(repo, i)
            lines.append(json.dumps({"repository": repo, "digest": img["digest"], "tags": img["tags"],
                                     "pushed_at": ets(img["pushed_at"])}, separators=(",", ":")))
    ECR_OUT.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


# --------------------------------------------------------------------------------------------------------------------
# Resource builders
# --------------------------------------------------------------------------------------------------------------------

PROD = {"environment": "production", "owner": "platform-team"}
PROD_PAY = {"env": "prod", "team": "payments"}
STG = {"environment": "staging", "owner": "platform-team"}
DEV = {"env": "dev", "team": "data"}


def tags(*parts, **extra):
    out = {}
    for p in parts:
        out.update(p)
    out.update(extra)
    return out


def r_ec2(acct, region, iid, t, private_ip, public_ip=None, itype="m6i.large"):
    ips = [private_ip] + ([public_ip] if public_ip else [])
    return {"Type": "AwsEc2Instance", "Id": f"arn:aws:ec2:{region}:{acct}:instance/{iid}", "Partition": "aws",
            "Region": region, "Tags": t,
            "Details": {"AwsEc2Instance": {"Type": itype, "IpV4Addresses": ips,
                                           "VpcId": "vpc-0" + h(acct + region, 16)}}}


def r_bucket(name, region, t=None):
    r = {"Type": "AwsS3Bucket", "Id": f"arn:aws:s3:::{name}", "Partition": "aws", "Region": region}
    if t:
        r["Tags"] = t
    return r


def r_account(acct, region):
    return {"Type": "AwsAccount", "Id": f"AWS::::Account:{acct}", "Partition": "aws", "Region": region}


def r_iam(kind, acct, name, t=None):
    typ = {"role": "AwsIamRole", "user": "AwsIamUser", "policy": "AwsIamPolicy"}[kind]
    r = {"Type": typ, "Id": f"arn:aws:iam::{acct}:{kind}/{name}", "Partition": "aws", "Region": "us-east-1"}
    if t:
        r["Tags"] = t
    return r


def r_access_key(key_id, principal, ptype, region):
    return {"Type": "AwsIamAccessKey", "Id": f"AWS::IAM::AccessKey:{key_id}", "Partition": "aws", "Region": region,
            "Details": {"AwsIamAccessKey": {"PrincipalId": "AIDA" + h(principal, 17).upper(), "PrincipalName": principal,
                                            "PrincipalType": ptype}}}


def r_ecr(repo, index):
    img = ecr_image(repo, index)
    d = {"RegistryId": img["registry"], "RepositoryName": repo, "Architecture": "amd64",
         "ImageDigest": img["digest"], "ImagePublishedAt": ets(img["pushed_at"])}
    if img["tags"]:
        d["ImageTags"] = img["tags"]
    return {"Type": "AwsEcrContainerImage",
            "Id": f"arn:aws:ecr:{img['region']}:{img['registry']}:repository/{repo}/{img['digest']}",
            "Partition": "aws", "Region": img["region"], "Details": {"AwsEcrContainerImage": d}}


def r_generic(typ, arn, region, t=None):
    r = {"Type": typ, "Id": arn, "Partition": "aws", "Region": region}
    if t:
        r["Tags"] = t
    return r


# --------------------------------------------------------------------------------------------------------------------
# Finding catalogue.  Each spec: static ASFF parts + lifecycle (start, cadence, scripted changes, quiet windows).
# --------------------------------------------------------------------------------------------------------------------

PRODUCTS = {
    "guardduty": ("GuardDuty", "Amazon", "guardduty"),
    "inspector": ("Inspector", "Amazon", "inspector"),
    "securityhub": ("Security Hub", "AWS", "securityhub"),
    "macie": ("Macie", "Amazon", "macie"),
    "access-analyzer": ("IAM Access Analyzer", "AWS", "access-analyzer"),
}
NORM = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
GD_SEV = {"LOW": 2, "MEDIUM": 5, "HIGH": 8}
CADENCE = {  # hours between provider re-imports (uniform, then jitter)
    "guardduty": (6, 9), "inspector": (6, 16), "securityhub": (7, 15), "macie": (6, 12),
    "access-analyzer": (6, 13),
}
SPECS = []


def spec(key, product, acct, region, sev, title, desc, types, resources, start, created=None, extra=None,
         changes=(), quiet=(), cadence=None, generator=None, fid=None):
    SPECS.append({
        "key": key, "product": product, "acct": acct, "region": region, "sev": sev, "title": title,
        "desc": desc, "types": types, "resources": resources, "start": D(start),
        "created": D(created) if created else None, "extra": extra or {}, "changes": list(changes),
        "quiet": [(D(a), D(b) if b else END) for a, b in quiet], "cadence": cadence or CADENCE[product],
        "generator": generator, "fid": fid,
    })


# ---- GuardDuty (10) ----
GD_DET = {A_CORE: "6ec5a1b2c3d4e5f60718293a4b5c6d7e", A_PAY: "a2c94fd1e0b3c7d8e9f0a1b2c3d4e5f6",
          A_STG: "f0e1d2c3b4a5968778695a4b3c2d1e0f"}


def gd_net(direction, remote_ip, remote_port, local_ip, local_port, proto="TCP"):
    if direction == "IN":
        return {"Direction": "IN", "Protocol": proto, "SourceIpV4": remote_ip, "SourcePort": remote_port,
                "DestinationIpV4": local_ip, "DestinationPort": local_port}
    return {"Direction": "OUT", "Protocol": proto, "SourceIpV4": local_ip, "SourcePort": local_port,
            "DestinationIpV4": remote_ip, "DestinationPort": remote_port}


def gd_action_net(direction, remote_ip, country, remote_port, local_port, port_name):
    return {"ActionType": "NETWORK_CONNECTION", "NetworkConnectionAction": {
        "ConnectionDirection": "INBOUND" if direction == "IN" else "OUTBOUND",
        "RemoteIpDetails": {"IpAddressV4": remote_ip, "Country": {"CountryName": country}},
        "RemotePortDetails": {"Port": remote_port}, "LocalPortDetails": {"Port": local_port, "PortName": port_name},
        "Protocol": "TCP", "Blocked": False}}


def gd_action_dns(domain):
    return {"ActionType": "DNS_REQUEST", "DnsRequestAction": {"Domain": domain, "Protocol": "UDP", "Blocked": False}}


def gd_action_api(api, service, remote_ip, country):
    return {"ActionType": "AWS_API_CALL", "AwsApiCallAction": {
        "Api": api, "ServiceName": service, "CallerType": "Remote IP",
        "RemoteIpDetails": {"IpAddressV4": remote_ip, "Country": {"CountryName": country}}}}


web1 = r_ec2(A_CORE, "us-east-1", "i-0a1b2c3d4e5f60718", tags(PROD, Name="web-frontend-1"), "10.20.1.17", "3.92.14.207")
bast = r_ec2(A_CORE, "us-east-1", "i-0b7c1d2e3f4a5b6c7", tags(PROD, Name="bastion-1"), "10.20.0.5", "54.210.77.31",
             "t3.small")
stg1 = r_ec2(A_STG, "us-east-1", "i-0c2d3e4f5a6b7c8d9", tags(STG, Name="stg-api-1"), "172.31.40.12", "18.208.3.99")
pay1 = r_ec2(A_PAY, "eu-west-1", "i-0d4e5f6a7b8c9d0e1", tags(PROD_PAY, Name="payments-worker-3"), "10.40.2.33")
pay2 = r_ec2(A_PAY, "eu-west-1", "i-0e5f6a7b8c9d0e1f2", tags(PROD_PAY, Name="payments-gw-1"), "10.40.0.9",
             "52.49.160.18")
core2 = r_ec2(A_CORE, "us-east-1", "i-0f6a7b8c9d0e1f2a3", tags(PROD, Name="reporting-1"), "10.20.3.41")
dev1 = r_ec2(A_STG, "us-east-1", "i-01a2b3c4d5e6f7a8b", tags(DEV, Name="notebook-dev-2"), "172.31.9.200")

spec("gd-crypto", "guardduty", A_CORE, "us-east-1", "HIGH",
     "EC2 instance i-0a1b2c3d4e5f60718 is querying a domain name associated with Bitcoin-related activity.",
     "EC2 instance i-0a1b2c3d4e5f60718 is querying a domain name pool.minexmr-example.net that is associated with "
     "Bitcoin-related activity.",
     ["TTPs/Command and Control/CryptoCurrency:EC2-BitcoinTool.B!DNS"], [web1], "10-02 03:14",
     extra={"Action": gd_action_dns("pool.minexmr-example.net"), "role": "ACTOR"},
     # isolated and archived in GuardDuty on the 10th; the miner comes back from a stale AMI on the 19th
     changes=[("10-03 09:30", "customer", {"workflow": "NOTIFIED", "note": "INC-2291 opened; instance owner paged."}),
              ("10-10 11:05", "provider", {"record": "ARCHIVED"}),
              ("10-19 06:48", "provider", {"record": "ACTIVE"})],
     quiet=[("10-10 11:06", "10-19 06:47"), ("10-25 00:00", None)])
spec("gd-ssh-brute", "guardduty", A_CORE, "us-east-1", "LOW",
     "198.51.47.212 is performing SSH brute force attacks against i-0b7c1d2e3f4a5b6c7.",
     "198.51.47.212 is performing SSH brute force attacks against i-0b7c1d2e3f4a5b6c7. Brute force attacks are used "
     "to gain unauthorized access to your instance by guessing the SSH password.",
     ["TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce"], [bast], "10-01 00:52", created="2026-09-29 22:10",
     extra={"Network": gd_net("IN", "198.51.47.212", 48522, "10.20.0.5", 22),
            "Action": gd_action_net("IN", "198.51.47.212", "Netherlands", 48522, 22, "SSH"), "role": "TARGET"},
     # analyst resolves it; GuardDuty keeps updating it later (Workflow stays RESOLVED: no auto-reset rule applies)
     changes=[("10-08 15:20", "customer", {"workflow": "RESOLVED",
                                           "note": "Bastion moved behind SSM Session Manager; port 22 closed to 0.0.0.0/0."})],
     quiet=[("10-08 15:21", "10-20 02:00"), ("10-23 00:00", None)])
spec("gd-portprobe", "guardduty", A_STG, "us-east-1", "LOW",
     "Unprotected port on EC2 instance i-0c2d3e4f5a6b7c8d9 is being probed.",
     "EC2 instance i-0c2d3e4f5a6b7c8d9 has an unprotected port 8080 which is being probed by a known malicious host.",
     ["TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort"], [stg1], "10-04 13:02",
     extra={"Network": gd_net("IN", "45.134.26.19", 51234, "172.31.40.12", 8080),
            "Action": gd_action_net("IN", "45.134.26.19", "Russia", 51234, 8080, "HTTP"), "role": "TARGET"},
     quiet=[("10-16 00:00", None)])
spec("gd-cred-exfil", "guardduty", A_PAY, "eu-west-1", "HIGH",
     "Credentials for instance role payments-worker-role used from a remote AWS account.",
     "Credentials created exclusively for an EC2 instance using instance role payments-worker-role have been used "
     "from IP address 91.240.118.172 outside of AWS.",
     ["TTPs/Initial Access/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS"],
     [r_access_key("ASIA" + h("cred-exfil", 16).upper(), "payments-worker-role", "AssumedRole", "eu-west-1"),
      r_iam("role", A_PAY, "payments-worker-role", PROD_PAY)], "10-13 20:41",
     extra={"Action": gd_action_api("ListBuckets", "s3.amazonaws.com", "91.240.118.172", "Ukraine"), "role": "ACTOR"},
     changes=[("10-14 08:15", "customer", {"workflow": "NOTIFIED",
                                           "note": "Role session revoked; SEC-5310 open with payments on-call."})],
     quiet=[("10-17 00:00", None)])
spec("gd-privesc", "guardduty", A_CORE, "us-east-1", "MEDIUM",
     "Anomalous API commonly used to obtain elevated permissions was invoked by user ci-deployer.",
     "APIs commonly used in Privilege Escalation tactics were invoked by user ci-deployer under unusual "
     "circumstances. Such activity is not typically seen from this user.",
     ["TTPs/Privilege Escalation/PrivilegeEscalation:IAMUser-AnomalousBehavior"],
     [r_access_key("AKIA" + h("ci-deployer", 16).upper(), "ci-deployer", "IAMUser", "us-east-1"),
      r_iam("user", A_CORE, "ci-deployer", PROD)], "10-06 17:33",
     extra={"Action": gd_action_api("AttachUserPolicy", "iam.amazonaws.com", "34.201.88.12", "United States"),
            "role": "ACTOR"},
     quiet=[("10-12 00:00", None)])
spec("gd-c2", "guardduty", A_PAY, "eu-west-1", "HIGH",
     "EC2 instance i-0e5f6a7b8c9d0e1f2 is querying a domain name associated with a known Command & Control server.",
     "EC2 instance i-0e5f6a7b8c9d0e1f2 is querying update-cdn-sync.example.org, a domain associated with a known "
     "command and control server.",
     ["TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS"], [pay2], "10-21 04:12",
     extra={"Action": gd_action_dns("update-cdn-sync.example.org"), "role": "ACTOR"})
spec("gd-s3-discovery", "guardduty", A_CORE, "us-east-1", "LOW",
     "Unusual S3 list operations by user old-reporting on bucket acme-customer-data-prod.",
     "An API commonly used to discover S3 objects (ListObjects) was invoked by IAM user old-reporting in an unusual "
     "way against bucket acme-customer-data-prod.",
     ["TTPs/Discovery/Discovery:S3-AnomalousBehavior"],
     [r_bucket("acme-customer-data-prod", "us-east-1", tags(PROD, {"data-classification": "sensitive"})),
      r_access_key("AKIA" + h("old-reporting", 16).upper(), "old-reporting", "IAMUser", "us-east-1")], "10-09 10:20",
     extra={"Action": gd_action_api("ListObjects", "s3.amazonaws.com", "34.201.88.12", "United States"),
            "role": "ACTOR"},
     quiet=[("10-14 00:00", None)])
spec("gd-tor", "guardduty", A_STG, "us-east-1", "HIGH",
     "EC2 instance i-01a2b3c4d5e6f7a8b is communicating with Tor Entry node.",
     "EC2 instance i-01a2b3c4d5e6f7a8b is communicating with IP address 193.142.146.35 on the Tor Anonymizing Proxy "
     "network marked as an Entry node.",
     ["TTPs/Initial Access/UnauthorizedAccess:EC2-TorClient"], [dev1], "10-17 23:51",
     extra={"Network": gd_net("OUT", "193.142.146.35", 9001, "172.31.9.200", 41810),
            "Action": gd_action_net("OUT", "193.142.146.35", "Germany", 9001, 41810, "Unknown"), "role": "ACTOR"},
     changes=[("10-18 09:02", "customer", {"workflow": "RESOLVED", "note": "Researcher testing Tor client; approved."})],
     quiet=[("10-18 09:03", None)])
spec("gd-s3-exfil", "guardduty", A_PAY, "eu-west-1", "HIGH",
     "Unusual S3 object reads by role analytics-export on bucket acme-payments-exports-prod.",
     "An IAM entity invoked an S3 API (GetObject) in a suspicious way against bucket acme-payments-exports-prod; the "
     "volume of data read is unusual for this principal.",
     ["TTPs/Exfiltration/Exfiltration:S3-AnomalousBehavior"],
     [r_bucket("acme-payments-exports-prod", "eu-west-1", tags(PROD_PAY, {"data-classification": "confidential"})),
      r_access_key("ASIA" + h("analytics-export", 16).upper(), "analytics-export", "AssumedRole", "eu-west-1")],
     "10-26 01:37",
     extra={"Action": gd_action_api("GetObject", "s3.amazonaws.com", "18.132.60.4", "United Kingdom"),
            "role": "ACTOR"})
spec("gd-dns-exfil", "guardduty", A_CORE, "us-east-1", "HIGH",
     "Data exfiltration through DNS queries from EC2 instance i-0f6a7b8c9d0e1f2a3.",
     "EC2 instance i-0f6a7b8c9d0e1f2a3 is attempting to query domain names that resemble exfiltrated data. This could "
     "be indicative of data exfiltration.",
     ["TTPs/Exfiltration/Trojan:EC2-DNSDataExfiltration"], [core2], "10-11 12:09",
     extra={"Action": gd_action_dns("a9f3c1.d2x.tunnel-example.com"), "role": "ACTOR"},
     quiet=[("10-15 00:00", None)])


# ---- Inspector (12 EC2 + 8 ECR) ----
def vuln(cve, pkg, ver, fixed, score, vector, vendor_sev, fix="YES", exploit="NO", epss=None, pm="OS",
         remediation=None, filepath=None):
    p = {"Name": pkg, "Version": ver, "PackageManager": pm}
    if filepath:
        p["FilePath"] = filepath
    if fixed:
        p["FixedInVersion"] = fixed
        p["Remediation"] = remediation or (f"dnf update {pkg}" if pm == "OS" else f"Update {pkg} to {fixed}")
    v = {"Id": cve, "VulnerablePackages": [p], "FixAvailable": fix, "ExploitAvailable": exploit,
         "Vendor": {"Name": "NVD", "Url": f"https://nvd.nist.gov/vuln/detail/{cve}", "VendorSeverity": vendor_sev}}
    if score is not None:
        v["Cvss"] = [{"Version": "3.1", "BaseScore": score, "BaseVector": vector, "Source": "NVD"}]
    if epss is not None:
        v["EpssScore"] = epss
    return v


AV_N = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def insp(key, acct, region, sev, cve, pkg, desc, resource, start, v, created=None, changes=(), quiet=(),
         platform="AMAZON_LINUX_2023"):
    ecr = resource["Type"] == "AwsEcrContainerImage"
    extra = {"vuln": v, "platform": platform, "ecr": ecr}
    spec(key, "inspector", acct, region, sev, f"{cve} - {pkg}", desc,
         ["Software and Configuration Checks/Vulnerabilities/CVE"], [resource], start, created=created, extra=extra,
         changes=changes, quiet=quiet, generator="AWSInspector")


insp("ie-curl", A_CORE, "us-east-1", "CRITICAL", "CVE-2023-38545", "curl",
     "This flaw makes curl overflow a heap based buffer in the SOCKS5 proxy handshake when the hostname is longer "
     "than 255 bytes.", web1, "10-01 02:11", created="2026-09-12 06:40",
     v=vuln("CVE-2023-38545", "curl", "8.2.1-1.amzn2023.0.1", "0:8.5.0-1.amzn2023.0.1", 9.8, AV_N, "CRITICAL",
            exploit="YES", epss=0.312))
insp("ie-openssh", A_CORE, "us-east-1", "HIGH", "CVE-2024-6387", "openssh-server",
     "A signal handler race condition was found in sshd, where a client that does not authenticate within "
     "LoginGraceTime could trigger remote code execution as root.", bast, "10-01 03:40", created="2026-09-03 11:15",
     v=vuln("CVE-2024-6387", "openssh-server", "8.7p1-8.amzn2023.0.10", "0:8.7p1-8.amzn2023.0.11", 8.1,
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "HIGH", exploit="YES", epss=0.418),
     changes=[("10-13 02:30", "provider", {"record": "ARCHIVED", "status": "CLOSED"})], quiet=[("10-13 02:31", None)])
# escalation: NVD re-scores the CVE and a public exploit appears on the 15th -> MEDIUM becomes CRITICAL
insp("ie-escalate", A_PAY, "eu-west-1", "MEDIUM", "CVE-2026-41207", "libxml2",
     "A use-after-free in xmlValidatePopElement in libxml2 allows a crafted XML document to corrupt memory when a "
     "document is validated against a DTD.", pay1, "10-01 05:55", created="2026-09-25 18:02",
     v=vuln("CVE-2026-41207", "libxml2", "2.10.4-1.amzn2023.0.6", "0:2.10.4-1.amzn2023.0.9", 5.9,
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", "MEDIUM", epss=0.004),
     changes=[("10-15 13:20", "provider", {"sev": "CRITICAL", "vuln": vuln(
         "CVE-2026-41207", "libxml2", "2.10.4-1.amzn2023.0.6", "0:2.10.4-1.amzn2023.0.9", 9.8, AV_N, "CRITICAL",
         exploit="YES", epss=0.671)})])
insp("ie-glibc", A_CORE, "us-east-1", "HIGH", "CVE-2023-4911", "glibc",
     "A buffer overflow was discovered in the GNU C Library's dynamic loader ld.so while processing the "
     "GLIBC_TUNABLES environment variable, allowing local privilege escalation.", core2, "10-01 07:03",
     created="2026-09-18 09:30",
     v=vuln("CVE-2023-4911", "glibc", "2.34-52.amzn2023.0.3", "0:2.34-52.amzn2023.0.7", 7.8,
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "HIGH", exploit="YES", epss=0.652),
     # patched, then the instance is rebuilt from an old AMI and the finding reopens
     changes=[("10-09 04:10", "provider", {"record": "ARCHIVED", "status": "CLOSED"}),
              ("10-17 16:45", "provider", {"record": "ACTIVE", "status": "ACTIVE"})],
     quiet=[("10-09 04:11", "10-17 16:44")])
insp("ie-openssl-stg", A_STG, "us-east-1", "HIGH", "CVE-2023-0286", "openssl",
     "There is a type confusion vulnerability relating to X.400 address processing inside an X.509 GeneralName.",
     stg1, "10-01 09:26", created="2026-08-30 13:00",
     v=vuln("CVE-2023-0286", "openssl-libs", "3.0.8-1.amzn2023.0.1", "1:3.0.8-1.amzn2023.0.4", 7.4,
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H", "HIGH", epss=0.011))
insp("ie-sudo-dev", A_STG, "us-east-1", "HIGH", "CVE-2021-3156", "sudo",
     "Sudo before 1.9.5p2 contains an off-by-one error that can result in a heap-based buffer overflow, which allows "
     "privilege escalation to root via sudoedit -s.", dev1, "10-01 10:44", created="2026-09-01 08:00",
     v=vuln("CVE-2021-3156", "sudo", "1.8.23-10.amzn2.1", "0:1.9.5p2-1.amzn2", 7.8,
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "HIGH", exploit="YES", epss=0.874),
     platform="AMAZON_LINUX_2",
     changes=[("10-05 10:00", "customer", {"workflow": "SUPPRESSED",
                                           "note": "Dev notebook, no shared users; risk accepted until rebuild."})],
     quiet=[("10-05 10:01", None)])
insp("ie-glibc-iconv", A_PAY, "eu-west-1", "HIGH", "CVE-2024-2961", "glibc",
     "The iconv() function in the GNU C Library may overflow the output buffer passed to it by up to 4 bytes when "
     "converting strings to the ISO-2022-CN-EXT character set.", pay2, "10-03 14:18",
     v=vuln("CVE-2024-2961", "glibc", "2.34-52.amzn2023.0.8", "0:2.34-52.amzn2023.0.10", 7.3,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L", "HIGH", exploit="YES", epss=0.541))
insp("ie-terrapin", A_CORE, "us-east-1", "MEDIUM", "CVE-2023-48795", "openssh",
     "The SSH transport protocol with certain OpenSSH extensions allows remote attackers to bypass integrity checks "
     "such that some packets are omitted from the extension negotiation message (Terrapin).", web1, "10-01 12:30",
     created="2026-09-05 10:10",
     v=vuln("CVE-2023-48795", "openssh", "8.7p1-8.amzn2023.0.7", "0:8.7p1-8.amzn2023.0.9", 5.9,
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N", "MEDIUM", epss=0.612))
insp("ie-openssl-low", A_CORE, "us-east-1", "LOW", "CVE-2023-5678", "openssl",
     "Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH keys or parameters may be "
     "very slow.", core2, "10-02 08:08",
     v=vuln("CVE-2023-5678", "openssl-libs", "3.0.8-1.amzn2023.0.9", "1:3.0.8-1.amzn2023.0.11", 5.3,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", "LOW", epss=0.002))
insp("ie-setuptools", A_STG, "us-east-1", "MEDIUM", "CVE-2022-40897", "setuptools",
     "Python Packaging Authority setuptools before 65.5.1 allows remote attackers to cause a denial of service via "
     "HTML in a crafted package or custom PackageIndex page.", stg1, "10-07 19:40",
     v=vuln("CVE-2022-40897", "setuptools", "59.6.0", "65.5.1", 5.9,
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", "MEDIUM", pm="PYTHONPKG",
            filepath="usr/lib/python3.9/site-packages/setuptools-59.6.0.dist-info/METADATA"))
insp("ie-kernel-untriaged", A_PAY, "eu-west-1", "INFORMATIONAL", "CVE-2026-30012", "kernel",
     "In the Linux kernel, a race in the netfilter nf_tables set element GC path has been resolved. The vendor has "
     "not yet assigned a severity.", pay1, "10-08 03:33",
     v=vuln("CVE-2026-30012", "kernel", "6.1.102-111.182.amzn2023", None, None, None, "UNTRIAGED", fix="NO"))
insp("ie-vim-untriaged", A_STG, "us-east-1", "INFORMATIONAL", "CVE-2026-33190", "vim-minimal",
     "vim is vulnerable to a NULL pointer dereference when completing a crafted buffer name. The vendor has not yet "
     "assigned a severity.", dev1, "10-12 21:05",
     v=vuln("CVE-2026-33190", "vim-minimal", "9.0.2153-1.amzn2023.0.1", None, None, None, "UNTRIAGED", fix="NO"))

PAY_LATEST, PAY_OLD = r_ecr("payments-api", 2), r_ecr("payments-api", 1)
CHK_LATEST, CHK_UNTAGGED = r_ecr("checkout-web", 2), r_ecr("checkout-web", 0)
LEDGER_LATEST = r_ecr("ledger-worker", 1)
insp("er-pay-latest-http2", A_PAY, "eu-west-1", "HIGH", "CVE-2023-44487", "golang.org/x/net",
     "The HTTP/2 protocol allows a denial of service (server resource consumption) because request cancellation can "
     "reset many streams quickly (Rapid Reset).", PAY_LATEST, "10-12 09:58",
     v=vuln("CVE-2023-44487", "golang.org/x/net", "0.15.0", "0.17.0", 7.5,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "HIGH", exploit="YES", epss=0.821, pm="GOBINARY",
            filepath="app/payments-api"), platform="DEBIAN_12")
insp("er-pay-latest-netip", A_PAY, "eu-west-1", "CRITICAL", "CVE-2024-24790", "stdlib",
     "The various Is methods (IsPrivate, IsLoopback, etc) did not work as expected for IPv4-mapped IPv6 addresses, "
     "returning false for addresses which would return true in their traditional IPv4 forms.", PAY_LATEST,
     "10-12 09:58",
     v=vuln("CVE-2024-24790", "stdlib", "1.21.5", "1.21.11", 9.8, AV_N, "CRITICAL", epss=0.012, pm="GOBINARY",
            filepath="app/payments-api"), platform="DEBIAN_12")
insp("er-pay-old-http2", A_PAY, "eu-west-1", "HIGH", "CVE-2023-44487", "golang.org/x/net",
     "The HTTP/2 protocol allows a denial of service (server resource consumption) because request cancellation can "
     "reset many streams quickly (Rapid Reset).", PAY_OLD, "10-01 04:20", created="2026-09-15 14:20",
     v=vuln("CVE-2023-44487", "golang.org/x/net", "0.15.0", "0.17.0", 7.5,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "HIGH", exploit="YES", epss=0.821, pm="GOBINARY",
            filepath="app/payments-api"), platform="DEBIAN_12")
insp("er-pay-old-x-net", A_PAY, "eu-west-1", "HIGH", "CVE-2023-39325", "golang.org/x/net",
     "A malicious HTTP/2 client which rapidly creates requests and immediately resets them can cause excessive "
     "server resource consumption.", PAY_OLD, "10-01 04:21", created="2026-09-15 14:20",
     v=vuln("CVE-2023-39325", "golang.org/x/net", "0.15.0", "0.17.0", 7.5,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "HIGH", epss=0.095, pm="GOBINARY",
            filepath="app/payments-api"), platform="DEBIAN_12")
insp("er-chk-latest-spawn", A_CORE, "us-east-1", "HIGH", "CVE-2024-21538", "cross-spawn",
     "Versions of the package cross-spawn before 7.0.5 are vulnerable to Regular Expression Denial of Service (ReDoS) "
     "due to improper input sanitization.", CHK_LATEST, "10-06 08:30",
     v=vuln("CVE-2024-21538", "cross-spawn", "7.0.3", "7.0.5", 7.5,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "HIGH", epss=0.004, pm="NODEPKG",
            filepath="usr/src/app/node_modules/cross-spawn/package.json"), platform="ALPINE_LINUX_3_20")
insp("er-chk-untagged-semver", A_CORE, "us-east-1", "HIGH", "CVE-2022-25883", "semver",
     "Versions of the package semver before 7.5.2 are vulnerable to Regular Expression Denial of Service (ReDoS) via "
     "the function new Range, when untrusted user data is provided as a range.", CHK_UNTAGGED, "10-01 01:05",
     created="2026-09-02 11:40",
     v=vuln("CVE-2022-25883", "semver", "7.5.1", "7.5.2", 7.5, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
            "HIGH", epss=0.003, pm="NODEPKG", filepath="usr/src/app/node_modules/semver/package.json"),
     platform="ALPINE_LINUX_3_20")
insp("er-ledger-openssl", A_PAY, "eu-west-1", "MEDIUM", "CVE-2023-2650", "openssl",
     "Processing some specially crafted ASN.1 object identifiers or data containing them may be very slow.",
     LEDGER_LATEST, "10-01 06:12", created="2026-09-20 13:20",
     v=vuln("CVE-2023-2650", "openssl", "3.0.9-1", "3.0.11-1~deb12u2", 6.5,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", "MEDIUM", epss=0.006,
            remediation="apt-get update && apt-get upgrade"), platform="DEBIAN_12")
insp("er-ledger-openssl-low", A_PAY, "eu-west-1", "LOW", "CVE-2024-5535", "openssl",
     "Calling the OpenSSL API function SSL_select_next_proto with an empty supported client protocols buffer may "
     "cause a crash or memory contents to be sent to the peer.", LEDGER_LATEST, "10-01 06:13",
     created="2026-09-20 13:20",
     v=vuln("CVE-2024-5535", "openssl", "3.0.9-1", "3.0.14-1~deb12u1", 3.7,
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N", "LOW", epss=0.005,
            remediation="apt-get update && apt-get upgrade"), platform="DEBIAN_12")


# ---- Security Hub CSPM controls (18, consolidated control findings) ----
def ctl(key, acct, region, control, sev, title, desc, resource, start, created=None, changes=(), quiet=(),
        compliance="FAILED"):
    extra = {"control": control, "compliance": compliance}
    spec(key, "securityhub", acct, region, sev, title, desc,
         ["Software and Configuration Checks/Industry and Regulatory Standards"], [resource], start, created=created,
         extra=extra, changes=changes, quiet=quiet, generator=f"security-control/{control}")


ctl("c-s3-1", A_CORE, "us-east-1", "S3.1", "MEDIUM",
    "S3 general purpose buckets should have block public access settings enabled",
    "This control checks whether the preceding Amazon S3 block public access settings are configured at the account "
    "level for an S3 general purpose bucket.", r_account(A_CORE, "us-east-1"), "10-01 08:15",
    created="2026-09-22 08:15",
    changes=[("10-09 08:40", "provider", {"compliance": "PASSED"}),
             ("10-21 09:05", "provider", {"compliance": "FAILED"})])
ctl("c-s3-8", A_PAY, "eu-west-1", "S3.8", "HIGH", "S3 general purpose buckets should block public access",
    "This control checks whether an Amazon S3 general purpose bucket blocks public access at the bucket level.",
    r_bucket("acme-payments-exports-prod", "eu-west-1", tags(PROD_PAY, {"data-classification": "confidential"})),
    "10-01 01:40", created="2026-09-10 01:40",
    changes=[("10-04 10:12", "customer", {"workflow": "NOTIFIED", "note": "Assigned to payments (SEC-5121)."})])
ctl("c-ec2-19", A_CORE, "us-east-1", "EC2.19", "CRITICAL",
    "Security groups should not allow unrestricted access to ports with high risk",
    "This control checks whether an Amazon EC2 security group allows unrestricted incoming traffic (0.0.0.0/0) to "
    "high-risk ports such as 22, 3389 and 5432.",
    r_generic("AwsEc2SecurityGroup", f"arn:aws:ec2:us-east-1:{A_CORE}:security-group/sg-0" + h("sg-bastion", 16),
              "us-east-1", tags(PROD, Name="bastion-sg")), "10-01 03:00", created="2026-09-14 03:00",
    changes=[("10-12 07:55", "provider", {"compliance": "PASSED"})])
ctl("c-ec2-2", A_STG, "us-east-1", "EC2.2", "HIGH",
    "VPC default security groups should not allow inbound or outbound traffic",
    "This control checks whether the default security group of a VPC allows either inbound or outbound traffic.",
    r_generic("AwsEc2SecurityGroup", f"arn:aws:ec2:us-east-1:{A_STG}:security-group/sg-0" + h("sg-default", 16),
              "us-east-1"), "10-01 04:30", created="2026-08-02 04:30")
ctl("c-ec2-9", A_CORE, "us-east-1", "EC2.9", "HIGH", "Amazon EC2 instances should not have a public IPv4 address",
    "This control checks whether EC2 instances have a public IP address.", web1, "10-01 05:10",
    created="2026-08-19 07:40")
ctl("c-ec2-8", A_PAY, "eu-west-1", "EC2.8", "HIGH",
    "EC2 instances should use Instance Metadata Service Version 2 (IMDSv2)",
    "This control checks whether your EC2 instance metadata version is configured with IMDSv2.", pay2,
    "10-01 05:50", created="2026-08-21 05:50")
ctl("c-iam-1", A_CORE, "us-east-1", "IAM.1", "HIGH",
    "IAM policies should not allow full \"*\" administrative privileges",
    "This control checks whether the default version of IAM customer managed policies have administrator access "
    "(a statement with \"Effect\": \"Allow\" with \"Action\": \"*\" over \"Resource\": \"*\").",
    r_iam("policy", A_CORE, "LegacyAdminAccess"), "10-01 06:20", created="2026-07-30 06:20")
ctl("c-iam-3", A_CORE, "us-east-1", "IAM.3", "MEDIUM", "IAM users' access keys should be rotated every 90 days or less",
    "This control checks whether the active access keys are rotated within 90 days.",
    r_iam("user", A_CORE, "ci-deployer", PROD), "10-01 06:25", created="2026-09-28 06:25",
    changes=[("10-18 06:40", "provider", {"compliance": "PASSED"})])
ctl("c-iam-5", A_CORE, "us-east-1", "IAM.5", "MEDIUM",
    "MFA should be enabled for all IAM users that have a console password",
    "This control checks whether AWS multi-factor authentication (MFA) is enabled for all IAM users that use a "
    "console password.", r_iam("user", A_CORE, "jdoe"), "10-01 06:30", created="2026-09-03 06:30")
ctl("c-iam-6", A_CORE, "us-east-1", "IAM.6", "CRITICAL", "Hardware MFA should be enabled for the root user",
    "This control checks whether your AWS account is enabled to use a hardware multi-factor authentication (MFA) "
    "device to sign in with root user credentials.", r_account(A_CORE, "us-east-1"), "10-01 06:35",
    created="2026-06-11 06:35",
    changes=[("10-03 11:30", "customer", {"workflow": "SUPPRESSED",
                                          "note": "Virtual MFA in a sealed safe; exception SEC-EX-014 until 2027-03."})],
    quiet=[("10-03 11:31", None)])
ctl("c-iam-9", A_PAY, "us-east-1", "IAM.9", "CRITICAL", "MFA should be enabled for the root user",
    "This control checks whether multi-factor authentication (MFA) is enabled for the root user.",
    r_account(A_PAY, "us-east-1"), "10-01 06:40", created="2026-06-11 06:40", compliance="PASSED")
ctl("c-iam-4", A_STG, "us-east-1", "IAM.4", "CRITICAL", "IAM root user access key should not exist",
    "This control checks whether the root user access key is available.", r_account(A_STG, "us-east-1"),
    "10-01 06:45", created="2026-06-11 06:45", compliance="PASSED")
ctl("c-cloudtrail-2", A_PAY, "eu-west-1", "CloudTrail.2", "MEDIUM", "CloudTrail should have encryption at-rest enabled",
    "This control checks whether CloudTrail is configured to use server-side encryption with AWS KMS keys.",
    r_generic("AwsCloudTrailTrail", f"arn:aws:cloudtrail:eu-west-1:{A_PAY}:trail/payments-trail", "eu-west-1"),
    "10-01 07:00", created="2026-08-15 07:00")
ctl("c-rds-3", A_PAY, "eu-west-1", "RDS.3", "MEDIUM", "RDS DB instances should have encryption at-rest enabled",
    "This control checks whether storage encryption is enabled for your Amazon RDS DB instances.",
    r_generic("AwsRdsDbInstance", f"arn:aws:rds:eu-west-1:{A_PAY}:db:ledger-prod", "eu-west-1",
              tags(PROD_PAY, {"data-classification": "confidential"})), "10-01 07:10", created="2026-08-15 07:10")
ctl("c-kms-4", A_CORE, "us-east-1", "KMS.4", "MEDIUM", "AWS KMS key rotation should be enabled",
    "This control checks whether automatic key rotation is enabled for each customer managed symmetric KMS key.",
    r_generic("AwsKmsKey", f"arn:aws:kms:us-east-1:{A_CORE}:key/" + det_uuid("kms-core"), "us-east-1"),
    "10-01 07:20", created="2026-09-08 07:20", changes=[("10-06 07:35", "provider", {"compliance": "PASSED"})])
ctl("c-lambda-1", A_CORE, "us-east-1", "Lambda.1", "CRITICAL", "Lambda function policies should prohibit public access",
    "This control checks whether the Lambda function resource-based policy prohibits public access outside of your "
    "account.", r_generic("AwsLambdaFunction", f"arn:aws:lambda:us-east-1:{A_CORE}:function:webhook-receiver",
                          "us-east-1", tags(PROD)), "10-16 14:02")
ctl("c-guardduty-1", A_STG, "eu-west-1", "GuardDuty.1", "HIGH", "GuardDuty should be enabled",
    "This control checks whether Amazon GuardDuty is enabled in your AWS account and Region.",
    r_account(A_STG, "eu-west-1"), "10-01 07:30", created="2026-09-30 07:30",
    changes=[("10-03 07:45", "provider", {"compliance": "PASSED"})])
ctl("c-ecr-1", A_STG, "us-east-1", "ECR.1", "HIGH", "ECR private repositories should have image scanning configured",
    "This control checks whether a private Amazon ECR repository has image scanning configured.",
    r_generic("AwsEcrRepository", f"arn:aws:ecr:us-east-1:{A_STG}:repository/stg-tools", "us-east-1"),
    "10-01 07:40", created="2026-07-01 07:40", compliance="PASSED")


# ---- Macie (6) ----
def macie(key, acct, region, sev, mtype, asff_type, title, desc, resources, start, created=None, changes=(), quiet=()):
    spec(key, "macie", acct, region, sev, title, desc, [asff_type], resources, start, created=created,
         extra={"mtype": mtype}, changes=changes, quiet=quiet, generator="aws/macie")


def r_obj(bucket, key, region):
    return {"Type": "AwsS3Object", "Id": f"arn:aws:s3:::{bucket}/{key}", "Partition": "aws", "Region": region,
            "Details": {"AwsS3Object": {"ServerSideEncryption": "aws:kms", "ContentType": "text/csv"}}}


CUST = r_bucket("acme-customer-data-prod", "us-east-1", tags(PROD, {"data-classification": "sensitive"}))
macie("m-personal", A_CORE, "us-east-1", "HIGH", "SensitiveData:S3Object/Personal",
      "Sensitive Data Identifications/PII/SensitiveData:S3Object-Personal",
      "The S3 object contains personal information.",
      "The object contains personal information such as first or last names, addresses, or identification numbers.",
      [CUST, r_obj("acme-customer-data-prod", "exports/2026-09/customers.csv", "us-east-1")], "10-03 02:17")
macie("m-financial", A_PAY, "eu-west-1", "HIGH", "SensitiveData:S3Object/Financial",
      "Sensitive Data Identifications/PII/SensitiveData:S3Object-Financial",
      "The S3 object contains financial information.",
      "The object contains financial information such as bank account numbers or credit card numbers.",
      [r_bucket("acme-payments-exports-prod", "eu-west-1", tags(PROD_PAY, {"data-classification": "confidential"})),
       r_obj("acme-payments-exports-prod", "settlements/2026-10-02.csv", "eu-west-1")], "10-04 05:49")
macie("m-credentials", A_CORE, "us-east-1", "HIGH", "SensitiveData:S3Object/Credentials",
      "Sensitive Data Identifications/PII/SensitiveData:S3Object-Credentials",
      "The S3 object contains credentials data.",
      "The object contains credentials data such as AWS secret access keys or private keys.",
      [r_bucket("acme-build-artifacts", "us-east-1", tags(PROD)),
       r_obj("acme-build-artifacts", "ci/checkout-web/.env", "us-east-1")], "10-15 22:30")
macie("m-public", A_CORE, "us-east-1", "HIGH", "Policy:IAMUser/S3BucketPublic",
      "Effects/Data Exposure/Policy:IAMUser-S3BucketPublic",
      "The S3 bucket acme-marketing-assets is publicly accessible.",
      "The Amazon S3 bucket's policy or ACL allows public read access: anyone on the internet can list or read objects.",
      [r_bucket("acme-marketing-assets", "us-east-1", tags(PROD, {"data-classification": "public"}))], "10-01 00:42",
      created="2026-09-26 12:00",
      changes=[("10-14 16:10", "provider", {"record": "ARCHIVED"})], quiet=[("10-14 16:11", None)])
macie("m-bpa-disabled", A_STG, "us-east-1", "LOW", "Policy:IAMUser/S3BlockPublicAccessDisabled",
      "Software and Configuration Checks/AWS Security Best Practices/Policy:IAMUser-S3BlockPublicAccessDisabled",
      "Block public access settings are disabled for the S3 bucket stg-uploads.",
      "All bucket-level block public access settings were disabled for the Amazon S3 bucket.",
      [r_bucket("stg-uploads", "us-east-1", tags(STG))], "10-01 02:02", created="2026-09-17 09:00")
macie("m-shared", A_PAY, "eu-west-1", "MEDIUM", "Policy:IAMUser/S3BucketSharedExternally",
      "Effects/Data Exposure/Policy:IAMUser-S3BucketSharedExternally",
      "The S3 bucket acme-ledger-archive is shared with an external AWS account.",
      "The Amazon S3 bucket's policy allows access to an AWS account that is outside of your organization.",
      [r_bucket("acme-ledger-archive", "eu-west-1", tags(PROD_PAY, {"data-classification": "confidential"}))],
      "10-10 13:13")


# ---- IAM Access Analyzer (6) ----
def aa(key, acct, region, sev, asff_type, title, desc, resource, start, created=None, changes=(), quiet=(),
       analyzer="org-external-access", finding_type="ExternalAccess", other=None):
    rid = resource["Id"]
    fid = f"arn:aws:access-analyzer:{region}:{acct}:analyzer/{analyzer}/{rid}"
    if finding_type != "ExternalAccess":
        fid += f"/{finding_type}"
    if other:
        resource = dict(resource, Details={"Other": other})
    spec(key, "access-analyzer", acct, region, sev, title, desc, [asff_type], [resource], start, created=created,
         extra={"ftype": finding_type}, changes=changes, quiet=quiet, generator="aws/access-analyzer", fid=fid)


aa("a-public-bucket", A_CORE, "us-east-1", "HIGH", "Effects/Data Exposure/External Access Granted",
   "AwsS3Bucket/arn:aws:s3:::acme-marketing-assets/ allows public access",
   "AWS::S3::Bucket/arn:aws:s3:::acme-marketing-assets/ allows public access",
   r_bucket("acme-marketing-assets", "us-east-1", tags(PROD, {"data-classification": "public"})), "10-01 00:30",
   created="2026-09-26 12:05",
   other={"External Principal Type": "All Principals", "Condition": "none", "Action Granted": "s3:GetObject",
          "External Principal": "*"},
   # fixed, archived, then terraform drift re-opens it
   changes=[("10-16 10:25", "provider", {"record": "ARCHIVED"}), ("10-24 18:50", "provider", {"record": "ACTIVE"})],
   quiet=[("10-16 10:26", "10-24 18:49")])
aa("a-xacct-role", A_PAY, "us-east-1", "LOW",
   "Software and Configuration Checks/AWS Security Best Practices/External Access Granted",
   "AwsIamRole/arn:aws:iam::444455556666:role/vendor-audit-role/ allows cross-account access",
   "AWS::IAM::Role/arn:aws:iam::444455556666:role/vendor-audit-role/ allows cross-account access from AWS "
   "999988887777", r_iam("role", A_PAY, "vendor-audit-role", PROD_PAY), "10-01 01:15", created="2026-08-09 10:00",
   other={"External Principal Type": "AWS", "Condition": "sts:ExternalId", "Action Granted": "sts:AssumeRole",
          "External Principal": "999988887777"})
aa("a-kms", A_PAY, "eu-west-1", "LOW",
   "Software and Configuration Checks/AWS Security Best Practices/External Access Granted",
   "AwsKmsKey/arn:aws:kms:eu-west-1:444455556666:key/" + det_uuid("kms-pay") + "/ allows cross-account access",
   "AWS::KMS::Key/arn:aws:kms:eu-west-1:444455556666:key/" + det_uuid("kms-pay") + "/ allows cross-account access "
   "from AWS 888877776666",
   r_generic("AwsKmsKey", f"arn:aws:kms:eu-west-1:{A_PAY}:key/" + det_uuid("kms-pay"), "eu-west-1"), "10-05 11:11",
   other={"External Principal Type": "AWS", "Condition": "none", "Action Granted": "kms:Decrypt",
          "External Principal": "888877776666"})
aa("a-unused-role", A_CORE, "us-east-1", "MEDIUM",
   "Software and Configuration Checks/AWS Security Best Practices/Unused IAM Role",
   "AwsIamRole/arn:aws:iam::111122223333:role/legacy-batch-role/ contains unused iam role",
   "AWS::IAM::Role/arn:aws:iam::111122223333:role/legacy-batch-role/ contains unused iam role",
   r_iam("role", A_CORE, "legacy-batch-role", PROD), "10-01 02:45", created="2026-09-01 02:45",
   analyzer="UnusedAccess-org", finding_type="UnusedIAMRole")
aa("a-unused-key", A_CORE, "us-east-1", "MEDIUM",
   "Software and Configuration Checks/AWS Security Best Practices/Unused IAM User Access Key",
   "AwsIamUser/arn:aws:iam::111122223333:user/old-reporting/ contains unused iam user access key",
   "AWS::IAM::User/arn:aws:iam::111122223333:user/old-reporting/ contains unused iam user access key",
   r_iam("user", A_CORE, "old-reporting"), "10-01 02:50", created="2026-09-01 02:50",
   analyzer="UnusedAccess-org", finding_type="UnusedIAMUserAccessKey",
   changes=[("10-20 15:00", "provider", {"record": "ARCHIVED"})], quiet=[("10-20 15:01", None)])
aa("a-sqs-public", A_PAY, "eu-west-1", "HIGH", "Effects/Data Exposure/External Access Granted",
   "AwsSqsQueue/arn:aws:sqs:eu-west-1:444455556666:order-events-dlq/ allows public access",
   "AWS::SQS::Queue/arn:aws:sqs:eu-west-1:444455556666:order-events-dlq/ allows public access",
   r_generic("AwsSqsQueue", f"arn:aws:sqs:eu-west-1:{A_PAY}:order-events-dlq", "eu-west-1", PROD_PAY), "10-22 07:07",
   other={"External Principal Type": "All Principals", "Condition": "none", "Action Granted": "sqs:SendMessage",
          "External Principal": "*"})

# Analyst notes sprinkled over some findings (customer edits: UpdatedAt unchanged).
NOTES = [
    ("ie-curl", "10-02 10:14", "SEC-5102: patch in the 10-04 maintenance window."),
    ("ie-curl", "10-05 09:00", "Patch slipped; AMI rebuild blocked on base image. Owner: platform-team."),
    ("c-iam-1", "10-07 14:22", "Policy still attached to break-glass role; review with IAM owners."),
    ("c-rds-3", "10-11 09:45", "Requires snapshot/restore; scheduled for the 11-02 change window."),
    ("er-pay-old-http2", "10-13 08:30", "Old image v1.3.9 no longer deployed after v1.4.2 rollout."),
    ("m-personal", "10-04 12:00", "Export job writing unmasked PII; data-eng ticket DE-771."),
    ("a-xacct-role", "10-08 16:40", "Expected: external auditor access with ExternalId."),
    ("ie-escalate", "10-15 15:02", "Escalated to CRITICAL after NVD rescore; emergency patch requested."),
    ("c-ec2-9", "10-19 11:11", "Public IP required for legacy partner allow-list; exception pending."),
    ("gd-c2", "10-21 09:30", "Instance quarantined (SG isolate); forensics snapshot taken."),
]


# --------------------------------------------------------------------------------------------------------------------
# Finding rendering
# --------------------------------------------------------------------------------------------------------------------

def severity(s, label):
    p = s["product"]
    if p == "guardduty":
        n = GD_SEV[label]
        return {"Product": n, "Label": label, "Normalized": n * 10}
    if p == "securityhub":
        return {"Product": NORM[label], "Label": label, "Normalized": NORM[label], "Original": label}
    return {"Label": label, "Normalized": NORM[label]}


def finding_id(s):
    if s["fid"]:
        return s["fid"]
    p, a, r = s["product"], s["acct"], s["region"]
    if p == "guardduty":
        return f"arn:aws:guardduty:{r}:{a}:detector/{GD_DET[a]}/finding/{h('gd' + s['key'])}"
    if p == "inspector":
        return f"arn:aws:inspector2:{r}:{a}:finding/{h('insp' + s['key'])}"
    if p == "securityhub":
        return f"arn:aws:securityhub:{r}:{a}:security-control/{s['extra']['control']}/finding/{det_uuid(s['key'])}"
    if p == "macie":
        return h("macie" + s["key"])
    raise ValueError(p)


def render(s, st):
    p = s["product"]
    name, company, slug = PRODUCTS[p]
    region, acct = s["region"], s["acct"]
    parn = f"arn:aws:securityhub:{region}::product/aws/{slug}"
    fid = st["id"]
    label = st["sev"]
    if p == "securityhub" and st["compliance"] == "PASSED":
        label = "INFORMATIONAL"
    generator = s["generator"] or (f"arn:aws:guardduty:{region}:{acct}:detector/{GD_DET[acct]}")
    f = {"SchemaVersion": "2018-10-08", "Id": fid, "ProductArn": parn, "ProductName": name, "CompanyName": company,
         "Region": region, "GeneratorId": generator, "AwsAccountId": acct, "Types": s["types"],
         "FirstObservedAt": ts(st["first_obs"]), "LastObservedAt": ts(st["last_obs"]),
         "CreatedAt": ts(st["created"]), "UpdatedAt": ts(st["updated"]), "Severity": severity(s, label),
         "Title": s["title"], "Description": s["desc"]}
    pf = {}
    x = s["extra"]
    if p == "guardduty":
        f["SourceUrl"] = (f"https://{region}.console.aws.amazon.com/guardduty/home?region={region}"
                          f"#/findings?macros=current&fId={fid.rsplit('/', 1)[1]}")
        pf = {"aws/guardduty/service/action/actionType": x["Action"]["ActionType"],
              "aws/guardduty/service/archived": "true" if st["record"] == "ARCHIVED" else "false",
              "aws/guardduty/service/count": str(st["count"]),
              "aws/guardduty/service/detectorId": GD_DET[acct],
              "aws/guardduty/service/resourceRole": x["role"]}
    elif p == "inspector":
        v = st.get("vuln") or x["vuln"]
        if v["FixAvailable"] != "YES":
            f["Remediation"] = {"Recommendation": {"Text": "None Provided"}}
        detail = "awsEcrContainerImageDetails" if x["ecr"] else "awsEc2InstanceDetails"
        pf = {"aws/inspector/ProductVersion": "2", "aws/inspector/FindingStatus": st["status"]}
        if v.get("Cvss"):
            pf["aws/inspector/inspectorScore"] = str(v["Cvss"][0]["BaseScore"])
        pf[f"aws/inspector/resources/1/resourceDetails/{detail}/platform"] = x["platform"]
        if not x["ecr"]:
            pf["aws/inspector/instanceId"] = s["resources"][0]["Id"].rsplit("/", 1)[1]
    elif p == "securityhub":
        c = x["control"]
        f["Remediation"] = {"Recommendation": {
            "Text": "For information on how to correct this issue, consult the AWS Security Hub controls documentation.",
            "Url": f"https://docs.aws.amazon.com/console/securityhub/{c}/remediation"}}
        pf = {"RelatedAWSResources:0/name": f"securityhub-{c.lower().replace('.', '-')}-{h(s['key'], 8)}",
              "RelatedAWSResources:0/type": "AWS::Config::ConfigRule"}
        if st.get("prev_compliance"):
            pf["PreviousComplianceStatus"] = st["prev_compliance"]
    elif p == "macie":
        pf = {"S3Object.Path": s["resources"][-1]["Id"].split(":::", 1)[1] if len(s["resources"]) > 1 else "",
              "FindingType": x["mtype"], "Sample": "false", "Count": str(st["count"])}
        if not pf["S3Object.Path"]:
            del pf["S3Object.Path"]
    elif p == "access-analyzer":
        f["Remediation"] = {"Recommendation": {"Text": (
            "If the access isn't intended, it indicates a potential security risk. Use the console for the resource to "
            "modify or remove the policy that grants the unintended access.")}}
        pf = {"findingId": det_uuid("aa" + s["key"]), "findingType": x["ftype"],
              "ResourceOwnerAccount": acct}
    pf["aws/securityhub/FindingId"] = f"{parn}/{fid}"  # (ProductName/CompanyName copies omitted to keep size down)
    f["ProductFields"] = pf
    f["Resources"] = s["resources"]
    if p == "securityhub":
        f["Compliance"] = {"Status": st["compliance"], "SecurityControlId": x["control"],
                           "AssociatedStandards": [
                               {"StandardsId": "standards/aws-foundational-security-best-practices/v/1.0.0"}]}
    f["WorkflowState"] = "NEW"
    f["Workflow"] = {"Status": st["workflow"]}
    f["RecordState"] = st["record"]
    if p == "inspector":
        f["Vulnerabilities"] = [st.get("vuln") or x["vuln"]]
    if p == "guardduty":
        if "Network" in x:
            f["Network"] = x["Network"]
        f["Action"] = x["Action"]
    if st.get("note"):
        f["Note"] = {"Text": st["note"][0], "UpdatedBy": ANALYST, "UpdatedAt": ts(st["note"][1])}
    f["FindingProviderFields"] = {"Severity": {"Label": label}}  # (Types copy omitted to keep size down)
    if p in ("guardduty", "macie"):
        f["Sample"] = False
    f["ProcessedAt"] = ts(st["processed"])
    return f


# --------------------------------------------------------------------------------------------------------------------
# Timeline
# --------------------------------------------------------------------------------------------------------------------

def in_quiet(s, t):
    return any(a <= t < b for a, b in s["quiet"])


def plan(s, rng):
    """Return the list of (time, kind, patch) deliveries for one finding."""
    def jitter(t):  # scripted changes happen at "HH:MM" + a few seconds (stays before the quiet window at +1 min)
        return D(t) + timedelta(seconds=rng.randint(0, 58), milliseconds=rng.randint(0, 999))

    changes = [(jitter(t), kind, patch) for t, kind, patch in s["changes"]]
    changes += [(jitter(t), "customer", {"note": text}) for key, t, text in NOTES if key == s["key"]]
    change_times = [c[0] for c in changes]
    lo, hi = s["cadence"]
    periodic = []
    t = s["start"]
    while t < END:
        near_change = any(abs((t - c).total_seconds()) < 1800 for c in change_times)
        if not in_quiet(s, t) and not near_change:
            periodic.append((t, "provider", {}))
        step = timedelta(hours=rng.uniform(lo, hi), seconds=rng.randint(0, 59), milliseconds=rng.randint(0, 999))
        t = t + step
    items = sorted(periodic + [c for c in changes if c[0] < END], key=lambda c: c[0])
    return items


def run():
    rng = random.Random(SEED)
    deliveries = []  # (at, finding dict, key)
    for s in SPECS:
        st = {"id": finding_id(s), "sev": s["sev"], "record": "ACTIVE", "workflow": "NEW", "note": None,
              "compliance": s["extra"].get("compliance"), "status": "ACTIVE", "prev_compliance": None,
              "count": rng.randint(1, 6) if s["product"] == "guardduty" else 1}
        created = s["created"] or s["start"]
        st["created"] = created
        st["first_obs"] = created - timedelta(minutes=rng.randint(2, 40))
        st["last_obs"] = st["first_obs"]
        st["updated"] = created
        if st["compliance"] == "PASSED":
            st["workflow"] = "RESOLVED"
        for at, kind, patch in plan(s, rng):
            if kind == "provider":
                if st["compliance"] and at > created:
                    st["prev_compliance"] = st["compliance"]  # status of the previous evaluation
                if "compliance" in patch and patch["compliance"] != st["compliance"]:
                    st["compliance"] = patch["compliance"]
                    st["workflow"] = "RESOLVED" if patch["compliance"] == "PASSED" else "NEW"
                if patch.get("record") == "ACTIVE" and st["record"] == "ARCHIVED":
                    st["workflow"] = "NEW"
                for k in ("record", "status", "sev", "vuln"):
                    if k in patch:
                        st[k] = patch[k]
                if at > created:
                    st["updated"] = at
                p = s["product"]
                # sometimes only UpdatedAt moves (no new observation), otherwise LastObservedAt moves too
                if p in ("guardduty", "securityhub") or patch or rng.random() < 0.55:
                    st["last_obs"] = max(st["last_obs"], at - timedelta(seconds=rng.randint(5, 900)))
                if p in ("guardduty", "macie") and not patch:
                    st["count"] += rng.randint(1, 9) if p == "guardduty" else rng.randint(0, 1)
            else:  # analyst edit through BatchUpdateFindings: UpdatedAt unchanged
                if "workflow" in patch:
                    st["workflow"] = patch["workflow"]
                if "note" in patch:
                    st["note"] = (patch["note"], at)
            st["processed"] = at + timedelta(seconds=rng.randint(1, 20), milliseconds=rng.randint(0, 999))
            deliveries.append((st["processed"], render(s, st), s["key"]))

    deliveries.sort(key=lambda d: (d[0], d[2]))
    events = []
    i = 0
    while i < len(deliveries):
        group = [deliveries[i]]
        if rng.random() < BATCH_RATE:
            want = rng.choice((2, 3))
            j = i + 1
            while len(group) < want and j < len(deliveries) and \
                    (deliveries[j][0] - group[0][0]) <= timedelta(minutes=30) and \
                    all(deliveries[j][2] != g[2] for g in group):
                group.append(deliveries[j])
                j += 1
        i += len(group)
        when = max(g[0] for g in group) + timedelta(seconds=rng.randint(1, 40))
        findings = [g[1] for g in group]
        events.append({
            "version": "0",
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "detail-type": "Security Hub Findings - Imported",
            "source": "aws.securityhub",
            "account": ADMIN,
            "time": ets(when),
            "region": EVENT_REGION,
            "resources": [f["ProductFields"]["aws/securityhub/FindingId"] for f in findings],
            "detail": {"findings": findings},
        })
    events.sort(key=lambda e: e["time"])  # stable: keeps delivery order for equal seconds

    lines = []
    dups = 0
    for e in events:
        line = json.dumps(e, separators=(",", ":"), ensure_ascii=False)
        lines.append(line)
        if rng.random() < DUP_RATE:  # EventBridge at-least-once: same event id delivered again
            lines.append(line)
            dups += 1
    MONTH_OUT.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return len(SPECS), len(deliveries), len(events), dups


if __name__ == "__main__":
    write_ecr_images()
    n_specs, n_deliveries, n_events, n_dups = run()
    print(f"{MONTH_OUT.name}: {n_specs} findings, {n_deliveries} finding deliveries, {n_events} events "
          f"(+{n_dups} duplicate deliveries), {MONTH_OUT.stat().st_size} bytes")
