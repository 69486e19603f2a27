#!/usr/bin/env python3
"""botocore 1.43.11 as the oracle for credchain's STS and SSO pieces (tests/sts.rs, tests/sso.rs).

    sts_sso.py CASES.json  ->  prints a JSON list, one answer per case

Each case is an object with a "kind"; the answer is what botocore itself produces for it:
the wire body of a request (captured on `before-send`, nothing leaves the process), the
endpoint and signing region of an STS client, the values its parsers read from a response
body, SSO cache key and file names, the JSON it writes back to the SSO cache.
"""

import datetime
import json
import os
import sys
import tempfile

import botocore
import botocore.credentials as bc
import botocore.parsers
import botocore.session
import botocore.utils
from botocore import UNSIGNED
from botocore.config import Config
from dateutil.tz import tzutc

assert botocore.__version__ == "1.43.11", botocore.__version__


class Captured(Exception):
    pass


def capture(client):
    seen = {}
    old = getattr(client, "_credchain_capture", None)
    if old is not None:
        client.meta.events.unregister("before-send", old)

    def before_send(request, **kwargs):
        seen["url"] = request.url
        seen["body"] = request.body
        seen["headers"] = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
        raise Captured()

    client.meta.events.register("before-send", before_send)
    client._credchain_capture = before_send
    return seen


SESSION = botocore.session.get_session()
SESSION.set_credentials("AKIDEXAMPLE", "secret")


def body_text(body):
    if isinstance(body, bytes):
        return body.decode("utf-8")
    return body


_STS_CLIENT = []


def sts_client():
    """One STS client for every request case (creating clients is what takes the time); each
    case registers its own capture, and the capture raises, so one runs at a time."""
    if not _STS_CLIENT:
        _STS_CLIENT.append(
            SESSION.create_client(
                "sts",
                region_name="us-east-1",
                aws_access_key_id="AKIDEXAMPLE",
                aws_secret_access_key="secret",
                config=Config(parameter_validation=False),
            )
        )
    return _STS_CLIENT[0]


class FixedTime:
    def __init__(self, t):
        self.t = t

    def time(self):
        return self.t


def assume_role_body(case):
    client = sts_client()
    seen = capture(client)
    extra = {}
    # botocore's AssumeRoleProvider._load_creds_via_assume_role, in its order.
    if case.get("role_session_name") is not None:
        extra["RoleSessionName"] = case["role_session_name"]
    if case.get("external_id") is not None:
        extra["ExternalId"] = case["external_id"]
    if case.get("mfa_serial") is not None:
        extra["SerialNumber"] = case["mfa_serial"]
    if case.get("duration_seconds") is not None:
        extra["DurationSeconds"] = case["duration_seconds"]
    real_time = bc.time
    bc.time = FixedTime(case["now"])
    try:
        fetcher = bc.AssumeRoleCredentialFetcher(
            client_creator=lambda *a, **k: client,
            source_credentials=bc.Credentials("AKIDEXAMPLE", "secret"),
            role_arn=case["role_arn"],
            extra_args=extra,
            mfa_prompter=lambda prompt: case.get("token_code"),
        )
    finally:
        bc.time = real_time
    try:
        fetcher.fetch_credentials()
    except Captured:
        pass
    return {"body": body_text(seen["body"]), "content_type": seen["headers"].get("Content-Type")}


def assume_role_signed(case):
    """The whole AssumeRole request botocore sends from `region` with session credentials at
    a fixed time: body, the headers it signs and the Authorization it computes."""
    import botocore.auth

    client = SESSION.create_client(
        "sts",
        region_name=case["region"],
        aws_access_key_id=case["akid"],
        aws_secret_access_key=case["secret"],
        aws_session_token=case["token"],
        config=Config(parameter_validation=False),
    )
    seen = capture(client)
    fixed = datetime.datetime.fromtimestamp(case["now"], datetime.timezone.utc).replace(tzinfo=None)
    real = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda *a, **k: fixed
    try:
        # In the order the fetcher builds them: the configured session name, then the role.
        client.assume_role(RoleSessionName=case["session"], RoleArn=case["role_arn"])
    except Captured:
        pass
    finally:
        botocore.auth.get_current_datetime = real
    h = seen["headers"]
    return {
        "url": seen["url"],
        "body": body_text(seen["body"]),
        "authorization": h.get("Authorization"),
        "amz_date": h.get("X-Amz-Date"),
        "security_token": h.get("X-Amz-Security-Token"),
        "content_type": h.get("Content-Type"),
    }


