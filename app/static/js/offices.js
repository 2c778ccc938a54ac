/* "Nearest to me" on the find-a-counter-office page: asks the browser for its position, fills the form's hidden
   lat/lng fields and submits it. The page works without this file; the button only appears when it runs. */
(function () {
  "use strict";
  var button = document.getElementById("locate");
  var form = document.getElementById("office-filter");
  var status = document.getElementById("locate-status");
  if (!button || !form || !("geolocation" in navigator)) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = button.getAttribute("data-waiting");
    navigator.geolocation.getCurrentPosition(function (position) {
      // Two decimals (about a kilometre) is enough to rank offices and keeps the exact spot out of URLs and logs.
      form.elements.lat.value = position.coords.latitude.toFixed(2);
      form.elements.lng.value = position.coords.longitude.toFixed(2);
      form.submit();
    }, function () {
      status.textContent = button.getAttribute("data-error");
    }, {timeout: 15000, maximumAge: 600000});
  });
}());
