// Progressive enhancement for service pages. Everything works without it.
(function () {
  "use strict";

  // Move focus to the error summary so screen reader and keyboard users hear what went wrong.
  var summary = document.querySelector("[data-qm-error-summary]");
  if (summary) summary.focus();

  // Warn before the session times out, and let the person stay signed in. Only real inactivity brings the
  // warning: each save as you type renews the session (autosave.js says so with a "qm:session-renewed" event),
  // and typing, keys and clicks send a keep-alive at most every few minutes, which renews it too.
  var body = document.body;
  var idleMinutes = parseInt(body.getAttribute("data-qm-idle-minutes") || "0", 10);
  if (!idleMinutes || typeof HTMLDialogElement === "undefined") return;
  var idleMs = idleMinutes * 60 * 1000;
  var warnBeforeMs = 2 * 60 * 1000;
  var keepAliveEveryMs = Math.min(5 * 60 * 1000, idleMs / 4);
  // The service's clock can differ from this device's: times shown are the service's.
  var clockOffset = (parseInt(body.getAttribute("data-qm-now") || "0", 10) || Date.now()) - Date.now();
  var lastRenewed = Date.now();
  var timer = null;
  var keepingAlive = false;

  var dialog = document.createElement("dialog");
  dialog.className = "qm-timeout md-typeset";
  dialog.setAttribute("aria-labelledby", "qm-timeout-title");
  dialog.setAttribute("aria-describedby", "qm-timeout-text");
  dialog.innerHTML =
    '<h2 id="qm-timeout-title">You will be signed out soon</h2>' +
    '<p id="qm-timeout-text">You have not done anything for a while. To protect your school\'s information, ' +
    "we will sign you out in 2 minutes. Anything you have saved is safe.</p>" +
    '<button type="button" class="qm-button" data-qm-stay>Stay signed in</button>' +
    '<p id="qm-timeout-status" role="status"></p>';
  body.appendChild(dialog);

  // "3:42pm" (or "3pm") in UK time, as the service writes times.
  function clockTime(ms) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/London", hour: "numeric", minute: "2-digit", hour12: true })
      .formatToParts(new Date(ms)).forEach(function (part) { parts[part.type] = part.value; });
    var suffix = (parts.dayPeriod || "").toLowerCase().replace(/[^apm]/g, "");
    return parts.hour + (parts.minute === "00" ? "" : ":" + parts.minute) + suffix;
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { dialog.showModal(); }, Math.max(idleMs - warnBeforeMs, 1000));
  }

  // The service has just renewed the session: the warning is due a full idle time from now.
  function renewed() {
    lastRenewed = Date.now();
    schedule();
    var shown = document.querySelector("[data-qm-signed-out-at]");
    if (shown) shown.textContent = clockTime(Date.now() + clockOffset + idleMs);
  }

  function keepAlive() {
    keepingAlive = true;
    return fetch(body.getAttribute("data-qm-keep-alive"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": body.getAttribute("data-qm-csrf"), "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      renewed();
    }).then(function () { keepingAlive = false; }, function (error) { keepingAlive = false; throw error; });
  }

  function active() {
    if (dialog.open || keepingAlive || Date.now() - lastRenewed < keepAliveEveryMs) return;
    keepAlive().catch(function () { /* offline: the warning will still come, and says what to do */ });
  }

  ["keydown", "input", "pointerdown"].forEach(function (name) {
    document.addEventListener(name, active, { capture: true, passive: true });
  });
  document.addEventListener("qm:session-renewed", renewed);

  dialog.querySelector("[data-qm-stay]").addEventListener("click", function () {
    keepAlive().then(function () {
      dialog.close();
    }).catch(function () {
      dialog.querySelector("#qm-timeout-status").textContent =
        "We could not reach the service. Check your connection and try again.";
    });
  });

  schedule();
})();
