// Counts down to the order's expiresAt; at zero it reloads, so the page shows what the server now says.
(function () {
  const el = document.getElementById("countdown");
  if (!el) return;
  const end = Date.parse(el.getAttribute("datetime"));
  function tick() {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left === 0) { setTimeout(() => location.reload(), 1500); return; }
    setTimeout(tick, 250);
  }
  el.setAttribute("aria-live", "off");
  tick();
})();
