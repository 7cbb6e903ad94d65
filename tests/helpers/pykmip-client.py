#!/usr/bin/python3
"""Drive PyKMIP 0.10's own client against any KMIP server; print one JSON object.

Run with Debian's interpreter, where python3-pykmip lives (a python3 earlier on PATH,
e.g. pyenv, cannot import kmip):

    /usr/bin/python3 pykmip-client.py --host H --port P --ca CA --cert CRT --key KEY \
        [--version 1.2] [--timeout 30] SUBCOMMAND

Subcommands:
  suite            Discover Versions, Query (operations, objects, server information),
                   Create AES-256 'interop-key', Get, Get Attributes, Locate by name,
                   Activate, Revoke, Destroy, Get-after-Destroy (must fail Item Not Found).
                   Prints {"tls_version", "cipher", "versions", "vendor",
                   "server_information", "operations", "object_types", "steps": [...]}.
                   Exit 0 even when steps fail: the caller asserts on "steps".
  bench --seconds S
                   One connection, Query(Query Server Information) in a loop for S seconds.
                   Prints {"round_trips", "seconds", "per_second", "p50_ms", "p99_ms",
                   "errors"}.
  error-noeku      Meant for a client certificate without EKU clientAuth: one Discover
                   Versions; prints {"status", "reason", "message", "versions"}.

Exit status: 0 when the JSON was printed; 2 when the connection could not be opened
(a JSON {"error": ..., "stage": "connect"} is printed too, and the error goes to stderr).
"""
import argparse
import enum
import json
import logging
import os
import sys
import tempfile
import time
import traceback
import warnings

warnings.simplefilter("ignore")  # ssl / SQLAlchemy / cryptography deprecation noise

from kmip import enums  # noqa: E402
from kmip.pie import exceptions as pie_exc  # noqa: E402
from kmip.pie.client import ProxyKmipClient  # noqa: E402

KEY_NAME = "interop-key"

KMIP_VERSIONS = {
    "1.0": enums.KMIPVersion.KMIP_1_0,
    "1.1": enums.KMIPVersion.KMIP_1_1,
    "1.2": enums.KMIPVersion.KMIP_1_2,
    "1.3": enums.KMIPVersion.KMIP_1_3,
    "1.4": enums.KMIPVersion.KMIP_1_4,
    "2.0": enums.KMIPVersion.KMIP_2_0,
}


def enum_name(value):
    """Name of an enum, or of a KMIP primitive wrapping one; None stays None."""
    if value is None or isinstance(value, enum.Enum):
        return None if value is None else value.name
    inner = getattr(value, "value", value)
    return inner.name if isinstance(inner, enum.Enum) else str(inner)


def text(value):
    if value is None:
        return None
    inner = getattr(value, "value", value)
    return inner if isinstance(inner, str) else str(inner)


def failure_detail(exc):
    if isinstance(exc, pie_exc.KmipOperationFailure):
        return "%s %s: %s" % (enum_name(exc.status), enum_name(exc.reason), exc.message)
    return "%s: %s" % (type(exc).__name__, exc)


def make_client(a):
    """ProxyKmipClient from an explicit temporary config file, so that no
    ~/.pykmip/pykmip.conf or /etc/pykmip/pykmip.conf leaks into the settings."""
    conf = (
        "[client]\n"
        "host={host}\nport={port}\ncertfile={cert}\nkeyfile={key}\nca_certs={ca}\n"
        "cert_reqs=CERT_REQUIRED\nssl_version=PROTOCOL_TLSv1_2\n"
        "do_handshake_on_connect=True\nsuppress_ragged_eofs=True\ntimeout={timeout}\n"
    ).format(host=a.host, port=a.port, cert=a.cert, key=a.key, ca=a.ca, timeout=a.timeout)
    fd, path = tempfile.mkstemp(prefix="sekisho-pykmip-", suffix=".conf")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(conf)
        return ProxyKmipClient(config="client", config_file=path,
                               kmip_version=KMIP_VERSIONS[a.version])
    finally:
        os.unlink(path)


