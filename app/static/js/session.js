// The idle-session warning of form pages (components/dynamic_form.html): a session ends PERMANENT_SESSION_LIFETIME
// after the last request, so a few minutes before that the hidden notice is shown, and its button renews the
// session with a cheap GET (core.kept_forms.renew). Past the end it says that sending still keeps what was typed.
// Without JavaScript the notice stays hidden and nothing else changes.
(function () {
  "use strict";
  var box = document.getElementById("session-warning");
  if (!box) {
    return;
  }
  var lifetime = parseInt(box.getAttribute("data-lifetime") || "0", 10) * 1000;
  var warnBefore = parseInt(box.getAttribute("data-warn") || "0", 10) * 1000;
  if (!lifetime) {
    return;
  }
  var text = box.querySelector(".session-warning-text");
  var button = box.querySelector(".session-renew");
  var timers = [];

  function ended() {
    text.textContent = box.getAttribute("data-ended");
    button.hidden = true;
    box.hidden = false;
  }

  function schedule() {
    timers.forEach(clearTimeout);
    box.hidden = true;
    timers = [
      setTimeout(function () { box.hidden = false; }, Math.max(0, lifetime - warnBefore)),
      setTimeout(ended, lifetime),
    ];
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    fetch(box.getAttribute("data-renew"), {credentials: "same-origin", cache: "no-store"})
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer.active) {
          schedule();
        } else {
          ended();
        }
      })
      .catch(function () { /* offline: the notice stays; the button can be pressed again */ })
      .then(function () { button.disabled = false; });
  });

  schedule();
})();
