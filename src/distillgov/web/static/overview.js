"use strict";
(function () {
  const { call, mount } = window.distillgov;
  const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };
  mount(async () => {
    try {
      const [licences, settled, screen] = await Promise.all([call("/api/v1/licences"), call("/api/v1/settlements"), call("/api/v1/registry/screen")]);
      document.getElementById("overview").hidden = false;
      document.querySelector("#all-licences tbody").replaceChildren(...licences.map((l) => {
        const tr = document.createElement("tr"); tr.append(...[l.id, l.licensee, l.teacher, l.profile, l.state].map(cell)); return tr;
      }));
      const totals = {};
      for (const s of settled) totals[s.currency] = (totals[s.currency] || 0) + s.royalty_minor;
      document.getElementById("royalties").textContent = Object.entries(totals).map(([c, v]) => `${(v / 100).toFixed(2)} ${c}`).join("; ") || "none yet";
      document.getElementById("screen").replaceChildren(...screen.map((f) => { const li = document.createElement("li"); li.textContent = `${f.finding.replaceAll("_", " ")}: ${f.model || f.disclosure || f.weights_digest || ""}`; return li; }));
    } catch (p) { document.getElementById("error").textContent = p.detail || "could not load the overview"; }
  });
})();
