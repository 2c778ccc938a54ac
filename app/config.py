"""Settings read from environment variables, with safe defaults for the embedded mode."""

import os
import secrets
from pathlib import Path


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def load_secret_key(instance_path):
    """SECRET_KEY from the environment, else one generated once into instance/ (never committed)."""
    configured = os.environ.get("SECRET_KEY")
    if configured:
        return configured
    path = Path(instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    try:
        # O_EXCL: when several processes start at once only one writes, the others read its key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def database_url(instance_path):
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "panjereh.sqlite3")
    # Hosting platforms hand out postgres:// URLs; psycopg 3 is the driver we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _float(name, default):
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


# Every adapter's simulator, as (setting, the value that selects the simulator). A production configuration
# (PREFER_HTTPS) refuses to start while any of them is selected, unless ALLOW_SIMULATORS says so; the site-wide
# demo notice lists them too. New adapters (service bus, payments, link checks) add their pair here.
SIMULATORS = [
    ("SMS_BACKEND", "local"),
    ("MOBILE_OWNERSHIP_BACKEND", "simulator"),
    ("PAYMENT_BACKEND", "simulator"),
    ("BUS_ADAPTER", "simulator"),
    ("LINK_CHECK_BACKEND", "simulator"),
]


def simulators_in_use(config) -> list[str]:
    """The settings whose configured value selects a simulator."""
    return [setting for setting, simulator in SIMULATORS if config.get(setting) == simulator]


def check(config) -> None:
    """Refuse a configuration that would run a public site on simulators, or name an unknown backend."""
    ownership = config.get("MOBILE_OWNERSHIP_BACKEND")
    if ownership not in ("simulator", "http"):
        raise RuntimeError(f"MOBILE_OWNERSHIP_BACKEND must be 'simulator' or 'http', not {ownership!r}")
    if ownership == "http" and not config.get("MOBILE_OWNERSHIP_URL"):
        raise RuntimeError("MOBILE_OWNERSHIP_BACKEND=http needs MOBILE_OWNERSHIP_URL")
    _check_payments(config)
    _check_bus(config)
    simulated = simulators_in_use(config)
    if config.get("PREFER_HTTPS") and simulated and not config.get("ALLOW_SIMULATORS"):
        raise RuntimeError(
            "PREFER_HTTPS is on but these settings select a simulator: "
            + ", ".join(f"{setting}={config[setting]}" for setting in simulated)
            + ". Configure the real backends, or set ALLOW_SIMULATORS=1 for a public demo."
        )


def _check_payments(config) -> None:
    payments = config.get("PAYMENT_BACKEND")
    if payments not in ("simulator", "http"):
        raise RuntimeError(f"PAYMENT_BACKEND must be 'simulator' or 'http', not {payments!r}")
    url = config.get("PAYMENT_GATEWAY_URL") or ""
    if payments == "http" and not url:
        raise RuntimeError("PAYMENT_BACKEND=http needs PAYMENT_GATEWAY_URL")
    # The gateway's token and every verification travel to it: never in the clear on a public site.
    if payments == "http" and config.get("PREFER_HTTPS") and not url.startswith("https://"):
        raise RuntimeError("PAYMENT_GATEWAY_URL must be an https:// address when PREFER_HTTPS is on")


def _check_bus(config) -> None:
    if config.get("LINK_CHECK_BACKEND", "simulator") not in ("simulator", "http"):
        raise RuntimeError(f"LINK_CHECK_BACKEND must be 'simulator' or 'http', not {config['LINK_CHECK_BACKEND']!r}")
    bus = config.get("BUS_ADAPTER", "simulator")
    if bus not in ("simulator", "http"):
        raise RuntimeError(f"BUS_ADAPTER must be 'simulator' or 'http', not {bus!r}")
    if bus == "http" and not config.get("BUS_URL"):
        raise RuntimeError("BUS_ADAPTER=http needs BUS_URL")
    # The token and every citizen's national code travel to the bus: never in the clear on a public site.
    if bus == "http" and config.get("PREFER_HTTPS") and not config.get("BUS_URL", "").startswith("https://"):
        raise RuntimeError("BUS_URL must be an https:// address when PREFER_HTTPS is on")
    for name in ("BUS_CA_FILE", "BUS_CLIENT_CERT", "BUS_CLIENT_KEY"):
        path = config.get(name, "")
        if bus == "http" and path and not os.path.isfile(path):
            raise RuntimeError(f"{name} names no file: {path}")


