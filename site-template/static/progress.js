// Reading progress: a lesson counts as read once it has been open for a few seconds or scrolled to its
// end. Remembered in this browser (localStorage, which works offline) and, for a signed-in buyer, on the
// server (POST /access/progress), so it follows them to every device: what library.js fetched is merged in.
(function () {
  const key = "lectern-progress";
  let read = {};
  try { read = JSON.parse(localStorage.getItem(key) || "{}"); } catch (e) { return; }
  const here = location.pathname;
  // The words come from the page (strings/<language>.toml): data-done, data-meter ({done}, {total}).
  const words = { done: "Read", meter: "{done} of {total} read", ...document.querySelector(".progress-meter")?.dataset };
  const save = () => { try { localStorage.setItem(key, JSON.stringify(read)); } catch (e) {} };
  function mark() {
    const links = document.querySelectorAll(".syllabus a[href]");
    let done = 0;
    for (const link of links) {
      const path = new URL(link.href, location.href).pathname;
      const item = link.closest("li");
      if (read[path] && item && !item.classList.contains("done")) {
        item.classList.add("done");
        const badge = document.createElement("span");
        badge.className = "badge done";
        badge.textContent = "✓";
        badge.title = words.done;
        badge.setAttribute("aria-label", words.done);
        link.after(badge);
      }
      if (read[path]) done += 1;
    }
    const meter = document.querySelector(".progress-meter");
    if (meter && links.length) {
      meter.hidden = false;
      meter.querySelector("progress").value = done / links.length;
      meter.querySelector("span").textContent = words.meter.replace("{done}", done).replace("{total}", links.length);
    }
  }
  // library.js runs after this script (it is in the footer): ask for its answer once the page is parsed.
  const library = () => window.lecternLibrary || Promise.resolve(null);
  document.addEventListener("DOMContentLoaded", () => library().then((data) => {
    if (!data) return;
    for (const course of data.courses) for (const url of course.read_urls) read[url] = read[url] || Date.now();
    save();
    mark();
  }));
  function finish() {
    library().then((data) => {
      if (data) {
        fetch("/access/progress", { method: "POST", headers: { "Content-Type": "application/json" },
          credentials: "same-origin", body: JSON.stringify({ path: here }) }).catch(() => {});
      }
    });
    if (!read[here]) { read[here] = Date.now(); save(); mark(); }
  }
  setTimeout(finish, 8000);
  addEventListener("scroll", () => {
    if (innerHeight + scrollY >= document.body.scrollHeight - 40) finish();
  }, { passive: true });
  mark();
})();
