// Search over the free lessons and course pages. The index (search-index.json) is built by
// `lectern build` from public pages only. No external requests; works without a server-side search.
(function () {
  const form = document.getElementById("search");
  const input = document.getElementById("search-query");
  const list = document.getElementById("search-results");
  if (!form || !input || !list) return;
  let index = null;
  const fold = (text) => text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  // Chinese and Japanese have no spaces between words: a run of ideographs or kana is one term, found
  // anywhere in a page's text (so a two-character word in the middle of a sentence matches); other
  // scripts' words match at their start (`sql` finds `SQLite`).
  // (NFKD splits ダ into タ and U+3099, the voicing mark, which stays in the run.)
  const cjk = "\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}ー\\u3099\\u309a";
  const termPattern = new RegExp(`[${cjk}]+|(?:(?![${cjk}])[\\p{L}\\p{N}])+`, "gu");
  const isCJK = new RegExp(`^[${cjk}]+$`, "u");
  const terms = (text) => fold(text).match(termPattern) || [];
  const occurrences = (text, term) => text.split(term).length - 1;

  async function load() {
    if (!index) {
      const response = await fetch("/search-index.json");
      index = (await response.json()).map((e) => ({
        ...e, title: terms(e.t), body: terms(e.x), titleText: fold(e.t), bodyText: fold(e.x),
      }));
    }
    return index;
  }

  // How often a term occurs in a page's title and body.
  function hits(e, term) {
    if (isCJK.test(term)) return [occurrences(e.titleText, term), occurrences(e.bodyText, term)];
    return [e.title.filter((w) => w.startsWith(term)).length, e.body.filter((w) => w.startsWith(term)).length];
  }

  function snippet(text, term) {
    const at = text.toLowerCase().indexOf(term);
    if (at < 0) return text.slice(0, 140) + (text.length > 140 ? "…" : "");
    const start = Math.max(0, at - 60);
    return (start > 0 ? "…" : "") + text.slice(start, at + 100) + "…";
  }

  async function search() {
    const query = terms(input.value);
    list.replaceChildren();
    if (query.length === 0) return;
    const scored = (await load()).map((e) => {
      let score = 0;
      for (const term of query) {
        const [inTitle, inBody] = hits(e, term);
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
      meta.textContent = `${e.c} — ${snippet(e.x, query[0])}`;
      item.append(link, meta);
      list.append(item);
    }
    const status = document.getElementById("search-status");
    // The words come from the page (strings/<language>.toml), so the script speaks the site's language.
    if (status) {
      const words = status.dataset;
      const n = scored.length;
      status.textContent = n === 0 ? words.none : n === 1 ? words.one : words.many.replace("{count}", n);
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); search(); });
  // `/?q=wal` opens with results, so a search can be linked to.
  const initial = new URLSearchParams(location.search).get("q");
  if (initial) { input.value = initial; search(); }
  input.addEventListener("input", () => { clearTimeout(input.timer); input.timer = setTimeout(search, 150); });
})();
