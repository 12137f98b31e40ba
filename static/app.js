// Playbook — progressive enhancement only: every page works without this file.
"use strict";

// Customer lookup as you type: the form still works without JavaScript (it submits to
// /accounts/find, which opens the account at once when exactly one matches); with it, results
// appear under the box while the rep types, arrow keys move through them, and Enter opens the
// chosen one — or the only one.
(function () {
  const form = document.getElementById("lookup-form");
  if (!form) return;
  const input = form.querySelector("input[name=q]");
  const list = document.getElementById("lookup-results");
  if (!input || !list) return;
  const scenario = form.querySelector("select[name=scenario]");
  let timer = null;
  let latest = 0;
  let shownFor = null; // the query the list shows hits for
  let hits = [];
  let active = -1;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  list.setAttribute("role", "listbox");

  function hrefOf(hit) {
    const chosen = scenario && scenario.value ? "?scenario=" + encodeURIComponent(scenario.value) : "";
    return "/accounts/" + encodeURIComponent(hit.id) + chosen;
  }

  function highlight(index) {
    const links = list.querySelectorAll(".lookup-hit");
    active = links.length ? Math.max(-1, Math.min(index, links.length - 1)) : -1;
    links.forEach(function (a, i) {
      a.classList.toggle("active", i === active);
      a.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", links[active].id);
      links[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function render(found, query) {
    hits = found;
    shownFor = query;
    list.textContent = "";
    found.forEach(function (hit, i) {
      const li = document.createElement("li");
      li.setAttribute("role", "presentation");
      const a = document.createElement("a");
      a.href = hrefOf(hit);
      a.className = "lookup-hit";
      a.id = "lookup-hit-" + i;
      a.setAttribute("role", "option");
      a.tabIndex = -1;
      const name = document.createElement("span");
      name.className = "lookup-name";
      name.textContent = hit.name;
      const badge = document.createElement("span");
      badge.className = "badge tier";
      badge.dataset.value = hit.tier;
      badge.textContent = hit.tier_label;
      const meta = document.createElement("span");
      meta.className = "lookup-meta";
      const id = document.createElement("span");
      id.className = "lookup-id";
      id.textContent = hit.id;
      meta.append(id, hit.matched ? " · " + hit.matched : "");
      a.append(name, " ", badge, " ", meta);
      li.append(a);
      list.append(li);
    });
    list.hidden = found.length === 0;
    input.setAttribute("aria-expanded", found.length ? "true" : "false");
    highlight(-1);
  }

  async function fetchHits(q) {
    const response = await fetch("/api/v1/accounts/lookup?q=" + encodeURIComponent(q), {
      headers: { "Accept": "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error("lookup " + response.status);
    const body = await response.json();
    return body.hits || [];
  }

  async function lookup() {
    const q = input.value.trim();
    const ticket = ++latest;
    if (!q) { render([], q); return; }
    try {
      const found = await fetchHits(q);
      if (ticket === latest) render(found, q);
    } catch (_) {
      // Offline or server restarting: the submit button still works.
    }
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 120);
  });

  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (list.hidden) return;
      e.preventDefault();
      const count = hits.length;
      if (!count) return;
      const next = e.key === "ArrowDown" ? active + 1 : active - 1;
      highlight(next < -1 ? count - 1 : next >= count ? -1 : next);
    } else if (e.key === "Escape") {
      highlight(-1);
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }
  });

  // Enter (or the button): the highlighted hit; else the only hit for what was typed (asked
  // for now if the list is not up to date); else the full result page.
  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    const q = input.value.trim();
    if (active >= 0 && hits[active] && shownFor === q) {
      window.location.assign(hrefOf(hits[active]));
      return;
    }
    let found = shownFor === q ? hits : null;
    if (found === null && q) {
      clearTimeout(timer);
      try {
        found = await fetchHits(q);
        render(found, q);
      } catch (_) {
        found = null;
      }
    }
    if (found && found.length === 1) {
      window.location.assign(hrefOf(found[0]));
    } else {
      form.submit();
    }
  });
})();

// The header menu on a phone: one row (brand and a menu button); the button opens the links.
// Without JavaScript the links simply wrap under the brand.
(function () {
  const button = document.querySelector(".menu-toggle");
  const nav = document.getElementById("site-nav");
  if (!button || !nav) return;
  document.documentElement.classList.add("js-menu");
  button.hidden = false;
  function set(open) {
    nav.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  button.addEventListener("click", function () {
    const open = button.getAttribute("aria-expanded") !== "true";
    set(open);
    if (open) {
      const first = nav.querySelector("a, button");
      if (first) first.focus();
    }
  });
  nav.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && nav.classList.contains("open")) {
      set(false);
      button.focus();
    }
  });
})();

