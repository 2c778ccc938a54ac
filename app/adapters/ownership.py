"""Does this mobile number belong to this national code? (In production: the operators' ownership check.)

MOBILE_OWNERSHIP_BACKEND=simulator (default) accepts every valid pair; a real backend is added here and
selected by configuration.
"""

from flask import current_app


def mobile_belongs_to(national_code, mobile):
    backend = current_app.config.get("MOBILE_OWNERSHIP_BACKEND", "simulator")
    if backend == "simulator":
        return True
    raise RuntimeError(f"unknown MOBILE_OWNERSHIP_BACKEND {backend!r}")