def open_client(a):
    c = make_client(a)
    try:
        c.open()
    except Exception as e:  # noqa: BLE001 - reported as JSON
        msg = "%s: %s" % (type(e).__name__, e)
        print(json.dumps({"error": msg, "stage": "connect"}))
        print("pykmip-client: could not connect to %s:%s: %s" % (a.host, a.port, msg),
              file=sys.stderr)
        sys.exit(2)
    return c


def cmd_suite(a):
    c = open_client(a)
    out = {
        "tls_version": None, "cipher": None, "versions": [], "vendor": None,
        "server_information": None, "operations": [], "object_types": [], "steps": [],
    }
    sock = c.proxy.socket
    out["tls_version"] = sock.version()
    out["cipher"] = (sock.cipher() or [None])[0]

    def step(name, fn):
        """Run fn() -> (ok, detail); an exception makes the step fail."""
        try:
            ok, detail = fn()
        except Exception as e:  # noqa: BLE001 - every failure becomes a step result
            ok, detail = False, failure_detail(e)
        out["steps"].append({"name": name, "ok": bool(ok), "detail": detail})
        return ok

    def status_of(result):
        return enum_name(result.result_status)

    def result_failure(result):
        return "%s %s: %s" % (status_of(result), enum_name(result.result_reason),
                              text(result.result_message))

    def discover():
        r = c.proxy.discover_versions()
        if status_of(r) != "SUCCESS":
            return False, result_failure(r)
        out["versions"] = ["%d.%d" % (v.major, v.minor) for v in (r.protocol_versions or [])]
        return True, " ".join(out["versions"])

    def query():
        r = c.proxy.query(query_functions=[
            enums.QueryFunction.QUERY_OPERATIONS,
            enums.QueryFunction.QUERY_OBJECTS,
            enums.QueryFunction.QUERY_SERVER_INFORMATION,
        ])
        if status_of(r) != "SUCCESS":
            return False, result_failure(r)
        out["vendor"] = text(r.vendor_identification)
        out["server_information"] = (
            None if r.server_information is None else str(r.server_information))
        out["operations"] = [enum_name(o) for o in (r.operations or [])]
        out["object_types"] = [enum_name(o) for o in (r.object_types or [])]
        return bool(out["vendor"]), "vendor=%r operations=%d object_types=%d" % (
            out["vendor"], len(out["operations"]), len(out["object_types"]))

    step("discover_versions", discover)
    step("query", query)

    state = {"uid": None}

    def need_uid(fn):
        def run():
            if state["uid"] is None:
                return False, "skipped: create failed"
            return fn(state["uid"])
        return run

    def create():
        uid = c.create(
            enums.CryptographicAlgorithm.AES, 256, name=KEY_NAME,
            cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT,
                                      enums.CryptographicUsageMask.DECRYPT])
        state["uid"] = uid or None
        return bool(uid), "uid=%r" % uid

    def get(uid):
        k = c.get(uid)
        alg = getattr(k, "cryptographic_algorithm", None)
        length = getattr(k, "cryptographic_length", None)
        value = getattr(k, "value", b"") or b""
        ok = (alg == enums.CryptographicAlgorithm.AES and length == 256 and len(value) == 32)
        return ok, "%s %s/%s, %d key bytes" % (type(k).__name__, enum_name(alg), length,
                                               len(value))

    def get_attributes(uid):
        got_uid, attrs = c.get_attributes(uid)
        found = {}
        for attr in attrs or []:
            name = text(attr.attribute_name)
            value = attr.attribute_value
            if name == "Name":
                found[name] = text(getattr(value, "name_value", value))
            elif name in ("Cryptographic Algorithm", "State", "Object Type"):
                found[name] = enum_name(value)
            elif name == "Cryptographic Length":
                found[name] = text(value)
            elif name == "Cryptographic Usage Mask":
                found[name] = getattr(value, "value", value)
        ok = (got_uid == uid and found.get("Cryptographic Algorithm") == "AES"
              and str(found.get("Cryptographic Length")) == "256")
        return ok, "uid=%r %d attributes %s" % (got_uid, len(attrs or []),
                                                json.dumps(found, sort_keys=True))

    def locate(uid):
        name_attr = c.attribute_factory.create_attribute(enums.AttributeType.NAME, KEY_NAME)
        uids = c.locate(attributes=[name_attr])
        return uid in (uids or []), "name=%r -> %r" % (KEY_NAME, uids)

    def current_state(uid):
        try:
            _, attrs = c.get_attributes(uid, ["State"])
            for attr in attrs or []:
                if text(attr.attribute_name) == "State":
                    return enum_name(attr.attribute_value)
        except Exception as e:  # noqa: BLE001 - informational only
            return "unknown (%s)" % failure_detail(e)
        return "unknown"

    def activate(uid):
        c.activate(uid)
        return True, "uid=%r state=%s" % (uid, current_state(uid))

    def revoke(uid):
        c.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, uid,
                 revocation_message="sekisho interop suite")
        return True, "uid=%r reason=CESSATION_OF_OPERATION state=%s" % (
            uid, current_state(uid))

    def destroy(uid):
        c.destroy(uid)
        return True, "uid=%r" % uid

    def get_after_destroy(uid):
        try:
            c.get(uid)
        except pie_exc.KmipOperationFailure as e:
            return e.reason == enums.ResultReason.ITEM_NOT_FOUND, failure_detail(e)
        return False, "Get of destroyed uid=%r unexpectedly succeeded" % uid

    step("create", create)
    step("get", need_uid(get))
    step("get_attributes", need_uid(get_attributes))
    step("locate", need_uid(locate))
    step("activate", need_uid(activate))
    step("revoke", need_uid(revoke))
    step("destroy", need_uid(destroy))
    step("get_after_destroy", need_uid(get_after_destroy))

    c.close()
    print(json.dumps(out))


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values))) - 1))
    return sorted_values[i]


