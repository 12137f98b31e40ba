// Playbook — progressive enhancement only: every page works without this file.
"use strict";

// Customer lookup as you type: the form still works without JavaScript (it submits to
// /accounts/find); with it, results appear under the box while the rep types.
(function () {
  const form = document.getElementById("lookup-form");
  if (!form) return;
  const input = form.querySelector("input[name=q]");
  const list = document.getElementById("lookup-results");
  const scenario = form.querySelector("select[name=scenario]");
  let timer = null;
  let latest = 0;

  function render(hits) {
    list.textContent = "";
    for (const hit of hits) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      const chosen = scenario && scenario.value ? "?scenario=" + encodeURIComponent(scenario.value) : "";
      a.href = "/accounts/" + encodeURIComponent(hit.id) + chosen;
      a.className = "lookup-hit";
      const name = document.createElement("span");
      name.className = "lookup-name";
      name.textContent = hit.name;
      const badge = document.createElement("span");
      badge.className = "badge tier";
      badge.dataset.value = hit.tier;
      badge.textContent = hit.tier_label;
      const meta = document.createElement("span");
      meta.className = "lookup-meta";
      meta.textContent = hit.id + (hit.matched ? " · " + hit.matched : "");
      a.append(name, " ", badge, " ", meta);
      li.append(a);
      list.append(li);
    }
    list.hidden = hits.length === 0;
  }

  async function lookup() {
    const q = input.value.trim();
    const ticket = ++latest;
    if (!q) { render([]); return; }
    try {
      const response = await fetch("/api/v1/accounts/lookup?q=" + encodeURIComponent(q), {
        headers: { "Accept": "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok || ticket !== latest) return;
      const body = await response.json();
      if (ticket === latest) render(body.hits || []);
    } catch (_) {
      // Offline or server restarting: the submit button still works.
    }
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 120);
  });
})();

// The scenario picker on the briefing page reloads the page for the chosen scenario.
(function () {
  const picker = document.getElementById("scenario-picker");
  if (!picker) return;
  const select = picker.querySelector("select[name=scenario]");
  const button = picker.querySelector("button");
  if (button) button.hidden = true;
  select.addEventListener("change", function () { picker.submit(); });
})();

// The editor's live preview: the server renders (and sanitises) the Markdown as a page would,
// a moment after the trainer stops typing. Without JavaScript, the Preview button does it.
(function () {
  const body = document.getElementById("f-body");
  const preview = document.getElementById("preview");
  if (!body || !preview) return;
  const token = document.querySelector("meta[name=csrf-token]");
  let timer = null;
  let latest = 0;
  async function render() {
    const ticket = ++latest;
    try {
      const response = await fetch("/api/v1/preview", {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRF-Token": token ? token.content : "",
        },
        body: JSON.stringify({ markdown: body.value }),
      });
      if (!response.ok || ticket !== latest) return;
      const result = await response.json();
      // The server sanitised this HTML (pulldown-cmark, then ammonia), as on every page.
      preview.innerHTML = result.html;
    } catch (e) {
      // Offline: the Preview button still works.
    }
  }
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(render, 250);
  });
  render();
})();

// The import pages: drop files on the zone and watch the upload; the answer is the server's
// page, as without JavaScript (the form posts the same fields either way).
(function () {
  const form = document.getElementById("import-form");
  if (!form) return;
  const zone = document.getElementById("drop-zone");
  const input = form.querySelector("input[type=file]");
  const progress = document.getElementById("import-progress");
  const status = document.getElementById("import-status");

  function send(step, fresh) {
    const data = new FormData(form);
    data.set("step", step);
    if (fresh) {
      // A new file: the columns shown were the previous file's.
      data.delete("map");
      data.delete("upload");
      data.delete("sheet");
    }
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "text/html");
    progress.hidden = false;
    progress.value = 0;
    status.textContent = form.dataset.uploading || "";
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) progress.value = Math.round(100 * e.loaded / e.total);
    });
    request.upload.addEventListener("load", function () {
      progress.removeAttribute("value"); // indeterminate while the server works
      status.textContent = form.dataset.working || "";
    });
    request.addEventListener("load", function () {
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", function () {
      progress.hidden = true;
      status.textContent = form.dataset.failed || "";
    });
    request.send(data);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    const step = e.submitter && e.submitter.value ? e.submitter.value : "preview";
    send(step, false);
  });
  // The account import checks the columns as soon as a file is chosen; the content import
  // waits for its button (the kind is chosen first).
  if (form.dataset.submitOnChoose) {
    input.addEventListener("change", function () {
      if (input.files.length) send("preview", true);
    });
  }
  if (zone) {
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) {
        e.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      input.files = e.dataTransfer.files;
      // As choosing a file: the account import reads it at once, the content import waits.
      if (form.dataset.submitOnChoose) {
        send("preview", true);
      } else {
        status.textContent = Array.from(input.files).map(function (f) { return f.name; }).join(", ");
      }
    });
  }
})();
