/* Harken feedback widget: a button and a small form. No framework, no cookies, no tracking. */
(function () {
  "use strict";
  var CONFIG = {{ config_json|safe }};
  if (window.__harkenWidget) { return; }
  window.__harkenWidget = true;

  var CSS = ":host{all:initial;font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;color:#111827}" +
    ".hk-btn{position:fixed;right:20px;bottom:20px;z-index:2147483000;background:#4f46e5;color:#fff;border:0;border-radius:999px;padding:10px 16px;font:inherit;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}" +
    ".hk-btn:focus-visible,.hk-panel button:focus-visible,.hk-panel input:focus-visible,.hk-panel textarea:focus-visible{outline:3px solid #a5b4fc;outline-offset:2px}" +
    ".hk-panel{position:fixed;right:20px;bottom:72px;z-index:2147483000;width:min(360px,calc(100vw - 40px));background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:16px;box-shadow:0 10px 30px rgba(0,0,0,.2)}" +
    ".hk-panel[hidden]{display:none}.hk-panel h2{font-size:16px;margin:0 0 10px}" +
    ".hk-panel label{display:block;font-weight:600;margin:8px 0 4px}" +
    ".hk-panel textarea,.hk-panel input[type=email]{box-sizing:border-box;width:100%;border:1px solid #d1d5db;border-radius:8px;padding:8px;font:inherit}" +
    ".hk-panel textarea{min-height:96px;resize:vertical}.hk-hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}" +
    ".hk-row{display:flex;gap:8px;justify-content:flex-end;margin-top:12px}" +
    ".hk-send{background:#4f46e5;color:#fff;border:0;border-radius:8px;padding:8px 14px;font:inherit;font-weight:600;cursor:pointer}" +
    ".hk-cancel{background:#fff;border:1px solid #d1d5db;border-radius:8px;padding:8px 14px;font:inherit;cursor:pointer}" +
    ".hk-status{margin-top:8px;min-height:1.2em}.hk-error{color:#b91c1c}.hk-ok{color:#047857}.hk-help{color:#6b7280;font-size:12px}";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function mount() {
    var host = el("div", { "data-harken-widget": "" });
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    root.appendChild(el("style", {}, CSS));
    var button = el("button", { "class": "hk-btn", type: "button", "aria-expanded": "false", "aria-controls": "hk-panel" }, CONFIG.label);
    var panel = el("div", { "class": "hk-panel", id: "hk-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "hk-title", hidden: "" });
    var form = el("form", { novalidate: "" });
    form.appendChild(el("h2", { id: "hk-title" }, "Send us feedback"));
    form.appendChild(el("label", { "for": "hk-text" }, "What's on your mind?"));
    var text = el("textarea", { id: "hk-text", name: "text", required: "", maxlength: "10000" });
    form.appendChild(text);
    form.appendChild(el("label", { "for": "hk-email" }, "Your email (optional)"));
    form.appendChild(el("input", { id: "hk-email", name: "email", type: "email", autocomplete: "email" }));
    form.appendChild(el("label", { "for": "hk-shot" }, "Screenshot (optional)"));
    var shot = el("input", { id: "hk-shot", name: "screenshot", type: "file", accept: "image/png,image/jpeg", "aria-describedby": "hk-shot-help" });
    form.appendChild(shot);
    form.appendChild(el("div", { id: "hk-shot-help", "class": "hk-help" }, "PNG or JPEG, up to " + Math.round(CONFIG.maxBytes / 1048576) + " MB"));
    var trap = el("div", { "class": "hk-hp", "aria-hidden": "true" });
    trap.appendChild(el("label", { "for": "hk-hp" }, "Leave this empty"));
    trap.appendChild(el("input", { id: "hk-hp", name: CONFIG.honeypot, type: "text", tabindex: "-1", autocomplete: "off" }));
    form.appendChild(trap);
    var status = el("div", { "class": "hk-status", role: "status", "aria-live": "polite" });
    form.appendChild(status);
    var row = el("div", { "class": "hk-row" });
    var cancel = el("button", { "class": "hk-cancel", type: "button" }, "Cancel");
    var send = el("button", { "class": "hk-send", type: "submit" }, "Send");
    row.appendChild(cancel);
    row.appendChild(send);
    form.appendChild(row);
    panel.appendChild(form);
    root.appendChild(button);
    root.appendChild(panel);
    document.body.appendChild(host);

    function toggle(open) {
      if (open) { panel.removeAttribute("hidden"); text.focus(); } else { panel.setAttribute("hidden", ""); button.focus(); }
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    function say(message, ok) { status.textContent = message; status.className = "hk-status " + (ok ? "hk-ok" : "hk-error"); }

    button.addEventListener("click", function () { toggle(panel.hasAttribute("hidden")); });
    cancel.addEventListener("click", function () { toggle(false); });
    panel.addEventListener("keydown", function (event) { if (event.key === "Escape") { toggle(false); } });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!text.value.trim()) { say("Please write your feedback.", false); text.focus(); return; }
      var file = shot.files && shot.files[0];
      if (file && (file.size > CONFIG.maxBytes || ["image/png", "image/jpeg"].indexOf(file.type) < 0)) {
        say("The screenshot must be a PNG or JPEG under " + Math.round(CONFIG.maxBytes / 1048576) + " MB.", false);
        return;
      }
      var data = new FormData(form);
      if (!file) { data.delete("screenshot"); }
      data.append("page", String(window.location.href).slice(0, 1000));
      send.disabled = true;
      say("Sending…", true);
      fetch(CONFIG.submitUrl, { method: "POST", body: data, mode: "cors", credentials: "omit" })
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (body) { return { status: response.status, body: body, retry: response.headers.get("Retry-After") }; });
        })
        .then(function (result) {
          if (result.status === 201 || result.status === 200) {
            form.reset();
            say("Thank you! Your feedback was sent.", true);
          } else if (result.status === 429) {
            say("Too many messages; please try again in " + (result.retry || "60") + " seconds.", false);
          } else {
            var errors = result.body.errors || {};
            var first = Object.keys(errors).map(function (k) { return errors[k]; })[0];
            say(first || result.body.detail || "Something went wrong; please try again.", false);
          }
        })
        .catch(function () { say("Could not send your feedback: the server is unreachable or this site is not allowed to use this widget.", false); })
        .then(function () { send.disabled = false; });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", mount); } else { mount(); }
})();
