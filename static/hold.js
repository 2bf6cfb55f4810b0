/* The request page: while its agent has it open, keep their hold (and so their session:
   a renewal counts as activity) and show the time left. If the hold or the session has
   ended, say so plainly and what to do; the words change in a polite live region, so
   focus stays where it is. Without this script, every page load and every form sent
   renews the hold. */
(function () {
  "use strict";
  var status = document.querySelector("[data-hold-url]");
  if (!status || !window.fetch) { return; }
  var renewEveryMs = (parseInt(status.getAttribute("data-renew-seconds"), 10) || 60) * 1000;
  var timer = null;
  var stop = function (text) {
    status.textContent = text;
    window.clearInterval(timer);
  };
  var show = function (data) {
    if (data.held) {
      var minutes = Math.round(data.seconds_left / 60);
      status.textContent = "You hold this request. It stays yours for another " + minutes +
        " min, renewed while this page is open.";
    } else {
      stop((data.said ? data.said + " " : "") + "Your hold has ended: the request is now " +
        data.status.toLowerCase() + ". Reload the page to see it. " +
        "A call you save now is still kept, marked late.");
    }
  };
  var signedOut = function () {
    stop("You have been signed out, so this request is no longer held for you. " +
      "A call or note you save now is kept: sign in again and you will find it here.");
  };
  var renew = function () {
    window.fetch(status.getAttribute("data-hold-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": status.getAttribute("data-csrf-token") }
    }).then(function (response) {
      if (response.status === 401) { signedOut(); return; }
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json().then(show);
    }).catch(function () {
      status.textContent = "Could not reach the dashboard to renew your hold. " +
        "It will try again; if this goes on, reload the page.";
    });
  };
  timer = window.setInterval(renew, renewEveryMs);
}());
