// File fields drawn as a Persian «انتخاب فایل» button (components/forms.html field()): show the chosen file's name
// and size beside the button, as the browser's own control would. Without JavaScript the input still uploads.
(function () {
  "use strict";
  if (window.panjerehFiles) {
    return; // the macro includes this script once per file field
  }
  window.panjerehFiles = true;
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("file-input")) {
      return;
    }
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
