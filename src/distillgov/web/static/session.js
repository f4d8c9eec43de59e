// Browser sessions: an API token is exchanged once for an HttpOnly session cookie; the page keeps
// only the session's CSRF token (in memory) and sends it with every write.
"use strict";
window.distillgov = (function () {
  let csrf = null;
  let who = null;
  async function call(path, options = {}) {
    const headers = { ...(options.headers || {}) };
    if (options.method && options.method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
    const response = await fetch(path, { ...options, headers, credentials: "same-origin" });
    const body = response.status === 204 ? {} : await response.json();
    if (!response.ok) throw body;
    return body;
  }
  async function current() {
    try { const s = await call("/api/v1/session"); csrf = s.csrf; who = s; } catch (e) { who = null; }
    return who;
  }
  async function signIn(token) {
    const s = await call("/api/v1/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token }) });
    csrf = s.csrf; who = s; return s;
  }
  async function signOut() { await call("/api/v1/session", { method: "DELETE" }); csrf = null; who = null; }
  function mount(onReady) {
    const form = document.getElementById("signin");
    const status = document.getElementById("signed-in");
    const show = (s) => {
      form.hidden = !!s;
      status.hidden = !s;
      if (s) { status.querySelector("span").textContent = `Signed in as ${s.account} (${s.role.replaceAll("_", " ")}${s.organisation ? ", " + s.organisation : ""}).`; onReady(s); }
    };
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const error = document.getElementById("error");
      error.textContent = "";
      try { show(await signIn(document.getElementById("token").value.trim())); document.getElementById("token").value = ""; }
      catch (p) { error.textContent = p.detail || "could not sign in"; }
    });
    status.querySelector("button").addEventListener("click", async () => { await signOut(); show(null); location.reload(); });
    current().then(show);
  }
  return { call, mount };
})();
