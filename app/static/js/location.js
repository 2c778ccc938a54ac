// The location page's "use my position" button: with the visitor's permission, reload the page with the
// browser's coordinates so that the server preselects the nearest county. Without it the form still works.
(function () {
  "use strict";
  var button = document.getElementById("use-position");
  if (!button || !("geolocation" in navigator)) {
    return;
  }
  var status = document.getElementById("position-status");
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      var url = new URL(button.getAttribute("data-url"), window.location.href);
      // About a kilometre is enough to find a county; nothing finer leaves the browser.
      url.searchParams.set("lat", position.coords.latitude.toFixed(2));
      url.searchParams.set("lon", position.coords.longitude.toFixed(2));
      window.location.assign(url.toString());
    }, function () {
      button.disabled = false;
      status.textContent = button.getAttribute("data-failed");
    }, { timeout: 15000, maximumAge: 600000 });
  });
}());
