// The reply composer: fill from a template, count characters by X's rules.
// X's weighting (twitter-text config v3): these code point ranges weigh 1, all others 2;
// a URL always weighs 23. Limit: 280.
(function () {
  const LIGHT = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];
  const URL = /https?:\/\/\S+/g;
  function weight(text) {
    let total = 0;
    const urls = text.match(URL) || [];
    total += urls.length * 23;
    for (const ch of text.replace(URL, "")) {
      const cp = ch.codePointAt(0);
      total += LIGHT.some(([lo, hi]) => cp >= lo && cp <= hi) ? 1 : 2;
    }
    return total;
  }
  // Presence: who else has this case open, and whether it changed under us.
  const head = document.querySelector(".case-head");
  const presence = document.getElementById("presence");
  const changed = document.getElementById("changed");
  async function poll() {
    try {
      const response = await fetch(`/cases/${head.dataset.case}/presence`, {credentials: "same-origin"});
      if (!response.ok) return;
      const state = await response.json();
      presence.textContent = state.viewers.length ? `${presence.dataset.label} ${state.viewers.join(", ")}` : "";
      changed.hidden = String(state.version) === head.dataset.version;
    } catch (error) { /* offline for a moment: try again on the next tick */ }
  }
  if (head && presence) setInterval(poll, 10000);

  const text = document.getElementById("reply-text");
  const count = document.getElementById("reply-count");
  if (!text || !count) return;
  const update = () => {
    const n = weight(text.value);
    count.textContent = n;
    count.parentElement.classList.toggle("over", n > 280);
  };
  text.addEventListener("input", update);
  document.querySelectorAll("button.template").forEach((button) =>
    button.addEventListener("click", () => { text.value = button.dataset.text; update(); text.focus(); }));
  update();
})();
