// A licensee's page: its licences, usage upload with the row-level error report, settlements.
"use strict";
(function () {
  const { call, mount } = window.distillgov;
  const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };
  const row = (...cells) => { const tr = document.createElement("tr"); tr.append(...cells.map(cell)); return tr; };

  async function load() {
    const licences = await call("/api/v1/licences");
    document.getElementById("licences").hidden = false;
    document.querySelector("#licences table tbody").replaceChildren(...licences.map((l) => row(l.id, `${l.teacher} (${l.teacher_owner})`, `${l.window_start} to ${l.window_end}`, l.state)));
    document.getElementById("licence").replaceChildren(...licences.map((l) => { const o = document.createElement("option"); o.value = o.textContent = l.id; return o; }));
    const settled = await call("/api/v1/settlements");
    document.querySelector("#settlements tbody").replaceChildren(...settled.map((s) => row(s.licence, s.period, `${(s.royalty_minor / 100).toFixed(2)} ${s.currency}`)));
  }

  document.getElementById("upload").addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = document.getElementById("upload-result");
    const form = new FormData(); form.append("report", document.getElementById("report").files[0]);
    const licence = document.getElementById("licence").value;
    out.replaceChildren();
    try {
      const done = await call(`/api/v1/licences/${encodeURIComponent(licence)}/usage`, { method: "POST", body: form });
      out.textContent = done.new ? `Report ${done.report} accepted: ${done.rows} row(s).` : `Report ${done.report} was already in: nothing changed.`;
      load();
    } catch (p) {
      const heading = document.createElement("p"); heading.className = "problem"; heading.textContent = p.detail || p.title;
      const list = document.createElement("ul"); list.className = "problem";
      for (const err of p.errors || []) { const li = document.createElement("li"); li.textContent = `${err.location}: ${err.field} ${JSON.stringify(err.value)} — ${err.reason}`; list.append(li); }
      out.append(heading, list);
    }
  });

  mount(() => load().catch((p) => { document.getElementById("error").textContent = p.detail || "could not load your licences"; }));
})();
