// Progressive enhancement for service pages. Everything works without it.
(function () {
  "use strict";

  // Move focus to the error summary so screen reader and keyboard users hear what went wrong.
  var summary = document.querySelector("[data-qm-error-summary]");
  if (summary) summary.focus();

  // Warn before the session times out, and let the person stay signed in.
  var body = document.body;
  var idleMinutes = parseInt(body.getAttribute("data-qm-idle-minutes") || "0", 10);
  if (!idleMinutes || typeof HTMLDialogElement === "undefined") return;
  var warnBeforeMs = 2 * 60 * 1000;
  var timer = null;

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

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { dialog.showModal(); }, Math.max(idleMinutes * 60 * 1000 - warnBeforeMs, 1000));
  }

  dialog.querySelector("[data-qm-stay]").addEventListener("click", function () {
    fetch(body.getAttribute("data-qm-keep-alive"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": body.getAttribute("data-qm-csrf"), "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      dialog.close();
      schedule();
    }).catch(function () {
      dialog.querySelector("#qm-timeout-status").textContent =
        "We could not reach the service. Check your connection and try again.";
    });
  });

  schedule();
})();
