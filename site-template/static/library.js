// The signed-in buyer's library (lecternd's /access/library.json; asked only when this browser has the
// lectern_signed_in marker, so strangers cause no request). On /library/ it lists the courses they own;
// on every other page, a course they own shows "Continue" instead of "Buy" and no locks. The words come
// from the page (strings/<language>.toml) through data- attributes. progress.js waits on the same answer.
(function () {
  const signedIn = document.cookie.split(";").some((c) => c.trim() === "lectern_signed_in=1");
  const answer = signedIn
    ? fetch("/access/library.json", { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : null))
        .catch(() => null)
    : Promise.resolve(null);
  window.lecternLibrary = answer;
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));

  answer.then((library) => {
    const page = document.querySelector("main.library");
    if (page) return showLibrary(page, library);
    if (!library) return;
    for (const course of library.courses) {
      for (const buy of document.querySelectorAll('.buy[data-course="' + CSS.escape(course.slug) + '"]')) {
        buy.textContent = buy.dataset.owned || buy.textContent;
        buy.href = course.continue_url;
      }
      document.querySelector('details.owner[data-course="' + CSS.escape(course.slug) + '"]')?.remove();
      const syllabus = document.querySelector('.syllabus[data-course="' + CSS.escape(course.slug) + '"]');
      if (syllabus) {
        document.getElementById("pay")?.remove();
        for (const item of syllabus.querySelectorAll("li.locked")) {
          item.classList.remove("locked");
          item.querySelector(".badge.lock")?.remove();
        }
      }
    }
  });

  function showLibrary(page, library) {
    if (!library) return; // the sign-in form stays
    page.querySelector(".library-signed-out").hidden = true;
    page.querySelector(".library-sign-out").hidden = false;
    const who = page.querySelector(".library-who");
    who.textContent = fill(page.dataset.who, { email: library.email });
    who.hidden = false;
    showDevices(page, library);
    if (!library.courses.length) {
      page.querySelector(".library-empty").hidden = false;
      return;
    }
    const list = page.querySelector(".library-courses");
    const template = document.getElementById("library-course");
    for (const course of library.courses) {
      const item = template.content.cloneNode(true);
      const title = item.querySelector(".library-title");
      title.textContent = course.title;
      title.href = course.url;
      item.querySelector("progress").value = course.lessons ? course.read / course.lessons : 0;
      item.querySelector(".progress-meter span").textContent =
        fill(page.dataset.progress, { read: course.read, total: course.lessons });
      const next = item.querySelector(".library-continue");
      next.textContent = fill(course.started ? page.dataset.continue : page.dataset.start, { lesson: course.continue_title });
      next.href = course.continue_url;
      item.querySelector(".library-epub").href = course.downloads.epub;
      item.querySelector(".library-pdf").href = course.downloads.pdf;
      list.append(item);
    }
    list.hidden = false;
  }

  // The browsers this buyer is signed in on (browser family and platform, when last seen), and the button
  // that signs out every other one.
  function showDevices(page, library) {
    const devices = library.devices || [];
    if (!devices.length) return;
    const section = page.querySelector(".library-devices");
    const list = section.querySelector("ul");
    const lang = document.documentElement.lang || undefined;
    for (const device of devices) {
      const item = document.createElement("li");
      const seen = new Date(device.last_seen).toLocaleDateString(lang, { dateStyle: "medium" });
      item.textContent = device.browser.replace("/", " · ") + " — "
        + (device.this_device ? page.dataset.thisDevice : fill(page.dataset.lastSeen, { date: seen }));
      list.append(item);
    }
    if (library.max_devices) {
      const limit = section.querySelector(".library-device-limit");
      limit.textContent = fill(page.dataset.deviceLimit, { max: library.max_devices });
      limit.hidden = false;
    }
    section.querySelector(".library-sign-out-others").hidden = devices.length < 2;
    section.hidden = false;
  }
})();
