// Search over the free lessons and course pages. The index (search-index.json) is built by
// `lectern build` from public pages only. No external requests; works without a server-side search.
(function () {
  const form = document.getElementById("search");
  const input = document.getElementById("search-query");
  const list = document.getElementById("search-results");
  if (!form || !input || !list) return;
  let index = null;
  const words = (text) => text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").split(/[^\p{L}\p{N}]+/u).filter(Boolean);

  async function load() {
    if (!index) {
      const response = await fetch("/search-index.json");
      index = (await response.json()).map((e) => ({ ...e, title: words(e.t), body: words(e.x) }));
    }
    return index;
  }

  function snippet(text, term) {
    const at = text.toLowerCase().indexOf(term);
    if (at < 0) return text.slice(0, 140) + (text.length > 140 ? "…" : "");
    const start = Math.max(0, at - 60);
    return (start > 0 ? "…" : "") + text.slice(start, at + 100) + "…";
  }

  async function search() {
    const terms = words(input.value);
    list.replaceChildren();
    if (terms.length === 0) return;
    const scored = (await load()).map((e) => {
      let score = 0;
      for (const term of terms) {
        const inTitle = e.title.filter((w) => w.startsWith(term)).length;
        const inBody = e.body.filter((w) => w.startsWith(term)).length;
        if (inTitle + inBody === 0) return { e, score: 0 };  // every term must match
        score += inTitle * 5 + Math.min(inBody, 10);
      }
      return { e, score };
    }).filter((r) => r.score > 0).sort((a, b) => b.score - a.score).slice(0, 10);
    for (const { e } of scored) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = e.u;
      link.textContent = e.t;
      const meta = document.createElement("p");
      meta.textContent = `${e.c} — ${snippet(e.x, terms[0])}`;
      item.append(link, meta);
      list.append(item);
    }
    const status = document.getElementById("search-status");
    if (status) status.textContent = scored.length ? `${scored.length} result${scored.length > 1 ? "s" : ""}` : "No free lesson matches.";
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); search(); });
  // `/?q=wal` opens with results, so a search can be linked to.
  const initial = new URLSearchParams(location.search).get("q");
  if (initial) { input.value = initial; search(); }
  input.addEventListener("input", () => { clearTimeout(input.timer); input.timer = setTimeout(search, 150); });
})();
