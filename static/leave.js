/* "Leave this site": with JavaScript, hide the page at once and replace it in history. */
(function () {
  "use strict";
  var link = document.querySelector("[data-leave-site]");
  if (!link) { return; }
  link.addEventListener("click", function (event) {
    event.preventDefault();
    document.documentElement.classList.add("leaving");
    document.title = "";
    window.location.replace(link.href);
  });
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
}());
