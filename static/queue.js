/* The live queue: poll our own JSON endpoint, update counts, rows and the tab title,
   and alert (sound, and a notification where allowed) when a new urgent request arrives. */
(function () {
  "use strict";
  var config = document.querySelector("[data-queue-config]");
  if (!config || !window.fetch) { return; }
  var rows = document.querySelector("[data-queue-rows]");
  var status = document.querySelector("[data-live-status]");
  var seconds = parseInt(config.getAttribute("data-poll-seconds"), 10) || 10;
  var url = config.getAttribute("data-poll-url");
  /* Search results came from a POST (a phone number never goes in a URL): refresh the
     counts only, and leave the results the agent is reading where they are. */
  var refreshRows = config.getAttribute("data-refresh-rows") !== "no";
  var baseTitle = document.title.replace(/^\([^)]*\) /, "");
  var seenUrgent = {};

  Array.prototype.forEach.call(document.querySelectorAll("tr.row--urgent"), function (row) {
    seenUrgent[row.getAttribute("data-reference")] = true;
  });

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    try {
      var context = new Context();
      var tone = context.createOscillator();
      var volume = context.createGain();
      tone.frequency.value = 880;
      volume.gain.value = 0.15;
      tone.connect(volume);
      volume.connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + 0.35);
    } catch (ignored) { /* no sound is better than a broken page */ }
  }

  function notify(references) {
    if (window.Notification && Notification.permission === "granted") {
      new Notification("New urgent callback request", { body: references.join(", ") });
    }
  }

  function update(data) {
    Object.keys(data.counts).forEach(function (name) {
      var cell = document.querySelector('[data-count="' + name + '"]');
      var value = String(data.counts[name]);
      if (cell && cell.textContent !== value) { cell.textContent = value; }
    });
    if (refreshRows) { rows.innerHTML = data.rows; }
    document.title = "(" + data.counts.ready + " ready, " + data.counts.overdue + " overdue) " + baseTitle;
    var fresh = data.urgent.filter(function (reference) { return !seenUrgent[reference]; });
    fresh.forEach(function (reference) { seenUrgent[reference] = true; });
    if (fresh.length) {
      beep();
      notify(fresh);
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        update(data);
        status.textContent = "Updated " + new Date().toLocaleTimeString() + ".";
      })
      .catch(function () { status.textContent = "Could not update just now: use Refresh."; })
      .then(function () { window.setTimeout(poll, seconds * 1000); });
  }

  var control = document.querySelector("[data-notify-control]");
  if (control && window.Notification && Notification.permission === "default") {
    control.hidden = false;
    control.querySelector("button").addEventListener("click", function () {
      Notification.requestPermission().then(function () { control.hidden = true; });
    });
  }
  status.textContent = "The list updates by itself.";
  window.setTimeout(poll, seconds * 1000);
}());
