// Privacy requests: a data subject files and follows theirs; an organisation works its queue and
// the duties on its models; a regulator sees what is overdue. Everything goes through /api/v1.
"use strict";
(function () {
  const { call, mount } = window.distillgov;
  const $ = (id) => document.getElementById(id);
  const cell = (content) => { const td = document.createElement("td"); td.append(content); return td; };
  const row = (...cells) => { const tr = document.createElement("tr"); tr.append(...cells.map(cell)); return tr; };
  const words = (s) => String(s || "").replaceAll("_", " ");
  const problem = (p) => p.detail || p.title || "something went wrong";
  let who = null;
  let shown = null;

  function link(r) {
    const a = document.createElement("a"); a.href = `#${r.id}`; a.textContent = r.id;
    a.addEventListener("click", (e) => { e.preventDefault(); open(r.id); });
    return a;
  }

  async function open(id) {
    const r = await call(`/api/v1/requests/${encodeURIComponent(id)}`);
    shown = r.id;
    const box = $("detail"); box.hidden = false;
    box.querySelector(".id").textContent = r.id;
    const due = r.response_due || "when the identity is verified";
    box.querySelector(".summary").textContent = `${words(r.kind)} request to ${r.organisation}, received ${r.received_on}: ${words(r.status)}; identity ${words(r.identity)}; answer due ${due}.` + (r.overdue.length ? ` Overdue: ${r.overdue.map(words).join(", ")}.` : "");
    box.querySelector(".trail").replaceChildren(...r.events.map((e) => { const li = document.createElement("li"); li.textContent = `${e.on}: ${words(e.action)} by ${e.actor}${e.reason ? " (" + words(e.reason) + ")" : ""}`; return li; }));
    box.querySelector(".duties").replaceChildren(...r.duties.map((d) => { const li = document.createElement("li"); li.textContent = `${d.model} (${d.owner}): ${words(d.duty)} by ${d.due_on}, ${d.status}`; return li; }));
    $("steps").hidden = !(who && who.organisation === r.organisation && ["received", "acknowledged", "verified"].includes(r.status));
  }

  async function step(action) {
    const out = $("step-result"); out.textContent = "";
    const body = { action }; const reason = $("reason").value; if (action === "refuse" && reason) body.reason = reason;
    try { await call(`/api/v1/requests/${encodeURIComponent(shown)}/steps`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }); await open(shown); await load(); out.textContent = `Done: ${words(action)}.`; }
    catch (p) { out.textContent = problem(p); out.className = "problem"; }
  }

  async function load() {
    const list = await call("/api/v1/requests");
    $("mine").hidden = false;
    $("list-title").textContent = who.role === "data_subject" ? "Your requests" : who.organisation ? `Requests to ${who.organisation}` : "All requests";
    $("mine").querySelector("tbody").replaceChildren(...list.map((r) => row(link(r), r.organisation, words(r.kind), words(r.status), r.response_due || "after verification", r.overdue.map(words).join(", ") || "no")));
    if (who.organisation) {
      const duties = await call("/api/v1/duties");
      $("duties").hidden = false;
      $("duties").querySelector("tbody").replaceChildren(...duties.map((d) => {
        const close = document.createElement("button"); close.type = "button"; close.textContent = "Mark carried out"; close.disabled = d.status !== "open";
        close.setAttribute("aria-label", `Mark ${d.id} carried out`);
        close.addEventListener("click", async () => { await call("/api/v1/duties/close", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ duty: d.id, outcome: "carried_out" }) }); load(); });
        return row(d.id, `${words(d.duty)} (${d.model})`, d.due_on, d.status, close);
      }));
    }
    if (who.role === "regulator" || who.role === "administrator") {
      const late = await call("/api/v1/requests/overdue");
      $("overdue").hidden = false;
      $("overdue").querySelector("tbody").replaceChildren(
        ...late.requests.map((r) => row(link(r), r.organisation, r.response_due || "", r.overdue.map(words).join(", "))),
        ...late.duties.map((d) => row(d.id, d.owner, d.due_on, "duty")));
    }
  }

  $("new-request").addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = $("file-result"); out.textContent = ""; out.className = "";
    const subject = {}; if ($("email").value) subject.email = $("email").value; if ($("reference").value) subject.reference = $("reference").value;
    const body = { kind: $("kind").value, organisation: $("organisation").value.trim(), jurisdiction: $("jurisdiction").value, channel: "web", on_behalf: $("on-behalf").checked, subject };
    if ($("dataset").value) body.dataset = $("dataset").value.trim();
    if ($("model").value) body.model = $("model").value.trim();
    try { const r = await call("/api/v1/requests", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }); out.textContent = `Request ${r.id} sent to ${r.organisation}: an answer is due by ${r.response_due || "a date set once your identity is verified"}.`; load(); }
    catch (p) { out.className = "problem"; out.textContent = problem(p) + (p.errors ? ": " + p.errors.map((x) => `${x.field} — ${x.reason}`).join("; ") : ""); }
  });
  for (const b of document.querySelectorAll("#steps button")) b.addEventListener("click", () => step(b.dataset.action));

  mount((s) => { who = s; $("file").hidden = s.role !== "data_subject"; load().catch((p) => { $("error").textContent = problem(p); }); });
})();
