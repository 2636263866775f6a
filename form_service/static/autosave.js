// Saving as you type, for the self-evaluation form. The form works without this file; with it, each
// criterion is saved about a second after the person stops typing, and nothing typed is ever lost:
// until the server has it, it stays on screen and in this browser's local storage.
(function () {
  "use strict";
  var form = document.querySelector("form[data-qm-autosave]");
  if (!form || !window.fetch || !window.JSON) return;

  var apiTemplate = form.getAttribute("data-api-url");
  var csrf = form.getAttribute("data-csrf");
  var storagePrefix = form.getAttribute("data-storage-key") + ":";
  var status = document.getElementById("autosave-status");
  var restoreOffer = document.getElementById("restore-offer");
  var sections = Array.prototype.slice.call(form.querySelectorAll("[data-criterion]"));
  var state = {};
  var DEBOUNCE_MS = 1000;

  function storage() {
    try { return window.localStorage; } catch (error) { return null; }
  }

  function read(section) {
    var cid = section.getAttribute("data-criterion");
    var checked = section.querySelector("input[name='" + cid + "-rating']:checked");
    var evidence = section.querySelector("textarea[name='" + cid + "-evidence']").value.split("\n")
      .map(function (line) { return line.trim(); }).filter(function (line) { return line; });
    return {
      rating: checked ? parseInt(checked.value, 10) : null,
      commentary: section.querySelector("textarea[name='" + cid + "-commentary']").value,
      evidence: evidence
    };
  }

  function write(section, answer) {
    var cid = section.getAttribute("data-criterion");
    section.querySelectorAll("input[name='" + cid + "-rating']").forEach(function (radio) {
      radio.checked = answer.rating !== null && parseInt(radio.value, 10) === answer.rating;
    });
    section.querySelector("textarea[name='" + cid + "-commentary']").value = answer.commentary || "";
    section.querySelector("textarea[name='" + cid + "-evidence']").value = (answer.evidence || []).join("\n");
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function keep(cid) {
    var store = storage();
    if (!store) return;
    try {
      store.setItem(storagePrefix + cid, JSON.stringify({
        answer: read(state[cid].section), base: state[cid].revision, at: new Date().toISOString()
      }));
    } catch (error) { /* storage full or blocked: the text is still on screen */ }
  }

  function forget(cid) {
    var store = storage();
    if (store) store.removeItem(storagePrefix + cid);
  }

  function time(date) {
    return date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  }

  function say(text) { if (status) status.textContent = text; }

  function criterionMessage(cid, html) {
    var slot = state[cid].section.querySelector("[data-qm-criterion-status]");
    slot.innerHTML = html;
    return slot;
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  // When the button a person pressed goes away, focus goes to the answer it was about, not to the page's start.
  function focusAnswer(cid) {
    var field = state[cid].section.querySelector("textarea[name='" + cid + "-commentary']");
    if (field) field.focus();
  }

  function setRevision(cid, revision) {
    state[cid].revision = revision;
    state[cid].section.setAttribute("data-revision", revision);
    var hidden = form.querySelector("input[name='" + cid + "-revision']");
    if (hidden) hidden.value = revision;
  }

  function updateProgress() {
    var counter = document.querySelector("[data-qm-reviewed]");
    if (!counter) return;
    var reviewed = sections.filter(function (section) {
      var cid = section.getAttribute("data-criterion");
      var answer = state[cid].saved;
      return answer && answer.rating !== null && answer.rating !== undefined && (answer.commentary || "").trim();
    }).length;
    counter.textContent = String(reviewed);
  }

  function schedule(cid, delay) {
    var entry = state[cid];
    clearTimeout(entry.timer);
    entry.timer = setTimeout(function () { save(cid, false); }, delay === undefined ? DEBOUNCE_MS : delay);
  }

  function retryLater(cid, message) {
    var entry = state[cid];
    entry.retryDelay = Math.min((entry.retryDelay || 1000) * 2, 30000);
    say(message);
    schedule(cid, entry.retryDelay);
  }

  function save(cid, confirmPersonalData) {
    var entry = state[cid];
    if (entry.inflight) { entry.again = true; return; }
    var answer = read(entry.section);
    if (same(answer, entry.saved)) { forget(cid); return; }
    entry.inflight = true;
    say("Saving…");
    var body = { rating: answer.rating, commentary: answer.commentary, evidence: answer.evidence, base_revision: entry.revision };
    if (confirmPersonalData) body.confirm_personal_data = true;
    fetch(apiTemplate.replace("CRITERION", encodeURIComponent(cid)), {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        handle(cid, answer, response.status, data);
      });
    }).catch(function () {
      retryLater(cid, "Not saved: no connection. Your text is kept on this device and will be saved when the connection is back.");
    }).then(function () {
      entry.inflight = false;
      if (entry.again) { entry.again = false; schedule(cid, 0); }
    });
  }

  var sessionUrl = apiTemplate.split("/schools/")[0] + "/session";
  function refreshSession() {
    return fetch(sessionUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.signed_in && data.csrf_token && data.csrf_token !== csrf) { csrf = data.csrf_token; return true; }
        return false;
      })
      .catch(function () { return false; });
  }

  // The service answered as the person signed in, which renews their session: service.js resets its timer.
  function sessionRenewed() {
    document.dispatchEvent(new CustomEvent("qm:session-renewed"));
  }

  function handle(cid, sent, code, data) {
    var entry = state[cid];
    if (code === 200 || code === 409 || code === 422) sessionRenewed();
    if (code === 200) {
      entry.retryDelay = 0;
      entry.saved = { rating: data.answer.rating === undefined ? null : data.answer.rating, commentary: data.answer.commentary || "", evidence: data.answer.evidence || [] };
      setRevision(cid, data.answer.revision || entry.revision);
      if (same(read(entry.section), sent)) forget(cid);
      criterionMessage(cid, "");
      updateProgress();
      say("Saved at " + time(new Date()));
      return;
    }
    if (code === 409) {
      var theirs = data.current || {};
      say("Not saved: someone else changed " + cid + ". Choose which version to keep.");
      var slot = criterionMessage(cid,
        '<span class="qm-conflict"><strong>Someone else saved this answer while you were editing.</strong> ' +
        "Their version: rating " + escapeHtml(theirs.rating || "none") + ", commentary: “" + escapeHtml(theirs.commentary) + "” " +
        '<span class="qm-conflict__actions"><button type="button" class="qm-button qm-button--secondary" data-keep="mine">Keep mine</button>' +
        '<button type="button" class="qm-button qm-button--secondary" data-keep="theirs">Use theirs</button></span></span>');
      slot.querySelector("[data-keep='mine']").addEventListener("click", function () {
        setRevision(cid, theirs.revision || 0);
        focusAnswer(cid);
        criterionMessage(cid, "");
        save(cid, false);
      });
      slot.querySelector("[data-keep='theirs']").addEventListener("click", function () {
        entry.saved = { rating: theirs.rating === undefined ? null : theirs.rating, commentary: theirs.commentary || "", evidence: theirs.evidence || [] };
        write(entry.section, entry.saved);
        setRevision(cid, theirs.revision || 0);
        forget(cid);
        focusAnswer(cid);
        criterionMessage(cid, "");
        updateProgress();
        say("Their version of " + cid + " is shown.");
      });
      return;
    }
    if (code === 422 && data.personal_data) {
      say("Not saved: " + cid + " may contain a pupil's personal data.");
      var warning = criterionMessage(cid,
        '<span class="qm-error-message">' + escapeHtml(data.error) + "</span> " +
        '<button type="button" class="qm-button qm-button--secondary" data-save-anyway>It does not identify a pupil: save it</button>');
      warning.querySelector("[data-save-anyway]").addEventListener("click", function () { focusAnswer(cid); save(cid, true); });
      return;
    }
    if (code === 422 || code === 400 && data.errors) {
      say("Not saved: check " + cid + ".");
      criterionMessage(cid, '<span class="qm-error-message">' + escapeHtml(data.error) + "</span>");
      return;
    }
    if (code === 401 || code === 400) {
      // Signed out, or signed in again elsewhere (a new session has a new CSRF token): ask for a fresh token.
      refreshSession().then(function (signedIn) {
        if (signedIn) { schedule(cid, 0); return; }
        retryLater(cid, "Not saved: you have been signed out. Your text is kept on this device. Sign in again in a new tab and it will be saved.");
      });
      return;
    }
    if (code === 403) {
      say("Not saved: " + (data.error || "this self-evaluation can no longer be changed") + " Your text is kept on this device.");
      return;
    }
    retryLater(cid, "Not saved: retrying. Your text is kept on this device.");
  }

  sections.forEach(function (section) {
    var cid = section.getAttribute("data-criterion");
    state[cid] = { section: section, revision: parseInt(section.getAttribute("data-revision") || "0", 10), saved: read(section), timer: null };
    section.addEventListener("input", function () { keep(cid); schedule(cid); });
    section.addEventListener("change", function () { keep(cid); schedule(cid); });
  });

  // Text typed earlier that never reached the server: offer it back.
  var unsaved = [];
  var store = storage();
  if (store) {
    sections.forEach(function (section) {
      var cid = section.getAttribute("data-criterion");
      var kept = null;
      try { kept = JSON.parse(store.getItem(storagePrefix + cid) || "null"); } catch (error) { kept = null; }
      if (kept && kept.answer && !same(kept.answer, state[cid].saved)) unsaved.push({ cid: cid, kept: kept });
      else if (kept) forget(cid);
    });
  }
  if (unsaved.length && restoreOffer) {
    restoreOffer.hidden = false;
    restoreOffer.innerHTML = "<p><strong>You have text that was not saved</strong> for " +
      unsaved.map(function (item) { return escapeHtml(item.cid); }).join(", ") +
      ' (kept on this device).</p><button type="button" class="qm-button" data-restore>Restore it</button>' +
      '<button type="button" class="qm-button qm-button--secondary" data-discard>Discard it</button>';
    restoreOffer.querySelector("[data-restore]").addEventListener("click", function () {
      unsaved.forEach(function (item) {
        write(state[item.cid].section, item.kept.answer);
        if (typeof item.kept.base === "number") setRevision(item.cid, item.kept.base);
        schedule(item.cid, 0);
      });
      restoreOffer.hidden = true;
      focusAnswer(unsaved[0].cid);
      say("Restored your unsaved text. Saving…");
    });
    restoreOffer.querySelector("[data-discard]").addEventListener("click", function () {
      unsaved.forEach(function (item) { forget(item.cid); });
      restoreOffer.hidden = true;
      focusAnswer(unsaved[0].cid);
      say("The text that was not saved has been discarded.");
    });
  }

  window.addEventListener("online", function () {
    Object.keys(state).forEach(function (cid) { if (!same(read(state[cid].section), state[cid].saved)) schedule(cid, 0); });
  });

  var submitting = false;
  window.addEventListener("beforeunload", function (event) {
    if (submitting) return;
    var pending = Object.keys(state).some(function (cid) { return !same(read(state[cid].section), state[cid].saved); });
    if (pending) { event.preventDefault(); event.returnValue = ""; }
  });

  // The buttons still post the whole page: let them, after the latest revisions are in the form.
  form.addEventListener("submit", function () {
    submitting = true;
    Object.keys(state).forEach(function (cid) { clearTimeout(state[cid].timer); });
  });
})();