def settings(instance_path):
    """The configuration mapping for create_app()."""
    https = _bool("PREFER_HTTPS")
    return {
        "SECRET_KEY": load_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PREFER_HTTPS": https,
        "ALLOW_SIMULATORS": _bool("ALLOW_SIMULATORS"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "PERMANENT_SESSION_LIFETIME": _int("SESSION_LIFETIME_MINUTES", 30) * 60,  # idle: each request renews it
        # Absolute: a session ends this long after sign-in however busy it is (checked in auth.session_is_current).
        "SESSION_ABSOLUTE_HOURS": _int("SESSION_ABSOLUTE_HOURS", 12),
        "BABEL_DEFAULT_LOCALE": "fa",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tehran",
        "LANGUAGES": ("fa", "en"),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Per process (memory://) unless a shared store is named: with several processes a limit must count in one
        # place (Redis at scale, see README), else 20 per address becomes 20 per address and process.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://",
        # Redis unreachable: the limits count per process meanwhile (a warning in the log), rather than every
        # limited page answering 500; the shared store is tried again every few requests.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "panjereh",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Consent SMS a counter may send (limits notation, ";" between windows); empty: app.counter.consent's default.
        "COUNTER_CONSENT_SMS_PER_CLERK": os.environ.get("COUNTER_CONSENT_SMS_PER_CLERK", ""),
        "COUNTER_CONSENT_SMS_PER_OFFICE": os.environ.get("COUNTER_CONSENT_SMS_PER_OFFICE", ""),
        # How long a consent code a citizen read out to a clerk covers their further filings with that clerk at that
        # office (one visit, several errands); 0 asks for a new code every filing.
        "COUNTER_CONSENT_VISIT_MINUTES": _int("COUNTER_CONSENT_VISIT_MINUTES", 30),
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # The whole request body: well above every file field's own limit and the total of one request's files, so a
        # file too large for its field is that field's error on the re-rendered form (everything typed kept); only
        # a body past this cap is refused before it is read, with the Persian 413 page (core.errors).
        "MAX_CONTENT_LENGTH": _int("MAX_UPLOAD_MB", 4 * _int("REQUEST_ATTACHMENTS_MAX_MB", 15)) * 1024 * 1024,
        "SMS_BACKEND": os.environ.get("SMS_BACKEND", "local"),
        "SMS_HTTP_URL": os.environ.get("SMS_HTTP_URL", ""),
        "SMS_HTTP_TOKEN": os.environ.get("SMS_HTTP_TOKEN", ""),
        "MOBILE_OWNERSHIP_BACKEND": os.environ.get("MOBILE_OWNERSHIP_BACKEND", "simulator"),
        "MOBILE_OWNERSHIP_URL": os.environ.get("MOBILE_OWNERSHIP_URL", ""),
        "MOBILE_OWNERSHIP_TOKEN": os.environ.get("MOBILE_OWNERSHIP_TOKEN", ""),
        "MOBILE_OWNERSHIP_TIMEOUT": _float("MOBILE_OWNERSHIP_TIMEOUT", 5.0),
        "PAYMENT_BACKEND": os.environ.get("PAYMENT_BACKEND", "simulator"),
        "PAYMENT_GATEWAY_URL": os.environ.get("PAYMENT_GATEWAY_URL", ""),
        "PAYMENT_GATEWAY_TOKEN": os.environ.get("PAYMENT_GATEWAY_TOKEN", ""),
        "PAYMENT_GATEWAY_TIMEOUT": _float("PAYMENT_GATEWAY_TIMEOUT", 10.0),
        # A payment session not finished at the gateway within this many minutes is over (started again if need be);
        # then the worker asks the gateway about it once more. At least the gateway's own session lifetime.
        "PAYMENT_SESSION_MINUTES": _int("PAYMENT_SESSION_MINUTES", 15),
        # Inquiries between agencies (app/inquiries) through the government service bus (app/adapters/bus.py):
        # "simulator" answers from a hash of the inputs; "http" posts JSON to BUS_URL with BUS_TOKEN as bearer.
        "BUS_ADAPTER": os.environ.get("BUS_ADAPTER", "simulator"),
        # Link checks (app/evaluation/links.py): "http" asks each card's and agency's address for real; "simulator"
        # answers from the address alone (no request leaves the machine), as the demo and tests run.
        "LINK_CHECK_BACKEND": os.environ.get("LINK_CHECK_BACKEND", "simulator"),
        "BUS_URL": os.environ.get("BUS_URL", ""),
        "BUS_TOKEN": os.environ.get("BUS_TOKEN", ""),
        "BUS_TIMEOUT": _float("BUS_TIMEOUT", 10.0),
        # TLS to the bus: its CA bundle (else the system's) and this site's client certificate and key (PEM files).
        "BUS_CA_FILE": os.environ.get("BUS_CA_FILE", ""),
        "BUS_CLIENT_CERT": os.environ.get("BUS_CLIENT_CERT", ""),
        "BUS_CLIENT_KEY": os.environ.get("BUS_CLIENT_KEY", ""),
        # The simulator: a delay per answer, a share of tries that fail at random, and the last digit of an asked
        # value that is "not found" or always fails (empty: none), so demos and tests choose an outcome.
        "BUS_SIMULATOR_LATENCY_MS": _int("BUS_SIMULATOR_LATENCY_MS", 0),
        "BUS_SIMULATOR_FAILURE_RATE": _float("BUS_SIMULATOR_FAILURE_RATE", 0.0),
        "BUS_SIMULATOR_NOT_FOUND_DIGIT": os.environ.get("BUS_SIMULATOR_NOT_FOUND_DIGIT", "7"),
        "BUS_SIMULATOR_FAIL_DIGIT": os.environ.get("BUS_SIMULATOR_FAIL_DIGIT", ""),
        # An inquiry whose provider does not answer is tried this many times (the outbox's backoff between), then
        # it is "failed" and the officer retries it or asks the citizen for the document.
        "INQUIRY_MAX_ATTEMPTS": _int("INQUIRY_MAX_ATTEMPTS", 3),
        # Honest processing times on cards (app/evaluation/processing_times.py): the measured time is shown only when
        # at least this many requests were decided in the last 90 days.
        "PROCESSING_TIMES_MIN_SAMPLE": _int("PROCESSING_TIMES_MIN_SAMPLE", 20),
        # Feedback (app/feedback): a card's and an agency's average stars are shown from this many ratings on; an open
        # complaint left unanswered this many days is escalated to its province by the daily job.
        "RATINGS_MIN_SAMPLE": _int("RATINGS_MIN_SAMPLE", 5),
        "COMPLAINT_ESCALATION_DAYS": _int("COMPLAINT_ESCALATION_DAYS", 7),
        "ATTACHMENT_MAX_MB": _int("ATTACHMENT_MAX_MB", 5),
        "REQUEST_ATTACHMENTS_MAX_MB": _int("REQUEST_ATTACHMENTS_MAX_MB", 15),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(Path(instance_path) / "uploads")),
        # What a person typed into a form whose token or session had run out (core.kept_forms): kept here, one file
        # per form, until it is shown again or this many minutes have passed. Like uploads, shared by every process.
        "KEPT_FORMS_FOLDER": os.environ.get("KEPT_FORMS_FOLDER", str(Path(instance_path) / "kept-forms")),
        "KEPT_FORMS_MINUTES": _int("KEPT_FORMS_MINUTES", 30),
        # The data-access log (people/data_access.py): the same official making the same use of the same request
        # again within this many minutes (a reload) is not a new entry.
        "DATA_ACCESS_REPEAT_MINUTES": _int("DATA_ACCESS_REPEAT_MINUTES", 10),
        # Form pages warn this long before an idle session ends (js/session.js), with a button that renews it.
        "SESSION_WARNING_SECONDS": _int("SESSION_WARNING_SECONDS", 5 * 60),
        # Wrong staff passwords per (account name, client address): this many go unhindered, then the next try
        # waits the first wait, doubling with each further failure up to the ceiling.
        "STAFF_THROTTLE_FREE_TRIES": _int("STAFF_THROTTLE_FREE_TRIES", 5),
        "STAFF_THROTTLE_FIRST_WAIT_SECONDS": _int("STAFF_THROTTLE_FIRST_WAIT_SECONDS", 30),
        "STAFF_THROTTLE_MAX_WAIT_SECONDS": _int("STAFF_THROTTLE_MAX_WAIT_SECONDS", 15 * 60),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        # Link checks (app/evaluation/links.py): seconds to wait for an answer from a checked link's server.
        "LINK_CHECK_TIMEOUT": _float("LINK_CHECK_TIMEOUT", 10.0),
        # Host names this site answers to (comma list, "example.ir,.example.ir" for subdomains): Flask refuses any
        # other Host header with a 400, so receipt links and QR codes built from it cannot be pointed elsewhere.
        "TRUSTED_HOSTS": [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None,
        # Background work (app/jobs): huey on SQLite in instance/ unless REDIS_URL names a Redis server; immediate
        # mode runs each task at once in the process that enqueues it (tests, or a one-process tryout).
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "JOBS_IMMEDIATE": _bool("JOBS_IMMEDIATE"),
        "JOBS_SQLITE_PATH": os.environ.get("JOBS_SQLITE_PATH", str(Path(instance_path) / "jobs.sqlite3")),
        # A failing job is tried this many times in all, waiting base x 2^(n-1) seconds (with jitter, at most the
        # ceiling) between tries, then it is "failed" and shown on /admin/jobs.
        "JOBS_MAX_ATTEMPTS": _int("JOBS_MAX_ATTEMPTS", 8),
        "JOBS_RETRY_BASE_SECONDS": _int("JOBS_RETRY_BASE_SECONDS", 10),
        "JOBS_RETRY_MAX_SECONDS": _int("JOBS_RETRY_MAX_SECONDS", 3600),
        # A worker that took a job holds it this long; one killed mid-job leaves it to the sweeper after that.
        "JOBS_LEASE_SECONDS": _int("JOBS_LEASE_SECONDS", 120),
        # /healthz says the worker is "stale" when no worker has beaten for this long (it beats every minute).
        "JOBS_HEARTBEAT_STALE_SECONDS": _int("JOBS_HEARTBEAT_STALE_SECONDS", 180),
        # The nightly cleanup keeps SMS rows, one-time codes, finished jobs and untouched drafts this many days.
        "JOBS_SMS_RETENTION_DAYS": _int("JOBS_SMS_RETENTION_DAYS", 90),
        "JOBS_OTP_RETENTION_DAYS": _int("JOBS_OTP_RETENTION_DAYS", 7),
        "JOBS_DONE_RETENTION_DAYS": _int("JOBS_DONE_RETENTION_DAYS", 30),
        "JOBS_DRAFT_RETENTION_DAYS": _int("JOBS_DRAFT_RETENTION_DAYS", 180),
        "JOBS_LINK_CHECK_RETENTION_DAYS": _int("JOBS_LINK_CHECK_RETENTION_DAYS", 400),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        # Public pages for anonymous visitors (app.core.page_cache): "simple" keeps them in each process (the embedded
        # default; processes share nothing, and each checks the catalogue version in the database), "redis" in
        # REDIS_URL's server (the default when REDIS_URL is set), "filesystem" under PAGE_CACHE_DIR, "null" not at all.
        "PAGE_CACHE": os.environ.get("PAGE_CACHE") or ("redis" if os.environ.get("REDIS_URL") else "simple"),
        "PAGE_CACHE_DIR": os.environ.get("PAGE_CACHE_DIR", str(Path(instance_path) / "page-cache")),
        # A page is kept at most this long (seconds) even when nothing changed, and at most this many per process.
        "PAGE_CACHE_SECONDS": _int("PAGE_CACHE_SECONDS", 600),
        "PAGE_CACHE_SIZE": _int("PAGE_CACHE_SIZE", 1000),
        # How stale (seconds) a process's idea of the catalogue version may be: another process's published revision
        # shows on this one's cached pages at most this late (its own at once).
        "CATALOGUE_VERSION_MAX_AGE": _float("CATALOGUE_VERSION_MAX_AGE", 1.0),
    }
