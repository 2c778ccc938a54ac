/* Counter desk keys, on top of pages that already work without JavaScript:
   Esc goes back (the page's [data-back] link or button), Ctrl+Enter sends the form from a text area,
   Alt+<letter> follows [data-key] shortcuts on any keyboard layout (event.code is the physical key, so a
   Persian layout works too), a form is sent once and the print button prints. Focus needs no script: the server marks the first
   field in error (or the first field) autofocus, and the error summary announces itself with role=alert. */
(function () {
  "use strict";

  function activate(element) {
    if (element.tagName === "A") { window.location.href = element.href; } else { element.click(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) { return; }
    if (event.key === "Escape" && !event.altKey && !event.ctrlKey && !event.metaKey) {
      var back = document.querySelector("[data-back]");
      if (back) { event.preventDefault(); activate(back); }
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form) {
      event.preventDefault();
      var submit = event.target.form.querySelector("button[type=submit]:not([formaction])");
      if (submit) { submit.click(); } else { event.target.form.requestSubmit(); }
      return;
    }
    if (event.altKey && !event.ctrlKey && !event.metaKey && event.code) {
      var target = document.querySelector('[data-key="' + event.code + '"]');
      if (target) { event.preventDefault(); activate(target); }
    }
  });

  // A second Enter or click while the first submission is on its way does nothing (the server would
  // answer it with the same request anyway, thanks to the idempotency key).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // getAttribute: a field named "method" (the fees form has one) shadows form.method.
    if ((form.getAttribute("method") || "").toLowerCase() !== "post") { return; }
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.addEventListener("pageshow", function () { form.dataset.sent = ""; }, { once: true });
  });

  document.addEventListener("DOMContentLoaded", function () {
    var print = document.querySelector("[data-print]");
    if (print) {
      print.hidden = false;
      print.addEventListener("click", function () { window.print(); });
    }
  });
}());
