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
