"""HTMX as an enhancement: an HTMX request gets one block of the page's own template, any other request the
whole page, so the fragment can never drift from the page.

Macros a block uses must be imported inside that block: a block rendered alone does not run the
template's top-level statements.
"""

from typing import Any

from flask import Response, current_app, render_template, request


def is_htmx() -> bool:
    # A history restore (back button after the cache expired) needs the whole page, not a fragment.
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def render_block(template_name: str, block: str, **context: Any) -> str:
    app = current_app
    app.update_template_context(context)
    template = app.jinja_env.get_or_select_template(template_name)
    # Stripped, so that a block with nothing to say leaves its container :empty (and hidden by CSS).
    return "".join(template.blocks[block](template.new_context(context))).strip()


def render_page(template_name: str, block: str, **context: Any) -> Response:
    """The page, or just `block` of it for HTMX. Caches are told that the answer depends on HX-Request."""
    if is_htmx():
        body = render_block(template_name, block, **context)
    else:
        body = render_template(template_name, **context)
    response = current_app.make_response(body)
    response.vary.add("HX-Request")
    return response
