// The assessment wizard: one concern per step, unknown is a valid answer, back and forward keep
// every answer, a review screen, then the determination from POST /api/v1/assessments.
"use strict";
(function () {
  const root = document.getElementById("wizard");
  const result = document.getElementById("result");
  const saved = JSON.parse(sessionStorage.getItem("distillgov.answers") || "{}");
  const state = { steps: [], at: 0, answers: saved.answers || {}, jurisdiction: saved.jurisdiction || "", on: saved.on || "", country: saved.country || "" };
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") node.textContent = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  };
  const save = () => sessionStorage.setItem("distillgov.answers", JSON.stringify({ answers: state.answers, jurisdiction: state.jurisdiction, on: state.on, country: state.country }));
  const words = (v) => String(v).replaceAll("_", " ");
  // Plain words from the one vocabulary (GET /api/v1/vocabulary, framework/plain.yaml).
  let vocab = { categories: {}, rules: {}, obligations: {}, statuses: {}, facts: {}, values: {}, tables: {}, columns: {} };
  const V = {
    label: (kind, key) => (vocab[kind] && vocab[kind][key] && vocab[kind][key].label) || words(key),
    explain: (kind, key) => (vocab[kind] && vocab[kind][key] && vocab[kind][key].explain) || "",
    value: (fact, v) => {
      if (v === true || v === "true") return "yes";
      if (v === false || v === "false") return "no";
      const found = vocab.values[fact] && vocab.values[fact][v];
      return found ? found.label : words(v);
    },
    cite: (src) => {
      if (!src) return "";
      const t = vocab.tables[src.table] || {};
      const row = (t.rows && t.rows[src.row]) || words(src.row);
      return `${t.label || src.table} — ${row}${src.column ? ` (${vocab.columns[src.column] || src.column})` : ""}`;
    },
  };
  const citeLink = (src) => el("a", { class: "cite", href: `/framework#${src.table}-${src.row}`, text: V.cite(src) });
  const day = (iso) => { if (!iso) return ""; const d = new Date(iso + "T00:00:00Z"); return d.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }); };

  function question(q) {
    const id = "q-" + q.fact.replaceAll(".", "-");
    const current = state.answers[q.fact];
    if (q.kind === "bool" || q.kind === "enum") {
      const options = q.kind === "bool" ? [["true", "Yes"], ["false", "No"]] : q.choices.map((c) => [c, V.value(q.fact, c)]);
      options.push(["", "Don't know"]);
      const set = el("fieldset", { id, "data-fact": q.fact }, el("legend", { text: q.question }));
      for (const [value, label] of options) {
        const input = el("input", { type: "radio", name: id, value });
        input.checked = (current === undefined ? "" : String(current)) === value;
        input.addEventListener("change", () => {
          if (value === "") delete state.answers[q.fact];
          else state.answers[q.fact] = q.kind === "bool" ? value === "true" : value;
          save(); refilter();
        });
        const hint = q.kind === "enum" && vocab.values[q.fact] && vocab.values[q.fact][value] && vocab.values[q.fact][value].explain;
        set.append(el("label", {}, input, " " + label, ...(hint ? [el("small", { class: "hint", text: " — " + hint })] : [])));
      }
      return set;
    }
    const input = el("input", { id, type: q.kind === "date" ? "date" : "number", min: "0" });
    if (current !== undefined) input.value = current;
    input.addEventListener("input", () => {
      if (input.value === "") delete state.answers[q.fact];
      else state.answers[q.fact] = q.kind === "int" ? Number(input.value) : input.value;
      save();
    });
    return el("div", { "data-fact": q.fact }, el("label", { for: id, text: q.question + " (leave empty if you don't know)" }), input);
  }

  // A teacher from the catalogue (GET /api/v1/teachers): its dated terms fill in, on the
  // server, every fact left as "Don't know"; an answer given here always wins.
  let teachers = [];
  function inForce(t, on) {
    let found = null;
    for (const v of t.terms) if (v.effective <= on) found = v;
    return found;
  }
  function teacherNote(id) {
    const t = teachers.find((x) => x.id === id);
    if (!t) return "";
    const on = state.on || new Date().toISOString().slice(0, 10);
    const terms = inForce(t, on);
    const released = t.release_date && t.release_confidence !== "unverified" ? `released ${day(t.release_date)}` : "release date not verified";
    return `${t.name} (${t.owner}): ${released}; ${terms ? `terms in force on ${day(on)}: ${terms.name}` : `no catalogued terms in force on ${day(on)}`}. What you leave as "Don't know" is filled from these.`;
  }
  function teacherPicker() {
    const select = el("select", { id: "teacher-id" }, el("option", { value: "", text: "None: I describe the teacher myself" }));
    for (const t of teachers) {
      const o = el("option", { value: t.id, text: `${t.name} — ${t.owner}` });
      o.selected = state.answers["teacher.id"] === t.id; select.append(o);
    }
    const note = el("p", { class: "hint", id: "teacher-note", "aria-live": "polite", text: teacherNote(state.answers["teacher.id"]) });
    select.addEventListener("change", () => {
      if (select.value) state.answers["teacher.id"] = select.value; else delete state.answers["teacher.id"];
      note.textContent = teacherNote(select.value); save();
    });
    return el("div", {}, el("label", { for: "teacher-id", text: "A teacher from the catalogue (optional)" }), select, note);
  }

  // The distiller's country suggests a profile (vocab.countries, a modelling choice shown to the
  // user); the jurisdiction list below it always has the last word.
  function countryPicker(select) {
    const names = new Intl.DisplayNames(["en"], { type: "region" });
    const codes = Object.keys(vocab.countries || {}).sort((a, b) => names.of(a).localeCompare(names.of(b)));
    const picker = el("select", { id: "country" }, el("option", { value: "", text: "Choose…" }));
    for (const c of codes) { const o = el("option", { value: c, text: names.of(c) }); o.selected = state.country === c; picker.append(o); }
    const note = el("p", { class: "hint", id: "country-note", "aria-live": "polite" });
    const explain = () => {
      const p = vocab.countries[picker.value];
      note.textContent = p ? `${names.of(picker.value)} is assessed under the ${vocab.columns[p]} profile here — a modelling choice; choose another below.` : "";
    };
    picker.addEventListener("change", () => {
      state.country = picker.value;
      const p = vocab.countries[picker.value];
      if (p) { state.jurisdiction = p; select.value = p; }
      explain(); save();
    });
    explain();
    return [el("label", { for: "country", text: "Where the distiller is established" }), picker, note];
  }

  function nav(back, nextLabel, next) {
    const bar = el("div", { class: "actions" });
    if (back) bar.append(el("button", { type: "button", class: "secondary", text: "Back", onclick: back }));
    bar.append(el("button", { type: "submit", text: nextLabel }));
    const form = el("form", { onsubmit: (e) => { e.preventDefault(); next(); } });
    return [form, bar];
  }

  // "Check your answers" (the gov.uk pattern): each answer has a Change link to its step, and
  // that step then returns straight to the check.
  const review = () => state.steps.length + 1;
  const advance = () => { if (state.returning) { state.returning = false; go(review()); } else go(state.at + 1); };
  // Before leaving a step, the answers so far are checked for contradictions (the case model's
  // own, POST /api/v1/wizard/check); one that reads a fact of this step is shown here, above
  // the questions, and the step stays until it is resolved.
  async function forward() {
    const step = state.steps[state.at];
    if (!step) { advance(); return; }
    const mine = new Set(step.questions.map((q) => q.fact));
    let found = [];
    try {
      const r = await fetch("/api/v1/wizard/check", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ answers: state.answers }) });
      if (r.ok) found = (await r.json()).contradictions.filter((c) => c.facts.some((f) => mine.has(f)));
    } catch (e) { found = []; }  // the check helps; the assessment itself refuses a contradiction
    if (!found.length) { advance(); return; }
    const form = root.querySelector("form");
    const old = form.querySelector(".error-summary"); if (old) old.remove();
    const box = el("div", { class: "error-summary", role: "alert", tabindex: "-1" }, el("h3", { text: "These answers contradict each other" }),
      el("ul", {}, ...found.map((c) => el("li", {}, el("a", { href: "#q-" + c.field.replaceAll(".", "-"), text: c.reason })))));
    form.insertBefore(box, form.querySelector("h2").nextSibling);
    box.focus();
  }

  function render() {
    root.replaceChildren();
    result.hidden = true;
    const total = state.steps.length + 2;
    const label = (l) => (state.returning ? "Save and return to check your answers" : l);
    if (state.at < state.steps.length) {
      const step = state.steps[state.at];
      const [form, bar] = nav(state.at > 0 ? () => go(state.at - 1) : null, label("Next"), forward);
      form.append(el("p", { class: "progress", text: `Step ${state.at + 1} of ${total}` }), el("h2", { text: step.title }),
        el("p", { class: "why" }, el("strong", { text: "Why we ask: " }), step.why));
      if (state.at === 0) form.append(teacherPicker());
      for (const q of step.questions) { const node = question(q); node.hidden = !asked(q); form.append(node); }
      form.append(el("p", { class: "hint skipped", "aria-live": "polite" }));
      skippedNote(form, step);
      form.append(bar);
      root.append(form);
    } else if (state.at === state.steps.length) {
      const [form, bar] = nav(() => go(state.at - 1), label("Review"), forward);
      const select = el("select", { id: "jurisdiction", required: "" }, el("option", { value: "", text: "Choose…" }));
      for (const [v, l] of [["us", "United States"], ["cn", "China"], ["global_south", "Global South"]]) {
        const o = el("option", { value: v, text: l }); o.selected = state.jurisdiction === v; select.append(o);
      }
      select.addEventListener("change", () => { state.jurisdiction = select.value; save(); });
      const on = el("input", { id: "on", type: "date" }); on.value = state.on;
      on.addEventListener("input", () => { state.on = on.value; save(); });
      form.append(el("p", { class: "progress", text: `Step ${state.at + 1} of ${total}` }), el("h2", { text: "Where and when" }),
        el("p", { class: "why" }, el("strong", { text: "Why we ask: " }), "Each jurisdiction sets the regime's levers differently: exclusivity, contract reach, royalties, research (adjustments)."),
        ...countryPicker(select),
        el("label", { for: "jurisdiction", text: "Jurisdiction (profile)" }), select,
        el("label", { for: "on", text: "Assess as of (leave empty for today)" }), on, bar);
      root.append(form);
    } else {
      const [form, bar] = nav(() => go(state.at - 1), "Get the determination", submit);
      form.append(el("p", { class: "progress", text: `Step ${total} of ${total}` }), el("h2", { text: "Check your answers" }));
      const row = (list, question, answer, index, focus) => {
        const change = el("a", { href: "#", class: "change", onclick: (e) => { e.preventDefault(); state.returning = true; state.focus = focus; go(index); } },
          "Change", el("span", { class: "visually-hidden", text: " " + question }));
        list.append(el("div", { class: "summary-row" }, el("dt", { text: question }), el("dd", { text: answer }), el("dd", { class: "summary-action" }, change)));
      };
      state.steps.forEach((step, index) => {
        const list = el("dl", { class: "summary-list" });
        if (index === 0) {
          const t = teachers.find((x) => x.id === state.answers["teacher.id"]);
          row(list, "A teacher from the catalogue", t ? `${t.name} — ${t.owner}` : "None", 0, "teacher-id");
        }
        for (const q of step.questions) {
          if (!asked(q)) continue;  // settled by the other answers: not asked, not listed
          const a = state.answers[q.fact];
          row(list, q.question, a === undefined ? "Don't know" : a === true ? "Yes" : a === false ? "No" : V.value(q.fact, a), index, "q-" + q.fact.replaceAll(".", "-"));
        }
        form.append(el("h3", { text: step.title }), list);
      });
      const where = el("dl", { class: "summary-list" });
      row(where, "Jurisdiction", state.jurisdiction ? (vocab.columns[state.jurisdiction] || words(state.jurisdiction)) : "not chosen", state.steps.length, "jurisdiction");
      row(where, "Assess as of", state.on || "today", state.steps.length, "on");
      form.append(el("h3", { text: "Where and when" }), where, bar);
      root.append(form);
    }
    const target = state.focus && document.getElementById(state.focus);
    state.focus = null;
    const first = target && (target.matches("fieldset") ? target.querySelector("input:checked, input") : target);
    if (first) first.focus();
    else { const heading = root.querySelector("h2"); if (heading) { heading.tabIndex = -1; heading.focus(); } }
  }

  // Which questions still matter after the answers so far (POST /api/v1/wizard/relevant: the
  // rule program's own reading); the others are skipped, and a step with none is passed over.
  async function refreshRelevant() {
    try {
      const body = { answers: state.answers, jurisdiction: state.jurisdiction || null, on: state.on || null };
      const r = await fetch("/api/v1/wizard/relevant", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      state.relevant = r.ok ? new Set((await r.json()).relevant) : null;
    } catch (e) { state.relevant = null; }  // then every question is shown
  }
  const asked = (q) => !state.relevant || state.relevant.has(q.fact) || state.answers[q.fact] !== undefined;
  function skippedNote(form, step) {
    const skipped = step.questions.filter((q) => !asked(q));
    const note = form.querySelector(".skipped");
    if (note) note.textContent = skipped.length ? `Not asked, because your answers settle them: ${skipped.map((q) => V.label("facts", q.fact)).join("; ")}.` : "";
  }
  // An answer can settle a later question of the same step: it is hidden at once (and shown
  // again if the answer changes back).
  async function refilter() {
    const step = state.steps[state.at];
    const form = root.querySelector("form");
    if (!step || !form) return;
    form.dataset.checking = "1";  // for a reader (and the tests) to know the step may change
    await refreshRelevant();
    delete form.dataset.checking;
    for (const q of step.questions) {
      const node = form.querySelector(`[data-fact="${q.fact}"]`);
      if (node) node.hidden = !asked(q);
    }
    skippedNote(form, step);
  }

  async function go(to) {
    if (to > state.steps.length && !state.jurisdiction) { state.at = state.steps.length; render(); document.getElementById("jurisdiction").focus(); return; }
    await refreshRelevant();
    const back = to < state.at;
    while (to < state.steps.length && to > 0 && !state.steps[to].questions.some(asked)) to += back ? -1 : 1;
    state.at = to; render();
  }

  function caseFromAnswers() {
    const c = { id: "wizard-case", title: "A distillation described in the wizard" };
    const uses = [];
    let anyUse = false;
    for (const [fact, value] of Object.entries(state.answers)) {
      if (fact.startsWith("output_use.")) { anyUse = true; if (value === true) uses.push(fact.split(".")[1]); continue; }
      const parts = fact.split(".");
      let at = c;
      for (const p of parts.slice(0, -1)) at = at[p] = at[p] || {};
      at[parts[parts.length - 1]] = value;
    }
    if (anyUse) c.output_use = uses;
    return c;
  }

  async function submit() {
    const body = { case: caseFromAnswers(), jurisdiction: state.jurisdiction, suggest: true };
    if (state.on) body.on = state.on;
    const response = await fetch("/api/v1/assessments", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const data = await response.json();
    if (!response.ok) { showProblem(data); return; }
    showResult(data);
  }

  function showProblem(p) {
    result.hidden = false;
    result.replaceChildren(el("h2", { text: "We could not assess this" }), el("p", { class: "problem", text: p.detail || p.title }),
      el("ul", { class: "problem" }, ...(p.errors || []).map((e) => el("li", { text: `${e.field}: ${e.reason}` }))));
  }

  function showResult(data) {
    const d = data.determination;
    root.replaceChildren(el("div", { class: "actions" }, el("button", { type: "button", class: "secondary", text: "Change answers", onclick: () => go(state.steps.length + 1) })));
    result.hidden = false;
    const cls = d.compliant === true ? "ok" : d.compliant === false ? "bad" : "unknown";
    const kind = d.category ? `${V.label("categories", d.category)}: ${V.explain("categories", d.category)}` : "";
    const parts = [
      el("h2", { text: "Determination", tabindex: "-1", id: "determination" }),
      el("p", { class: "outcome " + cls }, el("strong", { text: data.headline }), el("br"), kind),
      el("p", { class: "note" }, `Decision ${data.decision_id} · ${d.profile.name} as of ${day(d.assessed_on)} · `,
        el("a", { href: `/api/v1/decisions/${data.decision_id}/recheck`, text: "check it against the decision log" })),
    ];
    // What you must do, by when, first: the duties that apply, soonest due first.
    const duties = d.obligations.filter((o) => o.applies !== false).sort((a, b) => (a.due || "9999").localeCompare(b.due || "9999"));
    parts.push(el("h3", { text: "What you must do" }));
    const ul = el("ul", { class: "obligations" });
    for (const o of duties) {
      const when = o.due ? ` — ${o.due_basis === "window_end" ? "until" : o.due_basis === "commercial_release_date" ? "before" : "by"} ${day(o.due)}` : "";
      ul.append(el("li", {}, el("span", { class: "status " + (o.status || "unknown"), text: V.label("statuses", o.status || "unknown") }), " ",
        el("strong", { text: V.label("obligations", o.id) + when }), el("br"), V.explain("obligations", o.id) + " ", citeLink(o.source)));
    }
    if (!duties.length) ul.append(el("li", { text: "Nothing, on the facts given." }));
    parts.push(ul);
    if (d.missing_facts && d.missing_facts.length) {
      parts.push(el("h3", { text: "What we still need to know" }));
      for (const m of d.missing_facts) {
        parts.push(el("p", { class: "why", text: m.question }),
          el("ul", { class: "missing" }, ...m.outcomes.map((o) => el("li", { text: `If ${V.value(m.fact, o.value)}: ${o.category ? V.label("categories", o.category) : "still open"} — ${o.rule ? V.label("rules", o.rule).toLowerCase() : "rule open"}${o.compliant === false ? " (and you would not meet its conditions)" : ""}` }))));
      }
    }
    const filled = (d.teacher_terms && d.teacher_terms.filled_facts) || [];
    if (filled.length) {
      parts.push(el("h3", { text: "Filled in from the catalogue" }), el("ul", {}, ...filled.map((f) =>
        el("li", { text: `${V.label("facts", f.fact)}: ${V.value(f.fact, f.value)} (${f.source}, ${f.confidence})` }))));
    }
    const r = d.royalty;
    parts.push(el("h3", { text: "Royalty window" }));
    if (r.window_start && r.window_end) {
      const start = Date.parse(r.window_start), end = Date.parse(r.window_end), today = Date.parse(d.assessed_on);
      const from = Math.min(start, today) - 180 * 864e5, to = Math.max(end, today) + 180 * 864e5;
      const pct = (t) => `${((t - from) / (to - from)) * 100}%`;
      const bar = el("div", { class: "timeline", role: "img", "aria-label": `Royalty window from ${r.window_start} to ${r.window_end}; assessed on ${d.assessed_on}` },
        el("div", { class: "window", style: `left:${pct(start)};width:calc(${pct(end)} - ${pct(start)})` }),
        el("div", { class: "today", style: `left:${pct(today)}` }),
        el("span", { class: "label", style: `left:${pct(start)}`, text: r.window_start }),
        el("span", { class: "label", style: `left:${pct(end)}`, text: r.window_end }));
      parts.push(bar, el("p", { text: r.due ? `A royalty is due (${words(r.phase)}); rate set by ${words(r.rate_setter)}.` : `No royalty is due now (${words(r.phase || "—")}).` }));
    } else parts.push(el("p", { text: "No royalty window applies." }));
    if (d.suggestions && d.suggestions.length) {
      parts.push(el("h3", { text: "Nearest compliant variants" }), el("ul", {}, ...d.suggestions.map((s) => el("li", { text: `${s.what.join("; and ")} → ${V.label("categories", s.category)}, ${V.label("rules", s.rule).toLowerCase()}` }))));
    }
    parts.push(el("h3", { text: "Why: the trace" }));
    for (const t of d.trace) {
      parts.push(el("details", {}, el("summary", { text: `${t.step}. ${t.rule} → ${t.outcome}` }),
        el("p", { text: t.note || "" }), el("p", { class: "cite" }, "Source: ", citeLink(t.source)),
        el("pre", { text: JSON.stringify({ facts: t.facts, levers: t.levers }, null, 2) })));
    }
    parts.push(el("h3", { text: "What the normative lenses say" }), el("ul", {}, ...Object.entries(d.lenses).map(([k, v]) => el("li", { text: `${k}: ${v.note}` }))));
    parts.push(el("p", {}, el("a", { href: `/api/v1/decisions/${data.decision_id}/letter`, download: `determination-${data.decision_id}.html`, text: "Download the determination letter" })));
    result.replaceChildren(...parts);
    document.getElementById("determination").focus();
  }

  Promise.all([fetch("/api/v1/wizard").then((r) => r.json()), fetch("/api/v1/vocabulary").then((r) => r.json()),
    fetch("/api/v1/teachers").then((r) => r.json())])
    .then(async ([spec, words_, known]) => { vocab = words_; teachers = known; state.steps = spec.steps; await refreshRelevant(); render(); });
})();
