/* The request page: while its agent has it open, keep their hold and show the time
   left. Without this script, every page load and every form sent renews the hold. */
(function () {
  "use strict";
  var status = document.querySelector("[data-hold-url]");
  if (!status || !window.fetch) { return; }
  var RENEW_EVERY_MS = 60000;
  var show = function (data) {
    if (data && data.held) {
      var minutes = Math.round(data.seconds_left / 60);
      status.textContent = "You hold this request. It stays yours for another " + minutes +
        " min, renewed every minute while this page is open.";
    } else if (data) {
      status.textContent = "Your hold has ended: the request is now " +
        data.status.toLowerCase() + ". Reload the page to see who has it. " +
        "A call you save now is still kept, marked late.";
      window.clearInterval(timer);
    }
  };
  var renew = function () {
    window.fetch(status.getAttribute("data-hold-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": status.getAttribute("data-csrf-token") }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(show).catch(function () {});
  };
  var timer = window.setInterval(renew, RENEW_EVERY_MS);
}());
