/* Small enhancements for the public pages; everything works without them.
   - "Leave this site": hide the page at once and replace it in history; pressing
     Shift three times in a row (within 5 seconds) does the same, as on GOV.UK. Its
     bar's measured height keeps scrolled-to fields out from under it.
   - The error summary: take focus when the page loads, and move focus to the
     field a message is about (its label scrolled into view) when it is chosen.
   - Conditional reveal, as GOV.UK's radios and checkboxes: the questions an option
     reveals (marked data-reveals) are hidden until it is chosen, with aria-controls
     on the option and, on a checkbox, aria-expanded (ARIA allows it on no radio, so
     GOV.UK Frontend dropped it there too). Without this script they are shown.
   - The callback form: when someone is in immediate danger, "At a time I choose" is
     not offered (the server sets any chosen time aside too); with today chosen, the
     times that have gone are not offered (the server refuses them too). */
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
    keepScrollingClearOf(leave);
  }

  offerOnlyTimesThatApply(document.querySelector("[data-first-window-today]"));
  revealConditionalQuestions(document.querySelectorAll("input[data-reveals]"));

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

  function revealConditionalQuestions(options) {
    if (!options.length) { return; }
    var sync = function () {
      options.forEach(function (option) {
        var block = document.getElementById(option.getAttribute("data-reveals"));
        if (!block) { return; }
        option.setAttribute("aria-controls", block.id);
        if (option.type === "checkbox") {
          option.setAttribute("aria-expanded", option.checked ? "true" : "false");
        }
        block.hidden = !option.checked;
      });
    };
    sync();
    document.addEventListener("change", function (event) {
      if (event.target.matches("input[type=radio], input[type=checkbox]")) { sync(); }
    });
  }

  /* Runs before the reveal's listener, so a choice it clears is hidden at once. */
  function offerOnlyTimesThatApply(times) {
    var inDanger = document.querySelector("input[name=in_danger][value=yes]");
    var later = document.querySelector("input[name=when][value=later]");
    var asap = document.querySelector("input[name=when][value=asap]");
    if (!times || !inDanger || !later || !asap) { return; }
    var firstToday = times.getAttribute("data-first-window-today");
    var sync = function () {
      later.disabled = inDanger.checked;
      if (inDanger.checked && later.checked) { asap.checked = true; }
      var today = document.querySelector("input[name=day]:checked");
      var isToday = today && today.value === times.getAttribute("data-today");
      document.querySelectorAll("input[name=window]").forEach(function (window_) {
        var gone = isToday && (!firstToday || window_.value < firstToday);
        window_.disabled = gone;
        if (gone) { window_.checked = false; }
      });
    };
    sync();
    document.addEventListener("change", function (event) {
      if (event.target.matches("input[type=radio]")) { sync(); }
    });
  }

  /* The bar stays at the top as the page scrolls: scrolling to a field (a link, focus,
     the error summary) stops below its bottom, measured now and after every resize or
     zoom (the stylesheet's --leave-bar-bottom, with a fallback of its own). */
  function keepScrollingClearOf(link) {
    var bar = link.closest(".leave-bar") || link;
    var measure = function () {
      var bottom = link.getBoundingClientRect().bottom - bar.getBoundingClientRect().top;
      document.documentElement.style.setProperty("--leave-bar-bottom", Math.ceil(bottom) + "px");
    };
    measure();
    window.addEventListener("resize", measure);
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
