/* The live queue: poll our own JSON endpoint, update the counts, the rows and the tab
   title, and say what is new, in words, in one polite live region ("New urgent
   request: K7QM-4Z2P", "Ready to call now: 9"), with a sound and a notification
   where allowed.
   Rows are keyed by their reference: only a row that changed is replaced, one that
   moved is moved, and focus stays where it was. While focus or a pointer is in the
   list, its changes wait behind a "3 changes: show them" button, so nothing moves
   under the agent. "Pause updates" stops it all until "Resume updates". */
(function () {
  "use strict";
  var config = document.querySelector("[data-queue-config]");
  if (!config || !window.fetch) { return; }
  var rows = document.querySelector("[data-queue-rows]");
  var list = document.querySelector("[data-queue-list]");
  var status = document.querySelector("[data-live-status]");
  var news = document.querySelector("[data-queue-news]");
  var waiting = document.querySelector("[data-waiting-changes]");
  var showWaiting = waiting.querySelector("button");
  var pause = document.querySelector("[data-pause-updates]");
  var seconds = parseInt(config.getAttribute("data-poll-seconds"), 10) || 10;
  var url = config.getAttribute("data-poll-url");
  /* Search results came from a POST (a phone number never goes in a URL): refresh the
     counts only, and leave the results the agent is reading where they are. */
  var refreshRows = config.getAttribute("data-refresh-rows") !== "no";
  var baseTitle = document.title.replace(/^\([^)]*\) /, "");
  var seenUrgent = {};
  var readyNow = countShown("ready");
  var pointerInList = false;
  var waitingRows = null;
  var paused = false;
  var timer = null;
  var round = 0; /* a poll answered after a pause or a resume is set aside */

  Array.prototype.forEach.call(rows.querySelectorAll("tr.row--urgent"), function (row) {
    seenUrgent[keyOf(row)] = true;
  });
  list.addEventListener("pointerenter", function () { pointerInList = true; });
  list.addEventListener("pointerleave", function () { pointerInList = false; });
  showWaiting.addEventListener("click", function () {
    if (waitingRows) { showRows(waitingRows); }
    list.focus(); /* the button goes: focus goes to the list it showed */
  });
  pause.hidden = false;
  pause.addEventListener("click", function () {
    paused = !paused;
    round += 1;
    pause.textContent = paused ? "Resume updates" : "Pause updates";
    window.clearTimeout(timer);
    if (paused) {
      status.textContent = "Updates paused. The list stays as it is until you resume them.";
    } else {
      poll();
    }
  });

  function keyOf(row) { return row.getAttribute("data-reference") || ""; }

  function countShown(name) {
    var cell = document.querySelector('[data-count="' + name + '"]');
    return cell ? cell.textContent : "";
  }

  function parseRows(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    return Array.prototype.slice.call(holder.content.children);
  }

  function agentIsInTheList() {
    var focused = document.activeElement;
    return pointerInList || list.contains(focused) || waiting.contains(focused);
  }

  /* How many rows differ between the list shown and `fresh`: new, gone, changed or moved. */
  function changesTo(fresh) {
    var shown = Array.prototype.slice.call(rows.children);
    var byKey = {};
    shown.forEach(function (row, index) { byKey[keyOf(row)] = { row: row, index: index }; });
    var changes = 0;
    fresh.forEach(function (row, index) {
      var old = byKey[keyOf(row)];
      if (!old || old.index !== index || old.row.outerHTML !== row.outerHTML) { changes += 1; }
      delete byKey[keyOf(row)];
    });
    return changes + Object.keys(byKey).length;
  }

  /* Put `fresh` in place, touching only rows that differ; focus stays in its row. */
  function showRows(fresh) {
    var focused = document.activeElement;
    var focusedRow = rows.contains(focused) ? focused.closest("tr") : null;
    var focusedKey = focusedRow && keyOf(focusedRow);
    var unchanged = {};
    fresh.forEach(function (row) { unchanged[keyOf(row)] = row.outerHTML; });
    var kept = {};
    Array.prototype.slice.call(rows.children).forEach(function (row) {
      if (unchanged[keyOf(row)] === row.outerHTML) { kept[keyOf(row)] = row; } else { row.remove(); }
    });
    fresh.forEach(function (row, index) {
      var place = kept[keyOf(row)] || row;
      if (rows.children[index] !== place) { rows.insertBefore(place, rows.children[index] || null); }
    });
    if (focusedKey !== null && !focused.isConnected) {
      var again = rows.querySelector('tr[data-reference="' + focusedKey + '"] a');
      if (again) { again.focus(); }
    }
    waitingRows = null;
    waiting.hidden = true;
  }

  function updateRows(html) {
    var fresh = parseRows(html);
    if (!agentIsInTheList()) {
      showRows(fresh);
      return;
    }
    var changes = changesTo(fresh);
    waitingRows = changes ? fresh : null;
    waiting.hidden = !changes;
    showWaiting.textContent = changes + (changes === 1 ? " change" : " changes") + ": show them";
  }

  function updateCounts(counts) {
    Object.keys(counts).forEach(function (name) {
      var cell = document.querySelector('[data-count="' + name + '"]');
      var value = String(counts[name]);
      if (cell && cell.textContent !== value) { cell.textContent = value; }
    });
    document.title = "(" + counts.ready + " ready, " + counts.overdue + " overdue) " + baseTitle;
  }

  /* What is new since the last look, in words; the same words are not said twice. */
  function sayWhatIsNew(data) {
    var said = [];
    var fresh = data.urgent.filter(function (reference) { return !seenUrgent[reference]; });
    fresh.forEach(function (reference) {
      seenUrgent[reference] = true;
      said.push("New urgent request: " + reference + ".");
    });
    if (String(data.counts.ready) !== readyNow) {
      readyNow = String(data.counts.ready);
      said.push("Ready to call now: " + readyNow + ".");
    }
    if (said.length) { news.textContent = said.join(" "); }
    if (fresh.length) {
      beep();
      notify(fresh);
    }
  }

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

  function sessionEnded() {
    var event = new CustomEvent("intake:session-ended", { cancelable: true });
    if (document.dispatchEvent(event)) { window.location.reload(); }
  }

  function poll() {
    var thisRound = round;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) { sessionEnded(); return null; }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (!data || thisRound !== round) { return; }
        updateCounts(data.counts);
        if (refreshRows) { updateRows(data.rows); }
        sayWhatIsNew(data);
        status.textContent = "Updated " + new Date().toLocaleTimeString() + ".";
        timer = window.setTimeout(poll, seconds * 1000);
      })
      .catch(function () {
        if (thisRound !== round) { return; }
        status.textContent = "Could not update just now: use Refresh.";
        timer = window.setTimeout(poll, seconds * 1000);
      });
  }

  var control = document.querySelector("[data-notify-control]");
  if (control && window.Notification && Notification.permission === "default") {
    control.hidden = false;
    control.querySelector("button").addEventListener("click", function () {
      Notification.requestPermission().then(function () { control.hidden = true; });
    });
  }
  status.textContent = "The list updates by itself.";
  timer = window.setTimeout(poll, seconds * 1000);
}());
