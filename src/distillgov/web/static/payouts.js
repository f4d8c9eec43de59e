"use strict";
(function () {
  const { call, mount } = window.distillgov;
  const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };
  mount(async (who) => {
    try {
      const s = await call(`/api/v1/statements/holder/${encodeURIComponent(who.organisation || who.account)}`);
      document.getElementById("payouts").hidden = false;
      document.querySelector("#payouts tbody").replaceChildren(...s.lines.map((l) => {
        const tr = document.createElement("tr");
        tr.append(...[l.run_on, l.claim, l.share, l.carried_in, l.paid, l.carried_forward, l.hold_until || "—"].map(cell));
        return tr;
      }));
      document.querySelector("#payouts .totals").textContent = "Paid in all: " + (Object.entries(s.totals).map(([c, v]) => `${v} ${c}`).join("; ") || "nothing yet");
    } catch (p) { document.getElementById("error").textContent = p.detail || "could not load your payouts"; }
  });
})();
