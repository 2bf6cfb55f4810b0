/* The wallboard: fetch our own /wallboard/data.json every 15 seconds and put its
   numbers in place. Without JavaScript the page reloads itself instead (noscript).
   If the screen stops being a wallboard (403), reload to show the page saying so; if
   a release changed the page's stylesheet or script, reload to take it. */
(function () {
  "use strict";
  var config = document.querySelector("[data-wallboard-config]");
  if (!config || !window.fetch) { return; }
  var url = config.getAttribute("data-poll-url");
  var seconds = parseInt(config.getAttribute("data-poll-seconds"), 10) || 15;
  var version = config.getAttribute("data-page-version");
  var stale = document.querySelector("[data-wallboard-stale]");
  var updated = document.querySelector('[data-wallboard="updated"]');

  function show(name, text) {
    var cell = document.querySelector('[data-wallboard="' + name + '"]');
    if (cell && cell.textContent !== text) { cell.textContent = text; }
  }

  function update(data) {
    Object.keys(data.numbers).forEach(function (name) {
      show(name, String(data.numbers[name]));
    });
    show("oldest_wait", data.oldest_wait.text);
    show("updated", data.updated.text);
    updated.setAttribute("datetime", data.updated.at);
    Array.prototype.forEach.call(document.querySelectorAll("[data-alert-when-not-zero]"), function (tile) {
      var value = tile.querySelector("[data-wallboard]").textContent;
      tile.classList.toggle("wallboard__tile--alert", value !== "0");
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 403) {
          window.location.reload();
          throw new Error("not a wallboard");
        }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (data.page_version !== version) {
          window.location.reload();
          return;
        }
        update(data);
        stale.hidden = true;
      })
      .catch(function () { stale.hidden = false; })
      .then(function () { window.setTimeout(poll, seconds * 1000); });
  }

  window.setTimeout(poll, seconds * 1000);
}());