// Search filters: behind their button on a phone, open beside the results on a wide screen.
(function () {
  const panel = document.getElementById("filter-panel");
  if (!panel || !window.matchMedia) return;
  const wide = window.matchMedia("(min-width: 48rem)");
  function follow() { panel.open = wide.matches; }
  follow();
  if (wide.addEventListener) wide.addEventListener("change", follow);
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


// The editor: a whole Markdown file pasted into the body (front matter and all) fills the
// fields from its front matter and leaves the body. The server does the same for fields left
// empty, so without JavaScript the pasted file still saves.
(function () {
  const body = document.getElementById("f-body");
  const form = body && body.form;
  if (!form) return;

  function unquote(v) {
    v = v.trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) {
      return v.slice(1, -1);
    }
    return v;
  }

  // The subset of YAML front matter uses: `key: value`, `key: [a, b]` and `key:` followed by
  // `- item` lines. Anything else (nested maps such as moves) makes it give up on that key.
  function parse(yaml) {
    const fields = {};
    const unknown = [];
    let listKey = null;
    for (const raw of yaml.split("\n")) {
      if (!raw.trim() || raw.trim().startsWith("#")) continue;
      const item = raw.match(/^\s+-\s+(.*)$/) || raw.match(/^-\s+(.*)$/);
      if (item && listKey) {
        if (/^[\w-]+\s*:/.test(item[1]) && !/^https?:/.test(item[1])) { unknown.push(listKey); delete fields[listKey]; listKey = null; continue; }
        fields[listKey].push(unquote(item[1]));
        continue;
      }
      if (/^\s/.test(raw)) { if (listKey) { unknown.push(listKey); delete fields[listKey]; listKey = null; } continue; }
      const pair = raw.match(/^([\w-]+)\s*:\s*(.*)$/);
      if (!pair) return null;
      const key = pair[1];
      const value = pair[2].trim();
      listKey = null;
      if (value === "") {
        fields[key] = [];
        listKey = key;
      } else if (value.startsWith("[") && value.endsWith("]")) {
        fields[key] = value.slice(1, -1).split(",").map(unquote).filter(Boolean);
      } else {
        fields[key] = unquote(value);
      }
    }
    return { fields: fields, unknown: unknown };
  }

  function setText(name, value) {
    const el = form.elements.namedItem(name);
    if (!el || el.length !== undefined && !el.tagName) return false;
    if (el.tagName === "SELECT") {
      if (!Array.from(el.options).some(function (o) { return o.value === value; })) return false;
    }
    el.value = value;
    el.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function setChecks(name, values) {
    const boxes = form.querySelectorAll("input[type=checkbox][name=" + name + "]");
    const left = [];
    boxes.forEach(function (b) { b.checked = false; });
    for (const v of values) {
      const box = Array.from(boxes).find(function (b) { return b.value === v; });
      if (box) box.checked = true; else left.push(v);
    }
    return left;
  }

  function fill(text) {
    const m = text.replace(/\r\n/g, "\n").match(/^\uFEFF?---\n([\s\S]*?)\n---[ \t]*(?:\n|$)([\s\S]*)$/);
    if (!m) return false;
    const parsed = parse(m[1]);
    if (!parsed) return false;
    const f = parsed.fields;
    const asList = function (v) { return Array.isArray(v) ? v : String(v).split(",").map(function (s) { return s.trim(); }).filter(Boolean); };
    let kept = parsed.unknown.length > 0;
    for (const key of Object.keys(f)) {
      const v = f[key];
      switch (key) {
        case "id": case "status": case "owner": break;
        case "tiers": case "scenarios": {
          const left = setChecks(key, asList(v));
          if (left.length) kept = true; // unknown ids: the server names them
          break;
        }
        case "tags": {
          const left = setChecks("tag_pick", asList(v));
          setText("tags", left.join(", "));
          break;
        }
        case "audience": case "evidence": case "courses": case "regions":
          setText(key, asList(v).join(", "));
          break;
        case "kind": case "title": case "summary": case "lang": case "review_by": case "account":
        case "outcome": case "course": case "order": case "starts": case "ends":
          if (Array.isArray(v) || !setText(key, v)) kept = true;
          break;
        default:
          kept = true;
      }
    }
    // What the fields could not take stays in the body's front matter for the server.
    body.value = kept ? text : m[2].replace(/^\n+/, "");
    body.dispatchEvent(new Event("input", { bubbles: true }));
    const status = document.getElementById("paste-status");
    if (status) status.textContent = status.dataset.filled || "";
    return true;
  }

  body.addEventListener("paste", function (e) {
    const text = e.clipboardData && e.clipboardData.getData("text/plain");
    if (!text || !/^\uFEFF?---\r?\n/.test(text)) return;
    // Only a paste that replaces the whole body is a whole file.
    const whole = body.value.trim() === "" || (body.selectionStart === 0 && body.selectionEnd === body.value.length);
    if (!whole) return;
    e.preventDefault();
    if (!fill(text)) {
      body.value = text;
      body.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });
})();
