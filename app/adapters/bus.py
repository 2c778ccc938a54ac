"""Asking another agency through the government service bus (GSB, گذرگاه خدمات دولت): one question, one answer.

BUS_ADAPTER=simulator (default): a labelled GSB simulator. Its answers are derived from a hash of what is asked
(the inquiry type and the value), so demos and tests get the same answer every time; BUS_SIMULATOR_LATENCY_MS
delays each answer, BUS_SIMULATOR_FAILURE_RATE makes that share of tries fail at random, and a value whose last
digit is BUS_SIMULATOR_NOT_FOUND_DIGIT is "not found" (one ending in BUS_SIMULATOR_FAIL_DIGIT always fails).

BUS_ADAPTER=http: the bus (or an operator's bridge to it) over HTTPS, token-authenticated.
    POST BUS_URL/inquiries                       Authorization: Bearer BUS_TOKEN
    {"type": "<inquiry type code>", "provider": "<agency code>", "subject": "national_code",
     "value": "0499370899", "issue": "<the request's tracking code>"}
      -> 2xx {"status": "found", "fields": {"<name>": "<value>", ...}}
      -> 2xx {"status": "not_found"}
The tracking code travels as the "issue" (as X-Road's X-Road-Issue ties a query to a case). A timeout
(BUS_TIMEOUT seconds), a refused connection, a redirect, a non-2xx status or any other body raises
BusUnavailable: the inquiry is tried again later (app/inquiries).
"""

import hashlib
import json
import logging
import random
import ssl
import time
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPMessage
from typing import IO

from flask import current_app

log = logging.getLogger("panjereh.bus")

ADAPTERS = ("simulator", "http")
FOUND, NOT_FOUND = "found", "not_found"


@dataclass(frozen=True)
class Question:
    type_code: str
    provider: str  # the provider agency's code
    subject: str  # what is asked by: national_code, vehicle_plate, …
    value: str
    answer_fields: list = field(default_factory=list)  # the type's schema: [{"name", "label", "choices"?}]
    issue: str = ""  # the tracking code the question serves


@dataclass(frozen=True)
class Answer:
    status: str  # found | not_found
    fields: dict = field(default_factory=dict)
    simulated: bool = False


class BusUnavailable(Exception):
    """The provider could not be asked, or answered nonsense: nothing is decided; ask again later."""


def adapter() -> str:
    return str(current_app.config.get("BUS_ADAPTER", "simulator"))


def is_simulator() -> bool:
    return adapter() == "simulator"


def ask(question: Question) -> Answer:
    """The provider's answer to one question; raises BusUnavailable when there is none to be had now."""
    if adapter() == "simulator":
        return _simulate(question)
    if adapter() == "http":
        return _http_ask(question)
    raise RuntimeError(f"unknown BUS_ADAPTER {adapter()!r}")


# --- the GSB simulator -------------------------------------------------------------------------------------


def _simulate(question: Question) -> Answer:
    config = current_app.config
    latency = config.get("BUS_SIMULATOR_LATENCY_MS", 0)
    if latency:
        time.sleep(latency / 1000)
    last = question.value.strip()[-1:] if question.value.strip() else ""
    fail_digit = config.get("BUS_SIMULATOR_FAIL_DIGIT", "")
    if (fail_digit and last == fail_digit) or random.random() < config.get("BUS_SIMULATOR_FAILURE_RATE", 0.0):
        raise BusUnavailable("simulated bus: the provider did not answer")
    not_found = config.get("BUS_SIMULATOR_NOT_FOUND_DIGIT", "")
    if not_found and last == not_found:
        return Answer(NOT_FOUND, simulated=True)
    return Answer(FOUND, simulated_fields(question), simulated=True)


def simulated_fields(question: Question) -> dict:
    """Each answer field from a hash of (type, value, field): one of its choices, else a number."""
    fields = {}
    for spec in question.answer_fields:
        name = str(spec.get("name", ""))
        digest = hashlib.sha256(f"{question.type_code}|{question.value}|{name}".encode()).hexdigest()
        number = int(digest[:12], 16)
        choices = spec.get("choices") or []
        fields[name] = str(choices[number % len(choices)]) if choices else str(number % 1_000_000).zfill(6)
    return fields


# --- the bus over HTTPS ------------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the token elsewhere: it counts as no answer."""

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage, newurl: str
    ) -> urllib.request.Request | None:
        return None


_openers: dict[tuple[str, str, str], urllib.request.OpenerDirector] = {}


def _opener() -> urllib.request.OpenerDirector:
    """No redirects; over TLS, the bus's own CA when BUS_CA_FILE names one, and this site's client certificate
    (BUS_CLIENT_CERT, BUS_CLIENT_KEY) when the bus authenticates callers by certificate (X-Road style) rather than,
    or as well as, by the bearer token. Built once per setting."""
    config = current_app.config
    key = (config.get("BUS_CA_FILE", ""), config.get("BUS_CLIENT_CERT", ""), config.get("BUS_CLIENT_KEY", ""))
    if key not in _openers:
        ca_file, cert, private_key = key
        context = ssl.create_default_context(cafile=ca_file or None)
        if cert:
            context.load_cert_chain(cert, private_key or None)
        _openers[key] = urllib.request.build_opener(_NoRedirects, urllib.request.HTTPSHandler(context=context))
    return _openers[key]


def _http_ask(question: Question) -> Answer:
    config = current_app.config
    body = {
        "type": question.type_code,
        "provider": question.provider,
        "subject": question.subject,
        "value": question.value,
        "issue": question.issue,
    }
    request = urllib.request.Request(
        config["BUS_URL"].rstrip("/") + "/inquiries",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {config['BUS_TOKEN']}",
        },
    )
    try:
        with _opener().open(request, timeout=config["BUS_TIMEOUT"]) as response:
            answer = json.loads(response.read(256 * 1024))
    except (OSError, ValueError) as error:  # URLError, HTTPError, timeouts; bad JSON
        log.warning("service bus gave no answer to %s: %r", question.type_code, error)
        raise BusUnavailable(f"{type(error).__name__}: {error}") from error
    if not isinstance(answer, dict):
        raise BusUnavailable("the bus answered something other than an object")
    if answer.get("status") == NOT_FOUND:
        return Answer(NOT_FOUND)
    fields = answer.get("fields")
    if answer.get("status") != FOUND or not isinstance(fields, dict):
        raise BusUnavailable(f"the bus answered an unknown status {answer.get('status')!r}")
    return Answer(FOUND, {str(k)[:64]: str(v)[:500] for k, v in fields.items()})
