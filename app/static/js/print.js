// A «چاپ» button where the page offers one ([data-print], hidden without JavaScript, where the browser's own print
// menu and the page's address are the way to keep it).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
