/* Every signed-in staff page. Everything works without it; it adds:
   - Focus on the notification banner that says what an action did (unless an error
     summary has taken focus), so it is seen and read out, as GOV.UK's banner does.
   - The idle warning. Before the session would end (2 minutes, or half the idle limit
     if shorter), the server is asked how long is left: another tab may have kept the
     session going. If it is still ending, a modal alert dialog says so, with "Stay
     signed in" (which the server counts as activity; Escape does the same). If the
     session ends, what any form on the page holds is sent to be kept for the next
     sign-in (intake/staff/drafts.py) before the dialog says so: nothing typed is lost.
   The other page scripts announce a session they found ended with the event
   "intake:session-ended"; this script takes it over (they reload the page without it). */
(function () {
  "use strict";
  var banner = document.querySelector("[data-notification-banner]");
  if (banner && !document.querySelector("[data-error-summary]")) { banner.focus(); }

  var config = document.querySelector("[data-session-config]");
  var dialog = document.querySelector("[data-session-dialog]");
  if (!config || !dialog || !dialog.showModal || !window.fetch) { return; }
  var part = function (name) { return dialog.querySelector("[data-session-" + name + "]"); };
  var warnMs = seconds("data-warn-seconds");
  var timer = null;
  var hasEnded = false;
  var focusBefore = null;

  part("stay").addEventListener("click", stay);
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault(); /* Escape: stay signed in, or, once ended, nothing */
    if (!hasEnded && !part("stay").hidden) { stay(); }
  });
  document.addEventListener("intake:session-ended", function (event) {
    event.preventDefault();
    ended();
  });
  schedule(seconds("data-seconds-left"), config.getAttribute("data-ends"));

  function seconds(name) {
    return (parseInt(config.getAttribute(name), 10) || 0) * 1000;
  }

  function ask(url, method) {
    return window.fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": config.getAttribute("data-csrf-token") }
    });
  }

  /* Either wait until it is time to warn, or warn now and look again at the end. */
  function schedule(leftMs, ends) {
    window.clearTimeout(timer);
    if (leftMs > warnMs) {
      if (dialog.open) { closeDialog(); }
      timer = window.setTimeout(check, leftMs - warnMs);
      return;
    }
    warn(leftMs, ends);
    timer = window.setTimeout(check, Math.max(leftMs, 1000));
  }

  function check() {
    answered(ask(config.getAttribute("data-status-url"), "GET"), function () {
      timer = window.setTimeout(check, 30000); /* cannot ask now: ask again soon */
    });
  }

  function stay() {
    answered(ask(config.getAttribute("data-stay-url"), "POST"), function () {
      part("text").textContent = "Could not reach the dashboard just now. Try again.";
    });
  }

  function answered(request, failed) {
    request.then(function (response) {
      if (response.status === 401) { ended(); return; }
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json().then(function (data) {
        schedule(data.seconds_left * 1000, data.ends);
      });
    }).catch(failed);
  }

  function warn(leftMs, ends) {
    if (dialog.open || hasEnded) { return; }
    part("title").textContent = "You will be signed out in " + inWords(leftMs);
    part("text").textContent = ends === "lifetime" ?
      "You have been signed in for a long time, so you will need to sign in again. " +
      "Save what you are doing now." :
      "You have not used the dashboard for a while. To keep your place, and what you " +
      "have typed, stay signed in.";
    part("stay").hidden = ends === "lifetime";
    openDialog(ends === "lifetime" ? part("title") : part("stay"));
  }

  function ended() {
    if (hasEnded) { return; }
    hasEnded = true;
    window.clearTimeout(timer);
    keepWhatWasTyped().then(function (kept) {
      part("title").textContent = "You have been signed out";
      part("text").textContent = kept ?
        "What you typed on this page is kept: sign in again to find it, then save it." :
        "Sign in again to carry on.";
      part("actions").hidden = true;
      part("ended-actions").hidden = false;
      openDialog(part("title"));
      part("title").focus();
    });
  }

  /* One form after another, so the server gathers them into one draft. */
  function keepWhatWasTyped() {
    var typed = Array.prototype.filter.call(document.querySelectorAll("main form"), hasTyping);
    return typed.reduce(function (previous, form) {
      return previous.then(function (keptSoFar) {
        var body = new FormData(form);
        body.append("draft_for", form.getAttribute("action"));
        return window.fetch(config.getAttribute("data-draft-url"), {
          method: "POST", credentials: "same-origin", body: body, headers: { Accept: "application/json" }
        }).then(function (response) { return response.json(); })
          .then(function (data) { return keptSoFar || Boolean(data.kept); })
          .catch(function () { return keptSoFar; });
      });
    }, Promise.resolve(false));
  }

  /* The server keeps only the forms drafts.py names, and never a password. */
  function hasTyping(form) {
    if (form.method !== "post" || form.querySelector("input[type=password]")) { return false; }
    return Array.prototype.some.call(form.querySelectorAll("textarea, input[type=text]"), function (field) {
      return field.value.trim() !== "";
    });
  }

  function openDialog(focusOn) {
    if (!dialog.open) {
      focusBefore = document.activeElement;
      dialog.showModal();
    }
    focusOn.focus();
  }

  function closeDialog() {
    dialog.close();
    if (focusBefore && focusBefore.isConnected) { focusBefore.focus(); }
  }

  function inWords(ms) {
    var secondsLeft = Math.max(1, Math.round(ms / 1000));
    if (secondsLeft < 90) { return secondsLeft + " seconds"; }
    var minutes = Math.round(secondsLeft / 60);
    return minutes + (minutes === 1 ? " minute" : " minutes");
  }
}());
