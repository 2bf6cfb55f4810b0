/* Small enhancements for the public pages; everything works without them.
   - "Leave this site": hide the page at once and replace it in history.
   - The error summary: take focus when the page loads, and move focus to the
     field a message is about (its label scrolled into view) when it is chosen. */
(function () {
  "use strict";
  var leave = document.querySelector("[data-leave-site]");
  if (leave) {
    leave.addEventListener("click", function (event) {
      event.preventDefault();
      document.documentElement.classList.add("leaving");
      document.title = "";
      window.location.replace(leave.href);
    });
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
}());
