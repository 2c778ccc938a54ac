// File fields drawn as a Persian «انتخاب فایل» button (components/forms.html field()): show the chosen file's name
// and size beside the button, as the browser's own control would. Without JavaScript the input still uploads.
(function () {
  "use strict";
  if (window.panjerehFiles) {
    return; // the macro includes this script once per file field
  }
  window.panjerehFiles = true;

  // A file over its field's limit (data-max-bytes, stated beside the field) is refused here, before a long upload
  // that the server would refuse anyway: the message goes next to the field and the form is not sent.
  function tooBig(input) {
    var limit = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
    var file = input.files && input.files[0];
    return Boolean(limit && file && file.size > limit);
  }

  function precheck(input) {
    var message = document.getElementById(input.id + "-precheck");
    if (!message) {
      return true;
    }
    var bad = tooBig(input);
    message.hidden = !bad;
    message.textContent = bad ? input.getAttribute("data-too-big") : "";
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== message.id;
    });
    if (bad) {
      described.push(message.id);
      input.setAttribute("aria-invalid", "true");
    } else if (!document.getElementById(input.id + "-error")) {
      input.removeAttribute("aria-invalid");
    }
    input.setAttribute("aria-describedby", described.join(" "));
    var field = input.closest(".field");
    if (field) {
      field.classList.toggle("field-error", bad || Boolean(document.getElementById(input.id + "-error")));
    }
    return !bad;
  }

  document.addEventListener("submit", function (event) {
    var inputs = event.target.querySelectorAll ? event.target.querySelectorAll("input.file-input[data-max-bytes]") : [];
    var first = null;
    for (var i = 0; i < inputs.length; i++) {
      if (!precheck(inputs[i]) && !first) {
        first = inputs[i];
      }
    }
    // Every button of the form sends the chosen files (a draft's save too): none goes while one is too big.
    if (first) {
      event.preventDefault();
      first.focus();
    }
  }, true);
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("file-input")) {
      return;
    }
    precheck(input);
    var shown = document.getElementById(input.id + "-chosen");
    if (!shown) {
      return;
    }
    var file = input.files && input.files[0];
    if (!file) {
      shown.textContent = shown.getAttribute("data-none");
      return;
    }
    // Under a megabyte in kilobytes (rounded up, so a small scan never reads as 0), else megabytes to one decimal.
    var big = file.size >= 1024 * 1024;
    var size = new Intl.NumberFormat(document.documentElement.lang || "fa", {maximumFractionDigits: 1})
      .format(big ? file.size / 1024 / 1024 : Math.max(1, Math.ceil(file.size / 1024)));
    shown.textContent = file.name + " (" + size + " " + shown.getAttribute(big ? "data-mb" : "data-kb") + ")";
  });
})();
