// Triage keyboard shortcuts (documented in docs/triage.md):
//   inbox: j / k move between items, Enter or o opens, a / d / r open the item at assign / decide / reply
//   item page: a focuses "Assign", d focuses "Decision", r focuses the reply text, m the internal note
(function () {
  function typing(target) {
    return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }
  const rows = Array.from(document.querySelectorAll("[data-triage-row]"));
  let current = -1;
  function select(i) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (row, j) { row.setAttribute("aria-selected", j === current ? "true" : "false"); });
    rows[current].focus();
  }
  rows.forEach(function (row, i) {
    row.addEventListener("focus", function () { current = i; });
    row.addEventListener("click", function (event) {
      if (event.target.closest("a, button, input, select, textarea")) return;
      window.location = row.getAttribute("data-href");
    });
  });
  function focusField(id) {
    const el = document.getElementById(id);
    if (el) { el.scrollIntoView({ block: "center" }); el.focus(); return true; }
    return false;
  }
  document.addEventListener("keydown", function (event) {
    if (typing(event.target) || event.metaKey || event.ctrlKey || event.altKey) return;
    if (rows.length) {
      const open = function (anchor) {
        if (current < 0) return;
        window.location = rows[current].getAttribute("data-href") + (anchor ? "?focus=" + anchor : "");
      };
      if (event.key === "j") { event.preventDefault(); select(current + 1); }
      else if (event.key === "k") { event.preventDefault(); select(current - 1); }
      else if (event.key === "Enter" || event.key === "o") { if (current >= 0) { event.preventDefault(); open(""); } }
      else if (event.key === "a") { event.preventDefault(); open("assign"); }
      else if (event.key === "d") { event.preventDefault(); open("decide"); }
      else if (event.key === "r") { event.preventDefault(); open("reply"); }
      return;
    }
    const map = { a: "triage-assignee", d: "triage-decision", r: "triage-reply-body", m: "triage-note-body" };
    if (map[event.key] && focusField(map[event.key])) event.preventDefault();
  });
  // Arriving with ?focus=assign|decide|reply|notes focuses the matching field. (A #fragment would
  // not do: Chrome moves focus to a non-focusable fragment target after scripts ran.)
  const fromParam = { assign: "triage-assignee", decide: "triage-decision", reply: "triage-reply-body", notes: "triage-note-body" };
  const wanted = new URLSearchParams(window.location.search).get("focus");
  if (wanted && fromParam[wanted]) focusField(fromParam[wanted]);
  // Picking a template fills subject and body (rendered for this item by the server).
  const picker = document.getElementById("triage-template");
  if (picker) {
    picker.addEventListener("change", function () {
      if (!picker.value) return;
      fetch(picker.getAttribute("data-draft-url") + "?template=" + encodeURIComponent(picker.value), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (draft) {
          if (!draft) return;
          document.getElementById("triage-reply-subject").value = draft.subject;
          document.getElementById("triage-reply-body").value = draft.body;
        });
    });
  }
  // Show which decisions need a reason or a link.
  const decision = document.getElementById("triage-decision");
  if (decision) {
    const update = function () {
      const needsReason = ["not_now", "wont_do"].includes(decision.value);
      const reason = document.getElementById("triage-reason");
      if (reason) reason.required = needsReason;
      const link = document.getElementById("triage-link-field");
      if (link) link.style.display = decision.value === "already_exists" ? "" : "none";
      const dup = document.getElementById("triage-duplicate-field");
      if (dup) dup.style.display = decision.value === "duplicate" ? "" : "none";
    };
    decision.addEventListener("change", update);
    update();
  }
})();
