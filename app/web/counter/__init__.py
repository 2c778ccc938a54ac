"""The counter (pishkhan): clerks file requests for walk-in citizens, print receipts and keep the day ledger."""

from flask import Blueprint

bp = Blueprint("counter", __name__, url_prefix="/counter", template_folder="templates")

from app.web.counter import routes
