/* Small enhancements for the public pages; everything works without them.
   - "Leave this site": hide the page at once and replace it in history; pressing
     Shift three times in a row (within 5 seconds) does the same, as on GOV.UK.
   - The error summary: take focus when the page loads, and move focus to the
     field a message is about (its label scrolled into view) when it is chosen. */
(function () {
  "use strict";
  var leave = document.querySelector("[data-leave-site]");
  if (leave) {
    var leaveNow = function () {
      document.documentElement.classList.add("leaving");
      document.title = "";
      window.location.replace(leave.href);
    };
    leave.addEventListener("click", function (event) {
      event.preventDefault();
      leaveNow();
    });
    listenForShiftThreeTimes(leaveNow, document.querySelector("[data-leave-status]"));
  }

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      event.preventDefault();
      var group = field.closest(".field");
      (group || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  /* Counts Shift pressed on its own: a Shift used for a capital letter, or any
     other key, starts the count again, so typing in the form never leaves. */
  function listenForShiftThreeTimes(leaveNow, status) {
    var presses = 0;
    var lastKeyUsedShift = false;
    var timer = null;
    var reset = function () {
      presses = 0;
      if (status) { status.textContent = ""; }
    };
    document.addEventListener("keyup", function (event) {
      if (event.key === "Shift" && !lastKeyUsedShift) {
        presses += 1;
        window.clearTimeout(timer);
        if (presses >= 3) {
          leaveNow();
          return;
        }
        if (status) {
          status.textContent = "Shift pressed " + presses + (presses === 1 ? " time" : " times") +
            ". Press it " + (3 - presses) + " more to leave this site.";
        }
        timer = window.setTimeout(reset, 5000);
      } else if (event.key !== "Shift") {
        reset();
      }
      lastKeyUsedShift = event.key !== "Shift" && event.shiftKey;
    });
  }
}());
