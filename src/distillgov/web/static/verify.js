// In-browser verification of a registry record, trusting only SHA-256, Ed25519 (WebCrypto) and
// the verifier key: RFC 9162 inclusion proof, C2SP signed-note checkpoint.
"use strict";
(function () {
  const enc = new TextEncoder();
  const hex = (s) => Uint8Array.from(s.match(/../g).map((h) => parseInt(h, 16)));
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const cat = (...parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let at = 0; for (const p of parts) { out.set(p, at); at += p.length; } return out; };
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  async function rootFromProof(leaf, index, size, proof) {
    // RFC 9162, 2.1.3.2
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) throw new Error("the proof is longer than the tree is deep");
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(cat(Uint8Array.of(1), p, r));
        if (fn % 2 === 0) while (!(fn % 2 === 1 || fn === 0)) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else r = await sha256(cat(Uint8Array.of(1), r, p));
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("the proof is shorter than the tree is deep");
    return r;
  }

  async function checkNote(note, verifierKey) {
    // C2SP signed note: text, a blank line, "— <name> base64(keyID || signature)" lines.
    // name+keyID+base64: names hold no "+", base64 may.
    const key0 = verifierKey.trim();
    const first = key0.indexOf("+"), second = key0.indexOf("+", first + 1);
    const [name, keyId, keyB64] = [key0.slice(0, first), key0.slice(first + 1, second), key0.slice(second + 1)];
    const raw = b64(keyB64);
    if (raw[0] !== 1 || raw.length !== 33) throw new Error("not an Ed25519 verifier key");
    const split = note.lastIndexOf("\n\n");
    const text = note.slice(0, split + 1);
    const expectedId = (await sha256(cat(enc.encode(name + "\n"), raw))).slice(0, 4);
    if (!same(expectedId, hex(keyId))) throw new Error("the verifier key's ID does not match");
    const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    for (const line of note.slice(split + 2).split("\n")) {
      const parts = line.split(" ");
      if (parts.length !== 3 || parts[0] !== "\u2014" || parts[1] !== name) continue;
      const sig = b64(parts[2]);
      if (!same(sig.slice(0, 4), expectedId)) continue;
      if (await crypto.subtle.verify({ name: "Ed25519" }, key, sig.slice(4), enc.encode(text))) {
        const [origin, size, root] = text.split("\n");
        return { origin, size: Number(size), root: b64(root) };
      }
      throw new Error("the checkpoint's signature does not verify");
    }
    throw new Error("no signature by the log's key on the checkpoint");
  }

  const PIN = "distillgov.pinnedVerifierKey";

  async function verifyRecord(record, out) {
    out.className = "verdict"; out.textContent = "Verifying…";
    try {
      const response = await fetch(`/api/v1/registry/records/${encodeURIComponent(record).replaceAll("%2F", "/")}/proof`);
      const bundle = await response.json();
      if (!response.ok) throw new Error(bundle.detail || "no proof");
      // The key: the one pinned in this browser at its first check, never silently the server's.
      const pinned = localStorage.getItem(PIN);
      const key = pinned || bundle.verifier_key;
      const head = await checkNote(bundle.checkpoint, key);
      if (head.size !== bundle.size) throw new Error("the bundle's size is not the signed size");
      const leaf = await sha256(cat(Uint8Array.of(0), enc.encode(bundle.entry)));
      const root = await rootFromProof(leaf, bundle.index, bundle.size, bundle.proof.map(hex));
      if (!same(root, head.root)) throw new Error("the entry is not under the signed root");
      if (!pinned) localStorage.setItem(PIN, bundle.verifier_key);
      const source = pinned
        ? (pinned === bundle.verifier_key
            ? "the key pinned in this browser at its first check"
            : "the key pinned in this browser at its first check (this server now sends another, which was not used)")
        : "the key this server sent, now pinned in this browser for every later check; compare it with the key the registry publishes elsewhere";
      out.className = "verdict ok";
      out.textContent = `Verified in your browser: entry ${bundle.index} is in the log ${head.origin} of ${head.size} entries, signed by ${source}. Key: ${key}`;
    } catch (e) {
      out.className = "verdict bad";
      out.textContent = `Not verified: ${e.message}`;
    }
  }

  for (const button of document.querySelectorAll("button.verify")) {
    button.addEventListener("click", () => verifyRecord(button.dataset.record, button.parentElement.querySelector("output.verdict")));
  }
})();
