"""The citizen's account: sign-in by SMS code, applying online, drafts, my requests, the request page.
Staff sign in here too, with a username and password."""

from flask import Blueprint

bp = Blueprint("account", __name__, template_folder="templates")

from app.web.account import data_access, feedback, payments, routes
