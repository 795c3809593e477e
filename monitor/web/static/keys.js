// Keyboard shortcuts. "?" lists them. Ignored while typing in a field.
(function () {
  const rows = () => Array.from(document.querySelectorAll("tr.case"));
  let current = -1;
  function select(index) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((row, i) => row.classList.toggle("selected", i === current));
    all[current].scrollIntoView({block: "nearest"});
  }
  function click(id) { const element = document.getElementById(id); if (element) element.click(); }
  const actions = {
    "j": () => select(current + 1),
    "k": () => select(current - 1),
    "o": () => { const row = rows()[current]; if (row) row.querySelector("a.open-case").click(); },
    "Enter": () => { const row = rows()[current]; if (row) row.querySelector("a.open-case").click(); },
    "r": () => { const box = document.getElementById("reply-text"); if (box) box.focus(); },
    "e": () => click("escalate"),
    "x": () => click("resolve"),
    "c": () => click("claim"),
    "u": () => { window.location.href = "/"; },
    "?": () => { const help = document.getElementById("shortcuts"); if (help) help.open ? help.close() : help.showModal(); },
  };
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    const action = actions[event.key];
    if (action) { event.preventDefault(); action(); }
  });
})();