def cmd_bench(a):
    c = open_client(a)
    fn = [enums.QueryFunction.QUERY_SERVER_INFORMATION]
    c.proxy.query(query_functions=fn)  # warm-up, not counted
    lat = []
    errors = 0
    t0 = time.perf_counter()
    end = t0 + a.seconds
    now = t0
    while now < end:
        r = c.proxy.query(query_functions=fn)
        t1 = time.perf_counter()
        lat.append(t1 - now)
        now = t1
        if enum_name(r.result_status) != "SUCCESS":
            errors += 1
    elapsed = now - t0
    c.close()
    lat.sort()
    n = len(lat)
    ms = lambda v: None if v is None else round(v * 1000.0, 3)  # noqa: E731
    print(json.dumps({
        "round_trips": n,
        "seconds": round(elapsed, 3),
        "per_second": round(n / elapsed, 1) if elapsed > 0 else 0,
        "p50_ms": ms(percentile(lat, 50)),
        "p99_ms": ms(percentile(lat, 99)),
        "errors": errors,
    }))


def cmd_error_noeku(a):
    c = open_client(a)
    r = c.proxy.discover_versions()
    versions = getattr(r, "protocol_versions", None) or []
    print(json.dumps({
        "status": enum_name(r.result_status),
        "reason": enum_name(r.result_reason),
        "message": text(r.result_message),
        "versions": ["%d.%d" % (v.major, v.minor) for v in versions],
    }))
    c.close()


def main():
    # Only errors reach stderr (ConfigHelper and friends warn about absent config files).
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--version", default="1.2", choices=sorted(KMIP_VERSIONS))
    ap.add_argument("--timeout", type=int, default=30, help="socket timeout, seconds")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("suite")
    b = sub.add_parser("bench")
    b.add_argument("--seconds", type=float, default=5.0)
    sub.add_parser("error-noeku")
    a = ap.parse_args()

    try:
        {"suite": cmd_suite, "bench": cmd_bench, "error-noeku": cmd_error_noeku}[a.command](a)
    except SystemExit:
        raise
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