def web_identity_body(case):
    client = sts_client()
    seen = capture(client)
    extra = {}
    if case.get("role_session_name") is not None:
        extra["RoleSessionName"] = case["role_session_name"]
    real_time = bc.time
    bc.time = FixedTime(case["now"])
    try:
        fetcher = bc.AssumeRoleWithWebIdentityCredentialFetcher(
            client_creator=lambda *a, **k: client,
            web_identity_token_loader=lambda: case["token"],
            role_arn=case["role_arn"],
            extra_args=extra,
        )
    finally:
        bc.time = real_time
    try:
        fetcher.fetch_credentials()
    except Captured:
        pass
    return {"body": body_text(seen["body"])}


# The operation whose endpoint an "sts_endpoint" case resolves, per "service" (default "sts").
ENDPOINT_OPERATIONS = {
    "sts": ("AssumeRole", {"RoleArn": "x" * 20, "RoleSessionName": "ss"}),
    "sso": ("GetRoleCredentials", {"roleName": "r", "accountId": "123456789012", "accessToken": "t"}),
    "sso-oidc": ("CreateToken", {"clientId": "c", "clientSecret": "s", "grantType": "refresh_token"}),
}


def sts_endpoint(case):
    d = tempfile.mkdtemp()
    cfg = os.path.join(d, "config")
    with open(cfg, "w") as f:
        f.write(case["config"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(case["env"])
    env["AWS_CONFIG_FILE"] = cfg
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(d, "none")
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        s = botocore.session.get_session()
        # The service data does not depend on the environment: load it once.
        s.register_component("data_loader", SESSION.get_component("data_loader"))
        try:
            service = case.get("service", "sts")
            operation, params = ENDPOINT_OPERATIONS[service]
            c = s.create_client(service, region_name=case["region"], aws_access_key_id="a", aws_secret_access_key="b")
            op = c.meta.service_model.operation_model(operation)
            r = c._ruleset_resolver.construct_endpoint(op, params, {})
            schemes = r.properties.get("authSchemes") or [{}]
            signing = schemes[0].get("signingRegion") or c.meta.region_name
            return {"url": r.url, "signing_region": signing}
        except Exception as e:
            return {"error": type(e).__name__, "message": str(e)}
    finally:
        os.environ.clear()
        os.environ.update(saved)


STS_MODEL = SESSION.get_service_model("sts")


def sts_response(case):
    op = STS_MODEL.operation_model(case["operation"])
    parser = botocore.parsers.create_parser("query")
    parsed = parser.parse(
        {"body": case["body"].encode("utf-8"), "headers": {}, "status_code": case["status"]},
        op.output_shape,
    )
    out = {}
    if "Error" in parsed and parsed["Error"]:
        err = parsed["Error"]
        out["error"] = {k: err.get(k) for k in ("Type", "Code", "Message")}
        out["request_id"] = parsed.get("ResponseMetadata", {}).get("RequestId")
        return out
    creds = parsed.get("Credentials", {})
    exp = creds.get("Expiration")
    out["credentials"] = {
        "AccessKeyId": creds.get("AccessKeyId"),
        "SecretAccessKey": creds.get("SecretAccessKey"),
        "SessionToken": creds.get("SessionToken"),
        "Expiration": None if exp is None else int(exp.timestamp()),
    }
    user = parsed.get("AssumedRoleUser", {})
    out["arn"] = user.get("Arn")
    out["assumed_role_id"] = user.get("AssumedRoleId")
    out["source_identity"] = parsed.get("SourceIdentity")
    out["request_id"] = parsed.get("ResponseMetadata", {}).get("RequestId")
    arn = user.get("Arn")
    if botocore.utils.ArnParser.is_arn(arn):
        out["account_id"] = botocore.utils.ArnParser().parse_arn(arn)["account"]
    else:
        out["account_id"] = None
    return out


def sso_cache_name(case):
    loader = botocore.utils.SSOTokenLoader()
    key = loader._generate_cache_key(case.get("start_url"), case.get("session_name"))
    return {"file": key + ".json"}


def sso_role_cache_key(case):
    fetcher = bc.SSOCredentialFetcher(
        start_url=case["start_url"],
        sso_region="us-east-1",
        role_name=case["role_name"],
        account_id=case["account_id"],
        client_creator=None,
        token_loader=None,
        sso_session_name=case.get("session_name"),
    )
    return {"key": fetcher._create_cache_key()}


def sso_get_role_credentials(case):
    client = SESSION.create_client(
        "sso", config=Config(signature_version=UNSIGNED, region_name=case["region"], parameter_validation=False)
    )
    seen = capture(client)
    try:
        client.get_role_credentials(roleName=case["role_name"], accountId=case["account_id"], accessToken=case["token"])
    except Captured:
        pass
    return {"url": seen["url"], "token": seen["headers"].get("x-amz-sso_bearer_token")}


def sso_create_token(case):
    client = SESSION.create_client(
        "sso-oidc", config=Config(signature_version=UNSIGNED, region_name=case["region"], parameter_validation=False)
    )
    seen = capture(client)
    try:
        client.create_token(
            grantType="refresh_token",
            clientId=case["client_id"],
            clientSecret=case["client_secret"],
            refreshToken=case["refresh_token"],
        )
    except Captured:
        pass
    return {"url": seen["url"], "body": body_text(seen["body"]), "content_type": seen["headers"].get("Content-Type")}


SSO_MODEL = SESSION.get_service_model("sso")
OIDC_MODEL = SESSION.get_service_model("sso-oidc")


def sso_response(case):
    op = SSO_MODEL.operation_model("GetRoleCredentials")
    parser = botocore.parsers.create_parser("rest-json")
    headers = {}
    if case.get("error_type") is not None:
        headers["x-amzn-errortype"] = case["error_type"]
    from botocore.awsrequest import HeadersDict

    parsed = parser.parse(
        {"body": case["body"].encode("utf-8"), "headers": HeadersDict(headers), "status_code": case["status"]},
        op.output_shape,
    )
    if case["status"] >= 300:
        e = parsed["Error"]
        return {"error": {"Code": e.get("Code"), "Message": e.get("Message")}}
    rc = parsed.get("roleCredentials")
    if rc is None:
        return {"missing": True}
    out = {k: rc.get(k) for k in ("accessKeyId", "secretAccessKey", "sessionToken")}
    if "expiration" in rc:
        f = bc.SSOCredentialFetcher.__new__(bc.SSOCredentialFetcher)
        out["expiration"] = f._parse_timestamp(rc["expiration"])
    return out


def create_token_response(case):
    op = OIDC_MODEL.operation_model("CreateToken")
    parser = botocore.parsers.create_parser("rest-json")
    parsed = parser.parse({"body": case["body"].encode("utf-8"), "headers": {}, "status_code": 200}, op.output_shape)
    return {k: parsed.get(k) for k in ("accessToken", "expiresIn", "refreshToken", "tokenType", "idToken")}


def refreshed_cache(case):
    cache = botocore.utils.JSONFileCache(working_dir=tempfile.mkdtemp())
    new_token = {
        "startUrl": case["start_url"],
        "region": case["region"],
        "accessToken": case["access_token"],
        "expiresAt": datetime.datetime.fromtimestamp(case["expires_at"], tzutc()),
        "clientId": case["client_id"],
        "clientSecret": case["client_secret"],
        "registrationExpiresAt": case["registration_expires_at"],
    }
    if case.get("refresh_token") is not None:
        new_token["refreshToken"] = case["refresh_token"]
    return {"json": cache._dumps(new_token)}


def expires_at(case):
    import dateutil.parser

    try:
        t = dateutil.parser.parse(case["text"])
    except Exception as e:
        return {"error": type(e).__name__}
    if t.tzinfo is None:
        return {"naive": True}
    return {"unix": int(t.timestamp()) if t.microsecond == 0 else t.timestamp()}


KINDS = {
    "assume_role": assume_role_body,
    "web_identity": web_identity_body,
    "assume_role_signed": assume_role_signed,
    "sts_endpoint": sts_endpoint,
    "sts_response": sts_response,
    "sso_cache_name": sso_cache_name,
    "sso_role_cache_key": sso_role_cache_key,
    "sso_get_role_credentials": sso_get_role_credentials,
    "sso_create_token": sso_create_token,
    "sso_response": sso_response,
    "create_token_response": create_token_response,
    "refreshed_cache": refreshed_cache,
    "expires_at": expires_at,
}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    out = []
    for case in cases:
        try:
            out.append(KINDS[case["kind"]](case))
        except Exception as e:  # an oracle failure is an answer too: the test shows it
            out.append({"oracle_error": f"{type(e).__name__}: {e}"})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
