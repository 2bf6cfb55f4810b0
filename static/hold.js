/* The request page: while its agent has it open, keep their hold (and so their session:
   a renewal counts as activity). The time left is shown quietly; the polite live region
   speaks only when something needs doing: the hold ends in 2 minutes (renewals have
   failed), or it has ended (a renewal was refused, the time ran out, or the session
   ended). Focus stays where it is. Without this script, every page load and every
   form sent renews the hold. */
(function () {
  "use strict";
  var box = document.querySelector("[data-hold-url]");
  if (!box || !window.fetch) { return; }
  var statusText = box.querySelector("[data-hold-status]");
  var news = box.querySelector("[data-hold-news]");
  var number = function (name, fallback) { return parseInt(box.getAttribute(name), 10) || fallback; };
  var renewEveryMs = number("data-renew-seconds", 60) * 1000;
  var holdMs = number("data-hold-seconds", 900) * 1000;
  var warnMs = Math.min(120000, holdMs / 2);
  var endsAt = Date.now() + holdMs;
  var warned = false;
  var renewing = window.setInterval(renew, renewEveryMs);
  var watching = window.setInterval(watchTheClock, 5000);

  statusText.textContent = "You hold this request. It is renewed while this page is open.";

  function ended(text) {
    window.clearInterval(renewing);
    window.clearInterval(watching);
    statusText.hidden = true;
    news.textContent = text;
  }

  function watchTheClock() {
    var left = endsAt - Date.now();
    if (left <= 0) {
      ended("Your hold has ended: the dashboard could not renew it. Reload the page to see " +
        "who holds the request now. A call you save now is still kept, marked late.");
    } else if (left <= warnMs && !warned) {
      warned = true;
      var minutes = Math.ceil(left / 60000);
      news.textContent = "Your hold on this request ends in " + minutes +
        (minutes === 1 ? " minute" : " minutes") +
        ": the dashboard cannot renew it. Save the call now, or reload the page.";
    }
  }

  function held(secondsLeft) {
    endsAt = Date.now() + secondsLeft * 1000;
    if (warned) {
      warned = false;
      news.textContent = ""; /* renewed again: nothing to say, and emptying says nothing */
    }
    statusText.textContent = "You hold this request. It is renewed while this page is open.";
  }

  function signedOut() {
    ended("You have been signed out, so this request is no longer held for you. " +
      "A call or note you save now is kept: sign in again and you will find it here.");
    document.dispatchEvent(new CustomEvent("intake:session-ended", { cancelable: true }));
  }

  function renew() {
    window.fetch(box.getAttribute("data-hold-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": box.getAttribute("data-csrf-token") }
    }).then(function (response) {
      if (response.status === 401) { signedOut(); return; }
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json().then(function (data) {
        if (data.held) {
          held(data.seconds_left);
        } else {
          ended((data.said ? data.said + " " : "") + "Your hold has ended: the request is now " +
            data.status.toLowerCase() + ". Reload the page to see it. " +
            "A call you save now is still kept, marked late.");
        }
      });
    }).catch(function () {
      statusText.textContent = "Could not reach the dashboard to renew your hold. " +
        "It will try again; if this goes on, reload the page.";
    });
  }
}());
