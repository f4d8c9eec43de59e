// Creators file and withdraw reservations and see where their works were reported; distillers
// upload a manifest with its captured files and read the verdicts. Everything via /api/v1.
"use strict";
(function () {
  const { call, mount } = window.distillgov;
  const $ = (id) => document.getElementById(id);
  const cell = (content) => { const td = document.createElement("td"); td.append(content); return td; };
  const row = (...cells) => { const tr = document.createElement("tr"); tr.append(...cells.map(cell)); return tr; };
  const problem = (p) => (p.detail || p.title || "something went wrong") + (p.errors ? ": " + p.errors.map((e) => `${e.field} — ${e.reason}`).join("; ") : "");
  let who = null;

  async function loadCreator() {
    const mine = await call(`/api/v1/consent/reservations?holder=${encodeURIComponent(who.organisation)}`);
    $("mine").querySelector("tbody").replaceChildren(...mine.map((r) => {
      const button = document.createElement("button"); button.type = "button"; button.textContent = "Withdraw";
      button.disabled = !!r.withdrawn; button.setAttribute("aria-label", `Withdraw ${r.id}`);
      button.addEventListener("click", async () => {
        try { await call(`/api/v1/consent/reservations/${encodeURIComponent(r.id)}/withdrawal`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ id: `${r.id}-withdrawn` }) }); loadCreator(); }
        catch (p) { $("reserve-result").textContent = problem(p); }
      });
      return row(r.id, r.scope.map((s) => `${s.kind} ${s.value}`).join(", "), r.filed_on, r.withdrawn ? `withdrawn ${r.withdrawn.filed_on}` : "in force", button);
    }));
    const where = await call("/api/v1/consent/where");
    $("where").querySelector("tbody").replaceChildren(...where.map((w) => row(w.dataset, w.checked_on, Object.entries(w.reservations).map(([k, v]) => `${k}: ${v}`).join(", "), w.declared_by.map((d) => d.model).join(", ") || "no registered model")));
  }

  $("reserve").addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = $("reserve-result"); out.textContent = ""; out.className = "";
    const scope = $("scope").value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => { const [kind, ...rest] = l.split(/\s+/); return { kind, value: rest.join(" ") }; });
    const body = { id: $("res-id").value.trim(), holder: who.organisation, scope, preferences: { "train-ai": $("train").value } };
    if ($("tdm").checked) body.tdm_reservation = 1;
    if ($("evidence").value) body.evidence = $("evidence").value;
    try { const r = await call("/api/v1/consent/reservations", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }); out.textContent = `Reservation ${r.id} logged as entry ${r.entry}, in force from ${r.filed_on}.`; loadCreator(); }
    catch (p) { out.className = "problem"; out.textContent = problem(p); }
  });

  $("check").addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = $("check-result"); out.textContent = "Checking…"; out.className = "";
    const form = new FormData();
    form.append("manifest", $("manifest").files[0]);
    for (const f of $("signal-files").files) form.append("files", f, f.name);
    try {
      const r = await call("/api/v1/consent/check", { method: "POST", body: form });
      const t = r.summary.totals;
      out.textContent = `${r.summary.items} item(s): ${t.reserved} reserved, ${t.not_reserved} not reserved, ${t.unknown} unknown.`;
      $("items").hidden = false;
      $("items").querySelector("tbody").replaceChildren(...r.items.map((i) => row(i.url, i.status.replace("_", " "), i.decided_by || "no signal decides")));
    } catch (p) { out.className = "problem"; out.textContent = problem(p); }
  });

  mount((s) => {
    who = s;
    $("distiller").hidden = false;
    $("creator").hidden = !s.organisation || s.role === "distiller";
    if (!$("creator").hidden) loadCreator().catch((p) => { $("error").textContent = problem(p); });
  });
})();
